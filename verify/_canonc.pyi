# prepare's arrays in C (verify/_canonc.c); see optiscribe.verify._canon._prepare_compiled.
from typing import Any

import numpy as np

def prepare(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    indices_dtype: np.dtype[Any],
    zero_tol: float,
    eq_tol: float,
    zero_ties: int,
    /,
) -> tuple[Any, ...] | None: ...
