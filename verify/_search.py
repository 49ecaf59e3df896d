"""Incremental individualisation-refinement search on the union graph of a pair.

Replaces refining from scratch at every search node (issue 11: symmetric bin packing took
10-16 s at 1e5 nonzeros and gave up at 1e6). The partition is kept as colour ids with
per-node multiset hashes ``S[v] = Σ_arcs r(colour of neighbour) · w(edge label)`` (wrapping
``uint64``; ``r`` a fixed pseudo-random value per colour id, ``w`` the odd edge weight of
:func:`optiscribe.verify._refine._edge_weights`). After an individualisation only the
nodes whose colour changed push ``(r(new) - r(old)) · w`` to their neighbours, and only
cells holding such neighbours are split, by ``S``; the largest part of a split keeps the
cell's id (Hopcroft's rule), so its members push nothing. The work of one search node is
proportional to the arcs of the nodes that actually moved, not to the model.

Soundness is that of the fast path of :mod:`optiscribe.verify._refine`: the procedure is
one fixed function of the union graph applied symmetrically to both sides (ids are given
by sorting ``(cell, S)`` keys, sizes are counted over the union), so an isomorphism that
maps the individualised nodes onto each other preserves colours at every step. A cell
with unequal reference and candidate counts is therefore a proof that the branch holds no
isomorphism (pruned), and a leaf (every cell one node per side) has exactly one candidate
bijection, which is checked exactly (:func:`mapping_is_isomorphism`) before it is
returned; hash collisions can only merge cells, which costs search, never soundness.
Cells are kept as segments of one node array (a classic partition structure: a split
only permutes nodes inside their cell's segment), so a cell's members are found without
scanning the model. Changes are undone from a trail on backtracking, so memory is bounded
by the changes along one root-to-leaf path. Before the exhaustive search, a greedy probe
pairs the two sides of whole cells at once (any bijection of identical bins, or of items
of equal size, extends to an isomorphism), falling back to one pair per cell; its leaf is
checked like any other and its failure concludes nothing.

Orbit pruning (:class:`_Automorphisms`): when the probe fails on a pair that colour
refinement cannot tell apart and that has many symmetric nodes (e.g. identical bins next
to a part wired differently), the exhaustive search would try every candidate at every
level (``k!`` leaves for ``k`` bins) and give up. Once a candidate's subtree is exhausted,
a candidate in its orbit under automorphisms of the candidate graph that fix the
prefix's candidate nodes is skipped; the automorphisms are found by probing the union of
the candidate graph with itself and each is checked exactly before it is used. Skipped
subtrees hold no isomorphism, so wherever the search without pruning decides (an
isomorphism found, or none exists) the pruned one decides the same way; it is step for
step the search without pruning until its first skip (automorphisms are found on a
separate state). After a skip the order of the nodes inside a cell's segment may differ
(undo restores colours and cell bounds, not that order), so on a pair with several
isomorphisms another one may be found. Its memory is that union (built once, lazily,
with its own undo trail) and the generators, kept as their moved points and capped
(:data:`MAX_GENERATORS`, :data:`MAX_MOVED_PER_NODE`). The from-scratch search of
:mod:`optiscribe.verify._refine` has no pruning (it is the fallback after a hash
collision and the reference in tests).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from optiscribe.verify._ranks import _mix
from optiscribe.verify._refine import (
    HASH_SEED,
    SearchResult,
    Union,
    _edge_weights,
    build_union,
    mapping_is_isomorphism,
    out_of_budget,
)

__all__ = ["Probed", "probe", "search_incremental"]

_R_SALT = np.uint64(0x5851F42D4C957F2D)


def _unique(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based)."""
    if x.size < 2:
        return x.copy()
    y = np.sort(x)
    new = np.empty(y.size, dtype=bool)
    new[0] = True
    np.not_equal(y[1:], y[:-1], out=new[1:])
    out: np.ndarray = y[new]
    return out


def _r(ids: np.ndarray) -> np.ndarray:
    """The fixed pseudo-random value of every colour id."""
    x = ids.astype(np.uint64) * _R_SALT
    x += np.uint64(HASH_SEED)
    return _mix(x)


#: :func:`_r` of the colour ids 0, 1, ... (a table kept for up to :data:`_R_KEPT` ids,
#: replaced when grown, never written in place): one gather per move instead of two
#: mixes (six numpy calls each) on the search's small arrays
_R_TAB: np.ndarray = np.zeros(0, dtype=np.uint64)
_R_KEPT = 1 << 16


def _r_of(ids: np.ndarray, k: int) -> np.ndarray:
    """:func:`_r` of ``ids`` (all below ``k``), from the table when ``k`` is small."""
    global _R_TAB
    tab = _R_TAB
    if tab.size < k:
        if k > _R_KEPT:
            return _r(ids)
        tab = _r(np.arange(min(max(k, 2 * tab.size, 1024), _R_KEPT), dtype=np.int64))
        _R_TAB = tab
    out: np.ndarray = tab[ids]
    return out


