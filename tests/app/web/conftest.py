"""Fixtures for the web-app tests: an isolated app folder and a page runner (AppTest)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "appdir"
    monkeypatch.setenv("OPTISCRIBE_APP_DIR", str(folder))
    return folder


@pytest.fixture
def page() -> Callable[..., Any]:
    """``page("model", model=Formulation)`` -> an AppTest of that page, already run once."""
    from streamlit.testing.v1 import AppTest

    def make(name: str, **state: Any) -> Any:
        at = AppTest.from_string(
            f"from optiscribe.app.web import page_{name}\npage_{name}.render()\n",
            default_timeout=60,
        )
        for k, v in state.items():
            at.session_state[k] = v
        return at.run()

    return make
