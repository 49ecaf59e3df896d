"""The coptpy dialect in-process: COPT's names, codes and parameters over the gurobipy layer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from optiscribe.solvers.sandbox.dialects import _copt as cp
from optiscribe.solvers.sandbox.dialects import _grb

COPT = cp.COPT


@pytest.fixture(autouse=True)
def events(tmp_path: Path) -> Iterator[list[dict[str, Any]]]:
    got: list[dict[str, Any]] = []
    _grb.event_sink, _grb.capture_dir = got.append, str(tmp_path)
    try:
        yield got
    finally:
        _grb.event_sink, _grb.capture_dir = None, None


def _model() -> cp.Model:
    m = cp.Envr().createModel("t")
    m.setParam(COPT.Param.Logging, 0)
    return m


def test_copt_names_statuses_and_values(events: list[dict[str, Any]], tmp_path: Path) -> None:
    m = _model()
    x = m.addVars(2, 2, vtype=COPT.INTEGER, ub=4, nameprefix="x")
    rows = m.addConstrs((x[i, 0] + x[i, 1] <= 5 for i in range(2)), nameprefix="row")
    y = m.addVar(lb=0, ub=3, name="y")
    m.addConstr(y + x[0, 0], COPT.GREATER_EQUAL, 1, "link")
    m.setObjective(x.sum() + 2 * y, sense=COPT.MAXIMIZE)
    m.solve()
    assert m.status == COPT.OPTIMAL and m.objval == pytest.approx(16.0)
    assert m.getAttr(COPT.Attr.BestObj) == pytest.approx(16.0) and m.getAttr("HasMipSol") == 1
    assert x[0, 1].getName() == "x(0,1)" and rows[1].getName() == "row(1)" and y.name == "y"
    assert y.x == pytest.approx(3.0) and y.getInfo(COPT.Info.Value) == pytest.approx(3.0)
    assert len(m.getVars()) == 5  # no lazy update in COPT
    (ev,) = [e for e in events if e["event"] == "solve"]
    assert (ev["api"], ev["requested_solver"]) == ("coptpy", "copt")
    assert "row(0)" in (tmp_path / ev["mps"]).read_text()


def test_copt_infeasible_code_and_objval_error() -> None:
    m = _model()
    x = m.addVar(ub=1)
    m.addConstr(x >= 2)
    m.solve()
    assert m.status == COPT.INFEASIBLE == 2
    with pytest.raises(cp.CoptError, match="no solution"):
        _ = m.objval


def test_copt_parameters_translate_and_unknown_ones_fail() -> None:
    m = _model()
    m.setParam(COPT.Param.TimeLimit, 7)
    m.setParam("RelGap", 0.05)
    assert m.getParam("TimeLimit") == 7 and m.Params.MIPGap == 0.05
    with pytest.raises(cp.CoptError, match="unknown parameter 'Bogus'"):
        m.setParam("Bogus", 1)


def test_copt_refuses_quadratic_terms_by_name(events: list[dict[str, Any]]) -> None:
    m = _model()
    x = m.addVar()
    with pytest.raises(cp.UnsupportedFeature, match="unsupported: quadratic terms"):
        m.setObjective(x * x)
