"""``optiscribe eval`` checks its backend before it starts anything, and its report says how
to rerun it, backend flags included (issue 12, item 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optiscribe.app.cli import EXIT_BAD_INPUT, app
from tests._support import hide_builtin_model
from tests.data.batch._helpers import furniture

runner = CliRunner()


def _bench(tmp_path: Path) -> tuple[Path, Path]:
    text, ir, optimum = furniture()
    bench, rep = tmp_path / "bench.jsonl", tmp_path / "replay.jsonl"
    bench.write_text(json.dumps({"id": "f1", "question": text, "answer": optimum}) + "\n")
    rep.write_text(json.dumps({"id": "f1", "responses": [json.dumps(ir)] * 5}) + "\n")
    return bench, rep


def test_no_backend_fails_up_front_and_makes_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_builtin_model(monkeypatch, tmp_path / "cache")  # the default backend cannot load
    bench, _ = _bench(tmp_path)
    out = tmp_path / "eval"
    r = runner.invoke(app, ["eval", "-b", str(bench), "-o", str(out), "--no-progress"])
    assert r.exit_code == EXIT_BAD_INPUT, r.output
    assert "builtin" in r.output and not out.exists()
    r = runner.invoke(
        app,
        [
            "eval",
            "-b",
            str(bench),
            "-o",
            str(out),
            "--backend",
            "replay",
            "--replay-file",
            str(tmp_path / "missing.jsonl"),
        ],
    )
    assert r.exit_code == EXIT_BAD_INPUT and "does not exist" in r.output and not out.exists()


def test_the_report_command_line_has_the_backend_flags(tmp_path: Path) -> None:
    bench, rep = _bench(tmp_path)
    out = tmp_path / "eval"
    args = [
        "eval",
        "-b",
        str(bench),
        "-o",
        str(out),
        "--backend",
        "replay",
        "--replay-file",
        str(rep),
        "--no-progress",
        "--no-plots",
        "--executor",
        "thread",
        "--samples",
        "1",
    ]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    line = next(x for x in (out / "report.md").read_text().splitlines() if "command" in x)
    assert f"--backend replay --replay-file {rep}" in line and f"-b {bench}" in line
    assert f"-o {out}" in line
