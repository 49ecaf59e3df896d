"""Supervised fine-tuning with LoRA (TRL ``SFTTrainer``), resumable across sessions.

A run lives in one folder (``--run-dir``)::

    run/
      data.jsonl            the training rows (built once, then reused)
      checkpoints/checkpoint-N/   Trainer checkpoints (adapter + optimizer + scheduler + RNG)
      state.json            cumulative steps/examples and the sessions that added them
      train.log             (when started with nohup) the trainer's log lines

Resuming (:func:`run_sft` again on the same folder) continues from the newest checkpoint with
its optimizer state. A new machine without the folder starts from the committed adapter
(``init_adapter: packaged``): the weights continue, the optimizer state is lost (Adam's
moments restart from zero, a short warm-up absorbs it), and ``state.json`` starts from the
steps recorded with that adapter. Checkpoints are written every ``save_minutes`` of wall
time, so a run killed at any moment loses at most that much.

CPU settings follow what was measured (docs/ecosystem.md §9): ``bf16=False`` and
``gradient_checkpointing=False`` (TRL's defaults make a step 10-20x slower), one torch
thread on a loaded 2-core machine.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from optiscribe.data.errors import DataError
from optiscribe.finetune.config import RunConfig
from optiscribe.finetune.data import build_examples, collect_sources, read_examples, summary
from optiscribe.finetune.data import write_examples as _write
from optiscribe.finetune.tiny import build_tiny_base
from optiscribe.formulate.llm.builtin import load_base, packaged_adapter_dir

__all__ = ["latest_checkpoint", "load_base_for", "prepare_data", "read_state", "run_sft"]

STATE = "state.json"


def read_state(run_dir: Path) -> dict[str, Any]:
    """The run's cumulative record (empty counts for a new run)."""
    p = run_dir / STATE
    if not p.is_file():
        return {"steps": 0, "examples": 0, "sessions": []}
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{p} is not valid JSON ({exc.msg}); fix or delete it") from None
    if not isinstance(data, dict) or not isinstance(data.get("steps"), int):
        raise DataError(f"{p} has no integer 'steps'; fix or delete it")
    return data


def _write_state(run_dir: Path, state: dict[str, Any]) -> None:
    tmp = run_dir / f".{STATE}.tmp"
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    tmp.replace(run_dir / STATE)


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest ``checkpoints/checkpoint-N`` folder that is complete, if any."""
    ckpts = []
    for p in (run_dir / "checkpoints").glob("checkpoint-*"):
        if (p / "trainer_state.json").is_file() and p.name.split("-")[-1].isdigit():
            ckpts.append((int(p.name.split("-")[-1]), p))
    return max(ckpts)[1] if ckpts else None


def prepare_data(cfg: RunConfig, run_dir: Path, *, data_dir: Path | None = None) -> Path:
    """``run_dir/data.jsonl``, built from the config's sources if it is not there yet."""
    path = run_dir / "data.jsonl"
    if not path.is_file():
        rows = build_examples(collect_sources(cfg.data, data_dir=data_dir), cfg.data)
        if not rows:
            raise DataError("the data config produced no training rows; check its sources")
        _write(rows, path)
    return path


def load_base_for(
    cfg: RunConfig, run_dir: Path, *, base_dir: Path | None = None
) -> tuple[Any, Any]:
    """``(model, tokenizer)`` of the run's base model (float32, train mode off)."""
    if base_dir is not None:
        return load_base(base_dir)
    if cfg.base == "builtin":
        return load_base(None)
    if cfg.base == "tiny":
        rows = read_examples(run_dir / "data.jsonl")
        return load_base(build_tiny_base(run_dir / "tiny-base", rows))
    return load_base(Path(cfg.base).expanduser())


def _init_adapter(cfg: RunConfig) -> Path | None:
    if cfg.init_adapter in (None, "", "none"):
        return None
    if cfg.init_adapter == "packaged":
        return packaged_adapter_dir()
    p = Path(cfg.init_adapter).expanduser()
    if not (p / "adapter_config.json").is_file():
        raise DataError(f"init_adapter {p} has no adapter_config.json")
    return p


def _fits(rows: list[dict[str, Any]], tok: Any, max_length: int) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        ids = tok.apply_chat_template(r["prompt"] + r["completion"], tokenize=True)
        if hasattr(ids, "keys"):
            ids = ids["input_ids"]
        if len(ids) + 1 <= max_length:
            out.append(r)
    return out


