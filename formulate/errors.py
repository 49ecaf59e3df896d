"""The ``formulate`` branch of the exception tree: model (IR) errors and LLM errors.

The whole tree, with this branch in place, is drawn once in :mod:`optiscribe.solvers.errors`.
Messages name the thing at fault and the next step; structured context travels as
attributes (never secrets: an API key must not appear in any message or attribute here),
and each class carries its :class:`~optiscribe.solvers.kinds.FailureKind` as ``kind``.
"""

from __future__ import annotations

import ast
from typing import Any

from optiscribe.solvers.errors import InputError, OptiscribeError
from optiscribe.solvers.kinds import FailureKind

__all__ = [
    "BackendConfigError",
    "BackendRequestError",
    "BackendUnavailable",
    "BadRequest",
    "CompileError",
    "ConversionError",
    "CorrectionBudgetExceeded",
    "ExprError",
    "FormulationReadError",
    "FormulationSyntaxError",
    "FormulationValidationError",
    "LLMError",
    "LLMOutputParseError",
    "ModelError",
    "ResponseNotRecorded",
]


# --------------------------------------------------------------------------- model errors


class ModelError(OptiscribeError):
    """A formulation (the IR) is not a usable model."""

    kind = FailureKind.MODEL


class ExprError(ModelError):
    """A problem in one expression, with its column and source snippet.

    Internal to the IR checks: :mod:`optiscribe.formulate.ir.expand` turns these into
    :class:`FormulationValidationError` issues with the element that holds the
    expression. ``kind`` says which check failed (``syntax``, ``not_milp``, ...).
    """

    def __init__(
        self,
        message: str,
        node: ast.AST | None = None,
        text: str = "",
        *,
        kind: FailureKind = FailureKind.INVALID,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = FailureKind(kind)  # a plain string of the same value reads the same
        self.col = getattr(node, "col_offset", None)
        self.snippet = ast.get_source_segment(text, node) if node is not None and text else None

    def located(self) -> str:
        if self.snippet is not None and self.col is not None:
            return f"{self.message} (at column {self.col + 1}: `{self.snippet}`)"
        return self.message


class FormulationSyntaxError(ModelError):
    """An expression does not parse or uses forbidden syntax.

    ``issues`` carries the individual problems (e.g. one per offending expression) so
    that the self-correction loop can feed them back to the model.
    """

    kind = FailureKind.VALIDATION

    def __init__(self, message: str, *, issues: tuple = ()) -> None:
        super().__init__(message)
        self.issues = tuple(issues)


class FormulationValidationError(ModelError):
    """Unknown names, bad indices, missing data, or the model is not a MILP.

    ``issues`` carries the individual problems found, as for
    :class:`FormulationSyntaxError`.
    """

    kind = FailureKind.VALIDATION

    def __init__(self, message: str, *, issues: tuple = ()) -> None:
        super().__init__(message)
        self.issues = tuple(issues)


class FormulationReadError(FormulationValidationError):
    """The formulation could not be read at all: a missing or unreadable file, an unknown
    file type, or text that is not JSON/YAML. Callers that separate bad input from an
    invalid model (the CLI's exit 3 vs 1) test for this type."""


class CompileError(ModelError):
    """The IR could not be turned into a Pyomo model."""

    kind = FailureKind.COMPILE


# ----------------------------------------------------------------------------- LLM errors


class LLMError(OptiscribeError):
    """Talking to a language-model backend failed, or its answer was unusable."""

    kind = FailureKind.BACKEND_REQUEST


class BackendUnavailable(LLMError):
    """The backend is not installed, not configured, or cannot be reached.

    Attributes (``None``/0 where they do not apply):
        endpoint: the URL that was tried, without credentials.
        attempts: how many requests were made before giving up.
        status_code: the HTTP status that made us give up (401, 404, ...), if any.
    """

    kind = FailureKind.BACKEND_UNAVAILABLE

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        attempts: int = 0,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.attempts = attempts
        self.status_code = status_code


class BackendConfigError(BackendUnavailable):
    """A backend configuration value is invalid; the message names the value and its source."""

    kind = FailureKind.BAD_INPUT


class BackendRequestError(LLMError):
    """A request to a backend failed after the retries it was allowed.

    Attributes:
        status_code: HTTP status of the last failed attempt, ``None`` when there was no
            response (timeout, connection refused, malformed body).
        attempts: how many attempts were made in total.
        endpoint: the URL that was called, with any credentials stripped.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        attempts: int = 1,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.attempts = attempts
        self.endpoint = endpoint


class LLMOutputParseError(LLMError):
    """The model's answer is not usable JSON / code (after our own parsing).

    Attributes:
        kind: what failed (``json``, ``schema``, ``code``, ...).
        line, column: the place in the answer, when known (1-based).
        issues: the individual problems, for feedback to the model.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: FailureKind = FailureKind.PARSE,
        line: int | None = None,
        column: int | None = None,
        issues: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.kind = FailureKind(kind)
        self.line = line
        self.column = column
        self.issues = tuple(issues)


class ResponseNotRecorded(LLMError):
    """The replay backend has no recorded response for the problem asked (``problem_id``)."""

    kind = FailureKind.NO_RESPONSE

    def __init__(self, message: str, *, problem_id: str = "") -> None:
        super().__init__(message)
        self.problem_id = problem_id


class CorrectionBudgetExceeded(LLMError):
    """The self-correction loop ran out of rounds.

    Attributes:
        attempts: how many rounds were made.
        history: every attempt (output, error kind, feedback), oldest first.
        last_output: the model's last answer, if any.
    """

    kind = FailureKind.CORRECTION_BUDGET

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        history: tuple[Any, ...] = (),
        last_output: str | None = None,
    ) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.history = tuple(history)
        self.last_output = last_output


# ------------------------------------------------------------------------- serve errors


class ConversionError(InputError):
    """A declaration (NL4Opt's declaration form, gold or extracted) could not become the IR:
    an unreadable number, a mention that names no variable, a missing part."""


class BadRequest(InputError):
    """A client error in a request to ``optiscribe serve``, answered with ``status`` and an
    OpenAI-style error body (``param``, ``code``, ``type_``)."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        param: str | None = None,
        code: str | None = None,
        type_: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status, self.param, self.code, self.type_ = status, param, code, type_
