"""Replay of published model outputs: run other systems' code answers in the sandbox and
re-score them.

Owns the reading of a published-outputs JSONL (ReLoop's format: ``code``, ``data_json``,
``stage_objectives``, ``index``, ``question_sha256``, ...), running each program (any
dialect: gurobipy, coptpy, Pyomo, OR-Tools) with its ``data`` global, and the report:
ran / crashed / unsupported, whether the objective reproduces the one the authors recorded,
accuracy against the benchmark labels (joined by index, checked by the question's SHA-256),
failure counts per feature, and each disagreement with its reason.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from optiscribe.data.benchmarks import load_benchmark
from optiscribe.data.errors import DataError
from optiscribe.formulate.jsonl import iter_objects
from optiscribe.solvers.kinds import FailureKind
from optiscribe.solvers.sandbox import ExecutionResult, Executor, SandboxLimits, run_code

__all__ = [
    "BENCHMARK_FILES",
    "PublishedAnswer",
    "ReplayRow",
    "is_published_outputs",
    "load_labels",
    "read_published",
    "render_replay",
    "replay",
    "summarize",
]

#: Published benchmark names -> (our benchmark, variant) whose 0-based order ``index`` uses.
BENCHMARK_FILES: Mapping[str, tuple[str, str]] = {
    "MAMO_ComplexLP_fixed": ("mamo_complex", "sirl"),
    "MAMO_EasyLP_fixed": ("mamo_easy", "sirl"),
    "IndustryOR_fixedV2": ("industryor", "sirl"),
    "IndustryOR_fixed": ("industryor", "sirl"),
}
#: Reproduction tolerances (relative, floor 1 on the scale): LP, and MIP (stopped by a gap).
REL_TOL_LP = 1e-6
REL_TOL_MIP = 1e-4
#: Accuracy against labels: ReLoop's own criterion (relative error < 1e-6).
REL_TOL_LABEL = 1e-6


@dataclass(frozen=True)
class PublishedAnswer:
    """One problem of a published-outputs file."""

    where: str
    benchmark: str
    index: int
    problem_id: str
    question_sha256: str | None
    ground_truth: float | None
    code: str | None
    data: Mapping[str, Any] | None
    recorded_objective: float | None
    reported_pass: bool | None
    model: str | None


def _float(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def is_published_outputs(path: str | Path) -> bool:
    """Whether ``path`` looks like published outputs (first object has ``code`` or
    ``stage_objectives`` and an ``index``), as opposed to an ``{id, response}`` file."""
    for _, obj in iter_objects(path, what="responses file"):
        return "index" in obj and ("stage_objectives" in obj or "data_json" in obj)
    return False


def read_published(path: str | Path) -> list[PublishedAnswer]:
    """Parse a published-outputs JSONL; a malformed line is a :class:`DataError` naming it."""
    out = []
    for where, obj in iter_objects(path, what="published outputs file"):
        idx = obj.get("index")
        if not isinstance(idx, int) or isinstance(idx, bool) or idx < 0:
            raise DataError(f"{where}: 'index' must be a non-negative integer, got {idx!r}")
        code = obj.get("code")
        if code is not None and not isinstance(code, str):
            raise DataError(f"{where}: 'code' must be a string or absent")
        data = obj.get("data_json")
        if data is not None and not isinstance(data, dict):
            raise DataError(f"{where}: 'data_json' must be a JSON object or absent")
        stages = obj.get("stage_objectives") or {}
        passes = obj.get("reported_pass") or {}
        out.append(
            PublishedAnswer(
                where=where,
                benchmark=str(obj.get("benchmark", "")),
                index=idx,
                problem_id=str(obj.get("problem_id", idx)),
                question_sha256=obj.get("question_sha256"),
                ground_truth=_float(obj.get("ground_truth")),
                code=code,
                data=data,
                recorded_objective=_float(stages.get("cot")) if isinstance(stages, dict) else None,
                reported_pass=passes.get("cot_pass_1e6") if isinstance(passes, dict) else None,
                model=obj.get("model"),
            )
        )
    return out


@dataclass(frozen=True)
class Label:
    answer: float | None
    question_sha256: str


def load_labels(
    answers: Sequence[PublishedAnswer], *, data_dir: str | Path | None = None
) -> dict[str, list[Label]]:
    """Labels of every benchmark the answers name, in file order (``index`` positions).

    A benchmark we do not know is skipped (its rows get no label, and the report says so).
    """
    labels: dict[str, list[Label]] = {}
    for name in sorted({a.benchmark for a in answers}):
        if name not in BENCHMARK_FILES:
            continue
        bench, variant = BENCHMARK_FILES[name]
        recs = load_benchmark(bench, variant=variant, data_dir=data_dir)
        labels[name] = [
            Label(r.answer, hashlib.sha256(r.question.encode("utf-8")).hexdigest()) for r in recs
        ]
    return labels


@dataclass(frozen=True)
class ReplayRow:
    """What happened to one published answer."""

    benchmark: str
    index: int
    problem_id: str
    outcome: str
    """``ran``, ``crashed``, ``unsupported`` or ``no_code``."""
    detail: str = ""
    """Error kind and message (crashed), the feature (unsupported)."""
    objective: float | None = None
    """The program's answer as its authors read it: the printed ``objective:`` number when
    the program prints one, else the objective of its last solve."""
    solver_objective: float | None = None
    """The objective of the last model the program solved (HiGHS)."""
    printed: bool = False
    termination: str | None = None
    is_mip: bool | None = None
    recorded: float | None = None
    reproduces: bool | None = None
    """None when the authors recorded no objective (nothing to reproduce)."""
    reason: str | None = None
    """Why HiGHS and the authors' solver disagree (only when they do)."""
    label: float | None = None
    label_joined: bool = False
    """The benchmark question at ``index`` has the SHA-256 the file gives."""
    correct: bool | None = None
    authors_pass: bool | None = None
    wall_s: float = 0.0
    solves: int = 0
    failure_key: str | None = None
    """Feature or error type for the per-feature failure counts."""
    record_incomplete: str | None = None
    """Why the published record cannot reproduce the authors' run (no ``data_json``, data
    keys missing, a code fragment), when the program fails for that reason."""
    extra: Mapping[str, Any] = field(default_factory=dict)


