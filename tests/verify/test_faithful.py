"""The reader is faithful to the file (issue 11): tiny entries, huge bounds, inline
comments, Gurobi's objective-constant column, and infeasible bounds at every level."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from optiscribe.verify import MilpData, ModelReadError, Verdict, check, read_model

from .conftest import HIGHS_CHECK, milp, need

LEVELS = ("strict", "normalized")


def _fmt(v: float) -> str:
    return repr(float(v))


def write_mps(m: MilpData, path: Path) -> Path:
    """A free-format MPS file with every number written exactly (repr of the float)."""
    lines = ["NAME test", "ROWS", " N obj"]
    kinds = []
    for i in range(m.num_rows):
        lo, hi = m.row_lower[i], m.row_upper[i]
        kind = "E" if lo == hi else ("L" if np.isneginf(lo) else "G")
        if kind in "LG" and np.isfinite(lo) and np.isfinite(hi):
            kind = "R"  # ranged: written as G with a range
        kinds.append(kind)
        lines.append(f" {'G' if kind == 'R' else kind} {m.row_names[i]}")
    lines.append("COLUMNS")
    csc = m.A.tocsc()
    marker = False
    for j in range(m.num_vars):
        if bool(m.integer[j]) != marker:
            tag = "INTORG" if not marker else "INTEND"
            lines.append(f" M{j} 'MARKER' '{tag}'")
            marker = not marker
        name = m.var_names[j]
        lines.append(f" {name} obj {_fmt(m.c[j])}")
        for k in range(csc.indptr[j], csc.indptr[j + 1]):
            lines.append(f" {name} {m.row_names[csc.indices[k]]} {_fmt(csc.data[k])}")
    if marker:
        lines.append(" Mend 'MARKER' 'INTEND'")
    lines.append("RHS")
    for i, kind in enumerate(kinds):
        rhs = m.row_upper[i] if kind == "L" else m.row_lower[i]
        lines.append(f" rhs {m.row_names[i]} {_fmt(rhs)}")
    lines.append("RANGES")
    for i, kind in enumerate(kinds):
        if kind == "R":
            lines.append(f" rng {m.row_names[i]} {_fmt(m.row_upper[i] - m.row_lower[i])}")
    lines.append("BOUNDS")
    for j in range(m.num_vars):
        name, lb, ub = m.var_names[j], m.col_lower[j], m.col_upper[j]
        if lb == ub:
            lines.append(f" FX bnd {name} {_fmt(lb)}")
            continue
        lines.append(f" MI bnd {name}" if np.isneginf(lb) else f" LO bnd {name} {_fmt(lb)}")
        if np.isfinite(ub):
            lines.append(f" UP bnd {name} {_fmt(ub)}")
        elif m.integer[j]:
            lines.append(f" PL bnd {name}")
    lines.append("ENDATA")
    path.write_text("\n".join(lines) + "\n")
    return path


# --------------------------------------------------------------------------- tiny entries

TINY = """NAME TINY
ROWS
 N obj
 L c1
COLUMNS
 x obj -1 c1 1
 y obj 1 c1 {coef}
RHS
 rhs c1 1
BOUNDS
 UP bnd x 1000
 UP bnd y 1e12
ENDATA
"""


def test_a_coefficient_below_highs_default_cut_is_read_and_tells_the_models_apart(tmp_path):
    # min -x + y, x - 5e-10 y <= 1: x can reach 501 with y = 1e12 (optimum -501 + 1e12...);
    # without the coefficient x <= 1. HiGHS's default small_matrix_value (1e-9) drops it.
    a = tmp_path / "a.mps"
    b = tmp_path / "b.mps"
    a.write_text(TINY.format(coef="-5e-10"))
    b.write_text(TINY.format(coef="0"))
    ma = read_model(a)
    assert ma.nnz == 2 and ma.A.toarray()[0, 1] == -5e-10
    for level in LEVELS:
        r = check(a, b, level=level)
        assert r.verdict is Verdict.NOT_EQUIVALENT, (level, r.reason)
        assert check(a, a, level=level).verdict is Verdict.EQUIVALENT


TINY_LP = """Minimize
 obj: - x + y
