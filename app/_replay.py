"""``optiscribe eval --responses PUBLISHED.jsonl``: replay other systems' published code answers.

Owns the command side only (progress, output files, exit code); the replay and the report
live in :mod:`optiscribe.data.eval.replay`.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from optiscribe.app._exit import EXIT_BAD_INPUT, EXIT_OK, fail
from optiscribe.data.eval.replay import (
    is_published_outputs,
    load_labels,
    read_published,
    replay,
    summarize,
    write_replay,
)
from optiscribe.solvers.errors import OptiscribeError
from optiscribe.solvers.sandbox import WarmPoolExecutor

__all__ = ["is_published", "replay_command"]


def is_published(path: Path) -> bool:
    """Whether ``path`` is a published-outputs file (raises DataError for unreadable files)."""
    return is_published_outputs(path)


def replay_command(
    path: Path,
    *,
    out_dir: Path,
    data_dir: Path | None,
    timeout_s: float,
    workers: int | None,
    limit: int | None,
    as_json: bool,
    progress: bool,
) -> None:
    """Replay every answer of ``path`` in warm sandbox workers and write the report."""
    try:
        answers = read_published(path)
        if limit is not None:
            answers = answers[:limit]
        labels = load_labels(answers, data_dir=data_dir)
    except OptiscribeError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    done = [0]

    def on_row(_: object) -> None:
        done[0] += 1
        if progress:
            typer.echo(f"\rreplayed {done[0]}/{len(answers)}", err=True, nl=False)

    with WarmPoolExecutor(size=max(1, workers or 1)) as executor:
        rows = replay(answers, labels=labels, executor=executor, timeout_s=timeout_s, on_row=on_row)
    if progress:
        typer.echo("", err=True)
    unknown = sorted({a.benchmark for a in answers} - set(labels))
    meta = {"published outputs": str(path), "solver": "HiGHS (code-mode dialects)"}
    if unknown:
        meta["no labels for"] = ", ".join(unknown)
    paths = write_replay(rows, out_dir, meta)
    summary = summarize(rows)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        t = summary["total"]
        rate = t["reproduction_rate"]
        typer.echo(
            f"{t['problems']} problems: {t['ran']} ran, {t['crashed']} crashed, "
            f"{t['unsupported']} unsupported, {t['no_code']} without code; reproduced "
            f"{t['reproduced']}/{t['with_recorded_objective']} recorded objectives"
            + (f" ({100 * rate:.1f} %)" if rate is not None else "")
            + f"; correct {t['correct']}/{t['labelled']} labelled (authors: {t['authors_pass']})"
        )
        typer.echo("wrote " + ", ".join(str(p) for p in paths))
    raise typer.Exit(EXIT_OK)
