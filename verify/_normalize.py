"""Owns the ``normalized`` level: small reductions of one model, each with its inverse map
and named tolerances, composed by one :class:`Chain` that records the steps it applied.

Each reduction preserves the optimal value and the feasible set projected onto the
surviving variables, so two models that reduce to the same model are reformulations of
each other in a precise sense (not merely isomorphic). A verdict about the reduced models
is therefore a verdict about the models as given; a solution of a reduced model maps back
to one of the original through the inverse maps, applied in reverse order
(:meth:`Normalized.recover`, :meth:`Normalized.objective_value`). Every reduction that
changes something is recorded. The certificate of a ``normalized`` check is verified
against the reduced models, which keep the original names of the surviving variables and
rows.

The chain (:data:`NORMALIZE`), after the model of cvxpy's ``Reduction``/``Chain``: groups
of reductions are applied in passes; when a group changed something the next pass starts
from the first group, until nothing changes (or :data:`MAX_PASSES`); then the final
reductions run once.

1. :data:`SINGLETON_ROWS`: singleton rows become bounds (needed to see fixed variables);
   :data:`EMPTY_ROWS`: rows without a coefficient that can be met go (not reported);
   :data:`INTEGER_BOUNDS`: integer bounds are rounded; a variable with an empty domain
   (``lb > ub``, an integer fixed at a fractional value) stops the chain: the model is
   infeasible and is left for the canonical form to report as such, never substituted;
   :data:`FIXED_VARIABLES`: fixed variables (``lb == ub``) are substituted into rows and
   the objective constant;
2. :data:`SLACK_VARIABLES`: slack variables (continuous, zero cost, in exactly one row) are
   projected out, all the slacks of a row at once so that the result does not depend on
   the column order: ``lo <= a x + b s <= hi, s in [l, u]`` becomes ``lo - max(b l, b u) <=
   a x <= hi - min(b l, b u)`` (summed exactly over the row's slacks); a row of slacks only
   goes with them when it can be met and stays untouched when it cannot;
3. :data:`OBJECTIVE_VARIABLE`: an objective-defining variable (``min z`` with ``z``
   continuous, the only cost, and in exactly one equality ``b z + a x = d``) is replaced
   by ``(d - a x) / b``; its bounds become a row on ``a x``;
4. :data:`IMPLIED_ROWS`: rows implied by the variable bounds (activity range inside the
   row bounds) are dropped;

and finally :data:`OBJECTIVE_SCALING`: the objective becomes a minimisation whose largest
coefficient has magnitude 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from optiscribe.verify._model import MilpData

__all__ = [
    "Applied",
    "Chain",
    "InverseMap",
    "NORMALIZE",
    "Normalized",
    "Outcome",
    "Reduction",
    "normalize",
]

MAX_PASSES = 20
"""Passes of the chain at most (each pass applies the groups until one changes something);
reached only by pathological models, where the reductions made so far are kept."""

ZERO_ROW_TOL = 1e-12
"""Absolute tolerance for a row with no coefficient left (``lo <= 0 <= hi``): such a row
can be met and goes. Used for empty rows and for rows of slacks only."""

FIXED_REL_TOL = 1e-12
"""Relative tolerance of ``lb == ub`` (times ``max(1, |lb|)``) for a fixed variable; a
variable with ``lb > ub`` is never taken as fixed."""

INTEGER_ROUND_REL_TOL = 1e-9
"""Relative tolerance (times ``max(1, |bound|)``) with which integer bounds are rounded
inwards (``ceil(lb - tol)``, ``floor(ub + tol)``), as the canonical form rounds them."""

EMPTY_DOMAIN_REL_TOL = 1e-9
"""Relative tolerance (times ``max(1, |ub|)``) beyond which ``lb > ub`` is an empty domain."""

IMPLIED_ROW_REL_TOL = 1e-9
"""Relative tolerance (times ``max(1, |bound|)``) with which a row's activity range must
lie inside the row bounds for the row to be implied by the variable bounds."""


# --------------------------------------------------------------------------- the chain


class InverseMap(Protocol):
    """How a solution of the reduced model maps back through one reduction.

    ``recover`` takes a solution indexed like the *original* model, in which every variable
    that survived this reduction has its value, and returns a copy in which the variables
    this reduction eliminated have theirs too. Verdicts need no map: each reduction keeps
    the optimal value and the projected feasible set, so they carry over unchanged.
    """

    def recover(self, x: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Outcome:
    """What one application of a reduction did.

    ``count`` changes were made (0: nothing changed); ``note`` replaces the reduction's
    label as the reported step (then reported without a count); ``stop`` ends the chain
    (the model is infeasible); ``eliminated`` describes the variables removed, in order;
    ``inverse`` maps a solution back through this application; the original objective
    value is the reduced one times ``objective_factor``.
    """

    count: int = 0
    note: str | None = None
    stop: bool = False
    eliminated: tuple[str, ...] = ()
    inverse: tuple[InverseMap, ...] = ()
    objective_factor: float = 1.0


NOTHING = Outcome()
"""The outcome of a reduction that found nothing to do."""


@dataclass(frozen=True)
class Reduction:
    """One reduction: a function applied in place to the chain's working copy.

    ``label`` is the step reported when it changes something (with the number of changes);
    ``reported`` is False for the tidying reductions whose changes were never reported;
    ``repeat`` says whether a change calls for another pass of the chain.
    """

    name: str
    label: str
    apply: Callable[[_Work], Outcome]
    reported: bool = True
    repeat: bool = True


@dataclass(frozen=True)
class Applied:
    """One application of a reduction that changed something, as the chain records it."""

    reduction: str
    pass_no: int | None  # None for a final reduction
    count: int
    stopped: bool = False


@dataclass(frozen=True, eq=False)
class Normalized:
    """A model after the chain: the reduced model, the reported steps, the eliminated
    variables, and what is needed to map solutions back."""

    model: MilpData
    steps: tuple[str, ...]
    eliminated: tuple[str, ...]
    #: Every application that changed something, in order.
    applied: tuple[Applied, ...] = ()
    #: Inverse maps of the applications, in the order they were applied.
    inverse: tuple[InverseMap, ...] = ()
    #: Original index of every variable of ``model``.
    kept: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    num_original_vars: int = 0
    #: The original objective value is the reduced one times this factor.
    objective_factor: float = 1.0

    def recover(self, x: np.ndarray) -> np.ndarray:
        """A solution of the original model from a solution ``x`` of the reduced one: the
        eliminated variables get their values through the inverse maps, last first."""
        full = np.full(self.num_original_vars, np.nan)
        full[self.kept] = np.asarray(x, dtype=np.float64)
        for inv in reversed(self.inverse):
            full = inv.recover(full)
        return full

    def objective_value(self, value: float) -> float:
        """The original model's objective value of a reduced objective value."""
        return float(value) * self.objective_factor


