"""Formulate page: problem text -> attempts as they arrive -> the accepted formulation.

Runs :func:`optiscribe.formulate.pipeline.solve_text` on a background thread with the
chosen backend; every checked attempt is shown as it arrives (its status and the
feedback that was sent back), then the result with consensus and confidence.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from optiscribe.app.web._common import backend_form, get_job, job_status, set_model, start_job
from optiscribe.app.web._jobs import Cancelled, JobControl
from optiscribe.formulate.ir.render import to_markdown
from optiscribe.formulate.llm.registry import make_backend
from optiscribe.formulate.loop import PROBLEM_TITLES
from optiscribe.formulate.pipeline import solve_text

SCRIPTED_BACKEND_KEY = "scripted_backend"
"""Session-state slot for a backend object (tests put a ScriptedBackend here); when set it
is used instead of the form's choice."""


class _Cancellable:
    """Wraps a backend so that Cancel stops the run before the next request."""

    def __init__(self, inner: Any, control: JobControl) -> None:
        self._inner = inner
        self._control = control
        self.name = getattr(inner, "name", "backend")
        self.model = getattr(inner, "model", None)

    def complete(self, messages: Any, **kwargs: Any) -> list[str]:
        self._control.check()
        return self._inner.complete(messages, **kwargs)


def _problem_text() -> str:
    upload = st.file_uploader(
        "…or upload the problem (.txt, .md)", type=["txt", "md"], key="problem_file"
    )
    if upload is not None:
        try:
            return upload.getvalue().decode("utf-8")
        except UnicodeDecodeError:
            st.error(f"{upload.name} is not UTF-8 text; save it as UTF-8 and upload it again")
    return st.session_state.get("problem_text", "")


def render() -> None:
    st.header("Formulate a problem")
    st.caption(
        "Describe a decision problem in plain language; an LLM writes the five elements "
        "(sets, parameters, variables, objective, constraints), and every answer is "
        "validated, solved and checked before it is accepted."
    )
    st.text_area(
        "Problem",
        key="problem_text",
        height=160,
        placeholder="A workshop makes chairs and tables. A chair brings $30 of profit ...",
    )
    text = _problem_text()
    config, why = backend_form("formulate")
    c1, c2, c3 = st.columns(3)
    problem_id = c1.text_input(
        "Problem id", key="problem_id", help="sent to the backend; the replay backend needs it"
    )
    samples = c2.number_input("Samples (k)", 1, 9, 1, key="samples")
    rounds = c3.number_input("Correction rounds", 1, 10, 5, key="max_rounds")
    scripted = st.session_state.get(SCRIPTED_BACKEND_KEY)
    if st.button("Formulate and solve", key="formulate_run", type="primary"):
        if not text.strip():
            st.error("The problem text is empty: type the problem or upload a file.")
        elif scripted is None and config is None:
            st.error(f"Backend not ready: {why}.")
        else:
            _start(text, config, scripted, problem_id or None, int(samples), int(rounds))
    _progress_view()


def _start(
    text: str, config: Any, scripted: Any, problem_id: str | None, samples: int, rounds: int
) -> None:
    if scripted is None:
        try:
            backend = make_backend(config)
        except Exception as exc:  # the library's own message: which backends work, how to set one
            st.error(str(exc))
            return
    else:
        backend = scripted

    def work(control: JobControl) -> Any:
        control.report(0.05, "asking the model")

        def seen(attempt: Any) -> None:
            control.emit(attempt)
            control.report(
                min(0.95, 0.1 + 0.85 * len(control.events) / (samples * rounds)),
                (
                    f"sample {attempt.sample + 1}, round {attempt.round}: "
                    + ("accepted" if attempt.accepted else attempt.error_kind or "?")
                ),
            )

        try:
            return solve_text(
                text,
                backend=_Cancellable(backend, control),
                samples=samples,
                max_rounds=rounds,
                problem_id=problem_id,
                on_attempt=seen,
            )
        except Exception as exc:
            if control.cancel.is_set():
                raise Cancelled("cancelled") from None
            raise exc

    start_job("formulate", work)
    st.session_state.pop("formulate_adopted", None)


def _progress_view() -> None:
    job = get_job("formulate")
    if job is None:
        return
    live = st.fragment(run_every=1.0 if job.running else None)(_draw_job)
    live()


def _draw_job() -> None:
    job = get_job("formulate")
    if job is None:
        return
    job_status(job, cancel_key="formulate_cancel")
    attempts = job.events()
    if attempts:
        st.subheader("Attempts")
        for a in attempts:
            label = "accepted" if a.accepted else f"rejected ({a.error_kind or '?'})"
            with st.expander(
                f"sample {a.sample + 1}, round {a.round}: {label}",
                expanded=not a.accepted,
                icon=":material/check_circle:" if a.accepted else ":material/error:",
            ):
                for p in a.problems:
                    st.markdown(f"**{PROBLEM_TITLES.get(p.kind, p.kind)}**\n\n{p.message}")
                for w in a.warnings:
                    st.warning(w)
                if a.feedback:
                    st.caption("Feedback sent back to the model")
                    st.code(a.feedback, language="markdown", wrap_lines=True)
    if job.running and st.session_state.get("_rerun_on_done") != id(job):
        st.session_state["_rerun_on_done"] = id(job)
    if job.state == "done":
        _draw_result(job.result)
        if st.session_state.get("_rerun_on_done") == id(job):
            # the fragment ran alone; redraw the whole page once so other parts see the model
            st.session_state["_rerun_on_done"] = None
            st.rerun(scope="app")


def _draw_result(result: Any) -> None:
    st.subheader("Result")
    c1, c2, c3 = st.columns(3)
    c1.metric("Status", result.status)
    c2.metric("Objective", "—" if result.objective is None else f"{result.objective:.10g}")
    if result.confidence is not None and len(result.samples) > 1:
        c3.metric("Confidence", f"{result.confidence:.0%}", help=f"agreement {result.agreement}")
    st.write(result.message)
    for w in result.warnings:
        st.warning(w)
    if len(result.samples) > 1:
        st.caption("Samples (consensus picks the largest class of equivalent models)")
        st.dataframe(
            [
                {
                    "sample": s.index + 1,
                    "accepted": s.accepted,
                    "rounds": s.rounds,
                    "status": s.status,
                    "objective": s.objective,
                    "error": s.error or "",
                }
                for s in result.samples
            ],
            hide_index=True,
            key="formulate_samples",
        )
    if result.formulation is not None:
        if st.session_state.get("formulate_adopted") != id(result):
            set_model(result.formulation, "formulated")
            st.session_state["formulate_adopted"] = id(result)
        st.success("This formulation is now the current model: see **Model** and **Solve**.")

        with st.expander("Formulation", expanded=False):
            st.markdown(to_markdown(result.formulation))
