"""Readers: MPS/LP through highspy, Gurobi-style names, Pyomo, the IR by duck typing, and
bad or unsupported input."""

from __future__ import annotations

import gzip
import os
from dataclasses import replace

import numpy as np
import pyomo.environ as pyo
import pytest

from optiscribe.verify import (
    MilpData,
    ModelReadError,
    UnsupportedModelError,
    Verdict,
    _model,
    check,
    read_model,
)
from optiscribe.verify._read import fold_objective_constant, read_file
from optiscribe.verify.errors import VerifyError

from .conftest import HIGHS_CHECK, need

GUROBI_LP = """\\ LP format - for model browsing. Use MPS format to capture full model detail.
Minimize
  2 x[0,1] + 3 x[1,0] + y
Subject To
 cap[0]: x[0,1] + x[1,0] <= 4
 link: x[0,1] - y >= -1
Bounds
 y <= 9
Generals
 x[0,1] x[1,0]
End
"""

PLAIN_LP = """Minimize
  3 b + y + 2 a
Subject To
 c1: b + a <= 4
 c2: a - y >= -1
Bounds
 y <= 9
Generals
 a b
End
"""


def test_gurobi_style_names_read_and_are_kept(tmp_path):
    p = tmp_path / "g.lp"
    p.write_text(GUROBI_LP)
    m = read_model(p)
    assert set(m.var_names) == {"x[0,1]", "x[1,0]", "y"}
    assert set(m.row_names) == {"cap[0]", "link"}
    assert m.integer.sum() == 2
    q = tmp_path / "plain.lp"
    q.write_text(PLAIN_LP)
    r = check(p, q)
    assert r.verdict is Verdict.EQUIVALENT
    assert dict(r.certificate.variables) == {"x[0,1]": "a", "x[1,0]": "b", "y": "y"}


def test_mps_and_lp_of_the_same_model_are_equivalent(tmp_path):
    import highspy

    src = tmp_path / "m.lp"
    src.write_text(PLAIN_LP)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(src))
    out = tmp_path / "m.mps"
    h.writeModel(str(out))
    gz = tmp_path / "m.mps.gz"
    gz.write_bytes(gzip.compress(out.read_bytes()))
    assert check(src, out).verdict is Verdict.EQUIVALENT
    assert check(src, gz).verdict is Verdict.EQUIVALENT


@pytest.mark.parametrize(
    "name,feature",
    [
        ("2821-quadobj.mps", "quadratic objective"),
        ("qptestnw.lp", "quadratic terms"),
        ("qcqp.lp", "quadratic terms"),
        ("semi-continuous.mps", "semi-continuous variable"),
        ("semi-integer.lp", "semi-continuous variable"),
    ],
)
def test_unsupported_files_are_reported_not_dropped(name, feature):
    path = need(HIGHS_CHECK / name)
    with pytest.raises(UnsupportedModelError) as ei:
        read_model(path)
    assert feature in ei.value.features
    r = check(path, path)
    assert r.verdict is Verdict.UNSUPPORTED and feature in r.reason


def test_sos_and_indicator_sections_are_unsupported(tmp_path):
    sos = tmp_path / "sos.lp"
    sos.write_text("Minimize\n x + y\nSubject To\n c: x + y >= 1\nSOS\n s1: S1:: x:1 y:2\nEnd\n")
    ind = tmp_path / "ind.lp"
    ind.write_text("Minimize\n x + y\nSubject To\n c: b = 1 -> x + y >= 1\nBinaries\n b\nEnd\n")
    mps = tmp_path / "ind.mps"
    mps.write_text(
        "NAME t\nROWS\n N obj\n L c\nCOLUMNS\n x obj 1 c 1\nRHS\n rhs c 1\n"
        "INDICATORS\n IF c b 1\nENDATA\n"
    )
    for p, feat in (
        (sos, "SOS constraint"),
        (ind, "indicator constraint"),
        (mps, "indicator constraint"),
    ):
        with pytest.raises(UnsupportedModelError) as ei:
            read_model(p)
        assert feat in ei.value.features


