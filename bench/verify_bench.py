"""Speed of the equivalence checker against ORGEval-style WL, networkx VF2 and a solver.

Run: ``.venv/bin/python bench/verify_bench.py [--quick]``; writes
``docs/verify_bench_times.png`` and prints a markdown table. Baselines get a per-case
timeout (SIGALRM) and are reported as "> T s".
"""

from __future__ import annotations

import signal
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _orgeval_baseline import orgeval_check

from optiscribe.data.benchmarks import shared_data_dir
from optiscribe.data.errors import DataError
from optiscribe.verify import MilpData, check, read_model
from optiscribe.verify._solver import solver_opinion

try:  # $OPTISCRIBE_SHARED_DATA or ../shared/data beside the repository
    SHARED = shared_data_dir()
except DataError:  # the runs need it; importing the helpers (tests) does not
    SHARED = Path("shared-data-not-found")
HC = SHARED / "instances" / "highs-check"
ROOT = Path(__file__).resolve().parents[1]


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def timed(fn, limit: float):
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    t = time.perf_counter()
    try:
        out = fn()
        return time.perf_counter() - t, out
    except Timeout:
        return None, None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def permuted(m: MilpData, seed: int = 0) -> MilpData:
    rng = np.random.default_rng(seed)
    pc, pr = rng.permutation(m.num_vars), rng.permutation(m.num_rows)
    return MilpData.build(
        c=m.c[pc],
        A=m.A[pr][:, pc],
        row_lower=m.row_lower[pr],
        row_upper=m.row_upper[pr],
        col_lower=m.col_lower[pc],
        col_upper=m.col_upper[pc],
        integer=m.integer[pc],
        sense=m.sense,
        offset=m.offset,
        var_names=[f"v{j}" for j in pc],
        row_names=[f"r{i}" for i in pr],
    )


