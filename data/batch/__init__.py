"""Batch formulation: thousands of problems at once, concurrent, resumable and loss-free.

``optiscribe batch IN.jsonl OUT.jsonl`` runs one per-problem function (by default
:func:`optiscribe.formulate.pipeline.solve_text`) over every ``{id, question, ...}`` line
of the input and appends one result line per problem to the output.

Why it is built the way it is:

* **Loss-free and exactly once.** Results are the only state. Each one is appended as a
  single ``write`` of one complete line and made durable with ``fsync`` before the run
  counts it as done (results that finish together share one ``fsync``). A rerun reads
  the output, skips every id already there and appends the rest. A kill can only tear
  the *last* line (everything before it was fsynced); a last line without its newline
  is therefore never trusted: it is cut off on resume and that problem runs again.
* **Flat memory.** The input is streamed, never loaded: the run holds the set of ids
  (seen, done) and at most ``concurrency`` problems in flight, so 10,000 problems cost
  what 1,000 cost plus the ids.
* **Concurrency where it helps.** LLM requests wait on the network and solver work needs
  a core, so the ``local`` executor starts one worker process per core (solver work
  spreads over the cores) and runs several problems on threads inside each worker (many
  LLM requests in flight). The parent process only dispatches and writes.
* **One failing problem never stops the others.** Anything the per-problem function
  raises becomes a failure record with the error's type and message; a worker process
  that dies (a crash in native code) is replaced and its in-flight problems are retried
  once, then recorded as failed with the reason.
* **Ctrl-C stops cleanly.** SIGINT/SIGTERM set a flag; the loop stops dispatching,
  keeps every result already written, stops the workers and reports how to resume.

Executors: ``local`` (processes x threads, the default), ``thread`` (everything in this
process; for backends that cannot be rebuilt from configuration, such as a
:class:`~optiscribe.formulate.llm.base.ScriptedBackend` in tests) and ``ray`` (the same tasks
on a Ray cluster, optional extra ``optiscribe[ray]``).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from optiscribe.solvers.errors import DataError

__all__ = [
    "DEFAULT_FUNCTION",
    "EXECUTORS",
    "OK_STATUSES",
    "RESULT_SCHEMA",
    "BatchStats",
    "InputIssue",
    "Problem",
    "ResultStore",
    "RunSpec",
    "read_problems",
    "run_batch",
    "run_one",
    "scan_input",
]

RESULT_SCHEMA = "optiscribe.batch/1"
"""``schema`` field of every result line; bumped when the layout changes."""

DEFAULT_FUNCTION = "optiscribe.formulate.pipeline:solve_text"
"""The per-problem function (``module:callable``) a batch runs unless told otherwise."""

EXECUTORS = ("local", "thread", "ray")

OK_STATUSES = frozenset({"optimal", "feasible", "ok", "solved"})
"""Pipeline statuses that count as a success in the progress bar and summary."""

_WORKER_RETRIES = 1
"""How many times a problem is re-run after its worker process died under it."""


# ------------------------------------------------------------------------------ input


@dataclass(frozen=True)
class Problem:
    """One input line: ``id`` (as a string), ``question``, and every field of the line."""

    id: str
    question: str
    line: int
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InputIssue:
    """A line of the input that cannot be run, with the reason (names the line)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def read_problems(path: str | Path) -> Iterator[Problem | InputIssue]:
    """Stream the input: a :class:`Problem` per good line, an :class:`InputIssue` per bad one.

    Blank lines are skipped. A line is bad when it is not a JSON object, lacks a string or
    integer ``id`` or a non-empty string ``question``, or repeats an id seen on an earlier
    line (the first occurrence runs; the repeat is reported, never silently dropped).
    Streaming keeps memory flat: only the ids seen are held.
    """
    p = Path(path)
    try:
        fh = p.open("rb")
    except OSError as exc:
        raise DataError(
            f"cannot read batch input {str(p)!r}: {exc.strerror}; check the path"
        ) from exc
    seen: dict[str, int] = {}
    name = str(p)
    with fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except UnicodeDecodeError:
                yield InputIssue(name, lineno, "not UTF-8 text; re-encode the file as UTF-8")
                continue
            except json.JSONDecodeError as exc:
                yield InputIssue(
                    name,
                    lineno,
                    f"not valid JSON ({exc.msg} at column {exc.colno}); "
                    "each line must be one JSON object",
                )
                continue
            if not isinstance(obj, dict):
                yield InputIssue(
                    name, lineno, f"a line must be a JSON object, found {type(obj).__name__}"
                )
                continue
            pid = obj.get("id")
            if (
                isinstance(pid, bool)
                or not isinstance(pid, (str, int))
                or (isinstance(pid, str) and not pid.strip())
            ):
                yield InputIssue(
                    name,
                    lineno,
                    "missing field 'id' (a non-empty string or an integer)"
                    if pid is None
                    else f"'id' must be a non-empty string or an integer, found {pid!r}",
                )
                continue
            q = obj.get("question")
            if not isinstance(q, str) or not q.strip():
                yield InputIssue(
                    name,
                    lineno,
                    f"problem {str(pid)!r}: missing field 'question' (a non-empty string)"
                    if q is None
                    else f"problem {str(pid)!r}: 'question' must be a non-empty string",
                )
                continue
            sid = str(pid)
            if sid in seen:
                yield InputIssue(
                    name,
                    lineno,
                    f"duplicate id {sid!r} (first on line {seen[sid]}); "
                    "this line is skipped: give it a distinct id",
                )
                continue
            seen[sid] = lineno
            yield Problem(sid, q, lineno, obj)


