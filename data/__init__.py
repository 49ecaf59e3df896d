"""optiscribe.data."""
