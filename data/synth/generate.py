"""Synthetic optimisation problems, model first: verified (text, five-element model, code, optimum).

Public data sets for optimisation modelling are small and noisy (see ``docs/field.md``:
IndustryOR is estimated to be more than half wrong). Like ReSocratic and OptMATH, we go the
*reverse* way: a parametrised family draws believable data and writes the model first
(one module per family under :mod:`optiscribe.data.synth.families`); the
text is written from the model's facts afterwards (:mod:`optiscribe.data.synth.text`); the
model is compiled and solved with HiGHS; and only instances that are feasible, bounded and
not degenerate (optimum 0, or an all-zero solution, which make the answer meaningless)
become records. Correct by construction, checked by a solver.

>>> from optiscribe.data.synth.generate import generate, generate_record   # doctest: +SKIP
>>> rec = generate_record("diet", seed=7, index=0, difficulty="easy")
>>> rec.answer, rec.status, rec.question[:60]
>>> records = generate(n=1000, seed=0, workers=2)

A record is ``{id, family, difficulty, question, ir, code, answer, status, meta}``:
``ir`` is the :class:`~optiscribe.formulate.ir.model.Formulation` as plain data, ``code`` the
Pyomo script code mode would write (:mod:`optiscribe.formulate.ir.codegen`), ``answer`` the
optimum HiGHS found (``None`` for the infeasible or unbounded variants made on request,
which are labelled by ``status``). Everything is a function of ``(seed, family, index)``:
the same seed gives the same records, in any number of worker processes.

Duplicates are removed twice: by text (normalised) and by model, through a fingerprint that
does not change under renaming, reordering, row sign and positive row scaling — a
necessary condition of strict equivalence, so two records with the same fingerprint are
treated as the same model (a very rare false match only costs one record).
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from optiscribe.data.errors import DataError
from optiscribe.data.synth.base import DIFFICULTIES, Ctx, Draft, Fact
from optiscribe.data.synth.families import family_names as _family_names
from optiscribe.data.synth.families import get_family
from optiscribe.data.synth.text import Phraser, fmt_number, sentence
from optiscribe.formulate.errors import ModelError
from optiscribe.formulate.ir.codegen import to_pyomo_code
from optiscribe.formulate.ir.compile import compile_expanded
from optiscribe.formulate.ir.model import Formulation
from optiscribe.formulate.jsonl import iter_objects
from optiscribe.solvers import solve
from optiscribe.solvers.result import Termination

if TYPE_CHECKING:
    from optiscribe.formulate.ir.expand import ExpandedModel
    from optiscribe.formulate.ir.model import Formulation
    from optiscribe.solvers.result import SolveResult

__all__ = [
    "Record",
    "Status",
    "family_names",
    "fingerprint",
    "generate",
    "generate_record",
    "iter_generate",
    "read_jsonl",
    "render_text",
    "write_jsonl",
]

Status = Literal["optimal", "infeasible", "unbounded"]
STATUSES: tuple[str, ...] = ("optimal", "infeasible", "unbounded")
#: Attempts per record before the family is declared broken (each draws fresh data).
MAX_ATTEMPTS = 25
#: Per-solve time limit (seconds); the families are sized to solve in milliseconds.
SOLVE_TIME_LIMIT = 20.0
_ZERO = 1e-7


def family_names() -> list[str]:
    """Every family, in a stable order (see :mod:`optiscribe.data.synth.families`)."""
    return _family_names()


# ------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Record:
    """One verified problem: the words, the model, the program and the optimum."""

    id: str
    family: str
    difficulty: str
    question: str
    ir: dict[str, Any]
    code: str
    answer: float | None
    status: str
    meta: dict[str, Any] = field(default_factory=dict)

    def formulation(self) -> Formulation:
        """The record's model as a :class:`Formulation` (checked on the way in)."""
        return Formulation.from_dict(self.ir)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "difficulty": self.difficulty,
            "question": self.question,
            "ir": self.ir,
            "code": self.code,
            "answer": self.answer,
            "status": self.status,
            "meta": self.meta,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=False)

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "record") -> Record:
        if not isinstance(data, dict):
            raise DataError(
                f"{where}: expected a JSON object with keys id, family, question, ir, ..., found {type(data).__name__}"
            )
        missing = [
            k
            for k in ("id", "family", "difficulty", "question", "ir", "code", "answer", "status")
            if k not in data
        ]
        if missing:
            raise DataError(
                f"{where}: missing key(s) {missing}; is this a file written by 'optiscribe data generate'?"
            )
        return cls(
            id=str(data["id"]),
            family=str(data["family"]),
            difficulty=str(data["difficulty"]),
            question=str(data["question"]),
            ir=dict(data["ir"]),
            code=str(data["code"]),
            answer=None if data["answer"] is None else float(data["answer"]),
            status=str(data["status"]),
            meta=dict(data.get("meta") or {}),
        )


