"""Speed-up of the equivalence checker over the ORGEval-style baseline above 1e4 nonzeros.

Run: ``.venv/bin/python bench/verify_ratio_bench.py [--reps N]``. The pairs of
``bench/verify_bench.py`` with more than 1e4 nonzeros (25fv47, 80bau3b, greenbea against
a permuted, renamed copy and a one-coefficient perturbation; synthetic 1e5, 3e5 and 1e6
nonzeros against a permuted copy), both methods back to back on the same in-memory pair,
interleaved, best of ``--reps`` (default 5; 2 at 3e5 and above). Prints a markdown table
with optiscribe's verdict, refinement path and time split.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _orgeval_baseline import orgeval_check
from verify_bench import HC, permuted, perturbed, synthetic

from optiscribe.verify import check, read_model


def cases():
    for name in ("25fv47", "80bau3b", "greenbea"):
        path = HC / f"{name}.mps"
        if not path.exists():
            continue
        m = read_model(path)
        yield f"{name} permuted", m, permuted(m, 1)
        yield f"{name} perturbed", m, perturbed(m)
    for nnz in (10**5, 3 * 10**5, 10**6):
        m = synthetic(nnz)
        yield f"synthetic {nnz:.0e} permuted", m, permuted(m, 2)


def main() -> None:
    reps = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 5
    print(
        "| case | nnz | optiscribe | ORGEval-style | ratio | verdict | refinement | split "
        "(canon/refine/decide/verify ms) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for case, a, b in cases():
        n = reps if a.nnz < 200_000 else min(reps, 2)
        to, tg, best = [], [], None
        for _ in range(n):
            t = time.perf_counter()
            r = check(a, b)
            to.append(time.perf_counter() - t)
            if to[-1] == min(to):
                best = r
            t = time.perf_counter()
            orgeval_check(a, b)
            tg.append(time.perf_counter() - t)
        assert best is not None
        path = next(
            (s.split(": ", 1)[1] for s in best.steps if s.startswith("colour refinement:")), "n/a"
        )
        path = {True: "hash"}.get(path.startswith("64-bit"), path)
        if "checked equitable" in next(
            (s for s in best.steps if s.startswith("colour refinement:")), ""
        ):
            path = "hash + equitability check"
        tm = best.timings
        split = "/".join(
            f"{tm.get(k, 0.0) * 1000:.1f}" for k in ("canonicalise", "refine", "decide", "verify")
        )
        o, g = min(to), min(tg)
        print(
            f"| {case} | {a.nnz} | {o * 1000:.1f} ms | {g * 1000:.1f} ms | {g / o:.1f}x | "
            f"{best.verdict.value} | {path} | {split} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
