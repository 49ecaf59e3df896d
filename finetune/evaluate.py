"""Measure the built-in model on a benchmark: accuracy, latency (p50/p95) and load time.

Each problem goes through the real path a user's ``optiscribe solve`` takes: the ``ir`` mode's
correction loop (:func:`optiscribe.formulate.loop.run_loop`) on :class:`BuiltinBackend`, HiGHS,
the checks. A problem counts as **correct** when the last attempt solved to optimality and
its objective matches the label within the project's default tolerance
(:data:`optiscribe.data.eval.score.TOLERANCES`); **accepted** counts the loop's own verdict.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from optiscribe.data.benchmarks import load_benchmark
from optiscribe.data.eval.score import TOLERANCES
from optiscribe.formulate.errors import CorrectionBudgetExceeded, LLMError
from optiscribe.formulate.llm.builtin import BuiltinBackend
from optiscribe.formulate.loop import RunContext, run_loop
from optiscribe.formulate.modes import MODES
from optiscribe.solvers.kinds import FailureKind

__all__ = ["EvalRow", "evaluate_builtin", "percentile"]


@dataclass(frozen=True)
class EvalRow:
    """One problem's result: one line of the ``--out`` file (:meth:`to_dict`, keys in this
    order) and one term of the summary."""

    id: str
    answer: float | None
    """The benchmark's optimal objective (None: no numeric ground truth)."""
    objective: float | None
    """The last attempt's objective when it solved to optimality, else None."""
    correct: bool
    """``objective`` matches ``answer`` within the default tolerance."""
    accepted: bool
    """The correction loop accepted an attempt (its own verdict)."""
    rounds: int
    error_kind: FailureKind | None
    """Why the last attempt failed (None: it passed, or there was none)."""
    error: str | None
    """The backend's error message when the model could not be asked."""
    seconds: float
    output: str | None
    """The model's last answer, as written."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-quantile (0..1) by linear interpolation; ``None`` for no values."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[
        min(98, max(0, round(q * 100) - 1))
    ]


def evaluate_builtin(
    adapter: Path | None,
    *,
    benchmark: str = "nl4opt",
    limit: int = 40,
    rounds: int = 1,
    out: Path | None = None,
    base_dir: Path | None = None,
    data_dir: Path | None = None,
    max_new_tokens: int = 384,
    route: str = "auto",
) -> dict[str, Any]:
    """Score the built-in model (its ``route``) on the first ``limit`` problems of
    ``benchmark`` (all of them when ``limit`` is 0)."""
    records = load_benchmark(benchmark, data_dir=data_dir)
    records = records[:limit] if limit else records
    t0 = time.perf_counter()
    backend = BuiltinBackend(
        model_dir=base_dir, adapter=adapter, max_new_tokens=max_new_tokens, route=route
    )
    load_s = time.perf_counter() - t0
    spec = MODES["ir"]
    tol = TOLERANCES["default"]
    rows: list[EvalRow] = []
    sink = None
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        sink = out.open("w", encoding="utf-8")  # one line per problem as it finishes
    for r in records:
        t = time.perf_counter()
        accepted = False
        history: tuple[Any, ...] = ()
        error = None
        try:
            outcome = run_loop(
                r.question,
                spec,
                backend,
                RunContext(text=r.question, time_limit=10),
                max_rounds=rounds,
            )
            accepted = True
            history = outcome.history
        except CorrectionBudgetExceeded as exc:
            history = tuple(getattr(exc, "history", ()) or ())
        except LLMError as exc:
            error = str(exc)
        seconds = time.perf_counter() - t
        last = history[-1] if history else None
        objective = None
        if last is not None and last.solve is not None and last.solve.is_optimal:
            objective = last.solve.objective
        correct = tol.close(objective, r.answer)
        rows.append(
            EvalRow(
                id=r.id,
                answer=r.answer,
                objective=objective,
                correct=correct,
                accepted=accepted,
                rounds=len(history),
                error_kind=None if last is None else last.error_kind,
                error=error,
                seconds=round(seconds, 3),
                output=None if last is None else last.output,
            )
        )
        if sink is not None:
            sink.write(json.dumps(rows[-1].to_dict(), ensure_ascii=False) + "\n")
            sink.flush()
    if sink is not None:
        sink.close()
    secs = [row.seconds for row in rows]
    n = len(rows)
    return {
        "benchmark": benchmark,
        "route": route,
        "problems": n,
        "rounds": rounds,
        "correct": sum(row.correct for row in rows),
        "accuracy": round(sum(row.correct for row in rows) / n, 4) if n else None,
        "solved": sum(row.objective is not None for row in rows),
        "accepted": sum(row.accepted for row in rows),
        "load_seconds": round(load_s, 2),
        "p50_seconds": None if not secs else round(percentile(secs, 0.5) or 0, 2),
        "p95_seconds": None if not secs else round(percentile(secs, 0.95) or 0, 2),
        "tolerance": tol.describe(),
        "max_new_tokens": max_new_tokens,
        "self_checks": backend.self_checks,
    }
