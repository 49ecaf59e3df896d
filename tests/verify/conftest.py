"""Shared helpers for the verify tests: small model builders and the shared-data path."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from optiscribe.data.benchmarks import shared_data_dir
from optiscribe.data.errors import DataError
from optiscribe.verify import MilpData


def _shared_root() -> Path:
    """The shared data root (``$OPTISCRIBE_SHARED_DATA`` or ``../shared/data`` beside the
    repository); a path that does not exist when neither is there (tests then skip)."""
    try:
        return shared_data_dir()
    except DataError:
        return Path(os.environ.get("OPTISCRIBE_SHARED_DATA") or "shared-data-not-found")


SHARED = _shared_root()
HIGHS_CHECK = SHARED / "instances" / "highs-check"
FORMULATION_BENCH = SHARED / "equivalence" / "formulation-bench"
INF = np.inf


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(
            f"research data not found at {path}; set OPTISCRIBE_SHARED_DATA to the "
            f"shared data folder to run this test"
        )
    return path


def milp(
    rows,
    c,
    *,
    lo=None,
    hi=None,
    lb=None,
    ub=None,
    integer=None,
    sense=1,
    offset=0.0,
    var_names=None,
    row_names=None,
) -> MilpData:
    """Dense little models: ``rows`` is a list of coefficient lists."""
    A = sp.csr_array(np.array(rows, dtype=float).reshape(len(rows), len(c)))
    m = len(rows)
    return MilpData.build(
        c=c,
        A=A,
        row_lower=[-INF] * m if lo is None else lo,
        row_upper=[INF] * m if hi is None else hi,
        col_lower=lb,
        col_upper=ub,
        integer=integer,
        sense=sense,
        offset=offset,
        var_names=var_names,
        row_names=row_names,
    )


def permuted(
    m: MilpData,
    seed: int = 0,
    *,
    scale: bool = True,
    flip: bool = True,
    negate_objective: bool = True,
    prefix: str = "p_",
) -> MilpData:
    """A random permutation + renaming of ``m``, rows scaled by positive factors and
    sign-flipped (with the bounds swapped), objective negated with max/min swapped."""
    rng = np.random.default_rng(seed)
    pc, pr = rng.permutation(m.num_vars), rng.permutation(m.num_rows)
    s = rng.uniform(0.5, 4.0, m.num_rows) if scale else np.ones(m.num_rows)
    f = (rng.random(m.num_rows) < 0.5) if flip else np.zeros(m.num_rows, dtype=bool)
    lo, hi = m.row_lower[pr] * s, m.row_upper[pr] * s
    A = sp.csr_array(sp.diags_array(np.where(f, -s, s)) @ m.A[pr][:, pc])
    sign = -1.0 if negate_objective else 1.0
    return MilpData.build(
        c=sign * m.c[pc],
        A=A,
        row_lower=np.where(f, -hi, lo),
        row_upper=np.where(f, -lo, hi),
        col_lower=m.col_lower[pc],
        col_upper=m.col_upper[pc],
        integer=m.integer[pc],
        sense=int(sign) * m.sense,
        offset=sign * m.offset,
        var_names=[f"{prefix}{m.var_names[j]}" for j in pc],
        row_names=[f"{prefix}{m.row_names[i]}" for i in pr],
    )


def with_changes(m: MilpData, **kw) -> MilpData:
    fields = dict(
        c=m.c,
        A=m.A,
        row_lower=m.row_lower,
        row_upper=m.row_upper,
        col_lower=m.col_lower,
        col_upper=m.col_upper,
        integer=m.integer,
        sense=m.sense,
        offset=m.offset,
        var_names=m.var_names,
        row_names=m.row_names,
    )
    fields.update(kw)
    return MilpData.build(**fields)


@pytest.fixture
def python_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every stage after reading on its Python paths, as where the compiled kernels are
    not built (``verify/_*c.c``): tiny models then take the plain-Python small paths and
    a small file's model keeps the reader's lists. (With the kernels every size runs in
    C; each kernel's tests hold it to the numpy code, test_small_path.py the lists.)"""
    from optiscribe.verify import _canon, _certify, _read, _refine

    for module, name in (
        (_canon, "_canonc"),
        (_canon, "_graphc"),
        (_refine, "_refinec"),
        (_certify, "_certifyc"),
    ):
        monkeypatch.setattr(module, name, None)
    monkeypatch.setattr(_read, "STAGE_KERNELS", False)
