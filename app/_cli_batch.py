"""``optiscribe batch`` and ``optiscribe eval``: many problems at once, and benchmark scores.

``batch IN.jsonl OUT.jsonl`` formulates and solves every ``{id, question}`` line of IN
and appends one result per line to OUT; rerunning the same command resumes (see
:mod:`optiscribe.data.batch`). ``eval --benchmark NAME|FILE`` runs the batch over a
benchmark and writes a Markdown report, a CSV and plots (see
:mod:`optiscribe.data.eval.score`).

Exit codes (on top of :mod:`optiscribe.app.cli`'s):

* 0 — every problem ran and succeeded (batch) / the evaluation completed (eval)
* 1 — batch: the run completed but some problems failed (their reasons are in OUT)
* 3 — bad input: an unreadable or malformed input line (named; good lines still ran),
  an unwritable output path, a bad option or backend configuration
* 130 — interrupted with Ctrl-C; rerun the same command to resume
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from optiscribe.app._exit import EXIT_BAD_INPUT, EXIT_NEGATIVE, EXIT_OK, fail
from optiscribe.app._options import backend_options
from optiscribe.formulate.errors import LLMError
from optiscribe.solvers.errors import OptiscribeError

if TYPE_CHECKING:
    from rich.console import Console

    from optiscribe.data.batch import BatchStats, InputScan, StoreState

EXIT_INTERRUPTED = 130
_MAX_ISSUES_SHOWN = 20


def _console(stderr: bool = True) -> Console:
    return Console(stderr=stderr, highlight=False)


def _error(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    return fail(message, code)


class _Bar:
    """The rich progress bar: done / total, failed, rate, ETA. Silent when disabled."""

    def __init__(self, enabled: bool, label: str) -> None:
        self.enabled = enabled
        self.label = label
        self.progress: Any = None
        self.task: Any = None

    def start(self, total: int) -> None:
        if not self.enabled:
            return

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]failed {task.fields[failed]}"),
            TaskProgressColumn(show_speed=True),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=_console(),
            transient=False,
            refresh_per_second=4,
        )
        self.progress.start()
        self.task = self.progress.add_task(self.label, total=total, failed=0, rate="")

    def update(self, done: int, failed: int, total: int) -> None:
        if self.progress is None:
            return
        speed = self.progress.tasks[0].speed if self.progress.tasks else None
        self.progress.update(
            self.task,
            completed=done,
            total=total,
            failed=failed,
            rate=f"{speed:.1f}/s" if speed else "",
        )

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _report_issues(scan: InputScan) -> None:
    con = _console()
    for issue in scan.issues[:_MAX_ISSUES_SHOWN]:
        con.print(f"[yellow]bad input:[/] {escape(str(issue))}", markup=True, soft_wrap=True)
    if len(scan.issues) > _MAX_ISSUES_SHOWN:
        con.print(
            f"[yellow]... and {len(scan.issues) - _MAX_ISSUES_SHOWN} more bad lines[/]", markup=True
        )


def _summary(stats: BatchStats) -> Any:
    t = Table(title="Batch summary", show_header=False)
    t.add_column("what")
    t.add_column("value", justify="right")
    t.add_row("problems in input", str(stats.input_problems))
    t.add_row("bad input lines (skipped)", str(stats.bad_lines))
    t.add_row("already done (skipped)", str(stats.already_done))
    t.add_row("ran now", str(stats.ran))
    t.add_row("succeeded", f"[green]{stats.succeeded}[/]")
    t.add_row("failed", f"[red]{stats.failed}[/]" if stats.failed else "0")
    for reason, n in list(stats.failure_reasons.items())[:6]:
        t.add_row(f"  {reason}", str(n))
    t.add_row("wall time", f"{stats.wall_s:.1f} s")
    t.add_row("rate", f"{stats.rate:.1f} problems/s")
    t.add_row("workers", str(stats.workers))
    if stats.torn_bytes_repaired:
        t.add_row("torn last line repaired", f"{stats.torn_bytes_repaired} bytes cut")
    t.add_row("output", stats.output)
    if stats.interrupted:
        t.caption = "interrupted: rerun the same command to resume"
    return t


def _spec(
    llm_config: Any,
    *,
    function: str | None,
    mode: str,
    samples: int,
    max_rounds: int,
    solver: str,
    time_limit: float | None,
) -> Any:
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.data.batch import DEFAULT_FUNCTION, RunSpec

    if mode not in ("ir", "code"):
        raise _error(f"--mode {mode!r}: use ir or code")
    if samples < 1 or max_rounds < 1:
        raise _error("--samples and --max-rounds must be at least 1")
    return RunSpec(
        backend_config=llm_config,
        function=function or DEFAULT_FUNCTION,
        mode=mode,
        samples=samples,
        max_rounds=max_rounds,
        solver=solver,
        time_limit=time_limit,
    )


def _batch_options(
    *,
    executor: str,
    concurrency: int,
    workers: int | None,
    address: str | None,
    retry_failed: bool,
    bar: _Bar,
    strict: bool,
) -> dict[str, Any]:
    if concurrency < 1:
        raise _error("--concurrency must be at least 1")
    if workers is not None and workers < 1:
        raise _error("--workers must be at least 1")

    def on_start(todo: int, state: StoreState, scan: InputScan) -> None:
        if scan.issues:
            _report_issues(scan)
            if strict:
                raise _StrictAbort(len(scan.issues))
        if state.torn_bytes:
            _console().print(
                f"[yellow]repaired:[/] cut a torn last line ({state.torn_bytes} bytes) left by an "
                "interrupted run; that problem runs again",
                markup=True,
            )
        bar.start(todo)

    return {
        "executor": executor,
        "concurrency": concurrency,
        "workers": workers,
        "address": address,
        "retry_failed": retry_failed,
        "progress": bar.update,
        "on_start": on_start,
    }


def _check_backend(llm_config: Any) -> None:
    """Fail at once, exit 3, when the backend cannot be made (no backend chosen, a missing
    replay file, an unknown name), instead of after the workers started and the output
    folder was made. A local ``transformers`` model is only checked for its packages here:
    loading it is each worker's job."""
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.formulate.llm.registry import BACKENDS, make_backend

    try:
        if llm_config.backend == "transformers" and llm_config.backend in BACKENDS:
            missing = BACKENDS["transformers"].missing()
            if missing:
                raise _error(
                    f"backend 'transformers' needs {', '.join(missing)}, which is not installed; "
                    f"install it with: {BACKENDS['transformers'].install_hint}"
                )
            return
        make_backend(llm_config)
    except (LLMError, OptiscribeError) as exc:
        raise _error(str(exc)) from None


