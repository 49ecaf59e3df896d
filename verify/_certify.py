"""Independent re-verification of a variable/constraint mapping on the models as read.

This is the last line of defence before ``EQUIVALENT`` is returned: it shares no code
with canonicalisation, colour refinement or search. It re-derives, from the
:class:`MilpData` themselves, each model's effective bounds (column bounds intersected
with singleton rows, integer bounds rounded) and its half-rows (each finite side of every
other row as ``a x <= b``, or ``a x = b``), then proves that the mapping sends the
reference onto the candidate: same types, bounds and costs per mapped variable, the same
objective constant, and every half-row of either model equal (up to a positive factor, or
any non-zero factor for equalities) to a half-row of the other, using only float
arithmetic with a tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

# which zero numpy's maximum.at / minimum.at keep on this platform: a probe of numpy, not
# a rule of the canonical form (the one number this module takes from it)
from optiscribe.verify._canon import _ZERO_TIES, _new_zero_wins
from optiscribe.verify._model import MilpData, ModelLists, kept_lists, model_lists

try:  # the re-verification in C (verify/_certifyc.c), built by the install where a C
    # compiler is
    from optiscribe.verify import _certifyc
except ImportError:  # none: _verify_mapping_arrays runs its numpy code
    _certifyc = None  # type: ignore[assignment]

__all__ = ["HalfRowMap", "verify_mapping"]


@dataclass(frozen=True, eq=False)
class HalfRowMap:
    """Which half-rows the mapping pairs up, in original row indices and sides.

    ``pairs_*`` are aligned: reference half-row ``(pairs_ref_row[k], pairs_ref_side[k])``
    corresponds to candidate half-row ``(pairs_cand_row[k], pairs_cand_side[k])``.
    ``dups_*`` list half-rows that were dropped as duplicates together with the kept
    half-row of the same model they duplicate; they are checked too.
    """

    pairs_ref_row: np.ndarray
    pairs_ref_side: np.ndarray
    pairs_cand_row: np.ndarray
    pairs_cand_side: np.ndarray
    dups_ref: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # row, side, rep row, side
    dups_cand: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


# --------------------------------------------------------------------------- failures

#: What a failed re-verification reports, as codes: verify/_certifyc.c returns one with
#: its indices and values, and every path writes the message with :func:`_failure` (one
#: copy of each text).
(
    _FAIL_VARS,
    _FAIL_BIJECTION,
    _FAIL_TYPE,
    _FAIL_INFEASIBLE,
    _FAIL_BOUND,
    _FAIL_OFFSET,
    _FAIL_COVER,
    _FAIL_DUP,
    _FAIL_SIDE,
    _FAIL_ROW,
) = range(1, 11)
_BOUNDS = ("lower bound", "upper bound", "cost")


def _failure(
    ref: MilpData, cand: MilpData, code: int, a: int = 0, b: int = 0, x: object = 0, y: object = 0
) -> tuple[bool, str]:
    """``(False, message)`` for failure ``code``; ``a``, ``b``: its indices (a variable, a
    row, which model: 0 the reference, 1 the candidate, a half-row code ``3 * row + side +
    1``), ``x``, ``y``: the two numbers that differ, printed as given."""
    if code == _FAIL_VARS:
        return False, "different numbers of variables"
    if code == _FAIL_BIJECTION:
        return False, "the variable mapping is not a bijection"
    if code == _FAIL_TYPE:
        return False, f"variable {ref.var_names[a]} changes type"
    if code == _FAIL_INFEASIBLE:
        return False, "only one model is infeasible by construction"
    if code == _FAIL_BOUND:  # a: lower bound, upper bound or cost; b: the variable
        return False, f"variable {ref.var_names[b]}: {_BOUNDS[a]} {x} vs {y}"
    if code == _FAIL_OFFSET:
        return False, "objective constants differ"
    label, model = ("reference", ref) if a == 0 else ("candidate", cand)
    if code == _FAIL_COVER:  # b: the lowest half-row code not covered
        i, s = b // 3, b % 3 - 1
        return False, f"{label} row {model.row_names[i]} (side {s}) is not covered"
    if code == _FAIL_DUP:  # b: the row
        return (
            False,
            f"{label} row {model.row_names[b]} is not a duplicate of the row it was merged with",
        )
    if code == _FAIL_SIDE:
        return False, f"row {ref.row_names[a]}: equality vs inequality"
    assert code == _FAIL_ROW, code
    return False, f"row {ref.row_names[a]} does not match {cand.row_names[b]}"


def _close(a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    """Equal within ``tol`` (relative) + 1e-12, or the same infinity. The difference is
    taken only where both are finite (``where=``), so no ``errstate`` is needed (entering
    one cost more than the comparison on small models)."""
    same_inf = np.isinf(a) & (a == b)
    fin = np.isfinite(a) & np.isfinite(b)
    diff = np.subtract(a, b, out=np.zeros(np.shape(a)), where=fin)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
    close: np.ndarray = same_inf | (fin & (np.abs(diff) <= tol * scale + 1e-12))
    return close


def _effective(m: MilpData) -> tuple[np.ndarray, np.ndarray, bool]:
    lb, ub = m.col_lower.copy(), m.col_upper.copy()
    A = m.A
    nnz = A.indptr[1:] - A.indptr[:-1]
    single = np.flatnonzero(nnz == 1)
    if single.size:
        j = A.indices[A.indptr[single]]
        a = A.data[A.indptr[single]]
        lo, hi = m.row_lower[single], m.row_upper[single]
        with np.errstate(invalid="ignore", divide="ignore"):
            lo_j = np.where(a > 0, lo / a, hi / a)
            hi_j = np.where(a > 0, hi / a, lo / a)
        np.maximum.at(lb, j, lo_j)
        np.minimum.at(ub, j, hi_j)
    empty = nnz == 0
    infeasible = bool(np.any(empty & ((m.row_lower > 1e-12) | (m.row_upper < -1e-12))))
    integ = np.flatnonzero(m.integer)
    if integ.size:
        li, ui = lb[integ], ub[integ]
        with np.errstate(invalid="ignore"):
            lb[integ] = np.where(
                np.isfinite(li), np.ceil(li - 1e-9 * np.maximum(1.0, np.abs(li))), li
            )
            ub[integ] = np.where(
                np.isfinite(ui), np.floor(ui + 1e-9 * np.maximum(1.0, np.abs(ui))), ui
            )
    if np.any(lb > ub + 1e-9 * np.maximum(1.0, np.abs(ub))):
        infeasible = True
    return lb, ub, infeasible


def _half_row_codes(m: MilpData) -> np.ndarray:
    """Codes ``3 * row + side + 1`` of every half-row with at least two nonzeros."""
    nnz = m.A.indptr[1:] - m.A.indptr[:-1]
    i = np.flatnonzero(nnz >= 2)
    lo, hi = m.row_lower[i], m.row_upper[i]
    with np.errstate(invalid="ignore"):
        eq = (
            np.isfinite(lo)
            & np.isfinite(hi)
            & (hi - lo <= 1e-12 * np.maximum(1.0, np.maximum(np.abs(lo), np.abs(hi))))
        )
    up = ~eq & np.isfinite(hi)
    dn = ~eq & np.isfinite(lo)
    codes = np.concatenate([3 * i[eq] + 1, 3 * i[up] + 2, 3 * i[dn]])
    return codes.astype(np.int64, copy=False)


class _Rows(NamedTuple):
    """Half-rows in canonical CSR form (sorted columns, no repeats, no explicit zeros),
    as plain arrays."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

    @property
    def nnz(self) -> int:
        return int(self.data.size)

    def csr(self) -> sp.csr_array:
        return sp.csr_array((self.data, self.indices, self.indptr), shape=self.shape)


