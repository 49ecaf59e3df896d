"""prepare's arrays in C (``verify/_canonc.c``, issue 11): ``_canon._prepare_arrays``
gives the same Prepared with or without the compiled module, bit for bit (every array's
bytes, dtype, shape and flags; the steps; the reasons), on every highs-check instance,
both files of the end-to-end benchmark's pairs, the reader corpora, edge models and
random models; where the module declines a model the numpy code runs; and ``check``
answers the same with and without it on the end-to-end pairs and the FormulationBench
pairs.

In CI (``OPTISCRIBE_REQUIRE_COMPILED=1``, set by ``.ci/run``) the module must be built;
elsewhere its tests are skipped where no C compiler built it."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from optiscribe.verify import (
    ModelReadError,
    UnsupportedModelError,
    _canon,
    _model,
    check,
    read_model,
)
from tests._support.reader_fuzz import make_corpus

from .conftest import FORMULATION_BENCH, HIGHS_CHECK, milp, need, permuted
from .test_small_path import LEVELS, _edge_models
from .test_tiny_read import _corpus

built = pytest.mark.skipif(
    _canon._canonc is None, reason="verify/_canonc.c is not built (no C compiler at install)"
)
BENCH = Path(__file__).resolve().parents[2] / "bench"
FLAGS = ("c_contiguous", "f_contiguous", "owndata", "writeable", "aligned", "writebackifcopy")
ARRAYS = ("cost", "lb", "ub", "integer", "rhs", "is_eq", "orig_row", "side", "scale")


def test_the_compiled_prepare_is_built_where_ci_requires_it():
    if os.environ.get("OPTISCRIBE_REQUIRE_COMPILED") == "1":
        assert _canon._canonc is not None, "verify/_canonc.c was not built: is gcc there?"
    elif _canon._canonc is None:
        pytest.skip("not built here, and not required")


def _python(m):
    """``_prepare_arrays`` with the module switched off: the numpy code."""
    saved, _canon._canonc = _canon._canonc, None
    try:
        return _canon._prepare_arrays(m)
    finally:
        _canon._canonc = saved


def _arrays(p):
    out = {f: getattr(p, f) for f in ARRAYS}
    out["folded_rows"] = p.folded_rows
    out.update(zip(("rows.indptr", "rows.indices", "rows.data"), p.rows[:3]))
    return out


def _differences(got, want):
    """What differs between two Prepared (empty: nothing, bit for bit)."""
    diff = []
    for what in ("steps", "infeasible", "offset", "model"):
        if getattr(got, what) != getattr(want, what) and what != "model":
            diff.append(what)
    if got.model is not want.model:
        diff.append("model")
    if got.rows.shape != want.rows.shape:
        diff.append("rows.shape")
    ga, wa = _arrays(got), _arrays(want)
    for f, a in ga.items():
        diff += array_differences(f, a, wa[f])
    return diff


def array_differences(name, a, b):
    """How array ``a`` differs from ``b``, bit for bit: ``name type`` (not an array, or
    another dtype or shape), ``name bytes`` or ``name flags``; empty when it does not."""
    if type(a) is not np.ndarray or a.dtype != b.dtype or a.shape != b.shape:
        return [f"{name} type"]
    if a.tobytes() != b.tobytes():
        return [f"{name} bytes"]
    if [getattr(a.flags, k) for k in FLAGS] != [getattr(b.flags, k) for k in FLAGS]:
        return [f"{name} flags"]
    return []


def _same(m, *, handled=None):
    """The compiled and numpy versions of ``m``'s prepare are the same; returns whether
    the module took the model (``handled``: what it must answer)."""
    got = _canon._prepare_compiled(m)
    if handled is not None:
        assert (got is not None) == handled, m.source
    want = _python(m)
    if got is None:
        # declined: _prepare_arrays runs the numpy code
        assert _differences(_canon._prepare_arrays(m), want) == [], m.source
        return False
    assert _differences(got, want) == [], (m.source, _differences(got, want))
    assert _differences(_canon._prepare_arrays(m), want) == [], m.source
    return True


def _int64(m):
    """``m`` with int64 indices (the reader's), ``milp``'s are scipy's int32."""
    A = m.A
    A64 = _model.canonical_csr(
        A.data.copy(), A.indices.astype(np.int64), A.indptr.astype(np.int64), A.shape
    )
    return dataclasses.replace(m, A=A64)


def _readable(paths):
    for p in paths:
        try:
            yield read_model(p)
        except (ModelReadError, UnsupportedModelError):
            continue


def _e2e_pairs(tmp_path, max_nnz):
    sys.path.insert(0, str(BENCH))
    try:
        # lazy: a benchmark script (bench/ on the path only for this import)
        import verify_e2e_bench
    finally:
        sys.path.remove(str(BENCH))
    return list(verify_e2e_bench.pairs(tmp_path, False, max_nnz))


@built
def test_compiled_prepare_equals_numpy_on_the_instances(tmp_path):
    models = list(_readable(sorted(need(HIGHS_CHECK).glob("*"))))
    for _, a, b in _e2e_pairs(tmp_path, 10_000):
        models += list(_readable([a, b]))
    models += [_int64(m) for m in models]
    handled = sum(_same(m) for m in models)
    assert handled >= 100, handled


def _corpus_files(tmp_path, seed):
    """The reader corpora as files: the tiny reader's cases and 400 fuzzed files."""
    paths = []
    (tmp_path / "files").mkdir()
    for k, (_, raw) in enumerate(_corpus(tmp_path)):
        path = tmp_path / "files" / f"c{k}.mps"
        path.write_bytes(raw)
        paths.append(path)
    (tmp_path / "fuzz").mkdir()
    return paths + make_corpus(tmp_path / "fuzz", seed=seed, n=400)


@built
def test_compiled_prepare_equals_numpy_on_the_reader_corpora(tmp_path):
    handled = sum(_same(m) for m in _readable(_corpus_files(tmp_path, 12)))
    assert handled >= 300, handled


def random_model(rng: np.random.Generator, m: int, n: int, *, ints: bool = True):
    """Every branch of prepare at random: empty rows (feasible or not), free rows,
    singleton rows of both signs (free ones too, several on one column), ranged rows,
    equalities (exact, within EQ_TOL and at it), '<=' and '>=' rows, integer columns with
    fractional, -0.0, huge and crossing bounds, infinite bounds, ties between bounds."""
    pool = np.array([-0.0, 0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-10, -1e-10, 1e16, 7.3, -7.3])
    rows = []
    lo = np.empty(m)
    hi = np.empty(m)
    for i in range(m):
        kind = rng.integers(8)
        k = 0 if kind == 0 else 1 if kind == 1 else int(rng.integers(2, max(3, n + 1)))
        coef = np.zeros(n)
        if k:
            cols = rng.choice(n, size=min(k, n), replace=False)
            coef[cols] = rng.choice([1.0, -1.0, 2.0, -0.5, 3.0, 1e-3, -7.0], size=cols.size)
        rows.append(coef)
        a, b = rng.choice(pool), rng.choice(pool)
        shape = rng.integers(7)
        if shape == 0:
            lo[i], hi[i] = -np.inf, np.inf
        elif shape == 1:
            lo[i], hi[i] = a, a
        elif shape == 2:  # within EQ_TOL, or exactly at it
            lo[i], hi[i] = (a, a + abs(a) * 1e-13) if rng.integers(2) else (-1e-12, 0.0)
        elif shape == 3:
            lo[i], hi[i] = -np.inf, a
        elif shape == 4:
            lo[i], hi[i] = a, np.inf
        else:
            lo[i], hi[i] = min(a, b), max(a, b) + (shape == 6)
    lb = rng.choice(np.concatenate([pool, [-np.inf]]), size=n)
    ub = rng.choice(np.concatenate([pool, [np.inf]]), size=n)
    integer = rng.random(n) < 0.5 if ints else np.zeros(n, dtype=bool)
    return milp(
        np.array(rows).reshape(m, n),
        rng.choice(pool, size=n),
        lo=lo,
        hi=hi,
        lb=lb,
        ub=ub,
        integer=integer,
        sense=int(rng.choice([1, -1])),
        offset=float(rng.choice(pool)),
    )


@built
def test_compiled_prepare_equals_numpy_on_random_and_edge_models():
    rng = np.random.default_rng(1103)
    models = list(_edge_models())
    for trial in range(600):
        m, n = int(rng.integers(0, 12)), int(rng.integers(1, 8))
        models.append(random_model(rng, m, n, ints=trial % 5 != 0))
    models += [permuted(m, seed=k) for k, m in enumerate(models[:100])]
    models += [_int64(m) for m in models]
    assert sum(_same(m, handled=True) for m in models) == len(models)
    # not vacuous: every step and both reasons occur
    texts = " ".join(t for m in models for t in (*_python(m).steps, *_python(m).infeasible))
    for text in ("empty rows", "free rows", "singleton", "rounded", "ranged", "negated"):
        assert text in texts, text
    assert "scaled" in texts and "empty domain" in texts and "requires" in texts


def _tie_models():
    # a singleton row's bound equal to the column's but for the sign of zero (bell5 has
    # one: 0 <= x and -x <= 0), with crossing bounds so that the reason prints the zero
    inf = np.inf
    for lb, lo in ((-0.0, 0.0), (0.0, -0.0)):
        for a in (1.0, -1.0):  # -x <= -lo: the bound is -lo / -1
            rows = [[a, 0.0], [1.0, 1.0]]
            lo_, hi_ = ([lo, -inf], [inf, 1]) if a > 0 else ([-inf, -inf], [-lo, 1])
            yield milp(rows, [1, 1], lo=lo_, hi=hi_, lb=[lb, 0], ub=[-1, 1])
            yield milp(rows[::-1], [1, 1], lo=lo_[::-1], hi=hi_[::-1], lb=[lb, 0], ub=[-1, 1])
    for ub, hi in ((-0.0, 0.0), (0.0, -0.0)):
        yield milp(
            [[1.0, 0.0], [1.0, 1.0]], [1, 1], lo=[-inf, -inf], hi=[hi, 1], lb=[1, 0], ub=[ub, 1]
        )


@built
def test_ties_and_signed_zeros_in_the_folded_bounds():
    # which zero np.maximum.at / np.minimum.at keep depends on the platform's numpy
    # (_canon._zero_ties asks it); the reason of the empty domain prints it
    models = list(_tie_models())
    for m in models:
        assert _same(m, handled=True)
        assert _same(_int64(m), handled=True)
        assert "empty domain" in _python(m).infeasible[0]
    # the other answer on a tie (the other platform's) is caught: every reason differs
    for m in models:
        A = m.A
        args = (A.indptr, A.indices, A.data, m.row_lower, m.row_upper, m.col_lower, m.col_upper)
        args += (m.integer, A.indices.dtype, _canon.ZERO_TOL, _canon.EQ_TOL)
        right = _canon._canonc.prepare(*args, _canon._ZERO_TIES)
        wrong = _canon._canonc.prepare(*args, _canon._ZERO_TIES ^ 15)
        assert [repr(v) for v in right[15][0]] != [repr(v) for v in wrong[15][0]]  # its bounds
    inf = np.inf
    for lb, lo in ((0.0, 0.0), (-0.0, -0.0), (-0.0, 1.0), (0.0, -1.0)):  # no tie
        m = milp([[1.0, 0.0], [1.0, 1.0]], [1, 1], lo=[lo, -inf], hi=[inf, 1], lb=[lb, 0])
        assert _same(m, handled=True)


@built
def test_each_tie_bit_decides_its_own_case():
    # the four cases of _zero_ties, one model each: (maximum or minimum, current, new)
    inf = np.inf
    cases = [
        (
            milp(
                [[1.0, 1.0], [1.0, 0.0]],
                [1, 1],
                lo=[-inf, -0.0],
                hi=[1, inf],
                lb=[0.0, 0],
                ub=[-1, 1],
            ),
            1,
            -0.0,
        ),
        (
            milp(
                [[1.0, 1.0], [1.0, 0.0]],
                [1, 1],
                lo=[-inf, 0.0],
                hi=[1, inf],
                lb=[-0.0, 0],
                ub=[-1, 1],
            ),
            1,
            0.0,
        ),
        (
            milp(
                [[1.0, 1.0], [1.0, 0.0]],
                [1, 1],
                lo=[-inf, -inf],
                hi=[1, -0.0],
                lb=[1, 0],
                ub=[0.0, 1],
            ),
            2,
            -0.0,
        ),
        (
            milp(
                [[1.0, 1.0], [1.0, 0.0]],
                [1, 1],
                lo=[-inf, -inf],
                hi=[1, 0.0],
                lb=[1, 0],
                ub=[-0.0, 1],
            ),
            2,
            0.0,
        ),
    ]
    for k, (m, field, new) in enumerate(cases):
        A = m.A
        args = (A.indptr, A.indices, A.data, m.row_lower, m.row_upper, m.col_lower, m.col_upper)
        args += (m.integer, A.indices.dtype, _canon.ZERO_TOL, _canon.EQ_TOL)
        for ties in range(16):
            (bad,) = _canon._canonc.prepare(*args, ties)[15]
            new_wins = bool(ties >> k & 1)
            assert np.signbit(bad[field]) == (
                np.signbit(new) if new_wins else not np.signbit(new)
            ), (k, ties)


def test_zero_ties_are_numpys():
    want = [np.maximum, np.maximum, np.minimum, np.minimum]
    for k, (op, cur, new) in enumerate(zip(want, (0.0, -0.0, 0.0, -0.0), (-0.0, 0.0, -0.0, 0.0))):
        x = np.array([cur])
        op.at(x, [0], [new])
        assert bool(_canon._ZERO_TIES >> k & 1) == (np.signbit(x[0]) == np.signbit(new)), k


@built
def test_declined_models_run_the_numpy_code():
    # a zero kept in a canonical row (the numpy code drops it with scipy), a NaN
    # coefficient, integer bounds
    m = milp([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]], [1, 1, 1], lo=[0, 1], hi=[4, 1])
    A = m.A
    data = A.data.copy()
    data[0] = 0.0
    zero = dataclasses.replace(
        m,
        A=_model.canonical_csr(
            data, A.indices.astype(np.int64), A.indptr.astype(np.int64), A.shape
        ),
    )
    assert not _same(zero, handled=False)
    data[0] = np.nan
    nan = dataclasses.replace(
        m,
        A=_model.canonical_csr(
            data, A.indices.astype(np.int64), A.indptr.astype(np.int64), A.shape
        ),
    )
    assert not _same(nan, handled=False)
    ints = dataclasses.replace(m, col_lower=np.zeros(3, dtype=np.int64))
    assert _canon._prepare_compiled(ints) is None
    # a matrix not marked canonical: _prepare_arrays does not call the module at all
    calls = []
    saved = _canon._prepare_compiled
    try:
        _canon._prepare_compiled = lambda model: calls.append(model)  # type: ignore[assignment]
        loose = dataclasses.replace(m, A=sp.csr_array((A.data, A.indices, A.indptr), shape=A.shape))
        loose.A.has_canonical_format = False
        _canon._prepare_arrays(loose)
        assert calls == []
        _canon._prepare_arrays(m)
        assert calls == [m]
    finally:
        _canon._prepare_compiled = saved  # type: ignore[assignment]


