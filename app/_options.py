"""Options shared by several commands: the LLM backend flags (``@backend_options``).

The flags are derived from :class:`~optiscribe.formulate.llm.config.BackendConfig`'s fields
(name, value type, help text), so a new config field is a new flag with no edit here.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from optiscribe.app._exit import EXIT_BAD_INPUT, fail
from optiscribe.formulate.errors import BackendConfigError
from optiscribe.formulate.llm.config import (
    CONFIG_ENV_VAR,
    ENV_VARS,
    FIELD_TYPES,
    BackendConfig,
    config_from_cli,
)

__all__ = ["BACKEND_OPTION_NAMES", "backend_options"]

_PANEL = "LLM backend"
_OPTION_TYPES: dict[str, type] = {**FIELD_TYPES, "config": Path}

BACKEND_OPTION_NAMES: tuple[str, ...] = tuple(_OPTION_TYPES)
"""Field names of the options :func:`backend_options` adds (each as ``--name-with-dashes``)."""


@functools.cache
def _option_parameters() -> tuple[inspect.Parameter, ...]:
    helps = {f.name: f.metadata.get("help", "") for f in dataclasses.fields(BackendConfig)}
    helps["config"] = (
        f"TOML/YAML config file, keys at top level or in an 'llm' table (or ${CONFIG_ENV_VAR})"
    )
    params = []
    for name, typ in _OPTION_TYPES.items():
        env_note = f" [env: {ENV_VARS[name]}]" if name in ENV_VARS else ""
        option = typer.Option(
            f"--{name.replace('_', '-')}",
            help=helps[name] + env_note,
            rich_help_panel=_PANEL,
            show_default=False,
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
            raise fail(str(exc), EXIT_BAD_INPUT) from None
        return func(*args, **kwargs)

    wrapper.__signature__ = new_sig  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in new_sig.parameters.values()}
    if sig.return_annotation is not inspect.Signature.empty:
        wrapper.__annotations__["return"] = sig.return_annotation
    return wrapper
