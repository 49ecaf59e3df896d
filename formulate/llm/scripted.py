"""The test double of the LLM layer: scripted answers in order, every call recorded.

Not reachable from configuration (it is not in the registry); tests and benchmarks
construct it directly.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optiscribe.formulate.errors import LLMError
from optiscribe.formulate.llm.base import Message, check_n

__all__ = ["ScriptedBackend", "ScriptedCall"]


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
        check_n(n)
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
