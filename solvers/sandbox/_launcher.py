"""Child side of the sandbox: enter the limits, run the generated code, report back.

This file is executed as a *script* (``python -I _launcher.py run job.json`` for
a cold run, ``... worker`` for a warm-pool worker) and is also imported by the parent for
:func:`supervise`. It therefore uses the standard library only and never imports
``optiscribe``: with ``-I`` the package may not even be importable, and nothing heavy
may load before the limits are in place.

Layers applied to the process that runs the code, in order (each one is best effort
and reported, so the parent can say what was really in force):

1. fresh stdio (stdin ``/dev/null``, stdout/stderr to files the parent watches) and
   every other inherited file descriptor closed, so a warm worker's control pipe is
   out of reach;
2. ``chdir`` into the work dir and a clean environment (no API keys);
3. rlimits: CPU, address space, file size, open files, processes, no core dumps;
4. Landlock (Linux >= 5.13): writes only below the work dir, reads only below the
   Python installation and a few system trees, TCP bind/connect denied, signals to
   processes outside the sandbox denied;
5. when started as root: switch to uid/gid ``nobody`` so ``RLIMIT_NPROC`` is enforced
   and root-only files stay unreadable;
6. an audit hook that refuses sockets, subprocesses, ``exec`` and ``fork`` with a clear
   message (bypassable through ``ctypes``, hence never the only layer).

Namespaces (network, PID) are set up outside this file: by ``unshare`` around the
process for cold runs and worker start-up, and per job by :func:`_job_supervisor`.

Results travel on a *channel*: a JSON-lines file opened before the code runs. Events:
``entered`` (layers in force), ``solve`` (written by the code-mode hook) and
``outcome`` (how the code ended, with an error summary for the self-correction loop).
"""

from __future__ import annotations

import ctypes
import errno
import io
import json
import os
import resource
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any

NOBODY = 65534
CHANNEL_FD = 3  # where the channel lives in the child once other fds are closed

# ---------------------------------------------------------------- supervision (parent side)


def _tree_size(paths: list[str], fds: tuple[int, ...] = ()) -> int:
    total = 0
    for p in paths:
        try:
            total += os.stat(p).st_size
        except OSError:
            pass
    for fd in fds:
        try:
            total += os.fstat(fd).st_size
        except OSError:
            pass
    return total


def supervise(
    pid: int,
    *,
    timeout_s: float,
    watch_paths: list[str],
    max_output_bytes: int,
    kill: Callable[[], None],
    watch_fds: tuple[int, ...] = (),
) -> dict[str, Any]:
    """Wait for ``pid`` to end, killing it on timeout or when its output grows too big.

    Uses a pidfd so the wait wakes the moment the child exits (no polling latency);
    output size is checked between wake-ups. Returns ``returncode`` (negative signal
    number when killed), ``killed`` (``"timeout"``/``"output_limit"``/None), ``wall_s``
    and ``cpu_s`` (from ``wait4``).
    """
    t0 = time.monotonic()
    deadline = t0 + timeout_s
    killed: str | None = None
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    interval = 0.002
    try:
        while True:
            done_pid, status, rusage = os.wait4(pid, os.WNOHANG)
            if done_pid == pid:
                break
            now = time.monotonic()
            if killed is None:
                if now >= deadline:
                    killed = "timeout"
                elif _tree_size(watch_paths, watch_fds) > max_output_bytes:
                    killed = "output_limit"
                if killed is not None:
                    kill()
            wait = min(interval, max(deadline - now, 0.001)) if killed is None else 0.05
            if pidfd is not None:
                select.select([pidfd], [], [], wait)
            else:
                time.sleep(wait)
            interval = min(interval * 2, 0.05)
    finally:
        if pidfd is not None:
            os.close(pidfd)
    rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    return {
        "returncode": rc,
        "killed": killed,
        "wall_s": time.monotonic() - t0,
        "cpu_s": rusage.ru_utime + rusage.ru_stime,
    }


# ---------------------------------------------------------------- libc helpers

_libc: Any = None


def _libc_handle() -> Any:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.syscall.restype = ctypes.c_long
    return _libc


