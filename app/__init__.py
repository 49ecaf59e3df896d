"""User-facing shells over optiscribe's public functions: the CLI and the Streamlit app.

Nothing here holds modelling logic; importing this package imports neither streamlit
nor torch. The library API of this folder is the command line itself:
``optiscribe.app.cli`` (``app``, ``main`` and the exit codes, ``EXIT_CODES``); nothing is
re-exported here, so that importing ``optiscribe.app`` stays free of typer and rich.
"""

__all__: list[str] = []
