"""The public entry point: problem text → formulation → verified solve → report.

:func:`solve_text` is what the CLI, the web app and the batch runner call. It runs the
self-correction loop (:mod:`.loop`) in the chosen mode (:mod:`.modes`), once or for k
samples with consensus (:mod:`.consensus`), and returns one frozen
:class:`PipelineResult` that says what was solved, how sure we are, and how we got there
(every attempt, with its output, problems, feedback and timings).

``status`` is one of:

* ``optimal`` — an answer passed every check and solved to proven optimality;
* ``time_limit`` — it passed the checks but the solver stopped at its limit (undecided);
* ``infeasible`` / ``unbounded`` — no answer passed, and the last model was infeasible /
  unbounded;
* ``failed`` — no answer passed for another reason (parse, validation, code errors...).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from optiscribe.formulate.consensus import consensus
from optiscribe.formulate.errors import CorrectionBudgetExceeded
from optiscribe.formulate.loop import (
    DEFAULT_MAX_ROUNDS,
    Attempt,
    Evaluation,
    LoopOutcome,
    RunContext,
    run_loop,
)
from optiscribe.formulate.modes import get_mode
from optiscribe.solvers.kinds import FailureKind, Status
from optiscribe.solvers.result import Termination

if TYPE_CHECKING:
    from optiscribe.formulate.consensus import ConsensusResult
    from optiscribe.formulate.ir.model import Formulation
    from optiscribe.formulate.llm.base import LLMBackend
    from optiscribe.solvers.result import SolveResult

__all__ = ["STATUSES", "PipelineResult", "SampleSummary", "solve_text"]

STATUSES: tuple[Status, ...] = (
    Status.OPTIMAL,
    Status.TIME_LIMIT,
    Status.INFEASIBLE,
    Status.UNBOUNDED,
    Status.FAILED,
)
"""The statuses :func:`solve_text` returns (a subset of :class:`~optiscribe.solvers.kinds.Status`)."""
DEFAULT_SAMPLE_TEMPERATURE = 0.7


@dataclass(frozen=True)
class SampleSummary:
    """How one of the k samples ended."""

    index: int
    accepted: bool
    rounds: int
    status: Status
    objective: float | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PipelineResult:
    """Everything :func:`solve_text` found out; :meth:`to_dict` is its JSON form."""

    status: Status
    message: str
    mode: str
    text: str
    formulation: Formulation | None
    code: str | None
    elements: str | None
    mps: str | None
    """Code mode: the captured model (MPS). IR mode: ``None`` (compile :attr:`formulation`)."""
    solve: SolveResult | None
    attempts: tuple[Attempt, ...]
    """The chosen sample's attempts, in order."""
    history: tuple[Attempt, ...]
    """Every attempt of every sample."""
    samples: tuple[SampleSummary, ...]
    confidence: float | None
    agreement: str | None
    warnings: tuple[str, ...]
    timings: Mapping[str, float]
    backend: str
    prompt_version: str
    problem_id: str | None = None
    consensus: ConsensusResult | None = None
    model: Any = field(default=None, repr=False, compare=False)
    """IR mode: the compiled Pyomo model of the answer (not serialised)."""

    @property
    def objective(self) -> float | None:
        return None if self.solve is None or not self.solve.has_solution else self.solve.objective

    @property
    def values(self) -> Mapping[str, float]:
        return MappingProxyType({}) if self.solve is None else self.solve.values

    @property
    def ok(self) -> bool:
        return self.status == Status.OPTIMAL

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "objective": self.objective,
            "values": dict(self.values),
            "mode": self.mode,
            "problem_id": self.problem_id,
            "backend": self.backend,
            "prompt_version": self.prompt_version,
            "confidence": self.confidence,
            "agreement": self.agreement,
            "warnings": list(self.warnings),
            "formulation": None if self.formulation is None else self.formulation.to_dict(),
            "elements": self.elements,
            "code": self.code,
            "solve": None if self.solve is None else self.solve.to_dict(),
            "rounds": len(self.attempts),
            "attempts": [a.to_dict() for a in self.attempts],
            "samples": [s.to_dict() for s in self.samples],
            "consensus": None if self.consensus is None else self.consensus.to_dict(),
            "timings": dict(self.timings),
            "text": self.text,
        }