def write_jsonl(records: Iterable[Record], path: str | Path) -> int:
    """Write records one JSON object a line; returns how many."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with p.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(r.to_json() + "\n")
            n += 1
    return n


def read_jsonl(path: str | Path) -> list[Record]:
    """Read records written by :func:`write_jsonl`; errors name the line."""
    return [
        Record.from_dict(data, where=where)
        for where, data in iter_objects(path, what="record file")
    ]


# ------------------------------------------------------------------------------- seeds


def _derive(*parts: object) -> int:
    """A 63-bit seed from any parts; stable across processes and Python runs (no ``hash``)."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "big") >> 1


# ------------------------------------------------------------------------------- text


def render_text(draft: Draft, rng: random.Random) -> str:
    """Put the facts in an order: introduction, pinned-first facts, the rest shuffled, question.

    Tables get a paragraph of their own; sentences are sometimes broken into paragraphs;
    now and then the question comes right after the introduction, as people often ask
    first and explain after.
    """
    first = [f for f in draft.facts if f.pin == "first"]
    last = [f for f in draft.facts if f.pin == "last"]
    middle = [f for f in draft.facts if f.pin is None]
    rng.shuffle(middle)
    pieces = [draft.intro] + [f.text for f in (*first, *middle, *last)]
    if rng.random() < 0.15:
        pieces.insert(1, draft.question)
    else:
        pieces.append(draft.question)
    paragraphs: list[str] = []
    current: list[str] = []
    for piece in pieces:
        if "\n" in piece:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            paragraphs.append(piece)
            continue
        current.append(piece)
        if len(current) >= 3 and rng.random() < 0.25:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


# ------------------------------------------------------------------------------- solving


def _expand(f: Formulation, family: str) -> ExpandedModel:
    try:
        return f.expand()
    except ModelError as exc:
        raise DataError(
            f"family {family!r} wrote a model the IR rejects (a bug in the family): {exc}"
        ) from exc


def _solve(em: ExpandedModel, time_limit: float = SOLVE_TIME_LIMIT) -> SolveResult:
    # A tight gap: the stored answer is the optimum, not a 1e-4-close incumbent.
    return solve(
        compile_expanded(em),
        solver="highs",
        time_limit=time_limit,
        mip_rel_gap=1e-9,
        diagnose=False,
    )


def solve_formulation(f: Formulation, time_limit: float = SOLVE_TIME_LIMIT) -> SolveResult:
    """Compile and solve ``f`` with HiGHS (no diagnosis): the check every record passes."""
    return _solve(f.expand(), time_limit)


def _degenerate(res: SolveResult) -> str | None:
    """Why an optimum would make a useless answer, or ``None``."""
    if res.objective is None:
        return "no objective value"
    if abs(res.objective) < _ZERO:
        return "the optimum is 0"
    if res.values and all(abs(v) < _ZERO for v in res.values.values()):
        return "the optimal solution is all zero"
    return None


def _clean(x: float) -> float:
    """The optimum as stored: snapped to an integer within solver tolerance, else 9 significant digits."""
    if x == 0 or not math.isfinite(x):
        return 0.0 if x == 0 else x
    if abs(x - round(x)) <= max(1e-5, 1e-9 * abs(x)):
        return float(round(x))
    digits = 9 - math.floor(math.log10(abs(x))) - 1
    v = round(x, max(digits, 0))
    return 0.0 if v == 0 else v


# ------------------------------------------------------------------------------- fingerprint


def _sig(x: float | None) -> str:
    if x is None:
        return "~"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.9g}" if x != 0 else "0"