Subject To
 c1: x {coef} y <= 1
Bounds
 x <= 1000
 y <= 1e12
End
"""


def test_the_native_mps_reader_keeps_entries_highs_would_drop(tmp_path):
    # HiGHS drops entries of magnitude <= 1e-12 even at its smallest cut; the native MPS
    # reader keeps every number as written, so the pair is decided (not UNKNOWN)
    a = tmp_path / "a.mps"
    b = tmp_path / "b.mps"
    a.write_text(TINY.format(coef="-5e-13"))
    b.write_text(TINY.format(coef="0"))
    ma = read_model(a)
    assert not ma.inexact and ma.A.toarray()[0, 1] == -5e-13
    for level in LEVELS:
        r = check(a, b, level=level)
        assert r.verdict is Verdict.NOT_EQUIVALENT, (level, r.reason)


def test_entries_highs_cannot_keep_make_the_answer_unknown_with_the_reason(tmp_path):
    # LP files are read by HiGHS, which drops the entry: never a verdict on that model
    a = tmp_path / "a.lp"
    b = tmp_path / "b.lp"
    a.write_text(TINY_LP.format(coef="- 5e-13"))
    b.write_text(TINY_LP.format(coef="+ 0"))
    assert read_model(a).inexact
    for level in LEVELS:
        r = check(a, b, level=level)
        assert r.verdict is Verdict.UNKNOWN, r.reason
        assert "5e-13" in r.reason and "1e-12" in r.reason


_TYPO = """NAME t
ROWS
 N obj
 L c1
 L c2
COLUMNS
{pad}x{gap}obj{gap}1{gap}c1{gap}1
{pad}y{gap}{row}{gap}1
{pad}y{gap}c2{gap}1
RHS
{pad}rhs{gap}c1{gap}4
{pad}rhs{gap}c2{gap}5
BOUNDS
 UP bnd x 3
