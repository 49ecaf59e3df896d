"""The app's entry script (``streamlit run``): page setup and navigation.

Run it with ``optiscribe app``; each page is a module of this package with ``render()``.
"""

from __future__ import annotations

import streamlit as st

from optiscribe.app.web import (
    page_batch,
    page_compare,
    page_formulate,
    page_model,
    page_solve,
    page_whatif,
)

PAGES = (
    (page_formulate.render, "Formulate", "formulate", ":material/edit_note:"),
    (page_model.render, "Model", "model", ":material/functions:"),
    (page_solve.render, "Solve & explain", "solve", ":material/insights:"),
    (page_whatif.render, "What-if", "whatif", ":material/compare_arrows:"),
    (page_compare.render, "Compare", "compare", ":material/balance:"),
    (page_batch.render, "Batch", "batch", ":material/stacks:"),
)


def main() -> None:
    st.set_page_config(page_title="optiscribe", page_icon=":material/functions:", layout="wide")
    pages = [
        st.Page(fn, title=t, url_path=u, icon=i, default=(u == "formulate"))
        for fn, t, u, i in PAGES
    ]
    nav = st.navigation(pages)
    nav.run()
    with st.sidebar:  # after the page, so that a model it just loaded is named
        f = st.session_state.get("model")
        st.caption(f"Current model: **{f.name}**" if f is not None else "No model loaded yet")


main()
