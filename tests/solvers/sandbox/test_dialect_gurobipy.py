"""The gurobipy dialect feature by feature, in-process (the layer module imported directly).

The sandbox integration (``import gurobipy`` resolving to the layer, capture, the
UNSUPPORTED outcome, hostile programs, equivalence of captured models) is in
``test_dialect_sandbox.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pytest

from optiscribe.solvers.sandbox.dialects import _grb as gp
from optiscribe.verify import Verdict, check, read_model

GRB = gp.GRB


@pytest.fixture(autouse=True)
def events(tmp_path: Path) -> Iterator[list[dict[str, Any]]]:
    """Collect the layer's channel events and captured MPS files for each test."""
    got: list[dict[str, Any]] = []
    gp.event_sink, gp.capture_dir = got.append, str(tmp_path / "models")
    saved = dict(gp._default_params._values)
    try:
        yield got
    finally:
        gp.event_sink, gp.capture_dir = None, None
        gp._default_params._values.clear()
        gp._default_params._values.update(saved)


def _model() -> gp.Model:
    m = gp.Model("t")
    m.Params.OutputFlag = 0
    return m


def _solves(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == "solve"]


def _mps(tmp_path: Path, ev: dict[str, Any]) -> Path:
    return tmp_path / "models" / ev["mps"]


# ---------------------------------------------------------------- variables and names


def test_addvars_keys_and_names_follow_gurobipy() -> None:
    m = _model()
    x = m.addVars(2, 3, name="x")
    assert list(x.keys()) == list(itertools.product(range(2), range(3)))
    arcs = gp.tuplelist([(1, "a"), (2, "b")])
    f = m.addVars(
        arcs, [0, 1], lb={(1, "a", 0): 2.0, (1, "a", 1): 0, (2, "b", 0): 0, (2, "b", 1): 0}
    )
    assert (1, "a", 0) in f and (2, "b", 1) in f  # tuple elements are flattened into the key
    y = m.addVars(["p", "q"], vtype=GRB.BINARY)
    z = m.addVar()
    m.update()
    assert x[1, 2].VarName == "x[1,2]" and x[1, 2].varname == "x[1,2]"  # case-insensitive
    assert f[1, "a", 0].LB == 2.0 and f[2, "b", 1].LB == 0.0
    assert y["p"].VType == GRB.BINARY and (y["p"].LB, y["p"].UB) == (0.0, 1.0)
    assert z.VarName == f"C{z.index}"  # Gurobi's default name for an unnamed variable
    assert m.NumVars == 6 + 4 + 2 + 1


def test_lazy_update_hides_pending_objects_like_gurobipy() -> None:
    m = _model()
    x = m.addVar(name="x")
    assert m.getVars() == [] and m.NumVars == 0
    with pytest.raises(AttributeError, match="Index out of range for attribute 'VarName'"):
        _ = x.VarName
    with pytest.raises(gp.GurobiError, match="No variable names"):
        m.getVarByName("x")
    m.update()
    assert m.getVars() == [x] and m.getVarByName("x") is x
    c = m.addConstr(x <= 1, name="c")
    assert m.getConstrs() == []
    m.optimize()  # optimize() updates, as in gurobipy
    assert m.getConstrs() == [c] and c.ConstrName == "c"


def test_addconstrs_keys_are_the_generator_loop_variables() -> None:
    m = _model()
    x = m.addVars(3, 3, name="x")
    c = m.addConstrs((x[i, j] <= i + j for i in range(3) for j in range(3) if i != j), name="cap")
    assert sorted(c) == [(i, j) for i in range(3) for j in range(3) if i != j]
    one = m.addConstrs((x[i, i] >= 1 for i in range(3)), name="diag")
    m.update()
    assert list(one) == [0, 1, 2]
    assert c[2, 0].ConstrName == "cap[2,0]" and c[2, 0].RHS == 2.0 and c[2, 0].Sense == "<"
    assert one[1].ConstrName == "diag[1]"


# ---------------------------------------------------------------- expressions


