"""Explain infeasible and unbounded models in the model's own names.

Both diagnoses work on a highspy copy of the model built from Pyomo's standard-form
compiler, so the names are Pyomo's (``capacity[wood]``, ``make[chair]``):

* infeasible: HiGHS's irreducible infeasible subsystem (IIS) of the LP relaxation — the
  few constraints and bounds that cannot hold together. If the relaxation is feasible the
  model is infeasible only because of integrality, and the hint says so.
* unbounded: a primal ray of the LP relaxation — the variables that can grow without
  limit while improving the objective (usually a missing bound or constraint).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Diagnosis",
    "HighsCopy",
    "Repair",
    "RepairChange",
    "conflict_message",
    "diagnose_infeasible",
    "diagnose_unbounded",
    "highs_copy",
    "iis_names",
    "repair_infeasible",
]


@dataclass(frozen=True)
class HighsCopy:
    """A highspy model of a Pyomo model, with Pyomo's names for its columns and rows."""

    highs: Any
    col_names: tuple[str, ...]
    row_names: tuple[str, ...]
    is_mip: bool


@dataclass(frozen=True)
class Diagnosis:
    names: tuple[str, ...] | None
    message: str


def highs_copy(model: Any, *, relax: bool = False) -> HighsCopy:
    """Build a highspy model from a Pyomo model (LP relaxation when ``relax``)."""
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import highspy
    import pyomo.environ as pyo
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    ncol = len(info.columns)
    lb = np.array([-inf if v.lb is None else v.lb for v in info.columns], dtype=float)
    ub = np.array([inf if v.ub is None else v.ub for v in info.columns], dtype=float)
    h.addVars(ncol, lb, ub)
    c = np.asarray(info.c.toarray()).ravel() if info.c.shape[0] else np.zeros(ncol)
    if ncol:
        h.changeColsCost(ncol, np.arange(ncol, dtype=np.int32), c)
    objs = list(info.objectives)
    if objs and objs[0].sense == pyo.maximize:
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    is_mip = any(v.is_integer() or v.is_binary() for v in info.columns)
    if is_mip and not relax:
        idx = np.array(
            [i for i, v in enumerate(info.columns) if v.is_integer() or v.is_binary()],
            dtype=np.int32,
        )
        h.changeColsIntegrality(len(idx), idx, np.array([highspy.HighsVarType.kInteger] * len(idx)))
    A = info.A.tocsr()
    row_names = []
    for r, ((con, kind), rhs) in enumerate(zip(info.rows, info.rhs)):
        start, end = A.indptr[r], A.indptr[r + 1]
        lo, hi = (-inf, rhs) if kind == 1 else (rhs, inf) if kind == -1 else (rhs, rhs)
        h.addRow(
            lo,
            hi,
            end - start,
            A.indices[start:end].astype(np.int32),
            A.data[start:end].astype(float),
        )
        row_names.append(con.name)
    return HighsCopy(h, tuple(v.name for v in info.columns), tuple(row_names), is_mip)


def diagnose_infeasible(model: Any) -> Diagnosis:
    """IIS of the LP relaxation, or the hint that integrality alone makes it infeasible."""
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import highspy

    copy = highs_copy(model, relax=True)
    h = copy.highs
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal or status == highspy.HighsModelStatus.kUnbounded:
        if copy.is_mip:
            return Diagnosis(
                None,
                "the LP relaxation is feasible, so the model is infeasible only because of "
                "integrality: check integer/binary variables whose constraints need fractional "
                "values, and big-M or logical constraints that exclude every integer point",
            )
        return Diagnosis(
            None,
            "the solver reported infeasibility but the relaxation solved; "
            "numerical trouble is likely: check very large or very small coefficients",
        )
    names = iis_names(h, copy.row_names, copy.col_names)
    if names is None:
        return Diagnosis(
            None,
            "no irreducible infeasible subsystem could be computed; remove constraints one "
            "family at a time to find the conflict",
        )
    return Diagnosis(names, conflict_message(names))


def iis_names(h: Any, row_names: Sequence[str], col_names: Sequence[str]) -> tuple[str, ...] | None:
    """The rows and column bounds of an IIS of the infeasible model in ``h``, by name.

    ``None`` when HiGHS computes none. ``h`` must have been run.
    """
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import highspy

    # The default strategy only reads an IIS off a simplex basis, which presolve may never
    # produce; strategy 1 (from the LP, row priority) always computes one.
    h.setOptionValue("iis_strategy", 1)
    iis = highspy.HighsIis()
    if h.getIis(iis) != highspy.HighsStatus.kOk or not iis.valid:
        return None
    names = [row_names[i] for i in iis.row_index]
    names += [f"bounds of {col_names[j]}" for j in iis.col_index]
    return tuple(dict.fromkeys(names))


def conflict_message(names: Sequence[str]) -> str:
    return "these constraints and bounds cannot all hold: " + ", ".join(names)


def diagnose_unbounded(model: Any) -> Diagnosis:
    """A primal ray of the LP relaxation: the variables that can grow without limit."""
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import highspy

    copy = highs_copy(model, relax=True)
    h = copy.highs
    h.setOptionValue("presolve", "off")
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return Diagnosis(None, "the model is infeasible, not unbounded")
    if status != highspy.HighsModelStatus.kUnbounded:
        return Diagnosis(
            None,
            "the objective can improve without limit; look for variables without an upper "
            "bound (maximize) or lower bound (minimize) that appear in the objective",
        )
    _, has_ray, ray = h.getPrimalRay()
    if has_ray:
        names = tuple(copy.col_names[j] for j, v in enumerate(ray) if abs(v) > 1e-9)
    else:
        names = _improving_unbounded_columns(copy)
    if not names:
        return Diagnosis(
            None,
            "the objective can improve without limit; bound the variables that appear in the "
            "objective or add the constraint that limits them",
        )
    return Diagnosis(
        names,
        "the objective improves without limit as these variables change: "
        + ", ".join(names[:20])
        + (" ..." if len(names) > 20 else "")
        + "; a bound or a constraint on them is probably missing",
    )


