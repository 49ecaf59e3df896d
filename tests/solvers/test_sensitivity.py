"""LP sensitivity: each stated worth is checked against a re-solve with the right-hand side moved."""

from __future__ import annotations

import math

import pytest

from optiscribe.formulate.examples import load_example
from optiscribe.formulate.ir.model import Formulation
from optiscribe.solvers import UnsupportedModelFeature, solve
from optiscribe.solvers.sensitivity import lp_sensitivity


def _with_constraint(name: str, old: str, new: str) -> Formulation:
    data = load_example(name).formulation.to_dict()
    for c in data["constraints"]:
        c["expression"] = c["expression"].replace(old, new)
    return Formulation.from_dict(data)


@pytest.mark.parametrize(
    ("example", "row", "old", "new", "delta"),
    [
        ("farm_acres", "land", "<= 150", "<= 151", 1.0),
        ("farm_acres", "fertiliser", "<= 4800", "<= 4810", 10.0),
    ],
)
def test_worth_matches_a_resolve(example: str, row: str, old: str, new: str, delta: float) -> None:
    f = load_example(example).formulation
    sens = lp_sensitivity(f.to_pyomo())
    r = next(r for r in sens.rows if r.name == row)
    assert r.binding
    moved = solve(_with_constraint(example, old, new).to_pyomo()).objective
    assert moved is not None
    assert moved - sens.objective == pytest.approx(r.worth * delta, rel=1e-6)
    # the range is where the rate holds: past it, the rate changes
    assert r.up_to > r.rhs


def test_rate_holds_up_to_the_range_and_not_beyond() -> None:
    f = load_example("farm_acres").formulation
    sens = lp_sensitivity(f.to_pyomo())
    land = next(r for r in sens.rows if r.name == "land")
    assert land.rhs == 150 and math.isfinite(land.up_to)
    at_limit = solve(_with_constraint("farm_acres", "<= 150", f"<= {land.up_to}").to_pyomo())
    beyond = solve(_with_constraint("farm_acres", "<= 150", f"<= {land.up_to + 10}").to_pyomo())
    assert at_limit.objective == pytest.approx(sens.objective + land.worth * (land.up_to - 150))
    assert beyond.objective < sens.objective + land.worth * (land.up_to + 10 - 150) - 1e-6


def test_minimisation_worth_has_the_models_sign() -> None:
    # diet: minimise cost; a lower bound on a nutrient that binds costs money to raise
    f = load_example("diet").formulation
    sens = lp_sensitivity(f.to_pyomo())
    assert not sens.maximize
    binding = [r for r in sens.rows if r.binding]
    assert binding
    for r in binding:
        assert r.lower is not None and r.rhs == r.lower
        assert r.worth > 0  # more of a required nutrient costs more


def test_sentences_use_the_models_names_and_descriptions() -> None:
    f = load_example("farm_acres").formulation
    sens = lp_sensitivity(f.to_pyomo())
    lines = sens.explain({c.name: c.description for c in f.constraints})
    land = next(line for line in lines if line.startswith("One more unit of land"))
    assert "(acres available)" in land and "+86.6667" in land and "for up to 24 more units" in land
    assert any("labour" in line and "not binding (slack 10)" in line for line in lines)
    wheat = next(c for c in sens.columns if c.name == "wheat")
    assert wheat.cost_down_to <= 220 <= wheat.cost_up_to
    assert "between 170 and 272" in wheat.explain()


def test_milp_is_refused_with_the_reason() -> None:
    f = load_example("furniture").formulation
    with pytest.raises(UnsupportedModelFeature, match="LPs only"):
        lp_sensitivity(f.to_pyomo())
