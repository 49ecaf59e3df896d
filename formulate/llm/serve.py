"""``optiscribe serve``: an OpenAI-compatible chat-completions server in front of any backend.

So that our ``openai`` backend (and any other client: curl, the openai SDK, editors) can
talk to a local model (``transformers``), recorded outputs (``replay``) or a scripted
test backend over HTTP. Stdlib ``ThreadingHTTPServer``: no new dependency, and fine for
one user or a test; it is not a production inference server.

Routes:

* ``GET  /v1/models`` — the one served model name.
* ``POST /v1/chat/completions`` — honours ``messages``, ``n``, ``temperature``,
  ``response_format``; ``stream: true`` is refused (400). The problem id for the replay
  backend comes from the ``X-Optiscribe-Problem-Id`` header or ``metadata.problem_id``.
* ``GET  /health`` — ``{"status": "ok"}``.

Errors are OpenAI-shaped JSON (``{"error": {"message", "type", "param", "code"}}``) with
400 (bad request), 401 (key required and missing/wrong), 404 (unknown route or model),
413 (body too large), 500/502/503 (backend failed). Backend calls are serialised by a lock
because local models are not thread-safe.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from optiscribe.formulate.errors import (
    BackendRequestError,
    BackendUnavailable,
    BadRequest,
    LLMError,
    LLMOutputParseError,
)
from optiscribe.formulate.llm.base import PROBLEM_ID_HEADER, LLMBackend

__all__ = ["MAX_BODY_BYTES", "MAX_N", "ChatCompletionsServer", "make_server"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_N = 32
_ROLES = frozenset({"system", "user", "assistant", "developer", "tool"})
_FORMAT_TYPES = frozenset({"text", "json_object", "json_schema"})

# Backend failure -> HTTP status; most specific class first.
_ERROR_STATUS: tuple[tuple[type[LLMError], int, str], ...] = (
    (BackendUnavailable, 503, "backend_unavailable"),
    (BackendRequestError, 502, "upstream_error"),
    (LLMOutputParseError, 500, "output_error"),
    (LLMError, 500, "backend_error"),
)


def _error_body(
    message: str, type_: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _text_of(content: Any, i: int) -> str:
    """Message content as text; accepts a string or a list of ``{"type": "text"}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if (
                not isinstance(part, Mapping)
                or part.get("type") != "text"
                or not isinstance(part.get("text"), str)
            ):
                raise BadRequest(
                    f"messages[{i}].content: only text parts are supported",
                    param=f"messages[{i}].content",
                )
            parts.append(part["text"])
        return "".join(parts)
    raise BadRequest(
        f"messages[{i}].content must be a string or a list of text parts",
        param=f"messages[{i}].content",
    )


