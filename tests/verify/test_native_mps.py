"""The native MPS reader against HiGHS's (issue 11): on every file either it refuses (and
HiGHS reads the file, as before) or both give exactly the same model; both of its methods
(the loop over lines and the Arrow/numpy passes) are held to that on every file."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import numpy as np
import pytest

from optiscribe.verify import MilpData, Verdict, _read, check, read_model
from optiscribe.verify._mps import parse_mps
from tests._support.reader_fuzz import make_corpus

from .conftest import HIGHS_CHECK, need

METHODS = ("loop", "lines", "arrays")

FEATURES = """* every record kind the native reader handles
NAME          features
OBJSENSE
    MAX
ROWS
 N  obj
 L  r1
 G  r2
 E  r3
 E  r4
 E  r5
COLUMNS
    M1 'MARKER' 'INTORG'
    x  obj  1    r1  2
    x  r2   3
    z  r2   1
    M2 'MARKER' 'INTEND'
    y  obj  2.5  r1  1e-13
    y  r3   1    r4  1
    w  r3   -1   r5  0
    u  r4   1
    v  obj  0.1  r5  1
    t  r1   4
    s  obj  1
RHS
    rhs  obj  7  r1  10
    rhs  r2   1  r3  2
    rhs  r4   3  r5  -1.5
RANGES
    rng  r1  4  r2  5
    rng  r3  -2  r4  2
    rng  r5  0
BOUNDS
 UP bnd x 5
 LO bnd w 2
 UP bnd w 1e30
 MI bnd y
 UP bnd y 8
 FX bnd u 2
 BV bnd v
 LI bnd t -3
 UI bnd t 9
 FR bnd s