def unshare_pid_namespace() -> bool:
    """Make this process's future children start in a new PID namespace.

    The first child becomes that namespace's init: when it dies the kernel kills
    everything else in the namespace, which is what stops ``setsid`` escapees and fork
    bombs (``RLIMIT_NPROC`` is not enforced for root).
    """
    clone_newpid = 0x20000000
    return bool(_libc_handle().unshare(ctypes.c_int(clone_newpid)) == 0)


def set_parent_death_signal(sig: int = signal.SIGKILL) -> None:
    pr_set_pdeathsig = 1
    _libc_handle().prctl(pr_set_pdeathsig, ctypes.c_ulong(sig), 0, 0, 0)


# ---------------------------------------------------------------- Landlock

_LL_CREATE, _LL_ADD_RULE, _LL_RESTRICT = 444, 445, 446  # same on x86_64 and aarch64
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 14, 1 << 15


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    # lazy: child side: loaded only on this path, so each sandboxed run starts lean
    import platform

    if sys.platform != "linux" or platform.machine() not in ("x86_64", "aarch64"):
        return 0
    abi = _libc_handle().syscall(
        ctypes.c_long(_LL_CREATE), None, ctypes.c_size_t(0), ctypes.c_uint32(1)
    )
    return max(int(abi), 0)


def apply_landlock(write_dirs: list[str], read_paths: list[str]) -> int:
    """Restrict this process (and its future children) with Landlock; return the ABI used.

    Every filesystem right the kernel knows is *handled* (denied by default); reads
    and execution are then allowed below ``read_paths``, everything below
    ``write_dirs``. Returns 0 when Landlock is unavailable (nothing applied).
    """
    abi = landlock_abi()
    if abi < 1:
        return 0
    libc = _libc_handle()
    fs_bits = {1: 13, 2: 14, 3: 15, 4: 15}.get(abi, 16)
    fs_all = (1 << fs_bits) - 1
    file_only = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE
    if abi >= 3:
        file_only |= _FS_TRUNCATE
    if abi >= 5:
        file_only |= _FS_IOCTL_DEV
    attr = _RulesetAttr(fs=fs_all, net=3 if abi >= 4 else 0, scoped=3 if abi >= 6 else 0)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    rfd = libc.syscall(
        ctypes.c_long(_LL_CREATE), ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)
    )
    if rfd < 0:
        return 0
    read = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
    rules = [(p, read) for p in read_paths] + [(p, fs_all) for p in write_dirs]
    # Devices: reading the harmless ones, writing /dev/null; no other device, no ioctl.
    rules += [(f"/dev/{d}", _FS_READ_FILE) for d in ("zero", "urandom", "random")]
    rules.append(("/dev/null", _FS_READ_FILE | _FS_WRITE_FILE | (_FS_TRUNCATE if abi >= 3 else 0)))
    try:
        for path, rights in rules:
            try:
                pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not os.path.isdir(path):
                    rights &= file_only
                rule = _PathBeneath(allowed=rights & fs_all, parent_fd=pfd)
                libc.syscall(
                    ctypes.c_long(_LL_ADD_RULE),
                    ctypes.c_int(rfd),
                    ctypes.c_int(1),
                    ctypes.byref(rule),
                    ctypes.c_uint32(0),
                )
            finally:
                os.close(pfd)
        pr_set_no_new_privs = 38
        if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
            return 0
        if libc.syscall(ctypes.c_long(_LL_RESTRICT), ctypes.c_int(rfd), ctypes.c_uint32(0)) != 0:
            return 0
    finally:
        os.close(rfd)
    return abi


def _read_paths() -> list[str]:
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.update(p for p in sys.path if p)
    paths.update(os.path.realpath(p) for p in list(paths))
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    paths.update(
        [
            "/usr",
            "/lib",
            "/lib64",
            "/bin",
            "/proc",
            "/sys/devices/system/cpu",
            "/etc/ld.so.cache",
            "/etc/localtime",
            "/etc/passwd",
            "/etc/group",
        ]
    )
    return sorted(p for p in paths if os.path.exists(p))


def _other_can(path: str, bits: int) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_uid == NOBODY or (st.st_mode & bits) == bits


