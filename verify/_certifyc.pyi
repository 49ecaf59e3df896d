# The re-verification of a mapping in C (verify/_certifyc.c); see
# optiscribe.verify._certify._verify_mapping_compiled.
from typing import Any

import numpy as np

def verify(
    ref: tuple[Any, ...],
    cand: tuple[Any, ...],
    var_map: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    dups_ref: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    dups_cand: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    sense_ref: float,
    sense_cand: float,
    offset_ref: float,
    offset_cand: float,
    tol: float,
    zero_ties: int,
    /,
) -> tuple[int, int, int, float, float] | None: ...
