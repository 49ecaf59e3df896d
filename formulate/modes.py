"""The formulate modes as a table: ``{mode: ModeSpec(build_messages, parse, run)}``.

* ``ir`` (default): the model answers with the five elements as JSON in our IR; it is
  validated (:func:`~optiscribe.formulate.ir.expand.expand`), compiled to Pyomo and solved.
  No model output is ever executed.
* ``code`` (LLMOPT-compatible): the five elements as text, then Pyomo code. The code runs
  only in the sandbox (:func:`optiscribe.solvers.sandbox.run_code`); the model it solved
  is captured as MPS, and *that* MPS is what is solved, reported and compared — not the
  program's own printout.

Adding a mode is one :class:`~optiscribe.formulate.loop.ModeSpec` row in :data:`MODES`.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from optiscribe.formulate import checks
from optiscribe.formulate.errors import (
    CompileError,
    FormulationSyntaxError,
    FormulationValidationError,
)
from optiscribe.formulate.ir.compile import compile_expanded
from optiscribe.formulate.ir.expand import expand
from optiscribe.formulate.ir.model import Formulation
from optiscribe.formulate.llm.base import json_schema_format
from optiscribe.formulate.loop import Evaluation, ModeSpec, Problem, RunContext
from optiscribe.formulate.prompting import (
    PROMPT_VERSIONS,
    CodeAnswer,
    build_code_gurobipy_messages,
    build_code_messages,
    build_ir_messages,
    parse_code_answer,
    parse_ir_answer,
)
from optiscribe.solvers import solve
from optiscribe.solvers.backends.mps import solve_mps
from optiscribe.solvers.backends.solve import SolveOptions
from optiscribe.solvers.errors import SolverError
from optiscribe.solvers.kinds import FailureKind
from optiscribe.solvers.result import Termination
from optiscribe.solvers.sandbox import SandboxLimits, run_code

if TYPE_CHECKING:
    from optiscribe.formulate.ir.model import Formulation
    from optiscribe.solvers.result import SolveResult

__all__ = ["MODES", "get_mode", "solver_problems"]

MAX_LISTED = 12


def _listed(names: tuple[str, ...] | None) -> str:
    if not names:
        return ""
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f", ... ({len(names)} in all)" if len(names) > MAX_LISTED else "")


def solver_problems(result: SolveResult) -> list[Problem]:
    """What the solver's status says about the model, for the model to act on."""

    term = result.termination
    if term is Termination.OPTIMAL:
        return []
    if term is Termination.INFEASIBLE:
        conflict = _listed(result.conflict)
        if conflict:
            msg = (
                f"no plan satisfies all constraints. These constraints and bounds cannot hold together "
                f"(an irreducible infeasible subset): {conflict}. Check their directions (<= vs >=), "
                "right-hand sides and units against the text."
            )
        else:
            msg = f"no plan satisfies all constraints ({result.message}). Check directions, right-hand sides and units."
        return [Problem(FailureKind.INFEASIBLE, msg)]
    if term is Termination.UNBOUNDED:
        ray = _listed(result.unbounded_direction)
        where = f" by increasing/decreasing {ray}" if ray else ""
        return [
            Problem(
                FailureKind.UNBOUNDED,
                f"the objective improves without limit{where}. A constraint or bound "
                "that limits these variables is missing, or the objective sense is wrong.",
            )
        ]
    if term is Termination.INFEASIBLE_OR_UNBOUNDED:
        return [
            Problem(
                FailureKind.INFEASIBLE_OR_UNBOUNDED,
                f"{result.message}. Check for missing limits on the variables "
                "and for constraints that contradict each other.",
            )
        ]
    if term.is_limit:
        got = (
            "a feasible solution was found but not proven optimal"
            if result.has_solution
            else "no solution was found"
        )
        return [
            Problem(
                FailureKind.TIME_LIMIT,
                f"the solver stopped at its limit ({term.value}); {got}. If the model is "
                "larger than the problem needs (extra indices, big-M constants), make it more "
                "compact; otherwise answer with the same formulation.",
                hard=False,
            )
        ]
    return [
        Problem(FailureKind.SOLVER_ERROR, f"the solver stopped with {term.value}: {result.message}")
    ]


def _issues_text(exc: FormulationValidationError | FormulationSyntaxError | CompileError) -> str:
    issues = getattr(exc, "issues", ())
    if not issues:
        return str(exc)
    return "\n".join(f"- {i}" for i in issues)


def _issues_cause(exc: FormulationValidationError | FormulationSyntaxError) -> FailureKind | None:
    """``not_milp`` when any issue is a non-linearity: the one validation failure the
    evaluation counts apart (a model that is wrong in kind, not in detail)."""
    kinds = {getattr(i, "kind", None) for i in getattr(exc, "issues", ())}
    return FailureKind.NOT_MILP if FailureKind.NOT_MILP in kinds else None


# ------------------------------------------------------------------------------ ir mode


