"""A fake OpenAI-compatible chat-completions server on 127.0.0.1, for offline tests.

Why a real HTTP server rather than mocking the HTTP library: the ``openai`` SDK changed
transports between majors (httpx -> httpx2), which breaks respx-style mocks; a socket on
loopback works with any client and lets tests assert what was actually sent.

API
---
``FakeOpenAIServer(*, models=("fake-model",), default=None, handler=None,
hang_seconds=3.0, max_lifetime=120.0)``

* Use it as a context manager (``with FakeOpenAIServer() as fake: ...``) or call
  ``start()`` / ``stop()``. It binds ``127.0.0.1`` on a free port; ``fake.base_url`` is
  ``"http://127.0.0.1:<port>/v1"``. A watchdog stops it after ``max_lifetime`` seconds even
  if a test forgets to, and faults that hang never sleep longer than ``hang_seconds``.
* Script answers, consumed one per ``POST /v1/chat/completions`` in order:

  - ``fake.add("text")`` — one choice with that content (``n`` in the request is ignored;
    script a list to return several choices);
  - ``fake.add(["a", "b"])`` — two choices;
  - ``fake.add(Reply(contents=[...], finish_reason="stop", status=200, headers={}))``;
  - ``fake.add(Fault.RATE_LIMIT)`` etc. — see :class:`Fault`;
  - ``fake.add(RawReply(status=400, body={"error": {...}}))`` — any status/body/headers;
  - ``fake.add_many("x", Fault.SERVER_ERROR, "y")``.

  ``fake.add("text", times=3)`` repeats an item. When the script is empty the server
  answers ``default`` (a str/list/Reply/Fault, or a callable as for ``handler``); if
  ``default`` is ``None`` it answers HTTP 418 with an error JSON saying the script is
  exhausted (418 is not retried by clients, so the test fails clearly).
* ``handler=fn``: ``fn(request: RecordedRequest) -> str | list[str] | Reply | Fault`` is
  called for every chat request instead of the script (for dynamic replies, e.g. echoing
  the prompt or answering by problem id in batch tests).
* Inspect what arrived: ``fake.requests`` (all requests, a list of
  :class:`RecordedRequest`), ``fake.chat_requests`` (only chat completions),
  ``fake.last`` (the last chat request). ``RecordedRequest`` has ``method``, ``path``,
  ``headers`` (lower-cased names), ``body`` (raw bytes) and ``json`` (parsed or ``None``),
  so e.g. ``fake.last.json["response_format"]`` or
  ``fake.last.headers["authorization"]``.
* ``GET /v1/models`` lists ``models``. A chat request whose ``model`` is not in
  ``models`` is still answered (the fake is lenient) unless ``strict_models=True``, which
  answers 404 ``model_not_found`` like OpenAI.

pytest fixture pattern::

    @pytest.fixture
    def fake():
        with FakeOpenAIServer() as server:
            yield server
"""

from __future__ import annotations

import enum
import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeOpenAIServer", "Fault", "RawReply", "RecordedRequest", "Reply", "chat_completion"]


class Fault(enum.Enum):
    """Injected failures for one chat request."""

    TIMEOUT = "timeout"
    """Accept the request, then send nothing for ``hang_seconds`` and close."""
    DISCONNECT = "disconnect"
    """Close the connection without any response."""
    RATE_LIMIT = "rate_limit"
    """HTTP 429 with ``Retry-After: 0`` and an OpenAI error body."""
    SERVER_ERROR = "server_error"
    """HTTP 500 with an OpenAI error body."""
    BAD_GATEWAY = "bad_gateway"
    """HTTP 502 with a non-JSON (HTML) body, as a proxy would send."""
    MALFORMED_JSON = "malformed_json"
    """HTTP 200, ``Content-Type: application/json``, body that is not valid JSON."""
    TRUNCATED = "truncated"
    """HTTP 200, one choice with partial JSON content and ``finish_reason: "length"``."""
    EMPTY_CHOICES = "empty_choices"
    """HTTP 200 with ``choices: []``."""
    BLANK_CONTENT = "blank_content"
    """HTTP 200, one choice whose content is whitespace (DeepSeek does this at times)."""
    UNKNOWN_MODEL = "unknown_model"
    """HTTP 404 with OpenAI's ``model_not_found`` error."""
    UNAUTHORIZED = "unauthorized"
    """HTTP 401 with OpenAI's ``invalid_api_key`` error."""
    BAD_REQUEST = "bad_request"
    """HTTP 400 with an ``invalid_request_error``."""


