"""The sandbox's boundary: the bubblewrap command line, and a probe of what it gives here.

bubblewrap (``bwrap``, the sandbox Flatpak is built on) starts the child in new user,
PID, network, IPC, UTS and cgroup namespaces, as uid 65534 with every capability
dropped, in a root that holds only read-only binds of the system libraries and of the
interpreter and packages the code may import, a minimal ``/dev`` and a size-capped
tmpfs as the work dir. See ``docs/sandbox.md``.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from dataclasses import dataclass

__all__ = ["BOX", "JOBS", "LAUNCHER_DIR", "BwrapSupport", "bwrap_command", "probe_bwrap"]

BOX = "/box"
"""The work dir inside the sandbox (a fresh tmpfs)."""
JOBS = "/jobs"
"""Where a warm worker sees the per-job output files (hidden from each job's code)."""
LAUNCHER_DIR = "/opt/optiscribe-sandbox"
"""Where the launcher and the code-mode hook are bound read-only."""
NOBODY = 65534
_SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
_ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf")
_DEVICES = ("null", "zero", "urandom", "random")

_INTERPRETER_PROBE = (
    "import json, os, sys\n"
    "print(json.dumps(sorted({sys.prefix, sys.base_prefix, sys.exec_prefix, "
    "sys.base_exec_prefix, os.path.dirname(os.path.realpath(sys.executable)), "
    "*[p for p in sys.path if p and os.path.isdir(p)]})))\n"
)
_SANDBOX_PROBE = (
    "import json, os\n"
    "ns = {n: os.readlink('/proc/self/ns/' + n) for n in ('ipc', 'uts', 'net', 'user', 'pid', 'cgroup')}\n"
    "caps = [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')][0]\n"
    "print(json.dumps({'uid': os.getuid(), 'pid': os.getpid(), 'ns': ns,\n"
    "                  'caps': int(caps, 16), 'dev': sorted(os.listdir('/dev'))}))\n"
)


@dataclass(frozen=True)
class BwrapSupport:
    """What bubblewrap gives on this machine (probed once per interpreter)."""

    path: str | None
    works: bool
    read_only: tuple[str, ...] = ()
    """Interpreter and package folders bound read-only."""
    note: str = ""
    uid: int | None = None
    caps: int | None = None
    devices: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    """Namespaces that differ from the parent's (``ipc``, ``net``, ``pid``, ``user``, ``uts``)."""


def _interpreter_dirs(python: str) -> tuple[str, ...]:
    """Folders the sandboxed interpreter imports from (asked of ``python -I`` itself)."""
    out = subprocess.run(
        [python, "-I", "-c", _INTERPRETER_PROBE],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        check=True,
    )
    dirs = {os.path.realpath(p) for p in json.loads(out.stdout)} | set(json.loads(out.stdout))
    # Parents first never matter for binds; drop folders covered by another one.
    keep = sorted(d for d in dirs if os.path.isdir(d))
    return tuple(d for d in keep if not any(d != o and d.startswith(o + "/") for o in keep))


def bwrap_command(
    bwrap: str,
    python: str,
    read_only: tuple[str, ...],
    launcher_dir: str,
    *,
    disk_mb: int,
    extra_binds: tuple[tuple[str, str], ...] = (),
    allow_nested_userns: bool = False,
    env: dict[str, str] | None = None,
) -> list[str]:
    """The ``bwrap ... --`` prefix that runs ``python`` inside the boundary.

    ``extra_binds`` are ``(host, inside)`` read-write binds (a warm worker's job folder).
    ``allow_nested_userns`` keeps user namespaces available inside (a warm worker gives
    each job fresh namespaces of its own); cold runs forbid them.
    """
    cmd = [
        bwrap,
        "--unshare-all",
        "--unshare-user",
        "--uid",
        str(NOBODY),
        "--gid",
        str(NOBODY),
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--clearenv",
    ]
    if not allow_nested_userns:
        cmd += ["--disable-userns"]
    for d in _SYSTEM_DIRS:
        if os.path.islink(d):
            cmd += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            cmd += ["--ro-bind", d, d]
    for f in _ETC_FILES:
        if os.path.isfile(f):
            cmd += ["--ro-bind", f, f]
    for d in read_only:
        cmd += ["--ro-bind", d, d]
    cmd += ["--ro-bind", launcher_dir, LAUNCHER_DIR]
    cmd += ["--proc", "/proc", "--tmpfs", "/dev"]
    for dev in _DEVICES:
        cmd += ["--dev-bind", f"/dev/{dev}", f"/dev/{dev}"]
    cmd += ["--symlink", "/proc/self/fd", "/dev/fd"]
    cmd += ["--size", str(16 << 20), "--tmpfs", "/tmp"]
    cmd += ["--size", str(int(disk_mb) << 20), "--tmpfs", BOX, "--chmod", "0700", BOX]
    for host, inside in extra_binds:
        cmd += ["--bind", host, inside]
    for key, value in (env or {}).items():
        cmd += ["--setenv", key, value]
    cmd += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", BOX, "--"]
    return cmd


@functools.cache
def probe_bwrap(python: str, launcher_dir: str) -> BwrapSupport:
    """Run a probe program inside the boundary and record what it really got."""
    path = shutil.which("bwrap")
    if path is None:
        return BwrapSupport(None, False, note="bubblewrap (bwrap) is not installed")
    try:
        read_only = _interpreter_dirs(python)
        cmd = bwrap_command(path, python, read_only, launcher_dir, disk_mb=16)
        out = subprocess.run(
            [*cmd, python, "-I", "-c", _SANDBOX_PROBE],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        return BwrapSupport(path, False, note=f"bubblewrap probe failed: {exc}"[:400])
    if out.returncode != 0:
        why = out.stderr.strip()[-300:] or f"exit status {out.returncode}"
        return BwrapSupport(path, False, read_only, note=f"bubblewrap does not run here: {why}")
    try:
        info = json.loads(out.stdout.strip().splitlines()[-1])
        mine = {n: os.readlink(f"/proc/self/ns/{n}") for n in info["ns"]}
    except (ValueError, IndexError, KeyError, OSError) as exc:
        return BwrapSupport(path, False, read_only, note=f"bubblewrap probe unreadable: {exc}")
    fresh = tuple(sorted(n for n, v in info["ns"].items() if mine.get(n) != v))
    needed = {"ipc", "net", "pid", "user", "uts"}
    ok = info["uid"] == NOBODY and info["caps"] == 0 and needed <= set(fresh)
    return BwrapSupport(
        path,
        ok,
        read_only,
        note="" if ok else "bubblewrap ran but did not isolate as expected",
        uid=int(info["uid"]),
        caps=int(info["caps"]),
        devices=tuple(info["dev"]),
        namespaces=fresh,
    )
