"""Mutated inputs for every reader, and a harness that reads them under resource limits.

``make_corpus(folder, seed, n)`` writes ``n`` mutated files (YAML, JSON, JSONL, MPS, LP,
``.mps.gz``) from small valid seeds plus hand-made bombs. ``python -m
tests._support.reader_fuzz FOLDER`` reads each one with the reader for its type, in this
one process, with an address-space limit and a per-file alarm, and prints one JSON
summary: which files raised something other than the reader's documented error (a
traceback), which hung, and the peak resident memory.
"""

from __future__ import annotations

import gzip
import json
import random
import resource
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

FORMULATION = """\
name: fuzz
sets:
  - {name: P, members: [a, b, c]}
parameters:
  - {name: profit, index: [P], values: {a: 3, b: 2, c: 4}}
  - {name: cap, values: 10}
variables:
  - {name: x, index: [P], domain: integer, lower: 0}
objective: {sense: maximize, expression: "sum(profit[p] * x[p] for p in P)"}
constraints:
  - {name: capacity, expression: "sum(x[p] for p in P) <= cap"}
"""

MPS = """\
NAME fuzz
ROWS
 N  obj
 L  c1
 G  c2
COLUMNS
    MARKER MARKER INTORG
    x obj 1 c1 1
    x c2 1
    MARKER MARKER INTEND
    y obj 2 c1 1
RHS
    rhs c1 10 c2 1
BOUNDS
 UP bnd x 4
ENDATA
"""

LP = """\
Maximize
 obj: 3 x + 2 y
Subject To
 c1: x + y <= 4
 c2: x + 3 y <= 6
Bounds
 0 <= x <= 3
General
 x
End
"""

JSONL = '{"id": "p1", "text": "maximize x"}\n{"id": "p2", "text": "minimize y", "x": [1, 2]}\n'


def _bombs() -> dict[str, bytes]:
    """Hand-made resource bombs and encodings (each under 10 MB on disk)."""
    deep = "[" * 100_000 + "]" * 100_000
    range_sets = (
        "name: bomb\nsets:\n"
        + "".join(f"  - {{name: {n}, first: 1, last: 2000}}\n" for n in "ABC")
        + "variables:\n  - {name: x, index: [A, B, C]}\n"
        + "objective: {sense: minimize, expression: 'sum(x[a,b,c] for a in A for b in B for c in C)'}\n"
        + "constraints: []\n"
    )
    long_expr = FORMULATION.replace(
        '"sum(profit[p] * x[p] for p in P)"', '"' + " + ".join(["x['a']"] * 100_000) + '"'
    )
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)
    )
    zipped_lines = b"    x c1 1\n" * (12 << 20)  # ~130 MB of MPS text, ~130 kB gzipped
    mps_bomb = MPS.split("RHS")[0].encode() + zipped_lines + b"ENDATA\n"
    return {
        "deep.json": deep.encode(),
        "deep.yaml": ("a: " + deep + "\n").encode(),
        "deep.jsonl": (deep + "\n").encode() + JSONL.encode(),
        "digits.json": ('{"name": ' + "9" * 5000 + "}").encode(),
        "digits.yaml": FORMULATION.replace(
            "cap, values: 10", "cap, values: " + "9" * 5000
        ).encode(),
        "digits.jsonl": ('{"id": ' + "9" * 5000 + "}\n").encode(),
        "range_product.yaml": range_sets.encode(),
        "long_expression.yaml": long_expr.encode(),
        "laughs.yaml": laughs.encode(),
        "latin1.yaml": FORMULATION.replace("fuzz", "f\xfczz").encode("latin-1"),
        "latin1_names.mps": MPS.replace("x ", "\xe9\xe9 ").encode("latin-1"),
        "latin1_names.lp": LP.replace("x", "\xe9").encode("latin-1"),
        "bomb.mps.gz": gzip.compress(mps_bomb, 9),
        "not_gzip.mps.gz": b"\x1f\x8b\x08\x00garbage",
        "empty.yaml": b"",
        "empty.mps": b"",
        "big.yaml": b"a: " + b"x" * (9 << 20) + b"\n",
    }


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        pos = rng.randrange(len(b) + 1)
        if op == 0 and b:  # flip a byte
            b[min(pos, len(b) - 1)] = rng.randrange(256)
        elif op == 1:  # truncate
            del b[pos:]
        elif op == 2:  # insert random bytes
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 3:  # duplicate a slice
            end = min(len(b), pos + rng.randint(1, 200))
            b[pos:pos] = b[pos:end] * rng.randint(1, 50)
        elif op == 4:  # a huge number
            b[pos:pos] = ("9" * rng.choice([20, 400, 5000])).encode()
        elif op == 5:  # nesting
            b[pos:pos] = b"[" * rng.choice([10, 100, 3000])
        else:  # invalid UTF-8
            b[pos:pos] = b"\xff\xfe\xc3"
    return bytes(b)


