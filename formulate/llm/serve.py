"""``optiscribe serve``: an OpenAI-compatible chat-completions server in front of any backend.

So that our ``openai`` backend (and any other client: curl, the openai SDK, editors) can
talk to a local model (``transformers``), recorded outputs (``replay``) or a scripted
test backend over HTTP. Runs on uvicorn + Starlette (the ``serve`` extra), imported only
when a server is made. It cannot be held open: request headers must arrive within
:data:`HEADER_TIMEOUT_S`, a body within :data:`BODY_TIMEOUT_S`, idle keep-alive
connections close after :data:`KEEP_ALIVE_S`, at most :data:`MAX_CONNECTIONS`
connections are served (more get 503), and at most :data:`MAX_WAITING` requests queue
for the backend (more get 503).

Routes:

* ``GET  /v1/models`` — the one served model name.
* ``POST /v1/chat/completions`` — honours ``messages``, ``n``, ``temperature``,
  ``response_format``; ``stream: true`` is refused (400). The problem id for the replay
  backend comes from the ``X-Optiscribe-Problem-Id`` header or ``metadata.problem_id``.
* ``GET  /health`` — ``{"status": "ok"}``.

Errors are OpenAI-shaped JSON (``{"error": {"message", "type", "param", "code"}}``) with
400 (bad request, unknown problem id), 401 (key required and missing/wrong), 404 (unknown
route or model), 408 (body too slow), 413 (body too large), 500/502/503 (backend failed or
busy). Backend calls are serialised because local models are not thread-safe, and no
message names a file or folder of the server.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from optiscribe.formulate.errors import (
    BackendRequestError,
    BackendUnavailable,
    BadRequest,
    LLMError,
    LLMOutputParseError,
)
from optiscribe.formulate.llm.base import PROBLEM_ID_HEADER, LLMBackend

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = [
    "BODY_TIMEOUT_S",
    "HEADER_TIMEOUT_S",
    "KEEP_ALIVE_S",
    "MAX_BODY_BYTES",
    "MAX_CONNECTIONS",
    "MAX_N",
    "MAX_WAITING",
    "ChatCompletionsServer",
    "make_server",
]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_N = 32
MAX_JSON_DEPTH = 32
HEADER_TIMEOUT_S = 10.0
"""A connection that has not sent a whole request head this long after connecting (or
after its previous response) is closed: slow clients cannot hold the server open."""
BODY_TIMEOUT_S = 30.0
KEEP_ALIVE_S = 5.0
MAX_CONNECTIONS = 64
MAX_WAITING = 8
"""Requests allowed to wait for the (serialised) backend; more are answered 503 at once."""
_SERVER_PATH = re.compile(r"(?<![\w.:/])/(?:[\w.@+~-]+/)+[\w.@+~-]*")
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


def _scrub(message: str) -> str:
    """A backend's message with the server's file and folder paths taken out."""
    return _SERVER_PATH.sub("<server file>", message)


def _json_too_deep(obj: Any) -> bool:
    stack = [(obj, 0)]
    while stack:
        o, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        if isinstance(o, dict):
            stack.extend((v, depth + 1) for v in o.values())
        elif isinstance(o, list):
            stack.extend((v, depth + 1) for v in o)
    return False


def _decode_body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        body = json.loads(raw)
    except RecursionError:
        raise BadRequest(f"the request body is nested more than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:
        raise BadRequest(f"the request body is not valid JSON: {str(exc)[:200]}") from None
    if _json_too_deep(body):
        raise BadRequest(f"the request body is nested more than {MAX_JSON_DEPTH} levels")
    return body


def _guarded_protocol() -> type:
    """uvicorn's h11 protocol with a deadline for each request head (slowloris)."""
    # lazy: optional server stack, only for `optiscribe serve`
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class _GuardedH11(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._head_too_slow)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_too_slow(self) -> None:
            self._head_timer = None
            if self.cycle is None and not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def handle_events(self) -> None:
            super().handle_events()
            if self.cycle is not None:
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

    return _GuardedH11


