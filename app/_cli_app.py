"""``optiscribe app``: open the analyst's web app (Streamlit) in the browser.

Bound to 127.0.0.1 unless ``--host`` says otherwise. Needs the ``app`` extra
(``pip install -e ".[app]"``); without it the command says so and exits 3.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from optiscribe.app._exit import fail

__all__ = ["register", "streamlit_command"]

ENTRY = Path(__file__).parent / "web" / "main.py"


def streamlit_command(host: str, port: int, *, headless: bool) -> list[str]:
    """The ``streamlit run`` command line for the app (also used by the browser tests)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(ENTRY),
        f"--server.address={host}", f"--server.port={port}",
        f"--server.headless={'true' if headless else 'false'}",
        "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
        "--client.toolbarMode=minimal",
    ]  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add the ``app`` command."""

    @app.command("app")
    def run_app(
        host: Annotated[
            str, typer.Option(help="address to listen on; 0.0.0.0 exposes the app to your network")
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8501,
        headless: Annotated[
            bool, typer.Option(help="do not open a browser window (servers, containers)")
        ] = False,
    ) -> None:
        """Open the web app: formulate, edit, solve and explain, what-if, compare, batch."""
        if importlib.util.find_spec("streamlit") is None:
            raise fail(
                "the web app needs Streamlit, which is not installed; install the app extra: "
                'pip install -e ".[app]"'
            )
        env = dict(os.environ)
        env.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
        typer.echo(f"optiscribe app on http://{host}:{port}  (Ctrl-C to stop)")
        try:
            code = subprocess.call(streamlit_command(host, port, headless=headless), env=env)
        except KeyboardInterrupt:
            code = 0
        raise typer.Exit(code)
