"""The incremental individualisation-refinement search (issue 11): symmetric models are
decided, and it agrees with the from-scratch search on pairs colour refinement cannot
tell apart."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from optiscribe.verify import MilpData, Verdict, check
from optiscribe.verify._canon import label_pair, prepare
from optiscribe.verify._refine import (
    SearchResult,
    build_union,
    mapping_is_isomorphism,
    refine,
    search,
)
from optiscribe.verify._search import Probed, probe, search_incremental

from .conftest import permuted


def bin_packing(sizes: list[float], bins: int, cap: float = 20.0) -> MilpData:
    """Identical bins, items with repeated sizes: x[i,b] assigns item i to bin b, y[b]
    opens bin b; min sum y, each item once, capacity per bin."""
    n = len(sizes)
    nx = n * bins
    i = np.repeat(np.arange(n), bins)
    b = np.tile(np.arange(bins), n)
    rows = np.concatenate([i, n + b, n + np.arange(bins)])
    cols = np.concatenate([i * bins + b, i * bins + b, nx + np.arange(bins)])
    vals = np.concatenate([np.ones(nx), np.asarray(sizes)[i], np.full(bins, -cap)])
    A = sp.csr_array((vals, (rows, cols)), shape=(n + bins, nx + bins))
    return MilpData.build(
        c=np.r_[np.zeros(nx), np.ones(bins)],
        A=A,
        row_lower=np.r_[np.ones(n), np.full(bins, -np.inf)],
        row_upper=np.r_[np.ones(n), np.zeros(bins)],
        col_upper=np.ones(nx + bins),
        integer=np.ones(nx + bins, dtype=bool),
        var_names=[f"x[{p},{q}]" for p in range(n) for q in range(bins)]
        + [f"y[{q}]" for q in range(bins)],
    )


def test_symmetric_bin_packing_is_decided_equivalent():
    m = bin_packing([3, 5, 7] * 10, bins=8)
    r = check(m, permuted(m, seed=3, negate_objective=False))
    assert r.verdict is Verdict.EQUIVALENT, r.reason
    assert r.method == "search"
    assert len(r.certificate.variables) == m.num_vars


def test_bin_packing_with_one_item_size_changed_is_not_equivalent():
    a = bin_packing([3, 5, 7] * 10, bins=8)
    sizes = [3, 5, 7] * 10
    sizes[4] = 7  # one item of size 5 becomes size 7
    b = bin_packing(sizes, bins=8)
    assert check(a, permuted(b, seed=1)).verdict is Verdict.NOT_EQUIVALENT


def cycles(lengths: list[int]) -> MilpData:
    """Disjoint cycles as equality rows x_u + x_v = 1 on binaries: 2-regular graphs that
    colour refinement cannot tell apart when the total length is equal."""
    edges = []
    base = 0
    for n in lengths:
        edges += [(base + k, base + (k + 1) % n) for k in range(n)]
        base += n
    rows = np.zeros((len(edges), base))
    for r, (p, q) in enumerate(edges):
        rows[r, p] = rows[r, q] = 1.0
    return MilpData.build(
        c=np.zeros(base),
        A=sp.csr_array(rows),
        row_lower=np.ones(len(edges)),
        row_upper=np.ones(len(edges)),
        col_upper=np.ones(base),
        integer=np.ones(base, dtype=bool),
    )


SHAPES = [[12], [6, 6], [4, 4, 4], [3, 3, 3, 3], [5, 7], [3, 4, 5]]


@pytest.mark.parametrize("x, y", list(itertools.combinations_with_replacement(range(6), 2)))
def test_incremental_and_from_scratch_search_agree_on_cycle_unions(x, y):
    a, b = cycles(SHAPES[x]), permuted(cycles(SHAPES[y]), seed=x * 7 + y, scale=False)
    ga, gb, _ = label_pair(prepare(a), prepare(b))
    u = build_union(ga, gb)
    col = refine(u).colours
    fast = search_incremental(u, col, max_nodes=100_000)
    slow = search(u, col, max_nodes=100_000)
    assert fast is not None
    assert fast.exhausted == slow.exhausted == (SHAPES[x] != SHAPES[y])
    if not fast.exhausted:
        assert fast.mapping is not None and mapping_is_isomorphism(u, fast.mapping)
    expected = Verdict.EQUIVALENT if SHAPES[x] == SHAPES[y] else Verdict.NOT_EQUIVALENT
    assert check(a, b).verdict is expected


def regular_graph(n: int, seed: int) -> MilpData:
    """A random 3-regular multigraph-free graph on ``n`` nodes (pairing model, retried),
    as equality rows on binaries: colour refinement sees every such graph the same."""
    rng = np.random.default_rng(seed)
    while True:
        stubs = rng.permutation(np.repeat(np.arange(n), 3))
        pairs = stubs.reshape(-1, 2)
        if np.any(pairs[:, 0] == pairs[:, 1]):
            continue
        key = np.sort(pairs, axis=1)
        if np.unique(key, axis=0).shape[0] == key.shape[0]:
            break
    rows = np.zeros((key.shape[0], n))
    rows[np.arange(key.shape[0]), key[:, 0]] = 1.0
    rows[np.arange(key.shape[0]), key[:, 1]] = 1.0
    return MilpData.build(
        c=np.zeros(n),
        A=sp.csr_array(rows),
        row_lower=np.ones(key.shape[0]),
        row_upper=np.ones(key.shape[0]),
        col_upper=np.ones(n),
        integer=np.ones(n, dtype=bool),
    )


@pytest.mark.parametrize("seed", range(12))
def test_incremental_search_agrees_on_random_cubic_graphs(seed):
    n = 8 + 2 * (seed % 4)
    a = regular_graph(n, seed)
    # half of the pairs: a permuted copy (isomorphic); the others: another random graph
    b = permuted(a, seed=seed, scale=False) if seed % 2 else regular_graph(n, seed + 100)
    ga, gb, _ = label_pair(prepare(a), prepare(b))
    u = build_union(ga, gb)
    r = refine(u)
    if r.diverged:
        pytest.skip("told apart by refinement already")
    fast = search_incremental(u, r.colours, max_nodes=100_000)
    slow = search(u, r.colours, max_nodes=100_000)
    assert fast is not None
    assert fast.exhausted == slow.exhausted
    if seed % 2:
        assert not fast.exhausted and mapping_is_isomorphism(u, fast.mapping)
    elif not fast.exhausted:
        assert mapping_is_isomorphism(u, fast.mapping)


def _same(x: SearchResult | None, y: SearchResult | None) -> None:
    assert (x is None) == (y is None)
    if x is None or y is None:
        return
    assert (x.exhausted, x.nodes, x.reason) == (y.exhausted, y.nodes, y.reason)
    assert (x.mapping is None) == (y.mapping is None)
    if x.mapping is not None:
        assert np.array_equal(x.mapping, y.mapping)


@pytest.mark.parametrize("case", range(18))
def test_the_search_goes_on_from_a_failed_probe_with_the_same_answer(case):
    # cycle unions and cubic graphs on which the greedy probe reaches no isomorphism:
    # continuing from it must give the nodes, reason and mapping of the search that
    # probes again itself
    if case < 12:
        a = regular_graph(8 + 2 * (case % 4), case)
        b = (
            permuted(a, seed=case, scale=False)
            if case % 2
            else regular_graph(a.num_vars, case + 100)
        )
    else:
        x, y = divmod(case - 12, 3)
        a, b = cycles(SHAPES[x + 2]), permuted(cycles(SHAPES[y + 3]), seed=case, scale=False)
    ga, gb, _ = label_pair(prepare(a), prepare(b))
    u = build_union(ga, gb)
    r = refine(u)
    if r.diverged or r.discrete:
        pytest.skip("decided by refinement")
    first = probe(u, r.colours, max_nodes=100_000)
    again = search_incremental(u, r.colours, max_nodes=100_000)
    if isinstance(first, SearchResult):
        _same(first, again)  # the probe alone found the isomorphism the search finds first
        return
    assert isinstance(first, Probed)
    _same(search_incremental(u, r.colours, max_nodes=100_000, probed=first), again)


def test_check_continues_from_the_probe_on_a_symmetric_pair(monkeypatch):
    from optiscribe.verify import _check, _search

    probes: list[object] = []
    real = _search.probe

    def spy(*args, **kw):
        probes.append(real(*args, **kw))
        return probes[-1]

    monkeypatch.setattr(_check, "probe", spy)
    a = regular_graph(10, 1)  # the whole-cell guess fails here; the search then succeeds
    r = check(a, permuted(a, seed=1, scale=False))
    assert r.verdict is Verdict.EQUIVALENT
    assert probes and isinstance(probes[0], Probed), "the probe must fail on this pair"
    assert r.certificate.search_nodes > probes[0].steps
