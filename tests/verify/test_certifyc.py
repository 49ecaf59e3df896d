"""The re-verification of a mapping in C (``verify/_certifyc.c``, issue 11):
``_certify._verify_mapping_arrays`` answers the same ``(ok, message)`` with or without the
compiled module: on every mapping ``check`` makes for the highs-check instances (against
permuted copies), both files of the end-to-end benchmark's pairs and random models with
duplicates, empty, free, singleton and ranged rows; on many failing variants of those
mappings (a swapped column, a wrong row pair, a coefficient, bound, cost or right-hand
side moved just above and just below the tolerance, a wrong side, a duplicate that is not
proportional, a missing half-row, a non-bijection, a type change, one model infeasible by
construction, the objective constants); on sums whose sign depends on numpy's pairwise
summation; and where the module declines its inputs the numpy code runs. ``check``
answers the same with and without it on the end-to-end pairs and the FormulationBench
pairs.

In CI (``OPTISCRIBE_REQUIRE_COMPILED=1``, set by ``.ci/run``) the module must be built;
elsewhere its tests are skipped where no C compiler built it."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
import scipy.sparse as sp

from optiscribe.verify import _certify, check, read_model
from optiscribe.verify import _check as check_module
from optiscribe.verify._canon import _ZERO_TIES
from optiscribe.verify._certify import HalfRowMap

from .conftest import HIGHS_CHECK, milp, need, permuted, with_changes
from .test_canonc import _e2e_pairs, _fb_pairs, _summary, random_model
from .test_small_path import LEVELS, _edge_models, _mutations

built = pytest.mark.skipif(
    _certify._certifyc is None, reason="verify/_certifyc.c is not built (no C compiler at install)"
)


def test_the_compiled_check_is_built_where_ci_requires_it():
    if os.environ.get("OPTISCRIBE_REQUIRE_COMPILED") == "1":
        assert _certify._certifyc is not None, "verify/_certifyc.c was not built: is gcc there?"
    elif _certify._certifyc is None:
        pytest.skip("not built here, and not required")


def _outcome(f):
    """``f()``'s result, or the type of what it raised (the numpy code raises on some
    malformed inputs; so must the code that falls back to it)."""
    try:
        return f()
    except Exception as e:  # compared, not hidden
        return type(e)


def _without(f):
    """``f()``'s outcome with the module switched off."""
    saved, _certify._certifyc = _certify._certifyc, None
    try:
        return _outcome(f)
    finally:
        _certify._certifyc = saved


def _numpy(ref, cand, vm, rows, tol):
    """``_verify_mapping_arrays`` (the numpy code), the module switched off to be sure."""
    return _without(lambda: _certify._verify_mapping_arrays(ref, cand, vm, rows, tol=tol))


def _same(ref, cand, vm, rows, tol, *, handled=None):
    """The compiled and numpy answers are the same; returns (the answer, whether the module
    took the inputs)."""
    want = _numpy(ref, cand, vm, rows, tol)
    got = _outcome(lambda: _certify._verify_mapping_compiled(ref, cand, vm, rows, tol))
    if handled is not None:
        assert (got is not None) == handled, (ref.source, want)
    if got is not None:
        assert got == want, (ref.source, cand.source, got, want)
    # _verify_mapping_arrays: the module, or where it declines the numpy code
    again = _outcome(lambda: _certify._verify_mapping_arrays(ref, cand, vm, rows, tol=tol))
    assert again == want, (ref.source, again, want)
    return want, got is not None


def _record(pairs):
    """Every ``verify_mapping`` call ``check`` makes on the pairs, at both levels."""
    calls = []
    real = check_module.verify_mapping

    def recorder(ref, cand, var_map, rows, *, tol):
        calls.append((ref, cand, np.array(var_map), rows, tol))
        return real(ref, cand, var_map, rows, tol=tol)

    check_module.verify_mapping = recorder
    try:
        for a, b in pairs:
            for level in LEVELS:
                check(a, b, level=level, time_limit=30.0)
    finally:
        check_module.verify_mapping = real
    return calls


def _replace_value(m, field, k, value):
    arr = getattr(m, field).copy()
    arr[k] = value
    return with_changes(m, **{field: arr})


