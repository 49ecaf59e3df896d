"""The plain-Python certificate check for tiny models gives exactly what the array
version gives: the same (ok, message) on every mapping the checker produced for the
labelled pairs small enough and for the reader fuzz corpus, and on mutations of those
mappings and models built to fail each rule; and ``check`` answers the same with and
without it (verdict, reason, certificate, witness)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

from optiscribe.verify import (
    ModelReadError,
    UnsupportedModelError,
    Verdict,
    _certify,
    check,
    read_model,
)
from optiscribe.verify import _check as check_module
from optiscribe.verify._model import kept_lists
from tests._support.reader_fuzz import make_corpus

from .conftest import HIGHS_CHECK, milp, need, permuted, with_changes
from .test_check import _two_copies, six_cycle, two_triangles

# the small paths run where the compiled kernels are not built; these tests hold them to
# the numpy code, so they run with the kernels off (test_compiled_stages.py: with them)
pytestmark = pytest.mark.usefixtures("python_stages")

LEVELS = ("strict", "normalized")


def _small_models(paths):
    out = []
    for p in paths:
        try:
            m = read_model(p)
        except (ModelReadError, UnsupportedModelError):
            continue
        if 2 * m.nnz > _certify.SMALL_NNZ or m.num_vars == 0:
            continue
        # a model HiGHS read with warnings (possibly not the file's: check would answer
        # UNKNOWN) is still good material here: this compares two code paths on the same
        # models, not reading. The others are kept as read: most small files keep the
        # reader's lists (``_model.kept_lists``), which the small paths then read instead
        # of the arrays; their permuted and broken copies are built in memory, without
        out.append((p.name, dataclasses.replace(m, inexact=()) if m.inexact else m))
    return out


def _perturbed(m, seed):
    """One coefficient (or the first cost) changed: a labelled negative."""
    if m.nnz:
        A = sp.csr_array(m.A)
        data = A.data.copy()
        data[seed % A.nnz] *= 1.37
        return with_changes(m, A=sp.csr_array((data, A.indices, A.indptr), shape=A.shape))
    c = m.c.copy()
    c[0] += 1.0
    return with_changes(m, c=c)


def _pairs(models):
    for k, (name, m) in enumerate(models):
        yield f"{name} permuted", m, permuted(m, seed=k)
        yield f"{name} perturbed", m, _perturbed(m, k)


def _record(monkeypatch, pairs):
    """Every ``verify_mapping`` call ``check`` makes on the pairs, at both levels, and
    ``check``'s results."""
    calls, results = [], []
    real = check_module.verify_mapping

    def recorder(ref, cand, var_map, rows, *, tol):
        calls.append((ref, cand, np.array(var_map), rows, tol))
        return real(ref, cand, var_map, rows, tol=tol)

    monkeypatch.setattr(check_module, "verify_mapping", recorder)
    for name, a, b in pairs:
        for level in LEVELS:
            results.append((name, level, check(a, b, level=level)))
    monkeypatch.setattr(check_module, "verify_mapping", real)
    return calls, results


def _mutations(ref, cand, vm, rows):
    """The recorded call and variants that break one rule each."""
    yield cand, vm, rows
    n = vm.size
    if n >= 2:
        sw = vm.copy()
        sw[[0, n - 1]] = sw[[n - 1, 0]]
        yield cand, sw, rows
    yield cand, np.full(n, 0, dtype=np.int64), rows  # not a bijection
    j = int(vm[0]) if n else 0
    if n:
        integer = cand.integer.copy()
        integer[j] = not integer[j]
        yield with_changes(cand, integer=integer), vm, rows
        for field, delta in (("col_lower", -1.0), ("col_upper", 1.0), ("c", 0.5)):
            arr = getattr(cand, field).copy()
            arr[j] = arr[j] + delta if np.isfinite(arr[j]) else 3.0
            yield with_changes(cand, **{field: arr}), vm, rows
    yield with_changes(cand, offset=cand.offset + 1.0), vm, rows
    if cand.nnz:
        A = sp.csr_array(cand.A)
        data = A.data.copy()
        data[-1] *= 1.37
        yield (
            with_changes(cand, A=sp.csr_array((data, A.indices, A.indptr), shape=A.shape)),
            vm,
            rows,
        )
        data = A.data.copy()
        data[0] = -data[0]
        yield (
            with_changes(cand, A=sp.csr_array((data, A.indices, A.indptr), shape=A.shape)),
            vm,
            rows,
        )
    if cand.num_rows:
        for field in ("row_lower", "row_upper"):
            arr = getattr(cand, field).copy()
            arr[0] = arr[0] * 2.0 + 1.0 if np.isfinite(arr[0]) else 5.0
            yield with_changes(cand, **{field: arr}), vm, rows
    k = rows.pairs_cand_row.size
    if k >= 2:
        rr, rs = rows.pairs_cand_row.copy(), rows.pairs_cand_side.copy()
        rr[[0, k - 1]], rs[[0, k - 1]] = rr[[k - 1, 0]], rs[[k - 1, 0]]
        yield cand, vm, dataclasses.replace(rows, pairs_cand_row=rr, pairs_cand_side=rs)
        # a negated side: '<=' read as '>=' (or an equality as an inequality)
        rs = rows.pairs_cand_side.copy()
        rs[0] = -1 if rs[0] >= 0 else 1
        yield cand, vm, dataclasses.replace(rows, pairs_cand_side=rs)
    if k >= 1:
        drop = {f: getattr(rows, f)[1:] for f in ("pairs_ref_row", "pairs_ref_side")}
        drop |= {f: getattr(rows, f)[1:] for f in ("pairs_cand_row", "pairs_cand_side")}
        yield cand, vm, dataclasses.replace(rows, **drop)  # a half-row not covered


