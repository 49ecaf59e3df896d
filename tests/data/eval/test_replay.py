"""Replay of published outputs (``eval --responses PUBLISHED.jsonl``): every outcome and
reason on a small synthetic file, and the documented command on the shared ReLoop files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from optiscribe.app.cli import app
from optiscribe.data.benchmarks import shared_data_dir
from optiscribe.data.errors import DataError
from optiscribe.data.eval.replay import (
    is_published_outputs,
    read_published,
    render_replay,
    replay,
    summarize,
)

runner = CliRunner()

LP = """
import gurobipy as gp
from gurobipy import GRB
m = gp.Model()
m.Params.OutputFlag = 0
x = m.addVars(2, name="x")
m.addConstr(x[0] + 2 * x[1] <= data["cap"], name="cap")
m.setObjective(3 * x[0] + 5 * x[1], GRB.MAXIMIZE)
m.optimize()
print(f"status: {m.Status}")
print(f"objective: {SCALE}")
"""


def _row(index: int, code: str | None, data: Any, recorded: float | None) -> dict[str, Any]:
    return {
        "benchmark": "Synthetic",
        "index": index,
        "problem_id": str(index),
        "question_sha256": hashlib.sha256(b"q").hexdigest(),
        "ground_truth": "30.0",
        "code": code,
        "data_json": data,
        "stage_objectives": {"cot": recorded},
        "reported_pass": {"cot_pass_1e6": recorded == 30.0},
    }


@pytest.fixture
def published(tmp_path: Path) -> Path:
    rows = [
        _row(0, LP.replace("SCALE", "m.ObjVal"), {"cap": 10}, 30.0),  # reproduces
        _row(1, LP.replace("SCALE", "m.ObjVal / 10"), {"cap": 10}, 3.0),  # printed != ObjVal
        _row(2, LP.replace("SCALE", "m.ObjVal"), {"cap": 10}, 31.0),  # objective differs
        _row(3, LP.replace("SCALE", "m.ObjVal"), None, 30.0),  # record lacks data
        _row(
            4,
            "import gurobipy as gp\nm = gp.Model()\nx = m.addVar()\nm.setObjective(x*x)\n",
            {},
            0.0,
        ),  # unsupported feature
        _row(5, None, {}, None),  # no code
        _row(6, LP.replace("SCALE", "m.ObjVal"), {"cap": "ten"}, None),  # crashes, as recorded
    ]
    path = tmp_path / "published.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_replay_classifies_every_outcome_and_reason(published: Path) -> None:
    assert is_published_outputs(published)
    rows = replay(read_published(published), labels={}, timeout_s=20)
    by = {r.index: r for r in rows}
    assert by[0].outcome == "ran" and by[0].reproduces and by[0].reason is None
    assert by[1].reproduces and by[1].objective == 3.0 and by[1].solver_objective == 30.0
    assert by[2].reproduces is False and by[2].reason == "objective differs: HiGHS 30 vs Gurobi 31"
    assert by[3].outcome == "crashed" and by[3].record_incomplete is not None
    assert by[3].reason is not None and by[3].reason.startswith(
        "incomplete record: the record has no data_json"
    )
    assert by[4].outcome == "unsupported" and by[4].objective is None
    assert by[4].reason == "unsupported feature in our layer: quadratic terms"
    assert by[5].outcome == "no_code"
    assert by[6].outcome == "crashed" and by[6].recorded is None and by[6].reason is None
    total = summarize(rows)["total"]
    assert (total["ran"], total["crashed"], total["unsupported"], total["no_code"]) == (3, 2, 1, 1)
    assert (total["with_recorded_objective"], total["reproduced"], total["incomplete_records"]) == (
        5,
        2,
        1,
    )
    assert summarize(rows)["failures"]["unsupported: quadratic terms"] == {
        "programs": 1,
        "authors_no_objective": 0,
    }
    md = render_replay(rows)
    assert "| Synthetic | 7 | 3 | 2 | 1 | 1 | 5 | 2 (40.0 %) | 1 | 50.0 % |" in md


def test_bad_published_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"index": "x", "data_json": {}}) + "\n")
    with pytest.raises(DataError, match=r"bad.jsonl:1: 'index' must be a non-negative integer"):
        read_published(bad)
    r = runner.invoke(app, ["eval", "--responses", str(bad), "--no-progress"])
    assert r.exit_code == 3 and "'index' must be" in r.output


def test_eval_responses_command_on_published_reloop_outputs(tmp_path: Path) -> None:
    """The command docs/dialects.md documents, on the first programs of each shared file."""
    try:
        root = shared_data_dir() / "peer-outputs" / "reloop"
    except DataError:
        pytest.skip("shared data not found (set OPTISCRIBE_SHARED_DATA)")
    if not root.is_dir():
        pytest.skip(f"no published outputs at {root}")
    for path in sorted(root.glob("*.jsonl")):
        out = tmp_path / path.stem
        r = runner.invoke(
            app,
            [
                "eval",
                "--responses",
                str(path),
                "--limit",
                "6",
                "-o",
                str(out),
                "--no-progress",
                "--json",
            ],
        )
        assert r.exit_code == 0, r.output
        summary = json.loads(r.output)
        t = summary["total"]
        assert t["problems"] == 6 and t["label_joined"] == 6  # index + SHA-256 join holds
        # every recorded objective among these is reproduced or has a stated reason
        rows = [json.loads(line) for line in (out / "replay.jsonl").read_text().splitlines()]
        for row in rows:
            assert row["reproduces"] in (True, None) or row["reason"], row
        assert "## Where HiGHS and the authors' solver disagree" in (out / "replay.md").read_text()