@pytest.mark.parametrize(
    "content,fragment",
    [
        ("", "empty"),
        ("NAME x\nROWS\n N obj\nCOLUMNS\n x obj 1\n", "truncated"),
        ("Minimize\n x + y\nSubject To\n c: x + y >= 1\n", "truncated"),
        ("\\^%(^%(T&*)(lksz\nfoo\n", "not a CPLEX LP"),
    ],
)
def test_bad_files_raise_a_clear_read_error(tmp_path, content, fragment):
    ext = ".mps" if content.startswith("NAME") else ".lp"
    p = tmp_path / f"bad{ext}"
    p.write_text(content)
    with pytest.raises(ModelReadError) as ei:
        read_model(p)
    assert fragment in str(ei.value) and str(p) in str(ei.value)
    assert isinstance(ei.value, VerifyError)


def test_mismatched_format_and_missing_file(tmp_path):
    p = tmp_path / "model.mps"
    p.write_text(PLAIN_LP)
    with pytest.raises(ModelReadError, match="looks like a CPLEX LP file"):
        read_model(p)
    with pytest.raises(ModelReadError, match="no such file"):
        read_model(tmp_path / "nope.mps")
    with pytest.raises(ModelReadError, match="unknown model format"):
        read_model(tmp_path / "model.txt")
    with pytest.raises(ModelReadError, match="cannot read an object"):
        read_model(42)


def test_nan_in_a_file_is_bad_input():
    for name in ("nan0.mps", "nan1.mps"):
        with pytest.raises(ModelReadError, match="NaN"):
            read_model(need(HIGHS_CHECK / name))


def furniture():
    m = pyo.ConcreteModel()
    m.P = pyo.Set(initialize=["chairs", "tables"])
    m.x = pyo.Var(m.P, within=pyo.NonNegativeIntegers)
    m.y = pyo.Var(bounds=(0, 5))
    m.wood = pyo.Constraint(expr=2 * m.x["chairs"] + 5 * m.x["tables"] <= 40)
    m.rng = pyo.Constraint(expr=pyo.inequality(1, m.x["chairs"] - m.y, 8))
    m.obj = pyo.Objective(
        expr=30 * m.x["chairs"] + 70 * m.x["tables"] + m.y + 5, sense=pyo.maximize
    )
    return m


def test_pyomo_names_ranges_and_objective_constant():
    m = read_model(furniture())
    assert set(m.var_names) == {"x[chairs]", "x[tables]", "y"}
    assert m.row_names == ("wood", "rng")
    assert m.sense == -1 and m.offset == 5.0
    i = m.row_names.index("rng")
    assert (m.row_lower[i], m.row_upper[i]) == (1.0, 8.0)


def test_pyomo_fixed_variables_are_kept_and_model_restored():
    model = furniture()
    model.y.fix(2)
    m = read_model(model)
    j = m.var_names.index("y")
    assert m.col_lower[j] == m.col_upper[j] == 2
    assert model.y.fixed and model.y.value == 2 and model.y.ub == 5


def test_pyomo_quadratic_and_sos_are_unsupported():
    m = furniture()
    m.q = pyo.Constraint(expr=m.y * m.y <= 3)
    assert check(m, furniture()).verdict is Verdict.UNSUPPORTED
    m2 = furniture()
    m2.s = pyo.SOSConstraint(var=m2.x, sos=1)
    assert check(m2, furniture()).verdict is Verdict.UNSUPPORTED


class StandInIR:
    """Stands in for optiscribe.formulate.ir.model.Formulation: anything with to_pyomo()."""

    def to_pyomo(self):
        return furniture()


