"""Exact dense ranks for integer keys and for variable-length integer sequences.

Colour refinement and duplicate-row detection both need "give equal sequences equal
ids, different sequences different ids". Hashing (ORGEval's MD5 strings) can collide;
these functions cannot: every id is a rank of a sorted key, so the ids are exact and do
not depend on the order of the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["dense_rank", "rank_pairs", "rank_sequences", "rank_sequences_fast"]


def dense_rank(keys: np.ndarray) -> np.ndarray:
    """Ranks ``0..k-1`` of ``keys`` in sorted order of their values (equal keys, equal rank)."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    if keys.dtype.kind in "iu":
        lo, hi = int(keys.min()), int(keys.max())
        if hi - lo < 16 * keys.size + 4096:
            # small key range: a presence table and its prefix sum give the same ranks
            # as sorting, in O(n + range)
            k = keys.astype(np.int64, copy=False) - lo
            present = np.zeros(hi - lo + 1, dtype=np.int64)
            present[k] = 1
            np.cumsum(present, out=present)
            return present[k] - 1
    _, inv = np.unique(keys, return_inverse=True)
    return inv.reshape(-1).astype(np.int64, copy=False)


def rank_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense ranks of the pairs ``(a[i], b[i])`` of non-negative integers, ordered
    lexicographically. Packs into one int64 when that cannot overflow."""
    if a.size == 0:
        return np.zeros(0, dtype=np.int64)
    a = a.astype(np.int64, copy=False)
    b = b.astype(np.int64, copy=False)
    bmax = int(b.max()) + 1
    if (int(a.max()) + 1) * bmax < (1 << 62):
        return dense_rank(a * bmax + b)
    ra, rb = dense_rank(a), dense_rank(b)
    return dense_rank(ra * (int(rb.max()) + 1) + rb)


def rank_sequences(lengths: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """Dense ranks of variable-length integer sequences, exactly.

    ``tokens`` holds the sequences one after the other; ``lengths[i]`` is the length of
    sequence ``i``. Equal sequences (same length, same tokens in the same order) get the
    same rank and different sequences different ranks.

    How: rank the tokens, then repeatedly replace adjacent pairs inside each sequence by
    the rank of the pair (a balanced pairing tree whose shape depends only on the
    length), until every sequence is one token; the rank of ``(length, root)`` is exact
    because each level's pair ranking is injective. Sequences that reach length one stop
    taking part, so the total work is O(total tokens · log) rather than O(n · depth).

    >>> rank_sequences(np.array([2, 0, 2, 1]), np.array([5, 7, 5, 7, 5])).tolist()
    [2, 0, 2, 1]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    n = lengths.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    root = np.full(n, -1, dtype=np.int64)
    if tokens.size:
        t = dense_rank(np.asarray(tokens))
        active = np.flatnonzero(lengths > 0)
        la = lengths[active]
        while active.size:
            done = la == 1
            if done.any():
                starts = np.zeros(la.size, dtype=np.int64)
                np.cumsum(la[:-1], out=starts[1:])
                root[active[done]] = t[starts[done]]
                keep = np.repeat(~done, la)
                t = t[keep]
                active = active[~done]
                la = la[~done]
                if not active.size:
                    break
            starts = np.zeros(la.size, dtype=np.int64)
            np.cumsum(la[:-1], out=starts[1:])
            seg = np.repeat(np.arange(la.size, dtype=np.int64), la)
            pos = np.arange(t.size, dtype=np.int64) - starts[seg]
            left = np.flatnonzero((pos & 1) == 0)
            has_right = pos[left] + 1 < la[seg[left]]
            right = np.zeros(left.size, dtype=np.int64)
            right[has_right] = t[left[has_right] + 1] + 1
            t = rank_pairs(t[left], right)
            la = (la + 1) // 2
    return rank_pairs(lengths, root + 1)


_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (wrapping uint64 arithmetic), in place on a fresh array."""
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def rank_sequences_fast(
    lengths: np.ndarray,
    tokens: np.ndarray,
    *,
    seg: np.ndarray | None = None,
    starts: np.ndarray | None = None,
    with_first: bool = False,
    prefix: np.ndarray | None = None,
) -> Any:  # ids (np.ndarray), or (ids, first) with ``with_first``
    """Exact equality classes of variable-length integer sequences, in O(total tokens).

    Same contract as :func:`rank_sequences` for equality (equal sequences, equal id;
    different sequences, different ids) but the ids are ordered by a fixed 64-bit
    fingerprint rather than lexicographically; they still depend only on the sequences,
    never on the input order, so colourings built from them stay isomorphism-invariant.

    Exactness does not rest on the fingerprint: every sequence is compared token by token
    with the first sequence of its fingerprint class, and if any class holds two different
    sequences (a collision) the function falls back to the exact pairing tree of
    :func:`rank_sequences`. ``seg``/``starts`` (the sequence of every token, the first
    token of every sequence) may be passed when the caller has them cached.
    With ``with_first``, also returns the index of one representative per id.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    n = lengths.size
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return (z, z) if with_first else z
    tokens = np.asarray(tokens, dtype=np.int64)
    if starts is None:
        starts = np.zeros(n, dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
    if seg is None:
        seg = np.repeat(np.arange(n, dtype=np.int64), lengths)
    off = np.arange(tokens.size, dtype=np.int64) - starts[seg]
    x = tokens.view(np.uint64) * _K1 + off.view(np.uint64) * _K2
    x = _mix(x)
    cs = np.zeros(tokens.size + 1, dtype=np.uint64)
    np.cumsum(x, out=cs[1:])
    h = cs[starts + lengths] - cs[starts]
    h += _mix(lengths.view(np.uint64) * _K2)
    if prefix is not None:
        prefix = np.asarray(prefix, dtype=np.int64)
        h += _mix(prefix.view(np.uint64) * _K1 + np.uint64(0x632BE59BD9B4E019))
    _, first, inv = np.unique(h, return_index=True, return_inverse=True)
    inv = inv.reshape(-1).astype(np.int64, copy=False)
    rep = first[inv]
    ok = np.array_equal(lengths[rep], lengths)
    if ok and prefix is not None:
        ok = np.array_equal(prefix[rep], prefix)
    if ok and tokens.size:
        # only sequences that share their fingerprint with an earlier one need comparing
        other = np.flatnonzero(rep != np.arange(n))
        if other.size:
            lo = starts[other]
            if other.size * 4 < n:
                cnt = lengths[other]
                tok_seg = np.repeat(np.arange(other.size, dtype=np.int64), cnt)
                first_tok = np.zeros(other.size, dtype=np.int64)
                np.cumsum(cnt[:-1], out=first_tok[1:])
                o = np.arange(int(cnt.sum()), dtype=np.int64) - first_tok[tok_seg]
                ok = np.array_equal(
                    tokens[lo[tok_seg] + o], tokens[starts[rep[other]][tok_seg] + o]
                )
            else:
                ok = np.array_equal(tokens[starts[rep[seg]] + off], tokens)
    if not ok:  # fingerprint collision: exact fallback
        inv = rank_sequences(lengths, tokens)
        if prefix is not None:
            inv = rank_pairs(prefix, inv)
        if with_first:
            _, first = np.unique(inv, return_index=True)
    return (inv, first.astype(np.int64)) if with_first else inv
