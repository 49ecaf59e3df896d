"""Prompt files (versioned text) for the LLM backends."""
