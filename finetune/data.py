"""Training data for the built-in model: LLMOPT's four instruction types, every target solved.

Sources (:func:`collect_sources`), each a problem text with a formulation and its optimum:

* the synthetic generator (:mod:`optiscribe.data.synth`), NL4Opt-style word problems first;
* the NL4Opt competition's gold declarations of the **dev split only**
  (``raw/training/nl4opt_competition/generation_data/dev.jsonl``, converted by
  :mod:`optiscribe.data.gold.nl4opt`); NL4Opt test, NLP4LP and MAMO are evaluation sets and
  are never read here, and any source text that also occurs in an evaluation file is dropped;
* the team's examples (:mod:`optiscribe.formulate.examples`).

Instruction types (:func:`build_examples`), in the prompt forms of
:mod:`optiscribe.formulate.llm.builtin` (training and inference share them):

* ``q2f`` problem -> five elements (compact form), ``f2c`` five elements -> Pyomo code
  (:mod:`optiscribe.formulate.ir.codegen`), ``q2c`` problem -> code;
* ``fix`` a failed attempt plus the feedback the system really gives -> the corrected five
  elements. Attempts are the gold model broken in one place (a constraint's direction, the
  objective sense, a number, a lost constraint, a broken line); the feedback is produced by
  running the attempt through the ``ir`` mode (validation, HiGHS, checks) or the built-in
  model's own reading/number check, exactly as at inference. Breaks that give no feedback are
  skipped: the loop could not have caught them.

Every target is verified: the compact text is read back, compiled and solved with HiGHS, and
must reach the source's optimum. Everything is a function of the seed.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optiscribe.data.benchmarks import benchmarks_dir, list_benchmarks, load_benchmark
from optiscribe.data.errors import DataError
from optiscribe.data.gold.nl4opt import ConversionError, convert, integer_rule
from optiscribe.data.synth.generate import generate
from optiscribe.formulate.errors import FormulationValidationError
from optiscribe.formulate.examples import example_names, load_example
from optiscribe.formulate.ir.codegen import to_pyomo_code
from optiscribe.formulate.ir.compact import CompactReadError, from_compact, to_compact
from optiscribe.formulate.ir.model import Formulation
from optiscribe.formulate.jsonl import iter_objects
from optiscribe.formulate.llm.builtin import (
    check_compact,
    f2c_messages,
    fix_messages,
    q2c_messages,
    q2f_messages,
)
from optiscribe.formulate.loop import RunContext, describe_problems
from optiscribe.formulate.modes import MODES
from optiscribe.solvers.errors import InputError, OptiscribeError

__all__ = [
    "DEV_FILE",
    "TASKS",
    "DataConfig",
    "Source",
    "build_examples",
    "collect_sources",
    "read_examples",
    "write_examples",
]

TASKS = ("q2f", "f2c", "q2c", "fix")
DEV_FILE = "raw/training/nl4opt_competition/generation_data/dev.jsonl"
"""NL4Opt competition dev split, relative to the shared benchmarks folder."""
EVAL_BENCHMARKS = ("nl4opt", "nlp4lp", "mamo_easy", "mamo_complex")
"""Evaluation sets whose texts must never reach training."""
_REL, _ABS = 1e-6, 1e-6


@dataclass(frozen=True)
class Source:
    """One verified problem: text, formulation, and the optimum HiGHS reaches."""

    id: str
    origin: str
    text: str
    formulation: Formulation
    optimum: float


@dataclass(frozen=True)
class DataConfig:
    """What to build (the ``data`` table of a finetune config)."""

    seed: int = 0
    synth_nl4opt: int = 1200
    """Synthetic NL4Opt-style problems (the family closest to the benchmark)."""
    synth_other: int = 600
    """Synthetic problems of every other family (round robin)."""
    nl4opt_dev: bool = True
    examples: bool = True
    mix: dict[str, float] = field(
        default_factory=lambda: {"q2f": 1.0, "fix": 0.5, "f2c": 0.15, "q2c": 0.1}
    )
    """Per source: how many examples of each type (fractions draw at random)."""
    max_compact_chars: int = 1400
    max_code_chars: int = 3000


# ------------------------------------------------------------------------------ sources


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _eval_texts(data_dir: Path | None) -> frozenset[str]:
    have = set(list_benchmarks(data_dir))
    out: set[str] = set()
    for name in EVAL_BENCHMARKS:
        if name in have:
            out.update(_norm(r.question) for r in load_benchmark(name, data_dir=data_dir))
    return frozenset(out)


def _solve(f: Formulation) -> float | None:
    from optiscribe.solvers import solve

    try:
        res = solve(f.to_pyomo(), solver="highs", time_limit=10, diagnose=False)
    except (OptiscribeError, ValueError):
        return None
    return float(res.objective) if res.is_optimal and res.objective is not None else None


def _same(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and math.isclose(a, b, rel_tol=_REL, abs_tol=_ABS)


def verify(f: Formulation, optimum: float) -> Formulation | None:
    """The formulation as the compact form reads it back, if it reaches ``optimum``."""
    try:
        back = from_compact(to_compact(f))
    except (CompactReadError, FormulationValidationError):
        return None
    return back if _same(_solve(back), optimum) else None


def _nl4opt_dev(data_dir: Path | None) -> Iterator[Source]:
    path = benchmarks_dir(data_dir) / DEV_FILE
    if not path.is_file():
        raise DataError(
            f"the NL4Opt dev split {str(path)!r} is missing; set OPTISCRIBE_SHARED_DATA or "
            "build without it (nl4opt_dev: false)"
        )
    for _, obj in iter_objects(path, what="NL4Opt dev file"):
        for key, rec in obj.items():
            text = str(rec.get("document", ""))
            try:
                f = convert(str(key), rec, integer=integer_rule(text)).validate_model()
            except (ConversionError, OptiscribeError):
                continue
            z = _solve(f)
            if z is not None:
                yield Source(f"nl4opt_dev/{key}", "nl4opt_dev", text, f, z)


def collect_sources(cfg: DataConfig, *, data_dir: Path | None = None) -> list[Source]:
    """Every verified source problem the config asks for, in a fixed order."""
    raw: list[Source] = []
    if cfg.synth_nl4opt:
        for r in generate(["nl4opt"], n=cfg.synth_nl4opt, seed=cfg.seed):
            if r.answer is not None:
                raw.append(Source(r.id, "synth", r.question, r.formulation(), float(r.answer)))
    if cfg.synth_other:
        others = [n for n in _families() if n != "nl4opt"]
        for r in generate(others, n=cfg.synth_other, seed=cfg.seed + 1):
            if r.answer is not None:
                raw.append(Source(r.id, "synth", r.question, r.formulation(), float(r.answer)))
    if cfg.nl4opt_dev:
        raw.extend(_nl4opt_dev(data_dir))
    if cfg.examples:
        for name in example_names():
            ex = load_example(name)
            if ex.optimum is not None:
                raw.append(
                    Source(f"example/{name}", "example", ex.text, ex.formulation, ex.optimum)
                )
    try:
        banned = _eval_texts(data_dir)
    except (DataError, InputError):
        banned = frozenset()
    out = []
    for s in raw:
        if _norm(s.text) in banned:
            continue
        back = verify(s.formulation, s.optimum)
        if back is not None:
            out.append(Source(s.id, s.origin, s.text, back, s.optimum))
    return out


def _families() -> list[str]:
    from optiscribe.data.synth.generate import family_names

    return family_names()


# ------------------------------------------------------------------------------- breaks

_CMP = re.compile(r"<=|>=")
_NUMBER = re.compile(r"(?<![A-Za-z_\d.\[])(\d+\.?\d*)(?![\w\]])")


def _flip_direction(f: Formulation, rng: random.Random) -> Formulation | None:
    cands = [i for i, c in enumerate(f.constraints) if len(_CMP.findall(c.expression)) == 1]
    if not cands:
        return None
    i = rng.choice(cands)
    c = f.constraints[i]
    flipped = _CMP.sub(lambda m: ">=" if m.group() == "<=" else "<=", c.expression)
    cons = list(f.constraints)
    cons[i] = c.model_copy(update={"expression": flipped})
    return f.model_copy(update={"constraints": cons})


def _flip_sense(f: Formulation, rng: random.Random) -> Formulation | None:
    sense = "minimize" if f.objective.sense == "maximize" else "maximize"
    return f.model_copy(update={"objective": f.objective.model_copy(update={"sense": sense})})


def _drop_constraint(f: Formulation, rng: random.Random) -> Formulation | None:
    if len(f.constraints) < 2:
        return None
    i = rng.randrange(len(f.constraints))
    return f.model_copy(update={"constraints": [c for j, c in enumerate(f.constraints) if j != i]})


def _wrong_number(f: Formulation, rng: random.Random) -> Formulation | None:
    cands = [(i, m) for i, c in enumerate(f.constraints) for m in _NUMBER.finditer(c.expression)]
    if not cands:
        return None
    i, m = rng.choice(cands)
    old = float(m.group(1))
    new = rng.choice([old * 10, old + 7, old * 1.5 + 3])
    text = f"{new:g}" if new != int(new) else str(int(new))
    c = f.constraints[i]
    expr = c.expression[: m.start()] + text + c.expression[m.end() :]
    cons = list(f.constraints)
    cons[i] = c.model_copy(update={"expression": expr})
    return f.model_copy(update={"constraints": cons})


_BREAKS = {
    "direction": _flip_direction,
    "sense": _flip_sense,
    "drop": _drop_constraint,
    "number": _wrong_number,
}


def _broken_text(compact: str, rng: random.Random) -> str:
    """A compact text that does not read: the objective line lost, or a line garbled."""
    lines = compact.splitlines()
    if rng.random() < 0.5:
        return "\n".join(x for x in lines if not x.startswith(("max:", "min:"))) + "\n"
    i = rng.randrange(len(lines) - 1)
    lines[i] = lines[i].replace(" ", " = ", 1) if lines[i].startswith("var") else "x " + lines[i]
    return "\n".join(lines) + "\n"


def _feedback(f: Formulation, text: str) -> str | None:
    """What the system says about attempt ``f`` (``None``: it would be accepted)."""
    _, number_fb = check_compact(to_compact(f), text)
    if number_fb:
        return number_fb
    ev = MODES["ir"].run(f, RunContext(text=text, time_limit=10))
    if not ev.problems:
        return None
    return describe_problems(ev.problems)


def make_fix(src: Source, rng: random.Random) -> tuple[str, str] | None:
    """``(attempt, feedback)`` for a broken version of ``src``; ``None`` when no break
    of the kind drawn gives feedback."""
    gold = to_compact(src.formulation)
    kind = rng.choice([*_BREAKS, "text"])
    if kind == "text":
        attempt = _broken_text(gold, rng)
        _, fb = check_compact(attempt, src.text)
        return (attempt, fb) if fb else None
    broken = _BREAKS[kind](src.formulation, rng)
    if broken is None:
        return None
    try:
        fb = _feedback(broken, src.text)
    except (OptiscribeError, ValueError):
        return None
    return (to_compact(broken), fb) if fb else None


# ----------------------------------------------------------------------------- examples


def _row(src: Source, task: str, messages: list[dict[str, str]], answer: str) -> dict[str, Any]:
    return {
        "id": f"{src.id}#{task}",
        "source": src.origin,
        "task": task,
        "prompt": messages,
        "completion": [{"role": "assistant", "content": answer}],
        "optimum": src.optimum,
    }


def _count(rate: float, rng: random.Random) -> int:
    whole = int(rate)
    return whole + (1 if rng.random() < rate - whole else 0)


def build_examples(sources: Sequence[Source], cfg: DataConfig) -> list[dict[str, Any]]:
    """Prompt/completion rows (TRL's conversational prompt-completion form), shuffled."""
    rng = random.Random(cfg.seed)
    rows: list[dict[str, Any]] = []
    for src in sources:
        compact = to_compact(src.formulation)
        if len(compact) > cfg.max_compact_chars:
            continue
        code: str | None = None
        code_failed = False
        for task in TASKS:
            for _ in range(_count(cfg.mix.get(task, 0.0), rng)):
                if task == "q2f":
                    rows.append(_row(src, task, q2f_messages(src.text), compact))
                elif task == "fix":
                    got = make_fix(src, rng)
                    if got is not None:
                        msgs = fix_messages(src.text, got[0], got[1])
                        rows.append(_row(src, task, msgs, compact))
                else:
                    if code is None and not code_failed:
                        try:
                            code = to_pyomo_code(src.formulation)
                        except (DataError, InputError, TypeError, ValueError):
                            # codegen cannot write every parameter form (list-form tables)
                            code_failed = True
                    if code is None or len(code) > cfg.max_code_chars:
                        continue
                    msgs = f2c_messages(compact) if task == "f2c" else q2c_messages(src.text)
                    rows.append(_row(src, task, msgs, code))
    rng.shuffle(rows)
    return rows


def write_examples(rows: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write rows as JSONL; returns how many."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with p.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n


def read_examples(path: str | Path) -> list[dict[str, Any]]:
    """Rows written by :func:`write_examples` (each checked to have prompt and completion)."""
    rows = []
    for lineno, obj in iter_objects(Path(path), what="training data file"):
        if not isinstance(obj, dict) or "prompt" not in obj or "completion" not in obj:
            raise DataError(
                f"{path}: line {lineno} is not a prompt/completion row; rebuild the file with "
                "'optiscribe finetune build-data'"
            )
        rows.append(obj)
    return rows


def summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Counts by task and by source (for the model card)."""
    return {
        "examples": len(rows),
        "by_task": dict(sorted(Counter(r["task"] for r in rows).items())),
        "by_source": dict(sorted(Counter(r["source"] for r in rows).items())),
    }
