"""LLM backends: one small interface, picked by configuration.

Every backend answers::

    backend.complete(messages, *, n=1, temperature=None, response_format=None,
                     problem_id=None) -> list[str]

``messages`` are OpenAI-style dicts (``{"role": "user", "content": "..."}``); the result
holds exactly ``n`` completion texts. ``response_format`` is the OpenAI request field
(``{"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}`` or
``{"type": "json_object"}``; :func:`json_schema_format` builds the first from a pydantic
model). Backends that cannot constrain decoding get the schema as an instruction instead
and the caller parses the text (:func:`extract_json`). ``problem_id`` is only read by the
``replay`` backend (other backends ignore it; the ``openai`` backend forwards it as the
``X-Optiscribe-Problem-Id`` header so that ``optiscribe serve --backend replay`` works
through HTTP).

Backends (the registry :data:`BACKENDS`, dispatched by :func:`make_backend`):

* ``openai`` — any OpenAI-compatible endpoint (``llm_openai``).
* ``transformers`` — a local model directory + optional LoRA adapter (``llm_transformers``;
  torch/transformers/peft are imported only when it is constructed).
* ``replay`` — recorded responses keyed by problem id (``llm_replay``).
* ``builtin`` (the default) — SmolLM2-135M + our LoRA adapter, offline
  (:mod:`optiscribe.formulate.llm.builtin`); when its base weights or torch are missing it
  raises :class:`BackendUnavailable` with the install command.

:class:`ScriptedBackend` (here) returns scripted answers in order and records what it was
sent; it is for tests and is not reachable from configuration.

Configuration (:class:`BackendConfig`) merges, highest first: CLI flags > environment
variables (``OPTISCRIBE_*``, see :data:`ENV_VARS`) > a TOML/YAML config file (``--config``
or ``OPTISCRIBE_CONFIG``) > defaults. API keys never appear in any of them: the config
names the *environment variable* that holds the key (``api_key_env``).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import importlib
import importlib.util
import inspect
import json
import os
import re
import threading
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, runtime_checkable

from optiscribe.formulate.errors import (
    BackendConfigError,
    BackendUnavailable,
    LLMError,
    LLMOutputParseError,
)

__all__ = [
    "BACKENDS",
    "BACKEND_OPTION_NAMES",
    "CONFIG_ENV_VAR",
    "ENV_VARS",
    "PROBLEM_ID_HEADER",
    "STRUCTURED_MODES",
    "BackendConfig",
    "BackendSpec",
    "LLMBackend",
    "Message",
    "ScriptedBackend",
    "ScriptedCall",
    "adapt_request",
    "available_backends",
    "backend_options",
    "config_from_cli",
    "extract_json",
    "json_schema_format",
    "load_config",
    "make_backend",
]

Message = Mapping[str, Any]
"""One OpenAI-style chat message: ``{"role": ..., "content": ...}``."""

StructuredMode = Literal["json_schema", "json_object", "none"]
STRUCTURED_MODES: tuple[str, ...] = ("json_schema", "json_object", "none")

PROBLEM_ID_HEADER = "X-Optiscribe-Problem-Id"
"""HTTP header that carries ``problem_id`` from the ``openai`` backend to ``serve``.

