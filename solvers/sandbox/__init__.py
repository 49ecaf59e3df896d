"""Run LLM-generated Python solver code in a sandbox and return what happened.

The sandbox is a *transport* (the httpx ``BaseTransport`` idea): callers hand an
:class:`Executor` a string of code and get an :class:`ExecutionResult` back, without
knowing whether the code ran in a cold subprocess, a warm worker, or a test double::

    executor.run(code, *, timeout=None) -> ExecutionResult

A failure *of the code* (syntax error, missing module, exception, timeout, memory,
too much output, a forbidden action) is a result with a failure kind (:data:`CODE_FAILURES`,
members of :class:`~optiscribe.solvers.kinds.FailureKind`) and a short
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
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from optiscribe.solvers.errors import SandboxError, SandboxSetupError, SolverError
from optiscribe.solvers.kinds import FailureKind
from optiscribe.solvers.result import SolveResult
from optiscribe.solvers.sandbox import _bwrap, _channel, _launcher
from optiscribe.solvers.sandbox._pool import WorkerProcess

__all__ = [
    "ALLOW_WEAK_ENV",
    "CODE_FAILURES",
    "CodeError",
    "ExecutionResult",
    "Executor",
    "FakeExecutor",
    "Isolation",
    "IsolationLevel",
    "SandboxLimits",
    "SolveReport",
    "SubprocessExecutor",
    "WarmPoolExecutor",
    "check_globals",
    "outcome_kind",
    "probe_isolation",
    "run_code",
]

LAUNCHER = str(Path(_launcher.__file__).resolve())
LAUNCHER_DIR = os.path.dirname(LAUNCHER)
#: Set to ``1`` to run code mode without bubblewrap (weaker isolation, said in every result).
ALLOW_WEAK_ENV = "OPTISCRIBE_SANDBOX_ALLOW_WEAK"
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
MAX_MPS_BYTES = _channel.MAX_MPS_BYTES
MAX_REPORTS = 200
MAX_RESOLVED = 20
"""Captured models the parent re-solves itself (the last ones, which callers use)."""


CODE_FAILURES: tuple[FailureKind, ...] = (
    FailureKind.SYNTAX_ERROR,  # the code does not compile
    FailureKind.IMPORT_ERROR,  # an import failed; CodeError.missing_module names the module
    FailureKind.RUNTIME_ERROR,  # an exception, a non-zero exit(), or a crash (signal)
    FailureKind.TIMEOUT,  # wall-clock or CPU-time limit; the whole process tree was killed
    FailureKind.MEMORY,  # address-space limit (MemoryError or std::bad_alloc)
    FailureKind.OUTPUT_LIMIT,  # printed more than max_output_bytes, or a file over fsize_mb
    FailureKind.FORBIDDEN,  # network, subprocess, fork or a write outside the work dir
    # a solver-API feature the code-mode dialect (gurobipy/coptpy on HiGHS) does not
    # reproduce exactly; CodeError.feature names it. Never approximated.
    FailureKind.UNSUPPORTED,
)
"""How a run of generated code can fail: the :class:`~optiscribe.solvers.kinds.FailureKind`
members an :class:`ExecutionResult` carries (its ``kind`` is None when the code ran)."""

#: What the child's outcome line says when the code ran to the end.
OK = "ok"


def outcome_kind(channel_kind: str) -> FailureKind | None:
    """The failure kind of the ``kind`` string of a child's outcome line: None for
    ``"ok"``, the :data:`CODE_FAILURES` member of that value (the strings the channel has
    always sent), and ``runtime_error`` for anything else."""
    if channel_kind == OK:
        return None
    try:
        kind = FailureKind(channel_kind)
    except ValueError:
        return FailureKind.RUNTIME_ERROR
    return kind if kind in CODE_FAILURES else FailureKind.RUNTIME_ERROR


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
    disk_mb: int = 256
    """Size of the tmpfs work dir under bubblewrap (the program's whole disk)."""

    def __post_init__(self) -> None:
        for name in (
            "timeout_s",
            "memory_mb",
            "fsize_mb",
            "nofile",
            "nproc",
            "max_output_bytes",
            "disk_mb",
        ):
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
            "disk_mb": self.disk_mb,
        }


class IsolationLevel(enum.StrEnum):
    """How strong the boundary around generated code is."""

    BUBBLEWRAP = "bubblewrap"
    """bwrap: new user/PID/network/IPC/UTS/cgroup namespaces, uid 65534, no capabilities,
    read-only system and interpreter, minimal /dev, size-capped tmpfs work dir."""
    NAMESPACES = "namespaces"
    """No bubblewrap (opted in): ``unshare`` network + PID namespaces, rlimits, Landlock."""
    PROCESS = "process"
    """No namespaces at all (opted in, or switched off): rlimits, Landlock, audit hook."""


