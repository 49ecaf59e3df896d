"""Solving Pyomo models and MPS files with HiGHS (default) or OR-Tools, one result type.

Example (``model`` a Pyomo ``ConcreteModel``)::

    from optiscribe.solvers import solve

    result = solve(model, solver="highs", time_limit=10)
    result.termination, result.objective, result.values["make[chair]"]

Importing this package is cheap: the backends (and pyomo, highspy, ortools) are imported
inside :func:`solve` and :func:`solve_mps`, on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from optiscribe.solvers.errors import (
    OptiscribeError,
    SandboxError,
    SolverError,
    SolverUnavailable,
    UnsupportedModelFeature,
)
from optiscribe.solvers.options import SolveOptions
from optiscribe.solvers.result import SolutionStatus, SolveResult, Termination

if TYPE_CHECKING:
    from pyomo.core.base.PyomoModel import ConcreteModel

__all__ = [
    "OptiscribeError",
    "SandboxError",
    "SolutionStatus",
    "SolveOptions",
    "SolveResult",
    "SolverError",
    "SolverUnavailable",
    "Termination",
    "UnsupportedModelFeature",
    "available_solvers",
    "solve",
    "solve_mps",
]


def solve(
    model: ConcreteModel,
    *,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_rel_gap: float | None = None,
    diagnose: bool = True,
) -> SolveResult:
    """Solve a Pyomo model with the named backend (``highs`` or ``ortools``)."""
    # lazy: the backends load pyomo (~0.6 s): `import optiscribe.solvers` stays cheap
    from optiscribe.solvers.backends.solve import get_backend

    opts = SolveOptions(time_limit=time_limit, mip_rel_gap=mip_rel_gap, diagnose=diagnose)
    return get_backend(solver).solve(model, opts)


def solve_mps(
    path: Any, *, time_limit: float | None = None, mip_rel_gap: float | None = None
) -> SolveResult:
    """Solve an MPS/LP file directly with highspy."""
    # lazy: the backends load pyomo (~0.6 s): `import optiscribe.solvers` stays cheap
    from optiscribe.solvers.backends.mps import solve_mps as _solve_mps

    return _solve_mps(path, SolveOptions(time_limit=time_limit, mip_rel_gap=mip_rel_gap))


def available_solvers() -> dict[str, bool]:
    """Each registered backend and whether it can run here."""
    # lazy: the backends load pyomo (~0.6 s): `import optiscribe.solvers` stays cheap
    from optiscribe.solvers.backends.solve import BACKENDS, get_backend

    return {name: bool(get_backend(name).available()) for name in BACKENDS}
