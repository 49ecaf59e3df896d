"""The ``replay`` backend: recorded responses keyed by problem id.

For re-scoring published model outputs and for deterministic end-to-end tests. The file
is JSONL, one record per line::

    {"id": "nl4opt-17", "response": "..."}
    {"id": "nl4opt-18", "responses": ["first sample", "second sample"]}

Other keys on a line are ignored (so published output files with extra metadata load as
they are). Ids are compared as strings. Several lines with the same id add up, in order.

Each problem id has a cursor: a call with ``n`` takes the next ``n`` recorded responses,
so a recorded self-correction conversation (bad answer, then good answer) replays in
order, and ``n=k`` re-scores all ``k`` published samples at once. Asking for more than
was recorded is an error, never a silent repeat; :meth:`ReplayBackend.reset` rewinds.

The caller names the problem either per call (``complete(..., problem_id="p1")``) or by
taking a bound view (``backend.for_problem("p1").complete(...)``), which is what code
written against the plain interface (no ``problem_id``) should receive.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from optiscribe.formulate.errors import BackendUnavailable, LLMError, ResponseNotRecorded
from optiscribe.formulate.jsonl import iter_objects
from optiscribe.formulate.llm.base import Message, _check_n
from optiscribe.formulate.llm.config import BackendConfig
from optiscribe.solvers.errors import InputError

__all__ = ["ReplayBackend"]


class ReplayBackend:
    """Serve recorded responses from a JSONL file; see the module docstring."""

    name = "replay"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise BackendUnavailable(
                f"replay file {self.path} does not exist; pass --replay-file "
                "(or OPTISCRIBE_REPLAY_FILE) pointing to a JSONL of {id, response(s)}"
            )
        self._records = _load(self.path)
        self._cursor: dict[str, int] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: BackendConfig) -> ReplayBackend:
        """Build from a :class:`BackendConfig` (``make_backend`` calls this)."""
        if config.replay_file is None:
            raise BackendUnavailable(
                "the replay backend needs a file: pass --replay-file responses.jsonl "
                "(or set OPTISCRIBE_REPLAY_FILE)"
            )
        return cls(config.replay_file)

    @property
    def ids(self) -> tuple[str, ...]:
        """The problem ids in the file, in first-seen order."""
        return tuple(self._records)

    def recorded(self, problem_id: str) -> tuple[str, ...]:
        """All responses recorded for ``problem_id`` (error if there are none)."""
        try:
            return self._records[str(problem_id)]
        except KeyError:
            raise ResponseNotRecorded(
                f"problem id {str(problem_id)!r} is not in replay file {self.path} "
                f"({len(self._records)} ids recorded); check the id or record a response for it",
                problem_id=str(problem_id),
            ) from None

    def reset(self, problem_id: str | None = None) -> None:
        """Rewind the cursor of one problem (or of all)."""
        with self._lock:
            if problem_id is None:
                self._cursor.clear()
            else:
                self._cursor.pop(str(problem_id), None)

    def for_problem(self, problem_id: str) -> _ReplayView:
        """A backend view bound to ``problem_id`` (checked now, so typos fail early)."""
        self.recorded(problem_id)
        return _ReplayView(self, str(problem_id))

    def complete(
        self,
        messages: Sequence[Message],
        *,
        n: int = 1,
        temperature: float | None = None,
        response_format: Mapping[str, Any] | None = None,
        problem_id: str | None = None,
    ) -> list[str]:
        """The next ``n`` recorded responses for ``problem_id`` (messages are ignored)."""
        _check_n(n)
        if problem_id is None:
            raise LLMError(
                f"the replay backend ({self.path}) needs to know which problem is asked: "
                "pass problem_id=... or use backend.for_problem(id); over HTTP send the "
                "X-Optiscribe-Problem-Id header or metadata.problem_id"
            )
        pid = str(problem_id)
        responses = self.recorded(pid)
        with self._lock:
            start = self._cursor.get(pid, 0)
            if start + n > len(responses):
                raise LLMError(
                    f"problem id {pid!r} has {len(responses)} recorded response(s) in "
                    f"{self.path}, {start} already used, {n} more asked; record more "
                    "responses or call reset()"
                )
            self._cursor[pid] = start + n
        return list(responses[start : start + n])

    def __repr__(self) -> str:
        return f"ReplayBackend({str(self.path)!r}, ids={len(self._records)})"


class _ReplayView:
    """:class:`ReplayBackend` bound to one problem id; satisfies the plain interface."""

    name = "replay"

    def __init__(self, backend: ReplayBackend, problem_id: str) -> None:
        self.backend = backend
        self.problem_id = problem_id

    def complete(
        self,
        messages: Sequence[Message],
        *,
        n: int = 1,
        temperature: float | None = None,
        response_format: Mapping[str, Any] | None = None,
        problem_id: str | None = None,
    ) -> list[str]:
        if problem_id is not None and str(problem_id) != self.problem_id:
            raise LLMError(
                f"this replay view is bound to problem {self.problem_id!r} but was asked "
                f"for {str(problem_id)!r}; use backend.for_problem({str(problem_id)!r})"
            )
        return self.backend.complete(messages, n=n, problem_id=self.problem_id)

    def __repr__(self) -> str:
        return f"{self.backend!r}.for_problem({self.problem_id!r})"


def _load(path: Path) -> dict[str, tuple[str, ...]]:
    records: dict[str, list[str]] = {}

    for where, obj in iter_objects(path, what="replay file"):
        if "id" not in obj:
            raise InputError(f"{where}: each line must be an object with an 'id'")
        if ("response" in obj) == ("responses" in obj):
            raise InputError(
                f"{where}: give exactly one of 'response' (a string) or "
                "'responses' (a list of strings)"
            )
        got = [obj["response"]] if "response" in obj else obj["responses"]
        if not isinstance(got, list) or not all(isinstance(r, str) for r in got):
            raise InputError(f"{where}: responses must be strings")
        records.setdefault(str(obj["id"]), []).extend(got)
    return {k: tuple(v) for k, v in records.items()}