@dataclass(frozen=True)
class Isolation:
    """Which isolation layers were actually in force for a run (probed, not assumed)."""

    network_namespace: bool = False
    pid_namespace: bool = False
    landlock_abi: int = 0
    uid_dropped: bool = False
    audit_hook: bool = False
    notes: tuple[str, ...] = ()
    level: IsolationLevel = IsolationLevel.PROCESS
    namespaces: tuple[str, ...] = ()
    """Every namespace the run got fresh (``ipc``, ``net``, ``pid``, ``user``, ``uts``)."""
    capabilities_dropped: bool = False
    fresh_per_job: bool = False
    """Warm pool: each job got namespaces and a work dir of its own (nothing survives it)."""
    seccomp: bool = False
    """A seccomp filter refused ptrace, mounts, namespaces, keyrings, BPF, io_uring, ..."""

    def describe(self) -> str:
        yn = {True: "yes", False: "no"}
        parts = [
            f"isolation level: {self.level.value}"
            + ("" if self.level is IsolationLevel.BUBBLEWRAP else " (weaker than bubblewrap)"),
            f"namespaces: {', '.join(self.namespaces) or 'none'}",
            f"network namespace: {yn[self.network_namespace]}",
            f"pid namespace: {yn[self.pid_namespace]}",
            f"landlock: {'ABI ' + str(self.landlock_abi) if self.landlock_abi else 'no'}",
            f"runs as nobody: {yn[self.uid_dropped]}",
            f"capabilities dropped: {yn[self.capabilities_dropped]}",
            f"seccomp: {yn[self.seccomp]}",
            f"audit hook: {yn[self.audit_hook]}",
        ]
        return "; ".join(parts + [n for n in self.notes if n])


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
    claimed_objective: float | None = None
    """The objective the program itself reported (never trusted)."""
    resolved: SolveResult | None = None
    """The parent's own solve of :attr:`mps`; :attr:`objective` comes from it when present."""
    disagreement: str | None = None
    """Set when the program's report does not match the parent's solve of its model."""

    @classmethod
    def _from_event(cls, ev: _channel.SolveEvent, resolved: SolveResult | None) -> SolveReport:
        objective = ev.objective
        disagreement = None
        if resolved is not None:
            objective = resolved.objective if resolved.has_solution else None
            disagreement = _disagreement(ev, resolved)
        return cls(
            index=ev.index,
            api=ev.api,
            requested_solver=ev.requested_solver,
            solver=ev.solver,
            termination=ev.termination,
            objective=objective,
            values=MappingProxyType(dict(ev.values)),
            mps=ev.mps_text,
            mps_error=ev.mps_error,
            ignored_options=tuple(ev.ignored_options),
            status=ev.status,
            wall_s=ev.wall_s,
            claimed_objective=ev.objective,
            resolved=resolved,
            disagreement=disagreement,
        )


def _disagreement(ev: _channel.SolveEvent, resolved: SolveResult) -> str | None:
    """Why the program's own report differs from the parent's solve (None when it agrees)."""
    claimed = ev.objective
    if resolved.has_solution:
        true = resolved.objective
        if claimed is None:
            return None if ev.termination != "optimal" else "reported optimal without an objective"
        if true is not None and abs(claimed - true) > 1e-6 * max(1.0, abs(true)):
            return f"reported objective {claimed!r}, the captured model solves to {true!r}"
        return None
    if claimed is not None:
        return (
            f"reported objective {claimed!r}, but the captured model has no solution "
            f"({resolved.termination.value})"
        )
    return None


