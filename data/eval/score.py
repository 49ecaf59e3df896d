"""Benchmark evaluation: execution accuracy on one harness, for our runs and anyone's outputs.

``optiscribe eval --benchmark NAME|FILE`` runs the batch (:mod:`optiscribe.data.batch`)
over a benchmark's questions and scores the objective values against its answers; with
``--responses FILE`` it scores recorded outputs of any system instead (our IR JSON, or
Python code run in our sandbox), so that systems are compared on the same harness.

Why the scoring is the way it is:

* **Declared tolerance.** A prediction is correct when ``|pred - gold| <= max(abs,
  rel * |gold|)``. The default (rel 1e-4 or abs 1e-2) is the one ``SOURCES.md`` uses to
  compare label variants; the literature's 1e-6 absolute and 5 % relative are presets
  (:data:`TOLERANCES`). The tolerance is printed with every score.
* **Unlabelled problems are never counted either way.** A record whose ``answer`` is
  ``null`` (infeasible, unbounded, "No Best Solution", unlabelled) is reported in its own
  line with what our run said, and is left out of every accuracy's denominator.
* **With and without self-correction from one run.** The first attempt's objective and
  the final one are both in each result, so both accuracies come from the same run;
  likewise pass@k and consensus (majority vote within the tolerance) when the run drew
  ``k > 1`` samples.
* **Labels disagree.** Cleaned versions of the benchmarks disagree with each other
  (``SOURCES.md``); :func:`score_variants` scores one run against every variant (matched
  on the question text) so the spread is visible next to the score.
* **A failure taxonomy** (:class:`Failure`) says *why* a problem was not solved: the
  answer did not parse, the IR was invalid, the model is not a MILP, infeasible,
  unbounded, timed out, or solved to a wrong objective.
"""

from __future__ import annotations

import dataclasses as dc
import enum
import json
import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from optiscribe.data.batch import Problem as BatchProblem
from optiscribe.data.batch import read_problems, run_batch
from optiscribe.data.batch.record import BatchRecord, ErrorInfo
from optiscribe.data.benchmarks import list_variants, load_benchmark
from optiscribe.data.errors import DataError
from optiscribe.formulate.errors import (
    FormulationSyntaxError,
    FormulationValidationError,
    LLMOutputParseError,
)
from optiscribe.formulate.llm.config import BackendConfig
from optiscribe.formulate.prompting import extract_code, parse_ir_answer
from optiscribe.solvers import solve
from optiscribe.solvers.kinds import SOLVED_STATUSES, FailureKind, Status
from optiscribe.solvers.sandbox import SandboxLimits, run_code

__all__ = [
    "FAILURE_OF_KIND",
    "TOLERANCES",
    "BenchmarkScore",
    "EvalRun",
    "Failure",
    "Outcome",
    "ProblemScore",
    "Tolerance",
    "VariantScore",
    "consensus",
    "execute_response",
    "outcome_of",
    "parse_tolerance",
    "read_outcomes",
    "run_eval",
    "score",
    "score_batch",
    "score_response",
    "score_variants",
]


# ------------------------------------------------------------------------------ tolerance


@dataclass(frozen=True)
class Tolerance:
    """``|pred - gold| <= max(abs, rel * |gold|)``; ``name`` is how reports print it."""

    rel: float
    abs: float
    name: str = ""

    def __post_init__(self) -> None:
        if self.rel < 0 or self.abs < 0 or (self.rel == 0 and self.abs == 0):
            raise DataError(
                f"tolerance rel={self.rel}, abs={self.abs}: both must be >= 0 and one > 0"
            )

    def close(self, pred: float | None, gold: float | None) -> bool:
        if pred is None or gold is None or not math.isfinite(pred) or not math.isfinite(gold):
            return False
        return abs(pred - gold) <= max(self.abs, self.rel * abs(gold))

    def describe(self) -> str:
        parts = []
        if self.rel:
            parts.append(f"relative {self.rel:g}")
        if self.abs:
            parts.append(f"absolute {self.abs:g}")
        return " or ".join(parts) + (f" ({self.name})" if self.name else "")


