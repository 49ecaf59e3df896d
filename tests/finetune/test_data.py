"""Training data: every target solves to its source's optimum, evaluation texts never enter,
the fix examples carry the feedback the system really gives, and a seed fixes everything."""

from __future__ import annotations

import math

import pytest

from optiscribe.data.benchmarks import load_benchmark, shared_data_dir
from optiscribe.finetune import data as ft
from optiscribe.formulate.examples import load_example
from optiscribe.formulate.ir.compact import from_compact
from optiscribe.solvers import solve

CFG = ft.DataConfig(seed=3, synth_nl4opt=10, synth_other=4, nl4opt_dev=False, examples=True)


def _optimum(compact: str) -> float | None:
    res = solve(from_compact(compact).to_pyomo(), solver="highs", time_limit=20, diagnose=False)
    return res.objective if res.is_optimal else None


@pytest.fixture(scope="module")
def built() -> tuple[list[ft.Source], list[dict]]:
    sources = ft.collect_sources(CFG)
    return sources, ft.build_examples(sources, CFG)


def test_every_five_element_target_solves_to_the_sources_optimum(built) -> None:
    _, rows = built
    five = [r for r in rows if r["task"] in ("q2f", "fix")]
    assert five
    for r in five:
        z = _optimum(r["completion"][0]["content"])
        assert z is not None and math.isclose(z, r["optimum"], rel_tol=1e-6, abs_tol=1e-6), r["id"]


def test_rows_are_deterministic_in_the_seed(built) -> None:
    _, rows = built
    again = ft.build_examples(ft.collect_sources(CFG), CFG)
    assert [r["id"] for r in again] == [r["id"] for r in rows]
    assert again == rows


def test_fix_rows_carry_real_feedback_and_a_different_attempt(built) -> None:
    _, rows = built
    fixes = [r for r in rows if r["task"] == "fix"]
    assert fixes
    for r in fixes:
        user = r["prompt"][1]["content"]
        attempt = user.split("Attempt:\n", 1)[1].split("\n\nFeedback:\n", 1)[0]
        feedback = user.split("\n\nFeedback:\n", 1)[1]
        assert feedback.strip() and attempt.strip() != r["completion"][0]["content"].strip()


def test_a_formulation_that_misses_the_optimum_is_rejected() -> None:
    ex = load_example("furniture")
    assert ft.verify(ex.formulation, ex.optimum) is not None
    assert ft.verify(ex.formulation, ex.optimum + 1) is None


def test_sources_whose_text_is_in_an_evaluation_set_are_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = load_example("furniture").text
    monkeypatch.setattr(ft, "_eval_texts", lambda data_dir: frozenset({ft._norm(text)}))
    cfg = ft.DataConfig(seed=0, synth_nl4opt=0, synth_other=0, nl4opt_dev=False, examples=True)
    ids = {s.id for s in ft.collect_sources(cfg)}
    assert "example/furniture" not in ids and "example/diet" in ids


def _shared() -> bool:
    try:
        return (shared_data_dir() / "benchmarks" / ft.DEV_FILE).is_file()
    except Exception:
        return False


@pytest.mark.skipif(not _shared(), reason="shared data (NL4Opt dev split) not found")
def test_nl4opt_gold_comes_from_the_dev_split_only_and_never_from_test_texts() -> None:
    dev = list(ft._nl4opt_dev(None))
    assert len(dev) > 50 and all(s.id.startswith("nl4opt_dev/") for s in dev)
    test_texts = {ft._norm(r.question) for r in load_benchmark("nl4opt")}
    assert not {ft._norm(s.text) for s in dev} & test_texts
