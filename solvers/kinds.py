"""The shared vocabulary of outcomes: why something failed, and how a run ended.

Every layer speaks these two enums — the self-correction loop (``Problem.kind``), the
expression checks (``ExprError.kind``), the exceptions (``OptiscribeError.kind``), the
pipeline (``PipelineResult.status``), batch result lines, the evaluation taxonomy and
the CLI — so a failure is classified by what it *is*, never by the words of its message.

They are :class:`~enum.StrEnum`: a member *is* its string (``FailureKind.JSON == "json"``),
so result files written before these enums existed read back unchanged. The values are
exactly the strings used before; never rename one (it is part of the file format).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FailureKind", "SOLVED_STATUSES", "Status"]


class FailureKind(StrEnum):
    """What went wrong, in one word. Grouped by who reports it."""

    # -- the self-correction loop: one per kind of feedback (formulate.loop.PROBLEM_TITLES)
    JSON = "json"
    """The answer is not valid JSON."""
    SCHEMA = "schema"
    """The JSON does not have the shape of a formulation."""
    CODE = "code"
    """The answer has no usable code."""
    VALIDATION = "validation"
    """The formulation is not a valid MILP (unknown names, bad indices, non-linear ...)."""
    COMPILE = "compile"
    """The formulation could not be compiled to Pyomo."""
    SANDBOX = "sandbox"
    """The generated program failed in the sandbox."""
    NO_MODEL = "no_model"
    """The generated program solved no model."""
    SOLVER_ERROR = "solver_error"
    """The solver failed (not: the model is infeasible)."""
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    TIME_LIMIT = "time_limit"
    """The solver stopped at its time limit."""
    SENSE = "sense"
    """Soft: the objective sense is at odds with the text."""
    ALL_ZERO = "all_zero"
    """Soft: every variable is 0."""
    FRACTIONAL_COUNT = "fractional_count"
    """Soft: fractional counts of whole things."""

    # -- the expression checks (formulate.ir.expr.ExprError.kind, issue kinds)
    SYNTAX = "syntax"
    UNKNOWN_NAME = "unknown_name"
    ARITY = "arity"
    BAD_KEY = "bad_key"
    NO_COMPARISON = "no_comparison"
    NOT_MILP = "not_milp"
    """Products of variables, division by a variable, abs(), ... ."""
    MISSING_DATA = "missing_data"
    BAD_DATA = "bad_data"
    INVALID = "invalid"
    TOO_LARGE = "too_large"
    """Over a reader's or the expansion's cap (nesting, size, index product)."""

    # -- generated code in the sandbox (solvers.sandbox.CODE_FAILURES; ``ok`` is kind None)
    SYNTAX_ERROR = "syntax_error"
    IMPORT_ERROR = "import_error"
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT_LIMIT = "output_limit"
    FORBIDDEN = "forbidden"

    # -- the exceptions' own kinds (OptiscribeError.kind) and the batch runner
    PARSE = "parse"
    """The model's answer could not be parsed (LLMOutputParseError's default)."""
    BAD_INPUT = "bad_input"
    """Input from outside (file, line, record, request) is unusable."""
    MODEL = "model"
    """The formulation is not a usable model (ModelError without a narrower kind)."""
    BACKEND_UNAVAILABLE = "backend_unavailable"
    BACKEND_REQUEST = "backend_request"
    CORRECTION_BUDGET = "correction_budget"
    MODEL_READ = "model_read"
    UNSUPPORTED = "unsupported"
    WORKER_DIED = "worker_died"
    """A batch worker process died while solving the problem."""
    NO_RESPONSE = "no_response"
    """``eval --responses``: the file has no response for the problem."""
    UNKNOWN = "unknown"
    """A rejected attempt that recorded no problem (should not happen; kept readable)."""
    OTHER = "other"


class Status(StrEnum):
    """How a run ended: ``PipelineResult.status``, a batch line's ``status``, an eval outcome."""

    OPTIMAL = "optimal"
    """An answer passed every check and solved to proven optimality."""
    FEASIBLE = "feasible"
    """``eval --responses``: a solution at a limit (an incumbent, no proof)."""
    TIME_LIMIT = "time_limit"
    """An answer passed the checks but the solver stopped at its limit (undecided)."""
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    FAILED = "failed"
    """No answer passed for another reason (parse, validation, code errors ...)."""
    ERROR = "error"
    """Batch: the per-problem function raised (the line's ``error`` says what)."""
    NO_SOLVE = "no_solve"
    """``eval --responses``: the code ran but solved no model."""
    UNKNOWN = "unknown"


SOLVED_STATUSES: frozenset[str] = frozenset({Status.OPTIMAL, Status.FEASIBLE, "ok", "solved"})
"""Statuses that count as solved; ``ok``/``solved`` are what other systems' files say."""
