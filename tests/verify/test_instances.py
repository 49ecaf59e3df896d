"""Every HiGHS check instance against a permuted, renamed copy and a one-coefficient change."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from optiscribe.verify import ModelReadError, UnsupportedModelError, Verdict, check, read_model

from .conftest import HIGHS_CHECK, permuted, with_changes

NAMES = sorted(p.name for p in HIGHS_CHECK.glob("*")) if HIGHS_CHECK.exists() else []


def _load(name):
    if not NAMES:
        pytest.skip(f"research data not found at {HIGHS_CHECK}; set OPTISCRIBE_SHARED_DATA")
    try:
        return read_model(HIGHS_CHECK / name)
    except UnsupportedModelError as exc:
        assert exc.features
        pytest.skip(f"{name}: unsupported ({', '.join(exc.features)}), checked in test_read")
    except ModelReadError as exc:
        assert name in str(exc)
        pytest.skip(f"{name}: unreadable by design ({exc})")


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in NAMES if n.endswith((".mps", ".lp"))] or ["none"])
def test_instance_against_permuted_copy_and_perturbation(name):
    m = _load(name)
    r = check(m, permuted(m, seed=len(name)))
    assert r.verdict is Verdict.EQUIVALENT, r.reason
    assert len(r.certificate.variables) == m.num_vars
    if m.nnz:
        A = sp.csr_array(m.A)
        data = A.data.copy()
        data[A.nnz // 2] *= 1.37
        B = sp.csr_array((data, A.indices, A.indptr), shape=A.shape)
        r2 = check(m, with_changes(m, A=B))
        assert r2.verdict is Verdict.NOT_EQUIVALENT, r2.reason
        assert r2.witness is not None
    elif m.num_vars:
        c = m.c.copy()
        c[0] += 1.0
        assert check(m, with_changes(m, c=c)).verdict is Verdict.NOT_EQUIVALENT
    else:  # every column was a fixed objective-only one, folded into the constant
        assert check(m, with_changes(m, offset=m.offset + 1)).verdict is Verdict.NOT_EQUIVALENT


def test_unreadable_instances_are_bad_input_not_crashes():
    # comment.mps (inline '$' comments) is read since issue 11: tests/verify/test_faithful.py
    for name in ("garbage.lp", "garbage.mps", "1448.lp"):
        if not (HIGHS_CHECK / name).exists():
            pytest.skip(f"research data not found at {HIGHS_CHECK}")
        with pytest.raises(ModelReadError):
            read_model(HIGHS_CHECK / name)


def test_symmetric_instance_is_decided_by_search_or_sd():
    m = _load("qap04.mps")
    r = check(m, permuted(m, seed=2))
    assert r.verdict is Verdict.EQUIVALENT and r.method in ("search", "symmetric-decomposable")
    assert np.unique(r.certificate.variable_index).size == m.num_vars
