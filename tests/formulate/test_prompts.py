"""Prompt files, answer parsing (one error type, with the place) and the suspicious-result checks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import optiscribe.formulate as formulate
from optiscribe.formulate import checks
from optiscribe.formulate.errors import LLMOutputParseError
from optiscribe.formulate.examples import load_example
from optiscribe.formulate.ir.model import Formulation
from optiscribe.formulate.prompting import (
    FEW_SHOT_EXAMPLES,
    PROMPT_VERSIONS,
    build_code_messages,
    build_ir_messages,
    extract_code,
    load_prompt,
    parse_code_answer,
    parse_ir_answer,
)

FURNITURE = load_example("furniture")
GOOD = json.dumps(FURNITURE.formulation.to_dict(), indent=2)


# ------------------------------------------------------------------------------ prompts


@pytest.mark.parametrize("mode", sorted(PROMPT_VERSIONS))
def test_prompt_files_have_the_sections_the_code_uses(mode: str) -> None:
    sections = load_prompt(PROMPT_VERSIONS[mode])
    assert {"system", "user", "feedback"} <= set(sections)
    assert "{text}" in sections["user"] and "{problem}" in sections["feedback"]


def test_ir_prompt_shows_bundled_examples_rendered_at_build_time() -> None:
    msgs = build_ir_messages("Make widgets for profit.")
    assert [m["role"] for m in msgs[:1]] == ["system"]
    assert msgs[-1]["role"] == "user" and "Make widgets for profit." in msgs[-1]["content"]
    shown = (
        [n for n in FEW_SHOT_EXAMPLES if any(load_example(n).text in m["content"] for m in msgs)]
        if "furniture" in FEW_SHOT_EXAMPLES
        else []
    )
    assert "furniture" in shown
    # each example answer is the example's own IR, and parses back to it
    answers = [m["content"] for m in msgs if m["role"] == "assistant"]
    assert parse_ir_answer(answers[0]) == FURNITURE.formulation
    assert "lower" not in answers[0] or '"lower": null' in answers[0]  # defaults are left out


def test_ir_prompt_can_be_built_without_examples() -> None:
    msgs = build_ir_messages("x", examples=())
    assert [m["role"] for m in msgs] == ["system", "user"]


def test_code_prompt_asks_for_llmopt_five_headings_and_pyomo() -> None:
    msgs = build_code_messages("Some problem.")
    user = msgs[-1]["content"]
    for heading in (
        "## Sets:",
        "## Parameters:",
        "## Variables:",
        "## Objective:",
        "## Constraints:",
    ):
        assert heading in user
    assert "from pyomo.environ import *" in user and "Some problem." in user


# ------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    "answer",
    [
        GOOD,
        f"Here is the model:\n```json\n{GOOD}\n```\nHope this helps.",
        f"Sure! The formulation follows.\n{GOOD}\nThat is all.",
        f"```\n{GOOD}\n```",
    ],
    ids=["bare", "json-fence-with-prose", "leading-prose", "plain-fence"],
)
def test_parse_accepts_json_in_its_usual_wrappings(answer: str) -> None:
    assert parse_ir_answer(answer) == FURNITURE.formulation


def test_bad_json_error_names_line_and_column_of_the_whole_answer() -> None:
    broken = GOOD.replace('"sets": [', '"sets" [', 1)
    answer = "Here you go:\n```json\n" + broken + "\n```"
    with pytest.raises(LLMOutputParseError) as info:
        parse_ir_answer(answer)
    exc = info.value
    expected_line = (
        answer.splitlines().index(next(ln for ln in answer.splitlines() if '"sets" [' in ln)) + 1
    )
    assert exc.line == expected_line  # type: ignore[attr-defined]
    assert exc.column == answer.splitlines()[expected_line - 1].index("[") + 1  # type: ignore[attr-defined]
    assert f"line {expected_line} column {exc.column}" in str(exc)  # type: ignore[attr-defined]
    assert "Expecting ':' delimiter" in str(exc)
    assert '"sets" [' in str(exc)  # the offending line is quoted


@pytest.mark.parametrize(
    ("answer", "kind", "fragment"),
    [
        ("I think you should make 30 chairs.", "json", "no JSON object"),
        ("[1, 2, 3]", "json", "no JSON object"),
        (GOOD[: len(GOOD) // 2], "json", "cut off"),
        ('{"variables": []}', "schema", "objective"),
        (
            '{"variables": [{"name": "x y"}], "objective": {"sense": "max", "expression": "x"}}',
            "schema",
            "identifier",
        ),
    ],
    ids=["prose", "list", "truncated", "missing-objective", "bad-name"],
)
def test_every_parse_failure_is_one_exception_type(answer: str, kind: str, fragment: str) -> None:
    with pytest.raises(LLMOutputParseError) as info:
        parse_ir_answer(answer)
    assert type(info.value) is LLMOutputParseError
    assert info.value.kind == kind  # type: ignore[attr-defined]
    assert fragment in str(info.value)


def test_schema_errors_carry_every_issue() -> None:
    data = FURNITURE.formulation.to_dict()
    data["variables"][0]["domain"] = "natural"
    data["objective"]["sense"] = "best"
    with pytest.raises(LLMOutputParseError) as info:
        parse_ir_answer(json.dumps(data))
    issues = info.value.issues  # type: ignore[attr-defined]
    assert any("variables.make (item 1).domain" in i for i in issues)
    assert any("objective.sense" in i for i in issues)


def test_code_answer_split_into_elements_and_code() -> None:
    answer = (
        "## Sets:\n- P = {chair, table}\n## Parameters:\n...\n## Variables:\nx\n## Objective:\nmax\n"
        "## Constraints:\n...\n\n```python\nfrom pyomo.environ import *\nprint(1)\n```\n"
    )
    parsed = parse_code_answer(answer)
    assert parsed.code == "from pyomo.environ import *\nprint(1)\n"
    assert parsed.elements.startswith("## Sets:") and "## Constraints:" in parsed.elements
    assert extract_code("import pyomo\nx = 1") == "import pyomo\nx = 1\n"
    with pytest.raises(LLMOutputParseError, match="no Python code"):
        parse_code_answer("The answer is 42.")


# ------------------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    ("text", "sense"),
    [
        ("How many should it make to maximise profit?", "maximize"),
        ("Find the plan that minimizes the total cost.", "minimize"),
        ("Produce as few units as possible while meeting demand.", "minimize"),
        (
            "Each item sells for $3. How should it plan production to get the most profit?",
            "maximize",
        ),
        ("At least 5 trucks are needed. What is the plan with the lowest cost?", "minimize"),
        (
            "A car brings a profit of $5. How many sedans and buses should it buy to decrease the number of vehicles?",
            "minimize",
        ),
        ("It wants to maximize revenue but minimize waste.", None),
        ("Each table needs at least 2 hours and at most 5. What should it do?", None),
    ],
)
def test_expected_sense(text: str, sense: str | None) -> None:
    got = checks.expected_sense(text)
    assert (got[0] if got else None) == sense


def test_sense_finding_names_both_senses_and_the_cue() -> None:
    f = checks.check_sense("How many should it make to maximise profit?", "minimize")
    assert (
        f is not None
        and "minimize" in f.message
        and '"maximize"' in f.message
        and "maximise" in f.message
    )
    assert checks.check_sense("How many should it make to maximise profit?", "maximize") is None


def _truck_model(domain: str) -> Formulation:
    return Formulation.from_dict(
        {
            "variables": [
                {"name": "trucks", "description": "number of trucks hired", "domain": domain},
                {"name": "fuel", "description": "litres of fuel bought"},
            ],
            "objective": {"sense": "minimize", "expression": "100 * trucks + fuel"},
            "constraints": [{"name": "carry", "expression": "8 * trucks >= 100"}],
        }
    )


def test_fractional_counts_flags_only_counting_variables_with_fractional_values() -> None:
    text = "Each truck carries 8 tonnes. What number of trucks carries 100 tonnes at least cost? Fuel is 1 $/litre."
    f = _truck_model("continuous")
    assert checks.counting_variables(text, f) == {"trucks": "truck"}
    finding = checks.check_fractional_counts(text, f, {"trucks": 12.5, "fuel": 3.25})
    assert finding is not None
    assert (
        "'trucks'" in finding.message
        and "12.5" in finding.message
        and '"integer"' in finding.message
    )
    assert "fuel" not in finding.message  # litres are divisible
    assert checks.check_fractional_counts(text, f, {"trucks": 13.0, "fuel": 3.25}) is None
    assert checks.counting_variables(text, _truck_model("integer")) == {}


def test_all_zero() -> None:
    assert checks.check_all_zero({"x": 0.0, "y": -0.0}) is not None
    assert checks.check_all_zero({"x": 0.0, "y": 1.0}) is None
    assert checks.check_all_zero({}) is None


# ---------------------------------------------------------------------- package surface


def test_formulate_all_is_sorted_and_every_name_resolves() -> None:
    assert formulate.__all__ == sorted(formulate.__all__)
    for name in formulate.__all__:
        assert getattr(formulate, name) is not None, name
    assert "solve_text" in formulate.__all__ and "PipelineResult" in formulate.__all__


def test_importing_formulate_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, optiscribe.formulate as f\n"
        "heavy = [m for m in ('pyomo', 'torch', 'openai', 'transformers', 'highspy') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
