"""The built-in model's extraction route: problem text -> entity tags -> declarations -> IR.

Three stages, each its own module: a tagger that marks variables, numbers, directions and the
objective (:mod:`~optiscribe.formulate.extract.encoder`, MiniLM-L6 with our adapter, when its
base wheel is installed; else the CRF of :mod:`~optiscribe.formulate.extract.tagger`),
:mod:`~optiscribe.formulate.extract.rules`
(rules that turn tagged text into NL4Opt-style declarations) and
:mod:`~optiscribe.formulate.extract.declarations` (declarations -> a validated
:class:`~optiscribe.formulate.ir.model.Formulation`). No torch: a problem takes tens of milliseconds.
It reads NL4Opt-style problems (a few scalar variables, linear limits, shares and ratios);
problems with index sets are the generative route's (``optiscribe.formulate.llm.builtin``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optiscribe.formulate.errors import ConversionError, FormulationValidationError
from optiscribe.formulate.extract.declarations import convert, integer_rule
from optiscribe.formulate.extract.encoder import TaggerLike, load_tagger, tagger_status
from optiscribe.formulate.extract.repair import alternatives
from optiscribe.formulate.extract.rules import assemble
from optiscribe.formulate.extract.tagger import Tagger
from optiscribe.formulate.ir.model import Formulation
from optiscribe.solvers import solve
from optiscribe.solvers.errors import OptiscribeError

__all__ = ["ConversionError", "Extraction", "Extractor"]


@dataclass(frozen=True)
class Extraction:
    """One problem read by the extraction route: the formulation, the declarations it came
    from, whether variables are integer, and the assembly's notes."""

    formulation: Formulation
    declaration: dict[str, Any]
    integer: bool
    notes: tuple[str, ...]


class Extractor:
    """The extraction route with its tagger loaded.

    ``tagger``: a CRF model file, or a tagger object; by default the best one this install
    has (:func:`~optiscribe.formulate.extract.encoder.load_tagger`).
    """

    def __init__(
        self, tagger: str | Path | TaggerLike | None = None, *, repair: bool = True
    ) -> None:
        self.fallback = ""
        """Why the route reads with the CRF alone, when it does (said in every answer's notes)."""
        if tagger is None:
            kind, why = tagger_status()
            if kind != "minilm":
                self.fallback = f"read with the CRF tagger alone ({why})"
            self.tagger: TaggerLike = load_tagger(kind)
        elif isinstance(tagger, (str, Path)):
            self.tagger = Tagger(tagger)
        else:
            self.tagger = tagger
        self.repair = repair

    def extract(self, text: str, *, name: str = "problem") -> Extraction:
        """Read ``text`` into a validated formulation.

        Raises :class:`ConversionError` (or ``FormulationValidationError``) with the reason
        when the problem does not read as declarations.
        """
        if not text.strip():
            raise ConversionError("the problem text is empty")
        tokens, tags = self.tagger.tag(text)
        assembly = assemble(tokens, tags, text)
        integer = integer_rule(text)
        decl = assembly.declaration
        notes = list(assembly.notes)
        if self.fallback:
            notes.append(self.fallback)
        f = convert(name, decl, integer=integer, source="extracted").validate_model()
        if self.repair and not _solves(f):
            for change, alt in alternatives(decl):
                try:
                    g = convert(name, alt, integer=integer, source="extracted").validate_model()
                except (ConversionError, FormulationValidationError):
                    continue
                if _solves(g):
                    f, decl = g, alt
                    notes.append(f"the first reading had no optimum; assumed: {change}")
                    break
        if notes:  # what was assumed travels with the model, to every place that shows it
            f = f.model_copy(update={"description": f"{f.description}. Notes: {'; '.join(notes)}"})
        return Extraction(f, decl, integer, tuple(notes))


def _solves(f: Formulation) -> bool:
    """Whether ``f`` solves to an optimum (HiGHS, 5 s at most: these models are tiny)."""
    try:
        return solve(f.to_pyomo(), solver="highs", time_limit=5, diagnose=False).is_optimal
    except OptiscribeError:
        return False
