"""Helpers for the web-app tests."""

from __future__ import annotations

from typing import Any


def finish(at: Any, job: str, timeout: float = 60.0) -> Any:
    """Wait for a page's background job, then redraw the page (AppTest has no timer)."""
    assert at.session_state["jobs"][job].join(timeout), f"job {job!r} did not finish"
    return at.run()