def fingerprint(em: ExpandedModel) -> str:
    """A hash of the model that ignores names, order, row sign and positive row scaling.

    Variables are labelled by (cost, type, bounds); each row by its scaled coefficients
    paired with the labels of their variables, its sides, and its kind. Equal models have
    equal fingerprints; different fingerprints prove the models differ at the strict level.
    """
    f = em.formulation
    domains = {v.name: v.domain for v in f.variables}
    sign = -1.0 if f.objective.sense == "maximize" else 1.0
    cost = em.objective.terms
    label: dict[Any, str] = {}
    for vk, (lo, hi) in em.bounds.items():
        dom = domains[vk[0]]
        if dom == "binary":
            dom, lo, hi = "integer", max(lo or 0.0, 0.0), min(1.0 if hi is None else hi, 1.0)
        label[vk] = f"{_sig(sign * cost.get(vk, 0.0))}|{dom}|{_sig(lo)}|{_sig(hi)}"
    rows = []
    for row in em.rows:
        terms = [(c, vk) for vk, c in row.terms.items() if c != 0]
        if not terms:
            continue
        scale = max(abs(c) for c, _ in terms)
        lo, hi = row.lo, row.hi
        if lo is not None and hi is not None and lo == hi:
            a = sorted((_sig(c / scale), label[vk]) for c, vk in terms)
            b = sorted((_sig(-c / scale), label[vk]) for c, vk in terms)
            key, rhs = (
                (a, _sig(lo / scale))
                if (a, _sig(lo / scale)) >= (b, _sig(-lo / scale))
                else (b, _sig(-lo / scale))
            )
            rows.append(f"E{key}{rhs}")
            continue
        if hi is not None:
            rows.append(
                f"L{sorted((_sig(c / scale), label[vk]) for c, vk in terms)}{_sig(hi / scale)}"
            )
        if lo is not None:
            rows.append(
                f"L{sorted((_sig(-c / scale), label[vk]) for c, vk in terms)}{_sig(-lo / scale)}"
            )
    body = json.dumps([_sig(sign * em.objective.const), sorted(label.values()), sorted(rows)])
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def _text_key(text: str) -> str:
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()[:32]


# ------------------------------------------------------------------------------- variants


def _objective_fact(draft: Draft, ph: Phraser, target: float, sense: str) -> Fact:
    value = ph.money(target) if draft.objective_money else fmt_number(target)
    if sense == "minimize":
        text = ph.s(
            "[The budget is|Management caps] {noun} at {v}"
            if draft.objective_money
            else "{noun} [must not exceed|can be at most] {v}",
            noun=draft.objective_noun,
            v=value,
        )
    else:
        text = ph.s(
            "[The owners insist|Management requires] that {noun} be at least {v}",
            noun=draft.objective_noun,
            v=value,
        )
    return Fact(sentence(text), covers=("objective_target",))


def _nice_round(x: float, up: bool) -> float:
    """A round number near ``x`` (two significant digits), rounded the safe way."""
    if x == 0:
        return 0.0
    step = 10 ** max(0, math.floor(math.log10(abs(x))) - 1)
    return (math.ceil(x / step) if up else math.floor(x / step)) * step


def _make_infeasible(draft: Draft, optimum: float, rng: random.Random, ph: Phraser) -> Draft:
    """Add a target on the objective that the optimum proves unreachable."""
    sense = draft.ir["objective"]["sense"]
    expr = draft.ir["objective"]["expression"]
    if sense == "minimize":
        target = _nice_round(optimum * rng.uniform(0.55, 0.85), up=False)
        con = {
            "name": "objective_target",
            "description": "cap on the objective",
            "expression": f"{expr} <= {target!r}",
        }
    else:
        target = _nice_round(optimum * rng.uniform(1.2, 1.6), up=True)
        con = {
            "name": "objective_target",
            "description": "goal on the objective",
            "expression": f"{expr} >= {target!r}",
        }
    ir = json.loads(json.dumps(draft.ir))
    ir["constraints"].append(con)
    return replace(
        draft,
        ir=ir,
        facts=(*draft.facts, _objective_fact(draft, ph, target, sense)),
        features=(*draft.features, "objective_target"),
    )


def _make_unbounded(draft: Draft) -> Draft | None:
    """Drop the facts (and their constraints) that bound a maximisation; ``None`` if none do."""
    if draft.ir["objective"]["sense"] != "maximize":
        return None
    dropped = {c for f in draft.facts if f.bounding for c in f.covers}
    if not dropped:
        return None
    ir = json.loads(json.dumps(draft.ir))
    ir["constraints"] = [c for c in ir["constraints"] if c["name"] not in dropped]
    for v in ir["variables"]:
        v["upper"] = None
    facts = tuple(f for f in draft.facts if not (set(f.covers) & dropped))
    return replace(draft, ir=ir, facts=facts)