def _run_bounds(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where the runs of equal ``(a[i], b[i])`` of sorted keys start, and the length at
    the end: ``bounds[:-1]`` the starts, ``bounds[1:] - bounds[:-1]`` the sizes."""
    n = a.size
    edge = np.empty(n + 1, dtype=bool)
    edge[0] = edge[n] = True
    np.not_equal(a[1:], a[:-1], out=edge[1:n])
    edge[1:n] |= b[1:] != b[:-1]
    out: np.ndarray = edge.nonzero()[0]
    return out


def _ranges(start: np.ndarray, cnt: np.ndarray) -> np.ndarray:
    """The positions ``start[i] .. start[i] + cnt[i] - 1``, range after range."""
    ends = cnt.cumsum()
    pos = np.arange(int(ends[-1]) if ends.size else 0, dtype=np.int64)
    pos += np.repeat(start + cnt - ends, cnt)
    return pos


@dataclass
class _Adjacency:
    """Both arc directions of the union as one CSR over all nodes."""

    indptr: np.ndarray
    nbr: np.ndarray
    w: np.ndarray

    @classmethod
    def of(cls, u: Union) -> _Adjacency:
        wr = _edge_weights(u.row_w)
        src = np.concatenate([np.repeat(u.row_nodes, u.row_deg), u.row_dst])
        dst = np.concatenate([u.row_dst, np.repeat(u.row_nodes, u.row_deg)])
        w = np.concatenate([wr, wr])
        order = np.argsort(src, kind="stable")
        indptr = np.zeros(u.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=u.n), out=indptr[1:])
        return cls(indptr, dst[order], w[order])

    def arcs(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(the degree of every node of ``nodes``, then the neighbour and the weight of
        each of their arcs, node after node)."""
        start = self.indptr[nodes]
        deg = self.indptr[nodes + 1] - start
        take = _ranges(start, deg)
        return deg, self.nbr[take], self.w[take]


class _State:
    """Colours, hashes, per-cell counts and the undo trail of one search."""

    def __init__(self, u: Union, colours: np.ndarray, adj: _Adjacency) -> None:
        self.u = u
        self.adj = adj
        self.col = np.ascontiguousarray(colours, dtype=np.int64).copy()
        k = int(self.col.max()) + 1
        self.k = k
        # S[v]: the wrap-around sum over v's arcs (a CSR: prefix sums, differenced)
        cs = np.zeros(adj.nbr.size + 1, dtype=np.uint64)
        np.cumsum(_r_of(self.col[adj.nbr], k) * adj.w, out=cs[1:])
        self.S = cs[adj.indptr[1:]] - cs[adj.indptr[:-1]]
        cap = max(16, 2 * k)
        self.cellS = np.zeros(cap, dtype=np.uint64)
        self.cellS[self.col] = self.S
        own = u.owner.astype(bool)
        self.cnt = np.zeros((2, cap), dtype=np.int64)
        self.cnt[0, :k] = np.bincount(self.col[~own], minlength=k)
        self.cnt[1, :k] = np.bincount(self.col[own], minlength=k)
        self.own = own
        # cells as segments of ``elems``: cell c is elems[start[c] : start[c] + size[c]]
        self.elems = np.argsort(self.col, kind="stable").astype(np.int64)
        self.where = np.empty(u.n, dtype=np.int64)
        self.where[self.elems] = np.arange(u.n, dtype=np.int64)
        self.size = np.zeros(cap, dtype=np.int64)
        self.size[:k] = np.bincount(self.col, minlength=k)
        self.start = np.zeros(cap, dtype=np.int64)
        np.cumsum(self.size[: k - 1], out=self.start[1:k])
        self._flag = np.zeros(u.n, dtype=bool)  # scratch, always all False between uses
        self._changed = np.zeros(0, dtype=np.int64)
        self._touched = np.zeros(0, dtype=np.int64)  # neighbours of the last move's nodes
        # undo trail: (nodes, old colours, S-updated nodes, their old S, k before); a cell
        # record is (-1 - cells, their start, size, hash, -1)
        self.trail: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]] = []

    def uniform(self) -> bool:
        """Every cell's hashes agree (the partition given is equitable)."""
        return bool(np.all(self.cellS[self.col] == self.S))

    def _grow(self, need: int) -> None:
        cap = self.cellS.size
        if need <= cap:
            return
        new = max(need, 2 * cap)
        self.cellS = np.concatenate([self.cellS, np.zeros(new - cap, dtype=np.uint64)])
        self.cnt = np.concatenate([self.cnt, np.zeros((2, new - cap), dtype=np.int64)], axis=1)
        self.size = np.concatenate([self.size, np.zeros(new - cap, dtype=np.int64)])
        self.start = np.concatenate([self.start, np.zeros(new - cap, dtype=np.int64)])

    def _members(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions in ``elems``, nodes) of the cells, cell by cell in the order given."""
        pos = _ranges(self.start[cells], self.size[cells])
        return pos, self.elems[pos]

    def _move(self, nodes: np.ndarray, new: np.ndarray) -> None:
        old = self.col[nodes]
        side = self.own[nodes].astype(np.int64)
        np.subtract.at(self.cnt, (side, old), 1)
        np.add.at(self.cnt, (side, new), 1)
        self.col[nodes] = new
        # push (r(new) - r(old)) · w to the neighbours; they are the nodes whose hash may
        # have changed, which :meth:`_propagate` looks at next
        deg, nbr, w = self.adj.arcs(nodes)
        touched = self._unique_nodes(nbr)
        self._touched = touched
        self.trail.append((nodes, old, touched, self.S[touched], -1))
        delta = _r_of(new, self.k) - _r_of(old, self.k)
        np.add.at(self.S, nbr, np.repeat(delta, deg) * w)

    def individualise(self, a: int, b: int) -> bool:
        """Give ``a`` and ``b`` a fresh colour and refine to stability; False when the
        per-side counts of some cell differ (no isomorphism maps ``a`` to ``b``)."""
        empty = np.zeros(0, np.int64)
        self.trail.append((empty, empty, empty, np.zeros(0, np.uint64), self.k))
        self._grow(self.k + 1)
        fresh = self.k
        self.k += 1
        nodes = np.array([a, b], dtype=np.int64)
        c = int(self.col[a])
        self._record_cells(np.array([c, fresh], dtype=np.int64))
        # move a and b to the end of their cell's segment; they become the fresh cell
        end = int(self.start[c] + self.size[c])
        for node, slot in ((a, end - 1), (b, end - 2)):
            p, other = int(self.where[node]), int(self.elems[slot])
            self.elems[p], self.elems[slot] = other, node
            self.where[other], self.where[node] = p, slot
        self.size[c] -= 2
        self.start[fresh], self.size[fresh] = end - 2, 2
        self.cellS[fresh] = self.S[a]
        self._move(nodes, np.full(2, fresh, dtype=np.int64))
        return self._propagate()

    def individualise_cell(
        self,
        c: int,
        twin: int | None = None,
        pairing: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> bool:
        """Pair the reference and candidate nodes of cell ``c`` in segment order, each pair
        with a fresh colour, and refine (a guess: valid when any bijection of the cell
        extends to an isomorphism, as for identical bins or items of equal size; a wrong
        guess can only fail, never produce an unverified mapping). ``twin`` (on the union
        of one graph with itself, :class:`_Automorphisms`): reference node ``x`` is first
        paired with its copy ``x + twin`` wherever that is in the cell (the guess is the
        identity there), the rest in segment order. ``pairing``: (reference nodes,
        candidate nodes) paired in this order; they must be exactly the cell's."""
        empty = np.zeros(0, np.int64)
        self.trail.append((empty, empty, empty, np.zeros(0, np.uint64), self.k))
        seg0, size = int(self.start[c]), int(self.size[c])
        cell = self.elems[seg0 : seg0 + size].copy()
        a_nodes, b_nodes = cell[~self.own[cell]], cell[self.own[cell]]
        if pairing is not None:
            a_nodes, b_nodes = pairing
        elif twin is not None:
            tw = a_nodes + twin
            has = self.col[tw] == c
            flag = self._flag
            flag[tw[has]] = True
            rest = b_nodes[~flag[b_nodes]]
            flag[tw[has]] = False
            a_nodes = np.concatenate([a_nodes[has], a_nodes[~has]])
            b_nodes = np.concatenate([tw[has], rest])
        pairs = a_nodes.size
        self._grow(self.k + pairs)
        fresh = self.k + np.arange(pairs, dtype=np.int64)
        self.k += pairs
        self._record_cells(np.concatenate([[c], fresh]))
        lay = np.empty(size, dtype=np.int64)
        lay[0::2], lay[1::2] = a_nodes, b_nodes
        pos = np.arange(seg0, seg0 + size, dtype=np.int64)
        self.elems[pos] = lay
        self.where[lay] = pos
        self.size[c] = 0
        self.start[fresh], self.size[fresh] = pos[0::2], 2
        self.cellS[fresh] = self.cellS[c]
        self._move(lay, np.repeat(fresh, 2))
        return self._propagate()

    def _propagate(self) -> bool:
        """Refine to stability from the nodes whose colour just changed (the last
        :meth:`_move`: only their neighbours' hashes changed, ``self._touched``)."""
        while True:
            touched = self._touched
            moved = touched[self.S[touched] != self.cellS[self.col[touched]]]
            if moved.size == 0:
                break
            if not self._split(moved):
                return False
            if self._changed.size == 0:
                break
        return True

    def _split(self, moved: np.ndarray) -> bool:
        """Split the cells of ``moved`` (nodes whose hash left their cell's) into parts
        by hash. Members not in ``moved`` form the cell's "stay" part. The largest part
        of each cell keeps the cell's id (ties: the smallest hash), the other parts get
        fresh ids in (cell, hash) order. When the stay part is kept (the usual case) only
        the moved nodes are touched: they are swapped to the tail of the cell's segment;
        a cell all of whose members moved with one hash only takes that hash; otherwise
        the whole cell is re-laid. Sets ``self._changed`` (nodes whose colour changed)
        and returns False when some cell's per-side counts differ.

        Written for few numpy calls (on the searches of 1e2-1e3 nonzeros a split touches
        a few dozen nodes and its cost is the calls): groups and cells from one boundary
        mask each, the kept part of a cell from its largest group against its stay part
        (a moved group's hash differs from the cell's, so there are no ties to break
        beyond the hash), and the touched ids are the cells and the fresh ids, already
        sorted and distinct."""
        mc, ms = self.col[moved], self.S[moved]
        order = np.lexsort((ms, mc))
        moved, mc, ms = moved[order], mc[order], ms[order]
        bounds = _run_bounds(mc, ms)
        gstart = bounds[:-1]
        gsize = bounds[1:] - gstart
        gcell, g_s = mc[gstart], ms[gstart]
        if (gsize == self.size[gcell]).all():
            # every group is a whole cell (one group per cell: the usual last round of a
            # propagation): each cell only takes its group's hash; nothing moves (the
            # trail gets the empty move the general path records)
            self._record_cells(gcell)
            self.cellS[gcell] = g_s
            none = moved[:0]
            self.trail.append((none, none, none, g_s[:0], -1))
            self._touched = self._changed = none
            c = self.cnt[:, gcell]
            return bool((c[0] == c[1]).all())
        ng = gcell.size
        newc = np.empty(ng, dtype=bool)
        newc[0] = True
        np.not_equal(gcell[1:], gcell[:-1], out=newc[1:])
        cg = newc.nonzero()[0]  # the first group of each cell (cells sorted)
        cells = gcell[cg]
        mcount = np.add.reduceat(gsize, cg)
        csize, c_s = self.size[cells], self.cellS[cells]
        stay = csize - mcount
        # each cell's best group: the largest, ties the smallest hash (groups of a cell
        # keep their place in this order, the cell being the first key)
        best = np.lexsort((g_s, -gsize, gcell))[cg]
        b_size = gsize[best]
        stay_kept = (stay > b_size) | ((stay == b_size) & (c_s < g_s[best]))
        g_fresh = np.ones(ng, dtype=bool)
        g_fresh[best[~stay_kept]] = False
        s_fresh = (stay > 0) & ~stay_kept
        f_cell = np.concatenate((gcell[g_fresh], cells[s_fresh]))
        f_s = np.concatenate((g_s[g_fresh], c_s[s_fresh]))
        nf = f_cell.size
        k0 = self.k
        self._grow(k0 + nf)
        f_id = np.empty(nf, dtype=np.int64)
        f_id[np.lexsort((f_s, f_cell))] = np.arange(k0, k0 + nf, dtype=np.int64)
        self.k = k0 + nf
        g_id = gcell.copy()
        n_gf = int(np.count_nonzero(g_fresh))
        g_id[g_fresh] = f_id[:n_gf]
        s_id = cells.copy()
        s_id[s_fresh] = f_id[n_gf:]
        touched_ids = np.concatenate((cells, np.arange(k0, k0 + nf, dtype=np.int64)))
        self._record_cells(touched_ids)
        n_grp = np.empty_like(cg)  # groups per cell
        n_grp[:-1] = cg[1:] - cg[:-1]
        n_grp[-1] = ng - cg[-1]
        new_col: list[np.ndarray] = []
        changed: list[np.ndarray] = []
        # ---- case A: only moved nodes move, into the tail of their cell's segment
        if stay_kept.any():
            in_a = np.repeat(stay_kept, mcount)  # per mover (movers are in cell order)
            mv = moved[in_a]
            ca, cnt_a = cells[stay_kept], mcount[stay_kept]
            tail0 = self.start[ca] + self.size[ca] - cnt_a
            tp = _ranges(tail0, cnt_a)
            tail_of = np.repeat(tail0, cnt_a)
            p = self.where[mv]
            out = p < tail_of
            flag = self._flag
            flag[mv] = True
            in_nodes = self.elems[tp]
            stranger = ~flag[in_nodes]
            flag[mv] = False
            # movers outside the tail swap with non-movers inside it, cell by cell
            p_out = p[out]
            q_in = tp[stranger]
            n_out, n_in = self.elems[p_out], self.elems[q_in]
            self.elems[p_out], self.elems[q_in] = n_in, n_out
            self.where[n_in], self.where[n_out] = p_out, q_in
            # the tail now holds exactly the movers: lay them out by part
            self.elems[tp] = mv
            self.where[mv] = tp
            self.size[ca] -= cnt_a
            gi = np.repeat(stay_kept, n_grp)  # groups of case-A cells (all fresh)
            ga_size = gsize[gi]
            ga_id = g_id[gi]
            self.start[ga_id] = tp[ga_size.cumsum() - ga_size]
            self.size[ga_id] = ga_size
            self.cellS[ga_id] = g_s[gi]
            changed.append(mv)
            new_col.append(np.repeat(ga_id, ga_size))
        # ---- a cell whose members all moved with one hash: it takes that hash
        whole = gsize[cg] == csize
        if whole.any():
            self.cellS[cells[whole]] = g_s[cg[whole]]
        # ---- case B: the whole cell is re-laid, sorted by hash (its parts contiguous)
        in_b = ~(stay_kept | whole)
        if in_b.any():
            pos, members = self._members(cells[in_b])
            bc, bs = self.col[members], self.S[members]
            o = np.lexsort((bs, bc))
            members, bc, bs = members[o], bc[o], bs[o]
            self.elems[pos] = members
            self.where[members] = pos
            runs = _run_bounds(bc, bs)
            st = runs[:-1]
            sz = runs[1:] - st
            # the runs are exactly the parts of these cells, in the same (cell, hash) order
            gb = np.repeat(in_b, n_grp)
            sb = in_b & (stay > 0)
            p_cell = np.concatenate((gcell[gb], cells[sb]))
            p_s = np.concatenate((g_s[gb], c_s[sb]))
            run_id = np.concatenate((g_id[gb], s_id[sb]))[np.lexsort((p_s, p_cell))]
            self.start[run_id] = pos[st]
            self.size[run_id] = sz
            self.cellS[run_id] = bs[st]
            member_id = np.repeat(run_id, sz)
            mv = member_id != bc
            changed.append(members[mv])
            new_col.append(member_id[mv])
        ch = np.concatenate(changed) if changed else np.zeros(0, np.int64)
        nc = np.concatenate(new_col) if new_col else np.zeros(0, np.int64)
        self._move(ch, nc)
        self._changed = ch
        c = self.cnt[:, touched_ids]
        return bool((c[0] == c[1]).all())

    def _unique_nodes(self, nodes: np.ndarray) -> np.ndarray:
        """Sorted distinct node ids (a scratch flag array when there are many: numpy's
        hash-based unique is slow on large integer arrays)."""
        if nodes.size * 8 < self.u.n:
            return _unique(nodes)
        flag = self._flag
        flag[nodes] = True
        out = np.flatnonzero(flag)
        flag[out] = False
        return out

    def _record_cells(self, cells: np.ndarray) -> None:
        # the hash, start and size of these cells (sorted and distinct: every caller
        # has them so) are about to be overwritten: remember them (a trail entry with
        # negative node ids, restored on undo)
        self.trail.append((-1 - cells, self.start[cells], self.size[cells], self.cellS[cells], -1))

    def mark(self) -> int:
        return len(self.trail)

    def undo(self, mark: int) -> None:
        while len(self.trail) > mark:
            nodes, old, touched, old_s, k = self.trail.pop()
            if k >= 0:
                self.k = k
                continue
            if nodes.size and nodes[0] < 0:  # a cell record
                cells = -1 - nodes
                self.start[cells], self.size[cells], self.cellS[cells] = old, touched, old_s
                continue
            if touched.size:
                self.S[touched] = old_s
            if nodes.size:
                cur = self.col[nodes]
                side = self.own[nodes].astype(np.int64)
                np.subtract.at(self.cnt, (side, cur), 1)
                np.add.at(self.cnt, (side, old), 1)
                self.col[nodes] = old

    def target(self) -> tuple[int, np.ndarray] | None:
        """The smallest cell with two or more nodes per side: (its first reference node,
        its candidate nodes); None when discrete."""
        cnt = self.cnt[0, : self.k]
        big = np.flatnonzero(cnt >= 2)
        if big.size == 0:
            return None
        c = int(big[np.argmin(cnt[big])])
        cell = self.elems[self.start[c] : self.start[c] + self.size[c]]
        a = int(cell[~self.own[cell]][0])
        return a, cell[self.own[cell]]

    def leaf_mapping(self) -> np.ndarray:
        a_nodes = np.flatnonzero(~self.own)
        b_nodes = np.flatnonzero(self.own)
        oa = a_nodes[np.argsort(self.col[a_nodes], kind="stable")]
        ob = b_nodes[np.argsort(self.col[b_nodes], kind="stable")]
        m = np.empty(a_nodes.size, dtype=np.int64)
        m[oa] = ob
        return m


