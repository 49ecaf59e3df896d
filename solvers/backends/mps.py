"""Solve an MPS or CPLEX-LP file directly with highspy (no Pyomo), in the file's own names.

For instances that come as files (benchmarks, models captured from generated code,
MIPLIB) building a Pyomo model first would only cost time.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from types import MappingProxyType
from typing import Any

from optiscribe.solvers.backends.base import SolveOptions, _gap, _message
from optiscribe.solvers.backends.status import HIGHS_MODEL_STATUS
from optiscribe.solvers.diagnose import conflict_message, iis_names
from optiscribe.solvers.errors import SolverError
from optiscribe.solvers.highs_mps import copy_without_stalling_lines
from optiscribe.solvers.result import SolutionStatus, SolveResult, Termination

__all__ = ["solve_mps"]


def solve_mps(path: str | Path, options: SolveOptions = SolveOptions()) -> SolveResult:
    """Read ``path`` (``.mps``, ``.mps.gz``, ``.lp``) with HiGHS and solve it."""
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import highspy

    p = Path(path)
    if not p.is_file():
        raise SolverError(f"model file {str(p)!r} does not exist; check the path")
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", options.threads)
    h.setOptionValue("random_seed", options.seed)
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    if options.mip_rel_gap is not None:
        h.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    if _read(h, p) == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS could not read {str(p)!r}; is it a valid MPS or CPLEX-LP file?")
    lp = h.getLp()
    is_mip = any(t != highspy.HighsVarType.kContinuous for t in lp.integrality_)
    t0 = time.perf_counter()
    h.run()
    runtime = time.perf_counter() - t0
    ms = h.getModelStatus()
    term = HIGHS_MODEL_STATUS.get(ms, Termination.UNKNOWN)
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    status = (
        SolutionStatus.OPTIMAL
        if term is Termination.OPTIMAL and has_sol
        else SolutionStatus.FEASIBLE
        if has_sol
        else SolutionStatus.INFEASIBLE
        if term is Termination.INFEASIBLE
        else SolutionStatus.NO_SOLUTION
    )
    values: dict[str, float] = {}
    duals = None
    obj = bound = None
    conflict = None
    extra = ""
    if has_sol:
        sol = h.getSolution()
        names = list(lp.col_names_) or [f"c{j}" for j in range(lp.num_col_)]
        values = {n: float(v) for n, v in zip(names, sol.col_value)}
        obj = float(info.objective_function_value)
        bound = float(info.mip_dual_bound) if is_mip else obj
        if not is_mip and term is Termination.OPTIMAL:
            rnames = list(lp.row_names_) or [f"r{i}" for i in range(lp.num_row_)]
            duals = dict(zip(rnames, (float(d) for d in sol.row_dual)))
    elif term is Termination.INFEASIBLE and options.diagnose:
        rnames = list(lp.row_names_) or [f"r{i}" for i in range(lp.num_row_)]
        cnames = list(lp.col_names_) or [f"c{j}" for j in range(lp.num_col_)]
        conflict = iis_names(h, rnames, cnames)
        if conflict is not None:
            extra = conflict_message(conflict)
    version = f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"
    return SolveResult(
        solver="highs",
        solver_version=version,
        termination=term,
        solution_status=status,
        objective=obj,
        bound=bound,
        gap=_gap(obj, bound) if is_mip else (0.0 if term is Termination.OPTIMAL else None),
        values=MappingProxyType(values),
        duals=None if duals is None else MappingProxyType(duals),
        runtime_s=runtime,
        is_mip=is_mip,
        conflict=conflict,
        message=_message(term, status, extra),
    )


def _read(h: Any, p: Path) -> Any:
    """``h.readModel`` of ``p``; an MPS file with lines HiGHS's fixed-format reader would
    loop on forever (:func:`copy_without_stalling_lines`) is read from a filled copy."""
    if p.name.lower().endswith((".mps", ".mps.gz")):
        with tempfile.TemporaryDirectory(prefix="optiscribe-mps-") as tmp:
            copy = copy_without_stalling_lines(p, Path(tmp))
            if copy is not None:
                return h.readModel(str(copy))
    return h.readModel(str(p))
