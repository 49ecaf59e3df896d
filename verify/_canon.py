"""Strict canonical form and the coloured bipartite graph of a pair of models.

Two stages, applied identically to both models:

1. :func:`prepare` (one model, floats): max → min, empty and free rows dropped (an
   infeasible empty row is remembered), singleton rows folded into bounds with the sign
   of the coefficient handled, integer bounds rounded (so a binary is an integer in
   [0, 1]), every row split into ``<=`` half-rows and equalities, each scaled so that its
   largest coefficient has magnitude 1.
2. :func:`label_pair` (both models at once): every number becomes a cluster id from one
   joint tolerance clustering (or exact rational comparison), equalities get an
   orientation that does not depend on variable order (or are kept in both orientations
   when the sign cannot be decided), and duplicate rows are dropped.

Each row node remembers its original row, side and factor, so certificates and witnesses
speak in the models' own names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from fractions import Fraction
from itertools import compress
from operator import truediv
from typing import Any, NamedTuple, cast

import numpy as np
import scipy.sparse as sp

from optiscribe.verify._model import MilpData, kept_lists, model_lists
from optiscribe.verify._ranks import _mix, rank_pairs, rank_sequences_fast

try:  # prepare's arrays in C (verify/_canonc.c), built by the install where a C compiler is
    from optiscribe.verify import _canonc
except ImportError:  # none: _prepare_arrays runs its numpy code, as it computes
    _canonc = None  # type: ignore[assignment]
try:  # label_pair's tolerance-mode arrays in C (verify/_graphc.c), built the same way
    from optiscribe.verify import _graphc
except ImportError:  # none: label_pair runs its numpy code
    _graphc = None  # type: ignore[assignment]

__all__ = ["EQ_TOL", "ZERO_TOL", "Graph", "Prepared", "label_pair", "prepare"]

#: Absolute magnitude at or below which a number is zero (noise such as -1e-17).
ZERO_TOL = 1e-12
#: Relative width at or below which a ranged row ``lo <= a x <= hi`` is an equality.
EQ_TOL = 1e-12

KIND_LE = 0  # a x <= b
KIND_EQ = 1  # a x == b, orientation fixed
KIND_EQ_PM = 2  # a x == b, sign-symmetric: emitted in both orientations


class HalfRows(NamedTuple):
    """Half-rows in canonical CSR form (sorted columns, no repeats, no explicit zeros)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

    @property
    def nnz(self) -> int:
        return int(self.data.size)


@dataclass(frozen=True, eq=False)
class Prepared:
    """One model after the float stage of the strict canonical form."""

    model: MilpData
    cost: np.ndarray  # min-sense objective
    offset: float
    lb: np.ndarray  # effective bounds: column bounds ∩ singleton rows, integers rounded
    ub: np.ndarray
    integer: np.ndarray
    infeasible: tuple[str, ...]  # reasons the model is infeasible by construction
    rows: HalfRows  # half-rows "rows @ x (<= or ==) rhs", unscaled, side sign applied
    rhs: np.ndarray
    is_eq: np.ndarray
    orig_row: np.ndarray
    side: np.ndarray  # +1 upper side, -1 lower side (negated), 0 equality
    scale: np.ndarray  # largest |coefficient| of each half-row (canonical = row / scale)
    folded_rows: np.ndarray  # singleton rows turned into bounds
    steps: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Graph:
    """Coloured bipartite graph of one canonical model (exact integer labels).

    Variables are nodes ``0..n_vars-1``; row nodes follow. Labels are cluster ids that are
    comparable with the other graph of the same :func:`label_pair` call.
    """

    prepared: Prepared
    var_label: np.ndarray  # (n_vars, 4): cost id, integer, lb id, ub id
    row_kind: np.ndarray
    row_rhs: np.ndarray  # rhs id
    indptr: np.ndarray  # CSR over row nodes → variables
    indices: np.ndarray
    coef: np.ndarray  # coefficient ids
    row_orig: np.ndarray  # original row of each row node
    row_side: np.ndarray
    row_factor: np.ndarray  # node = factor * original row (as written in the model)
    dup_orig: np.ndarray  # half-rows dropped as duplicates: original row, side, kept node
    dup_side: np.ndarray
    dup_node: np.ndarray
    offset_id: int
    steps: tuple[str, ...]

    @property
    def n_vars(self) -> int:
        return int(self.var_label.shape[0])

    @property
    def n_rows(self) -> int:
        return int(self.row_kind.size)

    @property
    def n_arcs(self) -> int:
        return int(self.indices.size)


#: Up to this many stored entries a model is prepared on plain Python lists
#: (:func:`_prepare_small`): on tiny models the ~60 numpy calls of the array version cost
#: more than the arithmetic. Same rules, same result (``tests/verify/test_small_path.py``).
SMALL_NNZ = 128


def prepare(model: MilpData) -> Prepared:
    """The per-model float stage of the strict canonical form (see module docstring).

    The array path, in C where the module is built (faster than Python lists at every
    size); without the module tiny models (:data:`SMALL_NNZ`) with a canonical matrix
    and no zero or non-finite coefficient take the plain-Python path."""
    if _canonc is not None:  # the array path is faster at every size (C, not numpy)
        return _prepare_arrays(model)
    if kept_lists(model) is not None:  # the list reader's model: canonical, finite, no zeros
        small = model.nnz <= SMALL_NNZ  # (its sizes are its lists', no array is made)
    else:
        A = model.A
        small = (
            A.data.size <= SMALL_NNZ
            and A.has_canonical_format
            and A.data.size == int(A.indptr[-1])
            and (not A.data.size or (np.isfinite(A.data).all() and A.data.all()))
        )
    if small and model.num_vars <= 4 * SMALL_NNZ and model.num_rows <= 4 * SMALL_NNZ:
        return _prepare_small(model)
    return _prepare_arrays(model)


def _min_form(model: MilpData) -> tuple[float, list[str]]:
    """The objective constant in minimisation form and the steps so far; the one
    preamble of both versions of :func:`prepare` (the costs: :func:`_min_cost`)."""
    sense = model.sense
    steps = ["maximisation turned into minimisation"] if sense == -1 else []
    return model.offset * sense, steps


def _min_cost(model: MilpData) -> np.ndarray:
    """The costs in minimisation form."""
    cost: np.ndarray = model.c * model.sense
    return cost


def _ceil_floor(r: float, x: float) -> float:
    """``np.ceil``/``np.floor`` keep the sign of a zero result; ``math`` returns ints."""
    return -0.0 if r == 0.0 and math.copysign(1.0, x) < 0 else r


