"""The compiled MPS reader (``verify/_mpsc.c``, issue 11): it reads exactly what the Python
list reader (``_mps._parse_tiny``) reads, number for number and name for name, and
declines everything else, which the Python methods then read or refuse as before. So a
file reads the same with or without it: ``read_file`` is held to that on every file of
the reader corpora, at every size, plain and gzipped.

In CI (``OPTISCRIBE_REQUIRE_COMPILED=1``, set by ``.ci/run``) the reader must be built;
elsewhere its tests are skipped where no C compiler built it."""

from __future__ import annotations

import gzip
import os
import random
import struct
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from optiscribe.verify import MilpData, _canon, _model, _mps, _read
from optiscribe.verify._mps import TINY_FILE
from optiscribe.verify.errors import VerifyError
from tests._support.reader_fuzz import make_corpus

from .conftest import HIGHS_CHECK, need
from .test_faithful import write_mps
from .test_native_mps import FEATURES
from .test_tiny_read import _corpus, _exactly, _native, identical

compiled = pytest.mark.skipif(
    not _mps.COMPILED, reason="the compiled reader is not built (no C compiler at install)"
)


def test_the_compiled_reader_is_built_where_ci_requires_it():
    if os.environ.get("OPTISCRIBE_REQUIRE_COMPILED") == "1":
        assert _mps.COMPILED, "verify/_mpsc.c was not built by pip install: is gcc there?"
    elif not _mps.COMPILED:
        pytest.skip("not built here, and not required")


def _python_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_mps, "_mpsc", None)


def _assert_same_reading(name: str, raw: bytes) -> bool:
    """The compiled reading of ``raw``, as lists and as arrays, is the Python list
    reader's, value for value (types, signs of zeros), or all refuse; and the MilpData of
    each is the Python reader's model bit for bit. Returns whether the file was read."""
    got = _mps.parse_compiled(raw)
    lists = _mps.parse_compiled_lists(raw)
    want = _mps.parse_tiny(raw)
    assert (got is None) == (lists is None) == (want is None), f"{name}: read by one only"
    if got is None or lists is None or want is None:
        return False
    assert (lists.sense, lists.var_names, lists.row_names) == (
        want.sense,
        want.var_names,
        want.row_names,
    ), name
    assert _exactly([lists.offset]) == _exactly([want.offset]), name
    for field, a, b in zip(want.lists._fields, lists.lists, want.lists):
        assert _exactly(a) == _exactly(b), (name, field)
    ref = _native(raw, "loop")  # the Python list reader's model (MpsModel -> MilpData)
    diff = identical(_read._from_compiled(got, "f.mps"), ref)
    assert not diff, f"{name}: the arrays differ in {diff}"
    diff = identical(MilpData._from_lists(**lists._asdict(), source="f.mps"), ref)
    assert not diff, f"{name}: the lists' model differs in {diff}"
    nnz = len(lists.lists.data)
    for cut, form in ((nnz, _mps.TinyModel), (nnz - 1, _mps.CompiledModel)):
        either = _mps.parse_compiled_upto(raw, cut)  # lists up to cut entries, else arrays
        assert isinstance(either, form), (name, cut)
        assert either == (lists if form is _mps.TinyModel else got), (name, cut)
    return True


@compiled
def test_the_compiled_reader_reads_what_the_python_reader_reads(tmp_path):
    """Every highs-check instance, relaid-out and mutated copies of the small ones and
    the reader fuzz corpus: the same files read, the same models."""
    read = sum(_assert_same_reading(name, raw) for name, raw in _corpus(tmp_path))
    assert read >= 300  # not vacuous: the corpus has as many refused files


