"""Run LLM-generated Python solver code in a sandbox and return what happened.

The sandbox is a *transport* (the httpx ``BaseTransport`` idea): callers hand an
:class:`Executor` a string of code and get an :class:`ExecutionResult` back, without
knowing whether the code ran in a cold subprocess, a warm worker, or a test double::

    executor.run(code, *, timeout=None) -> ExecutionResult

A failure *of the code* (syntax error, missing module, exception, timeout, memory,
too much output, a forbidden action) is a result with an :class:`ErrorKind` and a short
:class:`CodeError` summary meant for an LLM self-correction loop. Only a failure of the
sandbox itself raises (:class:`~optiscribe.solvers.errors.SandboxError`).

Executors:

* :class:`SubprocessExecutor` - one fresh process per run (``unshare`` + launcher).
* :class:`WarmPoolExecutor` - N workers with Pyomo/HiGHS preloaded; each job runs in a
  fresh forked child in its own PID namespace, so one job cannot poison the next.
* :class:`FakeExecutor` - ``FakeExecutor(handler)`` for tests of code built on top.

Code mode: a hook injected before the code runs makes Pyomo's ``SolverFactory`` (any
LP/MILP solver name) and OR-Tools ``pywraplp`` solve with HiGHS/SCIP, writes each model
solved as MPS, and reports status/objective/values as :class:`SolveReport` entries.

See ``docs/sandbox.md`` for the threat model and what is and is not contained.
"""

from __future__ import annotations

import enum
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from optiscribe.solvers.errors import SandboxError, SandboxSetupError
from optiscribe.solvers.sandbox import _launcher
from optiscribe.solvers.sandbox._pool import WorkerProcess

__all__ = [
    "CodeError",
    "ErrorKind",
    "ExecutionResult",
    "Executor",
    "FakeExecutor",
    "Isolation",
    "SandboxLimits",
    "SolveReport",
    "SubprocessExecutor",
    "WarmPoolExecutor",
    "check_globals",
    "probe_isolation",
    "run_code",
]

LAUNCHER = str(Path(_launcher.__file__).resolve())
#: Libraries the generated code can import; named in import-error summaries so the LLM
#: can switch instead of retrying the same import.
AVAILABLE_LIBRARIES = (
    "pyomo (SolverFactory with any LP/MILP solver name runs HiGHS), "
    "ortools (pywraplp, cp_model), gurobipy and coptpy (linear models, run on HiGHS), "
    "highspy, numpy, scipy"
)
#: Most bytes of predefined globals (JSON) a run accepts.
MAX_GLOBALS_BYTES = 8 << 20
TAIL_CHARS = 8000
MAX_MPS_BYTES = 32 << 20
MAX_REPORTS = 200


