"""Backend configuration: one frozen :class:`BackendConfig`, and how it is assembled.

Configuration merges, highest first: CLI flags > environment variables (``OPTISCRIBE_*``,
see :data:`ENV_VARS`) > a TOML/YAML config file (``--config`` or ``OPTISCRIBE_CONFIG``) >
defaults. API keys never appear in any of them: the config names the *environment
variable* that holds the key (``api_key_env``).

Each field is written once: its default, help text and value converter sit in the
dataclass field (``metadata=_meta(help, type)``); the environment variables, the config-file keys, the
CLI options (``optiscribe.app._options``) and :func:`config_from_cli` are derived from it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from optiscribe.formulate.errors import BackendConfigError
from optiscribe.formulate.llm.base import STRUCTURED_MODES

__all__ = [
    "CONFIG_ENV_VAR",
    "ENV_VARS",
    "FIELD_TYPES",
    "BackendConfig",
    "config_from_cli",
    "load_config",
]


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


# converter per value type: how a string (environment) or TOML/YAML value is read
_CONVERT_BY_TYPE: dict[type, Callable[[Any], Any]] = {
    str: str,
    Path: _to_path,
    float: _to_float,
    int: _to_bool_free_int,
}


def _meta(help: str, type_: type = str) -> dict[str, Any]:
    """A config field's metadata: the help text the CLI shows, and its value type (which
    picks the converter for environment/file values and the CLI option's type)."""
    return {"help": help, "type": type_}


@dataclass(frozen=True)
class BackendConfig:
    """Which backend to use and how; immutable, holds no secret.

    ``api_key_env`` is the *name* of the environment variable that holds the API key; the
    key itself is read by the ``openai`` backend when it is constructed and never stored
    here, so printing a config is always safe.
    """

    backend: str = field(
        default="builtin", metadata=_meta("openai | transformers | replay | builtin")
    )
    base_url: str | None = field(
        default=None, metadata=_meta("OpenAI-compatible endpoint, e.g. http://localhost:11434/v1")
    )
    model: str | None = field(default=None, metadata=_meta("model name at the endpoint"))
    api_key_env: str = field(
        default="OPENAI_API_KEY", metadata=_meta("environment variable that holds the API key")
    )
    model_dir: Path | None = field(
        default=None, metadata=_meta("local model directory (transformers)", Path)
    )
    adapter: Path | None = field(
        default=None, metadata=_meta("peft LoRA adapter directory (transformers)", Path)
    )
    replay_file: Path | None = field(
        default=None, metadata=_meta("JSONL of {id, response(s)} (replay)", Path)
    )
    structured: str = field(
        default="json_schema", metadata=_meta("json_schema | json_object | none")
    )
    temperature: float | None = field(
        default=None, metadata=_meta("default sampling temperature", float)
    )
    timeout: float = field(default=120.0, metadata=_meta("seconds per request", float))
    max_retries: int = field(default=3, metadata=_meta("retries on 429/5xx/connection errors", int))
    max_tokens: int | None = field(
        default=None, metadata=_meta("maximum tokens per completion", int)
    )
    device: str = field(default="auto", metadata=_meta("auto | cpu | cuda[:i] (transformers)"))
    seed: int | None = field(
        default=None, metadata=_meta("random seed (transformers sampling)", int)
    )

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


FIELD_TYPES: dict[str, type] = {
    f.name: f.metadata["type"] for f in dataclasses.fields(BackendConfig)
}
"""Value type per config field, in declaration order (the CLI options are built from it)."""

_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    name: _CONVERT_BY_TYPE[t] for name, t in FIELD_TYPES.items()
}

ENV_VARS: dict[str, str] = {name: f"OPTISCRIBE_{name.upper()}" for name in FIELD_TYPES}
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
    config: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    **options: Any,
) -> BackendConfig:
    """Build a :class:`BackendConfig` from CLI option values, keyed by field name
    (``None`` = not given; an unknown name is a :class:`BackendConfigError`).

    Precedence: these values > ``OPTISCRIBE_*`` environment > ``config`` file (or
    ``$OPTISCRIBE_CONFIG``) > defaults.
    """
    return load_config(options, config_file=config, env=env)
