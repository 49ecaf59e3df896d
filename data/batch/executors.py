"""Running problems: the per-problem call and the executors (threads, worker processes, Ray)."""

from __future__ import annotations

import atexit
import ctypes
import importlib
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from typing import Any, Protocol

from optiscribe.data.batch.input import Problem
from optiscribe.data.batch.record import (
    error_info,
    make_record,
)
from optiscribe.data.errors import DataError
from optiscribe.formulate.llm.registry import make_backend
from optiscribe.solvers.kinds import FailureKind
from optiscribe.solvers.sandbox import WarmPoolExecutor

__all__ = [
    "DEFAULT_FUNCTION",
    "LocalExecutor",
    "RayExecutor",
    "RunSpec",
    "Sink",
    "ThreadExecutor",
    "WorkerFatal",
    "WorkerMessage",
    "WorkerReady",
    "WorkerResult",
    "resolve_function",
    "run_one",
]


DEFAULT_FUNCTION = "optiscribe.formulate.pipeline:solve_text"
"""The per-problem function (``module:callable``) a batch runs unless told otherwise."""

_WORKER_RETRIES = 1
"""How many times a problem is re-run after its worker process died under it."""


# --------------------------------------------------------------------------- per problem


@dataclass(frozen=True)
class RunSpec:
    """How each problem is run; picklable, so it travels to worker processes and Ray.

    ``backend_config`` is rebuilt into a backend once per worker with
    :func:`~optiscribe.formulate.llm.registry.make_backend`. ``function`` names the per-problem
    function as ``module:callable``; it is called as
    ``fn(question, backend=..., mode=..., samples=..., max_rounds=..., solver=...,
    time_limit=..., problem_id=id)`` and returns an object with ``to_dict()`` (or a dict).
    """

    backend_config: Any = None
    function: str = DEFAULT_FUNCTION
    mode: str = "ir"
    samples: int = 1
    max_rounds: int = 5
    solver: str = "highs"
    time_limit: float | None = 60.0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "samples": self.samples,
            "max_rounds": self.max_rounds,
            "solver": self.solver,
            "time_limit": self.time_limit,
            **dict(self.extra),
        }


