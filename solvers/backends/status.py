"""Tables that map each solver's own statuses onto :class:`Termination` / :class:`SolutionStatus`.

``tests/solvers/backends/test_status.py`` iterates over every member of each solver's
status enum and fails on any that is missing here, so a solver upgrade that adds a status
cannot slip through as a silent ``UNKNOWN``.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from optiscribe.solvers.result import SolutionStatus, Termination

__all__ = ["HIGHS_MODEL_STATUS", "ORTOOLS_MB_STATUS", "PYOMO_SOLUTION_STATUS", "PYOMO_TERMINATION"]


def _pyomo_tables() -> tuple[dict[Any, Termination], dict[Any, SolutionStatus]]:
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    from pyomo.contrib.solver.common.results import SolutionStatus as PS
    from pyomo.contrib.solver.common.results import TerminationCondition as TC

    term = {
        TC.convergenceCriteriaSatisfied: Termination.OPTIMAL,
        TC.maxTimeLimit: Termination.TIME_LIMIT,
        TC.iterationLimit: Termination.ITERATION_LIMIT,
        TC.objectiveLimit: Termination.OBJECTIVE_LIMIT,
        TC.minStepLength: Termination.NUMERICAL_ERROR,
        TC.unbounded: Termination.UNBOUNDED,
        TC.provenInfeasible: Termination.INFEASIBLE,
        TC.locallyInfeasible: Termination.INFEASIBLE,
        TC.infeasibleOrUnbounded: Termination.INFEASIBLE_OR_UNBOUNDED,
        TC.error: Termination.ERROR,
        TC.interrupted: Termination.INTERRUPTED,
        TC.licensingProblems: Termination.ERROR,
        TC.emptyModel: Termination.EMPTY_MODEL,
        TC.unknown: Termination.UNKNOWN,
    }
    sol = {
        PS.noSolution: SolutionStatus.NO_SOLUTION,
        PS.unknown: SolutionStatus.UNKNOWN,
        PS.infeasible: SolutionStatus.INFEASIBLE,
        PS.feasible: SolutionStatus.FEASIBLE,
        PS.optimal: SolutionStatus.OPTIMAL,
    }
    return term, sol


def _highs_table() -> dict[Any, Termination]:
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import highspy

    S = highspy.HighsModelStatus
    return {
        S.kNotset: Termination.UNKNOWN,
        S.kLoadError: Termination.ERROR,
        S.kModelError: Termination.ERROR,
        S.kPresolveError: Termination.ERROR,
        S.kSolveError: Termination.ERROR,
        S.kPostsolveError: Termination.ERROR,
        S.kModelEmpty: Termination.EMPTY_MODEL,
        S.kOptimal: Termination.OPTIMAL,
        S.kInfeasible: Termination.INFEASIBLE,
        S.kUnboundedOrInfeasible: Termination.INFEASIBLE_OR_UNBOUNDED,
        S.kUnbounded: Termination.UNBOUNDED,
        S.kObjectiveBound: Termination.OBJECTIVE_LIMIT,
        S.kObjectiveTarget: Termination.OBJECTIVE_LIMIT,
        S.kTimeLimit: Termination.TIME_LIMIT,
        S.kIterationLimit: Termination.ITERATION_LIMIT,
        S.kUnknown: Termination.UNKNOWN,
        S.kSolutionLimit: Termination.SOLUTION_LIMIT,
        S.kInterrupt: Termination.INTERRUPTED,
        S.kMemoryLimit: Termination.MEMORY_LIMIT,
        S.kHighsInterrupt: Termination.INTERRUPTED,
    }


def _ortools_table() -> dict[Any, Termination]:
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    from ortools.linear_solver.python import model_builder as mb

    S = mb.SolveStatus
    return {
        S.OPTIMAL: Termination.OPTIMAL,
        S.FEASIBLE: Termination.TIME_LIMIT,  # stopped with an incumbent but no proof: a limit was hit
        S.INFEASIBLE: Termination.INFEASIBLE,
        S.UNBOUNDED: Termination.UNBOUNDED,
        S.ABNORMAL: Termination.NUMERICAL_ERROR,
        S.NOT_SOLVED: Termination.UNKNOWN,
        S.MODEL_IS_VALID: Termination.UNKNOWN,
        S.CANCELLED_BY_USER: Termination.INTERRUPTED,
        S.UNKNOWN_STATUS: Termination.UNKNOWN,
        S.MODEL_INVALID: Termination.ERROR,
        S.INVALID_SOLVER_PARAMETERS: Termination.ERROR,
        S.SOLVER_TYPE_UNAVAILABLE: Termination.ERROR,
        S.INCOMPATIBLE_OPTIONS: Termination.ERROR,
    }


_TERMINATION, _SOLUTION_STATUS = _pyomo_tables()
PYOMO_TERMINATION: MappingProxyType[Any, Termination] = MappingProxyType(_TERMINATION)
PYOMO_SOLUTION_STATUS: MappingProxyType[Any, SolutionStatus] = MappingProxyType(_SOLUTION_STATUS)
HIGHS_MODEL_STATUS = MappingProxyType(_highs_table())
ORTOOLS_MB_STATUS = MappingProxyType(_ortools_table())