ENDATA
"""


@pytest.mark.parametrize(("pad", "gap"), [(" ", " "), ("    ", "    ")])
def test_a_record_naming_an_undeclared_row_is_a_read_error_naming_the_line(tmp_path, pad, gap):
    # y's entry names row c9, which ROWS does not declare: the native reader refuses the
    # file, and HiGHS would ignore the entry or (short names) switch to its fixed-format
    # parser, which read this file as three columns "x    obj", ... and no entries
    a, b = tmp_path / "typo.mps", tmp_path / "ok.mps"
    a.write_text(_TYPO.format(pad=pad, gap=gap, row="c9"))
    b.write_text(_TYPO.format(pad=pad, gap=gap, row="c1"))
    with pytest.raises(ModelReadError, match=r"typo\.mps: line 8: the COLUMNS record 'y +c9 +1'"):
        read_model(a)
    with pytest.raises(ModelReadError, match="Fix the record"):
        check(a, b)
    assert read_model(b).nnz == 3 and check(b, b).verdict is Verdict.EQUIVALENT


def _read_in_child(path: Path) -> subprocess.CompletedProcess[str]:
    """``read_model(path)`` in a child process that prints the ModelReadError: a reader
    that never returns fails the test (timeout) instead of hanging the suite."""
    code = (
        "import sys\n"
        "from optiscribe.verify import ModelReadError, read_model\n"
        "try:\n    read_model(sys.argv[1])\nexcept ModelReadError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out


def test_a_record_highs_would_loop_on_is_refused_before_highs_reads_it(tmp_path):
    # HiGHS 1.12 never returns from readModel on this copy of sctest.mps (a record that
    # lost its row name sends it to its fixed-format parser); run in a child process, so
    # a regression fails the test instead of hanging the suite
    src = need(HIGHS_CHECK / "sctest.mps").read_text()
    assert "    x(5)      *OBJ*     1\n" in src
    bad = tmp_path / "sctest-cut.mps"
    bad.write_text(src.replace("    x(5)      *OBJ*     1\n", " x(5) 1\n"))
    out = _read_in_child(bad)
    assert "line 43: the COLUMNS record 'x(5) 1'" in out.stdout


@pytest.mark.parametrize("blank", ["\n", "*" * 127 + "\n"])
def test_a_file_highs_reads_first_with_a_line_its_fixed_format_parser_loops_on(tmp_path, blank):
    # from 6 KiB HiGHS reads first, and this copy of sctest.mps (a record lost its row
    # name) sends it to its fixed-format parser, which never returned from an empty line
    # or one of 127 characters (the blank lines of sctest.mps, or the comment line added);
    # such lines are filled before HiGHS reads, and the record is named. In a child
    # process, so a regression fails the test instead of hanging the suite
    src = need(HIGHS_CHECK / "sctest.mps").read_text()
    assert "\n\n" in src
    if blank != "\n":
        src = src.replace("\n\n", "\n" + blank)
    pad = "".join(f"* padding line {k:05d} " + "x" * 60 + "\n" for k in range(90))
    bad = tmp_path / "sctest-cut.mps"
    bad.write_text(pad + src.replace("    x(5)      *OBJ*     1\n", " x(5) 1\n"))
    assert 6144 <= bad.stat().st_size < 196_608
    out = _read_in_child(bad)
    assert "line 133: the COLUMNS record 'x(5) 1'" in out.stdout


def test_a_file_highs_reads_first_and_misreads_as_fixed_format_is_a_read_error(tmp_path):
    # from 6 KiB HiGHS reads first; with short names the record " y c9 1" (c9 undeclared)
    # makes it read the whole file as fixed-format MPS (names with blanks, no entries)
    pad = "".join(f"* padding line {k:05d} " + "x" * 60 + "\n" for k in range(90))
    a = tmp_path / "typo.mps"
    a.write_text(pad + _TYPO.format(pad=" ", gap=" ", row="c9"))
    assert 6144 <= a.stat().st_size < 196_608
    with pytest.raises(ModelReadError, match=r"line 98: the COLUMNS record 'y c9 1'"):
        read_model(a)


@pytest.mark.parametrize("gap", [" " * 4, " " * 8, " " * 12])
def test_an_entry_highs_ignores_in_a_file_it_reads_first_is_a_read_error(tmp_path, gap):
    # from 6 KiB HiGHS reads first. Row c9 is undeclared: with a gap of 4 HiGHS switches
    # to its fixed-format parser (names with blanks); from 8 it ignores the entry and
    # says so only in its log, with status OK. The native reader then names the record
    pad = "".join(f"* padding line {k:05d} " + "x" * 60 + "\n" for k in range(90))
    a, b = tmp_path / "typo.mps", tmp_path / "ok.mps"
    a.write_text(pad + _TYPO.format(pad="    ", gap=gap, row="c9"))
    b.write_text(pad + _TYPO.format(pad="    ", gap=gap, row="c1"))
    assert 6144 <= a.stat().st_size < 196_608
    with pytest.raises(ModelReadError, match=r"typo\.mps: line 98: the COLUMNS record 'y +c9 +1'"):
        read_model(a)
    assert not read_model(b).inexact and read_model(b).nnz == 3
    assert check(b, b).verdict is Verdict.EQUIVALENT


def test_a_repeated_entry_highs_keeps_one_of_makes_the_answer_unknown(tmp_path):
    # from 6 KiB HiGHS reads first; x's entry in c1 is given twice (1, then 2): HiGHS
    # keeps one and warns, the native reader refuses the file, no record is malformed:
    # the model as read may differ from the file, so no verdict
    pad = "".join(f"* padding line {k:05d} " + "x" * 60 + "\n" for k in range(90))
    text = pad + _TYPO.format(pad="    ", gap="    ", row="c1")
    a, b = tmp_path / "twice.mps", tmp_path / "ok.mps"
    a.write_text(
        text.replace(
            "    x    obj    1    c1    1\n", "    x    obj    1    c1    1\n    x    c1    2\n"
        )
    )
    b.write_text(text)
    assert 6144 <= a.stat().st_size < 196_608
    ma = read_model(a)
    assert ma.inexact and "twice.mps" in ma.inexact[0] and "repeats an entry" in ma.inexact[0]
    for level in LEVELS:
        r = check(a, b, level=level)
        assert r.verdict is Verdict.UNKNOWN, r.reason
        assert "may differ from the file" in r.reason


def test_gas11_against_a_copy_with_rows_scaled_by_one_half(tmp_path):
    src = need(HIGHS_CHECK / "gas11.mps")
    m = read_model(src)
    assert np.abs(m.A.data).min() < 1.3e-9  # entries near HiGHS's default cut are kept
    scaled = MilpData.build(
        c=m.c,
        A=m.A * 0.5,
        row_lower=m.row_lower * 0.5,
        row_upper=m.row_upper * 0.5,
        col_lower=m.col_lower,
        col_upper=m.col_upper,
        integer=m.integer,
        sense=m.sense,
        offset=m.offset,
        var_names=m.var_names,
        row_names=m.row_names,
    )
    path = write_mps(scaled, tmp_path / "gas11-half.mps")
    assert read_model(path).nnz == m.nnz
    r = check(src, path)
    assert r.verdict is Verdict.EQUIVALENT, r.reason
    # one of the tiny entries changed: told apart
    data = m.A.data.copy()
    data[np.argmin(np.abs(data))] *= 3
    changed = MilpData.build(
        c=m.c,
        A=type(m.A)((data, m.A.indices, m.A.indptr), shape=m.A.shape),
        row_lower=m.row_lower,
        row_upper=m.row_upper,
        col_lower=m.col_lower,
        col_upper=m.col_upper,
        integer=m.integer,
        sense=m.sense,
        offset=m.offset,
        var_names=m.var_names,
        row_names=m.row_names,
    )
    path2 = write_mps(changed, tmp_path / "gas11-changed.mps")
    assert check(src, path2).verdict is Verdict.NOT_EQUIVALENT


# --------------------------------------------------------------------------- huge bounds

HUGE = """NAME HUGE
ROWS
 N obj
 L c1
