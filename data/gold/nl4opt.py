"""NL4Opt's gold formulations, converted to our IR and solved: a real-data check of the IR.

The NL4Opt competition (nl4opt/nl4opt-competition, MIT) annotated each problem of its dev
(99) and test (289) splits with *declarations*: an objective (``terms`` mention -> coefficient,
or only ``vars`` when the objective is a plain count) and constraints of seven types::

    sum         x_1 + ... + x_n  op  limit                (all variables)
    upperbound  x  <=  limit          lowerbound  x  >=  limit
    linear      sum(coef * x)  op  limit
    ratio       x  op  share * (x_1 + ... + x_n)         ("at least 30% of all ... are x")
    xby         x  op  param * y                          ("at most twice as many x as y")
    xy          x  op  y

Variables are named by *mentions* (text spans); ``order_mapping`` maps every mention to the
variable's position, and ``vars`` lists the first mention of each variable (it may repeat
one: ``['freight', 'air', 'air']`` has two variables). Numbers are strings that may be
words ("twice", "a third", "five"), percentages ("30%", "thirty percent") or carry units
("8000 minutes"); :func:`parse_number` reads them all. Strict comparisons ("less than")
are annotated as ``LESS_OR_EQUAL`` and stay non-strict, as a MILP requires.

The declarations say nothing about integrality, so every problem is solved twice, with
continuous and with integer variables, and :func:`integer_rule` picks one per problem from
the question text (documented there). The optima are compared with the labels of
``nl4opt.jsonl`` and of every ``variants/nl4opt.*.jsonl`` (matched on the question text,
case and whitespace normalised).

Run ``python -m optiscribe.data.gold.nl4opt --out docs/nl4opt-gold.md [--jsonl OUT]``.
:func:`write_replay` (``optiscribe data nl4opt-replay``) turns the gold formulations into a
replay file and a problem file, so the whole main job runs offline on real problems.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from optiscribe.data.benchmarks import (
    BenchmarkRecord,
    benchmarks_dir,
    list_variants,
    load_benchmark,
)
from optiscribe.data.errors import DataError
from optiscribe.formulate.extract.declarations import (
    ConversionError,
    convert,
    integer_rule,
    parse_number,
    with_domain,
)
from optiscribe.formulate.ir.model import Formulation
from optiscribe.formulate.jsonl import iter_objects
from optiscribe.solvers import solve
from optiscribe.solvers.errors import OptiscribeError

__all__ = [
    "ConversionError",
    "GoldRecord",
    "Summary",
    "agree",
    "convert",
    "gold_records",
    "integer_rule",
    "main",
    "normalise_question",
    "parse_number",
    "read_declarations",
    "render_report",
    "summarise",
    "write_replay",
]

#: The two competition files with declarations, relative to the benchmarks folder.
GOLD_FILES: tuple[tuple[str, str], ...] = (
    ("test", "raw/nl4opt/competition/generation_data/test.jsonl"),
    ("dev", "raw/training/nl4opt_competition/generation_data/dev.jsonl"),
)
#: Tolerances used to call two optima equal: the ones SOURCES.md uses between label variants.
REL_TOL = 1e-4
ABS_TOL = 1e-2
PREFERRED = "preferred"


# ------------------------------------------------------------------------------ records


def normalise_question(text: str) -> str:
    """The key problems are matched on: lower case, whitespace collapsed."""
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class GoldRecord:
    """One NL4Opt problem with its gold formulation in our IR and both optima.

    ``id``/``question`` are those of ``nl4opt.jsonl`` when the problem is in it, else the
    competition's (``nl4opt/competition/<key>`` for test, ``nl4opt/competition_dev/<key>``
    for dev, with the competition's text). ``ir`` has the domain chosen by
    :func:`integer_rule` (``integer``); :meth:`formulation` gives either version.
    ``labels`` maps each label file (``preferred`` for ``nl4opt.jsonl``, else the variant
    name) whose text matches to its answer (``None`` when that file has no number).
    """

    id: str
    question: str
    competition_id: str
    split: str
    ir: Formulation
    integer: bool
    answer_continuous: float | None
    answer_integer: float | None
    status_continuous: str
    status_integer: str
    labels: Mapping[str, float | None] = field(default_factory=lambda: MappingProxyType({}))
    error: str | None = None
    """Why the conversion failed (then ``ir`` is ``None``-like and both answers are ``None``)."""

    @property
    def answer(self) -> float | None:
        """The optimum of the version the integrality rule picks."""
        return self.answer_integer if self.integer else self.answer_continuous

    def formulation(self, *, integer: bool) -> Formulation:
        return with_domain(self.ir, integer=integer)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "competition_id": self.competition_id,
            "split": self.split,
            "ir": self.ir.to_dict() if self.error is None else None,
            "integer": self.integer,
            "answer_continuous": self.answer_continuous,
            "answer_integer": self.answer_integer,
            "labels": dict(self.labels),
            "error": self.error,
        }


def read_declarations(data_dir: str | Path | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    """``(split, key, record)`` for every problem of the two competition files, in file order."""
    root = benchmarks_dir(data_dir)
    out: list[tuple[str, str, dict[str, Any]]] = []
    for split, rel in GOLD_FILES:
        path = root / rel
        if not path.is_file():
            raise DataError(
                f"the NL4Opt competition file {str(path)!r} is missing; see benchmarks/SOURCES.md"
            )
        for _, obj in iter_objects(path, what="NL4Opt competition file"):
            for key, rec in obj.items():
                out.append((split, str(key), rec))
    return out


def _label_files(data_dir: str | Path | None) -> dict[str, list[BenchmarkRecord]]:
    files = {PREFERRED: load_benchmark("nl4opt", data_dir=data_dir)}
    for v in list_variants("nl4opt", data_dir=data_dir):
        files[v] = load_benchmark("nl4opt", variant=v, data_dir=data_dir)
    return files


def _solve(f: Formulation) -> tuple[float | None, str]:
    try:
        result = solve(f.to_pyomo(), solver="highs", time_limit=10, diagnose=False)
    except Exception as exc:
        return None, f"error: {type(exc).__name__}: {exc}"
    if result.is_optimal and result.objective is not None:
        return float(result.objective), "optimal"
    return None, result.termination.value


def gold_records(data_dir: str | Path | None = None, *, solve: bool = True) -> list[GoldRecord]:
    """Convert and solve (HiGHS, continuous and integer) every NL4Opt gold formulation.

    Records whose conversion fails are kept with ``error`` set, so that counts add up.
    ``solve=False`` only converts (answers ``None``, status ``"not solved"``): what a
    replay file needs, in a fraction of the time.
    """
    labels = _label_files(data_dir)
    by_text: dict[str, dict[str, BenchmarkRecord]] = {}
    for variant, recs in labels.items():
        for r in recs:
            by_text.setdefault(normalise_question(r.question), {}).setdefault(variant, r)
    out: list[GoldRecord] = []
    for split, key, rec in read_declarations(data_dir):
        document = str(rec.get("document", ""))
        matched = by_text.get(normalise_question(document), {})
        pref = matched.get(PREFERRED)
        rid = (
            pref.id
            if pref
            else f"nl4opt/{'competition' if split == 'test' else 'competition_dev'}/{key}"
        )
        question = pref.question if pref else document
        lab = MappingProxyType({v: r.answer for v, r in matched.items()})
        integer = integer_rule(question)
        try:
            f_cont = convert(key, rec, integer=False).validate_model()
        except OptiscribeError as exc:
            out.append(
                GoldRecord(
                    rid,
                    question,
                    key,
                    split,
                    Formulation.model_construct(),
                    integer,
                    None,
                    None,
                    "not converted",
                    "not converted",
                    lab,
                    str(exc),
                )
            )
            continue
        f_int = with_domain(f_cont, integer=True)
        a_cont, s_cont = _solve(f_cont) if solve else (None, "not solved")
        a_int, s_int = _solve(f_int) if solve else (None, "not solved")
        out.append(
            GoldRecord(
                rid,
                question,
                key,
                split,
                f_int if integer else f_cont,
                integer,
                a_cont,
                a_int,
                s_cont,
                s_int,
                lab,
            )
        )
    return out


@dataclass(frozen=True)
class ReplayFiles:
    """What :func:`write_replay` wrote: how many problems, and which were left out and why."""

    problems: int
    left_out: Mapping[str, str]


def write_replay(
    records: Sequence[GoldRecord],
    replay: Path,
    problems: Path,
    *,
    copies: int = 5,
    labelled_only: bool = True,
) -> ReplayFiles:
    """Write the gold IR of each problem as a ``replay`` backend answer, and the problems.

    ``replay`` gets ``{"id", "responses": [IR JSON] * copies}`` (``copies`` answers, so a
    correction loop that asks again gets the same gold model); ``problems`` gets
    ``{"id", "question", "answer"}`` (the preferred label), the input of ``optiscribe batch``
    and ``optiscribe eval --benchmark FILE``. With ``labelled_only`` a problem without a
    numeric preferred label is left out (eval needs an answer); problems whose declarations
    did not convert are always left out. Every problem left out is returned with the reason.
    """
    if copies < 1:
        raise DataError(f"copies must be at least 1, not {copies}")
    left_out: dict[str, str] = {}
    n = 0
    with replay.open("w", encoding="utf-8") as fr, problems.open("w", encoding="utf-8") as fp:
        for g in records:
            label = g.labels.get(PREFERRED)
            if g.error is not None:
                left_out[g.id] = f"the gold declarations did not convert: {g.error}"
                continue
            if labelled_only and label is None:
                left_out[g.id] = "no numeric label in nl4opt.jsonl"
                continue
            line: dict[str, Any] = {"id": g.id, "question": g.question}
            if label is not None:
                line["answer"] = label
            fp.write(json.dumps(line, ensure_ascii=False) + "\n")
            answer = g.ir.to_json()
            fr.write(json.dumps({"id": g.id, "responses": [answer] * copies}) + "\n")
            n += 1
    return ReplayFiles(n, MappingProxyType(left_out))


# ------------------------------------------------------------------------------ summary


def agree(a: float | None, b: float | None) -> bool:
    """Equal within the tolerances SOURCES.md uses between label variants (rel 1e-4, abs 1e-2)."""
    return a is not None and b is not None and math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


@dataclass(frozen=True)
class Agreement:
    """Agreement of the gold optima with one label file."""

    label_file: str
    matched: int
    numeric: int
    continuous: int
    integer: int
    rule: int
    either: int

    def line(self) -> str:
        """The report line the tests re-compute (so the report cannot drift)."""
        return (
            f"| {self.label_file} | {self.matched} | {self.numeric} | {self.continuous} | {self.integer} | "
            f"{self.rule} | {self.either} |"
        )


@dataclass(frozen=True)
class Summary:
    total: int
    by_split: Mapping[str, int]
    converted: int
    solved_continuous: int
    solved_integer: int
    rule_integer: int
    agreements: tuple[Agreement, ...]
    disagreements: tuple[tuple[GoldRecord, str], ...]
    conversion_errors: tuple[GoldRecord, ...]
    records: tuple[GoldRecord, ...] = ()


def _statuses(records: Sequence[GoldRecord], attr: str) -> str:
    c = Counter(getattr(r, attr) for r in records if getattr(r, attr) != "optimal")
    return ", ".join(f"{k} {n}" for k, n in sorted(c.items())) or "none"


def _reason(r: GoldRecord) -> str:
    """Why a problem's rule optimum disagrees with its preferred label (rules in the report)."""
    label = r.labels.get(PREFERRED)
    other = r.answer_continuous if r.integer else r.answer_integer
    if r.error is not None:
        return "conversion gap: " + r.error
    if r.answer is None:
        status = r.status_integer if r.integer else r.status_continuous
        return f"conversion gap: the gold model is {status}"
    if agree(other, label):
        return (
            f"integrality assumption: the {'continuous' if r.integer else 'integer'} version agrees"
        )
    for v, a in sorted(r.labels.items()):
        if v != PREFERRED and (agree(a, r.answer_continuous) or agree(a, r.answer_integer)):
            return f"label error: variant '{v}' has {a:g}, which a gold version reproduces"
    if (
        label is not None
        and r.answer is not None
        and (
            agree(label, -r.answer)
            or agree(abs(label), abs(r.answer) * 100)
            or agree(abs(label) * 100, abs(r.answer))
        )
    ):
        return "conversion gap: same magnitude, different sign or percent scale"
    return "unexplained: the declarations and the label describe different models (annotation or label error)"