def test_linear_expressions_numbers_numpy_and_sums() -> None:
    m = _model()
    x = m.addVars(3, ub=10, name="x")
    e = np.float64(2.0) * x[0] + np.int64(3) * x[1] - x[2] / 2 + 5
    assert isinstance(e, gp.LinExpr) and e.size() == 3 and e.getConstant() == 5.0
    s = sum(x[i] for i in range(3))  # Python's sum starts from 0
    q = gp.quicksum(x[i] for i in range(3))
    assert [s.getCoeff(i) for i in range(3)] == [q.getCoeff(i) for i in range(3)] == [1.0] * 3
    le = gp.LinExpr([1.0, 2.0], [x[0], x[1]])
    le.addTerms(3.0, x[2])
    le += 1
    assert [le.getCoeff(i) for i in range(3)] == [1.0, 2.0, 3.0] and le.getConstant() == 1.0
    assert gp.quicksum(x).size() == 3  # quicksum of a tupledict sums its values
    with pytest.raises(TypeError):
        gp.quicksum(["a"])
    with pytest.raises(gp.GurobiError, match="no bool value"):
        _ = 0 <= x[0] <= 1  # a chained comparison would silently drop a bound


def test_tupledict_sum_prod_select_with_wildcards() -> None:
    m = _model()
    x = m.addVars(["a", "b"], [1, 2], name="x")
    assert x.sum("a", "*").size() == 2 and x.sum("*", 2).size() == 2
    assert x.sum().size() == 4 and len(x.select("b", "*")) == 2
    cost = {("a", 1): 3.0, ("b", 2): 4.0}
    p = x.prod(cost)
    assert p.size() == 2 and sorted(p.getCoeff(i) for i in range(2)) == [3.0, 4.0]
    assert x.prod(cost, "a", "*").size() == 1


# ---------------------------------------------------------------- solving and attributes


def test_optimal_mip_with_objective_constant(events: list[dict[str, Any]], tmp_path: Path) -> None:
    m = _model()
    x = m.addVars(3, vtype=GRB.INTEGER, ub=5, name="x")
    m.addConstrs((x[i] + x[(i + 1) % 3] <= 7 for i in range(3)), name="pair")
    m.setObjective(gp.quicksum((i + 1) * x[i] for i in range(3)) + 2, GRB.MAXIMIZE)
    m.optimize()
    assert m.Status == GRB.OPTIMAL == m.status and m.ObjVal == pytest.approx(23.0) == m.objVal
    assert [v.X for v in m.getVars()] == pytest.approx([2.0, 2.0, 5.0]) and x[2].x == 5.0
    assert m.getAttr("X", x) == {0: 2.0, 1: 2.0, 2: 5.0} and m.SolCount == 1 and m.IsMIP == 1
    assert m.getObjective().getValue() == pytest.approx(23.0)
    (ev,) = _solves(events)
    assert (ev["api"], ev["termination"], ev["objective"]) == ("gurobipy", "optimal", 23.0)
    assert ev["values"] == {"x[0]": 2.0, "x[1]": 2.0, "x[2]": 5.0}
    # the captured model keeps the program's names and solves to the same optimum
    text = _mps(tmp_path, ev).read_text()
    assert "pair[1]" in text and "x[2]" in text and "MAX" in text
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(_mps(tmp_path, ev)))
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(23.0)


@pytest.mark.parametrize(
    ("build", "status"),
    [
        (lambda m, x: (m.addConstr(x >= 2), m.addConstr(x <= 1)), GRB.INFEASIBLE),
        (lambda m, x: m.setObjective(x, GRB.MAXIMIZE), GRB.UNBOUNDED),
    ],
    ids=["infeasible", "unbounded"],
)
def test_statuses_use_gurobi_codes_and_objval_is_unavailable(build: Any, status: int) -> None:
    m = _model()
    x = m.addVar(name="x")
    build(m, x)
    m.optimize()
    assert m.Status == status and m.SolCount == 0
    with pytest.raises(AttributeError, match="Unable to retrieve attribute 'ObjVal'"):
        _ = m.ObjVal
    with pytest.raises(AttributeError):
        _ = x.X


def test_params_are_case_insensitive_translated_or_reported(events: list[dict[str, Any]]) -> None:
    m = _model()
    m.Params.timelimit = 5
    m.setParam("MIPGap", 0.01)
    m.setParam(GRB.Param.Threads, 2)
    assert m.Params.TimeLimit == 5 and m.Params.MIPGAP == 0.01 and m.Params.Seed == 0
    with pytest.raises(gp.GurobiError, match="Unknown parameter 'NoSuchParam'"):
        m.Params.NoSuchParam = 1
    gp.setParam("Presolve", 0)  # the default environment: later models inherit it
    m2 = gp.Model()
    assert m2.Params.Presolve == 0
    x = m.addVar(vtype=GRB.INTEGER, ub=3)
    m.setObjective(x, GRB.MAXIMIZE)
    m.optimize()
    (ev,) = _solves(events)
    assert ev["ignored_options"] == ["Threads"]  # TimeLimit/MIPGap translated, OutputFlag quiet
    h, _ = m._highs()
    assert h.getOptionValue("time_limit")[1] == 5.0
    assert h.getOptionValue("mip_rel_gap")[1] == 0.01


