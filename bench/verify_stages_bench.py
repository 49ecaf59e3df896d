"""Where the time of an end-to-end check goes, stage by stage, on the pairs of
``verify_e2e_bench.py`` (the highs-check instances and synthetic models against a
permuted copy, from files).

Run: ``.venv/bin/python bench/verify_stages_bench.py [--max-nnz N] [--min-nnz N] [--reps N]
[--only NAME,NAME]`` (defaults: pairs of at most 100 nonzeros, 100 passes; ``--only`` keeps
the named pairs of those). Each stage ``check`` calls (reading,
canonical form, numbers and graphs, union, refinement, search, certificate check, result
objects) is wrapped by a timer in ``optiscribe.verify._check``'s namespace; "rest" is what
the wrappers do not cover. CPU time of the process, mean per pair; a wrapper costs about
a microsecond, so the small stages read a little high.
"""

from __future__ import annotations

import collections
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify_e2e_bench import pairs

import optiscribe.verify._check as _check
from optiscribe.verify import check, read_model

STAGES = (
    "read_model",
    "prepare",
    "label_pair",
    "build_union",
    "refine",
    "probe",
    "sd_status",
    "sd_mapping",
    "search_incremental",
    "search",
    "mapping_is_isomorphism",
    "verify_mapping",
    "_certificate",
    "_to_original",
    "_discrete_mapping",
    "_invariant_witness",
    "_replace",
    "CheckResult",
)


def _arg(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def _timed(acc: collections.Counter[str], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kw: Any) -> Any:
        t = time.process_time()
        try:
            return fn(*args, **kw)
        finally:
            acc[name] += time.process_time() - t

    return wrapper


def main() -> None:
    hi, lo, reps = _arg("--max-nnz", 100), _arg("--min-nnz", 0), _arg("--reps", 100)
    with tempfile.TemporaryDirectory(prefix="verify_stages_") as d:
        only = (
            set(sys.argv[sys.argv.index("--only") + 1].split(",")) if "--only" in sys.argv else None
        )
        sel = [
            (n, a, b)
            for n, a, b in pairs(Path(d), False, hi)
            if read_model(a).nnz >= lo and (only is None or n in only)
        ]
        acc: collections.Counter[str] = collections.Counter()
        for name in STAGES:
            setattr(_check, name, _timed(acc, name, getattr(_check, name)))
        for _ in range(3):  # warm
            for _, a, b in sel:
                check(a, b)
        acc.clear()
        t = time.process_time()
        for _ in range(reps):
            for _, a, b in sel:
                check(a, b)
        total = (time.process_time() - t) / reps / len(sel) * 1e6
    print(f"{len(sel)} pairs of {lo} to {hi} nonzeros; CPU time per pair {total:.0f} us")
    covered = 0.0
    for name, v in acc.most_common():
        us = v / reps / len(sel) * 1e6
        covered += us
        print(f"  {name:24s} {us:8.0f} us  {us / total * 100:5.1f} %")
    print(f"  {'rest':24s} {total - covered:8.0f} us")


if __name__ == "__main__":
    main()
