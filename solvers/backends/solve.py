"""Solver backends behind one small interface, with their capabilities declared as data.

* ``highs`` (default): HiGHS through Pyomo's current solver interface
  (``pyomo.contrib.solver.solvers.highs.Highs``), duals for LPs, IIS for infeasible models.
* ``ortools``: OR-Tools ``model_builder`` on the model's MPS export, with SCIP for MILPs
  and GLOP for LPs.

highspy >= 1.15 and ortools 9.15 cannot be loaded into one process (both ship a
``libhighs.so.1``; google/or-tools#5246). We pin ``highspy==1.12.0``, the HiGHS that
ortools 9.15 bundles, so both backends run in-process; ``tests/solvers/test_coimport.py``
imports both in either order in a fresh interpreter so a later bump that re-breaks this
fails the tests instead of users.
"""

from __future__ import annotations

import enum
import functools
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Protocol

from optiscribe.solvers.backends.status import (
    ORTOOLS_MB_STATUS,
    PYOMO_SOLUTION_STATUS,
    PYOMO_TERMINATION,
)
from optiscribe.solvers.diagnose import diagnose_infeasible, diagnose_unbounded
from optiscribe.solvers.errors import SolverError, SolverUnavailable
from optiscribe.solvers.result import SolutionStatus, SolveResult, Termination