@dataclass(frozen=True)
class Chain:
    """Groups of reductions applied in passes to a fixpoint, then the final reductions.

    In a pass the groups run in order; when a group changed something (a reduction with
    ``repeat``), the next pass starts. A reduction's ``stop`` ends the passes. The chain
    records every application that changed something (:class:`Applied`) and reports the
    steps as ``"<label> (<total count>)"`` in the order first met.
    """

    groups: tuple[tuple[Reduction, ...], ...]
    final: tuple[Reduction, ...]
    max_passes: int = MAX_PASSES

    def apply(self, m: MilpData) -> Normalized:
        w = _Work(m)
        counts: dict[str, int | None] = {}  # reported label -> total count (None: no count)
        applied: list[Applied] = []
        eliminated: list[str] = []
        inverse: list[InverseMap] = []
        factor = 1.0

        def record(red: Reduction, out: Outcome, pass_no: int | None) -> None:
            nonlocal factor
            eliminated.extend(out.eliminated)
            inverse.extend(out.inverse)
            factor *= out.objective_factor
            if out.count or out.stop or out.note:
                applied.append(Applied(red.name, pass_no, out.count, out.stop))
            if out.note is not None:
                counts[out.note] = None
            elif out.count and red.reported:
                prev = counts.get(red.label)
                counts[red.label] = (prev or 0) + out.count

        stopped = False
        for pass_no in range(self.max_passes):
            for group in self.groups:
                changed = False
                for red in group:
                    out = red.apply(w)
                    record(red, out, pass_no)
                    if out.stop:
                        stopped = True
                        break
                    changed |= bool(out.count) and red.repeat
                if stopped or changed:
                    break
            else:
                break  # no group changed anything: a fixpoint
            if stopped:
                break
        for red in self.final:
            record(red, red.apply(w), None)
        steps = tuple(k if v is None else f"{k} ({v})" for k, v in counts.items())
        keep_v = np.flatnonzero(w.var_alive)
        return Normalized(
            _reduced_model(w, m),
            steps,
            tuple(eliminated),
            tuple(applied),
            tuple(inverse),
            keep_v,
            m.num_vars,
            factor,
        )


