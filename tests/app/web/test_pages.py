"""Each page's logic through Streamlit's AppTest (no browser): widgets by key, real library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("streamlit", reason="the web app needs the app extra: pip install -e '.[app]'")

from optiscribe.formulate import ScriptedBackend
from optiscribe.formulate.examples import load_example
from optiscribe.formulate.ir.model import Formulation
from tests._support import hide_builtin_model
from tests.app.web._helpers import finish

pytestmark = pytest.mark.app


def _texts(at: Any) -> str:
    parts = (
        [m.value for m in at.markdown] + [e.value for e in at.error] + [e.value for e in at.success]
    )
    parts += (
        [e.value for e in at.warning] + [e.value for e in at.info] + [c.value for c in at.caption]
    )
    return "\n".join(str(p) for p in parts)


def _infeasible_furniture() -> Formulation:
    data = load_example("furniture").formulation.to_dict()
    data["constraints"].append(
        {
            "name": "min_tables",
            "description": "tables promised to a client",
            "expression": "make['table'] >= 45",
        }
    )
    return Formulation.from_dict(data)


# ------------------------------------------------------------------------------ formulate


def test_formulate_shows_each_attempt_with_feedback_then_the_objective(page: Any) -> None:
    ex = load_example("furniture")
    backend = ScriptedBackend(["this is not JSON", ex.formulation.to_json()])
    at = page("formulate", scripted_backend=backend)
    at.text_area(key="problem_text").input(ex.text).run()
    at.button(key="formulate_run").click().run()
    at = finish(at, "formulate")
    assert not at.exception
    text = _texts(at)
    assert [e.label for e in at.expander][:2] == [
        "sample 1, round 1: rejected (json)",
        "sample 1, round 2: accepted",
    ]
    # the feedback that was sent back to the model is shown with the failed attempt
    assert any("JSON" in c.value for c in at.code)
    assert [m.value for m in at.metric][:2] == ["optimal", "1900"]
    assert "now the current model" in text
    assert at.session_state["model"] == ex.formulation


def test_formulate_with_samples_shows_consensus_and_confidence(page: Any) -> None:
    ex = load_example("furniture")
    backend = ScriptedBackend([ex.formulation.to_json()] * 3)
    at = page("formulate", scripted_backend=backend)
    at.text_area(key="problem_text").input(ex.text).run()
    at.number_input(key="samples").set_value(3).run()
    at.button(key="formulate_run").click().run()
    at = finish(at, "formulate")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Confidence"] == "100%"
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 3


def test_builtin_backend_shows_the_librarys_message(
    page: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hide_builtin_model(monkeypatch, tmp_path / "cache")  # as on a machine without the wheel
    at = page("formulate")
    at.text_area(key="problem_text").input("A bakery makes bread and cake ...").run()
    at.button(key="formulate_run").click().run()
    (err,) = at.error
    assert "finetune tagger" in err.value and "pip install" in err.value
    assert "--backend openai" in err.value  # how to configure another one


def test_empty_text_is_refused_with_next_step(page: Any) -> None:
    at = page("formulate", scripted_backend=ScriptedBackend([]))
    at.button(key="formulate_run").click().run()
    assert "problem text is empty" in at.error[0].value


def test_openai_form_asks_for_the_key_variable_never_the_key(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = page("formulate")
    at.selectbox(key="formulate_backend").set_value("openai").run()
    assert "Environment variable with the API key" in [t.label for t in at.text_input]
    at.text_input(key="formulate_api_key_env").input("sk-not-a-name!").run()
    at.text_input(key="formulate_base_url").input("http://127.0.0.1:9/v1").run()
    at.text_input(key="formulate_model").input("m").run()
    at.text_area(key="problem_text").input("A bakery ...").run()
    at.button(key="formulate_run").click().run()
    assert "not an environment-variable name" in at.error[0].value


def test_a_failing_endpoint_is_a_clear_message_and_the_key_is_never_shown(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-test-secret-4242"
    monkeypatch.setenv("WEBAPP_TEST_KEY", secret)
    at = page("formulate")
    at.selectbox(key="formulate_backend").set_value("openai").run()
    at.text_input(key="formulate_api_key_env").input("WEBAPP_TEST_KEY").run()
    at.text_input(key="formulate_base_url").input("http://127.0.0.1:9/v1").run()  # closed port
    at.text_input(key="formulate_model").input("m").run()
    at.text_area(key="problem_text").input("A bakery ...").run()
    at.button(key="formulate_run").click().run()
    at = finish(at, "formulate", timeout=120)
    assert at.session_state["jobs"]["formulate"].state == "failed"
    shown = _texts(at)
    assert "127.0.0.1:9" in shown or "connect" in shown.lower()
    assert secret not in shown
    assert secret not in repr(at.session_state)
    assert secret not in (at.session_state["jobs"]["formulate"].error or "")


def test_replay_backend_runs_from_an_uploaded_file(page: Any, tmp_path: Path) -> None:
    # AppTest cannot upload files; the browser test covers the upload. Here: the same
    # config path through the library, run by the page with a replay backend object.
    from optiscribe.formulate import BackendConfig, make_backend

    ex = load_example("furniture")
    replay = tmp_path / "r.jsonl"
    replay.write_text(json.dumps({"id": "furniture", "response": ex.formulation.to_json()}) + "\n")
    backend = make_backend(BackendConfig(backend="replay", replay_file=replay))
    at = page("formulate", scripted_backend=backend)
    at.text_area(key="problem_text").input(ex.text).run()
    at.text_input(key="problem_id").input("furniture").run()
    at.button(key="formulate_run").click().run()
    at = finish(at, "formulate")
    assert [m.value for m in at.metric][:2] == ["optimal", "1900"]


# ---------------------------------------------------------------------------------- model


def test_model_page_loads_an_example_and_renders_latex(page: Any) -> None:
    at = page("model")
    assert "No model yet" in _texts(at)
    at.selectbox(key="model_example").set_value("furniture").run()
    at.button(key="model_load_example").click().run()
    assert not at.exception
    md = _texts(at)
    assert r"\sum_{p \in P}" in md and "capacity" in md
    assert at.session_state["model"].name == "furniture"


def test_editing_an_expression_shows_the_located_error_with_did_you_mean(page: Any) -> None:
    f = load_example("furniture").formulation
    at = page("model", model=f, model_version=1)
    at.text_input(key="m1_con_0_expr").input(
        "sum(hour[r, p] * make[p] for p in P) <= available[r]"
    ).run()
    errors = [e.value for e in at.error]
    assert any(
        "constraints[0] 'capacity'.expression" in e and "did you mean 'hours'" in e for e in errors
    )
    assert any("last valid model stays current" in e for e in errors)
    assert at.session_state["model"] == f  # the invalid draft did not replace the model


def test_editing_a_parameter_cell_changes_the_model(page: Any) -> None:
    f = load_example("furniture").formulation
    at = page("model", model=f, model_version=1)
    # profit table: rows chair, table; set the table's profit to 80
    at.session_state["m1_par_0_own"] = {
        "edited_rows": {1: {"value": 80.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    from optiscribe.formulate.ir.edit import parameter_entries

    assert parameter_entries(at.session_state["model"], "profit") == [
        (("chair",), 30.0),
        (("table",), 80.0),
    ]


def test_bounds_and_sets_as_fields(page: Any) -> None:
    f = load_example("furniture").formulation
    at = page("model", model=f, model_version=1)
    at.text_input(key="m1_var_0_upper").input("25").run()
    at.text_input(key="m1_set_0").input("[chair, table, stool]").run()
    errors = " ".join(e.value for e in at.error)
    # profit has no entry for the new element: located under the parameter
    assert "stool" in errors
    at.text_input(key="m1_set_0").input("[chair, table]").run()
    assert at.session_state["model"].variables[0].upper == 25


def test_downloads_every_format(page: Any) -> None:
    at = page("model", model=load_example("furniture").formulation, model_version=1)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["YAML", "JSON", "MPS", "LP", "LaTeX", "Markdown", "Pyomo script"]


# ---------------------------------------------------------------------------------- solve


def test_solve_lp_shows_values_chart_and_sensitivity_in_model_names(page: Any) -> None:
    at = page("solve", model=load_example("farm_acres").formulation)
    at.button(key="solve_run").click().run()
    at = finish(at, "solve")
    assert [m.value for m in at.metric][:2] == ["optimal", "29000"]
    text = _texts(at)
    assert (
        "One more unit of land (acres available), now 150, changes the objective by +86.6667"
        in text
    )
    assert "labour (labour days available) is not binding" in text


def test_solve_milp_tables_with_nonzeros_and_no_duals(page: Any) -> None:
    at = page("solve", model=load_example("furniture").formulation)
    at.button(key="solve_run").click().run()
    at = finish(at, "solve")
    assert [m.value for m in at.metric][:2] == ["optimal", "1900"]
    frame = at.dataframe[0].value
    assert list(frame.columns) == ["P", "value"] and dict(zip(frame["P"], frame["value"])) == {
        "chair": 30.0,
        "table": 20.0,
    }
    assert "Duals and ranging exist for LPs only" in _texts(at)


def test_solve_infeasible_shows_conflict_with_descriptions_and_repair(page: Any) -> None:
    at = page("solve", model=_infeasible_furniture())
    at.button(key="solve_run").click().run()
    at = finish(at, "solve")
    text = _texts(at)
    assert at.metric[0].value == "infeasible"
    assert "`min_tables` — tables promised to a client" in text
    assert "`table_demand` — table sales limit" in text
    assert "Relax by **15** in total" in text


def test_pages_without_a_model_say_what_to_do(page: Any) -> None:
    for name in ("solve", "whatif"):
        at = page(name)
        assert "No model yet" in at.info[0].value


# -------------------------------------------------------------------------------- what-if


def test_whatif_scenarios_side_by_side_and_export(page: Any) -> None:
    at = page("whatif", model=load_example("furniture").formulation, model_version=1)
    at.selectbox(key="whatif_param").set_value("available").run()
    at.text_input(key="whatif_name").input("more carpentry").run()
    at.session_state["whatif_table_1_available"] = {
        "edited_rows": {0: {"value": 150.0}}, "added_rows": [], "deleted_rows": []
    }  # fmt: skip
    at.run()
    at.button(key="whatif_run").click().run()
    at = finish(at, "whatif")
    assert not at.exception
    table = at.dataframe[-1].value.set_index("value of")
    assert list(table.columns) == ["base", "more carpentry"]
    assert table.loc["objective"].tolist() == [1900.0, 2100.0]
    assert table.loc["make[chair]"].tolist() == [30.0, 70.0]
    scenarios = at.session_state["whatif_scenarios"]
    assert scenarios[1]["changes"]["available"][0] == [["carpentry"], 150.0]
    assert [b.label for b in at.get("download_button")] == ["Scenarios (CSV)", "Scenarios (JSON)"]


# -------------------------------------------------------------------------------- compare


def test_compare_same_example_is_equivalent_with_mapping(page: Any) -> None:
    at = page("compare")
    at.button(key="cmp_run").click().run()
    at = finish(at, "compare")
    assert "EQUIVALENT" in at.success[0].value
    mapping = at.dataframe[0].value
    assert ("variable", "make[chair]", "make[chair]") in {
        tuple(r) for r in mapping.itertuples(index=False)
    }


def test_compare_with_current_model_gives_a_witness_in_both_names(page: Any) -> None:
    at = page("compare", model=_infeasible_furniture())
    at.radio(key="cmp_b_source").set_value("current model").run()
    at.button(key="cmp_run").click().run()
    at = finish(at, "compare")
    assert "NOT EQUIVALENT" in at.error[0].value
    assert "Witness" in _texts(at)


# ---------------------------------------------------------------------------------- batch


def test_batch_results_reader_and_scoring(tmp_path: Path) -> None:
    """The page's run function (through the library) on a replay backend, resumed once."""
    from optiscribe.app.web.page_batch import read_results
    from optiscribe.data.batch import RunSpec, run_batch
    from optiscribe.data.eval.score import score_batch
    from optiscribe.formulate import BackendConfig

    ex = load_example("furniture")
    inp = tmp_path / "in.jsonl"
    inp.write_text(
        "".join(
            json.dumps({"id": f"p{i}", "question": ex.text, "answer": 1900 if i else 1}) + "\n"
            for i in range(3)
        )
    )
    replay = tmp_path / "r.jsonl"
    replay.write_text(
        "".join(
            json.dumps({"id": f"p{i}", "response": ex.formulation.to_json()}) + "\n"
            for i in range(3)
        )
    )
    out = tmp_path / "out.jsonl"
    spec = RunSpec(backend_config=BackendConfig(backend="replay", replay_file=replay))
    run_batch(inp, out, spec, executor="thread", concurrency=1, limit=2, handle_signals=False)
    assert [r["id"] for r in read_results(out)] == ["p0", "p1"]
    stats = run_batch(inp, out, spec, executor="thread", concurrency=1, handle_signals=False)
    assert stats.already_done == 2 and stats.ran == 1
    rows = read_results(out)
    assert sorted(r["id"] for r in rows) == ["p0", "p1", "p2"] and {r["status"] for r in rows} == {
        "optimal"
    }
    s = score_batch(inp, out)
    assert (s.answered, s.correct) == (3, 2)  # p0's answer (1) is wrong on purpose


