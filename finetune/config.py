"""Fine-tuning run configuration: one YAML file per run (``finetune/configs/*.yaml``).

A config names the base model, the data to build, the LoRA shape and the SFT/KTO trainer
settings. The same file runs on a laptop CPU and on a GPU; only ``device``-type settings
(threads, precision, batch size) differ between ``smoke.yaml``, ``builtin.yaml`` and a GPU
copy. Unknown keys are errors (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from optiscribe.data.errors import DataError
from optiscribe.finetune.data import DataConfig

__all__ = ["KTOSettings", "LoraSettings", "RunConfig", "SFTSettings", "load_config"]


@dataclass(frozen=True)
class LoraSettings:
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: tuple[str, ...] = (
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    )


@dataclass(frozen=True)
class SFTSettings:
    learning_rate: float = 2e-4
    batch_size: int = 4
    grad_accum: int = 2
    max_length: int = 640
    """Rows longer than this (prompt + completion tokens) are dropped, never truncated."""
    max_steps: int = 100_000
    """Cumulative optimizer steps at which the run stops (runs are usually stopped earlier)."""
    warmup_steps: int = 20
    save_minutes: float = 15.0
    """A checkpoint every this many minutes of wall time (and at the end)."""
    save_steps: int = 0
    """A checkpoint every this many steps as well (0: only by time)."""
    logging_steps: int = 5
    threads: int = 1
    seed: int = 0
    bf16: bool = False
    """CPU: False (bf16 autocast makes a CPU LoRA step 10-20x slower); GPU: True."""


@dataclass(frozen=True)
class KTOSettings:
    learning_rate: float = 5e-5
    batch_size: int = 4
    grad_accum: int = 1
    max_length: int = 640
    max_steps: int = 50
    beta: float = 0.1
    samples_per_problem: int = 4
    temperature: float = 0.8
    problems: int = 60
    """How many training problems to sample answers for."""
    threads: int = 1
    seed: int = 0
    bf16: bool = False


@dataclass(frozen=True)
class RunConfig:
    """A whole run; ``base`` is ``builtin`` (SmolLM2 from its wheel), ``tiny`` (a random
    2-layer model built here, for CI) or a model folder."""

    name: str
    base: str = "builtin"
    data: DataConfig = field(default_factory=DataConfig)
    lora: LoraSettings = field(default_factory=LoraSettings)
    sft: SFTSettings = field(default_factory=SFTSettings)
    kto: KTOSettings = field(default_factory=KTOSettings)
    init_adapter: str | None = None
    """Adapter to start from when the run folder has no checkpoint: ``packaged`` (the one
    shipped in ``optiscribe.data.model``), a folder, or none (a fresh LoRA)."""


def _build(cls: type, data: Any, where: str) -> Any:
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise DataError(f"{where} must be a mapping, not {type(data).__name__}")
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise DataError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(names)}")
    kw = {}
    for k, v in data.items():
        if isinstance(v, list):
            v = tuple(v)
        kw[k] = v
    try:
        return cls(**kw)
    except TypeError as exc:
        raise DataError(f"{where}: {exc}") from None


def load_config(path_or_name: str | Path) -> RunConfig:
    """Read a run config: a YAML path, or the name of a bundled one (``smoke``, ``builtin``)."""
    p = Path(path_or_name)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        text = p.read_text(encoding="utf-8")
        where = str(p)
    else:
        name = str(path_or_name).removesuffix(".yaml")
        ref = resources.files("optiscribe.finetune.configs").joinpath(f"{name}.yaml")
        if not ref.is_file():
            raise DataError(
                f"no finetune config {str(path_or_name)!r}: give a .yaml file or one of the "
                "bundled names (smoke, builtin)"
            )
        text = ref.read_text(encoding="utf-8")
        where = f"bundled config {name}"
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise DataError(f"{where} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or "name" not in raw:
        raise DataError(f"{where} must be a mapping with at least 'name'")
    raw = dict(raw)
    sub = {
        "data": (DataConfig, raw.pop("data", None)),
        "lora": (LoraSettings, raw.pop("lora", None)),
        "sft": (SFTSettings, raw.pop("sft", None)),
        "kto": (KTOSettings, raw.pop("kto", None)),
    }
    built = {k: _build(cls, v, f"{where}: {k}") for k, (cls, v) in sub.items()}
    if isinstance(built["data"].mix, tuple):  # pragma: no cover - YAML gives a dict
        raise DataError(f"{where}: data.mix must be a mapping task -> rate")
    return _build(RunConfig, {**raw, **built}, where)