# --------------------------------------------------------------------------- working copy


class _Work:
    """Mutable working copy (lil rows), private to the chain. The CSR/CSC forms of ``A``
    are cached until ``A`` changes (:meth:`zero`)."""

    def __init__(self, m: MilpData) -> None:
        self.names = m.var_names
        self.row_names = m.row_names
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
        self._csr: sp.csr_array | None = None
        self._csc: sp.csc_array | None = None

    def csr(self) -> sp.csr_array:
        if self._csr is None:
            self._csr = sp.csr_array(self.A)
        return self._csr

    def csc(self) -> sp.csc_array:
        if self._csc is None:
            self._csc = sp.csc_array(self.csr())
        return self._csc

    def zero(self, i: int, j: int) -> None:
        self.A[i, j] = 0.0
        self._csr = self._csc = None

    def live_row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Columns and coefficients of row ``i`` (only live variables are left in a live row)."""
        return (
            np.asarray(self.A.rows[i], dtype=np.int64),
            np.asarray(self.A.data[i], dtype=np.float64),
        )


def _reduced_model(w: _Work, m: MilpData) -> MilpData:
    keep_v = np.flatnonzero(w.var_alive)
    keep_r = np.flatnonzero(w.row_alive)
    A = sp.csr_array(w.A)[keep_r][:, keep_v]
    return MilpData.build(
        c=w.c[keep_v],
        A=A,
        row_lower=w.lo[keep_r],
        row_upper=w.hi[keep_r],
        col_lower=w.lb[keep_v],
        col_upper=w.ub[keep_v],
        integer=w.integer[keep_v],
        sense=1,
        offset=w.offset,
        var_names=[m.var_names[j] for j in keep_v],
        row_names=[m.row_names[i] for i in keep_r],
        source=f"{m.source} (normalized)",
        infinity=np.inf,
    )


# --------------------------------------------------------------------------- inverse maps


@dataclass(frozen=True)
class FixedValue:
    """A substituted fixed variable takes its value back."""

    var: int
    value: float

    def recover(self, x: np.ndarray) -> np.ndarray:
        out = x.copy()
        out[self.var] = self.value
        return out


@dataclass(frozen=True, eq=False)
class SlackValues:
    """The slacks of one row get values that meet the row as it was (``lo <= a x + sum
    b_k s_k <= hi``, ``s_k`` in its bounds): the slack sum closest to 0 that the row
    allows, spread from the value of each term closest to 0."""

    cols: np.ndarray  # the other variables of the row when the slacks went
    coefs: np.ndarray
    lo: float
    hi: float
    slacks: np.ndarray
    b: np.ndarray
    lb: np.ndarray
    ub: np.ndarray

    def recover(self, x: np.ndarray) -> np.ndarray:
        out = x.copy()
        r = float(self.coefs @ x[self.cols]) if self.cols.size else 0.0
        with np.errstate(invalid="ignore"):
            e1, e2 = self.b * self.lb, self.b * self.ub
        emin, emax = np.minimum(e1, e2), np.maximum(e1, e2)
        low = max(self.lo - r, float(emin.sum()))
        high = min(self.hi - r, float(emax.sum()))
        target = min(max(0.0, low), high)
        terms = np.clip(0.0, emin, emax)
        delta = target - float(terms.sum())
        for k in range(terms.size):
            if delta == 0:
                break
            room = (emax[k] if delta > 0 else emin[k]) - terms[k]
            step = delta if abs(room) >= abs(delta) else room
            terms[k] += step
            delta -= step
        out[self.slacks] = terms / self.b
        return out


@dataclass(frozen=True, eq=False)
class DefinedValue:
    """An objective-defining variable takes the value its equality defines:
    ``z = (d - a x) / b``."""

    var: int
    cols: np.ndarray
    coefs: np.ndarray
    rhs: float
    coef: float

    def recover(self, x: np.ndarray) -> np.ndarray:
        out = x.copy()
        out[self.var] = (self.rhs - float(self.coefs @ x[self.cols])) / self.coef
        return out


# --------------------------------------------------------------------------- reductions


def _singleton_rows(w: _Work) -> Outcome:
    """Rows with one coefficient become bounds of their variable (solutions unchanged)."""
    csr = w.csr()
    nnz = np.diff(csr.indptr)
    rows = np.flatnonzero(w.row_alive & (nnz == 1)).tolist()
    for i in rows:
        j = int(csr.indices[csr.indptr[i]])
        a = float(csr.data[csr.indptr[i]])
        lo_j, hi_j = (w.lo[i] / a, w.hi[i] / a) if a > 0 else (w.hi[i] / a, w.lo[i] / a)
        w.lb[j] = max(w.lb[j], lo_j)
        w.ub[j] = min(w.ub[j], hi_j)
        w.row_alive[i] = False
    return Outcome(len(rows))


def _empty_rows(w: _Work) -> Outcome:
    """Rows without a coefficient that can be met (``lo <= 0 <= hi``) go; one that cannot
    stays for the canonical form to report the infeasibility."""
    nnz = np.diff(w.csr().indptr)
    n = 0
    for i in np.flatnonzero(w.row_alive & (nnz == 0)).tolist():
        if w.lo[i] <= ZERO_ROW_TOL and w.hi[i] >= -ZERO_ROW_TOL:
            w.row_alive[i] = False
            n += 1
    return Outcome(n)


def _integer_bounds(w: _Work) -> Outcome:
    """Round the bounds of live integer variables (as the canonical form does); stop the
    chain at the first live variable whose domain is empty."""
    ints = np.flatnonzero(w.var_alive & w.integer)
    n = 0
    if ints.size:
        li, ui = w.lb[ints], w.ub[ints]
        with np.errstate(invalid="ignore"):
            new_l = np.where(
                np.isfinite(li),
                np.ceil(li - INTEGER_ROUND_REL_TOL * np.maximum(1.0, np.abs(li))),
                li,
            )
            new_u = np.where(
                np.isfinite(ui),
                np.floor(ui + INTEGER_ROUND_REL_TOL * np.maximum(1.0, np.abs(ui))),
                ui,
            )
        n = int(np.count_nonzero(new_l != li) + np.count_nonzero(new_u != ui))
        w.lb[ints], w.ub[ints] = new_l, new_u
    bad = w.var_alive & (w.lb > w.ub + EMPTY_DOMAIN_REL_TOL * np.maximum(1.0, np.abs(w.ub)))
    empty = np.flatnonzero(bad)
    if not empty.size:
        return Outcome(n)
    # an empty domain (lb > ub, or an integer fixed at a fractional value) makes the model
    # infeasible: nothing is substituted, the bounds stay as they are and the canonical
    # form reports the infeasibility
    j = int(empty[0])
    return Outcome(
        n,
        note=(
            f"reductions stopped: variable {w.names[j]} has an empty domain "
            f"[{w.lb[j]:g}, {w.ub[j]:g}]{' (integer)' if w.integer[j] else ''}, "
            f"the model is infeasible"
        ),
        stop=True,
    )


def _fixed_variables(w: _Work) -> Outcome:
    """Variables with ``lb == ub`` (up to :data:`FIXED_REL_TOL`) are substituted into their
    rows and the objective constant."""
    csc = w.csc()
    fixed = np.flatnonzero(
        w.var_alive
        & np.isfinite(w.lb)
        & (w.ub >= w.lb)
        & (w.ub - w.lb <= FIXED_REL_TOL * np.maximum(1, np.abs(w.lb)))
    ).tolist()
    names: list[str] = []
    inverse: list[InverseMap] = []
    for j in fixed:
        v = float(w.lb[j])
        for k in range(csc.indptr[j], csc.indptr[j + 1]):
            i = int(csc.indices[k])
            if w.row_alive[i]:
                w.lo[i] -= csc.data[k] * v
                w.hi[i] -= csc.data[k] * v
                w.zero(i, j)
        w.offset += w.c[j] * v
        w.c[j] = 0.0
        w.var_alive[j] = False
        names.append(f"{w.names[j]} = {v:g} (fixed)")
        inverse.append(FixedValue(j, v))
    return Outcome(len(fixed), eliminated=tuple(names), inverse=tuple(inverse))


def _slack_variables(w: _Work) -> Outcome:
    """Continuous zero-cost variables in exactly one row go, a whole row's worth at once:
    which slacks go must not depend on the column order (eliminating them one by one, the
    last one in a row of slacks only would survive, and which one that is depends on the
    order)."""
    csr, csc = w.csr(), w.csc()
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
    n = 0
    names: list[str] = []
    inverse: list[InverseMap] = []
    for row in sorted(by_row):
        slacks = by_row[row]
        inv = _eliminate_slacks(w, row, slacks, int(row_nnz[row]))
        if inv is not None:
            names += [f"{w.names[s]} (slack of {w.row_names[row]})" for s in slacks]
            inverse.append(inv)
            n += len(slacks)
    return Outcome(n, eliminated=tuple(names), inverse=tuple(inverse))


def _eliminate_slacks(w: _Work, i: int, slacks: list[int], row_nnz: int) -> SlackValues | None:
    """Project the slack variables ``slacks`` (each in row ``i`` only) out of row ``i``.

    ``lo <= a x + sum b_k s_k <= hi`` becomes ``lo - sum max_k <= a x <= hi - sum min_k``
    with ``[min_k, max_k]`` the range of ``b_k s_k``; the sums are exact (``math.fsum``)
    so the result does not depend on the order of the columns. A row of slacks only is
    dropped with them when it can be met, and left alone (an infeasible model, for the
    canonical form to report) when it cannot. Returns the inverse map, or None when
    nothing changed.
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
    if only_slacks and not (new_lo <= ZERO_ROW_TOL and new_hi >= -ZERO_ROW_TOL):
        return None
    cols, coefs = w.live_row(i)
    other = ~np.isin(cols, slacks)
    inv = SlackValues(
        cols[other],
        coefs[other],
        float(w.lo[i]),
        float(w.hi[i]),
        np.asarray(slacks, dtype=np.int64),
        b,
        lbs.copy(),
        ubs.copy(),
    )
    for j in slacks:
        w.zero(i, j)
        w.var_alive[j] = False
    w.lo[i], w.hi[i] = new_lo, new_hi
    if only_slacks or (np.isneginf(new_lo) and np.isposinf(new_hi)):
        w.row_alive[i] = False
    return inv