def _compare(calls):
    outcomes = []
    for ref, cand, vm, rows, tol in calls:
        for c2, vm2, rows2 in _mutations(ref, cand, vm, rows):
            assert _certify._small(ref, c2)
            want = _certify._verify_mapping_arrays(ref, c2, vm2, rows2, tol=tol)
            got = _certify._verify_mapping_small(ref, c2, vm2, rows2, tol=tol)
            assert got == want, (ref.source, cand.source)
            outcomes.append(want)
    return outcomes


def _small_paths_off(monkeypatch):
    """Every plain-Python small path switched off: the arrays everywhere (the compiled
    certificate check too, which takes models of every size)."""
    from optiscribe.verify import _canon, _refine

    monkeypatch.setattr(_certify, "_certifyc", None)
    monkeypatch.setattr(_certify, "SMALL_NNZ", -1)
    monkeypatch.setattr(_canon, "SMALL_NNZ", -1)
    monkeypatch.setattr(_canon, "SMALL_LABELS", -1)
    monkeypatch.setattr(_refine, "SMALL_UNION_ARCS", -1)
    monkeypatch.setattr(_refine, "SMALL_REFINE_NODES", -1)


def _same_results(monkeypatch, pairs, results):
    """``check`` with every small path switched off answers exactly as with them
    (verdict, reason, method, steps, certificate, witness)."""
    _small_paths_off(monkeypatch)
    for (name, level, r), (_, a, b) in zip(results, [p for p in pairs for _ in LEVELS]):
        r2 = check(a, b, level=level)
        assert (r.verdict, r.reason, r.method) == (r2.verdict, r2.reason, r2.method), name
        assert r.steps == r2.steps, name
        assert (r.certificate is None) == (r2.certificate is None), name
        if r.certificate is not None:
            assert r.certificate.variable_index == r2.certificate.variable_index, name
            assert dict(r.certificate.constraints) == dict(r2.certificate.constraints), name
        assert (r.witness and r.witness.message) == (r2.witness and r2.witness.message), name
        assert (r.witness and r.witness.stage) == (r2.witness and r2.witness.stage), name


def test_small_path_equals_array_path_on_the_labelled_instances(monkeypatch):
    paths = sorted(need(HIGHS_CHECK).glob("*"))
    models = _small_models(p for p in paths if p.name.endswith((".mps", ".lp")))
    assert sum(kept_lists(m) is not None for _, m in models) >= 10  # the reader's lists
    pairs = list(_pairs(models))
    assert len(pairs) >= 30
    calls, results = _record(monkeypatch, pairs)
    outcomes = _compare(calls)
    # not vacuous: both answers, and most of the rules' messages, occur
    assert sum(ok for ok, _ in outcomes) >= 30
    kinds = {why.split(" ")[0] for ok, why in outcomes if not ok}
    assert len({why for ok, why in outcomes if not ok}) >= 50, kinds
    assert {"variable", "row", "the", "objective", "candidate"} <= kinds, kinds
    verdicts = {r.verdict for _, _, r in results}
    assert {Verdict.EQUIVALENT, Verdict.NOT_EQUIVALENT} <= verdicts
    _same_results(monkeypatch, pairs, results)


def test_small_path_equals_array_path_on_the_fuzz_corpus(monkeypatch, tmp_path):
    paths = make_corpus(tmp_path, seed=10, n=1000)
    models = _small_models(p for p in paths if p.name.endswith((".mps", ".mps.gz", ".lp")))
    assert len(models) >= 25
    pairs = list(_pairs(models))
    calls, results = _record(monkeypatch, pairs)
    outcomes = _compare(calls)
    assert sum(ok for ok, _ in outcomes) >= 20
    _same_results(monkeypatch, pairs, results)


@pytest.mark.parametrize("extra", [0, 1])
def test_small_path_is_chosen_by_size(extra):
    # SMALL_NNZ entries in both models together take the small path, one more does not
    n = _certify.SMALL_NNZ // 2
    a = milp([[1.0] * n], [1.0] * n, hi=[1.0])
    b = milp([[1.0] * (n + extra)], [1.0] * (n + extra), hi=[1.0])
    assert _certify._small(a, b) is (extra == 0)


# --------------------------------------------------------------------------- prepare


