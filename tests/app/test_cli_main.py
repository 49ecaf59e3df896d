"""The ``optiscribe`` entry point as a user meets it: exit codes of usage errors, a closed
pipe, ``--version``, the order of ``--help``, flags shown as flags (issue 12, items 5, 10)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from optiscribe.app.cli import COMMAND_ORDER, EXIT_BAD_INPUT, EXIT_OK, app

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from optiscribe.app.cli import main; main()"]
LP_A = "Minimize\n x + 2 y\nSubject To\n c1: x + y <= 5\n c2: x - y >= -2\nEnd\n"
LP_B = "Maximize\n - 2 v - u\nSubject To\n d2: -u + v <= 2\n d1: -u - v >= -5\nEnd\n"
WIDE = {**os.environ, "COLUMNS": "200", "TERM": "dumb"}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=WIDE
    )


def test_usage_errors_exit_3_not_2_which_means_undecided(tmp_path: Path) -> None:
    a = tmp_path / "a.lp"
    a.write_text(LP_A)
    for args in (["equiv", str(a)], ["solve-model", "--bogus"], ["no-such-command"]):
        r = _run(*args)
        assert r.returncode == EXIT_BAD_INPUT, (args, r.returncode, r.stderr)
        assert "Traceback" not in r.stderr and "Error" in r.stderr
    assert _run().returncode == EXIT_OK  # bare `optiscribe` shows the help


def test_an_equivalent_run_piped_into_a_reader_that_stops_still_exits_0(tmp_path: Path) -> None:
    a, b = tmp_path / "a.lp", tmp_path / "b.lp"
    a.write_text(LP_A)
    b.write_text(LP_B)
    # Close our end before the child writes anything: every write of it hits a closed pipe,
    # which is what `| head -1` does to a longer output.
    proc = subprocess.Popen(
        [*CLI, "equiv", str(a), str(b)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=WIDE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == EXIT_OK, err
    assert "BrokenPipe" not in err and "Traceback" not in err and "Exception ignored" not in err
    r = subprocess.run(
        f"{subprocess.list2cmdline([*CLI, 'equiv', str(a), str(b)])} | head -1; "
        "exit ${PIPESTATUS[0]}",
        shell=True,
        executable="/bin/bash",
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=WIDE,
    )
    assert r.returncode == EXIT_OK and "EQUIVALENT" in r.stdout and not r.stderr


def test_version() -> None:
    r = _run("--version")
    assert r.returncode == 0 and re.fullmatch(r"optiscribe \S+\n", r.stdout)


def test_help_lists_what_a_newcomer_needs_first() -> None:
    r = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert r.exit_code == 0
    listed = [n for n in re.findall(r"^│ (\S+) ", r.output, flags=re.M) if not n.startswith("-")]
    assert listed[: len(COMMAND_ORDER)] == list(COMMAND_ORDER), listed


def test_flags_show_as_flags_with_their_negation() -> None:
    r = CliRunner().invoke(app, ["solve-model", "--help"], terminal_width=200)
    assert "<bool>" not in r.output
    assert "--json" in r.output and "--no-json" in r.output
    r = CliRunner().invoke(app, ["equiv", "--help"], terminal_width=200)
    assert "<bool>" not in r.output and "--no-solve" in r.output


def test_serve_help_keeps_its_placeholders() -> None:
    r = CliRunner().invoke(app, ["serve", "--help"], terminal_width=200)
    assert "optiscribe-<backend>" in r.output and "Bearer <key>" in r.output