def _run_ir(f: Formulation, ctx: RunContext) -> Evaluation:
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = now - t
        t = now

    def done(*problems: Problem, **kw: Any) -> Evaluation:
        return Evaluation(
            problems=tuple(problems),
            formulation=f,
            sense=f.objective.sense,
            timings=MappingProxyType(timings),
            **kw,
        )

    sense = checks.check_sense(ctx.text, f.objective.sense)
    soft_sense = [Problem(FailureKind.SENSE, sense.message, hard=False)] if sense else []
    try:
        em = expand(f)
    except (FormulationValidationError, FormulationSyntaxError) as exc:
        lap("validate_s")
        return done(
            Problem(FailureKind.VALIDATION, _issues_text(exc), cause=_issues_cause(exc)),
            *soft_sense,
        )
    lap("validate_s")
    try:
        model = compile_expanded(em)
    except CompileError as exc:
        lap("compile_s")
        return done(Problem(FailureKind.COMPILE, str(exc)), *soft_sense)
    lap("compile_s")
    try:
        result = solve(model, solver=ctx.solver, time_limit=ctx.time_limit)
    except SolverError as exc:
        lap("solve_s")
        return done(Problem(FailureKind.SOLVER_ERROR, str(exc)), *soft_sense, model=model)
    lap("solve_s")
    problems = solver_problems(result) + soft_sense
    if result.has_solution:
        for finding in checks.findings(
            [
                checks.check_all_zero(result.values),
                checks.check_fractional_counts(ctx.text, f, result.values),
            ]
        ):
            problems.append(Problem(finding.kind, finding.message, hard=False))
    lap("checks_s")
    return done(*problems, solve=result, model=model)


def _ir_response_format() -> dict[str, Any]:
    # strict=False: the IR schema has defaults and unions that OpenAI's strict mode refuses.
    return json_schema_format(Formulation, strict=False)


# ---------------------------------------------------------------------------- code mode

_OBJSENSE = re.compile(r"^OBJSENSE\s*\n\s*(MAX|MAXIMIZE|MIN|MINIMIZE)\b", re.M | re.I)
_OBJSENSE_INLINE = re.compile(r"^OBJSENSE\s+(MAX|MAXIMIZE|MIN|MINIMIZE)\b", re.M | re.I)


def mps_sense(mps: str) -> str:
    """``maximize`` or ``minimize`` as the MPS text declares (MPS's default: minimize)."""
    m = _OBJSENSE.search(mps) or _OBJSENSE_INLINE.search(mps)
    return "maximize" if m and m.group(1).upper().startswith("MAX") else "minimize"


def _parse_gurobipy_answer(output: str) -> CodeAnswer:
    return parse_code_answer(output, library="gurobipy")


def _run_code(answer: CodeAnswer, ctx: RunContext) -> Evaluation:
    timings: dict[str, float] = {}
    t = time.perf_counter()
    limits = SandboxLimits(timeout_s=ctx.sandbox_timeout) if ctx.sandbox_timeout else None
    run = run_code(answer.code, limits=limits, executor=ctx.executor, globals=ctx.globals)
    timings["sandbox_s"] = time.perf_counter() - t

    def done(*problems: Problem, **kw: Any) -> Evaluation:
        return Evaluation(
            problems=tuple(problems),
            code=answer.code,
            elements=answer.elements or None,
            timings=MappingProxyType(timings),
            **kw,
        )

    if not run.ok:
        tail = run.stdout.strip()[-600:]
        printed = f"\nThe program printed before failing:\n{tail}" if tail else ""
        return done(Problem(FailureKind.SANDBOX, run.summary + printed, cause=run.kind))
    captured = [r for r in run.reports if r.mps is not None]
    if not captured:
        why = (
            "; ".join(r.mps_error for r in run.reports if r.mps_error) or "no solver call was made"
        )
        return done(
            Problem(
                FailureKind.NO_MODEL,
                f"the program ran but no solved model could be captured ({why}). Build a "
                "Pyomo ConcreteModel and solve it with SolverFactory('glpk').solve(model) "
                "(any LP/MILP solver name runs HiGHS here), or a gurobipy Model and call "
                "m.optimize().",
            )
        )
    mps = captured[-1].mps
    assert mps is not None
    sense = mps_sense(mps)
    t = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="optiscribe-code-") as tmp:
        path = Path(tmp) / "model.mps"
        path.write_text(mps, encoding="utf-8")
        try:
            result = solve_mps(path, SolveOptions(time_limit=ctx.time_limit))
        except SolverError as exc:
            timings["solve_s"] = time.perf_counter() - t
            return done(
                Problem(FailureKind.SOLVER_ERROR, f"the captured model could not be solved: {exc}"),
                mps=mps,
                sense=sense,
            )
    timings["solve_s"] = time.perf_counter() - t
    problems = solver_problems(result)
    s = checks.check_sense(ctx.text, sense)
    if s:
        problems.append(Problem(FailureKind.SENSE, s.message, hard=False))
    if result.has_solution and (z := checks.check_all_zero(result.values)):
        problems.append(Problem(FailureKind.ALL_ZERO, z.message, hard=False))
    return done(*problems, solve=result, mps=mps, sense=sense)


MODES: dict[str, ModeSpec] = {
    "ir": ModeSpec(
        "ir",
        PROMPT_VERSIONS["ir"],
        build_ir_messages,
        parse_ir_answer,
        _run_ir,
        _ir_response_format,
    ),
    "code": ModeSpec(
        "code", PROMPT_VERSIONS["code"], build_code_messages, parse_code_answer, _run_code
    ),
    # gurobipy programs run on HiGHS through the sandbox's gurobipy layer (docs/dialects.md)
    "code_gurobipy": ModeSpec(
        "code_gurobipy",
        PROMPT_VERSIONS["code_gurobipy"],
        build_code_gurobipy_messages,
        _parse_gurobipy_answer,
        _run_code,
    ),
}


def get_mode(name: str) -> ModeSpec:
    """The :class:`ModeSpec` called ``name`` (``ir`` or ``code``)."""
    try:
        return MODES[name]
    except KeyError:
        raise ValueError(f"unknown mode {name!r}; choose one of {', '.join(MODES)}") from None
