"""Code mode: LLM-style solver programs run with HiGHS, and their models are captured."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import highspy
import pytest

from optiscribe.solvers.kinds import FailureKind
from optiscribe.solvers.sandbox import (
    SandboxLimits,
    SubprocessExecutor,
    WarmPoolExecutor,
)

LIMITS = SandboxLimits(timeout_s=20)

# What LLMOPT's released model writes: the five elements as text, then Pyomo + glpk.
LLMOPT_PROGRAM = textwrap.dedent(
    '''
    """
    Sets: products P = {door, window}; plants K = {1, 2, 3}
    Parameters: profit c_p (3, 5); hours a_kp; capacity b_k (4, 12, 18)
    Variables: x_p >= 0 integer, batches of product p per week
    Objective: maximize sum_p c_p x_p
    Constraints: sum_p a_kp x_p <= b_k for every plant k
    """
    import pyomo.environ as pyo
    from pyomo.opt import SolverFactory, TerminationCondition

    model = pyo.ConcreteModel()
    model.P = pyo.Set(initialize=["door", "window"])
    model.K = pyo.Set(initialize=[1, 2, 3])
    profit = {"door": 3, "window": 5}
    hours = {(1, "door"): 1, (1, "window"): 0, (2, "door"): 0, (2, "window"): 2,
             (3, "door"): 3, (3, "window"): 2}
    cap = {1: 4, 2: 12, 3: 18}
    model.x = pyo.Var(model.P, domain=pyo.NonNegativeIntegers)
    model.obj = pyo.Objective(expr=sum(profit[p] * model.x[p] for p in model.P), sense=pyo.maximize)
    model.cap = pyo.Constraint(model.K, rule=lambda m, k: sum(hours[k, p] * m.x[p] for p in m.P) <= cap[k])

    solver = SolverFactory("glpk")
    solver.options["tmlim"] = 60
    solver.options["msg_lev"] = "GLP_MSG_OFF"
    results = solver.solve(model, tee=False)
    if results.solver.termination_condition == TerminationCondition.optimal:
        print("Optimal objective:", pyo.value(model.obj))
        for p in model.P:
            print(p, model.x[p].value)
    else:
        print("No optimal solution:", results.solver.termination_condition)
    '''
)

GUROBIPY_PROGRAM = textwrap.dedent(
    """
    import gurobipy as gp
    from gurobipy import GRB
    m = gp.Model("wyndor")
    x = m.addVar(vtype=GRB.INTEGER, name="x")
    m.setObjective(3 * x, GRB.MAXIMIZE)
    m.optimize()
    """
)

PYWRAPLP_PROGRAM = textwrap.dedent(
    """
    from ortools.linear_solver import pywraplp
    solver = pywraplp.Solver.CreateSolver("GUROBI")   # not available here: runs SCIP
    x = solver.IntVar(0, solver.infinity(), "door")
    y = solver.IntVar(0, solver.infinity(), "window")
    solver.Add(x <= 4)
    solver.Add(2 * y <= 12)
    solver.Add(3 * x + 2 * y <= 18)
    solver.Maximize(3 * x + 5 * y)
    status = solver.Solve()
    print("status", status, "objective", solver.Objective().Value())
    """
)


@pytest.fixture(scope="module")
def pool() -> Iterator[WarmPoolExecutor]:
    with WarmPoolExecutor(size=1, limits=LIMITS) as p:
        yield p


def _solve_mps(text: str, tmp_path: Path) -> float:
    path = tmp_path / "captured.mps"
    path.write_text(text)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    # kWarning: Pyomo writes "UI BOUND x 10E20" for unbounded integers, which HiGHS
    # reads as +inf and warns about; anything else is a real read failure.
    assert h.readModel(str(path)) in (highspy.HighsStatus.kOk, highspy.HighsStatus.kWarning)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value)


def test_llmopt_glpk_program_runs_with_highs_and_is_captured(
    pool: WarmPoolExecutor, tmp_path: Path
) -> None:
    r = pool.run(LLMOPT_PROGRAM)
    assert r.ok, r.summary + r.stderr
    assert "Optimal objective: 36.0" in r.stdout
    (rep,) = r.reports
    assert (rep.api, rep.requested_solver, rep.solver) == ("pyomo", "glpk", "highs")
    assert rep.termination == "optimal" and rep.objective == pytest.approx(36.0)
    assert dict(rep.values) == {"x[door]": 2.0, "x[window]": 6.0}
    assert rep.ignored_options == ("msg_lev",)  # tmlim was translated to a time limit
    assert rep.mps is not None and "x(door)" in rep.mps  # symbolic labels kept
    assert r.models == (rep.mps,)
    assert _solve_mps(rep.mps, tmp_path) == pytest.approx(36.0)


def test_warm_and_cold_runs_agree(pool: WarmPoolExecutor) -> None:
    warm = pool.run(LLMOPT_PROGRAM)
    cold = SubprocessExecutor(LIMITS).run(LLMOPT_PROGRAM)
    assert cold.ok and warm.ok
    assert cold.stdout == warm.stdout
    assert [(r.objective, dict(r.values), r.mps) for r in cold.reports] == [
        (r.objective, dict(r.values), r.mps) for r in warm.reports
    ]
    assert (cold.executor, warm.executor) == ("cold", "warm")


def test_gurobipy_program_runs_on_the_highs_dialect(pool: WarmPoolExecutor) -> None:
    r = pool.run(GUROBIPY_PROGRAM + "print(m.Status, m.SolCount)\n")
    assert r.ok, r.summary
    (rep,) = r.reports
    assert (rep.api, rep.solver) == ("gurobipy", "highs")
    # unbounded integer model: Gurobi's code 5 (or 4 when presolve cannot tell), no solution
    assert r.stdout.split() in (["5", "0"], ["4", "0"])
    assert rep.termination in ("unbounded", "infeasible_or_unbounded") and rep.objective is None


def test_unknown_solver_module_still_gets_an_import_error(pool: WarmPoolExecutor) -> None:
    r = pool.run("import xpress\n")
    assert r.kind is FailureKind.IMPORT_ERROR
    assert r.error is not None and r.error.missing_module == "xpress"
    assert "gurobipy and coptpy" in r.summary  # the summary lists the dialects on offer


def test_every_solver_name_and_infeasible_model(pool: WarmPoolExecutor) -> None:
    code = textwrap.dedent(
        """
        import pyomo.environ as pyo
        m = pyo.ConcreteModel()
        m.x = pyo.Var(bounds=(0, 10))
        m.o = pyo.Objective(expr=m.x)
        m.c = pyo.Constraint(expr=m.x >= 2)
        for name in ["cbc", "gurobi", "cplex", "highs", "appsi_highs", "gurobi_persistent"]:
            res = pyo.SolverFactory(name).solve(m)
            print(name, res.solver.termination_condition, pyo.value(m.o))
        m.bad = pyo.Constraint(expr=m.x >= 20)
        res = pyo.SolverFactory("glpk").solve(m)
        print("infeasible:", res.solver.termination_condition)
        """
    )
    r = pool.run(code)
    assert r.ok, r.summary
    lines = r.stdout.strip().splitlines()
    assert lines[:6] == [
        f"{n} optimal 2.0"
        for n in ["cbc", "gurobi", "cplex", "highs", "appsi_highs", "gurobi_persistent"]
    ]
    assert lines[6] == "infeasible: infeasible"
    assert [x.requested_solver for x in r.reports] == [
        "cbc",
        "gurobi",
        "cplex",
        "highs",
        "appsi_highs",
        "gurobi_persistent",
        "glpk",
    ]
    assert [x.index for x in r.reports] == list(range(1, 8))
    last = r.reports[-1]
    assert last.termination == "infeasible" and last.objective is None and not last.values
    assert last.mps is not None and "bad" in last.mps


def test_pywraplp_program_is_captured(pool: WarmPoolExecutor, tmp_path: Path) -> None:
    r = pool.run(PYWRAPLP_PROGRAM)
    assert r.ok, r.summary + r.stderr
    assert "objective 36.0" in r.stdout
    (rep,) = r.reports
    assert rep.api == "pywraplp" and rep.requested_solver == "GUROBI"
    assert "SCIP" in rep.solver
    assert rep.termination == "optimal" and rep.objective == pytest.approx(36.0)
    assert dict(rep.values) == {"door": 2.0, "window": 6.0}
    assert rep.mps is not None
    assert _solve_mps(rep.mps, tmp_path) == pytest.approx(36.0)


def test_runtime_error_inside_pyomo_points_at_user_line(pool: WarmPoolExecutor) -> None:
    code = textwrap.dedent(
        """
        import pyomo.environ as pyo
        m = pyo.ConcreteModel()
        m.I = pyo.Set(initialize=[1, 2])
        m.x = pyo.Var(m.I)
        m.c = pyo.Constraint(expr=m.x[3] >= 0)
        """
    )
    r = pool.run(code)
    assert r.kind is FailureKind.RUNTIME_ERROR
    assert r.error is not None and r.error.line == 6
    assert r.error.traceback == ("line 6, in <module>: m.c = pyo.Constraint(expr=m.x[3] >= 0)",)
    assert r.error.origin is not None and r.error.origin.startswith("pyomo/")
    assert "Index '3' is not valid" in r.error.message