def summarise(records: Sequence[GoldRecord]) -> Summary:
    """Counts, agreement per label file and the reasoned disagreements with the preferred labels."""
    files: list[str] = [
        PREFERRED,
        *sorted({v for r in records for v in r.labels if v != PREFERRED}),
    ]
    agreements = []
    for v in files:
        matched = [r for r in records if v in r.labels]
        numeric = [r for r in matched if r.labels[v] is not None]
        agreements.append(
            Agreement(
                label_file=v,
                matched=len(matched),
                numeric=len(numeric),
                continuous=sum(agree(r.answer_continuous, r.labels[v]) for r in numeric),
                integer=sum(agree(r.answer_integer, r.labels[v]) for r in numeric),
                rule=sum(agree(r.answer, r.labels[v]) for r in numeric),
                either=sum(
                    agree(r.answer_continuous, r.labels[v]) or agree(r.answer_integer, r.labels[v])
                    for r in numeric
                ),
            )
        )
    dis = tuple(
        (r, _reason(r))
        for r in records
        if r.labels.get(PREFERRED) is not None and not agree(r.answer, r.labels[PREFERRED])
    )
    return Summary(
        total=len(records),
        by_split=MappingProxyType(dict(Counter(r.split for r in records))),
        converted=sum(r.error is None for r in records),
        solved_continuous=sum(r.answer_continuous is not None for r in records),
        solved_integer=sum(r.answer_integer is not None for r in records),
        rule_integer=sum(r.integer for r in records if r.error is None),
        agreements=tuple(agreements),
        disagreements=dis,
        conversion_errors=tuple(r for r in records if r.error is not None),
        records=tuple(records),
    )


