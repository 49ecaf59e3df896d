"""The certificate check's row-major sort (two 16-bit radix passes) orders entries exactly
as ``np.lexsort`` does, on both sides of its size switch."""

from __future__ import annotations

import numpy as np
import pytest

from optiscribe.verify._certify import _row_major


@pytest.mark.parametrize("n_rows,n_cols", [(5, 7), (300, 65536), (70_000, 10), (10, 70_000)])
def test_row_major_order_is_lexsort_order(n_rows, n_cols):
    rng = np.random.default_rng(n_rows + n_cols)
    row = np.sort(rng.integers(0, n_rows, 5000))
    col = rng.integers(0, n_cols, 5000)
    got = _row_major(row, col, n_rows, n_cols)
    want = np.lexsort((col, row))
    np.testing.assert_array_equal(row[got], row[want])
    np.testing.assert_array_equal(col[got], col[want])
    np.testing.assert_array_equal(got, want)  # both stable: same ties order
