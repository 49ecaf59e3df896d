"""The one exception tree of optiscribe: its root and the solver/sandbox branch.

Every error the project raises on purpose derives from :class:`OptiscribeError`, so a
caller can catch one type. Each folder keeps its own branch in its own ``errors`` module
(``solvers/errors.py`` is the lowest layer, so the root lives here). Each message says
what happened, names the thing at fault and gives the next step; structured context
travels as attributes, and every class carries the :class:`~optiscribe.solvers.kinds.FailureKind`
that result files and the evaluation taxonomy record (``exc.kind``), so nobody has to
read a message to know what went wrong.

The whole tree (``tests/test_errors.py`` walks ``__subclasses__()`` and compares)::

    OptiscribeError                        optiscribe.solvers.errors
    ├── InputError                         bad input from outside (file, line, record, request)
    │   ├── DataError                      optiscribe.data.errors: benchmark/example/JSONL data
    │   ├── ConversionError                optiscribe.formulate.errors: a declaration cannot become IR
    │   └── BadRequest                     optiscribe.formulate.errors: a bad HTTP request to serve
    ├── SolverError                        a solve could not be carried out
    │   ├── SolverUnavailable              the backend cannot run on this machine
    │   └── UnsupportedModelFeature        the model needs something the backend lacks
    ├── SandboxError                       running generated code failed outside that code
    │   └── SandboxSetupError              the sandbox could not be started
    ├── VerifyError                        optiscribe.verify.errors
    │   ├── ModelReadError                 a model file/object could not be read
    │   └── UnsupportedModelError          readable, but with parts the checker does not handle
    ├── ModelError                         optiscribe.formulate.errors: the IR is not a usable model
    │   ├── ExprError                      one expression is wrong (column, snippet, kind)
    │   ├── FormulationSyntaxError         an expression does not parse / forbidden syntax
    │   ├── FormulationValidationError     unknown names, bad indices, missing data, not a MILP
    │   │   └── FormulationReadError       the file/text cannot be read as JSON or YAML
    │   │       └── CompactReadError       (formulate.ir.compact) the compact line form does not read
    │   └── CompileError                   the IR could not be turned into a Pyomo model
    └── LLMError                           optiscribe.formulate.errors
        ├── BackendUnavailable             not installed / not configured / unreachable
        │   └── BackendConfigError         a configuration value is invalid (names its source)
        ├── BackendRequestError            a request failed after its retries
        ├── LLMOutputParseError            the model's answer is not usable JSON/code
        ├── ResponseNotRecorded            replay: no recorded response for the problem
        └── CorrectionBudgetExceeded       the self-correction loop ran out of rounds

One class stays outside on purpose: ``SandboxViolation`` (``solvers/sandbox/_launcher.py``)
is raised *inside* the sandboxed child, which runs with the standard library only and may
not import optiscribe; it never crosses the process boundary (the parent sees
``FailureKind.FORBIDDEN`` in the run's outcome).

Which exit code the CLI gives each of these is one table, ``optiscribe.app.cli.EXIT_CODES``.
"""

from __future__ import annotations

from optiscribe.solvers.kinds import FailureKind

__all__ = [
    "InputError",
    "OptiscribeError",
    "SandboxError",
    "SandboxSetupError",
    "SolverError",
    "SolverUnavailable",
    "UnsupportedModelFeature",
]


class OptiscribeError(Exception):
    """Root of every error optiscribe raises on purpose.

    ``kind`` says what failed in the shared vocabulary; subclasses set it as a class
    attribute, and an instance may narrow it (e.g. an ``ExprError`` of kind ``not_milp``).
    """

    kind: FailureKind = FailureKind.OTHER


class InputError(OptiscribeError):
    """Input from outside the program is unusable: a file, a JSONL line, a record, a request.

    Raised directly by the readers in ``formulate`` (JSONL files, bundled examples,
    recorded responses) and subclassed per folder. The CLI answers it with exit 3.
    """

    kind = FailureKind.BAD_INPUT


class SolverError(OptiscribeError):
    """A solve could not be carried out (not: the model is infeasible — that is a result)."""

    kind = FailureKind.SOLVER_ERROR


class SolverUnavailable(SolverError):
    """The requested solver backend is not installed or cannot be loaded."""


class UnsupportedModelFeature(SolverError):
    """The model uses a feature (e.g. quadratic terms) that the chosen backend lacks.

    ``backend`` and ``features`` name the backend and what it is missing.
    """

    def __init__(self, message: str, *, backend: str = "", features: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.backend = backend
        self.features = features


class SandboxError(OptiscribeError):
    """Running generated code in the sandbox failed for a reason outside that code."""

    kind = FailureKind.SANDBOX


class SandboxSetupError(SandboxError):
    """The sandbox could not be started (no interpreter, no temp dir, ...)."""