TOLERANCES: dict[str, Tolerance] = {
    "default": Tolerance(1e-4, 1e-2, "default"),
    "abs1e-6": Tolerance(0.0, 1e-6, "abs1e-6"),
    "rel5pct": Tolerance(0.05, 0.0, "rel5pct"),
}
"""Named tolerances: ours (the one ``SOURCES.md`` compares labels with) and two common in
the literature (exact-ish 1e-6 absolute; the lenient 5 % relative)."""


def parse_tolerance(text: str) -> Tolerance:
    """A preset name (:data:`TOLERANCES`) or ``rel=1e-4,abs=1e-2`` (either part optional)."""
    t = text.strip()
    if t in TOLERANCES:
        return TOLERANCES[t]
    rel = abs_ = 0.0
    try:
        for part in t.split(","):
            key, _, value = part.partition("=")
            key = key.strip().lower()
            if key == "rel":
                rel = float(value)
            elif key == "abs":
                abs_ = float(value)
            else:
                raise ValueError(key)
    except ValueError:
        raise DataError(
            f"tolerance {text!r} is not understood; use one of {', '.join(TOLERANCES)} "
            "or 'rel=1e-4,abs=1e-2'"
        ) from None
    return Tolerance(rel, abs_, t)


# ------------------------------------------------------------------------------- taxonomy


class Failure(enum.StrEnum):
    """Why a problem did not end with the right objective: the evaluation's categories,
    each a group of :class:`~optiscribe.solvers.kinds.FailureKind` (:data:`FAILURE_OF_KIND`)."""

    PARSE_ERROR = "parse error"
    """The answer had no usable JSON / code."""
    INVALID_IR = "invalid IR"
    """The IR parsed but its shape or meaning is wrong (unknown names, missing data...)."""
    NOT_MILP = "not a MILP"
    """The model is non-linear (products of variables, strict inequalities...)."""
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIMEOUT = "timeout"
    """Solver or sandbox time limit without a solution."""
    CODE_ERROR = "code error"
    """Generated code raised, could not import a module, or solved nothing."""
    BACKEND_ERROR = "backend error"
    """The LLM backend failed after its retries (timeout, 5xx, unreachable)."""
    NO_RESPONSE = "no response"
    """``--responses``: the file has no response for this problem."""
    WRONG_OBJECTIVE = "wrong objective"
    """Solved, but the objective is not the reference answer within the tolerance."""
    OTHER = "other"


FAILURE_OF_KIND: Mapping[FailureKind, Failure] = MappingProxyType(
    {
        # the answer could not be read
        FailureKind.JSON: Failure.PARSE_ERROR,
        FailureKind.CODE: Failure.PARSE_ERROR,
        FailureKind.PARSE: Failure.PARSE_ERROR,
        FailureKind.SYNTAX_ERROR: Failure.PARSE_ERROR,
        # it was read, but is not a valid model
        FailureKind.SCHEMA: Failure.INVALID_IR,
        FailureKind.VALIDATION: Failure.INVALID_IR,
        FailureKind.COMPILE: Failure.INVALID_IR,
        FailureKind.MODEL: Failure.INVALID_IR,
        FailureKind.SYNTAX: Failure.INVALID_IR,
        FailureKind.UNKNOWN_NAME: Failure.INVALID_IR,
        FailureKind.ARITY: Failure.INVALID_IR,
        FailureKind.BAD_KEY: Failure.INVALID_IR,
        FailureKind.NO_COMPARISON: Failure.INVALID_IR,
        FailureKind.MISSING_DATA: Failure.INVALID_IR,
        FailureKind.BAD_DATA: Failure.INVALID_IR,
        FailureKind.TOO_LARGE: Failure.INVALID_IR,
        FailureKind.INVALID: Failure.INVALID_IR,
        FailureKind.NOT_MILP: Failure.NOT_MILP,
        # the solver's answer
        FailureKind.INFEASIBLE: Failure.INFEASIBLE,
        FailureKind.INFEASIBLE_OR_UNBOUNDED: Failure.INFEASIBLE,
        FailureKind.UNBOUNDED: Failure.UNBOUNDED,
        FailureKind.TIME_LIMIT: Failure.TIMEOUT,
        FailureKind.TIMEOUT: Failure.TIMEOUT,
        # generated code
        FailureKind.SANDBOX: Failure.CODE_ERROR,
        FailureKind.NO_MODEL: Failure.CODE_ERROR,
        FailureKind.IMPORT_ERROR: Failure.CODE_ERROR,
        FailureKind.RUNTIME_ERROR: Failure.CODE_ERROR,
        FailureKind.MEMORY: Failure.CODE_ERROR,
        FailureKind.OUTPUT_LIMIT: Failure.CODE_ERROR,
        FailureKind.FORBIDDEN: Failure.CODE_ERROR,
        # the LLM backend or the batch runner
        FailureKind.BACKEND_UNAVAILABLE: Failure.BACKEND_ERROR,
        FailureKind.BACKEND_REQUEST: Failure.BACKEND_ERROR,
        FailureKind.WORKER_DIED: Failure.BACKEND_ERROR,
        FailureKind.NO_RESPONSE: Failure.NO_RESPONSE,
    }
)
"""Each failure kind in the taxonomy; a kind not listed (``solver_error``, ``sense``,
``bad_input``, ...) is :attr:`Failure.OTHER`. The taxonomy reads kinds, never messages:
rewording a message cannot change a statistic (``tests/data/eval/test_taxonomy.py``)."""