class ErrorKind(str, enum.Enum):
    """How a run ended. Everything but ``OK`` is a failure of the generated code."""

    OK = "ok"
    SYNTAX_ERROR = "syntax_error"
    """The code does not compile."""
    IMPORT_ERROR = "import_error"
    """An import failed; :attr:`CodeError.missing_module` names the module."""
    RUNTIME_ERROR = "runtime_error"
    """An exception, a non-zero ``exit()``, or a crash (signal)."""
    TIMEOUT = "timeout"
    """Wall-clock or CPU-time limit reached; the whole process tree was killed."""
    MEMORY = "memory"
    """Address-space limit reached (``MemoryError`` or ``std::bad_alloc``)."""
    OUTPUT_LIMIT = "output_limit"
    """Printed more than ``max_output_bytes`` or wrote a file over ``fsize_mb``."""
    FORBIDDEN = "forbidden"
    """Network, subprocess, fork or a write outside the work dir was refused."""
    UNSUPPORTED = "unsupported"
    """The code used a solver-API feature the code-mode dialect (gurobipy/coptpy on HiGHS)
    does not reproduce exactly; :attr:`CodeError.feature` names it. Never approximated."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for one run. ``cpu_s=None`` means ``ceil(timeout_s) + 1``.

    CPU time counts every thread, so it is a backstop behind the wall-clock timeout.
    ``nproc`` is only enforced for non-root users (the child drops root to ``nobody``
    where it can); PID namespaces plus the timeout stop fork bombs regardless.
    """

    timeout_s: float = 10.0
    cpu_s: int | None = None
    memory_mb: int = 2048
    fsize_mb: int = 64
    nofile: int = 256
    nproc: int = 64
    max_output_bytes: int = 1_000_000

    def __post_init__(self) -> None:
        for name in ("timeout_s", "memory_mb", "fsize_mb", "nofile", "nproc", "max_output_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(
                    f"SandboxLimits.{name} must be positive, got {getattr(self, name)!r}"
                )
        if self.cpu_s is not None and self.cpu_s <= 0:
            raise ValueError(f"SandboxLimits.cpu_s must be positive or None, got {self.cpu_s!r}")
        if self.memory_mb < 256:
            raise ValueError(
                f"SandboxLimits.memory_mb={self.memory_mb} is too small to import Pyomo and "
                "HiGHS; use at least 256"
            )

    @property
    def effective_cpu_s(self) -> int:
        return self.cpu_s if self.cpu_s is not None else int(-(-self.timeout_s // 1)) + 1

    def with_timeout(self, timeout: float | None) -> SandboxLimits:
        return self if timeout is None else replace(self, timeout_s=timeout)

    def to_child(self) -> dict[str, Any]:
        return {
            "timeout_s": self.timeout_s,
            "cpu_s": self.effective_cpu_s,
            "memory_mb": self.memory_mb,
            "fsize_mb": self.fsize_mb,
            "nofile": self.nofile,
            "nproc": self.nproc,
            "max_output_bytes": self.max_output_bytes,
        }


@dataclass(frozen=True)
class Isolation:
    """Which isolation layers were actually in force for a run (probed, not assumed)."""

    network_namespace: bool = False
    pid_namespace: bool = False
    landlock_abi: int = 0
    uid_dropped: bool = False
    audit_hook: bool = False
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        yn = {True: "yes", False: "no"}
        parts = [
            f"network namespace: {yn[self.network_namespace]}",
            f"pid namespace: {yn[self.pid_namespace]}",
            f"landlock: {'ABI ' + str(self.landlock_abi) if self.landlock_abi else 'no'}",
            f"runs as nobody: {yn[self.uid_dropped]}",
            f"audit hook: {yn[self.audit_hook]}",
        ]
        return "; ".join(parts + list(self.notes))


@dataclass(frozen=True)
class SolveReport:
    """One solve the generated code performed, as seen by the code-mode hook."""

    index: int
    api: str
    """``"pyomo"`` or ``"pywraplp"``."""
    requested_solver: str | None
    solver: str
    termination: str
    objective: float | None
    values: Mapping[str, float]
    mps: str | None
    """The captured model in MPS format (``symbolic_solver_labels=True`` for Pyomo)."""
    mps_error: str | None = None
    ignored_options: tuple[str, ...] = ()
    status: str | None = None
    wall_s: float | None = None

    @classmethod
    def _from_event(cls, ev: Mapping[str, Any], mps_text: str | None) -> SolveReport:
        values = ev.get("values") or {}
        return cls(
            index=int(ev.get("index", 0)),
            api=str(ev.get("api", "?")),
            requested_solver=ev.get("requested_solver"),
            solver=str(ev.get("solver", "?")),
            termination=str(ev.get("termination", "unknown")),
            objective=ev.get("objective"),
            values=MappingProxyType({str(k): float(v) for k, v in values.items()}),
            mps=mps_text,
            mps_error=ev.get("mps_error"),
            ignored_options=tuple(ev.get("ignored_options") or ()),
            status=ev.get("status"),
            wall_s=ev.get("wall_s"),
        )


@dataclass(frozen=True)
class CodeError:
    """A short, precise account of why the generated code failed (for the LLM)."""

    kind: ErrorKind
    type_name: str
    message: str
    line: int | None = None
    traceback: tuple[str, ...] = ()
    """``line N, in f: source`` for frames of the generated file only."""
    origin: str | None = None
    """Library file the exception was raised in, when not the generated file."""
    missing_module: str | None = None
    feature: str | None = None
    """For ``UNSUPPORTED``: the feature(s) the dialect refused, comma separated."""

    def summary(self) -> str:
        head = f"{self.type_name}: {self.message}" if self.message else self.type_name
        if self.line is not None and self.kind is not ErrorKind.SYNTAX_ERROR:
            head += f" (line {self.line})"
        lines = [head]
        if self.kind is ErrorKind.SYNTAX_ERROR:
            lines += [f"  {t}" for t in self.traceback]
        elif self.traceback:
            lines.append("Traceback (generated code only):")
            lines += [f"  {t}" for t in self.traceback]
        if self.origin:
            lines.append(f"  raised inside {self.origin}")
        if self.kind is ErrorKind.IMPORT_ERROR and self.missing_module:
            lines.append(
                f"Module '{self.missing_module}' is not available in the sandbox. "
                f"Available: {AVAILABLE_LIBRARIES}."
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class ExecutionResult:
    """Everything known about one run of generated code. Never raised, always returned."""

    kind: ErrorKind = ErrorKind.OK
    returncode: int | None = 0
    timed_out: bool = False
    killed: str | None = None
    """``"timeout"``, ``"cpu_limit"`` or ``"output_limit"`` when the sandbox killed the run."""
    wall_s: float = 0.0
    stdout: str = ""
    """Tail of standard output (at most ``TAIL_CHARS`` characters)."""
    stderr: str = ""
    error: CodeError | None = None
    reports: tuple[SolveReport, ...] = ()
    violations: tuple[str, ...] = ()
    """Audit events the sandbox refused, even if the code caught the exception."""
    unsupported: tuple[str, ...] = ()
    """Dialect features refused (even if the code caught the exception): the run is
    ``UNSUPPORTED`` whenever this is not empty."""
    isolation: Isolation = field(default_factory=Isolation)
    executor: str = "fake"

    @property
    def ok(self) -> bool:
        return self.kind is ErrorKind.OK

    @property
    def models(self) -> tuple[str, ...]:
        """MPS texts of every captured model, in solve order."""
        return tuple(r.mps for r in self.reports if r.mps is not None)

    @property
    def summary(self) -> str:
        """One short paragraph for a self-correction prompt."""
        if self.ok:
            return f"ok ({len(self.reports)} solve(s) captured)"
        assert self.error is not None
        return f"[{self.kind.value}] {self.error.summary()}"


@runtime_checkable
class Executor(Protocol):
    """Runs a string of Python code somewhere and says what happened."""

    def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        globals: Mapping[str, Any] | None = None,
    ) -> ExecutionResult:
        """Run ``code``; ``globals`` (JSON values) are predefined names, e.g. ReLoop's ``data``."""
        ...


class FakeExecutor:
    """Test double: ``FakeExecutor(lambda code, timeout: ExecutionResult(stdout="42"))``.

    Records every call in :attr:`calls` so tests can assert what was sent.
    """

    def __init__(self, handler: Callable[[str, float | None], ExecutionResult]) -> None:
        self.handler = handler
        self.calls: list[tuple[str, float | None]] = []
        self.globals: list[Mapping[str, Any] | None] = []

    def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        globals: Mapping[str, Any] | None = None,
    ) -> ExecutionResult:
        self.calls.append((code, timeout))
        self.globals.append(globals)
        return self.handler(code, timeout)


# ---------------------------------------------------------------- namespaces


@dataclass(frozen=True)
class _NamespaceSupport:
    prefix: tuple[str, ...]
    network: bool
    pid: bool
    note: str


_PROBE_CODE = (
    "import os, socket, json, errno\n"
    "s = socket.socket()\ns.settimeout(1)\n"
    "try:\n    s.connect(('127.0.0.1', 9)); net = False\n"
    "except OSError as e:\n    net = e.errno in (errno.ENETUNREACH, errno.ENETDOWN)\n"
    "print(json.dumps({'pid': os.getpid(), 'net': net}))\n"
)


@functools.cache
def _probe_namespaces(python: str) -> _NamespaceSupport:
    """Find the strongest ``unshare`` prefix that works here (run once per process).

    Root gets ``unshare -n -p -f --kill-child --mount-proc``; other users need a user
    namespace (``-r``), which some distributions disable (Ubuntu >= 23.10 AppArmor).
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        return _NamespaceSupport((), False, False, "unshare not found: no namespaces")
    user = [] if os.geteuid() == 0 else ["-r"]
    candidates = [
        [unshare, *user, "-n", "-p", "-f", "--kill-child", "--mount-proc"],
        [unshare, *user, "-n"],
    ]
    errors = []
    for prefix in candidates:
        try:
            out = subprocess.run(
                [*prefix, python, "-I", "-c", _PROBE_CODE],
                capture_output=True,
                text=True,
                timeout=20,
                env=_base_env(tempfile.gettempdir()),
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            errors.append(f"{' '.join(prefix[1:])}: {exc}")
            continue
        if out.returncode == 0:
            info = json.loads(out.stdout.strip().splitlines()[-1])
            return _NamespaceSupport(tuple(prefix), bool(info["net"]), info["pid"] == 1, "")
        errors.append(f"{' '.join(prefix[1:])}: {out.stderr.strip()[-200:]}")
    return _NamespaceSupport((), False, False, "unshare failed: " + " | ".join(errors))


def probe_isolation(python: str | None = None) -> Isolation:
    """What a run on this machine gets (namespaces probed, Landlock ABI queried)."""
    ns = _probe_namespaces(python or sys.executable)
    return Isolation(
        network_namespace=ns.network,
        pid_namespace=ns.pid,
        landlock_abi=_launcher.landlock_abi(),
        uid_dropped=os.geteuid() == 0 and _launcher._nobody_can_use_python(),
        audit_hook=True,
        notes=(ns.note,) if ns.note else (),
    )


# ---------------------------------------------------------------- job files


def _base_env(home: str) -> dict[str, str]:
    """The whole environment of the child: no API keys, single-threaded BLAS."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
    }