def _prepare_small(model: MilpData) -> Prepared:
    """:func:`_prepare_arrays` on Python lists, for a tiny canonical matrix without zero
    or non-finite entries: the same steps, messages and arrays."""
    offset, steps = _min_form(model)
    infeasible: list[str] = []
    L = model_lists(model)  # never written to: the reader's own lists, possibly
    ptr, ind, val, lo, hi = L.indptr, L.indices, L.data, L.row_lower, L.row_upper
    n = model.num_vars
    inf = math.inf
    n_empty = n_free = 0
    keep: list[int] = []
    single: list[int] = []
    for i, (a0, a1, lo_i, hi_i) in enumerate(zip(ptr, ptr[1:], lo, hi)):
        k = a1 - a0
        if k == 0:
            n_empty += 1
            if (lo_i > ZERO_TOL or hi_i < -ZERO_TOL) and len(infeasible) < 3:
                infeasible.append(f"empty row {model.row_names[i]} requires {lo_i} <= 0 <= {hi_i}")
        elif lo_i == -inf and hi_i == inf:
            n_free += 1
        elif k == 1:
            single.append(i)
        else:
            keep.append(i)
    if n_empty:
        steps.append(f"{n_empty} empty rows dropped")
    if n_free:
        steps.append(f"{n_free} free rows dropped")
    lb, ub = list(L.col_lower), list(L.col_upper)  # copies: written below
    for i in single:
        j, a = ind[ptr[i]], val[ptr[i]]
        l_new, u_new = (lo[i] / a, hi[i] / a) if a > 0 else (hi[i] / a, lo[i] / a)
        # np.maximum.at / np.minimum.at: the current value wins ties (and NaN), but for
        # zeros of opposite signs, where this numpy's answer decides (_zero_ties)
        if not (lb[j] >= l_new or lb[j] != lb[j]) or _new_zero_wins(lb[j], l_new, 0):
            lb[j] = l_new
        if not (ub[j] <= u_new or ub[j] != ub[j]) or _new_zero_wins(ub[j], u_new, 2):
            ub[j] = u_new
    if single:
        steps.append(f"{len(single)} singleton rows turned into bounds")
    int_list = L.integer
    if any(int_list):
        changed = False
        for j in compress(range(n), int_list):
            li, ui = lb[j], ub[j]
            if math.isfinite(li):
                x = li - 1e-9 * max(1.0, abs(li))
                lr = _ceil_floor(float(math.ceil(x)), x)
                changed = changed or lr != li
                lb[j] = lr
            if math.isfinite(ui):
                x = ui + 1e-9 * max(1.0, abs(ui))
                ur = _ceil_floor(float(math.floor(x)), x)
                changed = changed or ur != ui
                ub[j] = ur
        if changed:
            steps.append("integer bounds rounded")
    # lb > ub + t with t >= 0 implies lb > ub: the cheap test first
    bad = [
        j
        for j, (l_j, u_j) in enumerate(zip(lb, ub))
        if l_j > u_j and l_j > u_j + 1e-9 * max(1.0, abs(u_j))
    ]
    for j in bad[:3]:
        infeasible.append(f"variable {model.var_names[j]} has empty domain [{lb[j]}, {ub[j]}]")
    lb = [v + 0.0 for v in lb]  # -0.0 → 0.0 (and nothing else changes)
    ub = [v + 0.0 for v in ub]

    eq_rows: list[int] = []
    up_rows: list[int] = []
    dn_rows: list[int] = []
    for i in keep:
        a_lo, a_hi = lo[i], hi[i]
        f_lo, f_hi = -inf < a_lo < inf, -inf < a_hi < inf  # math.isfinite
        if f_lo and f_hi and a_hi - a_lo <= EQ_TOL * max(1.0, abs(a_lo), abs(a_hi)):
            eq_rows.append(i)
            continue
        if f_hi:
            up_rows.append(i)
        if f_lo:
            dn_rows.append(i)
    n_both = len(set(up_rows) & set(dn_rows))
    if n_both:
        steps.append(f"{n_both} ranged rows split into two one-sided rows")
    if dn_rows:
        steps.append(f"{len(dn_rows)} '>=' sides negated into '<=' rows")
    orig = eq_rows + up_rows + dn_rows
    side = [0] * len(eq_rows) + [1] * len(up_rows) + [-1] * len(dn_rows)
    rhs = [lo[i] for i in eq_rows] + [hi[i] for i in up_rows] + [-lo[i] for i in dn_rows]
    r_ptr = [0]
    r_ind: list[int] = []
    r_val: list[float] = []
    scale: list[float] = []
    for i, s in zip(orig, side):
        a0, a1 = ptr[i], ptr[i + 1]
        r_ind += ind[a0:a1]
        # v * -1.0 is -v, and v * 1.0 is v, for every non-NaN float
        row = [-v for v in val[a0:a1]] if s < 0 else val[a0:a1]
        r_val += row
        r_ptr.append(len(r_ind))
        scale.append(max(map(abs, row)))
    if any(v != 1.0 for v in scale):
        steps.append("rows scaled to largest coefficient 1")
    # -v is v * -1.0 (model.c * sense) for every float
    cost_list = L.c if model.sense == 1 else [-v for v in L.c]
    out = _ListPrepared.__new__(_ListPrepared)
    vars(out).update(
        model=model,
        offset=float(offset),
        infeasible=tuple(infeasible),
        steps=tuple(steps),
        folded_rows=np.array(single, dtype=np.int64),  # read by every certificate
        _lists=_PreparedLists(
            cost_list, lb, ub, int_list, r_ptr, r_ind, r_val, rhs, orig, side, scale, single
        ),
    )
    return out


class _ListPrepared(Prepared):
    """A :class:`Prepared` made on lists by :func:`_prepare_small`, whose arrays are
    made from them on first read, each on its own (:data:`_PREPARED_ARRAYS`): the usual
    small check reads only the lists (:func:`_prepared_lists`) and ``folded_rows``
    (set at once: a first read through ``__getattr__`` costs more than making it).
    The same fields, values and dtypes as :func:`_prepare_arrays`
    (``tests/verify/test_small_path.py``); a ``dataclasses.replace`` of it has every
    array set by the constructor and no lists (the paths then read its arrays)."""

    def __getattr__(self, name: str) -> Any:
        # only for attributes not set yet: the arrays (never other names)
        lists = vars(self).get("_lists")
        make = _PREPARED_ARRAYS.get(name)
        if lists is None or make is None:
            raise AttributeError(name)
        return vars(self).setdefault(name, make(self, lists))  # a thread first wins


def _half_rows(p: Prepared, pl: _PreparedLists) -> HalfRows:
    k_rows = len(pl.orig_row)
    return HalfRows(
        np.array(pl.indptr, dtype=np.int64),
        np.array(pl.indices, dtype=p.model.A.indices.dtype if k_rows else np.int64),
        np.array(pl.data, dtype=np.float64),
        (k_rows, p.model.num_vars),
    )


_PREPARED_ARRAYS: dict[str, Any] = {
    "cost": lambda p, pl: _min_cost(p.model),
    "lb": lambda p, pl: np.array(pl.lb, dtype=np.float64),
    "ub": lambda p, pl: np.array(pl.ub, dtype=np.float64),
    "integer": lambda p, pl: p.model.integer.copy(),
    "rows": _half_rows,
    "rhs": lambda p, pl: np.array(pl.rhs, dtype=np.float64),
    "is_eq": lambda p, pl: p.side == 0,
    "orig_row": lambda p, pl: np.array(pl.orig_row, dtype=np.int64),
    "side": lambda p, pl: np.array(pl.side, dtype=np.int8),
    "scale": lambda p, pl: np.array(pl.scale, dtype=np.float64),
}
"""How each array of a :class:`_ListPrepared` is made from its lists (the arrays
:func:`_prepare_arrays` makes)."""


class _PreparedLists(NamedTuple):
    """The lists a small :class:`Prepared`'s arrays were made of (each exactly what the
    array's ``tolist()`` gives), kept with it by :func:`_prepare_small` (an attribute
    outside the dataclass fields) so that the list paths of :func:`label_pair` need not
    convert the arrays back; never written to."""

    cost: list[float]
    lb: list[float]
    ub: list[float]
    integer: list[bool]
    indptr: list[int]
    indices: list[int]
    data: list[float]
    rhs: list[float]
    orig_row: list[int]
    side: list[int]
    scale: list[float]
    folded_rows: list[int]


def _prepared_lists(p: Prepared) -> _PreparedLists | None:
    """The lists kept with ``p`` (:func:`_prepare_small`), or None (array path)."""
    lists: _PreparedLists | None = p.__dict__.get("_lists")
    return lists


