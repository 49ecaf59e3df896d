"""User-facing shells over optiscribe's public functions: the CLI and the Streamlit app.

Nothing here holds modelling logic; importing this package imports neither streamlit
nor torch.
"""
