"""The ``optiscribe`` command line: the typer app, its command groups and its exit codes.

Each area contributes its commands from a module ``app/_cli_<area>.py`` with
``register(app: typer.Typer) -> None``; they are imported and registered here by name
(:data:`COMMAND_MODULES`), so the whole command line is visible in one place. Command
modules keep heavy imports inside the commands so that ``optiscribe --help`` stays fast.

Exit codes that scripts can rely on (each command documents its own on top); every
error the CLI can meet maps to one of them through :data:`EXIT_CODES`:

* 0 — success (solved to optimality / equivalent / valid)
* 1 — the answer is negative (infeasible, unbounded, not equivalent, invalid model)
* 2 — undecided (time limit without proof, unknown, unsupported)
* 3 — bad input (unreadable file, wrong format, bad option, a usage error)
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from optiscribe.app import (
    _cli_app,
    _cli_batch,
    _cli_data,
    _cli_model,
    _cli_sandbox,
    _cli_serve,
    _cli_solve,
    _cli_verify,
)
from optiscribe.app._exit import (
    EXIT_BAD_INPUT,
    EXIT_CODES,
    EXIT_NEGATIVE,
    EXIT_OK,
    EXIT_UNDECIDED,
    UsageError,
    exit_code_for,
    fail,
)
from optiscribe.solvers.errors import OptiscribeError

__all__ = [
    "COMMAND_MODULES",
    "EXIT_BAD_INPUT",
    "EXIT_CODES",
    "EXIT_NEGATIVE",
    "EXIT_OK",
    "EXIT_UNDECIDED",
    "app",
    "exit_code_for",
    "fail",
    "main",
]


class _Group(TyperGroup):
    """The root group: errors that reach it leave through :data:`EXIT_CODES`.

    A usage error (unknown option, missing argument) is bad input, exit 3 — click's own
    2 means "undecided" here. An :class:`OptiscribeError` a command did not handle is
    printed as one line (no traceback) with the exit code of its class.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except UsageError as exc:
            exc.exit_code = exit_code_for(exc)  # type: ignore[attr-defined]  # click's UsageError has it
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            exc.exit_code = exit_code_for(exc)  # type: ignore[attr-defined]  # click's UsageError has it
            raise
        except OptiscribeError as exc:
            raise fail(str(exc), exit_code_for(exc)) from None


app = typer.Typer(
    name="optiscribe",
    cls=_Group,
    help="Turn decision problems into verified MILPs, solve them, and check models for equivalence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Markdown mode joins the hard-wrapped lines of docstrings into paragraphs.
    rich_markup_mode="markdown",
)


_WEAK_HELP = (
    "run generated code (code mode) even where bubblewrap is missing, with weaker isolation "
    "(same as OPTISCRIBE_SANDBOX_ALLOW_WEAK=1; see 'optiscribe sandbox check')"
)


@app.callback()
def _root(allow_weak_sandbox: bool = typer.Option(False, help=_WEAK_HELP)) -> None:
    """optiscribe: plain-language decision problems to verified MILPs."""
    # An explicit callback keeps typer from collapsing a one-command app into that command.
    if allow_weak_sandbox:
        import os

        os.environ["OPTISCRIBE_SANDBOX_ALLOW_WEAK"] = "1"


COMMAND_MODULES = (
    _cli_solve,
    _cli_model,
    _cli_verify,
    _cli_batch,
    _cli_serve,
    _cli_app,
    _cli_data,
    _cli_sandbox,
)
"""Every command group, in the order their commands are registered."""

for _module in COMMAND_MODULES:
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