def _random_model(rng: random.Random, m: int, n: int, density: float) -> MilpData:
    """A model with every record kind the writer of test_faithful makes (integer marker
    blocks, ranged, equality and one-sided rows, FX/MI/LO/UP/PL bounds), numbers that take
    both of the reader's conversions (short decimals, 17-digit ones, tiny, huge, -0.0)."""
    np_rng = np.random.default_rng(rng.randrange(1 << 30))

    def number() -> float:
        kind = rng.randrange(6)
        if kind == 0:
            return float(rng.randrange(-50, 50))
        if kind == 1:
            return rng.uniform(-1e3, 1e3)
        if kind == 2:
            return rng.choice([1e-300, -2.5e-17, 7e300, 1.5e22, 123456789.123456789, -0.0])
        return round(rng.uniform(-100, 100), rng.randrange(0, 6))

    A = sp.random_array((m, n), density=density, rng=np_rng, format="csr")
    A.data = np.array([number() or 1.0 for _ in A.data])
    row_lower, row_upper = [], []
    for _ in range(m):
        b = number()
        kind = rng.randrange(4)
        row_lower.append(-np.inf if kind == 0 else b)
        row_upper.append(np.inf if kind == 1 else b + (abs(number()) if kind == 3 else 0.0))
    col_lower = [rng.choice([0.0, -np.inf, number()]) for _ in range(n)]
    col_upper = [
        lo if rng.random() < 0.1 and lo > -np.inf else max(lo, 0.0) + abs(number()) + 1
        for lo in col_lower
    ]
    col_upper = [np.inf if rng.random() < 0.3 else u for u in col_upper]
    return MilpData.build(
        c=[number() for _ in range(n)],
        A=A,
        row_lower=row_lower,
        row_upper=row_upper,
        col_lower=col_lower,
        col_upper=col_upper,
        integer=[rng.random() < 0.3 for _ in range(n)],
        sense=rng.choice([1, -1]),
        var_names=[f"x{j}" for j in range(n)],
        row_names=[f"r{i}" for i in range(m)],
        infinity=np.inf,
    )


@compiled
def test_the_compiled_reader_reads_large_random_models_like_the_python_reader(tmp_path):
    """Models of 1e3 to 1e5 entries, written exactly: the same model from both readers
    (the Python reader of large files is held to the list reader in test_tiny_read.py)."""
    rng = random.Random(7)
    for i, (m, n, density) in enumerate([(40, 60, 0.3), (300, 400, 0.02), (2000, 3000, 0.015)]):
        path = write_mps(_random_model(rng, m, n, density), tmp_path / f"r{i}.mps")
        assert _assert_same_reading(path.name, path.read_bytes())


@compiled
def test_numbers_are_read_as_float_reads_them():
    """Every plain decimal the reader takes is ``float(token)`` bit for bit: short ones
    (its exact fast case), long mantissas, extreme exponents, signs, leading zeros; and a
    token float() reads as infinite declines the file (as the Python reader refuses it)."""
    rng = random.Random(3)
    tokens = ["0", "-0", "+0.0", "-.0", "0e0", "1.", ".5", "007", "-0e-400", "1e22", "1e23"]
    tokens += ["9007199254740993", "9007199254740992", "4.35", "0.1", "1e-22", "5e-324"]
    tokens += ["2.2250738585072011e-308", "1.7976931348623157e308", "123456789012345678901"]
    for _ in range(20_000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 26)))
        dot = rng.randrange(len(digits) + 1)
        mant = rng.choice([digits[:dot] + "." + digits[dot:], digits, "." + digits])
        exp = rng.choice(["", f"e{rng.randrange(-30, 31)}", f"E+{rng.randrange(0, 330)}"])
        exp = rng.choice([exp, f"e-{rng.randrange(0, 340):03d}", ""])
        token = rng.choice(["", "-", "+"]) + mant + exp
        if np.isfinite(float(token)):  # overflows are the last part of this test
            tokens.append(token)
    rows = "".join(f" E r{i}\n" for i in range(len(tokens)))
    cols = "".join(f" x r{i} {t}\n" for i, t in enumerate(tokens))
    raw = f"NAME n\nROWS\n N obj\n{rows}COLUMNS\n{cols}ENDATA\n".encode()
    expected = [float(t) for t in tokens]
    assert len(tokens) > 15_000 and all(map(np.isfinite, expected))
    got = _mps.parse_compiled(raw)
    assert got is not None
    # column x has one entry per row, zeros dropped: compare row by row
    indptr = struct.unpack(f"{len(tokens) + 1}q", got.indptr)
    data = iter(struct.unpack(f"{len(got.data) // 8}d", got.data))
    for i, want in enumerate(expected):
        value = next(data) if indptr[i + 1] > indptr[i] else 0.0
        if want == 0.0:
            assert indptr[i + 1] == indptr[i], tokens[i]  # an explicit zero is no entry
        else:
            assert struct.pack("d", value) == struct.pack("d", want), tokens[i]
    for huge in ("1e309", "-2e400", "1" * 400):
        assert _mps.parse_compiled(raw.replace(b" x r0 0\n", f" x r0 {huge}\n".encode())) is None
        assert _mps.parse_tiny(raw.replace(b" x r0 0\n", f" x r0 {huge}\n".encode())) is None


