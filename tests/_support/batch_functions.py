"""Per-problem functions for batch tests, imported by worker processes as ``module:callable``."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from optiscribe.formulate.pipeline import solve_text

PEER_DIR = "OPTISCRIBE_TEST_PEER_DIR"
PEERS = "OPTISCRIBE_TEST_PEERS"


def solve_after_peers(question: str, **kwargs: Any) -> Any:
    """:func:`solve_text`, once as many worker processes as ``$OPTISCRIBE_TEST_PEERS``
    have started a problem (each leaves its pid in ``$OPTISCRIBE_TEST_PEER_DIR``; at most
    60 s). A test that every worker process of an executor takes work then holds however
    slowly the processes start: the first one's problems wait for the others, so the
    executor hands the rest to them."""
    folder = Path(os.environ[PEER_DIR])
    need = int(os.environ[PEERS])
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + 60.0
    while len(os.listdir(folder)) < need and time.monotonic() < deadline:
        time.sleep(0.02)
    return solve_text(question, **kwargs)