@dataclass(frozen=True)
class CodeError:
    """A short, precise account of why the generated code failed (for the LLM)."""

    kind: FailureKind
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
        if self.line is not None and self.kind is not FailureKind.SYNTAX_ERROR:
            head += f" (line {self.line})"
        lines = [head]
        if self.kind is FailureKind.SYNTAX_ERROR:
            lines += [f"  {t}" for t in self.traceback]
        elif self.traceback:
            lines.append("Traceback (generated code only):")
            lines += [f"  {t}" for t in self.traceback]
        if self.origin:
            lines.append(f"  raised inside {self.origin}")
        if self.kind is FailureKind.IMPORT_ERROR and self.missing_module:
            lines.append(
                f"Module '{self.missing_module}' is not available in the sandbox. "
                f"Available: {AVAILABLE_LIBRARIES}."
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class ExecutionResult:
    """Everything known about one run of generated code. Never raised, always returned."""

    kind: FailureKind | None = None
    """The failure (one of :data:`CODE_FAILURES`), None when the code ran to the end."""
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
    flags: tuple[str, ...] = ()
    """Things the parent noticed about the program's conduct, e.g. ``report_disagrees``."""

    @property
    def ok(self) -> bool:
        return self.kind is None

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
        return f"[{self.kind}] {self.error.summary()}"


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


def _allow_weak(explicit: bool | None) -> bool:
    if explicit is not None:
        return explicit
    return os.environ.get(ALLOW_WEAK_ENV, "").strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class _Boundary:
    """How one executor starts its child: under bwrap, under ``unshare``, or bare."""

    level: IsolationLevel
    bwrap: _bwrap.BwrapSupport | None
    ns: _NamespaceSupport

    def isolation(self) -> Isolation:
        if self.level is IsolationLevel.BUBBLEWRAP:
            assert self.bwrap is not None
            return Isolation(
                network_namespace=True,
                pid_namespace=True,
                uid_dropped=True,
                level=self.level,
                namespaces=self.bwrap.namespaces,
                capabilities_dropped=self.bwrap.caps == 0,
            )
        names = tuple(n for n, on in (("net", self.ns.network), ("pid", self.ns.pid)) if on)
        return Isolation(
            self.ns.network,
            self.ns.pid,
            level=self.level,
            namespaces=names,
            notes=tuple(n for n in (self.ns.note, _weak_note(self.bwrap)) if n),
        )


def _weak_note(bw: _bwrap.BwrapSupport | None) -> str:
    why = bw.note if bw is not None else "bubblewrap switched off"
    return f"{why}; running with weaker isolation because it was allowed explicitly"


def _choose_boundary(
    python: str, *, namespaces: bool, bubblewrap: bool, allow_weak: bool | None
) -> _Boundary:
    """bubblewrap when it works; otherwise refuse unless weaker isolation is allowed."""
    bw = _bwrap.probe_bwrap(python, LAUNCHER_DIR) if (namespaces and bubblewrap) else None
    if bw is not None and bw.works:
        return _Boundary(IsolationLevel.BUBBLEWRAP, bw, _NamespaceSupport((), True, True, ""))
    if not _allow_weak(allow_weak):
        why = bw.note if bw is not None else "bubblewrap was switched off"
        raise SandboxSetupError(
            f"code mode needs bubblewrap as its boundary, and {why}. Install it "
            "(apt-get install bubblewrap) and check with 'optiscribe sandbox check', or "
            f"accept weaker isolation explicitly with {ALLOW_WEAK_ENV}=1 "
            "(optiscribe --allow-weak-sandbox ...)"
        )
    ns = (
        _probe_namespaces(python)
        if namespaces
        else _NamespaceSupport((), False, False, "namespaces switched off")
    )
    level = IsolationLevel.NAMESPACES if (ns.network or ns.pid) else IsolationLevel.PROCESS
    return _Boundary(level, bw, ns)


def probe_isolation(python: str | None = None, *, allow_weak: bool | None = None) -> Isolation:
    """What a run on this machine gets (bubblewrap probed, else namespaces; Landlock ABI).

    Never raises: without bubblewrap the level says so even when weak isolation is not
    allowed (then executors refuse to start).
    """
    python = python or sys.executable
    try:
        b = _choose_boundary(python, namespaces=True, bubblewrap=True, allow_weak=True)
    except SandboxSetupError as exc:  # pragma: no cover - allow_weak=True never raises
        return Isolation(notes=(str(exc),))
    iso = b.isolation()
    return replace(
        iso,
        landlock_abi=_launcher.landlock_abi(),
        uid_dropped=iso.uid_dropped or (os.geteuid() == 0 and _launcher._nobody_can_use_python()),
        audit_hook=True,
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


def _remove_tree(path: Path) -> bool:
    """Remove ``path`` whatever the program built inside it; False if anything is left.

    ``shutil.rmtree`` recurses, so a 3000-deep folder chain raises ``RecursionError``;
    ``rm -rf`` walks iteratively. Immutable files (``chattr +i``) make this return False.
    """
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        return True
    except BaseException:  # RecursionError, PermissionError, ...: fall back to rm
        try:
            subprocess.run(
                ["rm", "-rf", "--one-file-system", "--", str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return False
    return not os.path.lexists(path)


class _JobFiles:
    """Host-side files of one run: ``ctl/{stdout,stderr,channel.jsonl}`` (opened by the
    child, read back safely by the parent) and, without bubblewrap only, a host work dir.

    Under bubblewrap the work dir is a tmpfs inside the sandbox (``/box``); nothing the
    program writes there ever reaches the host.
    """

    def __init__(self, *, parent: str | None, host_work: bool, drop_root: bool) -> None:
        try:
            self.root = Path(tempfile.mkdtemp(prefix="optiscribe-sbx-", dir=parent))
        except OSError as exc:
            raise SandboxSetupError(
                f"cannot create a sandbox work dir in {parent or tempfile.gettempdir()!r}: "
                f"{exc}; set TMPDIR to a writable folder"
            ) from exc
        self.ctl = self.root / "ctl"
        self.ctl.mkdir()
        self.stdout = self.ctl / "stdout"
        self.stderr = self.ctl / "stderr"
        self.channel = self.ctl / "channel.jsonl"
        for f in (self.stdout, self.stderr, self.channel):
            f.touch(mode=0o600)
        self.work = self.root / "work" if host_work else Path(_bwrap.BOX)
        if host_work:
            self.work.mkdir()
            if drop_root and os.geteuid() == 0:
                # The child becomes 'nobody' after opening ctl/*; it needs the work dir only.
                os.chmod(self.root, 0o711)
                os.chown(self.work, _launcher.NOBODY, _launcher.NOBODY)

    def job(
        self,
        code: str,
        limits: SandboxLimits,
        *,
        landlock: bool,
        drop_root: bool,
        pid_namespace: bool = True,
        globals: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        work = str(self.work)
        return {
            "globals": dict(globals or {}),
            "code": code,
            "code_path": os.path.join(work, "main.py"),
            "work_dir": work,
            "models_dir": os.path.join(work, ".optiscribe"),
            "stdout_path": str(self.stdout),
            "stderr_path": str(self.stderr),
            "channel_path": str(self.channel),
            "limits": limits.to_child(),
            "env": _base_env(work),
            "landlock": landlock,
            "drop_root": drop_root,
            "pid_namespace": pid_namespace,
            "hook": True,
            "max_model_bytes": MAX_MPS_BYTES,
        }

    def cleanup(self) -> bool:
        return _remove_tree(self.root)


def _tail(path: Path, limit: int = TAIL_CHARS) -> str:
    data, size = _channel.read_tail(path, limit)
    text = data.decode("utf-8", "replace")
    return text if size <= limit else f"...[{size - len(data)} bytes cut]\n{text}"


def _classify(
    sup: Mapping[str, Any], outcome: Mapping[str, Any] | None, limits: SandboxLimits, stderr: str
) -> tuple[FailureKind | None, CodeError | None, str | None]:
    """Decide the failure kind (None: the code ran); the parent's own observations win over
    the child's."""
    rc = sup.get("returncode")
    killed = sup.get("killed")
    if killed == "timeout":
        return (
            FailureKind.TIMEOUT,
            CodeError(
                FailureKind.TIMEOUT,
                "Timeout",
                f"the program did not finish within {limits.timeout_s:g} s and was killed; "
                "look for an endless loop, a blocking call (input, sleep) or a model too large "
                "to solve in time",
            ),
            killed,
        )
    if killed == "output_limit":
        return (
            FailureKind.OUTPUT_LIMIT,
            CodeError(
                FailureKind.OUTPUT_LIMIT,
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
            FailureKind.TIMEOUT,
            CodeError(
                FailureKind.TIMEOUT,
                "Timeout",
                f"the program used more than {limits.effective_cpu_s} s of CPU time and was killed",
            ),
            "cpu_limit",
        )
    if outcome is not None:
        kind = outcome_kind(str(outcome.get("kind", FailureKind.RUNTIME_ERROR)))
        if kind is None:
            return None, None, None
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
            FailureKind.MEMORY,
            CodeError(
                FailureKind.MEMORY,
                "MemoryError",
                f"the program ran out of memory (limit {limits.memory_mb} MB)",
            ),
            None,
        )
    if rc == 0:
        return None, None, None  # e.g. os._exit(0): no outcome line, still a success
    if isinstance(rc, int) and rc < 0:
        try:
            signame = signal.Signals(-rc).name
        except ValueError:
            signame = f"signal {-rc}"
        return (
            FailureKind.RUNTIME_ERROR,
            CodeError(FailureKind.RUNTIME_ERROR, "Crash", f"the program was killed by {signame}"),
            None,
        )
    last = [ln for ln in stderr.strip().splitlines() if ln.strip()][-3:]
    return (
        FailureKind.RUNTIME_ERROR,
        CodeError(
            FailureKind.RUNTIME_ERROR,
            "Exit",
            f"the program exited with status {rc}" + (": " + " | ".join(last) if last else ""),
        ),
        None,
    )


def _resolve(mps: str, time_limit: float) -> tuple[SolveResult | None, str | None]:
    """Solve a captured model in the parent (a file the parent itself writes)."""
    # lazy: the backends load pyomo (~0.6 s): `import optiscribe.solvers` stays cheap
    from optiscribe.solvers.backends.mps import solve_mps
    from optiscribe.solvers.backends.solve import SolveOptions

    with tempfile.TemporaryDirectory(prefix="optiscribe-resolve-") as tmp:
        path = Path(tmp) / "model.mps"
        try:
            path.write_text(mps, encoding="utf-8", errors="replace")
            return solve_mps(path, SolveOptions(time_limit=time_limit)), None
        except SolverError as exc:
            return None, str(exc).replace(str(path), "the captured model")
        except Exception as exc:  # highspy may raise anything on a hostile file
            return None, f"{type(exc).__name__} while re-solving the captured model"


def _channel_error(error: _channel.ChannelError) -> CodeError:
    where = f" (line {error.line} of the channel)" if error.line else ""
    return CodeError(
        FailureKind.FORBIDDEN,
        "ChannelError",
        f"the program wrote an invalid report on the sandbox's result channel{where}: "
        f"{error.message}. Do not write to file descriptor 3; print results instead",
    )


def _collect(
    files: _JobFiles,
    sup: Mapping[str, Any],
    limits: SandboxLimits,
    base: Isolation,
    executor: str,
    *,
    resolve: bool = True,
    started: bool = False,
) -> ExecutionResult:
    """Build the result from what the run left. ``started``: the sandbox itself (not the
    program) confirmed that the launcher came up, so a missing ``entered`` event means
    the program tampered with the channel, not that the sandbox failed to start."""
    data, complete = _channel.read_capped(files.channel, _channel.MAX_CHANNEL_BYTES)
    events, bad = _channel.parse_channel(data, complete)
    del data
    died = next((e for e in events if isinstance(e, _channel.ChildExit)), None)
    if died is not None and sup.get("killed") is None:
        # The code ran under a minimal init (PID namespace): report its signal, not init's.
        sup = {**sup, "returncode": -died.signal}
    entered = next((e for e in events if isinstance(e, _channel.Entered)), None)
    outcome = next((e for e in reversed(events) if isinstance(e, _channel.Outcome)), None)
    stderr = _tail(files.stderr)
    if entered is None and bad is None and started:
        bad = _channel.ChannelError("the sandbox's own report of its layers is missing")
    if entered is None and bad is None and sup.get("killed") is None and sup.get("returncode") != 0:
        raise SandboxSetupError(
            f"the sandboxed interpreter failed before running the code (exit status "
            f"{sup.get('returncode')}): {stderr.strip()[-500:] or 'no output'}; check "
            "'optiscribe sandbox check'"
        )
    outcome_dict = outcome.model_dump() if outcome is not None else None
    kind, error, killed = _classify(sup, outcome_dict, limits, stderr)
    features = tuple(
        dict.fromkeys(e.feature[:120] for e in events if isinstance(e, _channel.Unsupported))
    )[:20]
    if features and kind in (None, FailureKind.RUNTIME_ERROR):
        # A refused dialect feature decides the outcome even when the code caught it.
        kind = FailureKind.UNSUPPORTED
        error = CodeError(
            FailureKind.UNSUPPORTED,
            "UnsupportedFeature",
            f"unsupported: {', '.join(features)} (the gurobipy/coptpy layer runs linear "
            "models on HiGHS and refuses what it cannot reproduce exactly; reformulate "
            "with linear constraints and continuous/integer/binary variables)",
            line=error.line if error is not None else None,
            traceback=error.traceback if error is not None else (),
            feature=", ".join(features),
        )
    if bad is not None and killed is None:
        kind, error = FailureKind.FORBIDDEN, _channel_error(bad)
    solves = [e for e in events if isinstance(e, _channel.SolveEvent)][:MAX_REPORTS]
    first_resolved = len(solves) - MAX_RESOLVED
    # All re-solves of one run share one time budget (the run's own timeout), so a
    # program that captures many hard models cannot hold the parent for long.
    deadline = time.monotonic() + max(limits.timeout_s, 1.0)
    reports = []
    for i, ev in enumerate(solves):
        resolved = None
        if resolve and ev.mps_text is not None and i >= first_resolved:
            left = deadline - time.monotonic()
            if left < 0.05:
                ev = ev.model_copy(update={"mps_error": "not re-solved: time budget used up"})
            else:
                resolved, why = _resolve(ev.mps_text or "", left)
                if why is not None:
                    ev = ev.model_copy(update={"mps_error": why})
        reports.append(SolveReport._from_event(ev, resolved))
    isolation = base
    if entered is not None:
        isolation = replace(
            base,
            landlock_abi=entered.landlock_abi,
            uid_dropped=base.uid_dropped or entered.uid_dropped,
            audit_hook=entered.audit_hook,
            capabilities_dropped=base.capabilities_dropped or entered.caps == 0,
            seccomp=entered.seccomp,
        )
    flags = ["report_disagrees"] if any(r.disagreement for r in reports) else []
    if bad is not None:
        flags.append("invalid_channel")
    return ExecutionResult(
        kind=kind,
        returncode=sup.get("returncode"),
        timed_out=kind is FailureKind.TIMEOUT,
        killed=killed,
        wall_s=float(sup.get("wall_s", 0.0)),
        stdout=_tail(files.stdout),
        stderr=stderr,
        error=error,
        reports=tuple(reports),
        violations=tuple(outcome.violations) if outcome else (),
        unsupported=features,
        isolation=isolation,
        executor=executor,
        flags=tuple(flags),
    )


# ---------------------------------------------------------------- cold executor


def _feed(proc: subprocess.Popen[bytes], data: bytes) -> None:
    """Write the job to the child's stdin and close it (the child may die first)."""
    assert proc.stdin is not None
    try:
        proc.stdin.write(data)
    except OSError:
        pass  # it died at once; supervise() reports how
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass


class _SandboxExecutor:
    """What the two real executors share: the limits and layer switches, the isolation
    boundary (chosen once, at construction) and the start of every run."""

    name = "sandbox"

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        *,
        allow_weak: bool | None = None,
        namespaces: bool = True,
        bubblewrap: bool = True,
        landlock: bool = True,
        drop_root: bool = True,
        python: str | None = None,
        resolve: bool = True,
    ) -> None:
        self.limits = limits or SandboxLimits()
        self.python = python or sys.executable
        self.landlock = landlock
        self.drop_root = drop_root
        self.resolve = resolve
        self.boundary = _choose_boundary(
            self.python, namespaces=namespaces, bubblewrap=bubblewrap, allow_weak=allow_weak
        )
        self._bwrapped = self.boundary.level is IsolationLevel.BUBBLEWRAP

    def _prepare(
        self, timeout: float | None, globals: Mapping[str, Any] | None
    ) -> tuple[SandboxLimits, dict[str, Any]]:
        """The limits of one run and its checked globals: bad globals raise ``ValueError``
        before anything is started or created."""
        return self.limits.with_timeout(timeout), check_globals(globals)

    def _start_job(
        self, parent: str | None, code: str, limits: SandboxLimits, globals: dict[str, Any]
    ) -> tuple[_JobFiles, dict[str, Any]]:
        """The host-side files of one run (in ``parent``) and its job description. The
        caller owns ``files`` from here on and must call ``files.cleanup()``."""
        files = _JobFiles(parent=parent, host_work=not self._bwrapped, drop_root=self.drop_root)
        try:
            job = files.job(
                code, limits, landlock=self.landlock, drop_root=self.drop_root, globals=globals
            )
        except BaseException:
            files.cleanup()
            raise
        return files, job


class SubprocessExecutor(_SandboxExecutor):
    """One fresh interpreter per run inside bubblewrap. Slow (~1 s with Pyomo) but simple.

    Parameters
    ----------
    limits:
        Resource limits; ``run(timeout=...)`` overrides only the wall-clock timeout.
    allow_weak:
        Run without bubblewrap (``unshare`` namespaces or none) when it is missing.
        ``None`` reads ``OPTISCRIBE_SANDBOX_ALLOW_WEAK``; otherwise a missing bubblewrap
        raises :class:`SandboxSetupError` at construction.
    namespaces, bubblewrap, landlock, drop_root:
        Switch layers off (debugging and tests; anything off needs ``allow_weak``).
    resolve:
        Re-solve each captured model in the parent and report that result.
    """

    name = "cold"

    @property
    def isolation(self) -> Isolation:
        return self.boundary.isolation()

    def _command(self, limits: SandboxLimits, work: str) -> list[str]:
        b = self.boundary
        if b.level is IsolationLevel.BUBBLEWRAP:
            assert b.bwrap is not None and b.bwrap.path is not None
            prefix = _bwrap.bwrap_command(
                b.bwrap.path,
                self.python,
                b.bwrap.read_only,
                LAUNCHER_DIR,
                disk_mb=limits.disk_mb,
                env=_base_env(work),
            )
            launcher = os.path.join(_bwrap.LAUNCHER_DIR, os.path.basename(LAUNCHER))
            return [*prefix, self.python, "-I", launcher, "run"]
        return [*b.ns.prefix, self.python, "-I", LAUNCHER, "run"]

    def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        globals: Mapping[str, Any] | None = None,
    ) -> ExecutionResult:
        limits, checked = self._prepare(timeout, globals)
        bwrapped = self._bwrapped
        files, job = self._start_job(None, code, limits, checked)
        try:
            if bwrapped:
                job["reap_child"] = True  # bwrap is PID 1; the launcher reaps the code itself
            cmd = self._command(limits, str(files.work))
            with (
                open(files.stdout, "ab") as out,
                open(files.stderr, "ab") as err,
                open(files.channel, "ab") as chan,
                open(files.ctl / "started", "ab") as started,
            ):
                job["channel_fd"] = chan.fileno()
                job["started_fd"] = started.fileno()
                try:
                    proc = subprocess.Popen(
                        cmd,
                        cwd=files.root if bwrapped else files.work,
                        env=_base_env(str(files.work)),
                        stdin=subprocess.PIPE,
                        stdout=out,
                        stderr=err,
                        start_new_session=True,
                        close_fds=True,
                        pass_fds=(chan.fileno(), started.fileno()),
                    )
                except OSError as exc:
                    raise SandboxSetupError(
                        f"cannot start the sandbox interpreter {cmd[0]!r}: {exc}"
                    ) from exc
            # From a thread: a child that never reads its stdin must not block the timeout.
            threading.Thread(
                target=_feed, args=(proc, json.dumps(job).encode()), daemon=True
            ).start()

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
            launched = _channel.read_capped(files.ctl / "started", 64)[0] == b"started\n"
            return _collect(
                files,
                sup,
                limits,
                self.isolation,
                self.name,
                resolve=self.resolve,
                started=launched,
            )
        finally:
            files.cleanup()


# ---------------------------------------------------------------- warm pool


class WarmPoolExecutor(_SandboxExecutor):
    """A pool of warm workers with Pyomo and HiGHS already imported.

    Each worker runs inside bubblewrap; each job runs in a fresh child forked from a
    worker that first gets user, mount, network, IPC, UTS and PID namespaces and a tmpfs
    work dir of its own, so nothing one job does survives into the next and there is no
    cleanup inside the worker that could fail. A worker that dies, stops answering, or
    reports an unclean job is killed together with its namespaces and replaced, never
    reused. Thread-safe; use as a context manager or call :meth:`close`.
    """

    name = "warm"

    def __init__(
        self,
        size: int | None = None,
        limits: SandboxLimits | None = None,
        *,
        allow_weak: bool | None = None,
        namespaces: bool = True,
        bubblewrap: bool = True,
        landlock: bool = True,
        drop_root: bool = True,
        python: str | None = None,
        start_timeout_s: float = 60.0,
        resolve: bool = True,
    ) -> None:
        self.size = size if size is not None else max(1, min(2, os.cpu_count() or 1))
        if self.size < 1:
            raise ValueError(f"WarmPoolExecutor size must be >= 1, got {size}")
        super().__init__(
            limits,
            allow_weak=allow_weak,
            namespaces=namespaces,
            bubblewrap=bubblewrap,
            landlock=landlock,
            drop_root=drop_root,
            python=python,
            resolve=resolve,
        )
        self.start_timeout_s = start_timeout_s
        self._home = tempfile.mkdtemp(prefix="optiscribe-pool-")
        self._jobs = os.path.join(self._home, "jobs")
        os.mkdir(self._jobs, 0o700)
        self._cond = threading.Condition()
        self._idle: list[WorkerProcess] = []
        self._all: set[WorkerProcess] = set()
        self._closed = False
        self.replaced = 0
        # bwrap --die-with-parent (PR_SET_PDEATHSIG) fires when the *thread* that started
        # the worker ends, so every worker is started by this one long-lived thread.
        self._spawn_q: queue.Queue[tuple[Callable[[], WorkerProcess], Future[WorkerProcess]] | None]
        self._spawn_q = queue.Queue()
        self._spawner = threading.Thread(
            target=self._spawn_loop, name="optiscribe-sandbox-spawner", daemon=True
        )
        self._spawner.start()
        starting = [self._spawn() for _ in range(self.size)]
        for w in starting:
            self._await_ready(w)
        with self._cond:
            self._idle.extend(starting)

    @property
    def isolation(self) -> Isolation:
        iso = self.boundary.isolation()
        return replace(iso, fresh_per_job=self._bwrapped)

    # -- lifecycle
    def _spawn(self) -> WorkerProcess:
        b = self.boundary
        if self._bwrapped:
            assert b.bwrap is not None and b.bwrap.path is not None
            prefix = _bwrap.bwrap_command(
                b.bwrap.path,
                self.python,
                b.bwrap.read_only,
                LAUNCHER_DIR,
                disk_mb=16,
                extra_binds=((self._jobs, _bwrap.JOBS),),
                allow_nested_userns=True,
                env=_base_env(_bwrap.BOX),
            )
            launcher = os.path.join(_bwrap.LAUNCHER_DIR, os.path.basename(LAUNCHER))
            cmd = [*prefix, self.python, "-I", launcher, "worker"]
        else:
            cmd = [*b.ns.prefix, self.python, "-I", LAUNCHER, "worker"]
        fut: Future[WorkerProcess] = Future()
        self._spawn_q.put(
            (
                lambda: WorkerProcess(
                    cmd,
                    env=_base_env(self._home),
                    cwd=self._home,
                    log_path=os.path.join(self._home, f"worker-{time.monotonic_ns()}.log"),
                ),
                fut,
            )
        )
        try:
            w = fut.result()
        except OSError as exc:
            raise SandboxSetupError(f"cannot start a sandbox worker {cmd[0]!r}: {exc}") from exc
        with self._cond:
            self._all.add(w)
        return w

    def _spawn_loop(self) -> None:
        while (item := self._spawn_q.get()) is not None:
            make, fut = item
            try:
                fut.set_result(make())
            except BaseException as exc:
                fut.set_exception(exc)

    def _await_ready(self, w: WorkerProcess) -> None:
        if w.wait_ready(self.start_timeout_s) is None:
            tail = w.log_tail()
            w.kill()
            with self._cond:
                self._all.discard(w)
            raise SandboxSetupError(
                f"a sandbox worker did not become ready within {self.start_timeout_s:g} s: "
                f"{tail.strip()[-500:] or 'no output'}; check 'optiscribe sandbox check'"
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
        self._spawn_q.put(None)
        _remove_tree(Path(self._home))

    def __enter__(self) -> WarmPoolExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- running
    def _job(self, files: _JobFiles, job: dict[str, Any]) -> dict[str, Any]:
        """The base job with what a warm worker needs to find the files from inside."""
        if self._bwrapped:
            inside = os.path.join(_bwrap.JOBS, os.path.relpath(files.ctl, self._jobs))
            job.update(
                fresh_namespaces=True,
                jobs_dir=_bwrap.JOBS,
                stdout_path=os.path.join(inside, files.stdout.name),
                stderr_path=os.path.join(inside, files.stderr.name),
                channel_path=os.path.join(inside, files.channel.name),
            )
        return job

    def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        globals: Mapping[str, Any] | None = None,
    ) -> ExecutionResult:
        limits, checked = self._prepare(timeout, globals)
        w = self._acquire(timeout_s=max(60.0, limits.timeout_s * 4))
        healthy = True
        try:
            files, job = self._start_job(self._jobs, code, limits, checked)
        except BaseException:
            self._release(w)
            raise
        try:
            job = self._job(files, job)
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
                    why = str(reply.get("error"))[:300] if reply else "it died"
                    raise SandboxError(
                        f"the warm sandbox worker failed while running the job ({why}); it "
                        "has been replaced; run the code again"
                    )
            else:
                sup = reply
                if reply.get("dirty"):
                    healthy = False
                    self._replace(w)
            base = replace(
                self.isolation,
                pid_namespace=bool(sup.get("job_pid_namespace", False)),
                fresh_per_job=bool(sup.get("fresh_namespaces", False)),
            )
            # A reply without "error" is the supervisor's word that the job started.
            return _collect(files, sup, limits, base, self.name, resolve=self.resolve, started=True)
        finally:
            if not files.cleanup() and healthy:
                healthy = False  # something of the job is left on the host: never reuse
                self._replace(w)
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
