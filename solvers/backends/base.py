"""The solver backend base: declared capabilities, checked before a solve; one result assembly.

A backend says what it can do (:class:`Capabilities`) and implements two things: whether it
can run here (:meth:`Backend.available`) and the raw solve (:meth:`Backend._run`, returning a
:class:`RawSolve`). :meth:`Backend.solve` does the rest in one place for every backend:
holds :data:`SOLVE_LOCK`, refuses a model whose features the backend lacks
(:class:`~optiscribe.solvers.errors.UnsupportedModelFeature`, before any work), runs,
explains an infeasible or unbounded outcome, and builds the :class:`SolveResult`.
"""

from __future__ import annotations

import enum
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from optiscribe.solvers.diagnose import diagnose_infeasible, diagnose_unbounded
from optiscribe.solvers.errors import SolverUnavailable, UnsupportedModelFeature
from optiscribe.solvers.options import SolveOptions
from optiscribe.solvers.result import SolutionStatus, SolveResult, Termination

if TYPE_CHECKING:
    from pyomo.core.base.PyomoModel import ConcreteModel

__all__ = [
    "SOLVE_LOCK",
    "Availability",
    "Backend",
    "Capabilities",
    "ModelFeatures",
    "RawSolve",
    "SolveOptions",
    "model_features",
]


#: Pyomo captures solver output by swapping the process-wide ``sys.stdout`` (and writers
#: share global state), so two solves on threads of one process deadlock. Every solve
#: holds this lock; it is re-entrant because diagnosis runs inside a solve. Callers that
#: want parallel solves use processes (as ``optiscribe batch`` does).
SOLVE_LOCK = threading.RLock()


class Availability(enum.IntEnum):
    """Whether a backend can run here; truthy only when it can (as in Pyomo)."""

    AVAILABLE = 1
    NOT_INSTALLED = 0
    BROKEN = -1

    def __bool__(self) -> bool:
        return self.value > 0


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, as data the caller can check before solving."""

    lp: bool = True
    mip: bool = True
    """Integer and binary variables."""
    quadratic: bool = False
    """Objective or constraints of degree 2 (no backend here takes them)."""
    duals: bool = False
    iis: bool = False
    time_limit: bool = True
    mps_input: bool = True


@dataclass(frozen=True)
class ModelFeatures:
    """What a model needs from a backend (found by :func:`model_features`)."""

    integer: bool
    """Some variable is integer or binary (a MILP rather than an LP)."""
    nonlinear: tuple[str, ...] = ()
    """Objective or constraints of polynomial degree > 1 (or not polynomial), by name."""


def model_features(model: ConcreteModel) -> ModelFeatures:
    """The features of a Pyomo model that decide which backend can solve it."""
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import pyomo.environ as pyo

    integer = any(
        v.is_integer() or v.is_binary() for v in model.component_data_objects(pyo.Var, active=True)
    )
    nonlinear = []
    for obj in model.component_data_objects(pyo.Objective, active=True):
        if obj.expr.polynomial_degree() not in (0, 1):
            nonlinear.append(obj.name)
    for con in model.component_data_objects(pyo.Constraint, active=True):
        if con.body.polynomial_degree() not in (0, 1):
            nonlinear.append(con.name)
    return ModelFeatures(integer=integer, nonlinear=tuple(nonlinear))


@dataclass(frozen=True)
class RawSolve:
    """What a backend's solver reported, before diagnosis and result assembly."""

    termination: Termination
    status: SolutionStatus
    objective: float | None
    bound: float | None
    values: Mapping[str, float]
    duals: Mapping[str, float] | None
    runtime_s: float


def _gap(obj: float | None, bound: float | None) -> float | None:
    if obj is None or bound is None:
        return None
    if abs(obj) < 1e-10 and abs(bound) < 1e-10:
        return 0.0
    return abs(obj - bound) / max(abs(obj), 1e-10)


