"""The built-in model measured the way it is used: accuracy per benchmark and route, latency
and load time of ``optiscribe solve`` end to end.

Run from the repository root (the shared data beside it, or ``OPTISCRIBE_SHARED_DATA``)::

    .venv/bin/python bench/builtin_bench.py [--cli-problems 20] [--generate-limit 0]

In one run, on the same problems:

* **accuracy** of the extraction route on NL4Opt test (230, preferred labels), NLP4LP and
  MAMO-Easy, with each tagger (the MiniLM tagger and the CRF it falls back to, the baseline),
  *without* and *with* its self-correction (the repair of a reading that has no
  optimum), through the ``ir`` correction loop exactly as ``optiscribe finetune eval`` runs it
  (one round), scored with the default tolerance; the generative route (SmolLM2 + our
  adapter) on the first ``--generate-limit`` NL4Opt problems as the baseline next to it (it
  takes about 30 s a problem on a loaded 2-core machine: 0 skips it);
* **end to end**: ``optiscribe solve "<problem>"`` as a subprocess for the first
  ``--cli-problems`` NL4Opt problems (wall time from process start to exit: imports, the
  tagger, the rules, HiGHS, the report), and the backend's load time in a fresh process.

It prints a Markdown report; the figures in ``docs/model.md`` come from it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from optiscribe.data.benchmarks import load_benchmark
from optiscribe.data.eval.score import TOLERANCES
from optiscribe.finetune.evaluate import evaluate_builtin
from optiscribe.formulate.errors import ConversionError, FormulationValidationError
from optiscribe.formulate.extract import Extractor
from optiscribe.formulate.extract.encoder import HybridTagger, tagger_status
from optiscribe.formulate.extract.tagger import Tagger
from optiscribe.solvers import solve

BENCHMARKS = ("nl4opt", "nlp4lp", "mamo_easy")


def extraction_accuracy(benchmark: str, *, repair: bool, tagger: str) -> dict[str, Any]:
    """Extraction alone (no loop): how many problems read to the labelled optimum.

    ``tagger``: ``minilm`` (the hybrid of MiniLM and the CRF, the default when its base wheel is installed) or ``crf`` (the
    fallback, and the baseline before the MiniLM tagger).
    """
    records = load_benchmark(benchmark)
    ex = Extractor(HybridTagger() if tagger == "minilm" else Tagger(), repair=repair)
    tol = TOLERANCES["default"]
    correct = solved = 0
    secs: list[float] = []
    for r in records:
        t = time.perf_counter()
        objective = None
        try:
            x = ex.extract(r.question)
            result = solve(x.formulation.to_pyomo(), solver="highs", time_limit=10, diagnose=False)
            if result.is_optimal:
                objective = result.objective
        except (ConversionError, FormulationValidationError):
            pass
        secs.append(time.perf_counter() - t)
        solved += objective is not None
        correct += tol.close(objective, r.answer)
    n = len(records)
    return {"problems": n, "correct": correct, "solved": solved, "accuracy": correct / n,
            "p50_ms": 1000 * statistics.median(secs)}  # fmt: skip


def cli_latency(n: int) -> dict[str, Any]:
    """Wall time of ``optiscribe solve "<text>"`` per problem, and the backend's load time."""
    exe = Path(sys.executable).with_name("optiscribe")
    records = load_benchmark("nl4opt")[:n]
    times: list[float] = []
    ok = 0
    for r in records:
        t = time.perf_counter()
        out = subprocess.run([str(exe), "solve", r.question], capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        ok += out.returncode == 0
    code = (
        "import time; t=time.perf_counter(); "
        "from optiscribe.formulate import BackendConfig, make_backend; "
        "make_backend(BackendConfig()); print(time.perf_counter()-t)"
    )
    load = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.strip())  # fmt: skip
    times.sort()
    return {"problems": n, "exit_0": ok, "p50_s": statistics.median(times),
            "p95_s": times[min(len(times) - 1, int(0.95 * len(times)))], "load_s": load}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli-problems", type=int, default=20)
    ap.add_argument("--generate-limit", type=int, default=0)
    args = ap.parse_args(argv)
    lines = ["| benchmark | route | problems | correct | accuracy | solved | p50 per problem |",
             "| --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    kind, why = tagger_status()
    taggers = ("crf", "minilm") if kind == "minilm" else ("crf",)
    if kind != "minilm":
        print(f"(MiniLM tagger not measured: {why})")
    for b in BENCHMARKS:
        for tagger, repair in [(t, r) for t in taggers for r in (False, True)]:
            s = extraction_accuracy(b, repair=repair, tagger=tagger)
            route = f"extract ({tagger}), " + ("with repair" if repair else "no repair")
            lines.append(f"| {b} | {route} | {s['problems']} | {s['correct']} | "
                         f"{100 * s['accuracy']:.1f} % | {s['solved']} | {s['p50_ms']:.0f} ms |")  # fmt: skip
        loop = evaluate_builtin(None, benchmark=b, limit=0, rounds=1, route="extract")
        lines.append(f"| {b} | extract ({kind}, the default), through the ir loop (1 round) | {loop['problems']} | "
                     f"{loop['correct']} | {100 * loop['accuracy']:.1f} % | {loop['solved']} | "
                     f"{loop['p50_seconds'] * 1000:.0f} ms |")  # fmt: skip
    if args.generate_limit:
        g = evaluate_builtin(None, benchmark="nl4opt", limit=args.generate_limit, rounds=1,
                             route="generate", max_new_tokens=200)  # fmt: skip
        lines.append(f"| nl4opt (first {g['problems']}) | generate (SmolLM2 + LoRA), baseline | "
                     f"{g['problems']} | {g['correct']} | {100 * g['accuracy']:.1f} % | "
                     f"{g['solved']} | {g['p50_seconds']:.1f} s |")  # fmt: skip
    print("\n".join(lines))
    if args.cli_problems:
        c = cli_latency(args.cli_problems)
        print()
        print(json.dumps(c))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
