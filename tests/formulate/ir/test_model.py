"""Shape checks, serialisation round trips and the JSON Schema of the IR."""

from __future__ import annotations

import json
from typing import Any

import pytest

from optiscribe.formulate.errors import FormulationValidationError
from optiscribe.formulate.ir.model import Formulation, json_schema


def test_valid_model_round_trips_through_json_and_yaml(base: dict[str, Any]) -> None:
    f = Formulation.from_dict(base)
    assert Formulation.from_json(f.to_json()) == f
    assert Formulation.from_yaml(f.to_yaml()) == f
    # tuple elements survive as tuples
    arcs = next(s for s in f.sets if s.name == "ARCS")
    assert arcs.elements is not None and arcs.elements[0] == ("s", "a") and arcs.dimen == 2


def test_five_elements_are_in_llmopt_order() -> None:
    fields = [k for k in Formulation.model_fields if k not in ("name", "description")]
    assert fields == ["sets", "parameters", "variables", "objective", "constraints"]


def test_schema_describes_every_element() -> None:
    schema = json_schema()
    assert set(schema["properties"]) >= {
        "sets",
        "parameters",
        "variables",
        "objective",
        "constraints",
    }
    json.dumps(schema)  # serialisable for structured-output requests
    for name in ("SetDef", "Parameter", "Variable", "Objective", "Constraint"):
        assert "description" in schema["$defs"][name]["properties"]


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (
            lambda d: d["sets"].append({"name": "P2", "elements": ["a"], "first": 1, "last": 2}),
            "not both",
        ),
        (lambda d: d["sets"].append({"name": "E"}), "has no elements"),
        (
            lambda d: d["sets"].append({"name": "D", "elements": ["a", "a"]}),
            "lists element 'a' twice",
        ),
        (
            lambda d: d["sets"].append({"name": "M", "elements": ["a", ["b", "c"]]}),
            "mixes elements",
        ),
        (lambda d: d["variables"].append({"name": "2x"}), "not an identifier"),
        (lambda d: d["variables"].append({"name": "sum"}), "reserved"),
        (lambda d: d["variables"].append({"name": "P"}), "used by a set and a variable"),
        (lambda d: d["variables"][0].update(domain="real"), "variables.make (item 1).domain"),
        (lambda d: d.update(variables=[]), "no variables"),
        (lambda d: d["parameters"][0].update(values=True), "not true/false"),
    ],
)
def test_shape_errors_name_the_place(base: dict[str, Any], mutate: Any, fragment: str) -> None:
    mutate(base)
    with pytest.raises(FormulationValidationError) as err:
        Formulation.from_dict(base)
    assert fragment in str(err.value)
    assert err.value.issues


def test_sense_aliases_are_accepted(base: dict[str, Any]) -> None:
    base["objective"]["sense"] = "Max"
    assert Formulation.from_dict(base).objective.sense == "maximize"


def test_bad_json_and_yaml_give_located_errors() -> None:
    from optiscribe.formulate.errors import FormulationReadError

    with pytest.raises(FormulationReadError, match=r"not valid JSON: .* line 1 column"):
        Formulation.from_json('{"sets": [}')
    with pytest.raises(FormulationReadError, match="not valid YAML at line"):
        Formulation.from_yaml("sets: [\n  - a: b\n  c")


def test_from_file_rejects_unknown_suffix(tmp_path: Any) -> None:
    p = tmp_path / "m.txt"
    p.write_text("{}")
    from optiscribe.formulate.errors import FormulationReadError

    with pytest.raises(FormulationReadError, match="use .json, .yaml or .yml"):
        Formulation.from_file(p)
    with pytest.raises(FormulationReadError, match="cannot read"):
        Formulation.from_file(tmp_path / "missing.yaml")


def test_pyomo_reserved_names_cover_the_installed_pyomo() -> None:
    import pyomo.environ as pyo

    from optiscribe.formulate.ir.model import PYOMO_RESERVED

    attrs = {n for n in dir(pyo.ConcreteModel()) if not n.startswith("_")}
    assert attrs - PYOMO_RESERVED == set()


def test_pyomo_attribute_names_are_refused_with_a_suggestion(base: dict[str, Any]) -> None:
    base["variables"].append({"name": "load"})
    with pytest.raises(
        FormulationValidationError, match="'load' is reserved by the model compiler; .*'load_v'"
    ):
        Formulation.from_dict(base)
