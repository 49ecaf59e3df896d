"""IR → Pyomo: names preserved, deterministic, MPS export that HiGHS reads back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyomo.environ as pyo

from optiscribe.formulate.ir.compile import write_mps
from optiscribe.formulate.ir.model import Formulation


def test_names_and_indices_are_preserved(base: dict[str, Any]) -> None:
    m = Formulation.from_dict(base).to_pyomo()
    names = {v.name for v in m.component_data_objects(pyo.Var)}
    assert {"make[chair]", "inv[2]", "flow[s,a]"} <= names
    cons = {c.name for c in m.component_data_objects(pyo.Constraint)}
    assert cons == {
        "capacity",
        "balance[2]",
        "balance[3]",
        "route[s,a]",
        "route[a,t]",
        "route[s,t]",
    }
    assert m.make["table"].domain is pyo.Integers
    assert m.flow["s", "t"].ub == 8
    assert m.objective.sense == pyo.maximize


def test_compile_is_deterministic(base: dict[str, Any], tmp_path: Path) -> None:
    a = write_mps(Formulation.from_dict(base).to_pyomo(), tmp_path / "a.mps").read_text()
    b = write_mps(Formulation.from_dict(base).to_pyomo(), tmp_path / "b.mps").read_text()
    assert a == b


def test_mps_reads_back_with_the_same_optimum(base: dict[str, Any], tmp_path: Path) -> None:
    from optiscribe.solvers import solve, solve_mps

    m = Formulation.from_dict(base).to_pyomo()
    direct = solve(m)
    path = write_mps(m, tmp_path / "m.mps")
    via_file = solve_mps(path)
    assert direct.is_optimal and via_file.is_optimal
    assert abs(direct.objective - via_file.objective) < 1e-6