def _rows(
    m: MilpData, rows: np.ndarray, sides: np.ndarray, col_map: np.ndarray | None = None
) -> tuple[_Rows, np.ndarray]:
    """The half-rows ``(rows, sides)`` of ``m`` as ``<=``/``=`` rows (canonical CSR), with
    column ``j`` moved to ``col_map[j]`` when a (bijective) map is given."""
    sign = np.where(sides < 0, -1.0, 1.0)
    A = m.A
    shape = (int(rows.size), m.num_vars)
    if rows.size:
        rows = np.asarray(rows, dtype=np.int64)
        lo, cnt = (
            A.indptr[rows].astype(np.int64),
            (A.indptr[1:] - A.indptr[:-1])[rows].astype(np.int64),
        )
        ptr = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(cnt, out=ptr[1:])
        take = np.arange(int(ptr[-1]), dtype=np.int64) + np.repeat(lo - ptr[:-1], cnt)
        ind = A.indices[take].astype(np.int64)
        if col_map is not None:
            ind = col_map[ind]
        data = A.data[take]
        if (sides < 0).any():
            data *= np.repeat(sign, cnt)
        if A.has_canonical_format and data.all():
            # rows of a canonical matrix without zeros: canonical once the columns are
            # sorted (a bijective col_map cannot create repeats)
            if col_map is not None:
                # sort the columns inside each row (no scipy constructor: its fixed cost
                # dominated small checks)
                order = _row_major(np.repeat(np.arange(rows.size), cnt), ind, rows.size, shape[1])
                ind, data = ind[order], data[order]
            out = _Rows(ptr, ind, data, shape)
        else:
            R = sp.csr_array((data, ind, ptr), shape=shape)
            R.sum_duplicates()  # sorts the columns (and merges any repeats)
            R.eliminate_zeros()
            out = _Rows(R.indptr, R.indices, R.data, shape)
    else:
        z = np.zeros(0, dtype=np.int64)
        out = _Rows(np.zeros(1, dtype=np.int64), z, np.zeros(0), shape)
    rhs = np.where(
        sides < 0, -m.row_lower[rows], np.where(sides > 0, m.row_upper[rows], m.row_lower[rows])
    )
    return out, rhs


