"""Witnesses show both sides, in each model's own names and numbers, unscaled, and say
what to look at (issue 11)."""

from __future__ import annotations

import scipy.sparse as sp

from optiscribe.verify import Verdict, check, read_model

from .conftest import HIGHS_CHECK, milp, need, permuted, with_changes


def test_perturbed_afiro_shows_the_row_in_both_models():
    m = read_model(need(HIGHS_CHECK / "afiro.mps"))
    A = sp.csr_array(m.A)
    i = m.row_names.index("R20")
    data = A.data.copy()
    data[A.indptr[i]] *= 1.1  # R20: -0.43 X22 + X26 = 0  ->  -0.473 X22
    cand = with_changes(m, A=sp.csr_array((data, A.indices, A.indptr), shape=A.shape))
    r = check(m, cand)
    assert r.verdict is Verdict.NOT_EQUIVALENT
    w = r.witness
    assert "reference `R20: -0.43 X22 + X26 = 0`" in w.message
    assert "candidate `R20: -0.473 X22 + X26 = 0`" in w.message
    assert "coefficient of X22 (-0.43 vs -0.473)" in w.message
    assert w.reference_examples_raw == ("R20",) and w.candidate_examples_raw == ("R20",)


def test_renamed_and_permuted_candidate_still_shows_a_counterpart():
    m = read_model(need(HIGHS_CHECK / "afiro.mps"))
    A = sp.csr_array(m.A)
    data = A.data.copy()
    data[A.indptr[m.row_names.index("R20")]] *= 1.1
    cand = permuted(with_changes(m, A=sp.csr_array((data, A.indices, A.indptr), shape=A.shape)))
    w = check(m, cand).witness
    assert w.reference_examples and w.candidate_examples
    assert "reference `" in w.message and "candidate `" in w.message


def test_knapsack_capacity_10_versus_11_in_raw_numbers():
    kw = dict(ub=[1, 1, 1], integer=[1, 1, 1], var_names=["a", "b", "c"], row_names=["weight"])
    a = milp([[3, 4, 6]], [5, 6, 7], hi=[10], sense=-1, **kw)
    b = milp([[3, 4, 6]], [5, 6, 7], hi=[11], sense=-1, **kw)
    r = check(a, b)
    assert r.verdict is Verdict.NOT_EQUIVALENT
    msg = r.witness.message
    assert "reference `weight: 3 a + 4 b + 6 c <= 10`" in msg
    assert "candidate `weight: 3 a + 4 b + 6 c <= 11`" in msg
    assert "right-hand side (<= 10 vs <= 11)" in msg
    assert "1.666" not in msg and "1.833" not in msg  # no scaled numbers


def test_a_variable_difference_shows_both_variables():
    a = milp([[1, 1]], [1, 2], hi=[4], ub=[3, 5], var_names=["x", "y"])
    b = milp([[1, 1]], [1, 2], hi=[4], ub=[3, 6], var_names=["x", "y"])
    w = check(a, b).witness
    assert "variable y differs" in w.message
    assert "upper bound (5 vs 6)" in w.message


def test_a_size_difference_still_shows_a_row_of_each_model_in_its_own_numbers():
    a = milp([[1, 1], [1, 2]], [1, 1], hi=[4, 6], var_names=["x", "y"], row_names=["r", "s"])
    b = milp([[1, 1]], [1, 1], hi=[4], var_names=["x", "y"], row_names=["r"])
    w = check(a, b).witness
    assert w.stage == "size" and (w.reference_count, w.candidate_count) == (2, 1)
    assert "`s: x + 2 y <= 6`" in w.message


def test_a_row_read_as_a_bound_on_one_side_is_still_shown(tmp_path):
    a = milp(
        [[1, -5e-10]], [-1, 1], hi=[1], ub=[1000, 1e12], var_names=["x", "y"], row_names=["c1"]
    )
    b = milp([[1, 0]], [-1, 1], hi=[1], ub=[1000, 1e12], var_names=["x", "y"], row_names=["c1"])
    msg = check(a, b).witness.message
    assert "`c1: x - 5e-10 y <= 1`" in msg
    assert "`c1: x <= 1` has a single variable: read as a bound" in msg
