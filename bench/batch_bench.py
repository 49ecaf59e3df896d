"""Batch benchmark: N problems end to end with the replay backend, wall time and peak RSS.

Inputs are the NL4Opt gold formulations (``optiscribe.data.gold.nl4opt``, when the shared
data is present) or else the bundled examples, replicated with distinct ids; the replay
backend answers each problem with its IR, so every problem goes through the whole
pipeline (parse, validate, compile, solve, checks) and the batch writes it (fsync).

Measured, each with the CLI in a subprocess (as a user runs it):

* ``full``: ``optiscribe batch`` with the real pipeline;
* ``noop``: the same batch with a per-problem function that returns at once, i.e. the
  orchestration alone (process start-up, reading, dispatch, IPC, JSON, fsync);
* ``work``: the pipeline called in this process, sequentially, on a sample of the
  problems: the per-problem compute that no orchestration can avoid.

Peak RSS is sampled every 50 ms over the batch's process tree (psutil).

    .venv/bin/python bench/batch_bench.py --n 1000 --n 10000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def noop(question: str, **_: Any) -> dict[str, Any]:
    """Per-problem function for the orchestration-only run."""
    return {"status": "optimal", "objective": 0.0, "attempts": []}


def _sources() -> list[tuple[str, str]]:
    """(question, IR JSON) pairs to replicate."""
    try:
        from optiscribe.data.gold.nl4opt import gold_records

        recs = [g for g in gold_records() if g.error is None and g.answer is not None]
        if recs:
            return [(g.question, g.ir.to_json(indent=None)) for g in recs]
    except Exception as exc:
        print(f"(NL4Opt gold unavailable: {exc}; using the bundled examples)", file=sys.stderr)
    from optiscribe.formulate.examples import load_examples

    return [(ex.text, ex.formulation.to_json(indent=None)) for ex in load_examples()]


def build(n: int, folder: Path, sources: list[tuple[str, str]]) -> tuple[Path, Path]:
    inp, rep = folder / f"in-{n}.jsonl", folder / f"replay-{n}.jsonl"
    with inp.open("w") as fi, rep.open("w") as fr:
        for i in range(n):
            q, ir = sources[i % len(sources)]
            fi.write(json.dumps({"id": f"b{i:06d}", "question": q}) + "\n")
            fr.write(json.dumps({"id": f"b{i:06d}", "responses": [ir] * 2}) + "\n")
    return inp, rep


def _watch(pid: int, stop: threading.Event, peaks: dict[str, float]) -> None:
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not stop.is_set():
        try:
            procs = [root, *root.children(recursive=True)]
            rss = {p.pid: p.memory_info().rss for p in procs}
        except psutil.Error:
            rss = {}
        if rss:
            main = rss.get(pid, 0)
            others = [v for k, v in rss.items() if k != pid]
            peaks["main_mb"] = max(peaks.get("main_mb", 0), main / 2**20)
            peaks["worker_mb"] = max(peaks.get("worker_mb", 0), max(others, default=0) / 2**20)
            peaks["tree_mb"] = max(peaks.get("tree_mb", 0), sum(rss.values()) / 2**20)
        stop.wait(0.05)


def run_cli(inp: Path, rep: Path, out: Path, *extra: str) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-c",
        "from optiscribe.app.cli import main; main()",
        "batch",
        str(inp),
        str(out),
        "--backend",
        "replay",
        "--replay-file",
        str(rep),
        "--no-progress",
        "--json",
        "--time-limit",
        "10",
        *extra,
    ]
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(ROOT / "bench"), os.environ.get("PYTHONPATH", "")]),
    )
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    stop, peaks = threading.Event(), {}
    watcher = threading.Thread(target=_watch, args=(proc.pid, stop, peaks), daemon=True)
    watcher.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    watcher.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"batch failed ({proc.returncode}): {stderr[-2000:]}")
    stats = json.loads(stdout.strip().splitlines()[-1])
    return {"wall_s": wall, "stats": stats, **peaks}


def sequential_work(inp: Path, rep: Path, sample: int) -> float:
    """Mean seconds of pipeline work per problem, in this process, no orchestration."""
    from optiscribe.formulate.llm.config import BackendConfig
    from optiscribe.formulate.llm.registry import make_backend
    from optiscribe.formulate.pipeline import solve_text

    backend = make_backend(BackendConfig(backend="replay", replay_file=rep))
    lines = inp.read_text().splitlines()[:sample]
    solve_text(
        json.loads(lines[0])["question"], backend=backend, problem_id=json.loads(lines[0])["id"]
    )  # warm-up
    t0 = time.perf_counter()
    for line in lines[1:]:
        obj = json.loads(line)
        solve_text(obj["question"], backend=backend, problem_id=obj["id"], time_limit=10)
    return (time.perf_counter() - t0) / max(1, len(lines) - 1)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--n", type=int, action="append", help="problem counts (repeatable; default 1000)"
    )
    ap.add_argument(
        "--sample", type=int, default=100, help="problems timed sequentially for the work estimate"
    )
    ap.add_argument("--no-noop", action="store_true", help="skip the orchestration-only run")
    args = ap.parse_args()
    sizes = args.n or [1000]
    sources = _sources()
    cores = os.cpu_count() or 1
    print(
        f"{len(sources)} distinct problems, replicated; {cores} cores; python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in sizes:
            inp, rep = build(n, folder, sources)
            full = run_cli(inp, rep, folder / f"out-{n}.jsonl")
            s = full["stats"]
            line = (
                f"n={n}: wall {full['wall_s']:.1f} s (batch loop {s['wall_s']:.1f} s, worker start-up "
                f"{s['startup_s']:.1f} s), {s['succeeded']} ok / {s['failed']} failed, "
                f"{n / full['wall_s']:.1f} problems/s; peak RSS main {full.get('main_mb', 0):.0f} MiB, "
                f"largest worker {full.get('worker_mb', 0):.0f} MiB, whole tree {full.get('tree_mb', 0):.0f} MiB"
            )
            print(line, flush=True)
            if not args.no_noop and n == sizes[0]:
                noop_run = run_cli(
                    inp, rep, folder / f"noop-{n}.jsonl", "--function", "batch_bench:noop"
                )
                work = sequential_work(inp, rep, min(args.sample, n))
                ideal = n * work / cores
                print(
                    f"  orchestration only (noop function): wall {noop_run['wall_s']:.1f} s = "
                    f"{100 * noop_run['wall_s'] / full['wall_s']:.0f} % of the full run",
                    flush=True,
                )
                print(
                    f"  pipeline work per problem (sequential, in-process): {1000 * work:.1f} ms -> "
                    f"{ideal:.1f} s for {n} on {cores} cores if perfectly parallel; orchestration + "
                    f"imbalance = {full['wall_s'] - ideal:.1f} s = "
                    f"{100 * (full['wall_s'] - ideal) / full['wall_s']:.0f} % of the wall time",
                    flush=True,
                )


if __name__ == "__main__":
    main()
