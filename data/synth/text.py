"""Language toolkit of the synthetic generator: alternatives, numbers as people write them.

A model trained on generated problems should learn language, not one template. So every
sentence here is chosen among alternatives (``[costs|is priced at]``), numbers are written
the way people write them (``$1,200``, ``60%``, ``a dozen``, ``three``), and lists and
tables come in several shapes. All randomness flows from one :class:`random.Random`, so a
seed fixes the text exactly.

The template syntax is deliberately tiny: ``[a|b|c]`` picks one alternative (brackets
nest), ``{name}`` is replaced by a slot value after the choice is made. No ``eval``, no
format-spec mini-language: slots are already strings.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Money", "Phraser", "a_an", "fmt_number", "join_list", "plural", "sentence"]

_SMALL_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
)
_FRACTION_WORDS = {
    0.5: "half",
    0.25: "a quarter",
    0.75: "three quarters",
    1 / 3: "a third",
    2 / 3: "two thirds",
}

_IRREGULAR = {
    "person": "people",
    "child": "children",
    "foot": "feet",
    "tooth": "teeth",
    "loaf": "loaves",
    "shelf": "shelves",
    "knife": "knives",
    "box": "boxes",
    "batch": "batches",
    "bus": "buses",
    "series": "series",
    "sheep": "sheep",
    "fish": "fish",
    "kg": "kg",
    "g": "g",
    "mg": "mg",
    "m": "m",
    "cm": "cm",
    "km": "km",
    "GB": "GB",
    "MWh": "MWh",
    "kWh": "kWh",
    "ml": "ml",
    "lb": "lb",
    "m3": "m3",
    "ft": "ft",
    "in": "in",
    "mm": "mm",
    "Gbps": "Gbps",
    "kcal": "kcal",
    "barrels": "barrels",
    "litres": "litres",
    "metres": "metres",
    "dollars": "dollars",
    "hours": "hours",
    "MJ": "MJ",
    "TB": "TB",
}


def plural(noun: str, n: float = 2) -> str:
    """English plural of ``noun`` (last word only) unless ``n`` is exactly 1."""
    if n == 1 or not noun:
        return noun
    if " of " in noun:  # 'unit of blood' -> 'units of blood', 'TB of traffic' -> 'TB of traffic'
        first, _, rest = noun.partition(" of ")
        return f"{plural(first, n)} of {rest}"
    head, _, last = noun.rpartition(" ")
    if last in _IRREGULAR:
        p = _IRREGULAR[last]
    elif re.search(r"(s|x|z|ch|sh)$", last):
        p = last + "es"
    elif re.search(r"[^aeiou]y$", last):
        p = last[:-1] + "ies"
    else:
        p = last + "s"
    return f"{head} {p}" if head else p


def a_an(noun: str) -> str:
    """``'apple' -> 'an apple'``, ``'Alpha pill' -> 'an Alpha pill'``, ``'unit' -> 'a unit'``."""
    w = noun.lower()
    vowel = w[:1] in "aeio" or (w.startswith("u") and not w.startswith(("uni", "use", "usu")))
    return f"{'an' if vowel else 'a'} {noun}"


def fmt_number(x: float, *, decimals: int = 2, grouping: bool = True) -> str:
    """``1200 -> '1,200'``, ``2.50 -> '2.5'``, ``3.0 -> '3'``: no trailing zeros, no float noise."""
    if abs(x - round(x)) < 1e-9:
        s = f"{round(x):,}" if grouping else str(round(x))
        return s
    s = f"{x:,.{decimals}f}" if grouping else f"{x:.{decimals}f}"
    return s.rstrip("0").rstrip(".")


def join_list(items: Sequence[str], conj: str = "and") -> str:
    """``['a', 'b', 'c'] -> 'a, b and c'``."""
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conj} {items[-1]}"


def sentence(text: str) -> str:
    """Capitalise the first letter and make sure the text ends with punctuation."""
    t = re.sub(r"\s+", " ", text).strip()
    t = re.sub(r"\s+([,.;:?!])", r"\1", t)
    if not t:
        return t
    t = t[0].upper() + t[1:]
    if t[-1] not in ".?!:":
        t += "."
    return t


@dataclass(frozen=True)
class Money:
    """A currency as a story writes it: symbol ``$`` before, or the word after."""

    symbol: str = "$"
    word: str = "dollars"
    code: str = "USD"


_DOLLAR = Money()
_EURO = Money("€", "euros", "EUR")
_POUND = Money("£", "pounds", "GBP")


class Phraser:
    """Chooses words and number formats for one problem text, from one random stream.

    One instance per text: the money style is fixed at construction, so a problem does not
    switch between ``$1,200`` and ``1200 dollars`` mid-way (people do sometimes, but a
    consistent text is the better training signal).
    """

    def __init__(self, rng: random.Random, *, currency: Money | None = None) -> None:
        self.rng = rng
        self.currency = currency or rng.choices([_DOLLAR, _EURO, _POUND], weights=[8, 1, 1])[0]
        self.money_style = rng.choices(["symbol", "word", "code"], weights=[7, 2, 1])[0]
        self.words_for_small = rng.random() < 0.4
        self.percent_style = rng.choices(["%", " percent", " per cent"], weights=[6, 3, 1])[0]

    # -- choices --------------------------------------------------------------------------

    def pick(self, options: Sequence[str]) -> str:
        return self.rng.choice(list(options))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def shuffled(self, items: Sequence[object]) -> list:
        out = list(items)
        self.rng.shuffle(out)
        return out

    def t(self, template: str, **slots: object) -> str:
        """Expand ``[a|b]`` alternatives (nested), then fill ``{slot}`` values."""
        text = self._choose(template)
        if slots:
            text = re.sub(
                r"\{(\w+)\}",
                lambda m: str(slots[m.group(1)]) if m.group(1) in slots else m.group(0),
                text,
            )
        return text

    def s(self, template: str, **slots: object) -> str:
        """:meth:`t` as a finished sentence."""
        return sentence(self.t(template, **slots))

    def _choose(self, text: str) -> str:
        # Innermost groups first, so nested alternatives work: "[a [b|c]|d]".
        pattern = re.compile(r"\[([^\[\]]*)\]")
        while True:
            m = pattern.search(text)
            if m is None:
                return text
            choice = self.rng.choice(m.group(1).split("|"))
            text = text[: m.start()] + choice + text[m.end() :]

    # -- numbers --------------------------------------------------------------------------

    def num(self, x: float, *, words: bool = True) -> str:
        """A plain number; small counts sometimes as words, 12 sometimes as 'a dozen'."""
        if words and abs(x - round(x)) < 1e-9:
            n = round(x)
            if n in (12, 24) and self.chance(0.3):
                return "a dozen" if n == 12 else "two dozen"
            if 2 <= n <= 20 and self.words_for_small and self.chance(0.6):
                return _SMALL_WORDS[n]
        return fmt_number(x)

    def count(self, n: float, noun: str, *, words: bool = True) -> str:
        """``count(3, 'truck') -> 'three trucks'``; ``count(1, 'truck') -> 'one truck'``."""
        if n == 1:
            return f"{self.pick(['one', 'a single', '1']) if words else '1'} {noun}"
        s = self.num(n, words=words)
        if s in ("a dozen", "two dozen"):
            return f"{s} {plural(noun)}"
        return f"{s} {plural(noun, n)}"

    def qty(self, x: float, unit: str) -> str:
        """A measured amount: ``qty(3, 'hour') -> '3 hours'``; units never spelled as words."""
        if unit in ("%",):
            return self.pct(x / 100)
        return f"{fmt_number(x)} {plural(unit, x)}" if unit else fmt_number(x)

    def money(self, x: float) -> str:
        """``$1,200``, ``1,200 dollars`` or ``USD 1,200`` (style fixed per text)."""
        neg = x < 0
        body = fmt_number(abs(x), decimals=2)
        if "." in body:  # cents: always two digits, as prices are written
            body = f"{abs(x):,.2f}"
        if self.money_style == "symbol":
            s = f"{self.currency.symbol}{body}"
        elif self.money_style == "word":
            s = f"{body} {self.currency.word if abs(x) != 1 else self.currency.word[:-1]}"
        else:
            s = f"{self.currency.code} {body}"
        return f"-{s}" if neg else s

    def pct(self, frac: float) -> str:
        """A share: ``0.6 -> '60%'`` (or '60 percent'); halves and thirds sometimes as words."""
        for value, word in _FRACTION_WORDS.items():
            if abs(frac - value) < 1e-9 and self.chance(0.3):
                return word
        return f"{fmt_number(frac * 100, decimals=1)}{self.percent_style}"

    def times(self, k: float) -> str:
        """A multiplier: ``2 -> 'twice'``, ``3 -> 'three times'``, ``1.5 -> '1.5 times'``."""
        if k == 2 and self.chance(0.6):
            return "twice"
        if k == 1:
            return "as many as"
        return f"{self.num(k)} times"

    # -- data layouts ---------------------------------------------------------------------

    def listing(self, pairs: Sequence[tuple[str, str]], *, style: str | None = None) -> str:
        """Name/value pairs as prose ('a 3, b 5') or with colons ('a: 3; b: 5')."""
        style = style or self.pick(["prose", "colon", "paren"])
        if style == "colon":
            return "; ".join(f"{k}: {v}" for k, v in pairs)
        if style == "paren":
            return join_list([f"{v} ({k})" for k, v in pairs])
        return join_list([f"{v} for {k}" for k, v in pairs])

    def table(
        self,
        corner: str,
        rows: Sequence[str],
        cols: Sequence[str],
        cell: Mapping[tuple[str, str], str],
        *,
        row_label: str = "",
    ) -> str:
        """A small grid of numbers: a pipe table, or one line per row."""
        if self.chance(0.5):
            head = "| " + " | ".join([corner, *cols]) + " |"
            rule = "|" + "|".join(["---"] * (len(cols) + 1)) + "|"
            body = ["| " + " | ".join([r, *(cell[(r, c)] for c in cols)]) + " |" for r in rows]
            return "\n".join([head, rule, *body])
        lines = []
        for r in rows:
            parts = ", ".join(f"{c} {cell[(r, c)]}" for c in cols)
            lines.append(f"- {row_label}{r}: {parts}")
        return "\n".join(lines)


def round_to(x: float, step: float) -> float:
    """Round to a multiple of ``step`` (prices to cents, amounts to 5s), without float noise."""
    v = round(x / step) * step
    digits = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return round(v, digits + 2)
