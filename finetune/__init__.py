"""optiscribe.finetune."""