def _close(a: float, b: float, rel: float) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(b))


#: How ReLoop reads a program's answer: the first ``objective: <number>`` it prints
#: (``reloop/executor.py``). Its recorded objective is this printed number, which can
#: differ from the model's ObjVal (a program may print ObjVal / 100).
PRINTED_OBJECTIVE = re.compile(r"objective:\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)")


def _failure_key(res: ExecutionResult) -> str:
    if res.kind is FailureKind.UNSUPPORTED:
        return f"unsupported: {res.error.feature if res.error else '?'}"
    err = res.error
    if err is None:
        return str(res.kind or "ok")
    if res.kind is FailureKind.RUNTIME_ERROR:
        if err.origin in ("_grb.py", "_copt.py"):  # raised by the dialect: say what it refused
            return f"{err.type_name}: {err.message[:70]}"
        return err.type_name
    return str(res.kind)


_NAME_ERROR = re.compile(r"name '(\w+)' is not defined")
_KEY_ERROR = re.compile(r"^'(.*)'$")


def _incomplete_record(a: PublishedAnswer, res: ExecutionResult) -> str | None:
    """The program failed because the record lacks what the authors' run had, or None."""
    err = res.error
    if err is None or res.kind is not FailureKind.RUNTIME_ERROR or not a.code:
        return None
    if err.type_name == "NameError":
        m = _NAME_ERROR.search(err.message)
        name = m.group(1) if m else None
        if name == "data" and a.data is None:
            return "the record has no data_json, but the program reads the global 'data'"
        defined = name is not None and re.search(
            rf"(^|\n)\s*(import .*\b{name}\b|from .* import .*\b{name}\b|{name}\s*=|"
            rf"def {name}\b|class {name}\b|for .*\b{name}\b.* in )",
            a.code,
        )
        if name is not None and name != "data" and not defined:
            return f"the recorded code is a fragment: it never defines '{name}'"
    if err.type_name == "KeyError" and a.data is not None:
        m = _KEY_ERROR.match(err.message)
        if m and m.group(1) not in a.data and f'data["{m.group(1)}"]' in a.code.replace("'", '"'):
            return f"the program reads data['{m.group(1)}'], which the recorded data_json lacks"
    return None


def _disagreement(row: dict[str, Any], rec: float | None) -> str | None:
    """The reason HiGHS and the authors' solver disagree, or None when they agree."""
    outcome, obj = row["outcome"], row["objective"]
    if rec is not None and row.get("record_incomplete"):
        return f"incomplete record: {row['record_incomplete']}"
    term = row.get("termination") or ""
    if rec is None:
        if outcome == "ran" and obj is not None:
            return (
                "the authors' run gave no objective (crash, infeasible or no solution); HiGHS did"
            )
        return None
    if outcome == "unsupported":
        return f"unsupported feature in our layer: {row['detail']}"
    if outcome == "crashed":
        return f"the program failed here but not with Gurobi: {row['detail']}"
    if outcome == "no_code":
        return "no code"
    if obj is None:
        return f"HiGHS ended {term or 'without a solution'}; Gurobi gave {rec:g}"
    if row["reproduces"]:
        return None
    if term.endswith("limit"):
        return f"time limit: HiGHS stopped at {obj:g} ({term}); Gurobi gave {rec:g}"
    if row.get("is_mip") and _close(obj, rec, 2 * REL_TOL_MIP):  # both within 1e-4 of the optimum
        return f"alternative optimum within the MIP gap: HiGHS {obj:g} vs Gurobi {rec:g}"
    return f"objective differs: HiGHS {obj:g} vs Gurobi {rec:g}"


