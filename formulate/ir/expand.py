"""Check the meaning of a formulation and expand it into linear rows.

One pass does both, because checking an expression means evaluating it: every
quantifier is iterated, every index looked up, every term multiplied out. Problems are
collected, not raised one at a time, so that an LLM gets all of them in one round; each
issue names the element (``constraints[2] 'capacity'``), the field, the place in the
expression and, inside a quantifier, the index values where it happened.

The result, :class:`ExpandedModel`, is what the compiler turns into Pyomo; it is also
a convenient matrix-like view for checks (all-zero solutions, counting variables).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from optiscribe.formulate.errors import FormulationValidationError
from optiscribe.formulate.ir.expr import (
    Evaluator,
    ExprError,
    Lin,
    ParamInfo,
    SetInfo,
    VarInfo,
    did_you_mean,
    parse,
    parse_for_each,
)
from optiscribe.solvers.kinds import FailureKind

if TYPE_CHECKING:
    # only for annotations: model imports this module (Formulation.expand), not the reverse
    from optiscribe.formulate.ir.model import Formulation

__all__ = ["ExpandedModel", "Issue", "Row", "expand"]

VarKey = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class Issue:
    """One problem found in a formulation, located for the one who wrote it."""

    where: str
    message: str
    kind: FailureKind = FailureKind.INVALID

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FailureKind(self.kind))

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Row:
    """One linear constraint ``lo <= sum(coef * var) <= hi`` of family ``name`` at ``key``."""

    name: str
    key: tuple[Any, ...]
    terms: Mapping[VarKey, float]
    lo: float | None
    hi: float | None


@dataclass(frozen=True)
class ExpandedModel:
    """A checked formulation expanded to variables, bounds, one objective and rows."""

    formulation: Formulation
    sets: Mapping[str, SetInfo]
    variables: Mapping[str, VarInfo]
    var_keys: Mapping[str, tuple[tuple[Any, ...], ...]]
    bounds: Mapping[VarKey, tuple[float | None, float | None]]
    objective: Lin
    rows: tuple[Row, ...]
    constraint_keys: Mapping[str, tuple[tuple[Any, ...], ...]]
    notes: tuple[str, ...] = field(default=())

    @property
    def num_vars(self) -> int:
        return len(self.bounds)

    @property
    def num_rows(self) -> int:
        return len(self.rows)


def _build_sets(f: Formulation, issues: list[Issue]) -> dict[str, SetInfo]:
    sets: dict[str, SetInfo] = {}
    for s in f.sets:
        members = s.members
        lookup: dict[tuple[str, ...], Any] = {}
        for m in members:
            comps = m if isinstance(m, tuple) else (m,)
            lookup[tuple(str(c) for c in comps)] = m
        sets[s.name] = SetInfo(s.name, members, s.dimen, lookup)
    return sets


def _fmt_key(key: tuple[Any, ...]) -> str:
    return ", ".join(repr(k) for k in key)


def _table_from_values(
    p_name: str,
    index: tuple[str, ...],
    values: Any,
    sets: Mapping[str, SetInfo],
    where: str,
    issues: list[Issue],
) -> dict[tuple[Any, ...], float]:
    """Read a parameter table (nested mapping, rows, flat list or matrix) into key -> value."""
    infos = [sets[n] for n in index]
    arity = sum(i.dimen for i in infos)
    raw: list[tuple[tuple[Any, ...], Any]] = []

    def walk(obj: Any, prefix: tuple[Any, ...]) -> None:
        if len(prefix) == arity:
            raw.append((prefix, obj))
            return
        if not isinstance(obj, Mapping):
            issues.append(
                Issue(
                    where,
                    f"expected a mapping at key ({_fmt_key(prefix)}) but found {obj!r}; "
                    f"the table needs {arity} levels of keys",
                    FailureKind.BAD_DATA,
                )
            )
            return
        for k, v in obj.items():
            walk(v, (*prefix, k))

    if isinstance(values, Mapping):
        walk(values, ())
    elif isinstance(values, list):
        flat_numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        if flat_numbers and len(infos) == 1 and infos[0].dimen == 1:
            if len(values) != len(infos[0].members):
                issues.append(
                    Issue(
                        where,
                        f"a list of {len(values)} numbers cannot fill set {index[0]!r} with "
                        f"{len(infos[0].members)} elements; give one value per element in set order "
                        "or a mapping element -> value",
                        FailureKind.MISSING_DATA,
                    )
                )
                return {}
            return {(m,): float(v) for m, v in zip(infos[0].members, values)}
        is_matrix = (
            len(infos) == 2
            and infos[0].dimen == 1
            and infos[1].dimen == 1
            and len(values) == len(infos[0].members)
            and all(
                isinstance(r, list)
                and len(r) == len(infos[1].members)
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in r)
                for r in values
            )
        )
        rows_ok = all(isinstance(r, list) and len(r) == arity + 1 for r in values)
        if is_matrix and rows_ok:
            # Both shapes fit: it is rows only if every row starts with valid keys.
            rows_ok = all(_keys_valid(tuple(r[:arity]), infos) for r in values)
        if is_matrix and not rows_ok:
            return {
                (a, b): float(x)
                for a, r in zip(infos[0].members, values)
                for b, x in zip(infos[1].members, r)
            }
        if is_matrix and rows_ok:
            issues.append(
                Issue(
                    where,
                    "the list of lists could be a matrix or a list of [key..., value] rows; "
                    "write the table as nested mappings to make it unambiguous",
                    FailureKind.BAD_DATA,
                )
            )
            return {}
        if not rows_ok:
            issues.append(
                Issue(
                    where,
                    f"rows of a table must each be [{', '.join(['key'] * arity)}, value] "
                    f"({arity + 1} entries)",
                    FailureKind.BAD_DATA,
                )
            )
            return {}
        raw = [(tuple(r[:arity]), r[arity]) for r in values]
    else:
        issues.append(
            Issue(
                where,
                f"parameter {p_name!r} is indexed by ({', '.join(index)}) but its values are a "
                "single number; give a mapping element -> value, or drop the index",
                FailureKind.BAD_DATA,
            )
        )
        return {}

    table: dict[tuple[Any, ...], float] = {}
    for key, val in raw:
        resolved: list[Any] = []
        pos = 0
        bad = False
        for info in infos:
            chunk = key[pos : pos + info.dimen]
            pos += info.dimen
            found = info.find(chunk)
            if found is None:
                shown = chunk[0] if len(chunk) == 1 else chunk
                issues.append(
                    Issue(
                        where,
                        f"key {shown!r} is not an element of set {info.name!r}",
                        FailureKind.BAD_KEY,
                    )
                )
                bad = True
                break
            resolved.extend(found if isinstance(found, tuple) else (found,))
        if bad:
            continue
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            issues.append(
                Issue(
                    where,
                    f"the value at ({_fmt_key(tuple(resolved))}) is {val!r}, not a number",
                    FailureKind.BAD_DATA,
                )
            )
            continue
        if math.isnan(val):
            issues.append(
                Issue(
                    where,
                    f"the value at ({_fmt_key(tuple(resolved))}) is NaN",
                    FailureKind.BAD_DATA,
                )
            )
            continue
        rk = tuple(resolved)
        if rk in table:
            issues.append(
                Issue(where, f"the key ({_fmt_key(rk)}) is given twice", FailureKind.BAD_DATA)
            )
        table[rk] = float(val)
    return table


def _keys_valid(key: tuple[Any, ...], infos: list[SetInfo]) -> bool:
    pos = 0
    for info in infos:
        if info.find(key[pos : pos + info.dimen]) is None:
            return False
        pos += info.dimen
    return True


def _product_keys(index: tuple[str, ...], sets: Mapping[str, SetInfo]) -> list[tuple[Any, ...]]:
    keys: list[tuple[Any, ...]] = [()]
    for n in index:
        info = sets[n]
        keys = [(*k, *(m if isinstance(m, tuple) else (m,))) for k in keys for m in info.members]
    return keys


_TOO_DEEP = "the expression is nested too deeply to evaluate; use sums over index sets"
MAX_INDEX_PRODUCT = 1_000_000
"""Most entries one variable or parameter may have (the product of its index sets' sizes),
checked before anything is expanded."""


def _check_product(
    kind: str, name: str, index: list[str], sets: Mapping[str, SetInfo], where: str
) -> Issue | None:
    size = 1
    for n in index:
        size *= max(len(sets[n].members), 1)
        if size > MAX_INDEX_PRODUCT:
            break
    if size <= MAX_INDEX_PRODUCT:
        return None
    sizes = " x ".join(f"{n} ({len(sets[n].members)})" for n in index)
    return Issue(
        where,
        f"{kind} {name!r} would have more than {MAX_INDEX_PRODUCT} entries ({sizes}); "
        "index it by fewer or smaller sets",
        FailureKind.TOO_LARGE,
    )


def _check_index(
    kind: str,
    name: str,
    index: list[str],
    sets: Mapping[str, SetInfo],
    where: str,
    issues: list[Issue],
) -> bool:
    ok = True
    for n in index:
        if n not in sets:
            hint = did_you_mean(n, sets, n=2) or (
                f"; declared sets are: {', '.join(sets)}" if sets else "; declare it under 'sets'"
            )
            issues.append(
                Issue(
                    where,
                    f"{kind} {name!r} is indexed by unknown set {n!r}{hint}",
                    FailureKind.UNKNOWN_NAME,
                )
            )
            ok = False
    if ok and (too_big := _check_product(kind, name, index, sets, where)) is not None:
        issues.append(too_big)
        ok = False
    return ok


def expand(f: Formulation) -> ExpandedModel:
    """Check every element of ``f`` and expand it; raise with all issues if any."""
    issues: list[Issue] = []
    notes: list[str] = []
    sets = _build_sets(f, issues)

    params: dict[str, ParamInfo] = {}
    for i, p in enumerate(f.parameters):
        where = f"parameters[{i}] {p.name!r}"
        if not _check_index("parameter", p.name, p.index, sets, where, issues):
            continue
        index = tuple(p.index)
        arity = sum(sets[n].dimen for n in index)
        if not index:
            if not isinstance(p.values, (int, float)):
                issues.append(
                    Issue(
                        where,
                        "a parameter without 'index' must have a single number as its value; "
                        "for a table, list the sets it is indexed by under 'index'",
                        FailureKind.BAD_DATA,
                    )
                )
                continue
            params[p.name] = ParamInfo(p.name, (), 0, float(p.values), {}, None)
            continue
        table = _table_from_values(p.name, index, p.values, sets, where, issues)
        if p.default is None:
            missing = [k for k in _product_keys(index, sets) if k not in table]
            if missing:
                shown = "; ".join(f"({_fmt_key(k)})" for k in missing[:5])
                more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
                issues.append(
                    Issue(
                        where,
                        f"the table misses {len(missing)} entr{'y' if len(missing) == 1 else 'ies'}: "
                        f"{shown}{more}; add them, or set 'default' for sparse data",
                        FailureKind.MISSING_DATA,
                    )
                )
        params[p.name] = ParamInfo(p.name, index, arity, None, table, p.default)

    variables: dict[str, VarInfo] = {}
    var_keys: dict[str, tuple[tuple[Any, ...], ...]] = {}
    bounds: dict[VarKey, tuple[float | None, float | None]] = {}
    for i, v in enumerate(f.variables):
        where = f"variables[{i}] {v.name!r}"
        if not _check_index("variable", v.name, v.index, sets, where, issues):
            continue
        index = tuple(v.index)
        arity = sum(sets[n].dimen for n in index)
        variables[v.name] = VarInfo(v.name, index, arity)
        keys = tuple(_product_keys(index, sets))
        var_keys[v.name] = keys
        resolved_bounds: list[ParamInfo | float | None] = []
        for side, b in (("lower", v.lower), ("upper", v.upper)):
            if isinstance(b, str):
                p_info = params.get(b)
                if p_info is None:
                    hint = did_you_mean(b, params, n=2)
                    issues.append(
                        Issue(
                            where,
                            f"{side} bound {b!r} is neither a number nor a parameter{hint}",
                            FailureKind.UNKNOWN_NAME,
                        )
                    )
                    resolved_bounds.append(None)
                    continue
                if p_info.index != index:
                    issues.append(
                        Issue(
                            where,
                            f"{side} bound parameter {b!r} is indexed by ({', '.join(p_info.index)}) "
                            f"but the variable by ({', '.join(index)}); they must match",
                            FailureKind.ARITY,
                        )
                    )
                    resolved_bounds.append(None)
                    continue
                resolved_bounds.append(p_info)
            else:
                resolved_bounds.append(b)
        lo_spec, hi_spec = resolved_bounds
        for k in keys:
            lo = _bound_value(lo_spec, k)
            hi = _bound_value(hi_spec, k)
            if v.domain == "binary":
                lo = 0.0 if lo is None else max(lo, 0.0)
                hi = 1.0 if hi is None else min(hi, 1.0)
            if lo is not None and hi is not None and lo > hi:
                issues.append(
                    Issue(
                        where,
                        f"empty domain at ({_fmt_key(k)}): lower bound {lo:g} > upper bound {hi:g}",
                        FailureKind.BAD_DATA,
                    )
                )
            bounds[(v.name, k)] = (lo, hi)

    ev = Evaluator(sets, params, variables)

    # Objective
    objective = Lin({}, 0.0)
    try:
        tree = parse(f.objective.expression)
        val = ev.value(tree, f.objective.expression.strip(), {})
        if isinstance(val, (str, tuple)):
            raise ExprError(f"the objective evaluates to the set element {val!r}, not a number")
        objective = val if isinstance(val, Lin) else Lin({}, float(val))
        if not objective.terms:
            notes.append(
                "the objective has no decision variables: any feasible solution is optimal"
            )
    except ExprError as exc:
        issues.append(Issue("objective.expression", exc.located(), exc.kind))
    except RecursionError:
        issues.append(Issue("objective.expression", _TOO_DEEP, FailureKind.TOO_LARGE))

    rows: list[Row] = []
    constraint_keys: dict[str, tuple[tuple[Any, ...], ...]] = {}
    for ci, c in enumerate(f.constraints):
        where = f"constraints[{ci}] {c.name!r}"
        field_name = "expression"
        try:
            field_name = "for_each"
            bindings = parse_for_each(c.quantifier) if c.quantifier else ()
            field_name = "condition"
            cond_text = c.condition.strip() if c.condition else None
            cond = parse(cond_text) if cond_text else None
            if cond is not None and not bindings:
                raise ExprError(
                    "a condition needs a quantifier: add 'for_each', or drop the condition"
                )
            field_name = "expression"
            expr_text = c.expression.strip()
            tree = parse(expr_text)
            if not isinstance(tree.body, ast.Compare):
                raise ExprError(
                    "a constraint needs one comparison: write 'lhs <= rhs', 'lhs >= rhs' or 'lhs == rhs'",
                    kind=FailureKind.NO_COMPARISON,
                )
        except ExprError as exc:
            issues.append(Issue(f"{where}.{field_name}", exc.located(), exc.kind))
            continue
        names = tuple(n for b in bindings for n in b.names)
        row_keys: list[tuple[Any, ...]] = []
        scope_iter = ev.iterate(bindings, {}, c.quantifier or "") if bindings else iter([{}])
        scope: dict[str, Any] = {}
        try:
            field_name = "for_each"
            for scope in scope_iter:
                field_name = "condition"
                if cond is not None and not ev.condition(cond, cond_text or "", scope):
                    continue
                field_name = "expression"
                lin, lo, hi = ev.comparison(tree, expr_text, scope)
                key = tuple(scope[n] for n in names)
                if not lin.terms:
                    ok = (lo is None or lo <= 1e-9) and (hi is None or hi >= -1e-9)
                    at = f" at ({_fmt_key(key)})" if key else ""
                    if not ok:
                        raise ExprError(
                            f"the constraint has no decision variables{at} and can never hold "
                            f"({'' if lo is None else f'{-lo:g} ... '}{'0' if hi is None else f'0 <= {hi:g}'}); "
                            "check the data or the condition",
                            kind=FailureKind.INFEASIBLE,
                        )
                    notes.append(
                        f"constraint {c.name}{'[' + _fmt_key(key) + ']' if key else ''} has no decision "
                        "variables and always holds; it is left out"
                    )
                    continue
                rows.append(Row(c.name, key, lin.terms, lo, hi))
                row_keys.append(key)
        except ExprError as exc:
            at = ""
            bound = ", ".join(f"{n}={scope[n]!r}" for n in names if n in scope)
            at = f" [at {bound}]" if bound else ""
            issues.append(Issue(f"{where}.{field_name}", exc.located() + at, exc.kind))
            continue
        except RecursionError:
            issues.append(Issue(f"{where}.{field_name}", _TOO_DEEP, FailureKind.TOO_LARGE))
            continue
        if not row_keys and bindings:
            notes.append(
                f"constraint family {c.name!r} is empty (its quantifier/condition selects nothing)"
            )
        constraint_keys[c.name] = tuple(row_keys)

    if issues:
        n = len(issues)
        lines = [f"the formulation has {n} problem{'s' if n != 1 else ''}:"]
        lines += [f"  - {i}" for i in issues]
        raise FormulationValidationError("\n".join(lines), issues=tuple(issues))

    return ExpandedModel(
        formulation=f,
        sets=sets,
        variables=variables,
        var_keys=var_keys,
        bounds=bounds,
        objective=objective,
        rows=tuple(rows),
        constraint_keys=constraint_keys,
        notes=tuple(notes),
    )


def _bound_value(spec: Any, key: tuple[Any, ...]) -> float | None:
    if spec is None:
        return None
    if isinstance(spec, ParamInfo):
        v = spec.table.get(key, spec.default)
        return None if v is None else float(v)
    return float(spec)
