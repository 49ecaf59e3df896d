"""optiscribe.verify: decide whether two MILPs are the same model.

Stand-alone: imports numpy, scipy and (lazily) highspy/pyomo only; never the LLM stack
or ``optiscribe.formulate``.

Pipeline (equivalence.md §5): read both models into :class:`MilpData` → canonicalise
both identically (``strict`` or ``normalized``) → exact colour refinement on the disjoint
union of their coloured bipartite graphs → histograms differ: ``NOT_EQUIVALENT`` with a
witness; discrete or symmetric-decomposable on both sides: forced mapping; otherwise an
exact individualisation-refinement search under a budget → every mapping is re-verified
on the models as read before ``EQUIVALENT`` is returned.

The public names are loaded on first access (PEP 562): ``import optiscribe.verify`` costs
almost nothing, so the layers above can import it at module level without paying for
numpy/scipy until a check runs.

>>> from optiscribe.verify import check, Verdict
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: public name → private module that defines it
_EXPORTS = {
    "Certificate": "_result",
    "CheckResult": "_result",
    "Level": "_result",
    "MilpData": "_model",
    "ModelLike": "_read",
    "ModelReadError": "_model",
    "SolverOpinion": "_result",
    "UnsupportedModelError": "_model",
    "Verdict": "_result",
    "Witness": "_result",
    "check": "_check",
    "check_instances": "_check",
    "read_model": "_read",
    "solver_opinion": "_solver",
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'optiscribe.verify' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"optiscribe.verify.{module}"), name)
    globals()[name] = value  # later accesses skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
