"""Batch output: the append-only, fsynced result file and its recovery on resume."""

from __future__ import annotations

import fcntl
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optiscribe.data.errors import DataError
from optiscribe.solvers.kinds import SOLVED_STATUSES

__all__ = ["OK_STATUSES", "ResultStore", "StoreState"]


OK_STATUSES = SOLVED_STATUSES
"""Pipeline statuses that count as a success in the progress bar and summary."""


# ----------------------------------------------------------------------------- output


@dataclass(frozen=True)
class StoreState:
    """What an existing output file holds: ids done (and which failed), repairs made."""

    done: frozenset[str]
    failed: frozenset[str]
    torn_bytes: int
    lines: int


class ResultStore:
    """The output JSONL: appended, fsynced, repaired on open. See the module docstring.

    Opening checks that the file can be written (before any problem runs), cuts off a
    torn last line left by a kill, and reads which ids are done. ``retry_failed`` rewrites
    the file without the failed results (atomically: temp file, fsync, rename) so those
    problems run again and still appear exactly once.
    """

    def __init__(self, path: str | Path, *, retry_failed: bool = False) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.is_dir():
            raise DataError(
                f"cannot write results to {str(self.path)!r}: folder {str(parent)!r} does not "
                "exist; create it or choose another output path"
            )
        if self.path.is_dir():
            raise DataError(
                f"cannot write results to {str(self.path)!r}: it is a folder; give a file name"
            )
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise DataError(
                f"cannot write results to {str(self.path)!r}: {exc.strerror}; choose a writable "
                "output path"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataError(
                f"another batch is writing to {str(self.path)!r}; wait for it to finish (two "
                "writers would duplicate results) or choose another output path"
            ) from None
        except ImportError:  # pragma: no cover - not POSIX
            pass
        self._fd = fd
        self.state = self._recover(retry_failed)

    def _recover(self, retry_failed: bool) -> StoreState:
        assert self._fd is not None
        done: set[str] = set()
        failed: set[str] = set()
        kept: list[bytes] = []
        offset = 0
        lines = 0
        torn = 0
        with open(self.path, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                if not raw.endswith(b"\n"):
                    # A kill tore this write: nothing after it exists, and the problem runs again.
                    torn = len(raw)
                    break
                offset += len(raw)
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                    rid = obj["id"]
                except (ValueError, KeyError, TypeError):
                    raise DataError(
                        f"{self.path}:{lineno}: a complete line that is not a batch result; this file "
                        "was not written by 'optiscribe batch' (or was edited): move it away or choose "
                        "another output path"
                    ) from None
                lines += 1
                done.add(str(rid))
                if not _is_success(obj):
                    failed.add(str(rid))
                elif retry_failed:
                    kept.append(raw)
        if torn:
            os.ftruncate(self._fd, offset)
            os.fsync(self._fd)
        if retry_failed and failed:
            self._rewrite(kept)
            done -= failed
            lines = len(kept)
            failed = set()
        return StoreState(frozenset(done), frozenset(failed), torn, lines)

    def _rewrite(self, kept: list[bytes]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.writelines(kept)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        assert self._fd is not None
        os.close(self._fd)
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # pragma: no cover
            pass
        dfd = os.open(self.path.parent if str(self.path.parent) else ".", os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def append(self, records: list[dict[str, Any]]) -> None:
        """Write ``records`` as complete lines and fsync once; durable when this returns."""
        if not records or self._fd is None:
            return
        data = b"".join(_dumps(r).encode("utf-8") + b"\n" for r in records)
        _append_all_or_nothing(self._fd, data, self.path)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _clean(value: Any) -> Any:
    """Make a value strict JSON: non-finite floats become ``None`` (JSON has no NaN/inf)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _dumps(record: Mapping[str, Any]) -> str:
    try:
        return json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_clean(record), ensure_ascii=False, default=str, separators=(",", ":"))
    except TypeError:
        return json.dumps(_clean(record), ensure_ascii=False, default=str, separators=(",", ":"))


def _is_success(record: Mapping[str, Any]) -> bool:
    return record.get("error") is None and str(record.get("status", "")).lower() in OK_STATUSES


def _append_all_or_nothing(fd: int, data: bytes, path: Path) -> None:
    """Append ``data`` and fsync; on any write error (a full disk) cut the file back to
    where it was, so no half line is left, and raise a :class:`DataError` that says how
    to go on. Results already stored stay; the ones not written run again on resume."""
    start = os.lseek(fd, 0, os.SEEK_END)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    except OSError as exc:
        try:
            os.ftruncate(fd, start)
            os.fsync(fd)
        except OSError:
            pass  # the repair on the next open cuts a partial last line anyway
        raise DataError(
            f"cannot write results to {str(path)!r}: {exc.strerror or exc}; every result "
            "written before is kept. Free some space (or choose another --output) and run the "
            "same command again: it resumes where it stopped"
        ) from None
