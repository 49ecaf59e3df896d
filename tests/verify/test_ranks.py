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
