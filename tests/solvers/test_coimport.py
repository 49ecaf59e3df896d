"""The highspy pin holds: highspy and OR-Tools load into one process, in either order.

highspy >= 1.15 and ortools 9.15 clash on ``libhighs.so.1`` (google/or-tools#5246); we pin
highspy 1.12.0. Each order runs in a fresh interpreter, since import order is the point.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

SOLVE_BOTH = """
import {first}, {second}
from ortools.linear_solver import pywraplp
import highspy
h = highspy.Highs(); h.setOptionValue("output_flag", False)
s = pywraplp.Solver.CreateSolver("SCIP")
x = s.IntVar(0, 10, "x"); s.Add(2 * x <= 7); s.Maximize(x)
assert s.Solve() == pywraplp.Solver.OPTIMAL and x.solution_value() == 3
print("ok", highspy.Highs().version())
"""


@pytest.mark.parametrize(("first", "second"), [("highspy", "ortools"), ("ortools", "highspy")])
def test_highspy_and_ortools_share_a_process(first: str, second: str) -> None:
    code = SOLVE_BOTH.format(first=first, second=second)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("ok")


def test_pyomo_highs_then_ortools_backend_in_one_process() -> None:
    code = (
        "from optiscribe.formulate.examples import load_example\n"
        "from optiscribe.solvers import solve\n"
        "m = load_example('furniture').formulation.to_pyomo()\n"
        "a = solve(m, solver='highs'); b = solve(m, solver='ortools')\n"
        "assert a.objective == b.objective, (a, b)\nprint('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