@dataclass(frozen=True)
class Reply:
    """A scripted successful (or custom-status) chat completion."""

    contents: Sequence[str | None] = ("",)
    finish_reason: str = "stop"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RawReply:
    """An arbitrary response: ``body`` is bytes (sent as is) or JSON-serialisable."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` if it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


Item = str | Sequence[str] | Reply | RawReply | Fault
Handler = Callable[[RecordedRequest], Item]


def chat_completion(
    contents: Sequence[str | None], *, model: str = "fake-model", finish_reason: str = "stop"
) -> dict[str, Any]:
    """A ``chat.completion`` object with one choice per content."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": i,
                "message": {"role": "assistant", "content": c},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
            for i, c in enumerate(contents)
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _error(message: str, type_: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


class FakeOpenAIServer:
    """See the module docstring for the API."""

    def __init__(
        self,
        *,
        models: Sequence[str] = ("fake-model",),
        default: Item | Handler | None = None,
        handler: Handler | None = None,
        hang_seconds: float = 3.0,
        max_lifetime: float = 120.0,
        strict_models: bool = False,
    ) -> None:
        self.models = tuple(models)
        self.default = default
        self.handler = handler
        self.hang_seconds = hang_seconds
        self.max_lifetime = max_lifetime
        self.strict_models = strict_models
        self.requests: list[RecordedRequest] = []
        self._script: list[Item] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._watchdog: threading.Timer | None = None

    # -- scripting ----------------------------------------------------------------------
    def add(self, item: Item, *, times: int = 1) -> FakeOpenAIServer:
        """Append ``item`` to the script ``times`` times; returns self for chaining."""
        with self._lock:
            self._script.extend([item] * times)
        return self

    def add_many(self, *items: Item) -> FakeOpenAIServer:
        """Append several items in order."""
        with self._lock:
            self._script.extend(items)
        return self

    @property
    def remaining(self) -> int:
        """Scripted items not yet served."""
        with self._lock:
            return len(self._script)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Recorded ``POST .../chat/completions`` requests, in order."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def last(self) -> RecordedRequest:
        """The last chat-completions request (AssertionError if there was none)."""
        reqs = self.chat_requests
        assert reqs, "the fake server received no chat-completions request"
        return reqs[-1]

    # -- lifecycle ----------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1`` — pass as the client's ``base_url``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAIServer:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                server._record(self, b"")
                if self.path.rstrip("/").endswith("/models"):
                    data = [
                        {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                        for m in server.models
                    ]
                    self._send(200, {"object": "list", "data": data})
                else:
                    self._send(404, _error(f"no route {self.path}", "invalid_request_error"))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rec = server._record(self, body)
                if not self.path.endswith("/chat/completions"):
                    self._send(404, _error(f"no route {self.path}", "invalid_request_error"))
                    return
                model = (rec.json or {}).get("model", "fake-model")
                if server.strict_models and model not in server.models:
                    self._send(
                        404,
                        _error(
                            f"The model `{model}` does not exist",
                            "invalid_request_error",
                            "model_not_found",
                        ),
                    )
                    return
                self._serve(server._next(rec), model)

            def _send(
                self,
                status: int,
                payload: Any,
                headers: dict[str, str] | None = None,
                raw: bytes | None = None,
                ctype: str = "application/json",
            ) -> None:
                data = raw if raw is not None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _serve(self, item: Item | None, model: str) -> None:
                if item is None:
                    self._send(
                        418,
                        _error(
                            "FakeOpenAIServer: no scripted response left; "
                            "add more with fake.add(...)",
                            "fake_script_exhausted",
                        ),
                    )
                elif isinstance(item, Fault):
                    self._fault(item, model)
                elif isinstance(item, Reply):
                    self._send(
                        item.status,
                        chat_completion(
                            item.contents, model=model, finish_reason=item.finish_reason
                        ),
                        headers=item.headers,
                    )
                elif isinstance(item, RawReply):
                    raw = item.body if isinstance(item.body, bytes) else None
                    self._send(
                        item.status,
                        item.body,
                        headers=item.headers,
                        raw=raw,
                        ctype=item.content_type,
                    )
                elif isinstance(item, str):
                    self._send(200, chat_completion([item], model=model))
                else:
                    self._send(200, chat_completion(list(item), model=model))

            def _fault(self, fault: Fault, model: str) -> None:
                if fault is Fault.TIMEOUT:
                    server._stopping.wait(server.hang_seconds)
                    self.close_connection = True
                elif fault is Fault.DISCONNECT:
                    self.close_connection = True
                elif fault is Fault.RATE_LIMIT:
                    self._send(
                        429,
                        _error("Rate limit reached", "requests", "rate_limit_exceeded"),
                        headers={"Retry-After": "0"},
                    )
                elif fault is Fault.SERVER_ERROR:
                    self._send(500, _error("The server had an error", "server_error"))
                elif fault is Fault.BAD_GATEWAY:
                    self._send(502, None, raw=b"<html>502 Bad Gateway</html>", ctype="text/html")
                elif fault is Fault.MALFORMED_JSON:
                    self._send(200, None, raw=b'{"id": "chatcmpl-x", "choices": [{"index": 0,')
                elif fault is Fault.TRUNCATED:
                    self._send(
                        200,
                        chat_completion(
                            ['{"sets": [{"name": "I", "ele'], model=model, finish_reason="length"
                        ),
                    )
                elif fault is Fault.EMPTY_CHOICES:
                    self._send(200, chat_completion([], model=model))
                elif fault is Fault.BLANK_CONTENT:
                    self._send(200, chat_completion(["  \n"], model=model))
                elif fault is Fault.UNKNOWN_MODEL:
                    self._send(
                        404,
                        _error(
                            f"The model `{model}` does not exist",
                            "invalid_request_error",
                            "model_not_found",
                        ),
                    )
                elif fault is Fault.UNAUTHORIZED:
                    self._send(
                        401,
                        _error(
                            "Incorrect API key provided", "invalid_request_error", "invalid_api_key"
                        ),
                    )
                elif fault is Fault.BAD_REQUEST:
                    self._send(400, _error("Invalid value for 'messages'", "invalid_request_error"))
                else:  # pragma: no cover - exhaustive
                    raise AssertionError(fault)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._watchdog = threading.Timer(self.max_lifetime, self.stop)
        self._watchdog.daemon = True
        self._watchdog.start()
        return self

    def stop(self) -> None:
        """Stop serving (idempotent); hanging faults return at once."""
        self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.cancel()
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals ----------------------------------------------------------------------
    def _record(self, h: BaseHTTPRequestHandler, body: bytes) -> RecordedRequest:
        rec = RecordedRequest(
            method=h.command,
            path=h.path,
            headers={k.lower(): v for k, v in h.headers.items()},
            body=body,
        )
        with self._lock:
            self.requests.append(rec)
        return rec

    def _next(self, rec: RecordedRequest) -> Item | None:
        if self.handler is not None:
            return self.handler(rec)
        with self._lock:
            if self._script:
                return self._script.pop(0)
        if callable(self.default) and not isinstance(self.default, (Fault, Reply, RawReply)):
            return self.default(rec)
        return self.default
