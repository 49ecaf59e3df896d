"""Checks for results that solve but look wrong, phrased as corrections for the model.

A model can be valid, feasible and optimal and still not be the problem's model. Three
symptoms are common enough in LLM formulations to check every time:

* **all zero** — every variable is 0: a requirement (demand, covering, "at least") is
  missing or has the wrong sign, so doing nothing is optimal;
* **fractional counts** — a continuous variable counts whole things the text names
  ("number of trucks", workers, items...) and the solution is fractional: the
  integrality the text implies was left out (LLMOPT's "implicit constraints");
* **objective sense** — the text says maximize (or profit/revenue) and the model
  minimizes, or the other way round.

These are heuristics on the text and the variable names/descriptions, so they are *soft*:
the loop reports each one to the model once, and if the model answers with a result that
shows the same symptom again, it is accepted and the finding stays on the result as a
warning (a problem whose optimum really is "do nothing" must not burn every round).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from optiscribe.formulate.ir.model import Formulation
from optiscribe.solvers.kinds import FailureKind

__all__ = [
    "COUNT_NOUNS",
    "Finding",
    "check_all_zero",
    "check_fractional_counts",
    "check_sense",
    "counting_variables",
    "expected_sense",
    "findings",
]

ZERO_TOL = 1e-9
INT_TOL = 1e-6


@dataclass(frozen=True)
class Finding:
    """One suspicious symptom, with the correction to ask for."""

    kind: FailureKind
    """``all_zero``, ``fractional_count`` or ``sense``."""
    message: str


# ------------------------------------------------------------------------------ sense

_MAX_CUES = re.compile(
    r"\bmaximi[sz]\w*|\bas (?:much|many|large|high|great)(?: \w+){0,3} as possible|\b(?:largest|highest|greatest) possible"
    r"|\bmost profitable",
    re.I,
)
_MIN_CUES = re.compile(
    r"\bminimi[sz]\w*|\bas (?:little|few|low|small|cheap|cheaply)(?: \w+){0,3} as possible|\b(?:lowest|smallest|least) possible"
    r"|\bcheapest\b|\bleast (?:expensive|costly)",
    re.I,
)
# Weaker evidence, used only in the question sentence and only when the verbs above do
# not decide: first words of direction, then what is measured.
_MAX_WORDS = re.compile(
    r"\b(?:increase|raise|boost|maximum|largest|greatest|highest|(?<!at )most)\b", re.I
)
_MIN_WORDS = re.compile(
    r"\b(?:decrease|reduce|lower|cut|minimum|smallest|lowest|fewest|(?<!at )least)\b", re.I
)
_MAX_NOUNS = re.compile(r"\b(?:profits?|revenues?|income|earnings|returns?)\b", re.I)
_MIN_NOUNS = re.compile(r"\b(?:costs?|expenses?|waste|time|distance|emissions?|pollution)\b", re.I)


def _question(text: str) -> str:
    sentences = [s for s in re.split(r"(?<=[.?!])\s+", text.strip()) if s]
    asked = [s for s in sentences if s.endswith("?")]
    return (asked or sentences or [""])[-1]


def expected_sense(text: str) -> tuple[str, str] | None:
    """``(sense, cue)`` that the text asks for, or ``None`` when it does not say clearly.

    Explicit verbs ("maximize", "as few as possible") decide when only one direction
    appears anywhere; otherwise the question sentence decides, first by words of
    direction ("decrease", "fewest", "most"; not "at least"/"at most"), then by what it
    measures (profit/revenue → maximize, cost/time/waste → minimize), each only when it
    points one way.
    """
    mx = _MAX_CUES.findall(text)
    mn = _MIN_CUES.findall(text)
    if mx and not mn:
        return "maximize", mx[0]
    if mn and not mx:
        return "minimize", mn[0]
    if mx and mn:
        return None
    q = _question(text)
    for max_re, min_re in ((_MAX_WORDS, _MIN_WORDS), (_MAX_NOUNS, _MIN_NOUNS)):
        nx = max_re.findall(q)
        nn = min_re.findall(q)
        if nx and not nn:
            return "maximize", nx[0]
        if nn and not nx:
            return "minimize", nn[0]
    return None


def check_sense(text: str, sense: str | None) -> Finding | None:
    """The model's objective sense disagrees with the one the text asks for."""
    want = expected_sense(text)
    if want is None or sense is None or sense == want[0]:
        return None
    return Finding(
        FailureKind.SENSE,
        f"the objective is set to {sense} but the problem text asks to {want[0]} (it says "
        f'{want[1]!r}); change the objective\'s sense to "{want[0]}" (and check that the '
        "objective expression measures what the text wants to "
        f"{'increase' if want[0] == 'maximize' else 'decrease'})",
    )


