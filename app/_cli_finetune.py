"""``optiscribe finetune ...``: build data, train (SFT, KTO), evaluate and export the built-in model.

The pipeline lives in :mod:`optiscribe.finetune`; these commands are thin wrappers. A run is
one folder (``--run-dir``) and one config (``--config``: a YAML file or a bundled name,
``smoke`` or ``builtin``)::

    optiscribe finetune build-data --config builtin --run-dir RUN
    optiscribe finetune sft   --config builtin --run-dir RUN     # resumable: run it again
    optiscribe finetune kto   --config builtin --run-dir RUN
    optiscribe finetune eval  --run-dir RUN --benchmark nl4opt --limit 40
    optiscribe finetune export --run-dir RUN --out data/model/adapter
    optiscribe finetune tagger --out data/model/tagger.crfsuite   # the extraction route's tagger
    optiscribe finetune tagger --kind minilm                      # its better tagger (MiniLM)
    optiscribe finetune eval  --route extract --benchmark nl4opt --limit 0

Exit codes: 0 done; 3 bad input (unknown config, missing run folder or data, missing
packages: the message says what to install).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from optiscribe.app._exit import fail
from optiscribe.formulate.errors import LLMError

finetune_app = typer.Typer(
    help="Train the built-in model: build-data, sft, kto, export (generative route), tagger "
    "(extraction route), eval.",
    no_args_is_help=True,
)

ConfigOpt = Annotated[
    str, typer.Option("--config", help="YAML file or bundled config name (smoke, builtin)")
]
RunDirOpt = Annotated[Path, typer.Option("--run-dir", help="run folder (data, checkpoints, state)")]
DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="shared data root (default: $OPTISCRIBE_SHARED_DATA or ../shared)"
    ),
]


def _errors() -> tuple[type[BaseException], ...]:
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.data.errors import DataError

    return (DataError, LLMError, OSError)


def _config(name: str) -> Any:
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.finetune.config import load_config

    try:
        return load_config(name)
    except _errors() as exc:
        raise fail(str(exc)) from None


def build_data(
    config: ConfigOpt = "builtin", run_dir: RunDirOpt = Path("run"), data_dir: DataDirOpt = None
) -> None:
    """Build the run's training rows (``RUN/data.jsonl``), every target solved and checked."""
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.finetune.data import read_examples, summary
    from optiscribe.finetune.sft import prepare_data

    cfg = _config(config)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        path = prepare_data(cfg, run_dir, data_dir=data_dir)
        typer.echo(json.dumps({"data": str(path), **summary(read_examples(path))}))
    except _errors() as exc:
        raise fail(str(exc)) from None


def sft(
    config: ConfigOpt = "builtin",
    run_dir: RunDirOpt = Path("run"),
    data_dir: DataDirOpt = None,
    steps: Annotated[
        int | None,
        typer.Option("--steps", help="stop after this many more steps (default: the config's)"),
    ] = None,
    base_dir: Annotated[
        Path | None, typer.Option("--base-dir", help="base model folder (overrides the config)")
    ] = None,
) -> None:
    """Supervised fine-tuning with LoRA; continues from the run's newest checkpoint."""
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.finetune.sft import run_sft

    cfg = _config(config)
    try:
        state = run_sft(cfg, run_dir, data_dir=data_dir, base_dir=base_dir, max_steps=steps)
    except _errors() as exc:
        raise fail(str(exc)) from None
    typer.echo(json.dumps({"steps": state["steps"], "examples": state["examples"]}))


def kto(
    config: ConfigOpt = "builtin",
    run_dir: RunDirOpt = Path("run"),
    base_dir: Annotated[Path | None, typer.Option("--base-dir", help="base model folder")] = None,
) -> None:
    """KTO on answers sampled from the SFT model, labelled by the solver against the optimum."""
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.finetune.kto import run_kto

    cfg = _config(config)
    try:
        out = run_kto(cfg, run_dir, base_dir=base_dir)
    except _errors() as exc:
        raise fail(str(exc)) from None
    typer.echo(json.dumps(out))


def export(
    run_dir: RunDirOpt = Path("run"),
    out: Annotated[Path, typer.Option("--out", help="adapter folder to write")] = Path(
        "data/model/adapter"
    ),
    stage: Annotated[str, typer.Option("--stage", help="sft or kto")] = "sft",
    card: Annotated[
        Path | None, typer.Option("--card", help="also write a model card (MODEL_CARD.md) here")
    ] = None,
) -> None:
    """Write the run's newest adapter in bf16 safetensors, with its training state."""
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.finetune.export import export_adapter, write_model_card

    try:
        info = export_adapter(run_dir, out, stage=stage)
        if card is not None:
            write_model_card(card, info)
    except _errors() as exc:
        raise fail(str(exc)) from None
    typer.echo(json.dumps(info))


