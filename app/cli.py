"""The ``optiscribe`` command line.

Each area of the project contributes its commands from a module ``app/_cli_<area>.py``
that defines ``register(app: typer.Typer) -> None``. They are discovered here, so areas
never edit one shared file. Command modules keep heavy imports inside the commands so that
``optiscribe --help`` stays fast.

Exit codes that scripts can rely on (each command documents its own on top):

* 0 — success (solved to optimality / equivalent / valid)
* 1 — the answer is negative (infeasible, unbounded, not equivalent, invalid model)
* 2 — undecided (time limit without proof, unknown, unsupported)
* 3 — bad input (unreadable file, wrong format, bad option)
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import typer

__all__ = ["EXIT_BAD_INPUT", "EXIT_NEGATIVE", "EXIT_OK", "EXIT_UNDECIDED", "app", "fail", "main"]

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_UNDECIDED = 2
EXIT_BAD_INPUT = 3

app = typer.Typer(
    name="optiscribe",
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


def _register_all() -> None:
    here = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
        if info.name.startswith("_cli_"):
            module = importlib.import_module(f"optiscribe.app.{info.name}")
            module.register(app)


_register_all()


def main() -> None:
    """Console-script entry point."""
    app()
