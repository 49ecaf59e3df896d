"""Feasibility repair: the smallest relaxation, checked by solving the repaired model."""

from __future__ import annotations

import pytest

from optiscribe.formulate.examples import load_example
from optiscribe.formulate.ir.model import Formulation
from optiscribe.solvers import solve
from optiscribe.solvers.diagnose import repair_infeasible


def _plus(example: str, name: str, expression: str) -> Formulation:
    data = load_example(example).formulation.to_dict()
    data["constraints"].append({"name": name, "description": "added", "expression": expression})
    return Formulation.from_dict(data)


def test_milp_repair_is_the_smallest_and_makes_it_feasible() -> None:
    f = _plus("furniture", "min_tables", "make['table'] >= 45")
    assert not solve(f.to_pyomo()).has_solution
    repair = repair_infeasible(f.to_pyomo())
    # at most 30 tables can be sold and 45 are promised: the least change is 15
    assert repair.total == pytest.approx(15.0)
    assert [(c.name, c.side, c.current, c.needed) for c in repair.changes] == [
        ("min_tables", "lower", 45.0, 30.0)
    ]
    assert "by 15" in repair.message
    assert solve(_plus("furniture", "min_tables", "make['table'] >= 30").to_pyomo()).has_solution
    # and nothing smaller would do
    assert not solve(
        _plus("furniture", "min_tables", "make['table'] >= 31").to_pyomo()
    ).has_solution


def test_lp_repair_prefers_a_rule_to_a_bound_on_a_tie() -> None:
    f = _plus("farm_acres", "min_barley", "barley >= 200")
    repair = repair_infeasible(f.to_pyomo())
    assert repair.total == pytest.approx(80.0)
    assert [(c.name, c.side, c.needed) for c in repair.changes] == [("min_barley", "lower", 120.0)]
    assert solve(_plus("farm_acres", "min_barley", "barley >= 120").to_pyomo()).has_solution
    assert not solve(_plus("farm_acres", "min_barley", "barley >= 121").to_pyomo()).has_solution


def test_feasible_model_needs_no_repair() -> None:
    repair = repair_infeasible(load_example("farm_acres").formulation.to_pyomo())
    assert repair.changes == () and "nothing to relax" in repair.message
