"""The ``code_gurobipy`` mode: a prompt that asks for gurobipy, answers run on HiGHS through
the sandbox's gurobipy layer, with predefined ``data`` globals when the caller gives them."""

from __future__ import annotations

import pytest

from optiscribe.formulate import ScriptedBackend
from optiscribe.formulate.examples import load_example
from optiscribe.formulate.modes import MODES
from optiscribe.formulate.pipeline import solve_text
from optiscribe.formulate.prompting import PROMPT_VERSIONS, build_code_gurobipy_messages

FURNITURE = load_example("furniture")

ANSWER = """## Sets:
- Products P = {chair, table}
## Parameters:
- profit 30/50; carpentry 2/3 h (120); finishing 1/2 h (70); at most 30 tables
## Variables:
- x[p] pieces made, non-negative integers
## Objective:
Maximize 30 x[chair] + 50 x[table]
## Constraints:
- carpentry, finishing, tables

```python
import gurobipy as gp
from gurobipy import GRB

m = gp.Model("workshop")
m.Params.OutputFlag = 0
x = m.addVars(["chair", "table"], vtype=GRB.INTEGER, name="x")
m.addConstr(2 * x["chair"] + 3 * x["table"] <= CARPENTRY, name="carpentry")
m.addConstr(x["chair"] + 2 * x["table"] <= 70, name="finishing")
m.addConstr(x["table"] <= 30, name="tables")
m.setObjective(30 * x["chair"] + 50 * x["table"], GRB.MAXIMIZE)
m.optimize()
print(f"status: {m.Status}")
if m.Status == GRB.OPTIMAL:
    print(f"objective: {m.ObjVal}")
```
"""


def test_prompt_asks_for_gurobipy_and_the_printed_lines() -> None:
    (system, user) = build_code_gurobipy_messages("Make chairs.")
    assert "gurobipy" in system["content"]
    assert "import gurobipy as gp" in user["content"] and "Make chairs." in user["content"]
    assert 'print(f"objective: {m.ObjVal}")' in user["content"]  # braces survived formatting
    assert MODES["code_gurobipy"].prompt_version == PROMPT_VERSIONS["code_gurobipy"]


def test_gurobipy_answer_is_run_captured_and_solved_again() -> None:
    answer = ANSWER.replace("CARPENTRY", "120")
    result = solve_text(FURNITURE.text, backend=ScriptedBackend([answer]), mode="code_gurobipy")
    assert result.status == "optimal", result.message
    assert result.objective == pytest.approx(1900.0)
    assert result.mps is not None and "x[chair]" in result.mps and "carpentry" in result.mps
    assert result.values["x[chair]"] == pytest.approx(30.0)  # the captured MPS, solved again
    assert result.prompt_version == "code_gurobipy_v1"


def test_data_global_reaches_the_program() -> None:
    answer = ANSWER.replace("CARPENTRY", 'data["carpentry_hours"]')
    result = solve_text(
        FURNITURE.text,
        backend=ScriptedBackend([answer]),
        mode="code_gurobipy",
        code_globals={"data": {"carpentry_hours": 120}},
    )
    assert result.status == "optimal" and result.objective == pytest.approx(1900.0)


def test_unsupported_feature_is_sent_back_by_name() -> None:
    bad = ANSWER.replace("CARPENTRY", "120").replace(
        'm.setObjective(30 * x["chair"] + 50 * x["table"], GRB.MAXIMIZE)',
        'm.setObjective(x["chair"] * x["table"], GRB.MAXIMIZE)',
    )
    good = ANSWER.replace("CARPENTRY", "120")
    result = solve_text(
        FURNITURE.text, backend=ScriptedBackend([bad, good]), mode="code_gurobipy", max_rounds=2
    )
    assert result.status == "optimal"
    feedback = result.attempts[0].feedback or ""
    assert "unsupported: quadratic terms" in feedback
