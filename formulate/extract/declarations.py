"""NL4Opt's declaration form and its conversion to the IR: the common target of the gold data and
of the extraction route.

The NL4Opt competition annotated each problem with *declarations*: an objective (``terms``
mention -> coefficient, or only ``vars`` when the objective is a plain count) and constraints of
seven types (``sum``, ``upperbound``, ``lowerbound``, ``linear``, ``ratio``, ``xby``, ``xy``;
see :mod:`optiscribe.data.gold.nl4opt`). :func:`convert` turns one such record into a
:class:`~optiscribe.formulate.ir.model.Formulation`; :func:`parse_number` reads the numbers
as the text writes them; :func:`integer_rule` decides integrality from the question. The gold
converter (``data.gold.nl4opt``) and the built-in model's extraction route
(:mod:`optiscribe.formulate.extract`) both use this module, so they cannot drift apart.
"""

from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Mapping, Sequence
from typing import Any

from optiscribe.formulate.errors import ConversionError
from optiscribe.formulate.ir.model import PYOMO_RESERVED, RESERVED_NAMES, Formulation

__all__ = [
    "NUMBER_WORDS",
    "WORD_VALUES",
    "ConversionError",
    "convert",
    "integer_rule",
    "parse_number",
    "with_domain",
]

# ------------------------------------------------------------------------------ numbers

NUMBER_WORDS: Mapping[str, int] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
#: Every single word that states a value ("five", "twice", "third", "dozen", "hundred"): the
#: one table behind reading numbers (here), the built-in model's number check and the
#: paraphraser's number check.
WORD_VALUES: Mapping[str, float] = {
    **NUMBER_WORDS,
    **_SCALES,
    "half": 0.5, "third": 1 / 3, "quarter": 0.25, "fourth": 0.25, "fifth": 0.2,
    "twice": 2, "double": 2, "thrice": 3, "triple": 3, "dozen": 12,
}  # fmt: skip
_SPECIAL = {w: WORD_VALUES[w] for w in ("half", "third", "quarter", "fourth", "fifth", "twice",
                                          "double", "thrice", "triple")}  # fmt: skip
_NUMBER = re.compile(r"-?\d*\.?\d+")


def parse_number(text: str) -> tuple[float, bool]:
    """Read an annotated number; return ``(value, is_percent)`` with percentages already divided by 100.

    Accepts digits with thousands separators and units (``"400,000"``, ``"8000 minutes"``,
    ``"$1.2"``), multipliers (``"3 times"``, ``"twice"``), fractions in words (``"a third"``,
    ``"half"``), number words (``"one hundred thousand"``) and percentages (``"30%"``,
    ``"thirty percent"``). Raises :class:`ConversionError` otherwise.
    """
    s = text.strip().lower().replace(",", "").replace("$", "")
    percent = "%" in s or "percent" in s
    s = s.replace("%", " ").replace("percent", " ")
    m = _NUMBER.search(s)
    if m is not None:
        value = float(m.group())
    else:
        words = [
            w for w in re.split(r"[\s-]+", s) if w and w not in ("a", "an", "of", "and", "times")
        ]
        if not words:
            raise ConversionError(
                f"cannot read the number {text!r}: it has no digits or number words"
            )
        if len(words) == 1 and words[0] in _SPECIAL:
            value = float(_SPECIAL[words[0]])
        else:
            total, current = 0, 0
            for w in words:
                if w in NUMBER_WORDS:
                    current += NUMBER_WORDS[w]
                elif w in _SCALES:
                    current = max(current, 1) * _SCALES[w]
                    if _SCALES[w] >= 1000:
                        total, current = total + current, 0
                else:
                    raise ConversionError(f"cannot read the number {text!r}: unknown word {w!r}")
            value = float(total + current)
    return (value / 100.0 if percent else value), percent


def _fmt(v: float) -> str:
    """A coefficient as expression text: integers bare, other values with full precision."""
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


# ----------------------------------------------------------------------------- mentions


