"""The compact line format: exact round trip to the IR, shorter than JSON, clear read errors."""

from __future__ import annotations

import math

import pytest

from optiscribe.data.synth.generate import generate
from optiscribe.formulate.examples import example_names, load_example
from optiscribe.formulate.ir.compact import CompactReadError, from_compact, strip_text, to_compact
from optiscribe.formulate.ir.model import Formulation
from optiscribe.solvers import solve


def _optimum(f: Formulation) -> float | None:
    res = solve(f.to_pyomo(), solver="highs", time_limit=20, diagnose=False)
    return res.objective if res.is_optimal else None


@pytest.mark.parametrize("name", example_names())
def test_team_examples_round_trip_exactly_and_keep_the_optimum(name: str) -> None:
    ex = load_example(name)
    text = to_compact(ex.formulation)
    back = from_compact(text)
    assert back == strip_text(ex.formulation)
    assert to_compact(back) == text
    if ex.optimum is not None:
        assert math.isclose(_optimum(back), ex.optimum, rel_tol=1e-6, abs_tol=1e-6)


def test_synthetic_records_round_trip_to_the_same_optimum() -> None:
    records = [r for r in generate(None, n=240, seed=11) if r.answer is not None]
    assert len(records) >= 200
    compact_chars = json_chars = 0
    for r in records:
        f = r.formulation()
        text = to_compact(f)
        back = from_compact(text)
        assert back == strip_text(f), r.id
        z = _optimum(back)
        assert z is not None and math.isclose(z, r.answer, rel_tol=1e-6, abs_tol=1e-6), r.id
        compact_chars += len(text)
        json_chars += len(f.to_json(indent=None))
    assert compact_chars * 2 < json_chars  # at least twice as short as the IR's JSON


def test_short_forms_for_every_declaration_kind() -> None:
    text = (
        "set P = a, b\n"
        "set T = 1..3\n"
        "param cost[P] = a 2; b 3.5\n"
        "param cap[P] = a 10; b 12\n"
        "param dem[T] = [1, 2, 3] default 0\n"
        "var x[P] int ub=cap\n"
        "var y real lb=none ub=4\n"
        "var z[T] bin\n"
        "min: sum(cost[p] * x[p] for p in P) + y\n"
        "con link for t in T if t > 1: z[t] <= z[t - 1]\n"
        "con total: sum(x[p] for p in P) >= 2\n"
        "end\n"
        "anything after end is ignored\n"
    )
    f = from_compact(text)
    assert [s.members for s in f.sets] == [("a", "b"), (1, 2, 3)]
    assert f.parameters[0].values == {"a": 2, "b": 3.5}
    assert f.parameters[2].default == 0
    assert f.variables[0].domain == "integer" and f.variables[0].upper == "cap"
    assert f.variables[1].lower is None and f.variables[1].upper == 4
    assert f.constraints[0].for_each == "t in T" and f.constraints[0].condition == "t > 1"
    assert f.objective.sense == "minimize"
    f.validate_model()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("var x int\nmax: x\nwhat is this\nend\n", "line 3"),
        ("var x int\ncon c: x <= 4\nend\n", "no objective"),
        ("var x int\nmax: x\nmin: x\nend\n", "second objective"),
        ("set S =\nvar x\nmax: x\nend\n", "empty set element"),
        ("param p[S] = a b\nvar x\nmax: x\nend\n", "table row"),
        ("var x real lb=foo-bar\nmax: x\nend\n", "bound"),
        ("var x whole\nmax: x\nend\n", "unknown word"),
        ("var x\nmax: x\ncon c x <= 3\nend\n", "line 3"),
    ],
)
def test_read_errors_name_the_line_and_the_problem(text: str, needle: str) -> None:
    with pytest.raises(CompactReadError, match=needle):
        from_compact(text)


def test_cut_off_text_says_so() -> None:
    with pytest.raises(CompactReadError, match="cut off"):
        from_compact("var x int\ncon c: x <= 3\n")