COLUMNS
 x obj -1 c1 1
 y obj 1 c1 1
RHS
 rhs c1 10
BOUNDS
{bounds}
ENDATA
"""


def test_huge_bounds_are_kept_as_written_and_a_solver_dependent_pair_is_unknown(tmp_path):
    def f(name: str, bounds: str) -> Path:
        p = tmp_path / name
        p.write_text(HUGE.format(bounds=bounds))
        return p

    e25 = f("e25.mps", " UP bnd y 1e25")
    e30 = f("e30.mps", " UP bnd y 1e30")
    free = f("free.mps", " PL bnd y")
    ten = f("ten.mps", " UP bnd y 10")
    m = read_model(e25)
    assert m.col_upper[1] == 1e25
    assert any("1e20" in s for s in m.read_steps)
    assert check(e25, e25).verdict is Verdict.EQUIVALENT
    for level in LEVELS:
        # finite as written they differ, infinite (HiGHS/CPLEX) they are the same: unknown
        for other in (e30, free):
            r = check(e25, other, level=level)
            assert r.verdict is Verdict.UNKNOWN, (level, other.name, r.reason)
            assert "1e20" in r.reason
        # different whichever way huge bounds are read
        assert check(e25, ten, level=level).verdict is Verdict.NOT_EQUIVALENT


# --------------------------------------------------------------------------- comments


def test_inline_comments_are_removed_and_recorded(tmp_path):
    src = need(HIGHS_CHECK / "comment.mps")
    m = read_model(src)
    assert any("inline comments" in s for s in m.read_steps)
    assert (m.num_vars, m.num_rows) == (2, 3)
    # the same model without comments
    clean = tmp_path / "clean.mps"
    clean.write_text(
        "NAME Comment\nROWS\n N COST\n G R0\n G R1\n G R2\nCOLUMNS\n"
        "    C0 R0 1.0 COST -1.0\n    C0 R1 -1.0\n    C0 R2 -1.0\n"
        "    C1 R0 1.0 COST -2.0\n    C1 R1 -1.0\n    C1 R2 -1.0\n"
        "RHS\n    DEMANDS R0 1.0 R1 -2.0\n    DEMANDS R2 -2.0\n"
        "RANGES\n    test R0 1\nBOUNDS\n UP SERVINGS C0 1.0\nENDATA\n"
    )
    assert check(src, clean).verdict is Verdict.EQUIVALENT
    from optiscribe.verify import solver_opinion

    op = solver_opinion(m, m)
    assert op.reference_objective == pytest.approx(-4.0)


# --------------------------------------------------------------------------- constants

GUROBI_LP = r"""\ LP format - for model browsing. Use MPS format to capture full model detail.
Minimize
  2 x[0] + 3 x[1] + 16455088.61 Constant
