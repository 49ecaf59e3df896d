"""Semantic validation: each message names the place and the next step."""

from __future__ import annotations

from typing import Any

import pytest

from optiscribe.formulate.errors import FormulationValidationError
from optiscribe.formulate.ir.model import Formulation


def issues_of(d: dict[str, Any]) -> list[str]:
    with pytest.raises(FormulationValidationError) as err:
        Formulation.from_dict(d).expand()
    return [str(i) for i in err.value.issues]


def test_valid_model_expands_to_expected_rows(base: dict[str, Any]) -> None:
    em = Formulation.from_dict(base).expand()
    # capacity (1) + balance for t=2,3 (2) + route over 3 arcs (3)
    assert em.num_rows == 6
    assert em.constraint_keys["balance"] == ((2,), (3,))
    bal2 = next(r for r in em.rows if r.name == "balance" and r.key == (2,))
    assert dict(bal2.terms) == {("inv", (2,)): 1.0, ("inv", (1,)): -1.0}
    assert bal2.lo == bal2.hi == 7.0
    assert em.bounds[("flow", ("s", "a"))] == (0.0, 8.0)
    assert dict(em.objective.terms)[("make", ("table",))] == 50.0


def test_unknown_name_suggests_a_close_one(base: dict[str, Any]) -> None:
    base["objective"]["expression"] = "sum(proft[p] * make[p] for p in P)"
    [msg] = issues_of(base)
    assert msg.startswith("objective.expression")
    assert "unknown parameter or variable 'proft'; did you mean 'profit'?" in msg
    assert "`proft`" in msg  # the place


def test_unquoted_element_is_explained(base: dict[str, Any]) -> None:
    base["constraints"][0]["expression"] = "make[chair] <= 4"
    [msg] = issues_of(base)
    assert "element of set 'P', so quote it: 'chair'" in msg


def test_wrong_index_arity(base: dict[str, Any]) -> None:
    base["constraints"][0]["expression"] = "make['chair', 1] <= 4"
    [msg] = issues_of(base)
    assert "variable 'make' takes 1 index value(s) (over P), but 2 were given" in msg


def test_key_not_in_set_names_the_binding(base: dict[str, Any]) -> None:
    base["constraints"][1]["condition"] = None  # t = 1 now reaches inv[0]
    [msg] = issues_of(base)
    assert msg.startswith("constraints[1] 'balance'.expression")
    assert "the index 0 is not in set 'T'" in msg
    assert "[at t=1]" in msg
    assert "if t > 1" in msg


def test_missing_table_entries_are_listed(base: dict[str, Any]) -> None:
    del base["parameters"][1]["values"]["2"]
    msgs = issues_of(base)
    assert any(
        "parameters[1] 'demand'" in m and "misses 1 entry: (2)" in m and "default" in m
        for m in msgs
    )


def test_sparse_table_with_default_is_fine(base: dict[str, Any]) -> None:
    del base["parameters"][1]["values"]["2"]
    base["parameters"][1]["default"] = 0
    Formulation.from_dict(base).expand()


def test_table_key_outside_set(base: dict[str, Any]) -> None:
    base["parameters"][0]["values"]["sofa"] = 3
    assert any("key 'sofa' is not an element of set 'P'" in m for m in issues_of(base))


def test_missing_comparison(base: dict[str, Any]) -> None:
    base["constraints"][0]["expression"] = "sum(make[p] for p in P)"
    [msg] = issues_of(base)
    assert "needs one comparison" in msg


def test_strict_inequality_is_not_milp(base: dict[str, Any]) -> None:
    base["constraints"][0]["expression"] = "sum(make[p] for p in P) < cap"
    [msg] = issues_of(base)
    assert "strict inequalities" in msg


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        (
            "make['chair'] * make['table'] <= 4",
            "product of two expressions with decision variables",
        ),
        ("cap / make['chair'] <= 4", "division by an expression with decision variables"),
        ("make['chair'] ** 2 <= 4", "power of an expression with decision variables"),
        ("abs(make['chair']) <= 4", "abs() of decision variables"),
        ("max(make['chair'], 2) <= 4", "max() of decision variables"),
    ],
)
def test_nonlinear_terms_are_not_milp_with_place(
    base: dict[str, Any], expression: str, fragment: str
) -> None:
    base["constraints"][0]["expression"] = expression
    with pytest.raises(FormulationValidationError) as err:
        Formulation.from_dict(base).expand()
    [issue] = err.value.issues
    assert issue.kind == "not_milp"
    assert "not a MILP" in issue.message and fragment in issue.message
    assert "at column" in issue.message


