"""``optiscribe equiv A B``: are two model files the same model?

Exit codes: 0 equivalent, 1 not equivalent, 2 unknown or unsupported, 3 bad input.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from optiscribe.app._exit import EXIT_BAD_INPUT, EXIT_NEGATIVE, EXIT_OK, EXIT_UNDECIDED, fail

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``equiv`` command to the CLI."""

    @app.command("equiv")
    def equiv(
        reference: Path = typer.Argument(..., help="Reference model (.mps, .mps.gz or .lp)."),
        candidate: Path = typer.Argument(..., help="Candidate model (.mps, .mps.gz or .lp)."),
        level: str = typer.Option("strict", "--level", help="strict | normalized"),
        json_out: bool = typer.Option(False, "--json/--no-json", help="Print the result as JSON."),
        rtol: float = typer.Option(1e-9, "--rtol", help="Relative tolerance for numbers."),
        exact: bool = typer.Option(False, "--exact/--no-exact", help="Compare numbers exactly."),
        time_limit: float = typer.Option(30.0, "--time-limit", help="Seconds for the search."),
        second_opinion: bool = typer.Option(
            False, "--solve/--no-solve", help="Also solve both with HiGHS (weak evidence)."
        ),
    ) -> None:
        """Check whether two MILP files are the same model (exit 0 equivalent, 1 not
        equivalent, 2 unknown/unsupported, 3 bad input)."""
        # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
        from optiscribe.verify import ModelReadError, Verdict, check

        if level not in ("strict", "normalized"):
            raise fail(f"--level must be 'strict' or 'normalized', not {level!r}.")
        try:
            result = check(
                reference,
                candidate,
                level=level,
                rtol=rtol,
                exact=exact,
                time_limit=time_limit,
                second_opinion=second_opinion,
            )
        except ModelReadError as exc:
            if json_out:
                typer.echo(json.dumps({"verdict": "bad_input", "reason": str(exc)}))
            else:
                raise fail(str(exc)) from None
            raise typer.Exit(EXIT_BAD_INPUT) from None
        code = {
            Verdict.EQUIVALENT: EXIT_OK,
            Verdict.NOT_EQUIVALENT: EXIT_NEGATIVE,
        }.get(result.verdict, EXIT_UNDECIDED)
        if json_out:
            typer.echo(result.to_json(indent=2))
            raise typer.Exit(code)
        out = Console()
        colour = {Verdict.EQUIVALENT: "green", Verdict.NOT_EQUIVALENT: "red"}.get(
            result.verdict, "yellow"
        )
        out.print(f"[bold {colour}]{result.verdict.value.upper()}[/] ({result.level.value})")
        out.print(result.reason, highlight=False, markup=False)
        if result.certificate is not None:
            for line in result.certificate.describe(limit=10):
                out.print(line, highlight=False, markup=False)
        if result.steps:
            out.print("steps: " + "; ".join(result.steps), highlight=False, markup=False)
        if result.second_opinion is not None:
            out.print(
                f"solver (weak evidence): {result.second_opinion.detail}",
                highlight=False,
                markup=False,
            )
        out.print(f"time: {result.timings.get('total', 0.0) * 1000:.1f} ms")
        raise typer.Exit(code)
