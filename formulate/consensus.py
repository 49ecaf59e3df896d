"""Consensus over k sampled formulations: group equal models, pick the largest group.

Each sample has been through the self-correction loop. The ones that produced a model
are grouped into equivalence classes with :func:`optiscribe.verify.check` at the
``strict`` level on the compiled instances (IR mode: the Pyomo models; code mode: the
captured MPS): renaming and reordering variables and constraints does not split a class.
When the checker cannot decide (``UNKNOWN``/``UNSUPPORTED``, or it fails to read a
model), two samples are grouped when both solved to optimality with the same objective
value — weaker evidence, recorded as such in :attr:`ConsensusResult.links`.

The largest class wins; ties go to the better solver status (optimal over time limit),
then to the class whose objective value more of the other samples agree with, then to
the earliest sample. The winner's share of *all* k samples (failed ones included) is
the confidence: 2 of 3 → ``2/3``.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from optiscribe.formulate.loop import Evaluation
from optiscribe.verify import check, read_model

__all__ = ["ConsensusResult", "Link", "consensus", "objectives_agree"]

REL_TOL = 1e-6
ABS_TOL = 1e-6

CheckFn = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Link:
    """The comparison of sample ``a`` (a class representative) with sample ``b``."""

    a: int
    b: int
    verdict: str
    """The checker's verdict (``equivalent``, ``not_equivalent``, ``unknown``, ``unsupported``, ``error``)."""
    method: str
    """``verify`` (decided by the checker) or ``objective`` (fallback: equal optimal objectives)."""
    joined: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "verdict": self.verdict,
            "method": self.method,
            "joined": self.joined,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ConsensusResult:
    """Which sample won, the classes found, and the winner's share of all samples."""

    winner: int | None
    classes: tuple[tuple[int, ...], ...]
    total: int
    links: tuple[Link, ...] = ()

    @property
    def share(self) -> Fraction:
        if self.winner is None or self.total == 0:
            return Fraction(0)
        size = next(len(c) for c in self.classes if self.winner in c)
        return Fraction(size, self.total)

    @property
    def confidence(self) -> float:
        return float(self.share)

    @property
    def agreement(self) -> str:
        """``"2/3"``: the winning class's size over the number of samples (not reduced)."""
        size = 0 if self.winner is None else next(len(c) for c in self.classes if self.winner in c)
        return f"{size}/{self.total}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "winner": self.winner,
            "classes": [list(c) for c in self.classes],
            "total": self.total,
            "agreement": self.agreement,
            "confidence": self.confidence,
            "links": [link.to_dict() for link in self.links],
        }


def objectives_agree(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _status_rank(ev: Evaluation | None) -> int:
    """Higher is better: proven optimal > solution at a limit > anything else."""
    r = None if ev is None else ev.solve
    if r is None:
        return 0
    if r.is_optimal:
        return 2
    return 1 if r.has_solution else 0


def _objective(ev: Evaluation | None) -> float | None:
    if ev is None or ev.solve is None or not ev.solve.has_solution:
        return None
    return ev.solve.objective


def _default_check(a: Any, b: Any) -> Any:
    return check(a, b, level="strict")


def _read_once(model: Any) -> Any:
    """The checker's matrix form of ``model``; the model itself if it cannot be read, so
    that the comparison fails the usual way and falls back to objectives."""

    try:
        return read_model(model)
    except Exception:
        return model


def _verdict_name(result: Any) -> str:
    v = getattr(result, "verdict", result)
    return str(getattr(v, "value", v)).lower()


def consensus(
    evaluations: Sequence[Evaluation | None], *, check: CheckFn | None = None
) -> ConsensusResult:
    """Group the samples' models and choose the winner (see the module docstring).

    ``evaluations[i]`` is sample ``i``'s accepted evaluation, or ``None`` when its loop
    failed (it counts in the total, never in a class). ``check(a, b)`` defaults to
    ``verify.check(a, b, level="strict")``.
    """
    read_once = (
        check is None
    )  # our checker takes its matrix form: read each sample once, not per pair
    check = check or _default_check
    total = len(evaluations)
    usable = [
        i for i, ev in enumerate(evaluations) if ev is not None and (ev.model is not None or ev.mps)
    ]
    classes: list[list[int]] = []
    links: list[Link] = []
    with tempfile.TemporaryDirectory(prefix="optiscribe-consensus-") as tmp:
        instance: dict[int, Any] = {}
        for i in usable:
            ev = evaluations[i]
            assert ev is not None
            if ev.model is not None:
                instance[i] = ev.model
            else:
                p = Path(tmp) / f"sample{i}.mps"
                p.write_text(ev.mps or "", encoding="utf-8")
                instance[i] = p
            if read_once:
                instance[i] = _read_once(instance[i])
        for i in usable:
            placed = False
            for cls in classes:
                rep = cls[0]
                link = _compare(rep, i, instance, evaluations, check)
                links.append(link)
                if link.joined:
                    cls.append(i)
                    placed = True
                    break
            if not placed:
                classes.append([i])
    if not classes:
        return ConsensusResult(None, (), total, tuple(links))

    def objective_support(cls: list[int]) -> int:
        obj = _objective(evaluations[cls[0]])
        return len([j for j in usable if objectives_agree(obj, _objective(evaluations[j]))])

    def key(cls: list[int]) -> tuple[int, int, int, int]:
        best_status = max(_status_rank(evaluations[j]) for j in cls)
        return (len(cls), best_status, objective_support(cls), -cls[0])

    best = max(classes, key=key)
    winner = max(best, key=lambda j: (_status_rank(evaluations[j]), -j))
    return ConsensusResult(winner, tuple(tuple(c) for c in classes), total, tuple(links))


def _compare(
    a: int, b: int, instance: dict[int, Any], evs: Sequence[Evaluation | None], check: CheckFn
) -> Link:
    try:
        result = check(instance[a], instance[b])
        verdict = _verdict_name(result)
        reason = str(getattr(result, "reason", ""))
    except Exception as exc:
        verdict, reason = "error", f"{type(exc).__name__}: {exc}"
    if verdict == "equivalent":
        return Link(a, b, verdict, "verify", True, reason)
    if verdict == "not_equivalent":
        return Link(a, b, verdict, "verify", False, reason)
    ea, eb = evs[a], evs[b]
    assert ea is not None and eb is not None
    same = (
        ea.solve is not None
        and eb.solve is not None
        and ea.solve.is_optimal
        and eb.solve.is_optimal
        and objectives_agree(ea.solve.objective, eb.solve.objective)
    )
    return Link(a, b, verdict, "objective", same, reason)