# ------------------------------------------------------------------------------- one record


def generate_record(
    family: str,
    *,
    seed: int = 0,
    index: int = 0,
    difficulty: str = "medium",
    size: int | None = None,
    status: str = "optimal",
    solver_name: str = "highs",
) -> Record:
    """Build, solve and check one record of ``family``; a pure function of its arguments.

    ``status`` asks for the usual solvable problem (``optimal``) or a labelled
    ``infeasible`` / ``unbounded`` variant. Raises :class:`DataError` for an unknown family,
    difficulty or status, or when no valid instance turns up in :data:`MAX_ATTEMPTS` draws
    (the message says why the last one failed).
    """
    spec = get_family(family)
    if difficulty not in DIFFICULTIES:
        raise DataError(f"unknown difficulty {difficulty!r}; use one of {', '.join(DIFFICULTIES)}")
    if status not in STATUSES:
        raise DataError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    if size is not None and size < 1:
        raise DataError(f"size must be a positive integer, not {size}")
    spec.check_size(size)
    reason = ""
    for attempt in range(MAX_ATTEMPTS):
        rng = random.Random(_derive(seed, family, index, attempt, difficulty, size, "data"))
        text_rng = random.Random(_derive(seed, family, index, attempt, difficulty, size, "text"))
        ph = Phraser(text_rng)
        draft = spec.build(Ctx(rng, ph, difficulty, size))
        f = Formulation.from_dict(draft.ir)
        em = _expand(f, family)
        res = _solve(em)
        if res.termination is not Termination.OPTIMAL:
            reason = f"the instance is {res.termination.value}"
            continue
        why = _degenerate(res)
        if why:
            reason = why
            continue
        answer: float | None = _clean(float(res.objective))  # type: ignore[arg-type]
        if status == "infeasible":
            draft = _make_infeasible(draft, float(res.objective), rng, ph)  # type: ignore[arg-type]
            f = Formulation.from_dict(draft.ir)
            em = _expand(f, family)
            res = _solve(em)
            if res.termination not in (Termination.INFEASIBLE, Termination.INFEASIBLE_OR_UNBOUNDED):
                reason = f"the infeasible variant came out {res.termination.value}"
                continue
            answer = None
        elif status == "unbounded":
            variant = _make_unbounded(draft)
            if variant is None:
                reason = "this instance has no constraint whose removal frees the objective"
                continue
            draft = variant
            f = Formulation.from_dict(draft.ir)
            em = _expand(f, family)
            res = _solve(em)
            if res.termination not in (Termination.UNBOUNDED, Termination.INFEASIBLE_OR_UNBOUNDED):
                reason = f"the unbounded variant came out {res.termination.value}"
                continue
            answer = None
        text = render_text(draft, text_rng)
        n_int = sum(
            1 for vk in em.bounds if {v.name: v.domain for v in f.variables}[vk[0]] != "continuous"
        )
        meta = {
            "seed": seed,
            "index": index,
            "attempt": attempt,
            "size": size if size is not None else draft.size,
            "size_arg": size,
            "features": sorted(set(draft.features)),
            "n_vars": em.num_vars,
            "n_rows": em.num_rows,
            "n_int": n_int,
            "kind": "MILP" if n_int else "LP",
            "fingerprint": fingerprint(em),
            "text_key": _text_key(text),
        }
        return Record(
            id=f"{family}-{seed}-{index:06d}",
            family=family,
            difficulty=difficulty,
            question=text,
            ir=f.to_dict(),
            code=to_pyomo_code(f, solver=solver_name),
            answer=answer,
            status=status,
            meta=meta,
        )
    hint = ""
    if status == "unbounded":
        hint = " (unbounded variants need a maximisation with a limit to remove: production_planning, nl4opt, network_flow)"
    raise DataError(
        f"family {family!r} ({difficulty}, size={size}, status={status}) gave no valid instance in {MAX_ATTEMPTS} "
        f"attempts; the last was rejected because {reason}{hint}"
    )


# ------------------------------------------------------------------------------- many records