@dataclass
class Probed:
    """A greedy probe that found nothing: its state (undone to the root), the root's
    target cell, and the nodes it spent. :func:`search_incremental` continues from it
    instead of descending the same way again (the same probe on the same state fails the
    same way: on the symmetric pairs of 1e2-1e3 nonzeros that repeat was a third of the
    check)."""

    state: _State
    first: tuple[int, np.ndarray]
    steps: int


def probe(
    u: Union, colours: np.ndarray, *, max_nodes: int = 2000, deadline: float | None = None
) -> SearchResult | Probed | None:
    """Only the greedy whole-cell pairing descent of :func:`search_incremental`: a
    result with an isomorphism (checked exactly), a :class:`Probed` to continue from when
    it finds none (nothing is concluded), or None when there is nothing to probe."""
    st = _State(u, colours, _Adjacency.of(u))
    first = st.target() if st.uniform() else None
    if first is None:
        return None
    root = st.mark()
    found, steps = _greedy_probe(u, st, deadline, max_nodes)
    if found is None:
        st.undo(root)
        return Probed(st, first, steps)
    return SearchResult(found, False, steps, "individualisation-refinement leaf (cell pairing)")


#: Orbit pruning in :func:`search_incremental` (its ``orbits`` keyword overrides this;
#: tests switch it off to compare with the plain exhaustive search).
ORBIT_PRUNING = True

