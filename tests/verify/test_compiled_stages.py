"""With every stage's compiled kernel built (``verify/_*c.c``), tiny models are checked in
C too (faster than the plain-Python small paths there as well), and a small file's model
is read to arrays: ``check`` must answer exactly as on the Python paths (the small paths
on lists for tiny models, numpy above), the verdict, reason, method, steps, certificate
and witness, on every small model against its permuted copy and each deliberate
breakage, in memory and from files, and on the end-to-end pairs. Each kernel's own tests
hold it to the numpy code call by call; this holds the whole route.

In CI (``OPTISCRIBE_REQUIRE_COMPILED=1``) the kernels must be built."""

from __future__ import annotations

import os

import pytest

from optiscribe.verify import Verdict, _canon, _certify, _model, _read, _refine, check, read_model

from .test_canonc import _e2e_pairs, _summary
from .test_small_path import LEVELS, _all_small_models, _broken, _written

built = pytest.mark.skipif(
    not _read.STAGE_KERNELS, reason="verify's compiled kernels are not built (no C compiler)"
)


def test_the_kernels_are_built_where_ci_requires_them():
    if os.environ.get("OPTISCRIBE_REQUIRE_COMPILED") == "1":
        assert _read.STAGE_KERNELS


def _counting(fn, name, answered):
    def spy(*a, **k):
        got = fn(*a, **k)
        if got is not None:
            answered[name] = answered.get(name, 0) + 1
        return got

    return spy


def _same_on_both_routes(monkeypatch, request, pairs):
    """``check`` of every pair at both levels, with the kernels and then on the Python
    paths (the ``python_stages`` fixture): the same summary. Returns the results."""
    answered: dict[str, int] = {}
    for module, name in (
        (_canon, "_prepare_compiled"),
        (_canon, "_label_pair_compiled"),
        (_refine, "_hash_compiled"),
        (_certify, "_verify_mapping_compiled"),
    ):
        monkeypatch.setattr(module, name, _counting(getattr(module, name), name, answered))
    fast = [check(a, b, level=level) for _, a, b in pairs for level in LEVELS]
    monkeypatch.undo()
    # not vacuous: every kernel answered, on the tiny models too
    assert len(answered) == 4 and min(answered.values()) >= len(pairs) // 4, answered
    request.getfixturevalue("python_stages")
    for r, (name, a, b, level) in zip(
        fast, [(n, a, b, lv) for n, a, b in pairs for lv in LEVELS], strict=True
    ):
        assert _summary(r) == _summary(check(a, b, level=level)), (name, level)
    return fast


@built
def test_tiny_models_answer_the_same_in_c_as_on_lists(monkeypatch, request, tmp_path):
    models = _all_small_models(tmp_path)
    pairs = [(f"{k}", m, other) for k, m in enumerate(models) for other in _broken(m, k)]
    results = _same_on_both_routes(monkeypatch, request, pairs)
    # not vacuous: both verdicts, and the discrete, refinement and invariant methods
    assert {Verdict.EQUIVALENT, Verdict.NOT_EQUIVALENT} <= {r.verdict for r in results}
    methods = {r.method for r in results}
    assert {"discrete", "colour refinement", "invariants"} <= methods, methods


@built
def test_small_files_answer_the_same_read_to_arrays_as_to_lists(monkeypatch, request, tmp_path):
    (tmp_path / "corpus").mkdir()
    pairs = _written(_all_small_models(tmp_path / "corpus"), tmp_path)
    assert len(pairs) >= 200
    # with the kernels the reader gives arrays (no lists kept); on the Python paths, lists
    assert all(_model.kept_lists(read_model(b)) is None for _, _, b in pairs[:50])
    _same_on_both_routes(monkeypatch, request, pairs)
    assert sum(_model.kept_lists(read_model(b)) is not None for _, _, b in pairs) >= 200


@built
def test_the_end_to_end_pairs_answer_the_same(monkeypatch, request, tmp_path):
    pairs = _e2e_pairs(tmp_path, 10_000)
    assert len(pairs) >= 50
    _same_on_both_routes(monkeypatch, request, pairs)
