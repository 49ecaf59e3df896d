"""The failure taxonomy reads kinds, never message text: rewording every message leaves
the statistics as they were, and files written as ``optiscribe.batch/1`` still classify."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from optiscribe.data.batch import RunSpec, run_batch
from optiscribe.data.eval.score import Failure, outcome_of, read_outcomes, score
from optiscribe.formulate.errors import BackendRequestError
from optiscribe.formulate.llm.scripted import ScriptedBackend
from tests.data.batch._helpers import furniture, read_results

REWORDED = "reworded: nothing in this text says what went wrong"


def _answers() -> tuple[dict[str, Any], float]:
    text, ir, optimum = furniture()
    nonlinear = dict(
        ir, objective=dict(ir["objective"], expression="make['chair'] * make['table']")
    )
    infeasible = dict(
        ir, constraints=[*ir["constraints"], {"name": "lots", "expression": "make['table'] >= 100"}]
    )
    unknown = dict(ir, objective=dict(ir["objective"], expression="nope[p]"))
    unbounded = dict(ir, constraints=[])
    return {
        "text": text,
        "ok": json.dumps(ir),
        "json": "the answer is 42",
        "nonlinear": json.dumps(nonlinear),
        "unknown": json.dumps(unknown),
        "infeasible": json.dumps(infeasible),
        "unbounded": json.dumps(unbounded),
    }, optimum


def _run(tmp_path: Path) -> tuple[list[dict[str, Any]], float]:
    answers, optimum = _answers()
    ids = ["ok", "json", "nonlinear", "unknown", "infeasible", "unbounded", "backend"]

    def answer(call: Any) -> str:
        if call.problem_id == "backend":
            raise BackendRequestError("HTTP 500 after 3 attempts", status_code=500, attempts=3)
        return answers[call.problem_id]

    tmp_path.mkdir(parents=True, exist_ok=True)
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"id": i, "question": answers["text"]}) + "\n" for i in ids))
    out = tmp_path / "out.jsonl"
    run_batch(
        inp, out, RunSpec(max_rounds=2), backend=ScriptedBackend(answer), handle_signals=False
    )
    return read_results(out), optimum


def _reword(value: Any) -> Any:
    """Every message, feedback, summary and detail of a record replaced by one text."""
    if isinstance(value, Mapping):
        return {
            k: (REWORDED if k in ("message", "feedback", "summary", "detail") and v else _reword(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_reword(v) for v in value]
    return value


def _failures(records: list[dict[str, Any]], optimum: float) -> dict[str, int]:
    outcomes = {str(r["id"]): outcome_of(r) for r in records}
    s = score([(pid, optimum) for pid in outcomes], outcomes)
    return dict(s.failures)


def test_statistics_do_not_change_when_every_message_is_reworded(tmp_path: Path) -> None:
    records, optimum = _run(tmp_path)
    before = _failures(records, optimum)
    assert before == {
        "parse error": 1,
        "not a MILP": 1,
        "invalid IR": 1,
        # HiGHS's presolve says "infeasible or unbounded" for the model without constraints
        "infeasible": 2,
        "backend error": 1,
    }
    reworded = [_reword(r) for r in records]
    assert json.dumps(reworded).count(REWORDED) > 10  # the messages really are gone
    assert "not a MILP" not in json.dumps(reworded)
    assert _failures(reworded, optimum) == before


def test_messages_reworded_at_the_source_change_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reword the messages where they are made (the not-a-MILP checks, the sandbox summary
    and the problem headings) and run the batch again."""
    import optiscribe.formulate.ir.expr as expr
    import optiscribe.formulate.loop as loop

    records, optimum = _run(tmp_path / "a")
    original = expr.ExprError.__init__

    def reworded_init(self: Any, message: str, *args: Any, **kw: Any) -> None:
        original(self, "something is off here", *args, **kw)

    monkeypatch.setattr(expr.ExprError, "__init__", reworded_init)
    monkeypatch.setattr(loop, "PROBLEM_TITLES", {k: "Problem" for k in loop.PROBLEM_TITLES})
    again, _ = _run(tmp_path / "b")
    assert "not a MILP" not in json.dumps(again)
    assert _failures(again, optimum) == _failures(records, optimum)


def test_batch1_lines_without_kinds_still_classify() -> None:
    """An error line as ``optiscribe.batch/1`` wrote it: the class name, no ``kind``."""
    rec = {
        "schema": "optiscribe.batch/1",
        "id": "x",
        "status": "error",
        "objective": None,
        "result": None,
        "input": {"question": "q"},
        "error": {"type": "WorkerDied", "message": "the worker process died"},
        "batch": {},
    }
    assert outcome_of(rec).failure is Failure.BACKEND_ERROR
    attempt = {"error_kind": "json", "problems": [{"kind": "json", "message": "x"}]}
    rec = dict(rec, status="failed", error=None, result={"status": "failed", "attempts": [attempt]})
    assert outcome_of(rec).failure is Failure.PARSE_ERROR


def test_read_outcomes_of_a_real_file(tmp_path: Path) -> None:
    records, _ = _run(tmp_path)
    got = {o.id: o.failure for o in read_outcomes(tmp_path / "out.jsonl")}
    assert got["ok"] is None and got["nonlinear"] is Failure.NOT_MILP
    assert len(records) == 7
