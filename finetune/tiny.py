"""A tiny random causal LM for the smoke configuration (CI): built here, no download.

A byte-level BPE tokenizer is trained on the run's own training rows (so it covers the
compact format and the prompts), given a ChatML template like SmolLM2's, and a 2-layer
``LlamaForCausalLM`` is initialised at random. The whole pipeline (SFT, KTO, export,
loading through the built-in backend) runs on it in seconds; what it generates is noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["CHAT_TEMPLATE", "build_tiny_base"]

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tiny_base(out_dir: Path, rows: Sequence[dict[str, Any]], *, seed: int = 0) -> Path:
    """Save a tiny random model and its tokenizer to ``out_dir`` (once); return it."""
    if (out_dir / "config.json").is_file():
        return out_dir
    # lazy: heavy optional library (the finetune extra), loaded only to train or generate
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    corpus = [m["content"] for r in rows[:400] for m in (*r["prompt"], *r["completion"])]
    specials = ["<pad>", "<|im_start|>", "<|im_end|>"]
    raw = Tokenizer(models.BPE(unk_token=None))
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1000,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(corpus or ["max: x\nend\n"], trainer=trainer)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=raw, bos_token="<|im_start|>", eos_token="<|im_end|>", pad_token="<pad>"
    )
    tok.chat_template = CHAT_TEMPLATE
    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=False,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    LlamaForCausalLM(cfg).save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir
