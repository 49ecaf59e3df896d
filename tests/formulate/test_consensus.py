"""Consensus: group samples with verify.check, pick the largest class, report its share."""

from __future__ import annotations

import json
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import pytest

from optiscribe.formulate.consensus import consensus
from optiscribe.formulate.examples import load_example
from optiscribe.formulate.llm.scripted import ScriptedBackend
from optiscribe.formulate.loop import Evaluation
from optiscribe.formulate.pipeline import solve_text
from optiscribe.solvers.result import SolutionStatus, SolveResult, Termination

FURNITURE = load_example("furniture")
A = json.dumps(FURNITURE.formulation.to_dict())

# The same model written differently: no sets, variables and constraints renamed and
# reordered, the table limit first, coefficients spelled out.
B = json.dumps(
    {
        "name": "workshop",
        "variables": [
            {"name": "tables_made", "description": "tables built", "domain": "integer"},
            {"name": "chairs_made", "description": "chairs built", "domain": "integer"},
        ],
        "objective": {"sense": "maximize", "expression": "50 * tables_made + 30 * chairs_made"},
        "constraints": [
            {"name": "sales", "expression": "tables_made <= 30"},
            {"name": "finishing_hours", "expression": "2 * tables_made + chairs_made <= 70"},
            {"name": "carpentry_hours", "expression": "3 * tables_made + 2 * chairs_made <= 120"},
        ],
    }
)

# A different model: the finishing hours misread as 60.
C = B.replace("chairs_made <= 70", "chairs_made <= 60")


def test_two_equivalent_samples_out_of_three_win_with_confidence_two_thirds() -> None:
    backend = ScriptedBackend([C, A, B])
    result = solve_text(FURNITURE.text, backend=backend, samples=3)

    assert len(backend.calls) == 1 and backend.calls[0].n == 3
    assert backend.calls[0].temperature and backend.calls[0].temperature > 0
    cons = result.consensus
    assert cons is not None
    assert sorted(map(sorted, cons.classes)) == [[0], [1, 2]]
    assert cons.winner in (1, 2)
    assert cons.agreement == "2/3" and cons.share == Fraction(2, 3)
    assert result.agreement == "2/3" and result.confidence == pytest.approx(2 / 3)
    assert result.status == "optimal" and result.objective == pytest.approx(FURNITURE.optimum)
    joined = [link for link in cons.links if link.joined]
    assert len(joined) == 1 and joined[0].method == "verify" and joined[0].verdict == "equivalent"
    assert any(link.verdict == "not_equivalent" for link in cons.links)
    assert [s.accepted for s in result.samples] == [True, True, True]
    json.dumps(result.to_dict())


def test_failed_samples_count_in_the_share() -> None:
    bad = "no JSON here"
    backend = ScriptedBackend([A, bad, bad, bad, bad])
    result = solve_text(FURNITURE.text, backend=backend, samples=3, max_rounds=2)
    assert result.agreement == "1/3" and result.status == "optimal"
    assert [s.accepted for s in result.samples] == [True, False, False]
    assert [s.rounds for s in result.samples] == [1, 2, 2]
    assert len(result.history) == 5 and len(result.attempts) == 1


# ---------------------------------------------------------------- grouping rules (unit)


def _ev(
    objective: float | None, term: Termination = Termination.OPTIMAL, tag: str = ""
) -> Evaluation:
    status = SolutionStatus.OPTIMAL if term is Termination.OPTIMAL else SolutionStatus.FEASIBLE
    solve = SolveResult(
        solver="highs",
        solver_version="test",
        termination=term,
        solution_status=status,
        objective=objective,
        values=MappingProxyType({"x": 1.0}),
    )
    return Evaluation(solve=solve, model=tag or object())


def _check(verdict: str) -> Any:
    return lambda a, b: type("R", (), {"verdict": verdict, "reason": "test"})()


def test_unknown_verdicts_fall_back_to_objective_agreement() -> None:
    evs = [_ev(10.0), _ev(10.0 + 1e-9), _ev(12.0)]
    res = consensus(evs, check=_check("unknown"))
    assert res.classes == ((0, 1), (2,))
    assert res.agreement == "2/3"
    assert {link.method for link in res.links} == {"objective"}


def test_checker_errors_fall_back_to_objectives_instead_of_crashing() -> None:
    def boom(a: Any, b: Any) -> Any:
        raise RuntimeError("cannot read model")

    res = consensus([_ev(5.0), _ev(5.0)], check=boom)
    assert res.classes == ((0, 1),)
    assert res.links[0].verdict == "error" and "cannot read model" in res.links[0].reason


def test_not_equivalent_is_never_overridden_by_equal_objectives() -> None:
    res = consensus([_ev(10.0), _ev(10.0)], check=_check("not_equivalent"))
    assert res.classes == ((0,), (1,))


def test_ties_go_to_the_better_solver_status() -> None:
    evs = [_ev(9.0, Termination.TIME_LIMIT), _ev(10.0)]
    res = consensus(evs, check=_check("not_equivalent"))
    assert res.winner == 1 and res.agreement == "1/2"


def test_then_to_the_objective_more_samples_agree_with() -> None:
    evs = [_ev(7.0), _ev(10.0), _ev(10.0)]
    res = consensus(evs, check=_check("not_equivalent"))
    assert res.winner == 1


def test_no_usable_sample_has_no_winner() -> None:
    res = consensus([None, None], check=_check("equivalent"))
    assert res.winner is None and res.agreement == "0/2" and res.confidence == 0.0