def _eval_command(benchmark: list[str], llm_config: Any, **opts: Any) -> str:
    """The command line that reruns this evaluation: benchmarks, backend flags that differ
    from the defaults (never a key: the config holds only the variable's name), run options."""
    parts = ["optiscribe", "eval"]
    for b in benchmark:
        parts += ["-b", str(b)]
    for f in dataclasses.fields(llm_config):
        value = getattr(llm_config, f.name)
        if value != f.default or f.name == "backend":
            parts += ["--" + f.name.replace("_", "-"), str(value)]
    defaults = {
        "responses": None,
        "variant": None,
        "mode": "ir",
        "samples": 1,
        "max_rounds": 5,
        "solver": "highs",
        "time_limit": 60.0,
        "tolerance": "default",
        "limit": None,
    }
    for name, value in opts.items():
        if name == "out_dir":
            parts += ["-o", str(value)]
        elif value != defaults.get(name, object()):
            parts += ["--" + name.replace("_", "-"), str(value)]
    return shlex.join(parts)


class _StrictAbort(Exception):
    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.n = n


def _run_guarded(fn: Callable[[], Any], bar: _Bar) -> Any:
    try:
        return fn()
    except _StrictAbort as exc:
        raise _error(
            f"{exc.n} bad input line(s) and --strict was given: nothing was run; fix the lines "
            "named above"
        ) from None
    except OptiscribeError as exc:
        raise _error(str(exc)) from None
    finally:
        bar.stop()


