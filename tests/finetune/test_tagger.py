"""Training the extraction route's tagger on the shared NL4Opt NER data (train split only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from optiscribe.data.errors import DataError
from optiscribe.finetune.tagger import ner_file, train_tagger, write_tagger_card
from optiscribe.formulate.extract.tagger import Tagger
from tests._support import have_ner_data


def test_the_test_split_is_refused_for_training() -> None:
    with pytest.raises(DataError, match="kept for evaluation"):
        ner_file("test")


@pytest.mark.skipif(not have_ner_data(), reason="needs the shared NL4Opt NER data")
def test_a_short_training_run_writes_a_tagger_that_loads_and_scores_on_dev(tmp_path: Path) -> None:
    path, score, _ = train_tagger(tmp_path / "t.crfsuite", max_iterations=15)
    assert path.is_file()
    tokens, tags = Tagger(path).tag("Make chairs and tables to maximize profit.")
    assert len(tags) == len(tokens)
    assert score.documents == 99
    assert 0.3 < score.micro_f1 <= 1.0  # 15 iterations already learn most entities
    card = write_tagger_card(tmp_path / "CARD.md", score, seconds=1.0, iterations=15, out=path)
    text = card.read_text()
    assert f"Micro F1 **{score.micro_f1:.3f}**" in text and "finetune tagger --out" in text
