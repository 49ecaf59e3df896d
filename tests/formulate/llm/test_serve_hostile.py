"""``optiscribe serve`` against hostile clients (issue 10): a real server on 127.0.0.1.

Slow heads, slow bodies, idle keep-alives and floods of idle connections must not hold it
open; every client error is a 4xx with OpenAI-shaped JSON, and no message names a server
path. Timeouts are shortened per test (module constants) so the suite stays quick.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from optiscribe.formulate import ScriptedBackend
from optiscribe.formulate.llm import serve
from optiscribe.formulate.llm.replay import ReplayBackend
from optiscribe.formulate.llm.serve import ChatCompletionsServer, make_server

MSGS = [{"role": "user", "content": "hi"}]


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve, "HEADER_TIMEOUT_S", 1.0)
    monkeypatch.setattr(serve, "BODY_TIMEOUT_S", 1.0)
    monkeypatch.setattr(serve, "KEEP_ALIVE_S", 1.0)


@contextmanager
def serving(backend: Any, **kw: Any) -> Iterator[ChatCompletionsServer]:
    server = make_server(backend, "127.0.0.1", 0, model_name="tiny", **kw)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # wait until uvicorn answers
        try:
            with urllib.request.urlopen(server.url[:-3] + "/health", timeout=1):
                break
        except OSError:
            time.sleep(0.05)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _post(server: ChatCompletionsServer, body: bytes, timeout: float = 5) -> tuple[int, dict]:
    req = urllib.request.Request(
        server.url + "/chat/completions", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"{}")
        except ValueError:  # uvicorn's own plain-text 503 when over the connection cap
            return exc.code, {"raw": raw.decode(errors="replace")}


def _ok_body() -> bytes:
    return json.dumps({"model": "tiny", "messages": MSGS}).encode()


def _connect(server: ChatCompletionsServer) -> socket.socket:
    host, port = server.server_address[:2]
    return socket.create_connection((host, port), timeout=5)


def _reply(sock: socket.socket, seconds: float = 5.0) -> bytes:
    """One whole HTTP response (head and ``Content-Length`` body) read from ``sock``."""
    sock.settimeout(seconds)
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = next(
                (
                    int(h.split(b":")[1])
                    for h in head.split(b"\r\n")
                    if h.lower().startswith(b"content-length:")
                ),
                0,
            )
            if len(body) >= length:
                return data
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    return data


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes ``sock`` within ``seconds`` (reads until EOF)."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def test_slow_heads_are_cut_off_and_others_are_served() -> None:
    with serving(ScriptedBackend(lambda call: "ok")) as server:
        slow = [_connect(server) for _ in range(8)]
        for s in slow:
            s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        stop = threading.Event()

        def dribble() -> None:
            for _ in range(40):  # a header byte now and then, never the end of the head
                if stop.wait(0.1):
                    return
                for s in slow:
                    try:
                        s.sendall(b"X")
                    except OSError:
                        pass

        t = threading.Thread(target=dribble)
        t.start()
        t0 = time.monotonic()
        assert _post(server, _ok_body())[0] == 200  # served while they dribble
        assert all(_closed_within(s, 3.0) for s in slow)
        assert time.monotonic() - t0 < 4.0
        stop.set()
        t.join()
        for s in slow:
            s.close()


def test_a_slow_body_gets_408() -> None:
    with serving(ScriptedBackend(lambda call: "ok")) as server:
        s = _connect(server)
        s.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 200\r\n\r\n{"model"'
        )
        reply = _reply(s)
        assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
        assert b"did not arrive within" in reply
        s.close()


def test_idle_keep_alive_connections_are_closed() -> None:
    with serving(ScriptedBackend(lambda call: "ok")) as server:
        s = _connect(server)
        body = _ok_body()
        s.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        s.settimeout(5)
        assert s.recv(65536).startswith(b"HTTP/1.1 200")
        assert _closed_within(s, 3.0)
        s.close()


def test_a_flood_of_idle_connections_uses_no_threads_and_drains() -> None:
    with serving(ScriptedBackend(lambda call: "ok")) as server:
        threads_before = threading.active_count()
        idle = [_connect(server) for _ in range(200)]
        time.sleep(0.3)
        assert threading.active_count() - threads_before < 5  # asyncio: no thread per socket
        status, _ = _post(server, _ok_body())
        assert status in (200, 503)  # over the connection cap: refused at once, never hung
        assert all(_closed_within(s, 4.0) for s in idle)
        for s in idle:
            s.close()
        assert _post(server, _ok_body())[0] == 200


def test_too_many_waiting_requests_get_503_quickly() -> None:
    gate = threading.Event()

    def slow(call: Any) -> str:
        gate.wait(5)
        return "ok"

    with serving(ScriptedBackend(slow)) as server:
        results: list[int] = []
        lock = threading.Lock()

        def one() -> None:
            code = _post(server, _ok_body(), timeout=15)[0]
            with lock:
                results.append(code)

        threads = [threading.Thread(target=one) for _ in range(serve.MAX_WAITING + 6)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 5
        while len(results) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted(results)[:6] == [503] * 6  # refused at once, not queued for ever
        gate.set()
        for t in threads:
            t.join(timeout=20)
        assert results.count(200) == serve.MAX_WAITING


BAD_REQUESTS: list[tuple[bytes, int]] = [
    (b"[" * 100_000, 400),
    (
        json.dumps(
            {
                "model": "tiny",
                "messages": MSGS,
                "x": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
            }
        ).encode(),
        400,
    ),
    (b"\xff\xfe", 400),
    (b'{"model": "tiny", "messages": ' + b"9" * 5000 + b"}", 400),
    (json.dumps({"model": "other", "messages": MSGS}).encode(), 404),
    (json.dumps({"model": "tiny", "messages": MSGS, "n": 10**6}).encode(), 400),
]


@pytest.mark.parametrize(("body", "status"), BAD_REQUESTS, ids=range(len(BAD_REQUESTS)))
def test_client_errors_are_4xx_json(body: bytes, status: int) -> None:
    with serving(ScriptedBackend(lambda call: "ok")) as server:
        got, payload = _post(server, body)
    assert got == status and "message" in payload["error"]


def test_an_oversized_body_is_refused_from_its_length() -> None:
    with serving(ScriptedBackend(lambda call: "ok")) as server:
        s = _connect(server)
        s.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {serve.MAX_BODY_BYTES + 1}\r\n\r\n".encode()
        )
        reply = _reply(s)
        s.close()
    assert reply.startswith(b"HTTP/1.1 413") and b"request body must be" in reply


def test_raw_protocol_garbage_gets_400_and_no_server_paths(tmp_path: Path) -> None:
    f = tmp_path / "replay.jsonl"
    f.write_text('{"id": "p1", "responses": ["one"]}\n')
    with serving(ReplayBackend(f)) as server:
        s = _connect(server)
        s.sendall(b"GARBAGE / NOT-HTTP\r\n\r\n")
        s.settimeout(5)
        assert s.recv(65536).startswith(b"HTTP/1.1 400")
        s.close()
        replies = [
            _post(server, json.dumps({"model": "tiny", "messages": MSGS}).encode()),
            _post(
                server,
                json.dumps(
                    {"model": "tiny", "messages": MSGS, "metadata": {"problem_id": "nope"}}
                ).encode(),
            ),
            _post(
                server,
                json.dumps(
                    {
                        "model": "tiny",
                        "messages": MSGS,
                        "metadata": {
                            "problem_id": "p1",
                        },
                        "n": 5,
                    }
                ).encode(),
            ),
        ]
    for status, payload in replies:
        assert 400 <= status < 600 and status != 200
        text = json.dumps(payload)
        assert str(tmp_path) not in text and "/work/" not in text and "site-packages" not in text
    assert replies[1][0] == 400
