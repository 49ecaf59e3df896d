"""Solver-API dialects for code mode: ``gurobipy`` and ``coptpy`` programs on HiGHS.

Inside the sandbox the code-mode hook (``_hook.py``) makes ``import gurobipy`` resolve to
:mod:`._grb` and ``import coptpy`` to :mod:`._copt`. Both build the model in plain Python,
solve it with ``highspy``, answer the attributes programs read, and capture the model as
MPS with the program's own names, so ``verify`` compares the model the code built.
Features that cannot be reproduced exactly (quadratic terms, general and indicator
constraints without finite bounds, SOS, callbacks, multiple objectives, ...) raise
:class:`._grb.UnsupportedFeature` naming the feature; nothing is approximated.

The modules use the standard library and ``highspy`` only: they are loaded by path in the
sandbox child, where ``optiscribe`` is not importable. See ``docs/dialects.md``.

The map from module name to file lives in ``_hook._DIALECT_FILES`` (the hook is stdlib-only
and cannot import this package).
"""
