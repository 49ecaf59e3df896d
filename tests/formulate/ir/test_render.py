from __future__ import annotations

from typing import Any

from optiscribe.formulate.ir.model import Formulation
from optiscribe.formulate.ir.render import expr_to_latex, to_latex, to_markdown


def test_expression_latex() -> None:
    assert expr_to_latex("sum(c[i, j] * x[i, j] for (i, j) in A if i != j) <= 10") == (
        r"\sum_{(i, j) \in A : i \neq j} c_{i,j} \, x_{i,j} \le 10"
    )
    assert expr_to_latex("3 * (y[t - 1] + 2) / 4") == r"\frac{3 \, \left(y_{t - 1} + 2\right)}{4}"
    assert expr_to_latex("make['chair']") == r"\mathit{make}_{\text{chair}}"


def test_latex_document_has_every_constraint(base: dict[str, Any]) -> None:
    f = Formulation.from_dict(base)
    tex = to_latex(f)
    assert tex.startswith(r"\begin{align*}") and tex.endswith(r"\end{align*}")
    assert r"\max" in tex
    for c in f.constraints:
        assert c.name.replace("_", " ") in tex
    assert r"\forall\, t \in T : t > 1" in tex


def test_markdown_lists_five_elements_in_order(base: dict[str, Any]) -> None:
    md = to_markdown(Formulation.from_dict(base), math="code")
    heads = [line for line in md.splitlines() if line.startswith("## ")]
    assert heads == ["## Sets", "## Parameters", "## Variables", "## Objective", "## Constraints"]
    assert "`inv[t] == inv[t - 1] + demand[t]` for each `t in T` if `t > 1`" in md
    assert "$$" in to_markdown(Formulation.from_dict(base))


def test_binary_bounds_are_0_and_1_unless_tightened() -> None:
    f = Formulation.from_dict(
        {
            "name": "b",
            "variables": [
                {"name": "pick", "domain": "binary"},
                {"name": "must", "domain": "binary", "lower": 1},
            ],
            "objective": {"sense": "maximize", "expression": "pick + must"},
            "constraints": [],
        }
    )
    md = to_markdown(f)
    assert "| binary | [0, 1] |" in md and "| binary | [1, 1] |" in md and "inf" not in md
    tex = to_latex(f)
    assert r"\in \{0,1\}" in tex and r"\le" not in tex.split("pick")[-1].split(r"\\")[0]