_LEGACY_ERROR_TYPES: Mapping[str, FailureKind] = MappingProxyType(
    {
        "BackendRequestError": FailureKind.BACKEND_REQUEST,
        "BackendUnavailable": FailureKind.BACKEND_UNAVAILABLE,
        "WorkerDied": FailureKind.WORKER_DIED,
        "LLMOutputParseError": FailureKind.PARSE,
        "FormulationValidationError": FailureKind.VALIDATION,
        "FormulationSyntaxError": FailureKind.VALIDATION,
        "CompileError": FailureKind.COMPILE,
    }
)
"""``optiscribe.batch/1`` lines carry an error's class name but no ``kind``: the kind of
each class that can end a run, so such files keep their statistics."""


def _kind(value: Any) -> FailureKind | None:
    try:
        return FailureKind(str(value)) if value else None
    except ValueError:
        return None


def classify(kind: FailureKind | str | None) -> Failure:
    """The failure category of a failure kind (or a status that names one).

    >>> classify("json"), classify(FailureKind.NOT_MILP), classify("no such kind")
    (<Failure.PARSE_ERROR: 'parse error'>, <Failure.NOT_MILP: 'not a MILP'>, <Failure.OTHER: 'other'>)
    """
    k = _kind(kind)
    return FAILURE_OF_KIND.get(k, Failure.OTHER) if k is not None else Failure.OTHER


def _error_failure(error: ErrorInfo) -> Failure:
    """The category of a line's ``error``: its ``kind``, or (batch/1) its class name."""
    return classify(error.kind or _LEGACY_ERROR_TYPES.get(error.type))


# ------------------------------------------------------------------------------ outcomes

_SOLVED = SOLVED_STATUSES


@dataclass(frozen=True)
class Outcome:
    """What one result line says, in the terms scoring needs.

    ``final`` is the objective the run returned (``None`` without a solution), ``first``
    the first attempt's (before any self-correction), ``samples`` each sample's objective
    when the run drew several, ``failure`` why there is no solution (``None`` when there
    is one), ``question`` the input text (to match label variants).
    """

    id: str
    question: str
    final: float | None
    first: float | None
    samples: tuple[float | None, ...]
    attempts: int
    failure: Failure | None
    elapsed_s: float
    status: str = ""
    detail: str = ""


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


def _attempt_objective(a: Mapping[str, Any]) -> float | None:
    """The objective an attempt (or sample) had, accepted or not: without self-correction
    the first answer would have been taken as it is, suspicious or not."""
    solve = a.get("solve") if isinstance(a.get("solve"), Mapping) else None
    status = str(a.get("status") or (solve or {}).get("termination") or "").lower()
    obj = _num(a.get("objective"))
    if obj is None and solve is not None:
        obj = _num(solve.get("objective"))
    if status and status not in _SOLVED and not status.endswith("limit"):
        return None
    return obj


def _attempt_failure(a: Mapping[str, Any]) -> Failure | None:
    """The category of a rejected attempt: its first problem's ``cause`` when recorded
    (``not_milp`` behind ``validation``, ``timeout`` behind ``sandbox``), else its kind."""
    problems = [p for p in a.get("problems") or [] if isinstance(p, Mapping)]
    kind = _kind(a.get("error_kind"))
    if kind is None:
        return None
    first = problems[0] if problems else {}
    cause = _kind(first.get("cause")) if _kind(first.get("kind")) == kind else None
    category = FAILURE_OF_KIND.get(cause or kind)
    return category


