"""``optiscribe data``: generate verified synthetic problems, equivalence pairs, and their statistics.

Commands::

    optiscribe data generate --families diet,knapsack --n 1000 --seed 0 OUT.jsonl
    optiscribe data pairs IN.jsonl OUT.jsonl
    optiscribe data stats FILE.jsonl
    optiscribe data families
    optiscribe data nl4opt-replay REPLAY.jsonl   (the NL4Opt gold models as a replay backend)
    optiscribe data paraphrase IN.jsonl OUT.jsonl --backend openai ...   (optional LLM step)

Exit codes: 0 on success, 3 on bad input (unknown family, unreadable file, bad option).
Heavy imports (Pyomo, HiGHS, the generator) happen inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from optiscribe.app._exit import fail
from optiscribe.app._options import backend_options
from optiscribe.formulate.errors import LLMError
from optiscribe.formulate.llm.config import BackendConfig
from optiscribe.solvers.errors import InputError

data_app = typer.Typer(
    name="data",
    help="Synthetic problems (text, model, code, optimum) and equivalence pairs.",
    no_args_is_help=True,
)


def _bad_input(msg: str) -> typer.Exit:
    return fail(msg)


def _split(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out += [x.strip() for x in v.split(",") if x.strip()]
    return out


def _progress():  # type: ignore[no-untyped-def]

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=False,
    )


@data_app.command("generate")
def generate_cmd(
    out: Annotated[Path, typer.Argument(help="JSONL file to write (one record a line)")],
    families: Annotated[
        list[str] | None,
        typer.Option(
            "--families",
            "-f",
            help="families, comma-separated or repeated (default: all; see 'data families')",
        ),
    ] = None,
    n: Annotated[int, typer.Option("--n", help="number of unique records")] = 100,
    seed: Annotated[int, typer.Option(help="seed: the same seed gives the same records")] = 0,
    difficulty: Annotated[
        list[str] | None,
        typer.Option(
            "--difficulty",
            "-d",
            help="easy, medium, hard (comma-separated or repeated; default: all in turn)",
        ),
    ] = None,
    size: Annotated[
        int | None,
        typer.Option(
            help="fix the main size of every instance instead of drawing it from the difficulty"
            " (each family's range is in 'data families')"
        ),
    ] = None,
    status: Annotated[
        str, typer.Option(help="optimal (default), or labelled 'infeasible' / 'unbounded' variants")
    ] = "optimal",
    workers: Annotated[int, typer.Option(help="worker processes")] = 2,
) -> None:
    """Generate verified records: every one compiled, solved by HiGHS, deduplicated."""
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.data.synth.families import family_names, get_family
    from optiscribe.data.synth.generate import DIFFICULTIES, iter_generate

    fams = _split(families) or None
    diffs = _split(difficulty) or list(DIFFICULTIES)
    try:
        for name in fams or family_names():
            get_family(name).check_size(size)
    except InputError as exc:
        raise _bad_input(str(exc)) from None
    if n < 1:
        raise _bad_input(f"--n must be at least 1, not {n}")
    if workers < 1:
        raise _bad_input(f"--workers must be at least 1, not {workers}")
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with out.open("w", encoding="utf-8") as fh, _progress() as progress:
            task = progress.add_task("generating", total=n)
            for rec in iter_generate(
                fams, n=n, seed=seed, difficulties=diffs, size=size, status=status, workers=workers
            ):
                fh.write(rec.to_json() + "\n")
                written += 1
                progress.advance(task)
    except InputError as exc:
        raise _bad_input(str(exc)) from None
    typer.echo(f"wrote {written} records to {out}")


@data_app.command("pairs")
def pairs_cmd(
    inp: Annotated[Path, typer.Argument(metavar="IN", help="records from 'data generate'")],
    out: Annotated[Path, typer.Argument(help="JSONL file of labelled pairs")],
    transformations: Annotated[
        list[str] | None,
        typer.Option("--transformations", "-t", help="which transformations (default: all)"),
    ] = None,
    seed: Annotated[int, typer.Option(help="seed of the transformations' random choices")] = 0,
    solve: Annotated[
        bool,
        typer.Option(
            "--solve/--no-solve", help="solve every candidate (checks positives keep the optimum)"
        ),
    ] = True,
    workers: Annotated[
        int, typer.Option(min=1, help="worker processes (the output does not depend on it)")
    ] = 1,
) -> None:
    """Write equivalent and non-equivalent reformulations of every record, labelled."""
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.data.synth.generate import read_jsonl
    from optiscribe.data.synth.pairs import TRANSFORMS, iter_pairs

    names = _split(transformations) or None
    unknown = [t for t in names or [] if t not in TRANSFORMS]
    if unknown:
        raise _bad_input(f"unknown transformation(s) {unknown}; known: {', '.join(TRANSFORMS)}")
    try:
        records = read_jsonl(inp)
    except InputError as exc:
        raise _bad_input(str(exc)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    # Candidates that fail a check are not pairs; their reasons go next to OUT, never lost.
    skipped_path = out.with_name(out.name.removesuffix(".jsonl") + ".skipped.jsonl")
    count = skipped = 0
    try:
        with (
            out.open("w", encoding="utf-8") as fh,
            skipped_path.open("w", encoding="utf-8") as sk,
            _progress() as progress,
        ):
            task = progress.add_task("pairing", total=len(records))
            for pair_set in iter_pairs(
                records, seed=seed, transformations=names, solve=solve, workers=workers
            ):
                for p in pair_set.pairs:
                    fh.write(p.to_json() + "\n")
                    count += 1
                for s in pair_set.skipped:
                    sk.write(s.to_json() + "\n")
                    skipped += 1
                progress.advance(task)
    except InputError as exc:
        raise _bad_input(str(exc)) from None
    typer.echo(f"wrote {count} pairs to {out}")
    if skipped:
        typer.echo(f"skipped {skipped} candidate(s) that failed a check; reasons in {skipped_path}")
    else:
        skipped_path.unlink()


@data_app.command("stats")
def stats_cmd(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="records from 'data generate'")],
    as_json: Annotated[
        bool, typer.Option("--json/--no-json", help="print JSON instead of tables")
    ] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown/--no-markdown", help="print Markdown tables (for docs)")
    ] = False,
) -> None:
    """Families, sizes, constraint types and text lengths of a generated set."""
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.data.synth.generate import read_jsonl
    from optiscribe.data.synth.stats import compute_stats, stats_markdown

    try:
        stats = compute_stats(read_jsonl(path))
    except InputError as exc:
        raise _bad_input(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(stats, indent=2))
        return
    if markdown:
        typer.echo(stats_markdown(stats))
        return

    console = Console()
    w = stats["text_words"]
    console.print(
        f"[bold]{stats['records']}[/bold] records; difficulty {stats['difficulty']}; status {stats['status']}; "
        f"kind {stats['kind']}; words {w['min']:g}–{w['max']:g} (median {w['median']:g})"
    )
    t = Table(title="per family")
    for col in ("family", "records", "vars med/max", "rows med/max", "int vars med", "words med"):
        t.add_column(col)
    for fam, d in stats["per_family"].items():
        t.add_row(
            fam,
            str(d["records"]),
            f"{d['vars']['median']:g}/{d['vars']['max']:g}",
            f"{d['rows']['median']:g}/{d['rows']['max']:g}",
            f"{d['int_vars']['median']:g}",
            f"{d['words']['median']:g}",
        )
    console.print(t)
    c = Table(title="constraint types")
    c.add_column("type")
    c.add_column("records")
    for k, v in stats["constraint_types"].items():
        c.add_row(k, str(v))
    console.print(c)


@data_app.command("families")
def families_cmd() -> None:
    """List the problem families with what each is about."""
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.data.synth.families import get_family
    from optiscribe.data.synth.generate import family_names

    typer.echo(f"{'family':20s} {'kind':8s} {'--size':8s} about")
    for name in family_names():
        spec = get_family(name)
        lo, hi = spec.sizes
        typer.echo(f"{name:20s} {spec.kind:8s} {f'{lo}-{hi}':8s} {spec.summary}")


@data_app.command("nl4opt-replay")
def nl4opt_replay_cmd(
    replay: Annotated[Path, typer.Argument(help="replay file to write (JSONL of id, responses)")],
    problems: Annotated[
        Path | None,
        typer.Option(
            "--problems",
            help="problem file to write ({id, question, answer} a line); "
            "default: REPLAY's name with .problems.jsonl",
        ),
    ] = None,
    copies: Annotated[
        int, typer.Option(min=1, help="answers recorded per problem (one per correction round)")
    ] = 5,
    labelled_only: Annotated[
        bool,
        typer.Option(
            "--labelled-only/--all",
            help="only problems with a numeric label in nl4opt.jsonl (what eval needs)",
        ),
    ] = True,
) -> None:
    """Write a replay file from the NL4Opt gold formulations, to run the main job offline.

    Reads the shared NL4Opt data (``../shared/data`` or ``$OPTISCRIBE_SHARED_DATA``), converts
    each gold formulation to the IR, and writes it as the recorded answer of a ``replay``
    backend, plus the problems. Then, with no LLM and no network:

        optiscribe batch PROBLEMS OUT.jsonl --backend replay --replay-file REPLAY

        optiscribe eval --benchmark PROBLEMS --backend replay --replay-file REPLAY
    """
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.data.errors import DataError
    from optiscribe.data.gold.nl4opt import gold_records, write_replay

    if problems is None:
        problems = replay.with_name(replay.name.removesuffix(".jsonl") + ".problems.jsonl")
    if problems.resolve() == replay.resolve():
        raise _bad_input("--problems must differ from REPLAY: they are two different files")
    for path in (replay, problems):
        if not path.parent.is_dir():
            raise _bad_input(f"cannot write {path}: the folder {path.parent} does not exist")
    try:
        records = gold_records(solve=False)
        result = write_replay(records, replay, problems, copies=copies, labelled_only=labelled_only)
    except DataError as exc:
        raise _bad_input(str(exc)) from None
    except OSError as exc:
        raise _bad_input(f"cannot write the replay files: {exc}") from None
    typer.echo(
        f"wrote {result.problems} problems to {problems} and their gold answers to {replay} "
        f"({len(result.left_out)} left out: no label or not converted)"
    )
    typer.echo(
        f"next: optiscribe batch {problems} out.jsonl --backend replay --replay-file {replay}"
    )


@data_app.command("paraphrase")
@backend_options
def paraphrase_cmd(
    inp: Annotated[Path, typer.Argument(metavar="IN", help="records from 'data generate'")],
    out: Annotated[Path, typer.Argument(help="JSONL file of accepted paraphrased records")],
    n: Annotated[int, typer.Option("--n", help="paraphrases asked per record")] = 2,
    *,
    llm_config: BackendConfig,
) -> None:
    """Optional: LLM paraphrases, kept only if the forward re-formulation solves to the same optimum."""
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.data.synth.generate import read_jsonl
    from optiscribe.data.synth.paraphrase import paraphrase_all
    from optiscribe.formulate.llm.registry import make_backend

    try:
        records = read_jsonl(inp)
        backend = make_backend(llm_config)
    except (InputError, LLMError) as exc:
        raise _bad_input(str(exc)) from None
    kept = rejected = 0
    with out.open("w", encoding="utf-8") as fh, _progress() as progress:
        task = progress.add_task("paraphrasing", total=len(records))
        for report in paraphrase_all(records, backend, n=n):
            for rec in report.accepted:
                fh.write(rec.to_json() + "\n")
            kept += len(report.accepted)
            rejected += len(report.rejected)
            progress.advance(task)
    typer.echo(f"kept {kept} paraphrases, rejected {rejected}; wrote {out}")


def register(app: typer.Typer) -> None:
    """Add the ``data`` sub-app to ``app``."""
    app.add_typer(data_app, name="data")
