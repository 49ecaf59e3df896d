"""The solver backend registry: ``highs`` (default) and ``ortools``, picked by name.

* ``highs``: HiGHS through Pyomo's current solver interface (:mod:`.highs`), duals for LPs,
  IIS for infeasible models.
* ``ortools``: OR-Tools ``model_builder`` on the model's MPS export, with SCIP for MILPs
  and GLOP for LPs (:mod:`.ortools`).

Both derive from :class:`~optiscribe.solvers.backends.base.Backend`, which checks a model
against the backend's declared capabilities and builds the result in one place.

highspy >= 1.15 and ortools 9.15 cannot be loaded into one process (both ship a
``libhighs.so.1``; google/or-tools#5246). We pin ``highspy==1.12.0``, the HiGHS that
ortools 9.15 bundles, so both backends run in-process; ``tests/solvers/test_coimport.py``
imports both in either order in a fresh interpreter so a later bump that re-breaks this
fails the tests instead of users.
"""

from __future__ import annotations

import functools
from types import MappingProxyType

from optiscribe.solvers.backends.base import (
    SOLVE_LOCK,
    Availability,
    Backend,
    Capabilities,
    SolveOptions,
)
from optiscribe.solvers.backends.highs import HighsBackend
from optiscribe.solvers.backends.ortools import ORToolsBackend
from optiscribe.solvers.errors import SolverUnavailable

__all__ = [
    "BACKENDS",
    "SOLVE_LOCK",
    "Availability",
    "Backend",
    "Capabilities",
    "HighsBackend",
    "ORToolsBackend",
    "SolveOptions",
    "get_backend",
]

BACKENDS: MappingProxyType[str, type[Backend]] = MappingProxyType(
    {"highs": HighsBackend, "ortools": ORToolsBackend}
)


@functools.cache
def get_backend(name: str) -> Backend:
    """The backend registered under ``name`` (``highs`` or ``ortools``)."""
    cls = BACKENDS.get(name.lower())
    if cls is None:
        raise SolverUnavailable(f"unknown solver {name!r}; choose one of: {', '.join(BACKENDS)}")
    return cls()
