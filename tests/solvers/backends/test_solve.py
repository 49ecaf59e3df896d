"""Both backends on the same models: optimum, infeasible with conflict, unbounded, limits, duals."""

from __future__ import annotations

from typing import Any

import pytest

from optiscribe.formulate.ir.model import Formulation
from optiscribe.solvers import SolutionStatus, Termination, available_solvers, solve, solve_mps
from optiscribe.solvers.backends.solve import BACKENDS
from optiscribe.solvers.errors import SolverError, SolverUnavailable, UnsupportedModelFeature

SOLVERS = sorted(BACKENDS)  # every registered backend runs through this suite

MIX: dict[str, Any] = {
    "sets": [{"name": "P", "elements": ["chair", "table"]}],
    "parameters": [{"name": "profit", "index": ["P"], "values": {"chair": 30, "table": 50}}],
    "variables": [{"name": "make", "index": ["P"], "domain": "integer"}],
    "objective": {"sense": "maximize", "expression": "sum(profit[p] * make[p] for p in P)"},
    "constraints": [
        {"name": "carpentry", "expression": "2 * make['chair'] + 3 * make['table'] <= 120"},
        {"name": "finishing", "expression": "make['chair'] + 2 * make['table'] <= 70"},
    ],
}


def model(**changes: Any) -> Any:
    d = {**MIX, **changes}
    return Formulation.from_dict(d).to_pyomo()


def test_both_solvers_are_available() -> None:
    assert available_solvers() == {"highs": True, "ortools": True}


@pytest.mark.parametrize("solver", SOLVERS)
def test_optimal(solver: str) -> None:
    r = solve(model(), solver=solver)
    assert r.termination is Termination.OPTIMAL and r.solution_status is SolutionStatus.OPTIMAL
    assert r.objective == pytest.approx(1900)
    assert r.values == {"make[chair]": pytest.approx(30), "make[table]": pytest.approx(20)}
    assert r.is_mip and r.gap == pytest.approx(0, abs=1e-9)
    assert r.solver == solver and r.solver_version


@pytest.mark.parametrize("solver", SOLVERS)
def test_infeasible_reports_the_conflict(solver: str) -> None:
    cons = MIX["constraints"] + [
        {"name": "lots", "expression": "make['chair'] + make['table'] >= 100"}
    ]
    r = solve(model(constraints=cons), solver=solver)
    assert r.termination is Termination.INFEASIBLE
    assert not r.has_solution
    assert r.conflict is not None and "lots" in r.conflict
    assert "carpentry" in r.conflict or "finishing" in r.conflict
    assert "cannot all hold" in r.message


def test_integrality_only_infeasibility_gets_a_hint() -> None:
    r = solve(model(constraints=[{"name": "half", "expression": "2 * make['chair'] == 1"}]))
    assert r.termination is Termination.INFEASIBLE
    assert r.conflict is None
    assert "only because of integrality" in r.message


@pytest.mark.parametrize("solver", SOLVERS)
def test_unbounded_names_the_direction(solver: str) -> None:
    r = solve(model(constraints=[]), solver=solver)
    assert r.termination in (Termination.UNBOUNDED, Termination.INFEASIBLE_OR_UNBOUNDED)
    assert r.unbounded_direction == ("make[chair]", "make[table]")
    assert "without limit" in r.message


def test_lp_has_duals_mip_has_none() -> None:
    lp = solve(model(variables=[{"name": "make", "index": ["P"]}]))
    assert lp.is_optimal and not lp.is_mip
    assert lp.duals is not None and set(lp.duals) == {"carpentry", "finishing"}
    # profit 30/50 against usage (2,1)/(3,2): both rows bind, duals are the shadow prices
    assert lp.duals["carpentry"] == pytest.approx(10) and lp.duals["finishing"] == pytest.approx(10)
    assert solve(model()).duals is None