def _same_prepared(m):
    from optiscribe.verify import _canon

    if not (m.nnz <= _canon.SMALL_NNZ and m.A.has_canonical_format and m.A.data.all()):
        return False
    want, got = _canon._prepare_arrays(m), _canon._prepare_small(m)
    _same_lists(_canon._prepared_lists(got), got)
    assert got.steps == want.steps, m.source
    assert got.infeasible == want.infeasible, m.source
    assert got.offset == want.offset
    for field in ("cost", "lb", "ub", "integer", "rhs", "is_eq", "orig_row", "side", "scale"):
        a, b = getattr(got, field), getattr(want, field)
        assert a.dtype == b.dtype and a.shape == b.shape, (field, m.source)
        np.testing.assert_array_equal(a, b, err_msg=field)
        if a.dtype.kind == "f":  # the sign of a zero too
            np.testing.assert_array_equal(np.signbit(a), np.signbit(b), err_msg=field)
    np.testing.assert_array_equal(got.folded_rows, want.folded_rows)
    assert got.rows.shape == want.rows.shape
    for k in range(3):
        assert got.rows[k].dtype == want.rows[k].dtype, k
        np.testing.assert_array_equal(got.rows[k], want.rows[k])
    return True


def _exactly(values):
    """Each value's type and ``repr`` (bit-exact for floats, the sign of a zero too)."""
    return [(type(v), repr(v)) for v in values]


def _same_lists(kept, obj):
    """The lists kept with a small path's object are exactly its arrays' ``tolist()``
    (``rows.*`` for a prepared model's matrix)."""
    assert kept is not None
    for field, values in zip(kept._fields, kept):
        arr = getattr(obj, field, None)
        if arr is None:  # a prepared model's half-rows
            arr = getattr(obj.rows, field)
        assert _exactly(values) == _exactly(arr.tolist()), field


def _edge_models():
    """Every branch of prepare: empty (feasible and not), free, singleton (both signs,
    free singleton), ranged, '>=' and equality rows, integer bounds rounded (to -0.0 too),
    crossing bounds, maximisation, an objective constant."""
    inf = np.inf
    rows = [
        [0, 0, 0, 0],  # empty, feasible
        [0, 0, 0, 0],  # empty, infeasible
        [1, 1, 0, 0],  # free
        [-2, 0, 0, 0],  # singleton, negative
        [0, 3, 0, 0],  # singleton, positive
        [0, 0, 5, 0],  # free singleton
        [1, -2, 3, 0],  # ranged
        [0, 4, 1, 1],  # '>='
        [2, 2, 0, 1],  # equality
    ]
    yield milp(
        rows,
        [1, -1, 0, 2],
        lo=[-1, 1, -inf, -3, -inf, -inf, -2, 1, 4],
        hi=[1, 2, inf, 0.5, 7.5, inf, 5, inf, 4],
        lb=[-0.5, -inf, 0, -5],
        ub=[10, 3.7, inf, -5.5],
        integer=[True, True, False, True],
        sense=-1,
        offset=3.0,
    )
    yield milp([[1, 1], [1, 0]], [1, 1], lo=[-inf, -0.2], hi=[2, 0.0], integer=[True, False])
    yield milp([[1, 1]], [0, 0], lb=[3, 0], ub=[1, 0])  # crossing bounds
    # more than three empty infeasible rows and crossing bounds: three of each are named
    yield milp(
        [[0] * 5] * 4 + [[1, 1, 1, 1, 1]],
        [0] * 5,
        lo=[1, 2, 3, 4, 0],
        hi=[5, 5, 5, 5, 9],
        lb=[3, 4, 5, 6, 0],
        ub=[1, 1, 1, 1, 1],
    )
    yield milp([[0, 0]], [1, 2], lo=[-inf], hi=[inf])  # no half-rows at all


def test_prepare_small_equals_prepare_arrays(tmp_path):
    from optiscribe.verify._normalize import normalize

    models = [m for _, m in _small_models(sorted(need(HIGHS_CHECK).glob("*")))]
    models += [m for _, m in _small_models(make_corpus(tmp_path, seed=10, n=1000))]
    models += list(_edge_models())
    more = []
    for k, m in enumerate(models):
        more += [permuted(m, seed=k), _perturbed(m, k) if m.num_vars else m]
    models += more
    models += [normalize(m).model for m in models]
    compared = sum(_same_prepared(m) for m in models)
    assert compared >= 200, compared


def test_prepare_small_keeps_numpys_zero_on_a_tie_of_signed_zeros():
    # a singleton row's bound equal to the column's but for the sign of zero: which zero
    # np.maximum.at / np.minimum.at keep is the platform's numpy's (_canon._zero_ties),
    # and the reason of the empty domain prints it; the list path keeps the same one
    from optiscribe.verify import _canon

    from .test_canonc import _tie_models

    models = list(_tie_models())
    assert all(_same_prepared(m) for m in models)
    reasons = [_canon._prepare_small(m).infeasible[0] for m in models]
    assert any("-0.0" in r for r in reasons) and any("[0.0" in r for r in reasons), reasons


