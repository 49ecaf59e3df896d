"""Refinement's fast-path loop in C (``verify/_refinec.c``, issue 11): ``_hash_compiled``
gives what ``_hash_arrays`` (``_iterate`` driving ``_half_round_hash``) gives, bit for bit
(the colours' bytes, dtype, shape and flags, or the input array itself; the half-rounds,
the colour count, the diverged and collided flags), on the union of every end-to-end
benchmark pair, the FormulationBench pairs and random models, from the initial colours
and from individualised ones (as the search makes them), with ``max_half_rounds`` small
and ``stop_when_discrete`` on and off, and with degenerate mixers that force collisions;
where the module declines a union the numpy code runs; and ``check`` answers the same
with and without it.

In CI (``OPTISCRIBE_REQUIRE_COMPILED=1``, set by ``.ci/run``) the module must be built;
elsewhere its tests are skipped where no C compiler built it."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from optiscribe.verify import _refine, read_model
from optiscribe.verify._canon import label_pair, prepare
from optiscribe.verify._ranks import dense_rank
from optiscribe.verify._refine import build_union

from .conftest import milp, permuted, with_changes
from .test_canonc import _check, _e2e_pairs, _fb_pairs, _summary, array_differences, random_model
from .test_refine_hash import _DEGENERATE, _pairs
from .test_small_path import LEVELS

built = pytest.mark.skipif(
    _refine._refinec is None, reason="verify/_refinec.c is not built (no C compiler at install)"
)
#: the degenerate mixers of test_refine_hash as the module's masks
MASKS = {"identity": (1 << 64) - 1, "two bits": 3, "constant": 0}
ROUNDS = (0, 1, 2, 3, 10_000)


def test_the_compiled_refinement_is_built_where_ci_requires_it():
    if os.environ.get("OPTISCRIBE_REQUIRE_COMPILED") == "1":
        assert _refine._refinec is not None, "verify/_refinec.c was not built: is gcc there?"
    elif _refine._refinec is None:
        pytest.skip("not built here, and not required")


def _differences(got, want, col):
    """What differs between two loops' results from the colours ``col`` (empty:
    nothing, bit for bit)."""
    diff = [f for f in ("half", "k", "diverged", "collided") if getattr(got, f) != getattr(want, f)]
    a, b = got.colours, want.colours
    if (a is col) != (b is col):
        return [*diff, "colours identity"]
    return diff + array_differences("colours", a, b)


def _same(u, col, *, rounds=ROUNDS, handled=True):
    """Both loops from ``col`` with every ``max_half_rounds`` of ``rounds`` and
    ``stop_when_discrete`` on and off agree; returns the numpy loops' results."""
    out = []
    for mh in rounds:
        for swd in (True, False):
            kw = {"max_half_rounds": mh, "stop_when_discrete": swd}
            got = _refine._hash_compiled(u, col, **kw)
            want = _refine._hash_arrays(u, col, **kw)
            assert (got is not None) == handled, (mh, swd)
            if got is not None:
                assert _differences(got, want, col) == [], (mh, swd, _differences(got, want, col))
            out.append(want)
    return out


def _individualised(u, col, cells=3, per_cell=2):
    """Colourings as the search makes them from ``col``: the first A node of a few
    non-singleton cells and some B nodes of the cell (and one of another cell) given a
    fresh colour above the others, then dense-ranked."""
    cnt = np.bincount(col)
    out = []
    for c in np.flatnonzero(cnt > 2)[:cells]:
        cell = np.flatnonzero(col == c)
        a_nodes = cell[u.owner[cell] == 0]
        b_nodes = cell[u.owner[cell] == 1]
        others = np.flatnonzero((col != c) & (u.owner == 1))
        if not a_nodes.size:  # (a diverged colouring)
            continue
        for b in [*b_nodes[:per_cell], *others[:1]]:
            c2 = col * 2
            c2[a_nodes[0]] = c2[b] = int(col.max()) * 2 + 1
            out.append(dense_rank(c2))
    return out


