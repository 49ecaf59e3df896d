"""Every ``optiscribe ...`` command in a code block of README.md and docs/*.md is run by this
test (issue 12: "a doc example that cannot run is a bug").

Commands run for real, offline, in document order in one scratch folder, so that one
command's output feeds the next (``data generate`` then ``data stats``). File names in the
docs are served by fixtures made here (a problem text, problems and recorded answers of the
bundled furniture example); sizes are cut to keep the whole test near a minute (see
``SHRINK``). Commands that need a network backend or a model (``--backend openai`` /
``transformers``), a published outputs file, or that are fragments (``...``) are marked
``parse`` and are parsed by the real CLI (every option name, type and argument checked)
without running. Commands that need the shared NL4Opt data run when it is there.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from optiscribe.app.cli import app
from tests.data.batch._helpers import furniture

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: Why a command is only parsed, by a pattern it matches.
PARSE_ONLY: tuple[tuple[str, str], ...] = (
    (r"--backend (openai|transformers)\b", "needs a network LLM endpoint or a local model"),
    (r"(^| )\.\.\.( |$)", "a fragment: '...' stands for options given elsewhere"),
    (r"--responses other-paper\.jsonl", "needs another system's published outputs"),
    (r"^optiscribe app\b", "starts a web server that runs until stopped (tests/app/web runs it)"),
    (
        r"^optiscribe finetune (sft|kto|export|eval)\b",
        "trains or scores the real model for minutes to hours (tests/finetune runs the smoke pipeline)",
    ),
    (
        r"--responses \.\./shared/data/peer-outputs/",
        "replays 264 published programs (tests/data/eval/test_replay.py runs it on a sample)",
    ),
)
#: Commands cut to test size: (pattern, replacement).
SHRINK: tuple[tuple[str, str], ...] = ((r"--n 1000\b", "--n 4"),)
#: Commands that read the shared NL4Opt data (skipped with a reason when it is absent).
SHARED = re.compile(r"nl4opt-replay|gold\.")
#: Problems kept from the NL4Opt replay files, so that batch/eval over them stay short.
GOLD_PROBLEMS = 3


@dataclass(frozen=True)
class DocCommand:
    source: str  # file:line
    line: str  # as written (continuations joined)

    @property
    def parse_reason(self) -> str | None:
        return next((why for pat, why in PARSE_ONLY if re.search(pat, self.line)), None)


def doc_commands() -> Iterator[DocCommand]:
    for md in DOCS:
        text = md.read_text(encoding="utf-8")
        for m in re.finditer(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
            first = text.count("\n", 0, m.start(1)) + 1
            joined = m.group(1).replace("\\\n", " ")
            for k, line in enumerate(joined.splitlines()):
                for part in re.split(r"&&|;", line):
                    part = part.split(" #")[0].strip().removeprefix("$ ")
                    if part.startswith("optiscribe "):
                        yield DocCommand(f"{md.relative_to(ROOT)}:{first + k}", part)


COMMANDS = list(doc_commands())


def _parse(args: list[str]) -> None:
    """Parse ``args`` as the CLI would, down to the leaf command, without running it."""
    cmd = typer.main.get_command(app)
    ctx = cmd.make_context("optiscribe", args)
    while hasattr(ctx.command, "resolve_command"):
        rest = [*ctx._protected_args, *ctx.args] if hasattr(ctx, "_protected_args") else ctx.args
        name, sub, rest = ctx.command.resolve_command(ctx, rest)
        assert sub is not None and name is not None
        ctx = sub.make_context(name, rest, parent=ctx)


def _parse_with_placeholders(args: list[str]) -> None:
    """Parse a line whose ``...`` is either an option's value (``--model ...``) or stands for
    more options (``--all-variants ...``): the first reading that parses wins."""
    value = [("VALUE" if a == "..." else a) for a in args]
    dropped = [a for a in args if a != "..."]
    try:
        _parse(value)
    except Exception:
        if value == dropped:
            raise
        _parse(dropped)


def _fixtures(folder: Path) -> None:
    text, ir, _ = furniture()
    answer = json.dumps(ir)
    (folder / "problem.txt").write_text(text)
    ids = ["p1", "p2", "problem"]
    (folder / "problems.jsonl").write_text(
        "".join(json.dumps({"id": i, "question": text}) + "\n" for i in ids)
    )
    (folder / "outputs.jsonl").write_text(
        "".join(json.dumps({"id": i, "responses": [answer] * 5}) + "\n" for i in ids)
    )


def _args(cmd: DocCommand, folder: Path) -> list[str]:
    line = cmd.line
    for pat, rep in SHRINK:
        line = re.sub(pat, rep, line)
    line = line.replace("/tmp/", f"{folder}/")
    return shlex.split(line)[1:]


def _shared_data_missing() -> str | None:
    from optiscribe.data.benchmarks import shared_data_dir
    from optiscribe.data.errors import DataError

    try:
        shared_data_dir()
    except DataError as exc:
        return str(exc)
    return None


def test_the_docs_have_commands_and_every_one_is_classified() -> None:
    assert len(COMMANDS) >= 15
    ran = [c for c in COMMANDS if c.parse_reason is None]
    assert len(ran) >= 8, "most documented commands must really run"


def test_every_documented_command_runs_or_parses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fixtures(tmp_path)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    missing_shared = _shared_data_missing()
    failures: list[str] = []
    for cmd in COMMANDS:
        args = _args(cmd, tmp_path)
        if cmd.parse_reason is not None:
            try:
                _parse_with_placeholders(args)
            except Exception as exc:  # a usage error: the doc's command line is wrong
                failures.append(f"{cmd.source}: `{cmd.line}` does not parse: {exc}")
            continue
        if SHARED.search(cmd.line) and missing_shared:
            continue  # the test of nl4opt-replay skips likewise; nothing else to run here
        result = runner.invoke(app, args, catch_exceptions=True)
        if result.exit_code != 0:
            failures.append(
                f"{cmd.source}: `{cmd.line}` exited {result.exit_code}: {result.output[-800:]}"
                + (f" {result.exception!r}" if result.exception else "")
            )
        gold = tmp_path / "gold.problems.jsonl"
        if "nl4opt-replay" in cmd.line and gold.exists():
            lines = gold.read_text().splitlines()[:GOLD_PROBLEMS]
            gold.write_text("".join(x + "\n" for x in lines))
    assert not failures, "\n\n".join(failures)
