"""Compare page: are two models the same? The verdict, and the mapping or the witness in
both models' names, from :func:`optiscribe.verify.check`.

Each side is the current model, a bundled example, or an uploaded file (a formulation
in YAML/JSON, or an MPS/LP model).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from optiscribe.app.web._common import (
    current_model,
    example_names,
    job_view,
    save_upload,
    start_job,
)
from optiscribe.app.web._jobs import JobControl
from optiscribe.formulate.errors import ModelError
from optiscribe.formulate.examples import load_example
from optiscribe.formulate.ir.model import Formulation
from optiscribe.verify import Verdict, check

SOURCES = ("bundled example", "current model", "upload a file")


def _side(tag: str, title: str, default_example: str) -> tuple[Any, str] | str:
    """The chosen model of one side (something ``check`` reads) and its label, or why not."""
    st.markdown(f"**{title}**")
    source = st.radio(
        "source", SOURCES, key=f"cmp_{tag}_source", horizontal=True, label_visibility="collapsed"
    )
    if source == "current model":
        f = current_model()
        if f is None:
            return "no current model: load or formulate one first"
        return f.to_pyomo(), f"current model ({f.name})"
    if source == "bundled example":
        names = example_names()
        name = st.selectbox(
            "example", names, index=names.index(default_example), key=f"cmp_{tag}_example",
            label_visibility="collapsed",
        )  # fmt: skip

        return load_example(name).formulation.to_pyomo(), name
    upload = st.file_uploader(
        "model file", type=["yaml", "yml", "json", "mps", "lp"], key=f"cmp_{tag}_file",
        label_visibility="collapsed",
    )  # fmt: skip
    if upload is None:
        return "upload a formulation (.yaml/.json) or a model (.mps/.lp)"
    if upload.name.endswith((".yaml", ".yml", ".json")):
        text = upload.getvalue().decode("utf-8", errors="replace")
        try:
            f = (
                Formulation.from_json(text)
                if upload.name.endswith(".json")
                else Formulation.from_yaml(text)
            )
            return f.to_pyomo(), upload.name
        except ModelError as exc:
            return f"{upload.name}: {exc}"
    return str(save_upload(upload, "compare")), upload.name


def render() -> None:
    st.header("Compare two models")
    st.caption(
        "Decides whether two MILPs are the same model up to renaming and reordering; an "
        "'equivalent' verdict comes with a verified mapping, a 'not equivalent' one with a witness."
    )
    left, right = st.columns(2)
    with left:
        a = _side("a", "Reference", "furniture")
    with right:
        b = _side("b", "Candidate", "furniture")
    level = st.selectbox(
        "Level", ["strict", "normalized"], key="cmp_level",
        help="strict: same rows and columns; normalized: also after scaling, flipping and merging bounds",
    )  # fmt: skip
    if st.button("Compare", key="cmp_run", type="primary"):
        if isinstance(a, str) or isinstance(b, str):
            st.error("; ".join(x for x in (a, b) if isinstance(x, str)))
        else:
            ref, cand = a, b

            def work(control: JobControl) -> Any:
                control.report(0.3, "comparing")
                return check(ref[0], cand[0], level=level, time_limit=30.0), ref[1], cand[1]

            start_job("compare", work)
    job_view("compare", lambda job: _show(*job.result))


def _show(result: Any, name_a: str, name_b: str) -> None:
    verdict = result.verdict
    text = f"**{verdict.value.replace('_', ' ').upper()}** ({result.level.value}): {name_a} vs {name_b}"
    if verdict is Verdict.EQUIVALENT:
        st.success(text)
    elif verdict is Verdict.NOT_EQUIVALENT:
        st.error(text)
    else:
        st.warning(text)
    st.write(result.reason)
    if result.certificate is not None:
        st.markdown("**Mapping** (reference → candidate)")
        cert = result.certificate
        rows = [
            {
                "kind": "variable",
                "reference": cert.display(r),
                "candidate": cert.display(c, "candidate"),
            }
            for r, c in cert.variables.items()
        ]
        rows += [
            {
                "kind": "constraint",
                "reference": cert.display(r),
                "candidate": ", ".join(
                    (f"{f:g} × " if f != 1 else "") + cert.display(c, "candidate")
                    for c, f in targets
                ),
            }
            for r, targets in cert.constraints.items()
        ]
        st.dataframe(rows, hide_index=True, key="cmp_mapping")
        for side, names, label in (
            ("reference", cert.reference_bounds_from_rows, name_a),
            ("candidate", cert.candidate_bounds_from_rows, name_b),
        ):
            if names:
                shown = ", ".join(cert.display(n, side) for n in names)
                st.caption(f"Single-variable rows of {label} compared as bounds: {shown}")
    if result.witness is not None:
        w = result.witness
        st.markdown(f"**Witness** ({w.stage}): {w.message}")
        c1, c2 = st.columns(2)
        c1.markdown(f"In {name_a} ({w.reference_count}):")
        c1.write(", ".join(w.reference_examples) or "—")
        c2.markdown(f"In {name_b} ({w.candidate_count}):")
        c2.write(", ".join(w.candidate_examples) or "—")
