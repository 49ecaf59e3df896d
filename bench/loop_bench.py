"""Overhead of the formulate loop outside the LLM call, on the bundled examples.

For each example a scripted backend answers with the example's own IR, so one round is
parse → validate/expand → compile to Pyomo → HiGHS → status and suspicious-result checks.
The time per problem is ``solve_text``'s wall time minus the (near-zero) LLM time,
median over ``--repeat`` runs after one warm-up run (imports, first HiGHS load).
Target: median over problems under 50 ms.

    python bench/loop_bench.py [--repeat 5] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

STAGES = ("parse_s", "validate_s", "compile_s", "solve_s", "checks_s")
TARGET_MS = 50.0


def bench(repeat: int) -> list[dict[str, object]]:
    from optiscribe.formulate.examples import load_examples
    from optiscribe.formulate.llm.scripted import ScriptedBackend
    from optiscribe.formulate.pipeline import solve_text

    rows: list[dict[str, object]] = []
    examples = load_examples()
    for ex in examples:  # warm-up: imports, HiGHS, Pyomo's writers
        solve_text(ex.text, backend=ScriptedBackend([json.dumps(ex.formulation.to_dict())]))
    for ex in examples:
        answer = json.dumps(ex.formulation.to_dict())
        overheads: list[float] = []
        stages: dict[str, list[float]] = {s: [] for s in STAGES}
        status = ""
        for _ in range(repeat):
            res = solve_text(ex.text, backend=ScriptedBackend([answer]))
            status = res.status
            overheads.append(res.timings["total_s"] - res.timings["llm_s"])
            for s in STAGES:
                stages[s].append(res.attempts[-1].timings.get(s, 0.0))
        rows.append(
            {
                "name": ex.name,
                "status": status,
                "overhead_ms": 1000 * statistics.median(overheads),
                **{s[:-2] + "_ms": 1000 * statistics.median(v) for s, v in stages.items()},
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--markdown", action="store_true", help="print a Markdown table for docs/benchmarks.md"
    )
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = bench(args.repeat)
    overall = statistics.median(float(r["overhead_ms"]) for r in rows)  # type: ignore[arg-type]
    worst = max(rows, key=lambda r: float(r["overhead_ms"]))  # type: ignore[arg-type]
    cols = ["name", "status", "overhead_ms", *(s[:-2] + "_ms" for s in STAGES)]
    if args.markdown:
        print("| " + " | ".join(cols) + " |")
        print("|" + "---|" * len(cols))
        for r in rows:
            print(
                "| "
                + " | ".join(f"{r[c]:.1f}" if isinstance(r[c], float) else str(r[c]) for c in cols)
                + " |"
            )
    else:
        for r in rows:
            print(
                "  ".join(
                    f"{r[c]:8.1f}" if isinstance(r[c], float) else f"{r[c]!s:<22}" for c in cols
                )
            )
    print(
        f"\n{len(rows)} problems, median overhead {overall:.1f} ms (target < {TARGET_MS:.0f} ms), "
        f"max {float(worst['overhead_ms']):.1f} ms ({worst['name']}); "  # type: ignore[arg-type]
        f"python {platform.python_version()}, {time.perf_counter() - t0:.1f} s in all"
    )
    return 0 if overall < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
