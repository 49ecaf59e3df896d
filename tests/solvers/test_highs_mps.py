"""HiGHS 1.12's fixed-format MPS reader never returns on an empty line or on a line of a
multiple of 127 characters; every MPS file handed to HiGHS has such lines filled first."""

from __future__ import annotations

import gzip
import random
import subprocess
import sys
from pathlib import Path

import pytest

import optiscribe.solvers.highs_mps as highs_mps
from optiscribe.solvers.highs_mps import copy_without_stalling_lines, stalls, without_stalling_lines
from tests.verify.conftest import HIGHS_CHECK, need

# a valid fixed-format file whose names have blanks: HiGHS's free-format parser hands it
# to the fixed-format one, which loops forever on the empty line before COLUMNS
FIXED_WITH_BLANK = (
    "NAME          TESTLP\n"
    "ROWS\n"
    " N  COST\n"
    " L  LIM 1\n"
    "\n"
    "COLUMNS\n"
    "    X ONE     COST               1.0   LIM 1              1.0\n"
    "RHS\n"
    "    RHS       LIM 1        4.0\n"
    "BOUNDS\n"
    " UP BND       X ONE        4.0\n"
    "ENDATA\n"
)


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a child process, so that a regression fails the test instead of hanging
    the suite (the loop holds the GIL: nothing in this process could stop it)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


def test_a_file_without_such_lines_is_left_alone() -> None:
    raw = b"NAME x\nROWS\n N obj\n" + b"* " + b"c" * 124 + b"\n" + b"* " + b"c" * 126 + b"\n"
    assert without_stalling_lines(raw) is None
    assert without_stalling_lines(b"") is None
    assert without_stalling_lines(b"ENDATA") is None  # no newline: HiGHS meets the end first


@pytest.mark.parametrize(
    ("raw", "filled"),
    [
        (b"NAME x\n\nROWS\n", b"NAME x\n \nROWS\n"),
        (b"\nNAME x\n", b" \nNAME x\n"),
        (b"A\n\n\n\nB\n", b"A\n \n \n \nB\n"),
        (b"A\n" + b"c" * 127 + b"\nB\n", b"A\n" + b"c" * 127 + b" \nB\n"),
        (b"c" * 254 + b"\n", b"c" * 254 + b" \n"),
        (b"A\r\n" + b"c" * 126 + b"\r\n", b"A\r\n" + b"c" * 126 + b"\r \n"),
    ],
)
def test_empty_lines_and_lines_of_127k_characters_get_one_blank(raw: bytes, filled: bytes) -> None:
    out = without_stalling_lines(raw)
    assert out == filled
    assert out.count(b"\n") == raw.count(b"\n")  # the same line numbers
    assert [ln.rstrip() for ln in out.split(b"\n")] == [ln.rstrip() for ln in raw.split(b"\n")]


def test_lines_of_other_lengths_are_not_changed() -> None:
    raw = b"".join(b"c" * n + b"\n" for n in (1, 126, 128, 253, 255, 400))
    assert without_stalling_lines(raw) is None


_TEXTS = [
    b"A\n" + b"c" * 127 + b"\nB\n",
    b"A\n\nB\n",
    b"\n",
    b"c" * 254 + b"\nend",
    b"".join(b"c" * n + b"\n" for n in (1, 126, 128, 253, 255, 400)),
    b"no newline at all " * 20,
]


@pytest.mark.parametrize("raw", _TEXTS)
@pytest.mark.parametrize("block", [1, 5, 127, 1 << 20])
def test_stalls_is_the_same_on_any_blocks(raw: bytes, block: int) -> None:
    # a line split across blocks is measured whole
    whole = stalls((raw,))
    assert whole == (without_stalling_lines(raw) is not None)
    assert stalls(raw[k : k + block] for k in range(0, len(raw), block)) == whole