class _JobFiles:
    """Temporary layout of one run; ``work`` is the only place the code may write.

    ``<root>/work/main.py``, ``<root>/work/.optiscribe/*.mps`` (captured models) and
    ``<root>/ctl/{stdout,stderr,channel.jsonl}``, opened by the child before it is
    restricted. Everything is removed after the result has been read.
    """

    def __init__(self, code: str, *, drop_root: bool) -> None:
        try:
            self.root = Path(tempfile.mkdtemp(prefix="optiscribe-sbx-"))
        except OSError as exc:
            raise SandboxSetupError(
                f"cannot create a sandbox work dir in {tempfile.gettempdir()!r}: {exc}; "
                "set TMPDIR to a writable folder"
            ) from exc
        self.work = self.root / "work"
        self.ctl = self.root / "ctl"
        self.models = self.work / ".optiscribe"
        for d in (self.work, self.ctl, self.models):
            d.mkdir()
        self.code_path = self.work / "main.py"
        self.code_path.write_text(code, encoding="utf-8")
        self.stdout = self.ctl / "stdout"
        self.stderr = self.ctl / "stderr"
        self.channel = self.ctl / "channel.jsonl"
        for f in (self.stdout, self.stderr, self.channel):
            f.touch(mode=0o600)
        if drop_root and os.geteuid() == 0:
            # The child becomes 'nobody' after opening ctl/*; it needs the work dir only.
            os.chmod(self.root, 0o711)
            for p in (self.work, self.models, self.code_path):
                os.chown(p, _launcher.NOBODY, _launcher.NOBODY)

    def job(
        self,
        limits: SandboxLimits,
        *,
        landlock: bool,
        drop_root: bool,
        pid_namespace: bool = True,
        globals: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        return {
            "globals": dict(globals or {}),
            "code_path": str(self.code_path),
            "work_dir": str(self.work),
            "models_dir": str(self.models),
            "stdout_path": str(self.stdout),
            "stderr_path": str(self.stderr),
            "channel_path": str(self.channel),
            "limits": limits.to_child(),
            "env": _base_env(str(self.work)),
            "landlock": landlock,
            "drop_root": drop_root,
            "pid_namespace": pid_namespace,
            "hook": True,
        }

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _tail(path: Path, limit: int = TAIL_CHARS) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(size - limit, 0))
            data = fh.read()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace")
    return text if size <= limit else f"...[{size - len(data)} bytes cut]\n{text}"


