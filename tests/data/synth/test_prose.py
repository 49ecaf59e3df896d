"""Generated texts read as written by a person: no wrong article, doubled word, two verbs
fighting over a clause, dangling clause or template leftover, over many seeds of every
family and difficulty (issue 12, item 13)."""

from __future__ import annotations

import random

import pytest

from optiscribe.data.synth.base import DIFFICULTIES, Ctx
from optiscribe.data.synth.families import SPECS, get_family
from optiscribe.data.synth.generate import render_text
from optiscribe.data.synth.prose import slips
from optiscribe.data.synth.text import Phraser

SEEDS = range(60)  # x 3 difficulties x 16 families: ~2,900 texts, a few seconds


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_generated_texts_have_none_of_the_common_slips(spec: object) -> None:
    found: list[str] = []
    for difficulty in DIFFICULTIES:
        for seed in SEEDS:
            rng, text_rng = random.Random(seed), random.Random(seed + 10_000)
            draft = spec.build(Ctx(rng, Phraser(text_rng), difficulty, None))  # type: ignore[attr-defined]
            text = render_text(draft, text_rng)
            found += [f"{difficulty} seed {seed}: {s}" for s in slips(text)]
    assert not found, "\n".join(found[:20])


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("The market takes at most 14 coats can be sold each week.", "two verbs"),
        ("The machine never stops a order once started.", "article"),
        ("It needs an table and a 8-hour shift.", "article"),
        ("one-to-one assignment at least total cost", "dangling"),
        ("Supplies are limited: at most.", "dangling"),
        ("Each the the batch needs flour.", "doubled"),
        ("Each {u} needs [flour|sugar].", "template leftover"),
        ("No driver takes at most one route.", "contradiction"),
    ],
)
def test_the_check_catches_the_slips_the_issue_quotes(text: str, kind: str) -> None:
    assert any(s.startswith(kind) for s in slips(text)), slips(text)


@pytest.mark.parametrize(
    "text",
    [
        "An hour of labour, a unit of flour, an 8-hour shift, an 11 kg box and a one-off fee.",
        "The inputs are ore B, pig iron and ore A. Job A takes an MBA graduate.",
        "| a | an |",  # table lines are not prose
    ],
)
def test_the_check_accepts_good_prose(text: str) -> None:
    assert slips(text) == []


def test_the_summaries_of_data_families_read_well() -> None:
    for spec in SPECS:
        assert slips(spec.summary) == [], spec.name
    assert "at the least total cost" in get_family("assignment").summary