def register(app: typer.Typer) -> None:
    @app.command("batch")
    @backend_options
    def batch(
        input_path: Annotated[
            Path,
            typer.Argument(metavar="IN.jsonl", help="One {id, question, ...} object per line."),
        ],
        output_path: Annotated[
            Path,
            typer.Argument(
                metavar="OUT.jsonl", help="Results, one per line (appended; resumable)."
            ),
        ],
        *,
        llm_config: Any,
        mode: Annotated[
            str, typer.Option(help="ir (five-element JSON) or code (Pyomo code in the sandbox).")
        ] = "ir",
        samples: Annotated[int, typer.Option(help="Samples per problem (consensus, pass@k).")] = 1,
        max_rounds: Annotated[int, typer.Option(help="Self-correction rounds per problem.")] = 5,
        solver: Annotated[str, typer.Option(help="highs or ortools.")] = "highs",
        time_limit: Annotated[float | None, typer.Option(help="Solver seconds per solve.")] = 60.0,
        concurrency: Annotated[
            int, typer.Option(help="Problems (LLM requests) in flight at once.")
        ] = 16,
        workers: Annotated[
            int | None, typer.Option(help="Worker processes (default: one per core).")
        ] = None,
        executor: Annotated[
            str, typer.Option(help="local (processes x threads), thread, or ray.")
        ] = "local",
        address: Annotated[
            str | None,
            typer.Option(help="Ray address (with --executor ray): auto, ray://host:10001."),
        ] = None,
        retry_failed: Annotated[
            bool,
            typer.Option(
                "--retry-failed/--no-retry-failed",
                help="Run again the problems that failed before.",
            ),
        ] = False,
        limit: Annotated[
            int | None, typer.Option(help="Run at most this many problems now.")
        ] = None,
        strict: Annotated[
            bool, typer.Option("--strict/--no-strict", help="Run nothing if any input line is bad.")
        ] = False,
        progress: Annotated[
            bool, typer.Option("--progress/--no-progress", help="Show the progress bar.")
        ] = True,
        as_json: Annotated[
            bool,
            typer.Option(
                "--json/--no-json", help="Print the summary as one JSON object on stdout."
            ),
        ] = False,
        function: Annotated[
            str | None, typer.Option(hidden=True, help="Per-problem function module:callable.")
        ] = None,
    ) -> None:
        """Formulate and solve every problem of IN.jsonl; results are appended to OUT.jsonl.

        A rerun skips ids already in OUT (a killed run resumes; every id ends up exactly
        once). Failures of single problems are recorded with their reason and never stop
        the others.
        """
        # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
        from optiscribe.data.batch import run_batch

        spec = _spec(
            llm_config,
            function=function,
            mode=mode,
            samples=samples,
            max_rounds=max_rounds,
            solver=solver,
            time_limit=time_limit,
        )
        bar = _Bar(progress and not as_json, "batch")
        opts = _batch_options(
            executor=executor,
            concurrency=concurrency,
            workers=workers,
            address=address,
            retry_failed=retry_failed,
            bar=bar,
            strict=strict,
        )
        stats = _run_guarded(
            lambda: run_batch(input_path, output_path, spec, limit=limit, **opts), bar
        )
        if as_json:
            typer.echo(json.dumps(stats.to_dict()))
        else:
            _console(stderr=False).print(_summary(stats))
        if stats.interrupted:
            raise typer.Exit(EXIT_INTERRUPTED)
        if stats.bad_lines:
            raise typer.Exit(EXIT_BAD_INPUT)
        raise typer.Exit(EXIT_NEGATIVE if stats.failed else EXIT_OK)

    @app.command("eval")
    @backend_options
    def evaluate(
        *,
        llm_config: Any,
        benchmark: Annotated[
            list[str] | None,
            typer.Option(
                "--benchmark",
                "-b",
                help="Benchmark name or JSONL file (repeatable; not needed for published outputs).",
            ),
        ] = None,
        data_dir: Annotated[
            Path | None,
            typer.Option(
                help="Shared data root or benchmarks folder (default: found automatically)."
            ),
        ] = None,
        variant: Annotated[
            str | None,
            typer.Option(help="Label version to score against (see --list-variants)."),
        ] = None,
        all_variants: Annotated[
            bool,
            typer.Option(
                "--all-variants",
                help="Also score the run against every label variant and print the spread.",
            ),
        ] = False,
        list_variants: Annotated[
            bool, typer.Option("--list-variants", help="List the benchmarks' variants and exit.")
        ] = False,
        responses: Annotated[
            Path | None,
            typer.Option(
                help="Score recorded outputs: JSONL of {id, response} (IR JSON or Python code), "
                "or published outputs {benchmark, index, code, data_json, stage_objectives} "
                "(replayed in the sandbox, any dialect; see docs/dialects.md)."
            ),
        ] = None,
        tolerance: Annotated[
            str,
            typer.Option(
                help="default (rel 1e-4 or abs 1e-2), abs1e-6, rel5pct, or 'rel=..,abs=..'."
            ),
        ] = "default",
        out_dir: Annotated[
            Path,
            typer.Option(
                "--out-dir", "-o", help="Folder for results, report.md, scores.csv, plots."
            ),
        ] = Path("eval-out"),
        mode: Annotated[str, typer.Option(help="ir or code.")] = "ir",
        samples: Annotated[int, typer.Option(help="Samples per problem (pass@k, consensus).")] = 1,
        max_rounds: Annotated[int, typer.Option(help="Self-correction rounds per problem.")] = 5,
        solver: Annotated[str, typer.Option(help="highs or ortools.")] = "highs",
        time_limit: Annotated[float | None, typer.Option(help="Solver seconds per solve.")] = 60.0,
        concurrency: Annotated[int, typer.Option(help="Problems in flight at once.")] = 16,
        workers: Annotated[
            int | None, typer.Option(help="Worker processes (default: one per core).")
        ] = None,
        executor: Annotated[str, typer.Option(help="local, thread or ray.")] = "local",
        address: Annotated[
            str | None, typer.Option(help="Ray address (with --executor ray).")
        ] = None,
        limit: Annotated[
            int | None, typer.Option(help="Only the first N problems of each benchmark.")
        ] = None,
        plots: Annotated[
            bool, typer.Option("--plots/--no-plots", help="Write accuracy.png and attempts.png.")
        ] = True,
        progress: Annotated[
            bool, typer.Option("--progress/--no-progress", help="Show the progress bar.")
        ] = True,
        as_json: Annotated[
            bool, typer.Option("--json/--no-json", help="Print the scores as JSON on stdout.")
        ] = False,
        function: Annotated[
            str | None, typer.Option(hidden=True, help="Per-problem function module:callable.")
        ] = None,
    ) -> None:
        """Score a model (or recorded outputs) on benchmarks: accuracy with and without
        self-correction, unlabelled problems apart, a failure taxonomy, label-variant spread."""
        # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
        from optiscribe.data.eval.report import fmt_ratio, write_reports
        from optiscribe.data.eval.score import parse_tolerance, run_eval

        if responses is not None:
            # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
            from optiscribe.app._replay import is_published, replay_command

            try:
                published = is_published(responses)
            except OptiscribeError as exc:
                raise _error(str(exc)) from None
            if published:
                if benchmark or variant:
                    typer.echo(
                        "note: --benchmark/--variant are not used for published outputs: each "
                        "record names its benchmark and index (labels: the sirl variants)",
                        err=True,
                    )
                replay_command(
                    responses,
                    out_dir=out_dir,
                    data_dir=data_dir,
                    timeout_s=float(time_limit or 60.0),
                    workers=workers,
                    limit=limit,
                    as_json=as_json,
                    progress=progress and not as_json,
                )
                return
        if not benchmark:
            raise _error("give at least one --benchmark (name or JSONL file)")
        if list_variants:
            # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
            from optiscribe.data.benchmarks import list_variants as _lv

            try:
                for b in benchmark:
                    typer.echo(f"{b}: {', '.join(_lv(b, data_dir=data_dir)) or '(none)'}")
            except OptiscribeError as exc:
                raise _error(str(exc)) from None
            raise typer.Exit(EXIT_OK)
        try:
            tol = parse_tolerance(tolerance)
        except OptiscribeError as exc:
            raise _error(str(exc)) from None
        spec = _spec(
            llm_config,
            function=function,
            mode=mode,
            samples=samples,
            max_rounds=1 if responses else max_rounds,
            solver=solver,
            time_limit=time_limit,
        )
        if responses is None and function is None:
            _check_backend(llm_config)  # before any worker starts or any folder is made
        bar = _Bar(progress and not as_json, "eval")
        opts = _batch_options(
            executor=executor,
            concurrency=concurrency,
            workers=workers,
            address=address,
            retry_failed=False,
            bar=bar,
            strict=False,
        )

        def on_benchmark(name: str, n: int) -> None:
            bar.stop()
            bar.label = Path(name).name

        run = _run_guarded(
            lambda: run_eval(
                benchmark,
                out_dir,
                spec,
                variant=variant,
                all_variants=all_variants,
                data_dir=data_dir,
                tolerance=tol,
                responses=responses,
                limit=limit,
                batch_options=opts,
                on_benchmark=on_benchmark,
            ),
            bar,
        )
        meta = {
            "backend": "responses file " + str(responses) if responses else llm_config.backend,
            "mode": mode,
            "samples": samples,
            "max rounds": max_rounds if not responses else 1,
            "solver": solver,
            "command": _eval_command(
                benchmark,
                llm_config,
                responses=responses,
                variant=variant,
                mode=mode,
                samples=samples,
                max_rounds=max_rounds,
                solver=solver,
                time_limit=time_limit,
                tolerance=tolerance,
                limit=limit,
                out_dir=out_dir,
            ),
        }
        paths = write_reports(run.scores, out_dir, variants=run.variants, meta=meta, plots=plots)
        if plots and importlib.util.find_spec("matplotlib") is None:
            # The report and CSV are complete without plots; say why the PNGs are missing.
            typer.echo(
                "note: plots not written: matplotlib is not installed "
                "(pip install 'optiscribe[bench]', or pass --no-plots)",
                err=True,
            )
        interrupted = any(b.interrupted for b in run.batches)
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "scores": [s.row() for s in run.scores],
                        "variants": [
                            {
                                "benchmark": v.benchmark,
                                "spread": v.spread,
                                "scores": [s.row() for s in v.scores],
                            }
                            for v in run.variants
                        ],
                        "report": {k: str(p) for k, p in paths.items()},
                        "interrupted": interrupted,
                    }
                )
            )
        else:
            con = _console(stderr=False)
            t = Table(title=f"Execution accuracy (tolerance: {tol.describe()})")
            for col in (
                "benchmark",
                "problems",
                "answered",
                "executed",
                "correct",
                "accuracy",
                "first attempt",
                "unlabelled",
                "mean attempts",
            ):
                t.add_column(col, justify="left" if col == "benchmark" else "right")
            for s in run.scores:
                t.add_row(
                    s.benchmark + (f" ({s.variant})" if s.variant else ""),
                    str(s.problems),
                    str(s.answered),
                    str(s.executed),
                    str(s.correct),
                    fmt_ratio(s.accuracy),
                    fmt_ratio(s.accuracy_first),
                    str(s.unlabelled),
                    f"{s.mean_attempts:.2f}",
                )
            con.print(t)
            for s in run.scores:
                con.print(
                    f"{s.benchmark}: accuracy {fmt_ratio(s.accuracy)} ({s.correct}/{s.answered} answered), "
                    f"first attempt {fmt_ratio(s.accuracy_first)}, {s.unlabelled} without a numeric answer",
                    soft_wrap=True,
                )
                if s.k > 1:
                    con.print(
                        f"{s.benchmark}: pass@{s.k} {fmt_ratio(s.pass_at_k)}, consensus "
                        f"{fmt_ratio(s.consensus_accuracy)}"
                    )
                if s.failures:
                    con.print(
                        f"{s.benchmark} failures: "
                        + ", ".join(
                            f"{k} {v}" for k, v in sorted(s.failures.items(), key=lambda kv: -kv[1])
                        )
                    )
            for v in run.variants:
                con.print(
                    f"{v.benchmark} across label variants: "
                    + ", ".join(f"{s.variant} {fmt_ratio(s.accuracy)}" for s in v.scores)
                    + f"; spread {fmt_ratio(v.spread)}"
                )
            con.print(f"report: {escape(str(paths['markdown']))}  csv: {escape(str(paths['csv']))}")
        if interrupted:
            raise typer.Exit(EXIT_INTERRUPTED)
        raise typer.Exit(EXIT_OK)


__all__ = ["EXIT_INTERRUPTED", "register"]
