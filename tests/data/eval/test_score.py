"""Scoring: tolerances, unlabelled problems, first vs final, pass@k / consensus, variants, taxonomy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optiscribe.data.batch import RunSpec, run_batch
from optiscribe.data.errors import DataError
from optiscribe.data.eval.score import (
    TOLERANCES,
    Failure,
    Outcome,
    Tolerance,
    consensus,
    execute_response,
    outcome_of,
    parse_tolerance,
    read_outcomes,
    score,
    score_variants,
)
from optiscribe.formulate.llm.scripted import ScriptedBackend
from tests.data.batch._helpers import furniture


def _o(
    pid: str,
    final: float | None,
    first: float | None = None,
    samples: tuple = (),
    attempts: int = 1,
    failure: Failure | None = None,
    question: str = "",
) -> Outcome:
    return Outcome(
        pid,
        question or pid,
        final,
        first if first is not None else final,
        samples,
        attempts,
        failure,
        0.1,
    )


def test_tolerances_declared_and_selectable() -> None:
    d = TOLERANCES["default"]
    assert d.close(1000.05, 1000.0) and not d.close(1000.2, 1000.0)  # rel 1e-4 of 1000 = 0.1
    assert d.close(0.009, 0.0) and not d.close(0.02, 0.0)  # abs 1e-2 near zero
    assert not TOLERANCES["abs1e-6"].close(1000.05, 1000.0) and TOLERANCES["abs1e-6"].close(
        1.0000005, 1.0
    )
    assert TOLERANCES["rel5pct"].close(104, 100) and not TOLERANCES["rel5pct"].close(106, 100)
    assert parse_tolerance("rel=0.1") == Tolerance(0.1, 0.0, "rel=0.1")
    with pytest.raises(DataError, match="not understood"):
        parse_tolerance("loose")
    assert not d.close(None, 1.0) and not d.close(1.0, None)


def test_unlabelled_never_counted_and_first_vs_final() -> None:
    answers = [("a", 10.0), ("b", 20.0), ("c", 30.0), ("u", None), ("m", 5.0)]
    outcomes = {
        "a": _o("a", 10.0),  # right first time
        "b": _o("b", 20.0, first=25.0, attempts=3),  # fixed by self-correction
        "c": _o("c", None, first=None, failure=Failure.INFEASIBLE, attempts=5),
        "u": _o("u", 99.0),  # no label: neither right nor wrong
    }
    s = score(answers, outcomes)
    assert (s.problems, s.answered, s.unlabelled, s.missing) == (5, 4, 1, 1)
    assert (s.correct, s.correct_first, s.executed) == (2, 1, 2)
    assert s.accuracy == pytest.approx(2 / 4) and s.accuracy_first == pytest.approx(1 / 4)
    assert s.unlabelled_executed == 1 and s.failures == {"infeasible": 1}
    assert s.k == 1 and s.pass_at_k is None
    assert s.mean_attempts == pytest.approx((1 + 3 + 5 + 1) / 4)


def test_wrong_objective_in_taxonomy() -> None:
    s = score([("a", 10.0)], {"a": _o("a", 11.0)})
    assert s.failures == {"wrong objective": 1}


def test_pass_at_k_and_consensus_from_samples() -> None:
    tol = TOLERANCES["default"]
    assert consensus([1.0, 2.0, 2.0000001, None], tol) == 2.0
    assert consensus([3.0, 1.0], tol) == 3.0  # tie: first seen
    assert consensus([None, None], tol) is None
    outcomes = {
        "a": _o("a", 1.0, samples=(1.0, 2.0, 2.0)),  # final right, consensus wrong
        "b": _o("b", 5.0, samples=(5.0, 7.0, 7.0)),  # final wrong, consensus right, pass@3
        "c": _o("c", 9.0, samples=(9.0, 9.0, 8.0)),  # all wrong
    }
    s = score([("a", 1.0), ("b", 7.0), ("c", 1.0)], outcomes)
    assert s.k == 3
    assert (s.correct, s.pass_k, s.consensus_correct) == (1, 2, 1)
    assert s.pass_at_k == pytest.approx(2 / 3) and s.consensus_accuracy == pytest.approx(1 / 3)


def test_variants_scored_by_question_text_with_spread(tmp_path: Path) -> None:
    root = tmp_path / "benchmarks"
    (root / "variants").mkdir(parents=True)

    def write(path: Path, rows: list[tuple[str, str, float | None]]) -> None:
        path.write_text(
            "".join(json.dumps({"id": i, "question": q, "answer": a}) + "\n" for i, q, a in rows)
        )

    write(root / "toy.jsonl", [("toy/x/1", "Q one", 1.0), ("toy/x/2", "Q two", 2.0)])
    write(
        root / "variants" / "toy.orig.jsonl",
        [("toy/o/1", "q  ONE", 1.0), ("toy/o/2", "Q two", 3.0), ("toy/o/3", "Q three", 3.0)],
    )
    write(
        root / "variants" / "toy.clean.jsonl",
        [("toy/c/1", "Q one", 1.0), ("toy/c/2", "Q two", 2.0)],
    )
    outcomes = {
        "toy/x/1": _o("toy/x/1", 1.0, question="Q one"),
        "toy/x/2": _o("toy/x/2", 2.0, question="Q two"),
    }
    vs = score_variants("toy", outcomes, data_dir=tmp_path)
    by = {s.variant: s for s in vs.scores}
    assert (
        by["clean"].accuracy == 1.0 and by["orig"].accuracy == 0.5
    )  # text matched case/space-insensitively
    assert vs.unmatched == {"clean": 0, "orig": 1}
    assert vs.spread == pytest.approx(0.5)


def test_outcome_of_real_pipeline_results_first_attempt_vs_final(tmp_path: Path) -> None:
    """Through the real pipeline: a first answer that is infeasible, then the right one."""
    text, ir, optimum = furniture()
    infeasible = dict(
        ir, constraints=[*ir["constraints"], {"name": "lots", "expression": "make['table'] >= 100"}]
    )
    wrong_then_right = {"r": [json.dumps(infeasible), json.dumps(ir)], "w": ["no json here"] * 5}

    def answer(call: object) -> str:
        pid = call.problem_id
        return wrong_then_right[pid].pop(0)

    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"id": i, "question": text}) + "\n" for i in ("r", "w")))
    out = tmp_path / "out.jsonl"
    run_batch(
        inp, out, RunSpec(max_rounds=3), backend=ScriptedBackend(answer), handle_signals=False
    )
    got = {o.id: o for o in read_outcomes(out)}
    r, w = got["r"], got["w"]
    assert r.final == pytest.approx(optimum) and r.first is None and r.attempts == 2
    assert w.final is None and w.failure is Failure.PARSE_ERROR and w.attempts == 3
    s = score([("r", optimum), ("w", optimum)], got)
    assert (s.correct, s.correct_first) == (1, 0) and s.failures == {"parse error": 1}


def test_outcome_of_backend_error_record() -> None:
    rec = {
        "id": "x",
        "status": "error",
        "objective": None,
        "result": None,
        "input": {"question": "q"},
        "error": {"type": "BackendRequestError", "message": "HTTP 500 after 3 attempts"},
        "batch": {},
    }
    o = outcome_of(rec)
    assert o.failure is Failure.BACKEND_ERROR and o.final is None and o.attempts == 0


def test_execute_response_ir_kinds() -> None:
    _, ir, optimum = furniture()
    assert execute_response(json.dumps(ir))["objective"] == pytest.approx(optimum)
    assert execute_response("```json\n" + json.dumps(ir) + "\n```")["objective"] == pytest.approx(
        optimum
    )
    bad_shape = execute_response(json.dumps({"variables": "x"}))
    assert bad_shape["failure"] == "invalid IR" and bad_shape["kind"] == "ir"
    unknown = execute_response(
        json.dumps(dict(ir, objective=dict(ir["objective"], expression="nope[p]")))
    )
    assert unknown["failure"] == "invalid IR"
    unb = dict(ir, constraints=[])
    assert execute_response(json.dumps(unb))["failure"] in ("unbounded", "infeasible")
    assert execute_response("no idea")["failure"] == "parse error"
