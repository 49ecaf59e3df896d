"""Background jobs for the web app: work runs on a thread, the page polls its state.

A :class:`Job` holds the only mutable state a page shares with its worker thread:
progress, events that arrived so far (attempts, batch records), the result or the
error, and a cancel flag the work function checks. No Streamlit here, so the logic is
tested without a browser.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Cancelled", "Job", "JobControl"]


class Cancelled(Exception):
    """Raised inside a job's work when the user pressed Cancel."""


@dataclass
class JobControl:
    """What the work function sees: report progress and events, check for cancel."""

    cancel: threading.Event = field(default_factory=threading.Event)
    progress: float = 0.0
    label: str = ""
    events: list[Any] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def report(self, progress: float | None = None, label: str | None = None) -> None:
        with self._lock:
            if progress is not None:
                self.progress = max(0.0, min(1.0, progress))
            if label is not None:
                self.label = label

    def emit(self, event: Any) -> None:
        with self._lock:
            self.events.append(event)

    def check(self) -> None:
        """Raise :class:`Cancelled` when the user asked to stop."""
        if self.cancel.is_set():
            raise Cancelled("cancelled by the user")


class Job:
    """One piece of long work: ``fn(control)`` on a daemon thread.

    ``state`` is ``running``, ``done``, ``failed`` or ``cancelled``. ``error`` holds the
    message of the exception (never a traceback: it is shown to the user as it is).
    """

    def __init__(self, name: str, fn: Callable[[JobControl], Any]) -> None:
        self.name = name
        self.control = JobControl()
        self.result: Any = None
        self.error: str | None = None
        self.state = "running"
        self.started = time.monotonic()
        self.finished: float | None = None
        self._thread = threading.Thread(
            target=self._run, args=(fn,), name=f"job-{name}", daemon=True
        )
        self._thread.start()

    def _run(self, fn: Callable[[JobControl], Any]) -> None:
        try:
            self.result = fn(self.control)
            self.state = "cancelled" if self.control.cancel.is_set() else "done"
        except Cancelled:
            self.state = "cancelled"
        except Exception as exc:  # shown on the page; the app must not die with the job
            self.error = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
            self.state = "failed"
        finally:
            self.finished = time.monotonic()

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def cancel(self) -> None:
        self.control.cancel.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the work to end; ``True`` when it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def events(self) -> list[Any]:
        with self.control._lock:
            return list(self.control.events)