A header rather than a body field because strict servers (OpenAI) reject unknown body
parameters but ignore unknown headers."""


@runtime_checkable
class LLMBackend(Protocol):
    """What the formulate loop needs from a language model."""

    name: str

    def complete(
        self,
        messages: Sequence[Message],
        *,
        n: int = 1,
        temperature: float | None = None,
        response_format: Mapping[str, Any] | None = None,
        problem_id: str | None = None,
    ) -> list[str]:
        """Return ``n`` completion texts for ``messages``."""
        ...


# --------------------------------------------------------------------------- structured output


def json_schema_format(schema: Any, *, name: str | None = None, strict: bool = True) -> dict:
    """Build an OpenAI ``response_format`` of type ``json_schema``.

    ``schema`` is a JSON-schema dict or a pydantic model class (its
    ``model_json_schema()`` is used and its class name becomes ``name``).
    """
    if isinstance(schema, type) and hasattr(schema, "model_json_schema"):
        name = name or schema.__name__
        schema = schema.model_json_schema()
    if not isinstance(schema, Mapping):
        raise TypeError(
            f"json_schema_format needs a JSON-schema dict or a pydantic model class, "
            f"got {type(schema).__name__}"
        )
    return {
        "type": "json_schema",
        "json_schema": {"name": name or "answer", "schema": dict(schema), "strict": strict},
    }


def _schema_of(response_format: Mapping[str, Any]) -> Mapping[str, Any] | None:
    inner = response_format.get("json_schema")
    if isinstance(inner, Mapping):
        schema = inner.get("schema")
        return schema if isinstance(schema, Mapping) else None
    return None


def _instruction(response_format: Mapping[str, Any]) -> str:
    schema = _schema_of(response_format)
    if schema is None:
        return "Answer with a single JSON object and nothing else."
    return (
        "Answer with a single JSON object and nothing else. It must match this JSON schema:\n"
        + json.dumps(schema, sort_keys=True)
    )


def _with_instruction(messages: Sequence[Message], text: str) -> list[dict]:
    """Append the format instruction as a trailing system message (a copy; never mutates)."""
    out = [dict(m) for m in messages]
    out.append({"role": "system", "content": text})
    return out


def _mode_json_schema(
    messages: Sequence[Message], response_format: Mapping[str, Any]
) -> tuple[list[dict], dict | None]:
    return [dict(m) for m in messages], dict(response_format)


def _mode_json_object(
    messages: Sequence[Message], response_format: Mapping[str, Any]
) -> tuple[list[dict], dict | None]:
    # json_object servers (DeepSeek) never see a schema and require the word "json" in the
    # prompt, so the schema travels as an instruction.
    return _with_instruction(messages, _instruction(response_format)), {"type": "json_object"}


def _mode_none(
    messages: Sequence[Message], response_format: Mapping[str, Any]
) -> tuple[list[dict], dict | None]:
    return _with_instruction(messages, _instruction(response_format)), None


_MODE_TABLE: dict[str, Callable[..., tuple[list[dict], dict | None]]] = {
    "json_schema": _mode_json_schema,
    "json_object": _mode_json_object,
    "none": _mode_none,
}


def adapt_request(
    messages: Sequence[Message],
    response_format: Mapping[str, Any] | None,
    structured: str,
) -> tuple[list[dict], dict | None]:
    """Fit a request to what an endpoint supports (``structured`` capability).

    Returns ``(messages, response_format_to_send)``; both are fresh copies. With
    ``json_schema`` the format is sent as is; with ``json_object`` it is downgraded and the
    schema goes into a trailing system message; with ``none`` nothing is sent and the
    instruction alone asks for JSON (the caller parses with :func:`extract_json`).
    """
    if response_format is None or response_format.get("type") in (None, "text"):
        return [dict(m) for m in messages], None
    try:
        mode = _MODE_TABLE[structured]
    except KeyError:
        raise BackendConfigError(
            f"structured={structured!r} is not a structured-output mode; "
            f"use one of {', '.join(STRUCTURED_MODES)}"
        ) from None
    return mode(messages, response_format)


_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


def extract_json(text: str) -> Any:
    """Parse the JSON value in a model's answer (our own parsing for plain-text servers).

    Accepts bare JSON, JSON in a Markdown code fence, or JSON surrounded by prose (the
    first decodable ``{...}``/``[...]`` wins). Raises :class:`LLMOutputParseError` with
    the reason otherwise.
    """
    candidates = [text.strip()]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(text)]
    for c in candidates:
        try:
            return json.loads(c)
        except ValueError:
            pass
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "{[":
            try:
                value, _ = decoder.raw_decode(text, i)
                return value
            except ValueError:
                continue
    preview = text[:200].replace("\n", "\\n")
    raise LLMOutputParseError(
        f"the model's answer contains no JSON value (first 200 characters: {preview!r}); "
        "ask it to answer with a single JSON object"
    )


# ------------------------------------------------------------------------------ scripted


@dataclass(frozen=True)
class ScriptedCall:
    """One call that :class:`ScriptedBackend` received (messages deep-copied)."""

    messages: tuple[dict, ...]
    n: int
    temperature: float | None
    response_format: dict | None
    problem_id: str | None


ScriptItem = str | BaseException
ScriptFn = Callable[[ScriptedCall], "str | Sequence[str]"]


class ScriptedBackend:
    """A deterministic backend for tests: scripted answers in order, every call recorded.

    ``ScriptedBackend(["bad", "good"])`` answers the first completion with ``"bad"`` and
    the next with ``"good"``; a call with ``n=3`` consumes three items. An item that is an
    exception instance is raised instead (to test error handling). Running out of items
    raises :class:`LLMError` saying how many were scripted.

    ``ScriptedBackend(fn)`` calls ``fn(call: ScriptedCall)`` per request; it returns one
    string (repeated ``n`` times) or ``n`` strings.

    ``calls`` holds a :class:`ScriptedCall` per request; ``messages`` the message lists.
    Thread-safe, so it can sit behind ``optiscribe serve``.
    """

    name = "scripted"

    def __init__(self, responses_or_callable: Sequence[ScriptItem] | ScriptFn) -> None:
        self._lock = threading.Lock()
        self._fn: ScriptFn | None = None
        self._script: list[ScriptItem] = []
        if callable(responses_or_callable):
            self._fn = responses_or_callable
        elif isinstance(responses_or_callable, str):
            self._script = [responses_or_callable]
        else:
            self._script = list(responses_or_callable)
        self._pos = 0
        self.calls: list[ScriptedCall] = []

    @property
    def messages(self) -> list[tuple[dict, ...]]:
        """The message list of every call, in order."""
        return [c.messages for c in self.calls]

    @property
    def remaining(self) -> int:
        """How many scripted items are left (0 for a callable script)."""
        return len(self._script) - self._pos

    def complete(
        self,
        messages: Sequence[Message],
        *,
        n: int = 1,
        temperature: float | None = None,
        response_format: Mapping[str, Any] | None = None,
        problem_id: str | None = None,
    ) -> list[str]:
        """Return the next ``n`` scripted answers (or the callable's)."""
        _check_n(n)
        call = ScriptedCall(
            messages=tuple(copy.deepcopy(dict(m)) for m in messages),
            n=n,
            temperature=temperature,
            response_format=copy.deepcopy(dict(response_format)) if response_format else None,
            problem_id=problem_id,
        )
        with self._lock:
            self.calls.append(call)
            if self._fn is not None:
                out = self._fn(call)
                texts = [out] * n if isinstance(out, str) else list(out)
                if len(texts) != n or not all(isinstance(t, str) for t in texts):
                    raise LLMError(
                        f"ScriptedBackend callable returned {len(texts)} answers for n={n}; "
                        "return one string or exactly n strings"
                    )
                return texts
            texts = []
            for _ in range(n):
                if self._pos >= len(self._script):
                    raise LLMError(
                        f"ScriptedBackend ran out of answers: {len(self._script)} scripted, "
                        f"call {len(self.calls)} asked for more; script more answers"
                    )
                item = self._script[self._pos]
                self._pos += 1
                if isinstance(item, BaseException):
                    raise item
                texts.append(item)
            return texts

    def __repr__(self) -> str:
        kind = "callable" if self._fn is not None else f"{len(self._script)} answers"
        return f"ScriptedBackend({kind}, calls={len(self.calls)})"


def _check_n(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")


# ---------------------------------------------------------------------------------- config


def _setting(default: Any, help: str) -> Any:
    """A config field whose help text the CLI options reuse (one source of truth)."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class BackendConfig:
    """Which backend to use and how; immutable, holds no secret.

    ``api_key_env`` is the *name* of the environment variable that holds the API key; the
    key itself is read by the ``openai`` backend when it is constructed and never stored
    here, so printing a config is always safe.
    """

    backend: str = _setting("builtin", "openai | transformers | replay | builtin")
    base_url: str | None = _setting(
        None, "OpenAI-compatible endpoint, e.g. http://localhost:11434/v1"
    )
    model: str | None = _setting(None, "model name at the endpoint")
    api_key_env: str = _setting("OPENAI_API_KEY", "environment variable that holds the API key")
    model_dir: Path | None = _setting(None, "local model directory (transformers)")
    adapter: Path | None = _setting(None, "peft LoRA adapter directory (transformers)")
    replay_file: Path | None = _setting(None, "JSONL of {id, response(s)} (replay)")
    structured: str = _setting("json_schema", "json_schema | json_object | none")
    temperature: float | None = _setting(None, "default sampling temperature")
    timeout: float = _setting(120.0, "seconds per request")
    max_retries: int = _setting(3, "retries on 429/5xx/connection errors")
    max_tokens: int | None = _setting(None, "maximum tokens per completion")
    device: str = _setting("auto", "auto | cpu | cuda[:i] (transformers)")
    seed: int | None = _setting(None, "random seed (transformers sampling)")

    def __post_init__(self) -> None:
        if self.structured not in STRUCTURED_MODES:
            raise BackendConfigError(
                f"structured={self.structured!r} is not valid; use one of {', '.join(STRUCTURED_MODES)}"
            )
        if self.temperature is not None and not 0.0 <= self.temperature <= 2.0:
            raise BackendConfigError(f"temperature={self.temperature} is outside [0, 2]")
        if self.timeout <= 0:
            raise BackendConfigError(f"timeout={self.timeout} must be positive (seconds)")
        if self.max_retries < 0:
            raise BackendConfigError(f"max_retries={self.max_retries} must be >= 0")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise BackendConfigError(f"max_tokens={self.max_tokens} must be >= 1")
        if not self.api_key_env or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.api_key_env):
            raise BackendConfigError(
                f"api_key_env={self.api_key_env!r} is not an environment-variable name; it names "
                "the variable that holds the key (e.g. DEEPSEEK_API_KEY), never the key itself"
            )


def _to_path(v: Any) -> Path:
    return Path(v).expanduser()


def _to_bool_free_int(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError("a boolean is not a number")
    return int(v)


def _to_float(v: Any) -> float:
    if isinstance(v, bool):
        raise ValueError("a boolean is not a number")
    return float(v)


# field name -> converter from a string/TOML/YAML value
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "backend": str,
    "base_url": str,
    "model": str,
    "api_key_env": str,
    "model_dir": _to_path,
    "adapter": _to_path,
    "replay_file": _to_path,
    "structured": str,
    "temperature": _to_float,
    "timeout": _to_float,
    "max_retries": _to_bool_free_int,
    "max_tokens": _to_bool_free_int,
    "device": str,
    "seed": _to_bool_free_int,
}

ENV_VARS: dict[str, str] = {name: f"OPTISCRIBE_{name.upper()}" for name in _CONVERTERS}
"""Environment variable per config field: ``OPTISCRIBE_BACKEND``, ``OPTISCRIBE_BASE_URL``, ..."""

CONFIG_ENV_VAR = "OPTISCRIBE_CONFIG"
_SECRET_KEYS = frozenset({"api_key", "key", "token", "openai_api_key", "secret"})


def _convert(name: str, value: Any, source: str) -> Any:
    try:
        return _CONVERTERS[name](value)
    except (TypeError, ValueError) as exc:
        raise BackendConfigError(f"{source}: {name}={value!r} is not valid ({exc})") from None


def _read_config_file(path: Path) -> dict[str, Any]:
    """Read the ``[llm]`` table (or the top level) of a TOML or YAML file."""
    if not path.is_file():
        raise BackendConfigError(
            f"config file {path} does not exist; check --config / {CONFIG_ENV_VAR}"
        )
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = tomllib.loads(text)
    except Exception as exc:  # tomllib.TOMLDecodeError, yaml.YAMLError
        raise BackendConfigError(f"config file {path} could not be parsed: {exc}") from None
    if not isinstance(data, dict):
        raise BackendConfigError(f"config file {path} must hold a table/mapping at the top level")
    section = data.get("llm", data)
    if not isinstance(section, dict):
        raise BackendConfigError(f"config file {path}: [llm] must be a table")
    secrets = sorted(k for k in section if str(k).lower() in _SECRET_KEYS)
    if secrets:
        raise BackendConfigError(
            f"config file {path} contains {', '.join(secrets)}: API keys are read only from the "
            "environment; put the key in an environment variable and set api_key_env to its name"
        )
    unknown = sorted(str(k) for k in section if k not in _CONVERTERS)
    if unknown:
        raise BackendConfigError(
            f"config file {path}: unknown key(s) {', '.join(unknown)}; "
            f"known keys are {', '.join(_CONVERTERS)}"
        )
    return {k: _convert(k, v, f"config file {path}") for k, v in section.items() if v is not None}


def load_config(
    cli: Mapping[str, Any] | None = None,
    *,
    config_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> BackendConfig:
    """Merge configuration: ``cli`` > environment > config file > defaults.

    ``cli`` maps field names to values; ``None`` values mean "not given". The config file
    is ``config_file`` or else ``$OPTISCRIBE_CONFIG``. ``env`` defaults to ``os.environ``.
    """
    env = os.environ if env is None else env
    merged: dict[str, Any] = {}
    path = config_file if config_file is not None else env.get(CONFIG_ENV_VAR) or None
    if path is not None:
        merged.update(_read_config_file(Path(path).expanduser()))
    for name, var in ENV_VARS.items():
        raw = env.get(var)
        if raw is not None and raw.strip() != "":
            merged[name] = _convert(name, raw.strip(), f"environment variable {var}")
    for name, value in (cli or {}).items():
        if name not in _CONVERTERS:
            raise BackendConfigError(
                f"unknown backend option {name!r}; known: {', '.join(_CONVERTERS)}"
            )
        if value is not None:
            merged[name] = _convert(name, value, f"option --{name.replace('_', '-')}")
    return BackendConfig(**merged)


def config_from_cli(
    *,
    backend: str | None = None,
    base_url: str | None = None,
    model: str | None = None,
    api_key_env: str | None = None,
    model_dir: str | os.PathLike[str] | None = None,
    adapter: str | os.PathLike[str] | None = None,
    replay_file: str | os.PathLike[str] | None = None,
    structured: str | None = None,
    temperature: float | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    max_tokens: int | None = None,
    device: str | None = None,
    seed: int | None = None,
    config: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> BackendConfig:
    """Build a :class:`BackendConfig` from CLI option values (``None`` = not given).

    Precedence: these values > ``OPTISCRIBE_*`` environment > ``config`` file (or
    ``$OPTISCRIBE_CONFIG``) > defaults.
    """
    cli = {
        "backend": backend, "base_url": base_url, "model": model, "api_key_env": api_key_env,
        "model_dir": model_dir, "adapter": adapter, "replay_file": replay_file,
        "structured": structured, "temperature": temperature, "timeout": timeout,
        "max_retries": max_retries, "max_tokens": max_tokens, "device": device, "seed": seed,
    }  # fmt: skip
    return load_config(cli, config_file=config, env=env)


# -------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class BackendSpec:
    """A registry row: where the backend class lives and what it needs installed.

    ``target`` is ``"module:Class"``; the module is imported only by :func:`make_backend`
    so that heavy dependencies stay out of ``import optiscribe.formulate.llm.base``. The class
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
        "the small offline model shipped with optiscribe (SmolLM2-135M + our LoRA adapter)",
        requires=("torch", "transformers", "peft"),
        install_hint=_FINETUNE_HINT,
    ),
}


