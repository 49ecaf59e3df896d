"""The bounded formulate → solve → diagnose → correct loop.

Shape (httpx's redirect loop; instructor's retry without its two bugs)::

    messages = mode.build_messages(text)
    for round in 1..max_rounds:
        output     = backend.complete(messages)            # the only side effect
        evaluation = evaluate(mode, output, context)       # parse, validate, compile, solve, check
        history.append(Attempt(...))
        if evaluation passes every check: return LoopOutcome(...)
        messages   = build_feedback(messages, output, problems)   # pure: a new list
    raise CorrectionBudgetExceeded(history=...)

* **One exception type is caught**: parsing raises only :class:`LLMOutputParseError`;
  every later failure (invalid IR, compile error, sandbox error, solver status,
  suspicious result) is a :class:`Problem` *value* returned by the mode's ``run``.
* **Stop on evidence, never on the model's say-so**: an attempt is accepted only when it
  parsed, validated, solved with a usable status, and raised no new suspicion.
  Suspicions (:mod:`.checks`, time limits) are *soft*: each kind is fed back once; if it
  shows up again the attempt is accepted and the finding is kept as a warning.
* :func:`build_feedback` never touches the caller's list; every attempt (output, parsed
  IR or code, problems, the feedback sent, timings) is kept in the history.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from optiscribe.formulate.errors import CorrectionBudgetExceeded, LLMError, LLMOutputParseError
from optiscribe.formulate.prompting import format_feedback
from optiscribe.solvers.kinds import FailureKind

if TYPE_CHECKING:
    from optiscribe.formulate.ir.model import Formulation
    from optiscribe.formulate.llm.base import LLMBackend
    from optiscribe.solvers.result import SolveResult

__all__ = [
    "DEFAULT_MAX_ROUNDS",
    "PROBLEM_TITLES",
    "Attempt",
    "Evaluation",
    "LoopOutcome",
    "ModeSpec",
    "Problem",
    "RunContext",
    "build_feedback",
    "describe_problems",
    "evaluate",
    "run_loop",
]

DEFAULT_MAX_ROUNDS = 5


@dataclass(frozen=True)
class Problem:
    """One reason an attempt is not accepted, written for the model to act on."""

    kind: FailureKind
    """See :data:`PROBLEM_TITLES` for the kinds (a plain string is converted)."""
    message: str
    hard: bool = True
    """Hard problems always block; soft ones block once per kind (see module docstring)."""
    cause: FailureKind | None = None
    """The narrower kind behind it, when known: ``not_milp`` behind a ``validation``
    problem, the sandbox's ``timeout`` / ``syntax_error`` / ... behind ``sandbox``. The
    evaluation taxonomy reads this, never the message."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FailureKind(self.kind))
        if self.cause is not None:
            object.__setattr__(self, "cause", FailureKind(self.cause))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "message": self.message, "hard": self.hard}
        if self.cause is not None:
            d["cause"] = self.cause
        return d


#: Heading of each problem kind in the feedback (and the taxonomy of ``Attempt.error_kind``).
PROBLEM_TITLES: Mapping[FailureKind, str] = MappingProxyType(
    {
        FailureKind.JSON: "The answer is not valid JSON",
        FailureKind.SCHEMA: "The JSON does not have the shape of a formulation",
        FailureKind.CODE: "The answer has no usable code",
        FailureKind.VALIDATION: "The formulation is not a valid MILP",
        FailureKind.COMPILE: "The formulation could not be compiled",
        FailureKind.SANDBOX: "The program failed in the sandbox",
        FailureKind.NO_MODEL: "The program solved no model",
        FailureKind.SOLVER_ERROR: "The solver failed",
        FailureKind.INFEASIBLE: "The model is infeasible",
        FailureKind.UNBOUNDED: "The model is unbounded",
        FailureKind.INFEASIBLE_OR_UNBOUNDED: "The model is infeasible or unbounded",
        FailureKind.TIME_LIMIT: "The solver hit its time limit",
        FailureKind.SENSE: "The objective sense is at odds with the text",
        FailureKind.ALL_ZERO: "Suspicious result: every variable is 0",
        FailureKind.FRACTIONAL_COUNT: "Suspicious result: fractional counts of whole things",
    }
)


