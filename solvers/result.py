"""One result type for every solver, and the tables that map each solver's statuses onto it.

Termination (why the solver stopped) and solution status (what it has to show) are kept
apart, as Pyomo's ``contrib.solver`` does: a time limit with an incumbent is
``TIME_LIMIT`` + ``FEASIBLE``, not a special case. Each solver's own statuses are mapped
through a dict in :mod:`optiscribe.solvers.backends.status` (kept apart because it imports
the solver libraries), never an ``if`` ladder.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "SolutionStatus",
    "SolveResult",
    "Termination",
]


class Termination(enum.Enum):
    """Why the solver stopped."""

    OPTIMAL = "optimal"
    """Proven optimal within the gap tolerances."""
    INFEASIBLE = "infeasible"
    """Proven to have no feasible point."""
    UNBOUNDED = "unbounded"
    """Feasible, and the objective improves without limit."""
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    """The solver proved one of the two but not which (presolve often does this)."""
    TIME_LIMIT = "time_limit"
    ITERATION_LIMIT = "iteration_limit"
    OBJECTIVE_LIMIT = "objective_limit"
    SOLUTION_LIMIT = "solution_limit"
    MEMORY_LIMIT = "memory_limit"
    INTERRUPTED = "interrupted"
    EMPTY_MODEL = "empty_model"
    NUMERICAL_ERROR = "numerical_error"
    """The solver stopped on numerical trouble (step too small, ill-conditioning)."""
    ERROR = "error"
    """The solver failed (bad model data, internal error, licence...)."""
    UNKNOWN = "unknown"

    @property
    def is_limit(self) -> bool:
        return self in _LIMITS


_LIMITS = frozenset(
    {
        Termination.TIME_LIMIT,
        Termination.ITERATION_LIMIT,
        Termination.OBJECTIVE_LIMIT,
        Termination.SOLUTION_LIMIT,
        Termination.MEMORY_LIMIT,
        Termination.INTERRUPTED,
    }
)


class SolutionStatus(enum.Enum):
    """What the solver has to show for its work."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SolveResult:
    """The outcome of one solve, in the model's own names.

    ``values`` maps variable names (``make[chair]``) to values when a solution exists.
    ``duals`` maps constraint names to duals for LPs (``None`` for MILPs: HiGHS has no
    MIP duals). ``conflict`` lists the constraint and bound names of an irreducible
    infeasible subsystem when one could be computed, and ``message`` says in one or two
    sentences what happened and what to try next.
    """

    solver: str
    solver_version: str
    termination: Termination
    solution_status: SolutionStatus
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    values: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    duals: Mapping[str, float] | None = None
    runtime_s: float = 0.0
    is_mip: bool = False
    conflict: tuple[str, ...] | None = None
    unbounded_direction: tuple[str, ...] | None = None
    message: str = ""

    @property
    def has_solution(self) -> bool:
        return self.solution_status in (SolutionStatus.OPTIMAL, SolutionStatus.FEASIBLE)

    @property
    def is_optimal(self) -> bool:
        return (
            self.termination is Termination.OPTIMAL
            and self.solution_status is SolutionStatus.OPTIMAL
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "solver": self.solver,
            "solver_version": self.solver_version,
            "termination": self.termination.value,
            "solution_status": self.solution_status.value,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "values": dict(self.values),
            "duals": None if self.duals is None else dict(self.duals),
            "runtime_s": self.runtime_s,
            "is_mip": self.is_mip,
            "conflict": None if self.conflict is None else list(self.conflict),
            "unbounded_direction": None
            if self.unbounded_direction is None
            else list(self.unbounded_direction),
            "message": self.message,
        }
