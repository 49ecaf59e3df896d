"""From tagged text to declarations: the second stage of the extraction route.

The rules read a problem the way NL4Opt problems are written: a few decision variables that
the text keeps naming, per-variable numbers (``PARAM``: "each chair takes 3 hours of
labour"), limits (``LIMIT``: "500 hours are available") with a direction ("at most"), and an
objective ("maximize profit"). What they decide, in order:

1. **Variables**: ``VAR`` mentions clustered by their words (singular, ``regular cars`` vs
   ``premium cars`` kept apart), then every untagged occurrence of a known mention added.
2. **Which variable a number is about**: "3 hours *to make a* table" binds forward, otherwise
   the nearest mention before it in the sentence, otherwise the nearest after;
   "respectively" pairs numbers and mentions in order.
3. **What a number measures** (its *key*): the content words of its clause ("hours",
   "labour"), inherited from the previous number of the sentence when the clause has none
   ("and 5 for a table").
4. **Constraints** per limit: a percentage is a ``ratio``; a multiplier between two
   variables ("twice as many chairs as tables") is ``xby``; two variables and a direction
   with no number is ``xy``; a limit next to one variable is a bound; otherwise the limit
   takes the per-variable numbers whose key matches its own (``linear``), or all
   variables with coefficient 1 (``sum``) when it counts the variables themselves.
5. **Objective**: the numbers whose key holds the objective's name (or profit/revenue/cost
   words), else the plain count of the variables.

The output is the competition's declaration form, converted to the IR by
:func:`optiscribe.formulate.extract.declarations.convert`; :class:`Assembly` keeps the
reasons, so a wrong formulation can be traced to the rule that made it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from optiscribe.formulate.errors import ConversionError
from optiscribe.formulate.extract.declarations import parse_number
from optiscribe.formulate.extract.tagger import Span, Token, spans

__all__ = ["Assembly", "assemble"]

_STOP = frozenset(
    """a an the of to for in on at by with from and or but each every per its his her their our
    your this that these those is are be been being was were will can could should would must
    may might shall has have had do does did it they he she we you i there than as such also
    only any all some no not into up out one two three same which what how many much who
    make makes made making produce produces produced producing sell sells sold selling
    require requires required needs need needed take takes taken takes use uses used using
    least most more less
    """.split()
)
_WEAK = frozenset(
    "unit amount number total available maximum minimum time item product type kind".split()
)
_GENERIC_KEY = frozenset({"require", "need", "take", "use", "unit", "give", "get", "provide"})
_BOUNDARY = frozenset({",", ";", ":", "while", "whereas", "but", "and", "whilst"})
ALL = -1
"""The variable of a mention that names every variable ("both", "each cell-phone")."""
_SENT_END = frozenset({".", "?", "!", ";"})
_MULT = re.compile(r"\b(times|twice|double|thrice|triple|half|third|quarter|fourth|fifth)\b")
_OBJ_MAX = ("profit", "revenue", "earn", "return", "income", "sale", "gain", "benefit")
_OBJ_MIN = ("cost", "expense", "spend", "waste", "pollution", "time")
_COMPARE = re.compile(r" (than|exceed|exceeds|outnumber|outnumbers|as many|as much) ")
_TOTAL = re.compile(r"\b(total|combined|in all|altogether|overall|together|sum|maximum of|all)\b")


_IRREGULAR = {
    "shelves": "shelf", "knives": "knife", "loaves": "loaf", "leaves": "leaf", "halves": "half",
    "wolves": "wolf", "calves": "calf", "people": "person", "children": "child", "men": "man",
    "women": "woman", "feet": "foot", "teeth": "tooth", "geese": "goose", "mice": "mouse",
    "shoes": "shoe", "tomatoes": "tomato", "potatoes": "potato", "heroes": "hero",
    "mangoes": "mango", "buses": "bus", "gases": "gas", "lenses": "lens", "ads": "ad",
    "lbs": "lb", "kgs": "kg", "hrs": "hr", "gas": "gas", "bus": "bus",
}  # fmt: skip


def _singular(w: str) -> str:
    w = w.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("es") and w[-3] in "sxz":
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def _stem(w: str) -> str:
    """A light stem for matching what numbers measure ("watering" ~ "water", "sprayed")."""
    w = _singular(w)
    for suffix in ("ing", "ed"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def _norm_words(text: str) -> tuple[str, ...]:
    words = re.findall(r"[A-Za-z0-9]+", text)
    while words and words[0].lower() in ("the", "a", "an", "each", "every", "one", "per"):
        words = words[1:]
    return tuple(_singular(w) for w in words)


def _le_ge(text: str) -> str:
    """The operator a direction phrase states (``LESS_OR_EQUAL``/``GREATER_OR_EQUAL``/``EQUAL``)."""
    t = " " + " ".join(text.lower().split()) + " "
    le_phrases = (
        " no more than ", " not more than ", " at most ", " up to ", " not exceed ",
        " cannot exceed ", " can't exceed ", " not to exceed ", " does not exceed ",
        " do not exceed ", " must not exceed ", " should not exceed ", " no greater than ",
        " fewer ", " less ", " maximum ", " max ", " below ", " under ", " within ",
        " limit", " available", " budget", " only ", " capacity", " remaining",
    )  # fmt: skip
    ge_phrases = (
        " no less than ", " not less than ", " no fewer than ", " at least ", " minimum ",
        " min ", " more ", " greater ", " exceed", " above ", " over ", " requir", " need",
        " demand", " must be met", " larger ", " higher ", " must ", " should ", " want",
    )  # fmt: skip
    if re.search(r" (not|no|never|cannot) (\w+ ){0,2}(more|greater|larger|higher|exceed)", t):
        return "LESS_OR_EQUAL"
    if re.search(r" (not|no|never|cannot) (\w+ ){0,2}(less|fewer|lower|smaller|below)", t):
        return "GREATER_OR_EQUAL"
    for p in le_phrases[:13]:
        if p in t:
            return "LESS_OR_EQUAL"
    for p in ge_phrases[:4]:
        if p in t:
            return "GREATER_OR_EQUAL"
    if " exactly " in t or " equal" in t:
        return "EQUAL"
    for p in le_phrases[13:]:
        if p in t:
            return "LESS_OR_EQUAL"
    for p in ge_phrases[4:]:
        if p in t:
            return "GREATER_OR_EQUAL"
    return "LESS_OR_EQUAL"


@dataclass(frozen=True)
class _Num:
    """A number of the text: its span, value, sentence, variable and key."""

    span: Span
    value: str
    sentence: int
    var: int | None
    key: frozenset[str]
    multiplier: bool
    percent: bool
    unit: str | None = None
    measure: str | None = None


@dataclass
class Assembly:
    """The declarations found in one problem and the reasons for each (for tracing)."""

    variables: list[str]
    declaration: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    numbers: list[dict[str, Any]] = field(default_factory=list)
    """Each number as read: its text, role, variable, key words and unit (for tracing)."""


_VERBS = frozenset(
    "needs need sells sell brings bring makes make earns earn gives give yields yield requires "
    "require takes take uses use costs cost produces produce contains contain holds hold can "
    "must should will is are has have reaches reach provides provide carries carry".split()
)


def _trim(sp: Span, words: Sequence[str], compound: set[int]) -> Span:
    """A variable mention without the digits the tagger sometimes runs into it ("corn 1")."""
    if sp.type != "VAR":
        return sp
    a, b = sp.start, sp.end
    while a < b and re.match(r"^[\d.,$%]+$", words[a]) and a not in compound:
        a += 1
    while b > a and re.match(r"^[\d.,$%]+$", words[b - 1]):
        b -= 1
    # "Every tablet", "tart sells": determiners and verbs the tagger ran into the name
    while a < b - 1 and words[a].lower() in ("each", "every", "a", "an", "the", "one", "per"):
        a += 1
    while b - 1 > a and words[b - 1].lower() in _VERBS:
        b -= 1
    return Span(sp.type, a, b, " ".join(words[a:b]))


class _Doc:
    def __init__(self, tokens: Sequence[Token], tags: Sequence[str]) -> None:
        self.words = [t.text for t in tokens]
        self.lower = [w.lower() for w in self.words]
        # a number glued to a hyphen is part of a name ("2-piece suits"), not a datum
        self.compound = {
            i
            for i in range(len(tokens) - 1)
            if tokens[i + 1].text == "-" and tokens[i].end == tokens[i + 1].start
        }
        raw = [_trim(sp, self.words, self.compound) for sp in spans(self.words, tags)]
        self.spans = [
            sp
            for sp in raw
            if sp.end > sp.start
            and not (sp.type in ("PARAM", "LIMIT") and sp.end - 1 in self.compound)
        ]
        self.sent: list[int] = []
        s = 0
        for w in self.words:
            self.sent.append(s)
            if w in _SENT_END:
                s += 1
        self.n_sent = s + 1

    def text(self, a: int, b: int) -> str:
        return " ".join(self.words[a:b])

    def sentence_range(self, s: int) -> tuple[int, int]:
        idx = [i for i, x in enumerate(self.sent) if x == s]
        return (idx[0], idx[-1] + 1) if idx else (0, 0)

    def segment(self, i: int) -> tuple[int, int]:
        """The clause around token ``i``: between boundary words inside its sentence."""
        a, b = self.sentence_range(self.sent[i])
        lo = i
        while lo > a and self.lower[lo - 1] not in _BOUNDARY:
            lo -= 1
        hi = i + 1
        while hi < b and self.lower[hi] not in _BOUNDARY and self.words[hi] not in _SENT_END:
            hi += 1
        return lo, hi


_GENERIC_NOUNS = frozenset(
    "machine model type unit package product item kind version option one batch container".split()
)


def _same_thing(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two mentions name one variable: the words of one contain the other's, once
    generic nouns ("model", "machine") are set aside."""
    ca = set(a) - _GENERIC_NOUNS or set(a)
    cb = set(b) - _GENERIC_NOUNS or set(b)
    return ca <= cb or cb <= ca