#: At most this many automorphism generators are kept (the oldest is dropped first):
#: each is stored as its moved points only, so memory stays bounded by this many
#: permutations of the candidate graph. Dropping one is always sound (less pruning).
MAX_GENERATORS = 32

#: ... and at most this many moved points in all, per node of the candidate graph (a
#: cyclic shift of 100 identical bins moves almost every node): the oldest generators
#: are dropped first, the newest is always kept.
MAX_MOVED_PER_NODE = 8

#: Individualisations one automorphism probe may make on the union of the candidate
#: graph with itself (beyond the search's prefix).
PROBE_STEPS = 64


def search_incremental(
    u: Union,
    colours: np.ndarray,
    *,
    max_nodes: int = 2000,
    deadline: float | None = None,
    probed: Probed | None = None,
    orbits: bool | None = None,
) -> SearchResult | None:
    """Individualisation-refinement from the stable colouring ``colours`` (equitable).

    Same contract as :func:`optiscribe.verify._refine.search`; returns None when the
    colouring given is not uniform under this module's hashes (a collision of the other
    hash): the caller then runs the from-scratch search. ``probed``: what :func:`probe`
    returned for the same ``u`` and ``colours`` when it found nothing; the search goes on
    from there (the same nodes, the same answer as without it). ``orbits``: prune
    candidates by automorphisms of the candidate graph (default :data:`ORBIT_PRUNING`;
    see :class:`_Automorphisms`). Pruning only skips subtrees that hold no isomorphism:
    the same answer as without it, and the same steps until the first skip (see the
    module docstring).
    """
    if probed is not None:
        st, first, visited = probed.state, probed.first, probed.steps
    else:
        st = _State(u, colours, _Adjacency.of(u))
        if not st.uniform():
            return None
        target = st.target()
        if target is None:
            m = st.leaf_mapping()
            if mapping_is_isomorphism(u, m):
                return SearchResult(m, False, 0, "discrete")
            return SearchResult(None, True, 0, "the only colour-preserving bijection fails")
        first = target
        # a greedy probe first: pair whole cells at once (one guess per cell, the first
        # pair only when a whole-cell guess fails); on identical bins or items this
        # reaches a leaf in a few steps. Any failure undoes it and the exhaustive search
        # below runs.
        root = st.mark()
        found, visited = _greedy_probe(u, st, deadline, max_nodes)
        if found is not None:
            return SearchResult(
                found, False, visited, "individualisation-refinement leaf (cell pairing)"
            )
        st.undo(root)
    prune = ORBIT_PRUNING if orbits is None else orbits
    aut = _Automorphisms(u, colours, 2 * max_nodes, deadline) if prune else None
    levels = [_Level(first[0], first[1], st.mark())]
    while levels:
        lv = levels[-1]
        st.undo(lv.mark)
        if lv.i >= lv.cands.size:
            levels.pop()
            if levels:  # the parent's current candidate: its whole subtree is exhausted
                levels[-1].exhausted(visited)
            continue
        pos = lv.i
        lv.i += 1
        b = int(lv.cands[pos])
        if aut is not None and lv.explored and aut.skip(levels, pos):
            continue
        visited += 1
        spent = out_of_budget(visited, max_nodes, deadline)
        if spent is not None:
            return spent
        lv.cur, lv.cur_start = pos, visited
        if not st.individualise(lv.a, b):
            lv.exhausted(visited)
            continue
        nxt = st.target()
        if nxt is None:
            m = st.leaf_mapping()
            if mapping_is_isomorphism(u, m):
                return SearchResult(m, False, visited, "individualisation-refinement leaf")
            lv.exhausted(visited)
            continue
        levels.append(_Level(nxt[0], nxt[1], st.mark()))
    return SearchResult(None, True, visited, "search tree exhausted")


