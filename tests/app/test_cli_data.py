"""``optiscribe data``: generate, stats, pairs, families; bad input exits with code 3."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from optiscribe.app.cli import EXIT_BAD_INPUT, app

runner = CliRunner()


def test_generate_stats_and_pairs(tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    r = runner.invoke(
        app,
        [
            "data",
            "generate",
            "--families",
            "diet,knapsack",
            "--n",
            "6",
            "--seed",
            "7",
            "--workers",
            "1",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 6 and {x["family"] for x in lines} == {"diet", "knapsack"}
    assert set(lines[0]) >= {
        "id",
        "family",
        "difficulty",
        "question",
        "ir",
        "code",
        "answer",
        "status",
    }

    r = runner.invoke(app, ["data", "stats", "--json", str(out)])
    assert r.exit_code == 0, r.output
    stats = json.loads(r.output)
    assert stats["records"] == 6 and stats["families"] == {"diet": 3, "knapsack": 3}
    assert "binary" in stats["constraint_types"] and stats["text_words"]["min"] > 20

    r = runner.invoke(app, ["data", "stats", str(out)])
    assert r.exit_code == 0 and "per family" in r.output

    pairs = tmp_path / "p.jsonl"
    r = runner.invoke(app, ["data", "pairs", str(out), str(pairs), "-t", "rename,flip_sense"])
    assert r.exit_code == 0, r.output
    got = [json.loads(x) for x in pairs.read_text().splitlines()]
    assert len(got) == 12
    assert {(g["transformation"], g["equivalent"], g["level"]) for g in got} == {
        ("rename", True, "strict"),
        ("flip_sense", False, "normalized"),
    }

    # Two worker processes write the very same file.
    pairs2 = tmp_path / "p2.jsonl"
    r = runner.invoke(
        app, ["data", "pairs", str(out), str(pairs2), "-t", "rename,flip_sense", "--workers", "2"]
    )
    assert r.exit_code == 0, r.output
    assert pairs2.read_bytes() == pairs.read_bytes()


def test_same_seed_same_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for p in (a, b):
        r = runner.invoke(
            app,
            [
                "data",
                "generate",
                "-f",
                "nl4opt",
                "--n",
                "3",
                "--seed",
                "1",
                "--workers",
                "1",
                str(p),
            ],
        )
        assert r.exit_code == 0, r.output
    assert a.read_text() == b.read_text()


def test_bad_input_exits_3(tmp_path: Path) -> None:
    r = runner.invoke(
        app,
        ["data", "generate", "-f", "nope", "--n", "2", "--workers", "1", str(tmp_path / "x.jsonl")],
    )
    assert r.exit_code == EXIT_BAD_INPUT and "unknown problem family 'nope'" in r.output
    r = runner.invoke(app, ["data", "stats", str(tmp_path / "missing.jsonl")])
    assert r.exit_code == EXIT_BAD_INPUT and "cannot read" in r.output
    r = runner.invoke(
        app,
        [
            "data",
            "pairs",
            str(tmp_path / "missing.jsonl"),
            str(tmp_path / "o.jsonl"),
            "-t",
            "bogus",
        ],
    )
    assert r.exit_code == EXIT_BAD_INPUT and "unknown transformation" in r.output


def test_families_lists_every_family() -> None:
    r = runner.invoke(app, ["data", "families"])
    assert r.exit_code == 0
    assert (
        "scheduling" in r.output
        and "cutting_stock" in r.output
        and len(r.output.splitlines()) >= 15
    )


def test_a_size_a_family_cannot_build_is_refused_with_its_range_issue_12_item_2(
    tmp_path: Path,
) -> None:
    for fam, size in (("scheduling", "9"), ("network_flow", "12")):
        out = tmp_path / "o.jsonl"
        r = runner.invoke(
            app, ["data", "generate", "--n", "1", "-f", fam, "--size", size, str(out)]
        )
        assert r.exit_code == EXIT_BAD_INPUT, r.output
        assert f"family '{fam}' builds sizes" in r.output and "Traceback" not in r.output
        assert not out.exists()
    r = runner.invoke(app, ["data", "families"])
    assert r.exit_code == 0 and "scheduling" in r.output and "2-8" in r.output


def test_nl4opt_replay_runs_the_main_job_offline_on_real_problems_issue_12_item_7(
    tmp_path: Path,
) -> None:
    from optiscribe.data.benchmarks import shared_data_dir
    from optiscribe.data.errors import DataError

    try:
        shared_data_dir()
    except DataError as exc:
        import pytest

        pytest.skip(f"the shared NL4Opt data is not here: {exc}")
    replay = tmp_path / "gold.jsonl"
    r = runner.invoke(app, ["data", "nl4opt-replay", str(replay)])
    assert r.exit_code == 0, r.output
    problems = tmp_path / "gold.problems.jsonl"
    lines = [json.loads(x) for x in problems.read_text().splitlines()]
    answers = [json.loads(x) for x in replay.read_text().splitlines()]
    assert len(lines) == len(answers) > 200
    assert [x["id"] for x in lines] == [a["id"] for a in answers]
    assert all(set(x) == {"id", "question", "answer"} for x in lines)
    few = tmp_path / "few.jsonl"
    few.write_text("".join(json.dumps(x) + "\n" for x in lines[:3]))
    out = tmp_path / "out.jsonl"
    r = runner.invoke(
        app,
        [
            "batch",
            str(few),
            str(out),
            "--backend",
            "replay",
            "--replay-file",
            str(replay),
            "--no-progress",
            "--workers",
            "1",
        ],
    )
    results = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(results) == 3, r.output
    assert all(x["status"] == "optimal" for x in results), results


def test_nl4opt_replay_refuses_an_unwritable_place(tmp_path: Path) -> None:
    r = runner.invoke(app, ["data", "nl4opt-replay", str(tmp_path / "no" / "r.jsonl")])
    assert r.exit_code == EXIT_BAD_INPUT and "does not exist" in r.output


def test_pairs_never_abort_the_run_on_one_record_issue_12_item_1(tmp_path: Path) -> None:
    from optiscribe.data.synth.generate import Record, generate_record, write_jsonl

    good = generate_record("knapsack", seed=2, difficulty="easy")
    bad = Record(**{**good.to_dict(), "id": "knapsack-bad", "answer": good.answer + 1000})
    records = tmp_path / "g.jsonl"
    write_jsonl([bad, good], records)
    out = tmp_path / "p.jsonl"
    r = runner.invoke(app, ["data", "pairs", str(records), str(out), "-t", "rename,flip_sense"])
    assert r.exit_code == 0, r.output
    got = [json.loads(x) for x in out.read_text().splitlines()]
    assert [p["source_id"] for p in got] == ["knapsack-bad", good.id, good.id]
    skipped = [json.loads(x) for x in (tmp_path / "p.skipped.jsonl").read_text().splitlines()]
    assert skipped == [
        {
            "source_id": "knapsack-bad",
            "transformation": "rename",
            "reason": skipped[0]["reason"],
        }
    ]
    assert "should keep the optimum" in skipped[0]["reason"] and "skipped 1" in r.output