Subject To
 cap: x[0] + x[1] >= 1
Bounds
 Constant = 1
End
"""


def test_gurobi_constant_column_is_the_objective_constant_at_strict(tmp_path):
    lp = tmp_path / "gurobi.lp"
    lp.write_text(GUROBI_LP)
    m = read_model(lp)
    assert m.var_names == ("x[0]", "x[1]") and m.offset == pytest.approx(16455088.61)
    assert any("Constant" in s for s in m.read_steps)
    same = milp([[1, 1]], [2, 3], lo=[1], offset=16455088.61, var_names=["x[0]", "x[1]"])
    other = milp([[1, 1]], [2, 3], lo=[1], offset=16455088.0, var_names=["x[0]", "x[1]"])
    r = check(lp, same)
    assert r.verdict is Verdict.EQUIVALENT, r.reason
    assert check(lp, other).verdict is Verdict.NOT_EQUIVALENT
    # a fixed column that is in a row is a variable at strict, never folded
    in_row = tmp_path / "in_row.lp"
    in_row.write_text(GUROBI_LP.replace("x[0] + x[1] >= 1", "x[0] + x[1] + Constant >= 1"))
    assert "Constant" in read_model(in_row).var_names


# --------------------------------------------------------------------------- infeasible bounds


def test_crossing_bounds_are_infeasible_at_every_level():
    crossing = milp([[1, 1]], [1, 1], hi=[10], lb=[5, 0], ub=[3, 5])
    fixed = milp([[1, 1]], [1, 1], hi=[10], lb=[5, 0], ub=[5, 5])
    for level in LEVELS:
        r = check(crossing, fixed, level=level)
        assert r.verdict is Verdict.NOT_EQUIVALENT, (level, r.reason)
        assert "infeasible" in r.reason


def test_an_integer_fixed_at_a_fractional_value_is_infeasible_at_every_level():
    frac_int = milp([[1, 1]], [1, 1], hi=[10], lb=[0.5, 0], ub=[0.5, 5], integer=[True, False])
    frac_cont = milp([[1, 1]], [1, 1], hi=[10], lb=[0.5, 0], ub=[0.5, 5])
    for level in LEVELS:
        r = check(frac_int, frac_cont, level=level)
        assert r.verdict is Verdict.NOT_EQUIVALENT, (level, r.reason)
        assert "infeasible" in r.reason
    # two infeasible models are not passed off as reductions of feasible ones
    r = check(frac_int, frac_int, level="normalized")
    assert any("empty domain" in s for s in r.steps)


def test_lp_and_gzip_files_are_read_as_written_too(tmp_path):
    import gzip

    lp = "Minimize\n obj: - x + y\nSubject To\n c1: x {coef} y <= 1\nBounds\n x <= 1000\n y <= 1e12\nEnd\n"
    kept = tmp_path / "kept.lp"
    kept.write_text(lp.format(coef="- 5e-10"))
    assert read_model(kept).A.toarray()[0, 1] == -5e-10
    dropped = tmp_path / "dropped.lp.gz"
    dropped.write_bytes(gzip.compress(lp.format(coef="- 5e-13").encode()))
    m = read_model(dropped)
    assert m.inexact and "5e-13" in m.inexact[0]
    zero = tmp_path / "zero.mps.gz"
    zero.write_bytes(gzip.compress(TINY.format(coef="0").encode()))
    assert check(kept, zero).verdict is Verdict.NOT_EQUIVALENT
    assert check(dropped, zero).verdict is Verdict.UNKNOWN
