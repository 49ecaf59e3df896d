"""The analyst's web app (Streamlit): a thin shell over the library the CLI uses.

``optiscribe app`` runs :mod:`optiscribe.app.web.main`. One module per page
(``formulate``, ``model``, ``solve``, ``whatif``, ``compare``, ``batch``), each with a
``render()``; :mod:`._jobs` runs long work in background threads and imports no Streamlit,
so this package adds nothing to the import path of the CLI or the library.
"""