ENDATA
"""


def same_model(a: MilpData, b: MilpData) -> list[str]:
    """The fields that differ (exactly: matrix, bounds, sense, objective, integrality,
    names)."""
    out = [
        f
        for f in ("c", "row_lower", "row_upper", "col_lower", "col_upper", "integer")
        if not np.array_equal(getattr(a, f), getattr(b, f))
    ]
    if a.sense != b.sense or a.offset != b.offset:
        out.append("sense/offset")
    if a.A.shape != b.A.shape or not all(
        np.array_equal(x, y)
        for x, y in ((a.A.indptr, b.A.indptr), (a.A.indices, b.A.indices), (a.A.data, b.A.data))
    ):
        out.append("matrix")
    if a.var_names != b.var_names or a.row_names != b.row_names:
        out.append("names")
    return out


def compare(path: Path, method: str) -> str:
    """'native' (read natively, same model as HiGHS's), 'refused', 'highs-inexact' (HiGHS
    drops an entry the native reader keeps), or 'unreadable'; asserts on a difference."""
    kind, gz = _read._file_kind(path)
    try:
        raw = _read._read_bytes(path, gz)
    except Exception:
        return "unreadable"
    parsed = parse_mps(raw, method=method)
    native = _read._from_native(parsed, str(path)) if parsed is not None else None
    try:
        highs: MilpData | Exception = _read.read_with_highs(path, raw, kind, gz, native=False)
    except Exception as exc:  # the documented read errors
        highs = exc
    if native is None:
        return "refused"
    assert not isinstance(highs, Exception), f"{path.name}: native read it, HiGHS: {highs}"
    native = _read._finish(native, raw, [])
    if highs.inexact:
        # HiGHS dropped entries of magnitude <= 1e-12 that the native reader keeps:
        # without them the two models must be the same
        kept = native.A.copy()
        assert (np.abs(kept.data) <= 1e-12).any(), path.name
        kept.data[np.abs(kept.data) <= 1e-12] = 0.0
        kept.eliminate_zeros()
        native = dataclasses.replace(native, A=kept)
    diff = same_model(native, highs)
    assert not diff, f"{path.name} ({method}): native and HiGHS differ in {diff}"
    return "native"


@pytest.mark.parametrize("method", METHODS)
def test_every_instance_is_read_like_highs_or_refused(method):
    files = sorted(need(HIGHS_CHECK).glob("*.mps"))
    outcomes = {f.name: compare(f, method) for f in files}
    native = [k for k, v in outcomes.items() if v == "native"]
    assert len(native) >= 50, outcomes  # most instances really take the native path
    for name in ("comment.mps", "silly-names.mps", "2821-duplicate.mps", "nan1.mps"):
        assert outcomes[name] == "refused", name  # HiGHS decides these, as before


def _mutate(raw: bytes, rng: random.Random) -> bytes:
    lines = raw.split(b"\n")
    k = rng.randrange(len(lines))
    toks = lines[k].split()
    junk = [b"1.d5", b"1e400", b"-0", b".5", b"5.", b"1_0", b"inf", b"nan", b"1e-13", b"+1"]
    junk += [b"'MARKER'", b"RHS", b"N", b"E", b"UP", b"FR", b"BV", b"SC", b"$", b"MAX", b"*"]
    op = rng.randrange(8)
    if op == 0:
        del lines[k]
    elif op == 1:
        lines.insert(k, lines[k])
    elif op == 2:
        j = rng.randrange(len(lines))
        lines[k], lines[j] = lines[j], lines[k]
    elif op == 3 and toks:
        toks[rng.randrange(len(toks))] = rng.choice(junk)
        lines[k] = b" " + b" ".join(toks)
    elif op == 4 and toks:
        del toks[rng.randrange(len(toks))]
        lines[k] = b" " + b" ".join(toks)
    elif op == 5:
        lines[k] += b" " + rng.choice(junk)
    elif op == 6:
        lines[k] = lines[k].lower() if rng.random() < 0.5 else lines[k].lstrip()
    else:
        lines.insert(k, rng.choice([b"* c", b"", b"\t", b"OBJSENSE MAX", b"RANGES", b" UP b x 3"]))
    return b"\n".join(lines)


@pytest.mark.parametrize("method", METHODS)
def test_mutated_files_are_read_like_highs_or_refused(tmp_path, method):
    seeds = [FEATURES.encode()]
    for name in ("afiro.mps", "small_mip.mps", "flugpl.mps", "bell5.mps", "egout.mps"):
        if (HIGHS_CHECK / name).exists():
            seeds.append((HIGHS_CHECK / name).read_bytes())
    rng = random.Random(11)
    outcomes = []
    for i in range(400):
        path = tmp_path / f"m{i}.mps"
        path.write_bytes(_mutate(rng.choice(seeds), rng))
        outcomes.append(compare(path, method))
    assert outcomes.count("native") >= 40, outcomes  # the property is not vacuous
    assert outcomes.count("refused") >= 100


def test_the_reader_fuzz_corpus_is_read_like_highs_or_refused(tmp_path):
    paths = make_corpus(tmp_path, seed=10, n=300)
    mps = [p for p in paths if p.name.endswith((".mps", ".mps.gz"))]
    assert len(mps) > 50
    for p in mps:
        for method in METHODS:
            compare(p, method)


@pytest.mark.parametrize("method", METHODS)
def test_every_record_kind_is_read_as_written(tmp_path, method):
    path = tmp_path / "features.mps"
    path.write_text(FEATURES)
    parsed = parse_mps(path.read_bytes(), method=method)
    assert parsed is not None
    m = _read._from_native(parsed, str(path))
    assert m is not None
    assert m.sense == -1 and m.offset == -7.0
    assert m.var_names == ("x", "z", "y", "w", "u", "v", "t", "s")
    assert m.row_names == ("r1", "r2", "r3", "r4", "r5")
    np.testing.assert_array_equal(m.c, [1, 0, 2.5, 0, 0, 0.1, 0, 1])
    np.testing.assert_array_equal(m.row_lower, [6, 1, 0, 3, -1.5])
    np.testing.assert_array_equal(m.row_upper, [10, 6, 2, 5, -1.5])
    # z: integer without bounds -> binary (HiGHS); w's 1e30 stays a finite number
    np.testing.assert_array_equal(m.col_lower, [0, 0, -np.inf, 2, 2, 0, -3, -np.inf])
    np.testing.assert_array_equal(m.col_upper, [5, 1, 8, 1e30, 2, 1, 9, np.inf])
    np.testing.assert_array_equal(m.integer, [1, 1, 0, 0, 0, 1, 1, 0])
    assert m.A.toarray()[0, 2] == 1e-13  # kept (HiGHS drops it)
    assert m.nnz == 10  # w's explicit 0 in r5 is no entry
    # and HiGHS reads the same, except for the entry it drops
    highs = _read.read_with_highs(path, path.read_bytes(), "mps", False, native=False)
    assert highs.inexact and highs.A.toarray()[0, 2] == 0
    plain = path.with_name("features-no-tiny.mps")
    plain.write_text(FEATURES.replace("r1  1e-13", "r1  0"))
    no_tiny = _read.read_with_highs(plain, plain.read_bytes(), "mps", False, native=False)
    assert no_tiny.A.toarray()[0, 2] == 0 and not no_tiny.inexact


OPEN_INTORG = """NAME open
ROWS
 N  obj
 L  r1
