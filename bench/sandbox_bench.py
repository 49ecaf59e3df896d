"""Per-run latency of sandboxed code execution, measured side by side in one run.

Runs the same small Pyomo MILP (solved with HiGHS) three ways:

* ``warm``  - :class:`WarmPoolExecutor` (Pyomo/HiGHS preloaded, fresh fork per job);
* ``cold``  - :class:`SubprocessExecutor` (one namespaced interpreter per run);
* ``plain`` - ``python -c CODE`` with no sandbox at all (the floor a cold run pays).

The order is interleaved (warm, cold, plain, warm, ...) so background load hits all
three alike. Usage::

    .venv/bin/python bench/sandbox_bench.py --runs 20
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

from optiscribe.solvers.sandbox import SubprocessExecutor, WarmPoolExecutor, probe_isolation

CODE = """
import pyomo.environ as pyo
m = pyo.ConcreteModel()
m.P = pyo.Set(initialize=["door", "window"])
profit = {"door": 3, "window": 5}
m.x = pyo.Var(m.P, domain=pyo.NonNegativeIntegers)
m.obj = pyo.Objective(expr=sum(profit[p] * m.x[p] for p in m.P), sense=pyo.maximize)
m.c1 = pyo.Constraint(expr=m.x["door"] <= 4)
m.c2 = pyo.Constraint(expr=2 * m.x["window"] <= 12)
m.c3 = pyo.Constraint(expr=3 * m.x["door"] + 2 * m.x["window"] <= 18)
res = pyo.SolverFactory("highs").solve(m)
print(res.solver.termination_condition, pyo.value(m.obj))
"""


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    args = ap.parse_args()

    cold = SubprocessExecutor()
    times: dict[str, list[float]] = {"warm": [], "cold": [], "plain": []}
    with WarmPoolExecutor() as pool:

        def warm() -> str:
            r = pool.run(CODE)
            assert r.ok and r.reports, r.summary
            return r.stdout

        def cold_run() -> str:
            r = cold.run(CODE)
            assert r.ok and r.reports, r.summary
            return r.stdout

        def plain() -> str:
            out = subprocess.run(
                [sys.executable, "-c", CODE], capture_output=True, text=True, check=True
            )
            return out.stdout

        runners = {"warm": warm, "cold": cold_run, "plain": plain}
        for _ in range(args.warmup):
            for fn in runners.values():
                fn()
        for _ in range(args.runs):
            for name, fn in runners.items():
                t0 = time.perf_counter()
                out = fn()
                times[name].append(time.perf_counter() - t0)
                assert "optimal 36.0" in out, (name, out)
        workers = pool.size

    print(
        f"# {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, pool size {workers}, {args.runs} runs each"
    )
    print(f"# isolation: {probe_isolation().describe()}")
    print("| mode | p50 ms | p95 ms | mean ms | min ms |")
    print("|---|---:|---:|---:|---:|")
    for name, label in (
        ("warm", "warm pool (WarmPoolExecutor)"),
        ("cold", "cold sandbox (SubprocessExecutor)"),
        ("plain", "plain `python -c`, no sandbox"),
    ):
        xs = [t * 1000 for t in times[name]]
        print(
            f"| {label} | {_pct(xs, 0.5):.0f} | {_pct(xs, 0.95):.0f} | "
            f"{statistics.mean(xs):.0f} | {min(xs):.0f} |"
        )


if __name__ == "__main__":
    main()