def _union(a, b):
    ga, gb, _ = label_pair(prepare(a), prepare(b))
    return build_union(ga, gb)


def _unions_of(pairs):
    for _, a, b in pairs:
        yield _union(a, b)


def _check_union(u):
    """Both loops on ``u`` from its initial colours and from individualised stable ones."""
    _same(u, u.init)
    stable = _refine._hash_arrays(u, u.init, max_half_rounds=10_000, stop_when_discrete=False)
    n = 1
    if not stable.diverged and not stable.collided:
        for col in _individualised(u, stable.colours):
            _same(u, col, rounds=(1, 10_000))
            n += 1
    return n


@built
def test_compiled_loop_equals_numpy_on_the_instances(tmp_path):
    pairs = [(name, read_model(a), read_model(b)) for name, a, b in _e2e_pairs(tmp_path, 10_000)]
    # both orders, and a model against itself
    pairs += [(name, b, a) for name, a, b in pairs[:20]] + [(n, a, a) for n, a, _ in pairs[:20]]
    runs = sum(_check_union(u) for u in _unions_of(pairs))
    assert runs >= 150, runs


@built
def test_compiled_loop_equals_numpy_on_formulation_bench():
    runs = sum(_check_union(u) for u in _unions_of(_fb_pairs()))
    assert runs >= 50, runs


def _symmetric(rng, blocks, rows, cols):
    """``blocks`` identical copies of one random block (identical bins), linked by one
    row over every column: few colours, many individualisations."""
    m = random_model(rng, rows, cols)
    A = np.kron(np.eye(blocks), m.A.toarray())
    A = np.vstack([A, np.ones((1, A.shape[1]))])
    lo = np.append(np.tile(m.row_lower, blocks), 0.0)
    hi = np.append(np.tile(m.row_upper, blocks), 5.0)
    return milp(
        A,
        np.tile(m.c, blocks),
        lo=lo,
        hi=hi,
        lb=np.tile(m.col_lower, blocks),
        ub=np.tile(m.col_upper, blocks),
        integer=np.tile(m.integer, blocks),
    )


@built
def test_compiled_loop_equals_numpy_on_random_models():
    rng = np.random.default_rng(1111)
    runs = 0
    for trial in range(150):
        if trial % 3 == 0:
            m = _symmetric(rng, int(rng.integers(2, 6)), int(rng.integers(1, 5)), 3)
        else:
            m = random_model(rng, int(rng.integers(0, 40)), int(rng.integers(1, 30)))
        A = m.A.toarray()
        if A.size:
            i, j = rng.integers(A.shape[0]) if A.shape[0] else 0, rng.integers(A.shape[1])
            if A.shape[0]:
                A[i, j] = [0.0, 1.0, -1.0, 2.0][rng.integers(4)]
        for other in (permuted(m, seed=trial), permuted(with_changes(m, A=A), seed=trial), m):
            runs += _check_union(_union(m, other))
    assert runs >= 500, runs


@built
@pytest.mark.parametrize("mixer", sorted(_DEGENERATE))
def test_degenerate_mixers_collide_alike(monkeypatch, tmp_path, mixer):
    # the numpy code with the degenerate mixer swapped in, the module with the same one
    monkeypatch.setattr(_refine, "_mix", _DEGENERATE[mixer])
    monkeypatch.setattr(_refine, "_NP_TABS", [])
    monkeypatch.setitem(_refine._COMPILED_MIXERS, _DEGENERATE[mixer], MASKS[mixer])
    unions = [_union(a, b) for _, a, b, _ in _pairs()]
    pairs = [(n, read_model(a), read_model(b)) for n, a, b in _e2e_pairs(tmp_path, 1000)[:25]]
    unions += list(_unions_of(pairs))
    collided = 0
    for u in unions:
        collided += sum(r.collided for r in _same(u, u.init))
    # not vacuous: collisions were detected, alike (a linear mix merges multisets, not old
    # colours: only the equitability check sees those, test_refine_hash)
    assert collided >= (0 if mixer == "identity" else 10), collided


