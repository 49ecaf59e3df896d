"""The ``replay`` backend: recorded responses keyed by problem id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optiscribe.formulate.errors import BackendUnavailable, LLMError
from optiscribe.formulate.llm.config import BackendConfig
from optiscribe.formulate.llm.registry import make_backend
from optiscribe.formulate.llm.replay import ReplayBackend
from optiscribe.solvers.errors import InputError

MSGS = [{"role": "user", "content": "anything"}]


@pytest.fixture
def replay_file(tmp_path: Path) -> Path:
    f = tmp_path / "outputs.jsonl"
    lines = [
        {"id": "p1", "response": "only answer", "model": "gpt-x"},
        {"id": 2, "responses": ["bad first", "good second", "third"]},
        {"id": "p1", "response": "appended later"},
    ]
    f.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    return f


def test_responses_by_id_in_order(replay_file: Path) -> None:
    b = ReplayBackend(replay_file)
    assert b.ids == ("p1", "2")
    assert b.complete(MSGS, problem_id="2") == ["bad first"]
    assert b.complete(MSGS, problem_id="2") == ["good second"]
    assert b.complete(MSGS, problem_id="p1", n=2) == ["only answer", "appended later"]


def test_n_takes_all_samples_at_once_and_reset_rewinds(replay_file: Path) -> None:
    b = ReplayBackend(replay_file)
    assert b.complete(MSGS, problem_id=2, n=3) == ["bad first", "good second", "third"]
    with pytest.raises(LLMError, match=r"'2' has 3 recorded response\(s\).*3 already used, 1 more"):
        b.complete(MSGS, problem_id="2")
    b.reset("2")
    assert b.complete(MSGS, problem_id="2") == ["bad first"]


def test_view_binds_the_problem_id(replay_file: Path) -> None:
    b = ReplayBackend(replay_file)
    view = b.for_problem("2")
    assert view.complete(MSGS) == ["bad first"]
    assert view.complete(MSGS, problem_id="2") == ["good second"]
    with pytest.raises(LLMError, match="bound to problem '2'"):
        view.complete(MSGS, problem_id="p1")


def test_missing_id_names_id_and_file(replay_file: Path) -> None:
    b = ReplayBackend(replay_file)
    with pytest.raises(LLMError) as info:
        b.complete(MSGS, problem_id="nl4opt-99")
    assert "'nl4opt-99'" in str(info.value) and str(replay_file) in str(info.value)
    with pytest.raises(LLMError, match="nl4opt-99"):
        b.for_problem("nl4opt-99")
    with pytest.raises(LLMError, match="needs to know which problem"):
        b.complete(MSGS)


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("not json", "not valid JSON"),
        ('{"response": "x"}', "with an 'id'"),
        ('{"id": 1}', "exactly one of"),
        ('{"id": 1, "response": "a", "responses": ["b"]}', "exactly one of"),
        ('{"id": 1, "responses": [1, 2]}', "must be strings"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, line: str, needle: str) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text('{"id": "ok", "response": "x"}\n' + line + "\n")
    with pytest.raises(InputError) as info:
        ReplayBackend(f)
    assert f"{f}:2" in str(info.value) and needle in str(info.value)


def test_config_errors(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable, match="--replay-file"):
        make_backend(BackendConfig(backend="replay"))
    with pytest.raises(BackendUnavailable, match="does not exist"):
        make_backend(BackendConfig(backend="replay", replay_file=tmp_path / "nope.jsonl"))