def _message(term: Termination, status: SolutionStatus, extra: str = "") -> str:
    base = {
        Termination.OPTIMAL: "solved to optimality",
        Termination.INFEASIBLE: "the model is infeasible",
        Termination.UNBOUNDED: "the model is unbounded",
        Termination.INFEASIBLE_OR_UNBOUNDED: "the model is infeasible or unbounded",
        Termination.TIME_LIMIT: "the time limit was reached",
        Termination.EMPTY_MODEL: "the model is empty",
    }.get(term, f"the solver stopped: {term.value}")
    if term.is_limit:
        base += (
            "; the best solution found is returned"
            if status is SolutionStatus.FEASIBLE
            else "; no solution was found"
        )
    return base + (f"; {extra}" if extra else "")


def _diagnose(
    model: Any, term: Termination, options: SolveOptions, *, is_mip: bool
) -> tuple[Termination, tuple[str, ...] | None, tuple[str, ...] | None, str]:
    """Explain an infeasible/unbounded outcome; settle "infeasible or unbounded" where sound.

    An infeasible LP relaxation proves the model infeasible; an unbounded relaxation proves
    an LP unbounded (for a MILP it does not, so the termination is left as reported).
    """
    if not options.diagnose:
        return term, None, None, ""

    if term is Termination.INFEASIBLE:
        d = diagnose_infeasible(model)
        return term, d.names, None, d.message
    if term in (Termination.UNBOUNDED, Termination.INFEASIBLE_OR_UNBOUNDED):
        d = diagnose_unbounded(model)
        if d.message == "the model is infeasible, not unbounded":
            inf = diagnose_infeasible(model)
            return Termination.INFEASIBLE, inf.names, None, "it is infeasible: " + inf.message
        if term is Termination.INFEASIBLE_OR_UNBOUNDED and not is_mip:
            term = Termination.UNBOUNDED
        return term, None, d.names, d.message
    return term, None, None, ""


class Backend(ABC):
    """A solver backend: declared :attr:`capabilities`, :meth:`available`, :meth:`_run`."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    install_hint: ClassVar[str]
    """How to install it, for the message when it is not available."""

    @abstractmethod
    def available(self) -> Availability:
        """Whether the backend can run here (truthy only when it can)."""

    @abstractmethod
    def version(self) -> str:
        """The solver's version string."""

    @abstractmethod
    def _run(self, model: ConcreteModel, options: SolveOptions, *, is_mip: bool) -> RawSolve:
        """Solve ``model`` and report what the solver said (no diagnosis, no messages)."""

    def check(self, features: ModelFeatures) -> None:
        """Refuse a model that needs what this backend lacks, naming both and the way out."""
        missing = []
        if features.integer and not self.capabilities.mip:
            missing.append("integer variables")
        if features.nonlinear and not self.capabilities.quadratic:
            shown = ", ".join(features.nonlinear[:5])
            missing.append(f"non-linear terms (in {shown})")
        if missing:
            raise UnsupportedModelFeature(
                f"backend {self.name} does not support {' and '.join(missing)}; reformulate "
                "the model as a MILP (linear objective and constraints) or choose another solver",
                backend=self.name,
                features=tuple(missing),
            )

    def solve(self, model: ConcreteModel, options: SolveOptions | None = None) -> SolveResult:
        """Check the model against :attr:`capabilities`, run, diagnose, build the result."""
        options = SolveOptions() if options is None else options
        with SOLVE_LOCK:
            if not self.available():
                raise SolverUnavailable(
                    f"{self.name} is not available: install it with {self.install_hint!r}"
                )
            features = model_features(model)
            self.check(features)
            raw = self._run(model, options, is_mip=features.integer)
            term, conflict, ray, extra = _diagnose(
                model, raw.termination, options, is_mip=features.integer
            )
            return SolveResult(
                solver=self.name,
                solver_version=self.version(),
                termination=term,
                solution_status=raw.status,
                objective=raw.objective,
                bound=raw.bound,
                gap=(
                    _gap(raw.objective, raw.bound)
                    if features.integer
                    else (0.0 if term is Termination.OPTIMAL else None)
                ),
                values=MappingProxyType(dict(raw.values)),
                duals=None if raw.duals is None else MappingProxyType(dict(raw.duals)),
                runtime_s=raw.runtime_s,
                is_mip=features.integer,
                conflict=conflict,
                unbounded_direction=ray,
                message=_message(term, raw.status, extra),
            )
