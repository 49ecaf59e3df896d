"""Prompts and answer parsing for the formulate modes (``ir`` and ``code``).

Prompt text lives in versioned files under ``formulate/prompts/`` (``ir_v1.md``,
``code_v1.md``) so that a change of wording is a change of version, recorded in every
result (:data:`PROMPT_VERSIONS`). A file holds named sections separated by
``<!-- section: NAME -->`` lines; ``{placeholders}`` are filled here.

Worked examples for the ``ir`` prompt are *not* copied into the prompt file: they are
drawn from the bundled examples (:mod:`optiscribe.formulate.examples`) by name when the prompt
is built, so the examples the model sees are always the ones the tests solve.

Parsing raises exactly one type, :class:`LLMOutputParseError`, whatever went wrong (no
JSON, bad JSON, wrong shape, no code block), with the place in the model's own answer
(line and column) where there is one. The error carries ``kind`` (``"json"``,
``"schema"``, ``"code"``), ``line``, ``column`` and ``issues`` as attributes so that the
self-correction loop can quote them.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from optiscribe.formulate.errors import FormulationValidationError, LLMOutputParseError
from optiscribe.formulate.examples import example_names, load_example
from optiscribe.formulate.ir.model import Formulation
from optiscribe.solvers.kinds import FailureKind

__all__ = [
    "FEW_SHOT_EXAMPLES",
    "PROMPT_VERSION",
    "PROMPT_VERSIONS",
    "CodeAnswer",
    "build_code_gurobipy_messages",
    "build_code_messages",
    "build_ir_messages",
    "extract_code",
    "format_feedback",
    "load_prompt",
    "parse_code_answer",
    "parse_error",
    "parse_ir_answer",
]

PROMPT_VERSIONS: dict[str, str] = {
    "ir": "ir_v1",
    "code": "code_v1",
    "code_gurobipy": "code_gurobipy_v1",
}
"""Prompt file (and version recorded in results) of each mode."""
PROMPT_VERSION = PROMPT_VERSIONS["ir"]
"""Version of the default (``ir``) prompt."""

FEW_SHOT_EXAMPLES: tuple[str, ...] = ("furniture", "diet", "transportation")
"""Bundled examples shown to the model in ``ir`` mode, in this order (small ones on
purpose: a product mix with integer counts, a covering LP, an indexed network). Names
that are not bundled are skipped, so the prompt still builds while examples are added."""

_SECTION = re.compile(r"^<!-- section: ([a-z_]+) -->[ \t]*$", re.MULTILINE)


@functools.cache
def load_prompt(version: str) -> dict[str, str]:
    """The sections of prompt file ``<version>.md`` (e.g. ``ir_v1``), by name."""
    try:
        text = (
            resources.files("optiscribe.formulate.prompts")
            .joinpath(f"{version}.md")
            .read_text(encoding="utf-8")
        )
    except FileNotFoundError:
        raise FileNotFoundError(
            f"prompt file {version}.md is missing from optiscribe/formulate/prompts; "
            f"known versions: {', '.join(sorted(PROMPT_VERSIONS.values()))}"
        ) from None
    parts = _SECTION.split(text)
    # parts = [preamble, name1, body1, name2, body2, ...]
    return {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts), 2)}


def parse_error(
    message: str,
    *,
    kind: FailureKind,
    line: int | None = None,
    column: int | None = None,
    issues: Sequence[str] = (),
) -> LLMOutputParseError:
    """An :class:`LLMOutputParseError` with its structured context attached."""
    return LLMOutputParseError(message, kind=kind, line=line, column=column, issues=tuple(issues))


# ----------------------------------------------------------------------------- ir mode


def _example_answer(f: Formulation) -> str:
    """The JSON we want back: defaults left out (``lower: null`` is not a default and
    stays), one list item per line, so that line/column feedback points somewhere useful."""
    data = json.loads(f.model_dump_json(exclude_defaults=True))
    data = {
        k: data[k]
        for k in (
            "name",
            "description",
            "sets",
            "parameters",
            "variables",
            "objective",
            "constraints",
        )
        if k in data
    }
    lines = ["{"]
    keys = list(data)
    for n, k in enumerate(keys):
        comma = "," if n < len(keys) - 1 else ""
        v = data[k]
        if isinstance(v, list) and v:
            items = [json.dumps(item, ensure_ascii=False) for item in v]
            body = ",\n    ".join(items)
            lines.append(f'  "{k}": [\n    {body}\n  ]{comma}')
        else:
            lines.append(f'  "{k}": {json.dumps(v, ensure_ascii=False)}{comma}')
    lines.append("}")
    return "\n".join(lines)


@functools.cache
def _few_shot(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    have = set(example_names())
    return tuple(
        (load_example(n).text, _example_answer(load_example(n).formulation))
        for n in names
        if n in have
    )


def build_ir_messages(
    text: str, *, examples: Sequence[str] = FEW_SHOT_EXAMPLES
) -> list[dict[str, str]]:
    """System prompt, the worked examples as user/assistant turns, then the problem."""
    sections = load_prompt(PROMPT_VERSIONS["ir"])
    messages = [{"role": "system", "content": sections["system"]}]
    for ex_text, answer in _few_shot(tuple(examples)):
        messages.append({"role": "user", "content": sections["example_user"].format(text=ex_text)})
        messages.append(
            {"role": "assistant", "content": sections["example_assistant"].format(answer=answer)}
        )
    messages.append({"role": "user", "content": sections["user"].format(text=text.strip())})
    return messages


_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


def _json_span(output: str) -> int | None:
    """Offset in ``output`` where the JSON object starts (a fence's ``{`` first)."""
    for m in _FENCE.finditer(output):
        lang = m.group(1).lower()
        if lang in ("", "json", "json5", "javascript"):
            i = output.find("{", m.start(2), m.end(2))
            if i >= 0:
                return i
    i = output.find("{")
    return i if i >= 0 else None


def parse_ir_answer(output: str) -> Formulation:
    """The :class:`Formulation` in a model's answer.

    Accepts bare JSON, JSON in a ```json fence, and JSON after leading prose. Raises
    :class:`LLMOutputParseError` (``kind`` ``"json"`` with the line and column in the
    answer, or ``"schema"`` with every shape issue) otherwise.
    """
    start = _json_span(output)
    if start is None:
        preview = output.strip()[:120].replace("\n", " ")
        raise parse_error(
            f"the answer contains no JSON object (it starts: {preview!r}); answer with one JSON "
            "object that has the keys sets, parameters, variables, objective, constraints",
            kind=FailureKind.JSON,
        )
    try:
        data, _end = json.JSONDecoder().raw_decode(output, start)
    except json.JSONDecodeError as exc:
        line, column = _line_col(output, exc.pos)
        src_line = output.splitlines()[line - 1] if output.splitlines()[line - 1 : line] else ""
        caret = " " * (column - 1) + "^"
        # An unterminated string runs to the end of the text, so both mean "cut off".
        truncated = exc.pos >= len(output.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
        hint = " (the answer seems cut off: write the whole object)" if truncated else ""
        raise parse_error(
            f"the JSON is invalid at line {line} column {column}: {exc.msg}{hint}\n"
            f"  {src_line.rstrip()}\n  {caret}",
            kind=FailureKind.JSON,
            line=line,
            column=column,
        ) from None
    if not isinstance(data, dict):
        raise parse_error(
            f"the JSON value is a {type(data).__name__}, not an object", kind=FailureKind.JSON
        )
    try:
        return Formulation.from_dict(data)
    except FormulationValidationError as exc:
        raise parse_error(
            str(exc), kind=FailureKind.SCHEMA, issues=[str(i) for i in exc.issues]
        ) from None


# --------------------------------------------------------------------------- code mode


@dataclass(frozen=True)
class CodeAnswer:
    """A code-mode answer: the five elements as text (may be empty) and the Python code."""

    elements: str
    code: str


_ELEMENT_HEADING = re.compile(
    r"^#+\s*(sets|parameters|variables|objective|constraints)\s*:?", re.I | re.M
)


def build_code_messages(text: str) -> list[dict[str, str]]:
    """LLMOPT-style Q2F+C prompt: five elements as text, then Pyomo code in a class."""
    sections = load_prompt(PROMPT_VERSIONS["code"])
    return [
        {"role": "system", "content": sections["system"]},
        {"role": "user", "content": sections["user"].format(text=text.strip())},
    ]


def build_code_gurobipy_messages(text: str) -> list[dict[str, str]]:
    """Mathematical model as text, then gurobipy code (the format gurobipy-trained models
    such as ORLM, SIRL or OptiMind write); run on HiGHS by the sandbox's gurobipy layer."""
    sections = load_prompt(PROMPT_VERSIONS["code_gurobipy"])
    return [
        {"role": "system", "content": sections["system"]},
        {"role": "user", "content": sections["user"].format(text=text.strip())},
    ]


def extract_code(output: str) -> str | None:
    """The Python code of an answer: the longest ```python fence, else the bare answer if
    it looks like code (starts with an import)."""
    blocks = [
        m.group(2)
        for m in _FENCE.finditer(output)
        if m.group(1).lower() in ("python", "py", "python3")
    ]
    if not blocks:
        blocks = [
            m.group(2)
            for m in _FENCE.finditer(output)
            if m.group(1) == "" and re.search(r"^\s*(from|import)\s+\w", m.group(2), re.M)
        ]
    if blocks:
        return max(blocks, key=len).strip("\n") + "\n"
    stripped = output.strip()
    if re.match(r"(from|import)\s+\w", stripped):
        return stripped + "\n"
    return None


def parse_code_answer(output: str, *, library: str = "Pyomo") -> CodeAnswer:
    """Split a code-mode answer; raises :class:`LLMOutputParseError` without code."""
    code = extract_code(output)
    if code is None:
        raise parse_error(
            f"the answer has no Python code: put the complete {library} program in one "
            "```python block",
            kind=FailureKind.CODE,
        )
    first_code = output.find("```python")
    head = output[: first_code if first_code >= 0 else len(output)]
    m = _ELEMENT_HEADING.search(head)
    elements = head[m.start() :].strip().strip("`").strip() if m else ""
    return CodeAnswer(elements=elements, code=code)


def format_feedback(mode: str, problem: str) -> str:
    """The feedback message of ``mode``'s prompt file around ``problem``."""
    return load_prompt(PROMPT_VERSIONS[mode])["feedback"].format(problem=problem.strip())