def available_backends() -> dict[str, str]:
    """Name -> ``"ok"`` or the reason the backend cannot be constructed here."""
    out: dict[str, str] = {}
    for name, spec in BACKENDS.items():
        if missing := spec.missing():
            out[name] = f"missing {', '.join(missing)}: {spec.install_hint}"
        elif name == "builtin":
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
    missing = spec.missing()
    if missing:
        raise BackendUnavailable(
            f"backend {spec.name!r} needs {', '.join(missing)}, which is not installed; "
            f"install it with: {spec.install_hint}"
        )
    return _resolve(spec.target).from_config(config)


# ------------------------------------------------------------------------- typer options

# Each entry: field name -> (option declarations, python type, help). The help text is
# taken from BackendConfig's field metadata so that there is one source of truth.
_OPTION_DECLS: dict[str, tuple[tuple[str, ...], Any]] = {
    "backend": (("--backend",), str),
    "base_url": (("--base-url",), str),
    "model": (("--model",), str),
    "api_key_env": (("--api-key-env",), str),
    "model_dir": (("--model-dir",), Path),
    "adapter": (("--adapter",), Path),
    "replay_file": (("--replay-file",), Path),
    "structured": (("--structured",), str),
    "temperature": (("--temperature",), float),
    "timeout": (("--timeout",), float),
    "max_retries": (("--max-retries",), int),
    "max_tokens": (("--max-tokens",), int),
    "device": (("--device",), str),
    "seed": (("--seed",), int),
    "config": (("--config",), Path),
}
_PANEL = "LLM backend"
_EXIT_BAD_INPUT = 3  # optiscribe.app.cli.EXIT_BAD_INPUT (not imported: app depends on us)


