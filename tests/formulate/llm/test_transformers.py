"""The ``transformers`` backend with a tiny random local model (+ random LoRA adapter)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from optiscribe.formulate.errors import BackendUnavailable
from optiscribe.formulate.llm.base import json_schema_format
from optiscribe.formulate.llm.config import BackendConfig
from optiscribe.formulate.llm.registry import make_backend
from tests._support.tiny_model import have_finetune_stack

pytestmark = [
    pytest.mark.finetune,
    pytest.mark.skipif(
        not have_finetune_stack(),
        reason="needs torch, transformers, tokenizers and peft: "
        'pip install "torch==2.13.0" -e ".[finetune]"',
    ),
]

MSGS = [{"role": "user", "content": "Maximize profit subject to capacity constraints."}]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from tests._support.tiny_model import build_random_lora, build_tiny_model

    root = tmp_path_factory.mktemp("tiny")
    model_dir = build_tiny_model(root / "model")
    adapter_dir = build_random_lora(model_dir, root / "lora")
    return model_dir, adapter_dir


def _backend(model_dir: Path, adapter: Path | None = None, **kw):
    cfg = BackendConfig(
        backend="transformers",
        model_dir=model_dir,
        adapter=adapter,
        device="cpu",
        max_tokens=8,
        **kw,
    )
    return make_backend(cfg)


def test_greedy_generation_is_deterministic_and_returns_n(tiny: tuple[Path, Path]) -> None:
    model_dir, _ = tiny
    b = _backend(model_dir)
    first = b.complete(MSGS, n=2)
    assert len(first) == 2 and first[0] == first[1] and first[0] != ""
    assert b.complete(MSGS) == first[:1]
    assert b.model == "model" and "device='cpu'" in repr(b)


def test_sampling_with_seed_is_reproducible(tiny: tuple[Path, Path]) -> None:
    model_dir, _ = tiny
    b = _backend(model_dir, seed=123)
    a = b.complete(MSGS, n=3, temperature=1.0)
    assert len(a) == 3 and len(set(a)) > 1  # sampling with a random model varies
    assert b.complete(MSGS, n=3, temperature=1.0) == a


def test_chat_template_is_applied(tiny: tuple[Path, Path]) -> None:
    model_dir, _ = tiny
    b = _backend(model_dir)
    seen: list[str] = []
    real = b.tokenizer.apply_chat_template

    def spy(messages, **kw):
        seen.append(real(messages, tokenize=False, add_generation_prompt=True))
        return real(messages, **kw)

    b.tokenizer.apply_chat_template = spy
    b.complete(MSGS, response_format=json_schema_format({"type": "object"}))
    (prompt,) = seen
    assert prompt.startswith("<|user|>\nMaximize profit") and prompt.endswith("<|assistant|>\n")
    assert "<|system|>\nAnswer with a single JSON object" in prompt  # schema as instruction


def test_lora_adapter_is_loaded_and_changes_output(tiny: tuple[Path, Path]) -> None:
    model_dir, adapter_dir = tiny
    base = _backend(model_dir)
    tuned = _backend(model_dir, adapter=adapter_dir)
    assert type(tuned._model).__name__ == "PeftModelForCausalLM"
    assert any("lora_A" in name for name, _ in tuned._model.named_parameters())
    assert tuned.complete(MSGS) != base.complete(MSGS)
    assert "adapter=" in repr(tuned)


def test_count_tokens(tiny: tuple[Path, Path]) -> None:
    b = _backend(tiny[0])
    assert b.count_tokens("Maximize profit") == len(b.tokenizer("Maximize profit")["input_ids"])


def test_clear_errors_for_bad_directories(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    with pytest.raises(BackendUnavailable, match="--model-dir"):
        make_backend(BackendConfig(backend="transformers"))
    with pytest.raises(BackendUnavailable, match="has no config.json"):
        _backend(tmp_path)
    with pytest.raises(BackendUnavailable, match="has no adapter_config.json"):
        _backend(tiny[0], adapter=tmp_path)
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(BackendUnavailable, match="torch sees no CUDA device"):
            make_backend(BackendConfig(backend="transformers", model_dir=tiny[0], device="cuda"))


def test_serve_in_front_of_transformers_reached_with_openai_backend(
    tiny: tuple[Path, Path],
) -> None:
    from optiscribe.formulate.llm.openai import OpenAIBackend
    from optiscribe.formulate.llm.serve import make_server

    model_dir, adapter_dir = tiny
    local = _backend(model_dir, adapter=adapter_dir)
    expected = local.complete(MSGS, n=2)
    server = make_server(local, "127.0.0.1", 0)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        remote = OpenAIBackend(
            model=server.model_name, base_url=server.url, env={}, timeout=60, max_retries=0
        )
        assert remote.complete(MSGS, n=2) == expected
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
