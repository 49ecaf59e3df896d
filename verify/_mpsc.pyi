# The compiled MPS reader (verify/_mpsc.c); see optiscribe.verify._mps.parse_compiled.
from typing import Any

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
def parse_lists(raw: bytes, /) -> tuple[Any, ...] | None: ...
def parse_upto(raw: bytes, list_max: int, /) -> tuple[Any, ...] | None: ...
def _name_hash(name: bytes, /) -> int: ...
