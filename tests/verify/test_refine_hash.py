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
        ("6-cycle permuted", six_cycle(), permuted(six_cycle(), seed=5,
                                                   negate_objective=False), EQ),
        ("collision permuted", cm, permuted(cm, seed=1), EQ),
        ("collision hides a difference", cm, _collision_model([0, 1, 1, 0]), NE),
    ]


_DEGENERATE = {
    "identity": lambda x: x,  # linear: sums collide, only the equitability check sees it
    "two bits": lambda x: x & np.uint64(3),  # four values
    "constant": lambda x: np.zeros_like(x),  # one value
}


@pytest.mark.parametrize("mixer", sorted(_DEGENERATE))
def test_degenerate_hash_changes_no_verdict(monkeypatch, mixer):
    expected = {}
    for name, a, b, want in _pairs():
        with monkeypatch.context() as mp:
            _force_exact(mp)
            expected[name] = check(a, b).verdict
        assert expected[name] is want, name
    monkeypatch.setattr(refine_module, "_mix", _DEGENERATE[mixer])
    paths = []
    for name, a, b, want in _pairs():
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
    monkeypatch.setattr(refine_module, "_mix", _DEGENERATE["identity"])
    r = refine(u, stop_when_discrete=False)
    assert r.path == "exact (hash collision)"
    assert _same_partition(r.colours, exact.colours)
    monkeypatch.undo()
    r = refine(u, stop_when_discrete=False)
    assert r.path == "hash, checked equitable" and _same_partition(r.colours, exact.colours)


def test_steps_record_the_refinement_path():
    r = check(six_cycle(), permuted(six_cycle(), seed=5, negate_objective=False))
    assert any(s == "colour refinement: 64-bit multiset hashing, stable partition checked "
                    "equitable (exact)" for s in r.steps)
    r = check(base(), permuted(base(), seed=3))
    assert any(s.startswith("colour refinement: 64-bit multiset hashing") for s in r.steps)


def _same_partition(c1: np.ndarray, c2: np.ndarray) -> bool:
    k = np.unique(rank_pairs(c1, c2)).size
    return k == np.unique(c1).size == np.unique(c2).size


SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


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
@given(st.lists(st.floats(1e-12, 1e12, allow_nan=False), min_size=1, max_size=300),
       st.lists(st.floats(1e-12, 1e12, allow_nan=False), max_size=50))
def test_number_lookup_matches_binary_search(values, others):
    from optiscribe.verify._canon import _Numbers

    num = _Numbers([np.array(values)], 1e-9, False)
    q = np.abs(np.array(values + others, dtype=np.float64))
    q = q[q > 1e-12]
    assert np.array_equal(num._positions(q), np.searchsorted(num._u, q))
