"""Choosing the boundary: bubblewrap when it works, refusal without it unless allowed."""

from __future__ import annotations

import pytest

from optiscribe.solvers.errors import SandboxSetupError
from optiscribe.solvers.sandbox import (
    ALLOW_WEAK_ENV,
    IsolationLevel,
    SubprocessExecutor,
    _bwrap,
    probe_isolation,
)

MISSING = _bwrap.BwrapSupport(None, False, note="bubblewrap (bwrap) is not installed")


@pytest.fixture
def no_bwrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_bwrap, "probe_bwrap", lambda python, launcher_dir: MISSING)
    monkeypatch.delenv(ALLOW_WEAK_ENV, raising=False)


def test_without_bubblewrap_code_mode_is_refused_with_the_next_step(no_bwrap: None) -> None:
    with pytest.raises(SandboxSetupError) as info:
        SubprocessExecutor()
    msg = str(info.value)
    assert "bubblewrap (bwrap) is not installed" in msg
    assert "apt-get install bubblewrap" in msg and ALLOW_WEAK_ENV in msg


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_weak_isolation_runs_only_when_allowed_and_says_so(
    no_bwrap: None, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    if how == "environment":
        monkeypatch.setenv(ALLOW_WEAK_ENV, "1")
        ex = SubprocessExecutor()
    else:
        ex = SubprocessExecutor(allow_weak=True)
    r = ex.run("print(6 * 7)")
    assert r.ok and r.stdout.strip() == "42"
    assert r.isolation.level in (IsolationLevel.NAMESPACES, IsolationLevel.PROCESS)
    text = r.isolation.describe()
    assert "weaker than bubblewrap" in text and "bubblewrap (bwrap) is not installed" in text


def test_probe_reports_the_missing_boundary_without_raising(no_bwrap: None) -> None:
    iso = probe_isolation()
    assert iso.level is not IsolationLevel.BUBBLEWRAP
    assert "bubblewrap (bwrap) is not installed" in iso.describe()


def test_bubblewrap_is_the_level_where_it_is_installed() -> None:
    real = _bwrap.probe_bwrap(
        __import__("sys").executable,
        __import__("optiscribe.solvers.sandbox", fromlist=["LAUNCHER_DIR"]).LAUNCHER_DIR,
    )
    if not real.works:
        pytest.skip(f"bubblewrap unusable here: {real.note}")
    r = SubprocessExecutor().run("import os; print(os.getuid())")
    assert r.ok and r.stdout.strip() == "65534"
    assert r.isolation.level is IsolationLevel.BUBBLEWRAP and r.isolation.capabilities_dropped
    assert r.isolation.seccomp or __import__("platform").machine() != "x86_64"
    assert set(r.isolation.namespaces) >= {"ipc", "net", "pid", "user", "uts"}