def run_sft(
    cfg: RunConfig,
    run_dir: Path,
    *,
    data_dir: Path | None = None,
    base_dir: Path | None = None,
    max_steps: int | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """Train (or continue training) the run's LoRA adapter; returns the updated state.

    ``max_steps`` overrides the config's cumulative step target (e.g. ``--steps`` for a
    short session: the run stops at ``state.steps + max_steps``).
    """
    # lazy: heavy optional library (the finetune extra), loaded only to train or generate
    import torch
    from datasets import Dataset
    from peft import LoraConfig, PeftModel
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    s = cfg.sft
    torch.set_num_threads(s.threads)
    run_dir.mkdir(parents=True, exist_ok=True)
    data_path = prepare_data(cfg, run_dir, data_dir=data_dir)
    record = read_state(run_dir)
    rows_all = read_examples(data_path)
    model, tok = load_base_for(cfg, run_dir, base_dir=base_dir)
    rows = _fits(rows_all, tok, s.max_length)
    if not rows:
        raise DataError(f"no training row fits max_length={s.max_length} tokens")
    ckpt = latest_checkpoint(run_dir)
    peft_config = None
    resumed_from = str(ckpt) if ckpt else None
    if ckpt is not None:
        # the Trainer restores optimizer, scheduler and RNG; the adapter is loaded here
        model = PeftModel.from_pretrained(model, str(ckpt), is_trainable=True)
    else:
        init = _init_adapter(cfg)
        if init is not None:
            model = PeftModel.from_pretrained(model, str(init), is_trainable=True)
            resumed_from = f"{init} (adapter only: optimizer state starts afresh)"
            prior = _adapter_state(init)
            if record["steps"] == 0 and prior:
                record.update(steps=prior.get("steps", 0), examples=prior.get("examples", 0))
        else:
            peft_config = LoraConfig(
                r=cfg.lora.r,
                lora_alpha=cfg.lora.alpha,
                lora_dropout=cfg.lora.dropout,
                target_modules=list(cfg.lora.target_modules),
                task_type="CAUSAL_LM",
            )
    # The Trainer counts steps from its checkpoint (global_step); state.json counts from the
    # first session. offset = steps done before this Trainer's step 0.
    trainer_start = int(ckpt.name.split("-")[-1]) if ckpt else 0
    offset = record["steps"] - trainer_start if ckpt else record["steps"]
    target = (record["steps"] + max_steps) if max_steps else s.max_steps
    trainer_max = max(target - offset, trainer_start + 1)
    per_step = s.batch_size * s.grad_accum
    session = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "from_steps": record["steps"],
        "resumed_from": resumed_from,
        "rows": len(rows),
        "rows_dropped_too_long": len(rows_all) - len(rows),
    }
    record.setdefault("sessions", []).append(session)
    record["data"] = summary(rows)
    record["config"] = {
        "name": cfg.name,
        "base": cfg.base,
        "lora": asdict(cfg.lora),
        "sft": asdict(s),
    }
    _write_state(run_dir, record)

    class _Every(TrainerCallback):
        """Checkpoint by wall time; keep state.json's cumulative counts current."""

        def __init__(self) -> None:
            self.last = time.monotonic()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if (
                time.monotonic() - self.last >= s.save_minutes * 60
                or state.global_step >= state.max_steps
            ):
                control.should_save = True  # by wall time, and always at the end
            return control

        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            self.last = time.monotonic()
            record["steps"] = offset + state.global_step
            record["examples"] = record["steps"] * per_step
            session["to_steps"] = record["steps"]
            session["saved"] = time.strftime("%Y-%m-%dT%H:%M:%S")
            _write_state(run_dir, record)
            return control

        def on_log(
            self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any
        ) -> Any:
            if logs:
                log(json.dumps({"step": offset + state.global_step, **logs}))
            return control

    args = SFTConfig(
        output_dir=str(run_dir / "checkpoints"),
        max_steps=trainer_max,
        per_device_train_batch_size=s.batch_size,
        gradient_accumulation_steps=s.grad_accum,
        learning_rate=s.learning_rate,
        lr_scheduler_type="constant_with_warmup",
        warmup_steps=s.warmup_steps,
        logging_steps=s.logging_steps,
        save_strategy="steps",
        save_steps=s.save_steps or 10**9,
        save_total_limit=2,
        max_length=s.max_length,
        bf16=s.bf16,
        gradient_checkpointing=False,
        use_cpu=not torch.cuda.is_available(),
        report_to=[],
        seed=s.seed,
        data_seed=s.seed,
        dataloader_num_workers=0,
        dataset_num_proc=None,
        completion_only_loss=True,
        disable_tqdm=True,
    )
    ds = Dataset.from_list([{"prompt": r["prompt"], "completion": r["completion"]} for r in rows])
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=ds,
        processing_class=tok,
        peft_config=peft_config,
        callbacks=[_Every()],
    )
    t0 = time.monotonic()
    trainer.train(resume_from_checkpoint=str(ckpt) if ckpt else None)
    record["steps"] = offset + trainer.state.global_step
    record["examples"] = record["steps"] * per_step
    session["to_steps"] = record["steps"]
    session["seconds"] = round(time.monotonic() - t0, 1)
    _write_state(run_dir, record)
    return record


def _adapter_state(adapter: Path) -> dict[str, Any]:
    p = adapter / "training_state.json"
    if p.is_file():
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except json.JSONDecodeError:
            return {}
    return {}
