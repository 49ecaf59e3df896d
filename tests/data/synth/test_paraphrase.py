"""The optional LLM paraphrase step keeps a rewording only when its forward model solves to the answer."""

from __future__ import annotations

import copy
import json

import pytest

from optiscribe.data.errors import DataError
from optiscribe.data.synth.generate import generate_record
from optiscribe.data.synth.paraphrase import numbers_in, paraphrase
from optiscribe.formulate.llm.scripted import ScriptedBackend, ScriptedCall


def _wrong_ir(ir: dict) -> dict:
    bad = copy.deepcopy(ir)
    bad["objective"]["sense"] = (
        "minimize" if bad["objective"]["sense"] == "maximize" else "maximize"
    )
    return bad


def test_paraphrases_are_kept_only_when_the_forward_model_matches() -> None:
    rec = generate_record("production_planning", seed=4, difficulty="easy")
    good = "GOOD. " + rec.question.replace("\n\n", " ")
    drifted = "DRIFT. " + rec.question.replace("\n\n", " ")
    lossy = "LOSSY. The workshop makes things; how much profit?"

    def script(call: ScriptedCall) -> list[str]:
        system = call.messages[0]["content"]
        if system.startswith("You rewrite"):
            assert call.response_format and call.response_format["type"] == "json_schema"
            assert call.temperature == 0.9 and call.n == 4
            return [json.dumps({"text": good}), json.dumps({"text": drifted}), lossy, rec.question]
        text = call.messages[-1]["content"]
        assert call.response_format and call.response_format["json_schema"]["name"] == "Formulation"
        return [json.dumps(rec.ir if text.startswith("GOOD") else _wrong_ir(rec.ir))]

    llm = ScriptedBackend(script)
    report = paraphrase(rec, llm, n=4, temperature=0.9)
    assert [r.question for r in report.accepted] == [good]
    kept = report.accepted[0]
    assert (
        kept.id == f"{rec.id}~p1"
        and kept.answer == rec.answer
        and kept.meta["paraphrase_of"] == rec.id
    )
    assert len(report.rejected) == 3
    assert any("differs from the record's" in r or "forward model is" in r for r in report.rejected)
    assert any(r.startswith("numbers missing") for r in report.rejected)
    assert any("repeats the original" in r for r in report.rejected)
    assert report.n_candidates == 4
    # Two forward formulations were asked for: the lossy and the repeated texts never got that far.
    assert (
        sum(1 for c in llm.calls if c.messages[0]["content"].startswith("You are an operations"))
        == 2
    )


def test_a_custom_formulator_and_an_unparsable_model_are_handled() -> None:
    rec = generate_record("diet", seed=2, difficulty="easy")
    llm = ScriptedBackend([json.dumps({"text": "Reworded: " + rec.question})])

    def broken(text: str):  # type: ignore[no-untyped-def]
        raise ValueError("model said something that is not JSON")

    report = paraphrase(rec, llm, n=1, formulator=broken)
    assert not report.accepted and report.rejected[0].startswith(
        "forward formulation failed: model said"
    )


def test_paraphrase_needs_a_solved_record() -> None:
    rec = generate_record("diet", seed=2, difficulty="easy", status="infeasible")
    with pytest.raises(DataError, match="has no optimum"):
        paraphrase(rec, ScriptedBackend([]))


def test_numbers_in_reads_digits_and_words() -> None:
    assert numbers_in("We need $1,200 and 2.5 kg, a dozen eggs, three vans and 60%") >= {
        1200,
        2.5,
        12,
        3,
        60,
    }
