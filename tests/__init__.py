"""optiscribe test suite; mirrors the package layout."""
