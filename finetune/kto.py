"""KTO on the SFT model's own answers, labelled by the solver and the equivalence checker.

LLMOPT's second stage: sample several answers per training problem from the SFT model, label
each desirable or undesirable, and train with Kahneman-Tversky Optimisation (TRL
``KTOTrainer``), which needs no pairs. Our labels are facts, not a judge's opinion: an answer
is **desirable** when its compact text reads, compiles and solves to the problem's known
optimum (our default tolerance) *and* the equivalence checker does not find it a different
model from the reference formulation (level ``normalized``); every other answer is
**undesirable** (unreadable, invalid, infeasible, a wrong optimum, or right by accident).

The reference model is the SFT model: TRL copies the SFT adapter into a frozen ``ref``
adapter when it is given a peft model. Output: ``RUN/kto/samples.jsonl`` (every labelled
answer) and ``RUN/kto/checkpoints/``; export with ``--stage kto``.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

from optiscribe.data.errors import DataError
from optiscribe.data.eval.score import TOLERANCES
from optiscribe.finetune.config import RunConfig
from optiscribe.finetune.data import read_examples
from optiscribe.finetune.sft import latest_checkpoint, load_base_for
from optiscribe.formulate.errors import FormulationValidationError
from optiscribe.formulate.ir.compact import CompactReadError, from_compact
from optiscribe.formulate.llm.builtin import BuiltinBackend
from optiscribe.solvers import solve
from optiscribe.solvers.errors import OptiscribeError
from optiscribe.verify import Verdict, check

__all__ = ["label_answer", "run_kto", "sample_answers"]


def label_answer(answer: str, reference: Any, optimum: float) -> tuple[bool, str]:
    """``(desirable, why)`` for one compact answer against the reference and its optimum."""
    try:
        f = from_compact(answer)
        f.validate_model()
        res = solve(f.to_pyomo(), solver="highs", time_limit=10, diagnose=False)
    except (CompactReadError, FormulationValidationError) as exc:
        return False, f"invalid: {str(exc)[:120]}"
    except (OptiscribeError, ValueError) as exc:
        return False, f"error: {str(exc)[:120]}"
    if not res.is_optimal or res.objective is None:
        return False, f"status {res.termination.value}"
    if not TOLERANCES["default"].close(float(res.objective), optimum):
        return False, f"objective {res.objective:g}, expected {optimum:g}"
    try:
        verdict = check(reference, f, level="normalized", time_limit=10).verdict
    except Exception as exc:  # the checker refuses some models (unsupported): no evidence
        return True, f"optimum matches; checker: {type(exc).__name__}"
    if verdict is Verdict.NOT_EQUIVALENT:
        return False, "optimum matches but the model differs from the reference"
    return True, f"optimum matches; checker: {verdict.value}"


def sample_answers(
    cfg: RunConfig, run_dir: Path, adapter: Path, *, base_dir: Path | None = None
) -> list[dict[str, Any]]:
    """Sample ``samples_per_problem`` answers for ``problems`` q2f rows and label each."""
    # lazy: heavy optional library (the finetune extra), loaded only to train or generate
    import torch

    k = cfg.kto
    rows = [r for r in read_examples(run_dir / "data.jsonl") if r["task"] == "q2f"]
    if not rows:
        raise DataError(f"{run_dir / 'data.jsonl'} has no q2f rows to sample problems from")
    rng = random.Random(k.seed)
    rows = rng.sample(rows, min(k.problems, len(rows)))
    model_dir = base_dir
    if model_dir is None and cfg.base == "tiny":
        model_dir = run_dir / "tiny-base"
    backend = BuiltinBackend(model_dir=model_dir, adapter=adapter, seed=k.seed, self_checks=0)
    torch.manual_seed(k.seed)
    out = []
    for r in rows:
        reference = from_compact(r["completion"][0]["content"])
        answers = backend.generate(r["prompt"], n=k.samples_per_problem, temperature=k.temperature)
        for a in answers:
            good, why = label_answer(a, reference, float(r["optimum"]))
            out.append(
                {
                    "id": r["id"],
                    "prompt": r["prompt"],
                    "completion": [{"role": "assistant", "content": a}],
                    "label": good,
                    "why": why,
                }
            )
    return out


def run_kto(cfg: RunConfig, run_dir: Path, *, base_dir: Path | None = None) -> dict[str, Any]:
    """Sample, label, and train KTO on top of the newest SFT checkpoint."""
    # lazy: heavy optional library (the finetune extra), loaded only to train or generate
    import torch
    from datasets import Dataset
    from peft import PeftModel
    from trl import KTOConfig, KTOTrainer

    k = cfg.kto
    torch.set_num_threads(k.threads)
    sft_ckpt = latest_checkpoint(run_dir)
    if sft_ckpt is None:
        raise DataError(f"{run_dir} has no SFT checkpoint; run 'optiscribe finetune sft' first")
    kdir = run_dir / "kto"
    kdir.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    samples = sample_answers(cfg, run_dir, sft_ckpt, base_dir=base_dir)
    with (kdir / "samples.jsonl").open("w", encoding="utf-8") as fh:
        for s in samples:
            fh.write(json.dumps(s, ensure_ascii=False) + "\n")
    n_good = sum(s["label"] for s in samples)
    sample_s = time.monotonic() - t0
    summary: dict[str, Any] = {
        "sft_checkpoint": str(sft_ckpt),
        "samples": len(samples),
        "desirable": n_good,
        "undesirable": len(samples) - n_good,
        "sample_seconds": round(sample_s, 1),
    }
    if n_good == 0 or n_good == len(samples):
        # KTO learns from the contrast; with one label only it still runs (TRL weights the
        # present class), but say so in the summary.
        summary["note"] = "all samples have the same label"
    model, tok = load_base_for(cfg, run_dir, base_dir=base_dir)
    tok.padding_side = "left"  # KTOTrainer needs left padding
    model = PeftModel.from_pretrained(model, str(sft_ckpt), is_trainable=True)
    args = KTOConfig(
        output_dir=str(kdir / "checkpoints"),
        max_steps=k.max_steps,
        per_device_train_batch_size=k.batch_size,
        gradient_accumulation_steps=k.grad_accum,
        learning_rate=k.learning_rate,
        beta=k.beta,
        max_length=k.max_length,
        bf16=k.bf16,
        gradient_checkpointing=False,
        use_cpu=not torch.cuda.is_available(),
        report_to=[],
        seed=k.seed,
        save_strategy="no",
        logging_steps=1,
        disable_tqdm=True,
    )
    ds = Dataset.from_list(
        [
            {"prompt": s["prompt"], "completion": s["completion"], "label": s["label"]}
            for s in samples
        ]
    )
    trainer = KTOTrainer(model=model, args=args, train_dataset=ds, processing_class=tok)
    trainer.train()
    out = kdir / "checkpoints" / f"checkpoint-{trainer.state.global_step}"
    model.save_pretrained(str(out), selected_adapters=["default"])
    (out / "trainer_state.json").write_text(
        json.dumps({"global_step": trainer.state.global_step}), encoding="utf-8"
    )
    summary.update(steps=trainer.state.global_step, checkpoint=str(out))
    summary["seconds"] = round(time.monotonic() - t0, 1)
    (kdir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
