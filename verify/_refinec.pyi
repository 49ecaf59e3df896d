# refinement's fast-path loop in C (verify/_refinec.c); see optiscribe.verify._refine._hash_compiled.
from typing import Any

import numpy as np

def refine_hash(
    colours: np.ndarray,
    cut: int,
    row_nodes: np.ndarray,
    row_dst: np.ndarray,
    row_start: np.ndarray,
    row_deg: np.ndarray,
    row_w: np.ndarray,
    var_nodes: np.ndarray,
    var_dst: np.ndarray,
    var_start: np.ndarray,
    var_deg: np.ndarray,
    var_w: np.ndarray,
    var_arc: np.ndarray | None,
    ctab: np.ndarray,
    otab: np.ndarray,
    max_half_rounds: int,
    stop_when_discrete: bool,
    splitmix: bool,
    mask: int,
    k2: int,
    seed: int,
    /,
) -> tuple[Any, ...] | None: ...
def build_union(
    a_var_label: np.ndarray,
    a_row_kind: np.ndarray,
    a_row_rhs: np.ndarray,
    a_indptr: np.ndarray,
    a_indices: np.ndarray,
    a_coef: np.ndarray,
    b_var_label: np.ndarray,
    b_row_kind: np.ndarray,
    b_row_rhs: np.ndarray,
    b_indptr: np.ndarray,
    b_indices: np.ndarray,
    b_coef: np.ndarray,
    /,
) -> tuple[np.ndarray, ...] | None: ...