@built
def test_deliberate_breakages_are_caught():
    # the comparison sees each kind of difference the module could make
    m = next(m for m in _edge_models() if m.num_rows > 5)
    want = _python(m)
    got = _canon._prepare_compiled(m)
    assert got is not None and _differences(got, want) == []

    def broken(**kw):
        return dataclasses.replace(got, **kw)

    lb = got.lb.copy()
    k = int(np.flatnonzero(lb == 0)[0])
    lb[k] = -0.0  # a zero's sign
    assert _differences(broken(lb=lb), want) == ["lb bytes"]
    assert _differences(broken(lb=got.lb[::-1].copy()), want) == ["lb bytes"]
    assert _differences(broken(orig_row=got.orig_row.astype(np.int32)), want) == ["orig_row type"]
    view = np.empty(got.rhs.size + 1)[1:]
    view[:] = got.rhs
    assert _differences(broken(rhs=view), want) == ["rhs flags"]
    ro = got.scale.copy()
    ro.flags.writeable = False
    assert _differences(broken(scale=ro), want) == ["scale flags"]
    assert _differences(broken(steps=got.steps[::-1]), want) == ["steps"]
    assert _differences(broken(infeasible=got.infeasible[:-1]), want) == ["infeasible"]
    idx = got.rows.indices.astype(np.int64)
    assert _differences(broken(rows=got.rows._replace(indices=idx)), want) == ["rows.indices type"]