# --------------------------------------------------------------------------- all zero


def check_all_zero(values: Mapping[str, float]) -> Finding | None:
    """Every variable of the solution is 0."""
    if not values or any(abs(v) > ZERO_TOL for v in values.values()):
        return None
    return Finding(
        FailureKind.ALL_ZERO,
        f"the optimal solution sets all {len(values)} variables to 0, i.e. the model's best "
        "plan is to do nothing. This usually means a requirement from the text is missing or "
        "points the wrong way (a demand or minimum to meet, a '>=' written as '<=', a cost "
        "counted as a profit). Re-read the text for every requirement; if doing nothing really "
        "is optimal, answer with the same formulation.",
    )


# -------------------------------------------------------------------- fractional counts

COUNT_NOUNS = frozenset(
    """truck worker unit item piece employee person people machine vehicle bus car van box bag
    bottle table chair ship boat plane aircraft nurse doctor staff package parcel container batch
    house student seat trip shift tour lot crate pallet server tree animal cow chicken pig sheep
    guard officer teacher operator driver robot computer phone bike bicycle trailer tanker
    printer book toy desk bed room tent kit pack lamp cake pie bowl cup plate""".split()
)
_CUE_PHRASES = re.compile(
    r"\bnumber of\b|\bhow many\b|\bcount\b|\bwhole\b|\binteger\b|\bindivisible\b", re.I
)
_WORD = re.compile(r"[A-Za-z]+")


def _singular(word: str) -> str:
    w = word.lower()
    if w in ("people", "staff"):
        return w
    for suffix, repl in (
        ("ies", "y"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("xes", "x"),
        ("ses", "s"),
        ("s", ""),
    ):
        if w.endswith(suffix) and len(w) > len(suffix) + 1:
            return w[: -len(suffix)] + repl
    return w


def _words(s: str) -> list[str]:
    # split identifiers too: num_trucks, numTrucks
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", s).replace("_", " ")
    return [_singular(w) for w in _WORD.findall(spaced)]


def counting_variables(text: str, formulation: Formulation) -> dict[str, str]:
    """Continuous variables that count whole things named in the text: name -> noun."""
    text_words = set(_words(text))
    text_cue = bool(_CUE_PHRASES.search(text))
    out: dict[str, str] = {}
    for v in formulation.variables:
        if v.domain != "continuous":
            continue
        desc = f"{v.name} {v.description}"
        nouns = [w for w in _words(desc) if w in COUNT_NOUNS]
        says_count = bool(
            re.search(r"\bnumber of\b|\bhow many\b|\bcount of\b|^num_|^n_", desc, re.I)
        )
        noun = next((n for n in nouns if n in text_words), None)
        if noun is not None and (text_cue or says_count):
            out[v.name] = noun
        elif says_count and nouns:
            out[v.name] = nouns[0]
    return out


def _base_name(key: str) -> str:
    return key.split("[", 1)[0]


def check_fractional_counts(
    text: str, formulation: Formulation, values: Mapping[str, float]
) -> Finding | None:
    """A continuous variable that counts discrete things has fractional values."""
    counting = counting_variables(text, formulation)
    if not counting:
        return None
    bad: dict[str, list[str]] = {}
    for key, val in values.items():
        name = _base_name(key)
        if name in counting and abs(val - round(val)) > INT_TOL and math.isfinite(val):
            bad.setdefault(name, []).append(f"{key} = {val:g}")
    if not bad:
        return None
    parts = [
        f"'{name}' counts {counting[name]}s but is continuous and takes fractional values "
        f"({', '.join(shown[:4])}{', ...' if len(shown) > 4 else ''})"
        for name, shown in bad.items()
    ]
    names = ", ".join(f"'{n}'" for n in bad)
    return Finding(
        FailureKind.FRACTIONAL_COUNT,
        "; ".join(parts)
        + f". Whole {', '.join(sorted({counting[n] + 's' for n in bad}))} cannot be "
        f'split: declare {names} with "domain": "integer" (or "binary" for yes/no choices).',
    )


def findings(items: Iterable[Finding | None]) -> tuple[Finding, ...]:
    """The non-``None`` findings, in order."""
    return tuple(f for f in items if f is not None)
