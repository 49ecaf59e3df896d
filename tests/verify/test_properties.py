"""Property tests: random small MILPs against random permutations, renamings, row scalings
and sign flips (EQUIVALENT with a verified certificate), and against one-element changes
(NOT_EQUIVALENT)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optiscribe.verify import Verdict, check

from .conftest import INF, milp, permuted, with_changes

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def models(draw):
    n = draw(st.integers(2, 7))
    m = draw(st.integers(1, 6))
    vals = st.sampled_from([-3.0, -2.0, -1.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.5, 4.0])
    rows = [[draw(vals) for _ in range(n)] for _ in range(m)]
    c = [draw(vals) for _ in range(n)]
    kinds = [draw(st.sampled_from(["le", "ge", "eq", "range"])) for _ in range(m)]
    rhs = [draw(st.sampled_from([0.0, 1.0, 3.0, 5.0, -2.0])) for _ in range(m)]
    lo = [r if k in ("ge", "eq") else (r - 4 if k == "range" else -INF) for k, r in zip(kinds, rhs)]
    hi = [r if k in ("le", "eq", "range") else INF for k, r in zip(kinds, rhs)]
    integer = [draw(st.booleans()) for _ in range(n)]
    ub = [draw(st.sampled_from([1.0, 5.0, 10.0, INF])) for _ in range(n)]
    sense = draw(st.sampled_from([1, -1]))
    return milp(
        rows,
        c,
        lo=lo,
        hi=hi,
        integer=integer,
        ub=ub,
        sense=sense,
        var_names=[f"x{j}" for j in range(n)],
        row_names=[f"c{i}" for i in range(m)],
    )


@SETTINGS
@given(models(), st.integers(0, 10_000))
def test_permuted_renamed_scaled_copy_is_equivalent(m, seed):
    p = permuted(m, seed)
    r = check(m, p, max_search_nodes=5000)
    assert r.verdict is Verdict.EQUIVALENT, r.reason
    cert = r.certificate
    # the certificate maps each variable onto its renamed self
    for a, b in cert.variables.items():
        assert b == f"p_{a}" or _interchangeable(m, a, b[2:])


def _interchangeable(m, a, b):
    """Symmetric variables may legitimately swap: then the swap must be a symmetry of m."""
    ia, ib = m.var_names.index(a), m.var_names.index(b)
    return (
        m.c[ia] == m.c[ib] and m.integer[ia] == m.integer[ib] and m.col_upper[ia] == m.col_upper[ib]
    )


@SETTINGS
@given(
    models(),
    st.sampled_from(["coef", "bound", "rhs", "sense", "integrality", "objsense"]),
    st.integers(0, 10_000),
)
def test_one_change_is_not_equivalent(m, what, seed):
    rng = np.random.default_rng(seed)
    A = m.A.toarray()
    if what == "coef":
        i, j = rng.integers(A.shape[0]), rng.integers(A.shape[1])
        A[i, j] = A[i, j] + 7.25  # no generated value is within 7 of another
        changed = with_changes(m, A=A)
    elif what == "bound":
        ub = m.col_upper.copy()
        j = rng.integers(ub.size)
        ub[j] = 77.0
        changed = with_changes(m, col_upper=ub)
    elif what == "rhs":
        i = rng.integers(A.shape[0])
        lo, hi = m.row_lower.copy(), m.row_upper.copy()
        if np.isfinite(hi[i]):
            hi[i] += 11.0
        else:
            lo[i] -= 11.0
        changed = with_changes(m, row_lower=lo, row_upper=hi)
    elif what == "sense":  # a <= row becomes >= (or the other way round)
        i = rng.integers(A.shape[0])
        lo, hi = m.row_lower.copy(), m.row_upper.copy()
        if np.isfinite(lo[i]) and np.isfinite(hi[i]):
            lo[i] = -INF
        elif np.isfinite(hi[i]):
            lo[i], hi[i] = hi[i], INF
        else:
            lo[i], hi[i] = -INF, lo[i]
        changed = with_changes(m, row_lower=lo, row_upper=hi)
    elif what == "integrality":
        it = m.integer.copy()
        j = rng.integers(it.size)
        it[j] = not it[j]
        changed = with_changes(m, integer=it)
    else:
        changed = with_changes(m, sense=-m.sense)
    r = check(m, changed, max_search_nodes=5000)
    if r.verdict is Verdict.EQUIVALENT:
        # legitimate only if the change happens to give a symmetric copy: check the
        # certificate's mapping with this test's own, independent fingerprint
        perm = np.array(r.certificate.variable_index)
        assert _fingerprint(m, perm) == _fingerprint(changed, np.arange(m.num_vars)), what
    else:
        assert r.verdict is Verdict.NOT_EQUIVALENT, r.reason


def _fingerprint(m, perm):
    """Model as sets of rounded tuples in the column order given by ``perm`` (column j of
    m goes to position perm[j]): costs (min form), effective bounds, types, half-rows."""
    n = m.num_vars
    A = m.A.toarray()
    lb, ub = m.col_lower.astype(float).copy(), m.col_upper.astype(float).copy()
    half = set()
    for i in range(A.shape[0]):
        nz = np.flatnonzero(A[i])
        lo, hi = m.row_lower[i], m.row_upper[i]
        if nz.size == 0:
            continue
        if nz.size == 1:
            j, a = nz[0], A[i, nz[0]]
            l2, u2 = (lo / a, hi / a) if a > 0 else (hi / a, lo / a)
            lb[j], ub[j] = max(lb[j], l2), min(ub[j], u2)
            continue
        row = np.zeros(n)
        row[perm] = A[i]
        sides = [(row, hi, "le")] if lo == hi else []
        if lo == hi:
            sides = [(row, hi, "eq"), (-row, -hi, "eq")]
        else:
            if np.isfinite(hi):
                sides.append((row, hi, "le"))
            if np.isfinite(lo):
                sides.append((-row, -lo, "le"))
        for vec, b, kind in sides:
            sc = np.abs(vec).max()
            half.add((kind, round(b / sc, 9) + 0.0, tuple(np.round(vec / sc, 9) + 0.0)))
    it = m.integer
    lb = np.where(it & np.isfinite(lb), np.ceil(lb - 1e-9), lb)
    ub = np.where(it & np.isfinite(ub), np.floor(ub + 1e-9), ub)
    cols = [None] * n
    for j in range(n):
        cols[perm[j]] = (round(m.c[j] * m.sense, 9) + 0.0, bool(it[j]), lb[j], ub[j])
    return tuple(cols), frozenset(half), m.offset * m.sense


@st.composite
def models_with_slacks(draw):
    """A small model plus zero-cost continuous columns that each sit in one row, some
    rows getting several (and some rows made of such columns only): the shapes whose
    reduction at ``normalized`` once depended on the column order."""
    base = draw(models())
    A = base.A.toarray()
    k = draw(st.integers(2, 4))
    extra_rows = draw(st.integers(0, 1))
    m = A.shape[0] + extra_rows
    cols = np.zeros((m, k))
    for t in range(k):
        # with an extra row, the first two such columns go there: a row of slacks only
        i = m - 1 if extra_rows and t < 2 else draw(st.integers(0, m - 1))
        cols[i, t] = draw(st.sampled_from([-2.0, -1.0, 1.0, 3.0]))
    A2 = np.hstack([np.vstack([A, np.zeros((extra_rows, A.shape[1]))]), cols])
    rhs = [draw(st.sampled_from([0.0, 1.0, 4.0])) for _ in range(extra_rows)]
    return milp(
        A2.tolist(),
        list(base.c) + [0.0] * k,
        lo=list(base.row_lower) + rhs,
        hi=list(base.row_upper) + rhs,
        lb=list(base.col_lower) + [draw(st.sampled_from([0.0, -1.0, -INF])) for _ in range(k)],
        ub=list(base.col_upper) + [draw(st.sampled_from([1.0, 3.0, INF])) for _ in range(k)],
        integer=list(base.integer) + [False] * k,
        sense=base.sense,
        var_names=[f"x{j}" for j in range(A2.shape[1])],
        row_names=[f"c{i}" for i in range(m)],
    )


@SETTINGS
@given(
    models_with_slacks(),
    models_with_slacks(),
    st.booleans(),
    st.sampled_from(["strict", "normalized"]),
    st.integers(0, 10_000),
)
def test_permuting_rows_and_columns_never_changes_the_verdict(a, b, related, level, seed):
    # ``b`` is either an unrelated model or ``a`` with one coefficient changed; the
    # verdict of (a, b) must survive any permutation of a's rows and columns, and a's
    # permuted copy must be EQUIVALENT to a itself at either level
    if related:
        A = a.A.toarray()
        A[seed % A.shape[0], seed % A.shape[1]] += 7.25
        b = with_changes(a, A=A)
    plain = dict(scale=False, flip=False, negate_objective=False)
    pa, pb = permuted(a, seed, **plain), permuted(b, seed + 1, **plain)
    r = check(a, b, level=level, max_search_nodes=5000)
    for x, y in ((pa, b), (a, pb), (pa, pb)):
        r2 = check(x, y, level=level, max_search_nodes=5000)
        assert r2.verdict is r.verdict, (level, r.reason, r2.reason)
    same = check(a, pa, level=level, max_search_nodes=5000)
    assert same.verdict is Verdict.EQUIVALENT, (level, same.reason)
