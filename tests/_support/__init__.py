"""Reusable test helpers: a fake OpenAI-compatible server and a tiny local model builder.

Import as ``from tests._support.fake_openai import FakeOpenAIServer`` (pytest is run from
the repository root, which puts it on ``sys.path``).
"""
