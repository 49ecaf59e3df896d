"""Batch under hostile input (issue 10): bad lines, a full disk, huge answers never abort a run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from optiscribe.data.batch import (
    MAX_INPUT_LINE_BYTES,
    MAX_STORED_CHARS,
    InputIssue,
    Problem,
    ResultStore,
    RunSpec,
    make_record,
    read_problems,
    run_batch,
)
from optiscribe.data.errors import DataError
from optiscribe.formulate import ScriptedBackend
from tests.data.batch._helpers import furniture, read_results, write_inputs

REPO = Path(__file__).resolve().parents[3]


def test_hostile_lines_are_per_problem_errors_and_the_rest_runs(tmp_path: Path) -> None:
    text, ir, optimum = furniture()
    f = tmp_path / "in.jsonl"
    good = [json.dumps({"id": f"g{i}", "question": text}) for i in range(3)]
    hostile = [
        '{"id": "deep", "question": "q", "x": ' + "[" * 3000 + "]" * 3000 + "}",
        '{"id": ' + "9" * 5000 + ', "question": "q"}',
        "[" * 200_000,
        '{"id": "long", "question": "' + "a" * (MAX_INPUT_LINE_BYTES + 10) + '"}',
        '{"id": "nan", "question": "q", "v": NaN}',
    ]
    lines = [good[0], *hostile[:3], good[1], *hostile[3:], good[2]]
    f.write_text("\n".join(lines) + "\n")
    items = list(read_problems(f))
    issues = [i for i in items if isinstance(i, InputIssue)]
    assert [i.line for i in issues] == [2, 3, 4, 6]
    assert "nested more than" in issues[0].message and "digits" in issues[1].message
    assert "longer than" in issues[3].message
    backend = ScriptedBackend(lambda call: json.dumps(ir))
    stats = run_batch(f, tmp_path / "out.jsonl", RunSpec(), backend=backend, handle_signals=False)
    assert stats.bad_lines == 4 and stats.ran == 4  # the NaN line is valid JSON for Python
    recs = {r["id"]: r for r in read_results(tmp_path / "out.jsonl")}
    assert all(recs[f"g{i}"]["objective"] == pytest.approx(optimum) for i in range(3))


def test_huge_answers_are_stored_up_to_a_cap_with_the_cut_recorded() -> None:
    problem = Problem("p", "q" * (MAX_STORED_CHARS + 5), 1, {"id": "p", "question": "q"})
    result = {"status": "optimal", "objective": 1.0, "raw": "x" * (40 << 20), "ok": "short"}
    rec = make_record(problem, result, None, 0.1)
    assert len(rec["result"]["raw"]) == MAX_STORED_CHARS and rec["result"]["ok"] == "short"
    assert rec["batch"]["truncated"] == [f"result.raw ({40 << 20} chars)"]
    assert len(json.dumps(rec)) < 2 * MAX_STORED_CHARS


def test_a_write_error_cuts_back_to_whole_lines_and_says_how_to_resume(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    store = ResultStore(out)
    store.append([{"id": "a", "status": "optimal"}])
    before = out.read_bytes()
    real_write = os.write

    def full_disk(fd: int, data: bytes | memoryview) -> int:
        real_write(fd, bytes(data[:7]))  # part of a line reaches the disk, then it is full
        raise OSError(28, "No space left on device")

    import optiscribe.data.batch.store as batch_mod

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(batch_mod.os, "write", full_disk)
        with pytest.raises(DataError, match="No space left on device.*run the same command"):
            store.append([{"id": "b", "status": "optimal"}])
    assert out.read_bytes() == before
    store.close()


FULL_DISK_SCRIPT = """\
set -u
mount -t tmpfs -o size=48k tmpfs "$DISK"
"$PY" -c "from optiscribe.app.cli import main; main()" batch "$IN" "$DISK/out.jsonl" \
    --backend replay --replay-file "$REP" --workers 1 --no-progress 2> "$HOST/err1.txt"
echo $? > "$HOST/rc1.txt"
cp "$DISK/out.jsonl" "$HOST/out1.jsonl"
mount -o remount,size=8m "$DISK"
"$PY" -c "from optiscribe.app.cli import main; main()" batch "$IN" "$DISK/out.jsonl" \
    --backend replay --replay-file "$REP" --workers 1 --no-progress 2> "$HOST/err2.txt"
echo $? > "$HOST/rc2.txt"
cp "$DISK/out.jsonl" "$HOST/out2.jsonl"
"""


def test_a_full_disk_is_exit_3_with_nothing_lost_and_resume_completes(tmp_path: Path) -> None:
    """A real full disk: a 48 kB tmpfs in a private mount namespace (needs root/userns)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare is not installed")
    probe = subprocess.run([unshare, "-m", "--propagation", "private", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no private mount namespace here: {probe.stderr.decode()[-200:]}")
    inp, rep, optimum = write_inputs(tmp_path, 40)
    disk, host = tmp_path / "disk", tmp_path / "host"
    disk.mkdir()
    host.mkdir()
    env = dict(os.environ)
    env.update(PY=sys.executable, IN=str(inp), REP=str(rep), DISK=str(disk), HOST=str(host))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(REPO)) if p)
    subprocess.run(
        [unshare, "-m", "--propagation", "private", "sh", "-c", FULL_DISK_SCRIPT],
        env=env,
        timeout=400,
        check=True,
    )
    err1 = (host / "err1.txt").read_text()
    assert (host / "rc1.txt").read_text().strip() == "3", err1[-2000:]
    assert "Traceback" not in err1 and "No space left on device" in err1
    assert "run the same command again" in err1
    first = read_results(host / "out1.jsonl")  # whole lines only
    assert 0 < len(first) < 40
    assert (host / "rc2.txt").read_text().strip() == "0", (host / "err2.txt").read_text()[-2000:]
    second = read_results(host / "out2.jsonl")
    assert sorted(r["id"] for r in second) == sorted(f"p{i}" for i in range(40))
    assert second[: len(first)] == first  # what was stored before the disk filled is kept
    assert all(r["objective"] == pytest.approx(optimum) for r in second)