def outcome_of(record: Mapping[str, Any] | BatchRecord) -> Outcome:
    """Read a batch result line (:data:`optiscribe.data.batch.RESULT_SCHEMA`) into an :class:`Outcome`.

    Works on results of :func:`optiscribe.formulate.pipeline.solve_text` and of
    :func:`score_response`: the final objective is the line's ``objective`` when the
    status is ``optimal`` (or a limit with an incumbent); the first attempt's objective is
    ``result.attempts[0].solve.objective``; samples are ``result.samples[*].objective``.
    """
    rec = record if isinstance(record, BatchRecord) else BatchRecord.from_line(record)
    rid = rec.id
    question = str(rec.input.get("question", ""))
    result: Mapping[str, Any] = rec.result or {}
    error = rec.error
    status = str(rec.status or result.get("status") or "").lower()
    raw_timings = result.get("timings")
    timings: Mapping[str, Any] = raw_timings if isinstance(raw_timings, Mapping) else {}
    elapsed = float(timings.get("total_s") or rec.batch.elapsed_s or 0.0)
    attempts_list = result.get("attempts") or []
    if not isinstance(attempts_list, list):
        attempts_list = []
    attempts_list = [a for a in attempts_list if isinstance(a, Mapping)]
    n_attempts = len(attempts_list) or int(result.get("rounds") or (1 if result else 0))
    objective = _num(rec.objective)
    final = objective if (status in _SOLVED or status.endswith("limit")) else None
    first = _attempt_objective(attempts_list[0]) if attempts_list else final
    samples_raw = result.get("samples") or []
    samples: tuple[float | None, ...] = ()
    if isinstance(samples_raw, list) and len(samples_raw) > 1:
        samples = tuple(
            _attempt_objective(s) if isinstance(s, Mapping) else _num(s) for s in samples_raw
        )
    failure: Failure | None = None
    detail = ""
    if final is None:
        if error is not None:
            detail = f"{error.type}: {error.message}"
            failure = _error_failure(error)
        elif result.get("failure"):
            try:
                failure = Failure(result["failure"])
            except ValueError:
                failure = Failure.OTHER
            detail = str(result.get("message") or "")[:300]
        else:
            if status in (Status.INFEASIBLE, Status.UNBOUNDED):
                failure = Failure(status)
            elif attempts_list:
                failure = _attempt_failure(attempts_list[-1])
            if failure is None:
                failure = classify(status)
            detail = str(result.get("message") or "")[:300]
    return Outcome(
        rid, question, final, first, samples, n_attempts, failure, elapsed, status, detail
    )


def read_outcomes(path: str | Path) -> Iterator[Outcome]:
    """Stream the outcomes of a batch output file (a torn last line is ignored)."""
    p = Path(path)
    with p.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.endswith(b"\n") or not raw.strip():
                continue
            try:
                line = json.loads(raw)
                if not isinstance(line, dict):
                    raise ValueError(f"a JSON {type(line).__name__}, not an object")
            except ValueError as exc:
                raise DataError(f"{p}:{lineno}: not a batch result line ({exc})") from None
            yield outcome_of(BatchRecord.from_line(line, where=f"{p}:{lineno}"))


# -------------------------------------------------------------------------------- scoring


def consensus(values: Sequence[float | None], tol: Tolerance) -> float | None:
    """The majority value among samples (values within ``tol`` of each other vote together;
    a tie goes to the value seen first). ``None`` when no sample has a value."""
    groups: list[tuple[float, int]] = []
    for v in values:
        if v is None:
            continue
        for i, (rep, count) in enumerate(groups):
            if tol.close(v, rep):
                groups[i] = (rep, count + 1)
                break
        else:
            groups.append((v, 1))
    if not groups:
        return None
    best = max(range(len(groups)), key=lambda i: (groups[i][1], -i))
    return groups[best][0]


@dataclass(frozen=True)
class ProblemScore:
    """One problem scored: the reference answer, what we had, and the verdicts."""

    id: str
    answer: float | None
    outcome: Outcome | None
    correct: bool
    correct_first: bool
    pass_k: bool
    consensus_correct: bool
    failure: Failure | None

    @property
    def labelled(self) -> bool:
        return self.answer is not None