def _read_channel(path: Path) -> list[dict[str, Any]]:
    events = []
    try:
        with open(path, "rb") as fh:
            data = fh.read(16 << 20)
    except OSError:
        return []
    for raw in data.splitlines():
        try:
            ev = json.loads(raw)
        except ValueError:
            continue
        if isinstance(ev, dict):
            events.append(ev)
    return events


def _read_mps(models_dir: Path, name: Any) -> str | None:
    if not isinstance(name, str) or os.path.basename(name) != name or not name:
        return None
    path = models_dir / name
    try:
        if path.is_symlink() or path.stat().st_size > MAX_MPS_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _classify(
    sup: Mapping[str, Any], outcome: Mapping[str, Any] | None, limits: SandboxLimits, stderr: str
) -> tuple[ErrorKind, CodeError | None, str | None]:
    """Decide the :class:`ErrorKind`; the parent's own observations win over the child's."""
    rc = sup.get("returncode")
    killed = sup.get("killed")
    if killed == "timeout":
        return (
            ErrorKind.TIMEOUT,
            CodeError(
                ErrorKind.TIMEOUT,
                "Timeout",
                f"the program did not finish within {limits.timeout_s:g} s and was killed; "
                "look for an endless loop, a blocking call (input, sleep) or a model too large "
                "to solve in time",
            ),
            killed,
        )
    if killed == "output_limit":
        return (
            ErrorKind.OUTPUT_LIMIT,
            CodeError(
                ErrorKind.OUTPUT_LIMIT,
                "OutputLimit",
                f"the program printed more than {limits.max_output_bytes} bytes and was killed; "
                "print only the solution summary",
            ),
            killed,
        )
    cpu_hit = rc == -signal.SIGXCPU or (
        rc == -signal.SIGKILL and sup.get("cpu_s", 0.0) >= limits.effective_cpu_s - 0.05
    )
    if cpu_hit:
        return (
            ErrorKind.TIMEOUT,
            CodeError(
                ErrorKind.TIMEOUT,
                "Timeout",
                f"the program used more than {limits.effective_cpu_s} s of CPU time and was killed",
            ),
            "cpu_limit",
        )
    if outcome is not None:
        kind = ErrorKind(outcome.get("kind", "runtime_error"))
        if kind is ErrorKind.OK:
            return kind, None, None
        return (
            kind,
            CodeError(
                kind=kind,
                type_name=str(outcome.get("type", "Error")),
                message=str(outcome.get("message", "")),
                line=outcome.get("line"),
                traceback=tuple(outcome.get("traceback") or ()),
                origin=outcome.get("origin"),
                missing_module=outcome.get("missing_module"),
            ),
            None,
        )
    if "MemoryError" in stderr or "bad_alloc" in stderr:
        return (
            ErrorKind.MEMORY,
            CodeError(
                ErrorKind.MEMORY,
                "MemoryError",
                f"the program ran out of memory (limit {limits.memory_mb} MB)",
            ),
            None,
        )
    if rc == 0:
        return ErrorKind.OK, None, None  # e.g. os._exit(0): no outcome line, still a success
    if isinstance(rc, int) and rc < 0:
        try:
            signame = signal.Signals(-rc).name
        except ValueError:
            signame = f"signal {-rc}"
        return (
            ErrorKind.RUNTIME_ERROR,
            CodeError(ErrorKind.RUNTIME_ERROR, "Crash", f"the program was killed by {signame}"),
            None,
        )
    last = [ln for ln in stderr.strip().splitlines() if ln.strip()][-3:]
    return (
        ErrorKind.RUNTIME_ERROR,
        CodeError(
            ErrorKind.RUNTIME_ERROR,
            "Exit",
            f"the program exited with status {rc}" + (": " + " | ".join(last) if last else ""),
        ),
        None,
    )


