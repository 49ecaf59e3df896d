"""Time of the formulation core per bundled example: validate, compile, solve.

Run from the repository root::

    .venv/bin/python bench/core_bench.py [--reps 20] [--write]

For every example in ``optiscribe.formulate.examples`` it times, ``--reps`` times after one
warm-up pass (so imports, the expression parser's caches and HiGHS are warm):

* **validate**: ``Formulation.from_dict`` (pydantic shape checks) + ``expand`` (semantic
  checks and expansion to linear rows);
* **build**: ``compile_expanded`` (the Pyomo ``ConcreteModel``);
* **solve**: ``optiscribe.solvers.solve(model, solver="highs")``, split into the part
  inside Pyomo's HiGHS interface (``SolveResult.runtime_s``: translation to highspy and
  the HiGHS run) and the rest (reading values and duals back, building the result).

It prints a Markdown section; ``--write`` puts it into ``docs/benchmarks.md`` under
``## Formulation core`` (replacing only that section).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from optiscribe.formulate.examples import load_examples
from optiscribe.formulate.ir.compile import compile_expanded
from optiscribe.formulate.ir.expand import expand
from optiscribe.formulate.ir.model import Formulation
from optiscribe.solvers import solve

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
HEADER = "## Formulation core"


@dataclass(frozen=True)
class Timing:
    """Seconds of one validate + build + solve round of one example."""

    validate: float
    build: float
    solve_interface: float
    solve_rest: float

    @property
    def total(self) -> float:
        return self.validate + self.build + self.solve_interface + self.solve_rest


def time_once(data: dict, expected: float | None) -> Timing:
    t0 = time.perf_counter()
    f = Formulation.from_dict(data)
    em = expand(f)
    t1 = time.perf_counter()
    model = compile_expanded(em)
    t2 = time.perf_counter()
    r = solve(model, solver="highs")
    t3 = time.perf_counter()
    if expected is not None and (
        r.objective is None or abs(r.objective - expected) > 1e-6 * max(1.0, abs(expected))
    ):
        raise SystemExit(f"{f.name}: objective {r.objective} differs from the recorded {expected}")
    return Timing(t1 - t0, t2 - t1, r.runtime_s, (t3 - t2) - r.runtime_s)


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation."""
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def run(reps: int) -> str:
    examples = load_examples()
    inputs = [(e.name, e.formulation.to_dict(), e.optimum) for e in examples]
    for _, data, opt in inputs:  # warm-up: imports, parser caches, HiGHS
        time_once(data, opt)
    per: dict[str, list[Timing]] = {name: [] for name, _, _ in inputs}
    for _ in range(reps):  # interleaved, so drift in machine load spreads over all examples
        for name, data, opt in inputs:
            per[name].append(time_once(data, opt))

    ms = 1000.0
    rows = []
    medians: list[float] = []
    sums = {"validate": 0.0, "build": 0.0, "solve_interface": 0.0, "solve_rest": 0.0}
    for name, ts in per.items():
        totals = [t.total for t in ts]
        med = statistics.median(totals)
        medians.append(med)
        em = expand(Formulation.from_dict(dict(next(d for n, d, _ in inputs if n == name))))
        parts = {k: statistics.median(getattr(t, k) for t in ts) for k in sums}
        for k in sums:
            sums[k] += parts[k]
        rows.append(
            f"| {name} | {em.num_vars} | {em.num_rows} | {med * ms:.1f} | {pct(totals, 0.95) * ms:.1f} | "
            f"{parts['validate'] * ms:.1f} | {parts['build'] * ms:.1f} | {parts['solve_interface'] * ms:.1f} | "
            f"{parts['solve_rest'] * ms:.1f} |"
        )
    all_totals = [t.total for ts in per.values() for t in ts]
    whole = sum(sums.values())
    share = {k: 100.0 * v / whole for k, v in sums.items()}
    median_of_medians = statistics.median(medians)
    verdict = "meets" if median_of_medians < 0.050 else "misses"
    lines = [
        HEADER,
        "",
        "Validate + compile + solve time per bundled example (`optiscribe.formulate.examples`), after one",
        f"warm-up pass, {reps} interleaved repetitions each; HiGHS through `optiscribe.solvers.solve`.",
        "*validate* = `Formulation.from_dict` + `expand` (shape and semantic checks, expansion to rows);",
        "*build* = `compile_expanded` (Pyomo model); *solve (interface)* = time inside Pyomo's HiGHS",
        "interface (`SolveResult.runtime_s`: translation to highspy and the HiGHS run); *solve (rest)* =",
        "reading the solution back and building the `SolveResult`.",
        "",
        "Command (from the repository root):",
        "",
        "```",
        f".venv/bin/python bench/core_bench.py --reps {reps} --write",
        "```",
        "",
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"{len(examples)} examples.",
        "",
        f"- median over examples of the per-example median: **{median_of_medians * ms:.1f} ms** "
        f"({verdict} the 50 ms target)",
        f"- over all {len(all_totals)} runs: median {statistics.median(all_totals) * ms:.1f} ms, "
        f"p95 {pct(all_totals, 0.95) * ms:.1f} ms, max {max(all_totals) * ms:.1f} ms",
        f"- share of the time (sum of per-example medians): validate {share['validate']:.0f}%, "
        f"build {share['build']:.0f}%, solve (interface) {share['solve_interface']:.0f}%, "
        f"solve (rest) {share['solve_rest']:.0f}%",
        "",
        "| example | vars | rows | median ms | p95 ms | validate | build | solve (interface) | solve (rest) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]
    return "\n".join(lines)


def write_section(section: str, path: Path = DOC) -> None:
    """Replace (or append) this benchmark's section of ``docs/benchmarks.md``, leaving the others."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.rstrip() == HEADER), None)
    if start is None:
        new = text.rstrip("\n") + "\n\n" + section
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--write", action="store_true", help=f"update the '{HEADER}' section of {DOC}")
    args = ap.parse_args()
    section = run(args.reps)
    print(section)
    if args.write:
        write_section(section)


if __name__ == "__main__":
    main()
