"""Parent side of the sandbox channel: read what the child wrote, trusting none of it.

Everything the program could have written (stdout, stderr, the JSON-lines channel) is
opened without following symlinks, must be a regular file, is read non-blocking and
up to a cap, and every channel line is validated against a closed schema. A line that
does not fit is reported as :class:`ChannelError` (the caller turns it into a clean
error result), never as an exception from deep inside the parent.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

__all__ = [
    "MAX_CHANNEL_BYTES",
    "MAX_LINE_BYTES",
    "ChannelError",
    "ChildExit",
    "Entered",
    "Outcome",
    "SolveEvent",
    "Unsupported",
    "parse_channel",
    "read_capped",
]

MAX_MPS_BYTES = 32 << 20
MAX_LINE_BYTES = MAX_MPS_BYTES + (1 << 20)
"""One line: a captured model (32 MiB) plus the rest of the report."""
MAX_CHANNEL_BYTES = 64 << 20
"""The whole channel; more than this is refused before any line is parsed."""
MAX_EVENTS = 1000

_Name = Annotated[str, Field(max_length=1000)]
_Short = Annotated[str, Field(max_length=4000)]
_Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Event(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")


class Entered(_Event):
    event: Literal["entered"]
    landlock_abi: Annotated[int, Field(ge=0, le=1000)] = 0
    uid_dropped: bool = False
    audit_hook: bool = False
    caps: int = -1
    seccomp: bool = False
    pid_namespace_init: bool = False


class SolveEvent(_Event):
    event: Literal["solve"]
    index: Annotated[int, Field(ge=0, le=10**9)] = 0
    api: _Name = "?"
    requested_solver: _Name | None = None
    solver: _Name = "?"
    termination: _Name = "unknown"
    status: _Name | None = None
    objective: _Finite | None = None
    # Values are the program's claims (never used for the result); inf/NaN are kept as sent.
    values: Annotated[dict[_Name, float], Field(max_length=100_000)] = Field(default_factory=dict)
    values_truncated: bool = False
    mps: _Name | None = None
    mps_text: Annotated[str, Field(max_length=MAX_MPS_BYTES)] | None = None
    mps_error: _Short | None = None
    error: _Short | None = None
    ignored_options: Annotated[list[_Name], Field(max_length=1000)] = Field(default_factory=list)
    wall_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


class Outcome(_Event):
    event: Literal["outcome"]
    kind: Literal[
        "ok",
        "syntax_error",
        "import_error",
        "runtime_error",
        "timeout",
        "memory",
        "output_limit",
        "forbidden",
        "unsupported",
    ] = "runtime_error"
    type: _Name = "Error"
    message: _Short = ""
    line: Annotated[int, Field(ge=0, le=10**9)] | None = None
    traceback: Annotated[list[_Short], Field(max_length=50)] = Field(default_factory=list)
    origin: _Name | None = None
    missing_module: _Name | None = None
    violations: Annotated[list[_Name], Field(max_length=10_000)] = Field(default_factory=list)


class Unsupported(_Event):
    """A solver-API feature a code-mode dialect (gurobipy/coptpy on HiGHS) refused."""

    event: Literal["unsupported"]
    feature: _Name = "?"
    api: _Name = "?"


class ChildExit(_Event):
    event: Literal["child_exit"]
    signal: Annotated[int, Field(ge=1, le=128)]


Event = Annotated[
    Entered | SolveEvent | Outcome | ChildExit | Unsupported, Field(discriminator="event")
]
_EVENT = TypeAdapter(Event)


@dataclass(frozen=True)
class ChannelError:
    """Why the channel could not be trusted (1-based line number when one line is at fault)."""

    message: str
    line: int | None = None


def read_capped(path: str | os.PathLike[str], cap: int) -> tuple[bytes, bool]:
    """Read at most ``cap`` bytes of a regular file without following a symlink or blocking.

    Returns ``(data, complete)``; ``complete`` is False when the file held more than
    ``cap`` bytes. A missing file, a symlink, a FIFO or a device reads as ``(b"", True)``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return b"", True
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b"", True
        chunks: list[bytes] = []
        total = 0
        while total <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        data = b"".join(chunks)
        return data[:cap], total <= cap
    except OSError:
        return b"", True
    finally:
        os.close(fd)


def read_tail(path: str | os.PathLike[str], limit: int) -> tuple[bytes, int]:
    """The last ``limit`` bytes of a regular file (same safety as :func:`read_capped`)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return b"", 0
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return b"", 0
        os.lseek(fd, max(st.st_size - limit, 0), os.SEEK_SET)
        return os.read(fd, limit), st.st_size
    except OSError:
        return b"", 0
    finally:
        os.close(fd)


AnyEvent = Entered | SolveEvent | Outcome | ChildExit | Unsupported


def parse_channel(data: bytes, complete: bool) -> tuple[list[AnyEvent], ChannelError | None]:
    """Validate every line; the first bad one stops parsing and is returned as the error."""
    if not complete:
        return [], ChannelError(
            f"the program wrote more than {MAX_CHANNEL_BYTES} bytes on the channel"
        )
    events: list[AnyEvent] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        if len(raw) > MAX_LINE_BYTES:
            return events, ChannelError(f"line longer than {MAX_LINE_BYTES} bytes", number)
        if len(events) >= MAX_EVENTS:
            return events, ChannelError(f"more than {MAX_EVENTS} events", number)
        try:
            events.append(_EVENT.validate_json(raw))
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[:1]
            where = ".".join(str(p) for p in first[0]["loc"]) if first else ""
            why = first[0]["msg"] if first else str(exc)[:200]
            return events, ChannelError(f"{where + ': ' if where else ''}{why}"[:300], number)
        except (
            ValueError,
            RecursionError,
        ) as exc:  # defensive: validate_json raises ValidationError
            return events, ChannelError(f"{type(exc).__name__}"[:300], number)
    return events, None