@dataclass(frozen=True)
class RunContext:
    """What a mode's ``run`` needs besides the parsed answer."""

    text: str
    solver: str = "highs"
    time_limit: float | None = None
    executor: Any = None
    """Sandbox executor for code mode (``None``: a cold subprocess per run)."""
    sandbox_timeout: float | None = None
    globals: Mapping[str, Any] | None = None
    """Predefined globals for code-mode programs (ReLoop-style ``{"data": {...}}``)."""


@dataclass(frozen=True)
class Evaluation:
    """Everything the checks learned about one answer."""

    problems: tuple[Problem, ...] = ()
    formulation: Formulation | None = None
    code: str | None = None
    elements: str | None = None
    """Code mode: the five elements as the model wrote them (text)."""
    solve: SolveResult | None = None
    model: Any = None
    """IR mode: the compiled Pyomo model (what consensus compares); not serialised."""
    mps: str | None = None
    """Code mode: the MPS of the model the program solved (what is solved and compared)."""
    sense: str | None = None
    timings: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ModeSpec:
    """One row of the mode table: how to ask, how to parse, how to run and check."""

    name: str
    prompt_version: str
    build_messages: Callable[[str], list[dict[str, str]]]
    parse: Callable[[str], Any]
    """Raises only :class:`LLMOutputParseError`."""
    run: Callable[[Any, RunContext], Evaluation]
    """Never raises for a bad answer: failures are :class:`Problem` values."""
    response_format: Callable[[], Mapping[str, Any] | None] = lambda: None


@dataclass(frozen=True)
class Attempt:
    """One round of the loop, kept whatever happened."""

    round: int
    output: str
    formulation: Formulation | None
    code: str | None
    problems: tuple[Problem, ...]
    accepted: bool
    feedback: str | None
    """The correction message sent after this attempt (``None`` when accepted/last)."""
    solve: SolveResult | None
    timings: Mapping[str, float]
    sample: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def error_kind(self) -> FailureKind | None:
        """Kind of the first blocking problem (``None`` when accepted)."""
        if self.accepted:
            return None
        return self.problems[0].kind if self.problems else FailureKind.UNKNOWN

    def to_dict(self) -> dict[str, Any]:
        return {
            "sample": self.sample,
            "round": self.round,
            "accepted": self.accepted,
            "error_kind": self.error_kind,
            "problems": [p.to_dict() for p in self.problems],
            "warnings": list(self.warnings),
            "feedback": self.feedback,
            "output": self.output,
            "formulation": None if self.formulation is None else self.formulation.to_dict(),
            "code": self.code,
            "solve": None if self.solve is None else _solve_summary(self.solve),
            "timings": dict(self.timings),
        }


def _solve_summary(r: SolveResult) -> dict[str, Any]:
    return {"termination": r.termination.value, "objective": r.objective, "message": r.message}


@dataclass(frozen=True)
class LoopOutcome:
    """An accepted attempt, the evaluation behind it, and the whole history."""

    attempt: Attempt
    evaluation: Evaluation
    history: tuple[Attempt, ...]
    warnings: tuple[str, ...] = ()


def describe_problems(problems: Sequence[Problem]) -> str:
    """The problems as the body of a correction message (titled, numbered if several)."""
    blocks = [f"{PROBLEM_TITLES.get(p.kind, p.kind)}:\n{p.message.strip()}" for p in problems]
    if len(blocks) == 1:
        return blocks[0]
    return "\n\n".join(f"{i}. {b}" for i, b in enumerate(blocks, start=1))


def build_feedback(
    messages: Sequence[Mapping[str, Any]],
    bad_output: str,
    problems: Sequence[Problem],
    *,
    mode: str = "ir",
) -> list[dict[str, Any]]:
    """A new message list: ``messages``, the bad answer, and a correction request.

    Pure: the caller's list and its dicts are copied, never extended or changed.
    """
    return [
        *(dict(m) for m in messages),
        {"role": "assistant", "content": bad_output},
        {"role": "user", "content": format_feedback(mode, describe_problems(problems))},
    ]


