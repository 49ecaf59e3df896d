"""``serve``: the OpenAI-compatible server in front of a backend, reached over loopback."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from optiscribe.formulate.errors import BackendUnavailable, LLMError, LLMOutputParseError
from optiscribe.formulate.llm.base import LLMBackend, json_schema_format
from optiscribe.formulate.llm.openai import OpenAIBackend
from optiscribe.formulate.llm.replay import ReplayBackend
from optiscribe.formulate.llm.scripted import ScriptedBackend
from optiscribe.formulate.llm.serve import ChatCompletionsServer, make_server

MSGS = [
    {"role": "system", "content": "You formulate MILPs."},
    {"role": "user", "content": "Maximise 3x + 2y."},
]


@contextmanager
def serving(backend: LLMBackend, **kw: Any) -> Iterator[ChatCompletionsServer]:
    server = make_server(backend, "127.0.0.1", 0, **kw)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def client(server: ChatCompletionsServer, **kw: Any) -> OpenAIBackend:
    args = dict(model=server.model_name, base_url=server.url, env={}, timeout=5, max_retries=0)
    args.update(kw)
    return OpenAIBackend(**args)


def post(
    server: ChatCompletionsServer,
    body: Any,
    headers: dict | None = None,
    path: str = "/v1/chat/completions",
) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(
        server.url.removesuffix("/v1") + path,
        data=data,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_openai_backend_end_to_end_through_serve_scripted() -> None:
    scripted = ScriptedBackend(["first", "s1", "s2", "s3"])
    with serving(scripted, model_name="tiny") as server:
        oa = client(server)
        assert oa.complete(MSGS) == ["first"]
        assert oa.complete(MSGS, n=3, temperature=0.9) == ["s1", "s2", "s3"]
    call = scripted.calls[1]
    assert call.messages == tuple(MSGS)
    assert call.n == 3 and call.temperature == 0.9


def test_response_format_reaches_the_backend() -> None:
    scripted = ScriptedBackend(['{"x": 1}'])
    fmt = json_schema_format({"type": "object", "properties": {"x": {"type": "number"}}})
    with serving(scripted, model_name="tiny") as server:
        assert client(server).complete(MSGS, response_format=fmt) == ['{"x": 1}']
    assert scripted.calls[0].response_format == fmt


def test_replay_behind_serve_gets_problem_id_from_header_or_metadata(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text('{"id": "p7", "responses": ["one", "two"]}\n')
    with serving(ReplayBackend(f)) as server:
        assert server.model_name == "optiscribe-replay"
        assert client(server).complete(MSGS, problem_id="p7") == ["one"]
        status, body = post(
            server, {"model": server.model_name, "messages": MSGS, "metadata": {"problem_id": "p7"}}
        )
        assert status == 200 and body["choices"][0]["message"]["content"] == "two"
        # Unknown id: a client error (4xx) naming the id, never the server's file.
        with pytest.raises(LLMError) as info:
            client(server).complete(MSGS, problem_id="p8")
        assert "'p8'" in str(info.value) and str(tmp_path) not in str(info.value)
        status, body = post(
            server, {"model": server.model_name, "messages": MSGS, "metadata": {"problem_id": "p8"}}
        )
        assert status == 400 and body["error"]["code"] == "problem_not_found"
        assert str(tmp_path) not in json.dumps(body)
        # Exhausted responses: the backend's message reaches the client without the path.
        status, body = post(
            server, {"model": server.model_name, "messages": MSGS, "metadata": {"problem_id": "p7"}}
        )
        assert status == 500 and "'p7'" in body["error"]["message"]
        assert str(tmp_path) not in json.dumps(body) and "<server file>" in json.dumps(body)


def test_completion_json_shape_and_models() -> None:
    with serving(ScriptedBackend(["a", "b"]), model_name="tiny") as server:
        status, body = post(server, {"model": "tiny", "messages": MSGS, "n": 2})
        assert status == 200
        assert body["object"] == "chat.completion" and body["model"] == "tiny"
        assert body["id"].startswith("chatcmpl-")
        assert [c["index"] for c in body["choices"]] == [0, 1]
        assert body["choices"][1] == {
            "index": 1,
            "message": {"role": "assistant", "content": "b"},
            "finish_reason": "stop",
            "logprobs": None,
        }
        assert "usage" not in body  # the scripted backend cannot count tokens
        with urllib.request.urlopen(server.url + "/models", timeout=5) as resp:
            models = json.loads(resp.read())
        assert [m["id"] for m in models["data"]] == ["tiny"]
        with urllib.request.urlopen(server.url.removesuffix("/v1") + "/health", timeout=5) as r:
            assert json.loads(r.read()) == {"status": "ok"}


class _Counting(ScriptedBackend):
    def count_tokens(self, text: str) -> int:
        return len(text.split())


def test_usage_when_the_backend_counts_tokens() -> None:
    with serving(_Counting(["one two three"]), model_name="tiny") as server:
        _, body = post(server, {"model": "tiny", "messages": [{"role": "user", "content": "a b"}]})
    assert body["usage"] == {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        (b"{not json", 400, None),
        ([1, 2], 400, None),
        ({"messages": MSGS}, 400, "model"),
        ({"model": "other", "messages": MSGS}, 404, "model"),
        ({"model": "tiny", "messages": []}, 400, "messages"),
        (
            {"model": "tiny", "messages": [{"role": "wizard", "content": "x"}]},
            400,
            "messages[0].role",
        ),
        (
            {"model": "tiny", "messages": [{"role": "user", "content": 5}]},
            400,
            "messages[0].content",
        ),
        ({"model": "tiny", "messages": MSGS, "n": 0}, 400, "n"),
        ({"model": "tiny", "messages": MSGS, "n": 1000}, 400, "n"),
        ({"model": "tiny", "messages": MSGS, "temperature": 3}, 400, "temperature"),
        (
            {"model": "tiny", "messages": MSGS, "response_format": {"type": "xml"}},
            400,
            "response_format",
        ),
        ({"model": "tiny", "messages": MSGS, "stream": True}, 400, "stream"),
    ],
)
def test_bad_requests_get_openai_error_json(body: Any, status: int, param: str | None) -> None:
    scripted = ScriptedBackend([])
    with serving(scripted, model_name="tiny") as server:
        got_status, got = post(server, body)
    assert got_status == status
    assert got["error"]["param"] == param and got["error"]["message"]
    assert got["error"]["type"] == "invalid_request_error"
    assert scripted.calls == []  # rejected before reaching the backend


def test_content_parts_are_joined() -> None:
    scripted = ScriptedBackend(["ok"])
    with serving(scripted, model_name="tiny") as server:
        status, _ = post(
            server,
            {
                "model": "tiny",
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                    }
                ],
            },
        )
    assert status == 200 and scripted.calls[0].messages[0]["content"] == "ab"


def test_unknown_routes_and_unknown_model_via_openai_backend() -> None:
    with serving(ScriptedBackend([]), model_name="tiny") as server:
        status, body = post(server, {}, path="/v1/embeddings")
        assert status == 404 and "no route" in body["error"]["message"]
        with pytest.raises(BackendUnavailable) as info:
            client(server, model="not-served").complete(MSGS)
        assert "'not-served'" in str(info.value) and "tiny" in str(info.value)


@pytest.mark.parametrize(
    ("error", "status", "type_"),
    [
        (BackendUnavailable("model gone"), 503, "backend_unavailable"),
        (LLMOutputParseError("truncated"), 500, "output_error"),
        (LLMError("replay exhausted"), 500, "backend_error"),
        (RuntimeError("secret internals"), 500, "server_error"),
    ],
)
def test_backend_failures_become_error_json(error: Exception, status: int, type_: str) -> None:
    with serving(ScriptedBackend([error]), model_name="tiny") as server:
        got_status, body = post(server, {"model": "tiny", "messages": MSGS})
    assert got_status == status and body["error"]["type"] == type_
    if isinstance(error, LLMError):
        assert str(error) in body["error"]["message"]
    else:
        assert "secret internals" not in body["error"]["message"]


def test_api_key_required_when_configured() -> None:
    with serving(ScriptedBackend(["ok"]), model_name="tiny", api_key="serve-key-1") as server:
        status, body = post(server, {"model": "tiny", "messages": MSGS})
        assert status == 401 and body["error"]["code"] == "invalid_api_key"
        oa = client(server, api_key_env="SERVE_KEY", env={"SERVE_KEY": "serve-key-1"})
        assert oa.complete(MSGS) == ["ok"]