def _collect(
    files: _JobFiles, sup: Mapping[str, Any], limits: SandboxLimits, base: Isolation, executor: str
) -> ExecutionResult:
    events = _read_channel(files.channel)
    died = next((e for e in events if e.get("event") == "child_exit"), None)
    if died is not None and sup.get("killed") is None:
        # The code ran under a minimal init (PID namespace): report its signal, not init's.
        sup = {**sup, "returncode": -int(died.get("signal", 0))}
    entered = next((e for e in events if e.get("event") == "entered"), None)
    outcome = next((e for e in reversed(events) if e.get("event") == "outcome"), None)
    stderr = _tail(files.stderr)
    if entered is None and sup.get("killed") is None and sup.get("returncode") != 0:
        raise SandboxSetupError(
            f"the sandboxed interpreter failed before running the code (exit status "
            f"{sup.get('returncode')}): {stderr.strip()[-500:] or 'no output'}; check that "
            f"{sys.executable} runs and that 'unshare' works, or pass namespaces=False"
        )
    kind, error, killed = _classify(sup, outcome, limits, stderr)
    features = tuple(
        dict.fromkeys(
            str(e.get("feature"))[:120] for e in events if e.get("event") == "unsupported"
        )
    )[:20]
    if features and kind in (ErrorKind.OK, ErrorKind.RUNTIME_ERROR):
        # A refused dialect feature decides the outcome even when the code caught it.
        kind = ErrorKind.UNSUPPORTED
        error = CodeError(
            ErrorKind.UNSUPPORTED,
            "UnsupportedFeature",
            f"unsupported: {', '.join(features)} (the gurobipy/coptpy layer runs linear "
            "models on HiGHS and refuses what it cannot reproduce exactly; reformulate "
            "with linear constraints and continuous/integer/binary variables)",
            line=error.line if error is not None else None,
            traceback=error.traceback if error is not None else (),
            feature=", ".join(features),
        )
    reports = tuple(
        SolveReport._from_event(ev, _read_mps(files.models, ev.get("mps")))
        for ev in events
        if ev.get("event") == "solve"
    )[:MAX_REPORTS]
    isolation = base
    if entered is not None:
        isolation = replace(
            base,
            landlock_abi=int(entered.get("landlock_abi", 0)),
            uid_dropped=bool(entered.get("uid_dropped")),
            audit_hook=bool(entered.get("audit_hook")),
        )
    return ExecutionResult(
        kind=kind,
        returncode=sup.get("returncode"),
        timed_out=kind is ErrorKind.TIMEOUT,
        killed=killed,
        wall_s=float(sup.get("wall_s", 0.0)),
        stdout=_tail(files.stdout),
        stderr=stderr,
        error=error,
        reports=reports,
        violations=tuple(outcome.get("violations") or ()) if outcome else (),
        unsupported=features,
        isolation=isolation,
        executor=executor,
    )