def evaluate(
    adapter: Annotated[Path, typer.Option("--adapter", help="adapter folder")] = Path(
        "data/model/adapter"
    ),
    benchmark: Annotated[str, typer.Option("--benchmark", help="benchmark name")] = "nl4opt",
    limit: Annotated[int, typer.Option("--limit", help="first N problems (0: all)")] = 40,
    route: Annotated[
        str, typer.Option("--route", help="built-in route: auto, extract or generate")
    ] = "auto",
    rounds: Annotated[int, typer.Option("--rounds", help="correction rounds (1 = none)")] = 1,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="tokens per generation")] = 384,
    out: Annotated[Path | None, typer.Option("--out", help="write per-problem JSONL here")] = None,
    base_dir: Annotated[Path | None, typer.Option("--base-dir", help="base model folder")] = None,
    data_dir: DataDirOpt = None,
    card: Annotated[
        Path | None,
        typer.Option(
            "--card", help="rewrite this model card with the adapter's state and the scores"
        ),
    ] = None,
) -> None:
    """Score the built-in model on a benchmark's first N problems (accuracy, latency, load time)."""
    # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
    from optiscribe.finetune.evaluate import evaluate_builtin
    from optiscribe.finetune.export import write_model_card

    try:
        report = evaluate_builtin(
            adapter,
            benchmark=benchmark,
            limit=limit,
            rounds=rounds,
            out=out,
            base_dir=base_dir,
            data_dir=data_dir,
            max_new_tokens=max_tokens,
            route=route,
        )
        if card is not None:
            state_file = adapter / "training_state.json"
            info = (
                json.loads(state_file.read_text(encoding="utf-8")) if state_file.is_file() else {}
            )
            what = f"{benchmark} first {limit}" if limit else f"{benchmark} all"
            write_model_card(card, info, {f"{what}, route {route}": report})
    except _errors() as exc:
        raise fail(str(exc)) from None
    typer.echo(json.dumps(report))


TAGGER_KINDS = ("crf", "minilm")
TAGGER_OUT = {
    "crf": Path("data/model/tagger.crfsuite"),
    "minilm": Path("data/model/tagger-minilm.npz"),
}


def tagger(
    kind: Annotated[
        str, typer.Option("--kind", help="crf (core install) or minilm (needs the finetune extra)")
    ] = "crf",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="where to write the model (default: data/model/<the shipped name>)"
        ),
    ] = None,
    iterations: Annotated[int, typer.Option("--iterations", help="crf: L-BFGS iterations")] = 200,
    epochs: Annotated[
        int, typer.Option("--epochs", help="minilm: passes over the train split")
    ] = 4,
    limit: Annotated[
        int, typer.Option("--limit", help="minilm: train on the first N problems only (0: all)")
    ] = 0,
    card: Annotated[
        Path | None, typer.Option("--card", help="write the tagger's model card here")
    ] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Train the extraction route's entity tagger on NL4Opt's NER train split; score it on dev."""
    if kind not in TAGGER_KINDS:
        raise fail(f"unknown tagger kind {kind!r}: choose one of {', '.join(TAGGER_KINDS)}")
    if epochs < 1 or limit < 0:
        raise fail("--epochs must be at least 1 and --limit at least 0")
    target = out if out is not None else TAGGER_OUT[kind]
    try:
        if kind == "crf":
            # lazy: the tagger's trainer loads the IR and pyomo (0.2 s), too much for `--help`
            from optiscribe.finetune.tagger import train_tagger, write_tagger_card

            path, score, seconds = train_tagger(
                target, data_dir=data_dir, max_iterations=iterations
            )
            if card is not None:
                write_tagger_card(card, score, seconds=seconds, iterations=iterations, out=path)
        else:
            # lazy: as above, and the trainer imports torch when it runs
            from optiscribe.finetune.encoder_tagger import (
                EncoderRecipe,
                train_encoder_tagger,
                write_encoder_card,
            )

            recipe = EncoderRecipe(epochs=epochs, limit=limit or None)
            path, score, seconds = train_encoder_tagger(
                target,
                recipe=recipe,
                data_dir=data_dir,
                log=lambda line: typer.echo(line, err=True),
            )
            if card is not None:
                write_encoder_card(card, score, seconds=seconds, recipe=recipe, out=path)
    except _errors() as exc:
        raise fail(str(exc)) from None
    per_type = {t: round(f1, 3) for t, (_, _, f1) in score.per_type.items()}
    report = {"kind": kind, "out": str(path), "seconds": round(seconds, 1),
              "dev_micro_f1": round(score.micro_f1, 3), "dev_f1": per_type}  # fmt: skip
    typer.echo(json.dumps(report))


finetune_app.command("build-data")(build_data)
finetune_app.command("tagger")(tagger)
finetune_app.command("sft")(sft)
finetune_app.command("kto")(kto)
finetune_app.command("export")(export)
finetune_app.command("eval")(evaluate)


def register(app: typer.Typer) -> None:
    """Add the ``finetune`` sub-app to ``app``."""
    app.add_typer(finetune_app, name="finetune")