__all__ = [
    "BACKENDS",
    "SOLVE_LOCK",
    "Availability",
    "Backend",
    "Capabilities",
    "HighsBackend",
    "ORToolsBackend",
    "SolveOptions",
    "get_backend",
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
    duals: bool = False
    iis: bool = False
    time_limit: bool = True
    mps_input: bool = True


@dataclass(frozen=True)
class SolveOptions:
    """Options every backend understands."""

    time_limit: float | None = None
    """Seconds; on reaching it the result has termination TIME_LIMIT and the incumbent, if any."""
    mip_rel_gap: float | None = None
    threads: int = 1
    seed: int = 0
    diagnose: bool = True
    """Compute an IIS (infeasible) or an unbounded ray (unbounded) for the message."""


class Backend(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def available(self) -> Availability: ...

    def version(self) -> str: ...

    def solve(self, model: Any, options: SolveOptions = ...) -> SolveResult: ...


def _is_mip(model: Any) -> bool:
    import pyomo.environ as pyo

    return any(
        v.is_integer() or v.is_binary() for v in model.component_data_objects(pyo.Var, active=True)
    )


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


class HighsBackend:
    """HiGHS through ``pyomo.contrib.solver.solvers.highs.Highs``."""

    name: ClassVar[str] = "highs"
    capabilities: ClassVar[Capabilities] = Capabilities(duals=True, iis=True)

    @functools.cache  # noqa: B019 - one backend object per process is fine
    def available(self) -> Availability:
        try:
            from pyomo.contrib.solver.solvers.highs import Highs

            return Availability.AVAILABLE if Highs().available() else Availability.BROKEN
        except ImportError:
            return Availability.NOT_INSTALLED

    def version(self) -> str:
        import highspy

        h = highspy.Highs()
        return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"

    def solve(self, model: Any, options: SolveOptions = SolveOptions()) -> SolveResult:
        with SOLVE_LOCK:
            return self._solve(model, options)

    def _solve(self, model: Any, options: SolveOptions) -> SolveResult:
        import pyomo.environ as pyo
        from pyomo.contrib.solver.solvers.highs import Highs

        if not self.available():
            raise SolverUnavailable(
                "HiGHS is not available: install it with 'pip install highspy==1.12.0'"
            )
        is_mip = _is_mip(model)
        kwargs: dict[str, Any] = {
            "load_solutions": False,
            "raise_exception_on_nonoptimal_result": False,
            "threads": options.threads,
            "solver_options": {"random_seed": options.seed},
        }
        if options.time_limit is not None:
            kwargs["time_limit"] = options.time_limit
        if options.mip_rel_gap is not None:
            kwargs["rel_gap"] = options.mip_rel_gap
        t0 = time.perf_counter()
        try:
            res = Highs().solve(model, **kwargs)
        except (ValueError, RuntimeError) as exc:
            # e.g. an objective or constraint that is not linear, or an empty model
            raise SolverError(f"HiGHS could not solve the model: {exc}") from exc
        runtime = time.perf_counter() - t0
        term = PYOMO_TERMINATION.get(res.termination_condition, Termination.UNKNOWN)
        status = PYOMO_SOLUTION_STATUS.get(res.solution_status, SolutionStatus.UNKNOWN)
        values: dict[str, float] = {}
        duals = None
        if status in (SolutionStatus.OPTIMAL, SolutionStatus.FEASIBLE):
            res.solution_loader.load_vars()
            for v in model.component_data_objects(pyo.Var, active=True, descend_into=True):
                if v.value is not None:
                    values[v.name] = float(v.value)
            if not is_mip and status is SolutionStatus.OPTIMAL:
                duals = {c.name: float(d) for c, d in res.solution_loader.get_duals().items()}
        term, conflict, ray, extra = _diagnose(model, term, options, is_mip=is_mip)
        obj = res.incumbent_objective
        bound = res.objective_bound
        return SolveResult(
            solver=self.name,
            solver_version=self.version(),
            termination=term,
            solution_status=status,
            objective=None if obj is None else float(obj),
            bound=None if bound is None or abs(bound) == float("inf") else float(bound),
            gap=_gap(obj, bound) if is_mip else (0.0 if term is Termination.OPTIMAL else None),
            values=MappingProxyType(values),
            duals=None if duals is None else MappingProxyType(duals),
            runtime_s=runtime,
            is_mip=is_mip,
            conflict=conflict,
            unbounded_direction=ray,
            message=_message(term, status, extra),
        )


class ORToolsBackend:
    """OR-Tools ``model_builder`` (SCIP for MILPs, GLOP for LPs) on the model's MPS export."""

    name: ClassVar[str] = "ortools"
    capabilities: ClassVar[Capabilities] = Capabilities(duals=False, iis=False)

    @functools.cache  # noqa: B019
    def available(self) -> Availability:
        try:
            from ortools.linear_solver.python import model_builder  # noqa: F401

            return Availability.AVAILABLE
        except ImportError:
            return Availability.NOT_INSTALLED
        except OSError:
            return Availability.BROKEN

    def version(self) -> str:
        import ortools

        return str(ortools.__version__)

    def solve(self, model: Any, options: SolveOptions = SolveOptions()) -> SolveResult:
        with SOLVE_LOCK:
            return self._solve(model, options)

    def _solve(self, model: Any, options: SolveOptions) -> SolveResult:
        from ortools.linear_solver.python import model_builder as mb

        if not self.available():
            raise SolverUnavailable(
                "OR-Tools is not available: install it with 'pip install ortools==9.15.6755'"
            )
        is_mip = _is_mip(model)
        with tempfile.TemporaryDirectory(prefix="optiscribe-ortools-") as tmp:
            path = Path(tmp) / "model.mps"
            _, smap_id = model.write(
                str(path), format="mps", io_options={"symbolic_solver_labels": True}
            )
            symbols = model.solutions.symbol_map[smap_id].bySymbol
            mbm = mb.Model()
            if not mbm.import_from_mps_file(str(path)):
                raise SolverError("OR-Tools could not read the model's MPS export")
        solver = mb.Solver("scip" if is_mip else "glop")
        if not solver.solver_is_supported():
            raise SolverUnavailable("this OR-Tools build has no SCIP/GLOP solver")
        if options.time_limit is not None:
            solver.set_time_limit_in_seconds(options.time_limit)
        params = [f"randomization/randomseedshift = {options.seed}"] if is_mip else []
        if is_mip and options.mip_rel_gap is not None:
            params.append(f"limits/gap = {options.mip_rel_gap}")
        if params:
            solver.set_solver_specific_parameters("\n".join(params))
        t0 = time.perf_counter()
        status_code = solver.solve(mbm)
        runtime = time.perf_counter() - t0
        term = ORTOOLS_MB_STATUS.get(status_code, Termination.UNKNOWN)
        status = {
            mb.SolveStatus.OPTIMAL: SolutionStatus.OPTIMAL,
            mb.SolveStatus.FEASIBLE: SolutionStatus.FEASIBLE,
            mb.SolveStatus.INFEASIBLE: SolutionStatus.INFEASIBLE,
        }.get(status_code, SolutionStatus.NO_SOLUTION)
        values: dict[str, float] = {}
        obj = bound = None
        if status in (SolutionStatus.OPTIMAL, SolutionStatus.FEASIBLE):
            obj = float(solver.objective_value)
            bound = float(solver.best_objective_bound) if is_mip else obj
            for var in mbm.get_variables():
                sym = var.name
                if sym == "ONE_VAR_CONSTANT":
                    continue
                comp = symbols.get(sym)
                values[comp.name if comp is not None else sym] = float(solver.value(var))
        term, conflict, ray, extra = _diagnose(model, term, options, is_mip=is_mip)
        return SolveResult(
            solver=self.name,
            solver_version=self.version(),
            termination=term,
            solution_status=status,
            objective=obj,
            bound=bound,
            gap=_gap(obj, bound) if is_mip else (0.0 if term is Termination.OPTIMAL else None),
            values=MappingProxyType(values),
            duals=None,
            runtime_s=runtime,
            is_mip=is_mip,
            conflict=conflict,
            unbounded_direction=ray,
            message=_message(term, status, extra),
        )


BACKENDS: MappingProxyType[str, type[Any]] = MappingProxyType(
    {"highs": HighsBackend, "ortools": ORToolsBackend}
)


@functools.cache
def get_backend(name: str) -> Backend:
    """The backend registered under ``name`` (``highs`` or ``ortools``)."""
    cls = BACKENDS.get(name.lower())
    if cls is None:
        raise SolverUnavailable(f"unknown solver {name!r}; choose one of: {', '.join(BACKENDS)}")
    return cls()  # type: ignore[no-any-return]
