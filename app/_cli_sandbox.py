"""``optiscribe sandbox check``: say what isolation generated code gets on this machine.

Exit codes: 0 when bubblewrap is the boundary and a program ran inside it, 1 when only
weaker isolation is available (code mode refuses to run unless allowed explicitly),
3 when the sandbox could not run a program at all.
"""

from __future__ import annotations

from typing import Annotated

import typer

from optiscribe.app._exit import EXIT_NEGATIVE, fail
from optiscribe.solvers.errors import SandboxError

__all__ = ["check", "register", "sandbox_app"]

sandbox_app = typer.Typer(
    help="Inspect the sandbox that runs generated code.", no_args_is_help=True
)

_RUN_HELP = "also run a one-line program inside the sandbox to prove it starts"


@sandbox_app.command("check")
def check(run: Annotated[bool, typer.Option("--run/--no-run", help=_RUN_HELP)] = True) -> None:
    """Print the isolation level (bubblewrap, namespaces or process) and every layer in force."""
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.solvers.sandbox import IsolationLevel, SubprocessExecutor, probe_isolation

    iso = probe_isolation()
    typer.echo(iso.describe().replace("; ", "\n"))
    if run:
        try:
            result = SubprocessExecutor(allow_weak=True).run("print('sandbox ok')", timeout=30)
        except SandboxError as exc:
            raise fail(f"the sandbox could not run a program: {exc}") from None
        if not result.ok:
            raise fail(f"a trivial program failed inside the sandbox: {result.summary}")
        typer.echo(f"test program: {result.stdout.strip()} ({result.wall_s:.2f} s)")
    if iso.level is not IsolationLevel.BUBBLEWRAP:
        typer.echo(
            "code mode refuses to run here: install bubblewrap (apt-get install bubblewrap) "
            "or allow weaker isolation with OPTISCRIBE_SANDBOX_ALLOW_WEAK=1",
            err=True,
        )
        raise typer.Exit(EXIT_NEGATIVE)


def register(app: typer.Typer) -> None:
    """Add the ``sandbox`` command group to ``app``."""
    app.add_typer(sandbox_app, name="sandbox")
