"""optiscribe.formulate: from problem text to a checked five-element formulation.

The public names are listed in ``__all__`` and loaded on first use (a module-level
``__getattr__``), so ``import optiscribe.formulate`` stays cheap: it never imports
pyomo, torch, transformers or openai. Typical use::

    from optiscribe.formulate import BackendConfig, make_backend, solve_text

    backend = make_backend(BackendConfig(backend="openai", base_url=..., model=...))
    result = solve_text("A workshop makes chairs and tables ...", backend=backend)
    result.status, result.objective, result.formulation
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "Attempt",
    "BackendConfig",
    "BackendUnavailable",
    "CompileError",
    "ConsensusResult",
    "CorrectionBudgetExceeded",
    "Formulation",
    "FormulationValidationError",
    "LLMBackend",
    "LLMError",
    "LLMOutputParseError",
    "MODES",
    "ModeSpec",
    "PipelineResult",
    "Problem",
    "ScriptedBackend",
    "available_backends",
    "build_feedback",
    "config_from_cli",
    "json_schema",
    "make_backend",
    "run_loop",
    "solve_text",
    "to_latex",
    "to_markdown",
]

# public name -> module (relative to this package) that defines it
_EXPORTS: dict[str, str] = {
    "MODES": "modes",
    "Attempt": "loop",
    "BackendConfig": "llm.config",
    "BackendUnavailable": "errors",
    "CompileError": "errors",
    "ConsensusResult": "consensus",
    "CorrectionBudgetExceeded": "errors",
    "Formulation": "ir.model",
    "FormulationValidationError": "errors",
    "LLMBackend": "llm.base",
    "LLMError": "errors",
    "LLMOutputParseError": "errors",
    "ModeSpec": "loop",
    "PipelineResult": "pipeline",
    "Problem": "loop",
    "ScriptedBackend": "llm.scripted",
    "available_backends": "llm.registry",
    "build_feedback": "loop",
    "config_from_cli": "llm.config",
    "json_schema": "ir.model",
    "make_backend": "llm.registry",
    "run_loop": "loop",
    "solve_text": "pipeline",
    "to_latex": "ir.render",
    "to_markdown": "ir.render",
}

if TYPE_CHECKING:
    from optiscribe.formulate.consensus import ConsensusResult
    from optiscribe.formulate.errors import (
        BackendUnavailable,
        CompileError,
        CorrectionBudgetExceeded,
        FormulationValidationError,
        LLMError,
        LLMOutputParseError,
    )
    from optiscribe.formulate.ir.model import Formulation, json_schema
    from optiscribe.formulate.ir.render import to_latex, to_markdown
    from optiscribe.formulate.llm.base import LLMBackend
    from optiscribe.formulate.llm.config import BackendConfig, config_from_cli
    from optiscribe.formulate.llm.registry import available_backends, make_backend
    from optiscribe.formulate.llm.scripted import ScriptedBackend
    from optiscribe.formulate.loop import Attempt, ModeSpec, Problem, build_feedback, run_loop
    from optiscribe.formulate.modes import MODES
    from optiscribe.formulate.pipeline import PipelineResult, solve_text


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'optiscribe.formulate' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # cache: the next access skips __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
