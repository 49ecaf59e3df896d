"""Read the uniform benchmark JSONL files of the shared data folder.

The shared data (``<shared>/benchmarks/``, described by its ``SOURCES.md``) holds one
preferred file per benchmark, ``<name>.jsonl``, and every version found under
``variants/<name>.<variant>.jsonl``; each line is one JSON object
``{"id", "source", "question", "answer", "answer_status", "extra"}``. The data is
research-only and is never copied into this repository, so it is read from where it lies:
:func:`shared_data_dir` finds that place.

Where the shared data is looked for, first hit wins:

1. ``$OPTISCRIBE_SHARED_DATA`` (if set it must exist: a wrong setting is an error, not a
   silent fall-through to some other copy);
2. ``<repo root>/../shared/data`` (the layout of a checkout next to the shared folder).

No machine path is built in: anywhere else, set ``$OPTISCRIBE_SHARED_DATA``.

A folder counts as the shared data when it has a ``benchmarks/`` subfolder. Functions
taking ``data_dir`` accept either that root or the ``benchmarks/`` folder itself.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from optiscribe.data.errors import DataError
from optiscribe.formulate.jsonl import iter_objects

__all__ = [
    "ENV_VAR",
    "BenchmarkRecord",
    "benchmarks_dir",
    "list_benchmarks",
    "list_variants",
    "load_benchmark",
    "shared_data_dir",
]

#: Environment variable naming the shared data root (the folder holding ``benchmarks/``).
ENV_VAR = "OPTISCRIBE_SHARED_DATA"
_REPO_ROOT = Path(__file__).resolve().parents[1]
_DEFAULT_CANDIDATES = (_REPO_ROOT.parent / "shared" / "data",)


@dataclass(frozen=True)
class BenchmarkRecord:
    """One benchmark problem: its id, the question text and the optimal objective value.

    ``answer`` is ``None`` where the benchmark has no numeric ground truth (infeasible,
    unbounded, unlabelled). ``extra`` keeps every other field of the line, read-only:
    ``source`` and ``answer_status`` from the top level, and the contents of the line's
    own ``extra`` object (``variant``, ``original_id``, reference models, ...). Where the
    two clash the top-level field wins and the nested value stays under ``extra["extra"]``.
    """

    id: str
    question: str
    answer: float | None
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def source(self) -> str | None:
        return self.extra.get("source")

    @property
    def answer_status(self) -> str | None:
        return self.extra.get("answer_status")

    @property
    def variant(self) -> str | None:
        return self.extra.get("variant")


def shared_data_dir() -> Path:
    """The shared data root (holding ``benchmarks/``), found as the module docstring says."""
    env = os.environ.get(ENV_VAR)
    if env:
        p = Path(env).expanduser()
        if not (p / "benchmarks").is_dir():
            raise DataError(
                f"${ENV_VAR} is set to {str(p)!r}, which has no 'benchmarks/' folder; point it at the shared "
                "data root (the folder that holds benchmarks/SOURCES.md) or unset it"
            )
        return p
    for cand in _DEFAULT_CANDIDATES:
        if (cand / "benchmarks").is_dir():
            return cand
    tried = ", ".join(str(c) for c in _DEFAULT_CANDIDATES)
    raise DataError(
        f"the shared benchmark data was not found (looked in {tried}); set ${ENV_VAR} to the folder that "
        "holds benchmarks/SOURCES.md"
    )


def benchmarks_dir(data_dir: str | Path | None = None) -> Path:
    """The ``benchmarks/`` folder: under ``data_dir`` (root or the folder itself) or the shared root."""
    if data_dir is None:
        return shared_data_dir() / "benchmarks"
    p = Path(data_dir).expanduser()
    if (p / "benchmarks").is_dir():
        return p / "benchmarks"
    if p.is_dir() and (any(p.glob("*.jsonl")) or (p / "variants").is_dir()):
        return p
    raise DataError(
        f"{str(p)!r} is neither the shared data root (with a 'benchmarks/' folder) nor a benchmarks folder "
        "(with *.jsonl files); pass the right folder or leave data_dir out to use the shared data"
    )


def list_benchmarks(data_dir: str | Path | None = None) -> list[str]:
    """Names of the benchmarks with a preferred file (``<name>.jsonl``), sorted."""
    return sorted(p.stem for p in benchmarks_dir(data_dir).glob("*.jsonl"))


def list_variants(name: str, data_dir: str | Path | None = None) -> list[str]:
    """Names of the variants of benchmark ``name`` (``variants/<name>.<variant>.jsonl``), sorted."""
    root = benchmarks_dir(data_dir)
    _check_name(name, root)
    prefix = f"{name}."
    return sorted(
        p.name[len(prefix) : -len(".jsonl")]
        for p in (root / "variants").glob(f"{name}.*.jsonl")
        if "." not in p.name[len(prefix) : -len(".jsonl")]
    )


def _check_name(name: str, root: Path) -> None:
    names = sorted(p.stem for p in root.glob("*.jsonl"))
    if name not in names:
        close = difflib.get_close_matches(name, names, n=3)
        hint = (
            f"did you mean {', '.join(close)}?"
            if close
            else f"available: {', '.join(names) or '(none)'}"
        )
        raise DataError(f"no benchmark named {name!r} in {str(root)!r}; {hint}")


def load_benchmark(
    name_or_path: str | Path, *, variant: str | None = None, data_dir: str | Path | None = None
) -> list[BenchmarkRecord]:
    """Records of a benchmark (preferred file, or ``variant``), or of a JSONL file given by path.

    A path is recognised by ending in ``.jsonl`` or containing a path separator; a
    ``variant`` cannot be combined with a path. Raises :class:`DataError` naming the file
    and line of the first malformed record.
    """
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".jsonl") or os.sep in text or "/" in text:
        if variant is not None:
            raise DataError(
                f"a variant ({variant!r}) cannot be combined with a file path ({text!r}); pass a name"
            )
        path = Path(name_or_path).expanduser()
        if not path.is_file():
            raise DataError(f"benchmark file {str(path)!r} does not exist; check the path")
        return read_jsonl(path)
    root = benchmarks_dir(data_dir)
    _check_name(text, root)
    if variant is None:
        return read_jsonl(root / f"{text}.jsonl")
    path = root / "variants" / f"{text}.{variant}.jsonl"
    if not path.is_file():
        known = list_variants(text, data_dir=root)
        raise DataError(
            f"benchmark {text!r} has no variant {variant!r}; variants: {', '.join(known) or '(none)'}"
        )
    return read_jsonl(path)


def read_jsonl(path: str | Path) -> list[BenchmarkRecord]:
    """Parse one uniform-format JSONL file; blank lines are skipped, bad lines are errors."""
    return [_record(obj, where) for where, obj in iter_objects(path, what="benchmark file")]


def _record(obj: dict[str, Any], where: str) -> BenchmarkRecord:
    for key in ("id", "question"):
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            raise DataError(f"{where}: the record lacks a non-empty string {key!r}")
    answer = obj.get("answer")
    if answer is not None:
        if (
            isinstance(answer, bool)
            or not isinstance(answer, (int, float))
            or not math.isfinite(answer)
        ):
            raise DataError(f"{where}: 'answer' must be a finite number or null, found {answer!r}")
        answer = float(answer)
    nested = obj.get("extra") or {}
    if not isinstance(nested, dict):
        raise DataError(f"{where}: 'extra' must be a JSON object, found {type(nested).__name__}")
    extra: dict[str, Any] = dict(nested)
    top = {k: v for k, v in obj.items() if k not in ("id", "question", "answer", "extra")}
    if any(k in nested for k in top):
        extra["extra"] = dict(nested)
    extra.update(top)
    return BenchmarkRecord(
        id=obj["id"], question=obj["question"], answer=answer, extra=MappingProxyType(extra)
    )
