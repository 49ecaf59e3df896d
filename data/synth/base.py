"""Building blocks of the problem families: what a family returns and what describes it.

The registry itself is :mod:`optiscribe.data.synth.families`.

A *family* is a function ``build(ctx) -> Draft``: it draws sensible random data with
``ctx.rng``, writes the five-element model (as a plain dict, the form an LLM writes), and
states every fact of the story in words with ``ctx.ph`` (a :class:`Phraser` on a separate
random stream). Keeping the two streams apart means the data of a record do not depend on
the words chosen, so the same model can be re-worded with another text seed.

Each :class:`Fact` names the constraints it states (``covers``). That is what lets the
generator make labelled variants honestly: dropping a constraint drops its sentence.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from optiscribe.data.errors import DataError
from optiscribe.data.synth.text import Phraser

__all__ = [
    "DIFFICULTIES",
    "Ctx",
    "Difficulty",
    "Draft",
    "Fact",
    "FamilySpec",
    "pick_names",
]

Difficulty = Literal["easy", "medium", "hard"]
DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard")


@dataclass(frozen=True)
class Fact:
    """One statement of the story, with the constraints it is the source of.

    ``pin`` keeps a fact in place when facts are shuffled: ``"first"`` (right after the
    introduction, e.g. what the products are) or ``"last"`` (e.g. "only whole units").
    ``bounding`` marks constraints whose removal can make a maximisation unbounded.
    """

    text: str
    covers: tuple[str, ...] = ()
    pin: Literal["first", "last"] | None = None
    bounding: bool = False


@dataclass(frozen=True)
class Draft:
    """What a family returns: the model as IR data, and the story in pieces."""

    ir: dict[str, Any]
    intro: str
    facts: tuple[Fact, ...]
    question: str
    features: tuple[str, ...]
    #: How the objective reads in a sentence ("the total cost", "the weekly profit").
    objective_noun: str
    #: Whether the objective is money (infeasible variants write it as a budget).
    objective_money: bool = True
    size: int = 0


@dataclass(frozen=True)
class Ctx:
    """Inputs of one build: two random streams, the difficulty, an optional size."""

    rng: random.Random
    ph: Phraser
    difficulty: Difficulty
    size: int | None = None

    def level(self, easy: Any, medium: Any, hard: Any) -> Any:
        """The value for this difficulty (often a ``(lo, hi)`` range)."""
        return {"easy": easy, "medium": medium, "hard": hard}[self.difficulty]

    def n(self, easy: tuple[int, int], medium: tuple[int, int], hard: tuple[int, int]) -> int:
        """Main size of the instance: ``ctx.size`` when given, else drawn for the difficulty."""
        if self.size is not None:
            return self.size
        lo, hi = self.level(easy, medium, hard)
        return self.rng.randint(lo, hi)

    def uniform_int(self, lo: int, hi: int, step: int = 1) -> int:
        return self.rng.randrange(lo, hi + 1, step)


@dataclass(frozen=True)
class FamilySpec:
    """A family: its name, what it is about, its builder, and the sizes it can build.

    ``sizes`` is the inclusive range of the main size (``--size``) the builder accepts; the
    generator refuses any other size up front, with this range in the message, instead of
    letting the builder fail half-way.
    """

    name: str
    summary: str
    build: Callable[[Ctx], Draft]
    kind: str = "LP"  # LP, MILP or IP: the usual character of the family
    sizes: tuple[int, int] = (1, 50)

    def check_size(self, size: int | None) -> None:
        """Raise :class:`DataError` when ``size`` is outside :attr:`sizes`."""
        if size is None:
            return
        lo, hi = self.sizes
        if not lo <= size <= hi:
            raise DataError(
                f"family {self.name!r} builds sizes {lo} to {hi}, not {size}; "
                f"pick a size in that range or leave --size out"
            )


def pick_names(rng: random.Random, pool: Sequence[str], k: int) -> list[str]:
    """``k`` distinct names from ``pool`` in random order; numbered names when it runs out."""
    if k <= len(pool):
        return rng.sample(list(pool), k)
    base = rng.sample(list(pool), len(pool))
    stem = base[0]
    return base + [f"{stem} {i}" for i in range(2, k - len(pool) + 2)]


def ident(text: str) -> str:
    """An IR element name for a story name: ``'Oak table' -> 'oak_table'``."""
    out = "".join(ch.lower() if ch.isalnum() else "_" for ch in text).strip("_")
    while "__" in out:
        out = out.replace("__", "_")
    if not out or out[0].isdigit():
        out = f"e_{out}"
    return out


def table(
    rows: Iterable[Any], cols: Iterable[Any], value: Callable[[Any, Any], float]
) -> dict[str, dict[str, float]]:
    """Nested IR table ``{row: {col: value}}``."""
    cols = list(cols)
    return {str(r): {str(c): value(r, c) for c in cols} for r in rows}
