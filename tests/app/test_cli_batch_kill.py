"""A killed ``optiscribe batch`` leaves nothing behind: no worker, no helper process, no
"leaked semaphore" warning (issue 12, item 14)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.app.test_cli_batch import ROOT, _batch_cmd, _children_of
from tests.data.batch._helpers import write_inputs


def _alive(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text().lower()
        except OSError:
            continue
        if "zombie" not in status:
            out.append(pid)
    return out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find the workers")
def test_after_sigkill_every_child_exits_promptly_and_quietly(tmp_path: Path) -> None:
    inp, rep, _ = write_inputs(tmp_path, 300)
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        _batch_cmd(inp, out, rep), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size == 0):
        time.sleep(0.05)
    children = _children_of(proc.pid)
    assert len(children) >= 2, "the workers (and the resource tracker) should be running"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    t0 = time.monotonic()
    while _alive(children) and time.monotonic() - t0 < 5:
        time.sleep(0.02)
    assert not _alive(children)
    assert time.monotonic() - t0 < 0.5, "the workers must die with their parent, not poll for it"
    err = proc.stderr.read().decode()  # EOF once the last child holding stderr has gone
    assert "leaked semaphore" not in err and "Traceback" not in err, err