def _nobody_can_use_python() -> bool:
    """Whether uid ``nobody`` could still import from this interpreter's paths.

    A Python installed under ``/root`` (pyenv) is unreachable once root is dropped;
    then we keep root (and say so) rather than break every import.
    """
    dirs = [os.path.dirname(os.__file__)] + [p for p in sys.path if os.path.isdir(p)]
    for d in dirs:
        d = os.path.realpath(d)
        if not _other_can(d, 0o005):
            return False
        parent = os.path.dirname(d)
        while parent and parent != d:
            if not _other_can(parent, 0o001):
                return False
            d, parent = parent, os.path.dirname(parent)
    return True


# ---------------------------------------------------------------- audit hook


class SandboxViolation(PermissionError):
    """Raised inside the sandbox when the code attempts something the sandbox refuses."""


_DENIED_EVENTS = {
    "socket.connect": "network access",
    "socket.bind": "network access",
    "socket.sendto": "network access",
    "socket.getaddrinfo": "network access",
    "subprocess.Popen": "starting a subprocess",
    "os.system": "starting a subprocess",
    "os.exec": "starting a program",
    "os.posix_spawn": "starting a subprocess",
    "os.spawn": "starting a subprocess",
    "os.fork": "forking a process",
    "os.forkpty": "forking a process",
}
_violations: list[str] = []
_audit_armed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _audit_armed:
        return
    why = _DENIED_EVENTS.get(event)
    if why is not None:
        _violations.append(event)
        raise SandboxViolation(
            f"{why} is not allowed in the sandbox ({event}); solve the model in-process "
            "with the installed libraries and print the results instead"
        )


# ---------------------------------------------------------------- entering the sandbox


def _set_limit(which: int, soft: int, hard: int | None = None) -> None:
    hard = soft if hard is None else hard
    _, cur_hard = resource.getrlimit(which)
    if cur_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, cur_hard), min(hard, cur_hard)
    try:
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):
        pass


def apply_rlimits(limits: dict[str, Any]) -> None:
    cpu = int(limits["cpu_s"])
    _set_limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _set_limit(resource.RLIMIT_AS, int(limits["memory_mb"]) << 20)
    _set_limit(resource.RLIMIT_FSIZE, int(limits["fsize_mb"]) << 20)
    _set_limit(resource.RLIMIT_NOFILE, int(limits["nofile"]))
    _set_limit(resource.RLIMIT_NPROC, int(limits["nproc"]))
    _set_limit(resource.RLIMIT_CORE, 0)