# ---------------------------------------------------------------- cold executor


class SubprocessExecutor:
    """One fresh, namespaced interpreter per run. Slow (~1 s with Pyomo) but simple.

    Parameters
    ----------
    limits:
        Resource limits; ``run(timeout=...)`` overrides only the wall-clock timeout.
    namespaces:
        Use ``unshare`` (network + PID namespace) when the probe says it works.
    landlock, drop_root:
        Switch off the Landlock layer / the switch from root to ``nobody`` (debugging).
    """

    name = "cold"

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        *,
        namespaces: bool = True,
        landlock: bool = True,
        drop_root: bool = True,
        python: str | None = None,
    ) -> None:
        self.limits = limits or SandboxLimits()
        self.python = python or sys.executable
        self.namespaces = namespaces
        self.landlock = landlock
        self.drop_root = drop_root

    def _ns(self) -> _NamespaceSupport:
        if not self.namespaces:
            return _NamespaceSupport((), False, False, "namespaces switched off")
        return _probe_namespaces(self.python)

    def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        globals: Mapping[str, Any] | None = None,
    ) -> ExecutionResult:
        limits = self.limits.with_timeout(timeout)
        globals = check_globals(globals)
        ns = self._ns()
        base = Isolation(ns.network, ns.pid, notes=(ns.note,) if ns.note else ())
        files = _JobFiles(code, drop_root=self.drop_root)
        try:
            job_path = files.ctl / "job.json"
            job_path.write_text(
                json.dumps(
                    files.job(
                        limits, landlock=self.landlock, drop_root=self.drop_root, globals=globals
                    )
                )
            )
            cmd = [*ns.prefix, self.python, "-I", LAUNCHER, "run", str(job_path)]
            with open(files.stdout, "ab") as out, open(files.stderr, "ab") as err:
                try:
                    proc = subprocess.Popen(
                        cmd,
                        cwd=files.work,
                        env=_base_env(str(files.work)),
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=err,
                        start_new_session=True,
                        close_fds=True,
                    )
                except OSError as exc:
                    raise SandboxSetupError(
                        f"cannot start the sandbox interpreter {cmd[0]!r}: {exc}"
                    ) from exc

            def kill() -> None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

            sup = _launcher.supervise(
                proc.pid,
                timeout_s=limits.timeout_s,
                watch_paths=[str(files.stdout), str(files.stderr)],
                max_output_bytes=limits.max_output_bytes,
                kill=kill,
            )
            proc.returncode = sup["returncode"]  # reaped by supervise()
            kill()  # stragglers in the process group (the PID namespace already took the rest)
            return _collect(files, sup, limits, base, self.name)
        finally:
            files.cleanup()


