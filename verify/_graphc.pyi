# label_pair's tolerance-mode arrays in C (verify/_graphc.c); see
# optiscribe.verify._canon._label_pair_compiled and _build_graph_compiled.
from typing import Any

import numpy as np

def joint(
    cost_a: np.ndarray,
    lb_a: np.ndarray,
    ub_a: np.ndarray,
    offset_a: float,
    indptr_a: np.ndarray,
    data_a: np.ndarray,
    rhs_a: np.ndarray,
    scale_a: np.ndarray,
    cost_b: np.ndarray,
    lb_b: np.ndarray,
    ub_b: np.ndarray,
    offset_b: float,
    indptr_b: np.ndarray,
    data_b: np.ndarray,
    rhs_b: np.ndarray,
    scale_b: np.ndarray,
    rtol: float,
    zero_tol: float,
    /,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None: ...
def graph(
    ids: np.ndarray,
    base: int,
    n: int,
    indptr: np.ndarray,
    indices: np.ndarray,
    is_eq: np.ndarray,
    side: np.ndarray,
    scale: np.ndarray,
    orig_row: np.ndarray,
    integer: np.ndarray,
    kind_le: int,
    kind_eq: int,
    kind_eq_pm: int,
    /,
) -> tuple[Any, ...] | None: ...