@dataclass(frozen=True)
class InputScan:
    """What a first pass over the input found: good problems, and the bad lines."""

    problems: int
    issues: tuple[InputIssue, ...]


def scan_input(path: str | Path) -> InputScan:
    """Validate the whole input once (cheap, streaming) so bad lines are reported up front."""
    n = 0
    issues: list[InputIssue] = []
    for item in read_problems(path):
        if isinstance(item, InputIssue):
            issues.append(item)
        else:
            n += 1
    return InputScan(n, tuple(issues))


# ----------------------------------------------------------------------------- output


@dataclass(frozen=True)
class StoreState:
    """What an existing output file holds: ids done (and which failed), repairs made."""

    done: frozenset[str]
    failed: frozenset[str]
    torn_bytes: int
    lines: int


class ResultStore:
    """The output JSONL: appended, fsynced, repaired on open. See the module docstring.

    Opening checks that the file can be written (before any problem runs), cuts off a
    torn last line left by a kill, and reads which ids are done. ``retry_failed`` rewrites
    the file without the failed results (atomically: temp file, fsync, rename) so those
    problems run again and still appear exactly once.
    """

    def __init__(self, path: str | Path, *, retry_failed: bool = False) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.is_dir():
            raise DataError(
                f"cannot write results to {str(self.path)!r}: folder {str(parent)!r} does not "
                "exist; create it or choose another output path"
            )
        if self.path.is_dir():
            raise DataError(
                f"cannot write results to {str(self.path)!r}: it is a folder; give a file name"
            )
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise DataError(
                f"cannot write results to {str(self.path)!r}: {exc.strerror}; choose a writable "
                "output path"
            ) from exc
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataError(
                f"another batch is writing to {str(self.path)!r}; wait for it to finish (two "
                "writers would duplicate results) or choose another output path"
            ) from None
        except ImportError:  # pragma: no cover - not POSIX
            pass
        self._fd = fd
        self.state = self._recover(retry_failed)

    def _recover(self, retry_failed: bool) -> StoreState:
        assert self._fd is not None
        done: set[str] = set()
        failed: set[str] = set()
        kept: list[bytes] = []
        offset = 0
        lines = 0
        torn = 0
        with open(self.path, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                if not raw.endswith(b"\n"):
                    # A kill tore this write: nothing after it exists, and the problem runs again.
                    torn = len(raw)
                    break
                offset += len(raw)
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                    rid = obj["id"]
                except (ValueError, KeyError, TypeError):
                    raise DataError(
                        f"{self.path}:{lineno}: a complete line that is not a batch result; this file "
                        "was not written by 'optiscribe batch' (or was edited): move it away or choose "
                        "another output path"
                    ) from None
                lines += 1
                done.add(str(rid))
                if not _is_success(obj):
                    failed.add(str(rid))
                elif retry_failed:
                    kept.append(raw)
        if torn:
            os.ftruncate(self._fd, offset)
            os.fsync(self._fd)
        if retry_failed and failed:
            self._rewrite(kept)
            done -= failed
            lines = len(kept)
            failed = set()
        return StoreState(frozenset(done), frozenset(failed), torn, lines)

    def _rewrite(self, kept: list[bytes]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.writelines(kept)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        assert self._fd is not None
        os.close(self._fd)
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        try:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (ImportError, BlockingIOError):  # pragma: no cover
            pass
        dfd = os.open(self.path.parent if str(self.path.parent) else ".", os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def append(self, records: list[dict[str, Any]]) -> None:
        """Write ``records`` as complete lines and fsync once; durable when this returns."""
        if not records or self._fd is None:
            return
        data = b"".join(_dumps(r).encode("utf-8") + b"\n" for r in records)
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _clean(value: Any) -> Any:
    """Make a value strict JSON: non-finite floats become ``None`` (JSON has no NaN/inf)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _dumps(record: Mapping[str, Any]) -> str:
    try:
        return json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_clean(record), ensure_ascii=False, default=str, separators=(",", ":"))
    except TypeError:
        return json.dumps(_clean(record), ensure_ascii=False, default=str, separators=(",", ":"))


def _is_success(record: Mapping[str, Any]) -> bool:
    return record.get("error") is None and str(record.get("status", "")).lower() in OK_STATUSES


# --------------------------------------------------------------------------- per problem


@dataclass(frozen=True)
class RunSpec:
    """How each problem is run; picklable, so it travels to worker processes and Ray.

    ``backend_config`` is rebuilt into a backend once per worker with
    :func:`~optiscribe.formulate.llm.base.make_backend`. ``function`` names the per-problem
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
        return getattr(module, attr)  # type: ignore[no-any-return]
    except AttributeError:
        raise DataError(
            f"module {module_name!r} has no {attr!r} (per-problem function {target!r})"
        ) from None


def _build_backend(spec: RunSpec) -> Any:
    if spec.backend_config is None:
        return None
    from optiscribe.formulate.llm.base import make_backend

    return make_backend(spec.backend_config)


def _error_info(exc: BaseException) -> dict[str, Any]:
    info: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc) or type(exc).__name__}
    for attr in ("attempts", "status_code"):
        v = getattr(exc, attr, None)
        if isinstance(v, (int, float, str)):
            info[attr] = v
    return info


def make_record(
    problem: Problem,
    result: Mapping[str, Any] | None,
    error: Mapping[str, Any] | None,
    elapsed: float,
    *,
    tries: int = 1,
    worker: str = "",
) -> dict[str, Any]:
    """One output line. ``status``/``objective`` repeat the result's for quick filtering."""
    if result is not None:
        status = str(result.get("status", "unknown"))
        objective = result.get("objective")
    else:
        status, objective = "error", None
    return {
        "schema": RESULT_SCHEMA,
        "id": problem.id,
        "status": status,
        "objective": objective,
        "error": None if error is None else dict(error),
        "result": None if result is None else dict(result),
        "input": dict(problem.fields),
        "batch": {"elapsed_s": round(elapsed, 6), "tries": tries, "worker": worker},
    }


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
            import atexit

            from optiscribe.solvers.sandbox import WarmPoolExecutor

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
            if spec.mode == "code" and "executor" not in kwargs:
                kwargs["executor"] = _sandbox_pool()
            out = fn(problem.question, backend=proxied, problem_id=problem.id, **kwargs)
            data = out.to_dict() if hasattr(out, "to_dict") else dict(out)
        err = None
    except Exception as exc:
        data, err = None, _error_info(exc)
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
        results.put(("fatal", wid, f"{type(exc).__name__}: {exc}"))
        return
    results.put(("ready", wid, os.getpid()))
    label = f"w{wid}:{os.getpid()}"

    def work(task: _Task) -> None:
        seq, problem, tries = task
        results.put(
            ("result", wid, seq, run_one(problem, fn, backend, spec, tries=tries, worker=label))
        )

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
    import sys
    from multiprocessing import resource_tracker

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
        import ctypes

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
        self.ctx = mp.get_context(start_method)
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
                    msg = results.get(timeout=0.2)
                    while True:
                        kind = msg[0]
                        if kind == "result":
                            _, wid, s, record = msg
                            w = workers.get(wid)
                            if w is not None and w.in_flight.pop(s, None) is not None:
                                batch.append(record)
                        elif kind == "ready":
                            if msg[1] in workers:
                                workers[msg[1]].ready = True
                                if not self.startup_s:
                                    self.startup_s = time.perf_counter() - t0
                        elif kind == "fatal":
                            raise DataError(
                                f"the batch workers could not set up the backend or the "
                                f"per-problem function: {msg[2]}"
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
                            make_record(p, None, _error_info(exc), 0.0, tries=1 + _WORKER_RETRIES)
                        )
                sink(batch)
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
            if self._started:
                ray.shutdown()


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
