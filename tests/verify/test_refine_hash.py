"""The hashed (fast) colour refinement against the exact sort-based one.

Soundness argument under test (see ``verify/_refine.py``): the fast path applies one
fixed, seeded function to both graphs, so it is isomorphism-invariant and a histogram
difference is a proof of non-equivalence whatever the hash does; a collision can only
make the partition coarser than the true stable one, and every conclusion that needs the
true stable partition is preceded by an exact equitability check that falls back to the
exact refinement. So a degenerate hash may cost time but can never change a verdict.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optiscribe.verify import Verdict, check
from optiscribe.verify import _check as check_module
from optiscribe.verify import _refine as refine_module
from optiscribe.verify._canon import label_pair, prepare
from optiscribe.verify._ranks import rank_pairs
from optiscribe.verify._refine import build_union, is_equitable, refine, refine_exact

from .conftest import INF, milp, permuted, with_changes
from .test_check import _two_copies, base, six_cycle, two_triangles
from .test_properties import models

EQ, NE = Verdict.EQUIVALENT, Verdict.NOT_EQUIVALENT

_REFINE = refine_module.refine


def _force_exact(monkeypatch):
    def exact(u, colours=None, **kw):
        return _REFINE(u, colours, exact=True, **kw)

    monkeypatch.setattr(refine_module, "refine", exact)
    monkeypatch.setattr(check_module, "refine", exact)


def _collision_model(third=None):
    # costs 1..4 give the variables colours 0..3; rows {x1, x4} and {x2, x3} have equal
    # colour sums (0 + 3 = 1 + 2), so a linear "hash" merges them
    rows = [[1, 0, 0, 1], [0, 1, 1, 0]]
    hi = [1, 1]
    if third is not None:
        rows.append(third)
        hi.append(2)
    return milp(rows, [1, 2, 3, 4], hi=hi, ub=[5] * 4)


def _pairs():
    a = base()
    A = a.A.toarray()
    A[1, 0] = 2.5
    cm = _collision_model([1, 0, 0, 1])
    return [
        ("base permuted", a, permuted(a, seed=3), EQ),
        ("base perturbed", a, with_changes(a, A=A), NE),
        ("SD counterexample", _two_copies(False), _two_copies(True), NE),
        ("SD counterexample reversed", _two_copies(True), _two_copies(False), NE),
        ("SD permuted", _two_copies(False), permuted(_two_copies(False), seed=2), EQ),
        ("6-cycle vs two triangles", six_cycle(), two_triangles(), NE),
        (
            "6-cycle permuted",
            six_cycle(),
            permuted(six_cycle(), seed=5, negate_objective=False),
            EQ,
        ),
        ("collision permuted", cm, permuted(cm, seed=1), EQ),
        ("collision hides a difference", cm, _collision_model([0, 1, 1, 0]), NE),
    ]


_DEGENERATE = {
    "identity": lambda x: x,  # linear: sums collide, only the equitability check sees it
    "two bits": lambda x: x & np.uint64(3),  # four values
    "constant": lambda x: np.zeros_like(x),  # one value
}


#: the same mixers on one Python int (the small path, :func:`refine_module._mix_int`)
_DEGENERATE_INT = {
    "identity": lambda x: x,
    "two bits": lambda x: x & 3,
    "constant": lambda x: 0,
}


def _degenerate(mp, mixer):
    """Both versions of the fast path (arrays and Python lists) with the mixer."""
    mp.setattr(refine_module, "_mix", _DEGENERATE[mixer])
    mp.setattr(refine_module, "_mix_int", _DEGENERATE_INT[mixer])
    mp.setattr(refine_module, "_INT_TABS", ([], []))  # the cached tables, rebuilt with it
    mp.setattr(refine_module, "_W_TAB", {})
    mp.setattr(refine_module, "_NP_TABS", [])


@pytest.mark.parametrize("small", [True, False])
@pytest.mark.parametrize("mixer", sorted(_DEGENERATE))
def test_degenerate_hash_changes_no_verdict(monkeypatch, mixer, small):
    expected = {}
    for name, a, b, want in _pairs():
        with monkeypatch.context() as mp:
            _force_exact(mp)
            expected[name] = check(a, b).verdict
        assert expected[name] is want, name
    # every pair is small enough for the lists, unless they are switched off
    sizes = [build_union(*label_pair(prepare(a), prepare(b))[:2]).n for _, a, b, _w in _pairs()]
    assert max(sizes) <= refine_module.SMALL_REFINE_NODES
    if not small:
        monkeypatch.setattr(refine_module, "SMALL_REFINE_NODES", -1)
    _degenerate(monkeypatch, mixer)
    paths = []
    for name, a, b, _want in _pairs():
        r = check(a, b)
        assert r.verdict is expected[name], (mixer, name, r.reason)
        paths += [s for s in r.steps if s.startswith("colour refinement:")]
    # the degenerate hash was noticed at least once and the exact path took over
    assert any("hash collision detected" in s for s in paths), paths


def test_equitability_check_catches_a_linear_collision(monkeypatch):
    a = _collision_model()
    ga, gb, _ = label_pair(prepare(a), prepare(permuted(a, seed=1)))
    u = build_union(ga, gb)
    exact = refine_exact(u, stop_when_discrete=False)
    assert is_equitable(u, exact.colours)
    assert not is_equitable(u, u.init)
    _degenerate(monkeypatch, "identity")
    r = refine(u, stop_when_discrete=False)
    assert r.path == "exact (hash collision)"
    assert _same_partition(r.colours, exact.colours)
    monkeypatch.undo()
    r = refine(u, stop_when_discrete=False)
    assert r.path == "hash, checked equitable" and _same_partition(r.colours, exact.colours)


def test_steps_record_the_refinement_path():
    r = check(six_cycle(), permuted(six_cycle(), seed=5, negate_objective=False))
    assert any(
        s == "colour refinement: 64-bit multiset hashing, stable partition checked "
        "equitable (exact)"
        for s in r.steps
    )
    r = check(base(), permuted(base(), seed=3))
    assert any(s.startswith("colour refinement: 64-bit multiset hashing") for s in r.steps)


def _same_partition(c1: np.ndarray, c2: np.ndarray) -> bool:
    k = np.unique(rank_pairs(c1, c2)).size
    return k == np.unique(c1).size == np.unique(c2).size


SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(models(), st.integers(0, 10_000), st.sampled_from(["permuted", "changed", "self"]))
def test_fast_and_exact_paths_agree(m, seed, kind):
    rng = np.random.default_rng(seed)
    if kind == "permuted":
        other = permuted(m, seed)
    elif kind == "changed":
        A = m.A.toarray()
        i, j = rng.integers(A.shape[0]), rng.integers(A.shape[1])
        A[i, j] = [0.0, 1.0, -1.0, 2.0][rng.integers(4)]
        other = permuted(with_changes(m, A=A), seed)
    else:
        other = m
    fast = check(m, other, max_search_nodes=5000)
    ga, gb, _ = label_pair(prepare(m), prepare(other))
    u = build_union(ga, gb)
    rf = refine(u, stop_when_discrete=False)
    re = refine_exact(u, stop_when_discrete=False)
    assert rf.diverged == re.diverged
    if not re.diverged:  # the stable partitions are the same partition
        assert rf.rounds == re.rounds and _same_partition(rf.colours, re.colours)
    orig = refine_module.refine

    def exact(u, colours=None, **kw):
        return orig(u, colours, exact=True, **kw)

    try:
        refine_module.refine = check_module.refine = exact
        slow = check(m, other, max_search_nodes=5000)
    finally:
        refine_module.refine = check_module.refine = orig
    assert fast.verdict is slow.verdict, (fast.reason, slow.reason)
    assert fast.method == slow.method


def test_inf_bounds_model_has_both_paths_agree():
    m = milp([[1, 1, 0], [0, 1, 1]], [1, 1, 1], lo=[-INF, 0], hi=[3, INF])
    assert check(m, permuted(m, seed=4)).verdict is EQ


@SETTINGS
@given(
    st.lists(st.floats(1e-12, 1e12, allow_nan=False), min_size=1, max_size=300),
    st.lists(st.floats(1e-12, 1e12, allow_nan=False), max_size=50),
)
def test_number_lookup_matches_binary_search(values, others):
    from optiscribe.verify._canon import _Numbers

    num = _Numbers([np.array(values)], 1e-9, False)
    q = np.abs(np.array(values + others, dtype=np.float64))
    q = q[q > 1e-12]
    assert np.array_equal(num._positions(q), np.searchsorted(num._u, q))


# --------------------------------------------------------------------------- fast paths

_VALUES = st.one_of(
    st.sampled_from([0.0, -0.0, 1e-13, -1e-13, 1.0, -1.0, 1.0 + 1e-10, 2.0, INF, -INF]),
    st.floats(-1e9, 1e9, allow_nan=False),
)


@SETTINGS
@given(st.lists(_VALUES, max_size=400), st.integers(0, 5))
def test_joint_number_ids_match_the_plain_lookup(values, repeat):
    # the hash-table deduplication of _Numbers.joint gives exactly the clusters and ids
    # of sorting every value (duplicates, zeros, -0.0, infinities, near-ties)
    from optiscribe.verify._canon import _Numbers

    v = np.array(values * (repeat + 1), dtype=np.float64)
    plain = _Numbers([v], 1e-9, False)
    joint, ids = _Numbers.joint(v, 1e-9)
    assert np.array_equal(ids, plain.ids(v))
    assert np.array_equal(joint._u, plain._u) and np.array_equal(joint._cl, plain._cl)
    assert joint.inf_id == plain.inf_id


def _zero_rhs_equalities(draw_rows):
    rows = [r for r in draw_rows if sum(1 for x in r if x) >= 2]
    if not rows:
        rows = [[1, -1, 0, 0]]
    return milp(rows, [1, 2, 3, 4], lo=[0] * len(rows), hi=[0] * len(rows))


_ROWS = st.lists(
    st.lists(st.sampled_from([0, 0, 1, -1, 2, -2, 0.5, -0.5]), min_size=4, max_size=4),
    min_size=1,
    max_size=8,
)


@SETTINGS
@given(_ROWS)
def test_zero_rhs_equalities_are_oriented_by_the_rule(rows):
    # orientation rule: the largest magnitude whose +/- counts differ has a positive net
    # count; rows where every magnitude is balanced are kept in both orientations
    from optiscribe.verify._canon import KIND_EQ, KIND_EQ_PM

    m = _zero_rhs_equalities(rows)
    ga, _, _ = label_pair(prepare(m), prepare(m))
    for k in range(ga.n_rows):
        cid = ga.coef[ga.indptr[k] : ga.indptr[k + 1]]
        net = {}
        for c in cid.tolist():
            net[abs(c)] = net.get(abs(c), 0) + (1 if c > 0 else -1)
        unbalanced = [mag for mag, n in net.items() if n]
        if ga.row_kind[k] == KIND_EQ:
            assert unbalanced and net[max(unbalanced)] > 0
        else:
            assert ga.row_kind[k] == KIND_EQ_PM and not unbalanced


@SETTINGS
@given(_ROWS, st.integers(0, 3))
def test_duplicate_screen_changes_nothing(rows, seed):
    # the hashed screen only skips the exact duplicate detection when no two rows are
    # equal; forcing the exact detection gives the same graphs
    from optiscribe.verify import _canon as canon_module

    m = _zero_rhs_equalities(rows + rows[:2])
    other = permuted(m, seed)
    ga, gb, _ = label_pair(prepare(m), prepare(other))
    orig = canon_module._maybe_duplicates
    try:
        canon_module._maybe_duplicates = lambda *a: True
        ha, hb, _ = label_pair(prepare(m), prepare(other))
    finally:
        canon_module._maybe_duplicates = orig
    for g, h in ((ga, ha), (gb, hb)):
        assert np.array_equal(g.indptr, h.indptr) and np.array_equal(g.indices, h.indices)
        assert np.array_equal(g.coef, h.coef) and np.array_equal(g.row_rhs, h.row_rhs)
        assert np.array_equal(g.dup_orig, h.dup_orig) and g.steps == h.steps


@SETTINGS
@given(
    st.integers(1, 30),
    st.integers(0, 10_000),
    st.floats(0.1, 10.0),
    st.sampled_from([0.0, 1e-12, 1e-6, 0.5]),
)
def test_proportional_fast_path_matches_the_sparse_one(nrows, seed, lam, noise):
    # equal sparsity patterns are compared on the data arrays; same answer as the
    # general sparse-product path
    from optiscribe.verify._certify import _proportional, _proportional_sparse, _Rows

    rng = np.random.default_rng(seed)
    dense = rng.choice([0.0, 0.0, 1.0, -1.0, 2.5, -0.5], size=(nrows, 6))
    dense[:, 0] = np.where(dense[:, 0] == 0, 1.0, dense[:, 0])
    flip = rng.random(nrows) < 0.3
    other = dense * lam * np.where(flip, -1.0, 1.0)[:, None]
    other = other * (1 + noise * rng.standard_normal(other.shape))
    rr = rng.choice([0.0, 1.0, -2.0, INF], size=nrows)
    cr = rr * lam * np.where(flip, -1.0, 1.0)
    eq = rng.random(nrows) < 0.5

    def rows(a):
        s = sp.csr_array(a)
        return _Rows(s.indptr, s.indices, s.data, s.shape)

    R, C = rows(dense), rows(other)
    assert np.array_equal(R.indices, C.indices)
    fast = _proportional(R, rr, C, cr, eq, 1.6e-8)
    ra = np.maximum.reduceat(np.abs(R.data), R.indptr[:-1])
    ca = np.maximum.reduceat(np.abs(C.data), C.indptr[:-1])
    slow = _proportional_sparse(R.csr(), rr, C.csr(), cr, eq, 1.6e-8, ra, ra / ca)
    assert fast == slow


def test_colour_tables_are_the_mixes_they_stand_for(monkeypatch):
    # the cached tables of the fast half-round: the same values as mixing each colour,
    # grown by doubling, kept up to _TABS_KEPT colours and made for the call beyond
    from optiscribe.verify._ranks import _mix

    monkeypatch.setattr(refine_module, "_NP_TABS", [])
    monkeypatch.setattr(refine_module, "_TABS_KEPT", 1 << 13)
    for k in (1, 10, 4096, 4097, 9000, 5, 8192, 8193):
        ctab, otab = refine_module._colour_tables(k)
        c = np.arange(k, dtype=np.uint64)
        assert np.array_equal(ctab[:k], _mix(c * refine_module._K1 + refine_module._SALT_COL))
        assert np.array_equal(otab[:k], _mix(c * refine_module._K2 + refine_module._SALT_OWN))
        assert refine_module._NP_TABS[0].size <= 1 << 13