def make_corpus(folder: Path, seed: int = 10, n: int = 300) -> list[Path]:
    """Write ``n`` mutated files plus the bombs into ``folder``; return their paths."""
    rng = random.Random(seed)
    seeds = {
        "yaml": FORMULATION.encode(),
        "json": json.dumps(__import__("yaml").safe_load(FORMULATION)).encode(),
        "jsonl": JSONL.encode(),
        "mps": MPS.encode(),
        "lp": LP.encode(),
        "mps.gz": MPS.encode(),
    }
    paths = []
    kinds = sorted(seeds)
    for i in range(n):
        kind = kinds[i % len(kinds)]
        data = _mutate(rng, seeds[kind])
        if kind == "mps.gz":
            data = gzip.compress(data) if rng.random() < 0.8 else _mutate(rng, gzip.compress(data))
        p = folder / f"m{i:04d}.{kind}"
        p.write_bytes(data)
        paths.append(p)
    for name, data in _bombs().items():
        p = folder / name
        p.write_bytes(data)
        paths.append(p)
    return paths


def _readers() -> dict[str, tuple[Callable[[Path], object], tuple[type[BaseException], ...]]]:
    from optiscribe.data.batch import read_problems
    from optiscribe.formulate.errors import ModelError
    from optiscribe.formulate.ir.model import Formulation
    from optiscribe.formulate.jsonl import iter_objects
    from optiscribe.solvers.errors import InputError
    from optiscribe.verify import ModelReadError
    from optiscribe.verify._read import read_file

    try:
        from optiscribe.verify import UnsupportedModelError

        verify_errors: tuple[type[BaseException], ...] = (ModelReadError, UnsupportedModelError)
    except ImportError:  # pragma: no cover
        verify_errors = (ModelReadError,)

    def formulation(p: Path) -> object:
        return Formulation.from_file(p).expand()

    return {
        "yaml": (formulation, (ModelError,)),
        "json": (formulation, (ModelError,)),
        "jsonl": (lambda p: (list(read_problems(p)), list(iter_objects(p))), (InputError,)),
        "mps": (read_file, verify_errors),
        "lp": (read_file, verify_errors),
        "gz": (read_file, verify_errors),
    }


class _Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Hang()


def _peak_rss_mb() -> float:
    """This process's own peak resident memory (``VmHWM``). Not ``ru_maxrss``: Linux carries
    that across ``exec``, so a child of a large pytest process would report the parent's
    size (seen: 1.4 GB after the finetune tests had loaded torch)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(folder: str, per_file_s: int = 20, memory_mb: int = 3072) -> None:
    """Read every file in ``folder``; print a JSON summary on stdout."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    readers = _readers()
    signal.signal(signal.SIGALRM, _alarm)
    tracebacks: dict[str, str] = {}
    hangs: list[str] = []
    refused = ok = 0
    slowest = (0.0, "")
    for p in sorted(Path(folder).iterdir()):
        kind = p.suffix.lstrip(".")
        read, expected = readers[kind]
        t0 = time.monotonic()
        signal.alarm(per_file_s)
        try:
            read(p)
            ok += 1
        except expected:
            refused += 1
        except _Hang:
            hangs.append(p.name)
        except BaseException:
            tracebacks[p.name] = traceback.format_exc()[-1500:]
        finally:
            signal.alarm(0)
        slowest = max(slowest, (time.monotonic() - t0, p.name))
    peak_mb = _peak_rss_mb()
    print(
        json.dumps(
            {
                "files": ok + refused + len(hangs) + len(tracebacks),
                "ok": ok,
                "refused": refused,
                "hangs": hangs,
                "tracebacks": tracebacks,
                "peak_mb": peak_mb,
                "slowest": slowest,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
