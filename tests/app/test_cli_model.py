"""``solve-model``, ``export`` and ``validate``: output, files and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import highspy
import yaml
from typer.testing import CliRunner

from optiscribe.app.cli import app
from optiscribe.formulate.examples import load_example

runner = CliRunner()


def write_model(tmp_path: Path, **changes: object) -> Path:
    d = load_example("furniture").formulation.to_dict()
    d.update(changes)
    p = tmp_path / "model.yaml"
    p.write_text(yaml.safe_dump(d))
    return p


def test_solve_model_example_human_output() -> None:
    r = runner.invoke(app, ["solve-model", "--example", "furniture"])
    assert r.exit_code == 0, r.output
    assert (
        "make[chair]" in r.output
        and "status: optimal / optimal" in r.output
        and "objective: 1900" in r.output
    )
    assert "## Sets" not in r.output and "Sets" in r.output  # rendered, not raw markdown


def test_solve_model_json(tmp_path: Path) -> None:
    r = runner.invoke(app, ["solve-model", str(write_model(tmp_path)), "--json"])
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert (
        out["ok"]
        and out["result"]["objective"] == 1900
        and out["result"]["termination"] == "optimal"
    )
    assert out["formulation"]["name"] == "furniture"


def test_solve_model_infeasible_exit_1(tmp_path: Path) -> None:
    cons = load_example("furniture").formulation.to_dict()["constraints"]
    cons.append({"name": "lots", "expression": "sum(make[p] for p in P) >= 1000"})
    r = runner.invoke(app, ["solve-model", str(write_model(tmp_path, constraints=cons)), "--json"])
    assert r.exit_code == 1
    res = json.loads(r.stdout)["result"]
    assert res["termination"] == "infeasible" and "lots" in res["conflict"]


def test_solve_model_bad_input_exit_3(tmp_path: Path) -> None:
    assert runner.invoke(app, ["solve-model", str(tmp_path / "missing.yaml")]).exit_code == 3
    assert runner.invoke(app, ["solve-model", "--example", "nosuch"]).exit_code == 3
    assert runner.invoke(app, ["solve-model"]).exit_code == 3
    bad = write_model(
        tmp_path, objective={"sense": "maximize", "expression": "sum(proft[p] for p in P)"}
    )
    r = runner.invoke(app, ["solve-model", str(bad), "--json"])
    assert r.exit_code == 3 and "did you mean 'profit'" in json.loads(r.stdout)["issues"][0]


def test_validate_exit_codes(tmp_path: Path) -> None:
    good = write_model(tmp_path)
    r = runner.invoke(app, ["validate", str(good), "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["variables"] == 2
    bad = write_model(
        tmp_path, constraints=[{"name": "c", "expression": "make['chair'] * make['table'] <= 3"}]
    )
    r = runner.invoke(app, ["validate", str(bad), "--json"])
    assert r.exit_code == 1 and "not a MILP" in json.loads(r.stdout)["issues"][0]
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert runner.invoke(app, ["validate", str(broken)]).exit_code == 3
    assert runner.invoke(app, ["validate", str(tmp_path / "none.yaml")]).exit_code == 3


def test_export_mps_keeps_names_and_latex(tmp_path: Path) -> None:
    out = tmp_path / "m.mps"
    tex = tmp_path / "m.tex"
    r = runner.invoke(
        app, ["export", "--example", "furniture", "--mps", str(out), "--latex", str(tex)]
    )
    assert r.exit_code == 0, r.output
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(out)) != highspy.HighsStatus.kError
    names = list(h.getLp().col_names_)
    assert any("make" in n and "chair" in n for n in names)
    assert r"\begin{align*}" in tex.read_text()


def test_export_needs_a_target() -> None:
    assert runner.invoke(app, ["export", "--example", "furniture"]).exit_code == 3


def test_human_output_keeps_bracketed_names(tmp_path: Path) -> None:
    """Model names like inv[t-1] and places like [at t=1] are text, not rich markup."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {
                "sets": [{"name": "T", "first": 1, "last": 2}],
                "variables": [{"name": "inv", "index": ["T"]}],
                "objective": {"sense": "min", "expression": "sum(inv[t] for t in T)"},
                "constraints": [
                    {"name": "bal", "for_each": "t in T", "expression": "inv[t] >= inv[t-1]"}
                ],
            }
        )
    )
    r = runner.invoke(app, ["validate", str(bad)])
    assert r.exit_code == 1
    assert "`inv[t-1]`" in r.output and "[at t=1]" in r.output

    cons = load_example("furniture").formulation.to_dict()["constraints"]
    cons.append({"name": "lots", "expression": "sum(make[p] for p in P) >= 1000"})
    r = runner.invoke(app, ["solve-model", str(write_model(tmp_path, constraints=cons))])
    assert r.exit_code == 1
    assert "bounds of make[chair]" in r.output.replace("\n", " ")


