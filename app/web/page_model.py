"""Model page: the five elements rendered and editable, validated live, downloadable.

Every edit builds a draft (a formulation dict) and runs the library's full check
(:func:`optiscribe.formulate.ir.edit.draft_issues`); problems are shown next to the field
they belong to, with the checker's "did you mean". A valid draft becomes the current model.
"""

from __future__ import annotations

import io
from typing import Any

import streamlit as st
import yaml

from optiscribe.app.web._common import current_model, example_names, set_model
from optiscribe.formulate.errors import ModelError
from optiscribe.formulate.examples import load_example
from optiscribe.formulate.ir.edit import (
    EXPORT_FORMATS,
    draft_issues,
    export_text,
    parameter_columns,
    parameter_entries,
)
from optiscribe.formulate.ir.model import Formulation
from optiscribe.formulate.ir.render import to_markdown

ELEMENT_TABS = ("Sets", "Parameters", "Variables", "Objective", "Constraints")


def _load_controls() -> None:
    c1, c2 = st.columns([2, 3])
    with c1:
        names = example_names()
        example = st.selectbox(
            "Bundled example",
            names,
            index=names.index("furniture") if "furniture" in names else 0,
            key="model_example",
        )
        if st.button("Load example", key="model_load_example"):
            set_model(load_example(example).formulation, f"example {example}")
    with c2:
        upload = st.file_uploader(
            "…or open a formulation (YAML or JSON)",
            type=["yaml", "yml", "json"],
            key="model_upload",
        )
        if upload is not None and st.session_state.get("model_upload_seen") != upload.file_id:
            st.session_state["model_upload_seen"] = upload.file_id

            text = upload.getvalue().decode("utf-8", errors="replace")
            try:
                if upload.name.endswith(".json"):
                    f = Formulation.from_json(text)
                else:
                    f = Formulation.from_yaml(text)
            except ModelError as exc:
                st.error(f"{upload.name}: {exc}")
            else:
                set_model(f, upload.name)


def render() -> None:
    st.header("Model")
    _load_controls()
    f = current_model()
    if f is None:
        st.info("No model yet: load an example, open a file, or formulate a problem first.")
        return

    st.caption(f"Current model: **{f.name}** (from {st.session_state.get('model_origin', '?')})")
    view, edit, export = st.tabs(["View", "Edit", "Download"])
    with view:
        st.markdown(to_markdown(f))
    with edit:
        _editor(f)
    with export:
        _downloads(current_model() or f)


def _issue_box(
    issues: dict[tuple[str, int | None], tuple[str, ...]], section: str, i: int | None
) -> None:
    for msg in issues.get((section, i), ()):
        st.error(msg, icon="⚠️")


