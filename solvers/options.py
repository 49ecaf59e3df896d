"""The options every solver backend understands (kept apart so that importing them is free)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SolveOptions"]


@dataclass(frozen=True)
class SolveOptions:
    """Options every backend understands."""

    time_limit: float | None = None
    """Seconds; on reaching it the result has termination TIME_LIMIT and the incumbent, if any."""
    mip_rel_gap: float | None = None
    threads: int = 1
    seed: int = 0
    diagnose: bool = True
    """Compute an IIS (infeasible) or an unbounded ray (unbounded) for the message."""
