"""The decision procedure on the cases of equivalence.md §5.9 and ORGEval's defects (§3.9)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from optiscribe.verify import CheckResult, Level, Verdict, check, check_instances
from optiscribe.verify import _check as check_module

from .conftest import INF, milp, permuted, with_changes

EQ, NE = Verdict.EQUIVALENT, Verdict.NOT_EQUIVALENT


def base():
    # min 3x + 2y + z  s.t.  x + y <= 10,  2x - z >= 1,  y + z = 4,  x, y, z >= 0, y integer
    return milp(
        [[1, 1, 0], [2, 0, -1], [0, 1, 1]],
        [3, 2, 1],
        lo=[-INF, 1, 4],
        hi=[10, INF, 4],
        integer=[False, True, False],
        var_names=["x", "y", "z"],
        row_names=["cap", "need", "bal"],
    )


def test_permuted_renamed_copy_is_equivalent_with_named_certificate():
    a = base()
    b = permuted(a, seed=3)
    r = check(a, b)
    assert r.verdict is EQ and isinstance(r, CheckResult)
    assert dict(r.certificate.variables) == {"x": "p_x", "y": "p_y", "z": "p_z"}
    assert {k: [n for n, _ in v] for k, v in r.certificate.constraints.items()} == {
        "cap": ["p_cap"],
        "need": ["p_need"],
        "bal": ["p_bal"],
    }
    assert r.witness is None and r.timings["total"] > 0


@pytest.mark.parametrize("change", ["coef", "rhs", "bound", "type", "sense", "cost", "constant"])
def test_single_perturbation_is_not_equivalent(change):
    a = base()
    A = a.A.toarray()
    kw = {}
    if change == "coef":
        A[1, 0] = 2.5
        kw["A"] = A
    elif change == "rhs":
        kw["row_upper"] = np.array([11.0, INF, 4.0])
    elif change == "bound":
        kw["col_upper"] = np.array([INF, 7.0, INF])
    elif change == "type":
        kw["integer"] = np.array([False, False, False])
    elif change == "sense":
        kw["sense"] = -1
    elif change == "cost":
        kw["c"] = np.array([3.0, 2.0, 1.5])
    elif change == "constant":
        kw["offset"] = 1.0
    r = check(a, with_changes(a, **kw))
    assert r.verdict is NE
    assert r.certificate is None and r.witness is not None and r.witness.message


def test_min_versus_max_with_identical_data_differs():  # ORGEval defect 1
    a = base()
    assert check(a, with_changes(a, sense=-1)).verdict is NE


@pytest.mark.parametrize(
    "ref,cand",
    [
        # x + y <= 5  vs  -x - y >= -5                               (defect 4)
        (dict(rows=[[1, 1]], lo=[-INF], hi=[5]), dict(rows=[[-1, -1]], lo=[-5], hi=[INF])),
        # x + y = 5  vs  -x - y = -5                                  (defect 4)
        (dict(rows=[[1, 1]], lo=[5], hi=[5]), dict(rows=[[-1, -1]], lo=[-5], hi=[-5])),
        # x - y = 0  vs  y - x = 0                                    (defect 4, sum of coefs 0)
        (dict(rows=[[1, -1]], lo=[0], hi=[0]), dict(rows=[[-1, 1]], lo=[0], hi=[0])),
        # 2x + 4y <= 6  vs  x + 2y <= 3  (positive row scaling)
        (dict(rows=[[2, 4]], lo=[-INF], hi=[6]), dict(rows=[[1, 2]], lo=[-INF], hi=[3])),
        # ranged row vs the pair of one-sided rows                    (defect 9)
        (
            dict(rows=[[1, 1]], lo=[1], hi=[5]),
            dict(rows=[[1, 1], [-1, -1]], lo=[-INF, -INF], hi=[5, -1]),
        ),
        # duplicate row
        (
            dict(rows=[[1, 1]], lo=[-INF], hi=[5]),
            dict(rows=[[1, 1], [2, 2]], lo=[-INF, -INF], hi=[5, 10]),
        ),
    ],
)
def test_presentation_variants_are_equivalent(ref, cand):
    a = milp(ref["rows"], [1, 2], lo=ref["lo"], hi=ref["hi"], lb=[-INF, -INF])
    b = milp(cand["rows"], [1, 2], lo=cand["lo"], hi=cand["hi"], lb=[-INF, -INF])
    r = check(a, b)
    assert r.verdict is EQ, r.reason


def test_negative_singleton_row_becomes_a_lower_bound():  # defect 3
    neg = milp([[-1, 0], [1, 1]], [1, 1], hi=[-3, 10], lb=[-INF, 0])  # -x <= -3
    ge = milp([[1, 0], [1, 1]], [1, 1], lo=[3, -INF], hi=[INF, 10], lb=[-INF, 0])  # x >= 3
    bound = milp([[1, 1]], [1, 1], hi=[10], lb=[3, 0])  # lb = 3
    wrong = milp([[1, 1]], [1, 1], hi=[10], lb=[-INF, 0], ub=[3, INF])  # x <= 3 (ORGEval)
    assert check(neg, ge).verdict is EQ
    assert check(neg, bound).verdict is EQ
    assert check(neg, wrong).verdict is NE
    cert = check(neg, bound).certificate
    assert cert.reference_bounds_from_rows == ("r0",)


def test_binary_equals_integer_in_zero_one_and_integer_bounds_are_rounded():  # defect 5
    a = milp([[1, 1]], [1, 1], hi=[1], integer=[True, True], ub=[1, 1])
    b = milp([[1, 1]], [1, 1], hi=[1], integer=[True, True], ub=[1.7, 1.0000000001])
    assert check(a, b).verdict is EQ


def test_isolated_variable_multisets_differ():  # defect 2: sets vs histograms
    a = milp([[0, 0, 0]], [1, 1, 2])  # labels {A, A, B}
    b = milp([[0, 0, 0]], [1, 2, 2])  # labels {A, B, B}
    r = check(a, b)
    assert r.verdict is NE
    assert r.witness.stage == "labels"
    assert {r.witness.reference_count, r.witness.candidate_count} == {1, 2}


def _two_copies(cross: bool):
    # min x1 + 2 x2 per copy, x1 + x2 <= 10, 2 x1 + 3 x2 >= 1; the candidate crosses the
    # >= rows between the copies (equivalence.md §3.4)
    rows = [[1, 1, 0, 0], [0, 0, 1, 1]]
    if cross:
        rows += [[0, 3, 2, 0], [2, 0, 0, 3]]
    else:
        rows += [[2, 3, 0, 0], [0, 0, 2, 3]]
    return milp(rows, [1, 2, 1, 2], lo=[-INF, -INF, 1, 1], hi=[10, 10, INF, INF])


def test_sd_counterexample_is_not_equivalent():
    r = check(_two_copies(False), _two_copies(True))
    assert r.verdict is NE
    assert r.witness.stage == "symmetric decomposition"
    assert check(_two_copies(True), _two_copies(False)).verdict is NE


def _cycle_rows(edges, n=6):
    return [[1 if j in e else 0 for j in range(n)] for e in edges]


def six_cycle():
    edges = [(i, (i + 1) % 6) for i in range(6)]
    return milp(_cycle_rows(edges), [0] * 6, lo=[1] * 6, hi=[1] * 6, integer=[True] * 6, ub=[1] * 6)


def two_triangles():
    edges = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)]
    return milp(_cycle_rows(edges), [0] * 6, lo=[1] * 6, hi=[1] * 6, integer=[True] * 6, ub=[1] * 6)


def test_six_cycle_versus_two_triangles_is_not_equivalent():
    r = check(six_cycle(), two_triangles())
    assert r.verdict is NE
    assert r.method == "search" and r.witness.stage == "search"


def test_six_cycle_against_its_permutation_needs_the_search_and_is_equivalent():
    a = six_cycle()
    r = check(a, permuted(a, seed=5, negate_objective=False))
    assert r.verdict is EQ and r.method == "search"
    assert r.certificate.search_nodes >= 1


def test_search_budget_gives_unknown_not_a_guess():
    r = check(six_cycle(), two_triangles(), max_search_nodes=0)
    assert r.verdict is Verdict.UNKNOWN
    assert "budget" in r.reason


def test_verifier_failure_yields_unknown(monkeypatch):
    monkeypatch.setattr(check_module, "verify_mapping", lambda *a, **k: (False, "forced"))
    r = check(base(), permuted(base(), seed=1))
    assert r.verdict is Verdict.UNKNOWN and r.certificate is None
    assert "re-verification" in r.reason


def test_witness_names_rows_and_counts():
    rows_a = [[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]
    rows_b = [[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 2]]
    a = milp(rows_a, [1, 1, 1, 1], hi=[10, 10, 10], row_names=["c1", "c2", "c3"])
    b = milp(rows_b, [1, 1, 1, 1], hi=[10, 10, 10], row_names=["d1", "d2", "d3"])
    r = check(a, b)
    assert r.verdict is NE
    w = r.witness
    # both sides, each in its own names and numbers, and what to look at
    assert "`c3: x2 + x3 <= 10`" in w.message and "`d3: x2 + 2 x3 <= 10`" in w.message
    assert "coefficient of x3 (1 vs 2)" in w.message
    assert w.reference_count == 3 and w.candidate_count == 2
    assert w.reference_examples_raw == ("c3",) and w.candidate_examples_raw == ("d3",)


def test_tolerance_clustering_and_exact_mode():
    a = milp([[1, 1]], [1, 1], hi=[0.1 + 0.2])
    b = milp([[1, 1]], [1, 1], hi=[0.3])  # 0.1 + 0.2 != 0.3 in binary floating point
    assert check(a, b).verdict is EQ
    assert check(a, b, exact=True).verdict is NE
    c = milp([[1, 1]], [1, 1], hi=[0.3 * (1 + 1e-6)])
    assert check(a, c).verdict is NE


def test_exact_mode_accepts_exact_row_multiples():
    a = milp([[3, 7]], [1, 1], hi=[11])
    b = milp([[9, 21]], [1, 1], hi=[33])
    assert check(a, b, exact=True).verdict is EQ


def test_check_instances_requires_every_instance():
    def ref(d):
        return milp([[1, 1]], [1, 1], hi=[d["a"] + d["b"]])

    def good(d):
        return milp([[2, 2]], [1, 1], hi=[2 * (d["b"] + d["a"])])

    def bad(d):  # a * b: agrees with a + b only on special data
        return milp([[1, 1]], [1, 1], hi=[d["a"] * d["b"]])

    data = [{"a": 2, "b": 2}, {"a": 3, "b": 5}, {"a": 1.5, "b": 7}]
    assert check(ref(data[0]), bad(data[0])).verdict is EQ  # the coincidence
    assert check_instances(ref, good, data).verdict is EQ
    r = check_instances(ref, bad, data)
    assert r.verdict is NE and r.reason.startswith("data instance 1")


def test_level_is_recorded_and_accepts_strings():
    assert check(base(), base(), level="normalized").level is Level.NORMALIZED
    with pytest.raises(ValueError):
        check(base(), base(), level="loose")


def test_result_is_frozen_and_serialisable():
    r = check(base(), permuted(base()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.verdict = Verdict.UNKNOWN  # type: ignore[misc]
    d = r.to_dict()
    assert d["verdict"] == "equivalent" and d["certificate"]["variables"]["x"] == "p_x"
    assert '"verdict": "equivalent"' in r.to_json()


def test_second_opinion_is_attached_as_weak_evidence():
    a = base()
    r = check(a, permuted(a), second_opinion=True)
    op = r.second_opinion
    assert op is not None and op.agree and op.reference_status == "Optimal"
    # different models with the same optimum: the solver agrees, the checker does not
    b = milp(
        [[1, 1, 0], [2, 0, -1], [0, 1, 1]],
        [3, 2, 1],
        lo=[-INF, 1, 4],
        hi=[20, INF, 4],
        integer=[False, True, False],
    )
    r2 = check(a, b, second_opinion=True)
    assert r2.verdict is NE and r2.second_opinion.agree


def test_certificate_number_comparison_handles_infinities_without_warnings():
    import warnings

    from optiscribe.verify._certify import _close

    a = np.array([np.inf, -np.inf, np.inf, 1.0, 1.0, 1e9, 0.0])
    b = np.array([np.inf, -np.inf, -np.inf, np.inf, 1.0 + 1e-13, 1e9 * (1 + 1e-6), 1e-11])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an inf - inf would warn
        got = _close(a, b, 1e-9)
    assert got.tolist() == [True, True, False, False, True, False, False]
