"""``optiscribe app``: loopback by default, a clear exit 3 without Streamlit, and no
Streamlit import anywhere on the CLI's path."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from optiscribe.app import _cli_app
from optiscribe.app.cli import app


def test_importing_the_cli_does_not_import_streamlit() -> None:
    code = (
        "import sys, optiscribe.app.cli, optiscribe.app._cli_app, optiscribe.app.web._jobs, "
        "optiscribe.formulate.ir.edit, optiscribe.solvers.sensitivity; "
        "print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_app_binds_to_loopback_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def fake_call(cmd: list[str], **_: Any) -> int:
        seen.append(cmd)
        return 0

    monkeypatch.setattr(_cli_app.subprocess, "call", fake_call)
    result = CliRunner().invoke(app, ["app", "--headless", "--port", "8600"])
    assert result.exit_code == 0, result.output
    (cmd,) = seen
    assert "--server.address=127.0.0.1" in cmd and "--server.port=8600" in cmd
    assert cmd[-1 - cmd[::-1].index("run") + 1].endswith("web/main.py")
    assert "http://127.0.0.1:8600" in result.output


def test_app_without_streamlit_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _cli_app.importlib.util.find_spec
    monkeypatch.setattr(
        _cli_app.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "streamlit" else real(name, *a),
    )
    result = CliRunner().invoke(app, ["app"])
    assert result.exit_code == 3
    assert 'pip install -e ".[app]"' in result.output