def test_prepare_small_is_chosen_by_size(monkeypatch):
    from optiscribe.verify import _canon

    calls = []
    monkeypatch.setattr(_canon, "_prepare_small", lambda m: calls.append("small"))
    monkeypatch.setattr(_canon, "_prepare_arrays", lambda m: calls.append("arrays"))
    n = _canon.SMALL_NNZ
    _canon.prepare(milp([[1.0] * n], [1.0] * n, hi=[1.0]))
    _canon.prepare(milp([[1.0] * (n + 1)], [1.0] * (n + 1), hi=[1.0]))
    assert calls == ["small", "arrays"]


# --------------------------------------------------------------------------- graphs


def _graph_edge_models():
    """Equalities with rhs 0 (decided by the largest magnitude, by a smaller one, or
    sign-symmetric), one negated, duplicate rows (also after scaling, and a sign-symmetric
    pair that duplicates itself once copied), an empty model."""
    inf = np.inf
    rows = [
        [1, -1, 0, 0],  # x - y = 0: sign-symmetric
        [-1, 1, 0, 0],  # its negation: a duplicate once both orientations are kept
        [1, 1, -2, 0],  # largest magnitude decides (negative: re-oriented)
        [2, -2, 1, 0],  # the top magnitude is balanced: the next one decides
        [0, 3, 0, -3],  # sign-symmetric
        [1, 2, 3, 4],  # '<='
        [2, 4, 6, 8],  # the same row scaled: a duplicate
        [1, 2, 3, 4],  # and again
        [-1, -1, 0, 0],  # '=' with a negative rhs: re-oriented
    ]
    yield milp(
        rows,
        [1, 2, 3, 4],
        lo=[0, 0, 0, 0, 0, -inf, -inf, -inf, -3],
        hi=[0, 0, 0, 0, 0, 5, 10, 5, -3],
        integer=[True, False, True, False],
    )
    yield milp([[1, 1, 1]], [1, 1, 1], lo=[-inf], hi=[inf])  # no rows left


def _numbers_edge_models():
    """Numbers at the clustering's edges: a chain of values each within ``rtol`` of the
    next, one just outside, noise below ``ZERO_TOL``, infinite and huge bounds, negative
    zeros, equal magnitudes of both signs."""
    inf = np.inf
    yield milp(
        [[1.0, 1.0 + 6e-10, 1.0 + 1.2e-9, 1e-13], [2.0, -2.0 * (1 + 2e-9), 5e-13, 1.0]],
        [1e-13, -0.0, 3.0, -3.0],
        lo=[-inf, 1.0 + 1e-10],
        hi=[1.0, 1.0 + 1e-10],
        lb=[-inf, -1e19, 0.0, -2.0],
        ub=[inf, 1e19, 1e-12, 2.0 + 1e-9],
    )


def _all_small_models(tmp_path):
    """The models the graph and union comparisons run on: the labelled instances and the
    fuzz corpus small enough, and the models built to take every branch."""
    models = [m for _, m in _small_models(sorted(need(HIGHS_CHECK).glob("*")))]
    models += [m for _, m in _small_models(make_corpus(tmp_path, seed=10, n=1000))]
    models += list(_graph_edge_models()) + list(_edge_models()) + list(_numbers_edge_models())
    return models


def _broken(m, k):
    """A permuted copy of ``m`` and deliberate breakages: one coefficient scaled, one
    negated, a bound moved, an integrality flipped, a cost and a row bound changed."""
    yield permuted(m, seed=k)
    if not m.num_vars:
        return
    yield _perturbed(m, k)
    j = k % m.num_vars
    if m.nnz:
        A = sp.csr_array(m.A)
        data = A.data.copy()
        data[(3 * k) % A.nnz] *= -1.0
        yield with_changes(m, A=sp.csr_array((data, A.indices, A.indptr), shape=A.shape))
    ub = m.col_upper.copy()
    ub[j] = ub[j] + 1.0 if np.isfinite(ub[j]) else 7.0
    yield with_changes(m, col_upper=ub)
    integer = m.integer.copy()
    integer[j] = not integer[j]
    yield with_changes(m, integer=integer)
    if m.num_rows:
        hi = m.row_upper.copy()
        i = k % m.num_rows
        hi[i] = hi[i] * 2.0 + 1.0 if np.isfinite(hi[i]) else 4.0
        yield with_changes(m, row_upper=hi)


def _check_all(models, *, broken=False):
    """``check`` of every model against its permuted copy and a perturbed one (with
    ``broken``, against every variant of :func:`_broken`), at both levels."""
    for k, m in enumerate(models):
        others = list(_broken(m, k)) if broken else [permuted(m, seed=k)]
        if not broken and m.num_vars:
            others.append(_perturbed(m, k))
        for other in others:
            for level in LEVELS:
                check(m, other, level=level)


GRAPH_FIELDS = (
    "var_label",
    "row_kind",
    "row_rhs",
    "indptr",
    "indices",
    "coef",
    "row_orig",
    "row_side",
    "row_factor",
    "dup_orig",
    "dup_side",
    "dup_node",
)


def _same_graph(got, want):
    assert got.steps == want.steps and got.offset_id == want.offset_id
    for field in GRAPH_FIELDS:
        a, b = getattr(got, field), getattr(want, field)
        assert a.dtype == b.dtype and a.shape == b.shape, field
        assert a.flags.c_contiguous and b.flags.c_contiguous, field
        np.testing.assert_array_equal(a, b, err_msg=field)