def test_time_limit_is_honoured() -> None:
    # A hard 0-1 knapsack family: many items, a tight limit.
    import random

    rng = random.Random(0)
    n = 400
    weights = {f"i{k}": rng.randint(1000, 2000) for k in range(n)}
    values = {f"i{k}": weights[f"i{k}"] + rng.randint(-5, 5) for k in range(n)}
    d = {
        "sets": [{"name": "I", "elements": list(weights)}, {"name": "R", "first": 1, "last": 30}],
        "parameters": [
            {
                "name": "w",
                "index": ["R", "I"],
                "values": {
                    r: {i: weights[i] + rng.randint(0, 99) for i in weights} for r in range(1, 31)
                },
            },
            {"name": "v", "index": ["I"], "values": values},
        ],
        "variables": [{"name": "take", "index": ["I"], "domain": "binary"}],
        "objective": {"sense": "maximize", "expression": "sum(v[i] * take[i] for i in I)"},
        "constraints": [
            {
                "name": "cap",
                "for_each": "r in R",
                "expression": "sum(w[r, i] * take[i] for i in I) <= 100000",
            }
        ],
    }
    r = solve(Formulation.from_dict(d).to_pyomo(), time_limit=0.5)
    assert r.runtime_s < 5
    if r.termination is Termination.TIME_LIMIT:
        assert r.solution_status in (SolutionStatus.FEASIBLE, SolutionStatus.NO_SOLUTION)
        assert r.termination.is_limit
    else:  # solved within the limit: still a valid outcome, but then it must be optimal
        assert r.is_optimal


def test_unknown_solver() -> None:
    with pytest.raises(SolverUnavailable, match="choose one of: highs, ortools"):
        solve(model(), solver="gurobi")


def test_solve_mps_missing_and_bad_file(tmp_path: Any) -> None:
    with pytest.raises(SolverError, match="does not exist"):
        solve_mps(tmp_path / "nope.mps")
    bad = tmp_path / "bad.mps"
    bad.write_text("this is not an MPS file\n")
    with pytest.raises(SolverError, match="could not read"):
        solve_mps(bad)


def test_solves_from_several_threads_do_not_deadlock() -> None:
    """Pyomo swaps the process-wide stdout while solving; concurrent solves must still finish."""
    import threading

    from optiscribe.formulate.examples import load_examples

    examples = [e for e in load_examples() if e.optimum is not None][:6]
    models = [(e.formulation.to_pyomo(), e.optimum) for e in examples]
    wrong: list[tuple[float | None, float]] = []

    def work(k: int) -> None:
        for i in range(4):
            m, optimum = models[(k + i) % len(models)]
            r = solve(m, solver="highs" if i % 2 else "ortools")
            if r.objective is None or abs(r.objective - optimum) > 1e-6 * max(1.0, abs(optimum)):
                wrong.append((r.objective, optimum))

    threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(4)]
    import time

    for t in threads:
        t.start()
    deadline = time.monotonic() + 60  # one deadline for all: a deadlock fails, it does not hang
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), (
        "a solve thread hung (deadlock between concurrent solves)"
    )
    assert wrong == []


def test_solve_mps_infeasible_names_the_conflict(tmp_path: Any) -> None:
    from optiscribe.formulate.ir.compile import write_mps

    cons = MIX["constraints"] + [
        {"name": "lots", "expression": "make['chair'] + make['table'] >= 100"}
    ]
    path = write_mps(model(constraints=cons), tmp_path / "inf.mps")
    r = solve_mps(path)
    assert r.termination is Termination.INFEASIBLE and not r.has_solution
    assert r.conflict is not None and any("lots" in n for n in r.conflict)
    assert "cannot all hold" in r.message


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_model_beyond_the_declared_capabilities_is_refused_before_solving(solver: str) -> None:
    """The backend checks the model against its Capabilities first: a quadratic objective
    is named in an UnsupportedModelFeature, not left to fail inside the solver."""
    import pyomo.environ as pyo

    m = model()
    m.objective.deactivate()
    m.q = pyo.Objective(expr=m.make["chair"] * m.make["table"], sense=pyo.maximize)
    with pytest.raises(UnsupportedModelFeature, match=r"non-linear terms \(in q\)") as info:
        solve(m, solver=solver)
    assert info.value.backend == solver and isinstance(info.value, SolverError)
