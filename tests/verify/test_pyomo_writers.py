"""Models written by Pyomo's LP/MPS writers: the objective-constant pseudo-column and
writer-mangled names (task: generated code's MPS against our IR compiled to Pyomo)."""

from __future__ import annotations

import json

import numpy as np
import pyomo.environ as pyo
import pytest
import scipy.sparse as sp

from optiscribe.verify import MilpData, Verdict, check, read_model
from optiscribe.verify._names import demangle, display_map, pyomo_label
from optiscribe.verify._read import fold_objective_constant


def small(constant: float = 7.0) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 5))
    m.o = pyo.Objective(expr=2 * m.x + constant)
    m.c = pyo.Constraint(expr=m.x >= 1)
    return m


def write(m: pyo.ConcreteModel, path) -> str:
    m.write(str(path), io_options={"symbolic_solver_labels": True})
    return str(path)


@pytest.fixture()
def exports(tmp_path):
    return write(small(), tmp_path / "m.mps"), write(small(), tmp_path / "m.lp")


@pytest.mark.parametrize("kind", ["mps", "lp"])
def test_objective_constant_column_is_folded_at_strict(exports, kind):
    path = exports[0] if kind == "mps" else exports[1]
    d = read_model(path)
    assert d.var_names == ("x",) and d.offset == 7.0
    assert "c_e_ONE_VAR_CONSTANT" not in d.row_names
    assert any("ONE_VAR_CONSTANT" in s for s in d.read_steps)
    r = check(small(), path)
    assert r.verdict is Verdict.EQUIVALENT
    assert r.certificate is not None and dict(r.certificate.variables) == {"x": "x"}
    assert any("candidate: objective constant 7" in s for s in r.steps)
    # a different constant is a different model
    r8 = check(small(8.0), path)
    assert r8.verdict is Verdict.NOT_EQUIVALENT
    assert r8.witness.stage == "objective constant"


def test_mps_and_lp_exports_agree_and_constants_differ(exports, tmp_path):
    mps, lp = exports
    r = check(mps, lp)
    assert r.verdict is Verdict.EQUIVALENT and r.certificate is not None
    other = write(small(8.0), tmp_path / "m8.lp")
    assert check(mps, other).verdict is Verdict.NOT_EQUIVALENT


def test_maximisation_constant_and_negative_constant(tmp_path):
    m = small(-3.5)
    m.o.sense = pyo.maximize
    path = write(m, tmp_path / "max.mps")
    assert read_model(path).offset == -3.5
    m2 = small(-3.5)
    m2.o.sense = pyo.maximize
    assert check(m2, path).verdict is Verdict.EQUIVALENT


def _with_column(A, lb, ub, names, rl, ru, rn):
    return MilpData.build(
        c=[2.0, 7.0],
        A=sp.csr_array(np.array(A, dtype=float)),
        row_lower=rl,
        row_upper=ru,
        col_lower=lb,
        col_upper=ub,
        var_names=names,
        row_names=rn,
    )


