"""Reductions of the ``normalized`` level, applied to each model on its own.

Each reduction preserves the optimal value and the feasible set projected onto the
surviving variables, so two models that reduce to the same model are reformulations of
each other in a precise sense (not merely isomorphic). Every reduction that changes
something is recorded. The certificate of a ``normalized`` check is verified against
the reduced models, which keep the original names of the surviving variables and rows.

Reductions, repeated until nothing changes:

* singleton rows become bounds (needed to see fixed variables); integer bounds are
  rounded; a variable with an empty domain (``lb > ub``, an integer fixed at a
  fractional value) stops the reductions: the model is infeasible and is left for the
  canonical form to report as such, never substituted;
* fixed variables (``lb == ub``) are substituted into rows and the objective constant;
* slack variables (continuous, zero cost, in exactly one row) are projected out, all
  the slacks of a row at once so that the result does not depend on the column order:
  ``lo <= a x + b s <= hi, s in [l, u]`` becomes ``lo - max(b l, b u) <= a x <= hi -
  min(b l, b u)`` (summed exactly over the row's slacks); a row of slacks only goes with
  them when it can be met and stays untouched when it cannot;
* an objective-defining variable (``min z`` with ``z`` continuous, the only cost, and in
  exactly one equality ``b z + a x = d``) is replaced by ``(d - a x) / b``; its bounds
  become a row on ``a x``;
* rows implied by the variable bounds (activity range inside the row bounds) are dropped;
* finally the objective is scaled so that its largest coefficient has magnitude 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from optiscribe.verify._model import MilpData

__all__ = ["Normalized", "normalize"]


@dataclass(frozen=True, eq=False)
class Normalized:
    model: MilpData
    steps: tuple[str, ...]
    eliminated: tuple[str, ...]


class _Work:
    """Mutable working copy (lil rows), private to :func:`normalize`."""

    def __init__(self, m: MilpData) -> None:
        self.sense = m.sense
        self.c = m.c.astype(np.float64).copy()
        self.offset = float(m.offset)
        self.A = sp.lil_array(m.A)
        self.lo = m.row_lower.copy()
        self.hi = m.row_upper.copy()
        self.lb = m.col_lower.copy()
        self.ub = m.col_upper.copy()
        self.integer = m.integer.copy()
        self.var_alive = np.ones(m.num_vars, dtype=bool)
        self.row_alive = np.ones(m.num_rows, dtype=bool)


def _col_rows(A: sp.lil_array, j: int, row_alive: np.ndarray) -> list[int]:
    col = A[:, [j]].tocoo()
    return [int(i) for i in col.coords[0] if row_alive[i]]


def normalize(m: MilpData, *, max_passes: int = 20) -> Normalized:
    """Apply the ``normalized`` reductions to one model (see module docstring)."""
    w = _Work(m)
    counts: dict[str, int] = {}
    eliminated: list[str] = []

    def note(step: str, k: int = 1) -> None:
        counts[step] = counts.get(step, 0) + k

    for _ in range(max_passes):
        changed = False
        csr = sp.csr_array(w.A)
        nnz = np.diff(csr.indptr)
        # singleton rows → bounds
        for i in np.flatnonzero(w.row_alive & (nnz == 1)).tolist():
            j = int(csr.indices[csr.indptr[i]])
            a = float(csr.data[csr.indptr[i]])
            lo_j, hi_j = (w.lo[i] / a, w.hi[i] / a) if a > 0 else (w.hi[i] / a, w.lo[i] / a)
            w.lb[j] = max(w.lb[j], lo_j)
            w.ub[j] = min(w.ub[j], hi_j)
            w.row_alive[i] = False
            note("singleton rows turned into bounds")
            changed = True
        for i in np.flatnonzero(w.row_alive & (nnz == 0)).tolist():
            if w.lo[i] <= 1e-12 and w.hi[i] >= -1e-12:
                w.row_alive[i] = False
        empty = _round_and_find_empty(w)
        if empty.size:
            # an empty domain (lb > ub, or an integer fixed at a fractional value) makes
            # the model infeasible: nothing is substituted, the bounds stay as they are
            # and the canonical form reports the infeasibility
            j = int(empty[0])
            note(
                f"reductions stopped: variable {m.var_names[j]} has an empty domain "
                f"[{w.lb[j]:g}, {w.ub[j]:g}]{' (integer)' if w.integer[j] else ''}, "
                f"the model is infeasible"
            )
            break
        csc = sp.csc_array(csr)
        # fixed variables (lb == ub up to a relative 1e-12; never lb > ub)
        for j in np.flatnonzero(
            w.var_alive
            & np.isfinite(w.lb)
            & (w.ub >= w.lb)
            & (w.ub - w.lb <= 1e-12 * np.maximum(1, np.abs(w.lb)))
        ).tolist():
            v = float(w.lb[j])
            for k in range(csc.indptr[j], csc.indptr[j + 1]):
                i = int(csc.indices[k])
                if w.row_alive[i]:
                    w.lo[i] -= csc.data[k] * v
                    w.hi[i] -= csc.data[k] * v
                    w.A[i, j] = 0.0
            w.offset += w.c[j] * v
            w.c[j] = 0.0
            w.var_alive[j] = False
            eliminated.append(f"{m.var_names[j]} = {v:g} (fixed)")
            note("fixed variables substituted")
            changed = True
        if changed:
            continue
        # slack variables, a whole row's worth at once: which slacks go must not depend
        # on the column order (eliminating them one by one, the last one in a row of
        # slacks only would survive, and which one that is depends on the order)
        csr = sp.csr_array(w.A)
        csc = sp.csc_array(csr)
        row_nnz = np.diff(csr.indptr)
        by_row: dict[int, list[int]] = {}
        for col in np.flatnonzero(w.var_alive & ~w.integer & (w.c == 0)).tolist():
            rows = [
                int(csc.indices[k])
                for k in range(csc.indptr[col], csc.indptr[col + 1])
                if w.row_alive[csc.indices[k]] and csc.data[k] != 0
            ]
            if len(rows) == 1:
                by_row.setdefault(rows[0], []).append(col)
        for row in sorted(by_row):
            slacks = by_row[row]
            if _eliminate_slacks(w, row, slacks, int(row_nnz[row])):
                eliminated += [f"{m.var_names[s]} (slack of {m.row_names[row]})" for s in slacks]
                note("slack variables eliminated", len(slacks))
                changed = True
        if changed:
            continue
        # objective-defining variable
        alive_cost = np.flatnonzero(w.var_alive & (w.c != 0))
        if alive_cost.size == 1 and not w.integer[alive_cost[0]]:
            z = int(alive_cost[0])
            rows = [
                int(csc.indices[k])
                for k in range(csc.indptr[z], csc.indptr[z + 1])
                if w.row_alive[csc.indices[k]]
            ]
            if len(rows) == 1:
                i = rows[0]
                if np.isfinite(w.lo[i]) and w.lo[i] == w.hi[i] and row_nnz[i] >= 2:
                    b = float(w.A[i, z])
                    d = float(w.lo[i])
                    cz = float(w.c[z])
                    row = sp.csr_array(w.A[[i], :]).toarray().reshape(-1)
                    row[z] = 0.0
                    # z = (d - row·x) / b
                    w.c = w.c - cz / b * row
                    w.c[z] = 0.0
                    w.offset += cz * d / b
                    # bounds of z become  d - b·ub <= row·x <= d - b·lb  (b > 0), swapped if b < 0
                    ends = sorted((d - b * w.ub[z], d - b * w.lb[z]))
                    w.lo[i], w.hi[i] = ends[0], ends[1]
                    w.A[i, z] = 0.0
                    if np.isneginf(w.lo[i]) and np.isposinf(w.hi[i]):
                        w.row_alive[i] = False
                    w.var_alive[z] = False
                    eliminated.append(
                        f"{m.var_names[z]} (objective variable defined by {m.row_names[i]})"
                    )
                    note("objective-defining variables substituted")
                    changed = True
        if changed:
            continue
        # rows implied by the variable bounds
        csr = sp.csr_array(w.A)
        pos = csr.multiply(csr > 0)
        neg = csr.multiply(csr < 0)
        lb = np.where(w.var_alive, w.lb, 0.0)
        ub = np.where(w.var_alive, w.ub, 0.0)
        with np.errstate(invalid="ignore"):
            amin = _dot(pos, lb) + _dot(neg, ub)
            amax = _dot(pos, ub) + _dot(neg, lb)
        tol = 1e-9
        red = (
            w.row_alive
            & (amin >= w.lo - tol * np.maximum(1, np.abs(w.lo)))
            & (amax <= w.hi + tol * np.maximum(1, np.abs(w.hi)))
        )
        red &= np.diff(csr.indptr) >= 2
        if red.any():
            w.row_alive[red] = False
            note("rows implied by variable bounds dropped", int(red.sum()))
            changed = True
        if not changed:
            break
    # objective scaling
    keep_v = np.flatnonzero(w.var_alive)
    keep_r = np.flatnonzero(w.row_alive)
    c = w.c[keep_v] * w.sense
    offset = w.offset * w.sense
    cmax = float(np.abs(c).max()) if c.size else 0.0
    if cmax > 0 and cmax != 1.0:
        c, offset = c / cmax, offset / cmax
        note(f"objective scaled by 1/{cmax:g}")
    A = sp.csr_array(w.A)[keep_r][:, keep_v]
    out = MilpData.build(
        c=c,
        A=A,
        row_lower=w.lo[keep_r],
        row_upper=w.hi[keep_r],
        col_lower=w.lb[keep_v],
        col_upper=w.ub[keep_v],
        integer=w.integer[keep_v],
        sense=1,
        offset=offset,
        var_names=[m.var_names[j] for j in keep_v],
        row_names=[m.row_names[i] for i in keep_r],
        source=f"{m.source} (normalized)",
        infinity=np.inf,
    )
    steps = tuple(
        f"{k} ({v})" if not k.startswith(("objective scaled", "reductions stopped")) else k
        for k, v in counts.items()
    )
    return Normalized(out, steps, tuple(eliminated))


def _eliminate_slacks(w: _Work, i: int, slacks: list[int], row_nnz: int) -> bool:
    """Project the slack variables ``slacks`` (each in row ``i`` only) out of row ``i``.

    ``lo <= a x + sum b_k s_k <= hi`` becomes ``lo - sum max_k <= a x <= hi - sum min_k``
    with ``[min_k, max_k]`` the range of ``b_k s_k``; the sums are exact (``math.fsum``)
    so the result does not depend on the order of the columns. A row of slacks only is
    dropped with them when it can be met, and left alone (an infeasible model, for the
    canonical form to report) when it cannot. Returns whether anything changed.
    """
    b = np.array([float(w.A[i, j]) for j in slacks])
    lbs, ubs = w.lb[slacks], w.ub[slacks]
    with np.errstate(invalid="ignore"):
        e1, e2 = b * lbs, b * ubs
    low, high = _exact_sum(np.minimum(e1, e2)), _exact_sum(np.maximum(e1, e2))
    with np.errstate(invalid="ignore"):
        new_lo = w.lo[i] - high
        new_hi = w.hi[i] - low
    new_lo = -np.inf if np.isnan(new_lo) else new_lo
    new_hi = np.inf if np.isnan(new_hi) else new_hi
    only_slacks = row_nnz == len(slacks)
    if only_slacks and not (new_lo <= 1e-12 and new_hi >= -1e-12):
        return False
    for j in slacks:
        w.A[i, j] = 0.0
        w.var_alive[j] = False
    w.lo[i], w.hi[i] = new_lo, new_hi
    if only_slacks or (np.isneginf(new_lo) and np.isposinf(new_hi)):
        w.row_alive[i] = False
    return True


def _exact_sum(v: np.ndarray) -> float:
    """The correctly rounded sum of ``v`` (independent of its order); infinite when any
    term is, NaN when both infinities occur."""
    pos, neg = bool(np.isposinf(v).any()), bool(np.isneginf(v).any())
    if pos or neg:
        return float("nan") if pos and neg else (np.inf if pos else -np.inf)
    return math.fsum(v.tolist())


def _round_and_find_empty(w: _Work) -> np.ndarray:
    """Round the bounds of live integer variables (as the canonical form does) and return
    the live variables whose domain is empty (``lb > ub`` beyond a relative 1e-9)."""
    ints = np.flatnonzero(w.var_alive & w.integer)
    if ints.size:
        li, ui = w.lb[ints], w.ub[ints]
        with np.errstate(invalid="ignore"):
            w.lb[ints] = np.where(
                np.isfinite(li), np.ceil(li - 1e-9 * np.maximum(1.0, np.abs(li))), li
            )
            w.ub[ints] = np.where(
                np.isfinite(ui), np.floor(ui + 1e-9 * np.maximum(1.0, np.abs(ui))), ui
            )
    bad = w.var_alive & (w.lb > w.ub + 1e-9 * np.maximum(1.0, np.abs(w.ub)))
    return np.flatnonzero(bad)


def _dot(M: sp.csr_array, v: np.ndarray) -> np.ndarray:
    """M @ v where 0 · inf counts as 0 (a zero coefficient never meets an infinite bound)."""
    out = np.zeros(M.shape[0])
    rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
    with np.errstate(invalid="ignore"):
        prod = M.data * v[M.indices]
    np.add.at(out, rows, prod)
    return out