class _Level:
    """One level of the exhaustive search: reference node ``a``, its candidate cell,
    the next candidate to try, the trail mark to undo to; the candidate being explored
    (``cur``, and the node count when it started); the candidates whose subtrees were
    exhausted (position, nodes their subtree took); the orbits of the candidates
    (union-find over positions) under the automorphisms fixing the level's prefix."""

    __slots__ = (
        "a",
        "cands",
        "cur",
        "cur_start",
        "explored",
        "i",
        "mark",
        "parent",
        "pos",
        "seen",
        "shifted",
    )

    def __init__(self, a: int, cands: np.ndarray, mark: int) -> None:
        self.a, self.cands, self.mark = a, cands, mark
        self.i = 0
        self.cur, self.cur_start = -1, 0
        self.explored: list[tuple[int, int]] = []
        self.parent: list[int] | None = None
        self.pos: dict[int, int] = {}
        self.seen = 0  # serial of the next stored generator not yet applied here
        self.shifted = False  # a cyclic shift of the whole cell was probed here

    def exhausted(self, visited: int) -> None:
        """The current candidate's subtree ended without an isomorphism and within the
        budget (running out of budget or finding one returns from the whole search)."""
        self.explored.append((self.cur, visited - self.cur_start + 1))

    def find(self, p: int) -> int:
        par = self.parent
        assert par is not None
        while par[p] != p:
            par[p] = par[par[p]]
            p = par[p]
        return p

    def union(self, p: int, q: int) -> None:
        rp, rq = self.find(p), self.find(q)
        if rp != rq:
            assert self.parent is not None
            self.parent[max(rp, rq)] = min(rp, rq)


