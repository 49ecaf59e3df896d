"""Build a tiny random causal LM (+ tokenizer, + LoRA adapter) locally, without the hub.

For tests of the ``transformers`` backend and of the fine-tuning pipeline: everything is
created in-process (a BPE tokenizer trained on a few sentences, a ~40k-parameter random
Llama), saved with ``save_pretrained`` and then loaded back through the real loading path.
Runs in a few seconds on a CPU. Set ``HF_HUB_OFFLINE=1`` in tests; nothing here touches the
network.

API::

    tok = build_tokenizer()                       # PreTrainedTokenizerFast with a chat template
    model_dir = build_tiny_model(tmp_path / "m")  # saves config, weights and tokenizer
    adapter_dir = build_random_lora(model_dir, tmp_path / "lora")  # non-zero LoRA weights

torch/transformers/peft/tokenizers are imported inside the functions, so importing this
module is cheap; callers should skip if ``have_finetune_stack()`` is false.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "CHAT_TEMPLATE",
    "DEFAULT_CORPUS",
    "build_random_lora",
    "build_tiny_model",
    "build_tokenizer",
    "have_finetune_stack",
]

# Ends the prompt on a token boundary ("<|assistant|>\n"), which TRL's KTO prefers.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}</s>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

DEFAULT_CORPUS: tuple[str, ...] = (
    "Maximize profit subject to capacity constraints.",
    "Minimize the total cost of shipping goods from plants to markets.",
    '{"sets": [{"name": "I", "elements": [1, 2, 3]}], "variables": [{"name": "x"}]}',
    "sum(cost[i, j] * x[i, j] for i in I for j in J) <= budget",
    "A factory makes chairs and tables; each chair needs 2 hours of labour.",
    "The objective is to maximize revenue while meeting demand in every period.",
    "Each worker can be assigned to at most one shift per day.",
    "system user assistant: answer with a single JSON object",
)


def have_finetune_stack(*, peft: bool = True) -> bool:
    """True when torch, transformers, tokenizers (and peft) can be imported."""
    mods = ["torch", "transformers", "tokenizers"] + (["peft"] if peft else [])
    return all(importlib.util.find_spec(m) is not None for m in mods)


def build_tokenizer(corpus: Sequence[str] = DEFAULT_CORPUS, *, vocab_size: int = 400) -> Any:
    """Train a byte-level BPE tokenizer on ``corpus``; returns a ``PreTrainedTokenizerFast``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
    raw = Tokenizer(models.BPE(unk_token=None))
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(list(corpus) * 4, trainer=trainer)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=raw, bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )
    tok.chat_template = CHAT_TEMPLATE
    return tok


def build_tiny_model(
    out_dir: str | Path,
    *,
    seed: int = 0,
    hidden_size: int = 32,
    num_layers: int = 2,
    corpus: Sequence[str] = DEFAULT_CORPUS,
) -> Path:
    """Save a random ``LlamaForCausalLM`` and its tokenizer to ``out_dir``; return it."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer(corpus)
    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(cfg)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def build_random_lora(
    model_dir: str | Path,
    out_dir: str | Path,
    *,
    seed: int = 1,
    r: int = 4,
    target_modules: Sequence[str] = ("q_proj", "v_proj"),
) -> Path:
    """Save a LoRA adapter with random (non-zero) weights for the model in ``model_dir``.

    ``init_lora_weights=False`` makes both LoRA matrices random, so loading the adapter
    visibly changes the model's output (peft's default initialises B to zero, which would
    make a "with adapter" test indistinguishable from "without").
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    out = Path(out_dir)
    base = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True)
    torch.manual_seed(seed)
    cfg = LoraConfig(
        r=r,
        lora_alpha=4 * r,
        target_modules=list(target_modules),
        task_type="CAUSAL_LM",
        init_lora_weights=False,
    )
    peft_model = get_peft_model(base, cfg)
    peft_model.save_pretrained(out)
    return out