def _prepare_arrays(model: MilpData) -> Prepared:
    """:func:`prepare` with numpy arrays (any size); in C (:func:`_prepare_compiled`)
    where that module is built and takes the model."""
    A = model.A
    if _canonc is not None and A.has_canonical_format:
        done = _prepare_compiled(model)
        if done is not None:
            return done
    cost, (offset, steps) = _min_cost(model), _min_form(model)
    infeasible: list[str] = []
    nnz_row = A.indptr[1:] - A.indptr[:-1]
    lo = model.row_lower
    hi = model.row_upper
    empty = nnz_row == 0
    if empty.any():
        bad = empty & ((lo > ZERO_TOL) | (hi < -ZERO_TOL))
        infeasible += [_empty_row(model, i) for i in np.flatnonzero(bad)[:3]]
        steps.append(_EMPTY_ROWS.format(int(empty.sum())))
    free = ~empty & np.isneginf(lo) & np.isposinf(hi)
    if free.any():
        steps.append(_FREE_ROWS.format(int(free.sum())))
    lb = model.col_lower.copy()
    ub = model.col_upper.copy()
    single = nnz_row == 1
    single_idx = np.flatnonzero(single & ~free)
    if single_idx.size:
        cols = A.indices[A.indptr[single_idx]]
        a = A.data[A.indptr[single_idx]]
        with np.errstate(invalid="ignore", divide="ignore"):
            l_new = np.where(a > 0, lo[single_idx] / a, hi[single_idx] / a)
            u_new = np.where(a > 0, hi[single_idx] / a, lo[single_idx] / a)
        np.maximum.at(lb, cols, l_new)
        np.minimum.at(ub, cols, u_new)
        steps.append(_SINGLETON_ROWS.format(single_idx.size))
    integer = model.integer.copy()
    if integer.any():
        li, ui = lb[integer], ub[integer]
        lr = np.where(np.isfinite(li), np.ceil(li - 1e-9 * np.maximum(1.0, np.abs(li))), li)
        ur = np.where(np.isfinite(ui), np.floor(ui + 1e-9 * np.maximum(1.0, np.abs(ui))), ui)
        if not (np.array_equal(lr, li) and np.array_equal(ur, ui)):
            steps.append(_ROUNDED)
        lb[integer], ub[integer] = lr, ur
    bad_dom = lb > ub + 1e-9 * np.maximum(1.0, np.abs(ub))
    infeasible += [_empty_domain(model, j, lb[j], ub[j]) for j in np.flatnonzero(bad_dom)[:3]]
    lb += 0.0  # -0.0 → 0.0 (and nothing else changes)
    ub += 0.0

    keep = np.flatnonzero(~empty & ~free & ~single)
    klo, khi = lo[keep], hi[keep]
    width = khi - klo
    with np.errstate(invalid="ignore"):
        eq = (
            np.isfinite(klo)
            & np.isfinite(khi)
            & (width <= EQ_TOL * np.maximum(1.0, np.maximum(np.abs(klo), np.abs(khi))))
        )
    up = ~eq & np.isfinite(khi)
    dn = ~eq & np.isfinite(klo)
    if (up & dn).any():
        steps.append(_RANGED_ROWS.format(int((up & dn).sum())))
    if dn.any():
        steps.append(_NEGATED_ROWS.format(int(dn.sum())))
    orig = np.concatenate([keep[eq], keep[up], keep[dn]])
    side = np.concatenate(
        [np.zeros(int(eq.sum())), np.ones(int(up.sum())), -np.ones(int(dn.sum()))]
    ).astype(np.int8)
    rhs = np.concatenate([klo[eq], khi[up], -klo[dn]]).astype(np.float64, copy=False)
    sign = np.where(side < 0, -1.0, 1.0)
    if orig.size:
        # a row gather on the CSR arrays (with the sign of every row), no sparse indexing
        cnt = nnz_row[orig]
        ptr = np.zeros(orig.size + 1, dtype=np.int64)
        np.cumsum(cnt, out=ptr[1:])
        take = np.arange(int(ptr[-1]), dtype=np.int64)
        take += np.repeat(A.indptr[orig] - ptr[:-1], cnt)
        data = A.data[take] * np.repeat(sign, cnt)
        ind = A.indices[take]
        if A.has_canonical_format and data.all():
            # rows of a canonical matrix (sorted columns, no repeats, no zeros): canonical
            rows = HalfRows(ptr, ind, data, (int(orig.size), model.num_vars))
        else:
            R = sp.csr_array((data, ind, ptr), shape=(orig.size, model.num_vars))
            R.sum_duplicates()
            R.eliminate_zeros()
            R.sort_indices()
            rows = HalfRows(R.indptr, R.indices, R.data, (int(orig.size), model.num_vars))
    else:
        rows = HalfRows(
            np.zeros(1, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            np.zeros(0),
            (0, model.num_vars),
        )
    scale = np.ones(orig.size)
    if orig.size:
        absmax = np.maximum.reduceat(np.abs(rows.data), rows.indptr[:-1]) if rows.nnz else scale
        scale = absmax.astype(np.float64, copy=False)
        if not np.all(scale == 1.0):
            steps.append(_SCALED)
    return Prepared(
        model=model,
        cost=cost,
        offset=float(offset),
        lb=lb,
        ub=ub,
        integer=integer,
        infeasible=tuple(infeasible),
        rows=rows,
        rhs=rhs,
        is_eq=side == 0,
        orig_row=orig.astype(np.int64, copy=False),
        side=side,
        scale=scale,
        folded_rows=single_idx.astype(np.int64),
        steps=tuple(steps),
    )


#: the texts of the steps of :func:`_prepare_arrays`, one copy for its numpy and C versions
_EMPTY_ROWS = "{} empty rows dropped"
_FREE_ROWS = "{} free rows dropped"
_SINGLETON_ROWS = "{} singleton rows turned into bounds"
_ROUNDED = "integer bounds rounded"
_RANGED_ROWS = "{} ranged rows split into two one-sided rows"
_NEGATED_ROWS = "{} '>=' sides negated into '<=' rows"
_SCALED = "rows scaled to largest coefficient 1"


def _empty_row(model: MilpData, i: Any) -> str:
    """The reason an empty row makes ``model`` infeasible (its bounds as numpy prints
    them)."""
    lo, hi = model.row_lower, model.row_upper
    return f"empty row {model.row_names[i]} requires {lo[i]} <= 0 <= {hi[i]}"


def _empty_domain(model: MilpData, j: Any, lb_j: np.float64, ub_j: np.float64) -> str:
    """The reason variable ``j``'s bounds make ``model`` infeasible."""
    return f"variable {model.var_names[j]} has empty domain [{lb_j}, {ub_j}]"


def _zero_ties() -> int:
    """Which zero ``np.maximum.at`` / ``np.minimum.at`` keep, in this process's numpy, when
    the current value and the new one are zeros of opposite signs (x86 and ARM differ): bit
    ``k`` set when the new value wins in case ``k`` (maximum of +0 with -0, of -0 with +0,
    then minimum), for ``verify/_canonc.c`` to fold singleton rows as numpy does."""
    bits = 0
    cases: list[tuple[Any, float, float]] = [(np.maximum, 0.0, -0.0), (np.maximum, -0.0, 0.0)]
    cases += [(np.minimum, 0.0, -0.0), (np.minimum, -0.0, 0.0)]
    for k, (op, cur, new) in enumerate(cases):
        x = np.array([cur])
        op.at(x, np.zeros(1, dtype=np.intp), np.array([new]))
        bits |= int(bool(np.signbit(x[0])) == (math.copysign(1.0, new) < 0)) << k
    return bits


_ZERO_TIES = _zero_ties()


def _new_zero_wins(cur: float, new: float, case: int) -> bool:
    """Whether ``np.maximum.at`` (``case`` 0) or ``np.minimum.at`` (2) replaces ``cur``
    by ``new`` when they are zeros of opposite signs (:func:`_zero_ties`); False for
    any other pair, which the comparisons decide. Only a reason's text can show it."""
    if cur != 0.0 or new != 0.0:
        return False
    cur_neg = math.copysign(1.0, cur) < 0
    if cur_neg == (math.copysign(1.0, new) < 0):
        return False
    return bool(_ZERO_TIES >> (case + cur_neg) & 1)


def _prepare_compiled(model: MilpData) -> Prepared | None:
    """:func:`_prepare_arrays` in C (``verify/_canonc.c``): the same arrays, bit for bit
    (values, dtypes, flags), with the steps and reasons written here from its counts by
    the same texts; about 7x faster on forest6 (210 nonzeros: ~72 -> ~10 us), where the numpy
    code is ~60 calls on small arrays. None where the module declines the model (an input not
    float64 / bool / int32-or-int64, a kept row with a zero or NaN coefficient, a NaN
    bound where a singleton row is folded, ...): the
    caller then runs the numpy code (``tests/verify/test_canonc.py`` holds the two to each
    other on every instance and on random models)."""
    A = model.A
    got = _canonc.prepare(
        A.indptr,
        A.indices,
        A.data,
        model.row_lower,
        model.row_upper,
        model.col_lower,
        model.col_upper,
        model.integer,
        A.indices.dtype,
        ZERO_TOL,
        EQ_TOL,
        _ZERO_TIES,
    )
    if got is None:
        return None
    (lb, ub, orig, side, rhs, is_eq, ptr, ind, data, scale, folded, n_empty, bad_rows, n_free,
     rounded, bad_vars, n_both, n_dn, scaled) = got  # fmt: skip
    offset, steps = _min_form(model)
    infeasible: list[str] = []
    if bad_rows or bad_vars:  # (rare: no comprehension made on the usual model)
        infeasible = [_empty_row(model, i) for i in bad_rows]
        infeasible += [
            _empty_domain(model, j, np.float64(lj), np.float64(uj)) for j, lj, uj in bad_vars
        ]
    if n_empty:
        steps.append(_EMPTY_ROWS.format(n_empty))
    if n_free:
        steps.append(_FREE_ROWS.format(n_free))
    if folded.size:
        steps.append(_SINGLETON_ROWS.format(folded.size))
    if rounded:
        steps.append(_ROUNDED)
    if n_both:
        steps.append(_RANGED_ROWS.format(n_both))
    if n_dn:
        steps.append(_NEGATED_ROWS.format(n_dn))
    if scaled:
        steps.append(_SCALED)
    return Prepared(
        model=model,
        cost=_min_cost(model),
        offset=float(offset),
        lb=lb,
        ub=ub,
        integer=model.integer.copy(),
        infeasible=tuple(infeasible),
        rows=HalfRows(ptr, ind, data, (int(orig.size), model.num_vars)),
        rhs=rhs,
        is_eq=is_eq,
        orig_row=orig,
        side=side,
        scale=scale,
        folded_rows=folded,
        steps=tuple(steps),
    )


# --------------------------------------------------------------------------- numbers


class _Numbers:
    """Joint number → signed cluster id map for both models of a pair.

    Tolerance mode: magnitudes are sorted and neighbours within ``rtol`` (relative) are
    merged (single linkage), so two values that agree to ``rtol`` always share an id,
    whatever rounding boundary lies between them. ``|v| <= ZERO_TOL`` is 0, ``±inf`` get
    ids beyond every finite one. Exact mode compares values as exact rationals.
    Ids are ``sign(v) * (cluster + 1)``, so sign and order survive.
    """

    def __init__(self, values: list[np.ndarray], rtol: float, exact: bool) -> None:
        self.exact = exact
        if exact:
            mags = sorted({abs(v) for arr in values for v in arr if v != 0 and not _is_inf(v)})
            self._exact_ids = {m: k + 1 for k, m in enumerate(mags)}
            self.inf_id = len(mags) + 1
            self.reps: list[Any] | None = [Fraction(0), *mags]
            return
        allv = (
            np.concatenate([np.abs(a.astype(np.float64)) for a in values])
            if values
            else np.zeros(0)
        )
        allv = allv[np.isfinite(allv) & (allv > ZERO_TOL)]
        self._setup(np.unique(allv), rtol)

    def _setup(self, u: np.ndarray, rtol: float) -> None:
        """Single-linkage clusters of the sorted distinct magnitudes ``u``."""
        if u.size:
            gap = (u[1:] - u[:-1]) > rtol * u[1:]
            cl = np.zeros(u.size, dtype=np.int64)
            np.cumsum(gap, out=cl[1:])
        else:
            cl = np.zeros(0, dtype=np.int64)
        self._set(u, cl)

    def _set(self, u: np.ndarray, cl: np.ndarray) -> None:
        """The state of the map of sorted distinct magnitudes ``u`` in clusters ``cl``."""
        self._u = u
        self._cl = cl
        self.inf_id = int(cl[-1]) + 2 if cl.size else 1
        self.reps = None  # representatives are looked up on demand (messages only)
        self._bucket: tuple[Any, ...] | None = None

    @classmethod
    def _of(cls, u: np.ndarray, cl: np.ndarray) -> _Numbers:
        """The tolerance-mode map whose clusters were found elsewhere (the list and the
        compiled paths of :func:`label_pair`)."""
        self = cls.__new__(cls)
        self.exact = False
        self._set(u, cl)
        return self

    @classmethod
    def joint(
        cls, allv: np.ndarray, rtol: float, *, overwrite: bool = False
    ) -> tuple[_Numbers, np.ndarray]:
        """The tolerance-mode map of all values ``allv`` (floats) and their ids, in one go.

        Same result as ``n = _Numbers([allv], rtol, False); n, n.ids(allv)``, but the
        distinct magnitudes are found without sorting every value: each value is entered
        into a table indexed by a hash of its bits, values whose bits equal those of
        their slot's occupant are exact duplicates of it, and only the occupants and the
        values that differ from theirs are sorted. Exact: equality is always a bit
        compare, the hash only decides which values are compared. With ``overwrite``
        ``allv`` (float64) is used as scratch space. Few large temporaries: the work
        arrays are reused (``take(..., out=)``)."""
        self = cls.__new__(cls)
        self.exact = False
        v = np.asarray(allv, dtype=np.float64)
        neg = v < 0
        mag = np.abs(v, out=v) if overwrite and v is allv else np.abs(v)
        bits = mag.view(np.uint64)
        n = mag.size
        tbits = max(10, min(22, (2 * n).bit_length()))
        key = bits * _H1
        key >>= np.uint64(64 - tbits)
        key = key.view(np.int64)
        table = np.empty(1 << tbits, dtype=np.int64)
        rep = np.arange(n, dtype=np.int64)
        table[key] = rep  # some value of each slot
        np.take(table, key, out=rep, mode="clip")  # its occupant (indices are in range)
        work = key.view(np.uint64)  # key is not needed any more
        np.take(bits, rep, out=work, mode="clip")
        same = work == bits  # exact duplicates of their slot's occupant
        same[rep] = False  # the occupants themselves
        cand = np.flatnonzero(~same)  # occupants, and values unlike their occupant
        cv = mag[cand]
        fin = (cv > ZERO_TOL) & (cv < np.inf)  # finite, non-zero (NaN: neither)
        u, inv = np.unique(cv[fin], return_inverse=True)
        self._setup(u, rtol)
        cid = np.zeros(cand.size, dtype=np.int64)  # |v| <= ZERO_TOL: 0
        cid[fin] = self._cl[inv.reshape(-1)] + 1
        cid[cv == np.inf] = self.inf_id
        buf = mag.view(np.int64)  # mag is not needed any more
        buf[cand] = cid
        rep[cand] = cand  # a candidate is its own representative; a duplicate keeps its
        ids = np.take(buf, rep, out=work.view(np.int64), mode="clip")  # occupant's id
        np.negative(ids, out=ids, where=neg)
        return self, ids

    def _bucket_index(self) -> tuple[Any, ...]:
        # bucket index on the top bits of the (positive, so order-preserving) float bits:
        # a value alone in its bucket is found with one gather and an exact bit compare
        # instead of a binary search; the rest use searchsorted
        if self._bucket is None:
            u = self._u
            bits = u.view(np.uint64)
            lo = bits[0]
            span = bits[-1] - lo
            want = min(20, max(8, u.size.bit_length() + 4))  # about 16 buckets per value
            shift = np.uint64(max(0, int(span).bit_length() - want))
            cnt = np.bincount(((bits - lo) >> shift).astype(np.int64))
            start = np.minimum(np.cumsum(cnt) - cnt, u.size - 1)
            self._bucket = (bits, lo, span, shift, cnt, start)
        return self._bucket

    def _positions(self, mag: np.ndarray) -> np.ndarray:
        """Index in ``_u`` of every (finite, positive) magnitude; exact."""
        if self._u.size == 0:
            return np.searchsorted(self._u, mag)
        bits, lo, span, shift, bcnt, bstart = self._bucket_index()
        q = np.ascontiguousarray(mag, dtype=np.float64).view(np.uint64)
        # out-of-range values (the subtraction wraps) land in an end bucket and fail the
        # exact compare
        bk = (np.minimum(q - lo, span) >> shift).astype(np.int64)
        pos = bstart[bk]
        rest = (bcnt[bk] != 1) | (bits[pos] != q)
        if rest.any():
            pos[rest] = np.searchsorted(self._u, mag[rest])
        out: np.ndarray = pos
        return out

    def ids(self, v: np.ndarray) -> np.ndarray:
        if self.exact:
            out = np.empty(len(v), dtype=np.int64)
            for k, x in enumerate(v):
                if _is_inf(x):
                    out[k] = self.inf_id if x > 0 else -self.inf_id
                elif x == 0:
                    out[k] = 0
                else:
                    i = self._exact_ids[abs(x)]
                    out[k] = i if x > 0 else -i
            return out
        v = np.asarray(v, dtype=np.float64)
        mag = np.abs(v)
        out = np.zeros(v.size, dtype=np.int64)
        fin = np.isfinite(v) & (mag > ZERO_TOL)
        if fin.any():
            pos = self._positions(mag[fin])
            out[fin] = (self._cl[pos] + 1) * np.sign(v[fin]).astype(np.int64)
        inf = np.isinf(v)
        out[inf] = np.where(v[inf] > 0, self.inf_id, -self.inf_id)
        return out

    def value(self, cid: int) -> float:
        """A representative value of an id (for messages)."""
        if abs(cid) >= self.inf_id:
            return float(np.inf) * (1 if cid > 0 else -1)
        if self.reps is None:
            k = abs(cid) - 1
            v = float(self._u[np.searchsorted(self._cl, k)]) if cid else 0.0
        else:
            v = float(self.reps[abs(cid)])
        return v if cid >= 0 else -v


def _is_inf(x: object) -> bool:
    return isinstance(x, float) and np.isinf(x)


def _as_fractions(a: np.ndarray) -> list[object]:
    return [x if np.isinf(x) else Fraction(float(x)) for x in a.tolist()]


def _scaled_values(p: Prepared, exact: bool) -> tuple[object, object]:
    """Scaled coefficients and rhs of the half-rows (floats, or Fractions in exact mode)."""
    rows, rhs, scale = p.rows, p.rhs, p.scale
    counts = rows.indptr[1:] - rows.indptr[:-1]
    if not exact:
        return rows.data / np.repeat(scale, counts), rhs / scale
    coef = []
    sc = [Fraction(float(s)) for s in scale]
    for i in range(rhs.size):
        for k in range(rows.indptr[i], rows.indptr[i + 1]):
            coef.append(Fraction(float(rows.data[k])) / sc[i])
    return coef, [Fraction(float(r)) / sc[i] for i, r in enumerate(rhs)]


def label_pair(
    pa: Prepared, pb: Prepared, *, rtol: float = 1e-9, exact: bool = False
) -> tuple[Graph, Graph, _Numbers]:
    """Turn two prepared models into coloured graphs with jointly comparable labels.

    In tolerance mode the arrays are made in C (:func:`_label_pair_compiled`) where that
    module is built and takes the pair, at every size; without it tiny pairs (each model
    at most :data:`SMALL_NNZ` half-row entries and :data:`SMALL_LABELS` numbers in all)
    take the plain-Python path (:func:`_label_pair_small`), the others numpy."""
    if not exact and _graphc is None and _small_pair(pa, pb):
        return _label_pair_small(pa, pb, rtol)  # (C is faster than lists at every size)
    if not exact and _graphc is not None:
        done = _label_pair_compiled(pa, pb, rtol)
        if done is not None:
            return done
    scaled = [_scaled_values(p, exact) for p in (pa, pb)]
    pools: list[np.ndarray] = []
    for p, (coef, rhs) in zip((pa, pb), scaled):
        scalars = np.concatenate([p.cost, p.lb, p.ub, [p.offset]])
        if exact:
            pools += [
                np.array(_as_fractions(scalars), dtype=object),
                np.array(coef, dtype=object),
                np.array(rhs, dtype=object),
            ]
        else:
            pools += [scalars, np.asarray(coef), np.asarray(rhs)]
    if exact:
        numbers = _Numbers(pools, rtol, exact)
        pre: list[tuple[np.ndarray, ...] | None] = [None, None]
    else:
        # one clustering and one lookup for every number of both models
        allv = np.concatenate([np.asarray(x, dtype=np.float64) for x in pools])
        numbers, ids = _Numbers.joint(allv, rtol, overwrite=True)
        cuts = np.cumsum([0] + [len(x) for x in pools])
        pre = []
        for g, p in enumerate((pa, pb)):
            sc, co, rh = (ids[cuts[3 * g + k] : cuts[3 * g + k + 1]] for k in range(3))
            n = p.cost.size
            pre.append((sc[:n], sc[n : 2 * n], sc[2 * n : 3 * n], sc[3 * n :], co, rh))
    graphs = []
    for p, (coef, rhs), pi in zip((pa, pb), scaled, pre):
        graphs.append(_build_graph(p, numbers, coef, rhs, exact, pi))
    return graphs[0], graphs[1], numbers


def _label_pair_compiled(
    pa: Prepared, pb: Prepared, rtol: float
) -> tuple[Graph, Graph, _Numbers] | None:
    """:func:`label_pair` in tolerance mode with its arrays made in C
    (``verify/_graphc.c``): the same numbers (its ``joint`` is :meth:`_Numbers.joint` on
    the values label_pair pools, divisions included) and the same graphs (its ``graph`` is
    :func:`_build_graph_arrays` with the ids given), bit for bit, with the steps written
    here by the same texts, at every size (C is faster than the lists of
    :func:`_build_graph_small` even on tiny models). None where the module declines
    the numbers (an array not float64, inconsistent offsets): the caller then runs the
    numpy code; where it declines one graph that graph is made by the numpy code from the
    same ids (``tests/verify/test_graphc.py`` holds the two to each other)."""
    a, b = (
        (p.cost, p.lb, p.ub, p.offset, p.rows.indptr, p.rows.data, p.rhs, p.scale) for p in (pa, pb)
    )
    got = _graphc.joint(*a, *b, rtol, ZERO_TOL)
    if got is None:
        return None
    u, cl, ids = got
    numbers = _Numbers._of(u, cl)
    graphs = []
    base = 0
    for p in (pa, pb):
        n, nnz, k = p.cost.size, p.rows.nnz, p.rhs.size
        g = _build_graph_compiled(p, ids, base, n)
        if g is None:
            cut = [base + c for c in (0, n, 2 * n, 3 * n, 3 * n + 1, 3 * n + 1 + nnz)]
            cut.append(cut[-1] + k)
            pre = tuple(ids[cut[i] : cut[i + 1]] for i in range(6))
            g = _build_graph(p, numbers, None, None, False, pre)
        graphs.append(g)
        base += 3 * n + 1 + nnz + k
    return graphs[0], graphs[1], numbers


def _build_graph_compiled(p: Prepared, ids: np.ndarray, base: int, n: int) -> Graph | None:
    """:func:`_build_graph_arrays` of ``p`` in C, its ids (costs, lower and upper bounds,
    offset, coefficients, rhs) at ``ids[base:]``; None where the module declines it."""
    r = p.rows
    got = _graphc.graph(
        ids, base, n, r.indptr, r.indices, p.is_eq, p.side, p.scale, p.orig_row, p.integer,
        KIND_LE, KIND_EQ, KIND_EQ_PM,
    )  # fmt: skip
    if got is None:
        return None
    *arrays, n_sym, n_neg, n_dup = got
    steps = list(p.steps)
    if n_sym:
        steps.append(_SYM_ROWS.format(n_sym))
    if n_neg:
        steps.append(_TURNED_ROWS.format(n_neg))
    if n_dup:
        steps.append(_DUPLICATE_ROWS.format(n_dup))
    return Graph(prepared=p, steps=tuple(steps), **dict(zip(_GRAPHC_FIELDS, arrays)))


#: the fields of a :class:`Graph` that ``_graphc.graph`` returns, in its order
_GRAPHC_FIELDS = tuple(f.name for f in fields(Graph))[1:-1]  # var_label ... offset_id


#: the texts of the steps of the graphs, one copy for the list, numpy and C versions
_SYM_ROWS = "{} sign-symmetric equalities kept in both orientations"
_TURNED_ROWS = "{} equalities re-oriented"
_DUPLICATE_ROWS = "{} duplicate rows dropped"


#: Up to this many numbers (costs, bounds, offsets, coefficients, rhs of both models)
#: a pair is labelled on plain Python lists (:func:`_label_pair_small`): the measured
#: break-even with the arrays (about 0.5x their time at 100 numbers, 0.9x at 400).
SMALL_LABELS = 512


def _small_pair(pa: Prepared, pb: Prepared) -> bool:
    """Whether :func:`label_pair` takes the plain-Python path (tolerance mode only)."""
    (nnz_a, k_a), (nnz_b, k_b) = _label_counts(pa), _label_counts(pb)
    return nnz_a <= SMALL_NNZ and nnz_b <= SMALL_NNZ and k_a + k_b <= SMALL_LABELS


def _label_counts(p: Prepared) -> tuple[int, int]:
    """The half-row entries of ``p`` and its numbers (costs, bounds, offset,
    coefficients, rhs), from its lists when it has them (no array made)."""
    pl = _prepared_lists(p)
    if pl is not None:
        nnz, n, k = len(pl.data), len(pl.cost), len(pl.rhs)
    else:
        nnz, n, k = p.rows.nnz, p.cost.size, p.rhs.size
    return nnz, 3 * n + 1 + nnz + k


def _label_pair_small(pa: Prepared, pb: Prepared, rtol: float) -> tuple[Graph, Graph, _Numbers]:
    """:func:`label_pair` in tolerance mode on Python lists: the same values (each
    coefficient and rhs divided by its row's scale, as the arrays do), the same
    clustering as :meth:`_Numbers.joint` (sorted distinct magnitudes, a gap wider than
    ``rtol`` times the larger one starts a new cluster; ``|v| <= ZERO_TOL`` and NaN are
    0, ``±inf`` beyond every finite cluster), the same ids and graphs."""
    pools: list[tuple[list[float], list[float], list[float]]] = []
    for p in (pa, pb):
        pl = _prepared_lists(p)
        if pl is not None:
            # the divisions of _scaled_values, one by one (IEEE division, correctly
            # rounded in Python as in numpy; a scale is the magnitude of a nonzero entry)
            val, scale = pl.data, pl.scale
            coef_l = [v / s for s, a, b in zip(scale, pl.indptr, pl.indptr[1:]) for v in val[a:b]]
            rhs_l = list(map(truediv, pl.rhs, scale))
            pools.append(([*pl.cost, *pl.lb, *pl.ub, p.offset], coef_l, rhs_l))
            continue
        coef, rhs = _scaled_values(p, False)  # the very same divisions (arrays)
        scalars = p.cost.tolist() + p.lb.tolist() + p.ub.tolist() + [p.offset]
        pools.append((scalars, cast(np.ndarray, coef).tolist(), cast(np.ndarray, rhs).tolist()))
    inf = math.inf
    seen: set[float] = set()
    for pool in pools:
        seen.update(*pool)
    mags = {abs(v) for v in seen}
    u = sorted(v for v in mags if ZERO_TOL < v < inf)  # NaN fails both tests
    cl: list[int] = []
    c = 0
    prev = inf
    for x in u:
        if x - prev > rtol * x:  # never for the first (x - inf is -inf)
            c += 1
        cl.append(c)
        prev = x
    inf_id = c + 2 if u else 1
    # signed value → signed id; every other value (|v| <= ZERO_TOL, NaN) is 0. A NaN is
    # found by identity: the keys are the very objects of the lists looked up below.
    sid: dict[float, int] = {inf: inf_id, -inf: -inf_id}
    for x, k in zip(u, cl):
        sid[x] = k + 1
        sid[-x] = -k - 1
    for v in seen:
        sid.setdefault(v, 0)

    def ids(vals: list[float]) -> list[int]:
        return list(map(sid.__getitem__, vals))

    numbers = _Numbers._of(np.array(u, dtype=np.float64), np.array(cl, dtype=np.int64))
    graphs = []
    for p, (scalars, coef, rhs) in zip((pa, pb), pools):
        n = (len(scalars) - 1) // 3  # costs, lower and upper bounds, the offset
        sc = ids(scalars)
        pre = (sc[:n], sc[n : 2 * n], sc[2 * n : 3 * n], sc[3 * n :], ids(coef), ids(rhs))
        graphs.append(_build_graph_small(p, pre))
    return graphs[0], graphs[1], numbers


def _maybe_duplicates(
    indptr: np.ndarray, indices: np.ndarray, cid: np.ndarray, kind: np.ndarray, rid: np.ndarray
) -> bool:
    """False only if no two rows are equal (same kind, rhs id and (column, coefficient
    id) sequence). A 64-bit hash of each row is a function of the row, so equal rows get
    equal hashes; if all hashes differ there are no duplicates. Otherwise (duplicates or
    a collision) the caller runs the exact comparison."""
    x = indices.astype(np.uint64) * _H1
    x += cid.view(np.uint64) * _H2
    x = _mix(x)
    cs = np.zeros(x.size + 1, dtype=np.uint64)
    np.cumsum(x, out=cs[1:])
    h = cs[indptr[1:]]
    h -= cs[indptr[:-1]]
    y = kind.astype(np.uint64) * _H1
    y += rid.view(np.uint64) * _H2
    y += (indptr[1:] - indptr[:-1]).view(np.uint64)
    h += _mix(y)
    h.sort()
    return bool((h[1:] == h[:-1]).any())


_H1 = np.uint64(0x9E3779B97F4A7C15)
_H2 = np.uint64(0xC2B2AE3D27D4EB4F)


def _build_graph(
    p: Prepared,
    num: _Numbers,
    coef: object,
    rhs: object,
    exact: bool,
    pre: tuple[np.ndarray, ...] | None = None,
) -> Graph:
    """``pre``: the ids of (cost, lb, ub, offset, coefficients, rhs), when already
    looked up. Tiny models (at most :data:`SMALL_NNZ` entries) with their ids looked up
    take the plain-Python path (:func:`_build_graph_small`), the others the arrays."""
    if pre is not None and not exact and p.rows.nnz <= SMALL_NNZ:
        return _build_graph_small(p, pre)
    return _build_graph_arrays(p, num, coef, rhs, exact, pre)


def _build_graph_small(p: Prepared, pre: tuple[Any, ...]) -> Graph:
    """:func:`_build_graph_arrays` on Python lists: the same orientation, sign-symmetric
    copies, duplicate rows, steps and arrays. ``pre``: the ids, as arrays or lists."""
    steps = list(p.steps)
    pre = tuple(x.tolist() if isinstance(x, np.ndarray) else x for x in pre)
    pl = _prepared_lists(p)
    if pl is None:  # prepared on arrays
        pl = _PreparedLists(
            [],
            [],
            [],
            p.integer.tolist(),
            p.rows.indptr.tolist(),
            p.rows.indices.tolist(),
            [],
            [],
            p.orig_row.tolist(),
            p.side.tolist(),
            p.scale.tolist(),
            [],
        )
    offset_id = int(pre[3][0])
    ptr = pl.indptr  # these lists are never written to below (copied first)
    ind = pl.indices
    cid: list[int] = pre[4]
    rid: list[int] = pre[5]
    nrow = len(rid)
    row_side: list[int] = pl.side
    is_eq = [s == 0 for s in row_side]
    kind = [KIND_EQ if e else KIND_LE for e in is_eq]
    orient = [1] * nrow
    n_sym = 0
    if KIND_EQ in kind:
        for i in range(nrow):
            if not is_eq[i]:
                continue
            if rid[i] < 0:
                orient[i] = -1
            elif rid[i] == 0:
                # the largest magnitude whose +/- counts differ decides; none: symmetric
                net: dict[int, int] = {}
                for c in cid[ptr[i] : ptr[i + 1]]:
                    mag = abs(c)
                    net[mag] = net.get(mag, 0) + (1 if c > 0 else -1 if c < 0 else 0)
                for mag in sorted(net, reverse=True):
                    if net[mag]:
                        orient[i] = 1 if net[mag] > 0 else -1
                        break
                else:
                    kind[i] = KIND_EQ_PM
                    n_sym += 1
    if n_sym:
        steps.append(_SYM_ROWS.format(n_sym))
    factor = [((-1.0 if s < 0 else 1.0) / sc) * o for s, sc, o in zip(row_side, pl.scale, orient)]
    n_neg = orient.count(-1)
    if n_neg:
        steps.append(_TURNED_ROWS.format(n_neg))
        cid = [c * o for o, a, b in zip(orient, ptr, ptr[1:]) for c in cid[a:b]]
        rid = [r * o for r, o in zip(rid, orient)]
    row_orig: list[int] = pl.orig_row
    if n_sym:
        # sign-symmetric equalities: the negated copy as a second node, after all rows
        ind, cid, ptr, rid = list(ind), list(cid), list(ptr), list(rid)  # never the caller's
        row_orig, row_side = list(row_orig), list(row_side)
        for i in [i for i in range(nrow) if kind[i] == KIND_EQ_PM]:
            a, b = ptr[i], ptr[i + 1]
            ind += ind[a:b]
            cid += [-c for c in cid[a:b]]
            ptr.append(len(ind))
            rid.append(-rid[i])
            kind.append(kind[i])
            factor.append(-factor[i])
            row_orig.append(row_orig[i])
            row_side.append(row_side[i])
    # duplicate rows: same kind, rhs id and (column, coefficient id) sequence; the first
    # of each group is kept
    dup_orig: list[int] = []
    dup_side: list[int] = []
    dup_node: list[int] = []
    keys = [(k, r, tuple(ind[a:b]), tuple(cid[a:b])) for k, r, a, b in zip(kind, rid, ptr, ptr[1:])]
    if len(set(keys)) < len(keys):
        first: dict[tuple[Any, ...], int] = {}
        keep: list[int] = []
        for i, key in enumerate(keys):
            rep = first.get(key)
            if rep is None:
                first[key] = len(keep)
                keep.append(i)
            else:
                dup_orig.append(row_orig[i])
                dup_side.append(row_side[i])
                dup_node.append(rep)
        steps.append(_DUPLICATE_ROWS.format(len(dup_orig)))
        ind = [j for i in keep for j in ind[ptr[i] : ptr[i + 1]]]
        cid = [c for i in keep for c in cid[ptr[i] : ptr[i + 1]]]
        cnt = [ptr[i + 1] - ptr[i] for i in keep]
        ptr = [0]
        for c in cnt:
            ptr.append(ptr[-1] + c)
        rid = [rid[i] for i in keep]
        kind = [kind[i] for i in keep]
        factor = [factor[i] for i in keep]
        row_orig = [row_orig[i] for i in keep]
        row_side = [row_side[i] for i in keep]
    # few numpy calls: the per-row integer arrays are rows of one array, and so on
    per_row = np.array([kind, rid, row_orig, row_side], dtype=np.int64).reshape(4, -1)
    dup = np.array([dup_orig, dup_side, dup_node], dtype=np.int64).reshape(3, -1)
    out = _ListGraph.__new__(_ListGraph)
    vars(out).update(
        prepared=p,
        row_kind=per_row[0],
        row_rhs=per_row[1],
        row_orig=per_row[2],
        row_side=per_row[3],
        row_factor=np.array(factor, dtype=np.float64),
        dup_orig=dup[0],
        dup_side=dup[1],
        dup_node=dup[2],
        offset_id=offset_id,
        steps=tuple(steps),
        _lists=GraphLists(
            list(zip(pre[0], map(bool, pl.integer), pre[1], pre[2])), kind, rid, ptr, ind, cid
        ),
    )
    return out


class _ListGraph(Graph):
    """A :class:`Graph` made on lists by :func:`_build_graph_small`: the per-row arrays
    (which the certificate and the mapping read) are set, the variable labels and the
    arcs (which only the array paths read: the small union reads the lists) are made
    from the kept lists on first read, each on its own (:data:`_GRAPH_ARRAYS`). The
    same fields, values and dtypes as :func:`_build_graph_arrays`
    (``tests/verify/test_small_path.py``); a ``dataclasses.replace`` of it has every
    array set by the constructor and no lists."""

    def __getattr__(self, name: str) -> Any:
        # only for attributes not set yet: the arrays (never other names)
        lists = vars(self).get("_lists")
        make = _GRAPH_ARRAYS.get(name)
        if lists is None or make is None:
            raise AttributeError(name)
        return vars(self).setdefault(name, make(lists))  # a thread first wins

    @property
    def n_vars(self) -> int:
        lists = vars(self).get("_lists")
        return len(lists.var_label) if lists is not None else int(self.var_label.shape[0])

    @property
    def n_arcs(self) -> int:
        lists = vars(self).get("_lists")
        return len(lists.indices) if lists is not None else int(self.indices.size)


def _var_label_array(gl: GraphLists) -> np.ndarray:
    """(n, 4) int64, C order, as ``np.stack`` of the four columns (flags as 0/1)."""
    return np.array(gl.var_label, dtype=np.int64).reshape(-1, 4)


_GRAPH_ARRAYS: dict[str, Any] = {
    "var_label": _var_label_array,
    "indptr": lambda gl: np.array(gl.indptr, dtype=np.int64),
    "indices": lambda gl: np.array(gl.indices, dtype=np.int64),
    "coef": lambda gl: np.array(gl.coef, dtype=np.int64),
}
"""How each lazy array of a :class:`_ListGraph` is made from its lists."""


class GraphLists(NamedTuple):
    """What :func:`optiscribe.verify._refine.build_union`'s list path reads of a small
    :class:`Graph`, as the lists its arrays were made of (kept with it by
    :func:`_build_graph_small`; never written to): each variable's label (cost id,
    integer flag as a bool, lb id, ub id), and each row node's kind, rhs id and arcs."""

    var_label: list[tuple[int, bool, int, int]]
    kind: list[int]
    rhs: list[int]
    indptr: list[int]
    indices: list[int]
    coef: list[int]


def graph_lists(g: Graph) -> GraphLists:
    """The lists kept with ``g`` (:func:`_build_graph_small`), else its arrays' lists."""
    lists: GraphLists | None = g.__dict__.get("_lists")
    if lists is not None:
        return lists
    return GraphLists(
        [(a, b != 0, c, d) for a, b, c, d in g.var_label.tolist()],
        g.row_kind.tolist(),
        g.row_rhs.tolist(),
        g.indptr.tolist(),
        g.indices.tolist(),
        g.coef.tolist(),
    )


def _build_graph_arrays(
    p: Prepared,
    num: _Numbers,
    coef: object,
    rhs: object,
    exact: bool,
    pre: tuple[np.ndarray, ...] | None = None,
) -> Graph:
    """:func:`_build_graph` with numpy arrays (any size, exact numbers too)."""
    steps = list(p.steps)
    conv = (
        (lambda a: np.array(_as_fractions(np.asarray(a, dtype=np.float64)), dtype=object))
        if exact
        else (lambda a: a)
    )
    if pre is None:
        pre = (
            num.ids(conv(p.cost)),
            num.ids(conv(p.lb)),
            num.ids(conv(p.ub)),
            num.ids(conv(np.array([p.offset]))),
            num.ids(np.asarray(coef, dtype=object) if exact else np.asarray(coef)),
            num.ids(np.asarray(rhs, dtype=object) if exact else np.asarray(rhs)),
        )
    var_label = (
        np.stack([pre[0], p.integer.astype(np.int64), pre[1], pre[2]], axis=1)
        if p.cost.size
        else np.zeros((0, 4), dtype=np.int64)
    )
    offset_id = int(pre[3][0])
    indptr = p.rows.indptr.astype(np.int64, copy=False)
    indices = p.rows.indices.astype(np.int64, copy=False)
    cid, rid = pre[4], pre[5]  # never written in place below
    nrow = rid.size
    counts = indptr[1:] - indptr[:-1]
    factor = np.where(p.side < 0, -1.0, 1.0) / p.scale if nrow else np.zeros(0)
    kind = np.where(p.is_eq, KIND_EQ, KIND_LE).astype(np.int64)

    # --- orientation of equalities: make the rhs positive; for rhs 0, look at the largest
    # magnitude whose +/- counts differ and make its net count positive. Sign-symmetric
    # rows (every magnitude balanced) cannot be oriented: they are kept both ways.
    orient = np.ones(nrow, dtype=np.int64)
    if nrow and p.is_eq.any():
        eqz = p.is_eq & (rid == 0)
        orient[p.is_eq & (rid < 0)] = -1
        decided = np.zeros(nrow, dtype=bool)
        und = eqz
        ez = np.flatnonzero(eqz)
        if ez.size and np.all(counts[ez] > 0):
            # shortcut: the largest magnitude of a row decides when its +/- counts differ
            # (the rule below, on its last group); only the other rows need the sort
            cnt_e = counts[ez]
            ptr_e = np.zeros(ez.size + 1, dtype=np.int64)
            np.cumsum(cnt_e, out=ptr_e[1:])
            take = np.arange(int(ptr_e[-1]), dtype=np.int64)
            take += np.repeat(indptr[ez] - ptr_e[:-1], cnt_e)
            c_e = cid[take]
            mag = np.abs(c_e)
            top = np.repeat(np.maximum.reduceat(mag, ptr_e[:-1]), cnt_e)
            net = np.add.reduceat(np.where(mag == top, np.sign(c_e), 0), ptr_e[:-1])
            hit = net != 0
            orient[ez[hit]] = np.sign(net[hit])
            decided[ez[hit]] = True
            und = eqz & ~decided
        rown = np.repeat(np.arange(nrow), counts) if und.any() else np.zeros(0, np.int64)
        sel = und[rown]
        if sel.any():  # (rows without entries: nothing decides, they stay undecided)
            r_e, c_e = rown[sel], cid[sel]
            mag, sgn = np.abs(c_e), np.sign(c_e)
            mspan = int(mag.max()) + 1 if mag.size else 1
            if nrow * mspan * 3 < (1 << 62):
                # one packed int64 key (row, magnitude, sign) and a plain sort
                key = np.sort((r_e * mspan + mag) * 3 + (sgn + 1))
                s_s = key % 3 - 1
                key //= 3
                r_s, m_s = key // mspan, key % mspan
            else:
                order = np.lexsort((mag, r_e))
                r_s, m_s, s_s = r_e[order], mag[order], sgn[order]
            grp_start = np.flatnonzero(np.r_[True, (r_s[1:] != r_s[:-1]) | (m_s[1:] != m_s[:-1])])
            net = np.add.reduceat(s_s, grp_start)
            g_row = r_s[grp_start]
            nz = net != 0
            if nz.any():
                # for each row, the last (largest magnitude) group with nonzero net
                gr, gn = g_row[nz], net[nz]
                last = np.flatnonzero(np.r_[gr[1:] != gr[:-1], True])
                orient[gr[last]] = np.sign(gn[last])
                decided[gr[last]] = True
        sym = eqz & ~decided
        if sym.any():
            kind[sym] = KIND_EQ_PM
            steps.append(_SYM_ROWS.format(int(sym.sum())))
        if (orient < 0).any():
            steps.append(_TURNED_ROWS.format(int((orient < 0).sum())))
    cid = cid * np.repeat(orient, counts)
    rid = rid * orient
    factor = factor * orient
    row_orig, row_side = p.orig_row, p.side.astype(np.int64)

    # --- sign-symmetric equalities: add the negated copy as a second node
    pm = np.flatnonzero(kind == KIND_EQ_PM)
    if pm.size:
        ext_counts = counts[pm]
        starts = indptr[pm]
        take = np.repeat(starts, ext_counts) + (
            np.arange(int(ext_counts.sum()))
            - np.repeat(np.cumsum(ext_counts) - ext_counts, ext_counts)
        )
        indices = np.concatenate([indices, indices[take]])
        cid = np.concatenate([cid, -cid[take]])
        counts = np.concatenate([counts, ext_counts])
        rid = np.concatenate([rid, -rid[pm]])
        kind = np.concatenate([kind, kind[pm]])
        factor = np.concatenate([factor, -factor[pm]])
        row_orig = np.concatenate([row_orig, row_orig[pm]])
        row_side = np.concatenate([row_side, row_side[pm]])
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    # --- duplicate rows: same kind, rhs id and (column, coefficient id) sequence
    dup_orig = dup_side = dup_node = np.zeros(0, dtype=np.int64)
    nrow = rid.size
    if nrow > 1 and _maybe_duplicates(indptr, indices, cid, kind, rid):
        span = int(np.abs(cid).max()) * 2 + 3 if cid.size else 3
        tokens = indices * span + (cid + span // 2)
        seq = rank_sequences_fast(counts, tokens)
        key = rank_pairs(rank_pairs(kind, rid - rid.min()), seq)
        _, first = np.unique(key, return_index=True)
        keep_mask = np.zeros(nrow, dtype=bool)
        keep_mask[first] = True
        if not keep_mask.all():
            # node index after compaction for every original node
            new_index = np.cumsum(keep_mask) - 1
            rep_of_key = np.empty(int(key.max()) + 1, dtype=np.int64)
            rep_of_key[key[first]] = new_index[first]
            dropped = np.flatnonzero(~keep_mask)
            dup_orig, dup_side = row_orig[dropped], row_side[dropped]
            dup_node = rep_of_key[key[dropped]]
            steps.append(_DUPLICATE_ROWS.format(dropped.size))
            rowmask = np.repeat(keep_mask, counts)
            indices, cid = indices[rowmask], cid[rowmask]
            counts = counts[keep_mask]
            indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            rid, kind, factor = rid[keep_mask], kind[keep_mask], factor[keep_mask]
            row_orig, row_side = row_orig[keep_mask], row_side[keep_mask]
    return Graph(
        prepared=p,
        var_label=var_label,
        row_kind=kind,
        row_rhs=rid,
        indptr=indptr,
        indices=indices,
        coef=cid,
        row_orig=row_orig,
        row_side=row_side,
        row_factor=factor,
        dup_orig=dup_orig,
        dup_side=dup_side,
        dup_node=dup_node,
        offset_id=offset_id,
        steps=tuple(steps),
    )
