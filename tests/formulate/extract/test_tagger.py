"""The extraction route's tokens, BIO spans and shipped CRF tagger."""

from __future__ import annotations

from pathlib import Path

import pytest

from optiscribe.formulate.errors import BackendUnavailable, InputError
from optiscribe.formulate.extract.tagger import (
    Span,
    Tagger,
    packaged_model_file,
    packaged_tagger_path,
    read_conll,
    spans,
    tokenize,
)


def test_tokens_keep_numbers_whole_and_split_symbols() -> None:
    words = [t.text for t in tokenize("It costs $1,200.50 (or 7.5%) per long-term unit.")]
    assert words == [
        "It", "costs", "$", "1,200.50", "(", "or", "7.5", "%", ")", "per", "long", "-",
        "term", "unit", ".",
    ]  # fmt: skip


def test_tokens_carry_their_character_offsets() -> None:
    text = "Make  chairs."
    for t in tokenize(text):
        assert text[t.start : t.end] == t.text


def test_bio_tags_become_spans_and_a_stray_inside_tag_starts_one() -> None:
    words = ["at", "least", "20", "acres", "of", "sweet", "corn"]
    tags = ["B-CONST_DIR", "I-CONST_DIR", "B-LIMIT", "O", "O", "I-VAR", "I-VAR"]
    assert spans(words, tags) == [
        Span("CONST_DIR", 0, 2, "at least"),
        Span("LIMIT", 2, 3, "20"),
        Span("VAR", 5, 7, "sweet corn"),
    ]


def test_conll_reader_names_the_bad_line(tmp_path: Path) -> None:
    good = tmp_path / "ok.txt"
    good.write_text("-DOCSTART-\t_\t_\tO\n\nMake\t_\t_\tO\nchairs\t_\t_\tB-VAR\n\nx\t_\t_\tO\n")
    assert read_conll(good) == [(["Make", "chairs"], ["O", "B-VAR"]), (["x"], ["O"])]
    bad = tmp_path / "bad.txt"
    bad.write_text("Make _ _ O\n")
    with pytest.raises(InputError, match=r"bad\.txt:1: expected"):
        read_conll(bad)


def test_shipped_model_files_are_found_by_name_and_missing_ones_are_none() -> None:
    tagger = packaged_model_file("tagger.crfsuite")
    assert tagger is not None and tagger == packaged_tagger_path()
    assert tagger.parent.name == "model" and tagger.stat().st_size > 0
    assert packaged_model_file("no-such-model.bin") is None
    assert packaged_model_file("adapter") is None  # a folder is not a model file


def test_the_shipped_tagger_marks_variables_numbers_and_directions() -> None:
    assert packaged_tagger_path() is not None
    tokens, tags = Tagger().tag(
        "A shop sells chairs and tables. Each chair needs 3 hours of work and each table "
        "needs 5 hours. At most 40 hours are available. Maximize profit."
    )
    found = {(s.type, s.text) for s in spans([t.text for t in tokens], tags)}
    assert ("VAR", "chairs") in found and ("VAR", "tables") in found
    assert ("PARAM", "3") in found and ("PARAM", "5") in found
    assert ("LIMIT", "40") in found
    assert ("OBJ_DIR", "Maximize") in found


def test_a_missing_tagger_file_is_an_unavailable_backend_with_the_next_step(
    tmp_path: Path,
) -> None:
    with pytest.raises(BackendUnavailable, match="optiscribe finetune tagger"):
        Tagger(tmp_path / "none.crfsuite")
