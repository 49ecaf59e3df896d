"""Editing helpers: parameter tables round-trip, draft issues by element, exports, solutions."""

from __future__ import annotations

import pytest

from optiscribe.formulate.errors import FormulationValidationError
from optiscribe.formulate.examples import load_example
from optiscribe.formulate.ir.edit import (
    EXPORT_FORMATS,
    draft_issues,
    export_text,
    parameter_columns,
    parameter_entries,
    variable_tables,
    with_parameter_entries,
)
from optiscribe.solvers import solve


def test_two_index_table_round_trips_and_an_edit_changes_the_optimum() -> None:
    f = load_example("furniture").formulation
    assert parameter_columns(f, "hours") == ["R", "P", "value"]
    rows = parameter_entries(f, "hours")
    assert rows[0] == (("carpentry", "chair"), 2.0) and len(rows) == 4
    assert with_parameter_entries(f, "hours", rows).expand().num_rows == f.expand().num_rows
    same = with_parameter_entries(f, "hours", rows)
    assert solve(same.to_pyomo()).objective == solve(f.to_pyomo()).objective
    cheaper = [(k, 1.0 if k == ("carpentry", "table") else v) for k, v in rows]
    g = with_parameter_entries(f, "hours", cheaper)
    assert solve(g.to_pyomo()).objective > solve(f.to_pyomo()).objective


def test_arc_parameters_split_the_pair_into_columns() -> None:
    f = load_example("max_flow").formulation
    name = next(p.name for p in f.parameters if p.index == ["PIPES"])
    assert parameter_columns(f, name) == ["PIPES.1", "PIPES.2", "value"]
    rows = parameter_entries(f, name)
    assert all(len(k) == 2 for k, _ in rows)
    g = with_parameter_entries(f, name, rows)
    assert solve(g.to_pyomo()).objective == solve(f.to_pyomo()).objective


def test_scalar_and_bad_values_are_refused_with_the_row() -> None:
    f = load_example("furniture").formulation
    assert parameter_entries(f, "max_tables") == [((), 30.0)]
    assert with_parameter_entries(f, "max_tables", [((), 10)]).parameters[3].values == 10
    with pytest.raises(FormulationValidationError, match="row 2: 'lots' is not a number"):
        with_parameter_entries(f, "profit", [(("chair",), 1), (("table",), "lots")])
    with pytest.raises(FormulationValidationError, match="the parameters are profit, hours"):
        parameter_entries(f, "profits")


def test_draft_issues_are_grouped_under_their_element() -> None:
    data = load_example("furniture").formulation.to_dict()
    data["constraints"][1]["expression"] = "make['table'] <= max_table"
    data["variables"][0]["upper"] = "capp"
    f, issues = draft_issues(data)
    assert f is None
    where = {(e.section, e.index): e.messages for e in issues}
    assert "did you mean 'max_tables'" in where[("constraints", 1)][0]
    assert "'capp' is neither a number nor a parameter" in where[("variables", 0)][0]
    data["sets"][0]["name"] = "1P"
    _, issues = draft_issues(data)
    assert ("sets", 0) in {(e.section, e.index) for e in issues}
    ok, none = draft_issues(load_example("furniture").formulation.to_dict())
    assert ok is not None and none == []


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_every_export_format_keeps_the_models_names(fmt: str) -> None:
    text = export_text(load_example("furniture").formulation, fmt)
    assert "table" in text and ("capacity" in text or fmt in ("yaml", "json"))


def test_mps_export_solves_to_the_same_optimum(tmp_path: object) -> None:
    from pathlib import Path

    from optiscribe.solvers import solve_mps

    path = Path(str(tmp_path)) / "m.mps"
    path.write_text(export_text(load_example("furniture").formulation, "mps"))
    assert solve_mps(path).objective == pytest.approx(1900)


def test_variable_tables_give_each_value_its_index() -> None:
    f = load_example("transportation").formulation
    model = f.to_pyomo()
    r = solve(model)
    (table,) = [t for t in variable_tables(f, model, r.values) if len(t.index) == 2]
    assert table.index == ("PLANTS", "SITES") and not table.arcs
    assert sum(v for _, v in table.rows) == pytest.approx(
        sum(v for k, v in r.values.items() if k.startswith(f"{table.name}["))
    )
    flows = variable_tables(load_example("max_flow").formulation, *_solved("max_flow"))
    assert any(t.arcs and t.index == ("PIPES.1", "PIPES.2") for t in flows)


def _solved(name: str) -> tuple[object, dict[str, float]]:
    f = load_example(name).formulation
    m = f.to_pyomo()
    return m, dict(solve(m).values)