# files the two readers must treat alike, each a small edit of FEATURES (read) or of a
# plain model: what the list reader accepts that a hasty reader might not, and the reverse
HEAD = "NAME t\nROWS\n N obj\n L c1\n G c2\nCOLUMNS\n"
EDGE_CASES = {
    "features": FEATURES,
    "the same column on both sides of a marker pair": HEAD
    + " x obj 1 c1 1\n M 'MARKER' 'INTORG'\n M 'MARKER' 'INTEND'\n x c2 1\nENDATA\n",
    "a column across one marker": HEAD
    + " x obj 1 c1 1\n M 'MARKER' 'INTORG'\n x c2 1\n M 'MARKER' 'INTEND'\nENDATA\n",
    "a column in two places": HEAD + " x obj 1\n y c1 1\n x c2 1\nENDATA\n",
    "a repeated entry": HEAD + " x obj 1 c1 1\n x c1 2\nENDATA\n",
    "a repeated objective entry": HEAD + " x obj 1 c1 1\n x obj 2\nENDATA\n",
    "a repeated zero entry": HEAD + " x c1 0 c1 0\nENDATA\n",
    "zeros and negative zeros": HEAD + " x obj -0 c1 -0.0\n x c2 0\n y obj 0 c2 -1\nENDATA\n",
    "no ENDATA": HEAD + " x obj 1 c1 1\n",
    "text after ENDATA": HEAD + " x obj 1 c1 1\nENDATA\nBOUNDS\n UP b x nan\ngarbage\n",
    "lower-case endata": HEAD + " x obj 1 c1 1\nendata\n",
    "NAME with many words": "NAME a b c d e f g h i j\nROWS\n N obj\nCOLUMNS\n x obj 1\nENDATA\n",
    "no NAME": "ROWS\n N obj\nCOLUMNS\n x obj 1\nENDATA\n",
    "data after NAME": "NAME\n x\nROWS\n N obj\nCOLUMNS\n x obj 1\nENDATA\n",
    "data before NAME": " x\nNAME\nROWS\n N obj\nCOLUMNS\n x obj 1\nENDATA\n",
    "comments and blank lines everywhere": "* c\n\nNAME\n*\nROWS\n\n N obj\n* N x\n"
    "COLUMNS\n  \t\n x obj 1\nENDATA\n",
    "CR LF lines": HEAD.replace("\n", "\r\n") + " x obj 1 c1 1\r\nENDATA\r\n",
    "form feeds and vertical tabs": HEAD + " x\x0bobj\x0c1\nENDATA\n",
    "OBJSENSE MAX on its line": "NAME\nOBJSENSE MAX\nROWS\n N obj\nCOLUMNS\n x obj 1\nENDATA\n",
    "OBJSENSE MAXIMIZE below": "NAME\nOBJSENSE\n  MAXIMIZE\nROWS\n N o\nCOLUMNS\n x o 1\nENDATA\n",
    "OBJSENSE twice": "NAME\nOBJSENSE MAX\n MAX\nROWS\n N o\nCOLUMNS\n x o 1\nENDATA\n",
    "OBJSENSE without a sense": "NAME\nOBJSENSE\nROWS\n N o\nCOLUMNS\n x o 1\nENDATA\n",
    "OBJSENSE lower case value": "NAME\nOBJSENSE max\nROWS\n N o\nCOLUMNS\n x o 1\nENDATA\n",
    "OBJSENSE after ROWS": "NAME\nROWS\n N o\nOBJSENSE MAX\nCOLUMNS\n x o 1\nENDATA\n",
    "two objectives": "NAME\nROWS\n N o\n N p\nCOLUMNS\n x o 1\nENDATA\n",
    "a free row name repeated": "NAME\nROWS\n N o\n L o\nCOLUMNS\n x o 1\nENDATA\n",
    "a row name repeated": "NAME\nROWS\n N o\n L c\n G c\nCOLUMNS\n x o 1\nENDATA\n",
    "a lower-case row kind": "NAME\nROWS\n N o\n l c\nCOLUMNS\n x o 1\nENDATA\n",
    "no rows": "NAME\nROWS\nCOLUMNS\n x o 1\nENDATA\n",
    "no columns": "NAME\nROWS\n N o\n L c\nCOLUMNS\nRHS\n r c 4\nENDATA\n",
    "COLUMNS before ROWS": "NAME\nCOLUMNS\n x o 1\nROWS\n N o\nENDATA\n",
    "RHS before COLUMNS": "NAME\nROWS\n N o\nRHS\nCOLUMNS\n x o 1\nENDATA\n",
    "BOUNDS before RHS": HEAD + " x obj 1 c1 1\nBOUNDS\n UP b x 1\nRHS\n r c1 1\nENDATA\n",
    "RHS twice": HEAD + " x obj 1 c1 1\nRHS\n r c1 1\nRHS\n r c2 1\nENDATA\n",
    "an unknown section": HEAD + " x obj 1 c1 1\nSOS\n S1 SOS\nENDATA\n",
    "a keyword starting a COLUMNS line": HEAD + " x obj 1\n RANGES c1 1\nENDATA\n",
    "the section's own name starting a line": HEAD + " columns obj 1 c1 1\nENDATA\n",
    "a keyword starting an RHS line": HEAD + " x obj 1\nRHS\n bounds c1 1\nENDATA\n",
    "two RHS sets": HEAD + " x obj 1 c1 1\nRHS\n r1 c1 1\n r2 c2 1\nENDATA\n",
    "an RHS row twice": HEAD + " x obj 1 c1 1\nRHS\n r c1 1 c1 2\nENDATA\n",
    "the objective's RHS": HEAD + " x obj 1 c1 1\nRHS\n r obj 2.5 c1 1\nENDATA\n",
    "an RHS and a range on one row": HEAD
    + " x obj 1 c1 1\nRHS\n r c1 3\nRANGES\n g c1 2\nENDATA\n",
    "a range on the objective": HEAD + " x obj 1 c1 1\nRANGES\n g obj 2\nENDATA\n",
    "negative ranges": HEAD.replace(" G c2", " G c2\n E c3")
    + " x obj 1 c1 1\n x c2 1 c3 1\nRHS\n r c1 3 c2 -1\n r c3 2\n"
    "RANGES\n g c1 -2 c2 -4\n g c3 -1\nENDATA\n",
    "an unknown row": HEAD + " x obj 1 c9 1\nENDATA\n",
    "an unknown column in BOUNDS": HEAD + " x obj 1\nBOUNDS\n UP b y 1\nENDATA\n",
    "two bound sets": HEAD + " x obj 1\n y c1 1\nBOUNDS\n UP b x 1\n UP d y 1\nENDATA\n",
    "a bound twice": HEAD + " x obj 1\nBOUNDS\n UP b x 1\n UP b x 2\nENDATA\n",
    "FX then UP": HEAD + " x obj 1\nBOUNDS\n FX b x 1\n UP b x 2\nENDATA\n",
    "a negative upper bound alone": HEAD + " x obj 1\nBOUNDS\n UP b x -1\nENDATA\n",
    "a negative upper bound, then a lower": HEAD
    + " x obj 1\nBOUNDS\n UP b x -1\n LO b x -5\nENDATA\n",
    "a negative zero upper bound alone": HEAD + " x obj 1\nBOUNDS\n UP b x -0\nENDATA\n",
    "every bound type": HEAD
    + " a obj 1\n b obj 1\n c obj 1\n d obj 1\n e obj 1\n f obj 1\n g obj 1\n"
    "BOUNDS\n FR b a\n MI b b\n PL b c\n BV b d\n LI b e 2\n UI b f 7.5\n LO b g 1e30\nENDATA\n",
    "a bound without its value": HEAD + " x obj 1\nBOUNDS\n UP b x\nENDATA\n",
    "a value on FR": HEAD + " x obj 1\nBOUNDS\n FR b x 1\nENDATA\n",
    "a lower-case bound type": HEAD + " x obj 1\nBOUNDS\n up b x 1\nENDATA\n",
    "an integer column without bounds, one with": HEAD
    + " M 'MARKER' 'INTORG'\n x obj 1\n y obj 1\n M 'MARKER' 'INTEND'\n"
    "BOUNDS\n LO b y -3\nENDATA\n",
    "an INTORG left open": HEAD + " M 'MARKER' 'INTORG'\n x obj 1\nENDATA\n",
    "an INTEND left open": HEAD
    + " M 'MARKER' 'INTORG'\n x obj 1\n M 'MARKER' 'INTEND'\n M 'MARKER' 'INTEND'\nENDATA\n",
    "markers out of order": HEAD + " M 'MARKER' 'INTEND'\n x obj 1\n M 'MARKER' 'INTORG'\nENDATA\n",
    "a five-word MARKER line": HEAD + " M 'MARKER' 'INTORG' c1 1\n x obj 1\nENDATA\n",
    "a row named 'MARKER'": "NAME\nROWS\n N o\n L 'MARKER'\nCOLUMNS\n x 'MARKER' 1 o 1\n"
    " x2 'MARKER' 'INTORG'\nENDATA\n",
    "a four-word COLUMNS line": HEAD + " x obj 1 c1\nENDATA\n",
    "a seven-word COLUMNS line": HEAD + " x obj 1 c1 1 c2 1\nENDATA\n",
    "Fortran exponents": HEAD + " x obj 1d2\nENDATA\n",
    "infinity": HEAD + " x obj inf\nENDATA\n",
    "nan": HEAD + " x obj nan\nENDATA\n",
    "hex": HEAD + " x obj 0x1p3\nENDATA\n",
    "underscores": HEAD + " x obj 1_000\nENDATA\n",
    "an overflowing RHS": HEAD + " x obj 1 c1 1\nRHS\n r c1 1e999\nENDATA\n",
    "UTF-8 names": "NAME\nROWS\n N zielfunktion\n L kapazität\nCOLUMNS\n "
    "größe zielfunktion 1 kapazität 2\nENDATA\n",
    "a NUL in a name": HEAD + " x\x00y obj 1\nENDATA\n",
    "a header with two words": "NAME\nROWS x\n N o\nCOLUMNS\n x o 1\nENDATA\n",
    "ENDATA with a word": HEAD + " x obj 1\nENDATA now\n",
    "an indented section name": HEAD + " x obj 1\n RHS\n r c1 1\nENDATA\n",
}