@built
@pytest.mark.parametrize("mixer", sorted(_DEGENERATE))
def test_degenerate_mixers_change_no_verdict_through_the_module(monkeypatch, mixer):
    # test_refine_hash's pairs, every union through the module (no list path)
    monkeypatch.setattr(_refine, "SMALL_REFINE_NODES", -1)
    want = {name: _summary(_check(a, b, "strict")) for name, a, b, _ in _pairs()}
    monkeypatch.setattr(_refine, "_mix", _DEGENERATE[mixer])
    monkeypatch.setattr(_refine, "_NP_TABS", [])
    monkeypatch.setitem(_refine._COMPILED_MIXERS, _DEGENERATE[mixer], MASKS[mixer])
    calls = []
    real = _refine._hash_compiled
    monkeypatch.setattr(
        _refine, "_hash_compiled", lambda *a, **kw: calls.append(1) or real(*a, **kw)
    )
    paths = []
    for name, a, b, _ in _pairs():
        r = _check(a, b, "strict")
        assert r.verdict is want[name][0], (mixer, name)
        paths += [s for s in r.steps if s.startswith("colour refinement:")]
    assert calls and any("hash collision detected" in s for s in paths), paths


@built
def test_declined_unions_run_the_numpy_code():
    m = random_model(np.random.default_rng(3), 30, 20)
    u = _union(m, permuted(m, seed=1))
    assert _refine._hash_compiled(u, u.init, max_half_rounds=9, stop_when_discrete=False)

    def declined(v, col=None):
        col = v.init if col is None else col
        _same(v, col, rounds=(10_000,), handled=False)
        r = _refine.refine(v, col)
        assert r.colours.dtype == np.int64

    dst = u.row_dst.copy()
    dst[0] = u.n  # a neighbour out of range (numpy raises: not compared)
    bad = dataclasses.replace(u, row_dst=dst)
    for kw in (
        {"row_nodes": u.row_nodes.astype(np.int32)},
        {"var_w": u.var_w.astype(np.uint64), "var_arc": None},
        {"row_w": np.where(u.row_w == u.row_w.max(), -1, u.row_w)},  # a negative label
        {"row_nodes": np.r_[u.row_nodes[:-1], u.row_nodes[:1]]},  # a node twice
    ):
        v = dataclasses.replace(u, **kw)
        got = _refine._hash_compiled(v, v.init, max_half_rounds=9, stop_when_discrete=False)
        assert got is None, list(kw)
    assert _refine._hash_compiled(bad, bad.init, max_half_rounds=9, stop_when_discrete=True) is None
    # colours outside the tables, and a mixer the module does not have
    big = u.init.copy()
    big[0] = 1 << 40
    assert _refine._hash_compiled(u, big, max_half_rounds=9, stop_when_discrete=True) is None
    # colours with a gap (not dense, as refine may be given): handled within the tables
    gap = np.where(u.init == 0, u.n + 5, u.init)
    _same(u, gap, handled=u.n + 5 < _refine._colour_tables(u.n)[0].size)
    saved = _refine._mix
    try:
        _refine._mix = lambda x: x  # type: ignore[assignment]
        assert _refine._hash_compiled(u, u.init, max_half_rounds=9, stop_when_discrete=True) is None
    finally:
        _refine._mix = saved  # type: ignore[assignment]
    # var_w used where there is no var_arc: the same weights
    v = dataclasses.replace(u, var_arc=None)
    _same(v, v.init)


