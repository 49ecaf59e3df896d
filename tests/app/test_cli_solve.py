"""``optiscribe solve``: JSON and human output, --save-model, and every exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from optiscribe.app import _cli_solve
from optiscribe.formulate.examples import load_example
from optiscribe.formulate.llm.config import CONFIG_ENV_VAR, ENV_VARS
from tests._support import hide_builtin_model

FURNITURE = load_example("furniture")
GOOD = json.dumps(FURNITURE.formulation.to_dict())
INFEASIBLE = json.dumps(
    {
        **FURNITURE.formulation.to_dict(),
        "constraints": [
            *FURNITURE.formulation.to_dict()["constraints"],
            {"name": "table_minimum", "expression": "make['table'] >= 45"},
        ],
    }
)
CODE = (
    "## Variables:\nx, y\n```python\nfrom pyomo.environ import *\nm = ConcreteModel()\n"
    "m.x = Var(within=NonNegativeIntegers)\nm.y = Var(within=NonNegativeIntegers)\n"
    "m.o = Objective(expr=30*m.x + 50*m.y, sense=maximize)\nm.c1 = Constraint(expr=2*m.x + 3*m.y <= 120)\n"
    "m.c2 = Constraint(expr=m.x + 2*m.y <= 70)\nm.c3 = Constraint(expr=m.y <= 30)\n"
    "SolverFactory('glpk').solve(m)\nprint(value(m.o))\n```\n"
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [*ENV_VARS.values(), CONFIG_ENV_VAR]:
        monkeypatch.delenv(var, raising=False)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    _cli_solve.register(app)
    return app


def _replay(tmp_path: Path, records: dict[str, list[str]]) -> Path:
    path = tmp_path / "replay.jsonl"
    path.write_text(
        "".join(json.dumps({"id": k, "responses": v}) + "\n" for k, v in records.items())
    )
    return path


def _problem(tmp_path: Path, name: str = "furniture") -> Path:
    path = tmp_path / f"{name}.txt"
    path.write_text(FURNITURE.text)
    return path


def invoke(*args: str) -> object:
    return CliRunner().invoke(_app(), ["solve", *args], env={"COLUMNS": "160"})


def test_solve_is_registered_with_the_project_cli() -> None:
    from optiscribe.app.cli import app

    assert "solve" in [c.name for c in app.registered_commands]


def test_json_output_has_everything_and_exit_0(tmp_path: Path) -> None:
    replay = _replay(tmp_path, {"furniture": [GOOD]})
    res = invoke(
        str(_problem(tmp_path)), "--backend", "replay", "--replay-file", str(replay), "--json"
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["status"] == "optimal" and data["objective"] == pytest.approx(1900.0)
    assert data["problem_id"] == "furniture"  # the file's stem
    assert data["formulation"]["variables"][0]["name"] == "make"
    assert data["values"]["make[chair]"] == pytest.approx(30.0)
    assert data["rounds"] == 1 and data["agreement"] == "1/1" and data["confidence"] == 1.0
    assert data["prompt_version"] == "ir_v1" and data["backend"] == "replay"


def test_human_output_shows_elements_solution_status_and_attempts(tmp_path: Path) -> None:
    replay = _replay(tmp_path, {"p1": ["not json", GOOD]})
    res = invoke(
        FURNITURE.text, "--problem-id", "p1", "--backend", "replay", "--replay-file", str(replay)
    )
    assert res.exit_code == 0, res.output
    out = res.stdout
    for needle in (
        "Sets",
        "Parameters",
        "Variables",
        "Objective",
        "Constraints",  # the five elements
        "make[chair]",
        "make[table]",
        "Status: optimal",
        "Objective: 1900",
        "Agreement: 1/1",
        "Attempts",
        "json",
        "accepted",
    ):
        assert needle in out, needle


def test_infeasible_after_all_rounds_exits_1(tmp_path: Path) -> None:
    replay = _replay(tmp_path, {"furniture": [INFEASIBLE, INFEASIBLE]})
    res = invoke(
        str(_problem(tmp_path)),
        "--backend",
        "replay",
        "--replay-file",
        str(replay),
        "--max-rounds",
        "2",
        "--json",
    )
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    assert data["status"] == "infeasible" and data["rounds"] == 2
    assert "table_minimum" in data["attempts"][0]["feedback"]


def test_time_limit_exits_2(tmp_path: Path) -> None:
    # a real HiGHS time limit: reported to the model once, then accepted as undecided
    replay = _replay(tmp_path, {"furniture": [GOOD, GOOD]})
    res = invoke(
        str(_problem(tmp_path)),
        "--backend",
        "replay",
        "--replay-file",
        str(replay),
        "--time-limit",
        "1e-9",
        "--json",
    )
    assert res.exit_code == 2, res.output
    data = json.loads(res.stdout)
    assert data["status"] == "time_limit" and data["objective"] is None
    assert [a["error_kind"] for a in data["attempts"]] == ["time_limit", None]
    assert any("time limit" in w for w in data["warnings"])


def test_no_backend_configured_exits_3_and_says_how_to_configure_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_builtin_model(monkeypatch, tmp_path / "cache")  # the default backend cannot load
    res = invoke(str(_problem(tmp_path)))
    assert res.exit_code == 3
    assert "Backends:" in res.stderr and "--backend replay --replay-file" in res.stderr
    assert "--backend openai" in res.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--mode", "sql"], "--mode 'sql' is not a mode"),
        (["--problem-id", "nope"], "'nope' is not in replay file"),
    ],
)
def test_bad_input_exits_3(tmp_path: Path, args: list[str], needle: str) -> None:
    replay = _replay(tmp_path, {"furniture": [GOOD]})
    res = invoke(
        str(_problem(tmp_path)), "--backend", "replay", "--replay-file", str(replay), *args
    )
    assert res.exit_code == 3, res.output
    assert needle in res.stderr


def test_empty_problem_file_exits_3(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    res = invoke(
        str(empty), "--backend", "replay", "--replay-file", str(_replay(tmp_path, {"x": [GOOD]}))
    )
    assert res.exit_code == 3 and "empty" in res.stderr


def test_missing_problem_file_exits_3(tmp_path: Path) -> None:
    res = invoke(
        str(tmp_path / "nope.txt"),
        "--backend",
        "replay",
        "--replay-file",
        str(_replay(tmp_path, {"x": [GOOD]})),
    )
    assert res.exit_code == 3 and "no such file" in res.stderr


def test_save_model_writes_ir_and_mps(tmp_path: Path) -> None:
    from optiscribe.formulate.ir.model import Formulation
    from optiscribe.solvers import solve_mps

    out = tmp_path / "saved"
    replay = _replay(tmp_path, {"furniture": [GOOD]})
    res = invoke(
        str(_problem(tmp_path)),
        "--backend",
        "replay",
        "--replay-file",
        str(replay),
        "--save-model",
        str(out),
        "--json",
    )
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [
        "formulation.json",
        "formulation.yaml",
        "model.mps",
    ]
    assert Formulation.from_file(out / "formulation.yaml") == FURNITURE.formulation
    assert solve_mps(out / "model.mps").objective == pytest.approx(1900.0)
    assert json.loads(res.stdout)["saved"][-1].endswith("model.mps")


def test_code_mode_and_samples(tmp_path: Path) -> None:
    out = tmp_path / "saved"
    replay = _replay(tmp_path, {"furniture": [CODE, CODE]})
    res = invoke(
        str(_problem(tmp_path)),
        "--backend",
        "replay",
        "--replay-file",
        str(replay),
        "--mode",
        "code",
        "--samples",
        "2",
        "--save-model",
        str(out),
        "--json",
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["mode"] == "code" and data["objective"] == pytest.approx(1900.0)
    assert data["agreement"] == "2/2" and data["code"].startswith("from pyomo.environ import *")
    assert sorted(p.name for p in out.iterdir()) == ["model.mps", "model.py"]


def test_a_jsonl_of_problems_is_pointed_to_batch_issue_12_item_6(tmp_path: Path) -> None:
    from optiscribe.app.cli import app

    problems = tmp_path / "problems.jsonl"
    problems.write_text('{"id": "a", "question": "q"}\n{"id": "b", "question": "q"}\n')
    r = CliRunner().invoke(
        app,
        ["solve", str(problems), "--backend", "replay", "--replay-file", str(problems)],
        terminal_width=200,
    )
    assert r.exit_code == 3 and "optiscribe batch" in r.output and "not in replay" not in r.output
