"""Team-written example problems: text, five-element IR and verified optimum."""
