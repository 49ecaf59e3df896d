"""The LLM backend interface: the protocol every backend meets, and what fits a request to it.

Every backend answers::

    backend.complete(messages, *, n=1, temperature=None, response_format=None,
                     problem_id=None) -> list[str]

``messages`` are OpenAI-style dicts (``{"role": "user", "content": "..."}``); the result
holds exactly ``n`` completion texts. ``response_format`` is the OpenAI request field
(``{"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}`` or
``{"type": "json_object"}``; :func:`json_schema_format` builds the first from a pydantic
model). Backends that cannot constrain decoding get the schema as an instruction instead
(:func:`adapt_request`) and the caller parses the text (:func:`extract_json`).
``problem_id`` is only read by the ``replay`` backend (other backends ignore it; the
``openai`` backend forwards it as the ``X-Optiscribe-Problem-Id`` header so that
``optiscribe serve --backend replay`` works through HTTP).

The rest of the LLM layer, one concern per module: :mod:`.config` (``BackendConfig`` and
how CLI flags, ``OPTISCRIBE_*`` variables and config files merge into it),
:mod:`.registry` (``BACKENDS``, ``make_backend``), :mod:`.scripted` (the test double), and
one module per backend (:mod:`.openai`, :mod:`.transformers`, :mod:`.replay`). The typer
options live with the CLI (``optiscribe.app._options``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from optiscribe.formulate.errors import BackendConfigError, LLMOutputParseError

__all__ = [
    "PROBLEM_ID_HEADER",
    "STRUCTURED_MODES",
    "LLMBackend",
    "Message",
    "adapt_request",
    "check_n",
    "extract_json",
    "json_schema_format",
]

Message = Mapping[str, Any]
"""One OpenAI-style chat message: ``{"role": ..., "content": ...}``."""

STRUCTURED_MODES: tuple[str, ...] = ("json_schema", "json_object", "none")
"""How an endpoint can be asked for JSON (``BackendConfig.structured``)."""

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


def check_n(n: int) -> None:
    """Refuse anything but a positive ``int`` as the number of completions asked for."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")


_check_n = check_n  # the backends' historical name


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
