"""The batch run: read, skip what is done, dispatch to an executor, store, count."""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optiscribe.data.batch.executors import (
    LocalExecutor,
    RayExecutor,
    RunSpec,
    ThreadExecutor,
    _Executor,
    resolve_function,
)
from optiscribe.data.batch.input import InputScan, Problem, read_problems, scan_input
from optiscribe.data.batch.store import ResultStore, StoreState, _is_success
from optiscribe.data.errors import DataError

__all__ = ["EXECUTORS", "BatchStats", "run_batch"]


EXECUTORS = ("local", "thread", "ray")


# ----------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class BatchStats:
    """What a batch run did; the CLI prints it as the closing summary."""

    input_problems: int
    bad_lines: int
    already_done: int
    ran: int
    succeeded: int
    failed: int
    interrupted: bool
    wall_s: float
    work_s: float
    """Sum of the problems' wall times (they overlap: LLM waits run concurrently)."""
    workers: int
    torn_bytes_repaired: int
    failure_reasons: Mapping[str, int]
    output: str
    startup_s: float = 0.0

    @property
    def rate(self) -> float:
        """Problems finished per second of wall time."""
        return self.ran / self.wall_s if self.wall_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["failure_reasons"] = dict(self.failure_reasons)
        d["rate"] = self.rate
        return d


class _Counter:
    def __init__(self) -> None:
        self.ok = 0
        self.failed = 0
        self.work_s = 0.0
        self.reasons: dict[str, int] = {}

    def add(self, records: list[dict[str, Any]]) -> None:
        for r in records:
            self.work_s += float((r.get("batch") or {}).get("elapsed_s") or 0.0)
            if _is_success(r):
                self.ok += 1
            else:
                self.failed += 1
                reason = (r.get("error") or {}).get("type") or str(r.get("status"))
                self.reasons[reason] = self.reasons.get(reason, 0) + 1


ProgressFn = Callable[[int, int, int], None]
"""``progress(done, failed, total)`` after every write (the CLI drives a rich bar with it)."""


def run_batch(
    input_path: str | Path,
    output_path: str | Path,
    spec: RunSpec,
    *,
    executor: str = "local",
    concurrency: int = 16,
    workers: int | None = None,
    address: str | None = None,
    backend: Any = None,
    retry_failed: bool = False,
    limit: int | None = None,
    progress: ProgressFn | None = None,
    on_start: Callable[[int, StoreState, InputScan], None] | None = None,
    stop: threading.Event | None = None,
    handle_signals: bool = True,
) -> BatchStats:
    """Run every problem of ``input_path`` not yet in ``output_path``; see the module docstring.

    ``backend`` (an object) forces the ``thread`` executor, since an object cannot be
    rebuilt in another process. ``limit`` caps how many problems run now (the rest stay
    for a later run). Raises :class:`DataError` before running anything when the output
    cannot be written or the backend/function cannot be set up.
    """
    if executor not in EXECUTORS:
        raise DataError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    scan = scan_input(input_path)
    store = ResultStore(output_path, retry_failed=retry_failed)
    stop = stop or threading.Event()
    counter = _Counter()
    try:
        done_before = store.state.done
        todo = sum(1 for _ in _todo(input_path, done_before, None))
        todo = min(todo, limit) if limit is not None else todo
        # Fail fast on configuration: the backend and the function must exist here too.
        if backend is None:
            resolve_function(spec.function)
        runner: _Executor
        if backend is not None or executor == "thread":
            runner = ThreadExecutor(spec, concurrency=concurrency, backend=backend)
        elif executor == "ray":
            runner = RayExecutor(spec, concurrency=concurrency, address=address)
        else:
            if getattr(spec.backend_config, "backend", None) == "replay":
                # Replayed answers come at once: there is no LLM wait to overlap, and extra
                # threads only hand the compute lock around (measured: 1.6x slower).
                concurrency = min(concurrency, workers or os.cpu_count() or 1)
            # The workers build the backend (a bad configuration comes back as their
            # "fatal" message); building it here too would hold, e.g., a whole replay file
            # in the parent for nothing and make its memory grow with the input.
            runner = LocalExecutor(spec, concurrency=concurrency, workers=workers)
        if on_start is not None:
            on_start(todo, store.state, scan)

        def sink(records: list[dict[str, Any]]) -> None:
            store.append(records)
            counter.add(records)
            if progress is not None:
                progress(counter.ok + counter.failed, counter.failed, todo)

        t0 = time.perf_counter()
        with _signals_set(stop, enabled=handle_signals):
            runner.run(_todo(input_path, done_before, limit), sink, stop)
        wall = time.perf_counter() - t0
    finally:
        store.close()
    return BatchStats(
        input_problems=scan.problems,
        bad_lines=len(scan.issues),
        already_done=len(done_before),
        ran=counter.ok + counter.failed,
        succeeded=counter.ok,
        failed=counter.failed,
        interrupted=stop.is_set(),
        wall_s=wall,
        work_s=counter.work_s,
        workers=getattr(runner, "workers", 1) or 1,
        torn_bytes_repaired=store.state.torn_bytes,
        failure_reasons=dict(sorted(counter.reasons.items(), key=lambda kv: -kv[1])),
        output=str(output_path),
        startup_s=getattr(runner, "startup_s", 0.0),
    )


def _todo(path: str | Path, done: frozenset[str], limit: int | None) -> Iterator[Problem]:
    n = 0
    for item in read_problems(path):
        if isinstance(item, Problem) and item.id not in done:
            if limit is not None and n >= limit:
                return
            n += 1
            yield item


class _signals_set:
    """SIGINT/SIGTERM set ``stop`` instead of raising mid-write (main thread only)."""

    def __init__(self, stop: threading.Event, *, enabled: bool) -> None:
        self.stop = stop
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self.old: dict[int, Any] = {}

    def __enter__(self) -> None:
        if not self.enabled:
            return

        def handler(signum: int, frame: Any) -> None:
            if self.stop.is_set() and signum == signal.SIGINT:
                raise KeyboardInterrupt  # a second Ctrl-C: the user insists
            self.stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            self.old[sig] = signal.signal(sig, handler)

    def __exit__(self, *exc: object) -> None:
        for sig, old in self.old.items():
            signal.signal(sig, old)
