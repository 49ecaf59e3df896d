"""What the pages share: the model being worked on, backend settings, jobs, file uploads.

Session state keys used across pages: ``model`` (the current valid
:class:`~optiscribe.formulate.ir.model.Formulation`), ``model_origin`` (where it came
from), ``jobs`` (name -> :class:`~optiscribe.app.web._jobs.Job`). API keys never enter
the session: the page asks only for the *name* of the environment variable that holds one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from optiscribe.app.web._jobs import Job, JobControl
from optiscribe.formulate.errors import LLMError
from optiscribe.formulate.examples import example_names as names
from optiscribe.formulate.llm.config import BackendConfig

if TYPE_CHECKING:
    from optiscribe.formulate.ir.model import Formulation
    from optiscribe.formulate.llm.config import BackendConfig

APP_DIR_ENV = "OPTISCRIBE_APP_DIR"
"""Folder for uploads and batch results (default ``~/.optiscribe/app``): batch output is
kept there per input file, so a batch resumes after a restart."""

BACKEND_CHOICES = ("builtin", "openai", "replay")


def app_dir() -> Path:
    root = Path(os.environ.get(APP_DIR_ENV) or Path.home() / ".optiscribe" / "app")
    root.mkdir(parents=True, exist_ok=True)
    return root


def current_model() -> Formulation | None:
    return st.session_state.get("model")


def set_model(f: Formulation, origin: str, *, edited: bool = False) -> None:
    """Make ``f`` the model every page works on (and forget results of the previous one).

    A new model (``edited=False``) also gets fresh editing widgets on the Model page.
    """
    st.session_state["model"] = f
    st.session_state["model_origin"] = origin
    if not edited:
        st.session_state["model_version"] = st.session_state.get("model_version", 0) + 1
    for key in ("solve_result", "whatif_scenarios"):
        st.session_state.pop(key, None)


def need_model() -> Formulation | None:
    """The current model, or a hint to make one (the page then stops drawing)."""
    f = current_model()
    if f is None:
        st.info(
            "No model yet: formulate a problem on **Formulate**, or load an example or a file "
            "on **Model**."
        )
    return f


def save_upload(upload: Any, folder: str) -> Path:
    """Write an uploaded file under the app folder, named by its content (idempotent)."""
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:16]
    target = app_dir() / folder / digest / Path(upload.name).name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_bytes(data)
    return target


def temp_file(data: bytes, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(suffix=suffix, dir=app_dir())
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return Path(name)


def backend_form(prefix: str) -> tuple[BackendConfig | None, str | None]:
    """Widgets for choosing an LLM backend; the config, or ``None`` and the reason.

    ``builtin`` is offered first; until the built-in model ships, building it gives the
    library's own message (which backends work here and how to set one up).
    """
    backend = st.selectbox(
        "LLM backend",
        BACKEND_CHOICES,
        key=f"{prefix}_backend",
        help="builtin: the offline model shipped with optiscribe; openai: any OpenAI-compatible "
        "endpoint (OpenAI, DeepSeek, vLLM, Ollama, llama.cpp); replay: recorded answers (JSONL).",
    )
    try:
        if backend == "openai":
            c1, c2, c3 = st.columns(3)
            base_url = c1.text_input(
                "Base URL", key=f"{prefix}_base_url", placeholder="http://localhost:11434/v1"
            )
            model = c2.text_input("Model", key=f"{prefix}_model", placeholder="qwen2.5:7b")
            key_env = c3.text_input(
                "Environment variable with the API key",
                value="OPENAI_API_KEY",
                key=f"{prefix}_api_key_env",
                help="The key itself is never typed here, shown, logged or stored: the server "
                "reads it from this environment variable.",
            )
            if not base_url or not model:
                return None, "give the endpoint's base URL and the model name"
            return BackendConfig(
                backend="openai", base_url=base_url, model=model, api_key_env=key_env
            ), None
        if backend == "replay":
            upload = st.file_uploader(
                "Replay file (JSONL of {id, response})", type=["jsonl"], key=f"{prefix}_replay"
            )
            if upload is None:
                return None, "upload a replay file (JSONL lines of {id, response})"
            path = save_upload(upload, "replay")
            return BackendConfig(backend="replay", replay_file=path), None
        return BackendConfig(backend=backend), None
    except LLMError as exc:  # BackendConfigError: e.g. a key-variable name that is no name
        return None, str(exc)


def start_job(name: str, fn: Callable[[JobControl], Any]) -> Job:
    jobs: dict[str, Job] = st.session_state.setdefault("jobs", {})
    old = jobs.get(name)
    if old is not None and old.running:
        old.cancel()
    job = Job(name, fn)
    jobs[name] = job
    return job


def get_job(name: str) -> Job | None:
    return st.session_state.get("jobs", {}).get(name)


def job_status(job: Job, *, cancel_key: str) -> None:
    """Progress, elapsed time and a Cancel button for a running job; the error if it failed."""
    c = job.control
    if job.running:
        st.progress(c.progress, text=f"{c.label or job.name} — {job.elapsed:.1f} s")
        if st.button("Cancel", key=cancel_key):
            job.cancel()
    elif job.state == "failed":
        st.error(job.error or "the job failed")
    elif job.state == "cancelled":
        st.warning(f"{job.name}: cancelled after {job.elapsed:.1f} s")


def job_view(name: str, draw: Callable[[Job], None]) -> None:
    """Show job ``name``: progress and Cancel while it runs (the fragment polls every
    second, the rest of the page stays usable), then ``draw(job)`` once it is done; the
    whole page is drawn again when it finishes so that other parts see its result."""
    job = get_job(name)
    if job is None:
        return

    def body() -> None:
        current = get_job(name)
        if current is None:
            return
        job_status(current, cancel_key=f"{name}_cancel")
        if current.running:
            st.session_state[f"{name}_waiting"] = True
            return
        if st.session_state.pop(f"{name}_waiting", False):
            st.rerun(scope="app")
        if current.state == "done":
            draw(current)

    st.fragment(run_every=1.0 if job.running else None)(body)()


def constraint_descriptions(f: Formulation) -> dict[str, str]:
    return {c.name: c.description for c in f.constraints if c.description}


def example_names() -> list[str]:
    return list(names())