class ChatCompletionsServer:
    """uvicorn + Starlette serving chat completions with ``backend``; bound at creation.

    ``serve_forever()`` blocks until ``shutdown()`` (from another thread) or, on the main
    thread, SIGINT/SIGTERM; ``server_close()`` releases the socket.
    """

    def __init__(
        self,
        backend: LLMBackend,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        model_name: str = "optiscribe",
        api_key: str | None = None,
    ) -> None:
        self.backend = backend
        self.model_name = model_name
        self._api_key = api_key or None
        self.backend_lock = threading.Lock()
        self.created = int(time.time())
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.create_server((host, port), family=family, backlog=128)
        self.server_address = self._sock.getsockname()
        self._uvicorn: Any = None
        self._stopped = threading.Event()
        self._stopped.set()
        self._waiting = 0

    @property
    def url(self) -> str:
        """Base URL for OpenAI clients, e.g. ``http://127.0.0.1:8000/v1``."""
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/v1"

    def check_key(self, header: str | None) -> bool:
        if self._api_key is None:
            return True
        expected = f"Bearer {self._api_key}".encode()
        return header is not None and hmac.compare_digest(header.encode(), expected)

    def count_tokens(self, text: str) -> int | None:
        counter = getattr(self.backend, "count_tokens", None)
        return counter(text) if callable(counter) else None

    # -- lifecycle --------------------------------------------------------------------

    def serve_forever(self, poll_interval: float = 0.1) -> None:
        # lazy: optional server stack, only for `optiscribe serve`
        import uvicorn

        config = uvicorn.Config(
            self._app(),
            http=_guarded_protocol(),
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_keep_alive=int(KEEP_ALIVE_S),
            limit_concurrency=MAX_CONNECTIONS,
            timeout_graceful_shutdown=2,
            server_header=False,
            date_header=True,
        )
        self._uvicorn = uvicorn.Server(config)
        self._stopped.clear()
        try:
            self._uvicorn.run(sockets=[self._sock])
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        self._stopped.wait(timeout=10)

    def server_close(self) -> None:
        self._sock.close()

    def __repr__(self) -> str:
        return f"ChatCompletionsServer({self.url!r}, backend={self.backend!r})"

    # -- the application --------------------------------------------------------------

    def _app(self) -> Any:
        # lazy: optional server stack, only for `optiscribe serve`
        from starlette.applications import Starlette
        from starlette.routing import Route

        routes = [
            Route("/health", self._health, methods=["GET"]),
            Route("/v1/models", self._models, methods=["GET"]),
            Route("/models", self._models, methods=["GET"]),
            Route("/v1/chat/completions", self._chat, methods=["POST"]),
            Route("/chat/completions", self._chat, methods=["POST"]),
        ]
        return Starlette(
            routes=routes,
            exception_handlers={404: self._not_found, 405: self._not_found, 500: self._crash},
        )

    @staticmethod
    def _json(status: int, payload: Any) -> Response:
        # lazy: optional server stack, only for `optiscribe serve`
        from starlette.responses import JSONResponse

        return JSONResponse(payload, status_code=status)

    def _error(self, err: BadRequest) -> Response:
        return self._json(err.status, _error_body(str(err), err.type_, err.param, err.code))

    async def _not_found(self, request: Request, exc: Exception) -> Response:
        return self._error(BadRequest(f"no route {request.method} {request.url.path}", status=404))

    async def _crash(self, request: Request, exc: Exception) -> Response:
        log.error("serve: unexpected %s", type(exc).__name__)
        return self._json(500, _error_body("internal server error", "server_error"))

    def _unauthorised(self, request: Request) -> Response | None:
        if self.check_key(request.headers.get("authorization")):
            return None
        return self._error(
            BadRequest(
                "missing or wrong API key (Authorization: Bearer ...)",
                status=401,
                code="invalid_api_key",
            )
        )

    async def _health(self, request: Request) -> Response:
        return self._json(200, {"status": "ok"})

    async def _models(self, request: Request) -> Response:
        if (denied := self._unauthorised(request)) is not None:
            return denied
        return self._json(
            200,
            {
                "object": "list",
                "data": [
                    {
                        "id": self.model_name,
                        "object": "model",
                        "created": self.created,
                        "owned_by": "optiscribe",
                    }
                ],
            },
        )

    async def _read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            raise BadRequest(f"request body must be 0..{MAX_BODY_BYTES} bytes", status=413)
        chunks: list[bytes] = []
        size = 0

        async def read() -> None:
            nonlocal size
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise BadRequest(f"request body must be 0..{MAX_BODY_BYTES} bytes", status=413)
                chunks.append(chunk)

        try:
            await asyncio.wait_for(read(), BODY_TIMEOUT_S)
        except TimeoutError:
            raise BadRequest(
                f"the request body did not arrive within {BODY_TIMEOUT_S:g} s",
                status=408,
                code="request_timeout",
            ) from None
        return b"".join(chunks)

    def _check_problem_id(self, problem_id: str | None) -> None:
        """A replay backend's unknown id is the client's mistake (404), not the server's."""
        ids = getattr(self.backend, "ids", None)
        if isinstance(ids, tuple) and problem_id is not None and problem_id not in ids:
            raise BadRequest(
                f"problem id {problem_id[:200]!r} is not served here",
                status=400,
                param="metadata.problem_id",
                code="problem_not_found",
            )

    async def _chat(self, request: Request) -> Response:
        # lazy: optional server stack, only for `optiscribe serve`
        from starlette.concurrency import run_in_threadpool

        try:
            raw = await self._read_body(request)
            if (denied := self._unauthorised(request)) is not None:
                return denied
            args = parse_chat_request(_decode_body(raw), self.model_name)
            header_pid = request.headers.get(PROBLEM_ID_HEADER)
            if header_pid:
                args["problem_id"] = header_pid
            self._check_problem_id(args["problem_id"])
        except BadRequest as err:
            return self._error(err)
        if self._waiting >= MAX_WAITING:
            return self._json(
                503, _error_body("the server is busy; retry shortly", "server_busy", code="busy")
            )
        self._waiting += 1
        try:
            texts = await run_in_threadpool(self._complete, args)
        except LLMError as exc:
            status, type_ = next((s, t) for cls, s, t in _ERROR_STATUS if isinstance(exc, cls))
            log.warning("backend %s failed: %s", self.backend.name, exc)
            return self._json(status, _error_body(_scrub(str(exc)), type_))
        except Exception:
            log.exception("backend %s raised unexpectedly", self.backend.name)
            return self._json(
                500,
                _error_body("internal error in the backend; see the server log", "server_error"),
            )
        finally:
            self._waiting -= 1
        return self._json(200, self._completion(args, texts))

    def _complete(self, args: dict[str, Any]) -> list[str]:
        with self.backend_lock:
            return self.backend.complete(
                args["messages"],
                n=args["n"],
                temperature=args["temperature"],
                response_format=args["response_format"],
                problem_id=args["problem_id"],
            )

    def _completion(self, args: dict[str, Any], texts: list[str]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model_name,
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
        prompt = self.count_tokens("\n".join(m["content"] for m in args["messages"]))
        if prompt is not None:
            completion = sum(self.count_tokens(t) or 0 for t in texts)
            payload["usage"] = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }
        return payload


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
