"""The ``normalized`` level as a chain: each reduction on a small model, the steps the chain
records, and the inverse maps (a solution of the reduced model solves the original)."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint
from scipy.optimize import milp as scipy_milp

from optiscribe.verify import MilpData
from optiscribe.verify import _normalize as norm
from optiscribe.verify._normalize import (
    EMPTY_ROWS,
    FIXED_VARIABLES,
    IMPLIED_ROWS,
    INTEGER_BOUNDS,
    NORMALIZE,
    OBJECTIVE_SCALING,
    OBJECTIVE_VARIABLE,
    SINGLETON_ROWS,
    SLACK_VARIABLES,
    Applied,
    Chain,
    Reduction,
    normalize,
)

from .conftest import INF, milp


def alone(red: Reduction, m: MilpData):
    """One reduction applied once, nothing else (not even the objective scaling)."""
    return Chain(groups=((red,),), final=(), max_passes=1).apply(m)


def test_singleton_row_becomes_a_bound():
    # 2x <= 8 is x <= 4; -y >= -3 is y <= 3
    m = milp([[2, 0], [0, -1], [1, 1]], [1, 1], lo=[-INF, -3, 1], hi=[8, INF, INF])
    r = alone(SINGLETON_ROWS, m)
    assert r.model.num_rows == 1 and r.model.row_names == ("r2",)
    assert r.model.col_upper.tolist() == [4.0, 3.0]
    assert r.applied == (Applied("singleton_rows", 0, 2),)
    assert r.steps == ("singleton rows turned into bounds (2)",)


def test_empty_rows_go_only_when_they_can_be_met():
    m = milp([[0, 0], [0, 0], [1, 1]], [1, 1], lo=[-1, 2, 1], hi=[1, 3, INF])
    r = alone(EMPTY_ROWS, m)
    assert r.model.row_names == ("r1", "r2")  # 2 <= 0 <= 3 cannot be met: it stays
    assert r.steps == ()  # tidying, never reported
    assert r.applied == (Applied("empty_rows", 0, 1),)


def test_integer_bounds_are_rounded_and_an_empty_domain_stops_the_chain():
    m = milp([[1, 1]], [1, 1], lo=[1], hi=[INF], lb=[0.5, 0], ub=[3.7, 5], integer=[1, 0])
    r = alone(INTEGER_BOUNDS, m)
    assert r.model.col_lower.tolist() == [1.0, 0.0] and r.model.col_upper.tolist() == [3.0, 5.0]
    assert r.steps == ()
    empty = milp([[1, 1]], [1, 1], lo=[1], hi=[INF], lb=[0.2, 0], ub=[0.8, 5], integer=[1, 0])
    r = normalize(empty)
    assert r.applied[-1].stopped and r.applied[-1].reduction == "integer_bounds"
    assert r.steps == (
        "reductions stopped: variable x0 has an empty domain [1, 0] (integer), "
        "the model is infeasible",
    )
    assert r.eliminated == () and r.model.num_vars == 2  # nothing substituted


def test_fixed_variable_is_substituted_and_recovered():
    m = milp([[2, 3, 1]], [1, 1, 5], lo=[14], hi=[INF], lb=[0, 0, 2], ub=[INF, INF, 2])
    r = alone(FIXED_VARIABLES, m)
    assert r.model.var_names == ("x0", "x1")
    assert r.model.row_lower.tolist() == [12.0] and r.model.offset == 10.0
    assert r.eliminated == ("x2 = 2 (fixed)",)
    assert r.recover(np.array([6.0, 0.0])).tolist() == [6.0, 0.0, 2.0]


def test_slacks_of_a_row_go_together_and_are_recovered():
    # 2x + 3y - s = 12, s in [0, inf): 2x + 3y >= 12
    m = milp([[2, 3, -1]], [1, 1, 0], lo=[12], hi=[12], var_names=["x", "y", "s"])
    r = alone(SLACK_VARIABLES, m)
    assert r.model.var_names == ("x", "y")
    assert r.model.row_lower.tolist() == [12.0] and r.model.row_upper.tolist() == [INF]
    assert r.eliminated == ("s (slack of r0)",)
    x = r.recover(np.array([3.0, 4.0]))  # 2*3 + 3*4 = 18: s = 6
    assert x.tolist() == [3.0, 4.0, 6.0]


def test_objective_defining_variable_is_substituted_and_recovered():
    # min z, z = x + 2y
    m = milp([[1, 2, -1], [1, 1, 0]], [0, 0, 1], lo=[0, 2], hi=[0, INF], var_names="xyz")
    r = alone(OBJECTIVE_VARIABLE, m)
    assert r.model.var_names == ("x", "y") and r.model.c.tolist() == [1.0, 2.0]
    assert r.eliminated == ("z (objective variable defined by r0)",)
    assert r.recover(np.array([1.0, 3.0])).tolist() == [1.0, 3.0, 7.0]


def test_rows_implied_by_the_bounds_are_dropped():
    # x + y <= 10 with x, y in [0, 4] is implied; x + y >= 5 is not
    m = milp([[1, 1], [1, 1]], [1, 1], lo=[-INF, 5], hi=[10, INF], ub=[4, 4])
    r = alone(IMPLIED_ROWS, m)
    assert r.model.row_names == ("r1",)
    assert r.steps == ("rows implied by variable bounds dropped (1)",)


def test_objective_scaling_maps_the_value_back():
    m = milp([[1, 1]], [-4, 2], lo=[1], hi=[INF], sense=-1, offset=8)
    r = Chain(groups=(), final=(OBJECTIVE_SCALING,)).apply(m)
    # max -4x + 2y + 8  ==  -4 * min (x - 0.5y - 2)
    assert r.model.sense == 1 and r.model.c.tolist() == [1.0, -0.5] and r.model.offset == -2.0
    assert r.steps == ("objective scaled by 1/4",)
    assert r.objective_value(-1.5) == 6.0


def test_the_chain_records_every_step_in_order():
    # s: slack of r0; f fixed at 1 by r3; z defines the objective (r1); r2 implied
    m = milp(
        [[2, 3, -1, 1, 0], [1, 1, 0, 0, -1], [1, 1, 0, 0, 0], [0, 0, 0, 1, 0]],
        [0, 0, 0, 0, 3],
        lo=[12, 0, -INF, 1],
        hi=[12, 0, 100, 1],
        ub=[10, 10, INF, INF, INF],
        var_names=["x", "y", "s", "f", "z"],
    )
    r = normalize(m)
    assert [(a.reduction, a.pass_no, a.count) for a in r.applied] == [
        ("singleton_rows", 0, 1),  # f's row: f in [1, 1]
        ("fixed_variables", 0, 1),  # same group, same pass
        ("slack_variables", 1, 1),
        ("objective_variable", 2, 1),
        ("implied_rows", 3, 2),  # x + y <= 100, and r1 (0 <= x + y, z's bound)
        ("objective_scaling", None, 1),
    ]
    assert r.steps == (
        "singleton rows turned into bounds (1)",
        "fixed variables substituted (1)",
        "slack variables eliminated (1)",
        "objective-defining variables substituted (1)",
        "rows implied by variable bounds dropped (2)",
        "objective scaled by 1/3",
    )
    assert r.eliminated == (
        "f = 1 (fixed)",
        "s (slack of r0)",
        "z (objective variable defined by r1)",
    )
    assert r.model.var_names == ("x", "y") and r.model.row_names == ("r0",)
    assert r.model.row_lower.tolist() == [11.0]  # 2x + 3y + f - s = 12, f = 1, s >= 0


def _solve(m: MilpData) -> tuple[float, np.ndarray]:
    res = scipy_milp(
        m.c * m.sense,
        constraints=[LinearConstraint(m.A.toarray(), m.row_lower, m.row_upper)]
        if m.num_rows
        else [],
        integrality=m.integer.astype(int),
        bounds=Bounds(m.col_lower, m.col_upper),
    )
    assert res.status == 0, res.message
    return m.sense * float(res.fun) + m.offset, np.asarray(res.x)


def _feasible(m: MilpData, x: np.ndarray, tol: float = 1e-7) -> bool:
    act = m.A @ x
    return bool(
        np.all(act >= m.row_lower - tol)
        and np.all(act <= m.row_upper + tol)
        and np.all(x >= m.col_lower - tol)
        and np.all(x <= m.col_upper + tol)
        and np.all(np.abs(x[m.integer] - np.round(x[m.integer])) <= tol)
    )


@pytest.mark.parametrize("seed", range(12))
def test_a_solution_of_the_reduced_model_solves_the_original(seed):
    # a bounded feasible MILP dressed up with what the chain removes: a fixed variable, a
    # singleton row, slacks (two in one row), an objective variable
    rng = np.random.default_rng(seed)
    n = 4
    core = rng.integers(1, 5, size=(3, n)).astype(float)
    rows = np.zeros((6, n + 5))
    rows[:3, :n] = core
    rows[0, n] = -1.0  # s0: slack of row 0
    rows[1, n + 1], rows[1, n + 2] = 1.0, -2.0  # two slacks of row 1
    rows[:3, n + 3] = rng.integers(-2, 3, 3)  # f, fixed at 2
    rows[3, 0] = 3.0  # singleton row: 3 x0 <= 9
    rows[4, :n] = rng.integers(-3, 4, n)
    rows[4, n + 4] = -1.0  # z = c x
    rows[5, :n] = 1.0  # sum x <= 40: implied by the bounds
    lo = [5.0, 4.0, -INF, -INF, 0.0, -INF]
    hi = [30.0, 6.0, 25.0, 9.0, 0.0, 40.0]
    lb = [0.0] * n + [0.0, 0.0, 0.0, 2.0, -INF]
    ub = [10.0] * n + [INF, 3.0, 1.0, 2.0, INF]
    c = np.zeros(n + 5)
    c[n + 4] = float(rng.choice([1.0, -1.0]))
    m = MilpData.build(
        c=c,
        A=rows,
        row_lower=lo,
        row_upper=hi,
        col_lower=lb,
        col_upper=ub,
        integer=[True, False, True, False] + [False] * 5,
        sense=int(rng.choice([1, -1])),
    )
    r = normalize(m)
    assert {"fixed_variables", "slack_variables", "objective_variable"} <= {
        a.reduction for a in r.applied
    }
    best, _ = _solve(m)
    reduced_best, y = _solve(r.model)
    assert r.objective_value(reduced_best) == pytest.approx(best, abs=1e-6)
    x = r.recover(y)
    assert _feasible(m, x)
    assert float(m.c @ x) + m.offset == pytest.approx(best, abs=1e-6)


def test_no_literal_tolerance_in_the_reductions():
    """Tolerances are the named module constants, never a literal inside a function."""
    tree = ast.parse(inspect.getsource(norm))
    literals = [
        node.value
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef)
        for node in ast.walk(fn)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, float)
        and 0 < abs(node.value) < 1e-3
    ]
    assert literals == []
    for name in (
        "ZERO_ROW_TOL",
        "FIXED_REL_TOL",
        "INTEGER_ROUND_REL_TOL",
        "EMPTY_DOMAIN_REL_TOL",
        "IMPLIED_ROW_REL_TOL",
    ):
        assert 0 < getattr(norm, name) < 1e-6
        assert f"{name} = " in inspect.getsource(norm)


def test_the_normalized_chain_is_the_documented_one():
    assert [r.name for g in NORMALIZE.groups for r in g] == [
        "singleton_rows",
        "empty_rows",
        "integer_bounds",
        "fixed_variables",
        "slack_variables",
        "objective_variable",
        "implied_rows",
    ]
    assert NORMALIZE.final == (OBJECTIVE_SCALING,)