def test_build_graph_small_equals_build_graph_arrays(monkeypatch, tmp_path):
    from optiscribe.verify import _canon

    compared = []
    real_small, real_arrays = _canon._build_graph_small, _canon._build_graph_arrays
    limit = _canon.SMALL_NNZ

    def both(p, num, coef, rhs, exact, pre=None):
        want = real_arrays(p, num, coef, rhs, exact, pre)
        if pre is None or exact or p.rows.nnz > limit:
            return want
        got = real_small(p, pre)
        _same_graph(got, want)
        # the lists kept for the union: exactly what it would make of the arrays
        kept, fresh = _canon.graph_lists(got), _canon.graph_lists(dataclasses.replace(got))
        assert kept is got.__dict__["_lists"] and fresh is not kept
        for field, a, b in zip(kept._fields, kept, fresh):
            assert _exactly(a) == _exactly(b), field
        compared.append(want)
        return want

    monkeypatch.setattr(_canon, "_build_graph", both)
    monkeypatch.setattr(_canon, "SMALL_LABELS", -1)  # the pair's labels on arrays
    _check_all(_all_small_models(tmp_path))
    assert len(compared) >= 300
    steps = {s for g in compared for s in g.steps}
    for words in ("sign-symmetric", "re-oriented", "duplicate rows dropped"):
        assert any(words in s for s in steps), words


def test_label_pair_small_equals_label_pair_arrays(monkeypatch, tmp_path):
    from optiscribe.verify import _canon

    compared = []
    real = _canon.label_pair

    def both(pa, pb, *, rtol=1e-9, exact=False):
        if exact or not _canon._small_pair(pa, pb):
            return real(pa, pb, rtol=rtol, exact=exact)
        got = _canon._label_pair_small(pa, pb, rtol)
        with monkeypatch.context() as mp:
            mp.setattr(_canon, "SMALL_NNZ", -1)
            mp.setattr(_canon, "SMALL_LABELS", -1)
            want = real(pa, pb, rtol=rtol, exact=exact)
        for g, w in zip(got[:2], want[:2]):
            _same_graph(g, w)
        for field in ("_u", "_cl"):
            a, b = getattr(got[2], field), getattr(want[2], field)
            assert a.dtype == b.dtype, field
            np.testing.assert_array_equal(a, b, err_msg=field)
        assert (got[2].inf_id, got[2].exact) == (want[2].inf_id, want[2].exact)
        ids = np.arange(-want[2].inf_id, want[2].inf_id + 1)
        assert [got[2].value(i) for i in ids] == [want[2].value(i) for i in ids]
        compared.append(got)
        return got

    monkeypatch.setattr(check_module, "label_pair", both)
    _check_all(_all_small_models(tmp_path), broken=True)
    assert len(compared) >= 700, len(compared)
    steps = {s for g, _, _ in compared for s in g.steps}
    for words in ("sign-symmetric", "re-oriented", "duplicate rows dropped"):
        assert any(words in s for s in steps), words


def test_label_pair_small_is_chosen_by_size(monkeypatch):
    from optiscribe.verify import _canon

    calls = []
    monkeypatch.setattr(_canon, "_label_pair_small", lambda *a: calls.append("small"))
    monkeypatch.setattr(_canon, "_build_graph", lambda *a: calls.append("arrays"))
    monkeypatch.setattr(_canon, "_graphc", None)  # (the compiled path: test_graphc.py)
    n = _canon.SMALL_NNZ
    monkeypatch.setattr(_canon, "SMALL_LABELS", 10**6)
    for k in (n, n + 1):  # half-row entries per model
        p = _canon.prepare(milp([[1.0] * k], [1.0] * k, hi=[1.0]))
        _canon.label_pair(p, p)
    p = _canon.prepare(milp([[1.0] * 8], [1.0] * 8, hi=[1.0]))
    _canon.label_pair(p, p, exact=True)
    labels = 2 * (3 * 8 + 1 + 8 + 1)  # costs, bounds, offset, coefficients, rhs
    for limit in (labels, labels - 1):
        monkeypatch.setattr(_canon, "SMALL_LABELS", limit)
        _canon.label_pair(p, p)
    assert calls == ["small", "arrays", "arrays", "arrays", "arrays"] + ["small"] + ["arrays"] * 2


def test_build_union_small_equals_build_union_arrays(monkeypatch, tmp_path):
    from optiscribe.verify import _refine

    compared = []
    real_small, real_arrays = _refine._build_union_small, _refine._build_union_arrays

    def both(ga, gb):
        want = real_arrays(ga, gb)
        if ga.indices.size + gb.indices.size > _refine.SMALL_UNION_ARCS:
            return want
        got = real_small(ga, gb)
        assert (got.n, got.offsets) == (want.n, want.offsets)
        for field in (
            "owner",
            "is_row",
            "row_nodes",
            "row_deg",
            "row_dst",
            "row_w",
            "var_nodes",
            "var_deg",
            "var_dst",
            "var_w",
            "init",
            "row_start",
            "var_start",
            "var_arc",
        ):
            a, b = getattr(got, field), getattr(want, field)
            assert a.dtype == b.dtype and a.shape == b.shape, field
            assert a.flags.c_contiguous and b.flags.c_contiguous, field
            np.testing.assert_array_equal(a, b, err_msg=field)
        _same_lists(got.__dict__["_lists"], got)
        compared.append(want)
        return want

    monkeypatch.setattr(_refine, "build_union", both)
    monkeypatch.setattr(check_module, "build_union", both)
    _check_all(_all_small_models(tmp_path))
    assert len(compared) >= 250


