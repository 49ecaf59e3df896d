"""Batch input: streaming the problems of a JSONL file, naming each bad line."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optiscribe.data.errors import DataError

__all__ = [
    "MAX_INPUT_LINE_BYTES",
    "MAX_INPUT_NESTING",
    "InputIssue",
    "InputScan",
    "Problem",
    "read_problems",
    "scan_input",
]

# One bad line (too long, too deep, a 5000-digit number) is a per-line issue, never an abort.
MAX_INPUT_LINE_BYTES = 16 << 20
MAX_INPUT_NESTING = 64
_LINE_TOO_LONG = (
    f"the line is longer than {MAX_INPUT_LINE_BYTES} bytes; it is skipped: shorten the problem"
)
_TOO_DEEP = f"the JSON is nested more than {MAX_INPUT_NESTING} levels deep; it is skipped"


def _capped_lines(fh: Any) -> Iterator[tuple[int, bytes | None]]:
    """``(lineno, line)`` with each line read up to the cap; ``None`` for a longer line
    (its rest is skipped without holding it in memory)."""
    lineno = 0
    while True:
        raw = fh.readline(MAX_INPUT_LINE_BYTES + 1)
        if not raw:
            return
        lineno += 1
        if len(raw) > MAX_INPUT_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = fh.readline(1 << 20)
            yield lineno, None
            continue
        yield lineno, raw


def _unreadable_line(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return _TOO_DEEP
    return f"unreadable JSON ({str(exc)[:200]}); it is skipped: fix the line"


def _nesting_over(obj: Any, limit: int) -> bool:
    stack = [(obj, 0)]
    while stack:
        o, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(o, dict):
            stack.extend((v, depth + 1) for v in o.values())
        elif isinstance(o, list):
            stack.extend((v, depth + 1) for v in o)
    return False


# ------------------------------------------------------------------------------ input


@dataclass(frozen=True)
class Problem:
    """One input line: ``id`` (as a string), ``question``, and every field of the line."""

    id: str
    question: str
    line: int
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InputIssue:
    """A line of the input that cannot be run, with the reason (names the line)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def read_problems(path: str | Path) -> Iterator[Problem | InputIssue]:
    """Stream the input: a :class:`Problem` per good line, an :class:`InputIssue` per bad one.

    Blank lines are skipped. A line is bad when it is not a JSON object, lacks a string or
    integer ``id`` or a non-empty string ``question``, or repeats an id seen on an earlier
    line (the first occurrence runs; the repeat is reported, never silently dropped).
    Streaming keeps memory flat: only the ids seen are held.
    """
    p = Path(path)
    try:
        fh = p.open("rb")
    except OSError as exc:
        raise DataError(
            f"cannot read batch input {str(p)!r}: {exc.strerror}; check the path"
        ) from exc
    seen: dict[str, int] = {}
    name = str(p)
    with fh:
        for lineno, raw in _capped_lines(fh):
            if raw is None:
                yield InputIssue(name, lineno, _LINE_TOO_LONG)
                continue
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except UnicodeDecodeError:
                yield InputIssue(name, lineno, "not UTF-8 text; re-encode the file as UTF-8")
                continue
            except json.JSONDecodeError as exc:
                yield InputIssue(
                    name,
                    lineno,
                    f"not valid JSON ({exc.msg} at column {exc.colno}); "
                    "each line must be one JSON object",
                )
                continue
            except (RecursionError, ValueError) as exc:
                yield InputIssue(name, lineno, _unreadable_line(exc))
                continue
            if _nesting_over(obj, MAX_INPUT_NESTING):
                yield InputIssue(name, lineno, _TOO_DEEP)
                continue
            if not isinstance(obj, dict):
                yield InputIssue(
                    name, lineno, f"a line must be a JSON object, found {type(obj).__name__}"
                )
                continue
            pid = obj.get("id")
            if (
                isinstance(pid, bool)
                or not isinstance(pid, (str, int))
                or (isinstance(pid, str) and not pid.strip())
            ):
                yield InputIssue(
                    name,
                    lineno,
                    "missing field 'id' (a non-empty string or an integer)"
                    if pid is None
                    else f"'id' must be a non-empty string or an integer, found {pid!r}",
                )
                continue
            q = obj.get("question")
            if not isinstance(q, str) or not q.strip():
                yield InputIssue(
                    name,
                    lineno,
                    f"problem {str(pid)!r}: missing field 'question' (a non-empty string)"
                    if q is None
                    else f"problem {str(pid)!r}: 'question' must be a non-empty string",
                )
                continue
            sid = str(pid)
            if sid in seen:
                yield InputIssue(
                    name,
                    lineno,
                    f"duplicate id {sid!r} (first on line {seen[sid]}); "
                    "this line is skipped: give it a distinct id",
                )
                continue
            seen[sid] = lineno
            yield Problem(sid, q, lineno, obj)


@dataclass(frozen=True)
class InputScan:
    """What a first pass over the input found: good problems, and the bad lines."""

    problems: int
    issues: tuple[InputIssue, ...]


def scan_input(path: str | Path) -> InputScan:
    """Validate the whole input once (cheap, streaming) so bad lines are reported up front."""
    n = 0
    issues: list[InputIssue] = []
    for item in read_problems(path):
        if isinstance(item, InputIssue):
            issues.append(item)
        else:
            n += 1
    return InputScan(n, tuple(issues))
