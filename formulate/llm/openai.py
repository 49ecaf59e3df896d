"""The ``openai`` backend: any OpenAI-compatible chat-completions endpoint.

Works with OpenAI, DeepSeek, vLLM, Ollama (``/v1``), llama.cpp ``llama-server`` and
``optiscribe serve`` through the official ``openai`` SDK with ``base_url``.

Why our own retry loop instead of the SDK's: we need the attempt count in our errors,
retries on empty answers (DeepSeek sometimes returns blank content), and a bounded,
testable policy. So the SDK runs with ``max_retries=0`` and every failure is translated
at this boundary into the project's exceptions, most specific first:

=====================================  ===========  ==========================================
failure                                retried?     raised when it persists / at once
=====================================  ===========  ==========================================
connection refused / reset / timeout   yes          :class:`BackendUnavailable` (unreachable)
429, 5xx                               yes          :class:`BackendRequestError`
no choices / blank content             yes          :class:`BackendRequestError`
401 / 403                              no           :class:`BackendUnavailable` (key)
404                                    no           :class:`BackendUnavailable` (model/URL)
other 4xx                              no           :class:`BackendRequestError`
body is not chat.completion JSON       no           :class:`BackendRequestError`
``finish_reason == "length"``          no           :class:`LLMOutputParseError` (truncated)
=====================================  ===========  ==========================================

The API key is read from the environment variable the config names, kept only inside the
SDK client, and scrubbed from every message we raise; ``repr``/``str`` never show it.
"""

from __future__ import annotations

import enum
import logging
import os
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from optiscribe.formulate.errors import (
    BackendRequestError,
    BackendUnavailable,
    LLMOutputParseError,
)
from optiscribe.formulate.llm.base import PROBLEM_ID_HEADER, Message, _check_n, adapt_request
from optiscribe.formulate.llm.config import BackendConfig

__all__ = ["DEFAULT_BASE_URL", "OpenAIBackend", "public_endpoint"]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Local servers ignore the key but the SDK insists on one; this is vLLM's convention.
_PLACEHOLDER_KEY = "EMPTY"