def _coordinated(doc: _Doc, found: list[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Spans coordinated with a known mention ("ham and bacon", "either X or Y") that the
    tagger missed: a noun phrase of at most three words that occurs twice or more."""
    out: list[tuple[int, int]] = []
    sing = [_singular(w) for w in doc.lower]
    text = " " + " ".join(sing) + " "
    for i, w in enumerate(doc.lower):
        if w not in ("and", "or"):
            continue
        for L in (1, 2, 3):
            left = tuple(sing[i - L : i]) if i - L >= 0 else ()
            right = tuple(sing[i + 1 : i + 1 + L])
            for known, other, span in (
                (left, right, (i + 1, i + 1 + L)),
                (right, left, (i - L, i)),
            ):
                if known in found and len(other) == L and other not in found:
                    ok = all(re.match(r"^[a-z][a-z-]*$", x) and x not in _STOP for x in other)
                    if ok and text.count(" " + " ".join(other) + " ") >= 2:
                        out.append(span)
    return out


def _either_or(doc: _Doc) -> list[tuple[int, int]]:
    """The two options of "either X or Y" (at most three words each), for texts whose
    variables the tagger did not find: "allocate a square kilometer for either fish farming
    or trawling"."""
    skip = ("by", "through", "a", "an", "the", "using", "use", "for")
    stop_at = {".", ",", ";", "?", "!", "to", "for", "and", "with", "in", "on", "at"}
    for i, w in enumerate(doc.lower):
        if w != "either":
            continue
        j = i + 1
        while j < len(doc.lower) and doc.lower[j] in skip:
            j += 1
        a = j
        while (
            j < len(doc.lower)
            and j - a < 3
            and doc.lower[j] != "or"
            and doc.lower[j] not in stop_at
        ):
            j += 1
        if j >= len(doc.lower) or doc.lower[j] != "or" or j == a:
            continue
        first = (a, j)
        j += 1
        while j < len(doc.lower) and doc.lower[j] in skip:
            j += 1
        b = j
        while j < len(doc.lower) and j - b < 3 and doc.lower[j] not in stop_at:
            j += 1
        if j > b:
            return [first, (b, j)]
    return []


def _parallel(doc: _Doc, tagged: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A one-word name in the same slot as a tagged mention that the tagger missed: "Each
    tart sells ..., *each cake sells* ..." (a determiner before, the same verb after), when
    the word occurs twice or more."""
    sing = [_singular(w) for w in doc.lower]
    taken = {i for a, b in tagged for i in range(a, b)}
    dets = ("a", "an", "each", "every")
    slots = {
        doc.lower[b]
        for a, b in tagged
        if 0 < a and b < len(doc.lower) and doc.lower[a - 1] in dets and doc.lower[b] in _VERBS
    }
    out: list[tuple[int, int]] = []
    for i in range(1, len(doc.lower) - 1):
        w = doc.lower[i]
        if i in taken or doc.lower[i - 1] not in dets or doc.lower[i + 1] not in slots:
            continue
        if re.match(r"^[a-z]+$", w) and w not in _STOP and sing.count(sing[i]) >= 2:
            out.append((i, i + 1))
    return out


def _cluster_variables(doc: _Doc) -> tuple[list[str], list[tuple[int, int, int]]]:
    """Variables (display names) and mentions ``(var, start, end)``, in text order."""
    keys: list[list[tuple[str, ...]]] = []
    names: list[str] = []
    counts: list[int] = []
    raw: list[tuple[int, int, int]] = []
    generic: list[tuple[int, int]] = []
    tagged = [(sp.start, sp.end) for sp in doc.spans if sp.type == "VAR"]
    found = [tuple(_singular(w) for w in doc.lower[a:b]) for a, b in tagged]
    extra = [sp for sp in _coordinated(doc, found) + _parallel(doc, tagged) if sp not in tagged]
    extra = sorted(set(extra))
    if len({tuple(f) for f in found}) < 2:
        extra += [sp for sp in _either_or(doc) if sp not in tagged and sp not in extra]
    for a, b in sorted(tagged + extra):
        n = _norm_words(doc.text(a, b))
        if not n:
            continue
        hit = [k for k, ms in enumerate(keys) if n in ms]
        if not hit:
            hit = [k for k, ms in enumerate(keys) if any(_same_thing(n, m) for m in ms)]
            if len(hit) > 1:
                generic.append((a, b))  # "toy" when there are toy cars and toy trucks
                continue
        if not hit and len(n) == 1:
            hit = [k for k, ms in enumerate(keys) if any(m[-1] == n[-1] for m in ms)]
            if len(hit) > 1:
                generic.append((a, b))  # "each cake" with two kinds of cake
                continue
        if len(hit) == 1:
            k = hit[0]
            if n not in keys[k]:
                keys[k].append(n)
        else:
            k = len(keys)
            keys.append([n])
            names.append(doc.text(a, b))
            counts.append(0)
        counts[k] += 1
        raw.append((k, a, b))
    keep = [k for k in range(len(keys)) if counts[k] >= 2]
    if len(keep) < 2:
        keep = list(range(len(keys)))
    remap = {k: i for i, k in enumerate(keep)}
    mentions = [(remap[k], a, b) for k, a, b in raw if k in remap]
    # untagged occurrences of a known mention (the tagger misses some)
    taken = {i for _, a, b in mentions for i in range(a, b)}
    norm_tokens = [_singular(w) for w in doc.lower]
    heads: dict[str, set[int]] = {}
    for k in keep:
        for m in keys[k]:
            heads.setdefault(m[-1], set()).add(remap[k])
    for k in keep:
        for m in sorted(keys[k], key=len, reverse=True):
            L = len(m)
            for i in range(len(norm_tokens) - L + 1):
                if tuple(norm_tokens[i : i + L]) == m and not (set(range(i, i + L)) & taken):
                    mentions.append((remap[k], i, i + L))
                    taken |= set(range(i, i + L))
    for i, w in enumerate(norm_tokens):
        owners = heads.get(w, set())
        if i in taken or len(owners) < 2:
            continue
        mentions.append((ALL, i, i + 1))  # "each cake" when there are two kinds of cake
        taken.add(i)
    for i, w in enumerate(doc.lower):
        if w in ("both", "either") and i not in taken:
            mentions.append((ALL, i, i + 1))
    mentions.sort(key=lambda m: m[1])
    return [names[k] for k in keep], mentions


def _number_text(doc: _Doc, sp: Span) -> tuple[str, bool]:
    """The span's number as :func:`parse_number` reads it, and whether it is a percentage."""
    text = sp.text
    after = doc.lower[sp.end] if sp.end < len(doc.words) else ""
    after2 = doc.lower[sp.end + 1] if sp.end + 1 < len(doc.words) else ""
    if after in ("%", "percent") and "%" not in text and "percent" not in text:
        text += " %"
    elif after == "per" and after2 == "cent":
        text += " %"
    if after == "times" and "times" not in text:
        text += " times"
    pct = "%" in text or "percent" in text.lower()
    return text, pct


def _unit(doc: _Doc, sp: Span, var_tokens: set[int], *, specific: bool = True) -> str | None:
    """What a number counts: the first content word after it ("30 units of *water*",
    "1200 *filters*", "$" for money); with ``specific=False`` the measure itself ("300
    *kg* of dye")."""
    if (sp.start > 0 and doc.words[sp.start - 1] in _MONEY) or any(c in sp.text for c in _MONEY):
        return "$"
    for j in range(sp.end, min(sp.end + 5, len(doc.words))):
        w = doc.lower[j]
        if j in var_tokens or w in _BOUNDARY or doc.words[j] in _SENT_END or w == "per":
            return None
        measure = _singular(w) in _MEASURE or len(w) <= 3
        if specific and measure and doc.lower[j + 1 : j + 2] == ["of"]:
            continue  # "300 kg of dye": what is counted is the dye
        if re.match(r"^[a-z]+$", w) and w not in _STOP and _singular(w) not in _WEAK:
            return _stem(w)
    return None


def _key(doc: _Doc, i: int, var_tokens: set[int]) -> frozenset[str]:
    lo, hi = doc.segment(i)
    out = set()
    for j in range(lo, hi):
        w = doc.lower[j]
        if j in var_tokens or not re.match(r"^[a-z]+$", w) or w in _STOP:
            continue
        if j > lo and doc.lower[j - 1] in ("per", "every"):
            continue  # a denominator ("per patient", "per hour") is not what is counted
        if _singular(w) not in _WEAK:
            out.add(_stem(w))
    if set(doc.words[max(lo, i - 2) : i + 1]) & _MONEY or "dollar" in doc.lower[lo:hi]:
        out.add("$")
    return frozenset(out)


def _bind(doc: _Doc, sp: Span, mentions: list[tuple[int, int, int]]) -> int | None:
    s = doc.sent[sp.start]
    here = [m for m in mentions if doc.sent[m[1]] == s]
    if not here:
        return None
    # right after the number: "at most 30 vanilla cakes"
    reach = 3 if sp.type == "LIMIT" else 1
    for m in here:
        if sp.end <= m[1] <= sp.end + reach:
            gap = doc.lower[sp.end : m[1]]
            if not (set(gap) & _BOUNDARY) and not any(w in _SENT_END for w in gap):
                return m[0]
    # forward: "3 hours to make a table", "$50 per chair", "20 units for each desk"
    for j in range(sp.end, min(sp.end + 7, len(doc.words))):
        if doc.lower[j] in _BOUNDARY or doc.words[j] in _SENT_END:
            break
        for m in here:
            if m[1] == j:
                between = set(doc.lower[sp.end : j])
                if between & {"to", "for", "per", "of", "in", "on", "by"}:
                    return m[0]
    before = [m for m in here if m[2] <= sp.start]
    if before:
        return before[-1][0]
    after = [m for m in here if m[1] >= sp.end]
    return after[0][0] if after else None


_MEASURE = frozenset(
    "kg kilogram g gram mg milligram lb pound ton tonne oz ounce l liter litre ml milliliter "
    "gallon hour minute second day week cup serving bottle box bag can piece meter metre foot "
    "acre hectare square dollar cent calorie".split()
)
_AVAILABLE = re.compile(
    r" (available|has|have|budget|total|at most|at least|limit|limited|capacity|maximum|minimum|"
    r"up to|only|no more|no less|must|needs?|requires?) "
)


_STRONG_LIMIT = re.compile(
    r" (available|has|have|budget|total|at most|at least|limit|limited|capacity|maximum|"
    r"minimum|up to|only|no more|no less|exceed|exceeds|cannot|can't|must be|in all) "
)


def _untagged_numbers(doc: _Doc, mentions: list[tuple[int, int, int]]) -> list[Span]:
    """Digits the tagger left untagged ("1,200 minutes are available"): a limit when their
    clause names no variable, else a per-variable number."""
    inside = {i for sp in doc.spans for i in range(sp.start, sp.end)}
    var_at = {i for _, a, b in mentions for i in range(a, b)}
    out: list[Span] = []
    for i, w in enumerate(doc.words):
        if i in inside or i in doc.compound or not re.match(r"^(\d+(?:[.,]\d+)*|\.\d+)$", w):
            continue
        lo, hi = doc.segment(i)
        kind = "PARAM" if any(j in var_at for j in range(lo, hi)) else "LIMIT"
        out.append(Span(kind, i, i + 1, w))
    return out


_MONEY = frozenset({"$", "€", "£", "¥"})


def _unused_group(params: Sequence[_Num], used: set[int], n_vars: int) -> dict[int, str]:
    """The per-variable numbers no constraint took, one per variable, when they measure one
    thing (same unit) for at least half of the variables: what the objective is left with
    ("each TV ad reaches 4,500 people" when the objective is the "total audience")."""
    groups: dict[str | None, dict[int, str]] = {}
    for p in params:
        if id(p) in used or p.var is None or p.var == ALL or p.percent:
            continue
        groups.setdefault(p.unit, {}).setdefault(p.var, p.value)
    best = max(groups.values(), key=len, default={})
    return best if 2 * len(best) >= n_vars and len(best) >= 1 else {}


def _objective_sense(low: str) -> str:
    """The sense when no objective direction was tagged: an explicit maximize/minimize word,
    else what the objective is about ("the optimal total *cost*" is minimized)."""
    if re.search(r"\bmaximi[sz]", low):
        return "maximize"
    if re.search(r"\bminimi[sz]", low):
        return "minimize"
    if re.search(r"\b(decreas|reduc|lower)(e|es|ing)? the\b", low):
        return "minimize"
    questions = [q for q in re.split(r"(?<=[.?!])\s+", low) if q.rstrip().endswith("?")]
    tail = " ".join(questions) if questions else low[max(low.rfind("."), 0) :]
    if re.search(r"cost|expense|spend|time|waste|pollution|minutes|hours|fewest|least", tail):
        return "minimize"
    return "maximize"


def _var_in_clause(doc: _Doc, sp: Span, mentions: list[tuple[int, int, int]]) -> bool:
    lo, hi = doc.segment(sp.start)
    return any(lo <= m[1] < hi and m[0] != ALL for m in mentions)


def _adjacent_var(doc: _Doc, sp: Span, mentions: list[tuple[int, int, int]]) -> int | None:
    """The variable named within three words after a number, with no clause break between."""
    for m in mentions:
        if sp.end <= m[1] <= sp.end + 3:
            gap = doc.lower[sp.end : m[1]]
            if not (set(gap) & _BOUNDARY) and not any(w in _SENT_END for w in gap):
                return m[0]
    return None


def _listed_with_others(doc: _Doc, sp: Span, mentions: list[tuple[int, int, int]]) -> bool:
    """Whether the variable after a number is listed with another ("200 acres for carrots
    and beets"): then the limit is on their total."""
    after = [m for m in mentions if m[1] >= sp.end and m[1] <= sp.end + 3]
    if not after:
        return False
    first = after[0]
    gap2 = first[2] + 1 < len(doc.lower) and doc.lower[first[2] + 1] in ("the", "a", "an")
    spots = (first[2] + 1, first[2] + 2) if gap2 else (first[2] + 1,)
    nxt = [m for m in mentions if m[1] in spots and m[0] != first[0]]
    return bool(nxt) and doc.lower[first[2]] in ("and", "or", ",")


def _drop_idle_variables(
    doc: _Doc, names: list[str], mentions: list[tuple[int, int, int]], notes: list[str]
) -> tuple[list[str], list[tuple[int, int, int]]]:
    """Drop "variables" that no per-variable number is about ("the hardware section"),
    when at least two others have numbers of their own."""
    bound: dict[int, int] = {}
    for sp in doc.spans + _untagged_numbers(doc, mentions):
        if sp.type == "PARAM":
            v = _bind(doc, sp, mentions)
            if v is not None and v != ALL:
                bound[v] = bound.get(v, 0) + 1
    idle = [v for v in range(len(names)) if v not in bound]
    if not idle or len(names) - len(idle) < 2:
        return names, mentions
    keep = [v for v in range(len(names)) if v in bound]
    remap = {v: i for i, v in enumerate(keep)}
    notes.append(f"not variables (no number is about them): {', '.join(names[v] for v in idle)}")
    kept = [(remap[v] if v != ALL else ALL, a, b) for v, a, b in mentions if v == ALL or v in remap]
    return [names[v] for v in keep], kept


def assemble(tokens: Sequence[Token], tags: Sequence[str], text: str) -> Assembly:
    """Declarations (competition form) of one tagged problem.

    Raises :class:`ConversionError` when no variable or no objective can be found.
    """
    doc = _Doc(tokens, tags)
    names, mentions = _cluster_variables(doc)
    notes: list[str] = []
    if not names:
        raise ConversionError("no decision variables were recognised in the problem text")
    names, mentions = _drop_idle_variables(doc, names, mentions, notes)
    var_tokens = {i for _, a, b in mentions for i in range(a, b)}
    var_words = {_singular(doc.lower[i]) for i in var_tokens}
    dir_sents = {doc.sent[sp.start] for sp in doc.spans if sp.type == "CONST_DIR"}

    # numbers
    nums: list[_Num] = []
    resp_sent = {doc.sent[i] for i, w in enumerate(doc.lower) if w == "respectively"}
    for sp in sorted(doc.spans + _untagged_numbers(doc, mentions), key=lambda x: x.start):
        if sp.type not in ("PARAM", "LIMIT"):
            continue
        value, pct = _number_text(doc, sp)
        try:
            parse_number(value)
        except ConversionError:
            notes.append(f"skipped {sp.type} {sp.text!r}: not a number")
            continue
        nxt = doc.lower[sp.end + 1 : sp.end + 4]
        mult = bool(re.search(r"\b(twice|double|thrice|triple|half|third|quarter|fourth|fifth)\b",
                              value.lower()))  # fmt: skip
        if "times" in value.lower() or (sp.end < len(doc.words) and doc.lower[sp.end] == "times"):
            mult = bool(set(nxt) & {"as", "the", "that", "than", "more", "of", "what", "less"})
        if sp.end < len(doc.words) and doc.lower[sp.end] == "as":
            mult = True
        nums.append(
            _Num(
                sp,
                value,
                doc.sent[sp.start],
                _bind(doc, sp, mentions),
                _key(doc, sp.start, var_tokens),
                mult,
                pct,
                _unit(doc, sp, var_tokens),
                _unit(doc, sp, var_tokens, specific=False),
            )
        )
    # a "limit" in a sentence with no direction, among per-variable numbers, is one of them
    # ("requires 100 g of herbs and 30 seconds of drying")
    param_sentences = {x.sentence for x in nums if x.span.type == "PARAM"}
    for k, x in enumerate(nums):
        if (
            x.span.type == "LIMIT"
            and (x.sentence in param_sentences or _var_in_clause(doc, x.span, mentions))
            and x.var is not None
            and not _STRONG_LIMIT.search(" " + doc.text(*doc.segment(x.span.start)).lower() + " ")
            and x.sentence not in dir_sents
        ):
            sp = Span("PARAM", x.span.start, x.span.end, x.span.text)
            nums[k] = replace(x, span=sp)
        elif x.span.type == "PARAM" and x.var is None and not x.multiplier and not x.percent:
            # a per-variable number names a variable; one in a sentence with none is a limit
            # ("In total, 1,051 minutes of testing time are available.")
            nums[k] = replace(x, span=Span("LIMIT", x.span.start, x.span.end, x.span.text))
    # "respectively": pair numbers with mentions in order
    for s in resp_sent:
        ps = [k for k, x in enumerate(nums) if x.sentence == s and x.span.type == "PARAM"]
        ms: list[int] = []
        for m in mentions:
            if doc.sent[m[1]] == s and m[0] not in ms and m[0] != ALL:
                ms.append(m[0])
        if ps and ms and len(ps) % len(ms) == 0:
            for j, k in enumerate(ps):
                x = nums[k]
                nums[k] = replace(x, var=ms[j % len(ms)])
    # keys: inherit from the previous number of the sentence when the clause says nothing
    for k, x in enumerate(nums):
        prev_key = nums[k - 1].key if k else frozenset()
        if k and nums[k - 1].sentence == x.sentence and x.key <= prev_key | {"$"} | _GENERIC_KEY:
            prev = nums[k - 1]
            nums[k] = replace(x, key=x.key | prev.key)

    # objective
    obj_dir = next((sp for sp in doc.spans if sp.type == "OBJ_DIR"), None)
    dir_text = obj_dir.text if obj_dir else ""
    low = text.lower()
    if not dir_text:
        dir_text = _objective_sense(low)
    maximize = dir_text.lower().startswith(("max", "high", "most", "increase", "great", "large"))
    obj_names = [sp for sp in doc.spans if sp.type == "OBJ_NAME"]
    obj_words = {_stem(w) for sp in obj_names for w in re.findall(r"[a-z]+", sp.text.lower())}
    # the words after the objective's direction ("minimize the total amount of gas used")
    if obj_dir is not None:
        _, b = doc.sentence_range(doc.sent[obj_dir.start])
        tail = doc.lower[obj_dir.end : b]
        obj_words |= {_stem(w) for w in tail[:8] if re.match(r"^[a-z]+$", w)}
    obj_words -= _STOP | _WEAK | var_words
    # "minimize the (total) number of meals": the objective counts something; only numbers
    # that measure that thing are its terms ("24 chocolates" a box), else it counts the
    # variables, whatever other numbers the text names its "profit"
    counted: set[str] = set()
    counted_name = ""
    if obj_dir is not None:
        _, b = doc.sentence_range(doc.sent[obj_dir.start])
        tail_text = " ".join(doc.lower[obj_dir.end : b])
        count = re.match(r"^(the )?(total )?number of ((\w+ ?){1,3})", tail_text)
        if count:
            counted = {_stem(w) for w in count.group(3).split()} - _STOP - _WEAK
            counted_name = "number of " + count.group(3).strip()
    if counted:
        obj_words = counted - var_words
    if not obj_words and not counted:
        obj_words = set(_OBJ_MAX if maximize else _OBJ_MIN)
    # a number is about the objective when its key names it
    params = [x for x in nums if x.span.type == "PARAM" and not x.multiplier]

    def obj_score(x: _Num) -> int:
        return len(x.key & obj_words)

    obj_terms: dict[int, str] = {}
    used: set[int] = set()
    for x in params:
        if x.var is None or obj_score(x) == 0:
            continue
        targets = range(len(names)) if x.var == ALL else [x.var]
        for t in targets:
            if t not in obj_terms:
                obj_terms[t] = x.value

    # constraints
    cons: list[dict[str, Any]] = []
    dirs = [sp for sp in doc.spans if sp.type == "CONST_DIR"]

    def direction_for(sp: Span) -> str:
        s = doc.sent[sp.start]
        cands = [d for d in dirs if doc.sent[d.start] == s]
        if not cands:
            return doc.text(*doc.segment(sp.start))
        before = [d for d in cands if d.end <= sp.start]
        lo_seg, hi_seg = doc.segment(sp.start)
        if not before and not any(lo_seg <= d.start < hi_seg for d in cands):
            return doc.text(lo_seg, hi_seg)  # the only direction belongs to another clause
        d = before[-1] if before else cands[0]
        # include a negation right before the direction ("not exceed")
        lo = max(d.start - 2, 0)
        return doc.text(lo, d.end)

    def vars_in(s: int) -> list[int]:
        out: list[int] = []
        for m in mentions:
            if doc.sent[m[1]] == s and m[0] not in out and m[0] != ALL:
                out.append(m[0])
        return out

    def order_in(s: int, start: int = 0) -> list[int]:
        return [m[0] for m in mentions if doc.sent[m[1]] == s and m[1] >= start and m[0] != ALL]

    limits = [x for x in nums if x.span.type == "LIMIT" or x.multiplier]
    measures = {
        _singular(doc.lower[i + 1])
        for i, w in enumerate(doc.lower[:-1])
        if w in ("per", "each", "every") and re.match(r"^[a-z]+$", doc.lower[i + 1])
    }
    per_sentence_limits: dict[int, int] = {}
    for x in limits:
        per_sentence_limits[x.sentence] = per_sentence_limits.get(x.sentence, 0) + 1
    param_sents = {x.sentence for x in params}
    for x in limits:
        dtext = direction_for(x.span)
        op = _le_ge(dtext)
        svars = vars_in(x.sentence)
        if x.multiplier and len(svars) >= 2:
            # the clause of the multiplier: "Since A is rare, the number of B must be at
            # least three times the number of A"
            start, _ = doc.sentence_range(x.sentence)
            for j in range(x.span.start, start, -1):
                if doc.words[j] == ",":
                    start = j
                    break
            order = order_in(x.sentence, start)
            if len(set(order)) < 2:
                order = order_in(x.sentence)
            xv = order[0]
            yv = next((v for v in order if v != xv), svars[1])
            # "at least twice as many X as Y", "three times more X than Y": x comes after
            after = order_in(x.sentence, x.span.end)
            cue = set(doc.lower[x.span.end : x.span.end + 3]) & {"as", "more", "less", "fewer"}
            if cue and len(set(after)) >= 2:
                xv, yv = after[0], next(v for v in after if v != after[0])
            cons.append({"type": "xby", "x_var": names[xv], "y_var": names[yv],
                         "param": x.value, "operator": op, "direction": dtext})  # fmt: skip
            continue
        if x.percent or x.multiplier:
            # "at least 15% of the ads should be magazine ads": the mention after the share
            lo, hi = doc.segment(x.span.start)
            after = order_in(x.sentence, x.span.end)
            seg_after = [m[0] for m in mentions if x.span.end <= m[1] < hi and m[0] != ALL]
            seg_before = [m[0] for m in mentions if lo <= m[1] < x.span.start and m[0] != ALL]
            found = seg_after or seg_before or after
            v: int | None = found[0] if found else None
            if v is None and x.var is not None and x.var != ALL:
                v = x.var
            if v is None:
                notes.append(f"ratio {x.value!r} names no variable: skipped")
                continue
            cons.append({"type": "ratio", "var": names[v], "limit": x.value, "operator": op,
                         "direction": dtext})  # fmt: skip
            continue
        # a limit right before a variable: "at most 200 kg of ham", "at least 10 trucks"
        adjacent = _adjacent_var(doc, x.span, mentions)
        total = _TOTAL.search(doc.text(*doc.sentence_range(x.sentence)).lower())
        if adjacent is not None and _listed_with_others(doc, x.span, mentions):
            cons.append({"type": "sum", "limit": x.value, "operator": op, "direction": dtext})
            continue
        if adjacent is not None and adjacent != ALL and not (total and len(svars) > 1):
            cons.append({"type": "lowerbound" if op == "GREATER_OR_EQUAL" else "upperbound",
                         "var": names[adjacent], "limit": x.value, "operator": op,
                         "direction": dtext})  # fmt: skip
            continue
        # a limit in the unit the variables are measured in ("100 acres", with "per acre")
        own = next((u for u in (x.unit, x.measure) if u is not None and u in measures), None)
        if own is not None and not any(own in (p.unit, p.measure) for p in params):
            cons.append({"type": "sum", "limit": x.value, "operator": op, "direction": dtext})
            continue
        # params of the same resource
        key = x.key - _GENERIC_KEY

        def score(p: _Num, key: frozenset[str] = key, unit: str | None = x.unit) -> int:
            same_unit = unit is not None and p.unit == unit
            return len(p.key & key) + (3 if same_unit else 0)

        pool = [p for p in params if id(p) not in used and p.var is not None]
        if not (key & obj_words):  # the objective's numbers are not a resource's
            pool = [p for p in pool if obj_score(p) == 0]
        cands = [p for p in pool if score(p) > 0]
        same_sentence = [p for p in pool if p.sentence == x.sentence]
        if x.sentence in param_sents and same_sentence and per_sentence_limits[x.sentence] == 1:
            cands = same_sentence
        if cands:
            terms: dict[int, tuple[int, _Num]] = {}
            for p in cands:
                sc = score(p) + (3 if p.sentence == x.sentence else 0)
                assert p.var is not None
                for v in range(len(names)) if p.var == ALL else [p.var]:
                    if v not in terms or sc > terms[v][0]:
                        terms[v] = (sc, p)
            for _, p in terms.values():
                used.add(id(p))
            cons.append({
                "type": "linear",
                "terms": {names[v]: p.value for v, (_, p) in sorted(terms.items())},
                "limit": x.value, "operator": op, "direction": dtext,
            })  # fmt: skip
            continue
        near = x.var if x.var != ALL else None
        if (len(svars) == 1 and x.var != ALL) or (near is not None and not total):
            v = near if near is not None else svars[0]
            cons.append({"type": "lowerbound" if op == "GREATER_OR_EQUAL" else "upperbound",
                         "var": names[v], "limit": x.value, "operator": op,
                         "direction": dtext})  # fmt: skip
            continue
        cons.append({"type": "sum", "limit": x.value, "operator": op, "direction": dtext})

    # xy: two variables compared, no number ("more X than Y", "X must not exceed Y")
    num_sents = {x.sentence for x in nums}
    for s_ in range(doc.n_sent):
        if s_ in num_sents:
            continue
        lo, hi = doc.sentence_range(s_)
        stext = " " + " ".join(doc.lower[lo:hi]) + " "
        compared = _COMPARE.search(stext)
        if compared is None:
            continue
        # the clause of the comparison: "Since A sells better, the number of B must be less ..."
        cue_tok = lo + stext[: compared.start()].count(" ")
        start = lo
        for j in range(cue_tok, lo, -1):
            if doc.words[j] == ",":
                start = j
                break
        order = order_in(s_, start)
        if len(set(order)) < 2:
            order = order_in(s_)
        if len(set(order)) < 2:
            continue
        xv = order[0]
        yv = next(v for v in order if v != xv)
        # the operator from the comparison's own clause ("Due to limited space, X must exceed Y")
        clause = " ".join(doc.lower[start:hi])
        cons.append({"type": "xy", "x_var": names[xv], "y_var": names[yv],
                     "operator": _le_ge(clause), "direction": doc.text(lo, hi)})  # fmt: skip

    obj: dict[str, Any] = {
        "type": "objective",
        "direction": "maximize" if maximize else "minimize",
        "name": counted_name or (obj_names[0].text if obj_names else ""),
    }
    if not obj_terms and not counted:
        obj_terms = _unused_group(params, used, len(names))
        if obj_terms:
            notes.append("the objective takes the per-variable numbers no constraint used")
    if obj_terms:
        obj["terms"] = {names[v]: c for v, c in sorted(obj_terms.items())}
    else:
        obj["vars"] = list(names)
        notes.append("no per-variable objective numbers: the objective counts the variables")
    decl = {
        "order_mapping": {n: i for i, n in enumerate(names)},
        "vars": list(names),
        "obj_declaration": obj,
        "const_declarations": cons,
    }
    numbers = [
        {
            "text": x.value,
            "role": x.span.type,
            "variable": None if x.var is None else ("*" if x.var == ALL else names[x.var]),
            "key": sorted(x.key),
            "unit": x.unit,
        }
        for x in nums
    ]
    return Assembly(list(names), decl, notes, numbers)
