"""optiscribe.solvers."""