def test_ir_by_duck_typing_and_pyomo_versus_file(tmp_path):
    r = check(StandInIR(), furniture())
    assert r.verdict is Verdict.EQUIVALENT
    assert r.certificate.variables["x[chairs]"] == "x[chairs]"
    # Pyomo's LP writer turns the objective constant into a fixed column ONE_VAR_CONSTANT;
    # the reader folds it back into the objective constant (a recorded step), so the
    # export is the same model at the strict level
    path = tmp_path / "f.lp"
    furniture().write(str(path), io_options={"symbolic_solver_labels": True})
    r = check(StandInIR(), path)
    assert r.verdict is Verdict.EQUIVALENT
    assert r.certificate.variables["x[chairs]"] == "x(chairs)"  # raw names in the data
    assert r.certificate.display("x(chairs)", "candidate") == "x[chairs]"
    assert any("ONE_VAR_CONSTANT" in s for s in r.steps)
    assert "ONE_VAR_CONSTANT" not in r.certificate.variables.values()
    r = check(StandInIR(), path, level="normalized")
    assert r.verdict is Verdict.EQUIVALENT
    assert not any("ONE_VAR_CONSTANT" in e for e in r.certificate.candidate_eliminated)


def test_failing_to_pyomo_is_a_read_error():
    class Broken:
        def to_pyomo(self):
            raise RuntimeError("no data")

    with pytest.raises(ModelReadError, match="to_pyomo"):
        read_model(Broken())


def test_milpdata_is_immutable_and_validated():
    m = read_model(furniture())
    with pytest.raises(ValueError):
        m.c[0] = 1.0
    with pytest.raises(ValueError):
        m.A.data[0] = 1.0
    with pytest.raises(ModelReadError, match="NaN"):
        MilpData.build(c=[np.nan], A=np.zeros((0, 1)), row_lower=[], row_upper=[])
    assert m.summary().startswith("MILP with 3 variables")


def _highs_as_scipy(path):
    """The matrix as HiGHS reads it, converted by scipy (the general path)."""
    import highspy
    import scipy.sparse as sp

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    lp = h.getLp()
    a = lp.a_matrix_
    mat = sp.csc_array((a.value_, a.index_, a.start_), shape=(lp.num_row_, lp.num_col_)).tocsr()
    mat.sum_duplicates()
    mat.eliminate_zeros()
    return mat


@pytest.mark.parametrize("name", ["afiro.mps", "adlittle.mps", "egout.mps", "issue-2388.lp"])
def test_fast_matrix_conversion_gives_the_general_paths_matrix(name):
    path = need(HIGHS_CHECK / name)
    m = read_model(path)
    ref = _highs_as_scipy(path)
    assert m.A.has_canonical_format
    assert np.array_equal(m.A.indptr, ref.indptr)
    assert np.array_equal(m.A.indices, ref.indices)
    assert np.array_equal(m.A.data, ref.data)


def test_fast_matrix_conversion_declines_repeats_zeros_and_bad_indices():
    from optiscribe.verify._read import _canonical_csr

    start = np.array([0, 2, 3])
    # column 0 holds rows 1 and 0 (any order), column 1 row 0: CSR rows sorted by column
    got = _canonical_csr(start, np.array([1, 0, 0]), np.array([2.0, 3.0, 4.0]), 2, 2)
    assert got is not None
    assert got.toarray().tolist() == [[3.0, 4.0], [2.0, 0.0]]
    assert got.indices.tolist() == [0, 1, 0]
    # a repeated (row, column) entry, an explicit zero, a row index out of range and a
    # broken start vector all go to the general path (None), never through silently
    assert _canonical_csr(start, np.array([0, 0, 0]), np.array([1.0, 1.0, 1.0]), 2, 2) is None
    assert _canonical_csr(start, np.array([1, 0, 0]), np.array([2.0, 0.0, 4.0]), 2, 2) is None
    assert _canonical_csr(start, np.array([1, 2, 0]), np.array([2.0, 3.0, 4.0]), 2, 2) is None
    assert _canonical_csr(np.array([0, 3, 2]), np.array([1, 0, 0]), np.ones(3), 2, 2) is None


