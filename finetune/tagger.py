"""Training the extraction route's entity tagger (a CRF) on NL4Opt's NER annotations.

Trained on the competition's **train** split only and scored on its **dev** split (the test
split stays for evaluation, like the NL4Opt test problems). The features are those of
:func:`optiscribe.formulate.extract.tagger.token_features`, so training and inference cannot
drift apart. ``optiscribe finetune tagger --out optiscribe/data/model/tagger.crfsuite``
reproduces the shipped file (the CRF is deterministic for a fixed data order).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pycrfsuite

from optiscribe.data.benchmarks import benchmarks_dir
from optiscribe.data.errors import DataError
from optiscribe.formulate.extract.encoder import TaggerLike
from optiscribe.formulate.extract.tagger import (
    ENTITY_TYPES,
    Tagger,
    read_conll,
    spans,
    token_features,
)

__all__ = ["TaggerScore", "ner_file", "score_tagger", "train_tagger", "write_tagger_card"]

NER_DIR = "raw/training/nl4opt_competition/ner_data"


def ner_file(split: str, data_dir: str | Path | None = None) -> Path:
    """The NL4Opt NER file of ``split`` (``train`` or ``dev``; ``test`` is refused)."""
    if split not in ("train", "dev"):
        raise DataError(
            f"the tagger trains on 'train' and is scored on 'dev', not {split!r}: the NL4Opt "
            "test split is kept for evaluation"
        )
    path = benchmarks_dir(data_dir) / NER_DIR / split / f"{split}.txt"
    if not path.is_file():
        raise DataError(
            f"{path} is missing: the tagger needs the shared NL4Opt NER data (set "
            "OPTISCRIBE_SHARED_DATA to the shared data folder)"
        )
    return path


@dataclass(frozen=True)
class TaggerScore:
    """Exact-span precision/recall/F1 per entity type and overall (micro)."""

    documents: int
    per_type: dict[str, tuple[float, float, float]]
    micro_f1: float


def _prf(tp: int, pred: int, gold: int) -> tuple[float, float, float]:
    p = tp / pred if pred else 0.0
    r = tp / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score_tagger(tagger: TaggerLike, docs: Sequence[tuple[list[str], list[str]]]) -> TaggerScore:
    """Exact-match span scores of ``tagger`` on annotated documents."""
    counts = {t: [0, 0, 0] for t in ENTITY_TYPES}
    for words, tags in docs:
        gold = {(s.type, s.start, s.end) for s in spans(words, tags)}
        pred = {(s.type, s.start, s.end) for s in spans(words, tagger.tag_words(words))}
        for t in ENTITY_TYPES:
            g = {s for s in gold if s[0] == t}
            p = {s for s in pred if s[0] == t}
            counts[t][0] += len(g & p)
            counts[t][1] += len(p)
            counts[t][2] += len(g)
    per = {t: _prf(*c) for t, c in counts.items()}
    tot = [sum(c[i] for c in counts.values()) for i in range(3)]
    return TaggerScore(len(docs), per, _prf(tot[0], tot[1], tot[2])[2])


def train_tagger(
    out: str | Path,
    *,
    data_dir: str | Path | None = None,
    c1: float = 0.05,
    c2: float = 0.05,
    max_iterations: int = 200,
) -> tuple[Path, TaggerScore, float]:
    """Train on the train split, write the model to ``out``, score it on dev.

    Returns ``(path, dev score, seconds)``.
    """
    t0 = time.perf_counter()
    train = read_conll(ner_file("train", data_dir))
    dev = read_conll(ner_file("dev", data_dir))
    trainer = pycrfsuite.Trainer(verbose=False)
    for words, tags in train:
        trainer.append(token_features(words), tags)
    trainer.set_params(
        {
            "c1": c1,
            "c2": c2,
            "max_iterations": max_iterations,
            "feature.possible_transitions": True,
        }
    )
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(path))
    score = score_tagger(Tagger(path), dev)
    return path, score, time.perf_counter() - t0


def write_tagger_card(
    path: str | Path, score: TaggerScore, *, seconds: float, iterations: int, out: str | Path
) -> Path:
    """Write the tagger's model card: what it is, its data, its dev scores, how to reproduce."""
    rows = "\n".join(
        f"| {t} | {p:.3f} | {r:.3f} | {f:.3f} |" for t, (p, r, f) in score.per_type.items()
    )
    text = f"""# optiscribe extraction tagger

- What: a linear-chain CRF (python-crfsuite) marking NL4Opt's six entity types in BIO form,
  over the features of `optiscribe.formulate.extract.tagger.token_features`; the first stage
  of the built-in model's extraction route (see docs/model.md).
- Data: the NL4Opt competition's NER **train** split (713 problems); scored on its **dev**
  split ({score.documents} problems). The test split is never read (it is evaluation data).
- Training: L-BFGS, c1 0.05, c2 0.05, {iterations} iterations, {seconds:.0f} s on the
  project's 2-core machine. Deterministic for the same data.
- File: `{Path(out).name}`, {Path(out).stat().st_size / 1e6:.1f} MB.

## Dev scores (exact spans)

Micro F1 **{score.micro_f1:.3f}**.

| entity | precision | recall | F1 |
| --- | --- | --- | --- |
{rows}

## Reproduce

```
optiscribe finetune tagger --out data/model/tagger.crfsuite --card data/model/TAGGER_CARD.md
```
"""
    p = Path(path)
    p.write_text(text, encoding="utf-8")
    return p
