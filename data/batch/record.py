"""The batch result line as one typed, versioned record: written by batch, read by eval.

A line of a batch output file is a :class:`BatchRecord` (``schema: optiscribe.batch/2``).
Files written as ``optiscribe.batch/1`` read unchanged: that layout is the same but for
``error.kind``, which /1 lines lack (the evaluation then reads the error's class name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from optiscribe.data.batch.input import Problem
from optiscribe.data.errors import DataError
from optiscribe.solvers.errors import OptiscribeError
from optiscribe.solvers.kinds import FailureKind, Status

__all__ = [
    "BATCH_SCHEMA",
    "READABLE_SCHEMAS",
    "BatchMeta",
    "MAX_STORED_CHARS",
    "BatchRecord",
    "ErrorInfo",
    "error_info",
    "make_record",
]

BATCH_SCHEMA = "optiscribe.batch/2"
"""``schema`` of every line written now; bumped when the layout changes."""
READABLE_SCHEMAS = frozenset({"optiscribe.batch/1", BATCH_SCHEMA})
"""Layouts :meth:`BatchRecord.from_line` reads (a line without ``schema`` is read as /1)."""


class ErrorInfo(BaseModel):
    """Why the per-problem function raised: the class name, its kind, the message."""

    model_config = ConfigDict(frozen=True, extra="allow")

    type: str
    message: str
    kind: FailureKind | None = None
    """``None`` only on ``optiscribe.batch/1`` lines."""
    attempts: int | float | str | None = None
    status_code: int | float | str | None = None


class BatchMeta(BaseModel):
    """How the batch ran the problem: time, tries (a dead worker is retried), which worker."""

    model_config = ConfigDict(frozen=True, extra="allow")

    elapsed_s: float = 0.0
    tries: int = 1
    worker: str = ""
    truncated: tuple[str, ...] = ()
    """The texts cut to :data:`MAX_STORED_CHARS` when the line was written, as
    ``"<path> (<original length> chars)"`` (``result.answer``, ``input.text`` ...); empty
    (and left out of the line) when nothing was cut."""


class BatchRecord(BaseModel):
    """One output line. ``status``/``objective`` repeat the result's for quick filtering.

    ``status`` is a :class:`~optiscribe.solvers.kinds.Status` for our runs (``error`` when
    the function raised) and kept as written for other systems' words (``ok``, ``solved``).
    ``result`` is the per-problem function's ``to_dict()`` (for ``solve_text``, a
    ``PipelineResult``), ``input`` every field of the input line.
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    schema_: str = Field(default=BATCH_SCHEMA, alias="schema")
    id: str
    status: str = ""
    objective: float | None = None
    error: ErrorInfo | None = None
    result: dict[str, Any] | None = None
    input: dict[str, Any] = Field(default_factory=dict)
    batch: BatchMeta = Field(default_factory=BatchMeta)

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, v: Any) -> str:
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise ValueError(f"id must be a string or an integer, not {type(v).__name__}")
        return str(v)

    @field_validator("objective", mode="before")
    @classmethod
    def _objective(cls, v: Any) -> float | None:
        # a non-number objective (another system's file) is "no objective", not an error
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return None
        return float(v)

    @field_validator("schema_")
    @classmethod
    def _schema(cls, v: str) -> str:
        if v not in READABLE_SCHEMAS:
            raise ValueError(
                f"schema {v!r} is not one this version reads ({', '.join(sorted(READABLE_SCHEMAS))})"
            )
        return v

    @classmethod
    def from_line(cls, line: Mapping[str, Any], *, where: str = "") -> BatchRecord:
        """Read one parsed line (either schema); a :class:`DataError` naming ``where`` if
        it is not a batch result."""
        data = dict(line)
        data.setdefault("schema", "optiscribe.batch/1")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            at = ".".join(str(p) for p in first["loc"])
            raise DataError(
                f"{where or 'line'}: not a batch result line ({at}: {first['msg']})"
            ) from None

    def to_line(self) -> dict[str, Any]:
        """The line as plain data, ``schema`` first (what :class:`ResultStore` writes)."""
        line = self.model_dump(by_alias=True)
        if self.batch.truncated:
            line["batch"]["truncated"] = list(self.batch.truncated)
        else:  # written only when something was cut, as before the field was declared
            del line["batch"]["truncated"]
        if self.error is not None:  # only the fields the error has
            line["error"] = self.error.model_dump(exclude_none=True)
        return line


def error_info(exc: BaseException) -> dict[str, Any]:
    info: dict[str, Any] = {
        "type": type(exc).__name__,
        "kind": exc.kind if isinstance(exc, OptiscribeError) else FailureKind.OTHER,
        "message": str(exc) or type(exc).__name__,
    }
    for attr in ("attempts", "status_code"):
        v = getattr(exc, attr, None)
        if isinstance(v, (int, float, str)):
            info[attr] = v
    return info


def make_record(
    problem: Problem,
    result: Mapping[str, Any] | None,
    error: Mapping[str, Any] | None,
    elapsed: float,
    *,
    tries: int = 1,
    worker: str = "",
) -> dict[str, Any]:
    """One output line (a :class:`~.record.BatchRecord` as plain data)."""
    if result is not None:
        status = str(result.get("status", Status.UNKNOWN))
        objective = result.get("objective")
    else:
        status, objective = Status.ERROR, None
    cut: list[str] = []
    if result is not None:
        result = _cap_strings(dict(result), MAX_STORED_CHARS, "result", cut)
    fields = _cap_strings(dict(problem.fields), MAX_STORED_CHARS, "input", cut)
    meta = BatchMeta(elapsed_s=round(elapsed, 6), tries=tries, worker=worker, truncated=tuple(cut))
    return BatchRecord(
        id=problem.id,
        status=status,
        objective=objective,
        error=None if error is None else ErrorInfo.model_validate(dict(error)),
        result=None if result is None else dict(result),
        input=fields,
        batch=meta,
    ).to_line()


MAX_STORED_CHARS = 1_000_000
"""Longest text stored in a result line (a model answer, a program); longer ones are cut
and the cut is recorded under ``batch.truncated``."""


def _cap_strings(value: Any, cap: int, path: str, cut: list[str]) -> Any:
    """``value`` with every string longer than ``cap`` cut to ``cap``; paths go to ``cut``."""
    if isinstance(value, str):
        if len(value) > cap:
            cut.append(f"{path} ({len(value)} chars)")
            return value[:cap]
        return value
    if isinstance(value, dict):
        return {k: _cap_strings(v, cap, f"{path}.{k}", cut) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cap_strings(v, cap, f"{path}[{i}]", cut) for i, v in enumerate(value)]
    return value