def resolve_function(target: str) -> Callable[..., Any]:
    """Import ``module:callable``; a clear :class:`DataError` when it does not exist."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise DataError(f"function {target!r} must be written 'module:callable'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DataError(
            f"cannot import {module_name!r} for the per-problem function {target!r}: {exc}"
        ) from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise DataError(
            f"module {module_name!r} has no {attr!r} (per-problem function {target!r})"
        ) from None


def _build_backend(spec: RunSpec) -> Any:
    if spec.backend_config is None:
        return None

    return make_backend(spec.backend_config)


class _ComputeSlot:
    """Backend proxy: a problem holds its process's compute lock except while it waits
    for the LLM.

    Why: compile and solve are CPU work (and Pyomo's solver-output capture swaps the
    process-wide stdout descriptors, so two solves on threads of one process deadlock).
    So within a process only one problem computes at a time, and many wait on the
    network at once: LLM requests overlap, solver work spreads over the worker processes.
    """

    def __init__(self, inner: Any, lock: threading.Lock) -> None:
        self._inner = inner
        self._lock = lock

    def complete(self, messages: Any, **kwargs: Any) -> Any:
        self._lock.release()
        try:
            return self._inner.complete(messages, **kwargs)
        finally:
            self._lock.acquire()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __repr__(self) -> str:
        return repr(self._inner)


_PROCESS_LOCK = threading.Lock()
"""The compute lock of this process (see :class:`_ComputeSlot`)."""


_SANDBOX_POOL: Any = None
_SANDBOX_POOL_LOCK = threading.Lock()


def _sandbox_pool() -> Any:
    """This worker process's warm sandbox pool for code mode, started on first use.

    One pool per worker process (size 1: compute runs under the process lock anyway),
    closed when the process exits; it saves the interpreter start-up of every run.
    """
    global _SANDBOX_POOL
    with _SANDBOX_POOL_LOCK:
        if _SANDBOX_POOL is None:
            _SANDBOX_POOL = WarmPoolExecutor(size=1)
            atexit.register(_SANDBOX_POOL.close)
        return _SANDBOX_POOL


def run_one(
    problem: Problem,
    fn: Callable[..., Any],
    backend: Any,
    spec: RunSpec,
    *,
    tries: int = 1,
    worker: str = "",
    lock: threading.Lock | None = None,
) -> dict[str, Any]:
    """Run one problem; never raises for a failure of the problem (it becomes the record).

    The problem's compute runs under ``lock`` (the process's, by default) and the lock is
    released while the backend is asked; ``elapsed_s`` is the problem's wall time.
    """
    lock = _PROCESS_LOCK if lock is None else lock
    t0 = time.perf_counter()
    try:
        with lock:
            proxied = _ComputeSlot(backend, lock) if backend is not None else None
            kwargs = spec.kwargs()
            if spec.mode.startswith("code") and "executor" not in kwargs:
                kwargs["executor"] = _sandbox_pool()
            if (
                spec.mode.startswith("code") and "data" in problem.fields
            ):  # the program's `data` global
                kwargs["code_globals"] = {"data": problem.fields["data"]}
            out = fn(problem.question, backend=proxied, problem_id=problem.id, **kwargs)
            data = out.to_dict() if hasattr(out, "to_dict") else dict(out)
        err = None
    except Exception as exc:
        data, err = None, error_info(exc)
    return make_record(problem, data, err, time.perf_counter() - t0, tries=tries, worker=worker)


# ------------------------------------------------------------------------------ executors


class Sink(Protocol):
    def __call__(self, records: list[dict[str, Any]]) -> None: ...


class _Executor(Protocol):
    def run(self, problems: Iterator[Problem], sink: Sink, stop: threading.Event) -> None: ...


class ThreadExecutor:
    """Everything in this process on a thread pool; the backend object is shared."""

    name = "thread"

    def __init__(
        self,
        spec: RunSpec,
        *,
        concurrency: int = 8,
        backend: Any = None,
        fn: Callable[..., Any] | None = None,
    ) -> None:
        self.spec = spec
        self.concurrency = max(1, concurrency)
        self.backend = backend if backend is not None else _build_backend(spec)
        self.fn = fn if fn is not None else resolve_function(spec.function)
        self.workers = 1

    def run(self, problems: Iterator[Problem], sink: Sink, stop: threading.Event) -> None:
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="optiscribe-batch") as pool:
            pending: set[Any] = set()
            exhausted = False
            while pending or not exhausted:
                while not exhausted and not stop.is_set() and len(pending) < self.concurrency:
                    p = next(problems, None)
                    if p is None:
                        exhausted = True
                        break
                    pending.add(
                        pool.submit(run_one, p, self.fn, self.backend, self.spec, worker="thread")
                    )
                if stop.is_set():
                    exhausted = True
                if not pending:
                    break
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                if done:
                    sink([f.result() for f in done])
            if stop.is_set():
                for f in pending:
                    f.cancel()


# -- local: worker processes, threads inside each


@dataclass(frozen=True)
class WorkerReady:
    """Worker -> parent: the backend and the function are built; tasks may come."""

    wid: int
    pid: int


@dataclass(frozen=True)
class WorkerFatal:
    """Worker -> parent: the backend or the per-problem function could not be built."""

    wid: int
    reason: str


@dataclass(frozen=True)
class WorkerResult:
    """Worker -> parent: the result line of task ``seq``."""

    wid: int
    seq: int
    record: dict[str, Any]


WorkerMessage = WorkerReady | WorkerFatal | WorkerResult
"""Everything a worker process sends on the results queue (picklable frozen dataclasses)."""

_Task = tuple[int, Problem, int]  # (seq, problem, tries)


def _worker_main(
    wid: int, spec: RunSpec, threads: int, tasks: Any, results: Any, parent: int
) -> None:
    """Worker process: build the backend once, run tasks on ``threads`` threads."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    _die_with_parent()
    if os.getppid() != parent:  # killed while we were starting, before the line above
        os._exit(0)
    # Solver logs must not garble the parent's stdout (``--json``, the summary table).
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    try:
        backend = _build_backend(spec)
        fn = resolve_function(spec.function)
    except Exception as exc:
        results.put(WorkerFatal(wid, f"{type(exc).__name__}: {exc}"))
        return
    results.put(WorkerReady(wid, os.getpid()))
    label = f"w{wid}:{os.getpid()}"

    def work(task: _Task) -> None:
        seq, problem, tries = task
        record = run_one(problem, fn, backend, spec, tries=tries, worker=label)
        results.put(WorkerResult(wid, seq, record))

    with ThreadPoolExecutor(threads, thread_name_prefix=f"optiscribe-w{wid}") as pool:
        while True:
            try:
                task = tasks.get(timeout=0.5)
            except queue.Empty:
                if os.getppid() != parent:  # orphaned by a killed parent: stop
                    os._exit(0)
                continue
            if task is None:
                break
            pool.submit(work, task)


