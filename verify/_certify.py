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

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from optiscribe.verify._model import MilpData

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


def _close(a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    same_inf = (np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b)))
    with np.errstate(invalid="ignore"):
        fin = np.isfinite(a) & np.isfinite(b) & (
            np.abs(a - b) <= tol * np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300) + 1e-12)
    return same_inf | fin


def _effective(m: MilpData) -> tuple[np.ndarray, np.ndarray, bool]:
    lb, ub = m.col_lower.copy(), m.col_upper.copy()
    A = m.A
    nnz = np.diff(A.indptr)
    infeasible = False
    for i in np.flatnonzero(nnz == 1):
        j = A.indices[A.indptr[i]]
        a = A.data[A.indptr[i]]
        lo, hi = m.row_lower[i], m.row_upper[i]
        lo_j, hi_j = (lo / a, hi / a) if a > 0 else (hi / a, lo / a)
        lb[j] = max(lb[j], lo_j)
        ub[j] = min(ub[j], hi_j)
    for i in np.flatnonzero(nnz == 0):
        if m.row_lower[i] > 1e-12 or m.row_upper[i] < -1e-12:
            infeasible = True
    for j in np.flatnonzero(m.integer):
        if np.isfinite(lb[j]):
            lb[j] = np.ceil(lb[j] - 1e-9 * max(1.0, abs(lb[j])))
        if np.isfinite(ub[j]):
            ub[j] = np.floor(ub[j] + 1e-9 * max(1.0, abs(ub[j])))
    if np.any(lb > ub + 1e-9 * np.maximum(1.0, np.abs(ub))):
        infeasible = True
    return lb, ub, infeasible


def _half_rows(m: MilpData) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    nnz = np.diff(m.A.indptr)
    for i in np.flatnonzero(nnz >= 2):
        lo, hi = float(m.row_lower[i]), float(m.row_upper[i])
        if np.isfinite(lo) and np.isfinite(hi) and hi - lo <= 1e-12 * max(1.0, abs(lo), abs(hi)):
            out.add((int(i), 0))
            continue
        if np.isfinite(hi):
            out.add((int(i), 1))
        if np.isfinite(lo):
            out.add((int(i), -1))
    return out


def _rows(m: MilpData, rows: np.ndarray, sides: np.ndarray) -> tuple[sp.csr_array, np.ndarray]:
    sign = np.where(sides < 0, -1.0, 1.0)
    R = sp.csr_array(sp.diags_array(sign) @ m.A[rows]) if rows.size else sp.csr_array(
        (0, m.num_vars))
    rhs = np.where(sides < 0, -m.row_lower[rows], np.where(sides > 0, m.row_upper[rows],
                                                          m.row_lower[rows]))
    return R, rhs


def _proportional(R: sp.csr_array, rr: np.ndarray, C: sp.csr_array, cr: np.ndarray,
                  eq: np.ndarray, tol: float) -> tuple[bool, int]:
    """Each row of (R, rr) equals λ·(C, cr) with λ > 0 (λ ≠ 0 for equalities)."""
    if R.shape[0] == 0:
        return True, -1
    ra = np.abs(R).max(axis=1).toarray().reshape(-1)
    ca = np.abs(C).max(axis=1).toarray().reshape(-1)
    if np.any(ra == 0) or np.any(ca == 0):
        return False, int(np.flatnonzero((ra == 0) | (ca == 0))[0])
    lam = ra / ca
    dot = np.asarray(R.multiply(C).sum(axis=1)).reshape(-1)
    sign = np.where(dot < 0, -1.0, 1.0)
    bad_sign = ~eq & (dot <= 0)
    lam = lam * np.where(eq, sign, 1.0)
    D = R - sp.diags_array(lam) @ C
    dmax = np.abs(D).max(axis=1).toarray().reshape(-1) if D.nnz else np.zeros(R.shape[0])
    bad = bad_sign | (dmax > tol * ra) | ~_close(rr, lam * cr, tol)
    if bad.any():
        return False, int(np.flatnonzero(bad)[0])
    return True, -1


def verify_mapping(ref: MilpData, cand: MilpData, var_map: np.ndarray, rows: HalfRowMap, *,
                   tol: float) -> tuple[bool, str]:
    """Prove that ``var_map`` (reference column → candidate column) and ``rows`` map the
    reference model onto the candidate model. Returns ``(ok, what failed)``."""
    n = ref.num_vars
    if cand.num_vars != n or var_map.size != n:
        return False, "different numbers of variables"
    if np.any(var_map < 0) or np.unique(var_map).size != n:
        return False, "the variable mapping is not a bijection"
    if not np.array_equal(ref.integer, cand.integer[var_map]):
        j = int(np.flatnonzero(ref.integer != cand.integer[var_map])[0])
        return False, f"variable {ref.var_names[j]} changes type"
    lb_r, ub_r, inf_r = _effective(ref)
    lb_c, ub_c, inf_c = _effective(cand)
    if inf_r != inf_c:
        return False, "only one model is infeasible by construction"
    for what, a, b in (("lower bound", lb_r, lb_c[var_map]), ("upper bound", ub_r, ub_c[var_map]),
                       ("cost", ref.c * ref.sense, cand.c[var_map] * cand.sense)):
        ok = _close(a, b, tol)
        if not ok.all():
            j = int(np.flatnonzero(~ok)[0])
            return False, f"variable {ref.var_names[j]}: {what} {a[j]} vs {b[j]}"
    if not _close(np.array([ref.offset * ref.sense]), np.array([cand.offset * cand.sense]),
                  tol)[0]:
        return False, "objective constants differ"
    # coverage: every half-row of each model is paired or a checked duplicate
    for model, paired, dups, label in (
        (ref, zip(rows.pairs_ref_row.tolist(), rows.pairs_ref_side.tolist()), rows.dups_ref,
         "reference"),
        (cand, zip(rows.pairs_cand_row.tolist(), rows.pairs_cand_side.tolist()), rows.dups_cand,
         "candidate"),
    ):
        have = set(paired) | set(zip(dups[0].tolist(), dups[1].tolist()))
        missing = _half_rows(model) - have
        if missing:
            i, s = sorted(missing)[0]
            return False, f"{label} row {model.row_names[i]} (side {s}) is not covered"
        if dups[0].size:
            R, rr = _rows(model, dups[0], dups[1])
            C, cr = _rows(model, dups[2], dups[3])
            ok, k = _proportional(R, rr, C, cr, dups[1] == 0, tol)
            if not ok or np.any((dups[1] == 0) != (dups[3] == 0)):
                return False, f"{label} row {model.row_names[int(dups[0][max(k, 0)])]} is not " \
                              f"a duplicate of the row it was merged with"
    eq_r, eq_c = rows.pairs_ref_side == 0, rows.pairs_cand_side == 0
    if np.any(eq_r != eq_c):
        k = int(np.flatnonzero(eq_r != eq_c)[0])
        return False, f"row {ref.row_names[int(rows.pairs_ref_row[k])]}: equality vs inequality"
    R, rr = _rows(ref, rows.pairs_ref_row, rows.pairs_ref_side)
    C, cr = _rows(cand, rows.pairs_cand_row, rows.pairs_cand_side)
    if R.shape[0]:
        P = sp.csr_array((np.ones(n), (np.arange(n), var_map)), shape=(n, n))
        R = sp.csr_array(R @ P)
    ok, k = _proportional(R, rr, C, cr, eq_r, tol)
    if not ok:
        return False, (f"row {ref.row_names[int(rows.pairs_ref_row[k])]} does not match "
                       f"{cand.row_names[int(rows.pairs_cand_row[k])]}")
    return True, ""
