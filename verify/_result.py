"""Frozen result types of the equivalence checker."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["Certificate", "CheckResult", "Level", "SolverOpinion", "Verdict", "Witness"]


class Verdict(str, enum.Enum):  # noqa: UP042  # str() spells "Verdict.X", kept
    """The answer of :func:`check`."""

    EQUIVALENT = "equivalent"
    """Same model after the level's normalisations; carries a verified certificate."""
    NOT_EQUIVALENT = "not_equivalent"
    """Not the same model after the level's normalisations (not a proof that the feasible
    sets or optima differ); carries a witness."""
    UNKNOWN = "unknown"
    """Undecided: search budget spent, or a certificate failed re-verification."""
    UNSUPPORTED = "unsupported"
    """A model has parts the checker does not handle (quadratic, SOS, indicator, ...)."""


class Level(str, enum.Enum):  # noqa: UP042  # str() spells "Level.X", kept
    """How much reformulation is forgiven."""

    STRICT = "strict"
    """Renaming, reordering, max/min, row sign and positive scaling, ranged rows vs pairs,
    singleton rows vs bounds, binary vs integer in [0, 1], integer bound rounding,
    duplicate rows, an objective constant written as a fixed objective-only column
    (Gurobi's ``Constant``, Pyomo's ``ONE_VAR_CONSTANT``; folded at reading time)."""
    NORMALIZED = "normalized"
    """Strict, plus: fixed variables substituted, slack variables eliminated,
    objective-defining variables substituted, positive objective scaling."""


def _ro(d: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(d))


class LazyMapping(Mapping):  # type: ignore[type-arg]
    """A read-only mapping built on first use (the certificate's name dictionaries: on a
    1e6-nonzero model they cost a few hundred ms of pure-Python work that a caller who
    only reads the verdict never needs). The verified mapping itself is computed and
    checked before the result exists; only its spelling in names is deferred."""

    __slots__ = ("_build", "_data")

    def __init__(self, build: Any) -> None:
        self._build = build
        self._data: dict[Any, Any] | None = None

    def _d(self) -> dict[Any, Any]:
        if self._data is None:
            self._data = dict(self._build())
            self._build = None
        return self._data

    def __getitem__(self, key: Any) -> Any:
        return self._d()[key]

    def __iter__(self) -> Any:
        return iter(self._d())

    def __len__(self) -> int:
        return len(self._d())

    def __repr__(self) -> str:
        return f"LazyMapping({self._d()!r})"

    def __reduce__(self) -> Any:  # picklable (materialised), unlike a closure
        return (_lazy_from_dict, (self._d(),))


def _lazy_from_dict(data: dict[Any, Any]) -> LazyMapping:
    return LazyMapping(lambda: data)


@dataclass(frozen=True)
class Certificate:
    """A verified mapping from the reference onto the candidate, in the models' names.

    ``constraints`` maps each reference row to the candidate rows it corresponds to with
    the factor ``f`` such that (reference half-row) = f · (candidate half-row); a ranged
    row has two entries. ``bounds_from_rows`` lists singleton rows read as bounds.
    ``eliminated`` lists, per model, variables removed by ``normalized`` steps.
    """

    variables: Mapping[str, str]
    constraints: Mapping[str, tuple[tuple[str, float], ...]]
    reference_bounds_from_rows: tuple[str, ...]
    candidate_bounds_from_rows: tuple[str, ...]
    reference_eliminated: tuple[str, ...]
    candidate_eliminated: tuple[str, ...]
    method: str
    rounds: int
    search_nodes: int
    variable_index: tuple[int, ...]  # reference column j → candidate column (models as verified)
    #: raw name → display name (Pyomo's writer-mangled names demangled, e.g.
    #: ``c_l_need(S3)_`` → ``need[S3]``); only names that differ are listed. The mappings
    #: above keep the raw names.
    reference_names: Mapping[str, str] = field(default_factory=lambda: _ro({}))
    candidate_names: Mapping[str, str] = field(default_factory=lambda: _ro({}))

    def display(self, name: str, side: str = "reference") -> str:
        """The display form of a raw ``name`` of the reference (or ``"candidate"``)."""
        table = self.reference_names if side == "reference" else self.candidate_names
        return table.get(name, name)

    def describe(self, limit: int = 10) -> list[str]:
        """Human-readable lines (display names): variables, then constraints, each
        truncated to ``limit`` entries."""
        lines = [
            f"variables mapped: {len(self.variables)}"
            + (f" (first {limit})" if len(self.variables) > limit else "")
        ]
        for k, (a, b) in enumerate(self.variables.items()):
            if k >= limit:
                break
            lines.append(f"  {self.display(a)} -> {self.display(b, 'candidate')}")
        lines.append(
            f"constraints mapped: {len(self.constraints)}"
            + (f" (first {limit})" if len(self.constraints) > limit else "")
        )
        for k, (a, imgs) in enumerate(self.constraints.items()):
            if k >= limit:
                break
            shown = ", ".join(
                f"{self.display(b, 'candidate')}" + ("" if f == 1 else f" (x {f:.6g})")
                for b, f in imgs
            )
            lines.append(f"  {self.display(a)} -> {shown}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "variables": dict(self.variables),
            "constraints": {k: [list(p) for p in v] for k, v in self.constraints.items()},
            "reference_bounds_from_rows": list(self.reference_bounds_from_rows),
            "candidate_bounds_from_rows": list(self.candidate_bounds_from_rows),
            "reference_eliminated": list(self.reference_eliminated),
            "candidate_eliminated": list(self.candidate_eliminated),
            "method": self.method,
            "rounds": self.rounds,
            "search_nodes": self.search_nodes,
            "reference_names": dict(self.reference_names),
            "candidate_names": dict(self.candidate_names),
        }


