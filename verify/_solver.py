"""Second opinion: solve both models with HiGHS and compare status and optimum.

Weak evidence only (equivalence.md §4.1): two different models can share an optimum,
and infeasible data make the comparison uninformative. Uses highspy directly on the
matrix form, so no file round trip.
"""

from __future__ import annotations

import time

import numpy as np

from optiscribe.verify._model import MilpData
from optiscribe.verify._result import SolverOpinion

__all__ = ["solve", "solver_opinion"]


def solve(model: MilpData, *, time_limit: float = 10.0) -> tuple[str, float | None]:
    """Solve with HiGHS; returns (status name, objective in the model's own sense)."""
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("threads", 1)
    lp = highspy.HighsLp()
    lp.num_col_ = model.num_vars
    lp.num_row_ = model.num_rows
    lp.col_cost_ = np.asarray(model.c, dtype=np.float64)
    lp.col_lower_ = np.asarray(model.col_lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(model.col_upper, dtype=np.float64)
    lp.row_lower_ = np.asarray(model.row_lower, dtype=np.float64)
    lp.row_upper_ = np.asarray(model.row_upper, dtype=np.float64)
    lp.offset_ = float(model.offset)
    lp.sense_ = highspy.ObjSense.kMaximize if model.sense < 0 else highspy.ObjSense.kMinimize
    csc = model.A.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    lp.a_matrix_.num_col_ = model.num_vars
    lp.a_matrix_.num_row_ = model.num_rows
    if model.integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
            for b in model.integer.tolist()
        ]
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    name = h.modelStatusToString(status)
    obj = None
    if status == highspy.HighsModelStatus.kOptimal:
        obj = float(h.getInfo().objective_function_value)
    return name, obj


def solver_opinion(
    ref: MilpData,
    cand: MilpData,
    *,
    time_limit: float = 10.0,
    rtol: float = 1e-6,
    atol: float = 1e-6,
) -> SolverOpinion:
    """Solve both and say whether status and optimal objective agree (within tolerance,
    compared in minimisation form)."""
    t0 = time.perf_counter()
    sr, vr = solve(ref, time_limit=time_limit)
    sc, vc = solve(cand, time_limit=time_limit)
    if sr != sc:
        agree, detail = False, f"statuses differ: {sr} vs {sc}"
    elif vr is None or vc is None:
        agree, detail = True, f"both {sr}; no optimum to compare"
    elif abs(vr * ref.sense - vc * cand.sense) <= max(atol, rtol * max(abs(vr), abs(vc))):
        # compared in minimisation form: max f and min -f are the same problem
        agree, detail = True, f"both optimal with objective {vr:.10g}"
    else:
        agree, detail = False, f"optimal objectives differ: {vr:.10g} vs {vc:.10g}"
    return SolverOpinion(sr, sc, vr, vc, agree, detail, time.perf_counter() - t0)