COLUMNS
    x  obj  1    r1  1
    M1 'MARKER' 'INTORG'
    y  obj  2    r1  1
    M2 'MARKER' 'INTEND'
    z  obj  3    r1  1
    M3 'MARKER' 'INTORG'
    u  obj  4    r1  1
    v  obj  5    r1  1
RHS
    rhs  r1  4.5
BOUNDS
 LO bnd v -2
ENDATA
"""


@pytest.mark.parametrize("method", METHODS)
def test_an_intorg_left_open_runs_to_the_end_of_columns_as_in_highs(tmp_path, method):
    # infeasible-mip1.mps ends COLUMNS inside INTORG ... (no INTEND); HiGHS reads the
    # columns after it as integer, so the native reading does too (it refused the file)
    path = tmp_path / "open.mps"
    path.write_text(OPEN_INTORG)
    assert compare(path, method) == "native"
    m = _read._from_native(parse_mps(path.read_bytes(), method=method), str(path))
    assert m is not None
    np.testing.assert_array_equal(m.integer, [0, 1, 0, 1, 1])
    np.testing.assert_array_equal(m.col_upper, [np.inf, 1, np.inf, 1, np.inf])
    np.testing.assert_array_equal(m.col_lower, [0, 0, 0, 0, -2])
    # an INTEND that closes nothing is still refused
    bad = path.with_name("bad.mps")
    bad.write_text(OPEN_INTORG.replace("M1 'MARKER' 'INTORG'", "M1 'MARKER' 'INTEND'"))
    assert parse_mps(bad.read_bytes(), method=method) is None


def test_arrow_reads_exactly_the_numbers_python_reads():
    pa = pytest.importorskip("pyarrow")
    import pyarrow.compute as pc

    from optiscribe.verify._mps import _IS_DECIMAL

    edge = [".", "-", "+", "e5", ".e5", "1e", "1e+", "1.e5", "-.5", "+.5e-3", "1..2", "1e5.5"]
    edge += ["--1", "+-1", "1-", "0e", "00", "-0", "1E+05", "1_0", "1d5", "0x1p3", " 1", "1 "]
    edge += ["5.E", "1,5", "inf", "-inf", "nan", "NaN", "infinity", "Inf"]
    rng = np.random.default_rng(0)
    hard = [
        repr(float(x)) for x in rng.standard_normal(2000) * 10.0 ** rng.integers(-300, 300, 2000)
    ]
    hard += [f"{x:.25g}" for x in rng.random(2000)] + ["2.2250738585072011e-308", "4.9e-324"]
    for s in edge + hard:
        try:
            got = pc.cast(pa.array([s]), pa.float64())[0].as_py()
        except pa.ArrowInvalid:
            got = None
        if _IS_DECIMAL(s.encode()):
            assert got == float(s), s
        else:  # outside the grammar Arrow takes only inf/nan spellings, which are refused
            assert got is None or not np.isfinite(got), s


def test_the_line_loop_reads_exactly_the_decimal_grammar():
    # _number (the line loop's) deletes the decimal characters instead of matching the
    # regular expression: it must accept exactly what _DECIMAL matches (and is finite)
    from optiscribe.verify._mps import _IS_DECIMAL, _number, _Refuse

    edge = [".", "-", "+", "e5", ".e5", "1e", "1e+", "1.e5", "-.5", "+.5e-3", "1..2", "1e5.5"]
    edge += ["--1", "+-1", "1-", "0e", "00", "-0", "1E+05", "1_0", "1d5", "0x1p3", "1e999"]
    edge += ["5.E", "1,5", "inf", "-inf", "nan", "NaN", "infinity", "Inf", "e", "E", "+e"]
    edge += ["1e-999", "-1e400", "٣", "1.5\x00", "12345678901234567890", "0.1e+1", "++"]
    rng = np.random.default_rng(1)
    edge += ["".join(rng.choice(list("0123456789.eE+-"), k)) for k in rng.integers(1, 7, 3000)]
    accepted = 0
    for s in edge:
        tok = s.encode()
        try:
            got: float | None = _number(tok)
        except (_Refuse, ValueError):
            got = None
        if _IS_DECIMAL(tok) and np.isfinite(float(tok)):
            assert got == float(tok), s
            accepted += 1
        else:
            assert got is None, s
    assert accepted > 300  # not vacuous


def test_plain_mps_files_are_read_without_highs(tmp_path, monkeypatch):
    path = tmp_path / "features.mps"
    path.write_text(FEATURES)

    def no_highs(*args: object, **kw: object) -> None:
        raise AssertionError("HiGHS was asked to read a file the native reader reads")

    monkeypatch.setattr(_read, "read_with_highs", no_highs)
    m = read_model(path)
    assert m.num_vars == 8 and not m.inexact


def test_inline_comments_are_removed_after_highs_refuses_the_file(tmp_path):
    clean = tmp_path / "clean.mps"
    clean.write_text(FEATURES)
    commented = tmp_path / "commented.mps"
    commented.write_text(
        FEATURES.replace(" L  r1", " L  r1 $Comment").replace("FX bnd u 2", "FX bnd u 2 $ fixed")
    )
    m = read_model(commented)
    assert any("inline comments" in s for s in m.read_steps)
    assert not same_model(m, read_model(clean))
    assert check(commented, clean).verdict is Verdict.EQUIVALENT


def test_a_mid_sized_file_highs_warns_about_is_read_natively(tmp_path):
    # between NATIVE_BELOW and NATIVE_FROM HiGHS reads first; its warning about the
    # dropped 1e-13 entry sends the file to the native reader, which keeps the entry
    rows = "\n".join(f" L  c{i}" for i in range(400))
    cols = "\n".join(f"    x{j}  obj  {j + 1}  c{j % 400}  {j % 7 + 1}" for j in range(800))
    text = f"NAME mid\nROWS\n N  obj\n{rows}\nCOLUMNS\n{cols}\n    y  c0  1e-13\nRHS\n"
    text += "\n".join(f"    rhs  c{i}  {i + 10}" for i in range(400)) + "\nENDATA\n"
    path = tmp_path / "mid.mps"
    path.write_text(text)
    assert _read.NATIVE_BELOW <= len(text) < _read.NATIVE_FROM
    m = read_model(path)
    assert not m.inexact and m.A.toarray()[0, 800] == 1e-13 and m.num_vars == 801
    assert _read.read_with_highs(path, path.read_bytes(), "mps", False, native=False).inexact
    zero = text.replace("1e-13", "0").encode()
    assert same_model(m, _read.read_with_highs(path, zero, "mps", False)) == ["matrix"]


@pytest.mark.parametrize("size", ["small", "mid"])
def test_sos_marker_lines_are_unsupported_at_every_size(tmp_path, size):
    # the native reader refuses MARKER lines other than INTORG/INTEND; HiGHS's path then
    # finds the SOS marker and answers UNSUPPORTED, below and inside the HiGHS-first range
    pad = "" if size == "small" else "\n".join(f"* padding {i:05d}" + " " * 60 for i in range(80))
    text = (
        f"NAME sos\n{pad}\nROWS\n N obj\n L c1\nCOLUMNS\n S1 'MARKER' 'SOSORG'\n"
        " x obj 1 c1 1\n y obj 1 c1 1\n S1 'MARKER' 'SOSEND'\nRHS\n rhs c1 4\nENDATA\n"
    )
    path = tmp_path / "sos.mps"
    path.write_text(text)
    assert (len(text) < _read.NATIVE_BELOW) == (size == "small")
    r = check(path, path)
    assert r.verdict is Verdict.UNSUPPORTED and "SOS" in r.reason
