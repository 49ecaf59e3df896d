"""The bundled examples: each loads, validates, compiles and solves to its recorded optimum."""

from __future__ import annotations

import math

import pytest

from optiscribe.formulate.examples import Example, example_names, load_example, load_examples
from optiscribe.solvers import solve

NAMES = example_names()
#: The problem families the examples must cover (issue 2).
REQUIRED_FAMILIES = {
    "production_planning",
    "diet",
    "blending",
    "transportation",
    "assignment",
    "knapsack",
    "multi_dimensional_knapsack",
    "facility_location",
    "set_cover",
    "bin_packing",
    "lot_sizing",
    "min_cost_flow",
    "shortest_path",
    "staffing",
    "job_scheduling",
    "either_or",
    "cutting_stock",
    "portfolio",
    "two_variable",
}
REL_TOL = 1e-6


def test_there_are_enough_examples_and_they_cover_the_families() -> None:
    examples = load_examples()
    assert len(examples) >= 25
    families = {e.family for e in examples}
    assert REQUIRED_FAMILIES <= families, (
        f"missing families: {sorted(REQUIRED_FAMILIES - families)}"
    )
    assert sum(e.family == "two_variable" for e in examples) >= 3


def test_names_are_unique() -> None:
    examples = load_examples()
    assert len({e.name for e in examples}) == len(examples)
    assert len({e.formulation.name for e in examples}) == len(examples)
    assert [e.name for e in examples] == NAMES  # the name in a file is its file stem


def test_examples_exercise_the_language() -> None:
    """Between them the examples use every feature the IR offers, so a regression shows up here."""
    fs = [e.formulation for e in load_examples()]
    cons = [c for f in fs for c in f.constraints]
    assert any(s.first is not None for f in fs for s in f.sets), "an integer range set"
    assert any(s.dimen == 2 for f in fs for s in f.sets), "a tuple set"
    assert any("(" in (c.for_each or "") for c in cons), "a tuple binding in for_each"
    assert any(c.condition for c in cons), "a condition"
    assert any("- 1]" in c.expression and c.condition for c in cons), (
        "t - 1 indexing guarded by a condition"
    )
    assert any(p.default is not None for f in fs for p in f.parameters), (
        "a sparse table with default"
    )
    assert any(c.expression.count("<=") == 2 for c in cons), "a range lo <= e <= hi"
    assert any("==" in c.expression for c in cons), "an equality"
    assert any(v.lower is None for f in fs for v in f.variables), "a free variable"
    assert any(
        isinstance(v.upper, str) or isinstance(v.lower, str) for f in fs for v in f.variables
    ), "a parameter bound"
    assert {f.objective.sense for f in fs} == {"minimize", "maximize"}
    assert {v.domain for f in fs for v in f.variables} == {"continuous", "integer", "binary"}


@pytest.mark.parametrize("name", NAMES)
def test_example_is_well_written(name: str) -> None:
    ex: Example = load_example(name)
    assert len(ex.text.split()) >= 40, "the text should state the whole problem"
    assert ex.optimum is not None and ex.optimum != 0
    f = ex.formulation
    assert f.description
    for kind, items in (
        ("set", f.sets),
        ("parameter", f.parameters),
        ("variable", f.variables),
        ("constraint", f.constraints),
    ):
        for item in items:
            assert item.description, f"{kind} {item.name!r} has no description"
    assert f.objective.description
    em = f.expand()  # every semantic check
    assert em.num_vars > 0 and em.num_rows > 0


@pytest.mark.parametrize("name", NAMES)
def test_highs_reaches_the_recorded_optimum(name: str) -> None:
    ex = load_example(name)
    r = solve(ex.formulation.to_pyomo(), solver="highs", time_limit=10)
    assert r.is_optimal, r.message
    assert r.objective is not None and ex.optimum is not None
    assert math.isclose(r.objective, ex.optimum, rel_tol=REL_TOL, abs_tol=1e-9), (
        r.objective,
        ex.optimum,
    )
    assert r.runtime_s < 1.0


@pytest.mark.parametrize("name", [n for n in NAMES if load_example(n).ortools])
def test_ortools_reaches_the_recorded_optimum(name: str) -> None:
    ex = load_example(name)
    r = solve(ex.formulation.to_pyomo(), solver="ortools", time_limit=10)
    assert r.is_optimal, r.message
    assert r.objective is not None and ex.optimum is not None
    assert math.isclose(r.objective, ex.optimum, rel_tol=REL_TOL, abs_tol=1e-9), (
        r.objective,
        ex.optimum,
    )
