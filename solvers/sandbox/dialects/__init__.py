"""Solver-API dialects for code mode: ``gurobipy`` and ``coptpy`` programs on HiGHS.

Inside the sandbox the code-mode hook (``_hook.py``) makes ``import gurobipy`` resolve to
:mod:`._grb` and ``import coptpy`` to :mod:`._copt`. Both build the model in plain Python,
solve it with ``highspy``, answer the attributes programs read, and capture the model as
MPS with the program's own names, so ``verify`` compares the model the code built.
Features that cannot be reproduced exactly (quadratic terms, general and indicator
constraints, SOS, callbacks, multiple objectives, ...) raise
:class:`._grb.UnsupportedFeature` naming the feature; nothing is approximated.

The modules use the standard library and ``highspy`` only: they are loaded by path in the
sandbox child, where ``optiscribe`` is not importable. See ``docs/dialects.md``.
"""

from __future__ import annotations

#: Module name a program imports -> file in this folder that answers it.
DIALECT_FILES = {"gurobipy": "_grb.py", "coptpy": "_copt.py"}