@pytest.mark.parametrize("raw", _TEXTS)
@pytest.mark.parametrize("suffix", [".mps", ".mps.gz"])
def test_the_file_copy_is_the_filled_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw: bytes, suffix: str
) -> None:
    # small blocks: lines cross them, in the scan and in the copy
    monkeypatch.setattr(highs_mps, "_BLOCK", 7)
    path = tmp_path / f"in{suffix}"
    path.write_bytes(gzip.compress(raw) if suffix.endswith(".gz") else raw)
    (tmp_path / "out").mkdir()
    copy = copy_without_stalling_lines(path, tmp_path / "out")
    filled = without_stalling_lines(raw)
    assert (copy is None) == (filled is None)
    if copy is not None:
        assert copy.read_bytes() == filled


def test_an_unreadable_file_is_left_to_highs(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mps.gz"
    bad.write_bytes(b"not gzip at all")
    assert copy_without_stalling_lines(bad, tmp_path) is None
    assert copy_without_stalling_lines(tmp_path / "missing.mps", tmp_path) is None


def test_solve_mps_reads_a_fixed_format_file_with_an_empty_line(tmp_path: Path) -> None:
    path = tmp_path / "fixed.mps"
    path.write_text(FIXED_WITH_BLANK)
    out = _run(
        "import sys\n"
        "from optiscribe.solvers import solve_mps\n"
        "r = solve_mps(sys.argv[1])\n"
        "print(r.objective, sorted(r.values.items()))\n",
        str(path),
    )
    assert out.returncode == 0, out.stderr
    # min X ONE subject to X ONE <= 4: 0, in the file's own names (blanks included)
    assert out.stdout.strip() == "0.0 [('X ONE', 0.0)]"


def test_solve_mps_reads_a_gzipped_file_with_an_empty_line(tmp_path: Path) -> None:
    path = tmp_path / "fixed.mps.gz"
    path.write_bytes(
        gzip.compress(
            FIXED_WITH_BLANK.replace("COST               1.0", "COST              -1.0").encode()
        )
    )
    out = _run(
        "import sys\n"
        "from optiscribe.solvers import solve_mps\n"
        "print(solve_mps(sys.argv[1]).objective)\n",
        str(path),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "-4.0"


_TOKENS = [b"", b" ", b"MARKER", b"'MARKER'", b"'INTORG'", b"RHS", b"UP", b"x", b"c1", b"*"]


def _mutant(raw: bytes, rng: random.Random) -> bytes:
    """One to four line edits: delete, repeat, replace or drop a word, cut, insert."""
    lines = raw.split(b"\n")
    for _ in range(rng.randint(1, 4)):
        k = rng.randrange(len(lines))
        words = lines[k].split()
        op = rng.randrange(6)
        if op == 0 and len(lines) > 1:
            del lines[k]
        elif op == 1:
            lines.insert(k, lines[rng.randrange(len(lines))])
        elif op == 2 and words:
            words[rng.randrange(len(words))] = rng.choice(_TOKENS)
            lines[k] = b" " + b" ".join(words)
        elif op == 3 and len(words) > 1:
            del words[rng.randrange(len(words))]
            lines[k] = b"    " + b"  ".join(words)
        elif op == 4:
            lines[k] = lines[k][: rng.randrange(len(lines[k]) + 1)]
        else:
            lines.insert(k, rng.choice(_TOKENS) * rng.randint(1, 130))
    return b"\n".join(lines)


def test_highs_returns_on_every_mutated_instance_once_filled(tmp_path: Path) -> None:
    # 600 mutants of the small highs-check MPS files (edits like a damaged or hand-written
    # file); without the filling, HiGHS never returned on about one in a hundred (seen:
    # 4 of the first 430 of such a corpus). One child reads them all, under a timeout
    files = sorted(p for p in need(HIGHS_CHECK).glob("*.mps") if p.stat().st_size < 60_000)
    sources = [p.read_bytes() for p in files]
    rng = random.Random(11)
    paths = []
    for i in range(600):
        raw = _mutant(rng.choice(sources), rng)
        path = tmp_path / f"m{i}.mps"
        path.write_bytes(without_stalling_lines(raw) or raw)
        paths.append(str(path))
    out = _run(
        "import sys, highspy\n"
        "h = highspy.Highs()\n"
        "h.setOptionValue('output_flag', False)\n"
        "for p in sys.argv[1:]:\n"
        "    h.readModel(p)\n"
        "print(len(sys.argv) - 1)\n",
        *paths,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "600"