# --------------------------------------------------------------------------- refine


def _same_refined(got, want):
    assert got.colours.dtype == want.colours.dtype
    np.testing.assert_array_equal(got.colours, want.colours)
    for field in ("rounds", "diverged", "diverged_at", "discrete", "path"):
        assert getattr(got, field) == getattr(want, field), field


def test_refine_small_equals_refine_arrays(monkeypatch, tmp_path):
    from optiscribe.verify import _refine

    compared = []
    real = _refine.refine

    def both(u, colours=None, **kw):
        with monkeypatch.context() as mp:
            mp.setattr(_refine, "SMALL_REFINE_NODES", -1)
            want = real(u, colours, **kw)
        if u.n > _refine.SMALL_REFINE_NODES:
            return want
        got = real(u, colours, **kw)
        _same_refined(got, want)
        # and every colouring the run passed through, refined on: the same next ones
        if not got.diverged and not kw:
            with monkeypatch.context() as mp:
                mp.setattr(_refine, "SMALL_REFINE_NODES", -1)
                want2 = real(u, got.colours, stop_when_discrete=False)
            _same_refined(real(u, got.colours, stop_when_discrete=False), want2)
        compared.append(got)
        return got

    monkeypatch.setattr(_refine, "refine", both)  # the search's calls too
    monkeypatch.setattr(check_module, "refine", both)
    _check_all(_all_small_models(tmp_path), broken=True)
    assert len(compared) >= 600, len(compared)
    paths = {r.path for r in compared}
    assert {"hash", "hash, checked equitable"} <= paths, paths
    assert any(r.diverged for r in compared) and any(r.discrete for r in compared)
    assert any(r.rounds >= 3 for r in compared)


def test_half_round_small_hashes_equal_the_arrays():
    # the 64-bit mix, and one half-round from arbitrary colourings (not refinements of
    # the initial one, so merges, splits and untouched colours all occur)
    from optiscribe.verify import _canon, _ranks, _refine

    rng = np.random.default_rng(7)
    x = rng.integers(0, 2**64, size=2000, dtype=np.uint64)
    assert [_refine._mix_int(int(v)) for v in x] == _ranks._mix(x.copy()).tolist()
    a = milp([[1, 2, 0, 1], [0, 1, 1, -1], [3, 0, 1, 1]], [1, 1, 2, 0], hi=[1, 2, 3])
    ga, gb, _ = _canon.label_pair(_canon.prepare(a), _canon.prepare(permuted(a, seed=3)))
    u = _refine.build_union(ga, gb)
    wh = _refine._hash_weights(u)
    sides = _refine._small_sides(u)
    n_rows = u.row_nodes.size
    for trial in range(200):
        k = int(rng.integers(1, u.n + 1))
        col = _ranks.dense_rank(rng.integers(0, k, size=u.n))
        # the half-round's contract: rows and variables share no colour
        col = np.where(u.is_row, col + int(col.max()) + 1, col)
        col = _ranks.dense_rank(col)
        for side, args in enumerate(
            (
                (u.row_nodes, u.row_dst, wh[0], u.row_start, u.row_deg),
                (u.var_nodes, u.var_dst, wh[1], u.var_start, u.var_deg),
            )
        ):
            want = _refine._half_round_hash(col, *args)
            got = _refine._half_round_hash_small(col.tolist(), sides[side])
            assert (got is None) == (want is None)
            if want is not None:
                assert got == want.tolist(), (trial, side, n_rows)


def _same_answers_without_the_small_paths(monkeypatch, pairs):
    """``check`` of every pair at both levels answers the same with every small path
    switched off; the pairs reach both verdicts and the discrete, refinement and
    invariant methods (not vacuous)."""
    results = [(name, level, check(a, b, level=level)) for name, a, b in pairs for level in LEVELS]
    verdicts = {r.verdict for _, _, r in results}
    assert {Verdict.EQUIVALENT, Verdict.NOT_EQUIVALENT} <= verdicts
    methods = {r.method for _, _, r in results}
    assert {"discrete", "colour refinement", "invariants"} <= methods, methods
    _same_results(monkeypatch, pairs, results)


def test_check_answers_the_same_without_the_small_paths(monkeypatch, tmp_path):
    # every small model against its permuted copy and each deliberate breakage
    models = _all_small_models(tmp_path)
    pairs = [(f"{k}", m, other) for k, m in enumerate(models) for other in _broken(m, k)]
    _same_answers_without_the_small_paths(monkeypatch, pairs)


# --------------------------------------------------------------------------- SD


