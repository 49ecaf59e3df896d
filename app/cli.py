"""The ``optiscribe`` command line.

Each area of the project contributes its commands from a module ``app/_cli_<area>.py``
that defines ``register(app: typer.Typer) -> None``. They are discovered here, so areas
never edit one shared file. Command modules keep heavy imports inside the commands so that
``optiscribe --help`` stays fast.

Exit codes that scripts can rely on (each command documents its own on top):

* 0 — success (solved to optimality / equivalent / valid)
* 1 — the answer is negative (infeasible, unbounded, not equivalent, invalid model)
* 2 — undecided (time limit without proof, unknown, unsupported)
* 3 — bad input (unreadable file, wrong format, bad option, a usage error such as a
  missing argument or an unknown option: click's own code 2 would read as "undecided")

Output piped into a reader that stops early (``| head``) is cut short quietly; the exit
code is still the command's own.
"""

from __future__ import annotations

import importlib
import io
import os
import pkgutil
import sys
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup, TyperOption

try:  # typer >= 0.20 carries its own copy of click and does not re-export its exceptions
    from typer._click import exceptions as _click_errors
except ImportError:  # pragma: no cover - older typer on the real click
    from click import exceptions as _click_errors  # type: ignore[no-redef]

__all__ = ["EXIT_BAD_INPUT", "EXIT_NEGATIVE", "EXIT_OK", "EXIT_UNDECIDED", "app", "fail", "main"]

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_UNDECIDED = 2
EXIT_BAD_INPUT = 3

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


class _NewcomerOrder(TyperGroup):
    """Lists commands in :data:`COMMAND_ORDER` instead of the order modules were found."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(names, key=lambda n: (rank.get(n, len(rank)), names.index(n)))


def _flag_type_rich(self: TyperOption, ctx: Any) -> str | None:
    # typer shows every option's type, so flags read "--json <bool>" and invite
    # "--json true", which click refuses. A flag takes no value: show no type.
    return None if self.is_flag else _typer_type_rich(self, ctx)


_typer_type_rich = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_type_rich  # type: ignore[method-assign]

app = typer.Typer(
    name="optiscribe",
    cls=_NewcomerOrder,
    help="Turn decision problems into verified MILPs, solve them, and check models for equivalence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Markdown mode joins the hard-wrapped lines of docstrings into paragraphs.
    rich_markup_mode="markdown",
)


def fail(message: str, code: int = EXIT_BAD_INPUT, *, label: str = "error") -> typer.Exit:
    """Print ``error: message`` on stderr and return the ``typer.Exit`` to raise.

    The message is printed verbatim, never as rich markup: model names such as
    ``inv[t - 1]`` or a location ``[at t=1]`` would otherwise be taken for style tags and
    vanish (or a ``[/path]`` would crash the printer).
    """
    from rich.console import Console
    from rich.text import Text

    Console(stderr=True, highlight=False, soft_wrap=True).print(
        Text.assemble((f"{label}:", "bold red"), " ", message)
    )
    return typer.Exit(code)


def _version() -> str:
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
) -> None:
    """optiscribe: plain-language decision problems to verified MILPs."""
    # An explicit callback keeps typer from collapsing a one-command app into that command.


def _register_all() -> None:
    here = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
        if info.name.startswith("_cli_"):
            module = importlib.import_module(f"optiscribe.app.{info.name}")
            module.register(app)


if __name__ != "__main__":  # `python -m optiscribe.app.cli` registers on the import below
    _register_all()


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
    except (
        _click_errors.ClickException
    ) as exc:  # usage errors: missing argument, unknown option, ...
        exc.show()
        code = EXIT_BAD_INPUT
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        code = 130
    sys.stdout.flush()
    sys.exit(code if isinstance(code, int) else EXIT_OK)


if __name__ == "__main__":
    from optiscribe.app.cli import main as _main  # the registered app, not this __main__ copy

    _main()