def _open_job_stdio(job: dict[str, Any]) -> tuple[int, int, int]:
    """Open the job's stdout, stderr and channel files (paths given by the parent)."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
    return (
        os.open(job["stdout_path"], flags),
        os.open(job["stderr_path"], flags),
        os.open(job["channel_path"], flags),
    )


def _redirect_stdio(fds: tuple[int, int, int]) -> int:
    """Point fds 0/1/2 at /dev/null and the job's output files; put the channel on fd 3;
    close everything else. Returns the channel fd."""
    out, err, chan = fds
    devnull = os.open(os.devnull, os.O_RDONLY)
    # Move the sources above the target range first so a dup2 never clobbers one we need.
    out, err, chan = (os.dup(fd) if fd <= CHANNEL_FD else fd for fd in (out, err, chan))
    for src, dst in ((devnull, 0), (out, 1), (err, 2), (chan, CHANNEL_FD)):
        if src != dst:
            os.dup2(src, dst)
    os.closerange(CHANNEL_FD + 1, 1 << 16)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(
        io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace"
    )
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False),
        encoding="utf-8",
        errors="backslashreplace",
        line_buffering=True,
    )
    return CHANNEL_FD


def emit(event: dict[str, Any]) -> None:
    """Append one JSON line to the channel (a single write, so lines never interleave)."""
    data = (json.dumps(event, default=str) + "\n").encode()
    try:
        os.write(CHANNEL_FD, data)
    except OSError:
        pass


# ---------------------------------------------------------------- seccomp

_AUDIT_ARCH_X86_64 = 0xC000003E
_RET_ALLOW, _RET_KILL = 0x7FFF0000, 0x80000000
_RET_EPERM, _RET_ENOSYS = 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
#: x86_64 syscalls no solver program needs and that widen the kernel surface: tracing,
#: mounts and namespaces, keyrings, BPF, io_uring, modules, kexec, handles, raw ports,
#: other processes' memory, host names. They fail with EPERM.
_DENIED_X86_64 = (
    101,  # ptrace
    155,
    161,
    165,
    166,  # pivot_root, chroot, mount, umount2
    167,
    168,
    169,
    170,
    171,
    172,
    173,  # swapon/off, reboot, sethostname, setdomainname, iopl, ioperm
    175,
    176,
    313,  # init/delete/finit_module
    246,
    320,  # kexec_load, kexec_file_load
    248,
    249,
    250,  # add_key, request_key, keyctl
    272,
    308,  # unshare, setns
    298,
    310,
    311,  # perf_event_open, process_vm_readv/writev
    303,
    304,  # name_to_handle_at, open_by_handle_at
    321,
    323,  # bpf, userfaultfd
    425,
    426,
    427,  # io_uring_setup/enter/register
    428,
    429,
    430,
    431,
    432,
    433,
    442,  # open_tree, move_mount, fsopen..fspick, mount_setattr
)
_CLONE_NS_FLAGS = 0x7E020000  # NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _seccomp_program() -> list[tuple[int, int, int, int]]:
    """A classic-BPF filter: deny :data:`_DENIED_X86_64`, namespace flags on ``clone``,
    ``clone3`` (ENOSYS, so libc falls back to ``clone``) and the x32 ABI; allow the rest."""
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    body: list[tuple[int, int, int, int]] = [(ld, 0, 0, 4)]  # arch
    body.append((jeq, 1, 0, _AUDIT_ARCH_X86_64))
    body.append((ret, 0, 0, _RET_KILL))
    body.append((ld, 0, 0, 0))  # syscall number
    checks = [(jge, 0x40000000, "eperm")]  # x32 ABI
    checks += [(jeq, nr, "eperm") for nr in _DENIED_X86_64]
    checks.append((jeq, 435, "enosys"))  # clone3: its flags live in memory BPF cannot read
    n_checks = len(checks)
    # layout after the checks: [jeq clone -> flags] [ret allow] [ld args0] [jset] [ret allow]
    # [ret eperm] [ret enosys]
    tail_start = 4 + n_checks
    labels = {"eperm": tail_start + 6, "enosys": tail_start + 7}
    for i, (op, k, target) in enumerate(checks):
        pc = 4 + i
        body.append((op, labels[target] - pc - 1, 0, k))
    body.append((jeq, 1, 0, 56))  # clone
    body.append((ret, 0, 0, _RET_ALLOW))
    body.append((ld, 0, 0, 16))  # args[0], low 32 bits (little endian)
    body.append((jset, 1, 0, _CLONE_NS_FLAGS))
    body.append((ret, 0, 0, _RET_ALLOW))
    body.append((ret, 0, 0, _RET_EPERM))
    body.append((ret, 0, 0, _RET_EPERM))
    body.append((ret, 0, 0, _RET_ENOSYS))
    return body


def apply_seccomp() -> bool:
    """Install the filter on this process and its future children (x86_64 only)."""
    # lazy: child side: loaded only on this path, so each sandboxed run starts lean
    import platform

    if sys.platform != "linux" or platform.machine() != "x86_64":
        return False
    prog = _seccomp_program()
    arr = (_SockFilter * len(prog))(*[_SockFilter(c, jt, jf, k) for c, jt, jf, k in prog])
    fprog = _SockFprog(len(prog), ctypes.cast(arr, ctypes.POINTER(_SockFilter)))
    libc = _libc_handle()
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        return False
    return bool(libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(fprog), 0, 0) == 0)


def _write_code(job: dict[str, Any]) -> None:
    """Write the generated program into the (fresh) work dir; nothing of it pre-exists."""
    fd = os.open(job["code_path"], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    # surrogatepass: a lone surrogate in the code becomes a clean decode error at run time.
    with os.fdopen(fd, "w", encoding="utf-8", errors="surrogatepass") as fh:
        fh.write(job["code"])


def _read_own_file(path: str, cap: int) -> str | None:
    """Read a model file the hook just wrote (no symlinks, regular files, at most ``cap``)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not (st.st_mode & 0o170000 == 0o100000) or st.st_size > cap:
            return None
        chunks, total = [], 0
        while total <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > cap:
            return None
        return b"".join(chunks).decode("utf-8", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)