@dataclass(frozen=True)
class BenchmarkScore:
    """The scores of one run on one benchmark (one label version), with its tolerance."""

    benchmark: str
    variant: str
    tolerance: Tolerance
    problems: int
    answered: int
    """Problems with a numeric reference answer (the denominator of every accuracy)."""
    executed: int
    """Answered problems for which the run produced an objective value."""
    correct: int
    correct_first: int
    k: int
    pass_k: int
    consensus_correct: int
    mean_attempts: float
    time_s: float
    failures: Mapping[str, int]
    unlabelled: int
    unlabelled_executed: int
    unlabelled_statuses: Mapping[str, int]
    missing: int
    """Problems of the benchmark with no result line (the run was cut short)."""
    per_problem: tuple[ProblemScore, ...] = field(default=(), repr=False, compare=False)

    @staticmethod
    def _ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    @property
    def accuracy(self) -> float | None:
        return self._ratio(self.correct, self.answered)

    @property
    def accuracy_first(self) -> float | None:
        return self._ratio(self.correct_first, self.answered)

    @property
    def pass_at_k(self) -> float | None:
        return self._ratio(self.pass_k, self.answered) if self.k > 1 else None

    @property
    def consensus_accuracy(self) -> float | None:
        return self._ratio(self.consensus_correct, self.answered) if self.k > 1 else None

    def row(self) -> dict[str, Any]:
        """A flat row (the CSV and the Markdown table are made from it)."""
        return {
            "benchmark": self.benchmark,
            "variant": self.variant,
            "tolerance": self.tolerance.describe(),
            "problems": self.problems,
            "answered": self.answered,
            "executed": self.executed,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "accuracy_first": self.accuracy_first,
            "k": self.k,
            "pass_at_k": self.pass_at_k,
            "consensus": self.consensus_accuracy,
            "mean_attempts": round(self.mean_attempts, 3),
            "time_s": round(self.time_s, 3),
            "unlabelled": self.unlabelled,
            "unlabelled_executed": self.unlabelled_executed,
            "missing": self.missing,
            **{f"fail:{f.value}": self.failures.get(f.value, 0) for f in Failure},
        }


def score(
    answers: Iterable[tuple[str, float | None]],
    outcomes: Mapping[str, Outcome],
    *,
    tolerance: Tolerance = TOLERANCES["default"],
    benchmark: str = "",
    variant: str = "",
) -> BenchmarkScore:
    """Score ``outcomes`` (by id) against ``answers`` (``(id, answer or None)`` pairs)."""
    per: list[ProblemScore] = []
    failures: Counter[str] = Counter()
    unl_status: Counter[str] = Counter()
    k = max((len(o.samples) for o in outcomes.values()), default=0)
    k = k if k > 1 else 1
    attempts: list[int] = []
    time_s = 0.0
    missing = 0
    for pid, gold in answers:
        o = outcomes.get(pid)
        if o is None:
            missing += 1
            per.append(ProblemScore(pid, gold, None, False, False, False, False, None))
            continue
        attempts.append(o.attempts)
        time_s += o.elapsed_s
        if gold is None:
            unl_status[o.status or (o.failure.value if o.failure else "none")] += 1
            per.append(ProblemScore(pid, None, o, False, False, False, False, o.failure))
            continue
        ok = tolerance.close(o.final, gold)
        ok_first = tolerance.close(o.first, gold)
        samples = o.samples or (o.final,)
        pk = any(tolerance.close(s, gold) for s in samples)
        cons = tolerance.close(consensus(samples, tolerance), gold)
        fail = None if ok else (o.failure or Failure.WRONG_OBJECTIVE)
        if o.final is not None and not ok:
            fail = Failure.WRONG_OBJECTIVE
        if fail is not None:
            failures[fail.value] += 1
        per.append(ProblemScore(pid, gold, o, ok, ok_first, pk, cons, fail))
    labelled = [p for p in per if p.answer is not None and p.outcome is not None]
    unlabelled = [p for p in per if p.answer is None and p.outcome is not None]
    return BenchmarkScore(
        benchmark=benchmark,
        variant=variant,
        tolerance=tolerance,
        problems=len(per),
        answered=sum(1 for p in per if p.answer is not None),
        executed=sum(1 for p in labelled if p.outcome and p.outcome.final is not None),
        correct=sum(p.correct for p in labelled),
        correct_first=sum(p.correct_first for p in labelled),
        k=k,
        pass_k=sum(p.pass_k for p in labelled),
        consensus_correct=sum(p.consensus_correct for p in labelled),
        mean_attempts=(sum(attempts) / len(attempts)) if attempts else 0.0,
        time_s=time_s,
        failures=dict(failures),
        unlabelled=sum(1 for p in per if p.answer is None),
        unlabelled_executed=sum(1 for p in unlabelled if p.outcome and p.outcome.final is not None),
        unlabelled_statuses=dict(unl_status),
        missing=missing,
        per_problem=tuple(per),
    )