def test_all_issues_are_reported_at_once(base: dict[str, Any]) -> None:
    base["objective"]["expression"] = "sum(profit[p] * mak[p] for p in P)"
    base["constraints"][0]["expression"] = "make['chair'] * make['table'] <= 4"
    base["variables"][1]["index"] = ["TT"]
    msgs = issues_of(base)
    assert len(msgs) >= 3
    assert any("unknown set 'TT'; did you mean 'T'" in m for m in msgs)


def test_constant_infeasible_row_is_reported(base: dict[str, Any]) -> None:
    base["constraints"].append({"name": "bad", "expression": "cap <= 3"})
    [msg] = issues_of(base)
    assert "can never hold" in msg


def test_constant_true_row_becomes_a_note(base: dict[str, Any]) -> None:
    base["constraints"].append({"name": "trivial", "expression": "cap >= 3"})
    em = Formulation.from_dict(base).expand()
    assert any("trivial" in n and "always holds" in n for n in em.notes)


def test_ranges_ifexp_and_membership(base: dict[str, Any]) -> None:
    base["constraints"] += [
        {"name": "band", "expression": "2 <= make['chair'] + make['table'] <= cap"},
        {
            "name": "init",
            "for_each": "t in T",
            "expression": "inv[t] >= (demand[t] if t == 1 else 0)",
        },
        {
            "name": "only_arcs",
            "for_each": "i in P",
            "condition": "('s', 'a') in ARCS and i != 'table'",
            "expression": "make[i] >= 1",
        },
    ]
    em = Formulation.from_dict(base).expand()
    band = next(r for r in em.rows if r.name == "band")
    assert (band.lo, band.hi) == (2.0, 10.0)
    assert em.constraint_keys["only_arcs"] == (("chair",),)


def test_parameter_table_forms(base: dict[str, Any]) -> None:
    base["parameters"][0]["values"] = [30, 50]  # flat list in set order
    base["parameters"].append({"name": "m", "index": ["P", "T"], "values": [[1, 2, 3], [4, 5, 6]]})
    base["parameters"].append(
        {
            "name": "r",
            "index": ["P", "T"],
            "values": [
                ["chair", 1, 1],
                ["chair", 2, 1],
                ["chair", 3, 1],
                ["table", 1, 2],
                ["table", 2, 2],
                ["table", 3, 2],
            ],
        }
    )
    base["constraints"].append(
        {"name": "uses", "expression": "m['table', 3] * make['table'] + r['table', 1] <= 100"}
    )
    em = Formulation.from_dict(base).expand()
    uses = next(r for r in em.rows if r.name == "uses")
    assert dict(uses.terms) == {("make", ("table",)): 6.0}
    assert uses.hi == 98.0


def test_parameter_bound_must_match_index(base: dict[str, Any]) -> None:
    base["variables"][0]["upper"] = "demand"
    [msg] = issues_of(base)
    assert "upper bound parameter 'demand' is indexed by (T) but the variable by (P)" in msg
    base["variables"][0]["upper"] = "profit"
    base["variables"][0]["lower"] = 0
    em = Formulation.from_dict(base).expand()
    assert em.bounds[("make", ("table",))] == (0.0, 50.0)


def test_index_name_shadowing_is_refused(base: dict[str, Any]) -> None:
    base["objective"]["expression"] = "sum(make[cap] for cap in P)"
    [msg] = issues_of(base)
    assert "hides the declared parameter 'cap'" in msg


def test_unknown_bound_parameter_suggests_a_close_one(base: dict[str, Any]) -> None:
    base["variables"][0]["upper"] = "proft"
    [msg] = issues_of(base)
    assert "upper bound 'proft' is neither a number nor a parameter; did you mean 'profit'?" in msg