def replay_one(
    a: PublishedAnswer,
    *,
    labels: Mapping[str, Sequence[Label]],
    executor: Executor | None = None,
    timeout_s: float = 60.0,
) -> ReplayRow:
    """Run one published answer in the sandbox and compare it with the record and the label."""
    row: dict[str, Any] = {
        "benchmark": a.benchmark,
        "index": a.index,
        "problem_id": a.problem_id,
        "recorded": a.recorded_objective,
        "authors_pass": a.reported_pass,
        "objective": None,
    }
    bench_labels = labels.get(a.benchmark)
    if bench_labels is not None and a.index < len(bench_labels):
        lab = bench_labels[a.index]
        row["label_joined"] = (
            a.question_sha256 is not None and lab.question_sha256 == a.question_sha256
        )
        row["label"] = lab.answer if row["label_joined"] else None
    if not a.code:
        row.update(outcome="no_code", detail="the answer has no code")
        return ReplayRow(**row)
    globals_ = {"data": dict(a.data)} if a.data is not None else None
    if executor is None:
        res = run_code(a.code, limits=SandboxLimits(timeout_s=timeout_s), globals=globals_)
    else:
        res = run_code(
            a.code, executor=executor, limits=SandboxLimits(timeout_s=timeout_s), globals=globals_
        )
    row["wall_s"] = round(res.wall_s, 3)
    row["solves"] = len(res.reports)
    rep = res.reports[-1] if res.reports else None
    if rep is not None:
        row["solver_objective"] = row["objective"] = rep.objective
        row["termination"] = rep.termination
        row["is_mip"] = bool(rep.mps and "'MARKER'" in rep.mps)
    if res.kind is FailureKind.UNSUPPORTED:
        row.update(outcome="unsupported", detail=res.error.feature if res.error else "?")
        # never report a number from a model we did not run exactly
        row["objective"] = row["solver_objective"] = None
    elif not res.ok:
        msg = res.error.summary().splitlines()[0] if res.error else str(res.kind)
        row.update(outcome="crashed", detail=f"{res.kind}: {msg}"[:300])
    elif rep is None:
        row.update(outcome="crashed", detail="the program ran but solved no model")
    else:
        row["outcome"] = "ran"
        m = PRINTED_OBJECTIVE.search(res.stdout)
        if m is not None:
            row["objective"], row["printed"] = _float(m.group(1)), True
    if row["outcome"] != "ran":
        row["failure_key"] = _failure_key(res) if res.error is not None else "no solve"
        row["record_incomplete"] = _incomplete_record(a, res)
    obj, rec = row["objective"], a.recorded_objective
    if rec is not None:
        tol = REL_TOL_MIP if row.get("is_mip") else REL_TOL_LP
        row["reproduces"] = obj is not None and row["outcome"] == "ran" and _close(obj, rec, tol)
    row["reason"] = _disagreement(row, rec)
    if row.get("label") is not None:
        row["correct"] = (
            obj is not None and row["outcome"] == "ran" and _close(obj, row["label"], REL_TOL_LABEL)
        )
    elif row.get("label_joined"):
        row["correct"] = None  # unlabelled problem
    return ReplayRow(**row)


def replay(
    answers: Sequence[PublishedAnswer],
    *,
    labels: Mapping[str, Sequence[Label]],
    executor: Executor | None = None,
    timeout_s: float = 60.0,
    on_row: Callable[[ReplayRow], None] | None = None,
) -> list[ReplayRow]:
    """Replay every answer in order (one sandbox run each)."""
    rows = []
    for a in answers:
        r = replay_one(a, labels=labels, executor=executor, timeout_s=timeout_s)
        rows.append(r)
        if on_row is not None:
            on_row(r)
    return rows