def public_endpoint(url: str) -> str:
    """``url`` without user info, query or fragment: safe to show in messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class _Action(enum.Enum):
    RETRY = "retry"
    UNREACHABLE = "unreachable"
    AUTH = "auth"
    NOT_FOUND = "not_found"
    FAIL = "fail"
    MALFORMED = "malformed"


def _classify(exc: BaseException) -> _Action:
    """Map an SDK/transport exception to what we do about it (most specific first)."""
    # lazy: optional library, only when the OpenAI-compatible backend is used
    import openai

    table: tuple[tuple[type[BaseException], _Action], ...] = (
        (openai.APIConnectionError, _Action.UNREACHABLE),  # includes APITimeoutError
        (openai.RateLimitError, _Action.RETRY),
        (openai.InternalServerError, _Action.RETRY),
        (openai.AuthenticationError, _Action.AUTH),
        (openai.PermissionDeniedError, _Action.AUTH),
        (openai.NotFoundError, _Action.NOT_FOUND),
        (openai.APIResponseValidationError, _Action.MALFORMED),
        (openai.APIStatusError, _Action.FAIL),
        (ValueError, _Action.MALFORMED),  # json.JSONDecodeError from a broken body
    )
    for cls, action in table:
        if isinstance(exc, cls):
            if action is _Action.FAIL and getattr(exc, "status_code", 0) >= 500:
                return _Action.RETRY
            return action
    raise exc  # not ours to translate


class OpenAIBackend:
    """Chat completions against an OpenAI-compatible endpoint.

    Parameters
    ----------
    base_url:
        The endpoint, e.g. ``http://localhost:11434/v1``; ``None`` means OpenAI itself.
    model:
        The model name the endpoint knows.
    api_key_env:
        Name of the environment variable holding the key. If it is unset the backend
        sends a placeholder (local servers ignore keys) — except for OpenAI itself, where
        it raises :class:`BackendUnavailable` at once.
    structured:
        ``json_schema`` | ``json_object`` | ``none``: what the endpoint supports.
    timeout, max_retries:
        Seconds per request; retries after the first attempt (429/5xx/connection/empty).
    backoff_base, backoff_max:
        Exponential backoff ``base * 2**k`` seconds (with jitter), capped; a
        ``Retry-After`` header is honoured up to the cap.
    """

    name = "openai"

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        structured: str = "json_schema",
        temperature: float | None = None,
        timeout: float = 120.0,
        max_retries: int = 3,
        max_tokens: int | None = None,
        seed: int | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        # lazy: optional library, only when the OpenAI-compatible backend is used
        import openai

        if not model:
            raise BackendUnavailable(
                "the openai backend needs a model name: pass --model (or OPTISCRIBE_MODEL), "
                "e.g. --model gpt-4o-mini or --model qwen2.5:7b for Ollama"
            )
        self.base_url = base_url or DEFAULT_BASE_URL
        self.endpoint = public_endpoint(self.base_url)
        self.model = model
        self.api_key_env = api_key_env
        self.structured = structured
        self.temperature = temperature
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_tokens = max_tokens
        self.seed = seed
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        env = os.environ if env is None else env
        key = env.get(api_key_env) or ""
        self.key_is_set = bool(key)
        if not key and base_url is None:
            raise BackendUnavailable(
                f"no API key for {self.endpoint}: set the environment variable {api_key_env} "
                "(or name another one with --api-key-env / OPTISCRIBE_API_KEY_ENV)",
                endpoint=self.endpoint,
            )
        # Kept only for scrubbing messages; never part of repr/str/attributes shown.
        self.__secret = key
        self._client = openai.OpenAI(
            api_key=key or _PLACEHOLDER_KEY,
            base_url=self.base_url,
            timeout=timeout,
            max_retries=0,
        )
        # adapt_request validates the mode; fail at construction, not on first call.
        adapt_request([], {"type": "json_object"}, structured)

    @classmethod
    def from_config(cls, config: BackendConfig) -> OpenAIBackend:
        """Build from a :class:`BackendConfig` (``make_backend`` calls this)."""
        return cls(
            model=config.model or "",
            base_url=config.base_url,
            api_key_env=config.api_key_env,
            structured=config.structured,
            temperature=config.temperature,
            timeout=config.timeout,
            max_retries=config.max_retries,
            max_tokens=config.max_tokens,
            seed=config.seed,
        )

    def __repr__(self) -> str:
        key = "set" if self.key_is_set else "unset"
        return (
            f"OpenAIBackend(endpoint={self.endpoint!r}, model={self.model!r}, "
            f"structured={self.structured!r}, api_key_env={self.api_key_env!r} ({key}))"
        )

    __str__ = __repr__

    # -----------------------------------------------------------------------------------
    def complete(
        self,
        messages: Sequence[Message],
        *,
        n: int = 1,
        temperature: float | None = None,
        response_format: Mapping[str, Any] | None = None,
        problem_id: str | None = None,
    ) -> list[str]:
        """Return ``n`` completion texts; see the module docstring for the error policy.

        Servers that ignore ``n`` (several local ones return one choice) are asked again
        for the rest, so the result always has ``n`` entries.
        """
        _check_n(n)
        msgs, fmt = adapt_request(messages, response_format, self.structured)
        temp = self.temperature if temperature is None else temperature
        texts: list[str] = []
        while len(texts) < n:
            got = self._request(
                msgs, n=n - len(texts), temperature=temp, response_format=fmt, problem_id=problem_id
            )
            texts.extend(got[: n - len(texts)])
        return texts

    def _request(
        self,
        messages: list[dict],
        *,
        n: int,
        temperature: float | None,
        response_format: dict | None,
        problem_id: str | None,
    ) -> list[str]:
        """One logical request with retries; returns at least one non-blank text."""
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages}
        if n > 1:
            kwargs["n"] = n
        if temperature is not None:
            kwargs["temperature"] = temperature
        if response_format is not None:
            kwargs["response_format"] = response_format
        if self.max_tokens is not None:
            kwargs["max_tokens"] = self.max_tokens
        if self.seed is not None:
            kwargs["seed"] = self.seed
        if problem_id is not None:
            kwargs["extra_headers"] = {PROBLEM_ID_HEADER: str(problem_id)}

        attempts_allowed = 1 + self.max_retries
        last_status: int | None = None
        last_reason = ""
        last_action = _Action.RETRY
        for attempt in range(1, attempts_allowed + 1):
            retry_after: float | None = None
            try:
                completion = self._client.chat.completions.create(**kwargs)
            except Exception as exc:  # translated right here, nothing escapes untranslated
                action = _classify(exc)
                status = getattr(exc, "status_code", None)
                if action is _Action.AUTH:
                    raise BackendUnavailable(
                        f"{self.endpoint} rejected the request with HTTP {status} "
                        f"(authentication): check the API key in ${self.api_key_env}"
                        + ("" if self.key_is_set else " (it is not set)"),
                        endpoint=self.endpoint,
                        attempts=attempt,
                        status_code=status,
                    ) from None
                if action is _Action.NOT_FOUND:
                    raise BackendUnavailable(
                        self._not_found_message(exc),
                        endpoint=self.endpoint,
                        attempts=attempt,
                        status_code=status,
                    ) from None
                if action is _Action.FAIL:
                    raise BackendRequestError(
                        f"{self.endpoint} refused the request with HTTP {status}: "
                        f"{self._scrub(_server_message(exc))}",
                        status_code=status,
                        attempts=attempt,
                        endpoint=self.endpoint,
                    ) from None
                if action is _Action.MALFORMED:
                    raise BackendRequestError(
                        f"{self.endpoint} answered with a body that is not chat.completion "
                        f"JSON ({self._scrub(str(exc))[:200]}); is the base URL an "
                        "OpenAI-compatible /v1 endpoint?",
                        status_code=status,
                        attempts=attempt,
                        endpoint=self.endpoint,
                    ) from None
                last_action, last_status = action, status
                last_reason = self._scrub(_describe(exc, self.timeout))
                retry_after = _retry_after(exc)
            else:
                texts = self._texts(completion, attempt)
                if texts:
                    return texts
                last_action, last_status = _Action.RETRY, 200
                last_reason = "the answer had no choices or only blank content"
            if attempt < attempts_allowed:
                delay = self._delay(attempt, retry_after)
                log.warning(
                    "%s: attempt %d/%d failed (%s); retrying in %.2fs",
                    self.endpoint,
                    attempt,
                    attempts_allowed,
                    last_reason,
                    delay,
                )
                time.sleep(delay)

        if last_action is _Action.UNREACHABLE:
            raise BackendUnavailable(
                f"no answer from {self.endpoint} after {attempts_allowed} attempt(s): "
                f"{last_reason}. Is the server running and the base URL right "
                "(--base-url / OPTISCRIBE_BASE_URL)? Raise --timeout for slow models.",
                endpoint=self.endpoint,
                attempts=attempts_allowed,
                status_code=None,
            )
        raise BackendRequestError(
            f"{self.endpoint} failed {attempts_allowed} attempt(s); last: {last_reason}. "
            "Retry later or raise --max-retries.",
            status_code=last_status,
            attempts=attempts_allowed,
            endpoint=self.endpoint,
        )

    def _texts(self, completion: Any, attempt: int) -> list[str]:
        choices = getattr(completion, "choices", None)
        if choices is None:
            raise BackendRequestError(
                f"{self.endpoint} answered without a 'choices' field; is the base URL an "
                "OpenAI-compatible /v1 endpoint?",
                status_code=200,
                attempts=attempt,
                endpoint=self.endpoint,
            )
        texts = []
        for choice in choices:
            if getattr(choice, "finish_reason", None) == "length":
                raise LLMOutputParseError(
                    f"the model's answer from {self.endpoint} was cut off at the token limit "
                    f"(finish_reason='length', max_tokens={self.max_tokens}); raise "
                    "--max-tokens or ask for a shorter answer"
                )
            content = getattr(getattr(choice, "message", None), "content", None)
            if isinstance(content, str) and content.strip():
                texts.append(content)
        return texts

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(self.backoff_max, max(0.0, retry_after))
        base = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return base * (0.5 + random.random() / 2)

    def _scrub(self, text: str) -> str:
        key = self.__secret
        if key and len(key) >= 4:
            text = text.replace(key, "***")
        return text

    def _not_found_message(self, exc: BaseException) -> str:
        known = ""
        try:
            ids = [m.id for m in self._client.models.list()]
            if ids:
                known = f" Models it lists: {', '.join(ids[:20])}."
        except Exception:  # best effort: the listing is only a hint
            pass
        return (
            f"{self.endpoint} answered 404 for model {self.model!r}: the model is unknown "
            f"there or the base URL is wrong (OpenAI-compatible servers usually end in /v1)."
            f"{known} Server said: {self._scrub(_server_message(exc))}"
        )


def _server_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        err = body.get("error", body)
        if isinstance(err, Mapping) and err.get("message"):
            return str(err["message"])
        if body.get("message"):
            return str(body["message"])
    return str(getattr(exc, "message", None) or exc)


def _describe(exc: BaseException, timeout: float) -> str:
    # lazy: optional library, only when the OpenAI-compatible backend is used
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return f"timed out after {timeout:g}s"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        return f"connection failed ({type(cause).__name__ if cause else 'no response'})"
    status = getattr(exc, "status_code", None)
    return f"HTTP {status}: {_server_message(exc)}"


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
