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

__all__ = ["iter_objects"]


def iter_objects(path: str | Path, *, what: str = "file") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(where, object)`` for each non-blank line; ``where`` is ``"path:line"``.

    ``what`` names the file in the error for a file that cannot be read ("benchmark file",
    "replay file", ...). Lines are read one at a time, so large files stream.
    """
    p = Path(path)
    try:
        fh = p.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {what} {str(p)!r}: {exc.strerror}; check the path") from exc
    with fh:
        try:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                where = f"{p}:{lineno}"
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(
                        f"{where}: not valid JSON ({exc.msg} at column {exc.colno}); each line must be one "
                        "JSON object: fix or remove the line"
                    ) from exc
                if not isinstance(obj, dict):
                    raise InputError(
                        f"{where}: each line must be a JSON object, found {type(obj).__name__}"
                    )
                yield where, obj
        except UnicodeDecodeError as exc:
            raise InputError(f"{what} {str(p)!r} is not UTF-8 text: {exc}") from exc
