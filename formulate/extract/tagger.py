"""Tokens and entity tags of a problem text: the first stage of the extraction route.

The tagger marks the six entity types of the NL4Opt competition (``VAR``, ``PARAM``,
``LIMIT``, ``CONST_DIR``, ``OBJ_DIR``, ``OBJ_NAME``) in BIO form. It is a linear-chain CRF
(python-crfsuite) over hand-written token features: a model of a few hundred kilobytes that
trains in a minute on a CPU (``optiscribe finetune tagger``) and tags a problem in about a
millisecond, so the extraction route needs no torch. Tokens follow the competition's
tokenisation closely enough (``$``, ``%``, ``-`` and punctuation are tokens of their own;
``10,000`` and ``7.5`` stay whole) that its annotations train the tagger directly.
"""

from __future__ import annotations

import importlib.resources
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pycrfsuite

from optiscribe.formulate.errors import BackendUnavailable, InputError
from optiscribe.formulate.extract.declarations import NUMBER_WORDS

__all__ = [
    "ENTITY_TYPES",
    "Span",
    "Tagger",
    "Token",
    "packaged_model_file",
    "packaged_tagger_path",
    "read_conll",
    "spans",
    "token_features",
    "tokenize",
]

ENTITY_TYPES = ("VAR", "PARAM", "LIMIT", "CONST_DIR", "OBJ_DIR", "OBJ_NAME")
MODEL_PACKAGE = "optiscribe.data.model"
TAGGER_FILE = "tagger.crfsuite"

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|\.\d+|[A-Za-z]+(?:'[a-z]+)?|\S")
_NUMERIC = re.compile(r"^(\d+(?:[.,]\d+)*|\.\d+)$")
_EXTRA_NUMBER_WORDS = frozenset(
    {"twice", "double", "thrice", "triple", "half", "third", "quarter", "fourth", "fifth"}
    | {"hundred", "thousand", "million", "dozen"}
)


@dataclass(frozen=True)
class Token:
    """One token and where it sits in the text (``start``/``end`` are character offsets)."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Span:
    """An entity: its type, the token range ``[start, end)`` and its text."""

    type: str
    start: int
    end: int
    text: str


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``: numbers (``10,000``, ``7.5``), words, and single symbols."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def is_number_token(word: str) -> bool:
    """Digits, or a word that states a number (``five``, ``twice``, ``third``)."""
    w = word.lower()
    return bool(_NUMERIC.match(w)) or w in NUMBER_WORDS or w in _EXTRA_NUMBER_WORDS


def _shape(word: str) -> str:
    s = re.sub("[A-Z]", "A", word)
    s = re.sub("[a-z]", "a", s)
    s = re.sub("[0-9]", "0", s)
    return re.sub(r"(.)\1+", r"\1\1", s)


def _singular(w: str) -> str:
    return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w


def token_features(words: Sequence[str]) -> list[list[str]]:
    """CRF features of every token of one document (a list of strings per token).

    Besides the word and its neighbours, each token knows how often its singular form occurs
    in the document (the decision variables are the nouns a problem keeps repeating) and
    whether it sits in the last sentence (the question names the objective).
    """
    lower = [w.lower() for w in words]
    sing = [_singular(w) for w in lower]
    counts = Counter(sing)
    last_stop = max((i for i, w in enumerate(words[:-1]) if w in ".?!"), default=-1)
    # distance to the last objective cue ("maximize the total *profit*"): objective names follow it
    obj_cue = [-1] * len(words)
    last = -100
    for i, w in enumerate(lower):
        obj_cue[i] = i - last
        if re.match(r"^(maxim|minim|optimi)", w) or w in (
            "most",
            "least",
            "best",
            "lowest",
            "highest",
        ):
            last = i
    feats: list[list[str]] = []
    n = len(words)
    for i, w in enumerate(words):
        lw = lower[i]
        f = [
            "bias",
            f"w={lw}",
            f"s={sing[i]}",
            f"suf3={lw[-3:]}",
            f"suf2={lw[-2:]}",
            f"shape={_shape(w)}",
            f"num={is_number_token(w)}",
            f"title={w[:1].isupper()}",
            f"count={min(counts[sing[i]], 4)}",
            f"last={i > last_stop}",
            f"first={i == 0 or words[i - 1] in '.?!'}",
            f"objcue={min(obj_cue[i], 8)}",
        ]
        for d in (-3, -2, -1, 1, 2, 3):
            j = i + d
            if 0 <= j < n:
                f.append(f"{d}:w={lower[j]}")
                if abs(d) == 1:
                    f.append(f"{d}:num={is_number_token(words[j])}")
                    f.append(f"{d}:shape={_shape(words[j])}")
            else:
                f.append(f"{d}:edge")
        if i > 0:
            f.append(f"bi-={lower[i - 1]}|{lw}")
        if i + 1 < n:
            f.append(f"bi+={lw}|{lower[i + 1]}")
        feats.append(f)
    return feats


def spans(words: Sequence[str], tags: Sequence[str]) -> list[Span]:
    """BIO tags as entity spans (an ``I-`` without its ``B-`` starts a span too)."""
    out: list[Span] = []
    cur: tuple[str, int] | None = None
    for i, tag in enumerate([*tags, "O"]):
        kind = tag[2:] if tag[:2] in ("B-", "I-") else None
        continues = cur is not None and tag.startswith("I-") and kind == cur[0]
        if cur is not None and not continues:
            out.append(Span(cur[0], cur[1], i, " ".join(words[cur[1] : i])))
            cur = None
        if kind is not None and not continues:
            cur = (kind, i)
    return out


def read_conll(path: str | Path) -> list[tuple[list[str], list[str]]]:
    """Documents of an NL4Opt NER file (``token _ _ tag`` lines, blank lines between
    documents): a list of ``(words, tags)``."""
    docs: list[tuple[list[str], list[str]]] = []
    words: list[str] = []
    tags: list[str] = []
    p = Path(path)
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split("\t")
        if not line.strip():
            if words:
                docs.append((words, tags))
            words, tags = [], []
            continue
        if parts[0] == "-DOCSTART-":
            continue
        if len(parts) != 4:
            raise InputError(f"{p}:{n}: expected 'token<TAB>_<TAB>_<TAB>tag', got {line!r}")
        words.append(parts[0])
        tags.append(parts[3])
    if words:
        docs.append((words, tags))
    return docs


def packaged_model_file(name: str) -> Path | None:
    """The file ``name`` shipped as package data in ``optiscribe.data.model`` (the
    trained taggers and the generative route's adapter), or ``None`` when this install
    lacks it: one finder for every shipped model file, so a missing one is reported the
    same way everywhere."""
    try:
        root = importlib.resources.files(MODEL_PACKAGE)
    except ModuleNotFoundError:
        return None
    path = Path(str(root)) / name
    return path if path.is_file() else None


def packaged_tagger_path() -> Path | None:
    """The tagger shipped as package data (``optiscribe.data.model/tagger.crfsuite``)."""
    return packaged_model_file(TAGGER_FILE)


class Tagger:
    """A trained CRF tagger (``path`` defaults to the shipped one)."""

    def __init__(self, path: str | Path | None = None) -> None:
        p = Path(path) if path is not None else packaged_tagger_path()
        if p is None or not p.is_file():
            raise BackendUnavailable(
                "the extraction route's tagger is missing (optiscribe/data/model/"
                f"{TAGGER_FILE}); reinstall optiscribe (pip install -e .) or train one with "
                "'optiscribe finetune tagger'"
            )
        self.path = p
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(p))

    def tag_words(self, words: Sequence[str]) -> list[str]:
        """BIO tags of ``words``."""
        if not words:
            return []
        return list(self._tagger.tag(token_features(words)))

    def tag(self, text: str) -> tuple[list[Token], list[str]]:
        """Tokens of ``text`` and their tags."""
        toks = tokenize(text)
        return toks, self.tag_words([t.text for t in toks])


def words_of(tokens: Iterable[Token]) -> list[str]:
    return [t.text for t in tokens]