def test_remove_write_and_copy(tmp_path: Path) -> None:
    m = _model()
    x = m.addVars(2, name="x")
    c = m.addConstr(x[0] + x[1] <= 4, name="cap")
    m.addConstr(x[0] <= 1, name="lim")
    m.setObjective(x[0] + 2 * x[1], GRB.MAXIMIZE)
    m.update()
    m.remove(c)
    m.addConstr(x[1] <= 2, name="lim2")
    m.optimize()
    assert m.ObjVal == pytest.approx(5.0) and [k.ConstrName for k in m.getConstrs()] == [
        "lim",
        "lim2",
    ]
    m.write(str(tmp_path / "m.lp"))
    m.write(str(tmp_path / "m.mps"))
    assert "lim2" in (tmp_path / "m.mps").read_text()
    assert read_model(tmp_path / "m.mps").num_vars == 2
    m2 = m.copy()
    m2.optimize()
    assert m2.ObjVal == pytest.approx(5.0)


def test_mps_names_with_spaces_and_duplicates_stay_readable(
    events: list[dict[str, Any]], tmp_path: Path
) -> None:
    m = _model()
    a = m.addVar(name="flow a")
    b = m.addVar(name="flow a")  # gurobipy allows duplicate names; MPS does not
    m.addConstr(a + b >= 1, name="demand")
    m.setObjective(a + 2 * b)
    m.optimize()
    text = _mps(tmp_path, _solves(events)[0]).read_text()
    assert "flow_a" in text and "flow_a~2" in text
    assert read_model(_mps(tmp_path, _solves(events)[0])).num_vars == 2


# ---------------------------------------------------------------- indicator constraints


@pytest.mark.parametrize("value", [0, 1])
@pytest.mark.parametrize("sense", ["<=", ">=", "=="])
def test_indicator_linearisation_is_exact_with_finite_bounds(value: int, sense: str) -> None:
    """The indicator model's optimum equals the best of the two cases solved separately."""

    def build(fix: int | None) -> float | None:
        m = _model()
        b = m.addVar(vtype=GRB.BINARY, name="b")
        x = m.addVar(lb=-3, ub=8, name="x")
        y = m.addVar(lb=0, ub=5, name="y")
        implied = {"<=": x + y <= 4, ">=": x - y >= 2, "==": x + y == 3}[sense]
        if fix is None:
            m.addConstr((b == value) >> implied, name="ind")
        else:
            m.addConstr(b == fix)
            if fix == value:
                m.addConstr(implied)
        m.setObjective(2 * x + y - 3 * b, GRB.MAXIMIZE)
        m.optimize()
        return m.ObjVal if m.Status == GRB.OPTIMAL else None

    cases = [v for v in (build(0), build(1)) if v is not None]
    assert build(None) == pytest.approx(max(cases))


def test_indicator_via_addgenconstrindicator_and_unbounded_refused(
    events: list[dict[str, Any]],
) -> None:
    m = _model()
    b = m.addVar(vtype=GRB.BINARY)
    x = m.addVar(ub=10)
    m.addGenConstrIndicator(b, True, x, GRB.LESS_EQUAL, 2.0, name="gi")
    m.setObjective(x + 20 * b, GRB.MAXIMIZE)
    m.optimize()
    assert m.ObjVal == pytest.approx(22.0)
    free = m.addVar(ub=GRB.INFINITY)
    with pytest.raises(gp.UnsupportedFeature, match="indicator constraints with unbounded"):
        m.addConstr((b == 1) >> (free <= 3))
    assert events[-1] == {
        "event": "unsupported",
        "feature": "indicator constraints with unbounded variables",
        "api": "gurobipy",
    }


# ---------------------------------------------------------------- never silently wrong


def _quad(m: gp.Model, x: Any, y: Any) -> Any:
    return m.setObjective(x * y)


