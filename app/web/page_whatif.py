"""What-if page: change parameter values, re-solve, and compare scenarios side by side.

Each scenario is the current model with one parameter table replaced
(:func:`optiscribe.formulate.ir.edit.with_parameter_entries`), solved with
:func:`optiscribe.solvers.solve`. Scenarios live for the session and export as CSV/JSON.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from optiscribe.app.web._common import job_view, need_model, start_job
from optiscribe.app.web._jobs import JobControl
from optiscribe.formulate.ir.edit import (
    parameter_columns,
    parameter_entries,
    with_parameter_entries,
)
from optiscribe.solvers import solve


def solve_scenario(f: Any, name: str, changes: dict[str, list[Any]]) -> dict[str, Any]:
    """Solve ``f`` with ``changes`` (parameter -> entries); a plain-data scenario record."""
    g = f
    for param, entries in changes.items():
        g = with_parameter_entries(g, param, entries)
    r = solve(g.to_pyomo())
    return {
        "name": name,
        "changes": {p: [[list(k), v] for k, v in e] for p, e in changes.items()},
        "status": r.termination.value,
        "objective": r.objective,
        "values": dict(r.values) if r.has_solution else {},
    }


def comparison(scenarios: list[dict[str, Any]], tol: float = 1e-9) -> Any:
    """Objective and every variable whose value differs between scenarios, one column each."""
    # lazy: heavy optional library (the app extra), only for this table or chart
    import pandas as pd

    names = [s["name"] for s in scenarios]
    rows = {"objective": [s["objective"] for s in scenarios]}
    keys: list[str] = []
    for s in scenarios:
        keys += [k for k in s["values"] if k not in keys]
    for k in keys:
        vals = [s["values"].get(k) for s in scenarios]
        nums = [v for v in vals if v is not None]
        if nums and (max(nums) - min(nums) > tol or len(nums) != len(vals)):
            rows[k] = vals
    return pd.DataFrame.from_dict(rows, orient="index", columns=names)


def render() -> None:
    # lazy: heavy optional library (the app extra), only for this table or chart
    import pandas as pd

    st.header("What-if scenarios")
    f = need_model()
    if f is None:
        return

    scenarios: list[dict[str, Any]] = st.session_state.setdefault("whatif_scenarios", [])
    if not scenarios:
        scenarios.append(solve_scenario(f, "base", {}))
    if not f.parameters:
        st.info("This model has no parameters to change.")
        return
    ver = st.session_state.get("model_version", 0)
    c1, c2 = st.columns([1, 1])
    param = c1.selectbox("Parameter to change", [p.name for p in f.parameters], key="whatif_param")
    name = c2.text_input("Scenario name", f"scenario {len(scenarios)}", key="whatif_name")
    cols = parameter_columns(f, param)
    base = pd.DataFrame([[*k, v] for k, v in parameter_entries(f, param)], columns=cols)
    edited = st.data_editor(
        base,
        key=f"whatif_table_{ver}_{param}",
        disabled=cols[:-1],
        hide_index=True,
        num_rows="fixed",
    )
    changed = sum(
        1 for a, b in zip(base.itertuples(index=False), edited.itertuples(index=False)) if a != b
    )
    st.caption(
        f"{changed} value(s) differ from the model."
        if changed
        else "Edit values in the table, then solve the scenario."
    )
    if st.button("Solve scenario", key="whatif_run", type="primary"):
        entries = [(tuple(r[:-1]), r[-1]) for r in edited.itertuples(index=False)]
        label = name.strip() or f"scenario {len(scenarios)}"

        def work(control: JobControl) -> None:
            control.report(0.3, f"solving {label}")
            scenarios.append(solve_scenario(f, label, {param: entries}))

        start_job("whatif", work)
    job_view("whatif", lambda job: None)
    if scenarios:
        st.subheader("Side by side")
        table = comparison(scenarios)
        st.dataframe(table.reset_index(names="value of"), hide_index=True, key="whatif_compare")
        obj = pd.DataFrame(
            {
                "scenario": [s["name"] for s in scenarios],
                "objective": [s["objective"] or 0.0 for s in scenarios],
            }
        )
        # lazy: heavy optional library (the app extra), only for this table or chart
        import altair as alt

        left, right = st.columns(2)
        left.altair_chart(
            alt.Chart(obj, title="objective")
            .mark_bar()
            .encode(x=alt.X("scenario:N", sort=None), y="objective:Q")
            .properties(height=220),
            key="whatif_chart",
        )
        changed = table.drop(index="objective")
        if not changed.empty:  # the variables that moved, grouped by scenario
            long = changed.reset_index(names="variable").melt(
                id_vars="variable", var_name="scenario", value_name="value"
            )
            right.altair_chart(
                alt.Chart(long, title="variables that changed")
                .mark_bar()
                .encode(
                    x=alt.X("variable:N", sort=None),
                    xOffset=alt.XOffset("scenario:N", sort=None),
                    y="value:Q",
                    color=alt.Color("scenario:N", sort=None),
                )
                .properties(height=220),
                key="whatif_vars_chart",
            )
        c1, c2, c3 = st.columns(3)
        c1.download_button(
            "Scenarios (CSV)", table.to_csv(), "scenarios.csv", "text/csv", key="whatif_csv"
        )
        c2.download_button(
            "Scenarios (JSON)",
            json.dumps(scenarios, indent=2),
            "scenarios.json",
            "application/json",
            key="whatif_json",
        )
        if c3.button("Clear scenarios", key="whatif_clear"):
            st.session_state.pop("whatif_scenarios", None)
            st.rerun()
