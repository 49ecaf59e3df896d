"""LP sensitivity in the model's own names: duals, reduced costs and ranging from HiGHS.

The numbers come from HiGHS (``getSolution`` for duals, ``getRanging`` for how far each
right-hand side and cost may move before the optimal basis changes), read off a highspy
copy of the Pyomo model (:func:`optiscribe.solvers.diagnose.highs_copy`) so that every
row and column keeps Pyomo's name (``capacity[carpentry]``). The value per unit is
measured as the change of the objective *as the model states it* (a maximised profit
goes up by the amount said), so the sentences need no knowledge of the sign conventions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from optiscribe.solvers.diagnose import highs_copy
from optiscribe.solvers.errors import SolverError, UnsupportedModelFeature

__all__ = ["ColumnSensitivity", "RowSensitivity", "Sensitivity", "lp_sensitivity"]

_TOL = 1e-9


@dataclass(frozen=True)
class RowSensitivity:
    """One constraint: its activity, its binding side, and what one more unit is worth.

    ``worth`` is the change of the objective per unit the binding right-hand side moves
    up (0 for a constraint with slack). ``up_to`` / ``down_to`` are the right-hand-side
    values between which ``worth`` stays valid (``inf`` when unlimited).
    """

    name: str
    activity: float
    lower: float | None
    upper: float | None
    worth: float
    rhs: float | None
    up_to: float
    down_to: float

    @property
    def binding(self) -> bool:
        return self.rhs is not None and abs(self.worth) > _TOL

    def explain(self, description: str = "") -> str:
        """One sentence for an analyst, e.g. "One more unit of land (acres available), now
        150, is worth +86.6667 in the objective, for up to 24 more units; ...".

        ``description`` (the constraint's text in the formulation) is added in brackets.
        """
        label = f"{self.name} ({description})" if description else self.name
        if not self.binding or self.rhs is None:
            slack = _slack(self)
            return f"{label} is not binding (slack {_fmt(slack)}): one more unit is worth nothing."
        more = self.up_to - self.rhs
        less = self.rhs - self.down_to
        up = "without limit" if math.isinf(more) else f"for up to {_fmt(more)} more units"
        down = "without limit" if math.isinf(less) else f"for up to {_fmt(less)} units"
        return (
            f"One more unit of {label}, now {_fmt(self.rhs)}, changes the objective by "
            f"{_signed(self.worth)}, {up}; one unit less changes it by "
            f"{_signed(-self.worth)}, {down}."
        )


@dataclass(frozen=True)
class ColumnSensitivity:
    """One variable: value, reduced cost and the range its cost may take."""

    name: str
    value: float
    cost: float
    reduced_cost: float
    cost_down_to: float
    cost_up_to: float

    def explain(self) -> str:
        if abs(self.reduced_cost) <= _TOL:
            rng = f"between {_fmt(self.cost_down_to)} and {_fmt(self.cost_up_to)}"
            return (
                f"{self.name} = {_fmt(self.value)}; the plan stays optimal while its objective "
                f"coefficient ({_fmt(self.cost)}) stays {rng}."
            )
        return (
            f"{self.name} = {_fmt(self.value)}; forcing one unit more changes the objective by "
            f"{_signed(self.reduced_cost)} (reduced cost)."
        )


@dataclass(frozen=True)
class Sensitivity:
    """Duals and ranging of an LP at its optimum."""

    objective: float
    maximize: bool
    rows: tuple[RowSensitivity, ...]
    columns: tuple[ColumnSensitivity, ...]

    def explain(self, descriptions: Mapping[str, str] | None = None) -> list[str]:
        """The binding constraints first, as sentences; ``descriptions`` maps a row's
        family name (``capacity``) or full name to its description."""
        descriptions = descriptions or {}
        out = []
        for r in sorted(self.rows, key=lambda r: (not r.binding, r.name)):
            desc = descriptions.get(r.name) or descriptions.get(r.name.split("[")[0], "")
            out.append(r.explain(desc))
        return out


def lp_sensitivity(model: object) -> Sensitivity:
    """Solve the LP ``model`` with HiGHS and return its duals and ranging by name.

    Raises :class:`UnsupportedModelFeature` for a model with integer variables (a MILP
    has no duals; fix the integers or relax them first) and :class:`SolverError` when the
    LP has no optimal solution.
    """
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import highspy

    copy = highs_copy(model)
    if copy.is_mip:
        raise UnsupportedModelFeature(
            "sensitivity (duals and ranging) is defined for LPs only; this model has integer "
            "variables: make them continuous to study the LP relaxation"
        )
    h = copy.highs
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise SolverError(
            f"the LP has no optimal solution ({h.modelStatusToString(h.getModelStatus())}); "
            "sensitivity needs an optimal basis"
        )
    lp = h.getLp()
    sol = h.getSolution()
    status, rng = h.getRanging()
    if status != highspy.HighsStatus.kOk or not rng.valid:
        raise SolverError("HiGHS could not compute ranging for this LP")
    maximize = lp.sense_ == highspy.ObjSense.kMaximize
    inf = highspy.kHighsInf
    rows = []
    for i, name in enumerate(copy.row_names):
        lo, hi = lp.row_lower_[i], lp.row_upper_[i]
        act = sol.row_value[i]
        dual = sol.row_dual[i]
        rhs: float | None = None
        if hi < inf and abs(act - hi) <= 1e-7 * max(1.0, abs(hi)):
            rhs, up, down = hi, rng.row_bound_up.value_[i], rng.row_bound_dn.value_[i]
        elif lo > -inf and abs(act - lo) <= 1e-7 * max(1.0, abs(lo)):
            rhs, up, down = lo, rng.row_bound_up.value_[i], rng.row_bound_dn.value_[i]
        else:
            up, down = math.inf, -math.inf
        rows.append(
            RowSensitivity(
                name=name,
                activity=float(act),
                lower=None if lo <= -inf else float(lo),
                upper=None if hi >= inf else float(hi),
                worth=float(dual) if rhs is not None else 0.0,
                rhs=None if rhs is None else float(rhs),
                up_to=_inf(up, inf),
                down_to=_inf(down, inf),
            )
        )
    cols = [
        ColumnSensitivity(
            name=name,
            value=float(sol.col_value[j]),
            cost=float(lp.col_cost_[j]),
            reduced_cost=float(sol.col_dual[j]),
            cost_down_to=_inf(rng.col_cost_dn.value_[j], inf),
            cost_up_to=_inf(rng.col_cost_up.value_[j], inf),
        )
        for j, name in enumerate(copy.col_names)
    ]
    return Sensitivity(
        float(h.getInfo().objective_function_value), maximize, tuple(rows), tuple(cols)
    )


def _inf(v: float, inf: float) -> float:
    if v >= inf:
        return math.inf
    if v <= -inf:
        return -math.inf
    return float(v)


def _slack(r: RowSensitivity) -> float:
    gaps = [abs(b - r.activity) for b in (r.lower, r.upper) if b is not None]
    return min(gaps) if gaps else math.inf


def _fmt(v: float) -> str:
    return "unlimited" if math.isinf(v) else f"{v:.6g}"


def _signed(v: float) -> str:
    return f"{v:+.6g}"
