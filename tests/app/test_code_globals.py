"""The ``data`` global of code-mode programs through ``solve --data`` and batch lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from optiscribe.app import _cli_solve
from optiscribe.data.batch import Problem, RunSpec, run_one
from optiscribe.data.batch.executors import resolve_function
from optiscribe.formulate import BackendConfig, make_backend
from optiscribe.formulate.examples import load_example
from tests.formulate.test_code_gurobipy import ANSWER

FURNITURE = load_example("furniture")


def _replay_file(tmp_path: Path, answer: str) -> Path:
    path = tmp_path / "replay.jsonl"
    path.write_text(json.dumps({"id": "furniture", "responses": [answer]}) + "\n")
    return path


def _solve_app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    _cli_solve.register(app)
    return app


def test_solve_command_passes_data_to_the_program(tmp_path: Path) -> None:
    problem = tmp_path / "furniture.txt"
    problem.write_text(FURNITURE.text)
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"carpentry_hours": 120}))
    answer = ANSWER.replace("CARPENTRY", 'data["carpentry_hours"]')
    args = ["solve", str(problem), "--backend", "replay", "--replay-file"]
    args += [str(_replay_file(tmp_path, answer)), "--mode", "code_gurobipy", "--json"]
    res = CliRunner().invoke(_solve_app(), [*args, "--data", str(data)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["objective"] == pytest.approx(1900.0)
    data.write_text("{not json")
    bad = CliRunner().invoke(_solve_app(), [*args, "--data", str(data)])
    assert bad.exit_code == 3 and "is not JSON" in bad.output
    ir = CliRunner().invoke(_solve_app(), [*args[:-3], "--data", str(data)])
    assert ir.exit_code == 3 and "--data is for --mode code" in ir.output


def test_batch_line_data_reaches_the_program(tmp_path: Path) -> None:
    answer = ANSWER.replace("CARPENTRY", 'data["carpentry_hours"]')
    config = BackendConfig(backend="replay", replay_file=str(_replay_file(tmp_path, answer)))
    spec = RunSpec(backend_config=config, mode="code_gurobipy")
    problem = Problem("furniture", FURNITURE.text, 1, {"data": {"carpentry_hours": 120}})
    record = run_one(problem, resolve_function(spec.function), make_backend(config), spec)
    assert record["status"] == "optimal" and record["objective"] == pytest.approx(1900.0)
