"""The ``openai`` backend against a fake chat-completions server on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest

from optiscribe.formulate.errors import (
    BackendRequestError,
    BackendUnavailable,
    LLMError,
    LLMOutputParseError,
)
from optiscribe.formulate.llm.base import json_schema_format
from optiscribe.formulate.llm.config import BackendConfig
from optiscribe.formulate.llm.openai import OpenAIBackend, public_endpoint
from optiscribe.formulate.llm.registry import make_backend
from tests._support.fake_openai import FakeOpenAIServer, Fault, RawReply, RecordedRequest

KEY = "sk-test-SECRET-0123456789"
MSGS = [{"role": "user", "content": "Formulate: maximise 3x + 2y."}]
SCHEMA = {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(hang_seconds=2.0, max_lifetime=60) as server:
        yield server


def backend(fake: FakeOpenAIServer, **kw) -> OpenAIBackend:
    args = dict(
        model="fake-model",
        base_url=fake.base_url,
        env={"OPENAI_API_KEY": KEY},
        timeout=0.5,
        max_retries=2,
        backoff_base=0.001,
        backoff_max=0.01,
    )
    args.update(kw)
    return OpenAIBackend(**args)


def test_plain_completion_sends_key_model_and_messages(fake: FakeOpenAIServer) -> None:
    fake.add("hello")
    assert backend(fake).complete(MSGS, temperature=0.2) == ["hello"]
    req = fake.last
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.json["model"] == "fake-model"
    assert req.json["messages"] == MSGS
    assert req.json["temperature"] == 0.2
    assert "n" not in req.json and "response_format" not in req.json


def test_key_from_a_configurable_env_var(fake: FakeOpenAIServer) -> None:
    fake.add("ok")
    b = backend(fake, api_key_env="DEEPSEEK_API_KEY", env={"DEEPSEEK_API_KEY": "ds-key-42"})
    b.complete(MSGS)
    assert fake.last.headers["authorization"] == "Bearer ds-key-42"


def test_json_schema_mode_sends_the_schema(fake: FakeOpenAIServer) -> None:
    fake.add('{"x": 1}')
    fmt = json_schema_format(SCHEMA, name="answer")
    assert backend(fake).complete(MSGS, response_format=fmt) == ['{"x": 1}']
    sent = fake.last.json["response_format"]
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["schema"] == SCHEMA and sent["json_schema"]["name"] == "answer"
    assert fake.last.json["messages"] == MSGS


def test_json_object_mode_downgrades_and_puts_schema_in_prompt(fake: FakeOpenAIServer) -> None:
    fake.add('{"x": 1}')
    backend(fake, structured="json_object").complete(
        MSGS, response_format=json_schema_format(SCHEMA)
    )
    body = fake.last.json
    assert body["response_format"] == {"type": "json_object"}
    assert body["messages"][:1] == MSGS
    assert (
        body["messages"][-1]["role"] == "system"
        and '"required": ["x"]' in body["messages"][-1]["content"]
    )


def test_none_mode_sends_no_response_format(fake: FakeOpenAIServer) -> None:
    fake.add('```json\n{"x": 1}\n```')
    out = backend(fake, structured="none").complete(
        MSGS, response_format=json_schema_format(SCHEMA)
    )
    assert "response_format" not in fake.last.json
    assert "JSON schema" in fake.last.json["messages"][-1]["content"]
    assert out == ['```json\n{"x": 1}\n```']


def test_n_is_sent_and_missing_choices_are_requested_again(fake: FakeOpenAIServer) -> None:
    fake.add_many(["a", "b"], "c")  # the server ignores n on the second round
    b = backend(fake)
    assert b.complete(MSGS, n=3) == ["a", "b", "c"]
    assert [r.json.get("n") for r in fake.chat_requests] == [3, None]


def test_problem_id_travels_as_a_header(fake: FakeOpenAIServer) -> None:
    fake.add("x")
    backend(fake).complete(MSGS, problem_id="nl4opt-7")
    assert fake.last.headers["x-optiscribe-problem-id"] == "nl4opt-7"
    assert "problem_id" not in fake.last.json and "metadata" not in fake.last.json


@pytest.mark.parametrize(
    "fault",
    [
        Fault.RATE_LIMIT,
        Fault.SERVER_ERROR,
        Fault.BAD_GATEWAY,
        Fault.TIMEOUT,
        Fault.DISCONNECT,
        Fault.EMPTY_CHOICES,
        Fault.BLANK_CONTENT,
    ],
)
def test_transient_faults_are_retried(fake: FakeOpenAIServer, fault: Fault) -> None:
    fake.add_many(fault, "recovered")
    assert backend(fake).complete(MSGS) == ["recovered"]
    assert len(fake.chat_requests) == 2


def test_rate_limit_exhausted_reports_status_and_attempts(fake: FakeOpenAIServer) -> None:
    fake.add(Fault.RATE_LIMIT, times=3)
    with pytest.raises(BackendRequestError) as info:
        backend(fake, max_retries=2).complete(MSGS)
    err = info.value
    assert err.status_code == 429 and err.attempts == 3 and err.endpoint == fake.base_url
    assert "3 attempt(s)" in str(err) and "Rate limit" in str(err)
    assert len(fake.chat_requests) == 3


def test_persistent_500_gives_up_after_max_retries(fake: FakeOpenAIServer) -> None:
    fake.add(Fault.SERVER_ERROR, times=5)
    with pytest.raises(BackendRequestError) as info:
        backend(fake, max_retries=1).complete(MSGS)
    assert info.value.status_code == 500 and info.value.attempts == 2
    assert fake.remaining == 3


def test_empty_choices_exhausted(fake: FakeOpenAIServer) -> None:
    fake.add(Fault.EMPTY_CHOICES, times=3)
    with pytest.raises(BackendRequestError, match="no choices or only blank content"):
        backend(fake).complete(MSGS)


def test_timeout_exhausted_is_unavailable_with_hint(fake: FakeOpenAIServer) -> None:
    fake.add(Fault.TIMEOUT, times=2)
    t0 = time.monotonic()
    with pytest.raises(BackendUnavailable) as info:
        backend(fake, max_retries=1, timeout=0.3).complete(MSGS)
    assert time.monotonic() - t0 < 5
    assert "timed out after 0.3s" in str(info.value) and info.value.attempts == 2
    assert "--timeout" in str(info.value)


@pytest.mark.parametrize(
    ("fault", "exc", "needle"),
    [
        (Fault.MALFORMED_JSON, BackendRequestError, "not chat.completion JSON"),
        (Fault.BAD_REQUEST, BackendRequestError, "HTTP 400: Invalid value for 'messages'"),
        (Fault.UNAUTHORIZED, BackendUnavailable, "check the API key in $OPENAI_API_KEY"),
        (Fault.TRUNCATED, LLMOutputParseError, "cut off at the token limit"),
    ],
)
def test_non_transient_faults_fail_at_once(
    fake: FakeOpenAIServer, fault: Fault, exc: type[LLMError], needle: str
) -> None:
    fake.add_many(fault, "never served")
    with pytest.raises(exc) as info:
        backend(fake).complete(MSGS)
    assert needle in str(info.value)
    assert len(fake.chat_requests) == 1 and fake.remaining == 1


def test_unknown_model_names_model_and_lists_known_ones() -> None:
    with FakeOpenAIServer(models=("qwen2.5:7b", "llama3"), strict_models=True) as fake:
        with pytest.raises(BackendUnavailable) as info:
            backend(fake, model="gpt-9").complete(MSGS)
    msg = str(info.value)
    assert "'gpt-9'" in msg and "qwen2.5:7b, llama3" in msg and info.value.status_code == 404


def test_unreachable_endpoint_is_clear() -> None:
    with socket.socket() as s:  # a port that is certainly closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    b = OpenAIBackend(
        model="m",
        base_url=f"http://127.0.0.1:{port}/v1",
        env={},
        timeout=1,
        max_retries=1,
        backoff_base=0.001,
    )
    with pytest.raises(BackendUnavailable) as info:
        b.complete(MSGS)
    msg = str(info.value)
    assert (
        f"127.0.0.1:{port}/v1" in msg and "2 attempt(s)" in msg and "Is the server running" in msg
    )


def test_openai_itself_without_key_fails_at_construction() -> None:
    with pytest.raises(BackendUnavailable, match="set the environment variable MY_KEY"):
        OpenAIBackend(model="gpt-4o-mini", api_key_env="MY_KEY", env={})


def test_local_server_without_key_uses_a_placeholder(fake: FakeOpenAIServer) -> None:
    fake.add("ok")
    b = backend(fake, env={})
    assert b.complete(MSGS) == ["ok"] and "(unset)" in repr(b)
    assert fake.last.headers["authorization"] == "Bearer EMPTY"


def test_missing_model_is_a_clear_error(fake: FakeOpenAIServer) -> None:
    with pytest.raises(BackendUnavailable, match="needs a model name"):
        make_backend(BackendConfig(backend="openai", base_url=fake.base_url))


def test_key_never_appears_in_repr_str_errors_or_logs(
    fake: FakeOpenAIServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    b = make_backend(
        BackendConfig(
            backend="openai", base_url=fake.base_url, model="fake-model", timeout=0.5, max_retries=1
        )
    )
    b.backoff_base = 0.001  # type: ignore[attr-defined]
    assert KEY not in repr(b) and KEY not in str(b) and "(set)" in repr(b)
    caplog.set_level(logging.DEBUG)
    seen = []
    for fault in (Fault.SERVER_ERROR, Fault.UNAUTHORIZED, Fault.MALFORMED_JSON):
        fake.handler = lambda req, f=fault: f
        with pytest.raises(LLMError) as info:
            b.complete(MSGS)
        seen.append(info.value)
    # A server that echoes the key in its error must not leak it through our message.
    fake.handler = _echo_key_error
    with pytest.raises(BackendRequestError) as info:
        b.complete(MSGS)
    seen.append(info.value)
    for err in seen:
        text = str(err) + repr(err) + repr(vars(err))
        assert KEY not in text
    assert "***" in str(seen[-1])
    assert KEY not in caplog.text


def _echo_key_error(req: RecordedRequest) -> RawReply:
    """A badly behaved server that reflects the Authorization header in its error."""
    message = f"bad key {req.headers['authorization']}"
    return RawReply(
        status=400, body={"error": {"message": message, "type": "invalid_request_error"}}
    )


def test_public_endpoint_strips_credentials() -> None:
    assert public_endpoint("https://user:pw@host:8443/v1?key=abc#x") == "https://host:8443/v1"


def test_structured_mode_is_validated_at_construction(fake: FakeOpenAIServer) -> None:
    with pytest.raises(LLMError, match="structured='grammar'"):
        backend(fake, structured="grammar")