def evaluate(spec: ModeSpec, output: str, ctx: RunContext) -> Evaluation:
    """Parse and run one answer; the one place :class:`LLMOutputParseError` is caught."""
    t0 = time.perf_counter()
    try:
        parsed = spec.parse(output)
    except LLMOutputParseError as exc:
        return Evaluation(
            problems=(Problem(exc.kind, str(exc)),),
            timings=MappingProxyType({"parse_s": time.perf_counter() - t0}),
        )
    parse_s = time.perf_counter() - t0
    ev = spec.run(parsed, ctx)
    return dataclasses.replace(ev, timings=MappingProxyType({"parse_s": parse_s, **ev.timings}))


def run_loop(
    text: str,
    spec: ModeSpec,
    backend: LLMBackend,
    ctx: RunContext,
    *,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    temperature: float | None = None,
    problem_id: str | None = None,
    first_output: str | None = None,
    sample: int = 0,
    on_attempt: Callable[[Attempt], None] | None = None,
) -> LoopOutcome:
    """Ask, check and correct until an answer passes every check, at most ``max_rounds`` times.

    ``first_output`` replaces the first call (consensus draws k first answers in one
    request). Raises :class:`CorrectionBudgetExceeded` (``history``, ``last_output``) when no
    answer passed, including when the backend fails during a correction round; a backend
    failure on the first round propagates as it is. ``on_attempt`` is called with each
    attempt as soon as it is checked (a UI shows the rounds as they arrive).
    """
    if max_rounds < 1:
        raise ValueError(f"max_rounds must be at least 1, got {max_rounds!r}")
    messages: list[dict[str, Any]] = spec.build_messages(text)
    history: list[Attempt] = []
    warned: set[str] = set()
    response_format = spec.response_format()
    for rnd in range(1, max_rounds + 1):
        t0 = time.perf_counter()
        if rnd == 1 and first_output is not None:
            output = first_output
        else:
            try:
                output = backend.complete(
                    messages,
                    n=1,
                    temperature=temperature,
                    response_format=response_format,
                    problem_id=problem_id,
                )[0]
            except LLMError as exc:
                if rnd == 1:
                    raise
                raise _exhausted(
                    history, f"the backend failed on correction round {rnd}: {exc}"
                ) from exc
        llm_s = time.perf_counter() - t0
        ev = evaluate(spec, output, ctx)
        blocking = [p for p in ev.problems if p.hard or p.kind not in warned]
        repeated = [p for p in ev.problems if not p.hard and p.kind in warned]
        accepted = not blocking
        feedback_msgs = None
        if not accepted and rnd < max_rounds:
            feedback_msgs = build_feedback(messages, output, blocking, mode=spec.name)
        timings = {"llm_s": llm_s, **ev.timings, "total_s": time.perf_counter() - t0}
        attempt = Attempt(
            round=rnd, output=output, formulation=ev.formulation, code=ev.code,
            problems=tuple(blocking) if not accepted else tuple(repeated), accepted=accepted,
            feedback=None if feedback_msgs is None else feedback_msgs[-1]["content"],
            solve=ev.solve, timings=MappingProxyType(timings), sample=sample,
            warnings=tuple(f"{PROBLEM_TITLES.get(p.kind, p.kind)} (reported once, repeated): {p.message}" for p in repeated),
        )  # fmt: skip
        history.append(attempt)
        if on_attempt is not None:
            on_attempt(attempt)
        if accepted:
            return LoopOutcome(attempt, ev, tuple(history), attempt.warnings)
        warned.update(p.kind for p in ev.problems if not p.hard)
        if feedback_msgs is not None:
            messages = feedback_msgs
    raise _exhausted(history, f"no answer passed the checks in {max_rounds} round(s)")


def _exhausted(history: list[Attempt], why: str) -> CorrectionBudgetExceeded:
    last = history[-1] if history else None
    kinds = ", ".join(a.error_kind or "?" for a in history)
    exc = CorrectionBudgetExceeded(
        f"{why}; problems per round: {kinds}. Inspect the history (each attempt's output and "
        "feedback), allow more rounds (--max-rounds), or try a stronger model.",
        attempts=len(history),
        history=tuple(history),
        last_output=last.output if last else None,
    )
    return exc
