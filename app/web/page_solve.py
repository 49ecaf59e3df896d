"""Solve & explain page: status, objective, each variable as a table and a chart fitted to
its index, LP sensitivity in the model's names, and for an infeasible model the conflict
with its descriptions and the smallest repair.

All numbers come from :mod:`optiscribe.solvers` (solve, :mod:`~optiscribe.solvers.sensitivity`,
:func:`~optiscribe.solvers.diagnose.repair_infeasible`); the page only lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from optiscribe.app.web._common import constraint_descriptions, job_view, need_model, start_job
from optiscribe.app.web._jobs import JobControl
from optiscribe.formulate.ir.edit import variable_tables
from optiscribe.solvers import solve
from optiscribe.solvers.diagnose import repair_infeasible
from optiscribe.solvers.errors import SolverError, UnsupportedModelFeature
from optiscribe.solvers.result import Termination
from optiscribe.solvers.sensitivity import lp_sensitivity


@dataclass(frozen=True)
class Explained:
    """Everything the page shows about one solve (computed on the job's thread)."""

    result: Any
    tables: list[Any]
    sensitivity: Any
    sensitivity_note: str
    repair: Any


def explain_solve(f: Any, solver: str, time_limit: float | None) -> Explained:
    """Solve ``f`` and gather the explanation the page shows (library calls only)."""
    model = f.to_pyomo()
    result = solve(model, solver=solver, time_limit=time_limit)
    tables = variable_tables(f, model, result.values) if result.has_solution else []
    sens, note, repair = None, "", None
    if result.is_optimal:
        if result.is_mip:
            note = "Duals and ranging exist for LPs only; this model has integer variables."
        else:
            try:
                sens = lp_sensitivity(model)
            except (SolverError, UnsupportedModelFeature) as exc:
                note = str(exc)
    if result.termination in (Termination.INFEASIBLE, Termination.INFEASIBLE_OR_UNBOUNDED):
        repair = repair_infeasible(model)
    return Explained(result, tables, sens, note, repair)


def render() -> None:
    st.header("Solve and explain")
    f = need_model()
    if f is None:
        return
    c1, c2, c3 = st.columns([1, 1, 2])
    solver = c1.selectbox("Solver", ["highs", "ortools"], key="solve_solver")
    limit = c2.number_input("Time limit (s)", 1.0, 3600.0, 60.0, key="solve_time_limit")
    c3.write("")
    if c3.button("Solve", key="solve_run", type="primary"):
        version = (st.session_state.get("model_version"), id(f))
        start_job("solve", lambda control: _work(control, f, solver, float(limit), version))
    job_view("solve", _draw)


def _work(control: JobControl, f: Any, solver: str, limit: float, version: Any) -> Any:
    control.report(0.2, "solving")
    out = explain_solve(f, solver, limit)
    control.report(1.0, "done")
    return (version, f, out)


def _draw(job: Any) -> None:
    _, f, out = job.result
    if f is not st.session_state.get("model"):
        st.caption("These results are for an earlier version of the model; press Solve again.")
    show(f, out)


def show(f: Any, out: Explained) -> None:
    r = out.result
    c1, c2, c3 = st.columns(3)
    c1.metric("Status", r.termination.value.replace("_", " "))
    c2.metric("Objective", "—" if r.objective is None else f"{r.objective:.10g}")
    c3.metric("Solve time", f"{r.runtime_s * 1000:.0f} ms", help=f"{r.solver} {r.solver_version}")
    if r.message and not r.is_optimal:
        st.warning(r.message)
    if out.tables:
        st.subheader("Variables")
        scalars = [t for t in out.tables if not t.index]
        if scalars:
            _scalars(scalars)
        for t in out.tables:
            if t.index:
                _variable(t)
    if out.sensitivity is not None:
        _sensitivity(f, out.sensitivity)
    elif out.sensitivity_note:
        st.caption(out.sensitivity_note)
    if r.conflict or out.repair is not None:
        _infeasible(f, r, out.repair)


def _scalars(tables: list[Any]) -> None:
    """The variables without an index: one table and one bar chart for all of them."""
    # lazy: heavy optional library (the app extra), only for this table or chart
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame(
        [
            {"variable": t.name, "value": t.rows[0][1], "meaning": t.description}
            for t in tables
            if t.rows
        ]
    )
    left, right = st.columns([2, 3])
    left.dataframe(frame, hide_index=True, key="table_scalars")
    chart = alt.Chart(frame).mark_bar().encode(x=alt.X("variable:N", sort=None), y=alt.Y("value:Q"))
    right.altair_chart(chart.properties(height=220), key="chart_scalars")


def _variable(t: Any) -> None:
    # lazy: heavy optional library (the app extra), only for this table or chart
    import pandas as pd

    nz = t.nonzero()
    title = f"**{t.name}**" + (f" — {t.description}" if t.description else "")
    st.markdown(f"{title}  ({len(nz)} non-zero of {len(t.rows)})")
    frame = pd.DataFrame([[*k, v] for k, v in nz], columns=[*t.index, "value"])
    left, right = st.columns([2, 3])
    left.dataframe(frame, hide_index=True, key=f"table_{t.name}")
    with right:
        _chart(t, frame)


def _chart(t: Any, frame: Any) -> None:
    """A chart fitted to the index: bars (one index), a heat map (two), a flow diagram (arcs)."""
    # lazy: heavy optional library (the app extra), only for this table or chart
    import altair as alt

    if frame.empty:
        st.caption("all values are zero")
        return
    if t.arcs:
        a, b = t.index
        edges = "\n".join(
            f'  "{r[a]}" -> "{r[b]}" [label="{r["value"]:.6g}"];' for _, r in frame.iterrows()
        )
        st.graphviz_chart(f"digraph {{\n  rankdir=LR;\n{edges}\n}}")
    elif len(t.index) == 1:
        col = t.index[0]
        chart = (
            alt.Chart(frame)
            .mark_bar()
            .encode(x=alt.X(f"{col}:N", sort=None, title=col), y=alt.Y("value:Q", title=t.name))
        )
        st.altair_chart(chart.properties(height=220), key=f"chart_{t.name}")
    elif len(t.index) == 2:
        a, b = t.index
        full = t.rows  # zeros too: a heat map needs the whole grid
        # lazy: heavy optional library (the app extra), only for this table or chart
        import pandas as pd

        grid = pd.DataFrame([[*k, v] for k, v in full], columns=[a, b, "value"])
        chart = alt.Chart(grid).mark_rect().encode(
            x=alt.X(f"{b}:N", sort=None), y=alt.Y(f"{a}:N", sort=None),
            color=alt.Color("value:Q", scale=alt.Scale(scheme="blues")),
            tooltip=[a, b, "value"],
        )  # fmt: skip
        text = alt.Chart(grid).mark_text().encode(
            x=alt.X(f"{b}:N", sort=None), y=alt.Y(f"{a}:N", sort=None), text=alt.Text("value:Q", format=".4g")
        )  # fmt: skip
        st.altair_chart(
            (chart + text).properties(height=max(120, 28 * grid[a].nunique())),
            key=f"chart_{t.name}",
        )
    else:
        st.caption(f"{len(t.index)} indices: see the table")


def _sensitivity(f: Any, sens: Any) -> None:
    # lazy: heavy optional library (the app extra), only for this table or chart
    import pandas as pd

    st.subheader("What the constraints are worth (LP sensitivity)")
    for line in sens.explain(constraint_descriptions(f)):
        st.markdown(f"- {line}")
    with st.expander("Duals, reduced costs and ranging"):
        st.dataframe(
            pd.DataFrame(
                [
                    {"constraint": r.name, "activity": r.activity, "binding at": r.rhs,
                     "worth per unit": r.worth, "valid from": r.down_to, "valid to": r.up_to}
                    for r in sens.rows
                ]
            ),
            hide_index=True,
            key="sens_rows",
        )  # fmt: skip
        st.dataframe(
            pd.DataFrame(
                [
                    {"variable": c.name, "value": c.value, "cost": c.cost,
                     "reduced cost": c.reduced_cost, "cost from": c.cost_down_to, "cost to": c.cost_up_to}
                    for c in sens.columns
                ]
            ),
            hide_index=True,
            key="sens_cols",
        )  # fmt: skip
        for c in sens.columns:
            st.caption(c.explain())


def _infeasible(f: Any, r: Any, repair: Any) -> None:
    desc = constraint_descriptions(f)
    st.subheader("Why it is infeasible")
    if r.conflict:
        st.markdown("These constraints and bounds cannot all hold together:")
        for name in r.conflict:
            family = name.split("[")[0]
            d = desc.get(family, "")
            st.markdown(f"- `{name}`" + (f" — {d}" if d else ""))
    if repair is not None:
        st.subheader("Smallest repair")
        if repair.changes:
            st.markdown(f"Relax by **{repair.total:.6g}** in total:")
            for c in repair.changes:
                d = desc.get(c.name.split("[")[0], "")
                st.markdown(f"- {c.explain()}" + (f" — {d}" if d else ""))
        else:
            st.info(repair.message)