def _parse_elements(text: str) -> Any:
    """Set elements typed as a YAML flow list (``[chair, table]``, ``[[a, b], [b, c]]``)."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return f"<not a list: {exc.__class__.__name__}>"
    return value


def _bound(text: str) -> Any:
    text = text.strip()
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text  # a parameter name (validation checks it)


def _editor(f: Any) -> None:
    ver = st.session_state.get("model_version", 0)
    k = f"m{ver}"
    prior: dict[tuple[str, int | None], tuple[str, ...]] = st.session_state.get("model_issues", {})
    data = f.to_dict()
    tabs = st.tabs(list(ELEMENT_TABS))
    with tabs[0]:
        for i, s in enumerate(data["sets"]):
            c1, c2 = st.columns([1, 4])
            c1.markdown(f"**{s['name']}**  \n{s.get('description', '')}")
            if s.get("elements") is not None:
                shown = yaml.safe_dump(s["elements"], default_flow_style=True).strip()
                text = c2.text_input(
                    f"elements of {s['name']}",
                    shown,
                    key=f"{k}_set_{i}",
                    label_visibility="collapsed",
                )
                if text != shown:
                    s["elements"] = _parse_elements(text)
            else:
                a, b = c2.columns(2)
                s["first"] = int(
                    a.number_input("first", value=s["first"], step=1, key=f"{k}_set_{i}_first")
                )
                s["last"] = int(
                    b.number_input("last", value=s["last"], step=1, key=f"{k}_set_{i}_last")
                )
            _issue_box(prior, "sets", i)
    with tabs[1]:
        # lazy: heavy optional library (the app extra), only for this table or chart
        import pandas as pd

        for i, p in enumerate(data["parameters"]):
            st.markdown(f"**{p['name']}** — {p.get('description', '')}")
            if not p.get("index"):
                p["values"] = st.number_input(
                    p["name"],
                    value=float(p["values"]),
                    key=f"{k}_par_{i}",
                    label_visibility="collapsed",
                )
            else:
                cols = parameter_columns(f, p["name"])
                rows = parameter_entries(f, p["name"])
                upload = st.file_uploader(
                    f"Load {p['name']} from CSV or Excel (columns {', '.join(cols)})",
                    type=["csv", "xlsx"],
                    key=f"{k}_par_{i}_upload",
                )
                if upload is not None:
                    loaded = _read_table(upload, cols)
                    if isinstance(loaded, str):
                        st.error(loaded)
                    else:
                        rows = loaded
                frame = pd.DataFrame([[*key, v] for key, v in rows], columns=cols)
                edited = st.data_editor(
                    frame,
                    key=f"{k}_par_{i}_{upload.file_id if upload is not None else 'own'}",
                    disabled=cols[:-1],
                    hide_index=True,
                    num_rows="fixed",
                )
                new_rows = [
                    [*map(str, r[:-1]), _cell(r[-1])] for r in edited.itertuples(index=False)
                ]
                if new_rows != [[*key, v] for key, v in parameter_entries(f, p["name"])]:
                    p["values"] = new_rows  # only an edited table is rewritten (as rows)
                    p.pop("default", None)
            _issue_box(prior, "parameters", i)
    with tabs[2]:
        for i, v in enumerate(data["variables"]):
            st.markdown(
                f"**{v['name']}**[{', '.join(v.get('index', []))}] — {v.get('description', '')}"
            )
            c1, c2, c3 = st.columns(3)
            domains = ["continuous", "integer", "binary"]
            v["domain"] = c1.selectbox(
                "domain",
                domains,
                domains.index(v.get("domain", "continuous")),
                key=f"{k}_var_{i}_domain",
            )
            lo = "" if v.get("lower") is None else str(v.get("lower"))
            hi = "" if v.get("upper") is None else str(v.get("upper"))
            v["lower"] = _bound(
                c2.text_input("lower bound (empty: none)", lo, key=f"{k}_var_{i}_lower")
            )
            v["upper"] = _bound(
                c3.text_input("upper bound (empty: none)", hi, key=f"{k}_var_{i}_upper")
            )
            _issue_box(prior, "variables", i)
    with tabs[3]:
        o = data["objective"]
        c1, c2 = st.columns([1, 5])
        o["sense"] = c1.selectbox(
            "sense",
            ["minimize", "maximize"],
            ["minimize", "maximize"].index(o["sense"]),
            key=f"{k}_obj_sense",
        )
        o["expression"] = c2.text_input("objective", o["expression"], key=f"{k}_obj_expr")
        _issue_box(prior, "objective", None)
    with tabs[4]:
        for i, c in enumerate(data["constraints"]):
            st.markdown(f"**{c['name']}** — {c.get('description', '')}")
            c1, c2, c3 = st.columns([2, 2, 5])
            fe = c.get("for_each")
            fe_text = ", ".join(fe) if isinstance(fe, list) else (fe or "")
            fe_new = c1.text_input(
                "for each", fe_text, key=f"{k}_con_{i}_for", placeholder="r in R"
            )
            c["for_each"] = fe_new.strip() or None
            cond = c2.text_input("only if", c.get("condition") or "", key=f"{k}_con_{i}_if")
            c["condition"] = cond.strip() or None
            c["expression"] = c3.text_input("expression", c["expression"], key=f"{k}_con_{i}_expr")
            _issue_box(prior, "constraints", i)
    new, issues = draft_issues(data)
    grouped = {(e.section, e.index): e.messages for e in issues}
    if grouped != prior:
        st.session_state["model_issues"] = grouped
        st.rerun()  # draw the issues next to their fields
    if issues:
        n = sum(len(e.messages) for e in issues)
        st.error(f"The edited model has {n} problem(s); the last valid model stays current.")
        for msg in grouped.get(("model", None), ()):
            st.error(msg)
    elif new is not None and new != f:
        set_model(new, "edited", edited=True)
        st.success("Edits applied: the model is valid.")
    else:
        st.success("The model is valid.")


def _cell(v: Any) -> Any:
    try:
        return float(v)
    except (TypeError, ValueError):
        return v  # validation names the bad value


def _read_table(upload: Any, cols: list[str]) -> list[tuple[tuple[str, ...], float]] | str:
    """Rows ``(key, value)`` from an uploaded CSV/Excel table whose columns are ``cols``."""
    # lazy: heavy optional library (the app extra), only for this table or chart
    import pandas as pd

    try:
        if upload.name.endswith(".xlsx"):
            frame = pd.read_excel(io.BytesIO(upload.getvalue()), dtype=str)
        else:
            frame = pd.read_csv(io.BytesIO(upload.getvalue()), dtype=str)
    except Exception as exc:  # pandas raises many types for a bad file
        return f"{upload.name}: cannot read the table ({exc})"
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        return (
            f"{upload.name}: the table needs the columns {', '.join(cols)}; "
            f"missing {', '.join(missing)} (it has {', '.join(map(str, frame.columns))})"
        )
    rows = []
    for n, r in enumerate(frame[cols].itertuples(index=False), start=2):
        try:
            rows.append((tuple(str(x) for x in r[:-1]), float(r[-1])))
        except (TypeError, ValueError):
            return f"{upload.name}, line {n}: value {r[-1]!r} is not a number"
    return rows


def _downloads(f: Any) -> None:
    cols = st.columns(len(EXPORT_FORMATS))
    labels = {
        "yaml": "YAML",
        "json": "JSON",
        "mps": "MPS",
        "lp": "LP",
        "latex": "LaTeX",
        "markdown": "Markdown",
        "pyomo": "Pyomo script",
    }
    for col, (fmt, (suffix, mime)) in zip(cols, EXPORT_FORMATS.items()):
        try:
            text = export_text(f, fmt)
        except ModelError as exc:
            col.error(f"{fmt}: {exc}")
            continue
        col.download_button(
            labels[fmt], text, file_name=f"{f.name}{suffix}", mime=mime, key=f"download_{fmt}"
        )