def _backend_name(backend: Any) -> str:
    name = getattr(backend, "name", None) or type(backend).__name__
    model = getattr(backend, "model", None)
    return f"{name}:{model}" if isinstance(model, str) and model else str(name)


def _final_status(ev: Evaluation | None) -> Status:
    if ev is None or ev.solve is None:
        return Status.FAILED
    term = ev.solve.termination
    if term is Termination.OPTIMAL:
        return Status.OPTIMAL
    if term.is_limit:
        return Status.TIME_LIMIT
    return {
        Termination.INFEASIBLE: Status.INFEASIBLE,
        Termination.UNBOUNDED: Status.UNBOUNDED,
        Termination.INFEASIBLE_OR_UNBOUNDED: Status.INFEASIBLE,
    }.get(term, Status.FAILED)


def _failed_status(history: tuple[Attempt, ...]) -> Status:
    last = history[-1] if history else None
    if last is None:
        return Status.FAILED
    kinds = {p.kind for p in last.problems}
    if FailureKind.INFEASIBLE in kinds or FailureKind.INFEASIBLE_OR_UNBOUNDED in kinds:
        return Status.INFEASIBLE
    if FailureKind.UNBOUNDED in kinds:
        return Status.UNBOUNDED
    return Status.FAILED


@dataclass(frozen=True)
class _SampleRun:
    outcome: LoopOutcome | None
    history: tuple[Attempt, ...]
    error: str | None


def _run_sample(
    text: str,
    spec: Any,
    backend: Any,
    ctx: RunContext,
    *,
    first: str | None,
    sample: int,
    max_rounds: int,
    temperature: float | None,
    problem_id: str | None,
    on_attempt: Any = None,
) -> _SampleRun:
    try:
        outcome = run_loop(
            text,
            spec,
            backend,
            ctx,
            max_rounds=max_rounds,
            temperature=temperature,
            problem_id=problem_id,
            first_output=first,
            sample=sample,
            on_attempt=on_attempt,
        )
    except CorrectionBudgetExceeded as exc:
        return _SampleRun(None, tuple(getattr(exc, "history", ())), str(exc))
    return _SampleRun(outcome, outcome.history, None)


