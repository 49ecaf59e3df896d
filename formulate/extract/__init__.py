"""The built-in model's extraction route: problem text -> entity tags -> declarations -> IR.

Three stages, each its own module: :mod:`~optiscribe.formulate.extract.tagger` (a CRF that
marks variables, numbers, directions and the objective), :mod:`~optiscribe.formulate.extract.rules`
(rules that turn tagged text into NL4Opt-style declarations) and
:mod:`~optiscribe.formulate.extract.declarations` (declarations -> a validated
:class:`~optiscribe.formulate.ir.model.Formulation`). No torch: a problem takes milliseconds.
It reads NL4Opt-style problems (a few scalar variables, linear limits, shares and ratios);
problems with index sets are the generative route's (``optiscribe.formulate.llm.builtin``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optiscribe.formulate.errors import ConversionError
from optiscribe.formulate.extract.declarations import convert, integer_rule
from optiscribe.formulate.extract.rules import assemble
from optiscribe.formulate.extract.tagger import Tagger
from optiscribe.formulate.ir.model import Formulation

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
    """The extraction route with its tagger loaded (``tagger`` defaults to the shipped one)."""

    def __init__(self, tagger: str | Path | None = None) -> None:
        self.tagger = Tagger(tagger)

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
        f = convert(
            name, assembly.declaration, integer=integer, source="extracted"
        ).validate_model()
        return Extraction(f, assembly.declaration, integer, tuple(assembly.notes))