def score_batch(
    input_path: str | Path,
    output_path: str | Path,
    *,
    tolerance: Tolerance = TOLERANCES["default"],
    benchmark: str = "batch",
) -> BenchmarkScore:
    """Score a batch run: the ``answer`` of each input line against its result line.

    Lines without a numeric ``answer`` count as unlabelled (their statuses are tallied);
    problems with no result yet count as missing, so a partial run scores what it has.
    """
    answers: list[tuple[str, float | None]] = []
    for item in read_problems(input_path):
        if isinstance(item, BatchProblem):
            answers.append((item.id, _num(item.fields.get("answer"))))
    outcomes = {o.id: o for o in read_outcomes(output_path)} if Path(output_path).exists() else {}
    return score(answers, outcomes, tolerance=tolerance, benchmark=benchmark)


# ------------------------------------------------------------------------------- variants


def normalise_question(text: str) -> str:
    """How questions are matched across label variants: lower case, whitespace collapsed."""
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class VariantScore:
    """One run scored against every label version of its benchmark."""

    benchmark: str
    scores: tuple[BenchmarkScore, ...]
    unmatched: Mapping[str, int]
    """Per variant: its problems whose question text is not in the run."""

    @property
    def spread(self) -> float | None:
        accs = [s.accuracy for s in self.scores if s.accuracy is not None]
        return (max(accs) - min(accs)) if len(accs) >= 2 else None


def score_variants(
    benchmark: str,
    outcomes: Mapping[str, Outcome],
    *,
    tolerance: Tolerance = TOLERANCES["default"],
    data_dir: str | Path | None = None,
) -> VariantScore:
    """Score one run against every variant of ``benchmark`` (matched on question text).

    Variant ids differ (``nl4opt/sirl/1`` vs ``nl4opt/llmopt/1``), and some variants edit
    the text; a variant problem counts only where its normalised question equals one of
    the run's, and the unmatched rest is reported, not guessed.
    """
    by_text = {normalise_question(o.question): o for o in outcomes.values() if o.question}
    scores = []
    unmatched: dict[str, int] = {}
    for v in list_variants(benchmark, data_dir=data_dir):
        recs = load_benchmark(benchmark, variant=v, data_dir=data_dir)
        pairs: list[tuple[str, float | None]] = []
        remapped: dict[str, Outcome] = {}
        miss = 0
        for r in recs:
            o = by_text.get(normalise_question(r.question))
            if o is None:
                miss += 1
                continue
            pairs.append((r.id, r.answer))
            remapped[r.id] = o
        unmatched[v] = miss
        if pairs:
            scores.append(
                score(pairs, remapped, tolerance=tolerance, benchmark=benchmark, variant=v)
            )
    return VariantScore(benchmark, tuple(scores), unmatched)


# ------------------------------------------------------------------- recorded responses


def _ir_outcome(text: str, *, solver: str, time_limit: float | None) -> dict[str, Any]:
    try:
        f = parse_ir_answer(text)
    except LLMOutputParseError as exc:
        kind = getattr(exc, "kind", "json")
        return {
            "failure": (Failure.INVALID_IR if kind == "schema" else Failure.PARSE_ERROR).value,
            "message": str(exc),
        }
    try:
        model = f.to_pyomo()
    except (FormulationValidationError, FormulationSyntaxError) as exc:
        kinds = {getattr(i, "kind", "") for i in getattr(exc, "issues", ())}
        fail = Failure.NOT_MILP if "not_milp" in kinds else Failure.INVALID_IR
        return {"failure": fail.value, "message": str(exc), "formulation": f.to_dict()}
    except Exception as exc:
        return {"failure": Failure.INVALID_IR.value, "message": f"{type(exc).__name__}: {exc}"}
    res = solve(model, solver=solver, time_limit=time_limit)
    out = _termination_outcome(
        res.termination.value, res.objective if res.has_solution else None, res.message
    )
    out["formulation"] = f.to_dict()
    return out


