"""The normalized level: slacks, objective variables, objective scaling, fixed variables."""

from __future__ import annotations

from optiscribe.verify import Verdict, check

from .conftest import INF, milp


def original():
    # min x + y  s.t.  2x + 3y >= 12,  x + y <= 10,  x, y >= 0
    return milp([[2, 3], [1, 1]], [1, 1], lo=[12, -INF], hi=[INF, 10], var_names=["x", "y"])


def test_slack_variables_are_accepted_only_at_normalized():
    # 2x + 3y - s1 = 12, x + y + s2 = 10, s >= 0
    slack = milp(
        [[2, 3, -1, 0], [1, 1, 0, 1]],
        [1, 1, 0, 0],
        lo=[12, 10],
        hi=[12, 10],
        var_names=["x", "y", "s1", "s2"],
    )
    assert check(original(), slack).verdict is Verdict.NOT_EQUIVALENT
    r = check(original(), slack, level="normalized")
    assert r.verdict is Verdict.EQUIVALENT, r.reason
    assert len(r.certificate.candidate_eliminated) == 2
    assert any("slack variables eliminated" in s for s in r.steps)


def test_objective_defining_variable_and_objective_scaling():
    # min z, z = x + y, z >= 0 (implied by x, y >= 0)
    objvar = milp(
        [[2, 3, 0], [1, 1, 0], [1, 1, -1]],
        [0, 0, 1],
        lo=[12, -INF, 0],
        hi=[INF, 10, 0],
        var_names=["x", "y", "z"],
    )
    scaled = milp([[2, 3], [1, 1]], [4, 4], lo=[12, -INF], hi=[INF, 10])
    for other in (objvar, scaled):
        assert check(original(), other).verdict is Verdict.NOT_EQUIVALENT
        assert check(original(), other, level="normalized").verdict is Verdict.EQUIVALENT


def test_normalized_never_merges_different_models():
    removed = milp([[2, 3]], [1, 1], lo=[12], hi=[INF])
    negscaled = milp([[2, 3], [1, 1]], [-2, -2], lo=[12, -INF], hi=[INF, 10])
    assert check(original(), removed, level="normalized").verdict is Verdict.NOT_EQUIVALENT
    assert check(original(), negscaled, level="normalized").verdict is Verdict.NOT_EQUIVALENT


def test_fixed_variables_are_substituted():
    fixed = milp(
        [[2, 3, 1], [1, 1, 0]],
        [1, 1, 5],
        lo=[14, -INF],
        hi=[INF, 10],
        lb=[0, 0, 2],
        ub=[INF, INF, 2],
    )  # f = 2: 2x + 3y + 2 >= 14
    base = milp([[2, 3], [1, 1]], [1, 1], lo=[12, -INF], hi=[INF, 10], offset=10)
    assert check(base, fixed).verdict is Verdict.NOT_EQUIVALENT
    assert check(base, fixed, level="normalized").verdict is Verdict.EQUIVALENT
