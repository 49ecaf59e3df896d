"""optiscribe.verify: decide whether two MILPs are the same model.

Stand-alone: imports numpy, scipy and (lazily) highspy/pyomo only; never the LLM stack
or ``optiscribe.formulate``.

Pipeline (equivalence.md §5): read both models into :class:`MilpData` → canonicalise
both identically (``strict`` or ``normalized``) → exact colour refinement on the disjoint
union of their coloured bipartite graphs → histograms differ: ``NOT_EQUIVALENT`` with a
witness; discrete or symmetric-decomposable on both sides: forced mapping; otherwise an
exact individualisation-refinement search under a budget → every mapping is re-verified
on the models as read before ``EQUIVALENT`` is returned.

>>> from optiscribe.verify import check, Verdict
"""

from __future__ import annotations

from optiscribe.verify._check import check, check_instances
from optiscribe.verify._model import MilpData, ModelReadError, UnsupportedModelError
from optiscribe.verify._read import ModelLike, read_model
from optiscribe.verify._result import (
    Certificate,
    CheckResult,
    Level,
    SolverOpinion,
    Verdict,
    Witness,
)
from optiscribe.verify._solver import solver_opinion

__all__ = [
    "Certificate",
    "CheckResult",
    "Level",
    "MilpData",
    "ModelLike",
    "ModelReadError",
    "SolverOpinion",
    "UnsupportedModelError",
    "Verdict",
    "Witness",
    "check",
    "check_instances",
    "read_model",
    "solver_opinion",
]
