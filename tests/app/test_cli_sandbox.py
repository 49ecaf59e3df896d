"""``optiscribe sandbox check``: the isolation level, and its exit code."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHECK = "from optiscribe.app.cli import main; main()"


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHECK, "sandbox", "check"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_check_prints_the_level_and_runs_a_program() -> None:
    out = _run(dict(os.environ))
    if "isolation level: bubblewrap" not in out.stdout:
        pytest.skip("bubblewrap is not usable here")
    assert out.returncode == 0, out.stderr
    assert "capabilities dropped: yes" in out.stdout
    assert "test program: sandbox ok" in out.stdout


def test_check_without_bubblewrap_exits_1_and_says_what_to_do() -> None:
    env = dict(os.environ, PATH="/nonexistent")  # bwrap (and unshare) cannot be found
    out = _run(env)
    assert out.returncode == 1, out.stderr
    assert "isolation level: process (weaker than bubblewrap)" in out.stdout
    assert "apt-get install bubblewrap" in out.stderr and "Traceback" not in out.stderr
