"""HiGHS through Pyomo's current solver interface (``pyomo.contrib.solver.solvers.highs.Highs``):
duals for LPs, IIS for infeasible models (through :mod:`optiscribe.solvers.diagnose`)."""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING, Any, ClassVar

from optiscribe.solvers.backends.base import (
    Availability,
    Backend,
    Capabilities,
    RawSolve,
    SolveOptions,
)
from optiscribe.solvers.backends.status import PYOMO_SOLUTION_STATUS, PYOMO_TERMINATION
from optiscribe.solvers.errors import SolverError
from optiscribe.solvers.result import SolutionStatus, Termination

if TYPE_CHECKING:
    from pyomo.core.base.PyomoModel import ConcreteModel

__all__ = ["HighsBackend"]


class HighsBackend(Backend):
    """HiGHS through ``pyomo.contrib.solver.solvers.highs.Highs``."""

    name: ClassVar[str] = "highs"
    capabilities: ClassVar[Capabilities] = Capabilities(duals=True, iis=True)
    install_hint: ClassVar[str] = "pip install highspy==1.12.0"

    @functools.cache  # noqa: B019 - one backend object per process is fine
    def available(self) -> Availability:
        try:
            # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
            from pyomo.contrib.solver.solvers.highs import Highs

            return Availability.AVAILABLE if Highs().available() else Availability.BROKEN
        except ImportError:
            return Availability.NOT_INSTALLED

    def version(self) -> str:
        # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
        import highspy

        h = highspy.Highs()
        return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"

    def _run(self, model: ConcreteModel, options: SolveOptions, *, is_mip: bool) -> RawSolve:
        # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
        import pyomo.environ as pyo
        from pyomo.contrib.solver.solvers.highs import Highs

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
            # e.g. an empty model, or an expression type the interface does not take
            raise SolverError(f"HiGHS could not solve the model: {exc}") from exc
        runtime = time.perf_counter() - t0
        term: Termination = PYOMO_TERMINATION.get(res.termination_condition, Termination.UNKNOWN)
        status: SolutionStatus = PYOMO_SOLUTION_STATUS.get(
            res.solution_status, SolutionStatus.UNKNOWN
        )
        values: dict[str, float] = {}
        duals = None
        if status in (SolutionStatus.OPTIMAL, SolutionStatus.FEASIBLE):
            res.solution_loader.load_vars()
            for v in model.component_data_objects(pyo.Var, active=True, descend_into=True):
                if v.value is not None:
                    values[v.name] = float(v.value)
            if not is_mip and status is SolutionStatus.OPTIMAL:
                duals = {c.name: float(d) for c, d in res.solution_loader.get_duals().items()}
        obj = res.incumbent_objective
        bound = res.objective_bound
        return RawSolve(
            termination=term,
            status=status,
            objective=None if obj is None else float(obj),
            bound=None if bound is None or abs(bound) == float("inf") else float(bound),
            values=values,
            duals=duals,
            runtime_s=runtime,
        )