def _objective_variable(w: _Work) -> Outcome:
    """``min z`` with ``z`` continuous, the only cost and in one equality ``b z + a x = d``
    (with at least one other variable): ``z`` is replaced by ``(d - a x) / b`` and its
    bounds become the row's bounds on ``a x``."""
    alive_cost = np.flatnonzero(w.var_alive & (w.c != 0))
    if alive_cost.size != 1 or w.integer[alive_cost[0]]:
        return NOTHING
    csc = w.csc()
    row_nnz = np.diff(w.csr().indptr)
    z = int(alive_cost[0])
    rows = [
        int(csc.indices[k])
        for k in range(csc.indptr[z], csc.indptr[z + 1])
        if w.row_alive[csc.indices[k]]
    ]
    if len(rows) != 1:
        return NOTHING
    i = rows[0]
    if not (np.isfinite(w.lo[i]) and w.lo[i] == w.hi[i] and row_nnz[i] >= 2):
        return NOTHING
    b = float(w.A[i, z])
    d = float(w.lo[i])
    cz = float(w.c[z])
    cols, coefs = w.live_row(i)
    other = cols != z
    inv = DefinedValue(z, cols[other], coefs[other], d, b)
    row = sp.csr_array(w.A[[i], :]).toarray().reshape(-1)
    row[z] = 0.0
    # z = (d - row·x) / b
    w.c = w.c - cz / b * row
    w.c[z] = 0.0
    w.offset += cz * d / b
    # bounds of z become  d - b·ub <= row·x <= d - b·lb  (b > 0), swapped if b < 0
    ends = sorted((d - b * w.ub[z], d - b * w.lb[z]))
    w.lo[i], w.hi[i] = ends[0], ends[1]
    w.zero(i, z)
    if np.isneginf(w.lo[i]) and np.isposinf(w.hi[i]):
        w.row_alive[i] = False
    w.var_alive[z] = False
    return Outcome(
        1,
        eliminated=(f"{w.names[z]} (objective variable defined by {w.row_names[i]})",),
        inverse=(inv,),
    )