@built
def test_deliberate_breakages_are_caught():
    m = _symmetric(np.random.default_rng(8), 3, 3, 3)
    u = _union(m, permuted(m, seed=2))
    kw = {"max_half_rounds": 10_000, "stop_when_discrete": False}
    got = _refine._hash_compiled(u, u.init, **kw)
    want = _refine._hash_arrays(u, u.init, **kw)
    assert got is not None and _differences(got, want, u.init) == []

    def broken(**kw):
        return dataclasses.replace(got, **kw)

    assert got.half >= 2 and got.colours is not u.init
    c = got.colours.copy()
    j = int(np.flatnonzero(c != c[0])[0])
    c[[0, j]] = c[[j, 0]]
    assert _differences(broken(colours=c), want, u.init) == ["colours bytes"]
    assert _differences(broken(colours=c.astype(np.int32)), want, u.init) == ["colours type"]
    view = np.empty(c.size + 1, dtype=np.int64)[1:]
    view[:] = got.colours
    assert _differences(broken(colours=view), want, u.init) == ["colours flags"]
    assert _differences(broken(colours=u.init), want, u.init) == ["colours identity"]
    assert _differences(broken(half=got.half + 1), want, u.init) == ["half"]
    assert _differences(broken(k=got.k - 1), want, u.init) == ["k"]
    assert _differences(broken(collided=True), want, u.init) == ["collided"]
    # a mixer registered with the wrong mask gives other colours (the hashes are used)
    saved = dict(_refine._COMPILED_MIXERS)
    try:
        _refine._COMPILED_MIXERS[_refine._mix] = 3
        wrong = _refine._hash_compiled(u, u.init, **kw)
        assert wrong is not None and _differences(wrong, want, u.init) != []
    finally:
        _refine._COMPILED_MIXERS.clear()
        _refine._COMPILED_MIXERS.update(saved)


@built
def test_check_answers_the_same_without_the_module(monkeypatch, tmp_path):
    pairs = [(name, read_model(a), read_model(b)) for name, a, b in _e2e_pairs(tmp_path, 10_000)]
    pairs += _fb_pairs()
    calls, built_ = [], []
    real, real_union = _refine._hash_compiled, _refine._build_union_compiled
    monkeypatch.setattr(
        _refine, "_hash_compiled", lambda *a, **kw: calls.append(1) or real(*a, **kw)
    )
    monkeypatch.setattr(
        _refine,
        "_build_union_compiled",
        lambda *a: built_.append(1) or real_union(*a),
    )
    results = [(name, level, _check(a, b, level)) for name, a, b in pairs for level in LEVELS]
    # not vacuous: unions the module built and refined
    assert len(calls) >= 50 and len(built_) >= 50, (len(calls), len(built_))
    monkeypatch.setattr(_refine, "_refinec", None)
    for (name, level, r), (_, a, b) in zip(results, [p for p in pairs for _ in LEVELS]):
        assert _summary(r) == _summary(_check(a, b, level)), (name, level)


# --------------------------------------------------------------------------- the union

#: every array of a union (var_arc too, which _UNION_ARRAYS leaves to the list union)
UNION_ARRAYS = (*sorted(_refine._UNION_ARRAYS), "var_arc")


def _union_python(ga, gb):
    saved, _refine._refinec = _refine._refinec, None
    try:
        return _refine._build_union_arrays(ga, gb)
    finally:
        _refine._refinec = saved


def _union_differences(got, want):
    diff = [f for f in ("n", "offsets") if getattr(got, f) != getattr(want, f)]
    if got.ga is not want.ga or got.gb is not want.gb or type(got) is not type(want):
        diff.append("graphs")
    for f in UNION_ARRAYS:
        diff += array_differences(f, getattr(got, f), getattr(want, f))
    return diff


def _same_union(ga, gb, *, handled=True):
    got = _refine._build_union_compiled(ga, gb)
    assert (got is not None) == handled
    want = _union_python(ga, gb)
    if got is not None:
        assert _union_differences(got, want) == [], _union_differences(got, want)
    assert _union_differences(_refine._build_union_arrays(ga, gb), want) == []
    return got is not None


def _graphs(pairs):
    for _, a, b in pairs:
        ga, gb, _ = label_pair(prepare(a), prepare(b))
        yield ga, gb
        yield gb, ga