class _Automorphisms:
    """Orbit pruning for :func:`search_incremental`: automorphisms of the candidate
    graph B found on demand, kept as generators, and the orbits they give.

    Why it is sound. At a level with prefix ``P`` (the pairs individualised above it),
    reference node ``a`` and candidate ``b1`` whose subtree was exhausted within the
    budget, no isomorphism extends ``P + (a -> b1)``. If an automorphism ``σ`` of B fixes
    every B node of ``P`` and maps ``b1`` to ``b2``, an isomorphism ``f`` extending
    ``P + (a -> b2)`` would give ``σ⁻¹ ∘ f``, an isomorphism extending ``P + (a -> b1)``:
    so ``b2`` is skipped. The same holds for any product of such automorphisms, hence
    for the orbit of ``b1`` under the group they generate (a union-find over the
    generators' moves inside the candidate cell: each union is one generator applied,
    so every chain is a group element fixing ``P``). A subtree that ran out of budget
    returns from the whole search and seeds nothing.

    How they are found. Only once the search has exhausted a candidate whose subtree
    took more than one node (cheap failures are retried directly; a probe would cost
    more) and the next candidate is in no known orbit of an exhausted one: the union of
    B with itself is built (once, lazily) with the root colouring of B on both copies,
    ``P``'s B nodes are individualised onto their own copies (kept between probes,
    undone only as far as the prefix changed), then the pairs asked for, and the greedy
    probe descends preferring the identity (each node onto its own copy,
    :meth:`_State.individualise_cell` with ``twin``). The pairs: once per level, a
    cyclic shift of the whole candidate cell (all pairs at once, when the cell of that
    union is exactly the candidates): for identical bins or items it is an automorphism
    and one generator puts the whole cell in one orbit, where pair by pair that takes
    ``k - 1`` probes (with 100 bins the probe budget ran out); otherwise, or when it
    fails, ``b1`` onto ``b2``'s copy. The leaf is kept only if it passes
    :func:`mapping_is_isomorphism` on that union (labels of variables and rows, edges
    with their labels: everything the union encodes), fixes ``P`` and maps the pairs
    as asked (re-checked). Nothing found: no pruning for that candidate.

    Bounds. Probes spend at most ``2 * max_nodes`` individualisations in all (then only
    the generators already found are used; keeping the prefix in step is not counted:
    it repeats at most the main search's own individualisations) and
    :data:`PROBE_STEPS` each. Generators are kept
    as their moved points, at most :data:`MAX_GENERATORS` of them and at most
    :data:`MAX_MOVED_PER_NODE` moved points per node of B in all (the oldest dropped
    first; the levels still open are the most recent, deepest ones, and what a level
    has already united stays united).
    """

    def __init__(self, u: Union, colours: np.ndarray, budget: int, deadline: float | None):
        self.u, self.colours, self.deadline = u, colours, deadline
        self.ob = u.offsets[2]
        self.nb = u.n - self.ob
        self.budget = budget
        self.st: _State | None = None
        self.uu: Union | None = None
        self.broken = False
        self.path: list[tuple[int, int]] = []  # (B node individualised, mark before)
        # (serial, moved B nodes sorted, their images); B nodes as local ids 0..nb-1
        self.gens: list[tuple[int, np.ndarray, np.ndarray]] = []
        self.serial = 0
        self.moved = 0  # moved points stored in all
        self.probes = self.found = self.skipped = 0  # (for tests and reports)

    def skip(self, levels: list[_Level], pos: int) -> bool:
        """Whether candidate ``pos`` of the deepest level is in the orbit of one whose
        subtree was exhausted (searching for an automorphism that shows it when none of
        the stored ones does)."""
        lv = levels[-1]
        prefix = [int(x.cands[x.cur]) - self.ob for x in levels[:-1]]
        self._apply(lv, prefix)
        root = lv.find(pos)
        if any(lv.find(e) == root for e, _ in lv.explored):
            self.skipped += 1
            return True
        src = next((e for e, cost in lv.explored if cost > 1), None)
        if src is None or self.broken or self.budget <= 0:
            return False
        cl = lv.cands - self.ob
        if not lv.shifted and cl.size > 2:
            # first a cyclic shift of the whole cell (one generator for the cell when it
            # is one orbit, as identical bins are; pair by pair that takes k - 1 probes)
            lv.shifted = True
            g = self._probe(prefix, cl, np.roll(cl, -1))
            if g is not None:
                self._store(g)
                self._apply(lv, prefix)
                if lv.find(pos) == lv.find(src):
                    self.skipped += 1
                    return True
        g = self._probe(prefix, cl[src : src + 1], cl[pos : pos + 1])
        if g is None:
            return False
        self._store(g)
        self._apply(lv, prefix)
        if lv.find(pos) != lv.find(src):
            return False  # (cannot happen: g maps src to pos)
        self.skipped += 1
        return True

    def _apply(self, lv: _Level, prefix: list[int]) -> None:
        """Union, at ``lv``, the moves of the stored generators it has not seen that fix
        its prefix."""
        if lv.parent is None:
            lv.parent = list(range(lv.cands.size))
            lv.pos = {int(x) - self.ob: k for k, x in enumerate(lv.cands)}
        pre = np.asarray(prefix, dtype=np.int64)
        for serial, moved, image in self.gens:
            if serial < lv.seen:
                continue
            if pre.size:
                at = np.minimum(np.searchsorted(moved, pre), moved.size - 1)
                if np.any(moved[at] == pre):
                    continue  # moves a node of the prefix: not usable here
            cl = lv.cands - self.ob
            at = np.minimum(np.searchsorted(moved, cl), moved.size - 1)
            hit = np.flatnonzero(moved[at] == cl)
            for k, img in zip(hit.tolist(), image[at[hit]].tolist()):
                q = lv.pos.get(img)
                if q is not None:  # (always: the cell is mapped onto itself)
                    lv.union(k, q)
        lv.seen = self.serial

    def _store(self, sigma: np.ndarray) -> None:
        moved = np.flatnonzero(sigma != np.arange(self.nb))
        if moved.size == 0:
            return  # (cannot happen: it maps b1 to another node b2)
        self.gens.append((self.serial, moved, sigma[moved]))
        self.serial += 1
        self.found += 1
        self.moved += moved.size
        while len(self.gens) > 1 and (
            len(self.gens) > MAX_GENERATORS or self.moved > MAX_MOVED_PER_NODE * self.nb
        ):
            self.moved -= self.gens[0][1].size
            del self.gens[0]

    def _state(self) -> _State | None:
        if self.st is None and not self.broken:
            uu = build_union(self.u.gb, self.u.gb)
            cb = self.colours[self.ob :]
            _, col = np.unique(np.concatenate([cb, cb]), return_inverse=True)
            st = _State(uu, col.astype(np.int64), _Adjacency.of(uu))
            if st.uniform():
                self.st, self.uu = st, uu
            else:
                self.broken = True
        return self.st

    def _probe(self, prefix: list[int], src: np.ndarray, dst: np.ndarray) -> np.ndarray | None:
        """An automorphism of B (local ids) fixing ``prefix`` and mapping ``src[j]`` to
        ``dst[j]``, checked exactly, or None. One pair is individualised as such; more
        pairs (a cyclic shift of the candidate cell) only when they are exactly one cell
        of the union at the prefix, all paired at once."""
        st = self._state()
        if st is None or self.uu is None:
            return None
        self.probes += 1
        nb = self.nb
        # the prefix, individualised onto its own copy (kept from the last probe as far
        # as it is the same)
        k = 0
        while k < min(len(self.path), len(prefix)) and self.path[k][0] == prefix[k]:
            k += 1
        if k < len(self.path):
            st.undo(self.path[k][1])
            del self.path[k:]
        for x in prefix[k:]:
            # (not counted: at most the main search's own individualisations again)
            self.path.append((x, st.mark()))
            if not st.individualise(x, x + nb):
                # impossible (swapping the copies is an automorphism of the union); but
                # the state is no longer usable
                self.broken = True
                return None
        c = int(st.col[src[0]])
        if src.size > 1 and not (
            int(st.size[c]) == 2 * src.size
            and np.all(st.col[src] == c)
            and np.all(st.col[dst + nb] == c)
        ):
            return None
        mark = st.mark()
        try:
            self.budget -= 1
            if src.size == 1:
                ok = st.individualise(int(src[0]), int(dst[0]) + nb)
            else:
                ok = st.individualise_cell(c, pairing=(src, dst + nb))
            if not ok:
                return None
            steps = min(PROBE_STEPS, max(self.budget, 0))
            found, used = _greedy_probe(self.uu, st, self.deadline, steps, twin=nb)
            self.budget -= used
        finally:
            st.undo(mark)
        if found is None:
            return None
        sigma = found - nb
        pre = np.asarray(prefix, dtype=np.int64)
        if not np.array_equal(sigma[src], dst) or not np.array_equal(sigma[pre], pre):
            return None  # (cannot happen: those pairs were individualised)
        return sigma


def _greedy_probe(
    u: Union,
    st: _State,
    deadline: float | None,
    max_nodes: int,
    twin: int | None = None,
) -> tuple[np.ndarray | None, int]:
    """One descent without backtracking: (the leaf's bijection if it is an isomorphism,
    individualisations made, each counted as a search node). ``twin``: on the union of
    one graph with itself, prefer pairing each node with its own copy (see
    :meth:`_State.individualise_cell`)."""
    steps = 0
    while True:
        if steps >= max_nodes or (deadline is not None and time.perf_counter() > deadline):
            return None, steps
        nxt = st.target()
        if nxt is None:
            m = st.leaf_mapping()
            return (m if mapping_is_isomorphism(u, m) else None), steps
        a, cands = nxt
        c = int(st.col[a])
        mark = st.mark()
        steps += 1
        if st.individualise_cell(c, twin):
            continue
        st.undo(mark)
        steps += 1
        b = int(cands[0])
        if twin is not None and int(st.col[a + twin]) == c:
            b = a + twin
        if steps > max_nodes or not st.individualise(a, b):
            return None, steps