def solve_text(
    text: str,
    *,
    backend: LLMBackend,
    mode: str = "ir",
    samples: int = 1,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    solver: str = "highs",
    time_limit: float | None = 60.0,
    problem_id: str | None = None,
    temperature: float | None = None,
    executor: Any = None,
    sandbox_timeout: float | None = None,
    code_globals: Mapping[str, Any] | None = None,
    on_attempt: Callable[[Attempt], None] | None = None,
) -> PipelineResult:
    """Formulate ``text`` with ``backend``, solve it, check it, and report.

    ``samples=k > 1`` draws k answers in one request (``temperature`` defaults to 0.7
    then), runs each through the loop and picks the consensus (:mod:`.consensus`).
    ``problem_id`` is passed to the backend on every call (the ``replay`` backend needs
    it). ``executor`` is the sandbox executor for code mode; ``code_globals`` are names
    predefined for its programs (e.g. ``{"data": {...}}``). ``on_attempt`` is called with
    every attempt of every sample as soon as it is checked. Backend failures on the first
    request propagate (:class:`~optiscribe.formulate.errors.LLMError`); everything that is
    the answer's fault ends up in the result.
    """

    if not text or not text.strip():
        raise ValueError("the problem text is empty; give the problem in plain language")
    if samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples!r}")
    spec = get_mode(mode)
    ctx = RunContext(
        text=text,
        solver=solver,
        time_limit=time_limit,
        executor=executor,
        sandbox_timeout=sandbox_timeout,
        globals=code_globals,
    )
    t0 = time.perf_counter()
    if samples == 1:
        runs = [
            _run_sample(
                text,
                spec,
                backend,
                ctx,
                first=None,
                sample=0,
                max_rounds=max_rounds,
                temperature=temperature,
                problem_id=problem_id,
                on_attempt=on_attempt,
            )
        ]
    else:
        temp = DEFAULT_SAMPLE_TEMPERATURE if temperature is None else temperature
        firsts = backend.complete(
            spec.build_messages(text),
            n=samples,
            temperature=temp,
            response_format=spec.response_format(),
            problem_id=problem_id,
        )
        runs = [
            _run_sample(
                text,
                spec,
                backend,
                ctx,
                first=out,
                sample=i,
                max_rounds=max_rounds,
                temperature=temp,
                problem_id=problem_id,
                on_attempt=on_attempt,
            )
            for i, out in enumerate(firsts)
        ]
    loop_s = time.perf_counter() - t0

    evaluations = [r.outcome.evaluation if r.outcome else None for r in runs]
    cons = None
    if samples == 1:
        chosen = 0 if runs[0].outcome is not None else None
    else:
        cons = consensus(evaluations)
        chosen = cons.winner
    consensus_s = time.perf_counter() - t0 - loop_s

    summaries = tuple(
        SampleSummary(
            index=i, accepted=r.outcome is not None, rounds=len(r.history),
            status=_final_status(r.outcome.evaluation) if r.outcome else _failed_status(r.history),
            objective=None if r.outcome is None or r.outcome.evaluation.solve is None
            else r.outcome.evaluation.solve.objective,
            error=r.error,
        ) for i, r in enumerate(runs)
    )  # fmt: skip
    history = tuple(a for r in runs for a in r.history)
    llm_s = sum(a.timings.get("llm_s", 0.0) for a in history)
    timings = MappingProxyType(
        {
            "total_s": time.perf_counter() - t0,
            "llm_s": llm_s,
            "loop_s": loop_s,
            "consensus_s": consensus_s,
        }
    )
    common: dict[str, Any] = dict(
        mode=mode,
        text=text,
        history=history,
        samples=summaries,
        timings=timings,
        backend=_backend_name(backend),
        prompt_version=spec.prompt_version,
        problem_id=problem_id,
        consensus=cons,
    )

    if chosen is None:
        # Nothing passed: report the last attempt of the first sample that got furthest.
        run = max(runs, key=lambda r: (r.history[-1].solve is not None) if r.history else False)
        last = run.history[-1] if run.history else None
        status = _failed_status(run.history)
        return PipelineResult(
            status=status,
            message=run.error or "no sample produced an answer",
            formulation=last.formulation if last else None,
            code=last.code if last else None,
            elements=None,
            mps=None,
            solve=last.solve if last else None,
            attempts=run.history,
            confidence=None,
            agreement=f"0/{samples}",
            warnings=(),
            **common,
        )
    outcome = runs[chosen].outcome
    assert outcome is not None
    ev = outcome.evaluation
    status = _final_status(ev)
    n_rounds = len(outcome.history)
    msg = f"{ev.solve.message if ev.solve else status}; accepted after {n_rounds} round(s)"
    if cons is not None:
        msg += f"; {cons.agreement} samples agree"
    return PipelineResult(
        status=status,
        message=msg,
        formulation=ev.formulation,
        code=ev.code,
        elements=ev.elements,
        mps=ev.mps,
        solve=ev.solve,
        attempts=outcome.history,
        confidence=cons.confidence if cons else 1.0,
        agreement=cons.agreement if cons else "1/1",
        warnings=outcome.warnings,
        model=ev.model,
        **common,
    )