def _quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker without its "leaked semaphore" warning.

    The worker queues hold named semaphores. When the batch is killed (SIGKILL, the OOM
    killer) nothing in it can unlink them; the resource tracker, a helper process, does so
    on its own — that is its job — and then warns that it "appears" to have found leaks,
    which reads like a bug after every kill. The tracker takes its warning filters from the
    command line it is started with (``sys.warnoptions``), so it is started here with that
    one warning off. If it is already running (started by other code), it is left as it is.
    """
    quiet = "ignore:resource_tracker:UserWarning"
    added = quiet not in sys.warnoptions
    if added:
        sys.warnoptions.append(quiet)
    try:
        resource_tracker.ensure_running()
    finally:
        if added:
            sys.warnoptions.remove(quiet)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the parent dies (a SIGKILLed batch leaves no orphans)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class _Worker:
    wid: int
    process: Any
    tasks: Any
    in_flight: dict[int, _Task] = field(default_factory=dict)
    ready: bool = False


class LocalExecutor:
    """Worker processes (one per core by default) each running problems on threads.

    The parent keeps at most ``concurrency`` problems in flight, assigns each to the
    least-loaded worker (so it knows what a dead worker was doing), and writes results.
    """

    name = "local"

    def __init__(
        self,
        spec: RunSpec,
        *,
        concurrency: int = 16,
        workers: int | None = None,
        start_method: str = "spawn",
    ) -> None:
        self.spec = spec
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.concurrency = max(self.workers, concurrency)
        self.threads = -(-self.concurrency // self.workers)
        # typeshed types get_context() as BaseContext, which lacks Process; each concrete
        # context (fork, spawn, forkserver) has it
        self.ctx: Any = mp.get_context(start_method)
        self.startup_s = 0.0

    def _spawn(self, wid: int, results: Any) -> _Worker:
        tasks = self.ctx.Queue()
        proc = self.ctx.Process(
            target=_worker_main,
            name=f"optiscribe-batch-{wid}",
            args=(wid, self.spec, self.threads, tasks, results, os.getpid()),
            daemon=True,
        )
        proc.start()
        return _Worker(wid, proc, tasks)

    def run(self, problems: Iterator[Problem], sink: Sink, stop: threading.Event) -> None:
        t0 = time.perf_counter()
        _quiet_resource_tracker()
        results = self.ctx.Queue()
        workers = {i: self._spawn(i, results) for i in range(self.workers)}
        next_wid = self.workers
        retry: list[_Task] = []
        seq = 0
        exhausted = False
        try:
            while True:
                # dispatch
                while not stop.is_set():
                    free = [
                        w for w in workers.values() if w.ready and len(w.in_flight) < self.threads
                    ]
                    if not free:
                        break
                    if retry:
                        task = retry.pop()
                    else:
                        if exhausted:
                            break
                        p = next(problems, None)
                        if p is None:
                            exhausted = True
                            break
                        seq += 1
                        task = (seq, p, 1)
                    w = min(free, key=lambda w: len(w.in_flight))
                    w.in_flight[task[0]] = task
                    w.tasks.put(task)
                busy = sum(len(w.in_flight) for w in workers.values())
                if stop.is_set() or (exhausted and not retry and busy == 0):
                    break
                # collect everything that is ready, then write it with one fsync
                batch: list[dict[str, Any]] = []
                try:
                    msg: WorkerMessage = results.get(timeout=0.2)
                    while True:
                        match msg:
                            case WorkerResult(wid=wid, seq=s, record=record):
                                owner = workers.get(wid)
                                if owner is not None and owner.in_flight.pop(s, None) is not None:
                                    batch.append(record)
                            case WorkerReady(wid=wid):
                                if wid in workers:
                                    workers[wid].ready = True
                                    if not self.startup_s:
                                        self.startup_s = time.perf_counter() - t0
                            case WorkerFatal(reason=reason):
                                raise DataError(
                                    f"the batch workers could not set up the backend or the "
                                    f"per-problem function: {reason}"
                                )
                        msg = results.get_nowait()
                except queue.Empty:
                    pass
                if batch:
                    sink(batch)
                # replace dead workers; retry or fail what they were doing
                for wid, w in list(workers.items()):
                    if w.process.is_alive():
                        continue
                    code = w.process.exitcode
                    del workers[wid]
                    failed: list[dict[str, Any]] = []
                    for task in w.in_flight.values():
                        s, p, tries = task
                        if tries <= _WORKER_RETRIES:
                            retry.append((s, p, tries + 1))
                        else:
                            failed.append(
                                make_record(
                                    p,
                                    None,
                                    {
                                        "type": "WorkerDied",
                                        "kind": FailureKind.WORKER_DIED,
                                        "message": f"the worker process died (exit code {code}) while solving this "
                                        f"problem, {tries} time(s); it may crash the solver: run it alone "
                                        "with 'optiscribe solve' to see why",
                                    },
                                    0.0,
                                    tries=tries,
                                )
                            )
                    if failed:
                        sink(failed)
                    if not stop.is_set():
                        workers[next_wid] = self._spawn(next_wid, results)
                        next_wid += 1
        finally:
            for w in workers.values():
                try:
                    w.tasks.put(None)
                except (OSError, ValueError):
                    pass
            deadline = time.monotonic() + (0.5 if stop.is_set() else 5.0)
            for w in workers.values():
                w.process.join(max(0.0, deadline - time.monotonic()))
                if w.process.is_alive():
                    w.process.kill()
                    w.process.join(2.0)
            for q in [results, *(w.tasks for w in workers.values())]:
                q.cancel_join_thread()
                q.close()


# -- ray

_RAY_CACHE: dict[str, tuple[Any, Callable[..., Any]]] = {}


def _ray_task(problem: Problem, spec: RunSpec) -> dict[str, Any]:
    """Body of one Ray task; the backend is built once per Ray worker process and cached."""
    key = repr(spec)
    if key not in _RAY_CACHE:
        _RAY_CACHE[key] = (_build_backend(spec), resolve_function(spec.function))
    backend, fn = _RAY_CACHE[key]
    return run_one(problem, fn, backend, spec, worker=f"ray:{os.getpid()}")


class RayExecutor:
    """The same tasks on Ray: one Ray task per problem, at most ``concurrency`` in flight.

    ``address`` is passed to ``ray.init`` (``None`` starts or joins a local instance,
    ``"auto"`` joins a running one, ``"ray://host:10001"`` a remote cluster). The worker
    nodes need optiscribe installed and any replay file at the same path.
    """

    name = "ray"

    def __init__(
        self,
        spec: RunSpec,
        *,
        concurrency: int = 16,
        address: str | None = None,
        num_cpus: float = 1.0,
    ) -> None:
        try:
            # lazy: optional library (the ray extra), only for the ray executor
            import ray
        except ImportError:
            raise DataError(
                'the ray executor needs Ray: pip install "optiscribe[ray]" '
                '(or pip install "ray[default]")'
            ) from None
        self.ray = ray
        self.spec = spec
        self.concurrency = max(1, concurrency)
        self.address = address
        self.num_cpus = num_cpus
        self.workers = 0
        self._started = False

    def run(self, problems: Iterator[Problem], sink: Sink, stop: threading.Event) -> None:
        ray = self.ray
        if not ray.is_initialized():
            ray.init(
                address=self.address,
                ignore_reinit_error=True,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
            self._started = True
        self.workers = int(ray.cluster_resources().get("CPU", 1))
        remote = ray.remote(num_cpus=self.num_cpus, max_retries=_WORKER_RETRIES)(_ray_task)
        spec_ref = ray.put(self.spec)
        pending: dict[Any, Problem] = {}
        exhausted = False
        try:
            while True:
                while not exhausted and not stop.is_set() and len(pending) < self.concurrency:
                    p = next(problems, None)
                    if p is None:
                        exhausted = True
                        break
                    pending[remote.remote(p, spec_ref)] = p
                if not pending or stop.is_set():
                    break
                ready, _ = ray.wait(
                    list(pending), num_returns=len(pending), timeout=0.2, fetch_local=True
                )
                if not ready:
                    continue
                batch = []
                for ref in ready:
                    p = pending.pop(ref)
                    try:
                        batch.append(ray.get(ref))
                    except Exception as exc:
                        batch.append(
                            make_record(p, None, error_info(exc), 0.0, tries=1 + _WORKER_RETRIES)
                        )
                sink(batch)
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
            if self._started:
                ray.shutdown()