def summarize(rows: Sequence[ReplayRow]) -> dict[str, Any]:
    """Totals per benchmark and overall (what the report and ``--json`` print)."""

    def block(rs: Sequence[ReplayRow]) -> dict[str, Any]:
        with_rec = [r for r in rs if r.recorded is not None]
        labelled = [r for r in rs if r.label is not None]
        return {
            "problems": len(rs),
            "ran": sum(r.outcome == "ran" for r in rs),
            "crashed": sum(r.outcome == "crashed" for r in rs),
            "unsupported": sum(r.outcome == "unsupported" for r in rs),
            "no_code": sum(r.outcome == "no_code" for r in rs),
            "with_recorded_objective": len(with_rec),
            "reproduced": sum(bool(r.reproduces) for r in with_rec),
            "reproduction_rate": (
                sum(bool(r.reproduces) for r in with_rec) / len(with_rec) if with_rec else None
            ),
            "incomplete_records": sum(r.record_incomplete is not None for r in with_rec),
            "reproducible_rate": (
                sum(bool(r.reproduces) for r in with_rec)
                / sum(r.record_incomplete is None for r in with_rec)
                if any(r.record_incomplete is None for r in with_rec)
                else None
            ),
            "label_joined": sum(r.label_joined for r in rs),
            "labelled": len(labelled),
            "correct": sum(bool(r.correct) for r in labelled),
            "authors_pass": sum(bool(r.authors_pass) for r in rs),
            "disagreements": sum(r.reason is not None for r in rs),
        }

    out: dict[str, Any] = {"total": block(rows), "benchmarks": {}}
    for name in sorted({r.benchmark for r in rows}):
        out["benchmarks"][name] = block([r for r in rows if r.benchmark == name])
    failed = Counter(r.failure_key for r in rows if r.failure_key)
    also = Counter(r.failure_key for r in rows if r.failure_key and r.recorded is None)
    out["failures"] = {
        k: {"programs": n, "authors_no_objective": also[k]} for k, n in failed.most_common()
    }
    return out


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.10g}"


def render_replay(rows: Sequence[ReplayRow], meta: Mapping[str, Any] | None = None) -> str:
    """A Markdown report: totals, per-benchmark table, failure counts, every disagreement."""
    s = summarize(rows)
    lines = ["# Replay of published outputs", ""]
    for k, v in (meta or {}).items():
        lines.append(f"- **{k}**: {v}")
    lines += [
        f"- reproduction: |HiGHS − recorded| ≤ rel·max(1, |recorded|), rel = {REL_TOL_LP:g} "
        f"(LP) or {REL_TOL_MIP:g} (MIP, both solvers stop at a 1e-4 gap)",
        f"- accuracy: |objective − label| ≤ {REL_TOL_LABEL:g}·max(1, |label|) (ReLoop's "
        "criterion); labels joined by index, checked by the question's SHA-256",
        "",
        "| benchmark | problems | ran | crashed | unsupported | no code | recorded obj. "
        "| reproduced | incomplete records | reproduced of complete | labelled "
        "| correct (HiGHS) | authors' pass |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, b in [*s["benchmarks"].items(), ("**total**", s["total"])]:
        rate, rate2 = b["reproduction_rate"], b["reproducible_rate"]
        lines.append(
            f"| {name} | {b['problems']} | {b['ran']} | {b['crashed']} | {b['unsupported']} "
            f"| {b['no_code']} | {b['with_recorded_objective']} | {b['reproduced']}"
            f"{'' if rate is None else f' ({100 * rate:.1f} %)'} | {b['incomplete_records']} "
            f"| {'—' if rate2 is None else f'{100 * rate2:.1f} %'} | {b['labelled']} "
            f"| {b['correct']} | {b['authors_pass']} |"
        )
    lines += ["", "## Failures by feature / error", ""]
    if s["failures"]:
        lines += [
            "| feature or error | programs | of which the authors' run gave no objective either |",
            "|---|---|---|",
        ]
        lines += [
            f"| {k.replace('|', '/')} | {v['programs']} | {v['authors_no_objective']} |"
            for k, v in s["failures"].items()
        ]
    else:
        lines.append("none")
    lines += ["", "## Where HiGHS and the authors' solver disagree", ""]
    dis = [r for r in rows if r.reason is not None]
    if dis:
        lines += ["| benchmark | index | HiGHS | recorded | reason |", "|---|---|---|---|---|"]
        for r in dis:
            reason = r.reason.replace("|", "\\|") if r.reason else ""
            lines.append(
                f"| {r.benchmark} | {r.index} | {_num(r.objective)} | {_num(r.recorded)} | {reason} |"
            )
    else:
        lines.append("none")
    return "\n".join(lines) + "\n"


def write_replay(
    rows: Sequence[ReplayRow], out_dir: str | Path, meta: Mapping[str, Any] | None = None
) -> list[Path]:
    """Write ``replay.md``, ``replay.jsonl`` (one row per problem) and ``replay.json``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md, jl, js = out / "replay.md", out / "replay.jsonl", out / "replay.json"
    md.write_text(render_replay(rows, meta), encoding="utf-8")
    with jl.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(asdict(r), default=str) + "\n")
    js.write_text(json.dumps(summarize(rows), indent=2), encoding="utf-8")
    return [md, jl, js]
