"""optiscribe.verify."""