@compiled
@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_edge_cases_read_alike(case):
    _assert_same_reading(case, EDGE_CASES[case].encode())


@compiled
def test_names_made_to_collide_are_declined_not_probed_for_ever():
    """Names whose hashes share a slot make every lookup probe further: past MAX_PROBE
    (256) slots the compiled reader declines the file, which the Python reader then reads
    (its dicts hash with a key per process too). The names are found for this process's
    key, which a file's author cannot know."""
    from optiscribe.verify import _mpsc

    rows, k = [], 0
    while len(rows) < 300:  # 300 rows: a table of 1024 slots; same slot: same low 10 bits
        name = f"r{k}".encode()
        if _mpsc._name_hash(name) & 1023 == 0:
            rows.append(name.decode())
        k += 1
    text = "NAME\nROWS\n N obj\n" + "".join(f" L {r}\n" for r in rows) + "COLUMNS\n"
    text += "".join(f" x {r} 1\n" for r in rows) + "ENDATA\n"
    assert _mps.parse_compiled(text.encode()) is None
    assert _mps.parse_tiny(text.encode()) is not None
    short = text.replace("".join(f" L {r}\n" for r in rows[100:]), "").replace(
        "".join(f" x {r} 1\n" for r in rows[100:]), ""
    )
    assert _assert_same_reading("100 colliding rows", short.encode())  # within the probes


