"""label_pair's tolerance-mode arrays in C (``verify/_graphc.c``, issue 11): ``label_pair``
gives the same numbers and graphs with or without the compiled module, bit for bit (the
``_Numbers`` state: ``_u``, ``_cl``, ``inf_id``, ``reps``, ``_bucket``; every Graph array's
bytes, dtype, shape and flags; offset ids; the steps), on every highs-check instance
against a permuted copy, both files of the end-to-end benchmark's pairs, the reader
corpora, FormulationBench pairs, and random models (duplicate rows, sign-symmetric and
zero-rhs equalities, empty rows and columns, near and far numbers, infinities, NaN,
huge column ids); where the module declines the numpy code runs; deliberate breakages are
caught; and ``check`` answers the same with and without it.

In CI (``OPTISCRIBE_REQUIRE_COMPILED=1``) the module must be built; elsewhere its tests
are skipped where no C compiler built it."""

from __future__ import annotations

import dataclasses
import itertools
import os

import numpy as np
import pytest

from optiscribe.verify import _canon, read_model

from .conftest import HIGHS_CHECK, milp, need, permuted
from .test_canonc import (
    _check,
    _corpus_files,
    _e2e_pairs,
    _fb_pairs,
    _readable,
    _summary,
    array_differences,
    random_model,
)
from .test_small_path import GRAPH_FIELDS, LEVELS, _edge_models

built = pytest.mark.skipif(
    _canon._graphc is None, reason="verify/_graphc.c is not built (no C compiler at install)"
)


def test_the_compiled_label_pair_is_built_where_ci_requires_it():
    if os.environ.get("OPTISCRIBE_REQUIRE_COMPILED") == "1":
        assert _canon._graphc is not None, "verify/_graphc.c was not built: is gcc there?"
    elif _canon._graphc is None:
        pytest.skip("not built here, and not required")


def _python(pa, pb, rtol=1e-9):
    """``label_pair`` with the module switched off and no plain-Python path: the numpy
    code (quiet on the overflows and divisions by zero of :func:`_scrambled`'s numbers;
    the list paths are held to it by test_small_path.py)."""
    saved, _canon._graphc = _canon._graphc, None
    small, _canon.SMALL_NNZ = _canon.SMALL_NNZ, -1
    try:
        with np.errstate(all="ignore"):
            return _canon.label_pair(pa, pb, rtol=rtol)
    finally:
        _canon._graphc = saved
        _canon.SMALL_NNZ = small


def _differences(got, want):
    """What differs between two label_pair results (empty: nothing, bit for bit)."""
    diff = []
    nu, nw = got[2], want[2]
    if (nu.exact, nu.inf_id, nu.reps, nu._bucket) != (nw.exact, nw.inf_id, nw.reps, nw._bucket):
        diff.append("numbers")
    diff += array_differences("_u", nu._u, nw._u) + array_differences("_cl", nu._cl, nw._cl)
    for g, (a, b) in enumerate(zip(got[:2], want[:2])):
        if type(a) is not type(b) or a.prepared is not b.prepared:
            diff.append(f"{g} type")
        if a.steps != b.steps:
            diff.append(f"{g} steps")
        if type(a.offset_id) is not type(b.offset_id) or a.offset_id != b.offset_id:
            diff.append(f"{g} offset_id")
        if _canon.graph_lists(a) != _canon.graph_lists(b):
            diff.append(f"{g} lists")
        for f in GRAPH_FIELDS:
            diff += array_differences(f"{g} {f}", getattr(a, f), getattr(b, f))
    return diff


def _recording(fn, calls):
    """``fn``, appending to ``calls`` whether each call answered (not None)."""

    def spy(*a):
        got = fn(*a)
        calls.append(got is not None)
        return got

    return spy