def _inline_models(hook: ModuleType, models_dir: str, cap: int) -> None:
    """Send each captured model as text on the channel instead of leaving a file name.

    The parent then never opens a file on the program's behalf (a name could be a symlink,
    a FIFO or ``/dev/zero``). Wraps the hook's ``_emit`` so the hook itself stays unchanged.
    """
    original = hook._emit

    def emit_with_model(event: dict[str, Any]) -> None:
        name = event.get("mps")
        if event.get("event") == "solve" and isinstance(name, str) and "/" not in name:
            text = _read_own_file(os.path.join(models_dir, name), cap)
            if text is None:
                event = {**event, "mps": None, "mps_error": f"model file over {cap} bytes"}
            else:
                event = {**event, "mps_text": text}
        original(event)

    hook._emit = emit_with_model  # type: ignore[attr-defined]


def _effective_caps() -> int:
    """The CapEff mask of this process (0 once every capability is dropped)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return -1


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_all_capabilities() -> bool:
    """Empty the bounding, ambient, effective, permitted and inheritable capability sets."""
    libc = _libc_handle()
    pr_capbset_drop, pr_cap_ambient, pr_cap_ambient_clear_all = 24, 47, 4
    libc.prctl(pr_cap_ambient, pr_cap_ambient_clear_all, 0, 0, 0)
    for cap in range(64):
        libc.prctl(pr_capbset_drop, cap, 0, 0, 0)
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    if libc.capset(ctypes.byref(header), ctypes.byref(data)) != 0:
        return False
    return _effective_caps() == 0


_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000


def fresh_job_namespaces(box: str, hide: str, box_mb: int) -> None:
    """Give this job new user, mount, network, IPC and UTS namespaces and an empty work dir.

    Runs in the job's supervisor inside a bubblewrap worker (uid 65534, no capabilities):
    a new user namespace grants capabilities over the new namespaces only. ``box`` gets a
    fresh size-capped tmpfs (so nothing a job writes survives it and no cleanup can fail),
    and ``hide`` (the folder holding every job's output files) is covered by an empty
    read-only tmpfs once this job's files are open.
    """
    libc = _libc_handle()
    uid, gid = os.geteuid(), os.getegid()
    flags = _CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWIPC | _CLONE_NEWUTS
    if libc.unshare(ctypes.c_int(flags)) != 0:
        raise OSError(ctypes.get_errno(), "unshare of the job namespaces failed")
    for name, text in (
        ("setgroups", "deny"),
        ("uid_map", f"{uid} {uid} 1"),
        ("gid_map", f"{gid} {gid} 1"),
    ):
        with open(f"/proc/self/{name}", "w", encoding="ascii") as fh:
            fh.write(text)
    ms_nosuid, ms_nodev, ms_rdonly = 2, 4, 1
    opts = f"size={int(box_mb)}m,mode=0700".encode()
    if libc.mount(b"tmpfs", box.encode(), b"tmpfs", ms_nosuid | ms_nodev, opts) != 0:
        raise OSError(ctypes.get_errno(), f"cannot mount the job's tmpfs on {box}")
    libc.sethostname(b"sandbox", 7)
    _hide_later.append((hide, ms_rdonly | ms_nosuid | ms_nodev))


_hide_later: list[tuple[str, int]] = []


def hide_job_files() -> None:
    """Cover the folder of job files with an empty tmpfs (after this job's are open)."""
    libc = _libc_handle()
    for path, flags in _hide_later:
        if libc.mount(b"tmpfs", path.encode(), b"tmpfs", flags, b"size=4k,mode=0500") != 0:
            raise OSError(ctypes.get_errno(), f"cannot hide {path}")
    _hide_later.clear()


def enter_sandbox(
    job: dict[str, Any], hook: ModuleType | None, fds: tuple[int, int, int]
) -> dict[str, Any]:
    """Apply every in-process layer; return what is actually in force."""
    global _audit_armed
    _redirect_stdio(fds)
    work = job["work_dir"]
    os.chdir(work)
    _write_code(job)
    os.environ.clear()
    os.environ.update(job["env"])
    sys.dont_write_bytecode = True
    if hook is not None:
        hook.configure(channel_fd=CHANNEL_FD, models_dir=job["models_dir"])
        _inline_models(hook, job["models_dir"], int(job.get("max_model_bytes", 32 << 20)))
    apply_rlimits(job["limits"])
    info: dict[str, Any] = {
        "landlock_abi": 0,
        "uid_dropped": os.geteuid() != 0,
        "audit_hook": True,
        "caps": _effective_caps(),
    }
    if job.get("landlock", True):
        info["landlock_abi"] = apply_landlock([work], _read_paths())
    if os.geteuid() == 0 and job.get("drop_root", True) and _nobody_can_use_python():
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            info["uid_dropped"] = True
        except OSError:
            pass
    info["seccomp"] = bool(job.get("seccomp", True)) and apply_seccomp()
    info["pid_namespace_init"] = os.getpid() == 1
    emit({"event": "entered", **info})
    if os.getpid() == 1 or job.get("reap_child"):
        _run_as_init()  # returns in the child only
    sys.addaudithook(_audit)
    _audit_armed = True
    return info


def _run_as_init() -> None:
    """Fork so the code does not run as its namespace's PID 1.

    PID 1 is special: signals it sends itself are ignored (``os.kill(os.getpid(), 9)``
    would do nothing) and orphans are reparented to it. The parent stays behind as a
    minimal init that reaps everything and reports how the code ended; when it exits
    the kernel kills whatever is left in the namespace.
    """
    child = os.fork()
    if child == 0:
        return
    os.closerange(0, CHANNEL_FD)  # only the channel stays open in the reaper
    pr_set_dumpable = 4
    _libc_handle().prctl(pr_set_dumpable, 0, 0, 0, 0)  # the code may not ptrace its reaper
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(70)
        except InterruptedError:
            continue
        if pid == child:
            break
    if os.WIFSIGNALED(status):
        emit({"event": "child_exit", "signal": os.WTERMSIG(status)})
        os._exit(128 + os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status))


# ---------------------------------------------------------------- classifying failures

_NET_ERRNOS = {errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL}
_DENIED_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}