def _improving_unbounded_columns(copy: HighsCopy) -> tuple[str, ...]:
    """Columns whose objective improves in a direction with no bound (no ray available)."""
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import highspy

    lp = copy.highs.getLp()
    sign = -1.0 if lp.sense_ == highspy.ObjSense.kMaximize else 1.0
    out = []
    for j, cost in enumerate(lp.col_cost_):
        c = sign * cost  # minimising c: improves when the variable moves against the sign of c
        if (c < 0 and lp.col_upper_[j] >= highspy.kHighsInf) or (
            c > 0 and lp.col_lower_[j] <= -highspy.kHighsInf
        ):
            out.append(copy.col_names[j])
    return tuple(out)


@dataclass(frozen=True)
class RepairChange:
    """One relaxed bound of the smallest repair: ``name``'s ``side`` moves from ``current`` to ``needed``."""

    name: str
    side: str
    """``"upper"`` or ``"lower"`` (of a constraint's right-hand side or a variable's bound)."""
    kind: str
    """``"constraint"`` or ``"bound"``."""
    current: float
    needed: float

    @property
    def size(self) -> float:
        return abs(self.needed - self.current)

    def explain(self) -> str:
        verb = "raise" if self.needed > self.current else "lower"
        what = "the right-hand side of" if self.kind == "constraint" else "the bound of"
        return (
            f"{verb} {what} {self.name} ({self.side}) from {self.current:.6g} to "
            f"{self.needed:.6g} (by {self.size:.6g})"
        )


@dataclass(frozen=True)
class Repair:
    """The smallest relaxation that makes an infeasible model feasible (sum of the sizes)."""

    changes: tuple[RepairChange, ...]
    total: float
    message: str


_BOUND_WEIGHT = 1.001


def repair_infeasible(model: Any, *, relax_bounds: bool = True) -> Repair:
    """The smallest total relaxation of constraints (and bounds) that makes ``model`` feasible.

    An elastic model: every finite side of every row (and, with ``relax_bounds``, of every
    variable bound) gets a non-negative slack column that lets it give way, the objective is
    replaced by the sum of the slacks (a bound's weighs 0.1% more), and HiGHS solves it with integrality kept. (HiGHS'
    own ``feasibilityRelaxation`` returns no solution for MIPs in highspy 1.12, so the
    elastic model is built here for LPs and MIPs alike.) Each change is the solution's
    activity against the original side.
    """
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import highspy

    copy = highs_copy(model)
    h = copy.highs
    lp = h.getLp()
    inf = highspy.kHighsInf
    ncol = lp.num_col_
    col_lower, col_upper = list(lp.col_lower_), list(lp.col_upper_)
    row_lower, row_upper = list(lp.row_lower_), list(lp.row_upper_)
    h.changeObjectiveSense(highspy.ObjSense.kMinimize)
    if ncol:
        h.changeColsCost(ncol, np.arange(ncol, dtype=np.int32), np.zeros(ncol))

    # slack column -> (name, side, kind, original side value, +1 raise / -1 lower)
    slacks: dict[int, tuple[str, str, str, float, float]] = {}

    def elastic(row: int, coef: float, what: tuple[str, str, str, float, float]) -> None:
        h.addVar(0.0, inf)
        j = h.getNumCol() - 1
        # Bounds cost a little more, so that of two equally small repairs the constraint
        # (a business rule) gives way before a variable's natural bound does.
        h.changeColCost(j, 1.0 if what[2] == "constraint" else _BOUND_WEIGHT)
        h.changeCoeff(row, j, coef)
        slacks[j] = what

    for i, name in enumerate(copy.row_names):
        if row_upper[i] < inf:  # the activity may exceed the upper side by the slack
            elastic(i, -1.0, (name, "upper", "constraint", row_upper[i], 1.0))
        if row_lower[i] > -inf:  # the activity may fall short of the lower side
            elastic(i, 1.0, (name, "lower", "constraint", row_lower[i], -1.0))
    if relax_bounds:
        for j, name in enumerate(copy.col_names):
            lo, hi = col_lower[j], col_upper[j]
            if lo <= -inf and hi >= inf:
                continue
            h.changeColBounds(j, -inf, inf)
            one = np.array([j], dtype=np.int32)
            if hi < inf:
                h.addRow(-inf, hi, 1, one, np.array([1.0]))
                elastic(h.getNumRow() - 1, -1.0, (name, "upper", "bound", hi, 1.0))
            if lo > -inf:
                h.addRow(lo, inf, 1, one, np.array([1.0]))
                elastic(h.getNumRow() - 1, 1.0, (name, "lower", "bound", lo, -1.0))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return Repair(
            (),
            0.0,
            "no relaxation of the constraints makes this model feasible "
            f"({h.modelStatusToString(h.getModelStatus())})",
        )
    values = h.getSolution().col_value
    changes = [
        RepairChange(name, side, kind, float(cur), float(cur + sign * values[j]))
        for j, (name, side, kind, cur, sign) in slacks.items()
        if values[j] > 1e-7 * max(1.0, abs(cur))
    ]
    if not changes:
        return Repair((), 0.0, "the model is feasible as it stands: nothing to relax")
    return Repair(
        tuple(changes),
        sum(c.size for c in changes),
        "the smallest repair (least total change) is to " + "; ".join(c.explain() for c in changes),
    )