def _implied_rows(w: _Work) -> Outcome:
    """Rows of two or more coefficients whose activity range over the variable bounds lies
    inside the row bounds (up to :data:`IMPLIED_ROW_REL_TOL`) go (solutions unchanged)."""
    csr = w.csr()
    pos = csr.multiply(csr > 0)
    neg = csr.multiply(csr < 0)
    lb = np.where(w.var_alive, w.lb, 0.0)
    ub = np.where(w.var_alive, w.ub, 0.0)
    with np.errstate(invalid="ignore"):
        amin = _dot(pos, lb) + _dot(neg, ub)
        amax = _dot(pos, ub) + _dot(neg, lb)
    tol = IMPLIED_ROW_REL_TOL
    red = (
        w.row_alive
        & (amin >= w.lo - tol * np.maximum(1, np.abs(w.lo)))
        & (amax <= w.hi + tol * np.maximum(1, np.abs(w.hi)))
    )
    red &= np.diff(csr.indptr) >= 2
    w.row_alive[red] = False
    return Outcome(int(red.sum()))


def _objective_scaling(w: _Work) -> Outcome:
    """The objective becomes a minimisation (times ``sense``) scaled so that its largest
    live coefficient has magnitude 1; the original value is the reduced one times
    ``sense * scale``."""
    keep_v = np.flatnonzero(w.var_alive)
    sense = w.sense
    c = w.c[keep_v] * sense
    w.c = w.c * sense
    w.offset *= sense
    w.sense = 1
    cmax = float(np.abs(c).max()) if c.size else 0.0
    if cmax > 0 and cmax != 1.0:
        w.c = w.c / cmax
        w.offset /= cmax
        return Outcome(1, note=f"objective scaled by 1/{cmax:g}", objective_factor=sense * cmax)
    return Outcome(objective_factor=float(sense))