def test_components_small_equal_scipy():
    from scipy.sparse.csgraph import connected_components

    from optiscribe.verify import _refine

    rng = np.random.default_rng(11)
    for _ in range(2000):
        n = int(rng.integers(1, 60))
        m = int(rng.integers(0, 80))
        s, d = rng.integers(0, n, m), rng.integers(0, n, m)
        adj = sp.csr_array((np.ones(m, dtype=np.int8), (s, d)), shape=(n, n))
        _, want = connected_components(adj, directed=False)
        got = _refine._components_small(n, s.tolist(), d.tolist())
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_sd_status_small_equals_scipy(monkeypatch, tmp_path):
    from optiscribe.verify import _refine

    compared = []
    real = _refine.sd_status

    def both(u, colours):
        got = real(u, colours)
        with monkeypatch.context() as mp:
            mp.setattr(_refine, "SMALL_SD_ARCS", -1)
            want = real(u, colours)
        assert got[:2] == want[:2]
        np.testing.assert_array_equal(got[2], want[2])
        compared.append(got)
        return got

    monkeypatch.setattr(check_module, "sd_status", both)
    # symmetric models: copies of one block, so colour refinement leaves cells
    models = _all_small_models(tmp_path)
    models += [_two_blocks(k) for k in range(1, 5)]
    _check_all(models, broken=True)
    # SD on one side only, and on neither (the pairs of test_check)
    for a, b in (
        (_two_copies(False), _two_copies(True)),
        (_two_copies(True), _two_copies(False)),
        (six_cycle(), two_triangles()),
        (six_cycle(), permuted(six_cycle(), seed=5, negate_objective=False)),
    ):
        check(a, b)
    assert len(compared) >= 100, len(compared)
    assert {(a, b) for a, b, _ in compared} >= {(True, True), (True, False), (False, True)}


def _two_blocks(k):
    """Two identical blocks of k knapsack rows over disjoint variables."""
    rows = []
    n = 3 * k
    for b in range(2):
        for i in range(k):
            row = [0.0] * (2 * n)
            for j in range(3):
                row[b * n + 3 * i + j] = 1.0 + j
            rows.append(row)
    return milp(rows, [1.0] * (2 * n), hi=[4.0] * (2 * k), integer=[True] * (2 * n))


