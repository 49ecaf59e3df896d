"""Exact ranks of sequences (no hashing): equal sequences, equal ids; different, different."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from optiscribe.verify._ranks import rank_pairs, rank_sequences


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(0, 4), max_size=9), min_size=1, max_size=25))
def test_rank_sequences_is_exact(seqs):
    lengths = np.array([len(s) for s in seqs])
    tokens = np.array([x for s in seqs for x in s], dtype=np.int64)
    r = rank_sequences(lengths, tokens)
    for i, a in enumerate(seqs):
        for j, b in enumerate(seqs):
            assert (r[i] == r[j]) == (a == b)


def test_rank_pairs_handles_values_that_would_overflow_packing():
    a = np.array([2**40, 5, 2**40])
    b = np.array([2**40, 7, 2**40 + 1])
    r = rank_pairs(a, b)
    assert r[0] != r[2] and len(set(r.tolist())) == 3


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.lists(st.integers(-3, 4), max_size=9)),
        min_size=1,
        max_size=25,
    ),
    st.sampled_from(["real", "all collide", "many collide"]),
)
def test_rank_sequences_fast_is_exact_even_when_fingerprints_collide(items, mix):
    """The fingerprint only groups candidates; token-by-token comparison decides, and a
    collision falls back to the exact pairing tree."""
    import optiscribe.verify._ranks as ranks

    prefix = np.array([p for p, _ in items], dtype=np.int64)
    seqs = [s for _, s in items]
    lengths = np.array([len(s) for s in seqs])
    tokens = np.array([x for s in seqs for x in s], dtype=np.int64)
    real = ranks._mix
    fake = {
        "real": real,
        "all collide": lambda x: x * np.uint64(0),
        "many collide": lambda x: x & np.uint64(3),
    }[mix]
    ranks._mix = fake
    try:
        r, first = ranks.rank_sequences_fast(lengths, tokens, prefix=prefix, with_first=True)
    finally:
        ranks._mix = real
    for i, a in enumerate(items):
        for j, b in enumerate(items):
            assert (r[i] == r[j]) == (a == b)
    assert np.array_equal(r[first], np.arange(first.size))
