"""Reading JSONL files: one JSON object per line, errors that name the file and line.

Every JSONL input of the project (benchmarks, recorded responses, generated records,
competition declarations) goes through :func:`iter_objects`, so a bad line always reads
``path:line: what is wrong; what to do`` and blank lines are always skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from optiscribe.solvers.errors import InputError

__all__ = ["MAX_LINE_BYTES", "MAX_NESTING", "iter_objects"]

MAX_LINE_BYTES = 16 << 20
"""Longest line read; a longer one is an error for that line, not a memory blow-up."""
MAX_NESTING = 64


def _too_deep(obj: Any) -> bool:
    stack = [(obj, 0)]
    while stack:
        o, depth = stack.pop()
        if depth > MAX_NESTING:
            return True
        if isinstance(o, dict):
            stack.extend((v, depth + 1) for v in o.values())
        elif isinstance(o, list):
            stack.extend((v, depth + 1) for v in o)
    return False


def _decode_line(where: str, line: str) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where}: not valid JSON ({exc.msg} at column {exc.colno}); each line must be one "
            "JSON object: fix or remove the line"
        ) from exc
    except RecursionError:
        raise InputError(
            f"{where}: the JSON is nested too deeply; fix or remove the line"
        ) from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise InputError(f"{where}: unreadable JSON ({exc}); fix or remove the line") from None
    if not isinstance(obj, dict):
        raise InputError(f"{where}: each line must be a JSON object, found {type(obj).__name__}")
    if _too_deep(obj):
        raise InputError(
            f"{where}: the JSON is nested more than {MAX_NESTING} levels deep; fix or remove the line"
        )
    return obj


def iter_objects(path: str | Path, *, what: str = "file") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(where, object)`` for each non-blank line; ``where`` is ``"path:line"``.

    ``what`` names the file in the error for a file that cannot be read ("benchmark file",
    "replay file", ...). Lines are read one at a time (each at most :data:`MAX_LINE_BYTES`),
    so large files stream; every bad line raises :class:`InputError` naming its place.
    """
    p = Path(path)
    try:
        fh = p.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {what} {str(p)!r}: {exc.strerror}; check the path") from exc
    with fh:
        lineno = 0
        try:
            while True:
                line = fh.readline(MAX_LINE_BYTES + 1)
                if not line:
                    break
                lineno += 1
                where = f"{p}:{lineno}"
                if len(line) > MAX_LINE_BYTES and not line.endswith("\n"):
                    raise InputError(
                        f"{where}: the line is longer than {MAX_LINE_BYTES} characters; "
                        "split or remove it"
                    )
                if not line.strip():
                    continue
                yield where, _decode_line(where, line)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{what} {str(p)!r} is not UTF-8 text (near line {lineno + 1}): {exc.reason}"
            ) from exc
        except OSError as exc:
            raise InputError(f"cannot read {what} {str(p)!r}: {exc.strerror}") from exc
