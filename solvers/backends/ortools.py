"""OR-Tools ``model_builder`` on the model's MPS export: SCIP for MILPs, GLOP for LPs."""

from __future__ import annotations

import functools
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from optiscribe.solvers.backends.base import (
    Availability,
    Backend,
    Capabilities,
    RawSolve,
    SolveOptions,
)
from optiscribe.solvers.backends.status import ORTOOLS_MB_STATUS
from optiscribe.solvers.errors import SolverError, SolverUnavailable
from optiscribe.solvers.result import SolutionStatus, Termination

if TYPE_CHECKING:
    from pyomo.core.base.PyomoModel import ConcreteModel

__all__ = ["ORToolsBackend"]


class ORToolsBackend(Backend):
    """OR-Tools ``model_builder`` (SCIP for MILPs, GLOP for LPs) on the model's MPS export."""

    name: ClassVar[str] = "ortools"
    capabilities: ClassVar[Capabilities] = Capabilities(duals=False, iis=False)
    install_hint: ClassVar[str] = "pip install ortools==9.15.6755"

    @functools.cache  # noqa: B019 - one backend object per process is fine
    def available(self) -> Availability:
        try:
            # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
            from ortools.linear_solver.python import model_builder  # noqa: F401

            return Availability.AVAILABLE
        except ImportError:
            return Availability.NOT_INSTALLED
        except OSError:
            return Availability.BROKEN

    def version(self) -> str:
        # lazy: importlib.metadata (~10 ms) only to report a library version
        from importlib.metadata import version

        return version("ortools")

    def _run(self, model: ConcreteModel, options: SolveOptions, *, is_mip: bool) -> RawSolve:
        # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
        from ortools.linear_solver.python import model_builder as mb

        with tempfile.TemporaryDirectory(prefix="optiscribe-ortools-") as tmp:
            path = Path(tmp) / "model.mps"
            _, smap_id = model.write(
                str(path), format="mps", io_options={"symbolic_solver_labels": True}
            )
            symbols = model.solutions.symbol_map[smap_id].bySymbol
            mbm = mb.Model()  # type: ignore[no-untyped-call]  # ortools ships no annotations here
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
        term: Termination = ORTOOLS_MB_STATUS.get(status_code, Termination.UNKNOWN)
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
        return RawSolve(
            termination=term,
            status=status,
            objective=obj,
            bound=bound,
            values=values,
            duals=None,
            runtime_s=runtime,
        )
