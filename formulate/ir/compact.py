"""A compact line format for the five elements, written and read by the built-in model.

The IR as JSON costs a small model many tokens (quotes, keys, braces) and many chances to
break the syntax. This format says the same with one declaration per line, in a stable
order (sets, parameters, variables, objective, constraints), numbers written as they are::

    set PLANTS = P1, P2, P3
    set T = 1..12
    param supply[PLANTS] = [250, 300, 200]
    param c[W,T] = cruz icu 182; cruz ward 196; bell icu 290; bell ward 171
    param budget = 5000
    var ship[PLANTS,SITES] real
    var x_truck int ub=20
    var y real lb=none
    max: 50 * x_wheat + 80 * x_corn
    con capacity for p in PLANTS: sum(ship[p, s] for s in SITES) <= supply[p]
    con carry for t in T if t > 1: inv[t] == inv[t - 1] + make[t] - sell[t]
    end

:func:`to_compact` and :func:`from_compact` are exact inverses on everything but the free
text (model name and descriptions, which the format leaves out): the round trip gives the
same sets, parameters, bounds, domains and expressions, hence the same optimum. Anything the
short forms cannot hold exactly (tuple elements, keys with spaces, ragged tables) is written
as JSON after the ``=``, which the reader accepts too. Reading errors name the line.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from optiscribe.formulate.errors import FormulationReadError
from optiscribe.formulate.ir.model import Formulation

__all__ = ["END", "CompactReadError", "from_compact", "strip_text", "to_compact"]

END = "end"
"""The last line of every compact formulation (generation stops there)."""

_DOMAIN_TO = {"continuous": "real", "integer": "int", "binary": "bin"}
_DOMAIN_FROM = {v: k for k, v in _DOMAIN_TO.items()}
_TOKEN = re.compile(r"^[A-Za-z0-9_.+\-]+$")
_INT = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_HEAD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\]]*)\])?$")
_RANGE = re.compile(r"^([+-]?\d+)\s*\.\.\s*([+-]?\d+)$")


class CompactReadError(FormulationReadError):
    """The compact text could not be read; the message names the line and what is wrong."""


# ------------------------------------------------------------------------------- writing


def _num(v: float | int) -> str:
    """A number as short as it is exact: ``5`` for 5.0, ``0.35``, ``1e-06``."""
    if isinstance(v, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(v, int):
        return str(v)
    if math.isfinite(v) and v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _simple_key(k: Any) -> bool:
    return isinstance(k, str) and bool(_TOKEN.match(k)) and not _NUMBER.match(k)


def _elements_text(elements: list[Any]) -> str | None:
    """``a, b, 3`` when every element survives as a token, else ``None`` (write JSON)."""
    parts = []
    for e in elements:
        if isinstance(e, int) and not isinstance(e, bool):
            parts.append(str(e))
        elif _simple_key(e):
            parts.append(e)
        else:
            return None
    return ", ".join(parts)


def _rows(values: dict[str, Any], depth: int) -> list[tuple[list[str], Any]] | None:
    """Flatten nested mappings ``depth`` levels deep into rows; ``None`` if not that shape."""
    rows: list[tuple[list[str], Any]] = []
    for k, v in values.items():
        if not isinstance(k, str) or not _TOKEN.match(k):
            return None
        if depth == 1:
            if not _is_number(v):
                return None
            rows.append(([k], v))
        else:
            if not isinstance(v, dict):
                return None
            inner = _rows(v, depth - 1)
            if inner is None:
                return None
            rows.extend(([k, *keys], val) for keys, val in inner)
    return rows


def _param_value(values: Any, index: list[str]) -> str:
    if _is_number(values):
        return _num(values)
    if isinstance(values, dict) and index:
        rows = _rows(values, len(index))
        if rows:
            return "; ".join(" ".join([*keys, _num(v)]) for keys, v in rows)
    return json.dumps(values, ensure_ascii=False, separators=(", ", ": "))


def _bound(v: float | str | None) -> str:
    if v is None:
        return "none"
    return v if isinstance(v, str) else _num(v)


def _index(idx: list[str]) -> str:
    return f"[{','.join(idx)}]" if idx else ""


def to_compact(f: Formulation) -> str:
    """The compact text of ``f`` (ends with the line ``end``)."""
    lines: list[str] = []
    for s in f.sets:
        if s.elements is None:
            lines.append(f"set {s.name} = {s.first}..{s.last}")
        else:
            text = _elements_text(list(s.elements))
            if text is None:
                text = json.dumps([list(e) if isinstance(e, tuple) else e for e in s.elements])
            lines.append(f"set {s.name} = {text}")
    for p in f.parameters:
        line = f"param {p.name}{_index(p.index)} = {_param_value(p.values, p.index)}"
        if p.default is not None:
            line += f" default {_num(p.default)}"
        lines.append(line)
    for v in f.variables:
        line = f"var {v.name}{_index(v.index)} {_DOMAIN_TO[v.domain]}"
        if v.lower != 0:
            line += f" lb={_bound(v.lower)}"
        if v.upper is not None:
            line += f" ub={_bound(v.upper)}"
        lines.append(line)
    sense = "max" if f.objective.sense == "maximize" else "min"
    lines.append(f"{sense}: {_one_line(f.objective.expression)}")
    for c in f.constraints:
        head = f"con {c.name}"
        if c.for_each:
            quantifier = c.for_each if isinstance(c.for_each, str) else ", ".join(c.for_each)
            head += f" for {_one_line(quantifier)}"
        if c.condition:
            head += f" if {_one_line(c.condition)}"
        lines.append(f"{head}: {_one_line(c.expression)}")
    lines.append(END)
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def strip_text(f: Formulation) -> Formulation:
    """``f`` without its free text (name, descriptions): what the compact form keeps."""
    data = f.to_dict()
    data["name"] = "model"
    data["description"] = ""
    for key in ("sets", "parameters", "variables", "constraints"):
        for item in data[key]:
            item["description"] = ""
    data["objective"]["description"] = ""
    return Formulation.from_dict(data)


# ------------------------------------------------------------------------------- reading


def _fail(lineno: int, line: str, why: str) -> CompactReadError:
    return CompactReadError(f"line {lineno} ({line.strip()[:80]!r}): {why}")


def _parse_number(text: str) -> float | int:
    if _INT.match(text):
        return int(text)
    return float(text)


def _parse_json(text: str, lineno: int, line: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(lineno, line, f"the JSON value is invalid: {exc.msg}") from None


def _parse_head(text: str, lineno: int, line: str) -> tuple[str, list[str]]:
    m = _HEAD.match(text.strip())
    if not m:
        raise _fail(lineno, line, f"{text.strip()!r} is not a name or name[SET,...]")
    idx = [p.strip() for p in (m.group(2) or "").split(",") if p.strip()]
    return m.group(1), idx


def _parse_set(rest: str, lineno: int, line: str) -> dict[str, Any]:
    head, eq, value = rest.partition("=")
    if not eq:
        raise _fail(lineno, line, "a set is 'set NAME = a, b, c' or 'set NAME = 1..12'")
    name, idx = _parse_head(head, lineno, line)
    if idx:
        raise _fail(lineno, line, "a set has no index")
    value = value.strip()
    if m := _RANGE.match(value):
        return {"name": name, "first": int(m.group(1)), "last": int(m.group(2))}
    if value.startswith("["):
        return {"name": name, "elements": _parse_json(value, lineno, line)}
    elements: list[Any] = []
    for part in value.split(","):
        token = part.strip()
        if not token:
            raise _fail(lineno, line, "empty set element (two commas in a row?)")
        elements.append(int(token) if _INT.match(token) else token)
    return {"name": name, "elements": elements}


def _nest(rows: list[tuple[list[str], float | int]], lineno: int, line: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for keys, value in rows:
        node = out
        for k in keys[:-1]:
            nxt = node.setdefault(k, {})
            if not isinstance(nxt, dict):
                raise _fail(lineno, line, f"key {k!r} is both a value and a table")
            node = nxt
        if keys[-1] in node:
            raise _fail(lineno, line, f"entry {' '.join(keys)} is given twice")
        node[keys[-1]] = value
    return out


def _parse_param(rest: str, lineno: int, line: str) -> dict[str, Any]:
    head, eq, value = rest.partition("=")
    if not eq:
        raise _fail(lineno, line, "a parameter is 'param NAME = 5' or 'param NAME[SET] = ...'")
    name, idx = _parse_head(head, lineno, line)
    value = value.strip()
    default = None
    m = re.search(r"\s+default\s+(\S+)$", value)
    if m and _NUMBER.match(m.group(1)):
        default = _parse_number(m.group(1))
        value = value[: m.start()].strip()
    values: Any
    if value.startswith(("[", "{")):
        values = _parse_json(value, lineno, line)
    elif _NUMBER.match(value):
        values = _parse_number(value)
    else:
        rows: list[tuple[list[str], float | int]] = []
        for part in value.split(";"):
            tokens = part.split()
            if len(tokens) < 2 or not _NUMBER.match(tokens[-1]):
                raise _fail(
                    lineno,
                    line,
                    f"table row {part.strip()!r} is not 'key ... number' (one key per index)",
                )
            if idx and len(tokens) - 1 != len(idx):
                raise _fail(
                    lineno,
                    line,
                    f"table row {part.strip()!r} has {len(tokens) - 1} keys, the index has {len(idx)}",
                )
            rows.append((tokens[:-1], _parse_number(tokens[-1])))
        values = _nest(rows, lineno, line)
    out: dict[str, Any] = {"name": name, "index": idx, "values": values}
    if default is not None:
        out["default"] = default
    return out


def _parse_bound(text: str, lineno: int, line: str) -> float | str | None:
    if text == "none":
        return None
    if _NUMBER.match(text):
        return float(text)
    if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", text):
        return text
    raise _fail(lineno, line, f"bound {text!r} is not a number, a parameter name or none")


def _parse_var(rest: str, lineno: int, line: str) -> dict[str, Any]:
    tokens = rest.split()
    if not tokens:
        raise _fail(lineno, line, "a variable is 'var NAME[SET] real|int|bin [lb=..] [ub=..]'")
    # An index may hold spaces ("x[I, J]"): glue tokens back until the bracket closes.
    head = tokens.pop(0)
    while head.count("[") > head.count("]") and tokens:
        head += tokens.pop(0)
    name, idx = _parse_head(head, lineno, line)
    out: dict[str, Any] = {"name": name, "index": idx, "domain": "continuous"}
    for t in tokens:
        if t in _DOMAIN_FROM:
            out["domain"] = _DOMAIN_FROM[t]
        elif t.startswith("lb="):
            out["lower"] = _parse_bound(t[3:], lineno, line)
        elif t.startswith("ub="):
            out["upper"] = _parse_bound(t[3:], lineno, line)
        else:
            raise _fail(lineno, line, f"unknown word {t!r}: use real, int, bin, lb=..., ub=...")
    return out


def _parse_con(rest: str, lineno: int, line: str) -> dict[str, Any]:
    head, colon, expr = rest.partition(":")
    if not colon or not expr.strip():
        raise _fail(lineno, line, "a constraint is 'con NAME [for i in I] [if cond]: lhs <= rhs'")
    head = head.strip()
    condition = None
    for_each = None
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)(.*)$", head)
    if not m:
        raise _fail(lineno, line, f"constraint name missing in {head!r}")
    name, tail = m.group(1), m.group(2).strip()
    if tail:
        if not tail.startswith("for ") and not tail.startswith("if "):
            raise _fail(
                lineno, line, f"after the name expected 'for ...' or 'if ...', got {tail!r}"
            )
        if tail.startswith("for "):
            tail = tail[4:]
            for_each, _, cond = tail.partition(" if ")
            condition = cond.strip() or None
            for_each = for_each.strip()
        else:
            condition = tail[3:].strip()
    out: dict[str, Any] = {"name": name, "expression": expr.strip()}
    if for_each:
        out["for_each"] = for_each
    if condition:
        out["condition"] = condition
    return out


def from_compact(text: str) -> Formulation:
    """Read compact text into a :class:`Formulation` (shape-checked, not yet expanded).

    Text after the ``end`` line is ignored (a model may keep talking). Raises
    :class:`CompactReadError` naming the first bad line, or
    :class:`~optiscribe.formulate.errors.FormulationValidationError` for shape errors.
    """
    data: dict[str, Any] = {"sets": [], "parameters": [], "variables": [], "constraints": []}
    objective: dict[str, Any] | None = None
    ended = False
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("```"):
            continue
        if line == END:
            ended = True
            break
        word, _, rest = line.partition(" ")
        if word == "set":
            data["sets"].append(_parse_set(rest, lineno, raw))
        elif word == "param":
            data["parameters"].append(_parse_param(rest, lineno, raw))
        elif word == "var":
            data["variables"].append(_parse_var(rest, lineno, raw))
        elif word == "con":
            data["constraints"].append(_parse_con(rest, lineno, raw))
        elif word in ("max:", "min:") or line.startswith(("max:", "min:")):
            if objective is not None:
                raise _fail(lineno, raw, "a second objective; a model has exactly one")
            sense, _, expr = line.partition(":")
            if not expr.strip():
                raise _fail(lineno, raw, "the objective has no expression")
            objective = {
                "sense": "maximize" if sense.strip() == "max" else "minimize",
                "expression": expr.strip(),
            }
        else:
            raise _fail(
                lineno, raw, "a line starts with set, param, var, max:, min:, con, or is 'end'"
            )
    if objective is None:
        where = "" if ended else " (the text may be cut off before 'end')"
        raise CompactReadError(
            f"the formulation has no objective line 'max: ...' or 'min: ...'{where}"
        )
    data["objective"] = objective
    return Formulation.from_dict(data)
