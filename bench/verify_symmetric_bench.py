"""Symmetric bin packing (identical bins, item sizes 3/5/7 repeated) against a permuted
copy: time of ``check`` and peak memory, each size in a fresh child process.

Run: ``.venv/bin/python bench/verify_symmetric_bench.py [--large]`` (1e4 and 1e5
nonzeros; 1e6 with ``--large``). CPU time (``time.process_time``) is shown next to wall
time because on a shared, loaded machine the wall time is mostly waiting. Peak memory is the child's ``ru_maxrss`` and includes
building both models (about a third of it at 1e6).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp

from optiscribe.verify import MilpData, check

#: (items, bins): about 2 · items · bins nonzeros
SIZES = {"1e4": (160, 32), "1e5": (500, 100), "1e6": (1600, 312)}


def bin_packing(items: int, bins: int, cap: float = 20.0, seed: int = 0) -> MilpData:
    rng = np.random.default_rng(seed)
    size = np.array([3.0, 5.0, 7.0])[rng.integers(0, 3, items)]
    nx = items * bins
    i = np.repeat(np.arange(items), bins)
    b = np.tile(np.arange(bins), items)
    rows = np.concatenate([i, items + b, items + np.arange(bins)])
    cols = np.concatenate([i * bins + b, i * bins + b, nx + np.arange(bins)])
    vals = np.concatenate([np.ones(nx), size[i], np.full(bins, -cap)])
    A = sp.csr_array((vals, (rows, cols)), shape=(items + bins, nx + bins))
    return MilpData.build(
        c=np.r_[np.zeros(nx), np.ones(bins)],
        A=A,
        row_lower=np.r_[np.ones(items), np.full(bins, -np.inf)],
        row_upper=np.r_[np.ones(items), np.zeros(bins)],
        col_upper=np.ones(nx + bins),
        integer=np.ones(nx + bins, dtype=bool),
    )


def permuted(m: MilpData, seed: int = 1) -> MilpData:
    rng = np.random.default_rng(seed)
    pc, pr = rng.permutation(m.num_vars), rng.permutation(m.num_rows)
    return MilpData.build(
        c=m.c[pc],
        A=sp.csr_array(m.A)[pr][:, pc],
        row_lower=m.row_lower[pr],
        row_upper=m.row_upper[pr],
        col_lower=m.col_lower[pc],
        col_upper=m.col_upper[pc],
        integer=m.integer[pc],
    )


def child(label: str) -> None:
    a = bin_packing(*SIZES[label])
    b = permuted(a)
    t, cpu = time.perf_counter(), time.process_time()
    r = check(a, b, time_limit=120.0)
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    out = {
        "nnz": a.nnz,
        "seconds": seconds,
        "cpu": cpu,
        "verdict": r.verdict.value,
        "method": r.method,
        "timings": {k: round(v, 3) for k, v in r.timings.items()},
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(out))


def main() -> None:
    if "--child" in sys.argv:
        child(sys.argv[sys.argv.index("--child") + 1])
        return
    labels = ["1e4", "1e5"] + (["1e6"] if "--large" in sys.argv else [])
    print("| nonzeros | verdict | method | time (wall) | CPU time | split (wall) | peak memory |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label in labels:
        p = subprocess.run(
            [sys.executable, __file__, "--child", label], capture_output=True, text=True
        )
        if p.returncode != 0:
            print(f"| {label} | failed: {p.stderr.strip().splitlines()[-1]} | | | | | |")
            continue
        d = json.loads(p.stdout.strip().splitlines()[-1])
        split = ", ".join(f"{k} {v}" for k, v in d["timings"].items() if k != "total")
        print(
            f"| {d['nnz']} | {d['verdict']} | {d['method']} | {d['seconds']:.2f} s "
            f"| {d['cpu']:.2f} s | {split} "
            f"| {d['peak_mib']:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
