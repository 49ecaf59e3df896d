"""``optiscribe solve``: formulate a problem with an LLM, solve it, check it, report it.

Exit codes (on top of :mod:`optiscribe.app.cli`'s):

* 0 — an answer passed every check and solved to proven optimality;
* 1 — no answer passed in the allowed rounds (infeasible, unbounded, invalid, failed);
* 2 — it passed the checks but the solver stopped at its time limit (undecided);
* 3 — bad input or configuration: unreadable file, empty text, no usable backend (the
  message lists the backends and how to configure one), a backend that fails at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from optiscribe.app._exit import EXIT_NEGATIVE, EXIT_OK, EXIT_UNDECIDED, fail
from optiscribe.app._options import backend_options
from optiscribe.formulate.errors import LLMError
from optiscribe.formulate.llm.config import BackendConfig
from optiscribe.solvers.errors import InputError, SandboxError
from optiscribe.solvers.kinds import Status

if TYPE_CHECKING:
    from optiscribe.formulate.pipeline import PipelineResult

_STATUS_EXIT: dict[str, int] = {
    Status.OPTIMAL: EXIT_OK,
    Status.TIME_LIMIT: EXIT_UNDECIDED,
    Status.INFEASIBLE: EXIT_NEGATIVE,
    Status.UNBOUNDED: EXIT_NEGATIVE,
    Status.FAILED: EXIT_NEGATIVE,
}
_MAX_VALUE_ROWS = 50
_TEXT_SUFFIXES = frozenset({".txt", ".md", ".text", ".json", ".yaml", ".yml"})


def _read_problem(problem: str) -> tuple[str, str | None]:
    """The problem text and, when it came from a file, the file stem (a default problem id)."""
    p = Path(problem)
    try:
        is_file = len(problem) < 4096 and "\n" not in problem and p.is_file()
    except OSError:
        is_file = False
    if is_file and p.suffix.lower() == ".jsonl":
        # many problems, one a line: a batch, not one problem text
        raise ValueError(
            f"{problem} is a JSONL file of problems; 'solve' takes one problem. Run them all "
            f"with: optiscribe batch {problem} results.jsonl (same backend options)"
        )
    if is_file:
        return p.read_text(encoding="utf-8"), p.stem
    if " " not in problem.strip() and p.suffix.lower() in _TEXT_SUFFIXES:
        # one word ending in .txt/.md: a mistyped path, not a problem statement
        raise FileNotFoundError(
            f"no such file: {problem!r}; pass an existing file or the problem text itself"
        )
    return problem, None


def exit_code(result: PipelineResult) -> int:
    """The exit code that ``result.status`` maps to."""
    return _STATUS_EXIT.get(result.status, EXIT_NEGATIVE)


def register(app: typer.Typer) -> None:
    """Add the ``solve`` command to ``app``."""

    @app.command("solve")
    @backend_options
    def solve(
        problem: Annotated[str, typer.Argument(help="the problem text, or a file that holds it")],
        mode: Annotated[
            str,
            typer.Option(
                help="ir (JSON five elements, default) | code (LLMOPT-style Pyomo code, run in the "
                "sandbox) | code_gurobipy (gurobipy code, run on HiGHS in the sandbox)"
            ),
        ] = "ir",
        samples: Annotated[
            int,
            typer.Option(
                min=1,
                help="draw k answers and pick the consensus (confidence = share of the winning class)",
            ),
        ] = 1,
        max_rounds: Annotated[
            int, typer.Option(min=1, help="self-correction rounds per sample")
        ] = 5,
        solver: Annotated[str, typer.Option(help="highs | ortools")] = "highs",
        time_limit: Annotated[
            float, typer.Option(help="solver time limit per solve, seconds")
        ] = 60.0,
        problem_id: Annotated[
            str | None,
            typer.Option(
                help="problem id sent to the backend (replay needs it; default: the file's stem)"
            ),
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json/--no-json", help="print one JSON object with everything")
        ] = False,
        save_model: Annotated[
            Path | None,
            typer.Option(
                help="write the formulation (YAML, JSON) and the model (MPS) into this folder"
            ),
        ] = None,
        data: Annotated[
            Path | None,
            typer.Option(
                help="JSON file whose value code-mode programs get as the global 'data' "
                "(ReLoop-style parameter dict); --mode code only"
            ),
        ] = None,
        *,
        llm_config: BackendConfig,
    ) -> None:
        """Formulate PROBLEM as a MILP with an LLM, solve it, and report status, objective and confidence."""
        # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
        from optiscribe.formulate.llm.registry import make_backend
        from optiscribe.formulate.modes import MODES
        from optiscribe.formulate.pipeline import solve_text

        if mode not in MODES:
            raise fail(f"--mode {mode!r} is not a mode; choose one of {', '.join(MODES)}")
        try:
            text, stem = _read_problem(problem)
        except (FileNotFoundError, ValueError) as exc:
            raise fail(str(exc)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"cannot read problem file {problem!r}: {exc}") from None
        if not text.strip():
            raise fail(
                "the problem text is empty; pass the problem in plain language or a file that holds it"
            )
        code_globals = None
        if data is not None:
            if not mode.startswith("code"):
                raise fail("--data is for --mode code (it predefines the programs' 'data' global)")
            try:
                code_globals = {"data": json.loads(data.read_text(encoding="utf-8"))}
            except (OSError, UnicodeDecodeError) as exc:
                raise fail(f"cannot read --data file {str(data)!r}: {exc}") from None
            except json.JSONDecodeError as exc:
                raise fail(
                    f"--data file {str(data)!r} is not JSON ({exc.msg} at line {exc.lineno}); "
                    'give a JSON object such as {"capacity": 10}'
                ) from None
        try:
            backend = make_backend(llm_config)
        except (LLMError, InputError) as exc:
            raise fail(str(exc)) from None
        # Code mode runs every answer in the sandbox: with several samples (and their
        # correction rounds) a warm pool saves the interpreter start-up of each run.

        pool = None
        if mode.startswith("code") and samples > 1:
            # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
            from optiscribe.solvers.sandbox import WarmPoolExecutor

            try:
                pool = WarmPoolExecutor(size=1)
            except SandboxError as exc:  # e.g. no bubblewrap and weak isolation not allowed
                raise fail(str(exc)) from None
        try:
            result = solve_text(
                text,
                backend=backend,
                mode=mode,
                samples=samples,
                max_rounds=max_rounds,
                solver=solver,
                time_limit=time_limit,
                problem_id=problem_id or stem,
                executor=pool,
                code_globals=code_globals,
            )
        except (LLMError, InputError, ValueError, SandboxError) as exc:
            raise fail(str(exc)) from None
        finally:
            if pool is not None:
                pool.close()
        saved: list[str] = []
        if save_model is not None:
            try:
                saved = _save(result, save_model)
            except OSError as exc:
                raise fail(f"cannot write to --save-model {str(save_model)!r}: {exc}") from None
        if as_json:
            payload = result.to_dict()
            payload["saved"] = saved
            typer.echo(json.dumps(payload, indent=2, default=str))
        else:
            _print_human(result, saved)
        raise typer.Exit(exit_code(result))


def _save(result: PipelineResult, folder: Path) -> list[str]:
    """Write the formulation (YAML + JSON) and the solved model (MPS); return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    f = result.formulation
    if f is not None:
        (folder / "formulation.yaml").write_text(f.to_yaml(), encoding="utf-8")
        (folder / "formulation.json").write_text(f.to_json(), encoding="utf-8")
        out += [folder / "formulation.yaml", folder / "formulation.json"]
        if result.model is not None:
            # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
            from optiscribe.formulate.ir.compile import write_mps

            out.append(write_mps(result.model, folder / "model.mps"))
    if result.code is not None:
        (folder / "model.py").write_text(result.code, encoding="utf-8")
        out.append(folder / "model.py")
    if result.mps is not None:
        (folder / "model.mps").write_text(result.mps, encoding="utf-8")
        out.append(folder / "model.mps")
    return [str(p) for p in out]


