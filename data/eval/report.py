"""Evaluation reports: a Markdown page, a CSV and two PNG plots from benchmark scores.

Kept apart from the scoring (:mod:`optiscribe.data.eval.score`) so that scores can be
computed and tested without matplotlib, which is imported only by :func:`write_plots`
(with the non-interactive Agg backend, so it works on servers and in CI).
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from optiscribe.data.eval.score import BenchmarkScore, Failure, VariantScore

__all__ = ["render_markdown", "write_csv", "write_plots", "write_reports"]


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f} %"


def render_markdown(
    scores: Sequence[BenchmarkScore],
    *,
    variants: Sequence[VariantScore] = (),
    meta: Mapping[str, Any] | None = None,
    plots: Sequence[str] = (),
) -> str:
    """The report: per-benchmark table, unlabelled problems, failure taxonomy, label spread."""
    meta = dict(meta or {})
    tol = scores[0].tolerance.describe() if scores else "—"
    lines = ["# Evaluation report", ""]
    for key, v in meta.items():
        lines.append(f"- **{key}**: {v}")
    lines += [
        f"- **tolerance**: {tol} — correct when |objective − answer| ≤ max(abs, rel·|answer|)",
        "",
        "*answered* = problems with a numeric reference answer (the denominator of every accuracy); "
        "*executed* = answered problems for which the run produced an objective; *accuracy (first)* "
        "= the first attempt, before self-correction.",
        "",
    ]
    k = max((s.k for s in scores), default=1)
    head = [
        "benchmark",
        "variant",
        "problems",
        "answered",
        "executed",
        "correct",
        "accuracy",
        "accuracy (first)",
    ]
    if k > 1:
        head += [f"pass@{k}", "consensus"]
    head += ["mean attempts", "problem time (s, summed)"]
    lines += ["## Scores", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in scores:
        row = [
            s.benchmark,
            s.variant or "preferred",
            str(s.problems),
            str(s.answered),
            str(s.executed),
            str(s.correct),
            _pct(s.accuracy),
            _pct(s.accuracy_first),
        ]
        if k > 1:
            row += [_pct(s.pass_at_k), _pct(s.consensus_accuracy)]
        row += [f"{s.mean_attempts:.2f}", f"{s.time_s:.1f}"]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")

    if any(s.unlabelled for s in scores):
        lines += [
            "## Problems without a numeric answer",
            "",
            "Not counted as correct or wrong; what the run said about them:",
            "",
            "| benchmark | unlabelled | with an objective | run statuses |",
            "|---|---|---|---|",
        ]
        for s in scores:
            if s.unlabelled:
                st = ", ".join(f"{k}: {v}" for k, v in sorted(s.unlabelled_statuses.items()))
                lines.append(
                    f"| {s.benchmark} | {s.unlabelled} | {s.unlabelled_executed} | {st or '—'} |"
                )
        lines.append("")
    if any(s.missing for s in scores):
        lines += [
            "**Incomplete run:** "
            + ", ".join(
                f"{s.benchmark}: {s.missing} problems have no result" for s in scores if s.missing
            )
            + " (rerun the same command to resume).",
            "",
        ]

    lines += [
        "## Failure taxonomy",
        "",
        "Answered problems not solved correctly, by the first cause found:",
        "",
    ]
    cats = [f.value for f in Failure]
    lines += ["| benchmark | " + " | ".join(cats) + " |", "|---|" + "---|" * len(cats)]
    for s in scores:
        lines.append(
            f"| {s.benchmark} | " + " | ".join(str(s.failures.get(c, 0)) for c in cats) + " |"
        )
    lines.append("")

    for vs in variants:
        lines += [
            f"## Label variants of {vs.benchmark}",
            "",
            "The same run scored against every published label version (matched on the question text).",
            "",
            "| variant | matched | answered | correct | accuracy | accuracy (first) | unmatched |",
            "|---|---|---|---|---|---|---|",
        ]
        for s in vs.scores:
            lines.append(
                f"| {s.variant} | {s.problems} | {s.answered} | {s.correct} | {_pct(s.accuracy)} | "
                f"{_pct(s.accuracy_first)} | {vs.unmatched.get(s.variant, 0)} |"
            )
        spread = vs.spread
        lines += [
            "",
            f"Spread of accuracy across variants: **{_pct(spread)}** (max − min)."
            if spread is not None
            else "Fewer than two variants had answered problems: no spread.",
            "",
        ]

    if plots:
        lines += ["## Plots", ""] + [f"![{Path(p).stem}]({Path(p).name})" for p in plots] + [""]
    return "\n".join(lines)


def write_csv(scores: Sequence[BenchmarkScore], path: str | Path) -> Path:
    """One row per benchmark (and variant), every column of :meth:`BenchmarkScore.row`."""
    p = Path(path)
    rows = [s.row() for s in scores]
    fields = list(rows[0]) if rows else ["benchmark"]
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return p


def write_plots(scores: Sequence[BenchmarkScore], out_dir: str | Path) -> list[Path]:
    """``accuracy.png`` (final and first attempt per benchmark) and ``attempts.png``
    (histogram of attempts per problem). Matplotlib with the Agg backend."""
    try:
        # lazy: heavy optional library, only to draw the plot
        import matplotlib

        matplotlib.use("Agg", force=True)
        # lazy: heavy optional library, only to draw the plot
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    out = Path(out_dir)
    paths: list[Path] = []

    fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(scores) + 2), 3.5))
    names = [s.benchmark + (f"\n{s.variant}" if s.variant else "") for s in scores]
    xs = list(range(len(scores)))
    final = [100 * (s.accuracy or 0.0) for s in scores]
    first = [100 * (s.accuracy_first or 0.0) for s in scores]
    ax.bar([x - 0.2 for x in xs], first, width=0.4, label="first attempt")
    ax.bar([x + 0.2 for x in xs], final, width=0.4, label="with self-correction")
    ax.set_xticks(xs, names, fontsize=8)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    # Two lines: the tolerance text is long and would be clipped on a one-benchmark plot.
    ax.set_title(
        f"Execution accuracy\n({scores[0].tolerance.describe() if scores else ''})", fontsize=9
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(out / "accuracy.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    counts: Counter[int] = Counter()
    for s in scores:
        for p in s.per_problem:
            if p.outcome is not None:
                counts[p.outcome.attempts] += 1
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    if counts:
        ks = sorted(counts)
        ax.bar(ks, [counts[k] for k in ks])
        ax.set_xticks(ks)
    ax.set_xlabel("attempts per problem")
    ax.set_ylabel("problems")
    ax.set_title("Attempts\n(1 = right first time or gave up at once)", fontsize=9)
    fig.tight_layout()
    paths.append(out / "attempts.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def write_reports(
    scores: Sequence[BenchmarkScore],
    out_dir: str | Path,
    *,
    variants: Sequence[VariantScore] = (),
    meta: Mapping[str, Any] | None = None,
    plots: bool = True,
) -> dict[str, Path]:
    """Write ``report.md``, ``scores.csv`` and the plots into ``out_dir``; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pngs = write_plots(scores, out) if plots else []
    md = out / "report.md"
    md.write_text(
        render_markdown(scores, variants=variants, meta=meta, plots=[str(p) for p in pngs]),
        encoding="utf-8",
    )
    paths = {"markdown": md, "csv": write_csv(scores, out / "scores.csv")}
    for p in pngs:
        paths[p.stem] = p
    return paths


def fmt_ratio(v: float | None) -> str:
    """Percent with one decimal, or a dash (also used by the CLI)."""
    return _pct(v) if v is None or math.isfinite(v) else "—"
