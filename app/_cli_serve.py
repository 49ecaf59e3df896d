"""``optiscribe serve``: expose any LLM backend as an OpenAI-compatible HTTP server.

Exit codes: 0 after a clean shutdown (Ctrl-C / SIGTERM), 3 when the backend cannot be
configured or constructed (bad option, missing file, backend unavailable) or the address
cannot be bound.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Annotated, Any

import typer

from optiscribe.app._exit import EXIT_BAD_INPUT
from optiscribe.app._options import backend_options
from optiscribe.formulate.errors import LLMError
from optiscribe.formulate.llm.config import BackendConfig
from optiscribe.solvers.errors import InputError

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_HOST_HELP = "address to bind; keep 127.0.0.1 unless you set --require-key-env"
_PORT_HELP = "port to bind (0: any free port; the URL is printed at start)"
_NAME_HELP = "model name clients must send (default: the backend's model or `optiscribe-<backend>`)"
_KEY_HELP = "environment variable holding a key clients must send as `Authorization: Bearer <key>`"


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""

    @app.command("serve")
    @backend_options
    def serve(
        host: Annotated[str, typer.Option(help=_HOST_HELP)] = "127.0.0.1",
        port: Annotated[int, typer.Option(help=_PORT_HELP)] = 8000,
        served_model_name: Annotated[str | None, typer.Option(help=_NAME_HELP)] = None,
        require_key_env: Annotated[str | None, typer.Option(help=_KEY_HELP)] = None,
        *,
        llm_config: BackendConfig,
    ) -> None:
        """Serve POST /v1/chat/completions and GET /v1/models in front of a backend.

        Point any OpenAI client at the printed URL, e.g. optiscribe's own
        `--backend openai --base-url http://127.0.0.1:8000/v1 --model <served name>`.
        """
        # lazy: this command's stack loads when it runs: `optiscribe --help` stays fast
        from optiscribe.formulate.llm.registry import make_backend
        from optiscribe.formulate.llm.serve import make_server

        api_key = None
        if require_key_env:
            api_key = os.environ.get(require_key_env)
            if not api_key:
                typer.echo(
                    f"error: --require-key-env {require_key_env}: that environment "
                    "variable is not set",
                    err=True,
                )
                raise typer.Exit(EXIT_BAD_INPUT)
        elif host not in _LOOPBACK:
            typer.echo(
                f"warning: serving on {host} without --require-key-env: anyone who can "
                "reach this address can use the model",
                err=True,
            )
        try:
            backend = make_backend(llm_config)
        except (LLMError, InputError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        try:
            server = make_server(backend, host, port, model_name=served_model_name, api_key=api_key)
        except OSError as exc:
            typer.echo(
                f"error: cannot listen on {host}:{port}: {exc.strerror or exc}; "
                "choose another --port",
                err=True,
            )
            raise typer.Exit(EXIT_BAD_INPUT) from None

        def _stop(*_: Any) -> None:
            # shutdown() blocks until serve_forever returns, so never call it on that thread.
            threading.Thread(target=server.shutdown, daemon=True).start()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _stop)
        print(
            f"Serving backend {backend.name!r} as model {server.model_name!r} at {server.url}",
            flush=True,
        )
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        print("optiscribe serve: stopped", file=sys.stderr, flush=True)