def _short(text: str, limit: int = 400) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 15] + " ...[truncated]"


def _caused_by_violation(exc: BaseException) -> bool:
    seen: list[BaseException] = []
    todo: list[Any] = [exc]
    while todo and len(seen) < 10:
        e = todo.pop()
        if not isinstance(e, BaseException) or any(e is s for s in seen):
            continue
        if isinstance(e, SandboxViolation):
            return True
        seen.append(e)
        todo += [e.__cause__, e.__context__, getattr(e, "reason", None)]
    return False


def describe_exception(exc: BaseException, code_path: str) -> dict[str, Any]:
    """Turn an exception from the generated code into a short, precise summary.

    Only frames from the generated file are kept: launcher frames are noise to the
    LLM, library frames are summarised as one ``origin`` line.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if f.filename == code_path]
    tb_lines = [f"line {f.lineno}, in {f.name}: {(f.line or '').strip()}" for f in user[-5:]]
    origin = None
    if frames and frames[-1].filename != code_path:
        fn = frames[-1].filename
        origin = fn.split("site-packages/")[-1] if "site-packages/" in fn else os.path.basename(fn)
    line = user[-1].lineno if user else None
    kind = "runtime_error"
    missing = None
    message = _short(str(exc))
    if isinstance(exc, SyntaxError) and exc.filename == code_path:
        kind = "syntax_error"
        line = exc.lineno
        message = exc.msg
        if exc.text:
            caret = " " * max((exc.offset or 1) - 1, 0) + "^"
            tb_lines = [
                f"line {exc.lineno}: {exc.text.rstrip()}",
                " " * (len(str(exc.lineno)) + 7) + caret,
            ]
    elif isinstance(exc, ImportError):
        kind = "import_error"
        missing = exc.name
    elif isinstance(exc, MemoryError):
        kind = "memory"
        message = message or "out of memory"
    elif _caused_by_violation(exc):
        # Libraries wrap the refusal (urllib's URLError(reason=...)); name the refusal.
        kind = "forbidden"
        if not isinstance(exc, SandboxViolation):
            message = f"{message} [refused by the sandbox: {', '.join(dict.fromkeys(_violations))}]"
    elif isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        kind = "output_limit"
        message = "file size limit exceeded: " + message
    elif isinstance(exc, OSError) and exc.errno in _NET_ERRNOS:
        kind = "forbidden"
        message = "network access is not available in the sandbox: " + message
    elif isinstance(exc, OSError) and exc.errno in _DENIED_ERRNOS:
        kind = "forbidden"
        message = "access denied by the sandbox (only the work dir is writable): " + message
    return {
        "kind": kind,
        "type": type(exc).__name__,
        "message": message,
        "line": line,
        "traceback": tb_lines,
        "origin": origin,
        "missing_module": missing,
    }


def run_code(job: dict[str, Any]) -> int:
    """Compile and execute the generated file as ``__main__``; emit the outcome; return rc."""
    code_path = job["code_path"]
    outcome: dict[str, Any] = {"event": "outcome", "kind": "ok"}
    rc = 0
    try:
        with open(code_path, encoding="utf-8") as fh:
            source = fh.read()
        code = compile(source, code_path, "exec", dont_inherit=True)
        namespace = dict(job.get("globals") or {})  # predefined globals (e.g. ReLoop's data)
        namespace.update(__name__="__main__", __file__=code_path, __builtins__=__builtins__)
        exec(code, namespace)
    except SystemExit as exc:
        status = exc.code
        if status not in (None, 0):
            rc = status if isinstance(status, int) else 1
            outcome.update(
                kind="runtime_error",
                type="SystemExit",
                message=f"the program called exit({status!r})",
                line=None,
                traceback=describe_exception(exc, code_path)["traceback"],
            )
    except BaseException as exc:
        rc = 1
        try:
            outcome.update(describe_exception(exc, code_path))
        except MemoryError:
            outcome.update(kind="memory", type="MemoryError", message="out of memory")
        try:
            traceback.print_exception(exc, file=sys.stderr)
        except BaseException:
            pass
        del exc
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            if outcome["kind"] == "ok":
                outcome.update(
                    kind="output_limit",
                    type="OSError",
                    message="output exceeded the file size limit",
                )
                rc = 1
    outcome["violations"] = list(_violations)
    emit(outcome)
    return rc


def _load_hook() -> ModuleType | None:
    """Load the code-mode hook that sits next to this file (by path: -I hides the package)."""
    # lazy: child side: loaded only on this path, so each sandboxed run starts lean
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_hook.py")
    spec = importlib.util.spec_from_file_location("_optiscribe_codemode_hook", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.install()
    return module


# ---------------------------------------------------------------- cold run


def _read_job(stream: Any, limit: int = 64 << 20) -> dict[str, Any]:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError("job description too large")
    job: dict[str, Any] = json.loads(data)
    return job


def _main_run() -> None:
    """Cold run: the job arrives on stdin; stdout/stderr are fds 1/2, the channel is
    ``job["channel_fd"]`` (all opened by the parent, never by path in here)."""
    job = _read_job(sys.stdin.buffer)
    started = job.get("started_fd")
    if isinstance(started, int):
        # Out of the program's reach (closed before it runs): tells the parent that the
        # launcher started, even if the program later truncates the channel.
        os.write(started, b"started\n")
        os.close(started)
    hook = _load_hook() if job.get("hook", True) else None
    enter_sandbox(job, hook, (1, 2, int(job["channel_fd"])))
    rc = run_code(job)
    os._exit(rc)


# ---------------------------------------------------------------- warm worker


def _job_supervisor(job: dict[str, Any], hook: ModuleType | None, result_fd: int) -> None:
    """Runs in a fresh child of the worker: own namespaces, run the code, watch it.

    With ``fresh_namespaces`` (inside bubblewrap) the job gets new user, mount, network,
    IPC, UTS and PID namespaces and its own tmpfs work dir, so nothing it does outlives it.
    """
    set_parent_death_signal()
    fresh = bool(job.get("fresh_namespaces"))
    try:
        if fresh:
            fresh_job_namespaces(job["work_dir"], job["jobs_dir"], int(job["limits"]["disk_mb"]))
        fds = _open_job_stdio(job)
        if fresh:
            hide_job_files()
        pid_ns = job.get("pid_namespace", True) and unshare_pid_namespace()
    except BaseException as exc:
        msg = json.dumps({"error": f"job setup failed: {type(exc).__name__}: {exc}"[:500]})
        os.write(result_fd, (msg + "\n").encode())
        os._exit(0)
    lim = job["limits"]
    pid = os.fork()
    if pid == 0:
        try:
            os.close(result_fd)
            if not pid_ns:
                os.setsid()
            set_parent_death_signal()
            if fresh and not drop_all_capabilities():
                os._exit(72)
            enter_sandbox(job, hook, fds)
            rc = run_code(job)
        except BaseException:
            rc = 70
        os._exit(rc)
    os.close(fds[2])

    def kill() -> None:
        try:
            # As the namespace's init dies, the kernel kills the whole namespace.
            os.kill(pid, signal.SIGKILL) if pid_ns else os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass

    result = supervise(
        pid,
        timeout_s=float(lim["timeout_s"]),
        watch_paths=[],
        max_output_bytes=int(lim["max_output_bytes"]),
        kill=kill,
        watch_fds=fds[:2],
    )
    if not pid_ns:
        try:
            os.killpg(pid, signal.SIGKILL)  # stragglers left in the job's process group
        except OSError:
            pass
    result["job_pid_namespace"] = bool(pid_ns)
    result["fresh_namespaces"] = fresh
    os.write(result_fd, (json.dumps(result) + "\n").encode())
    os._exit(0)


def _main_worker() -> None:
    """Warm worker: preload Pyomo + HiGHS once, then fork one supervised child per job.

    Protocol (JSON lines): the worker writes ``{"ready": ...}`` once, then for each job
    line read on stdin writes one result line. Fds 0/1 are moved away from the worker's
    own stdio so stray library output cannot corrupt the protocol. A job whose supervisor
    does not end cleanly makes the worker say ``"dirty": true`` so the parent replaces it.
    """
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.dont_write_bytecode = True
    preloaded = []
    for name in ("pyomo.environ", "highspy", "pyomo.contrib.solver.solvers.highs"):
        try:
            __import__(name)
            preloaded.append(name)
        except ImportError:
            pass
    hook = _load_hook()
    os.write(
        proto_out,
        (json.dumps({"ready": True, "pid": os.getpid(), "preloaded": preloaded}) + "\n").encode(),
    )
    buf = b""
    while True:
        while b"\n" not in buf:
            chunk = proto_in.read(65536)
            if not chunk:
                os._exit(0)
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        job = json.loads(line)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                _job_supervisor(job, hook, w)
            finally:
                os._exit(71)
        os.close(w)
        with os.fdopen(r, "rb") as fh:
            data = fh.read(1 << 16)
        _, status = os.waitpid(pid, 0)
        leftover = False
        try:
            leftover = os.waitpid(-1, os.WNOHANG) != (0, 0)
        except ChildProcessError:
            pass
        try:
            result = json.loads(data)
            if not isinstance(result, dict):
                raise ValueError("not an object")
        except ValueError:
            result = {"error": "job supervisor died without a result"}
        if status != 0 or leftover:
            result["dirty"] = True
        os.write(proto_out, (json.dumps(result) + "\n").encode())


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "run":
        _main_run()
    elif len(sys.argv) >= 2 and sys.argv[1] == "worker":
        _main_worker()
    else:
        sys.stderr.write("usage: _launcher.py run < JOB.json | worker\n")
        sys.exit(2)
