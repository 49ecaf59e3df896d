"""Batch runner: input validation, loss-free output, executors, fault injection, Ray."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from optiscribe.data.batch import (
    InputIssue,
    Problem,
    ResultStore,
    RunSpec,
    read_problems,
    run_batch,
)
from optiscribe.data.errors import DataError
from optiscribe.formulate.llm.config import BackendConfig
from optiscribe.formulate.llm.scripted import ScriptedBackend
from tests._support import batch_functions
from tests._support.fake_openai import FakeOpenAIServer, Fault, RecordedRequest
from tests.data.batch._helpers import furniture, id_counts, read_results, write_inputs

PIPELINE = RunSpec()  # the real optiscribe.formulate.pipeline:solve_text


def _replay_spec(rep: Path, **kw: object) -> RunSpec:
    return RunSpec(
        backend_config=BackendConfig(backend="replay", replay_file=rep), time_limit=10.0, **kw
    )  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- input


def test_read_problems_names_every_bad_line(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    f.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "question": "Q1", "keep": 1}),
                "{not json",
                json.dumps({"question": "no id"}),
                json.dumps({"id": "b"}),
                json.dumps({"id": "a", "question": "again"}),
                json.dumps([1, 2]),
                "",
                json.dumps({"id": 7, "question": "int id"}),
            ]
        )
        + "\n"
    )
    items = list(read_problems(f))
    good = [i for i in items if isinstance(i, Problem)]
    bad = [i for i in items if isinstance(i, InputIssue)]
    assert [(p.id, p.line) for p in good] == [("a", 1), ("7", 8)]
    assert good[0].fields["keep"] == 1
    assert [b.line for b in bad] == [2, 3, 4, 5, 6]
    msgs = [str(b) for b in bad]
    assert "in.jsonl:2: not valid JSON" in msgs[0]
    assert "missing field 'id'" in msgs[1]
    assert "missing field 'question'" in msgs[2]
    assert "duplicate id 'a' (first on line 1)" in msgs[3]
    assert "must be a JSON object" in msgs[4]


def test_bad_lines_skipped_good_lines_all_written(tmp_path: Path) -> None:
    text, ir, optimum = furniture()
    f = tmp_path / "in.jsonl"
    lines = [json.dumps({"id": f"g{i}", "question": text}) for i in range(5)]
    lines.insert(2, '{"id": "torn", "question": ')
    lines.insert(4, json.dumps({"id": "g0", "question": text}))  # duplicate
    f.write_text("\n".join(lines) + "\n")
    backend = ScriptedBackend(lambda call: json.dumps(ir))
    stats = run_batch(f, tmp_path / "out.jsonl", PIPELINE, backend=backend, handle_signals=False)
    assert stats.bad_lines == 2 and stats.ran == 5 and stats.succeeded == 5
    recs = read_results(tmp_path / "out.jsonl")
    assert sorted(r["id"] for r in recs) == [f"g{i}" for i in range(5)]
    assert all(r["objective"] == pytest.approx(optimum) for r in recs)
    # the record carries the IR, the attempts with their feedback, backend and prompt version
    r0 = recs[0]["result"]
    assert (
        r0["formulation"]["name"] == "furniture"
        and r0["attempts"]
        and "feedback" in r0["attempts"][0]
    )
    assert r0["backend"] == "scripted" and r0["prompt_version"] and "total_s" in r0["timings"]


@pytest.mark.parametrize("where", ["missing_dir", "readonly_dir", "is_dir"])
def test_unwritable_output_is_a_clear_error_before_running(tmp_path: Path, where: str) -> None:
    inp, _, _ = write_inputs(tmp_path, 2)
    if where == "missing_dir":
        out = tmp_path / "nope" / "out.jsonl"
    elif where == "is_dir":
        out = tmp_path
    else:
        if os.geteuid() == 0:
            pytest.skip("root can write into a read-only folder")
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        out = ro / "out.jsonl"
    calls: list[str] = []
    backend = ScriptedBackend(lambda call: calls.append("x") or "{}")
    with pytest.raises(DataError, match="cannot write results to") as err:
        run_batch(inp, out, PIPELINE, backend=backend, handle_signals=False)
    assert str(out) in str(err.value)
    assert calls == []  # nothing ran


# ---------------------------------------------------------------------------- output


def test_torn_last_line_is_cut_and_rerun_exactly_once(tmp_path: Path) -> None:
    inp, rep, _ = write_inputs(tmp_path, 6)
    out = tmp_path / "out.jsonl"
    stats = run_batch(inp, out, _replay_spec(rep), executor="thread", limit=3, handle_signals=False)
    assert stats.ran == 3
    good = out.read_bytes()
    # simulate a kill in the middle of the 4th write
    out.write_bytes(good + b'{"schema":"optiscribe.batch/1","id":"p3","status":"opt')
    store = ResultStore(out)
    assert store.state.torn_bytes > 0 and store.state.done == {"p0", "p1", "p2"}
    store.close()
    assert out.read_bytes() == good
    stats = run_batch(inp, out, _replay_spec(rep), executor="thread", handle_signals=False)
    assert stats.already_done == 3 and stats.ran == 3
    assert id_counts(out) == {f"p{i}": 1 for i in range(6)}


def test_a_complete_garbage_line_is_refused_not_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "x"}\nhello world\n')
    with pytest.raises(DataError, match=r"out.jsonl:2: a complete line that is not a batch result"):
        ResultStore(out)
    assert out.read_text() == '{"id": "x"}\nhello world\n'


def test_retry_failed_reruns_only_failures_and_keeps_ids_unique(tmp_path: Path) -> None:
    text, ir, _ = furniture()
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"id": f"q{i}", "question": text}) + "\n" for i in range(4)))
    out = tmp_path / "out.jsonl"
    flaky = {"q1"}

    def answer(call: object) -> str:
        if call.problem_id in flaky:
            raise RuntimeError("backend down for q1")
        return json.dumps(ir)

    s1 = run_batch(inp, out, PIPELINE, backend=ScriptedBackend(answer), handle_signals=False)
    assert (s1.succeeded, s1.failed) == (3, 1)
    failed = [r for r in read_results(out) if r["error"]]
    assert failed[0]["id"] == "q1" and "backend down" in failed[0]["error"]["message"]
    s2 = run_batch(inp, out, PIPELINE, backend=ScriptedBackend(answer), handle_signals=False)
    assert s2.ran == 0  # failures count as done unless asked
    flaky.clear()
    s3 = run_batch(
        inp, out, PIPELINE, backend=ScriptedBackend(answer), retry_failed=True, handle_signals=False
    )
    assert (s3.ran, s3.succeeded) == (1, 1)
    assert id_counts(out) == {f"q{i}": 1 for i in range(4)}
    assert all(r["error"] is None for r in read_results(out))


def test_stop_event_stops_dispatching_and_keeps_written_results(tmp_path: Path) -> None:
    text, ir, _ = furniture()
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"id": f"s{i}", "question": text}) + "\n" for i in range(50)))
    stop = threading.Event()
    seen: list[int] = []

    def progress(done: int, failed: int, total: int) -> None:
        seen.append(done)
        if done >= 5:
            stop.set()

    stats = run_batch(
        inp,
        tmp_path / "out.jsonl",
        PIPELINE,
        backend=ScriptedBackend(lambda c: json.dumps(ir)),
        concurrency=2,
        progress=progress,
        stop=stop,
        handle_signals=False,
    )
    assert stats.interrupted and 5 <= stats.ran < 50
    assert sum(id_counts(tmp_path / "out.jsonl").values()) == stats.ran


# ------------------------------------------------------------------------- executors


@pytest.mark.slow
def test_local_processes_one_failing_problem_never_stops_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inp, rep, optimum = write_inputs(tmp_path, 12)
    # p5 has no recorded answer: the replay backend raises for it alone
    rep.write_text(
        "".join(line for line in rep.read_text().splitlines(keepends=True) if '"p5"' not in line)
    )
    # each problem starts only once both worker processes have started one, so both
    # take work however slowly the second process starts (a loaded machine)
    peers = tmp_path / "peers"
    peers.mkdir()
    monkeypatch.setenv(batch_functions.PEER_DIR, str(peers))
    monkeypatch.setenv(batch_functions.PEERS, "2")
    stats = run_batch(
        inp,
        tmp_path / "out.jsonl",
        _replay_spec(rep, function="tests._support.batch_functions:solve_after_peers"),
        concurrency=4,
        workers=2,
        handle_signals=False,
    )
    recs = {r["id"]: r for r in read_results(tmp_path / "out.jsonl")}
    assert len(recs) == 12 and stats.failed == 1
    assert (
        recs["p5"]["status"] == "error" and "not in replay file" in recs["p5"]["error"]["message"]
    )
    assert all(r["objective"] == pytest.approx(optimum) for k, r in recs.items() if k != "p5")
    assert (
        len({r["batch"]["worker"] for r in recs.values() if r["batch"]["worker"]}) == 2
    )  # both processes worked


@pytest.mark.slow
def test_fault_injection_retried_then_recorded_with_reason(tmp_path: Path) -> None:
    """Timeouts and 5xx: transient ones are retried and complete; persistent ones fail with the reason."""
    text, ir, optimum = furniture()
    answer = json.dumps(ir)
    ids = [f"f{i}" for i in range(8)]
    plan = {
        "f1": [Fault.SERVER_ERROR],
        "f2": [Fault.TIMEOUT],
        "f3": [Fault.BAD_GATEWAY, Fault.SERVER_ERROR],
        "f5": [Fault.SERVER_ERROR] * 10,
        "f6": [Fault.TIMEOUT] * 10,
    }
    lock = threading.Lock()

    def handler(req: RecordedRequest) -> object:
        pid = req.headers.get("x-optiscribe-problem-id", "")
        with lock:
            faults = plan.get(pid, [])
            return faults.pop(0) if faults else answer

    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"id": i, "question": text}) + "\n" for i in ids))
    with FakeOpenAIServer(handler=handler, hang_seconds=3.0) as fake:
        cfg = BackendConfig(
            backend="openai", base_url=fake.base_url, model="fake-model", timeout=1.0, max_retries=2
        )
        spec = RunSpec(backend_config=cfg, time_limit=10.0)
        stats = run_batch(
            inp, tmp_path / "out.jsonl", spec, concurrency=8, workers=2, handle_signals=False
        )
        per_id: dict[str, int] = {}
        for r in fake.chat_requests:
            pid = r.headers.get("x-optiscribe-problem-id", "")
            per_id[pid] = per_id.get(pid, 0) + 1
    recs = {r["id"]: r for r in read_results(tmp_path / "out.jsonl")}
    assert set(recs) == set(ids)
    for ok in ("f0", "f1", "f2", "f3", "f4", "f7"):
        assert recs[ok]["status"] == "optimal" and recs[ok]["objective"] == pytest.approx(
            optimum
        ), ok
    assert per_id["f1"] == 2 and per_id["f3"] == 3  # retried
    assert per_id["f5"] == 3 and per_id["f6"] == 3  # max_retries=2: three attempts, then given up
    e5, e6 = recs["f5"]["error"], recs["f6"]["error"]
    assert e5["type"] == "BackendRequestError" and "500" in e5["message"] and e5["attempts"] == 3
    assert (
        e6["type"] in ("BackendUnavailable", "BackendRequestError")
        and "tim" in e6["message"].lower()
    )
    assert stats.failed == 2 and stats.succeeded == 6


@pytest.mark.slow
@pytest.mark.ray
def test_ray_executor_gives_the_same_results_as_local(tmp_path: Path) -> None:
    ray = pytest.importorskip(
        "ray", reason='Ray is an optional extra: pip install "optiscribe[ray]"'
    )
    inp, rep, optimum = write_inputs(tmp_path, 8)
    # two problems with different answers so that the comparison is not trivially constant
    _, ir, _ = furniture()
    bad = dict(ir, objective=dict(ir["objective"], sense="minimize"))
    lines = rep.read_text().splitlines()
    lines[3] = json.dumps({"id": "p3", "responses": [json.dumps(bad)] * 5})
    lines[6] = json.dumps({"id": "p6", "response": "not json at all"})
    rep.write_text("\n".join(lines) + "\n")
    spec = _replay_spec(rep)
    run_batch(inp, tmp_path / "local.jsonl", spec, concurrency=4, workers=2, handle_signals=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        stats = run_batch(
            inp, tmp_path / "ray.jsonl", spec, executor="ray", concurrency=4, handle_signals=False
        )
    finally:
        ray.shutdown()
    assert stats.ran == 8

    def key(path: Path) -> dict[str, tuple[object, object, object]]:
        return {
            r["id"]: (r["status"], r["objective"], (r["result"] or {}).get("rounds"))
            for r in read_results(path)
        }

    local, remote = key(tmp_path / "local.jsonl"), key(tmp_path / "ray.jsonl")
    assert local == remote
    assert local["p0"][1] == pytest.approx(optimum) and local["p3"][1] != local["p0"][1]
    assert all(
        r["batch"]["worker"].startswith("ray:") for r in read_results(tmp_path / "ray.jsonl")
    )


def test_a_second_writer_on_the_same_output_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with ResultStore(out):
        with pytest.raises(DataError, match="another batch is writing to"):
            ResultStore(out)
    ResultStore(out).close()  # free again once the first one closed


def test_code_mode_runs_generated_code_in_each_workers_warm_sandbox(tmp_path: Path) -> None:
    """Code-mode answers run in the sandbox (a warm pool per worker) and solve correctly."""
    from optiscribe.formulate.ir.codegen import to_pyomo_code

    text, ir, optimum = furniture()
    from optiscribe.formulate.ir.model import Formulation

    code = to_pyomo_code(Formulation.from_dict(ir))
    answer = f"## Sets\nproducts\n## Parameters\n...\n## Variables\nmake\n## Objective\nprofit\n## Constraints\nhours\n\n```python\n{code}\n```\n"
    inp, rep = tmp_path / "in.jsonl", tmp_path / "rep.jsonl"
    with inp.open("w") as fi, rep.open("w") as fr:
        for i in range(4):
            fi.write(json.dumps({"id": f"c{i}", "question": text}) + "\n")
            fr.write(json.dumps({"id": f"c{i}", "responses": [answer] * 3}) + "\n")
    stats = run_batch(
        inp,
        tmp_path / "out.jsonl",
        _replay_spec(rep, mode="code"),
        workers=2,
        concurrency=2,
        handle_signals=False,
    )
    recs = read_results(tmp_path / "out.jsonl")
    assert stats.failed == 0 and len(recs) == 4
    assert all(r["objective"] == pytest.approx(optimum) for r in recs)
    assert all(r["result"]["code"] for r in recs)


def test_lines_are_typed_records_of_schema_2_and_batch1_files_still_read(tmp_path: Path) -> None:
    from optiscribe.data.batch.record import BATCH_SCHEMA, BatchRecord
    from optiscribe.data.eval.score import read_outcomes

    inp, rep, optimum = write_inputs(tmp_path, 2)
    out = tmp_path / "out.jsonl"
    run_batch(inp, out, RunSpec(backend_config=BackendConfig(backend="replay", replay_file=rep)))
    lines = read_results(out)
    assert BATCH_SCHEMA == "optiscribe.batch/2" and {r["schema"] for r in lines} == {BATCH_SCHEMA}
    recs = [BatchRecord.from_line(r) for r in lines]
    assert all(r.status == "optimal" and r.objective == pytest.approx(optimum) for r in recs)
    # the same file as batch/1 wrote it: schema /1, no error.kind
    old = tmp_path / "old.jsonl"
    old.write_text("".join(json.dumps(dict(r, schema="optiscribe.batch/1")) + "\n" for r in lines))
    assert [o.final for o in read_outcomes(old)] == pytest.approx([optimum, optimum])
    # and a batch run resumes on it: nothing left to do
    stats = run_batch(
        inp, old, RunSpec(backend_config=BackendConfig(backend="replay", replay_file=rep))
    )
    assert stats.already_done == 2 and stats.ran == 0


def test_a_line_of_an_unknown_schema_is_named(tmp_path: Path) -> None:
    from optiscribe.data.eval.score import read_outcomes

    p = tmp_path / "future.jsonl"
    p.write_text(json.dumps({"schema": "optiscribe.batch/9", "id": "a"}) + "\n")
    with pytest.raises(DataError, match=r"future.jsonl:1: not a batch result line \(schema"):
        list(read_outcomes(p))