def _print_human(result: PipelineResult, saved: list[str]) -> None:
    console = Console()
    if result.formulation is not None:
        # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
        from optiscribe.formulate.ir.render import to_markdown

        console.print(Markdown(to_markdown(result.formulation, math="code")))
    elif result.elements or result.code:
        if result.elements:
            console.print(Markdown(result.elements))
        if result.code:
            console.print(Syntax(result.code, "python", line_numbers=False))
    answered = result.status in ("optimal", "time_limit")  # unbounded: no solution to show
    if answered and result.solve is not None and result.solve.has_solution:
        nonzero = [(k, v) for k, v in result.values.items() if abs(v) > 1e-9]
        table = Table(title=f"Solution ({len(nonzero)} non-zero of {len(result.values)} variables)")
        table.add_column("variable")
        table.add_column("value", justify="right")
        for k, v in nonzero[:_MAX_VALUE_ROWS]:
            table.add_row(_escape(k), f"{v:.10g}")
        if len(nonzero) > _MAX_VALUE_ROWS:
            table.add_row("...", f"({len(nonzero) - _MAX_VALUE_ROWS} more; use --json)")
        console.print(table)
    attempts = Table(title="Attempts")
    for col in ("sample", "round", "result", "seconds"):
        attempts.add_column(col)
    for a in result.history:
        attempts.add_row(
            str(a.sample),
            str(a.round),
            "accepted" if a.accepted else (a.error_kind or "?"),
            f"{a.timings.get('total_s', 0.0):.3f}",
        )
    console.print(attempts)
    style = {Status.OPTIMAL: "green", Status.TIME_LIMIT: "yellow"}.get(result.status, "red")
    console.print(
        f"[bold]Status:[/bold] [{style}]{result.status}[/{style}] — {_escape(result.message)}"
    )
    if answered and result.objective is not None:
        console.print(f"[bold]Objective:[/bold] {result.objective:.10g}")
    if result.agreement is not None:
        conf = "" if result.confidence is None else f" (confidence {result.confidence:.2f})"
        console.print(f"[bold]Agreement:[/bold] {result.agreement} samples{conf}")
    console.print(
        f"[bold]Backend:[/bold] {_escape(result.backend)}, prompt {result.prompt_version}, "
        f"{result.timings.get('total_s', 0.0):.2f} s"
    )
    for w in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {_escape(w)}")
    for p in saved:
        console.print(f"saved {_escape(p)}")


def _escape(s: Any) -> str:
    return escape(str(s))
