"""Exit codes of the ``optiscribe`` command line, and the one table that maps errors to them.

Kept apart from :mod:`optiscribe.app.cli` so that the command modules (``_cli_*``) can
use them without importing the module that imports them (no cycle).

* 0 — success (solved to optimality / equivalent / valid)
* 1 — the answer is negative (infeasible, unbounded, not equivalent, invalid model)
* 2 — undecided (time limit without proof, unknown, unsupported)
* 3 — bad input (unreadable file, wrong format, bad option, a usage error)
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.text import Text

from optiscribe.formulate.errors import (
    BackendUnavailable,
    CompileError,
    CorrectionBudgetExceeded,
    FormulationReadError,
    FormulationValidationError,
    LLMError,
    ModelError,
)
from optiscribe.solvers.errors import (
    InputError,
    OptiscribeError,
    SandboxError,
    SolverError,
    UnsupportedModelFeature,
)

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CODES",
    "EXIT_NEGATIVE",
    "EXIT_OK",
    "EXIT_UNDECIDED",
    "UsageError",
    "exit_code_for",
    "fail",
]

#: click's usage error, as typer uses it: typer >= 0.29 vendors its own click, so the
#: class is reached through its public ``BadParameter`` (a ``UsageError``) rather than
#: by importing ``click``.
UsageError: type[Exception] = typer.BadParameter.__mro__[1]

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_UNDECIDED = 2
EXIT_BAD_INPUT = 3

EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    # bad input: the user can fix the command line or the file
    (UsageError, EXIT_BAD_INPUT),
    (InputError, EXIT_BAD_INPUT),  # DataError, ConversionError, BadRequest, ...
    (FormulationReadError, EXIT_BAD_INPUT),
    (BackendUnavailable, EXIT_BAD_INPUT),
    (LLMError, EXIT_BAD_INPUT),
    # a negative answer about the model itself
    (FormulationValidationError, EXIT_NEGATIVE),
    (CompileError, EXIT_NEGATIVE),
    (ModelError, EXIT_NEGATIVE),
    (CorrectionBudgetExceeded, EXIT_NEGATIVE),
    # undecided: the tool could not decide on this machine / for this model
    (UnsupportedModelFeature, EXIT_UNDECIDED),
    (SolverError, EXIT_BAD_INPUT),
    (SandboxError, EXIT_BAD_INPUT),
    # everything else, verify's errors included (the checker's own commands turn an
    # unsupported model into the verdict UNSUPPORTED, exit 2, before it gets here)
    (OptiscribeError, EXIT_BAD_INPUT),
)
"""Every error the CLI can meet, and its exit code. The most specific class wins (as in
httpx's ``map_httpcore_exceptions``), so order does not matter; a test walks the whole
exception tree and checks each class resolves here."""


def exit_code_for(exc: BaseException) -> int:
    """The exit code of ``exc``: the entry of :data:`EXIT_CODES` for its most specific class.

    >>> exit_code_for(FormulationReadError("no such file"))
    3
    >>> exit_code_for(FormulationValidationError("unknown name 'x'"))
    1
    """
    best: tuple[type[BaseException], int] | None = None
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls) and (best is None or issubclass(cls, best[0])):
            best = (cls, code)
    if best is None:
        raise TypeError(f"{type(exc).__name__} has no exit code in EXIT_CODES") from exc
    return best[1]


def fail(message: str, code: int = EXIT_BAD_INPUT, *, label: str = "error") -> typer.Exit:
    """Print ``error: message`` on stderr and return the ``typer.Exit`` to raise.

    The message is printed verbatim, never as rich markup: model names such as
    ``inv[t - 1]`` or a location ``[at t=1]`` would otherwise be taken for style tags and
    vanish (or a ``[/path]`` would crash the printer).
    """
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        Text.assemble((f"{label}:", "bold red"), " ", message)
    )
    return typer.Exit(code)
