"""The normalized level: slacks, objective variables, objective scaling, fixed variables."""

from __future__ import annotations

from optiscribe.verify import Verdict, check, read_model

from .conftest import HIGHS_CHECK, INF, milp, need, permuted


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


def test_slack_only_row_is_reduced_the_same_way_in_any_column_order():
    # s1 + s2 = 5 with s1 in [0, 4], s2 in [0, 3]: eliminated one at a time, the second
    # slack survived with the bounds the first one left it ([1, 3] or [2, 4]), so the
    # verdict depended on which came first; both go now, with the row
    rows = [[2, 3, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]]
    kw = dict(lo=[12, -INF, 5], hi=[INF, 10, 5], ub=[INF, INF, 4, 3])
    a = milp(rows, [1, 1, 0, 0], **kw, var_names=["x", "y", "s1", "s2"])
    b = milp(
        [[r[1], r[0], r[3], r[2]] for r in rows],
        [1, 1, 0, 0],
        lo=kw["lo"],
        hi=kw["hi"],
        ub=[INF, INF, 3, 4],
        var_names=["y", "x", "s2", "s1"],
    )
    r = check(a, b, level="normalized")
    assert r.verdict is Verdict.EQUIVALENT, r.reason
    assert len(r.certificate.reference_eliminated) == 2
    assert check(original(), a, level="normalized").verdict is Verdict.EQUIVALENT
    # a slack-only row that cannot be met (s1 + s2 = 9 > 4 + 3) is never dropped
    bad = milp(rows, [1, 1, 0, 0], lo=[12, -INF, 9], hi=[INF, 10, 9], ub=kw["ub"])
    assert check(original(), bad, level="normalized").verdict is Verdict.NOT_EQUIVALENT


def test_instance_with_many_slacks_against_its_permuted_copies_at_both_levels():
    # issue-2388.lp has rows of several slacks: its permuted copies were NOT_EQUIVALENT
    # at normalized when the slacks were eliminated in column order
    path = need(HIGHS_CHECK / "issue-2388.lp")
    m = read_model(path)
    for seed in range(4):
        for scaled in (False, True):
            p = permuted(m, seed, scale=scaled, flip=scaled, negate_objective=scaled)
            for level in ("strict", "normalized"):
                r = check(m, p, level=level)
                assert r.verdict is Verdict.EQUIVALENT, (seed, scaled, level, r.reason)