def _norm_mention(s: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", s.lower()).split())


def _singular(s: str) -> str:
    return " ".join(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in s.split()
    )


class _Mentions:
    """Resolves a mention (a text span naming a variable) to the variable's position."""

    def __init__(self, order_mapping: Mapping[str, int]) -> None:
        self.exact = dict(order_mapping)
        self.normal: dict[str, int] = {}
        self.singular: dict[str, set[int]] = {}
        for k, i in order_mapping.items():
            self.normal.setdefault(_norm_mention(k), i)
            self.singular.setdefault(_singular(_norm_mention(k)), set()).add(i)

    def __call__(self, mention: str, where: str) -> int:
        if mention in self.exact:
            return self.exact[mention]
        n = _norm_mention(mention)
        if n in self.normal:
            return self.normal[n]
        hits = self.singular.get(_singular(n), set())
        if len(hits) == 1:
            return next(iter(hits))
        # A mention that contains, or is contained in, the mentions of exactly one variable.
        contained = {i for k, i in self.normal.items() if k and (k in n or n in k)}
        if len(contained) == 1:
            return next(iter(contained))
        close = difflib.get_close_matches(n, list(self.normal), n=1, cutoff=0.75)
        if close:
            return self.normal[close[0]]
        raise ConversionError(
            f"{where}: the mention {mention!r} is not in order_mapping ({', '.join(self.exact)}) "
            "and matches none of its entries"
        )


def _identifier(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"
    if base[0].isdigit():
        base = "n_" + base
    if (
        keyword.iskeyword(base)
        or base in RESERVED_NAMES
        or base == "objective"
        or base in PYOMO_RESERVED
    ):
        base += "_qty"
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


# ---------------------------------------------------------------------------- conversion

#: Objective directions as annotated (text spans): "maximum", "highest", "reduce", "lowest", ...
_MAX_WORDS = ("max", "high", "most", "increase", "great", "large", "big")
_MIN_WORDS = ("min", "low", "least", "reduce", "decrease", "small", "fewest", "cheap")
_OPS = {"LESS_OR_EQUAL": "<=", "GREATER_OR_EQUAL": ">=", "EQUAL": "=="}


def _lin_text(coefs: Mapping[int, float], names: Sequence[str]) -> str:
    parts: list[str] = []
    for i, c in coefs.items():
        if c == 0:
            continue
        mag = abs(c)
        term = names[i] if mag == 1 else f"{_fmt(mag)} * {names[i]}"
        if parts:
            parts.append(("+ " if c > 0 else "- ") + term)
        else:
            parts.append(term if c > 0 else f"-{term}")
    return " ".join(parts) if parts else "0"


def convert(
    key: str, declaration: Mapping[str, Any], *, integer: bool = False, source: str = "gold"
) -> Formulation:
    """The IR of one competition record (``declaration`` is the object under its key).

    Every variable is a scalar named after its first mention (``sled_dogs``), nonnegative,
    continuous or (``integer=True``) integer; numbers are written into the expressions.
    ``source`` is ``"gold"`` (an NL4Opt annotation) or ``"extracted"`` (the extraction
    route's reading); it only changes the descriptions. Raises :class:`ConversionError`
    naming the record and the declaration at fault.
    """
    where = f"nl4opt competition record {key}" if source == "gold" else f"the reading of {key}"
    mapping = declaration.get("order_mapping")
    vars_ = declaration.get("vars")
    obj = declaration.get("obj_declaration")
    cons = declaration.get("const_declarations")
    shapes_ok = isinstance(mapping, dict) and bool(mapping) and isinstance(vars_, list)
    if not (shapes_ok and isinstance(obj, dict) and isinstance(cons, list)):
        raise ConversionError(
            f"{where}: needs order_mapping, vars, obj_declaration and const_declarations"
        )
    assert isinstance(mapping, dict) and isinstance(vars_, list)  # checked just above
    resolve = _Mentions(mapping)
    positions = sorted(set(mapping.values()))
    if positions != list(range(len(positions))):
        raise ConversionError(f"{where}: order_mapping positions {positions} are not 0..n-1")
    # Name each position after its first entry in `vars`, else its first mention.
    label: dict[int, str] = {}
    for v in vars_:
        i = resolve(v, f"{where} vars")
        label.setdefault(i, v)
    for m, i in mapping.items():
        label.setdefault(i, m)
    taken: set[str] = set()
    names = [_identifier(label[i], taken) for i in positions]
    n = len(names)
    everyone = {i: 1.0 for i in range(n)}

    def terms_of(raw: Mapping[str, str], place: str) -> dict[int, float]:
        out: dict[int, float] = {}
        for mention, coef in raw.items():
            i = resolve(mention, place)
            out[i] = out.get(i, 0.0) + parse_number(str(coef))[0]
        return out

    if "terms" in obj:
        obj_terms = terms_of(obj["terms"], f"{where} objective")
    elif "vars" in obj:
        obj_terms = {resolve(m, f"{where} objective"): 1.0 for m in obj["vars"]}
    else:
        raise ConversionError(f"{where}: the objective has neither terms nor vars")
    direction = str(obj.get("direction", "")).strip().lower()
    if direction.startswith(_MAX_WORDS):
        sense = "maximize"
    elif direction.startswith(_MIN_WORDS):
        sense = "minimize"
    else:
        raise ConversionError(
            f"{where}: objective direction {obj.get('direction')!r} is not a maximize/minimize word"
        )

    constraints: list[dict[str, Any]] = []
    for ci, c in enumerate(cons, start=1):
        place = f"{where} constraint {ci}"
        ctype = c.get("type")
        op = _OPS.get(str(c.get("operator")))
        if op is None:
            raise ConversionError(f"{place}: unknown operator {c.get('operator')!r}")
        said = str(c.get("direction", "")).strip()
        if ctype == "sum":
            lhs, rhs = _lin_text(everyone, names), _fmt(parse_number(c["limit"])[0])
            desc = f"total of all variables, {said!r} {c['limit']}"
        elif ctype in ("upperbound", "lowerbound"):
            i = resolve(c["var"], place)
            lhs, rhs = names[i], _fmt(parse_number(c["limit"])[0])
            desc = f"{ctype} on {c['var']!r}: {said!r} {c['limit']}"
        elif ctype == "linear":
            if not c.get("terms"):
                raise ConversionError(
                    f"{place}: the linear declaration ({said!r} {c.get('limit')}) has no terms "
                    "(an annotation gap)"
                )
            lhs, rhs = (
                _lin_text(terms_of(c["terms"], place), names),
                _fmt(parse_number(c["limit"])[0]),
            )
            desc = f"linear limit, {said!r} {c['limit']}"
        elif ctype == "ratio":
            share, percent = parse_number(c["limit"])
            if not percent and share > 1:
                share /= 100.0  # a share written without '%' ("60"): a percentage
            i = resolve(c["var"], place)
            lhs = names[i]
            rhs = f"{_fmt(share)} * ({_lin_text(everyone, names)})"
            desc = f"share of {c['var']!r} among all variables, {said!r} {c['limit']}"
        elif ctype == "xby":
            i, j = resolve(c["x_var"], place), resolve(c["y_var"], place)
            lhs, rhs = names[i], f"{_fmt(parse_number(c['param'])[0])} * {names[j]}"
            desc = f"{c['x_var']!r} {said!r} {c['param']} times {c['y_var']!r}"
        elif ctype == "xy":
            i, j = resolve(c["x_var"], place), resolve(c["y_var"], place)
            lhs, rhs = names[i], names[j]
            desc = f"{c['x_var']!r} {said!r} {c['y_var']!r}"
        else:
            raise ConversionError(f"{place}: unknown constraint type {ctype!r}")
        constraints.append(
            {
                "name": f"c{ci}_{ctype}",
                "description": f"{desc} ({source} declaration {ci}, type {ctype})",
                "expression": f"{lhs} {op} {rhs}",
            }
        )

    data = {
        "name": f"nl4opt_{key}" if source == "gold" else key,
        "description": (
            f"NL4Opt gold formulation of competition record {key} "
            if source == "gold"
            else "Read from the problem text by the built-in model's extraction route "
        )
        + f"({str(obj.get('name', '')).strip()})",
        "variables": [
            {
                "name": names[i],
                "description": f"amount of {label[i]!r}",
                "domain": "integer" if integer else "continuous",
                "lower": 0,
            }
            for i in positions
        ],
        "objective": {
            "sense": sense,
            "expression": _lin_text(obj_terms, names),
            "description": str(obj.get("name", "")).strip() or "objective",
        },
        "constraints": constraints,
    }
    return Formulation.from_dict(data)


def with_domain(f: Formulation, *, integer: bool) -> Formulation:
    """The same formulation with every variable continuous or integer."""
    domain = "integer" if integer else "continuous"
    return f.model_copy(
        update={"variables": [v.model_copy(update={"domain": domain}) for v in f.variables]}
    )


# --------------------------------------------------------------------------- integrality

_DIVISIBLE = re.compile(
    r"\b(invest\w*|how much|money|partial|per (kg|kilogram)|"
    r"how many (kg|kilo\w*|hours?|litres?|liters?|grams?|tons?|gallons?|pounds?))\b"
)


def integer_rule(question: str) -> bool:
    """Whether to solve a problem with integer variables: the per-problem integrality rule.

    Continuous when the decisions are divisible quantities, recognised in the question by:
    "how much", money or investing, "partial", a price per kg, or "how many" followed by a
    divisible unit (kg, hours, litres, grams, tons, gallons, pounds); integer otherwise.
    NL4Opt problems mostly count vehicles, workers, packs, trips or servings, and their
    labels count them in whole numbers. Units elsewhere in the text (a resource in ml or
    kg) say nothing about the decisions and are ignored on purpose.
    """
    return not _DIVISIBLE.search(question.lower())