def _fb_pairs():
    need(FORMULATION_BENCH)
    spec = importlib.util.spec_from_file_location(
        "verify_formulation_bench", BENCH / "verify_formulation_bench.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules["verify_formulation_bench"] = mod
    spec.loader.exec_module(mod)
    out = []
    for pr in mod.pairs():
        p, a, b = pr["a"]["problem"], pr["a"]["formulation"], pr["b"]["formulation"]
        try:
            pa, pb = mod.pair_params(p, a, b)
            out.append((f"{p} {a} {b}", mod.build(p, a, pa), mod.build(p, b, pb)))
        except Exception:  # research data: the benchmark records these as build errors
            continue
    return out


@built
def test_check_answers_the_same_without_the_module(monkeypatch, tmp_path):
    pairs = [(name, read_model(a), read_model(b)) for name, a, b in _e2e_pairs(tmp_path, 10_000)]
    pairs += _fb_pairs()
    big = [m for _, a, b in pairs for m in (a, b) if m.nnz > _canon.SMALL_NNZ]
    assert len(big) >= 50, len(big)  # not vacuous: models the array path prepares
    results = [(name, level, _check(a, b, level)) for name, a, b in pairs for level in LEVELS]
    calls = []
    real = _canon._prepare_compiled
    monkeypatch.setattr(_canon, "_prepare_compiled", lambda model: calls.append(1) or real(model))
    again = [_check(a, b, level) for _, a, b in pairs for level in LEVELS]
    assert len(calls) >= len(big)  # (a check may answer before it prepares)
    monkeypatch.setattr(_canon, "_canonc", None)
    monkeypatch.setattr(_canon, "_prepare_compiled", real)
    # every small path stays as it is: only the module is switched off
    for (name, level, r), r1, (_, a, b) in zip(results, again, [p for p in pairs for _ in LEVELS]):
        r2 = _check(a, b, level)
        for other in (r1, r2):
            assert _summary(r) == _summary(other), (name, level)


def _check(a, b, level):
    return check(a, b, level=level, time_limit=30.0)


def _summary(r):
    cert = r.certificate
    return (
        r.verdict,
        r.reason,
        r.method,
        r.steps,
        None if cert is None else (cert.variable_index, dict(cert.constraints)),
        r.witness and r.witness.message,
        r.witness and r.witness.stage,
    )


@built
def test_the_tolerances_are_canons(monkeypatch):
    # the module reads ZERO_TOL and EQ_TOL from _canon (one copy of each): wider ones
    # change both versions alike
    monkeypatch.setattr(_canon, "EQ_TOL", 0.6)
    monkeypatch.setattr(_canon, "ZERO_TOL", 2.0)
    rng = np.random.default_rng(5)
    models = [
        random_model(rng, int(rng.integers(1, 12)), int(rng.integers(1, 6))) for _ in range(300)
    ]
    assert sum(_same(m) for m in models) >= 200
    m = milp([[0, 0], [1, 1]], [1, 1], lo=[1, 0], hi=[1, 0.5])  # 1 <= 0 <= 1; 0 <= x+y <= 0.5
    got = _canon._prepare_compiled(m)
    assert got is not None and got.infeasible == () and got.is_eq.tolist() == [True]
