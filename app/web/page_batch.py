"""Batch page: a JSONL of problems run in the background, results as they arrive.

:func:`optiscribe.data.batch.run_batch` does the work (exactly once, resumable). The
output lives under the app folder, named by the input file's content, so uploading the
same file again after a restart resumes where the last run stopped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from optiscribe.app.web._common import backend_form, get_job, job_status, save_upload, start_job
from optiscribe.app.web._jobs import JobControl
from optiscribe.data.batch import RunSpec, run_batch
from optiscribe.data.eval.report import render_markdown
from optiscribe.data.eval.score import score_batch


def read_results(path: Path, limit: int = 500) -> list[dict[str, Any]]:
    """The finished records of a batch output (a torn last line is left out)."""
    if not path.exists():
        return []
    rows = []
    with path.open("rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            try:
                rec = json.loads(raw)
            except ValueError:
                continue
            result = rec.get("result") or {}
            error = rec.get("error") or {}
            rows.append(
                {
                    "id": rec.get("id"),
                    "status": rec.get("status"),
                    "objective": rec.get("objective"),
                    "answer": (rec.get("input") or {}).get("answer"),
                    "rounds": result.get("rounds"),
                    "message": str(result.get("message") or error.get("message") or ""),
                }
            )
            if len(rows) >= limit:
                break
    return rows


def render() -> None:
    st.header("Batch")
    st.caption(
        'Upload a JSONL file with one problem per line (`{"id": ..., "question": ..., '
        '"answer": optional}`). The run continues in the background while you use the other '
        "pages; uploading the same file again resumes it."
    )
    upload = st.file_uploader("Problems (JSONL)", type=["jsonl"], key="batch_file")
    config, why = backend_form("batch")
    c1, c2 = st.columns(2)
    rounds = c1.number_input("Correction rounds", 1, 10, 3, key="batch_rounds")
    concurrency = c2.number_input("Problems at once", 1, 16, 2, key="batch_concurrency")
    if upload is not None:
        inp = save_upload(upload, "batch")
        out = inp.with_name("results.jsonl")
        done = len(read_results(out, limit=10**9))
        if done:
            st.info(f"{done} result(s) of this file are already stored; running again resumes.")
        if st.button("Run batch", key="batch_run", type="primary"):
            if config is None:
                st.error(f"Backend not ready: {why}.")
            else:
                _start(inp, out, config, int(rounds), int(concurrency))
    job = get_job("batch")
    if job is not None:
        st.fragment(run_every=1.0 if job.running else None)(_draw)()


def _start(inp: Path, out: Path, config: Any, rounds: int, concurrency: int) -> None:
    spec = RunSpec(backend_config=config, max_rounds=rounds)

    def work(control: JobControl) -> Any:
        def progress(done: int, failed: int, total: int) -> None:
            control.report(done / total if total else 1.0, f"{done}/{total} done, {failed} failed")

        def started(todo: int, state: Any, scan: Any) -> None:
            control.report(0.0, f"0/{todo} to run ({len(state.done)} already done)")

        stats = run_batch(
            inp, out, spec, executor="thread", concurrency=concurrency,
            progress=progress, on_start=started, stop=control.cancel, handle_signals=False,
        )  # fmt: skip
        report = render_markdown([score_batch(inp, out)], meta={"input": inp.name})
        return stats, report

    start_job("batch", work)
    st.session_state["batch_paths"] = (inp, out)


def _draw() -> None:
    job = get_job("batch")
    paths = st.session_state.get("batch_paths")
    if job is None or paths is None:
        return
    _inp, out = paths
    job_status(job, cancel_key="batch_cancel")
    rows = read_results(out)
    if rows:
        st.dataframe(rows, hide_index=True, key="batch_results")
    if job.running:
        st.session_state["batch_waiting"] = True
        return
    if st.session_state.pop("batch_waiting", False):
        st.rerun(scope="app")
    if job.state == "done":
        stats, report = job.result
        st.success(
            f"{stats.ran} ran ({stats.succeeded} succeeded, {stats.failed} failed), "
            f"{stats.already_done} were already done; {stats.wall_s:.1f} s"
        )
        c1, c2 = st.columns(2)
        c1.download_button(
            "Results (JSONL)",
            out.read_bytes(),
            "results.jsonl",
            "application/jsonl",
            key="batch_dl_results",
        )
        c2.download_button(
            "Evaluation report (Markdown)",
            report,
            "report.md",
            "text/markdown",
            key="batch_dl_report",
        )
        with st.expander("Evaluation report"):
            st.markdown(report)
