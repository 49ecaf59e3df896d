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
    (page_formulate.render, "Formulate", "formulate", "✍️"),
    (page_model.render, "Model", "model", "🧮"),
    (page_solve.render, "Solve & explain", "solve", "📈"),
    (page_whatif.render, "What-if", "whatif", "🔀"),
    (page_compare.render, "Compare", "compare", "⚖️"),
    (page_batch.render, "Batch", "batch", "📦"),
)


def main() -> None:
    st.set_page_config(page_title="optiscribe", page_icon="🧮", layout="wide")
    pages = [st.Page(fn, title=t, url_path=u, icon=i, default=(u == "formulate")) for fn, t, u, i in PAGES]
    nav = st.navigation(pages)
    with st.sidebar:
        f = st.session_state.get("model")
        st.caption(f"Current model: **{f.name}**" if f is not None else "No model loaded yet")
    nav.run()


main()