def _row_major(row: np.ndarray, col: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """The order that sorts entries by (row, column): two stable sorts of 16-bit keys
    (numpy radix-sorts those, about 10x faster than ``lexsort``) when both fit."""
    if n_rows <= 1 << 16 and n_cols <= 1 << 16:
        by_col = np.argsort(col.astype(np.uint16), kind="stable")
        out: np.ndarray = by_col[np.argsort(row[by_col].astype(np.uint16), kind="stable")]
        return out
    return np.lexsort((col, row))


def _row_absmax(M: _Rows | sp.csr_array) -> np.ndarray:
    """Largest |entry| of every row (0 for an empty row)."""
    out = np.zeros(M.shape[0])
    if M.nnz:
        starts = M.indptr[:-1]
        nz = (M.indptr[1:] - M.indptr[:-1]) > 0
        out[nz] = np.maximum.reduceat(np.abs(M.data), starts[nz])
    return out


def _proportional(
    R: _Rows, rr: np.ndarray, C: _Rows, cr: np.ndarray, eq: np.ndarray, tol: float
) -> tuple[bool, int]:
    """Each row of (R, rr) equals λ·(C, cr) with λ > 0 (λ ≠ 0 for equalities)."""
    if R.shape[0] == 0:
        return True, -1
    ra, ca = _row_absmax(R), _row_absmax(C)
    if np.any(ra == 0) or np.any(ca == 0):
        return False, int(np.flatnonzero((ra == 0) | (ca == 0))[0])
    lam = ra / ca
    if np.array_equal(R.indptr, C.indptr) and np.array_equal(R.indices, C.indices):
        # same sparsity pattern (both canonical): compare the data arrays directly; the
        # same tests as the general path below, without sparse products
        cnt = R.indptr[1:] - R.indptr[:-1]
        seg_nz = cnt > 0
        rd, cd = R.data, C.data
        dot = np.zeros(R.shape[0])
        if rd.size:
            dot[seg_nz] = np.add.reduceat(rd * cd, R.indptr[:-1][seg_nz])
        sign = np.where(dot < 0, -1.0, 1.0)
        bad_sign = ~eq & (dot <= 0)
        lam = lam * np.where(eq, sign, 1.0)
        dmax = np.zeros(R.shape[0])
        if rd.size:
            dmax[seg_nz] = np.maximum.reduceat(
                np.abs(rd - cd * np.repeat(lam, cnt)), R.indptr[:-1][seg_nz]
            )
        bad = bad_sign | (dmax > tol * ra) | ~_close(rr, lam * cr, tol)
        if bad.any():
            return False, int(np.flatnonzero(bad)[0])
        return True, -1
    return _proportional_sparse(R.csr(), rr, C.csr(), cr, eq, tol, ra, lam)


def _proportional_sparse(
    R: sp.csr_array,
    rr: np.ndarray,
    C: sp.csr_array,
    cr: np.ndarray,
    eq: np.ndarray,
    tol: float,
    ra: np.ndarray,
    lam: np.ndarray,
) -> tuple[bool, int]:
    """:func:`_proportional` for any sparsity patterns (sparse products)."""
    dot = np.asarray(R.multiply(C).sum(axis=1)).reshape(-1)
    sign = np.where(dot < 0, -1.0, 1.0)
    bad_sign = ~eq & (dot <= 0)
    lam = lam * np.where(eq, sign, 1.0)
    C.sum_duplicates()
    lam_c = sp.csr_array(
        (C.data * np.repeat(lam, (C.indptr[1:] - C.indptr[:-1])), C.indices, C.indptr),
        shape=C.shape,
    )
    D = sp.csr_array(R - lam_c)
    dmax = _row_absmax(D)
    bad = bad_sign | (dmax > tol * ra) | ~_close(rr, lam * cr, tol)
    if bad.any():
        return False, int(np.flatnonzero(bad)[0])
    return True, -1


def verify_mapping(
    ref: MilpData, cand: MilpData, var_map: np.ndarray, rows: HalfRowMap, *, tol: float
) -> tuple[bool, str]:
    """Prove that ``var_map`` (reference column → candidate column) and ``rows`` map the
    reference model onto the candidate model. Returns ``(ok, what failed)``.

    The array path runs in C where the module is built and takes the inputs, at every
    size (faster than Python lists even on tiny models); without it tiny models (see
    :data:`SMALL_NNZ`) take the plain-Python path. All apply the same rules and give the
    same answer and message."""
    if _certifyc is None and _small(ref, cand):
        return _verify_mapping_small(ref, cand, var_map, rows, tol=tol)
    return _verify_mapping_arrays(ref, cand, var_map, rows, tol=tol)


def _verify_mapping_arrays(
    ref: MilpData, cand: MilpData, var_map: np.ndarray, rows: HalfRowMap, *, tol: float
) -> tuple[bool, str]:
    """:func:`verify_mapping` with numpy arrays (any size); in C
    (:func:`_verify_mapping_compiled`, 11-25x faster at 100-500 nonzeros) where the module
    is built and takes the inputs."""
    n = ref.num_vars
    if cand.num_vars != n or var_map.size != n:
        return _failure(ref, cand, _FAIL_VARS)
    if _certifyc is not None:
        done = _verify_mapping_compiled(ref, cand, var_map, rows, tol)
        if done is not None:
            return done
    if (
        np.any(var_map < 0)
        or np.any(var_map >= n)
        or not np.all(np.bincount(var_map, minlength=n) == 1)
    ):
        return _failure(ref, cand, _FAIL_BIJECTION)
    if not np.array_equal(ref.integer, cand.integer[var_map]):
        j = int(np.flatnonzero(ref.integer != cand.integer[var_map])[0])
        return _failure(ref, cand, _FAIL_TYPE, j)
    lb_r, ub_r, inf_r = _effective(ref)
    lb_c, ub_c, inf_c = _effective(cand)
    if inf_r != inf_c:
        return _failure(ref, cand, _FAIL_INFEASIBLE)
    # lower bounds, upper bounds and costs in one comparison (first failure reported in
    # that order, as three separate ones would)
    a = np.concatenate((lb_r, ub_r, ref.c * ref.sense))
    b = np.concatenate((lb_c[var_map], ub_c[var_map], cand.c[var_map] * cand.sense))
    close = _close(a, b, tol)
    if not close.all():
        k = int(np.flatnonzero(~close)[0])
        return _failure(ref, cand, _FAIL_BOUND, k // n, k % n, a[k], b[k])
    if not _close(np.array([ref.offset * ref.sense]), np.array([cand.offset * cand.sense]), tol)[0]:
        return _failure(ref, cand, _FAIL_OFFSET)
    # coverage: every half-row of each model is paired or a checked duplicate
    for w, (model, paired, dups) in enumerate(
        (
            (ref, (rows.pairs_ref_row, rows.pairs_ref_side), rows.dups_ref),
            (cand, (rows.pairs_cand_row, rows.pairs_cand_side), rows.dups_cand),
        )
    ):
        have = np.concatenate(
            [
                3 * np.asarray(paired[0], dtype=np.int64) + paired[1] + 1,
                3 * np.asarray(dups[0], dtype=np.int64) + dups[1] + 1,
            ]
        )
        codes = _half_row_codes(model)
        seen = np.zeros(3 * model.num_rows + 3, dtype=bool)
        seen[have[(have >= 0) & (have < seen.size)]] = True
        missing = codes[~seen[codes]]
        if missing.size:
            # the lowest uncovered half-row
            return _failure(ref, cand, _FAIL_COVER, w, int(missing.min()))
        if dups[0].size:
            R, rr = _rows(model, dups[0], dups[1])
            C, cr = _rows(model, dups[2], dups[3])
            ok, k = _proportional(R, rr, C, cr, dups[1] == 0, tol)
            if not ok or np.any((dups[1] == 0) != (dups[3] == 0)):
                return _failure(ref, cand, _FAIL_DUP, w, int(dups[0][max(k, 0)]))
    eq_r, eq_c = rows.pairs_ref_side == 0, rows.pairs_cand_side == 0
    if np.any(eq_r != eq_c):
        k = int(np.flatnonzero(eq_r != eq_c)[0])
        return _failure(ref, cand, _FAIL_SIDE, int(rows.pairs_ref_row[k]))
    # reference rows with column j renamed to var_map[j] (a bijection, checked above)
    R, rr = _rows(ref, rows.pairs_ref_row, rows.pairs_ref_side, col_map=var_map)
    C, cr = _rows(cand, rows.pairs_cand_row, rows.pairs_cand_side)
    ok, k = _proportional(R, rr, C, cr, eq_r, tol)
    if not ok:
        return _failure(
            ref, cand, _FAIL_ROW, int(rows.pairs_ref_row[k]), int(rows.pairs_cand_row[k])
        )
    return True, ""


def _verify_mapping_compiled(
    ref: MilpData, cand: MilpData, var_map: np.ndarray, rows: HalfRowMap, tol: float
) -> tuple[bool, str] | None:
    """:func:`_verify_mapping_arrays` in C (``verify/_certifyc.c``): the same checks in the
    same order, the same first failure, its message written by :func:`_failure` from the
    code, indices and values the module returns (the numbers as numpy floats, printed as
    the numpy code prints them). None where the module declines the inputs (a dtype or
    layout it does not read, an index out of range, a matrix not marked canonical, a zero,
    NaN or infinite coefficient in a compared row, a NaN where a singleton row is folded,
    ...) or a sense other than 1 / -1 or a non-float objective constant: the caller then
    runs the numpy code (``tests/verify/test_certifyc.py`` holds the two to each other)."""
    off_r, off_c = ref.offset * ref.sense, cand.offset * cand.sense
    if not (
        ref.sense in (1, -1)
        and cand.sense in (1, -1)
        and isinstance(off_r, float)
        and isinstance(off_c, float)
    ):
        return None
    got = _certifyc.verify(
        _model_arrays(ref),
        _model_arrays(cand),
        var_map,
        (rows.pairs_ref_row, rows.pairs_ref_side, rows.pairs_cand_row, rows.pairs_cand_side),
        rows.dups_ref,
        rows.dups_cand,
        float(ref.sense),
        float(cand.sense),
        off_r,
        off_c,
        tol,
        _ZERO_TIES,
    )
    if got is None:
        return None
    code, a, b, x, y = got
    if code == 0:
        return True, ""
    return _failure(ref, cand, code, a, b, np.float64(x), np.float64(y))


def _model_arrays(m: MilpData) -> tuple[object, ...]:
    """The arrays of ``m`` that ``verify/_certifyc.c`` reads, in its order."""
    A = m.A
    return (
        A.indptr,
        A.indices,
        A.data,
        m.row_lower,
        m.row_upper,
        m.col_lower,
        m.col_upper,
        m.integer,
        m.c,
        bool(A.has_canonical_format),
    )


# --------------------------------------------------------------------------- small models

#: Below this many stored entries (both models together) the re-verification runs on
#: plain Python lists (:func:`_verify_mapping_small`): on tiny models the ~60 numpy calls
#: of :func:`verify_mapping` cost more than the arithmetic. Same rules, same result and
#: message (pinned by ``tests/verify/test_small_path.py``).
SMALL_NNZ = 256


def _small(ref: MilpData, cand: MilpData) -> bool:
    """The small path applies: both models tiny, canonical (sorted, no repeats), and no
    zero or non-finite coefficient (where numpy and Python arithmetic could differ: a
    division by a zero entry raises in Python)."""
    if ref.nnz + cand.nnz > SMALL_NNZ or ref.num_vars + cand.num_vars > 4 * SMALL_NNZ:
        return False
    for m in (ref, cand):
        if kept_lists(m) is not None:
            continue  # the list reader's model: canonical, finite, no zeros
        A = m.A
        if not A.has_canonical_format or A.data.size != int(A.indptr[-1]):
            return False
        if A.data.size and not (np.isfinite(A.data).all() and A.data.all()):
            return False
    return True


def _fsign_zero(r: float, x: float) -> float:
    """``np.ceil``/``np.floor`` keep the sign of a zero result (``ceil(-0.5) == -0.0``);
    ``math.ceil`` returns an int. Mimic numpy exactly."""
    return -0.0 if r == 0.0 and math.copysign(1.0, x) < 0 else r


def _close_py(a: float, b: float, tol: float) -> bool:
    """:func:`_close` for two floats."""
    if a == b:  # equal finite numbers or the same infinity (NaN is never equal)
        return True
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    scale = max(max(abs(a), abs(b)), 1e-300)
    return abs(a - b) <= tol * scale + 1e-12


def _effective_py(L: ModelLists) -> tuple[list[float], list[float], bool]:
    """:func:`_effective` on the model's lists."""
    lb, ub = list(L.col_lower), list(L.col_upper)  # copies: written below
    ptr, ind, val, rlo, rhi = L.indptr, L.indices, L.data, L.row_lower, L.row_upper
    infeasible = False
    for i in range(len(rlo)):
        k = ptr[i + 1] - ptr[i]
        if k == 1:
            j, a = ind[ptr[i]], val[ptr[i]]
            lo, hi = rlo[i], rhi[i]
            lo_j, hi_j = (lo / a, hi / a) if a > 0 else (hi / a, lo / a)
            # np.maximum.at / np.minimum.at: the first operand wins ties (and NaN), but
            # for zeros of opposite signs, where this numpy's answer decides
            if not (lb[j] >= lo_j or lb[j] != lb[j]) or _new_zero_wins(lb[j], lo_j, 0):
                lb[j] = lo_j
            if not (ub[j] <= hi_j or ub[j] != ub[j]) or _new_zero_wins(ub[j], hi_j, 2):
                ub[j] = hi_j
        elif k == 0 and (rlo[i] > 1e-12 or rhi[i] < -1e-12):
            infeasible = True
    for j, is_int in enumerate(L.integer):
        if is_int:
            li, ui = lb[j], ub[j]
            if math.isfinite(li):
                x = li - 1e-9 * max(1.0, abs(li))
                lb[j] = _fsign_zero(float(math.ceil(x)), x)
            if math.isfinite(ui):
                x = ui + 1e-9 * max(1.0, abs(ui))
                ub[j] = _fsign_zero(float(math.floor(x)), x)
    for lo, hi in zip(lb, ub):
        if lo > hi + 1e-9 * max(1.0, abs(hi)):
            infeasible = True
    return lb, ub, infeasible


def _half_row_codes_py(L: ModelLists) -> list[int]:
    """:func:`_half_row_codes` on lists (same codes; order does not matter)."""
    ptr, rlo, rhi = L.indptr, L.row_lower, L.row_upper
    codes = []
    for i in range(len(rlo)):
        if ptr[i + 1] - ptr[i] < 2:
            continue
        lo, hi = rlo[i], rhi[i]
        fl, fh = math.isfinite(lo), math.isfinite(hi)
        if fl and fh and hi - lo <= 1e-12 * max(1.0, max(abs(lo), abs(hi))):
            codes.append(3 * i + 1)
            continue
        if fh:
            codes.append(3 * i + 2)
        if fl:
            codes.append(3 * i)
    return codes


_Row = tuple[list[int], list[float]]


def _rows_py(
    L: ModelLists, rows: list[int], sides: list[int], col_map: list[int] | None = None
) -> tuple[list[_Row], list[float]]:
    """:func:`_rows` on lists, for a canonical matrix without zeros (see :func:`_small`)."""
    ptr, ind, val, rlo, rhi = L.indptr, L.indices, L.data, L.row_lower, L.row_upper
    out: list[_Row] = []
    rhs: list[float] = []
    for i, s in zip(rows, sides):
        lo, hi = ptr[i], ptr[i + 1]
        cols = ind[lo:hi]
        data = val[lo:hi]
        if s < 0:
            data = [v * -1.0 for v in data]
        if col_map is not None:
            pairs = sorted(zip([col_map[j] for j in cols], data))
            cols, data = [p[0] for p in pairs], [p[1] for p in pairs]
        out.append((cols, data))
        rhs.append(-rlo[i] if s < 0 else (rhi[i] if s > 0 else rlo[i]))
    return out, rhs


def _proportional_py(
    R: list[_Row], rr: list[float], C: list[_Row], cr: list[float], eq: list[bool], tol: float
) -> tuple[bool, int]:
    """:func:`_proportional` on lists: the first failing row, as the array version finds
    it (all rows' absolute maxima first, then the row tests)."""
    if not R:
        return True, -1
    ra = [max(map(abs, d)) if d else 0.0 for _, d in R]
    ca = [max(map(abs, d)) if d else 0.0 for _, d in C]
    for k in range(len(R)):
        if ra[k] == 0 or ca[k] == 0:
            return False, k
    for k, ((rc, rd), (cc, cd)) in enumerate(zip(R, C)):
        lam = ra[k] / ca[k]
        if rc == cc:
            dot = 0.0
            for x, y in zip(rd, cd):
                dot += x * y
        else:
            cmap = dict(zip(cc, cd))
            dot = 0.0
            for j, x in zip(rc, rd):
                if j in cmap:
                    dot += x * cmap[j]
        bad_sign = not eq[k] and dot <= 0
        if eq[k]:
            lam = lam * (-1.0 if dot < 0 else 1.0)
        if rc == cc:
            dmax = max((abs(x - y * lam) for x, y in zip(rd, cd)), default=0.0)
        else:
            diff = dict(zip(rc, rd))
            for j, y in zip(cc, cd):
                diff[j] = diff.get(j, 0.0) - y * lam
            dmax = max(map(abs, diff.values()), default=0.0)
        if bad_sign or dmax > tol * ra[k] or not _close_py(rr[k], lam * cr[k], tol):
            return False, k
    return True, -1


def _verify_mapping_small(
    ref: MilpData, cand: MilpData, var_map: np.ndarray, rows: HalfRowMap, *, tol: float
) -> tuple[bool, str]:
    """:func:`verify_mapping` on Python lists for tiny models: the same checks in the
    same order, with the same first failure and message."""
    n = ref.num_vars
    if cand.num_vars != n or var_map.size != n:
        return _failure(ref, cand, _FAIL_VARS)
    vm = var_map.tolist()
    if any(k < 0 or k >= n for k in vm) or len(set(vm)) != n:
        return _failure(ref, cand, _FAIL_BIJECTION)
    La, Lb = model_lists(ref), model_lists(cand)  # never written to
    ir, ic = La.integer, Lb.integer
    for j, k in enumerate(vm):
        if ir[j] != ic[k]:
            return _failure(ref, cand, _FAIL_TYPE, j)
    lb_r, ub_r, inf_r = _effective_py(La)
    lb_c, ub_c, inf_c = _effective_py(Lb)
    if inf_r != inf_c:
        return _failure(ref, cand, _FAIL_INFEASIBLE)
    cost_r = [v * ref.sense for v in La.c]
    cost_c = [v * cand.sense for v in Lb.c]
    for what, (a, b) in enumerate(((lb_r, lb_c), (ub_r, ub_c), (cost_r, cost_c))):
        for j, k in enumerate(vm):
            if a[j] != b[k] and not _close_py(a[j], b[k], tol):
                return _failure(ref, cand, _FAIL_BOUND, what, j, a[j], b[k])
    if not _close_py(ref.offset * ref.sense, cand.offset * cand.sense, tol):
        return _failure(ref, cand, _FAIL_OFFSET)
    for w, (model, L, paired, dups) in enumerate(
        (
            (ref, La, (rows.pairs_ref_row, rows.pairs_ref_side), rows.dups_ref),
            (cand, Lb, (rows.pairs_cand_row, rows.pairs_cand_side), rows.dups_cand),
        )
    ):
        size = 3 * model.num_rows + 3
        seen = set()
        for r_, s_ in ((paired[0], paired[1]), (dups[0], dups[1])):
            for i, s in zip(np.asarray(r_).tolist(), np.asarray(s_).tolist()):
                code = 3 * i + s + 1
                if 0 <= code < size:
                    seen.add(code)
        missing = [c for c in _half_row_codes_py(L) if c not in seen]
        if missing:
            return _failure(ref, cand, _FAIL_COVER, w, min(missing))
        if dups[0].size:
            d0, d1, d2, d3 = (np.asarray(x).tolist() for x in dups)
            R, rr = _rows_py(L, d0, d1)
            C, cr = _rows_py(L, d2, d3)
            ok, k = _proportional_py(R, rr, C, cr, [s == 0 for s in d1], tol)
            if not ok or any((s == 0) != (t == 0) for s, t in zip(d1, d3)):
                return _failure(ref, cand, _FAIL_DUP, w, int(d0[max(k, 0)]))
    rr_rows, rr_sides = rows.pairs_ref_row.tolist(), rows.pairs_ref_side.tolist()
    cc_rows, cc_sides = rows.pairs_cand_row.tolist(), rows.pairs_cand_side.tolist()
    eq_r = [s == 0 for s in rr_sides]
    for k, s in enumerate(cc_sides):
        if eq_r[k] != (s == 0):
            return _failure(ref, cand, _FAIL_SIDE, int(rr_rows[k]))
    R, rr = _rows_py(La, rr_rows, rr_sides, col_map=vm)
    C, cr = _rows_py(Lb, cc_rows, cc_sides)
    ok, k = _proportional_py(R, rr, C, cr, eq_r, tol)
    if not ok:
        return _failure(ref, cand, _FAIL_ROW, int(rr_rows[k]), int(cc_rows[k]))
    return True, ""