def test_only_the_exact_pattern_is_folded():
    # fixed at 1 by bounds, only in the objective: folded
    m = _with_column([[1.0, 0.0]], [0, 1], [5, 1], ["x", "ONE_VAR_CONSTANT"], [1], [np.inf], ["c"])
    f = fold_objective_constant(m)
    assert f.var_names == ("x",) and f.offset == 7.0
    # part of a real row: left alone
    m = _with_column([[1.0, 1.0]], [0, 1], [5, 1], ["x", "ONE_VAR_CONSTANT"], [1], [np.inf], ["c"])
    assert fold_objective_constant(m) is m
    # fixed at 2 by its bounds, only in the objective: any such column is a constant
    # (issue 11: Gurobi's `Constant`), folded as 7 * 2
    m = _with_column([[1.0, 0.0]], [0, 2], [5, 2], ["x", "ONE_VAR_CONSTANT"], [1], [np.inf], ["c"])
    f = fold_objective_constant(m)
    assert f.var_names == ("x",) and f.offset == 14.0
    # fixed at 2 by its own equality row (not at 1): left alone
    m = _with_column(
        [[1.0, 0.0], [0.0, 1.0]],
        [0, 0],
        [5, np.inf],
        ["x", "ONE_VAR_CONSTANT"],
        [1, 2],
        [np.inf, 2],
        ["c", "c_e_ONE_VAR_CONSTANT"],
    )
    assert fold_objective_constant(m) is m
    # not fixed at all: left alone
    m = _with_column(
        [[1.0, 0.0]], [0, 0], [5, np.inf], ["x", "ONE_VAR_CONSTANT"], [1], [np.inf], ["c"]
    )
    assert fold_objective_constant(m) is m
    # fixed by an equality row of its own (MPS shape), scaled: folded with the row
    m = _with_column(
        [[1.0, 0.0], [0.0, 3.0]],
        [0, 0],
        [5, np.inf],
        ["x", "ONE_VAR_CONSTANT"],
        [1, 3],
        [np.inf, 3],
        ["c", "c_e_ONE_VAR_CONSTANT"],
    )
    f = fold_objective_constant(m)
    assert f.var_names == ("x",) and f.row_names == ("c",) and f.offset == 7.0
    # a fixed objective-only column with another name is a constant too (issue 11), but a
    # fixed column that is in a row stays a variable at strict (normalized substitutes it)
    m = _with_column([[1.0, 0.0]], [0, 1], [5, 1], ["x", "y"], [1], [np.inf], ["c"])
    assert fold_objective_constant(m).var_names == ("x",)
    m = _with_column([[1.0, 1.0]], [0, 1], [5, 1], ["x", "y"], [1], [np.inf], ["c"])
    assert fold_objective_constant(m) is m
    plain = MilpData.build(
        c=[2.0],
        A=sp.csr_array(np.array([[1.0]])),
        row_lower=[0],
        row_upper=[np.inf],
        col_upper=[5],
        var_names=["x"],
        offset=7.0,
    )
    assert check(plain, m).verdict is Verdict.NOT_EQUIVALENT
    assert check(plain, m, level="normalized").verdict is Verdict.EQUIVALENT


# --------------------------------------------------------------------------- names


def test_demangle_patterns():
    assert demangle("c_l_need(S3)_", row=True) == "need[S3]"
    assert demangle("c_u_cap(wood)_", row=True) == "cap[wood]"
    assert demangle("c_e_bal(2)_", row=True) == "bal[2]"
    assert demangle("r_l_rng_", row=True) == "rng"
    assert demangle("r_u_rng(a)_", row=True) == "rng[a]"
    assert demangle("x(chairs)", row=False) == "x[chairs]"
    assert demangle("cap", row=True) is None
    assert demangle("x", row=False) is None
    assert demangle("x(a", row=False) is None
    assert pyomo_label("x[1,2]") == "x(1_2)"
    # the other model's exact spelling wins when it is the only one with that label
    names = display_map(["x(1_2)", "c_e_bal(a_b)_"], ["x[1,2]", "y"], row=False)
    assert names["x(1_2)"] == "x[1,2]"
    rows = display_map(["c_e_bal(a_b)_"], ["bal[a b]"], row=True)
    assert rows["c_e_bal(a_b)_"] == "bal[a b]"


def furniture(cap: float = 40.0) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.P = pyo.Set(initialize=["chairs", "tables"])
    m.S = pyo.Set(initialize=["S1", "S3"])
    m.x = pyo.Var(m.P, bounds=(0, 10))
    m.o = pyo.Objective(expr=30 * m.x["chairs"] + 70 * m.x["tables"] + 3, sense=pyo.maximize)
    m.cap = pyo.Constraint(["wood"], rule=lambda m, r: 2 * m.x["chairs"] + 5 * m.x["tables"] <= cap)
    m.need = pyo.Constraint(
        m.S, rule=lambda m, s: m.x["chairs"] + 3 * m.x["tables"] >= (1 if s == "S1" else 2)
    )
    m.bal = pyo.Constraint([2], rule=lambda m, i: m.x["chairs"] - 2 * m.x["tables"] == 1)
    m.rng = pyo.Constraint(expr=pyo.inequality(1, m.x["chairs"] + 4 * m.x["tables"], 30))
    return m


