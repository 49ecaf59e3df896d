"""Shared helpers of the batch/eval tests: small inputs built from the bundled furniture example."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

EXAMPLE = Path(__file__).resolve().parents[3] / "formulate" / "examples" / "furniture.yaml"


def furniture() -> tuple[str, dict[str, Any], float]:
    """(question text, IR as plain data, optimum) of the bundled furniture example."""
    ex = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return ex["text"], ex["formulation"], float(ex["optimum"])


def write_inputs(
    tmp: Path, n: int, *, copies: int = 5, prefix: str = "p"
) -> tuple[Path, Path, float]:
    """IN.jsonl with ``n`` furniture problems and a replay file answering each with the IR."""
    text, ir, optimum = furniture()
    inp, rep = tmp / "in.jsonl", tmp / "replay.jsonl"
    answer = json.dumps(ir)
    with inp.open("w") as fi, rep.open("w") as fr:
        for i in range(n):
            pid = f"{prefix}{i}"
            fi.write(json.dumps({"id": pid, "question": text, "tag": i}) + "\n")
            fr.write(json.dumps({"id": pid, "responses": [answer] * copies}) + "\n")
    return inp, rep, optimum


def read_results(path: Path) -> list[dict[str, Any]]:
    """Every line of a batch output, asserting that each is complete JSON."""
    raw = path.read_bytes()
    assert raw == b"" or raw.endswith(b"\n"), "the output ends with a torn line"
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def id_counts(path: Path) -> Counter[str]:
    return Counter(r["id"] for r in read_results(path))
