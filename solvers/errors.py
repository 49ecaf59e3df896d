"""The one exception tree of optiscribe.

Every error the project raises on purpose derives from :class:`OptiscribeError`, so a
caller can catch one type. Each message says what happened, names the thing at fault
and gives the next step; structured context travels as attributes.

::

    OptiscribeError
    ├── ModelError                  (optiscribe.formulate.errors)
    │   ├── FormulationSyntaxError  an expression does not parse or uses forbidden syntax
    │   ├── FormulationValidationError  unknown names, bad indices, missing data, not a MILP
    │   │   └── FormulationReadError  the file/text cannot be read as JSON or YAML
    │   └── CompileError            the IR could not be turned into a Pyomo model
    ├── LLMError                    (optiscribe.formulate.errors)
    │   ├── BackendUnavailable      backend not installed / not configured / unreachable
    │   │   └── BackendConfigError  a configuration value is invalid (names its source)
    │   ├── BackendRequestError     a request failed after its retries (status, attempts)
    │   ├── LLMOutputParseError     the model's answer is not usable JSON/code
    │   └── CorrectionBudgetExceeded  the self-correction loop ran out of rounds
    ├── SolverError                 (here)
    │   ├── SolverUnavailable       the backend cannot run on this machine
    │   └── UnsupportedModelFeature the model needs something the backend lacks
    ├── SandboxError                (here)
    │   └── SandboxSetupError       the sandbox could not be started
    ├── VerifyError                 (optiscribe.verify)
    │   └── ModelReadError          a model file/object could not be read
    └── DataError                   (optiscribe.data) bad benchmark/example/JSONL input

Lives in ``solvers`` because ``verify`` must not depend on ``formulate`` and both may
depend on ``solvers``.
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "OptiscribeError",
    "SandboxError",
    "SandboxSetupError",
    "SolverError",
    "SolverUnavailable",
    "UnsupportedModelFeature",
    "VerifyError",
]


class OptiscribeError(Exception):
    """Root of every error optiscribe raises on purpose."""


class SolverError(OptiscribeError):
    """A solve could not be carried out (not: the model is infeasible — that is a result)."""


class SolverUnavailable(SolverError):
    """The requested solver backend is not installed or cannot be loaded."""


class UnsupportedModelFeature(SolverError):
    """The model uses a feature (e.g. continuous variables on CP-SAT) the backend lacks."""


class SandboxError(OptiscribeError):
    """Running generated code in the sandbox failed for a reason outside that code."""


class SandboxSetupError(SandboxError):
    """The sandbox could not be started (no interpreter, no temp dir, ...)."""


class VerifyError(OptiscribeError):
    """The equivalence checker could not run on its input."""


class DataError(OptiscribeError):
    """Bad input data: a JSONL line, an example file, a benchmark record."""
