# The compiled MPS reader (verify/_mpsc.c); see optiscribe.verify._mps.parse_compiled.
def parse(
    raw: bytes, /
) -> (
    tuple[
        int,
        float,
        list[str],
        list[str],
        bytes,
        bytes,
        bytes,
        bytes,
        bytes,
        bytes,
        bytes,
        bytes,
        bytes,
    ]
    | None
): ...
