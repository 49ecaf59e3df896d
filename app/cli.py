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
* 3 — bad input (unreadable file, wrong format, bad option, a usage error such as a
  missing argument or an unknown option: click's own code 2 would read as "undecided")

Output piped into a reader that stops early (``| head``) is cut short quietly; the exit
code is still the command's own.
"""

from __future__ import annotations

import io
import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup, TyperOption

try:  # typer >= 0.20 carries its own copy of click and does not re-export its exceptions
    from typer._click import exceptions as _click_errors
except ImportError:  # pragma: no cover - older typer on the real click
    from click import exceptions as _click_errors  # type: ignore[no-redef]

from optiscribe.app import (
    _cli_app,
    _cli_batch,
    _cli_data,
    _cli_finetune,
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

    def list_commands(self, ctx: Any) -> list[str]:
        """Commands in :data:`COMMAND_ORDER` (what a newcomer needs first), then the rest."""
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(names, key=lambda n: (rank.get(n, len(rank)), names.index(n)))


#: The order of ``optiscribe --help``: what a newcomer needs first. Commands not listed
#: follow in the order they were added.
COMMAND_ORDER: tuple[str, ...] = (
    "solve",
    "solve-model",
    "validate",
    "export",
    "equiv",
    "batch",
    "eval",
    "serve",
    "data",
)


def _flag_type_rich(self: TyperOption, ctx: Any) -> str | None:
    # typer shows every option's type, so flags read "--json <bool>" and invite
    # "--json true", which click refuses. A flag takes no value: show no type.
    return None if self.is_flag else _typer_type_rich(self, ctx)


_typer_type_rich = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_type_rich  # type: ignore[method-assign]

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


def _version() -> str:
    # lazy: importlib.metadata (~10 ms) only for --version: `optiscribe --help` stays fast
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("optiscribe")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed; pip install -e .)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"optiscribe {_version()}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
    allow_weak_sandbox: bool = typer.Option(False, help=_WEAK_HELP),
) -> None:
    """optiscribe: plain-language decision problems to verified MILPs."""
    # An explicit callback keeps typer from collapsing a one-command app into that command.
    if allow_weak_sandbox:
        os.environ["OPTISCRIBE_SANDBOX_ALLOW_WEAK"] = "1"


COMMAND_MODULES = (
    _cli_solve,
    _cli_model,
    _cli_verify,
    _cli_batch,
    _cli_serve,
    _cli_app,
    _cli_data,
    _cli_finetune,
    _cli_sandbox,
)
"""Every command group, in the order their commands are registered."""

for _module in COMMAND_MODULES:
    _module.register(app)


class _QuietPipe(io.RawIOBase):
    """stdout that swallows a closed pipe: ``optiscribe equiv a b | head -1`` must not fail.

    Once the reader has gone, the rest of the output is dropped and the command finishes,
    so the exit code stays the command's own (EQUIVALENT is 0, piped or not).
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._closed_by_reader = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if not self._closed_by_reader:
            try:
                return os.write(self._fd, data)
            except BrokenPipeError:
                self._closed_by_reader = True
        return len(data)


def _quiet_stdout() -> None:
    out = sys.stdout
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (captured in tests): nothing to protect
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(_QuietPipe(fd)),
        encoding=out.encoding,
        errors=out.errors,
        line_buffering=bool(out.line_buffering),
    )


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: usage errors exit 3, a closed pipe is not an error."""
    _quiet_stdout()
    try:
        code = app(args=argv, standalone_mode=False)
    except _click_errors.NoArgsIsHelpError as exc:
        exc.show()  # bare `optiscribe` or `optiscribe data`: help is the answer
        code = EXIT_OK
    except _click_errors.ClickException as exc:  # usage errors: missing argument, unknown option
        exc.show()
        code = exit_code_for(exc) if isinstance(exc, UsageError) else EXIT_BAD_INPUT
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        code = 130
    sys.stdout.flush()
    sys.exit(code if isinstance(code, int) else EXIT_OK)


if __name__ == "__main__":
    main()