def parse_chat_request(body: Any, model_name: str) -> dict[str, Any]:
    """Validate a chat-completions request body; return the normalised arguments."""
    if not isinstance(body, Mapping):
        raise BadRequest("the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("'model' is required (a string)", param="model")
    if model != model_name:
        raise BadRequest(
            f"The model `{model}` does not exist; this server serves `{model_name}`",
            status=404,
            param="model",
            code="model_not_found",
        )
    if body.get("stream"):
        raise BadRequest("stream=true is not supported by optiscribe serve", param="stream")
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise BadRequest("'messages' must be a non-empty list", param="messages")
    messages = []
    for i, m in enumerate(raw):
        if not isinstance(m, Mapping) or m.get("role") not in _ROLES:
            raise BadRequest(
                f"messages[{i}] needs a 'role' in {sorted(_ROLES)}", param=f"messages[{i}].role"
            )
        messages.append({"role": m["role"], "content": _text_of(m.get("content"), i)})
    n = body.get("n", 1)
    if n is None:
        n = 1
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_N:
        raise BadRequest(f"'n' must be an integer in [1, {MAX_N}]", param="n")
    temperature = body.get("temperature")
    if temperature is not None and (
        isinstance(temperature, bool)
        or not isinstance(temperature, (int, float))
        or not 0 <= temperature <= 2
    ):
        raise BadRequest("'temperature' must be a number in [0, 2]", param="temperature")
    fmt = body.get("response_format")
    if fmt is not None:
        if not isinstance(fmt, Mapping) or fmt.get("type") not in _FORMAT_TYPES:
            raise BadRequest(
                f"'response_format.type' must be one of {sorted(_FORMAT_TYPES)}",
                param="response_format",
            )
        if fmt["type"] == "json_schema" and not isinstance(fmt.get("json_schema"), Mapping):
            raise BadRequest(
                "'response_format.json_schema' must be an object", param="response_format"
            )
        if fmt["type"] == "text":
            fmt = None
    metadata = body.get("metadata")
    problem_id = metadata.get("problem_id") if isinstance(metadata, Mapping) else None
    return {
        "messages": messages,
        "n": n,
        "temperature": None if temperature is None else float(temperature),
        "response_format": dict(fmt) if fmt is not None else None,
        "problem_id": None if problem_id is None else str(problem_id),
    }


class ChatCompletionsServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` that answers chat completions with ``backend``."""

    daemon_threads = True

    def __init__(
        self,
        backend: LLMBackend,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        model_name: str = "optiscribe",
        api_key: str | None = None,
    ) -> None:
        super().__init__((host, port), _Handler)
        self.backend = backend
        self.model_name = model_name
        self._api_key = api_key or None
        self.backend_lock = threading.Lock()
        self.created = int(time.time())

    @property
    def url(self) -> str:
        """Base URL for OpenAI clients, e.g. ``http://127.0.0.1:8000/v1``."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"  # type: ignore[str-bytes-safe]  # AF_INET(6): host is a str

    def check_key(self, header: str | None) -> bool:
        if self._api_key is None:
            return True
        expected = f"Bearer {self._api_key}".encode()
        return header is not None and hmac.compare_digest(header.encode(), expected)

    def count_tokens(self, text: str) -> int | None:
        counter = getattr(self.backend, "count_tokens", None)
        return counter(text) if callable(counter) else None

    def __repr__(self) -> str:
        return f"ChatCompletionsServer({self.url!r}, backend={self.backend!r})"


def make_server(
    backend: LLMBackend,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    model_name: str | None = None,
    api_key: str | None = None,
) -> ChatCompletionsServer:
    """Bind a server (``port=0``: a free port) without starting it.

    Call ``serve_forever()`` (blocking) or run it in a thread; ``shutdown()`` stops it.
    ``model_name`` defaults to the backend's model name or ``"optiscribe"``; requests
    must name it. With ``api_key`` set, requests need ``Authorization: Bearer <key>``.
    """
    name = model_name or getattr(backend, "model", None) or f"optiscribe-{backend.name}"
    return ChatCompletionsServer(backend, host, port, model_name=str(name), api_key=api_key)


class _Handler(BaseHTTPRequestHandler):
    server: ChatCompletionsServer
    protocol_version = "HTTP/1.1"
    server_version = "optiscribe-serve"

    def log_message(self, format: str, *args: Any) -> None:
        # Never the headers (Authorization); just the request line and status.
        log.info("%s %s", self.address_string(), format % args)

    def _send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, err: BadRequest) -> None:
        self._send_json(err.status, _error_body(str(err), err.type_, err.param, err.code))

    def _authorised(self) -> bool:
        if self.server.check_key(self.headers.get("Authorization")):
            return True
        self._send_error(
            BadRequest(
                "missing or wrong API key (Authorization: Bearer ...)",
                status=401,
                code="invalid_api_key",
            )
        )
        return False

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/health":
            self._send_json(200, {"status": "ok"})
            return
        if not self._authorised():
            return
        if path in ("/v1/models", "/models"):
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [
                        {
                            "id": self.server.model_name,
                            "object": "model",
                            "created": self.server.created,
                            "owned_by": "optiscribe",
                        }
                    ],
                },
            )
            return
        self._send_error(BadRequest(f"no route GET {path}", status=404))

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send_error(
                BadRequest(f"request body must be 0..{MAX_BODY_BYTES} bytes", status=413)
            )
            return
        raw = self.rfile.read(length) if length else b""
        if not self._authorised():
            return
        if path not in ("/v1/chat/completions", "/chat/completions"):
            self._send_error(BadRequest(f"no route POST {path}", status=404))
            return
        try:
            try:
                body = json.loads(raw) if raw else None
            except ValueError as exc:
                raise BadRequest(f"the request body is not valid JSON: {exc}") from None
            args = parse_chat_request(body, self.server.model_name)
        except BadRequest as err:
            self._send_error(err)
            return
        header_pid = self.headers.get(PROBLEM_ID_HEADER)
        if header_pid:
            args["problem_id"] = header_pid
        try:
            with self.server.backend_lock:
                texts = self.server.backend.complete(
                    args["messages"],
                    n=args["n"],
                    temperature=args["temperature"],
                    response_format=args["response_format"],
                    problem_id=args["problem_id"],
                )
        except LLMError as exc:
            status, type_ = next((s, t) for cls, s, t in _ERROR_STATUS if isinstance(exc, cls))
            log.warning("backend %s failed: %s", self.server.backend.name, exc)
            self._send_json(status, _error_body(str(exc), type_))
            return
        except Exception:
            log.exception("backend %s raised unexpectedly", self.server.backend.name)
            self._send_json(
                500,
                _error_body("internal error in the backend; see the server log", "server_error"),
            )
            return
        self._send_json(200, self._completion(args, texts))

    def _completion(self, args: dict[str, Any], texts: list[str]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.server.model_name,
            "choices": [
                {
                    "index": i,
                    "message": {"role": "assistant", "content": t},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
                for i, t in enumerate(texts)
            ],
        }
        prompt = self.server.count_tokens("\n".join(m["content"] for m in args["messages"]))
        if prompt is not None:
            completion = sum(self.server.count_tokens(t) or 0 for t in texts)
            payload["usage"] = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }
        return payload