@dataclass(frozen=True)
class Witness:
    """Why the models differ, in their own names.

    ``message`` and ``*_examples`` use display names (Pyomo's writer-mangled names
    demangled: ``c_l_need(S3)_`` → ``need[S3]``); ``*_examples_raw`` hold the names as
    they appear in the models.
    """

    stage: str
    message: str
    round: int = 0
    reference_count: int = 0
    candidate_count: int = 0
    reference_examples: tuple[str, ...] = ()
    candidate_examples: tuple[str, ...] = ()
    reference_examples_raw: tuple[str, ...] = ()
    candidate_examples_raw: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "message": self.message,
            "round": self.round,
            "reference_count": self.reference_count,
            "candidate_count": self.candidate_count,
            "reference_examples": list(self.reference_examples),
            "candidate_examples": list(self.candidate_examples),
            "reference_examples_raw": list(self.reference_examples_raw),
            "candidate_examples_raw": list(self.candidate_examples_raw),
        }


@dataclass(frozen=True)
class SolverOpinion:
    """Weak evidence from solving both models: equal status and optimum do not prove
    equivalence (different models can share an optimum), unequal ones do refute it for
    the given data."""

    reference_status: str
    candidate_status: str
    reference_objective: float | None
    candidate_objective: float | None
    agree: bool
    detail: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference_status": self.reference_status,
            "candidate_status": self.candidate_status,
            "reference_objective": self.reference_objective,
            "candidate_objective": self.candidate_objective,
            "agree": self.agree,
            "detail": self.detail,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class CheckResult:
    """What :func:`optiscribe.verify.check` returns.

    ``certificate`` is set exactly when the verdict is ``EQUIVALENT``; ``witness`` when
    it is ``NOT_EQUIVALENT``. ``steps`` lists the normalisations that changed something
    (prefixed ``reference:``/``candidate:``), ``timings`` seconds per phase.
    """

    verdict: Verdict
    level: Level
    reason: str
    certificate: Certificate | None = None
    witness: Witness | None = None
    steps: tuple[str, ...] = ()
    timings: Mapping[str, float] = field(default_factory=lambda: _ro({}))
    method: str = ""
    second_opinion: SolverOpinion | None = None

    def __bool__(self) -> bool:
        return self.verdict is Verdict.EQUIVALENT

    @property
    def equivalent(self) -> bool:
        return self.verdict is Verdict.EQUIVALENT

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "level": self.level.value,
            "reason": self.reason,
            "method": self.method,
            "certificate": self.certificate.to_dict() if self.certificate else None,
            "witness": self.witness.to_dict() if self.witness else None,
            "steps": list(self.steps),
            "timings": dict(self.timings),
            "second_opinion": self.second_opinion.to_dict() if self.second_opinion else None,
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)
