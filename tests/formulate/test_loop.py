"""The self-correction loop with a scripted backend: wrong first, right after feedback.

The solver is real (HiGHS); only the LLM is scripted.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from optiscribe.formulate.errors import CorrectionBudgetExceeded, LLMError
from optiscribe.formulate.examples import load_example
from optiscribe.formulate.llm.scripted import ScriptedBackend
from optiscribe.formulate.loop import ModeSpec, Problem, RunContext, build_feedback, run_loop
from optiscribe.formulate.modes import MODES
from optiscribe.formulate.pipeline import solve_text

FURNITURE = load_example("furniture")
TEXT = FURNITURE.text
IR = MODES["ir"]


def furniture(**changes: Any) -> dict[str, Any]:
    data = FURNITURE.formulation.to_dict()
    for key, value in changes.items():
        data[key] = value
    return data


def answer(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2)


GOOD = answer(furniture())
BAD_JSON = (
    "Here is my model:\n```json\n" + GOOD.replace('"variables": [', '"variables" [', 1) + "\n```"
)
UNKNOWN_NAME = GOOD.replace(
    "sum(profit[p] * make[p] for p in P)", "sum(proft[p] * make[p] for p in P)"
)
INFEASIBLE = answer(
    furniture(
        constraints=[
            *FURNITURE.formulation.to_dict()["constraints"],
            {
                "name": "table_minimum",
                "description": "contract",
                "expression": "make['table'] >= 45",
            },
        ]
    )
)
WRONG_SENSE = GOOD.replace('"sense": "maximize"', '"sense": "minimize"')


def loop(backend: ScriptedBackend, text: str = TEXT, **kw: Any) -> Any:
    return run_loop(text, IR, backend, RunContext(text=text, time_limit=30), **kw)


def test_wrong_answers_are_corrected_one_after_another() -> None:
    backend = ScriptedBackend([BAD_JSON, UNKNOWN_NAME, INFEASIBLE, WRONG_SENSE, GOOD])
    outcome = loop(backend, max_rounds=5)

    kinds = [a.error_kind for a in outcome.history]
    assert kinds == ["json", "validation", "infeasible", "sense", None]
    assert outcome.attempt.accepted and outcome.attempt.round == 5
    assert outcome.evaluation.solve.objective == pytest.approx(FURNITURE.optimum)
    assert outcome.evaluation.formulation == FURNITURE.formulation

    fb = [a.feedback for a in outcome.history]
    line = (
        BAD_JSON.splitlines().index(
            next(ln for ln in BAD_JSON.splitlines() if '"variables" [' in ln)
        )
        + 1
    )
    assert f"line {line} column" in fb[0] and "Expecting ':' delimiter" in fb[0]
    assert "'proft'" in fb[1] and "did you mean 'profit'" in fb[1]
    assert "table_minimum" in fb[2] and "cannot hold together" in fb[2]
    assert "maximize" in fb[3] and "minimize" in fb[3] and "sense" in fb[3]
    assert fb[4] is None

    # each request is the previous one + the bad answer + the feedback for it
    sent = backend.messages
    assert len(sent) == 5
    for prev, nxt, attempt in zip(sent, sent[1:], outcome.history):
        assert list(nxt[: len(prev)]) == list(prev)
        assert nxt[len(prev)] == {"role": "assistant", "content": attempt.output}
        assert (
            nxt[len(prev) + 1]["role"] == "user"
            and nxt[len(prev) + 1]["content"] == attempt.feedback
        )


def test_every_attempt_keeps_output_ir_problems_and_timings() -> None:
    outcome = loop(ScriptedBackend([UNKNOWN_NAME, GOOD]))
    first, second = outcome.history
    assert first.output == UNKNOWN_NAME and first.formulation is not None and first.solve is None
    assert first.problems[0].kind == "validation" and first.feedback
    assert {"llm_s", "parse_s", "validate_s", "total_s"} <= set(first.timings)
    assert {"compile_s", "solve_s", "checks_s"} <= set(second.timings)
    json.dumps([a.to_dict() for a in outcome.history])  # serialisable


def test_build_feedback_never_mutates_the_callers_messages() -> None:
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    before = copy.deepcopy(messages)
    new = build_feedback(
        messages, "bad", [Problem("json", "the JSON is invalid at line 1 column 2")]
    )
    assert messages == before
    assert new is not messages and all(a is not b for a, b in zip(new, messages))
    assert new[:2] == before and new[2] == {"role": "assistant", "content": "bad"}
    assert "line 1 column 2" in new[3]["content"]
    new[0]["content"] = "changed"
    assert messages[0]["content"] == "s"


def test_the_loop_leaves_the_mode_prompt_list_untouched() -> None:
    built: list[list[dict[str, str]]] = []

    def build(text: str) -> list[dict[str, str]]:
        msgs = IR.build_messages(text)
        built.append(msgs)
        return msgs

    spec = ModeSpec("ir", IR.prompt_version, build, IR.parse, IR.run, IR.response_format)
    run_loop(TEXT, spec, ScriptedBackend([BAD_JSON, GOOD]), RunContext(text=TEXT))
    assert built[0] == IR.build_messages(TEXT)


def test_budget_is_respected_and_exhaustion_reports_the_history() -> None:
    backend = ScriptedBackend([BAD_JSON, UNKNOWN_NAME, INFEASIBLE, GOOD])
    with pytest.raises(CorrectionBudgetExceeded) as info:
        loop(backend, max_rounds=3)
    exc = info.value
    assert len(backend.calls) == 3 and backend.remaining == 1
    assert exc.attempts == 3
    assert [a.error_kind for a in exc.history] == ["json", "validation", "infeasible"]  # type: ignore[attr-defined]
    assert exc.history[-1].feedback is None  # no correction is asked after the last round  # type: ignore[attr-defined]
    assert "3 round(s)" in str(exc) and "json, validation, infeasible" in str(exc)


def test_pipeline_reports_exhaustion_as_a_result_with_history() -> None:
    result = solve_text(TEXT, backend=ScriptedBackend([INFEASIBLE, INFEASIBLE]), max_rounds=2)
    assert result.status == "infeasible" and not result.ok
    assert len(result.attempts) == 2 and result.agreement == "0/1"
    assert result.solve is not None and result.solve.conflict


def test_backend_failure_during_correction_ends_the_loop_with_history() -> None:
    with pytest.raises(CorrectionBudgetExceeded, match="failed on correction round 2") as info:
        loop(ScriptedBackend([BAD_JSON]), max_rounds=4)
    assert isinstance(info.value.__cause__, LLMError)
    assert len(info.value.history) == 1  # type: ignore[attr-defined]


def test_backend_failure_on_the_first_round_propagates() -> None:
    with pytest.raises(LLMError):
        loop(ScriptedBackend([]))


def test_unbounded_feedback_names_the_direction() -> None:
    unbounded = answer(furniture(constraints=[FURNITURE.formulation.to_dict()["constraints"][1]]))
    outcome = loop(ScriptedBackend([unbounded, GOOD]))
    fb = outcome.history[0].feedback
    # a MILP's unbounded relaxation does not prove the MILP unbounded: HiGHS says "infeasible
    # or unbounded", and the feedback still names the improving direction
    assert outcome.history[0].error_kind == "infeasible_or_unbounded"
    assert "make[chair]" in fb and "without limit" in fb
    continuous = json.loads(unbounded)
    continuous["variables"][0]["domain"] = "continuous"
    outcome = loop(ScriptedBackend([answer(continuous), GOOD]))
    assert outcome.history[0].error_kind == "unbounded"
    assert "make[chair]" in outcome.history[0].feedback


TRUCKS = (
    "A mover hires trucks. Each truck carries 8 tonnes and costs $100 per day. At least 100 tonnes must be "
    "moved today. What number of trucks should be hired to minimize the cost?"
)


def trucks(domain: str) -> str:
    return answer(
        {
            "name": "trucks",
            "variables": [
                {"name": "hired", "description": "number of trucks hired", "domain": domain}
            ],
            "objective": {"sense": "minimize", "expression": "100 * hired"},
            "constraints": [{"name": "move_all", "expression": "8 * hired >= 100"}],
        }
    )


def test_fractional_counts_are_sent_back_and_the_integer_model_is_accepted() -> None:
    outcome = loop(ScriptedBackend([trucks("continuous"), trucks("integer")]), text=TRUCKS)
    first = outcome.history[0]
    assert first.error_kind == "fractional_count"
    assert (
        "'hired'" in first.feedback and "12.5" in first.feedback and '"integer"' in first.feedback
    )
    assert outcome.evaluation.solve.objective == pytest.approx(1300.0)
    assert outcome.warnings == ()


def test_a_soft_finding_is_reported_once_then_kept_as_a_warning() -> None:
    text = "A shop may run an optional advert costing $5 per slot. Minimize the total cost."
    idle = answer(
        {
            "variables": [{"name": "slots", "description": "advert slots bought"}],
            "objective": {"sense": "minimize", "expression": "5 * slots"},
        }
    )
    outcome = loop(ScriptedBackend([idle, idle]), text=text)
    assert [a.error_kind for a in outcome.history] == ["all_zero", None]
    assert "do nothing" in outcome.history[0].feedback
    assert len(outcome.warnings) == 1 and "every variable is 0" in outcome.warnings[0]


def test_hard_problems_block_every_time() -> None:
    backend = ScriptedBackend([INFEASIBLE, INFEASIBLE, GOOD])
    outcome = loop(backend)
    assert [a.error_kind for a in outcome.history] == ["infeasible", "infeasible", None]


def test_max_rounds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_rounds"):
        loop(ScriptedBackend([GOOD]), max_rounds=0)


def test_validation_feedback_lists_every_issue_with_its_place() -> None:
    data = furniture()
    data["constraints"][0]["expression"] = (
        "sum(hours[r, p] * make[p] * make[p] for p in P) <= available[r]"
    )
    data["constraints"][1]["expression"] = "make['desk'] <= max_tables"
    outcome = loop(ScriptedBackend([answer(data), GOOD]))
    fb = outcome.history[0].feedback
    assert "constraints[0] 'capacity'" in fb and "not a MILP" in fb  # the non-linear term
    assert (
        "constraints[1] 'table_demand'" in fb and "'desk' is not in set 'P'" in fb
    )  # the index error


def test_schema_feedback_names_the_fields() -> None:
    data = furniture()
    data["variables"][0]["domain"] = "natural"
    outcome = loop(ScriptedBackend([answer(data), GOOD]))
    assert outcome.history[0].error_kind == "schema"
    assert "variables.make (item 1).domain" in outcome.history[0].feedback  # named, not numbered