def _termination_outcome(
    termination: str, objective: float | None, message: str = ""
) -> dict[str, Any]:
    t = termination.lower()
    if objective is not None and (t == "optimal" or t.endswith("limit")):
        return {
            "status": "optimal" if t == "optimal" else "feasible",
            "objective": objective,
            "message": message,
        }
    if t == "infeasible":
        fail = Failure.INFEASIBLE
    elif t in ("unbounded", "infeasible_or_unbounded"):
        # presolve often cannot tell which; an LLM model missing a bound is the usual cause
        fail = Failure.UNBOUNDED if t == "unbounded" else Failure.INFEASIBLE
    elif t.endswith("limit") or t == "timeout":
        fail = Failure.TIMEOUT
    else:
        fail = classify(t)
    return {"status": t, "objective": None, "failure": fail.value, "message": message}


_SANDBOX_KIND = {
    "syntax_error": Failure.PARSE_ERROR,
    "timeout": Failure.TIMEOUT,
    "import_error": Failure.CODE_ERROR,
    "runtime_error": Failure.CODE_ERROR,
    "memory": Failure.CODE_ERROR,
    "output_limit": Failure.CODE_ERROR,
    "forbidden": Failure.CODE_ERROR,
    "unsupported": Failure.CODE_ERROR,
}


def _code_outcome(text: str, *, time_limit: float | None, executor: Any = None) -> dict[str, Any]:
    code = extract_code(text)
    if code is None:
        return {"failure": Failure.PARSE_ERROR.value, "message": "the response has no Python code"}
    limits = SandboxLimits(timeout_s=float(time_limit or 30.0))
    res = (
        run_code(code, executor=executor) if executor is not None else run_code(code, limits=limits)
    )
    out: dict[str, Any] = {"code": code}
    if not res.ok:
        out.update(
            failure=_SANDBOX_KIND.get(str(res.kind), Failure.CODE_ERROR).value,
            message=res.summary,
            status=str(res.kind),
        )
        return out
    if not res.reports:
        out.update(
            failure=Failure.CODE_ERROR.value,
            message="the code ran but solved no model (no solve)",
            status="no_solve",
        )
        return out
    rep = res.reports[-1]
    out.update(_termination_outcome(rep.termination, _num(rep.objective), res.summary))
    out["code"] = code
    return out


def _looks_like_ir(text: str) -> bool:
    s = text.lstrip()
    if s.startswith("{"):
        return True
    m = re.search(r"```(\w*)", s)
    return (
        bool(m and m.group(1).lower() in ("json", "")) and '"variables"' in s and "import " not in s
    )


def execute_response(
    text: str, *, solver: str = "highs", time_limit: float | None = 60.0, executor: Any = None
) -> dict[str, Any]:
    """Run one recorded response: IR JSON is compiled and solved, anything else is run as
    Python code in the sandbox. Returns ``status``, ``objective``, ``failure``, ``message``
    and ``kind`` (``"ir"`` or ``"code"``); never raises for a bad response."""
    t0 = time.perf_counter()
    if _looks_like_ir(text):
        out = _ir_outcome(text, solver=solver, time_limit=time_limit)
        out["kind"] = "ir"
    else:
        out = _code_outcome(text, time_limit=time_limit, executor=executor)
        out["kind"] = "code"
    out.setdefault("status", "failed" if out.get("failure") else "optimal")
    out.setdefault("objective", None)
    out["seconds"] = round(time.perf_counter() - t0, 6)
    return out