@dataclass(frozen=True)
class _Task:
    family: str
    index: int
    difficulty: str


def _plan(
    families: Sequence[str], difficulties: Sequence[str], start: int, count: int
) -> list[_Task]:
    out = []
    for k in range(start, start + count):
        fam = families[k % len(families)]
        diff = difficulties[(k // len(families)) % len(difficulties)]
        out.append(_Task(fam, k, diff))
    return out


def _run_task(args: tuple[_Task, int, int | None, str]) -> Record:
    task, seed, size, status = args
    return generate_record(
        task.family,
        seed=seed,
        index=task.index,
        difficulty=task.difficulty,
        size=size,
        status=status,
    )


def iter_generate(
    families: Sequence[str] | None = None,
    *,
    n: int = 100,
    seed: int = 0,
    difficulties: Sequence[str] = DIFFICULTIES,
    size: int | None = None,
    status: str = "optimal",
    workers: int = 1,
    chunk: int = 64,
) -> Iterator[Record]:
    """Yield ``n`` unique records, families and difficulties in turn (round robin).

    Candidate ``k`` is family ``families[k % F]`` at difficulty
    ``difficulties[(k // F) % D]`` with seed ``(seed, family, k)``; candidates are judged
    in ``k`` order, so the output is the same for any ``workers``. A candidate whose text or
    model fingerprint was seen before is skipped.
    """
    names = list(families) if families else family_names()
    for name in names:
        get_family(name).check_size(size)
    for d in difficulties:
        if d not in DIFFICULTIES:
            raise DataError(f"unknown difficulty {d!r}; use one of {', '.join(DIFFICULTIES)}")
    if n < 0:
        raise DataError(f"n must be zero or more, not {n}")
    seen_text: set[str] = set()
    seen_model: set[str] = set()
    kept = 0
    start = 0
    budget = 5 * n + 100
    pool = None
    if workers > 1:
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("fork")
        )
    try:
        while kept < n:
            if start >= budget:
                raise DataError(
                    f"only {kept} unique problems after {start} candidates for families {names}; these families "
                    "have too few distinct instances at this size: add families or difficulties, or drop --size"
                )
            todo = _plan(
                names,
                difficulties,
                start,
                min(chunk, max(n - kept, 1) + 8 if workers == 1 else chunk),
            )
            start += len(todo)
            args = [(t, seed, size, status) for t in todo]
            results: Iterable[Record] = pool.map(_run_task, args) if pool else map(_run_task, args)
            for rec in results:
                tk, fp = rec.meta["text_key"], rec.meta["fingerprint"]
                if tk in seen_text or fp in seen_model:
                    continue
                seen_text.add(tk)
                seen_model.add(fp)
                kept += 1
                yield rec
                if kept >= n:
                    break
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def generate(
    families: Sequence[str] | None = None,
    *,
    n: int = 100,
    seed: int = 0,
    difficulties: Sequence[str] = DIFFICULTIES,
    size: int | None = None,
    status: str = "optimal",
    workers: int = 1,
    on_record: Callable[[Record], None] | None = None,
) -> list[Record]:
    """:func:`iter_generate` collected into a list (``on_record`` sees each as it comes)."""
    out = []
    for rec in iter_generate(
        families,
        n=n,
        seed=seed,
        difficulties=difficulties,
        size=size,
        status=status,
        workers=workers,
    ):
        out.append(rec)
        if on_record is not None:
            on_record(rec)
    return out


def reword(record: Record, text_seed: int) -> str:
    """The same model told again: a new text for ``record`` drawn with ``text_seed``.

    Rebuilds the record's draft from its data seed (so the numbers are identical) and
    writes it with a different phrasing stream. Useful to give one model several texts.
    """
    if record.status != "optimal":
        raise DataError(
            f"record {record.id!r} is a {record.status} variant; reword works on optimal records only"
        )
    spec = get_family(record.family)
    meta = record.meta
    size = meta.get("size_arg")
    rng = random.Random(
        _derive(
            meta["seed"],
            record.family,
            meta["index"],
            meta["attempt"],
            record.difficulty,
            size,
            "data",
        )
    )
    text_rng = random.Random(_derive(text_seed, record.id, "reword"))
    draft = spec.build(Ctx(rng, Phraser(text_rng), record.difficulty, size))  # type: ignore[arg-type]
    return render_text(draft, text_rng)
