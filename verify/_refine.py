"""Colour refinement on the disjoint union of two graphs, symmetric-decomposability, and
the exact individualisation-refinement search.

The bipartite graph is refined in half-rounds (rows from variables, then variables from
rows); the stable partition is the same as with simultaneous updates (the coarsest
equitable refinement of the initial colouring). Two refinement procedures compute it:

* the fast path (:func:`_half_round_hash`): a node's new colour is the dense rank, over
  both graphs at once, of a 64-bit signature ``mix(old colour, sum over arcs of
  r(neighbour colour) * w(edge label))`` (wrap-around ``uint64`` arithmetic; ``r`` a
  seeded pseudo-random value per colour, ``w`` a seeded odd one per edge label): an
  order-free multiset hash, so no per-round sort of the arcs;
* the exact path (:func:`_half_round`, the reference): the new colour is the exact rank
  of ``(old colour, sorted multiset of (neighbour colour, edge label))``.

Why the fast path is sound. It applies one fixed function to both graphs, so it is
isomorphism-invariant: an isomorphism maps every node to a node of the same colour in
every round, whatever the hash values are. Hence **different per-graph histograms prove
non-isomorphism, collisions or not**; and the only colour-preserving bijection of a
discrete colouring is the only candidate isomorphism (it is verified independently
before anything is concluded from it). By induction each fast colouring is a function
of any equitable refinement of the initial colouring, so the fast stable partition is
*coarser or equal* to the true one; a collision can only merge classes. Every
conclusion that needs the true stable partition (SD decisions, "SD on one side only",
the search's target cells) is therefore preceded by one exact check
(:func:`is_equitable`: initial colours constant on cells, and every node of a cell has
the same multiset of (neighbour cell, edge label), one sort of the arcs). A partition
that passes is an equitable refinement of the initial colouring, hence finer or equal
to the coarsest one, hence equal to it. If it fails (a collision), refinement is redone
from the start with the exact path. :attr:`Refined.path` records which path was used.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from operator import mul, sub
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from optiscribe.verify._canon import Graph, graph_lists
from optiscribe.verify._ranks import (
    _K1,
    _K2,
    _M1,
    _M2,
    _mix,
    dense_rank,
    rank_pairs,
    rank_sequences,
    rank_sequences_fast,
)

try:  # the fast path's loop in C (verify/_refinec.c), built by the install where a C compiler
    from optiscribe.verify import _refinec
except ImportError:  # none: refine runs its numpy code, as it computes
    _refinec = None  # type: ignore[assignment]

__all__ = [
    "Refined",
    "Union",
    "build_union",
    "is_equitable",
    "mapping_is_isomorphism",
    "out_of_budget",
    "refine",
    "refine_exact",
    "sd_mapping",
    "sd_status",
    "search",
]

#: Fixed seed of the 64-bit weights of the hashed refinement (shared by both graphs).
HASH_SEED = 0x243F6A8885A308D3
_SALT_OWN = np.uint64(0x13198A2E03707344)
_SALT_COL = np.uint64(0xA4093822299F31D0)


@dataclass(frozen=True, eq=False)
class Union:
    """Node layout: [A vars | A rows | B vars | B rows]; arcs kept per update side."""

    ga: Graph
    gb: Graph
    n: int
    owner: np.ndarray  # 0 for A, 1 for B
    is_row: np.ndarray
    offsets: tuple[int, int, int, int]  # start of A vars, A rows, B vars, B rows
    # row side: for each row node (in node order) its arcs to variable nodes
    row_nodes: np.ndarray
    row_deg: np.ndarray
    row_dst: np.ndarray
    row_w: np.ndarray
    var_nodes: np.ndarray
    var_deg: np.ndarray
    var_dst: np.ndarray
    var_w: np.ndarray
    init: np.ndarray  # initial colours
    # per side: first arc of every node
    row_start: np.ndarray
    var_start: np.ndarray
    var_arc: np.ndarray | None = None  # var-side arc k is row-side arc var_arc[k]

    # per side: the node (position in *_nodes) of every arc; built on first use (only
    # the exact path, the equitability check and the search need them)
    @cached_property
    def row_seg(self) -> np.ndarray:
        return np.repeat(np.arange(self.row_deg.size, dtype=np.int64), self.row_deg)

    @cached_property
    def var_seg(self) -> np.ndarray:
        return np.repeat(np.arange(self.var_deg.size, dtype=np.int64), self.var_deg)


#: Below this many arcs a stable sort groups them by variable (O(nnz log nnz), few
#: calls); above it a CSR to CSC conversion does (O(nnz), in C).
_SMALL_ARCS = 20_000


#: Up to this many arcs (both graphs) the union is laid out on Python lists
#: (:func:`_build_union_small`): the same arrays with a fraction of the numpy calls.
SMALL_UNION_ARCS = 192


def build_union(ga: Graph, gb: Graph) -> Union:
    """Lay both graphs out as one node set with exact, jointly ranked initial colours."""
    if _refinec is None and ga.n_arcs + gb.n_arcs <= SMALL_UNION_ARCS:
        return _build_union_small(ga, gb)  # (with the module, C is faster at every size)
    return _build_union_arrays(ga, gb)


def _layout(ga: Graph, gb: Graph) -> tuple[int, int, int, int, int, np.ndarray, np.ndarray]:
    """Where each side's variables and rows start in the union's node set (A's variables,
    A's rows, B's variables, B's rows), the node count, each node's owner and row flag."""
    oa_v, oa_r, ob_v, ob_r, n = _offsets(ga, gb)
    owner, is_row = _owner_is_row(n, (oa_v, oa_r, ob_v, ob_r))
    return oa_v, oa_r, ob_v, ob_r, n, owner, is_row


def _offsets(ga: Graph, gb: Graph) -> tuple[int, int, int, int, int]:
    """The starts of :func:`_layout` and the node count."""
    oa_v, oa_r = 0, ga.n_vars
    ob_v = ga.n_vars + ga.n_rows
    ob_r = ob_v + gb.n_vars
    return oa_v, oa_r, ob_v, ob_r, ob_r + gb.n_rows


def _owner_is_row(n: int, offsets: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Each node's owner (0 for A, 1 for B) and row flag."""
    _, oa_r, ob_v, ob_r = offsets
    owner = np.zeros(n, dtype=np.int8)
    owner[ob_v:] = 1
    is_row = np.zeros(n, dtype=bool)
    is_row[oa_r:ob_v] = True
    is_row[ob_r:] = True
    return owner, is_row


def _build_union_small(ga: Graph, gb: Graph) -> Union:
    """:func:`_build_union_arrays` on Python lists: initial colours are the dense ranks
    of the lexicographic variable labels (cost, integer, lb, ub) and, after all of them,
    of the row labels (kind, rhs); arcs grouped by variable with a stable sort. The
    union's arrays are made from these lists when first read (:class:`_ListUnion`)."""
    oa_v, oa_r, ob_v, ob_r, n = _offsets(ga, gb)
    la, lb = graph_lists(ga), graph_lists(gb)  # never written to
    vlab = la.var_label + lb.var_label
    vrank = {t: k for k, t in enumerate(sorted(set(vlab)))}
    nvc = len(vrank)
    rlab = list(zip(la.kind + lb.kind, la.rhs + lb.rhs))
    rrank = {t: k + nvc for k, t in enumerate(sorted(set(rlab)))}
    va, ra = ga.n_vars, ga.n_rows
    init = (
        [vrank[t] for t in vlab[:va]]
        + [rrank[t] for t in rlab[:ra]]
        + [vrank[t] for t in vlab[va:]]
        + [rrank[t] for t in rlab[ra:]]
    )
    coef = la.coef + lb.coef
    wshift = min(coef) if coef else 0
    row_w = [c - wshift for c in coef]
    ptr_a, ptr_b = la.indptr, lb.indptr
    row_deg = list(map(sub, ptr_a[1:], ptr_a)) + list(map(sub, ptr_b[1:], ptr_b))
    row_dst = la.indices + [j + ob_v for j in lb.indices]
    row_nodes = list(range(oa_r, ob_v)) + list(range(ob_r, n))
    order = sorted(range(len(row_dst)), key=row_dst.__getitem__)  # stable
    indptr = [0, *accumulate(row_deg)]
    var_nodes = list(range(oa_v, oa_r)) + list(range(ob_v, ob_r))
    deg = [0] * n
    for j in row_dst:
        deg[j] += 1
    var_deg = [deg[v] for v in var_nodes]
    var_start = [0, *accumulate(var_deg)][:-1] if var_deg else []
    # the row node and the label of every arc, in variable order
    arc_src = [v for v, d in zip(row_nodes, row_deg) for _ in range(d)]
    var_dst = list(map(arc_src.__getitem__, order))
    var_w = list(map(row_w.__getitem__, order))
    lists = _UnionLists(
        init,
        row_nodes,
        row_dst,
        row_w,
        indptr[:-1],
        row_deg,
        var_nodes,
        var_dst,
        var_w,
        order,
        var_start,
        var_deg,
    )
    u = _ListUnion.__new__(_ListUnion)
    # the fields that are no arrays, and var_arc (a class attribute, None by default,
    # would hide it from __getattr__); the other arrays on first read
    vars(u).update(
        ga=ga,
        gb=gb,
        n=n,
        offsets=(oa_v, oa_r, ob_v, ob_r),
        var_arc=np.array(order, dtype=np.int64),
        _lists=lists,
    )
    return u


class _ListUnion(Union):
    """A :class:`Union` laid out on lists by :func:`_build_union_small`, whose arrays
    are made from them on first read, all at once (:func:`_union_arrays`): the usual
    small check (refinement on the lists, a discrete colouring, the mapping from the
    colours) reads none of them. The same fields, values and dtypes as
    :func:`_build_union_arrays` (``tests/verify/test_small_path.py``); a
    ``dataclasses.replace`` of it has every array set by the constructor and no lists
    (refinement then reads its arrays)."""

    def __getattr__(self, name: str) -> Any:
        # only for attributes not set yet: the arrays (never other names)
        lists = vars(self).get("_lists")
        if lists is None or name not in _UNION_ARRAYS:
            raise AttributeError(name)
        made = _union_arrays(lists, self.n, self.offsets)
        for key, value in made.items():
            vars(self).setdefault(key, value)  # a thread that got here first wins
        return vars(self)[name]


_UNION_ARRAYS = frozenset(
    (
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
    )
)


def _union_arrays(
    ul: _UnionLists, n: int, offsets: tuple[int, int, int, int]
) -> dict[str, np.ndarray]:
    """The arrays of a union laid out on lists (few numpy calls: the arrays of one
    length are the rows of one array)."""
    owner, is_row = _owner_is_row(n, offsets)
    arcs = np.array([ul.row_dst, ul.row_w, ul.var_dst, ul.var_w], dtype=np.int64).reshape(4, -1)
    per_row = np.array([ul.row_nodes, ul.row_deg, ul.row_start], dtype=np.int64).reshape(3, -1)
    per_var = np.array([ul.var_nodes, ul.var_deg, ul.var_start], dtype=np.int64).reshape(3, -1)
    return {
        "owner": owner,
        "is_row": is_row,
        "row_nodes": per_row[0],
        "row_deg": per_row[1],
        "row_dst": arcs[0],
        "row_w": arcs[1],
        "var_nodes": per_var[0],
        "var_deg": per_var[1],
        "var_dst": arcs[2],
        "var_w": arcs[3],
        "init": np.array(ul.init, dtype=np.int64),
        "row_start": per_row[2],
        "var_start": per_var[2],
    }


class _UnionLists(NamedTuple):
    """The lists a small :class:`Union`'s arrays were made of (each what the array's
    ``tolist()`` gives), kept with it by :func:`_build_union_small`; never written to."""

    init: list[int]
    row_nodes: list[int]
    row_dst: list[int]
    row_w: list[int]
    row_start: list[int]
    row_deg: list[int]
    var_nodes: list[int]
    var_dst: list[int]
    var_w: list[int]
    var_arc: list[int]
    var_start: list[int]
    var_deg: list[int]


def _build_union_compiled(ga: Graph, gb: Graph) -> Union | None:
    """:func:`_build_union_arrays` in C (``verify/_refinec.c``): the same arrays, bit for
    bit (values, dtypes, flags: ``row_start`` a view of the row pointers as there), in one
    call instead of ~50 numpy calls. None where the module is not built or declines the
    graphs (an array not int64, an index out of range, a negative row kind, ...): the
    caller then runs the numpy code (``tests/verify/test_refinec.py`` holds the two to
    each other)."""
    if _refinec is None:
        return None
    got = _refinec.build_union(
        ga.var_label, ga.row_kind, ga.row_rhs, ga.indptr, ga.indices, ga.coef,
        gb.var_label, gb.row_kind, gb.row_rhs, gb.indptr, gb.indices, gb.coef,
    )  # fmt: skip
    if got is None:
        return None
    init, row_nodes, row_deg, row_dst, row_w, var_nodes, var_deg, var_dst, var_w = got[:9]
    indptr, var_start, var_arc = got[9:]
    return _array_union(
        ga,
        gb,
        (row_nodes, row_deg, row_dst, row_w, indptr[:-1]),
        (var_nodes, var_deg, var_dst, var_w, var_start),
        init,
        # above _SMALL_ARCS the numpy code's order is scipy's CSC data: a view, as here
        var_arc[:] if var_arc.size > _SMALL_ARCS else var_arc,
    )


def _array_union(
    ga: Graph,
    gb: Graph,
    row: tuple[np.ndarray, ...],
    var: tuple[np.ndarray, ...],
    init: np.ndarray,
    var_arc: np.ndarray,
) -> Union:
    """The :class:`Union` of ``ga`` and ``gb`` with the arrays of each side (nodes,
    degrees, neighbours, labels, first arcs), laid out by :func:`_layout`."""
    oa_v, oa_r, ob_v, ob_r, n, owner, is_row = _layout(ga, gb)
    return Union(
        ga=ga,
        gb=gb,
        n=n,
        owner=owner,
        is_row=is_row,
        offsets=(oa_v, oa_r, ob_v, ob_r),
        row_nodes=row[0],
        row_deg=row[1],
        row_dst=row[2],
        row_w=row[3],
        var_nodes=var[0],
        var_deg=var[1],
        var_dst=var[2],
        var_w=var[3],
        init=init,
        row_start=row[4],
        var_start=var[4],
        var_arc=var_arc,
    )


def _build_union_arrays(ga: Graph, gb: Graph) -> Union:
    """:func:`build_union` with numpy arrays (any size)."""
    done = _build_union_compiled(ga, gb)
    if done is not None:
        return done
    oa_v, oa_r, ob_v, ob_r, n = _offsets(ga, gb)
    # initial colours: variables by (cost, integer, lb, ub); rows by (kind, rhs)
    vl = np.concatenate([ga.var_label, gb.var_label]).astype(np.int64, copy=False)
    vkey = np.zeros(vl.shape[0], dtype=np.int64)
    if vl.size:
        # lexicographic (cost, integer, lb, ub): the id columns dense-ranked (order
        # kept; the integer flag is 0/1), then combined pairwise (small ranges: presence
        # tables, no sort)
        vkey = dense_rank(vl[:, 0]) * 2 + (vl[:, 1] != 0)
        for k in (2, 3):
            vkey = rank_pairs(vkey, dense_rank(vl[:, k]))
    rk = np.concatenate([ga.row_kind, gb.row_kind]).astype(np.int64, copy=False)
    rr = np.concatenate([ga.row_rhs, gb.row_rhs]).astype(np.int64, copy=False)
    rkey = rank_pairs(rk, rr - (rr.min() if rr.size else 0))
    nvc = int(vkey.max()) + 1 if vkey.size else 0
    init = np.empty(n, dtype=np.int64)
    init[oa_v:oa_r] = vkey[: ga.n_vars]
    init[ob_v:ob_r] = vkey[ga.n_vars :]
    init[oa_r:ob_v] = rkey[: ga.n_rows] + nvc
    init[ob_r:] = rkey[ga.n_rows :] + nvc
    # arcs
    allcoef = np.concatenate([ga.coef, gb.coef])
    wshift = int(allcoef.min()) if allcoef.size else 0
    row_nodes = np.concatenate(
        [np.arange(oa_r, ob_v, dtype=np.int64), np.arange(ob_r, n, dtype=np.int64)]
    )
    row_deg = np.concatenate(
        [(ga.indptr[1:] - ga.indptr[:-1]), (gb.indptr[1:] - gb.indptr[:-1])]
    ).astype(np.int64, copy=False)
    row_dst = np.concatenate([ga.indices, gb.indices + ob_v]).astype(np.int64, copy=False)
    allcoef -= wshift
    row_w = allcoef.astype(np.int64, copy=False)
    # transposed arcs (variable → row), grouped by variable node
    src_of_arc = np.repeat(row_nodes, row_deg)
    # stable grouping of the arcs by variable node: a CSR→CSC conversion (O(nnz), in C)
    indptr = np.zeros(row_nodes.size + 1, dtype=np.int64)
    np.cumsum(row_deg, out=indptr[1:])
    if row_dst.size <= _SMALL_ARCS:
        # the same order from a stable sort: cheaper than two scipy constructors for the
        # small graphs where their fixed cost dominates
        order = np.argsort(row_dst, kind="stable").astype(np.int64, copy=False)
    else:
        order = (
            sp.csr_array(
                (np.arange(row_dst.size, dtype=np.int64), row_dst, indptr),
                shape=(row_nodes.size, n),
            )
            .tocsc()
            .data.astype(np.int64, copy=False)
        )
    var_nodes = np.concatenate(
        [np.arange(oa_v, oa_r, dtype=np.int64), np.arange(ob_v, ob_r, dtype=np.int64)]
    )
    var_deg_full = np.bincount(row_dst, minlength=n)
    var_deg = var_deg_full[var_nodes].astype(np.int64, copy=False)
    var_start = np.zeros(var_deg.size, dtype=np.int64)
    if var_deg.size:
        np.cumsum(var_deg[:-1], out=var_start[1:])
    return _array_union(
        ga,
        gb,
        (row_nodes, row_deg, row_dst, row_w, indptr[:-1]),
        (var_nodes, var_deg, src_of_arc[order], row_w[order], var_start),
        dense_rank(init),
        order,
    )


@dataclass(frozen=True, eq=False)
class Refined:
    colours: np.ndarray
    rounds: int  # half-rounds performed
    diverged: bool  # per-graph histograms differ
    diverged_at: int  # half-round at which they first differed (-1 if not)
    discrete: bool
    # "hash" (fast path; diverged, or stopped at a discrete colouring: no check needed),
    # "hash, checked equitable", "exact" (asked for), "exact (hash collision)" (fallback)
    path: str = "exact"


def histograms_equal(u: Union, colours: np.ndarray) -> bool:
    k = int(colours.max()) + 1 if colours.size else 0
    cut = u.offsets[2]  # graph A's nodes come first
    ha = np.bincount(colours[:cut], minlength=k)
    hb = np.bincount(colours[cut:], minlength=k)
    return bool(np.array_equal(ha, hb))


def _sorted_arc_keys(
    colours: np.ndarray, ncolours: int, dst: np.ndarray, w: np.ndarray, seg: np.ndarray, nnodes: int
) -> np.ndarray:
    """Each node's multiset of (neighbour colour, edge label) as exact int64 keys, sorted
    inside the node's segment of the arc arrays (the canonical order of the multiset).

    Keys are packed into one int64 when that cannot overflow, else ranked; a segment
    offset then lets one global sort order every segment at once.
    """
    wmax = int(w.max()) + 1
    if ncolours * wmax < (1 << 62):
        p = colours[dst] * wmax + w
    else:
        p = rank_pairs(colours[dst], w)
    pmax = int(p.max()) + 1
    if nnodes * pmax >= (1 << 62):
        p = dense_rank(p)
        pmax = int(p.max()) + 1
    base = seg * pmax
    p = np.sort(base + p)
    p -= base
    return p


def _half_round(
    colours: np.ndarray,
    nodes: np.ndarray,
    deg: np.ndarray,
    dst: np.ndarray,
    w: np.ndarray,
    seg: np.ndarray,
    start: np.ndarray,
) -> np.ndarray:
    """New colours: classes of (old colour, sorted multiset of (neighbour colour, edge
    label)) for ``nodes``; other nodes keep their class. Exact (see
    :func:`rank_sequences_fast`); the ids depend only on the classes' contents, so the
    colouring stays isomorphism-invariant. Requires that ``nodes`` share no colour with
    the other nodes (true for the row/variable sides: initial colours are disjoint and
    individualisation gives the fresh colour to one side's nodes only)."""
    if nodes.size == 0:
        return colours
    if dst.size:
        p = _sorted_arc_keys(colours, int(colours.max()) + 1, dst, w, seg, nodes.size)
        seq = rank_sequences_fast(deg, p, seg=seg, starts=start, prefix=colours[nodes])
    else:
        seq = dense_rank(colours[nodes])
    # Rows and variables never share a colour, so the other side keeps its colours and
    # this side's classes (old colour, multiset) get fresh ids above them; one dense
    # re-ranking (a presence table, the range is < 2n) makes the ids 0..k-1 again.
    out = colours.copy()
    out[nodes] = seq + (int(colours.max()) + 1)
    return dense_rank(out)


def _edge_weights(w: np.ndarray) -> np.ndarray:
    """Fixed pseudo-random odd 64-bit weight of every edge label (a table over the
    labels)."""
    if w.size == 0:
        return np.zeros(0, dtype=np.uint64)
    tab = np.arange(int(w.max()) + 1, dtype=np.uint64) * _K2 + np.uint64(HASH_SEED)
    tab = _mix(tab)
    tab |= np.uint64(1)
    out: np.ndarray = tab[w]
    return out


#: ``mix(c * K1 + SALT_COL)`` and ``mix(c * K2 + SALT_OWN)`` of the colours c = 0, 1, ...
#: (uint64), kept for up to :data:`_TABS_KEPT` colours: one gather per half-round instead
#: of two mixes (tests that swap :func:`_mix` for a degenerate one swap this cache too)
_NP_TABS: list[np.ndarray] = []
_TABS_KEPT = 1 << 16  # 1 MiB; larger tables are made for the call (as cheap, relatively)


def _colour_tables(k: int) -> tuple[np.ndarray, np.ndarray]:
    """The colour values and old-colour terms of :func:`_half_round_hash` for colours
    ``0..k-1`` at least (the tables may be longer)."""
    global _NP_TABS
    have = _NP_TABS  # read once: another thread may replace it
    if have and have[0].size >= k:
        return have[0], have[1]
    grown = max(k, 2 * have[0].size if have else 4096)  # doubling
    c = np.arange(k if k > _TABS_KEPT else min(_TABS_KEPT, grown), dtype=np.uint64)
    ctab = c * _K1
    ctab += _SALT_COL
    otab = c * _K2
    otab += _SALT_OWN
    tabs = [_mix(ctab), _mix(otab)]
    if k <= _TABS_KEPT:
        _NP_TABS = tabs
    return tabs[0], tabs[1]


def _half_round_hash(
    colours: np.ndarray,
    nodes: np.ndarray,
    dst: np.ndarray,
    wh: np.ndarray,
    start: np.ndarray,
    deg: np.ndarray,
) -> np.ndarray | None:
    """Fast half-round: new colours of ``nodes`` from an order-free 64-bit multiset hash
    of (neighbour colour, edge label), combined with the old colour; dense-ranked over
    both graphs (one ``np.unique`` on the nodes, none on the arcs). Returns None when
    two different old colours got the same new one (a detected collision: the new
    colouring would not refine the old)."""
    if nodes.size == 0:
        return colours
    old = colours[nodes]
    k = int(colours.max()) + 1
    # arc term: (pseudo-random value of the neighbour's colour) · (odd weight of the edge
    # label), wrap-around; the colour values (and the old-colour terms) are tables
    ctab, otab = _colour_tables(k)
    x = ctab[colours][dst]
    x *= wh
    cs = np.zeros(x.size + 1, dtype=np.uint64)
    np.cumsum(x, out=cs[1:])
    h = cs[start + deg]
    h -= cs[start]
    h += otab[old]
    h = _mix(h)
    uniq, inv = np.unique(h, return_inverse=True)
    inv = inv.reshape(-1).astype(np.int64, copy=False)
    back = np.empty(uniq.size, dtype=np.int64)
    back[inv] = old
    if not np.array_equal(back[inv], old):
        return None
    out = colours.copy()
    out[nodes] = inv + k
    return dense_rank(out)


def is_equitable(u: Union, colours: np.ndarray, *, skip_pairs: bool = False) -> bool:
    """Exact check that ``colours`` is an equitable refinement of the initial colouring:
    the initial colour is constant on every cell, and all nodes of a cell have the same
    multiset of (neighbour colour, edge label). One segmented sort of the arcs per side;
    no hashing.

    With ``skip_pairs`` (for colourings with equal per-graph histograms) cells of exactly
    two nodes, one per graph, are not compared. That is enough for the callers: if the
    graphs are isomorphic, every isomorphism preserves the colouring (it is computed by
    an isomorphism-invariant procedure), so it maps the A node of such a cell to its B
    node and their multisets are equal anyway; the check then covers every cell that can
    be wrong. If the graphs are not isomorphic, no conclusion drawn from the colouring can
    be a false ``EQUIVALENT`` (that needs an exactly checked mapping and the independent
    re-verification) and ``NOT_EQUIVALENT`` is true.

    In C where ``verify/_refinec.c`` is built (the same answer: one sort of each node's
    pairs, compared with its cell's first node's); the numpy code where it declines.
    """
    if _refinec is not None:
        got = _refinec.is_equitable(
            colours, u.init,
            u.row_nodes, u.row_deg, u.row_dst, u.row_w, u.row_start,
            u.var_nodes, u.var_deg, u.var_dst, u.var_w, u.var_start,
            skip_pairs,
        )  # fmt: skip
        if got is not None:
            return bool(got)
    return _is_equitable_arrays(u, colours, skip_pairs=skip_pairs)


def _is_equitable_arrays(u: Union, colours: np.ndarray, *, skip_pairs: bool = False) -> bool:
    """:func:`is_equitable` on numpy arrays."""
    if colours.size == 0:
        return True
    k = int(colours.max()) + 1
    tab = np.empty(k, dtype=np.int64)
    tab[colours] = u.init
    if not np.array_equal(tab[colours], u.init):
        return False
    big = np.bincount(colours, minlength=k)[colours] > 2 if skip_pairs else None
    for nodes, deg, dst, w, seg, start in (
        (u.row_nodes, u.row_deg, u.row_dst, u.row_w, u.row_seg, u.row_start),
        (u.var_nodes, u.var_deg, u.var_dst, u.var_w, u.var_seg, u.var_start),
    ):
        if big is not None:
            sel = big[nodes]
            if not sel.all():
                arc = sel[seg] if seg.size else np.zeros(0, dtype=bool)
                renum = np.cumsum(sel) - 1
                nodes, deg = nodes[sel], deg[sel]
                dst, w, seg = dst[arc], w[arc], renum[seg[arc]]
                start = np.zeros(nodes.size, dtype=np.int64)
                if nodes.size:
                    np.cumsum(deg[:-1], out=start[1:])
        if nodes.size == 0:
            continue
        cn = colours[nodes]
        rep = np.empty(k, dtype=np.int64)
        rep[cn] = np.arange(nodes.size, dtype=np.int64)
        r = rep[cn]  # one representative per cell (cells never span both sides)
        if not np.array_equal(deg[r], deg):
            return False
        if dst.size == 0:
            continue
        p = _sorted_arc_keys(colours, k, dst, w, seg, nodes.size)
        off = np.arange(p.size, dtype=np.int64) - start[seg]
        if not np.array_equal(p[start[r][seg] + off], p):
            return False
    return True


@dataclass(frozen=True)
class _Loop:
    """Where the one refinement loop (:func:`_iterate`) stopped."""

    colours: np.ndarray
    half: int  # half-rounds performed
    k: int  # colours in ``colours``
    diverged: bool  # the per-graph histograms differ after ``half`` half-rounds
    collided: bool  # the half-round function detected a hash collision


HalfRound = Callable[[Any, int], Any]
"""One half-round: (colours, side 0 = rows from variables / 1 = variables from rows) to
the new colours, or None when a hash collision was detected (arrays, or lists)."""


def _count(col: np.ndarray) -> int:
    return int(col.max()) + 1 if col.size else 0


def _iterate(
    u: Union,
    col: Any,
    half_round: HalfRound,
    *,
    max_half_rounds: int,
    stop_when_discrete: bool,
    same: Callable[[Any], bool] | None = None,
    count: Callable[[Any], int] = _count,
) -> _Loop:
    """The refinement loop, shared by both paths: alternate half-rounds (rows, then
    variables) until the per-graph histograms differ, the colouring is stable or (with
    ``stop_when_discrete``) discrete, a collision is detected, or ``max_half_rounds``.
    ``col`` is an array, or a list with ``same``/``count`` for lists (the small path).

    Stable as soon as a half-round splits nothing after at least one half-round of the
    other side: if Y' = (Y, ms(X)) and then X' = (X, ms(Y')) = X, X is stable against Y',
    and refining Y' by ms(X) again gives Y' (it already encodes ms(X)).
    """
    if same is None:
        same = functools.partial(histograms_equal, u)
    k = count(col)
    if not same(col):
        return _Loop(col, 0, k, True, False)
    half = 0
    side = 0
    while half < max_half_rounds:
        if stop_when_discrete and k * 2 == u.n:
            break
        new = half_round(col, side)
        if new is None:
            return _Loop(col, half, k, False, True)
        half += 1
        side ^= 1
        k_new = count(new)
        col = new
        if k_new == k:
            if half >= 2:
                break
            continue
        k = k_new
        if not same(col):
            return _Loop(col, half, k, True, False)
    return _Loop(col, half, k, False, False)


def _hash_weights(u: Union) -> tuple[np.ndarray, np.ndarray]:
    """The odd 64-bit weights of the row-side and variable-side arcs, computed once per
    union (cached on it)."""
    wh: tuple[np.ndarray, np.ndarray] | None = u.__dict__.get("_wh")
    if wh is None:
        wr = _edge_weights(u.row_w)
        wh = (wr, wr[u.var_arc] if u.var_arc is not None else _edge_weights(u.var_w))
        object.__setattr__(u, "_wh", wh)
    return wh


#: Up to this many nodes (both graphs) :func:`refine` runs its fast path on Python lists
#: (:func:`_hash_small`): the same 64-bit hashes (wrap-around is ``& _MASK`` on Python
#: ints), the same dense ranks, the same colours, rounds and path. The measured
#: break-even: a half-round costs about 0.5 us per node and 0.1 us per arc on lists
#: against about 50 us on arrays; at 100 nodes both take the same time.
SMALL_REFINE_NODES = 80

_MASK = (1 << 64) - 1
_K1_INT, _K2_INT = int(_K1), int(_K2)
_M1_INT, _M2_INT = int(_M1), int(_M2)
_SALT_OWN_INT, _SALT_COL_INT = int(_SALT_OWN), int(_SALT_COL)


def _mix_int(x: int) -> int:
    """:func:`optiscribe.verify._ranks._mix` of one value in ``[0, 2**64)``."""
    x ^= x >> 30
    x = (x * _M1_INT) & _MASK
    x ^= x >> 27
    x = (x * _M2_INT) & _MASK
    return x ^ (x >> 31)


#: the colour values of :func:`_half_round_hash` (``mix(c * K1 + SALT_COL)``) and the
#: old-colour terms (``mix(c * K2 + SALT_OWN)``) of colours 0, 1, ...; grown on demand
#: by replacing the pair (never appended to in place: threads always see two lists of
#: the same length; tests that swap :func:`_mix_int` for a degenerate one swap these
#: tables too)
_INT_TABS: tuple[list[int], list[int]] = ([], [])
_W_TAB: dict[int, int] = {}  # edge label → odd weight (:func:`_edge_weights`)


def _weight_int(w: int) -> int:
    x = _W_TAB.get(w)
    if x is None:
        x = _W_TAB[w] = _mix_int((w * _K2_INT + HASH_SEED) & _MASK) | 1
    return x


def _tables(k: int) -> tuple[list[int], list[int]]:
    """:data:`_INT_TABS`, at least ``k`` long."""
    global _INT_TABS
    tabs = _INT_TABS
    n0 = len(tabs[0])
    if n0 < k:
        new = range(n0, max(k, 2 * n0, 64))
        tabs = (
            tabs[0] + [_mix_int((c * _K1_INT + _SALT_COL_INT) & _MASK) for c in new],
            tabs[1] + [_mix_int((c * _K2_INT + _SALT_OWN_INT) & _MASK) for c in new],
        )
        _INT_TABS = tabs
    return tabs


class _SmallSide(NamedTuple):
    """One update side of a union on Python lists: the nodes, their arcs' neighbours
    and odd weights (:func:`_edge_weights`), and each node's first arc and degree."""

    nodes: list[int]
    dst: list[int]
    wh: list[int]
    start: list[int]
    deg: list[int]


def _small_sides(u: Union) -> tuple[_SmallSide, _SmallSide]:
    """Both update sides on lists (rows from variables, variables from rows), built once
    per union (cached on it)."""
    sides: tuple[_SmallSide, _SmallSide] | None = u.__dict__.get("_small_sides")
    if sides is None and "_lists" in u.__dict__:  # laid out on lists: no conversions
        ul: _UnionLists = u.__dict__["_lists"]
        wr = [_weight_int(w) for w in ul.row_w]
        sides = (
            _SmallSide(ul.row_nodes, ul.row_dst, wr, ul.row_start, ul.row_deg),
            _SmallSide(
                ul.var_nodes, ul.var_dst, [wr[a] for a in ul.var_arc], ul.var_start, ul.var_deg
            ),
        )
        object.__setattr__(u, "_small_sides", sides)
    if sides is None:
        # the odd edge weights of :func:`_edge_weights`, label by label
        wr = [_weight_int(w) for w in u.row_w.tolist()]
        order = u.var_arc.tolist() if u.var_arc is not None else None
        wv = (
            [wr[a] for a in order]
            if order is not None
            else [_weight_int(w) for w in u.var_w.tolist()]
        )
        sides = (
            _SmallSide(
                u.row_nodes.tolist(),
                u.row_dst.tolist(),
                wr,
                u.row_start.tolist(),
                u.row_deg.tolist(),
            ),
            _SmallSide(
                u.var_nodes.tolist(),
                u.var_dst.tolist(),
                wv,
                u.var_start.tolist(),
                u.var_deg.tolist(),
            ),
        )
        object.__setattr__(u, "_small_sides", sides)
    return sides


def _half_round_hash_small(col: list[int], s: _SmallSide) -> list[int] | None:
    """:func:`_half_round_hash` on Python lists: the same hashes, ranks and colours (or
    None on the same detected collisions)."""
    if not s.nodes:
        return col
    k = max(col) + 1
    ctab, otab = _tables(k)
    # the arc terms, their prefix sums (exact Python ints; reduced mod 2**64 per node)
    cs = [0, *accumulate(map(mul, map(ctab.__getitem__, map(col.__getitem__, s.dst)), s.wh))]
    old = list(map(col.__getitem__, s.nodes))
    h = [_mix_int((cs[a + d] - cs[a] + otab[c]) & _MASK) for a, d, c in zip(s.start, s.deg, old)]
    back: dict[int, int] = {}
    for x, c in zip(h, old):
        if back.setdefault(x, c) != c:
            return None  # two old colours merged: a detected collision
    rank = {x: i + k for i, x in enumerate(sorted(back))}
    out = list(col)
    for v, x in zip(s.nodes, h):
        out[v] = rank[x]
    dense = {c: i for i, c in enumerate(sorted(set(out)))}
    return list(map(dense.__getitem__, out))


def _hash_small(
    u: Union, col: list[int], *, max_half_rounds: int, stop_when_discrete: bool
) -> _Loop:
    """The fast path's loop (:func:`_iterate` with :func:`_half_round_hash`) on lists."""
    cut = u.offsets[2]

    def same(c: list[int]) -> bool:
        return sorted(c[:cut]) == sorted(c[cut:])

    def hashed(c: list[int], side: int) -> list[int] | None:
        return _half_round_hash_small(c, _small_sides(u)[side])  # built on first use

    r = _iterate(
        u,
        col,
        hashed,
        max_half_rounds=max_half_rounds,
        stop_when_discrete=stop_when_discrete,
        same=same,
        count=lambda c: max(c) + 1 if c else 0,
    )
    return dataclasses.replace(r, colours=np.array(r.colours, dtype=np.int64))


def _hash_arrays(
    u: Union, col: np.ndarray, *, max_half_rounds: int, stop_when_discrete: bool
) -> _Loop:
    """The fast path's loop on numpy arrays: :func:`_iterate` with :func:`_half_round_hash`."""

    def hashed(c: np.ndarray, side: int) -> np.ndarray | None:
        wh = _hash_weights(u)
        if side == 0:
            return _half_round_hash(c, u.row_nodes, u.row_dst, wh[0], u.row_start, u.row_deg)
        return _half_round_hash(c, u.var_nodes, u.var_dst, wh[1], u.var_start, u.var_deg)

    return _iterate(
        u, col, hashed, max_half_rounds=max_half_rounds, stop_when_discrete=stop_when_discrete
    )


#: The mixers :func:`_hash_compiled` can run in C, by what they are there: None the
#: splitmix64 finaliser of :func:`optiscribe.verify._ranks._mix`, an int ``m`` the
#: degenerate ``x & m`` (tests swap such a mixer into ``_mix`` and register it here, to
#: force collisions on both paths). Any other ``_mix`` runs the numpy code.
_COMPILED_MIXERS: dict[Callable[[np.ndarray], np.ndarray], int | None] = {_mix: None}


def _hash_compiled(
    u: Union, col: np.ndarray, *, max_half_rounds: int, stop_when_discrete: bool
) -> _Loop | None:
    """:func:`_hash_arrays` in C (``verify/_refinec.c``): the same loop, hashes and dense
    ranks, so the same colours (bit for bit), half-rounds, count and flags, in one call
    instead of ~40 numpy calls per half-round. None where the module is not built, the
    mixer is not one it has, or it declines the union (an array not int64, an index out
    of range, ...): the caller then runs the numpy code (``tests/verify/test_refinec.py``
    holds the two to each other)."""
    if _refinec is None or _mix not in _COMPILED_MIXERS:
        return None
    mask = _COMPILED_MIXERS[_mix]
    ctab, otab = _colour_tables(u.n)
    got = _refinec.refine_hash(
        col,
        u.offsets[2],
        u.row_nodes,
        u.row_dst,
        u.row_start,
        u.row_deg,
        u.row_w,
        u.var_nodes,
        u.var_dst,
        u.var_start,
        u.var_deg,
        u.var_w,
        u.var_arc,
        ctab,
        otab,
        max_half_rounds,
        stop_when_discrete,
        mask is None,
        0 if mask is None else mask,
        int(_K2),
        HASH_SEED,
    )
    if got is None:
        return None
    out, half, k, diverged, collided = got
    # None: no half-round made new colours, and _iterate returns its input as it is
    return _Loop(col if out is None else out, half, k, diverged, collided)


def refine(
    u: Union,
    colours: np.ndarray | None = None,
    *,
    max_half_rounds: int = 10_000,
    stop_when_discrete: bool = True,
    exact: bool = False,
) -> Refined:
    """Refine to the stable colouring, stopping early when the per-graph histograms differ.

    Fast path first (64-bit multiset hashing, see the module docstring; on Python lists
    up to :data:`SMALL_REFINE_NODES` nodes, with the same hashes and colours). Its result is
    returned as is when the histograms differ (a proof whatever the hash did) or when it
    stopped at a discrete colouring (``stop_when_discrete``: the forced bijection is the
    only candidate and is checked exactly by the caller). Otherwise the partition is
    checked to be equitable (:func:`is_equitable`); if it is not, or if a collision was
    detected on the way, the exact sort-based refinement (:func:`refine_exact`) is run
    from the same start. With ``exact`` only the exact path runs. Same contract as
    :func:`refine_exact` either way.
    """
    if exact:
        return refine_exact(
            u, colours, max_half_rounds=max_half_rounds, stop_when_discrete=stop_when_discrete
        )
    kept = vars(u).get("_lists") if colours is None else None  # a union laid out on lists
    # the compiled loop first at every size (faster than the lists even on tiny unions);
    # where it is not built or declines, lists up to SMALL_REFINE_NODES, numpy above
    r = None
    if _refinec is not None or u.n > SMALL_REFINE_NODES:
        col = u.init if colours is None else np.ascontiguousarray(colours, dtype=np.int64)
        r = _hash_compiled(
            u, col, max_half_rounds=max_half_rounds, stop_when_discrete=stop_when_discrete
        )
    if r is None and u.n <= SMALL_REFINE_NODES:
        if kept is None:
            col = u.init if colours is None else np.ascontiguousarray(colours, dtype=np.int64)
        r = _hash_small(
            u,
            list(kept.init) if kept is not None else col.tolist(),
            max_half_rounds=max_half_rounds,
            stop_when_discrete=stop_when_discrete,
        )
    elif r is None:
        r = _hash_arrays(
            u, col, max_half_rounds=max_half_rounds, stop_when_discrete=stop_when_discrete
        )
    if r.diverged:
        return Refined(r.colours, r.half, True, r.half, False, "hash")
    discrete = r.k * 2 == u.n
    if not r.collided and r.half < max_half_rounds:
        if stop_when_discrete and discrete:
            return Refined(r.colours, r.half, False, -1, True, "hash")
        if is_equitable(u, r.colours, skip_pairs=True):
            return Refined(r.colours, r.half, False, -1, discrete, "hash, checked equitable")
    # a collision (detected on the way, or by the equitability check), or the round
    # limit (keep the exact path's semantics): the exact reference path from the start
    e = refine_exact(
        u, colours, max_half_rounds=max_half_rounds, stop_when_discrete=stop_when_discrete
    )
    return Refined(
        e.colours,
        e.rounds,
        e.diverged,
        e.diverged_at,
        e.discrete,
        "exact (hash collision)" if r.half < max_half_rounds else "exact",
    )


def refine_exact(
    u: Union,
    colours: np.ndarray | None = None,
    *,
    max_half_rounds: int = 10_000,
    stop_when_discrete: bool = True,
) -> Refined:
    """Exact sort-based refinement (the reference path): stable colouring, stopping
    early when the per-graph histograms differ.

    With ``stop_when_discrete`` refinement also stops as soon as every class holds one
    node of each graph: the colour-preserving bijection is then unique, and checking it
    directly (:func:`mapping_is_isomorphism`) is cheaper than two more half-rounds. Such a
    colouring need not be stable, so a failed check proves non-isomorphism only because
    the bijection was the only candidate.
    """
    col = u.init if colours is None else colours

    def exact(c: np.ndarray, side: int) -> np.ndarray:
        if side == 0:
            return _half_round(
                c, u.row_nodes, u.row_deg, u.row_dst, u.row_w, u.row_seg, u.row_start
            )
        return _half_round(c, u.var_nodes, u.var_deg, u.var_dst, u.var_w, u.var_seg, u.var_start)

    r = _iterate(
        u, col, exact, max_half_rounds=max_half_rounds, stop_when_discrete=stop_when_discrete
    )
    if r.diverged:
        return Refined(r.colours, r.half, True, r.half, False)
    return Refined(r.colours, r.half, False, -1, r.k * 2 == u.n)


# --------------------------------------------------------------------------- SD


#: Up to this many arcs :func:`sd_status` finds the components with a union-find on
#: Python lists (:func:`_components_small`) instead of scipy's ``connected_components``
#: (a sparse matrix, and a 0.25 s import on first use). The measured break-even: 38 us
#: against 170 us at 100 arcs, equal at about 500.
SMALL_SD_ARCS = 512


def _components_small(n: int, src: list[int], dst: list[int]) -> np.ndarray:
    """``connected_components(graph, directed=False)[1]`` of the graph on nodes
    ``0..n-1`` with edges ``src[i] - dst[i]``: the same labels, the components numbered
    in the order of their smallest node (scipy labels a component when its traversal
    reaches its first unlabelled node, in node order)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(src, dst):
        ra, rb = find(a), find(b)
        if ra != rb:  # the smaller node stays the root: a root is its component's minimum
            if ra < rb:
                parent[rb] = ra
            else:
                parent[ra] = rb
    labels = [0] * n
    nxt = 0
    for v in range(n):
        r = find(v)
        if r == v:
            labels[v] = nxt
            nxt += 1
        else:
            labels[v] = labels[r]  # r < v: labelled already
    return np.array(labels, dtype=np.int32)


def sd_status(u: Union, colours: np.ndarray) -> tuple[bool, bool, np.ndarray]:
    """Symmetric-decomposability of each graph under its stable colouring.

    A graph is SD when, after deleting its uniquely coloured nodes, no connected
    component holds two nodes of one colour. Returns (A is SD, B is SD, component label
    of every node; unique nodes get -1).
    """
    k = int(colours.max()) + 1
    comp = np.full(u.n, -1, dtype=np.int64)
    ok = [True, True]
    amb = np.zeros(u.n, dtype=bool)
    for g in (0, 1):
        mask = u.owner == g
        cnt = np.bincount(colours[mask], minlength=k)
        amb |= mask & (cnt[colours] > 1)
    src = np.repeat(u.row_nodes, u.row_deg)
    both = amb[src] & amb[u.row_dst]
    if u.row_dst.size <= SMALL_SD_ARCS:
        labels = _components_small(u.n, src[both].tolist(), u.row_dst[both].tolist())
    else:
        adj = sp.csr_array(
            (np.ones(int(both.sum()), dtype=np.int8), (src[both], u.row_dst[both])),
            shape=(u.n, u.n),
        )
        # lazy: scipy.sparse.csgraph pulls in scipy.linalg (~0.25 s) for this one call,
        # which only non-discrete pairs above SMALL_SD_ARCS reach
        from scipy.sparse.csgraph import connected_components

        _, labels = connected_components(adj, directed=False)
    comp[amb] = labels[amb]
    for g in (0, 1):
        sel = amb & (u.owner == g)
        if sel.any():
            pairs = rank_pairs(comp[sel], colours[sel])
            ok[g] = np.unique(pairs).size == int(sel.sum())
    return ok[0], ok[1], comp


def sd_mapping(u: Union, colours: np.ndarray, comp: np.ndarray) -> np.ndarray | None:
    """The mapping A-node → B-node that the SD structure forces (or None if it cannot be
    built): unique nodes by colour; ambiguous components paired by their colour sets,
    nodes inside a pair by colour."""
    mapping = np.full(u.n, -1, dtype=np.int64)
    uniq = comp < 0
    ua = np.flatnonzero(uniq & (u.owner == 0))
    ub = np.flatnonzero(uniq & (u.owner == 1))
    if ua.size != ub.size:
        return None
    oa, ob = ua[np.argsort(colours[ua], kind="stable")], ub[np.argsort(colours[ub], kind="stable")]
    if not np.array_equal(colours[oa], colours[ob]):
        return None
    mapping[oa] = ob
    amb = np.flatnonzero(~uniq)
    if amb.size:
        order = np.lexsort((colours[amb], comp[amb]))
        nodes = amb[order]
        cs = comp[nodes]
        starts = np.flatnonzero(np.r_[True, cs[1:] != cs[:-1]])
        lengths = np.diff(np.r_[starts, nodes.size])
        key = rank_sequences(lengths, colours[nodes])
        comp_owner = u.owner[nodes[starts]]
        sides = []
        for g in (0, 1):
            idx = np.flatnonzero(comp_owner == g)
            sides.append(idx[np.argsort(key[idx], kind="stable")])
        if sides[0].size != sides[1].size or not np.array_equal(key[sides[0]], key[sides[1]]):
            return None
        la, lb = lengths[sides[0]], lengths[sides[1]]
        pa = np.concatenate([np.arange(s, s + n) for s, n in zip(starts[sides[0]], la)])
        pb = np.concatenate([np.arange(s, s + n) for s, n in zip(starts[sides[1]], lb)])
        mapping[nodes[pa]] = nodes[pb]
    result: np.ndarray = mapping[u.owner == 0]
    return result


def mapping_is_isomorphism(u: Union, mapping: np.ndarray) -> bool:
    """Exact check on the canonical graphs: labels equal and edges (with labels) mapped
    onto edges. ``mapping[i]`` is the B node of A node ``i`` (A nodes are 0..nA-1)."""
    ob_v = n_a = u.offsets[2]
    if mapping.size != n_a or n_a != u.n - n_a:
        return False
    if np.any(mapping < ob_v) or np.any(mapping >= u.n):
        return False
    if not np.all(np.bincount(mapping - ob_v, minlength=n_a) == 1):
        return False
    if not np.array_equal(u.init[:n_a], u.init[mapping]):
        return False
    if not np.array_equal(u.is_row[:n_a], u.is_row[mapping]):
        return False
    # edges of A mapped, compared as sorted (row, var, w) triples with those of B
    ra = u.row_nodes < ob_v
    n_arcs_a = int(u.row_deg[ra].sum())
    if 2 * n_arcs_a != u.row_dst.size:
        return False
    src = u.row_nodes[u.row_seg]
    sa = mapping[src[:n_arcs_a]] - ob_v
    da = mapping[u.row_dst[:n_arcs_a]] - ob_v
    sb = src[n_arcs_a:] - ob_v
    db = u.row_dst[n_arcs_a:] - ob_v
    wa, wb = u.row_w[:n_arcs_a], u.row_w[n_arcs_a:]
    wmax = int(u.row_w.max()) + 1 if u.row_w.size else 1
    if n_a * n_a * wmax < (1 << 62):  # one collision-free int64 key per arc
        ka = np.sort((sa * n_a + da) * wmax + wa)
        kb = np.sort((sb * n_a + db) * wmax + wb)
        return bool(np.array_equal(ka, kb))
    ea = np.stack([sa, da, wa], axis=1)
    eb = np.stack([sb, db, wb], axis=1)
    ea = ea[np.lexsort(ea.T[::-1])]
    eb = eb[np.lexsort(eb.T[::-1])]
    return bool(np.array_equal(ea, eb))


# --------------------------------------------------------------------------- search


@dataclass(frozen=True, eq=False)
class SearchResult:
    mapping: np.ndarray | None  # A node → B node, when found
    exhausted: bool  # the whole tree was explored without finding one: not isomorphic
    nodes: int
    reason: str


def out_of_budget(visited: int, max_nodes: int, deadline: float | None) -> SearchResult | None:
    """The undecided result of a search that has visited more than ``max_nodes`` nodes or
    passed its ``deadline`` (``time.perf_counter``), else None. Shared by both searches."""
    if visited > max_nodes:
        return SearchResult(None, False, visited, f"search budget of {max_nodes} nodes spent")
    if deadline is not None and time.perf_counter() > deadline:
        return SearchResult(None, False, visited, "search time limit reached")
    return None


def _target_cell(u: Union, colours: np.ndarray) -> np.ndarray | None:
    cnt = np.bincount(colours, minlength=int(colours.max()) + 1)
    big = np.flatnonzero(cnt > 2)
    if not big.size:
        return None
    c = big[np.argmin(cnt[big])]  # smallest non-trivial cell, lowest colour on ties
    return np.flatnonzero(colours == c)


def search(
    u: Union, colours: np.ndarray, *, max_nodes: int = 2000, deadline: float | None = None
) -> SearchResult:
    """Exact individualisation-refinement: decides isomorphism or runs out of budget.

    At every search node pick the smallest non-singleton cell, individualise its first
    A-node, and try every B-node of the cell with the same fresh colour; prune a branch
    as soon as refinement gives different histograms. Any isomorphism maps the chosen
    A-node to some B-node of its cell, so exploring all of them without success proves
    the graphs non-isomorphic. No orbit pruning here (it is the fallback after a hash
    collision and the reference of the tests; :mod:`optiscribe.verify._search` prunes).
    """
    visited = 0
    # explicit stack: (colours, candidate B nodes, next index, chosen A node)
    stack: list[tuple[np.ndarray, np.ndarray, int, int]] = []

    def expand(col: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int] | np.ndarray:
        cell = _target_cell(u, col)
        if cell is None:
            a_nodes = np.flatnonzero(u.owner == 0)
            b_nodes = np.flatnonzero(u.owner == 1)
            oa = a_nodes[np.argsort(col[a_nodes], kind="stable")]
            ob = b_nodes[np.argsort(col[b_nodes], kind="stable")]
            m = np.empty(a_nodes.size, dtype=np.int64)
            m[oa] = ob
            return m
        a = int(cell[u.owner[cell] == 0][0])
        return (col, cell[u.owner[cell] == 1], 0, a)

    first = expand(colours)
    if isinstance(first, np.ndarray):
        if mapping_is_isomorphism(u, first):
            return SearchResult(first, False, 0, "discrete")
        return SearchResult(None, True, 0, "the only colour-preserving bijection fails")
    stack.append(first)
    while stack:
        col, cands, i, a = stack.pop()
        if i >= cands.size:
            continue
        stack.append((col, cands, i + 1, a))
        visited += 1
        spent = out_of_budget(visited, max_nodes, deadline)
        if spent is not None:
            return spent
        b = int(cands[i])
        c2 = col * 2  # make room for a fresh colour that keeps the order of the others
        c2[a] = c2[b] = int(col.max()) * 2 + 1
        r = refine(u, dense_rank(c2))
        if r.diverged:
            continue
        nxt = expand(r.colours)
        if isinstance(nxt, np.ndarray):
            # the leaf's bijection is the only one extending this branch's choices
            if mapping_is_isomorphism(u, nxt):
                return SearchResult(nxt, False, visited, "individualisation-refinement leaf")
            continue
        stack.append(nxt)
    return SearchResult(None, True, visited, "search tree exhausted")
