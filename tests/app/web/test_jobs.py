"""Background jobs and the page helpers that need no browser: progress, cancel, failure,
and parameter tables read from CSV and Excel."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

import pytest

pytest.importorskip("streamlit", reason="the web app needs the app extra: pip install -e '.[app]'")

from optiscribe.app.web._jobs import Job, JobControl

pytestmark = pytest.mark.app


def test_job_reports_progress_and_result() -> None:
    gate = threading.Event()

    def work(c: JobControl) -> int:
        c.report(0.5, "half")
        c.emit("first")
        gate.wait(5)
        return 42

    job = Job("t", work)
    deadline = threading.Event()
    while not job.events() and not deadline.wait(0.01):
        pass
    assert job.running and job.control.progress == 0.5 and job.events() == ["first"]
    gate.set()
    assert job.join(5) and job.state == "done" and job.result == 42


def test_cancel_stops_work_that_checks() -> None:
    started = threading.Event()

    def work(c: JobControl) -> None:
        started.set()
        while True:
            c.check()
            threading.Event().wait(0.01)

    job = Job("t", work)
    started.wait(5)
    job.cancel()
    assert job.join(5) and job.state == "cancelled"


def test_failure_keeps_the_message_not_a_traceback() -> None:
    def work(c: JobControl) -> None:
        raise ValueError("the replay file has no line for 'p7'")

    job = Job("t", work)
    assert job.join(5) and job.state == "failed"
    assert job.error == "the replay file has no line for 'p7'"


def test_formulate_cancel_stops_before_the_next_request() -> None:
    from optiscribe.app.web._jobs import Cancelled
    from optiscribe.app.web.page_formulate import _Cancellable
    from optiscribe.formulate import ScriptedBackend

    control = JobControl()
    backend = _Cancellable(ScriptedBackend(["a", "b"]), control)
    assert backend.complete([{"role": "user", "content": "x"}]) == ["a"]
    control.cancel.set()
    with pytest.raises(Cancelled):
        backend.complete([{"role": "user", "content": "x"}])


@dataclass
class _Upload:
    name: str
    data: bytes

    def getvalue(self) -> bytes:
        return self.data


def test_parameter_table_from_csv_and_excel() -> None:
    import pandas as pd

    from optiscribe.app.web.page_model import _read_table

    cols = ["R", "P", "value"]
    csv = b"R,P,value\ncarpentry,chair,2\ncarpentry,table,4\n"
    assert _read_table(_Upload("h.csv", csv), cols) == [
        (("carpentry", "chair"), 2.0),
        (("carpentry", "table"), 4.0),
    ]
    buf = io.BytesIO()
    pd.DataFrame([["finishing", "chair", 1.5]], columns=cols).to_excel(buf, index=False)
    assert _read_table(_Upload("h.xlsx", buf.getvalue()), cols) == [(("finishing", "chair"), 1.5)]
    missing = _read_table(_Upload("h.csv", b"R,value\nx,1\n"), cols)
    assert isinstance(missing, str) and "missing P" in missing
    bad = _read_table(_Upload("h.csv", b"R,P,value\nx,y,many\n"), cols)
    assert bad == "h.csv, line 2: value 'many' is not a number"
