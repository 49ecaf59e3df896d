"""Hostile programs against the bubblewrap sandbox: issue 10's weaknesses 1-8, then more.

Every hostile program must come back as an :class:`ExecutionResult` (never an exception
in the parent), leave no process, file or host state behind, and the very next benign
program in the *same* one-worker warm pool must give the right answer.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from optiscribe.solvers.kinds import FailureKind
from optiscribe.solvers.sandbox import (
    ExecutionResult,
    IsolationLevel,
    SandboxLimits,
    SubprocessExecutor,
    WarmPoolExecutor,
    probe_isolation,
)
from optiscribe.solvers.sandbox._channel import MAX_CHANNEL_BYTES, parse_channel

LIMITS = SandboxLimits(timeout_s=3.0, memory_mb=768, fsize_mb=48, max_output_bytes=200_000)

pytestmark = pytest.mark.skipif(
    probe_isolation().level is not IsolationLevel.BUBBLEWRAP,
    reason="bubblewrap is not usable here (apt-get install bubblewrap)",
)

BENIGN = textwrap.dedent(
    """
    import pyomo.environ as pyo
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 4), domain=pyo.Integers)
    m.y = pyo.Var(bounds=(0, 10))
    m.c = pyo.Constraint(expr=m.x + m.y <= 7.5)
    m.o = pyo.Objective(expr=3 * m.x + m.y, sense=pyo.maximize)
    pyo.SolverFactory('glpk').solve(m)
    print(pyo.value(m.o))
    """
)


@pytest.fixture(scope="module")
def pool() -> Iterator[WarmPoolExecutor]:
    with WarmPoolExecutor(size=1, limits=LIMITS) as p:
        yield p


@pytest.fixture(scope="module")
def cold() -> SubprocessExecutor:
    return SubprocessExecutor(LIMITS)


def _comm_running(token: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if Path(f"/proc/{entry}/comm").read_text().strip() != token:
                continue
            if Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                pids.append(int(entry))
        except OSError:
            pass
    return pids


def _tag(token: str) -> str:
    return f"import ctypes as _c; _c.CDLL(None).prctl(15, {token.encode()!r}, 0, 0, 0)\n"


def _assert_benign_after(pool: WarmPoolExecutor) -> None:
    r = pool.run(BENIGN)
    assert r.ok, r.summary
    assert r.stdout.strip() == "15.5"
    assert len(r.reports) == 1 and r.reports[0].objective == pytest.approx(15.5)
    assert r.reports[0].disagreement is None and r.flags == ()


def _assert_no_host_state(pool: WarmPoolExecutor) -> None:
    assert os.listdir(pool._jobs) == []  # every job's files are gone from the host


def _run_hostile(
    pool: WarmPoolExecutor, code: str, *, timeout: float | None = None
) -> ExecutionResult:
    tok = "hx" + uuid.uuid4().hex[:12]
    r = pool.run(_tag(tok) + code, timeout=timeout)
    assert isinstance(r, ExecutionResult)
    assert r.isolation.level is IsolationLevel.BUBBLEWRAP and r.isolation.fresh_per_job
    if "invalid_channel" not in r.flags:  # else the layers' own report may be gone
        assert r.isolation.capabilities_dropped and r.isolation.seccomp
    deadline = time.monotonic() + 3
    while _comm_running(tok) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _comm_running(tok) == [], "a process of the hostile program is still running"
    _assert_no_host_state(pool)
    return r


# ---------------------------------------------------------------- weakness 1


def test_w1_parent_never_reads_a_file_named_by_the_child(
    pool: WarmPoolExecutor, cold: SubprocessExecutor, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-" + uuid.uuid4().hex)
    attack = textwrap.dedent(
        f"""
        import os, shutil, json
        os.makedirs('.optiscribe', exist_ok=True)
        shutil.rmtree('.optiscribe')
        try:
            os.symlink({str(tmp_path)!r}, '.optiscribe')
        except OSError:
            pass
        for name in ('secret.txt', 'fifo', 'zero', '../../etc/shadow'):
            os.write(3, (json.dumps({{'event': 'solve', 'mps': name, 'values': {{}}}}) + '\\n').encode())
        os.mkfifo('fifo')
        os.write(3, (json.dumps({{'event': 'solve', 'mps': 'fifo', 'values': {{}}}}) + '\\n').encode())
        os.symlink('/dev', 'dev'); os.symlink('/dev/zero', 'zero')
        """
    )
    for ex in (pool, cold):
        t0 = time.monotonic()
        r = ex.run(attack)
        assert time.monotonic() - t0 < 15  # a FIFO or /dev/zero would block or grow forever
        assert r.ok, r.summary
        assert all(rep.mps is None for rep in r.reports)
        assert secret.read_text() not in repr(r)
    _assert_benign_after(pool)


# ---------------------------------------------------------------- weakness 2


def test_w2_no_devices_no_root_no_capabilities(pool: WarmPoolExecutor) -> None:
    r = _run_hostile(
        pool,
        textwrap.dedent(
            """
            import os
            devs = ('loop0', 'loop-control', 'kmsg', 'sda', 'vda', 'mem', 'tty', 'null', 'zero')
            present = [d for d in devs if os.path.exists('/dev/' + d)]
            opened = []
            for dev in present:
                try:
                    os.close(os.open('/dev/' + dev, os.O_RDWR)); opened.append(dev)
                except OSError:
                    pass
            caps = [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')][0]
            print(os.getuid(), os.getgid(), caps, present, opened)
            """
        ),
    )
    assert r.ok, r.summary
    uid, gid, caps, *rest = r.stdout.split(" ", 3)
    assert (uid, gid, caps) == ("65534", "65534", "0000000000000000")
    assert rest[0].strip() == "['null', 'zero'] ['null']"
    _assert_benign_after(pool)


# ---------------------------------------------------------------- weakness 3


def test_w3_deep_directories_do_not_break_the_pool(pool: WarmPoolExecutor) -> None:
    r = _run_hostile(
        pool,
        "import os\nfor i in range(3000):\n    os.mkdir('d'); os.chdir('d')\nprint('deep')\n",
        timeout=20,
    )
    assert r.ok and r.stdout.strip() == "deep", r.summary
    t0 = time.monotonic()
    _assert_benign_after(pool)
    assert time.monotonic() - t0 < 20
    assert pool.workers == 1


def test_w3_legacy_cleanup_of_deep_directories_is_iterative(tmp_path: Path) -> None:
    from optiscribe.solvers.sandbox import _remove_tree

    d = tmp_path / "root"
    d.mkdir()
    fd = os.open(d, os.O_RDONLY)
    for _ in range(1200):  # deeper than shutil.rmtree can recurse under a small limit
        os.mkdir("d", dir_fd=fd)
        fd, old_fd = os.open("d", os.O_RDONLY, dir_fd=fd), fd
        os.close(old_fd)
    os.close(fd)
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        assert _remove_tree(d)
    finally:
        sys.setrecursionlimit(old)
    assert not d.exists()


# ---------------------------------------------------------------- weakness 4

BAD_LINES = [
    b'{"event":"solve","index":"abc"}',
    b'{"event":"solve","values":[1]}',
    b'{"event":"solve","values":{"x":"a"}}',
    b'{"event":"child_exit","signal":"x"}',
    b'{"event":"solve","mps":"a\\u0000b","objective":NaN}',
    b"[" * 200_000,
    b'{"event":"outcome","kind":"pwned"}',
    b'{"event":"teleport"}',
    b"\xff\xfe not json",
    b'{"event":"solve","objective":1e999}',
]


@pytest.mark.parametrize("line", BAD_LINES, ids=range(len(BAD_LINES)))
def test_w4_malformed_channel_lines_become_clean_errors(
    pool: WarmPoolExecutor, line: bytes
) -> None:
    r = _run_hostile(pool, f"import os\nos.write(3, {line!r} + b'\\n')\n")
    assert r.kind is FailureKind.FORBIDDEN, r.summary
    assert r.error is not None and r.error.type_name == "ChannelError"
    assert "invalid report on the sandbox's result channel" in r.summary
    assert "invalid_channel" in r.flags


def test_w4_benign_after_bad_lines(pool: WarmPoolExecutor) -> None:
    _assert_benign_after(pool)


# ---------------------------------------------------------------- weakness 5


def test_w5_parent_memory_does_not_grow_with_solve_events(pool: WarmPoolExecutor) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = _run_hostile(
        pool,
        textwrap.dedent(
            """
            import json, os
            with open('big.mps', 'w') as fh:
                fh.write('x' * (30 << 20))
            for i in range(40):
                os.write(3, (json.dumps({'event': 'solve', 'index': i, 'mps': 'big.mps'}) + '\\n').encode())
            """
        ),
    )
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert r.ok, r.summary
    assert len(r.reports) == 40 and all(rep.mps is None for rep in r.reports)
    assert grown_mb < 200, f"the parent grew by {grown_mb:.0f} MB"
    _assert_benign_after(pool)


def test_w5_channel_over_the_cap_is_refused_before_parsing() -> None:
    events, error = parse_channel(b"{}", complete=False)
    assert events == [] and error is not None and str(MAX_CHANNEL_BYTES) in error.message


# ---------------------------------------------------------------- weakness 6


def test_w6_switching_off_the_audit_hook_does_not_open_the_boundary(
    pool: WarmPoolExecutor,
) -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    marker = f"{1000 + uuid.uuid4().int % 10**6 / 10**7:.7f}"
    try:
        r = _run_hostile(
            pool,
            textwrap.dedent(
                f"""
                import sys, subprocess, socket, os
                sys.modules['__main__']._audit_armed = False
                sys.modules['__main__']._violations.clear()
                subprocess.Popen(['sleep', {marker!r}], start_new_session=True)
                s = socket.socket(); s.settimeout(1)
                try:
                    s.connect(('127.0.0.1', {port})); print('CONNECTED')
                except OSError as e:
                    print('no network', e.errno)
                try:
                    open('/tmp/escape', 'w').write('x'); print('WROTE')
                except OSError:
                    print('no write')
                """
            ),
        )
        srv.settimeout(0.2)
        with pytest.raises(OSError):
            srv.accept()
    finally:
        srv.close()
    assert "CONNECTED" not in r.stdout and "WROTE" not in r.stdout, r.stdout
    time.sleep(0.2)
    assert not any(
        marker in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")
        for p in os.listdir("/proc")
        if p.isdigit() and Path(f"/proc/{p}/cmdline").exists()
    ), "the subprocess outlived its job"
    _assert_benign_after(pool)


# ---------------------------------------------------------------- weakness 7


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in os.listdir(f"/proc/{p}/task"):
            try:
                kids = Path(f"/proc/{p}/task/{task}/children").read_text().split()
            except OSError:
                continue
            out += [int(k) for k in kids]
            todo += [int(k) for k in kids]
    return out


def _ns(pid: int) -> dict[str, str]:
    names = ("ipc", "net", "uts", "user", "mnt")
    return {n: os.readlink(f"/proc/{pid}/ns/{n}") for n in names}


def test_w7_each_job_gets_namespaces_of_its_own(pool: WarmPoolExecutor) -> None:
    """Seen from the host while the job runs: none of its namespaces is the worker's."""
    tok = "ns" + uuid.uuid4().hex[:12]
    (bwrap_pid,) = pool.worker_pids()
    worker = next(
        p
        for p in _descendants(bwrap_pid)
        if Path(f"/proc/{p}/cmdline").read_bytes().endswith(b"worker\0")
    )
    seen: list[dict[str, str]] = []

    def watch() -> None:
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            for pid in _comm_running(tok):
                seen.append(_ns(pid))
            time.sleep(0.02)

    t = threading.Thread(target=watch)
    t.start()
    r = pool.run(_tag(tok) + "import time\ntime.sleep(1.0)\n")
    t.join()
    assert r.ok, r.summary
    assert seen, "the job's process was never seen"
    mine, theirs = seen[0], _ns(worker)
    assert all(mine[n] != theirs[n] for n in mine), (mine, theirs)


def test_w7_shared_memory_hostname_keyring_chattr_and_disk(pool: WarmPoolExecutor) -> None:
    hostname = socket.gethostname()
    r = _run_hostile(
        pool,
        textwrap.dedent(
            """
            import ctypes, fcntl, os, socket
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            print('shm', libc.shmget(0x5eed, 4096, 0o1666) >= 0)
            print('hostname', libc.sethostname(b'pwned', 5) == 0)
            key = libc.syscall(248, b'user', b'optiscribe-x', b'payload', 7, -4)  # add_key @u
            print('key', key >= 0)
            os.mkdir('imm')
            try:
                fcntl.ioctl(os.open('imm', os.O_RDONLY), 0x40086602, b'\\x10\\0\\0\\0\\0\\0\\0\\0')
                print('chattr', True)
            except OSError:
                print('chattr', False)
            try:
                with open('fill', 'wb') as fh:
                    for _ in range(400):
                        fh.write(b'\\0' * (1 << 20))
                print('disk', 'unbounded')
            except OSError as e:
                print('disk', e.errno)
            """
        ),
    )
    assert socket.gethostname() == hostname
    assert "hostname True" not in r.stdout and "chattr True" not in r.stdout, r.stdout
    assert "disk unbounded" not in r.stdout, r.stdout
    r2 = pool.run(
        textwrap.dedent(
            """
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            print('shm', libc.shmget(0x5eed, 0, 0) >= 0)
            print('key', libc.syscall(249, b'user', b'optiscribe-x', None, -4) >= 0)
            print(sorted(os.listdir('.')))
            """
        )
    )
    assert r2.stdout.split("\n")[:3] == ["shm False", "key False", "['main.py']"], r2.stdout
    _assert_benign_after(pool)


# ---------------------------------------------------------------- weakness 8


def test_w8_forged_reports_are_caught_by_the_parents_own_solve(pool: WarmPoolExecutor) -> None:
    patched = BENIGN.replace(
        "pyo.SolverFactory('glpk').solve(m)",
        "import sys\nsys.modules['_optiscribe_codemode_hook']._finite = lambda x: 1e6\n"
        "pyo.SolverFactory('glpk').solve(m)",
    )
    r = pool.run(patched)
    assert r.ok, r.summary
    (rep,) = r.reports
    assert rep.objective == pytest.approx(15.5) and rep.claimed_objective == 1e6
    assert rep.disagreement is not None and "report_disagrees" in r.flags

    forged = BENIGN + textwrap.dedent(
        """
        import json, os
        m.write('forged.mps', format='mps', io_options={'symbolic_solver_labels': True})
        text = open('forged.mps').read()
        os.write(3, (json.dumps({'event': 'solve', 'index': 9, 'termination': 'optimal',
                                 'objective': -123.0, 'mps_text': text}) + '\\n').encode())
        """
    )
    r = pool.run(forged)
    assert r.ok, r.summary
    assert [rep.objective for rep in r.reports] == [pytest.approx(15.5), pytest.approx(15.5)]
    assert r.reports[1].claimed_objective == -123.0 and r.reports[1].disagreement
    _assert_benign_after(pool)


def test_w8_a_forged_model_highs_would_loop_on_does_not_hang_the_parent() -> None:
    # the parent re-solves the model text a program sends; HiGHS 1.12's fixed-format MPS
    # reader never returned on this one (names with blanks, an empty line). The whole run
    # is in a child process: the loop holds the GIL, so a regression would hang pytest
    fixed = (
        "NAME          TESTLP\nROWS\n N  COST\n L  LIM 1\n\nCOLUMNS\n"
        "    X ONE     COST              -1.0   LIM 1              1.0\n"
        "RHS\n    RHS       LIM 1        4.0\nENDATA\n"
    )
    program = (
        "import json, os\n"
        "os.write(3, (json.dumps({'event': 'solve', 'index': 0, 'termination': 'optimal', "
        f"'objective': 99.0, 'mps_text': {fixed!r}}}) + '\\n').encode())\n"
    )
    code = textwrap.dedent(
        f"""
        from optiscribe.solvers.sandbox import SandboxLimits, SubprocessExecutor
        r = SubprocessExecutor(SandboxLimits(timeout_s=3.0)).run({program!r})
        (rep,) = r.reports
        print(r.ok, rep.objective, rep.claimed_objective)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "-4.0", "99.0"]  # the parent's own solve: min -x, x <= 4


# ---------------------------------------------------------------- a wider hostile suite

HOSTILE: dict[str, tuple[str, Callable[[ExecutionResult], bool]]] = {
    "read_shadow": (
        "print(open('/etc/shadow').read())",
        lambda r: r.kind in (FailureKind.RUNTIME_ERROR, FailureKind.FORBIDDEN),
    ),
    "read_root_home": (
        "import os\nprint(os.listdir('/root'))",
        lambda r: "ssh" not in r.stdout and not r.ok,
    ),
    "write_usr": ("open('/usr/evil', 'w').write('x')", lambda r: not r.ok),
    "kill_everything": (
        "import os, signal\nos.kill(-1, signal.SIGKILL)\nprint('survived')",
        lambda r: True,
    ),
    "kill_pid_1": ("import os\nos.kill(1, 9)\nprint('after')", lambda r: True),
    "ptrace_pid_1": (
        "import ctypes\nprint(ctypes.CDLL(None).ptrace(16, 1, 0, 0))",
        lambda r: r.stdout.strip() == "-1",
    ),
    "mount_tmpfs": (
        "import ctypes\nprint(ctypes.CDLL(None).mount(b'none', b'/tmp', b'tmpfs', 0, None))",
        lambda r: r.stdout.strip() == "-1",
    ),
    "mknod_device": (
        "import os, stat\nos.mknod('sda', stat.S_IFBLK | 0o600, os.makedev(8, 0))",
        lambda r: not r.ok,
    ),
    "netlink_socket": (
        "import socket\ns = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)\n"
        "s.bind((0, 0))\nprint('netlink ok')",
        lambda r: True,
    ),
    "abstract_unix_socket": (
        "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect(b'\\0optiscribe-host-probe')",
        lambda r: not r.ok,
    ),
    "close_channel_and_forge_outcome": (
        "import os, json\nos.close(3)\nfd = os.open('chan', os.O_CREAT | os.O_WRONLY)\n"
        'assert fd == 3\nos.write(3, b\'{"event":"outcome","kind":"ok"}\\n\')\nraise SystemExit(4)',
        lambda r: r.kind is FailureKind.RUNTIME_ERROR,
    ),
    "truncate_channel_and_fail": (
        "import os\nos.ftruncate(3, 0)\nos.ftruncate(1, 0)\nraise SystemExit(9)",
        lambda r: r.kind is FailureKind.FORBIDDEN and "report of its layers" in r.summary,
    ),
    "lone_surrogate_in_code": (
        "print('\ud800')",  # a real lone surrogate in the program text
        lambda r: r.kind is FailureKind.RUNTIME_ERROR and "UnicodeDecodeError" in r.summary,
    ),
    "fork_bomb": (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
        lambda r: r.kind is FailureKind.TIMEOUT or not r.ok,
    ),
    "many_files": (
        "fs = [open(f'f{i}', 'w') for i in range(100000)]",
        lambda r: not r.ok,
    ),
    "huge_channel_line": (
        'import os\nos.write(3, b\'{"event":"solve","mps_text":"\' + b\'a\' * (40 << 20))',
        lambda r: not r.ok,
    ),
    "symlink_work_to_root": (
        "import os\nos.symlink('/', 'root')\nprint(sorted(os.listdir('root'))[:3])",
        lambda r: True,
    ),
    "unshare_user_ns": (
        "import ctypes\nprint(ctypes.CDLL(None).unshare(0x10000000 | 0x40000000))",
        lambda r: r.stdout.strip() == "-1",
    ),
    "clone_new_user_ns": (
        "import ctypes\nlibc = ctypes.CDLL(None)\nlibc.syscall.restype = ctypes.c_long\n"
        "print(libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0))",  # clone(CLONE_NEWUSER|SIGCHLD)
        lambda r: r.stdout.strip() == "-1",
    ),
    "bpf_and_io_uring": (
        "import ctypes\nlibc = ctypes.CDLL(None)\nlibc.syscall.restype = ctypes.c_long\n"
        "buf = ctypes.create_string_buffer(256)\n"
        "print(libc.syscall(321, 0, buf, 64), libc.syscall(425, 8, buf))",
        lambda r: r.stdout.strip() == "-1 -1",
    ),
    "ignore_signals_and_spin": (
        "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass",
        lambda r: r.kind is FailureKind.TIMEOUT,
    ),
    "segfault": ("import ctypes\nctypes.string_at(0)", lambda r: "SIGSEGV" in r.summary),
    "escapee_setsid": (
        "import ctypes, time\nlibc = ctypes.CDLL(None)\nif libc.fork() == 0:\n"
        "    libc.setsid()\n    time.sleep(60)\nprint('parent done')",
        lambda r: r.ok and "parent done" in r.stdout,
    ),
    "write_proc": (
        "open('/proc/sys/kernel/hostname', 'w').write('pwned')",
        lambda r: not r.ok,
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_is_contained(pool: WarmPoolExecutor, name: str) -> None:
    code, contained = HOSTILE[name]
    hostname = socket.gethostname()
    r = _run_hostile(pool, code + "\n")
    assert contained(r), f"{name}: {r.summary} / {r.stdout[-300:]}"
    assert socket.gethostname() == hostname
    assert not Path("/usr/evil").exists()
    _assert_benign_after(pool)


def test_a_truncated_channel_is_a_clean_error_cold_too(cold: SubprocessExecutor) -> None:
    r = cold.run("import os\nos.ftruncate(3, 0)\nraise SystemExit(9)\n")
    assert r.kind is FailureKind.FORBIDDEN and "report of its layers" in r.summary


def test_concurrent_hostile_and_benign_jobs_in_a_two_worker_pool() -> None:
    with WarmPoolExecutor(size=2, limits=LIMITS) as p:
        out: list[ExecutionResult] = []
        hostile = threading.Thread(target=lambda: out.append(p.run(HOSTILE["fork_bomb"][0])))
        hostile.start()
        benign = p.run(BENIGN)
        hostile.join()
        assert benign.ok and benign.stdout.strip() == "15.5"
        assert not out[0].ok
        assert json.dumps(benign.isolation.namespaces)
