"""Errors of the ``formulate`` area: model (IR) errors and LLM errors.

::

    OptiscribeError                       (optiscribe.solvers.errors)
    ├── ModelError
    │   ├── FormulationSyntaxError        an expression does not parse / forbidden syntax
    │   ├── FormulationValidationError    unknown names, bad indices, missing data, not a MILP
    │   └── CompileError                  the IR could not be turned into a Pyomo model
    └── LLMError
        ├── BackendUnavailable            not installed / not configured / unreachable / unknown model
        │   └── BackendConfigError        a configuration value is invalid (names the source)
        ├── BackendRequestError           a request failed after its retries (status, attempts)
        ├── LLMOutputParseError           the answer is not usable (bad JSON, truncated output)
        └── CorrectionBudgetExceeded      the self-correction loop ran out of rounds

Both subtrees hang off :class:`optiscribe.solvers.errors.OptiscribeError`, the one
exception tree of the project, so a caller can catch a single type. Messages name the
thing at fault and the next step; structured context travels as attributes (never
secrets: an API key must not appear in any message or attribute here).
"""

from __future__ import annotations

from typing import Any

from optiscribe.solvers.errors import OptiscribeError

__all__ = [
    "BackendConfigError",
    "BackendRequestError",
    "BackendUnavailable",
    "CompileError",
    "CorrectionBudgetExceeded",
    "FormulationReadError",
    "FormulationSyntaxError",
    "FormulationValidationError",
    "LLMError",
    "LLMOutputParseError",
    "ModelError",
]


# --------------------------------------------------------------------------- model errors


class ModelError(OptiscribeError):
    """A formulation (the IR) is not a usable model."""


class FormulationSyntaxError(ModelError):
    """An expression does not parse or uses forbidden syntax.

    ``issues`` carries the individual problems (e.g. one per offending expression) so
    that the self-correction loop can feed them back to the model.
    """

    def __init__(self, message: str, *, issues: tuple = ()) -> None:
        super().__init__(message)
        self.issues = tuple(issues)


class FormulationValidationError(ModelError):
    """Unknown names, bad indices, missing data, or the model is not a MILP.

    ``issues`` carries the individual problems found, as for
    :class:`FormulationSyntaxError`.
    """

    def __init__(self, message: str, *, issues: tuple = ()) -> None:
        super().__init__(message)
        self.issues = tuple(issues)


class FormulationReadError(FormulationValidationError):
    """The formulation could not be read at all: a missing or unreadable file, an unknown
    file type, or text that is not JSON/YAML. Callers that separate bad input from an
    invalid model (the CLI's exit 3 vs 1) test for this type."""


class CompileError(ModelError):
    """The IR could not be turned into a Pyomo model."""


# ----------------------------------------------------------------------------- LLM errors


class LLMError(OptiscribeError):
    """Talking to a language-model backend failed, or its answer was unusable."""


class BackendUnavailable(LLMError):
    """The backend is not installed, not configured, or cannot be reached.

    Attributes (``None``/0 where they do not apply):
        endpoint: the URL that was tried, without credentials.
        attempts: how many requests were made before giving up.
        status_code: the HTTP status that made us give up (401, 404, ...), if any.
    """

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
        kind: str = "parse",
        line: int | None = None,
        column: int | None = None,
        issues: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.line = line
        self.column = column
        self.issues = tuple(issues)


class CorrectionBudgetExceeded(LLMError):
    """The self-correction loop ran out of rounds.

    Attributes:
        attempts: how many rounds were made.
        history: every attempt (output, error kind, feedback), oldest first.
        last_output: the model's last answer, if any.
    """

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