def test_file_reading_errors_name_the_file_and_the_problem(tmp_path):
    # _read_bytes reads with descriptor calls (issue 11, small-model speed): the same
    # messages as with open(), and a FIFO is refused without blocking
    fifo = tmp_path / "pipe.mps"
    os.mkfifo(fifo)
    empty = tmp_path / "empty.mps"
    empty.write_bytes(b"")
    folder = tmp_path / "folder.mps"
    folder.mkdir()
    for path, words in (
        (folder, "is a directory"),
        (fifo, "not a regular file"),
        (tmp_path / "missing.mps", "no such file"),
        (empty, "empty"),
    ):
        with pytest.raises(ModelReadError, match=words) as info:
            read_model(path)
        assert str(path) in str(info.value)


def _folded_by_build(m: MilpData) -> MilpData:
    """The folding's reference: the columns the rule drops (a nonzero cost, in no row,
    fixed at a finite value, an integer one at an integer value) removed by slicing the
    matrix and building the model anew (the general construction)."""
    import scipy.sparse as sp

    col_nnz = np.bincount(m.A.indices, minlength=m.num_vars)
    lo, hi = m.col_lower, m.col_upper
    drop = (col_nnz == 0) & (m.c != 0) & np.isfinite(lo) & (lo == hi)
    drop &= ~m.integer | (np.floor(lo) == lo)
    keep = np.flatnonzero(~drop)
    return MilpData.build(
        c=m.c[keep],
        A=sp.csr_array(m.A)[:, keep],
        row_lower=m.row_lower,
        row_upper=m.row_upper,
        col_lower=lo[keep],
        col_upper=hi[keep],
        integer=m.integer[keep],
        sense=m.sense,
        offset=m.offset + float(np.dot(m.c[drop], lo[drop])),
        var_names=[m.var_names[j] for j in keep.tolist()],
        row_names=list(m.row_names),
        source=m.source,
        infinity=np.inf,
    )


def test_folding_renumbers_the_matrix_into_the_model_build_makes():
    """Dropping fixed objective-only columns renumbers the matrix's columns instead of
    slicing and rebuilding it (80bau3b's 107 such columns cost as much as reading the
    file): the same model, array for array (80bau3b and random models with such columns
    anywhere, integer ones too)."""
    from .test_tiny_read import identical

    models = [read_file(need(HIGHS_CHECK) / "80bau3b.mps")]
    rng = np.random.default_rng(4)
    for _ in range(30):
        m, n = int(rng.integers(1, 30)), int(rng.integers(2, 40))
        A = rng.integers(-3, 4, size=(m, n)) * (rng.random((m, n)) < 0.3)
        free = rng.random(n) < 0.3  # these columns leave the matrix and get fixed
        A[:, free] = 0
        lo = np.where(free, rng.integers(-5, 5, size=n) / 2, 0.0)
        hi = np.where(free, lo, 10.0)
        models.append(
            MilpData.build(
                c=rng.integers(-4, 5, size=n).astype(float),
                A=A.astype(float),
                row_lower=np.full(m, -np.inf),
                row_upper=rng.integers(0, 9, size=m).astype(float),
                col_lower=lo,
                col_upper=hi,
                integer=rng.random(n) < 0.5,
            )
        )
    folded = 0
    for m in models:
        out = fold_objective_constant(m)
        if out is m:
            continue
        folded += 1
        ref = _folded_by_build(m)
        # the index arrays keep the model's dtypes (build picks the smallest)
        assert (out.A.indices.dtype, out.A.indptr.dtype) == (m.A.indices.dtype, m.A.indptr.dtype)
        same_dtypes = _model.canonical_csr(
            ref.A.data,
            ref.A.indices.astype(m.A.indices.dtype),
            ref.A.indptr.astype(m.A.indptr.dtype),
            ref.A.shape,
        )
        ref = replace(ref, A=_model._freeze_sparse(same_dtypes), read_steps=out.read_steps)
        assert not identical(out, ref), m.source
    assert folded >= 20
