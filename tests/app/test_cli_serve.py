"""``optiscribe serve``: exit codes, and a real server process reached with the openai backend."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from optiscribe.app import _cli_serve
from optiscribe.formulate.llm.openai import OpenAIBackend

# The real `optiscribe` entry point, as the console script runs it.
_LAUNCH = "from optiscribe.app.cli import main; main()"


def _app() -> typer.Typer:
    """`serve` alone in a command group, so CliRunner tests do not depend on other commands."""
    app = typer.Typer()
    app.callback()(lambda: None)
    _cli_serve.register(app)
    return app


def test_serve_is_registered_with_the_project_cli() -> None:
    from optiscribe.app.cli import app

    assert "serve" in [c.name for c in app.registered_commands]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["serve", "--backend", "builtin", "--adapter", "/no/such/adapter"], "adapter_config.json"),
        (["serve", "--backend", "nope"], "unknown backend 'nope'"),
        (["serve", "--backend", "replay"], "--replay-file"),
        (["serve", "--backend", "replay", "--structured", "xml"], "structured='xml'"),
        (["serve", "--backend", "replay", "--replay-file", "/no/such.jsonl"], "does not exist"),
        (
            ["serve", "--backend", "replay", "--require-key-env", "OPTISCRIBE_TEST_UNSET_KEY"],
            "OPTISCRIBE_TEST_UNSET_KEY",
        ),
    ],
)
def test_bad_configuration_exits_3(args: list[str], needle: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTISCRIBE_")}
    result = CliRunner().invoke(_app(), args, env=env)
    assert result.exit_code == 3, result.output
    assert needle in result.output


def test_help_lists_backend_options() -> None:
    result = CliRunner().invoke(_app(), ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for flag in (
        "--backend",
        "--base-url",
        "--model-dir",
        "--adapter",
        "--replay-file",
        "--config",
        "--structured",
        "--port",
        "--host",
    ):
        assert flag in result.output


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sel.select(timeout=0.2):
            return proc.stdout.readline()
        if proc.poll() is not None:
            break
    raise AssertionError(
        f"serve printed no URL; stderr: {proc.stderr.read() if proc.poll() is not None else ''}"
    )


def test_serve_process_end_to_end_with_replay(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text(json.dumps({"id": "p1", "responses": ["alpha", "beta"]}) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTISCRIBE_")}
    env["OPTISCRIBE_REPLAY_FILE"] = str(f)  # configuration through the environment
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _LAUNCH,
            "serve",
            "--backend",
            "replay",
            "--port",
            "0",
            "--served-model-name",
            "recorded",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = _read_line(proc, timeout=60)
        assert "as model 'recorded'" in line
        url = line.rsplit(" at ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        client = OpenAIBackend(model="recorded", base_url=url, env={}, timeout=10, max_retries=0)
        assert client.complete([{"role": "user", "content": "q"}], problem_id="p1", n=2) == [
            "alpha",
            "beta",
        ]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    assert proc.returncode == 0
    assert "stopped" in proc.stderr.read()
