"""Editing and exporting a formulation from outside (the web app, notebooks).

Everything here is a pure function of a :class:`Formulation` (or its dict): parameter
tables as flat ``(key, value)`` entries and back, a parameter's values replaced, the
validation issues of a draft grouped by the element they belong to, the solution grouped
by variable with each value's index, and every export format as text. The app only lays
these out; the modelling rules stay here.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

from optiscribe.formulate.errors import FormulationValidationError
from optiscribe.formulate.ir.codegen import _flat_entries, to_pyomo_code
from optiscribe.formulate.ir.model import Formulation
from optiscribe.formulate.ir.render import to_latex, to_markdown

__all__ = [
    "EXPORT_FORMATS",
    "ElementIssues",
    "VariableTable",
    "draft_issues",
    "export_text",
    "parameter_columns",
    "parameter_entries",
    "variable_tables",
    "with_parameter_entries",
]

#: format -> (file suffix, MIME type) of :func:`export_text`.
EXPORT_FORMATS: Mapping[str, tuple[str, str]] = {
    "yaml": (".yaml", "application/yaml"),
    "json": (".json", "application/json"),
    "mps": (".mps", "text/plain"),
    "lp": (".lp", "text/plain"),
    "latex": (".tex", "application/x-tex"),
    "markdown": (".md", "text/markdown"),
    "pyomo": (".py", "text/x-python"),
}


def _sets(f: Formulation) -> dict[str, Any]:
    return {s.name: s for s in f.sets}


def parameter_columns(f: Formulation, name: str) -> list[str]:
    """Column names of a parameter's flat table: one per index component, then ``value``.

    An arc set ``A`` of pairs gives two columns ``A.1``, ``A.2``; a plain set its name.
    """
    p = _parameter(f, name)
    sets = _sets(f)
    cols: list[str] = []
    for set_name in p.index:
        d = sets[set_name].dimen
        cols += [set_name] if d == 1 else [f"{set_name}.{i}" for i in range(1, d + 1)]
    return [*cols, "value"]


def parameter_entries(f: Formulation, name: str) -> list[tuple[tuple[str, ...], float]]:
    """A parameter's values as ``(key components as text, value)`` rows, in set order.

    Entries a sparse table leaves out (``default``) are listed with the default, so the
    table an analyst edits is complete. A scalar is one row with an empty key.
    """
    p = _parameter(f, name)
    if not p.index:
        return [((), float(p.values))]
    sets = _sets(f)
    given = _flat_entries(p, sets)
    rows: list[tuple[tuple[str, ...], float]] = []
    for combo in product(*(sets[s].members for s in p.index)):
        comps: list[Any] = []
        for m in combo:
            comps += list(m) if isinstance(m, tuple) else [m]
        key: Any = comps[0] if len(comps) == 1 else tuple(comps)
        value = given.get(key, p.default)
        if value is None:
            continue  # a missing entry without default: validation reports it
        rows.append((tuple(str(c) for c in comps), float(value)))
    return rows


def with_parameter_entries(
    f: Formulation, name: str, entries: Iterable[tuple[Iterable[Any], Any]]
) -> Formulation:
    """``f`` with parameter ``name``'s values replaced by ``entries`` (validated anew).

    ``entries`` are ``(key components, value)`` rows as :func:`parameter_entries` gives;
    the values are written as rows ``[k1, ..., value]``. Raises
    :class:`FormulationValidationError` naming the row when a value is not a number.
    """
    data = f.to_dict()
    rows: list[list[Any]] = []
    for i, (key, value) in enumerate(entries):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise FormulationValidationError(
                f"parameter {name!r}, row {i + 1}: {value!r} is not a number",
                issues=(f"parameters '{name}' row {i + 1}: {value!r} is not a number",),
            ) from None
        rows.append([*(str(k) for k in key), number])
    for p in data["parameters"]:
        if p["name"] == name:
            if p.get("index"):
                p["values"] = rows
            else:
                if len(rows) != 1:
                    raise FormulationValidationError(
                        f"parameter {name!r} is a scalar: give exactly one value"
                    )
                p["values"] = rows[0][-1]
            break
    else:
        raise FormulationValidationError(f"no parameter named {name!r}")
    return Formulation.from_dict(data)


@dataclass(frozen=True)
class ElementIssues:
    """The problems of one element of a draft (``section`` and position), or of the whole."""

    section: str
    """``sets``, ``parameters``, ``variables``, ``objective``, ``constraints`` or ``model``."""
    index: int | None
    messages: tuple[str, ...]


# "variables[0]", "variables.0" or, as shape errors name items, "variables.ship (item 2)"
_WHERE = re.compile(
    r"^(sets|parameters|variables|constraints|objective)"
    r"(?:\[(\d+)\]|\.(\d+)(?![^.\s])|\.[^.]*? \(item (\d+)\))?"
)


def draft_issues(data: Mapping[str, Any]) -> tuple[Formulation | None, list[ElementIssues]]:
    """Read and fully check a draft (a formulation dict); the issues grouped by element.

    Returns the formulation when it is valid (no issues), else ``None`` and every issue,
    each under the element it is located at (with the "did you mean" the checker gives).
    """
    try:
        f = Formulation.from_dict(dict(data))
        f.expand()
    except FormulationValidationError as exc:
        texts = [str(i) for i in getattr(exc, "issues", ())] or [str(exc)]
        grouped: dict[tuple[str, int | None], list[str]] = {}
        for t in texts:
            m = _WHERE.match(t)
            key: tuple[str, int | None] = ("model", None)
            if m:
                number = m.group(2) or m.group(3)
                item = m.group(4)
                index = int(number) if number else (int(item) - 1 if item else None)
                key = (m.group(1), index)
            grouped.setdefault(key, []).append(t)
        return None, [ElementIssues(s, i, tuple(ms)) for (s, i), ms in grouped.items()]
    return f, []


@dataclass(frozen=True)
class VariableTable:
    """One variable's solution: the names of its index columns and ``(key, value)`` rows."""

    name: str
    description: str
    index: tuple[str, ...]
    """Column names as :func:`parameter_columns` makes them (arc sets split in parts)."""
    index_sets: tuple[str, ...]
    arcs: bool
    """Indexed by one set of pairs (a flow on arcs)."""
    rows: tuple[tuple[tuple[str, ...], float], ...]

    def nonzero(self, tol: float = 1e-9) -> tuple[tuple[tuple[str, ...], float], ...]:
        return tuple(r for r in self.rows if abs(r[1]) > tol)


