"""Exact dense ranks for integer keys and for variable-length integer sequences.

Colour refinement and duplicate-row detection both need "give equal sequences equal
ids, different sequences different ids". Hashing (ORGEval's MD5 strings) can collide;
these functions cannot: every id is a rank of a sorted key, so the ids are exact and do
not depend on the order of the input.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dense_rank", "rank_pairs", "rank_sequences"]


def dense_rank(keys: np.ndarray) -> np.ndarray:
    """Ranks ``0..k-1`` of ``keys`` in sorted order of their values (equal keys, equal rank)."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
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