def _coef_moved(m, i, f, tol):
    """Row ``i``'s smallest entry moved by ``f * tol`` times the row's largest: just
    inside the tolerance for f < 1, just outside for f > 1 (when the mapped rows agree)."""
    A = sp.csr_array(m.A)
    lo, hi = A.indptr[i], A.indptr[i + 1]
    if hi - lo < 2:
        return None
    data = A.data.copy()
    seg = np.abs(data[lo:hi])
    k = lo + int(np.argmin(seg))
    data[k] += np.sign(data[k]) * f * tol * seg.max()
    return with_changes(m, A=sp.csr_array((data, A.indices, A.indptr), shape=A.shape))


def _near(x, f, tol):
    """``x`` moved by ``f * tol`` relative (a finite nonzero x), else None."""
    return x * (1 + f * tol) if np.isfinite(x) and abs(x) >= 1 else None


def _more_mutations(ref, cand, vm, rows, tol):
    """Variants of a recorded call that sit on the tolerance or break the rules the
    common mutations (test_small_path._mutations) do not reach."""
    n = vm.size
    for f in (0.5, 0.99, 1.01, 2.0):
        if rows.pairs_cand_row.size:
            moved = _coef_moved(cand, int(rows.pairs_cand_row[0]), f, tol)
            if moved is not None:
                yield moved, vm, rows
            i = int(rows.pairs_cand_row[-1])
            for field in ("row_lower", "row_upper"):
                x = _near(getattr(cand, field)[i], f, tol)
                if x is not None:
                    yield _replace_value(cand, field, i, x), vm, rows
        for j in range(min(n, 3)):
            for field in ("col_lower", "col_upper", "c"):
                x = _near(getattr(cand, field)[vm[j]], f, tol)
                if x is not None:
                    yield _replace_value(cand, field, int(vm[j]), x), vm, rows
        off = _near(cand.offset, f, tol)
        if off is not None:
            yield with_changes(cand, offset=off), vm, rows
    if n:
        j = int(vm[n // 2])
        # infeasible by construction on the candidate's side only
        yield _replace_value(cand, "col_lower", j, cand.col_upper[j] + 5.0), vm, rows
        yield with_changes(cand, sense=-cand.sense), vm, rows  # costs of the other sign
    for w, field in ((0, "dups_ref"), (1, "dups_cand")):
        dups = getattr(rows, field)
        if not dups[0].size:
            continue
        model = (ref, cand)[w]
        # the first duplicate dropped: its half-row not covered
        yield cand, vm, dataclasses.replace(rows, **{field: tuple(d[1:] for d in dups)})
        # merged with another row, or with the other side
        rep = dups[2].copy()
        rep[0] = (rep[0] + 1) % model.num_rows
        yield cand, vm, dataclasses.replace(rows, **{field: (dups[0], dups[1], rep, dups[3])})
        side = dups[3].copy()
        side[0] = 0 if side[0] else 1
        yield cand, vm, dataclasses.replace(rows, **{field: (dups[0], dups[1], dups[2], side)})
        if w:  # a duplicate row's coefficient changed: not proportional any more
            moved = _coef_moved(cand, int(dups[0][0]), 50.0, 0.01)
            if moved is not None:
                yield moved, vm, rows


def _compare(calls):
    outcomes, handled = [], 0
    for ref, cand, vm, rows, tol in calls:
        variants = list(_mutations(ref, cand, vm, rows))
        variants += list(_more_mutations(ref, cand, vm, rows, tol))
        for c2, vm2, rows2 in variants:
            want, took = _same(ref, c2, vm2, rows2, tol)
            outcomes.append(want)
            handled += took
    return outcomes, handled


def _kinds(outcomes):
    """The failures' kinds (a message's shape, without names and numbers)."""
    out = set()
    for r in outcomes:
        if isinstance(r, tuple) and not r[0]:
            msg = r[1]
            for text in (
                "changes type",
                "lower bound",
                "upper bound",
                ": cost",
                "not a bijection",
                "infeasible by construction",
                "objective constants",
                "is not covered",
                "not a duplicate",
                "equality vs inequality",
                "does not match",
            ):
                if text in msg:
                    out.add(text)
    return out


def _readable(paths):
    for p in paths:
        try:
            m = read_model(p)
        except Exception:  # unreadable or unsupported by design
            continue
        if m.num_vars and not m.inexact:
            yield m


@built
def test_compiled_equals_numpy_on_the_instances(tmp_path):
    models = [m for m in _readable(sorted(need(HIGHS_CHECK).glob("*"))) if m.nnz <= 10_000]
    pairs = [(m, permuted(m, seed=k)) for k, m in enumerate(models)]
    for _, a, b in _e2e_pairs(tmp_path, 10_000):
        ma, mb = read_model(a), read_model(b)
        pairs += [(ma, mb), (mb, ma)]
    calls = _record(pairs)
    assert len(calls) >= 100, len(calls)
    outcomes, handled = _compare(calls)
    assert handled >= 0.9 * len(outcomes), (handled, len(outcomes))
    # not vacuous: both answers, every kind of failure, both sides of the tolerance
    assert sum(r[0] for r in outcomes if isinstance(r, tuple)) >= 100
    assert len(_kinds(outcomes)) == 11, _kinds(outcomes)
    assert len({r[1] for r in outcomes if isinstance(r, tuple) and not r[0]}) >= 300


def with_duplicates(m, rng):
    """``m`` with scaled (and negated) copies of some rows, and a symmetric pair of
    columns' worth of rows: the candidate's duplicates and ties."""
    A = m.A.toarray()
    if not A.shape[0]:
        return m
    pick = rng.choice(A.shape[0], size=min(3, A.shape[0]), replace=False)
    s = rng.choice([2.0, -0.5, 1.0, 3.0], size=pick.size)
    lo, hi = m.row_lower[pick] * np.abs(s), m.row_upper[pick] * np.abs(s)
    neg = s < 0
    lo2, hi2 = np.where(neg, -hi, lo), np.where(neg, -lo, hi)
    return with_changes(
        m,
        A=sp.csr_array(np.vstack([A, A[pick] * s[:, None]])),
        row_lower=np.concatenate([m.row_lower, lo2]),
        row_upper=np.concatenate([m.row_upper, hi2]),
        row_names=[*m.row_names, *(f"d{k}" for k in range(pick.size))],
    )


@built
def test_compiled_equals_numpy_on_random_models():
    rng = np.random.default_rng(1111)
    pairs = []
    for trial in range(300):
        m = random_model(rng, int(rng.integers(1, 12)), int(rng.integers(2, 9)))
        if trial % 2:
            m = with_duplicates(m, rng)
        pairs.append((m, permuted(m, seed=trial)))
    pairs += [(m, permuted(m, seed=5)) for m in _edge_models()]
    calls = _record(pairs)
    assert len(calls) >= 100, len(calls)
    assert sum(c[3].dups_ref[0].size > 0 for c in calls) >= 20  # duplicates were merged
    outcomes, handled = _compare(calls)
    assert handled >= 0.9 * len(outcomes), (handled, len(outcomes))
    assert sum(r[0] for r in outcomes if isinstance(r, tuple)) >= 50
    assert len(_kinds(outcomes)) == 11, _kinds(outcomes)


def _one_row(x, y, *, tol, eq=False, extra=False):
    """Reference row ``x``, candidate row ``y`` (both '<= 1', or '= 1'), identity map;
    ``extra``: a second row pair whose patterns differ (the sparse-products path)."""
    n = len(x)
    rows_r, rows_c = [list(x)], [list(y)]
    if extra:
        rows_r.append([1.0, 1.0] + [0.0] * (n - 2))
        rows_c.append([1.0, 0.0, 1.0] + [0.0] * (n - 3))
    k = len(rows_r)
    lo = [1.0 if eq else -np.inf] * k
    ref = milp(rows_r, [0.0] * n, lo=lo, hi=[1.0] * k)
    cand = milp(rows_c, [0.0] * n, lo=lo, hi=[1.0] * k)
    side = np.full(k, 0 if eq else 1, dtype=np.int64)
    idx = np.arange(k, dtype=np.int64)
    z = np.zeros(0, dtype=np.int64)
    rows = HalfRowMap(idx, side, idx, side.copy(), (z, z, z, z), (z, z, z, z))
    return ref, cand, np.arange(n, dtype=np.int64), rows


@built
def test_the_sign_of_a_row_product_is_numpys_pairwise_sum():
    # with a huge tolerance only the sign of the rows' product decides; numpy sums it
    # pairwise (np.add.reduceat), and scipy's sparse product drops products that
    # underflow to zero; the module must follow both
    rng = np.random.default_rng(7)
    pool = np.array([1e16, -1e16, 1.0, -1.0, 3.0, -2.0, 0.5, 1e-200])
    decided = {True: 0, False: 0}
    differs = 0
    for trial in range(3000):
        n = int(rng.integers(3, 40))
        x = rng.choice(pool, size=n)
        y = np.where(np.abs(x) == 1e-200, 1e-200, rng.choice([1.0, 1.0, 2.0], size=n))
        eq, extra = bool(trial % 3 == 0), bool(trial % 2)
        ref, cand, vm, rows = _one_row(x, y, tol=1e100, eq=eq, extra=extra)
        want, _ = _same(ref, cand, vm, rows, 1e100, handled=True)
        decided[want[0]] += 1
        prod = x * y
        seq = 0.0
        for v in prod:
            seq += v
        differs += (seq <= 0) != (np.add.reduceat(prod, [0])[0] <= 0)
    assert decided[True] >= 100 and decided[False] >= 100, decided
    assert differs >= 20, differs  # a sequential sum would answer otherwise: not vacuous


@built
def test_tiny_models_ask_the_module_too(monkeypatch):
    # with the module every size asks it first (faster than the plain-Python path even
    # on tiny models); without it tiny models take the plain-Python path, whose answers
    # test_small_path pins to the numpy code's
    m = next(m for m in _edge_models() if m.num_rows > 5)
    (ref, cand, vm, rows, tol) = _record([(m, permuted(m, seed=3))])[0]
    assert _certify._small(ref, cand)
    seen = []
    real = _certify._verify_mapping_compiled
    monkeypatch.setattr(_certify, "_verify_mapping_compiled", lambda *a: seen.append(1) or real(*a))
    small = []
    real_small = _certify._verify_mapping_small
    monkeypatch.setattr(
        _certify, "_verify_mapping_small", lambda *a, **k: small.append(1) or real_small(*a, **k)
    )
    assert _certify.verify_mapping(ref, cand, vm, rows, tol=tol) == (True, "")
    assert seen == [1] and small == []
    monkeypatch.setattr(_certify, "_certifyc", None)
    assert _certify.verify_mapping(ref, cand, vm, rows, tol=tol) == (True, "")
    assert small == [1]


@built
def test_declined_inputs_run_the_numpy_code():
    m = next(m for m in _edge_models() if m.num_rows > 5)
    cand = permuted(m, seed=3)
    (ref, cand, vm, rows, tol) = _record([(m, cand)])[0]
    assert _same(ref, cand, vm, rows, tol, handled=True)[0] == (True, "")
    # a var_map of floats; row ids out of range (huge, negative); a side of 2
    _same(ref, cand, vm.astype(float), rows, tol, handled=False)
    for bad in (10**12, -1):
        r = rows.pairs_cand_row.copy()
        r[0] = bad
        _same(ref, cand, vm, dataclasses.replace(rows, pairs_cand_row=r), tol, handled=False)
    s = rows.pairs_cand_side.copy()
    s[0] = 2
    _same(ref, cand, vm, dataclasses.replace(rows, pairs_cand_side=s), tol, handled=False)
    # pairs of different lengths
    short = dataclasses.replace(rows, pairs_cand_row=rows.pairs_cand_row[:-1])
    _same(ref, cand, vm, short, tol, handled=False)
    # a sense of 2, an integer objective constant
    two = dataclasses.replace(cand)
    object.__setattr__(two, "sense", 2)  # (build refuses it)
    _same(ref, two, vm, rows, tol, handled=False)
    _same(ref, dataclasses.replace(cand, offset=3), vm, rows, tol, handled=False)
    # a matrix not marked canonical; a zero, NaN or infinite coefficient in a compared row
    A = cand.A
    loose = sp.csr_array((A.data, A.indices, A.indptr), shape=A.shape)
    loose.has_canonical_format = False
    _same(ref, dataclasses.replace(cand, A=loose), vm, rows, tol, handled=False)
    i = int(rows.pairs_cand_row[0])
    for v in (0.0, np.nan, np.inf):
        data = A.data.copy()
        data[A.indptr[i]] = v
        B = sp.csr_array((data, A.indices.copy(), A.indptr.copy()), shape=A.shape)
        B.has_canonical_format = True
        _same(ref, dataclasses.replace(cand, A=B), vm, rows, tol, handled=False)
    # a NaN bound where a singleton row is folded; bool bytes other than 0 / 1
    single = next(i for i in range(m.num_rows) if m.A.indptr[i + 1] - m.A.indptr[i] == 1)
    j = int(m.A.indices[m.A.indptr[single]])
    lb = m.col_lower.copy()
    lb[j] = np.nan
    _same(dataclasses.replace(m, col_lower=lb), cand, vm, rows, tol, handled=False)
    integer = m.integer.copy().view(np.uint8)
    integer[integer == 1] = 2
    odd = dataclasses.replace(m, integer=integer.view(bool))
    _same(odd, cand, vm, rows, tol, handled=False)
    # the same inputs with int32 ids and sides are taken
    r32 = HalfRowMap(
        rows.pairs_ref_row.astype(np.int32),
        rows.pairs_ref_side.astype(np.int8),
        rows.pairs_cand_row.astype(np.int32),
        rows.pairs_cand_side.astype(np.int16),
        rows.dups_ref,
        rows.dups_cand,
    )
    _same(ref, cand, vm.astype(np.int32), r32, tol, handled=True)


@built
def test_deliberate_breakages_are_caught():
    # the comparison sees each kind of difference a wrong module could make: a zero's
    # sign in a printed bound (which zero np.maximum.at keeps on a tie), the tolerance
    inf = np.inf
    m = milp([[1.0, 0.0], [1.0, 1.0]], [1, 1], lo=[-0.0, -inf], hi=[inf, 1], lb=[0.0, 0], ub=[4, 1])
    cand = _replace_value(m, "col_lower", 0, 1.0)
    ident = np.arange(2, dtype=np.int64)
    z = np.zeros(0, dtype=np.int64)
    one = np.array([1], dtype=np.int64)
    rows = HalfRowMap(one, one, one, one, (z, z, z, z), (z, z, z, z))
    want, _ = _same(m, cand, ident, rows, 1e-9, handled=True)
    assert want[1].startswith("variable x0: lower bound"), want
    args = (_certify._model_arrays(m), _certify._model_arrays(cand), ident)
    args += ((one, one, one, one), (z, z, z, z), (z, z, z, z), 1.0, 1.0, 0.0, 0.0, 1e-9)
    right = _certify._certifyc.verify(*args, _ZERO_TIES)
    wrong = _certify._certifyc.verify(*args, _ZERO_TIES ^ 15)
    assert right[0] == wrong[0] == _certify._FAIL_BOUND
    assert repr(right[3]) != repr(wrong[3])  # 0.0 vs -0.0: the message differs
    # a bound just outside the tolerance: caught at 1e-9, not at 3e-9
    near = _replace_value(m, "col_upper", 1, 1 + 2e-9)
    r2 = dataclasses.replace(rows, pairs_ref_row=z, pairs_ref_side=z)
    r2 = dataclasses.replace(r2, pairs_cand_row=z, pairs_cand_side=z)
    tight, _ = _same(m, near, ident, rows, 1e-9, handled=True)
    loose, _ = _same(m, near, ident, rows, 3e-9, handled=True)
    assert tight[1].startswith("variable x1: upper bound") and loose == (True, "")
    assert _same(m, near, ident, r2, 3e-9)[0][1].startswith("reference row")


@built
def test_check_answers_the_same_without_the_module(monkeypatch, tmp_path):
    pairs = [(name, read_model(a), read_model(b)) for name, a, b in _e2e_pairs(tmp_path, 10_000)]
    pairs += _fb_pairs()
    results = [
        (name, level, check(a, b, level=level, time_limit=30.0))
        for name, a, b in pairs
        for level in LEVELS
    ]
    calls = []
    real = _certify._verify_mapping_compiled

    def counted(*args):
        out = real(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(_certify, "_verify_mapping_compiled", counted)
    again = [check(a, b, level=level, time_limit=30.0) for _, a, b in pairs for level in LEVELS]
    assert sum(calls) >= 20, calls  # not vacuous: the module answered those
    monkeypatch.setattr(_certify, "_certifyc", None)
    monkeypatch.setattr(_certify, "_verify_mapping_compiled", real)
    for (name, level, r), r1, (_, a, b) in zip(results, again, [p for p in pairs for _ in LEVELS]):
        r2 = check(a, b, level=level, time_limit=30.0)
        for other in (r1, r2):
            assert _summary(r) == _summary(other), (name, level)