@compiled
@pytest.mark.parametrize("word", [*sorted(w.decode() for w in _mps._KEYWORDS), "NAMES", "ROW"])
def test_the_keyword_list_is_the_python_readers(word):
    """verify/_mpsc.c keeps its own copy of ``_mps._KEYWORDS`` (the words HiGHS takes
    for a section header even indented): a COLUMNS and an RHS record starting with each,
    in any case, and with two near misses, read alike by both readers."""
    for case in (word, word.lower()):
        cols = HEAD + f" x obj 1 c1 1\n {case} c1 2\nENDATA\n"
        rhs = HEAD + f" x obj 1 c1 1\nRHS\n {case} c1 2\nENDATA\n"
        for text in (cols, rhs):
            _assert_same_reading(f"{case}: {text}", text.encode())


@compiled
def test_not_utf8_names_are_declined():
    # read_file refuses such a file first; parse_compiled alone declines it
    raw = (HEAD + " x\xff obj 1\nENDATA\n").encode("latin-1")
    assert _mps.parse_compiled(raw) is None and _mps.parse_tiny(raw) is None
    assert _mps.parse_compiled_lists(raw) is None


def _read_or_error(path: Path) -> MilpData | str:
    try:
        return _read.read_file(path)
    except VerifyError as exc:
        return f"{type(exc).__name__}: {exc}"


