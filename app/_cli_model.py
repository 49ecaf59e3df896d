"""``optiscribe solve-model``, ``export`` and ``validate``: work on a written formulation.

These commands need no LLM: they read a five-element formulation (YAML or JSON, or a
bundled example by name), check it, and solve or export it.

Exit codes: 0 optimal / valid / exported; 1 infeasible, unbounded, or (validate) the
model has problems; 2 stopped at a limit without proof; 3 bad input (unreadable file,
unknown example, a model that does not validate when asked to solve or export it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from optiscribe.app._exit import EXIT_BAD_INPUT, EXIT_NEGATIVE, EXIT_OK, EXIT_UNDECIDED, fail
from optiscribe.formulate.errors import FormulationReadError, FormulationValidationError, ModelError
from optiscribe.solvers import solve
from optiscribe.solvers.errors import InputError, SolverError
from optiscribe.solvers.result import Termination

if TYPE_CHECKING:
    from rich.console import Console

    from optiscribe.formulate.ir.model import Formulation
    from optiscribe.solvers.result import SolveResult


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def _fail(
    message: str, *, as_json: bool, code: int = EXIT_BAD_INPUT, issues: list[str] | None = None
) -> typer.Exit:
    if as_json:
        typer.echo(json.dumps({"ok": False, "error": message, "issues": issues or []}))
        return typer.Exit(code)
    return fail(message, code)


def _load(file: Path | None, example: str | None, as_json: bool) -> Formulation:
    return _load_with_text(file, example, as_json)[0]


def _load_with_text(
    file: Path | None, example: str | None, as_json: bool
) -> tuple[Formulation, str | None]:
    """The formulation, and the problem text when the source has one (examples do)."""
    if (file is None) == (example is None):
        raise _fail(
            "give a formulation FILE (.yaml/.json) or --example NAME (see --list-examples)",
            as_json=as_json,
        )
    try:
        if example is not None:
            # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
            from optiscribe.formulate.examples import load_example

            ex = load_example(example)
            return ex.formulation, ex.text
        # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
        from optiscribe.formulate.ir.model import read_document

        assert file is not None
        f, rest = read_document(file)
        text = rest.get("text")
        return f, text if isinstance(text, str) else None
    except (ModelError, InputError) as exc:
        raise _fail(
            str(exc), as_json=as_json, issues=[str(i) for i in getattr(exc, "issues", ())]
        ) from None


def _exit_code(result: SolveResult) -> int:
    if result.is_optimal:
        return EXIT_OK
    if result.termination in (
        Termination.INFEASIBLE,
        Termination.UNBOUNDED,
        Termination.INFEASIBLE_OR_UNBOUNDED,
    ):
        return EXIT_NEGATIVE
    return EXIT_UNDECIDED


def solution_table(result: SolveResult, *, show_zeros: bool = False, limit: int = 200) -> Any:
    """A rich table of variable values (non-zero ones unless ``show_zeros``)."""
    table = Table(title="Solution", show_lines=False)
    table.add_column("variable")
    table.add_column("value", justify="right")
    shown = 0
    hidden = 0
    for name, value in result.values.items():
        if not show_zeros and abs(value) < 1e-9:
            hidden += 1
            continue
        if shown >= limit:
            hidden += 1
            continue
        table.add_row(Text(name), f"{value:.6g}")
        shown += 1
    if hidden:
        table.caption = f"{hidden} more (zero or beyond {limit}); use --all to show zeros"
    return table


def register(app: typer.Typer) -> None:
    @app.command("solve-model")
    def solve_model(
        file: Annotated[
            Path | None, typer.Argument(help="Formulation file (.yaml, .yml or .json).")
        ] = None,
        example: Annotated[
            str | None, typer.Option("--example", "-e", help="Solve a bundled example by name.")
        ] = None,
        solver: Annotated[str, typer.Option(help="highs or ortools.")] = "highs",
        time_limit: Annotated[
            float | None, typer.Option(help="Seconds before the solver stops.")
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json/--no-json", help="One JSON object on stdout.")
        ] = False,
        show_all: Annotated[
            bool, typer.Option("--all/--no-all", help="Show zero-valued variables too.")
        ] = False,
        list_examples: Annotated[
            bool, typer.Option("--list-examples", help="List bundled examples and exit.")
        ] = False,
    ) -> None:
        """Solve a five-element formulation and print it, the solution and the status."""
        if list_examples:
            # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
            from optiscribe.formulate.examples import load_examples

            for ex in load_examples():
                typer.echo(f"{ex.name:28s} {ex.family:24s} optimum {ex.optimum}")
            raise typer.Exit(EXIT_OK)
        f, problem_text = _load_with_text(file, example, as_json)

        try:
            model = f.to_pyomo()
            result = solve(model, solver=solver, time_limit=time_limit)
        except ModelError as exc:
            raise _fail(
                str(exc), as_json=as_json, issues=[str(i) for i in getattr(exc, "issues", ())]
            ) from None
        except SolverError as exc:
            raise _fail(str(exc), as_json=as_json) from None
        code = _exit_code(result)
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "ok": code == EXIT_OK,
                        "text": problem_text,
                        "formulation": f.to_dict(),
                        "result": result.to_dict(),
                    }
                )
            )
            raise typer.Exit(code)

        # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
        from optiscribe.formulate.ir.render import to_markdown

        con = _console()
        if problem_text:
            con.print(Markdown("## Problem\n\n" + problem_text))
        con.print(Markdown(to_markdown(f, math="code")))
        # An unbounded or infeasible model has no solution to show: the point a solver stops
        # at (a ray's start) is not an answer, and its objective is not "the objective".
        answered = code != EXIT_NEGATIVE
        if answered and result.has_solution:
            con.print(solution_table(result, show_zeros=show_all))
        status = f"{result.termination.value} / {result.solution_status.value}"
        obj = "-" if result.objective is None or not answered else f"{result.objective:.10g}"
        con.print(
            f"[bold]status[/]: {status}   [bold]objective[/]: {obj}   "
            f"[bold]solver[/]: {result.solver} {result.solver_version}   [bold]time[/]: {result.runtime_s * 1000:.1f} ms"
        )
        if result.message and not result.is_optimal:
            con.print(f"[yellow]{escape(result.message)}[/]")
        raise typer.Exit(code)

    @app.command("export")
    def export(
        file: Annotated[
            Path | None, typer.Argument(help="Formulation file (.yaml, .yml or .json).")
        ] = None,
        example: Annotated[
            str | None, typer.Option("--example", "-e", help="A bundled example by name.")
        ] = None,
        mps: Annotated[Path | None, typer.Option("--mps", help="Write free MPS here.")] = None,
        lp: Annotated[Path | None, typer.Option("--lp", help="Write CPLEX LP here.")] = None,
        latex: Annotated[Path | None, typer.Option("--latex", help="Write LaTeX here.")] = None,
        markdown: Annotated[
            Path | None, typer.Option("--markdown", help="Write Markdown here.")
        ] = None,
        to_json: Annotated[
            Path | None, typer.Option("--to-json", help="Write the IR as JSON here.")
        ] = None,
        to_yaml: Annotated[
            Path | None, typer.Option("--to-yaml", help="Write the IR as YAML here.")
        ] = None,
        schema: Annotated[
            Path | None, typer.Option("--schema", help="Write the IR's JSON Schema here.")
        ] = None,
    ) -> None:
        """Export a formulation as MPS/LP (model names kept), LaTeX, Markdown, JSON, YAML or its schema."""
        if schema is not None and file is None and example is None:
            # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
            from optiscribe.formulate.ir.model import json_schema

            schema.write_text(json.dumps(json_schema(), indent=2), encoding="utf-8")
            typer.echo(f"wrote {schema}")
            raise typer.Exit(EXIT_OK)
        f = _load(file, example, as_json=False)
        targets = [t for t in (mps, lp, latex, markdown, to_json, to_yaml, schema) if t is not None]
        if not targets:
            raise _fail(
                "nothing to export: give --mps, --lp, --latex, --markdown, --to-json, --to-yaml or --schema",
                as_json=False,
            )
        missing = [t for t in targets if not t.parent.is_dir()]
        if missing:
            raise _fail(
                f"cannot write {missing[0]}: the folder {missing[0].parent} does not exist; "
                "create it first or pick another path",
                as_json=False,
            )
        # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
        from pyomo.opt import ProblemFormat

        try:
            if mps is not None or lp is not None:
                model = f.to_pyomo()
                # Pyomo's own enum: the string "lp" makes it warn that m.lp "likely does not
                # match" the format, on stdout.
                for path, fmt in ((mps, ProblemFormat.mps), (lp, ProblemFormat.cpxlp)):
                    if path is not None:
                        model.write(
                            str(path), format=fmt, io_options={"symbolic_solver_labels": True}
                        )
            else:
                f.validate_model()
        except ModelError as exc:
            raise _fail(str(exc), as_json=False) from None
        except OSError as exc:
            raise _fail(f"cannot write: {exc}", as_json=False) from None
        # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
        from optiscribe.formulate.ir.render import to_latex, to_markdown

        writers = {
            latex: lambda: to_latex(f),
            markdown: lambda: to_markdown(f),
            to_json: f.to_json,
            to_yaml: f.to_yaml,
        }
        for path, make in writers.items():
            if path is not None:
                try:
                    path.write_text(make(), encoding="utf-8")
                except OSError as exc:
                    raise _fail(f"cannot write {path}: {exc.strerror}", as_json=False) from None
        if schema is not None:
            # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
            from optiscribe.formulate.ir.model import json_schema

            schema.write_text(json.dumps(json_schema(), indent=2), encoding="utf-8")
        for t in targets:
            typer.echo(f"wrote {t}")
        raise typer.Exit(EXIT_OK)

    @app.command("validate")
    def validate(
        file: Annotated[Path, typer.Argument(help="Formulation file (.yaml, .yml or .json).")],
        as_json: Annotated[
            bool, typer.Option("--json/--no-json", help="One JSON object on stdout.")
        ] = False,
    ) -> None:
        """Check a formulation: shape, names, indices, data, linearity. Exit 0 valid, 1 invalid, 3 unreadable."""
        # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
        from optiscribe.formulate.ir.model import Formulation

        if not file.is_file():
            raise _fail(f"no such file: {file}", as_json=as_json)
        try:
            f = Formulation.from_file(file)
            em = f.expand()
        except FormulationValidationError as exc:
            issues = [str(i) for i in exc.issues]
            too_large = any(getattr(i, "kind", "") == "too_large" for i in exc.issues)
            unreadable = isinstance(exc, FormulationReadError) or too_large
            code = EXIT_BAD_INPUT if unreadable else EXIT_NEGATIVE
            if as_json:
                typer.echo(json.dumps({"ok": False, "error": str(exc), "issues": issues}))
            else:
                fail(str(exc), code, label="invalid")
            raise typer.Exit(code) from None
        summary = {
            "ok": True,
            "name": f.name,
            "sets": len(f.sets),
            "parameters": len(f.parameters),
            "variables": em.num_vars,
            "constraints": em.num_rows,
            "notes": list(em.notes),
        }
        if as_json:
            typer.echo(json.dumps(summary))
        else:
            con = _console()
            con.print(
                f"[green]valid[/]: {escape(f.name)}: {em.num_vars} variables, {em.num_rows} constraints "
                f"({len(f.sets)} sets, {len(f.parameters)} parameters)"
            )
            for note in em.notes:
                con.print(f"[yellow]note[/]: {escape(note)}")
        raise typer.Exit(EXIT_OK)
