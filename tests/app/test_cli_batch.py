"""``optiscribe batch`` / ``optiscribe eval`` end to end, in real subprocesses where it matters."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optiscribe.app.cli import EXIT_BAD_INPUT, app
from tests.data.batch._helpers import furniture, id_counts, read_results, write_inputs

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from optiscribe.app.cli import main; main()"]


def _batch_cmd(inp: Path, out: Path, rep: Path, *extra: str) -> list[str]:
    return [
        *CLI,
        "batch",
        str(inp),
        str(out),
        "--backend",
        "replay",
        "--replay-file",
        str(rep),
        "--no-progress",
        "--workers",
        "2",
        "--concurrency",
        "4",
        "--time-limit",
        "10",
        *extra,
    ]


def _children_of(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(p.name))
    return out


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_gives_every_id_exactly_once(tmp_path: Path) -> None:
    n = 400  # several seconds of work, so that three kills land mid-run
    inp, rep, optimum = write_inputs(tmp_path, n)
    out = tmp_path / "out.jsonl"
    rng = random.Random(os.getpid())
    kills = 0
    for _ in range(3):
        proc = subprocess.Popen(
            _batch_cmd(inp, out, rep),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # wait until it is writing, then kill it at a random moment
        deadline = time.monotonic() + 30
        before = out.stat().st_size if out.exists() else 0
        while time.monotonic() < deadline and (not out.exists() or out.stat().st_size == before):
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.6))
        workers = _children_of(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        kills += 1
        # the workers die with their parent (no orphan keeps solving)
        time.sleep(1.0)
        assert not [
            w
            for w in workers
            if Path(f"/proc/{w}").exists()
            and "zombie" not in (Path(f"/proc/{w}/status").read_text().lower())
        ]
        counts = id_counts(out) if out.read_bytes().endswith(b"\n") else None
        if counts is not None:
            assert max(counts.values()) == 1
    done_before = len(out.read_bytes().split(b"\n")) - 1
    assert 0 < done_before < n, "the kills should land in the middle of the run"
    final = subprocess.run(
        _batch_cmd(inp, out, rep, "--json"), cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert final.returncode == 0, final.stderr
    stats = json.loads(final.stdout)
    assert stats["already_done"] + stats["ran"] == n
    assert id_counts(out) == {f"p{i}": 1 for i in range(n)}
    assert all(r["objective"] == pytest.approx(optimum) for r in read_results(out))
    assert kills == 3


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_resume_completes(tmp_path: Path) -> None:
    n = 400
    inp, rep, _ = write_inputs(tmp_path, n)
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        _batch_cmd(inp, out, rep),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size == 0):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "resume" in stdout
    partial = id_counts(out)
    assert 0 < len(partial) < n and max(partial.values()) == 1
    final = subprocess.run(
        _batch_cmd(inp, out, rep), cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert final.returncode == 0, final.stderr
    assert id_counts(out) == {f"p{i}": 1 for i in range(n)}


def test_cli_bad_input_names_lines_and_keeps_good_ones(tmp_path: Path) -> None:
    text, ir, _optimum = furniture()
    inp = tmp_path / "in.jsonl"
    inp.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "question": text}),
                '{"id": "b", "question": "unterminated',
                json.dumps({"id": "c"}),
                json.dumps({"id": "a", "question": text}),
                json.dumps({"id": "d", "question": text}),
            ]
        )
        + "\n"
    )
    rep = tmp_path / "rep.jsonl"
    rep.write_text(
        "".join(json.dumps({"id": i, "responses": [json.dumps(ir)] * 3}) + "\n" for i in "ad")
    )
    out = tmp_path / "out.jsonl"
    res = CliRunner().invoke(
        app,
        [
            "batch",
            str(inp),
            str(out),
            "--backend",
            "replay",
            "--replay-file",
            str(rep),
            "--executor",
            "thread",
            "--no-progress",
        ],
    )
    assert res.exit_code == EXIT_BAD_INPUT, res.output
    for where in (
        "in.jsonl:2: not valid JSON",
        "in.jsonl:3: problem 'c': missing field 'question'",
        "in.jsonl:4: duplicate id 'a' (first on line 1)",
    ):
        assert where in res.output
    assert id_counts(out) == {"a": 1, "d": 1}
    # --strict runs nothing
    out2 = tmp_path / "out2.jsonl"
    res = CliRunner().invoke(
        app,
        [
            "batch",
            str(inp),
            str(out2),
            "--backend",
            "replay",
            "--replay-file",
            str(rep),
            "--executor",
            "thread",
            "--no-progress",
            "--strict",
        ],
    )
    assert res.exit_code == EXIT_BAD_INPUT and "nothing was run" in res.output
    assert not out2.exists() or out2.read_text() == ""


def test_cli_unwritable_output_path(tmp_path: Path) -> None:
    inp, rep, _ = write_inputs(tmp_path, 2)
    res = CliRunner().invoke(
        app,
        [
            "batch",
            str(inp),
            str(tmp_path / "missing" / "o.jsonl"),
            "--backend",
            "replay",
            "--replay-file",
            str(rep),
            "--no-progress",
        ],
    )
    assert res.exit_code == EXIT_BAD_INPUT
    assert "cannot write results to" in res.output and "does not exist" in res.output


def test_cli_eval_responses_scores_ir_and_code_with_taxonomy(tmp_path: Path) -> None:
    text, ir, optimum = furniture()
    bench = tmp_path / "bench.jsonl"
    rows = [
        ("ok", optimum),
        ("wrong", optimum),
        ("unparsable", optimum),
        ("nonlinear", optimum),
        ("infeasible", optimum),
        ("code", optimum),
        ("unlabelled", None),
        ("missing", optimum),
    ]
    bench.write_text(
        "".join(json.dumps({"id": i, "question": text, "answer": a}) + "\n" for i, a in rows)
    )
    nonlinear = dict(
        ir, objective=dict(ir["objective"], expression="make['chair'] * make['table']")
    )
    infeasible = dict(
        ir, constraints=[*ir["constraints"], {"name": "lots", "expression": "make['table'] >= 100"}]
    )
    wrong = dict(ir, objective=dict(ir["objective"], expression="sum(make[p] for p in P)"))
    code = (
        "```python\nimport pyomo.environ as pyo\nm = pyo.ConcreteModel()\n"
        "m.x = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 10))\n"
        f"m.o = pyo.Objective(expr={optimum / 10} * m.x, sense=pyo.maximize)\n"
        "pyo.SolverFactory('gurobi').solve(m)\nprint(pyo.value(m.o))\n```"
    )
    responses = {
        "ok": json.dumps(ir),
        "wrong": json.dumps(wrong),
        "unparsable": "I think the answer is 42",
        "nonlinear": json.dumps(nonlinear),
        "infeasible": json.dumps(infeasible),
        "code": code,
        "unlabelled": json.dumps(ir),
    }
    resp = tmp_path / "responses.jsonl"
    resp.write_text(
        "".join(json.dumps({"id": k, "response": v}) + "\n" for k, v in responses.items())
    )
    out_dir = tmp_path / "eval"
    res = CliRunner().invoke(
        app,
        [
            "eval",
            "--benchmark",
            str(bench),
            "--responses",
            str(resp),
            "-o",
            str(out_dir),
            "--executor",
            "thread",
            "--no-progress",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output.strip().splitlines()[-1])
    row = data["scores"][0]
    assert (row["problems"], row["answered"], row["unlabelled"]) == (8, 7, 1)
    assert (
        row["correct"] == 2 and row["executed"] == 3
    )  # ok, code correct; wrong executed but wrong
    assert row["accuracy"] == pytest.approx(2 / 7)
    assert (
        row["fail:wrong objective"] == 1
        and row["fail:parse error"] == 1
        and row["fail:not a MILP"] == 1
    )
    assert row["fail:infeasible"] == 1 and row["fail:no response"] == 1
    assert row["unlabelled_executed"] == 1
    md = (out_dir / "report.md").read_text()
    assert (
        "| answered |" in md.replace("answered |", "answered |")
        and "Problems without a numeric answer" in md
    )
    assert (out_dir / "scores.csv").read_text().startswith("benchmark,")
    for png in ("accuracy.png", "attempts.png"):
        assert (out_dir / png).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_replay_of_nl4opt_gold_reproduces_the_gold_agreement_figure(tmp_path: Path) -> None:
    """Batch + eval with the replay backend answering each NL4Opt problem with its gold IR:
    the accuracy printed must equal the agreement of the gold report (rule vs preferred)."""
    gold = pytest.importorskip("optiscribe.data.gold.nl4opt")
    from optiscribe.data.benchmarks import load_benchmark

    try:
        records = gold.gold_records()
    except Exception as exc:
        if type(exc).__name__ in ("DataError", "ConversionError"):
            pytest.skip(f"the shared NL4Opt data is not available here: {exc}")
        raise
    summary = gold.summarise(records)
    figure = next(a for a in summary.agreements if a.label_file == gold.PREFERRED)
    preferred = {r.id: r for r in load_benchmark("nl4opt")}
    matched = [g for g in records if g.id in preferred and g.labels.get(gold.PREFERRED) is not None]
    assert len(matched) == figure.numeric
    bench, rep = tmp_path / "nl4opt-gold.jsonl", tmp_path / "replay.jsonl"
    with bench.open("w") as fb, rep.open("w") as fr:
        for g in matched:
            fb.write(
                json.dumps({"id": g.id, "question": g.question, "answer": preferred[g.id].answer})
                + "\n"
            )
            answer = g.ir.to_json() if g.error is None else "conversion failed"
            fr.write(json.dumps({"id": g.id, "responses": [answer] * 5}) + "\n")
    res = subprocess.run(
        [
            *CLI,
            "eval",
            "--benchmark",
            str(bench),
            "--backend",
            "replay",
            "--replay-file",
            str(rep),
            "-o",
            str(tmp_path / "eval"),
            "--no-progress",
            "--time-limit",
            "10",
            "--no-plots",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    expected = f"{100 * figure.rule / figure.numeric:.1f} %"
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("nl4opt-gold: accuracy"))
    assert expected in line, (expected, line)
    csv_row = (tmp_path / "eval" / "scores.csv").read_text().splitlines()[1].split(",")
    assert int(csv_row[6]) == figure.rule  # the 'correct' column