def _same(pa, pb, rtol=1e-9, *, compiled=True):
    """The compiled and numpy label_pair of ``(pa, pb)`` agree; returns how many of the
    graphs the compiled path made (``compiled``: whether it must take the pair)."""
    calls: list[bool] = []
    real = _canon._build_graph_compiled
    _canon._build_graph_compiled = _recording(real, calls)
    try:
        with np.errstate(all="ignore"):  # (_scrambled's numbers, on the list path)
            got = _canon.label_pair(pa, pb, rtol=rtol)
    finally:
        _canon._build_graph_compiled = real
    direct = _canon._label_pair_compiled(pa, pb, rtol)
    want = _python(pa, pb, rtol)
    if compiled and not _canon._small_pair(pa, pb):
        assert direct is not None
    assert _differences(got, want) == [], _differences(got, want)
    if direct is not None:
        assert _differences(direct, want) == []
    return sum(calls)


def _pairs_of(models):
    for k, m in enumerate(models):
        yield m, permuted(m, seed=k)
    yield from itertools.pairwise(models)


@built
def test_compiled_label_pair_equals_numpy_on_the_instances(tmp_path):
    models = list(_readable(sorted(need(HIGHS_CHECK).glob("*"))))
    files = []
    for _, a, b in _e2e_pairs(tmp_path, 10_000):
        files.append(tuple(_readable([a, b])))
    made = 0
    for a, b in [*_pairs_of(models), *[f for f in files if len(f) == 2]]:
        pa, pb = _canon.prepare(a), _canon.prepare(b)
        made += _same(pa, pb)
        made += _same(pb, pa)
        made += _same(pa, pa, rtol=1e-6)
    assert made >= 100, made


@built
def test_compiled_label_pair_equals_numpy_on_the_reader_corpora(tmp_path):
    models = list(_readable(_corpus_files(tmp_path, 13)))
    # the corpora's models are small: each is labelled with a big partner, so the pair
    # takes the array path and the small model's graph the list path from the C ids
    big = _canon.prepare(_dense_model(np.random.default_rng(3), 30, 20))
    for m in models:
        p = _canon.prepare(m)
        _same(p, big)
        _same(big, p)


def _dense_model(rng, m, n, *, dup=0.3, sym=0.3):
    """A model of more than SMALL_NNZ entries with duplicate rows (also as '>=' copies),
    equalities with zero, negative and positive rhs, sign-symmetric ones (balanced at the
    top or at every magnitude), rows with zero-id (tiny) coefficients, empty columns,
    near-equal numbers (within and just beyond the tolerance), NaN-free."""
    vals = np.array([1.0, -1.0, 2.0, -2.0, 1 + 1e-12, 1 + 1e-8, 3.0, -0.5, 1e-14, 7.0, 1e300])
    rows, lo, hi = [], [], []
    for _ in range(m):
        r = np.zeros(n)
        if rows and rng.random() < dup:
            r = rows[int(rng.integers(len(rows)))].copy() * rng.choice([1.0, -1.0, 2.0])
        else:
            k = int(rng.integers(2, max(3, n - 2)))
            cols = rng.choice(n - 2, size=k, replace=False)  # the last two: empty columns
            r[cols] = rng.choice(vals, size=k)
            if rng.random() < sym:  # balanced: +a and -a at the top magnitude
                c2 = rng.choice(n - 2, size=2, replace=False)
                big = float(np.abs(r).max()) * 2 or 1.0
                r[c2] = [big, -big]
                if rng.random() < 0.5:
                    r[r != 0] = np.where(np.arange((r != 0).sum()) % 2, 1.0, -1.0)
        rows.append(r)
        shape = int(rng.integers(5))
        b = float(rng.choice([0.0, 0.0, 1.0, -1.0, 2.5, 1e-13]))
        lo.append(b if shape < 3 else -np.inf if shape == 3 else b)
        hi.append(b if shape < 3 else b if shape == 3 else np.inf)
    c = rng.choice([0.0, 1.0, -1.0, 1 + 1e-10, 5.0, 1e-13, 1e-12, -1e-12], size=n)
    lb = rng.choice([0.0, -np.inf, -1.0, -0.0], size=n)
    ub = rng.choice([1.0, np.inf, 10.0, 1e20], size=n)
    return milp(
        np.array(rows).reshape(m, n),
        c,
        lo=lo,
        hi=hi,
        lb=lb,
        ub=ub,
        integer=rng.random(n) < 0.4,
        offset=float(rng.choice([0.0, 3.5, -1e-13])),
    )