@pytest.mark.parametrize(
    ("example", "kind", "mark"),
    [
        ("max_flow", "graphviz_chart", '"reservoir" -> "P"'),
        ("transportation", "vega_lite_chart", "rect"),
    ],
)
def test_chart_fits_the_index_shape(page: Any, example: str, kind: str, mark: str) -> None:
    """Arcs get a flow diagram, a variable over two sets a heat map."""
    at = page("solve", model=load_example(example).formulation)
    at.button(key="solve_run").click().run()
    at = finish(at, "solve")
    specs = [e.proto.spec for e in at.get(kind)]
    if kind == "vega_lite_chart":  # the heat map's layers: coloured rectangles + the numbers
        specs = [
            " ".join(str(layer.get("mark")) for layer in json.loads(s).get("layer", []))
            for s in specs
        ]
    assert any(mark in s for s in specs), specs


def test_openai_endpoint_end_to_end_key_only_from_the_environment(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real HTTP endpoint on loopback: the key travels in the header, never to the page."""
    from tests._support.fake_openai import FakeOpenAIServer

    secret = "sk-webapp-e2e-777"
    monkeypatch.setenv("WEBAPP_E2E_KEY", secret)
    ex = load_example("furniture")
    with FakeOpenAIServer() as fake:
        fake.add(ex.formulation.to_json())
        at = page("formulate")
        at.selectbox(key="formulate_backend").set_value("openai").run()
        at.text_input(key="formulate_base_url").input(fake.base_url).run()
        at.text_input(key="formulate_model").input("fake-model").run()
        at.text_input(key="formulate_api_key_env").input("WEBAPP_E2E_KEY").run()
        at.text_area(key="problem_text").input(ex.text).run()
        at.button(key="formulate_run").click().run()
        at = finish(at, "formulate")
        assert fake.last.headers["authorization"] == f"Bearer {secret}"
        assert "chairs and tables" in json.dumps(fake.last.json["messages"])
    assert [m.value for m in at.metric][:2] == ["optimal", "1900"]
    assert secret not in _texts(at) and secret not in repr(at.session_state)