UNSUPPORTED: list[tuple[str, Any]] = [
    ("quadratic terms", _quad),
    ("quadratic terms", lambda m, x, y: m.addConstr(x**2 <= 4)),
    ("quadratic terms", lambda m, x, y: gp.QuadExpr()),
    ("general constraint max_", lambda m, x, y: m.addConstr(y == gp.max_(x, 3))),
    ("general constraint min_", lambda m, x, y: m.addConstr(y == gp.min_([x], constant=2))),
    ("general constraint abs_", lambda m, x, y: m.addConstr(y >= gp.abs_(x))),
    ("general constraint and_", lambda m, x, y: m.addConstr(y == gp.and_(x, y))),
    ("general constraint or_", lambda m, x, y: m.addConstr(y == gp.or_(x, y))),
    ("general constraint max_", lambda m, x, y: m.addGenConstrMax(y, [x])),
    ("SOS constraints", lambda m, x, y: m.addSOS(GRB.SOS_TYPE1, [x, y])),
    ("callbacks", lambda m, x, y: m.optimize(lambda model, where: None)),
    ("multiple objectives (setObjectiveN)", lambda m, x, y: m.setObjectiveN(x, 0)),
    ("matrix API (addMVar / MLinExpr)", lambda m, x, y: m.addMVar(3)),
    ("semi-continuous variables", lambda m, x, y: m.addVar(vtype=GRB.SEMICONT)),
    ("division by a variable", lambda m, x, y: 1 / x),
    ("computeIIS (irreducible infeasible subsystem)", lambda m, x, y: m.computeIIS()),
    ("range constraints (addRange)", lambda m, x, y: m.addRange(x + y, 1, 2)),
]


@pytest.mark.parametrize(("feature", "use"), UNSUPPORTED, ids=[f for f, _ in UNSUPPORTED])
def test_unsupported_features_are_refused_by_name(
    events: list[dict[str, Any]], feature: str, use: Any
) -> None:
    m = _model()
    x, y = m.addVar(ub=5), m.addVar(ub=5)
    with pytest.raises(gp.UnsupportedFeature) as info:
        use(m, x, y)
    assert info.value.feature == feature and str(info.value).startswith(f"unsupported: {feature}")
    assert {"event": "unsupported", "feature": feature, "api": "gurobipy"} in events
    assert _solves(events) == []  # nothing was solved with an approximation


def test_duals_are_refused_not_guessed(events: list[dict[str, Any]]) -> None:
    m = _model()
    x = m.addVar(ub=3)
    c = m.addConstr(x <= 2)
    m.setObjective(x, GRB.MAXIMIZE)
    m.optimize()
    assert c.Slack == pytest.approx(0.0)
    with pytest.raises(gp.UnsupportedFeature, match="attribute Pi"):
        _ = c.Pi
    with pytest.raises(gp.UnsupportedFeature, match="attribute RC"):
        _ = x.RC


def test_captured_model_is_equivalent_to_one_built_by_hand(
    events: list[dict[str, Any]], tmp_path: Path
) -> None:
    """verify reads the capture, and finds it the same model as a hand-written MPS."""
    m = _model()
    x = m.addVars(["a", "b"], vtype=GRB.INTEGER, ub=9, name="x")
    m.addConstr(2 * x["a"] + 3 * x["b"] <= 12, name="cap")
    m.setObjective(x["a"] + x["b"], GRB.MAXIMIZE)
    m.optimize()
    ref = tmp_path / "ref.lp"
    ref.write_text(
        "Maximize\n obj: u + v\nSubject To\n c1: 3 v + 2 u <= 12\n"
        "Bounds\n 0 <= u <= 9\n 0 <= v <= 9\nGeneral\n u v\nEnd\n"
    )
    res = check(ref, _mps(tmp_path, _solves(events)[0]))
    assert res.verdict is Verdict.EQUIVALENT, res


def test_attribute_constants_work_with_getattr() -> None:
    m = _model()
    x = m.addVars(2, ub=1, name="x")
    m.setObjective(x.sum(), GRB.MAXIMIZE)
    m.optimize()
    assert m.getAttr(GRB.Attr.X, x) == {0: 1.0, 1: 1.0}
    assert m.getAttr(GRB.Attr.ObjVal) == 2.0 and m.getAttr(GRB.Attr.Status) == GRB.OPTIMAL