# ---------------------------------------------------------------- warm pool


class WarmPoolExecutor:
    """A pool of warm workers with Pyomo and HiGHS already imported.

    Each job runs in a fresh child forked from a worker (own PID namespace, limits
    applied after the fork), so imports are paid once per worker, not per job. A worker
    that dies or stops answering is killed together with its namespace and replaced.
    Thread-safe; use as a context manager or call :meth:`close`.
    """

    name = "warm"

    def __init__(
        self,
        size: int | None = None,
        limits: SandboxLimits | None = None,
        *,
        namespaces: bool = True,
        landlock: bool = True,
        drop_root: bool = True,
        python: str | None = None,
        start_timeout_s: float = 60.0,
    ) -> None:
        self.size = size if size is not None else max(1, min(2, os.cpu_count() or 1))
        if self.size < 1:
            raise ValueError(f"WarmPoolExecutor size must be >= 1, got {size}")
        self.limits = limits or SandboxLimits()
        self.python = python or sys.executable
        self.namespaces = namespaces
        self.landlock = landlock
        self.drop_root = drop_root
        self.start_timeout_s = start_timeout_s
        self._ns = (
            _probe_namespaces(self.python)
            if namespaces
            else _NamespaceSupport((), False, False, "namespaces switched off")
        )
        self._home = tempfile.mkdtemp(prefix="optiscribe-pool-")
        self._cond = threading.Condition()
        self._idle: list[WorkerProcess] = []
        self._all: set[WorkerProcess] = set()
        self._closed = False
        self.replaced = 0
        starting = [self._spawn() for _ in range(self.size)]
        for w in starting:
            self._await_ready(w)
        with self._cond:
            self._idle.extend(starting)

    # -- lifecycle
    def _spawn(self) -> WorkerProcess:
        cmd = [*self._ns.prefix, self.python, "-I", LAUNCHER, "worker"]
        try:
            w = WorkerProcess(
                cmd,
                env=_base_env(self._home),
                cwd=self._home,
                log_path=os.path.join(self._home, f"worker-{time.monotonic_ns()}.log"),
            )
        except OSError as exc:
            raise SandboxSetupError(f"cannot start a sandbox worker {cmd[0]!r}: {exc}") from exc
        with self._cond:
            self._all.add(w)
        return w

    def _await_ready(self, w: WorkerProcess) -> None:
        if w.wait_ready(self.start_timeout_s) is None:
            tail = w.log_tail()
            w.kill()
            with self._cond:
                self._all.discard(w)
            raise SandboxSetupError(
                f"a sandbox worker did not become ready within {self.start_timeout_s:g} s: "
                f"{tail.strip()[-500:] or 'no output'}; try SubprocessExecutor or namespaces=False"
            )

    def _replace(self, dead: WorkerProcess) -> None:
        dead.kill()
        with self._cond:
            self._all.discard(dead)
            self.replaced += 1

        def start() -> None:
            try:
                w = self._spawn()
                self._await_ready(w)
            except SandboxSetupError:
                return
            with self._cond:
                if self._closed:
                    w.close()
                    return
                self._idle.append(w)
                self._cond.notify()

        threading.Thread(target=start, name="optiscribe-sandbox-respawn", daemon=True).start()

    def _acquire(self, timeout_s: float) -> WorkerProcess:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                if self._closed:
                    raise SandboxError("the WarmPoolExecutor is closed; create a new one")
                for dead in [w for w in self._idle if not w.alive()]:
                    # Died while idle: replace now so the pool keeps its size (the
                    # condition's lock is re-entrant, _replace may take it again).
                    self._idle.remove(dead)
                    self._replace(dead)
                if self._idle:
                    return self._idle.pop()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SandboxError(
                        f"no warm sandbox worker became free within {timeout_s:g} s; "
                        "increase the pool size or the timeout"
                    )
                self._cond.wait(remaining)

    def _release(self, w: WorkerProcess) -> None:
        with self._cond:
            if self._closed:
                w.close()
                return
            self._idle.append(w)
            self._cond.notify()

    @property
    def workers(self) -> int:
        """Live workers that finished warming up (idle or busy)."""
        with self._cond:
            return sum(1 for w in self._all if w.ready_info is not None and w.alive())

    def worker_pids(self) -> list[int]:
        with self._cond:
            return [w.pid for w in self._all]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
        for w in workers:
            w.close()
        shutil.rmtree(self._home, ignore_errors=True)

    def __enter__(self) -> WarmPoolExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- running
    def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        globals: Mapping[str, Any] | None = None,
    ) -> ExecutionResult:
        limits = self.limits.with_timeout(timeout)
        globals = check_globals(globals)
        w = self._acquire(timeout_s=max(60.0, limits.timeout_s * 4))
        healthy = True
        files = _JobFiles(code, drop_root=self.drop_root)
        try:
            job = files.job(
                limits, landlock=self.landlock, drop_root=self.drop_root, globals=globals
            )
            t0 = time.monotonic()
            reply = w.request(job, timeout_s=limits.timeout_s + 10.0)
            if reply is None or "error" in reply:
                # The supervisor inside the worker enforces the timeout; silence past it
                # means the worker itself is broken. Kill it (and its namespace).
                alive = w.alive()
                healthy = False
                self._replace(w)
                if reply is None and alive:
                    sup = {
                        "returncode": -signal.SIGKILL,
                        "killed": "timeout",
                        "wall_s": time.monotonic() - t0,
                        "cpu_s": 0.0,
                    }
                else:
                    raise SandboxError(
                        "the warm sandbox worker died while running the job (it has been "
                        "replaced); run the code again"
                    )
            else:
                sup = reply
            base = Isolation(
                self._ns.network,
                bool(sup.get("job_pid_namespace", False)),
                notes=(self._ns.note,) if self._ns.note else (),
            )
            return _collect(files, sup, limits, base, self.name)
        finally:
            files.cleanup()
            if healthy:
                self._release(w)


