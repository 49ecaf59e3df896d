"""The built-in model's trained weights (package data only: a LoRA adapter and its model card)."""
