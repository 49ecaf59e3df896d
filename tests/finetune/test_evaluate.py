"""``finetune.evaluate``: each problem is a typed :class:`EvalRow`, written as one line and
summed into the report (the built-in backend replaced by a scripted one: no torch needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optiscribe.finetune import evaluate
from optiscribe.finetune.evaluate import EvalRow, evaluate_builtin
from optiscribe.formulate.llm.scripted import ScriptedBackend
from optiscribe.solvers.kinds import FailureKind
from tests.data.batch._helpers import furniture


class _Scripted(ScriptedBackend):
    self_checks = 0

    def __init__(self, **_: object) -> None:
        _text, ir, _opt = furniture()
        good = json.dumps(ir)
        super().__init__(lambda call: good if "first" in str(call.messages) else "not json")


def test_rows_are_typed_and_written_as_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    text, _ir, optimum = furniture()
    bench = tmp_path / "bench.jsonl"
    bench.write_text(
        "".join(
            json.dumps({"id": pid, "question": f"{q} {text}", "answer": optimum}) + "\n"
            for pid, q in (("a", "first"), ("b", "second"))
        )
    )
    monkeypatch.setattr(evaluate, "BuiltinBackend", _Scripted)
    out = tmp_path / "rows.jsonl"
    report = evaluate_builtin(None, benchmark=str(bench), out=out)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"]
    assert list(lines[0]) == list(EvalRow.__dataclass_fields__)
    rows = [EvalRow(**x) for x in lines]
    assert rows[0].correct and rows[0].accepted and rows[0].objective == pytest.approx(optimum)
    assert not rows[1].correct and rows[1].objective is None
    assert rows[1].error_kind == FailureKind.JSON and rows[1].output == "not json"
    assert report["problems"] == 2 and report["correct"] == 1 and report["accuracy"] == 0.5
    assert report["solved"] == 1 and report["accepted"] == 1
