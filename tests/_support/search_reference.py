"""A plain reference for the incremental search's partition state
(``optiscribe.verify._search._State``): the same operations on Python lists, node by
node, compared with it field by field in lock step (tests/verify/test_search.py)."""

from __future__ import annotations

from itertools import accumulate
from operator import mul
from typing import Any

import numpy as np

from optiscribe.verify._refine import HASH_SEED, Union, _mix_int
from optiscribe.verify._search import _R_SALT, _Adjacency

_MASK = (1 << 64) - 1
_R_SALT_INT = int(_R_SALT)
_R_LIST: list[int] = []  # r(c) of the colour ids c = 0, 1, ... (grown on demand)


def _r_list(k: int) -> list[int]:
    """:func:`_r` of the colour ids 0..k-1 (at least), on Python ints."""
    global _R_LIST
    tab = _R_LIST
    if len(tab) < k:
        new = range(len(tab), max(k, 2 * len(tab), 256))
        # replaced, never appended to in place (threads see a complete table)
        tab = tab + [_mix_int((c * _R_SALT_INT + HASH_SEED) & _MASK) for c in new]
        _R_LIST = tab
    return tab


class ReferenceState:
    """The search's partition state, node by node on Python lists: what
    ``_search._State`` must do, written as plainly as possible (no vectorised step), to
    run beside it in lock step and compare every field after every operation.

    The rules (as ``_State``'s docstrings state them): ``S[v]`` is the wrap-around
    ``uint64`` sum over v's arcs of ``r(colour of neighbour) * w`` (``& _MASK`` here;
    the edge weights are the adjacency's own); a split groups the moved nodes of a cell
    by hash, the members not moved form its "stay" part, the largest part keeps the
    cell's id (ties: the smallest hash), the other parts get fresh ids in (cell, hash)
    order; when the stay part is kept the movers are swapped into the tail of the cell's
    segment (movers outside it trade places with non-movers inside it, both in order),
    otherwise the whole segment is re-laid, stably sorted by hash; undo restores
    colours, hashes, counts and cell bounds, not the order inside a segment."""

    def __init__(self, u: Union, colours: np.ndarray, adj: _Adjacency) -> None:
        self.u = u
        n = u.n
        ptr, nbr, w = adj.indptr.tolist(), adj.nbr.tolist(), adj.w.tolist()
        self.nbrs = [nbr[ptr[v] : ptr[v + 1]] for v in range(n)]
        self.ws = [w[ptr[v] : ptr[v + 1]] for v in range(n)]
        col = np.asarray(colours).tolist()
        self.col: list[int] = col
        k = max(col) + 1
        self.k = k
        rt = _r_list(k)
        self.S = [
            sum(map(mul, map(rt.__getitem__, map(col.__getitem__, nb)), ws)) & _MASK
            for nb, ws in zip(self.nbrs, self.ws)
        ]
        cellS = [0] * k
        for c, s in zip(col, self.S):
            cellS[c] = s  # the last node of each colour, as the array assignment
        self.cellS = cellS
        own = u.owner.astype(bool).tolist()
        self.own: list[int] = [int(x) for x in own]
        cnt = ([0] * k, [0] * k)
        for c, o in zip(col, self.own):
            cnt[o][c] += 1
        self.cnt = cnt
        self.elems = sorted(range(n), key=col.__getitem__)
        where = [0] * n
        for p, v in enumerate(self.elems):
            where[v] = p
        self.where = where
        size = [0] * k
        for c in col:
            size[c] += 1
        self.size = size
        self.start = [0, *accumulate(size[:-1])]
        self._changed: list[int] = []
        # undo trail: (nodes, old colours, S-updated nodes, their old S, k before); a
        # cell record is (cells, [(cellS, start, size)], [], [], -1) with cells < 0
        self.trail: list[tuple[list[int], list[Any], list[int], list[int], int]] = []

    def uniform(self) -> bool:
        cellS, col = self.cellS, self.col
        return all(cellS[c] == s for c, s in zip(col, self.S))

    def _grow(self, need: int) -> None:
        more = need - len(self.cellS)
        if more > 0:
            z = [0] * more
            self.cellS += z
            self.cnt[0].extend(z)
            self.cnt[1].extend(z)
            self.size += z
            self.start += z

    def _record_cells(self, cells: list[int]) -> None:
        cs, st, sz = self.cellS, self.start, self.size
        cells = sorted(set(cells))
        self.trail.append(
            ([-1 - c for c in cells], [(cs[c], st[c], sz[c]) for c in cells], [], [], -1)
        )

    def _move(self, nodes: list[int], new: list[int]) -> None:
        col, own, cnt = self.col, self.own, self.cnt
        old = [col[v] for v in nodes]
        for v, o, c in zip(nodes, old, new):
            side = cnt[own[v]]
            side[o] -= 1
            side[c] += 1
            col[v] = c
        nbrs, ws, S = self.nbrs, self.ws, self.S
        touched = sorted({x for v in nodes for x in nbrs[v]})
        self.trail.append((nodes, old, touched, [S[t] for t in touched], -1))
        rt = _r_list(self.k)
        for v, o, c in zip(nodes, old, new):
            d = rt[c] - rt[o]
            for x, wx in zip(nbrs[v], ws[v]):
                S[x] = (S[x] + d * wx) & _MASK

    def individualise(self, a: int, b: int) -> bool:
        self.trail.append(([], [], [], [], self.k))
        self._grow(self.k + 1)
        fresh = self.k
        self.k += 1
        c = self.col[a]
        self._record_cells([c, fresh])
        elems, where = self.elems, self.where
        end = self.start[c] + self.size[c]
        for node, slot in ((a, end - 1), (b, end - 2)):
            p, other = where[node], elems[slot]
            elems[p], elems[slot] = other, node
            where[other], where[node] = p, slot
        self.size[c] -= 2
        self.start[fresh], self.size[fresh] = end - 2, 2
        self.cellS[fresh] = self.S[a]
        self._move([a, b], [fresh, fresh])
        return self._propagate([a, b])

    def individualise_cell(
        self,
        c: int,
        twin: int | None = None,
        pairing: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> bool:
        self.trail.append(([], [], [], [], self.k))
        seg0, size = self.start[c], self.size[c]
        own = self.own
        cell = self.elems[seg0 : seg0 + size]
        a_nodes = [v for v in cell if not own[v]]
        b_nodes = [v for v in cell if own[v]]
        if pairing is not None:
            a_nodes, b_nodes = pairing[0].tolist(), pairing[1].tolist()
        elif twin is not None:
            # each reference node whose copy is in the cell first, paired with it; the
            # rest in segment order
            has = [x for x in a_nodes if self.col[x + twin] == c]
            taken = {x + twin for x in has}
            a_nodes = has + [x for x in a_nodes if self.col[x + twin] != c]
            b_nodes = [x + twin for x in has] + [y for y in b_nodes if y not in taken]
        pairs = len(a_nodes)
        self._grow(self.k + pairs)
        fresh = list(range(self.k, self.k + pairs))
        self.k += pairs
        self._record_cells([c, *fresh])
        lay = [x for ab in zip(a_nodes, b_nodes) for x in ab]
        elems, where = self.elems, self.where
        for i, v in enumerate(lay):
            elems[seg0 + i] = v
            where[v] = seg0 + i
        self.size[c] = 0
        cs = self.cellS[c]
        for i, f in enumerate(fresh):
            self.start[f], self.size[f] = seg0 + 2 * i, 2
            self.cellS[f] = cs
        self._move(lay, [f for f in fresh for _ in (0, 1)])
        return self._propagate(lay)

    def _propagate(self, changed: list[int]) -> bool:
        nbrs, S, cellS, col = self.nbrs, self.S, self.cellS, self.col
        while True:
            touched = sorted({x for v in changed for x in nbrs[v]})
            moved = [v for v in touched if S[v] != cellS[col[v]]]
            if not moved:
                break
            if not self._split(moved):
                return False
            changed = self._changed
            if not changed:
                break
        return True

    def _split(self, moved: list[int]) -> bool:
        """:meth:`_State._split` on lists, cell by cell (cells own disjoint segments, so
        the array version's global steps are per-cell steps done at once)."""
        col, S, cellS, size, start = self.col, self.S, self.cellS, self.size, self.start
        elems, where = self.elems, self.where
        # moved nodes grouped by (cell, hash), node order inside a group
        order = sorted(moved, key=lambda v: (col[v], S[v]))
        groups: list[tuple[int, int, list[int]]] = []
        for v in order:
            c, s = col[v], S[v]
            if groups and groups[-1][0] == c and groups[-1][1] == s:
                groups[-1][2].append(v)
            else:
                groups.append((c, s, [v]))
        by_cell: dict[int, list[int]] = {}  # cell -> its groups (indices), in order
        for gi, g in enumerate(groups):
            by_cell.setdefault(g[0], []).append(gi)
        cells = list(by_cell)  # sorted (groups are)
        # parts: the groups (index gi), then each cell's stay part (index ng + ci) when
        # not empty; the largest part of a cell keeps its id (ties: the smallest hash)
        ng = len(groups)
        part_s = [g[1] for g in groups]
        part_n = [len(g[2]) for g in groups]
        ids = [g[0] for g in groups]
        stay_kept: dict[int, bool] = {}
        fresh_parts: list[tuple[int, int, int]] = []  # (cell, hash, part index)
        cell_parts: dict[int, list[int]] = {}
        for ci, c in enumerate(cells):
            mcount = sum(part_n[gi] for gi in by_cell[c])
            parts = list(by_cell[c])
            stay = size[c] - mcount
            part_s.append(cellS[c])
            part_n.append(stay)
            ids.append(c)
            if stay > 0:
                parts.append(ng + ci)
            keep = min(parts, key=lambda p: (-part_n[p], part_s[p], p))
            stay_kept[c] = keep == ng + ci
            fresh_parts += [(c, part_s[p], p) for p in parts if p != keep]
            cell_parts[c] = parts
        fresh_parts.sort()
        self._grow(self.k + len(fresh_parts))
        for i, (_, _, p) in enumerate(fresh_parts):
            ids[p] = self.k + i
        self.k += len(fresh_parts)
        touched_ids = sorted({*cells, *(ids[p] for ps in cell_parts.values() for p in ps)})
        self._record_cells(touched_ids)
        changed: list[int] = []
        new_col: list[int] = []
        for c in cells:
            gis = by_cell[c]
            if stay_kept[c]:
                # only the movers move, into the tail of the cell's segment, by group
                movers = [v for gi in gis for v in groups[gi][2]]
                cnt_a = len(movers)
                tail0 = start[c] + size[c] - cnt_a
                is_mover = set(movers)
                outs = [v for v in movers if where[v] < tail0]
                strangers = [q for q in range(tail0, tail0 + cnt_a) if elems[q] not in is_mover]
                for v, q in zip(outs, strangers):
                    p, n_in = where[v], elems[q]
                    elems[p] = n_in
                    where[n_in] = p
                for i, v in enumerate(movers):
                    elems[tail0 + i] = v
                    where[v] = tail0 + i
                size[c] -= cnt_a
                pos = tail0
                for gi in gis:
                    f, n = ids[gi], part_n[gi]
                    start[f], size[f], cellS[f] = pos, n, part_s[gi]
                    pos += n
                    changed += groups[gi][2]
                    new_col += [f] * n
            else:
                # the whole cell is re-laid, sorted by hash (its parts contiguous)
                seg0 = start[c]
                members = sorted(elems[seg0 : seg0 + size[c]], key=S.__getitem__)
                run_ids = [ids[p] for p in sorted(cell_parts[c], key=lambda p: (part_s[p], p))]
                r = -1
                prev = None
                for i, v in enumerate(members):
                    p = seg0 + i
                    elems[p] = v
                    where[v] = p
                    s = S[v]
                    if s != prev:
                        r += 1
                        prev = s
                        f = run_ids[r]
                        start[f], size[f], cellS[f] = p, 0, s
                    size[f] += 1
                    if f != c:
                        changed.append(v)
                        new_col.append(f)
        self._move(changed, new_col)
        self._changed = changed
        c0, c1 = self.cnt
        return all(c0[t] == c1[t] for t in touched_ids)

    def mark(self) -> int:
        return len(self.trail)

    def undo(self, mark: int) -> None:
        col, own, cnt, S = self.col, self.own, self.cnt, self.S
        while len(self.trail) > mark:
            nodes, old, touched, old_s, k = self.trail.pop()
            if k >= 0:
                self.k = k
                continue
            if nodes and nodes[0] < 0:
                for x, (cs, st, sz) in zip(nodes, old):
                    c = -1 - x
                    self.cellS[c], self.start[c], self.size[c] = cs, st, sz
                continue
            for t, s in zip(touched, old_s):
                S[t] = s
            for v, o in zip(nodes, old):
                side = cnt[own[v]]
                side[col[v]] -= 1
                side[o] += 1
                col[v] = o

    def target(self) -> tuple[int, np.ndarray] | None:
        c0 = self.cnt[0]
        best, c = 0, -1
        for x in range(self.k):
            n = c0[x]
            if n >= 2 and (c < 0 or n < best):
                best, c = n, x
        if c < 0:
            return None
        own = self.own
        cell = self.elems[self.start[c] : self.start[c] + self.size[c]]
        a = next(v for v in cell if not own[v])
        return a, np.array([v for v in cell if own[v]], dtype=np.int64)

    def leaf_mapping(self) -> np.ndarray:
        col, own = self.col, self.own
        n = len(col)
        oa = sorted((v for v in range(n) if not own[v]), key=col.__getitem__)
        ob = sorted((v for v in range(n) if own[v]), key=col.__getitem__)
        m = [0] * len(oa)
        for x, y in zip(oa, ob):
            m[x] = y
        return np.array(m, dtype=np.int64)