def _random_pairs(rng, count):
    """Random models (every third one symmetric) against a permuted copy."""
    pairs = []
    for trial in range(count):
        if trial % 3 == 0:
            m = _symmetric(rng, int(rng.integers(2, 6)), int(rng.integers(1, 5)), 3)
        else:
            m = random_model(rng, int(rng.integers(0, 40)), int(rng.integers(1, 30)))
        pairs.append(("random", m, permuted(m, seed=trial)))
    return pairs


@built
def test_compiled_union_equals_numpy(tmp_path):
    pairs = [(name, read_model(a), read_model(b)) for name, a, b in _e2e_pairs(tmp_path, 10_000)]
    pairs += [(n, a, a) for n, a, _ in pairs[:20]]
    pairs += _fb_pairs()
    pairs += _random_pairs(np.random.default_rng(2024), 200)
    assert sum(_same_union(ga, gb) for ga, gb in _graphs(pairs)) >= 500


def _graph_with(g, **kw):
    return dataclasses.replace(g, **kw)


@built
def test_compiled_union_edge_graphs():
    m = random_model(np.random.default_rng(4), 12, 9)
    ga, gb, _ = label_pair(prepare(m), prepare(permuted(m, seed=3)))
    # huge and negative ids in every label column, the integer flag not 0/1, coefficient
    # ids spanning the int64 range (numpy's subtraction wraps; so does the module's)
    big = 1 << 62
    vl = ga.var_label.copy()
    vl[::2, 0] = -big
    vl[1::3, 2] = big
    vl[::4, 1] = 7
    vl[:, 3] = np.arange(vl.shape[0]) * (big // vl.shape[0]) - big
    coef = ga.coef.copy()
    coef[::2] = -big - big  # the smallest int64
    coef[1::2] = big
    rhs = ga.row_rhs.copy()
    rhs[::2] = big
    g2 = _graph_with(ga, var_label=vl, coef=coef, row_rhs=rhs)
    for x, y in ((g2, gb), (gb, g2), (g2, g2)):
        assert _same_union(x, y)
    # no rows, no arcs, no variables on one side
    empty = _graph_with(
        ga,
        row_kind=ga.row_kind[:0],
        row_rhs=ga.row_rhs[:0],
        indptr=ga.indptr[:1],
        indices=ga.indices[:0],
        coef=ga.coef[:0],
    )
    novars = _graph_with(empty, var_label=ga.var_label[:0])
    for x, y in ((empty, gb), (gb, empty), (empty, empty), (novars, empty), (novars, novars)):
        assert _same_union(x, y)


@built
def test_declined_graphs_run_the_numpy_code():
    m = random_model(np.random.default_rng(5), 12, 9)
    ga, gb, _ = label_pair(prepare(m), prepare(permuted(m, seed=3)))
    assert _same_union(ga, gb)
    ind = ga.indices.copy()
    ind[0] = ga.n_vars  # a row node, not a variable
    ptr = ga.indptr.copy()
    ptr[0] = 1
    kind = ga.row_kind.copy()
    kind[0] = -1
    for kw in (
        {"coef": ga.coef.astype(np.int32)},
        {"var_label": np.asfortranarray(ga.var_label)},
        {"row_kind": kind},
    ):
        assert not _same_union(_graph_with(ga, **kw), gb, handled=False), list(kw)
    # numpy raises, or makes arrays that are no union: not compared
    for kw in ({"indices": ind}, {"indptr": ptr}, {"var_label": ga.var_label[:, :3].copy()}):
        assert _refine._build_union_compiled(_graph_with(ga, **kw), gb) is None


@built
def test_union_breakages_are_caught():
    m = random_model(np.random.default_rng(6), 12, 9)
    ga, gb, _ = label_pair(prepare(m), prepare(permuted(m, seed=3)))
    got, want = _refine._build_union_compiled(ga, gb), _union_python(ga, gb)
    assert got is not None and _union_differences(got, want) == []

    def broken(**kw):
        return dataclasses.replace(got, **kw)

    arc = got.var_arc.copy()
    arc[[0, -1]] = arc[[-1, 0]]
    assert _union_differences(broken(var_arc=arc), want) == ["var_arc bytes"]
    start = got.row_start.copy()  # the same values, owning its data (not a view)
    assert _union_differences(broken(row_start=start), want) == ["row_start flags"]
    assert _union_differences(broken(init=got.init.astype(np.int32)), want) == ["init type"]
    assert _union_differences(broken(offsets=(0, 0, 0, 0)), want) == ["offsets"]


# --------------------------------------------------------------------------- equitability


def _colourings(u, rng):
    """Colourings to check: the initial and stable ones, after 1-3 half-rounds, the stable
    one with two cells merged (coarser) and with nodes split off at random (finer), and
    individualised ones."""
    st = _refine._hash_arrays(u, u.init, max_half_rounds=10_000, stop_when_discrete=False)
    out = [u.init, st.colours]
    out += [
        _refine._hash_arrays(u, u.init, max_half_rounds=h, stop_when_discrete=False).colours
        for h in (1, 2, 3)
    ]
    c = st.colours.copy()
    c[c == c.max()] = 0
    out.append(dense_rank(c))
    c = st.colours.copy()
    c[rng.random(c.size) < 0.1] += c.max() + 1
    out.append(dense_rank(c))
    for col in _individualised(u, st.colours, cells=2, per_cell=1):
        out.append(
            _refine._hash_arrays(u, col, max_half_rounds=10_000, stop_when_discrete=False).colours
        )
    return out


def _equitable_args(u):
    """The union's arrays the module's is_equitable reads, in its order."""
    row = (u.row_nodes, u.row_deg, u.row_dst, u.row_w, u.row_start)
    return (u.init, *row, u.var_nodes, u.var_deg, u.var_dst, u.var_w, u.var_start)


def _same_equitable(u, colours, *, handled=True):
    answers = []
    for skip in (True, False):
        want = _refine._is_equitable_arrays(u, colours, skip_pairs=skip)
        got = _refine._refinec.is_equitable(colours, *_equitable_args(u), skip)
        assert (got is not None) == handled
        assert got is None or got is want, skip
        assert _refine.is_equitable(u, colours, skip_pairs=skip) is want
        answers.append(want)
    return answers


@built
def test_compiled_equitability_equals_numpy(tmp_path):
    pairs = [(name, read_model(a), read_model(b)) for name, a, b in _e2e_pairs(tmp_path, 10_000)]
    pairs += _fb_pairs()[::3]
    rng = np.random.default_rng(77)
    pairs += _random_pairs(rng, 100)
    answers = [
        a for u in _unions_of(pairs) for col in _colourings(u, rng) for a in _same_equitable(u, col)
    ]
    # not vacuous: both answers, many times
    assert answers.count(True) >= 300 and answers.count(False) >= 300, (
        answers.count(True),
        answers.count(False),
    )


@built
def test_declined_equitability_runs_the_numpy_code():
    m = random_model(np.random.default_rng(8), 30, 20)
    u = _union(m, permuted(m, seed=1))
    col = _refine._hash_arrays(u, u.init, max_half_rounds=10_000, stop_when_discrete=False).colours
    _same_equitable(u, col)
    _same_equitable(u, col.astype(np.int32), handled=False)
    _same_equitable(u, np.where(col == 0, u.n, col), handled=False)  # a colour >= n
    _same_equitable(dataclasses.replace(u, row_w=u.row_w - u.row_w.max()), col, handled=False)
    # arcs not node after node (numpy's answer is not about this union: not compared)
    start = u.row_start.copy()
    start[[0, 1]] = start[[1, 0]]
    v = dataclasses.replace(u, row_start=start)
    assert _refine._refinec.is_equitable(col, *_equitable_args(v), True) is None
    assert _same_equitable(u, col[:0]) == [True, True]  # no nodes