def variable_tables(f: Formulation, model: Any, values: Mapping[str, float]) -> list[VariableTable]:
    """The solution ``values`` (by Pyomo name) grouped per variable of ``f`` with each key.

    ``model`` is the Pyomo model compiled from ``f`` (its component names are the keys of
    ``values``).
    """
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import pyomo.environ as pyo

    sets = _sets(f)
    out: list[VariableTable] = []
    for v in f.variables:
        comp = model.find_component(v.name)
        if comp is None or not isinstance(comp, pyo.Var):
            continue
        cols: list[str] = []
        for s in v.index:
            d = sets[s].dimen
            cols += [s] if d == 1 else [f"{s}.{i}" for i in range(1, d + 1)]
        rows = []
        for idx in comp:
            key = () if idx is None else (idx if isinstance(idx, tuple) else (idx,))
            value = values.get(comp[idx].name)
            if value is not None:
                rows.append((tuple(str(k) for k in key), float(value)))
        arcs = len(v.index) == 1 and sets[v.index[0]].dimen == 2
        out.append(
            VariableTable(v.name, v.description, tuple(cols), tuple(v.index), arcs, tuple(rows))
        )
    return out


def export_text(f: Formulation, fmt: str) -> str:
    """``f`` in format ``fmt`` (a key of :data:`EXPORT_FORMATS`) as text.

    MPS and LP keep the model's names (Pyomo's symbolic labels); ``pyomo`` is a stand-alone
    script that builds and solves the model.
    """
    if fmt == "yaml":
        return f.to_yaml()
    if fmt == "json":
        return f.to_json()
    if fmt in ("latex", "markdown"):
        return to_latex(f) if fmt == "latex" else to_markdown(f)
    if fmt == "pyomo":
        return to_pyomo_code(f)
    if fmt in ("mps", "lp"):
        model = f.to_pyomo()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"model.{fmt}"
            model.write(str(path), io_options={"symbolic_solver_labels": True})
            return path.read_text(encoding="utf-8")
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")


def _parameter(f: Formulation, name: str) -> Any:
    for p in f.parameters:
        if p.name == name:
            return p
    raise FormulationValidationError(
        f"no parameter named {name!r}; the parameters are "
        + (", ".join(p.name for p in f.parameters) or "none")
    )