COMMAND = "python -m optiscribe.data.gold.nl4opt --out docs/nl4opt-gold.md"


def render_report(s: Summary, *, seconds: float | None = None) -> str:
    """The Markdown report ``docs/nl4opt-gold.md``."""
    split_text = ", ".join(f"{n} {k}" for k, n in sorted(s.by_split.items(), reverse=True))
    lines = [
        "# NL4Opt gold formulations in our IR",
        "",
        "A real-data check of the five-element IR: the NL4Opt competition's declaration-level gold",
        "formulations (`generation_data/test.jsonl` and `dev.jsonl` in the shared data) are converted to",
        "`Formulation`s by `optiscribe.data.gold.nl4opt`, compiled to Pyomo and solved with HiGHS, once",
        "with continuous and once with integer variables, and the optima are compared with every NL4Opt",
        "label file (`nl4opt.jsonl` = *preferred*, and `variants/nl4opt.*.jsonl`), matched on the",
        "question text (lower case, whitespace collapsed). Two optima agree when they are equal within",
        f"rel. {REL_TOL:g} / abs. {ABS_TOL:g} (the tolerances of `SOURCES.md`).",
        "",
        "Produced by (from the repository root; the shared data is found as `optiscribe.data.benchmarks`",
        "documents):",
        "",
        "```",
        COMMAND,
        "```",
        "",
        "## Counts",
        "",
        f"- problems with declarations: **{s.total}** ({split_text})",
        f"- converted to the IR (checked by `Formulation.validate_model`): **{s.converted}**",
        f"- solved to optimality, continuous: **{s.solved_continuous}**; integer: **{s.solved_integer}**",
        f"- not solved, continuous: {_statuses(s.records, 'status_continuous')}; "
        f"integer: {_statuses(s.records, 'status_integer')}",
        f"- integrality rule picks integer for {s.rule_integer} of {s.converted}, continuous for the rest",
    ]
    if seconds is not None:
        lines.append(f"- wall time of conversion + {2 * s.converted} solves: {seconds:.1f} s")
    lines += [
        "",
        "## Integrality rule",
        "",
        "The declarations do not say whether variables are integer. Rule (`integer_rule`): **continuous**",
        'when the decisions are divisible quantities, recognised in the question by "how much", money or',
        'investing, "partial", a price per kg, or "how many" followed by a divisible unit (kg, hours,',
        "litres, grams, tons, gallons, pounds); **integer** otherwise (NL4Opt mostly counts vehicles,",
        "workers, packs, trips, servings). Units of resources elsewhere in the text are ignored on",
        "purpose. Both versions are solved for every problem; the *rule* column uses the version the rule picks,",
        "*either* counts a problem when one of the two versions agrees (an upper bound on what any",
        "integrality rule could reach).",
        "",
        "## Agreement with the labels",
        "",
        "| label file | matched | numeric labels | continuous agrees | integer agrees | rule agrees | either agrees |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *[a.line() for a in s.agreements],
        "",
        "## Disagreements with the preferred labels (`nl4opt.jsonl`)",
        "",
        "Reasons are assigned by these rules, first match wins:",
        "",
        "1. *conversion gap*: the declarations did not convert, or the gold model is infeasible/unbounded;",
        "2. *integrality assumption*: the version the rule did not pick agrees with the label;",
        "3. *label error*: another label variant's answer agrees with one of the gold versions;",
        "4. *conversion gap (sign/percent)*: the optimum matches up to sign or a factor 100;",
        "5. *unexplained*: the declarations and the label describe different models.",
        "",
    ]
    reasons = Counter(reason.split(":")[0] for _, reason in s.disagreements)
    lines.append(
        f"{len(s.disagreements)} disagreements: "
        + ", ".join(f"{k} {n}" for k, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
        + "."
    )
    lines += [
        "",
        "| id | competition id | label | continuous | integer | rule | reason |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]

    def num(v: float | None) -> str:
        return "–" if v is None else f"{v:.6g}"

    for r, reason in s.disagreements:
        lines.append(
            f"| {r.id} | {r.competition_id} | {num(r.labels.get(PREFERRED))} | {num(r.answer_continuous)} | "
            f"{num(r.answer_integer)} | {'int' if r.integer else 'cont'} | {reason} |"
        )
    if s.conversion_errors:
        lines += ["", "## Conversion failures", ""]
        lines += [f"- {r.competition_id}: {r.error}" for r in s.conversion_errors]
    return "\n".join(lines) + "\n"


def main(argv: Iterable[str] | None = None) -> int:
    """Entry point of ``python -m optiscribe.data.gold.nl4opt``."""
    ap = argparse.ArgumentParser(
        prog="python -m optiscribe.data.gold.nl4opt", description=__doc__.splitlines()[0]
    )
    ap.add_argument(
        "--out", type=Path, help="write the Markdown report here (e.g. docs/nl4opt-gold.md)"
    )
    ap.add_argument("--jsonl", type=Path, help="write one JSON record per problem here")
    ap.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="shared data root (default: found automatically)",
    )
    args = ap.parse_args(None if argv is None else list(argv))
    t0 = time.perf_counter()
    try:
        records = gold_records(args.data_dir)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - t0
    summary = summarise(records)
    report = render_report(summary, seconds=seconds)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    if args.jsonl:
        args.jsonl.parent.mkdir(parents=True, exist_ok=True)
        with args.jsonl.open("w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
    if not args.out:
        sys.stdout.write(report)
    else:
        pref = summary.agreements[0]
        print(
            f"{summary.converted}/{summary.total} converted; preferred labels: rule agrees "
            f"{pref.rule}/{pref.numeric}, either {pref.either}/{pref.numeric}; {seconds:.1f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