def score_response(
    question: str,
    *,
    backend: Any,
    problem_id: str | None = None,
    mode: str = "ir",
    samples: int = 1,
    max_rounds: int = 1,
    solver: str = "highs",
    time_limit: float | None = 60.0,
    **_: Any,
) -> dict[str, Any]:
    """The batch per-problem function of ``eval --responses``: fetch this problem's
    recorded responses from the ``replay`` backend and execute each one.

    One response is one attempt; several (``responses: [...]``) are samples, scored with
    pass@k and consensus, the first sample being the run's answer.
    """
    texts: list[str] = []
    recorded = getattr(backend, "recorded", None)
    if callable(recorded):
        texts = list(recorded(problem_id))
    else:
        texts = backend.complete([], n=max(1, samples), problem_id=problem_id)
    runs = [execute_response(t, solver=solver, time_limit=time_limit) for t in texts]
    head = runs[0]
    return {
        "status": head.get("status"),
        "objective": head.get("objective"),
        "failure": head.get("failure"),
        "message": head.get("message", ""),
        "attempts": [head],
        "samples": runs if len(runs) > 1 else [],
        "backend": "responses",
        "mode": head.get("kind"),
    }


# ---------------------------------------------------------------------------- the eval run


@dataclass(frozen=True)
class EvalRun:
    """What :func:`run_eval` did: the scores, the variant spreads, the batch statistics."""

    scores: tuple[BenchmarkScore, ...]
    variants: tuple[VariantScore, ...]
    batches: tuple[Any, ...]
    results: tuple[Path, ...]


def _slug(name: str) -> str:
    stem = (
        Path(name).name.removesuffix(".jsonl") if name.endswith(".jsonl") or "/" in name else name
    )
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem) or "benchmark"


def run_eval(
    benchmarks: Sequence[str],
    out_dir: str | Path,
    spec: Any,
    *,
    variant: str | None = None,
    all_variants: bool = False,
    data_dir: str | Path | None = None,
    tolerance: Tolerance = TOLERANCES["default"],
    responses: str | Path | None = None,
    limit: int | None = None,
    batch_options: Mapping[str, Any] | None = None,
    on_benchmark: Any = None,
) -> EvalRun:
    """Run (or resume) the batch over each benchmark and score it.

    Results go to ``out_dir/<benchmark>.results.jsonl`` (resumable: rerunning the same
    command continues where it stopped). With ``responses`` the recorded outputs are
    executed instead of asking an LLM (``spec`` then only gives solver and time limit).
    ``batch_options`` are passed to :func:`optiscribe.data.batch.run_batch` (executor,
    concurrency, workers, progress, backend...). ``on_benchmark(name, n)`` is called
    before each benchmark runs.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if responses is not None:
        rpath = Path(responses)
        if not rpath.is_file():
            raise DataError(
                f"responses file {str(rpath)!r} does not exist; give a JSONL of {{id, response}}"
            )
        spec = dc.replace(
            spec,
            backend_config=BackendConfig(backend="replay", replay_file=rpath.resolve()),
            function="optiscribe.data.eval.score:score_response",
        )
    scores: list[BenchmarkScore] = []
    spreads: list[VariantScore] = []
    batches: list[Any] = []
    results: list[Path] = []
    for name in benchmarks:
        records = load_benchmark(name, variant=variant, data_dir=data_dir)
        if limit is not None:
            records = records[:limit]
        slug = _slug(name) + (f".{variant}" if variant else "")
        inp = out / f"{slug}.input.jsonl"
        with inp.open("w", encoding="utf-8") as fh:
            for r in records:
                fh.write(
                    json.dumps(
                        {"id": r.id, "question": r.question, "answer": r.answer}, ensure_ascii=False
                    )
                    + "\n"
                )
        res_path = out / f"{slug}.results.jsonl"
        if on_benchmark is not None:
            on_benchmark(name, len(records))
        batches.append(run_batch(inp, res_path, spec, **dict(batch_options or {})))
        results.append(res_path)
        outcomes = {o.id: o for o in read_outcomes(res_path)}
        label = _slug(name)
        scores.append(
            score(
                [(r.id, r.answer) for r in records],
                outcomes,
                tolerance=tolerance,
                benchmark=label,
                variant=variant or "",
            )
        )
        if all_variants and not (name.endswith(".jsonl") or "/" in name):
            spreads.append(score_variants(name, outcomes, tolerance=tolerance, data_dir=data_dir))
        if getattr(batches[-1], "interrupted", False):
            break  # Ctrl-C: score what is there, run nothing more
    return EvalRun(tuple(scores), tuple(spreads), tuple(batches), tuple(results))