def perturbed(m: MilpData) -> MilpData:
    A = sp.csr_array(m.A)
    d = A.data.copy()
    d[A.nnz // 2] *= 1.37
    return MilpData.build(
        c=m.c,
        A=sp.csr_array((d, A.indices, A.indptr), shape=A.shape),
        row_lower=m.row_lower,
        row_upper=m.row_upper,
        col_lower=m.col_lower,
        col_upper=m.col_upper,
        integer=m.integer,
        sense=m.sense,
        offset=m.offset,
        var_names=m.var_names,
        row_names=m.row_names,
    )


def synthetic(nnz: int, seed: int = 0) -> MilpData:
    """Random MILP with ~nnz nonzeros, 10 per row, integer-valued data (some repeats)."""
    rng = np.random.default_rng(seed)
    rows = max(nnz // 10, 1)
    n = max(rows // 2, 2)
    r = np.repeat(np.arange(rows), 10)
    c = rng.integers(0, n, r.size)
    A = sp.csr_array((rng.integers(1, 20, r.size).astype(float), (r, c)), shape=(rows, n))
    return MilpData.build(
        c=rng.integers(0, 10, n),
        A=A,
        row_lower=np.full(rows, -np.inf),
        row_upper=rng.integers(10, 100, rows).astype(float),
        integer=rng.random(n) < 0.3,
        col_upper=np.full(n, 50.0),
    )


def vf2(a: MilpData, b: MilpData) -> bool:
    import networkx as nx
    from networkx.algorithms import isomorphism as iso

    from optiscribe.verify._canon import label_pair, prepare
    from optiscribe.verify._refine import build_union, refine

    ga, gb, _ = label_pair(prepare(a), prepare(b))
    u = build_union(ga, gb)
    col = refine(u).colours
    graphs = []
    for g, (_ov, _orr) in ((0, (u.offsets[0], u.offsets[1])), (1, (u.offsets[2], u.offsets[3]))):
        G = nx.Graph()
        sel = np.flatnonzero(u.owner == g)
        for v in sel:
            G.add_node(int(v), c=int(col[v]))
        src = np.repeat(u.row_nodes, u.row_deg)
        for s, d, w in zip(src, u.row_dst, u.row_w):
            if u.owner[s] == g:
                G.add_edge(int(s), int(d), w=int(w))
        graphs.append(G)
    return iso.GraphMatcher(
        graphs[0],
        graphs[1],
        node_match=lambda x, y: x["c"] == y["c"],
        edge_match=lambda x, y: x["w"] == y["w"],
    ).is_isomorphic()


VF2_LIMIT = 10.0  # VF2 times out on everything above a few thousand nonzeros anyway


def run_case(name, a, b, limit, methods):
    out = {"case": name, "nnz": a.nnz}
    for meth in methods:
        lim = min(limit, VF2_LIMIT) if meth == "vf2" else limit
        fn = {
            "optiscribe": lambda: check(a, b).verdict.value,
            "orgeval": lambda: orgeval_check(a, b),
            "vf2": lambda: vf2(a, b),
            "solver": lambda: solver_opinion(a, b, time_limit=limit).agree,
        }[meth]
        reps = 3 if meth == "optiscribe" and a.nnz < 200_000 else 1
        times, res = [], None
        for _ in range(reps):
            t, res = timed(fn, lim)
            if t is None:
                times = [None]
                out[meth + "_limit"] = lim
                break
            times.append(t)
        out[meth] = None if times[0] is None else min(times)
        out[meth + "_result"] = res
    return out


def main() -> None:
    quick = "--quick" in sys.argv
    limit = 10.0 if quick else 30.0
    methods = ["optiscribe", "orgeval", "vf2", "solver"]
    rows = []
    names = sorted(p.name for p in HC.glob("*.mps")) if HC.exists() else []
    for name in names:
        try:
            m = read_model(HC / name)
        except Exception:
            continue
        if m.nnz == 0:
            continue
        rows.append(run_case(f"{name} permuted", m, permuted(m, 1), limit, methods))
        rows.append(run_case(f"{name} perturbed", m, perturbed(m), limit, methods))
        print(rows[-2], flush=True)
    sizes = [10**3, 10**4, 10**5] if quick else [10**3, 10**4, 10**5, 3 * 10**5, 10**6]
    for nnz in sizes:
        m = synthetic(nnz)
        meths = methods if nnz <= 10**5 else ["optiscribe", "orgeval"]
        rows.append(run_case(f"synthetic {nnz:.0e} permuted", m, permuted(m, 2), limit, meths))
        rows[-1].update(child_peak(nnz))
        print(rows[-1], flush=True)
    report(rows, limit)


_CHILD = """
import resource, sys, time
sys.path.insert(0, {bench!r})
from verify_bench import permuted, synthetic
from optiscribe.verify import check
m = synthetic({nnz}); b = permuted(m, 2)
def hwm():  # VmHWM is per address space and reset by exec (ru_maxrss is inherited)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
before = hwm()
t = time.perf_counter(); r = check(m, b); t = time.perf_counter() - t
print(t, before, hwm(), r.verdict.value)
"""


def child_peak(nnz: int) -> dict:
    """Time and peak RSS of one check in a fresh child process (nothing else in it but
    the two models), so the baselines' memory does not count."""
    import subprocess

    code = _CHILD.format(bench=str(Path(__file__).resolve().parent), nnz=nnz)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return {
        "child_s": float(out[0]),
        "rss_models_mib": int(out[1]) / 1024,
        "peak_rss_mib": int(out[2]) / 1024,
        "child_verdict": out[3],
    }


def _fmt(t, limit):
    return f"> {limit:.0f} s" if t is None else (f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s")


def report(rows, limit):
    small = [r["optiscribe"] for r in rows if r["nnz"] <= 1000 and r["optiscribe"]]
    print(
        f"\nmedian optiscribe time on instances with <= 1000 nonzeros: "
        f"{statistics.median(small) * 1000:.2f} ms over {len(small)} pairs"
    )
    print("\n| case | nnz | optiscribe | verdict | ORGEval-style | VF2 (networkx) | solver |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        if r["nnz"] >= 2000 or r["case"].startswith("synthetic"):
            lim = {m: r.get(m + "_limit", limit) for m in ("orgeval", "vf2", "solver")}
            print(
                f"| {r['case']} | {r['nnz']} | {_fmt(r['optiscribe'], limit)} | "
                f"{r['optiscribe_result']} | {_fmt(r.get('orgeval'), lim['orgeval'])} | "
                f"{_fmt(r.get('vf2'), lim['vf2']) if 'vf2' in r else 'n/a'} | "
                f"{_fmt(r.get('solver'), lim['solver']) if 'solver' in r else 'n/a'} |"
            )
    big = [r for r in rows if r["nnz"] > 10**4 and r["optiscribe"]]
    for r in big:
        o = r.get("orgeval")
        ratio = f">{limit / r['optiscribe']:.0f}" if o is None else f"{o / r['optiscribe']:.0f}"
        print(f"speed-up over ORGEval-style on {r['case']}: {ratio}x")
    for r in rows:
        if "peak_rss_mib" in r:
            print(
                f"{r['case']}: child process check {r['child_s']:.2f} s "
                f"({r['child_verdict']}), RSS after building both models "
                f"{r['rss_models_mib']:.0f} MiB, peak RSS {r['peak_rss_mib']:.0f} MiB"
            )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    for meth, mk in (("optiscribe", "o"), ("orgeval", "s"), ("vf2", "^"), ("solver", "x")):
        pts = [(r["nnz"], r[meth]) for r in rows if r.get(meth)]
        if pts:
            x, y = zip(*pts)
            ax.loglog(x, y, mk, label=meth, alpha=0.7)
    ax.axhline(limit, color="grey", ls=":", label=f"timeout {limit:.0f} s (VF2 {VF2_LIMIT:.0f} s)")
    ax.set_xlabel("nonzeros")
    ax.set_ylabel("seconds per pair")
    ax.set_title("Equivalence check time vs model size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(ROOT / "docs" / "verify_bench_times.png", dpi=110)


if __name__ == "__main__":
    main()
