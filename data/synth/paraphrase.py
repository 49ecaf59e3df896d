"""Optional LLM paraphrase with OptMATH's rejection check: keep a rewording only if it still means the model.

Template text, however varied, has a fingerprint; an LLM rewording breaks it. But an LLM
can also drop a number or change a condition, and then the record's answer no longer
belongs to its question. OptMATH's remedy, used here: after paraphrasing, formulate the
*new* text forward (by default with the same LLM, asked for our IR as JSON), solve it, and
keep the paraphrase only when the optimum matches the record's. A cheap check runs first:
every number of the original must still be in the paraphrase.

Off by default: nothing in :mod:`optiscribe.data.synth.generate` calls this. The LLM is any object
with ``complete(messages, *, n, temperature, response_format) -> list[str]`` (our
backends in :mod:`optiscribe.formulate.llm.base` qualify; tests use ``ScriptedBackend``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from optiscribe.data.errors import DataError
from optiscribe.data.synth.generate import Record, solve_formulation
from optiscribe.formulate.extract.declarations import NUMBER_WORDS

if TYPE_CHECKING:
    from optiscribe.formulate.ir.model import Formulation

__all__ = ["Completer", "ParaphraseReport", "numbers_in", "paraphrase", "paraphrase_all"]


class Completer(Protocol):
    """What the paraphrase step needs from a language model."""

    def complete(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        n: int = 1,
        temperature: float | None = None,
        response_format: Mapping[str, Any] | None = None,
    ) -> list[str]: ...


PARAPHRASE_SYSTEM = (
    "You rewrite optimisation word problems in different words. Keep every fact and every "
    "number exactly (you may write 12 as 'a dozen' or 60% as '60 percent'), change the "
    "sentence order and vocabulary, keep the question. Do not add facts, do not solve."
)
FORMULATE_SYSTEM = (
    "You are an operations-research modeller. Write the problem as a five-element model "
    "(sets, parameters, variables, objective, constraints) in the JSON format of the schema. "
    "Expressions use Python syntax: sum(c[i] * x[i] for i in I), comparisons <=, >=, ==."
)
_TEXT_SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "paraphrase",
        "schema": {
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
_WORDS: dict[str, float] = {
    **{w: v for w, v in NUMBER_WORDS.items() if 1 <= v <= 20},
    "a dozen": 12,
    "two dozen": 24,
    "half a dozen": 6,
    "twice": 2,
}
_NUM = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.])-?\d+(?:\.\d+)?")


def numbers_in(text: str) -> set[float]:
    """The numeric values a text states: digits (``1,200``, ``2.5``) and number words."""
    found = {float(m.group(0).replace(",", "")) for m in _NUM.finditer(text)}
    low = text.lower()
    for word, value in _WORDS.items():
        if re.search(rf"\b{word}\b", low):
            found.add(float(value))
    return found


@dataclass(frozen=True)
class ParaphraseReport:
    """What happened to one record's paraphrases."""

    source_id: str
    accepted: tuple[Record, ...] = ()
    rejected: tuple[str, ...] = field(default=())  # one reason per rejected candidate

    @property
    def n_candidates(self) -> int:
        return len(self.accepted) + len(self.rejected)


def _extract_text(answer: str) -> str:
    from optiscribe.formulate.llm.base import extract_json

    try:
        data = extract_json(answer)
    except Exception:
        return answer.strip()
    if isinstance(data, dict) and isinstance(data.get("text"), str):
        return data["text"].strip()
    return answer.strip()


def llm_formulator(llm: Completer, *, temperature: float = 0.0) -> Callable[[str], Formulation]:
    """Forward step: ask ``llm`` for our IR as JSON and read it (raises on unusable answers)."""

    def formulate(text: str) -> Formulation:
        from optiscribe.formulate.ir.model import Formulation
        from optiscribe.formulate.llm.base import extract_json, json_schema_format

        answer = llm.complete(
            [{"role": "system", "content": FORMULATE_SYSTEM}, {"role": "user", "content": text}],
            n=1,
            temperature=temperature,
            response_format=json_schema_format(Formulation, strict=False),
        )[0]
        return Formulation.from_dict(extract_json(answer))

    return formulate


def paraphrase(
    record: Record,
    llm: Completer,
    *,
    n: int = 2,
    temperature: float = 0.8,
    formulator: Callable[[str], Formulation] | None = None,
    rtol: float = 1e-6,
    check_numbers: bool = True,
) -> ParaphraseReport:
    """Ask ``llm`` for ``n`` rewordings of ``record`` and keep those that still solve to its answer.

    ``formulator`` turns a text into a :class:`Formulation` (default: the same ``llm``
    through :func:`llm_formulator`). A candidate is rejected, with the reason recorded, when
    it repeats the original, loses a number, cannot be formulated or solved, or solves to
    another optimum. Accepted records get the id ``<id>~p<k>`` and ``meta['paraphrase_of']``.
    """
    if record.status != "optimal" or record.answer is None:
        raise DataError(
            f"record {record.id!r} has no optimum ({record.status}); paraphrase needs a solved record"
        )
    forward = formulator or llm_formulator(llm)
    answers = llm.complete(
        [
            {"role": "system", "content": PARAPHRASE_SYSTEM},
            {"role": "user", "content": record.question},
        ],
        n=n,
        temperature=temperature,
        response_format=_TEXT_SCHEMA,
    )
    original_numbers = numbers_in(record.question)
    accepted: list[Record] = []
    rejected: list[str] = []
    for k, answer in enumerate(answers):
        text = _extract_text(answer)
        if not text or " ".join(text.split()) == " ".join(record.question.split()):
            rejected.append("the paraphrase is empty or repeats the original")
            continue
        if check_numbers:
            lost = sorted(original_numbers - numbers_in(text))
            if lost:
                rejected.append(
                    f"numbers missing from the paraphrase: {', '.join(f'{x:g}' for x in lost[:5])}"
                )
                continue
        try:
            f = forward(text)
            res = solve_formulation(f)
        except Exception as exc:
            rejected.append(f"forward formulation failed: {str(exc).splitlines()[0][:200]}")
            continue
        if res.objective is None or not res.is_optimal:
            rejected.append(f"forward model is {res.termination.value}")
            continue
        if abs(res.objective - record.answer) > rtol * max(1.0, abs(record.answer)):
            rejected.append(
                f"forward optimum {res.objective:g} differs from the record's {record.answer:g}"
            )
            continue
        meta = {
            **record.meta,
            "paraphrase_of": record.id,
            "llm": getattr(llm, "name", type(llm).__name__),
        }
        meta.pop("text_key", None)
        accepted.append(replace(record, id=f"{record.id}~p{k + 1}", question=text, meta=meta))
    return ParaphraseReport(record.id, tuple(accepted), tuple(rejected))


def paraphrase_all(
    records: Iterable[Record], llm: Completer, **options: Any
) -> Iterator[ParaphraseReport]:
    """:func:`paraphrase` over many records (skips infeasible/unbounded ones)."""
    for rec in records:
        if rec.status == "optimal" and rec.answer is not None:
            yield paraphrase(rec, llm, **options)