def test_small_hash_tables_stay_consistent_across_threads(monkeypatch):
    # the tables grow by replacement, so concurrent growth never misaligns them
    import threading

    from optiscribe.verify import _refine

    monkeypatch.setattr(_refine, "_INT_TABS", ([], []))
    errors = []

    def grow(seed):
        rng = np.random.default_rng(seed)
        for k in rng.integers(1, 5000, size=200).tolist():
            col, own = _refine._tables(k)
            if len(col) != len(own) or len(col) < k:
                errors.append((k, len(col), len(own)))

    threads = [threading.Thread(target=grow, args=(s,)) for s in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    col, own = _refine._INT_TABS
    c = np.arange(len(col), dtype=np.uint64)
    assert col == _ranks_mix(c * _refine._K1 + _refine._SALT_COL)
    assert own == _ranks_mix(c * _refine._K2 + _refine._SALT_OWN)


def _ranks_mix(x):
    from optiscribe.verify._ranks import _mix

    return _mix(x).tolist()


# --------------------------------------------------------------------------- from files


def _written(models, tmp_path):
    """Every small model and each deliberate breakage of it written to an MPS file
    (every number exact) and read back: models that keep the reader's lists, which the
    small paths read instead of the arrays."""
    from .test_faithful import write_mps

    out = []
    for k, m in enumerate(models):
        files = []
        for v, other in enumerate([m, *_broken(m, k)]):
            path = write_mps(other, tmp_path / f"m{k}_{v}.mps")
            if other.sense < 0:  # the writer leaves the sense out
                text = path.read_text().split("\n", 1)
                path.write_text(f"{text[0]}\nOBJSENSE\n    MAX\n{text[1]}")
            try:
                read_model(path)
            except (ModelReadError, UnsupportedModelError):
                break  # e.g. a model with a free row the writer cannot express
            files.append(path)
        out += [(f"{k}/{v}", files[0], f) for v, f in enumerate(files[1:], 1)]
    return out


def test_check_from_files_answers_the_same_without_the_small_paths(monkeypatch, tmp_path):
    # the small models against their permuted copies and breakages, from files: the
    # reader's lists through every small path, against the arrays everywhere
    (tmp_path / "corpus").mkdir()
    pairs = _written(_all_small_models(tmp_path / "corpus"), tmp_path)
    read = [read_model(b) for _, _, b in pairs]
    assert sum(kept_lists(m) is not None for m in read) >= 200
    assert any(m.sense < 0 and kept_lists(m) is not None for m in read)
    _same_answers_without_the_small_paths(monkeypatch, pairs)


def test_a_union_on_lists_makes_its_arrays_on_first_read():
    # the usual small check reads none of them; any one read makes them all, the same
    # as the array path's; a replace is an ordinary union with every array
    from optiscribe.verify import _canon, _refine

    a = milp([[1, 2, 0, 1], [0, 1, 1, -1], [3, 0, 1, 1]], [1, 1, 2, 0], hi=[1, 2, 3])
    ga, gb, _ = _canon.label_pair(_canon.prepare(a), _canon.prepare(permuted(a, seed=3)))
    want = _refine._build_union_arrays(ga, gb)
    u = _refine._build_union_small(ga, gb)
    r = _refine.refine(u)
    assert r.discrete
    check_module._to_original(u, check_module._discrete_mapping(u, r.colours))
    assert not _refine._UNION_ARRAYS & set(vars(u)), set(vars(u))
    assert u.var_w.dtype == np.int64 and _refine._UNION_ARRAYS <= set(vars(u))
    copy = dataclasses.replace(u)
    assert "_lists" not in vars(copy)
    for got in (u, copy):
        for field in (f.name for f in dataclasses.fields(want)):
            x, y = getattr(got, field), getattr(want, field)
            if isinstance(y, np.ndarray):
                assert x.dtype == y.dtype and np.array_equal(x, y), field
        with pytest.raises(AttributeError):
            got.no_such_field  # noqa: B018


def test_a_model_prepared_on_lists_makes_its_arrays_on_first_read():
    # label_pair's list path reads none of them; each is made on its own, the same as
    # the array path's; a replace is an ordinary prepared model with every array
    from optiscribe.verify import _canon

    a = milp([[1, 2, 0, 1], [0, 1, 1, -1], [3, 0, 1, 1]], [1, 1, 2, 0], lo=[-1, 0, 1], hi=[1, 2, 3])
    p = _canon.prepare(a)
    lazy = set(_canon._PREPARED_ARRAYS)  # folded_rows is set at once
    _canon.label_pair(p, _canon.prepare(permuted(a, seed=3)))
    assert not lazy & set(vars(p)), set(vars(p))
    assert p.side.dtype == np.int8 and set(vars(p)) & lazy == {"side"}
    assert _same_prepared(a)
    copy = dataclasses.replace(p)
    assert "_lists" not in vars(copy) and lazy <= set(vars(copy))
    with pytest.raises(AttributeError):
        p.no_such_field  # noqa: B018


def test_a_graph_on_lists_makes_its_labels_and_arcs_on_first_read():
    # the small union and the mapping read none of them; each is made on its own (the
    # same as the array path's: test_build_graph_small_equals_build_graph_arrays reads
    # them this way); a replace has every array
    from optiscribe.verify import _canon, _refine

    a = milp([[1, 2, 0, 1], [0, 1, 1, -1], [3, 0, 1, 1]], [1, 1, 2, 0], lo=[-1, 0, 1], hi=[1, 2, 3])
    ga, gb, _ = _canon.label_pair(_canon.prepare(a), _canon.prepare(permuted(a, seed=3)))
    lazy = set(_canon._GRAPH_ARRAYS)
    u = _refine.build_union(ga, gb)
    r = _refine.refine(u)
    assert r.discrete
    check_module._to_original(u, check_module._discrete_mapping(u, r.colours))
    assert not lazy & (set(vars(ga)) | set(vars(gb)))
    assert (ga.n_vars, ga.n_arcs) == (ga.var_label.shape[0], ga.indices.size) == (4, 18)
    assert lazy & set(vars(ga)) == {"var_label", "indices"}  # each on its own
    copy = dataclasses.replace(gb)
    assert "_lists" not in vars(copy) and (copy.n_vars, copy.n_arcs) == (gb.n_vars, gb.n_arcs)
    with pytest.raises(AttributeError):
        ga.no_such_field  # noqa: B018


def test_the_small_certificate_check_keeps_numpys_zero_on_a_tie_of_signed_zeros():
    # a singleton row -x0 >= -0.0 (x0 <= 0.0) against x0's upper bound -0.0 or 0.0: which
    # zero np.minimum.at keeps is the platform's numpy's (_canon._zero_ties), and the
    # upper-bound message prints it; the list path keeps the same one (certc's finding)
    from optiscribe.verify import _certify
    from optiscribe.verify._certify import HalfRowMap

    inf = np.inf
    one, z = np.array([1]), np.zeros(0, dtype=np.int64)
    rows = HalfRowMap(one, one, one, one, (z, z, z, z), (z, z, z, z))
    seen = set()
    for hi, ub in ((-0.0, 0.0), (0.0, -0.0)):
        ref = milp([[1, 0], [1, 1]], [1, 1], lo=[-inf, -inf], hi=[hi, 1], lb=[-2, 0], ub=[-1, 1])
        for cub in (ub, 5.0):
            cand = milp([[1, 0], [1, 1]], [1, 1], lo=[-inf, -inf], hi=[hi, 1], lb=[-2, 0])
            cand = with_changes(cand, col_upper=np.array([cub, 1.0]))
            args = (ref, cand, np.array([0, 1]), rows)
            want = _certify._verify_mapping_arrays(*args, tol=1e-9)  # numpy (kernels off)
            assert _certify._verify_mapping_small(*args, tol=1e-9) == want
            seen.add(want[1])
    assert any("-0.0" in s for s in seen), seen