SINGLETON_ROWS = Reduction("singleton_rows", "singleton rows turned into bounds", _singleton_rows)
EMPTY_ROWS = Reduction(
    "empty_rows", "empty rows dropped", _empty_rows, reported=False, repeat=False
)
INTEGER_BOUNDS = Reduction(
    "integer_bounds", "integer bounds rounded", _integer_bounds, reported=False, repeat=False
)
FIXED_VARIABLES = Reduction("fixed_variables", "fixed variables substituted", _fixed_variables)
SLACK_VARIABLES = Reduction("slack_variables", "slack variables eliminated", _slack_variables)
OBJECTIVE_VARIABLE = Reduction(
    "objective_variable", "objective-defining variables substituted", _objective_variable
)
IMPLIED_ROWS = Reduction("implied_rows", "rows implied by variable bounds dropped", _implied_rows)
OBJECTIVE_SCALING = Reduction("objective_scaling", "objective scaled", _objective_scaling)

#: The ``normalized`` level's chain.
NORMALIZE = Chain(
    groups=(
        (SINGLETON_ROWS, EMPTY_ROWS, INTEGER_BOUNDS, FIXED_VARIABLES),
        (SLACK_VARIABLES,),
        (OBJECTIVE_VARIABLE,),
        (IMPLIED_ROWS,),
    ),
    final=(OBJECTIVE_SCALING,),
)


def normalize(m: MilpData, *, max_passes: int = MAX_PASSES) -> Normalized:
    """Apply the ``normalized`` chain (:data:`NORMALIZE`) to one model."""
    chain = NORMALIZE if max_passes == NORMALIZE.max_passes else _with_passes(max_passes)
    return chain.apply(m)


def _with_passes(n: int) -> Chain:
    return Chain(NORMALIZE.groups, NORMALIZE.final, n)


# --------------------------------------------------------------------------- helpers


def _exact_sum(v: np.ndarray) -> float:
    """The correctly rounded sum of ``v`` (independent of its order); infinite when any
    term is, NaN when both infinities occur."""
    pos, neg = bool(np.isposinf(v).any()), bool(np.isneginf(v).any())
    if pos or neg:
        return float("nan") if pos and neg else (np.inf if pos else -np.inf)
    return math.fsum(v.tolist())


def _dot(M: sp.csr_array, v: np.ndarray) -> np.ndarray:
    """M @ v where 0 · inf counts as 0 (a zero coefficient never meets an infinite bound)."""
    out = np.zeros(M.shape[0])
    rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
    with np.errstate(invalid="ignore"):
        prod = M.data * v[M.indices]
    np.add.at(out, rows, prod)
    return out