@pytest.mark.parametrize("kind", ["mps", "lp"])
def test_certificate_shows_pyomo_names(tmp_path, kind):
    path = write(furniture(), tmp_path / f"f.{kind}")
    r = check(furniture(), path)
    assert r.verdict is Verdict.EQUIVALENT
    cert = r.certificate
    # raw names stay in the data
    assert cert.variables["x[chairs]"] == "x(chairs)"
    assert [b for b, _ in cert.constraints["need[S3]"]] == ["c_l_need(S3)_"]
    assert {b for b, _ in cert.constraints["rng"]} == {"r_l_rng_", "r_u_rng_"}
    # demangled in the human-readable output
    text = "\n".join(cert.describe(limit=20))
    assert "x[chairs] -> x[chairs]" in text and "need[S3] -> need[S3]" in text
    assert "cap[wood] -> cap[wood]" in text and "bal[2] -> bal[2]" in text
    assert "c_l_" not in text and "(chairs)" not in text
    d = json.loads(r.to_json())["certificate"]
    assert d["candidate_names"]["c_l_need(S3)_"] == "need[S3]"
    assert d["variables"]["x[chairs]"] == "x(chairs)"


def test_witness_shows_pyomo_names_and_keeps_raw(tmp_path):
    path = write(furniture(), tmp_path / "f.mps")
    r = check(furniture(41.0), path)
    assert r.verdict is Verdict.NOT_EQUIVALENT
    w = r.witness
    shown = " ".join(w.reference_examples + w.candidate_examples)
    raw = w.reference_examples_raw + w.candidate_examples_raw
    assert "cap[wood]" in w.message and "x[chairs]" in w.message
    assert "c_u_" not in w.message and "(chairs)" not in w.message
    assert "cap[wood]" in shown
    assert "c_u_cap(wood)_" in raw
    assert json.loads(r.to_json())["witness"]["candidate_examples_raw"] == list(
        w.candidate_examples_raw
    )


def test_two_exports_show_demangled_names(tmp_path):
    a = write(furniture(), tmp_path / "a.mps")
    b = write(furniture(41.0), tmp_path / "b.lp")
    r = check(a, b)
    assert r.verdict is Verdict.NOT_EQUIVALENT
    assert "cap[wood]" in r.witness.message and "c_u_cap(wood)_" not in r.witness.message


# --------------------------------------------------------------------------- fast path


def test_discrete_mapping_failing_reverification_is_unknown_not_equivalent():
    """A discrete colouring goes straight to the independent re-verification; numbers that
    share a cluster (single linkage over a chain) but differ beyond the verification
    tolerance give UNKNOWN, never EQUIVALENT."""
    chain = 1.0 + np.arange(25) * 0.9e-9  # neighbours within rtol, ends 2.2e-8 apart
    n = chain.size
    A = sp.csr_array(np.eye(n) + np.eye(n, k=1))[: n - 1]
    costs = np.arange(1, n + 1, dtype=float)
    a = MilpData.build(
        c=costs,
        A=A,
        row_lower=np.full(n - 1, -np.inf),
        row_upper=chain[: n - 1],
        col_upper=np.full(n, 9.0),
    )
    rhs = chain[: n - 1].copy()
    rhs[0] = chain[-1]  # same cluster as chain[0], 2.2e-8 away
    b = MilpData.build(
        c=costs, A=A, row_lower=np.full(n - 1, -np.inf), row_upper=rhs, col_upper=np.full(n, 9.0)
    )
    r = check(a, b)
    assert r.verdict is Verdict.UNKNOWN and "re-verification" in r.reason
    assert r.method == "discrete"
    assert check(a, a).verdict is Verdict.EQUIVALENT


def test_certificate_mappings_are_plain_mappings():
    m = furniture()
    r = check(m, furniture())
    cert = r.certificate
    assert len(cert.variables) == 2 and dict(cert.variables)["x[chairs]"] == "x[chairs]"
    assert "rng" in cert.constraints and list(cert.constraints)  # iterable, sized
    assert cert.variable_index == tuple(range(2)) or sorted(cert.variable_index) == [0, 1]
    json.loads(r.to_json())


def test_certificate_mappings_pickle():
    import pickle

    cert = check(furniture(), furniture()).certificate
    back = pickle.loads(pickle.dumps(cert.variables))
    assert dict(back) == dict(cert.variables)