# ------------------------------------------------------------------ issue 12, items 3, 4, 8, 9, 12

EXAMPLES = Path(__file__).resolve().parents[2] / "formulate" / "examples"
UNBOUNDED = (
    "name: unb\nvariables:\n  - {name: x, domain: continuous}\n  - {name: y, domain: continuous}\n"
    "objective: {sense: maximize, expression: x + 2 * y}\n"
    "constraints:\n  - {name: c, expression: x - y <= 4}\n"
)


def test_a_bundled_example_file_is_accepted_by_path_item_3() -> None:
    path = EXAMPLES / "diet.yaml"
    text = load_example("diet").text
    r = runner.invoke(app, ["solve-model", str(path), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["formulation"]["name"] == "diet" and out["text"] == text
    assert abs(out["result"]["objective"] - load_example("diet").optimum) < 1e-6
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0
    r = runner.invoke(app, ["solve-model", "--example", "diet"], terminal_width=200)
    assert r.exit_code == 0 and "Problem" in r.output and "hospital kitchen" in r.output


def test_binary_variables_show_bounds_0_to_1_item_4(tmp_path: Path) -> None:
    md = tmp_path / "k.md"
    assert (
        runner.invoke(app, ["export", "--example", "knapsack", "--markdown", str(md)]).exit_code
        == 0
    )
    row = next(line for line in md.read_text().splitlines() if "| binary |" in line)
    assert "[0, 1]" in row and "inf" not in row
    r = runner.invoke(app, ["solve-model", "--example", "knapsack"], terminal_width=200)
    assert "[0, +inf]" not in r.output.split("Objective")[0].split("binary")[-1]


def test_export_lp_prints_no_pyomo_warning_and_never_makes_folders_item_8(tmp_path: Path) -> None:
    lp = tmp_path / "m.lp"
    r = runner.invoke(app, ["export", "--example", "furniture", "--lp", str(lp)])
    assert r.exit_code == 0 and "WARNING" not in r.output and lp.read_text().strip()
    deep = tmp_path / "no" / "such" / "x.mps"
    r = runner.invoke(app, ["export", "--example", "furniture", "--mps", str(deep)])
    assert r.exit_code == 3 and "does not exist" in r.output
    assert not (tmp_path / "no").exists()


def test_an_unbounded_model_shows_no_solution_and_no_objective_item_9(tmp_path: Path) -> None:
    p = tmp_path / "unb.yaml"
    p.write_text(UNBOUNDED)
    r = runner.invoke(app, ["solve-model", str(p)], terminal_width=200)
    assert r.exit_code == 1, r.output
    assert "unbounded" in r.output and "Solution" not in r.output
    assert "objective: -" in r.output


def test_read_errors_name_the_file_and_the_variable_item_12(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: x\nvariables: [a\n  b: c\n")
    r = runner.invoke(app, ["validate", str(bad)], terminal_width=200)
    assert r.exit_code == 3 and "<unicode string>" not in r.output
    assert "broken.yaml: the formulation is not valid YAML at line 3" in r.output
    dom = tmp_path / "dom.yaml"
    dom.write_text(
        "name: x\nvariables:\n  - {name: make, domain: integer}\n  - {name: ship, domain: whole}\n"
        "objective: {sense: maximize, expression: make + ship}\nconstraints: []\n"
    )
    r = runner.invoke(app, ["validate", str(dom)], terminal_width=200)
    assert r.exit_code in (1, 3) and "variables.ship (item 2).domain" in r.output
