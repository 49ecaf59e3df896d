"""Every status of every solver is mapped (a solver upgrade cannot add a silent UNKNOWN)."""

from __future__ import annotations

import highspy
from ortools.linear_solver.python import model_builder as mb
from pyomo.contrib.solver.common.results import SolutionStatus as PyomoSolutionStatus
from pyomo.contrib.solver.common.results import TerminationCondition

from optiscribe.solvers.backends.status import (
    HIGHS_MODEL_STATUS,
    ORTOOLS_MB_STATUS,
    PYOMO_SOLUTION_STATUS,
    PYOMO_TERMINATION,
)


def test_pyomo_termination_table_is_complete() -> None:
    assert set(TerminationCondition) - set(PYOMO_TERMINATION) == set()


def test_pyomo_solution_status_table_is_complete() -> None:
    assert set(PyomoSolutionStatus) - set(PYOMO_SOLUTION_STATUS) == set()


def test_highs_model_status_table_is_complete() -> None:
    assert set(highspy.HighsModelStatus.__members__.values()) - set(HIGHS_MODEL_STATUS) == set()


def test_ortools_status_table_is_complete() -> None:
    assert set(mb.SolveStatus.__members__.values()) - set(ORTOOLS_MB_STATUS) == set()
