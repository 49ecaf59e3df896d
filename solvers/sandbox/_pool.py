"""Parent-side handle on one warm sandbox worker process.

A worker is ``[unshare ...] python -I _sandbox_launcher.py worker``: it imports Pyomo and
HiGHS once, then, per job, forks a supervised child that runs the code in its own PID
namespace (see ``_sandbox_launcher._job_supervisor``). This module only speaks the
worker's JSON-lines protocol over its stdin/stdout and kills its whole process group
(and so its namespace) when it misbehaves. Pool policy lives in ``sandbox.WarmPoolExecutor``.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
from typing import Any


class WorkerProcess:
    """One warm worker. Not thread-safe: the pool hands it to one job at a time."""

    def __init__(self, cmd: list[str], *, env: dict[str, str], cwd: str, log_path: str) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=cwd,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        self._buf = b""
        self.ready_info: dict[str, Any] | None = None
        self.jobs_done = 0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _readline(self, deadline: float) -> bytes | None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None  # worker exited
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line

    def wait_ready(self, timeout_s: float) -> dict[str, Any] | None:
        line = self._readline(time.monotonic() + timeout_s)
        if line is None:
            return None
        self.ready_info = json.loads(line)
        return self.ready_info

    def request(self, job: dict[str, Any], timeout_s: float) -> dict[str, Any] | None:
        """Send one job and wait for its result; None if the worker died or went silent."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        line = self._readline(time.monotonic() + timeout_s)
        if line is None:
            return None
        self.jobs_done += 1
        try:
            result: dict[str, Any] = json.loads(line)
        except ValueError:
            return None
        return result

    def log_tail(self, limit: int = 2000) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(fh.tell() - limit, 0))
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def kill(self) -> None:
        """Kill the worker's process group; with ``unshare --kill-child`` its namespace dies too."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        self._log.close()

    def close(self, timeout_s: float = 2.0) -> None:
        """Ask the worker to exit (EOF on its stdin), then make sure it is gone."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=timeout_s)
        except (subprocess.TimeoutExpired, OSError):
            pass
        self.kill()
