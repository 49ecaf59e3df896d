"""optiscribe.formulate."""
