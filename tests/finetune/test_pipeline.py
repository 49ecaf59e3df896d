"""The fine-tuning pipeline end to end on the smoke config (a tiny random model, a few steps).

build-data -> sft (and a resumed sft) -> kto -> export -> load through the built-in backend,
through the real ``optiscribe finetune`` commands, TRL and peft. Takes a minute or two on CPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests._support.tiny_model import have_finetune_stack

pytestmark = [
    pytest.mark.finetune,
    pytest.mark.skipif(
        not have_finetune_stack() or __import__("importlib").util.find_spec("trl") is None,
        reason='needs the finetune extra: pip install "torch==2.13.0" -e ".[finetune]"',
    ),
]


def _cli(*args: str) -> dict:
    from optiscribe.app.cli import app

    result = CliRunner().invoke(app, ["finetune", *args])
    assert result.exit_code == 0, result.output
    # The command's answer is its last JSON line. (transformers' logger keeps the stream of
    # the first CliRunner call and may print a "Logging error" after it in later calls.)
    for line in reversed(result.output.strip().splitlines()):
        if line.startswith('{"'):
            return json.loads(line)
    raise AssertionError(f"no JSON answer in: {result.output[-2000:]}")


def test_smoke_pipeline_build_sft_resume_kto_export_and_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    run = tmp_path / "run"
    data = _cli("build-data", "--config", "smoke", "--run-dir", str(run))
    assert data["examples"] > 10 and set(data["by_task"]) <= {"q2f", "f2c", "q2c", "fix"}
    rows = [json.loads(x) for x in (run / "data.jsonl").read_text().splitlines()]
    assert all(r["completion"][0]["content"] for r in rows)

    first = _cli("sft", "--config", "smoke", "--run-dir", str(run))
    assert first["steps"] == 3
    again = _cli("sft", "--config", "smoke", "--run-dir", str(run), "--steps", "2")
    assert again["steps"] == 5  # continued from checkpoint-3, cumulative count kept
    state = json.loads((run / "state.json").read_text())
    assert state["sessions"][-1]["resumed_from"].endswith("checkpoint-3")
    assert state["examples"] == 5 * 2  # batch 2 x accumulation 1

    kto = _cli("kto", "--config", "smoke", "--run-dir", str(run))
    assert kto["steps"] == 2 and kto["samples"] == kto["desirable"] + kto["undesirable"] > 0

    out = tmp_path / "adapter"
    info = _cli("export", "--run-dir", str(run), "--out", str(out), "--stage", "kto")
    assert info["steps"] == 5 and (out / "adapter_model.safetensors").is_file()
    from safetensors import safe_open

    with safe_open(str(out / "adapter_model.safetensors"), "pt") as fh:
        key = next(iter(fh.keys()))
        assert str(fh.get_tensor(key).dtype) == "torch.bfloat16"

    from optiscribe.formulate.llm.builtin import BuiltinBackend
    from optiscribe.formulate.prompting import build_ir_messages

    backend = BuiltinBackend(
        model_dir=run / "tiny-base", adapter=out, max_new_tokens=24, route="generate"
    )
    answers = backend.complete(build_ir_messages("Maximize 3 x subject to x <= 4."))
    assert len(answers) == 1 and isinstance(answers[0], str)
    # a random model writes noise: the backend asked itself once more with the reading feedback
    assert len(backend.last_trace) == 2 and "could not be read" in backend.last_trace[0]["feedback"]


def test_unknown_config_is_bad_input(tmp_path: Path) -> None:
    from optiscribe.app.cli import app

    result = CliRunner().invoke(
        app, ["finetune", "sft", "--config", "nope", "--run-dir", str(tmp_path)]
    )
    assert result.exit_code == 3 and "no finetune config 'nope'" in result.output
