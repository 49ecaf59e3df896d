"""The ``transformers`` backend: a local model directory plus an optional LoRA adapter.

This is how a model fine-tuned with ``optiscribe.finetune`` is used without a server
(or put behind ``optiscribe serve``). torch, transformers and peft are imported only when
the backend is constructed, so ``import optiscribe.formulate.llm.base`` stays light.

Everything is loaded with ``local_files_only=True``: a model directory is a path, never a
hub id, so nothing is downloaded behind the user's back.

Decoding is not grammar-constrained: a ``response_format`` becomes an instruction (the
``none`` structured mode) and the caller parses the text. ``temperature`` ``None`` or 0
means greedy decoding (then ``n`` answers are identical, so one is generated and copied).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from optiscribe.formulate.errors import BackendUnavailable, LLMError
from optiscribe.formulate.llm.base import Message, _check_n, adapt_request
from optiscribe.formulate.llm.config import BackendConfig

__all__ = ["FALLBACK_CHAT_TEMPLATE", "TransformersBackend"]

_INSTALL = 'pip install "torch==2.13.0" -e ".[finetune]"  (torch pinned in the same command)'

FALLBACK_CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)
"""Used when a tokenizer has no chat template (base models): plain ``role: content`` lines."""


def _require(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise BackendUnavailable(
            f"the transformers backend needs {', '.join(missing)}, which is not installed; "
            f"install the finetune extra: {_INSTALL}"
        )


class TransformersBackend:
    """Generate with a local causal LM (``AutoModelForCausalLM``) and its chat template.

    Parameters
    ----------
    model_dir:
        A directory with ``config.json``, weights and a tokenizer (``save_pretrained``).
    adapter:
        Optional peft adapter directory (``adapter_config.json``). If it also holds a
        tokenizer, that tokenizer is used (fine-tuning may add tokens).
    device:
        ``auto`` (CUDA if available, else CPU), ``cpu``, or ``cuda[:i]``.
    max_new_tokens, temperature, seed:
        Generation defaults; ``seed`` makes sampling reproducible.
    """

    name = "transformers"

    def __init__(
        self,
        model_dir: str | Path,
        *,
        adapter: str | Path | None = None,
        device: str = "auto",
        max_new_tokens: int = 1024,
        temperature: float | None = None,
        seed: int | None = None,
    ) -> None:
        _require("torch", "transformers", *(["peft"] if adapter is not None else []))
        self.model_dir = Path(model_dir)
        self.adapter = Path(adapter) if adapter is not None else None
        if not (self.model_dir / "config.json").is_file():
            raise BackendUnavailable(
                f"model directory {self.model_dir} has no config.json; pass --model-dir "
                "pointing to a directory written by save_pretrained (hub ids are not fetched)"
            )
        if self.adapter is not None and not (self.adapter / "adapter_config.json").is_file():
            raise BackendUnavailable(
                f"adapter directory {self.adapter} has no adapter_config.json; pass --adapter "
                "pointing to a peft adapter saved with save_pretrained"
            )
        # lazy: heavy optional library (the finetune extra), loaded only to train or generate
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._torch = torch
        self.device = _pick_device(torch, device)
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.seed = seed
        self.model = self.model_dir.name  # served name for `optiscribe serve`
        tok_dir = (
            self.adapter
            if self.adapter and (self.adapter / "tokenizer_config.json").is_file()
            else self.model_dir
        )
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(tok_dir, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(self.model_dir, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise BackendUnavailable(
                f"could not load the model in {self.model_dir}: {exc}"
            ) from None
        if self.adapter is not None:
            # lazy: heavy optional library (the finetune extra), loaded only to train or generate
            from peft import PeftModel

            try:
                model = PeftModel.from_pretrained(model, self.adapter, is_trainable=False)
            except (OSError, ValueError, RuntimeError) as exc:
                raise BackendUnavailable(
                    f"could not load the LoRA adapter {self.adapter} onto {self.model_dir}: "
                    f"{exc}. Was it trained on this base model?"
                ) from None
        if self.tokenizer.chat_template is None:
            self.tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self._model = model.to(self.device).eval()
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: BackendConfig) -> TransformersBackend:
        """Build from a :class:`BackendConfig` (``make_backend`` calls this)."""
        if config.model_dir is None:
            raise BackendUnavailable(
                "the transformers backend needs a model directory: pass --model-dir "
                "(or OPTISCRIBE_MODEL_DIR), optionally --adapter for a LoRA adapter"
            )
        return cls(
            config.model_dir,
            adapter=config.adapter,
            device=config.device,
            max_new_tokens=config.max_tokens or 1024,
            temperature=config.temperature,
            seed=config.seed,
        )

    def __repr__(self) -> str:
        adapter = f", adapter={str(self.adapter)!r}" if self.adapter else ""
        return f"TransformersBackend({str(self.model_dir)!r}{adapter}, device={self.device!r})"

    def count_tokens(self, text: str) -> int:
        """Token count of ``text`` (used by ``serve`` for ``usage``)."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def complete(
        self,
        messages: Sequence[Message],
        *,
        n: int = 1,
        temperature: float | None = None,
        response_format: Mapping[str, Any] | None = None,
        problem_id: str | None = None,
    ) -> list[str]:
        """Generate ``n`` answers with the chat template applied."""
        _check_n(n)
        msgs, _ = adapt_request(messages, response_format, "none")
        temp = self.temperature if temperature is None else temperature
        sample = temp is not None and temp > 0
        torch = self._torch
        with self._lock, torch.inference_mode():
            try:
                inputs = self.tokenizer.apply_chat_template(
                    msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True
                )
            except Exception as exc:  # jinja errors, e.g. a template that rejects a role
                raise LLMError(
                    f"the chat template of {self.model_dir} could not format the messages: {exc}"
                ) from None
            inputs = {k: v.to(self.device) for k, v in inputs.items()}
            if self.seed is not None:
                torch.manual_seed(self.seed)
            gen: dict[str, Any] = {
                "max_new_tokens": self.max_new_tokens,
                "pad_token_id": self.tokenizer.pad_token_id,
                "do_sample": sample,
                "num_return_sequences": n if sample else 1,
            }
            if sample:
                gen["temperature"] = temp
                gen["top_k"] = 0  # plain temperature sampling, as an API endpoint would do
            else:
                # greedy: override sampling knobs a generation_config.json might set
                gen.update(temperature=None, top_p=None, top_k=None)
            out = self._model.generate(**inputs, **gen)
        start = inputs["input_ids"].shape[1]
        texts = [self.tokenizer.decode(row[start:], skip_special_tokens=True) for row in out]
        return texts if sample else texts * n


def _pick_device(torch: Any, device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BackendUnavailable(
            f"device={device!r} but torch sees no CUDA device; use --device cpu or auto"
        )
    return device