_default_executor: SubprocessExecutor | None = None
_default_lock = threading.Lock()


def check_globals(globals: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate predefined globals for a run: identifier names (no dunders), JSON values.

    Raises ``ValueError`` naming the offending entry, so a bad ``data`` field is reported
    as bad input instead of failing inside the sandbox.
    """
    if globals is None:
        return {}
    if not isinstance(globals, Mapping):
        raise ValueError(
            f"globals must be a mapping of names to values, got {type(globals).__name__}"
        )
    out: dict[str, Any] = {}
    for name, value in globals.items():
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("__"):
            raise ValueError(
                f"global name {name!r} is not a plain Python identifier; use names like 'data'"
            )
        out[name] = value
    try:
        size = len(json.dumps(out, allow_nan=True))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"globals must be JSON values (dict, list, str, number): {exc}") from None
    if size > MAX_GLOBALS_BYTES:
        raise ValueError(f"globals are {size} bytes as JSON; the limit is {MAX_GLOBALS_BYTES}")
    return out


def run_code(
    code: str,
    *,
    limits: SandboxLimits | None = None,
    executor: Executor | None = None,
    globals: Mapping[str, Any] | None = None,
) -> ExecutionResult:
    """Run ``code`` in the sandbox and return the result (never raises for code failures).

    Without ``executor`` a cold :class:`SubprocessExecutor` with ``limits`` is used. With
    one, its own limits apply and only ``limits.timeout_s`` (if given) is passed on.

    Examples
    --------
    >>> r = run_code("print(6 * 7)")
    >>> r.ok, r.stdout.strip()
    (True, '42')
    >>> run_code("print(data['n'] + 1)", globals={"data": {"n": 41}}).stdout.strip()
    '42'
    """
    global _default_executor
    extra: dict[str, Any] = {"globals": check_globals(globals)} if globals else {}
    if executor is None:
        if limits is not None:
            return SubprocessExecutor(limits).run(code, **extra)
        with _default_lock:
            if _default_executor is None:
                _default_executor = SubprocessExecutor()
        executor = _default_executor
        return executor.run(code, **extra)
    return executor.run(code, timeout=limits.timeout_s if limits is not None else None, **extra)