@compiled
def test_read_file_reads_the_same_with_or_without_the_compiled_reader(tmp_path, monkeypatch):
    """The whole reading of a file (which reader at which size, HiGHS for what the
    native readers refuse, the steps recorded, the errors) is the same with the compiled
    reader as with the Python methods alone: every file of the corpora, written to disk,
    some gzipped, and random models of every size bucket."""
    files = []
    for folder in ("corpus", "fuzz"):
        (tmp_path / folder).mkdir()
    for i, (name, raw) in enumerate(_corpus(tmp_path / "corpus")):
        p = tmp_path / f"f{i}.mps"
        p.write_bytes(raw)
        files.append((name, p))
        if i % 10 == 0:
            gz = tmp_path / f"f{i}.mps.gz"
            gz.write_bytes(gzip.compress(raw))
            files.append((f"{name} gzipped", gz))
    rng = random.Random(11)
    for i, (m, n, density) in enumerate([(10, 12, 0.4), (300, 300, 0.05), (1500, 2000, 0.02)]):
        files.append(
            (f"random {i}", write_mps(_random_model(rng, m, n, density), tmp_path / f"r{i}.mps"))
        )
    for p in make_corpus(tmp_path / "fuzz", seed=5, n=120):
        if p.name.endswith((".mps", ".mps.gz")):
            files.append((p.name, p))
    with_compiled = [_read_or_error(p) for _, p in files]
    _python_only(monkeypatch)
    read = 0
    for (name, p), got in zip(files, with_compiled):
        want = _read_or_error(p)
        if isinstance(want, str) or isinstance(got, str):
            assert got == want, name
            continue
        diff = identical(got, want)
        assert not diff, f"{name}: {diff}"
        read += 1
    sizes = {_read.NATIVE_BELOW <= p.stat().st_size < _read.NATIVE_FROM for _, p in files}
    assert read >= 300 and sizes == {True, False}  # files on both sides of HiGHS's window


@compiled
@pytest.mark.parametrize("kernels", [True, False])
def test_a_small_file_is_read_to_lists_only_where_the_small_paths_run(monkeypatch, kernels):
    """A file under TINY_FILE comes from the compiled reader as arrays where the stages'
    compiled kernels are built (they take arrays at every size); without them as lists
    (kept with the model for the plain-Python paths) when its matrix has at most
    ``LIST_ENTRIES`` entries, the small paths' bound (``_canon.SMALL_NNZ``), and as
    arrays above. Either way the model is the Python reader's
    (``test_read_file_reads_the_same_with_or_without_the_compiled_reader``)."""
    assert _read.LIST_ENTRIES == _canon.SMALL_NNZ
    monkeypatch.setattr(_read, "STAGE_KERNELS", kernels)
    forms = set()
    for f in sorted(need(HIGHS_CHECK).glob("*.mps")):
        if f.stat().st_size >= TINY_FILE or _mps.parse_compiled(f.read_bytes()) is None:
            continue  # not small, or read by HiGHS or the Python methods
        m = _read.read_file(f)
        small = not kernels and m.nnz <= _read.LIST_ENTRIES
        assert (_model.kept_lists(m) is not None) == small, f.name
        forms.add(m.nnz <= _read.LIST_ENTRIES)
    assert forms == {True, False}


def test_without_the_compiled_reader_the_python_reader_reads(tmp_path, monkeypatch):
    """Where it is not built (``_mpsc`` None), parse_compiled declines everything and
    read_file reads with the Python methods as before."""
    _python_only(monkeypatch)
    assert _mps.parse_compiled(FEATURES.encode()) is None
    assert _mps.parse_compiled_lists(FEATURES.encode()) is None
    p = tmp_path / "small.mps"
    p.write_text(EDGE_CASES["negative ranges"])
    m = _read.read_file(p)
    assert m.num_vars == 1 and _model.kept_lists(m) is not None  # the Python list reader's