@functools.cache
def _option_parameters() -> tuple[inspect.Parameter, ...]:
    import typer  # the CLI layer only; keeps typer out of plain library imports

    helps = {f.name: f.metadata.get("help", "") for f in dataclasses.fields(BackendConfig)}
    helps["config"] = (
        f"TOML/YAML config file, keys at top level or in an 'llm' table (or ${CONFIG_ENV_VAR})"
    )
    params = []
    for name, (decls, typ) in _OPTION_DECLS.items():
        env_note = f" [env: {ENV_VARS[name]}]" if name in ENV_VARS else ""
        option = typer.Option(
            *decls, help=helps[name] + env_note, rich_help_panel=_PANEL, show_default=False
        )
        params.append(
            inspect.Parameter(
                f"llm_{name}",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[typ | None, option],
            )
        )
    return tuple(params)


def backend_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for typer commands: adds the backend options, passes ``llm_config``.

    The decorated function must take a keyword parameter ``llm_config: BackendConfig``;
    the command gets ``--backend --base-url --model --api-key-env --model-dir --adapter
    --replay-file --structured --temperature --timeout --max-retries --max-tokens --device
    --seed --config`` instead, merged by :func:`config_from_cli` (CLI > env > file >
    defaults). Invalid configuration is reported on stderr and exits with code 3 (bad
    input) before the command body runs::

        @app.command()
        @backend_options
        def solve(problem: Path, *, llm_config: BackendConfig) -> None:
            backend = make_backend(llm_config)
    """
    sig = inspect.signature(func, eval_str=True)
    if "llm_config" not in sig.parameters:
        raise TypeError(f"{func.__name__} must take a keyword parameter 'llm_config'")
    kept = [p for p in sig.parameters.values() if p.name != "llm_config"]
    extra = _option_parameters()
    positional = [p for p in kept if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    keyword = [p for p in kept if p.kind is inspect.Parameter.KEYWORD_ONLY]
    new_sig = sig.replace(parameters=[*positional, *keyword, *extra])
    names = [p.name for p in extra]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name[len("llm_") :]: kwargs.pop(name, None) for name in names}
        try:
            kwargs["llm_config"] = config_from_cli(**values)
        except BackendConfigError as exc:
            import typer

            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(_EXIT_BAD_INPUT) from None
        return func(*args, **kwargs)

    wrapper.__signature__ = new_sig  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in new_sig.parameters.values()}
    if sig.return_annotation is not inspect.Signature.empty:
        wrapper.__annotations__["return"] = sig.return_annotation
    return wrapper


BACKEND_OPTION_NAMES: tuple[str, ...] = tuple(_OPTION_DECLS)
"""Field names of the options :func:`backend_options` adds (each as ``--name-with-dashes``)."""