def _random_prepared(rng):
    m, n = int(rng.integers(12, 60)), int(rng.integers(8, 30))
    return _canon.prepare(_dense_model(rng, m, n, dup=rng.random(), sym=rng.random()))


def _scrambled(p, rng):
    """``p`` with NaN (of both signs), infinite, zero and tiny numbers put into its
    arrays, scales included (which prepare would not make, but label_pair must label as
    numpy does: a NaN factor keeps its sign under the orientation's multiplication)."""
    cost, lb, ub = p.cost.copy(), p.lb.copy(), p.ub.copy()
    data, rhs, scale = p.rows.data.copy(), p.rhs.copy(), p.scale.copy()
    pool = [np.nan, -np.nan, np.inf, -np.inf, 1e-13, -0.0, 5e-324]
    for a in (cost, lb, ub, data, rhs, scale):
        if a.size:
            k = rng.integers(a.size, size=max(1, a.size // 8))
            # (no zero scale: the list path divides by it in Python, which raises)
            a[k] = rng.choice(pool if a is not scale else [*pool[:5], 0.25], size=k.size)
    return dataclasses.replace(
        p, cost=cost, lb=lb, ub=ub, rows=p.rows._replace(data=data), rhs=rhs, scale=scale
    )


def _spread(p, rng):
    """``p`` with its coefficients and costs drawn from ~16 orders of magnitude (nearly
    all distinct, the table of distinct values grown several times) and some of them
    moved by a few ulps or by about 1e-9 relative (in and out of a cluster)."""
    data = rng.standard_normal(p.rows.nnz) * 10.0 ** rng.integers(-8, 8, size=p.rows.nnz)
    near = rng.random(data.size) < 0.3
    data[near] = data[np.roll(near, 1)][: near.sum()] * rng.choice(
        [1 + 1e-9, 1 - 1e-9, 1 + 2e-16, 1 + 1e-6], size=near.sum()
    )
    cost = rng.standard_normal(p.cost.size) * 1e3
    return dataclasses.replace(p, cost=cost, rows=p.rows._replace(data=data))


@built
def test_compiled_label_pair_equals_numpy_on_random_models():
    rng = np.random.default_rng(1111)
    made = 0
    steps = set()
    for trial in range(150):
        pa = _random_prepared(rng)
        pb = dataclasses.replace(_canon.prepare(permuted(pa.model, seed=trial)))
        if trial % 3 == 0:
            pb = _random_prepared(rng)
        if trial % 5 == 0:
            pa = _scrambled(pa, rng)
        if trial % 7 == 0:  # many distinct numbers, some within rtol of each other
            pa = _spread(pa, rng)
        for rtol in (1e-9, 1e-6, 0.0, 0.5):
            made += _same(pa, pb, rtol)
        steps.update(t.split(" ", 1)[1] for g in _python(pa, pb)[:2] for t in g.steps[-3:])
    assert made >= 400, made
    # not vacuous: every step of the graphs occurs
    for text in ("sign-symmetric", "re-oriented", "duplicate rows"):
        assert any(text in s for s in steps), text


@built
def test_compiled_label_pair_equals_numpy_on_edge_models():
    rng = np.random.default_rng(7)
    big = _random_prepared(rng)
    models = list(_edge_models())
    models += [
        random_model(rng, int(rng.integers(0, 12)), int(rng.integers(1, 8))) for _ in range(200)
    ]
    for m in models:
        p = _canon.prepare(m)
        _same(p, big)
        _same(big, p)
    # rows without entries (equalities with rhs 0 among them: sign-symmetric, and equal
    # to each other), in the compiled graph path at every size and in numpy; huge column ids
    scrambled = _scrambled(_random_prepared(rng), rng)  # (its zero scales: arrays only)
    other = _random_prepared(rng)
    for p, ks in ((big, (big.rhs.size, 3)), (other, (other.rhs.size, 3)), (scrambled, (3,))):
        for k in ks:
            cnt = np.diff(p.rows.indptr)
            keep = np.repeat(np.arange(cnt.size) >= k, cnt)
            ptr = np.zeros(cnt.size + 1, dtype=np.int64)
            np.cumsum(np.where(np.arange(cnt.size) >= k, cnt, 0), out=ptr[1:])
            rows = p.rows._replace(indptr=ptr, indices=p.rows.indices[keep], data=p.rows.data[keep])
            rhs = p.rhs.copy()
            rhs[:k] = 0.0
            empty = dataclasses.replace(p, rows=rows, rhs=rhs)
            assert _same(empty, big) == 2  # both graphs in C, the tiny one too
            got = _canon.label_pair(empty, empty)[0]
            if k == 3 and empty.is_eq[:3].any():
                assert (got.row_kind == _canon.KIND_EQ_PM).any()
    huge = dataclasses.replace(
        big, rows=big.rows._replace(indices=big.rows.indices.astype(np.int64) + (1 << 40))
    )
    _same(huge, huge)


@built
def test_declined_inputs_run_the_numpy_code():
    rng = np.random.default_rng(21)
    pa, pb = _random_prepared(rng), _random_prepared(rng)
    r = pa.rows
    n = pa.cost.size
    ids = _canon._label_pair_compiled(pa, pb, 1e-9)
    assert ids is not None
    # numbers not float64 / offsets inconsistent: joint declines, label_pair runs numpy
    for bad in (
        dataclasses.replace(pa, cost=pa.cost.astype(np.float32)),
        dataclasses.replace(pa, rhs=pa.rhs[:-1]),
        dataclasses.replace(pa, rows=r._replace(indptr=r.indptr + 1)),
        dataclasses.replace(pa, rows=r._replace(data=r.data[:-1])),
    ):
        assert _canon._label_pair_compiled(bad, pb, 1e-9) is None
    _same(dataclasses.replace(pa, cost=pa.cost.astype(np.float32)), pb, compiled=False)
    # a graph's inputs of other dtypes, or columns so large that the numpy code's
    # packed tokens could overflow: graph declines, the numpy code makes that graph
    allv = _canon._graphc.joint(
        *(pa.cost, pa.lb, pa.ub, pa.offset, r.indptr, r.data, pa.rhs, pa.scale),
        *(pb.cost, pb.lb, pb.ub, pb.offset, pb.rows.indptr, pb.rows.data, pb.rhs, pb.scale),
        1e-9,
        _canon.ZERO_TOL,
    )[2]
    assert _canon._build_graph_compiled(pa, allv, 0, n) is not None
    for bad in (
        dataclasses.replace(pa, side=pa.side.astype(np.int64)),
        dataclasses.replace(pa, orig_row=pa.orig_row.astype(np.int32)),
        dataclasses.replace(pa, integer=pa.integer.astype(np.int64)),
        dataclasses.replace(pa, scale=pa.scale.astype(">f8")),  # not native order
        dataclasses.replace(pa, rows=r._replace(indices=r.indices.astype(np.int64) + (1 << 60))),
        dataclasses.replace(pa, rows=r._replace(indices=r.indices.astype(np.int64) - 5)),
    ):
        assert _canon._build_graph_compiled(bad, allv, 0, n) is None
        assert _same(bad, bad, compiled=False) == 0
    assert _canon._build_graph_compiled(pa, allv[:-1], allv.size - 10, n) is None
    assert _canon._build_graph_compiled(pa, allv.astype(np.int32), 0, n) is None
    # int32 offsets and columns (scipy's) are taken
    p32 = dataclasses.replace(
        pa, rows=r._replace(indptr=r.indptr.astype(np.int32), indices=r.indices.astype(np.int32))
    )
    assert _same(p32, p32) == 2


@built
def test_deliberate_breakages_are_caught():
    # the comparison sees each kind of difference the module could make
    rng = np.random.default_rng(5)
    while True:
        pa, pb = _random_prepared(rng), _random_prepared(rng)
        want = _python(pa, pb)
        ga = want[0]
        if ga.dup_node.size and (ga.row_kind == _canon.KIND_EQ_PM).any():
            break
    got = _canon.label_pair(pa, pb)
    assert _differences(got, want) == []

    def broken(g=0, **kw):
        graphs = list(got[:2])
        graphs[g] = dataclasses.replace(graphs[g], **kw)
        return (*graphs, got[2])

    g = got[0]
    coef = g.coef.copy()
    coef[0] = -coef[0]
    assert _differences(broken(coef=coef), want) == ["0 lists", "0 coef bytes"]
    assert _differences(broken(dup_node=g.dup_node[::-1] + 1), want) == ["0 dup_node bytes"]
    factor = g.row_factor.copy()
    factor[-1] = np.nextafter(factor[-1], 0)  # one ulp
    assert _differences(broken(1, row_factor=got[1].row_factor * 1), want) == []
    assert _differences(broken(row_factor=factor), want) == ["0 row_factor bytes"]
    assert _differences(broken(row_orig=g.row_orig.astype(np.int32)), want) == ["0 row_orig type"]
    view = np.empty(g.row_rhs.size + 1, dtype=np.int64)[1:]
    view[:] = g.row_rhs
    assert _differences(broken(row_rhs=view), want) == ["0 row_rhs flags"]
    assert _differences(broken(steps=g.steps[::-1]), want) == ["0 steps"]
    assert _differences(broken(offset_id=np.int64(g.offset_id)), want) == ["0 offset_id"]
    num = _canon._Numbers._of(got[2]._u.copy(), got[2]._cl.copy())
    num._u[-1] = np.nextafter(num._u[-1], np.inf)
    assert _differences((*got[:2], num), want) == ["_u bytes"]
    num = _canon._Numbers._of(got[2]._u, got[2]._cl + 1)
    assert _differences((*got[:2], num), want) == ["numbers", "_cl bytes"]
    # a NaN factor's sign: -f and f * -1.0 differ there (the C multiplies, as numpy)
    nan = np.array([np.nan])
    assert (-nan).tobytes() != (nan * np.array([-1])).tobytes()


@built
def test_check_answers_the_same_without_the_module(monkeypatch, tmp_path):
    pairs = [(name, read_model(a), read_model(b)) for name, a, b in _e2e_pairs(tmp_path, 10_000)]
    pairs += _fb_pairs()
    results = []
    calls: list[bool] = []
    monkeypatch.setattr(
        _canon, "_label_pair_compiled", _recording(_canon._label_pair_compiled, calls)
    )
    for name, a, b in pairs:
        for level in LEVELS:
            results.append((name, level, _check(a, b, level)))
    assert sum(calls) >= 50, sum(calls)  # not vacuous: pairs the compiled path labelled
    monkeypatch.setattr(_canon, "_graphc", None)
    for (name, level, r), (_, a, b) in zip(results, [p for p in pairs for _ in LEVELS]):
        assert _summary(r) == _summary(_check(a, b, level)), (name, level)


@built
def test_the_compiled_path_is_taken_at_every_size_in_tolerance_mode(monkeypatch):
    # with the module every tolerance-mode pair is labelled in C, tiny ones too (faster
    # than the lists there as well), and exact mode stays numpy; without it a small pair
    # takes the plain-Python path
    calls = []
    real = _canon._label_pair_compiled
    monkeypatch.setattr(
        _canon, "_label_pair_compiled", lambda *a: calls.append("compiled") or real(*a)
    )
    real_small = _canon._label_pair_small
    monkeypatch.setattr(
        _canon, "_label_pair_small", lambda *a: calls.append("small") or real_small(*a)
    )
    n = _canon.SMALL_NNZ
    small = _canon.prepare(milp([[1.0] * n], [1.0] * n, hi=[1.0]))
    big = _canon.prepare(milp([[1.0] * (n + 1)], [1.0] * (n + 1), hi=[1.0]))
    ga, gb, _ = _canon.label_pair(small, small)
    _canon.label_pair(big, big, exact=True)
    _canon.label_pair(small, big)
    assert calls == ["compiled", "compiled"]
    assert type(ga) is _canon.Graph and type(gb) is _canon.Graph
    monkeypatch.setattr(_canon, "_graphc", None)
    tiny = _canon.prepare(milp([[1.0] * 8], [1.0] * 8, hi=[1.0]))
    _canon.label_pair(tiny, tiny)
    assert calls[2:] == ["small"]
