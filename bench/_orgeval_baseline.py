"""A faithful re-implementation of ORGEval's published check (equivalence.md §3), written
by us for the speed comparison only: per model, singleton rows to bounds (sign ignored),
rhs-0 rows sign-normalised, string labels from float32 with 6 decimals, MD5-string WL per
node until the number of colours stops growing, final colour *sets* compared, then the
WL-determinable / symmetric-decomposable sufficiency test on both graphs."""

from __future__ import annotations

import hashlib
from collections import defaultdict

import numpy as np

from optiscribe.verify import MilpData


def _fmt(x: float) -> str:
    return f"{np.float32(x):.6f}"


def _graph(m: MilpData):
    A = m.A.tocsr()
    lb, ub = m.col_lower.copy(), m.col_upper.copy()
    rows = []
    for i in range(m.num_rows):
        s, e = A.indptr[i], A.indptr[i + 1]
        idx, val = A.indices[s:e].tolist(), A.data[s:e].tolist()
        lo, hi = m.row_lower[i], m.row_upper[i]
        if len(idx) == 1:  # ORGEval: sign of the coefficient not considered
            a = val[0]
            if np.isfinite(hi):
                ub[idx[0]] = min(ub[idx[0]], hi / a)
            if np.isfinite(lo):
                lb[idx[0]] = max(lb[idx[0]], lo / a)
            continue
        if lo == hi:
            sense, rhs = 0, hi
            if rhs == 0 and sum(val) < 0:
                val = [-v for v in val]
        elif np.isfinite(hi):
            sense, rhs = -1, hi
            if rhs == 0:
                sense, val = 1, [-v for v in val]
        else:
            sense, rhs = 1, lo
        rows.append((idx, val, f"{_fmt(rhs)}|{sense}"))
    var_lab = [
        f"{_fmt(m.c[j])}|{int(m.integer[j])}|{_fmt(lb[j])}|{_fmt(ub[j])}" for j in range(m.num_vars)
    ]
    n = m.num_vars
    adj: list[list[tuple[int, str]]] = [[] for _ in range(n + len(rows))]
    labels = var_lab + [r[2] for r in rows]
    for k, (idx, val, _) in enumerate(rows):
        for j, v in zip(idx, val):
            adj[n + k].append((j, _fmt(v)))
            adj[j].append((n + k, _fmt(v)))
    return labels, adj


def _wl(labels, adj):
    colours = [hashlib.md5(x.encode()).hexdigest() for x in labels]
    k = len(set(colours))
    for _ in range(len(colours)):
        new = []
        for v, nb in enumerate(adj):
            s = colours[v] + "".join(sorted(f"{colours[u]}|{w}" for u, w in nb))
            new.append(hashlib.md5(s.encode()).hexdigest())
        colours = new
        k2 = len(set(colours))
        if k2 <= k:
            break
        k = k2
    return colours


def _sufficient(colours, adj) -> bool:
    count = defaultdict(int)
    for c in colours:
        count[c] += 1
    amb = [count[c] > 1 for c in colours]
    if not any(amb):
        return True
    seen = [False] * len(colours)
    for s in range(len(colours)):
        if not amb[s] or seen[s]:
            continue
        stack, comp = [s], set()
        seen[s] = True
        while stack:
            v = stack.pop()
            if colours[v] in comp:
                return False
            comp.add(colours[v])
            for u, _ in adj[v]:
                if amb[u] and not seen[u]:
                    seen[u] = True
                    stack.append(u)
    return True


def orgeval_check(a: MilpData, b: MilpData) -> bool:
    la, aa = _graph(a)
    lb, ab = _graph(b)
    if a.num_vars != b.num_vars or len(la) != len(lb):
        return False
    ca, cb = _wl(la, aa), _wl(lb, ab)
    if set(ca) != set(cb):
        return False
    return _sufficient(ca, aa) and _sufficient(cb, ab)
