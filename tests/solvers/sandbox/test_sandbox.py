"""Attack tests for the code sandbox: each attack is contained and reported cleanly.

Every timeout-based attack tags its processes with a unique ``comm`` name (prctl) so
the test can check from the host that nothing is left running afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from optiscribe.solvers.errors import SandboxError
from optiscribe.solvers.kinds import FailureKind
from optiscribe.solvers.sandbox import (
    ExecutionResult,
    Executor,
    FakeExecutor,
    Isolation,
    IsolationLevel,
    SandboxLimits,
    SubprocessExecutor,
    WarmPoolExecutor,
    probe_isolation,
    run_code,
)

SECRET = "sk-test-secret"
LIMITS = SandboxLimits(timeout_s=1.5, memory_mb=384, fsize_mb=8, max_output_bytes=200_000)


@pytest.fixture(scope="module", autouse=True)
def _secret_in_parent_env() -> Iterator[None]:
    # Set before any executor (and so any warm worker) exists.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_API_KEY", SECRET)
        yield


@pytest.fixture(scope="module")
def cold(_secret_in_parent_env: None) -> SubprocessExecutor:
    return SubprocessExecutor(LIMITS)


@pytest.fixture(scope="module")
def pool(_secret_in_parent_env: None) -> Iterator[WarmPoolExecutor]:
    with WarmPoolExecutor(size=2, limits=LIMITS) as p:
        yield p


@pytest.fixture(params=["cold", "warm"])
def executor(
    request: pytest.FixtureRequest, cold: SubprocessExecutor, pool: WarmPoolExecutor
) -> Executor:
    return cold if request.param == "cold" else pool


@pytest.fixture(scope="module")
def iso() -> Isolation:
    return probe_isolation()


def _token() -> str:
    return "osx" + uuid.uuid4().hex[:10]


def _tag(token: str) -> str:
    return f"import ctypes as _c; _c.CDLL(None).prctl(15, {token.encode()!r}, 0, 0, 0)\n"


def _running(token: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() != token:
                    continue
                # A zombie is dead (it only waits for init to reap it).
                if Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def _assert_nothing_left(token: str) -> None:
    deadline = time.monotonic() + 3.0
    while _running(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = _running(token)
    for pid in left:  # do not leave a mess for other tests even when failing
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"processes left running: {left}"


def _assert_clean_timeout(r: ExecutionResult) -> None:
    assert r.kind is FailureKind.TIMEOUT, r.summary
    assert r.timed_out and r.killed == "timeout"
    assert LIMITS.timeout_s <= r.wall_s < LIMITS.timeout_s + 1.5
    assert "did not finish within 1.5 s" in r.summary


# ---------------------------------------------------------------- attacks


def test_infinite_loop_is_killed(executor: Executor) -> None:
    tok = _token()
    r = executor.run(_tag(tok) + "while True:\n    pass\n")
    _assert_clean_timeout(r)
    _assert_nothing_left(tok)


def test_sleep_is_killed(executor: Executor) -> None:
    tok = _token()
    r = executor.run(_tag(tok) + "import time\ntime.sleep(1000)\n")
    _assert_clean_timeout(r)
    _assert_nothing_left(tok)


def test_memory_hog_gets_memory_error(executor: Executor) -> None:
    r = executor.run("x = bytearray(8 << 30)\n")
    assert r.kind is FailureKind.MEMORY, r.summary
    assert r.error is not None and r.error.line == 1
    # Growing to the limit zero-fills every page (~384 MiB): give it room on a loaded machine,
    # and check that the memory limit, not the timeout, is what stops it.
    r = executor.run(
        "chunks = []\nwhile True:\n    chunks.append(bytearray(50 << 20))\n", timeout=20
    )
    assert r.kind is FailureKind.MEMORY, r.summary
    assert not r.timed_out and r.wall_s < 20


def test_os_fork_bomb_is_refused(executor: Executor) -> None:
    r = executor.run("import os\nwhile True:\n    os.fork()\n")
    assert r.kind is FailureKind.FORBIDDEN, r.summary
    assert "forking a process is not allowed" in r.summary
    assert r.violations == ("os.fork",)


def test_ctypes_fork_storm_and_setsid_escape_die_with_the_namespace(
    executor: Executor, iso: Isolation
) -> None:
    if not iso.pid_namespace:
        pytest.skip(f"no PID namespace on this machine ({iso.describe()}): setsid escapees survive")
    # ctypes bypasses the audit hook, so this exercises the PID namespace + timeout
    # layer. Bounded (200 children) so a regression cannot take the machine down.
    tok = _token()
    code = _tag(tok) + textwrap.dedent(
        """
        import os, time
        libc = _c.CDLL(None)
        for i in range(200):
            if libc.fork() == 0:
                if i % 2:
                    os.setsid()   # leaves the process group: only the namespace catches it
                while True:
                    time.sleep(1)
        while True:
            time.sleep(1)
        """
    )
    r = executor.run(code)
    _assert_clean_timeout(r)
    assert r.isolation.pid_namespace
    _assert_nothing_left(tok)


def test_cpu_limit_is_a_timeout(cold: SubprocessExecutor) -> None:
    r = SubprocessExecutor(SandboxLimits(timeout_s=10, cpu_s=1, memory_mb=384)).run(
        "while True:\n    pass\n"
    )
    assert r.kind is FailureKind.TIMEOUT and r.killed == "cpu_limit", r.summary
    assert "more than 1 s of CPU time" in r.summary
    # killed == "cpu_limit" (not the 10 s wall timeout) is what shows the CPU limit acted.


def test_endless_output_is_cut(executor: Executor) -> None:
    r = executor.run("while True:\n    print('x' * 1000)\n")
    assert r.kind is FailureKind.OUTPUT_LIMIT, r.summary
    assert r.wall_s < LIMITS.timeout_s
    assert len(r.stdout) <= 8100


def test_big_file_hits_file_size_limit(executor: Executor) -> None:
    r = executor.run(
        "with open('big.bin', 'wb') as f:\n    while True:\n        f.write(b'0' * (1 << 20))\n"
    )
    assert r.kind is FailureKind.OUTPUT_LIMIT, r.summary
    assert "file size limit" in r.summary


def test_write_outside_work_dir_is_refused(
    executor: Executor, tmp_path: Path, iso: Isolation
) -> None:
    if not (iso.landlock_abi or iso.uid_dropped):
        pytest.skip(f"neither Landlock nor a uid drop on this machine ({iso.describe()})")
    target = tmp_path / "escaped.txt"
    for path in (target, Path("/tmp") / f"osx-{uuid.uuid4().hex}.txt"):
        r = executor.run(f"open({str(path)!r}, 'w').write('pwned')\n")
        if iso.level is IsolationLevel.BUBBLEWRAP and path == target:
            # The host folder does not exist inside the boundary at all.
            assert r.kind is FailureKind.RUNTIME_ERROR and "FileNotFoundError" in r.summary
        else:
            assert r.kind is FailureKind.FORBIDDEN, r.summary
            assert "only the work dir is writable" in r.summary
        assert not path.exists()
    # writing inside the work dir is fine
    assert (
        executor.run(
            "open('ok.txt', 'w').write('fine')\nprint(open('ok.txt').read())\n"
        ).stdout.strip()
        == "fine"
    )


def test_environment_holds_no_keys(executor: Executor, iso: Isolation) -> None:
    if not (iso.pid_namespace or iso.landlock_abi or iso.uid_dropped):
        pytest.skip(
            "without PID namespace, Landlock or uid drop /proc/<parent>/environ is readable"
        )
    assert os.environ["OPENAI_API_KEY"] == SECRET
    code = textwrap.dedent(
        """
        import os, glob
        print(sorted(os.environ))
        print(dict(os.environ))
        for p in glob.glob('/proc/*/environ'):
            try:
                print(p, open(p, 'rb').read())
            except OSError as e:
                print(p, 'unreadable', type(e).__name__)
        """
    )
    r = executor.run(code)
    assert r.ok, r.summary
    assert "OPENAI_API_KEY" not in r.stdout and SECRET not in r.stdout
    assert "'HOME'" in r.stdout  # the listing really ran


def test_socket_is_refused(executor: Executor) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.1)
    port = server.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    t = threading.Thread(target=accept)
    t.start()
    try:
        r = executor.run(
            f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
        )
        assert r.kind is FailureKind.FORBIDDEN, r.summary
        assert "network access is not allowed" in r.summary
        r = executor.run(
            "import urllib.request\nurllib.request.urlopen('http://example.com', timeout=1)\n"
        )
        assert r.kind is FailureKind.FORBIDDEN, r.summary
    finally:
        t.join()
        server.close()
    assert accepted == []


def test_subprocess_is_refused(executor: Executor) -> None:
    r = executor.run("import subprocess\nsubprocess.run(['echo', 'hi'])\n")
    assert r.kind is FailureKind.FORBIDDEN, r.summary
    assert r.violations == ("subprocess.Popen",)


def test_syntax_error_is_reported_with_line(executor: Executor) -> None:
    r = executor.run("x = 1\nfor i in range(3)\n    print(i)\n")
    assert r.kind is FailureKind.SYNTAX_ERROR
    assert r.error is not None and r.error.line == 2
    assert r.summary.startswith("[syntax_error] SyntaxError: expected ':'")
    assert "line 2: for i in range(3)" in r.summary


def test_missing_module_is_named(executor: Executor) -> None:
    r = executor.run("import numpy\nimport definitely_not_installed_mod\n")
    assert r.kind is FailureKind.IMPORT_ERROR
    assert r.error is not None and r.error.missing_module == "definitely_not_installed_mod"
    assert r.error.line == 2


def test_runtime_error_shows_only_user_frames(executor: Executor) -> None:
    code = "def f(d):\n    return d['missing']\n\nprint('before')\nf({})\n"
    r = executor.run(code)
    assert r.kind is FailureKind.RUNTIME_ERROR
    assert r.error is not None
    assert r.error.type_name == "KeyError" and r.error.line == 2
    assert r.error.traceback == ("line 5, in <module>: f({})", "line 2, in f: return d['missing']")
    assert "_sandbox_launcher" not in r.summary
    assert r.stdout.strip() == "before"


def test_nonzero_exit_and_self_kill_are_runtime_errors(executor: Executor) -> None:
    r = executor.run("import sys\nsys.exit(3)\n")
    assert r.kind is FailureKind.RUNTIME_ERROR and r.returncode == 3
    r = executor.run("import os\nos.kill(os.getpid(), 9)\n")
    assert r.kind is FailureKind.RUNTIME_ERROR, r.summary
    assert "SIGKILL" in r.summary
    assert executor.run("print('still fine')").stdout.strip() == "still fine"


# ---------------------------------------------------------------- isolation and pool


def test_isolation_is_reported_as_probed(cold: SubprocessExecutor) -> None:
    expected = probe_isolation()
    r = cold.run("print(1)")
    assert r.isolation.network_namespace == expected.network_namespace
    assert r.isolation.landlock_abi == expected.landlock_abi
    assert r.isolation.uid_dropped == expected.uid_dropped
    assert r.isolation.level is expected.level
    text = r.isolation.describe()
    assert text.startswith(f"isolation level: {expected.level.value}")
    assert ("network namespace: " + ("yes" if expected.network_namespace else "no")) in text


def test_pool_survives_a_crashing_job_and_a_killed_worker(pool: WarmPoolExecutor) -> None:
    r = pool.run("import ctypes\nctypes.string_at(0)\n")  # segfault
    assert r.kind is FailureKind.RUNTIME_ERROR and "SIGSEGV" in r.summary
    assert pool.workers == 2
    victim = pool.worker_pids()[0]
    os.killpg(victim, signal.SIGKILL)
    time.sleep(0.1)
    results = [pool.run("print('alive')") for _ in range(3)]
    assert all(x.ok and x.stdout.strip() == "alive" for x in results)
    deadline = time.monotonic() + 30
    while pool.workers < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pool.workers == 2 and pool.replaced >= 1


def test_pool_runs_jobs_concurrently(pool: WarmPoolExecutor) -> None:
    results: list[ExecutionResult] = []
    code = "import time\ntime.sleep(0.5)\nprint('done')\n"
    threads = [threading.Thread(target=lambda: results.append(pool.run(code))) for _ in range(2)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.stdout.strip() for r in results] == ["done", "done"]
    assert time.monotonic() - t0 < 0.95  # two workers: the sleeps overlap


def test_jobs_do_not_see_each_other(pool: WarmPoolExecutor) -> None:
    pool.run("import builtins\nbuiltins.POISON = 1\nopen('left.txt', 'w').write('x')\n")
    r = pool.run("import builtins, os\nprint(hasattr(builtins, 'POISON'), os.listdir('.'))\n")
    assert r.stdout.strip() == "False ['main.py']"


def test_closed_pool_refuses_work() -> None:
    p = WarmPoolExecutor(size=1, limits=LIMITS)
    pids = p.worker_pids()
    p.close()
    with pytest.raises(SandboxError, match="closed"):
        p.run("print(1)")
    for pid in pids:
        assert (
            not Path(f"/proc/{pid}").exists()
            or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
        )


# ---------------------------------------------------------------- API


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="timeout_s must be positive"):
        SandboxLimits(timeout_s=0)
    with pytest.raises(ValueError, match="too small to import Pyomo"):
        SandboxLimits(memory_mb=64)
    assert SandboxLimits(timeout_s=2.5).effective_cpu_s == 4


def test_fake_executor_is_an_executor() -> None:
    fake = FakeExecutor(lambda code, timeout: ExecutionResult(stdout=f"ran {len(code)}"))
    assert isinstance(fake, Executor)
    r = run_code("print(1)", executor=fake, limits=SandboxLimits(timeout_s=3))
    assert r.ok and r.stdout == "ran 8"
    assert fake.calls == [("print(1)", 3)]


def test_run_code_default_executor() -> None:
    r = run_code("print(6 * 7)")
    assert r.ok and r.stdout.strip() == "42" and r.executor == "cold"
