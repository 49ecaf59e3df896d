"""Write a formulation as the self-contained Pyomo script that code mode expects.

Code mode (LLMOPT, ORLM and our own) asks a model for a Python program that builds the
model with ``pyomo.environ``, solves it and prints the objective. Training records need
that program next to the five elements, and it must be *the same model*: so it is written
from the IR mechanically, keeping the IR's names and its expressions verbatim. That works
because IR expressions are already a subset of Python: with sets as lists, parameters as
dicts keyed like the IR (one component: the bare element; several: the flattened tuple)
and variables as Pyomo components bound to their own names, ``sum(cost[i, j] * x[i, j]
for i in I for j in J)`` means the same thing to Python as to our evaluator.

The only rewrites: a range comparison ``lo <= e <= hi`` becomes ``pyo.inequality(...)``
(Pyomo refuses chained comparisons), a quantifier becomes a rule function with a
``Constraint.Skip`` for its condition, and table keys read from JSON (always text) are
turned back into the set's own elements (``'3'`` into ``3``).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from optiscribe.formulate.ir.expr import parse_for_each
from optiscribe.formulate.ir.model import Formulation, Parameter, SetDef, Variable
from optiscribe.solvers.errors import InputError

__all__ = ["OBJECTIVE_LABEL", "parse_objective", "to_pyomo_code"]

#: What the script prints before the optimum; :func:`parse_objective` finds it again.
OBJECTIVE_LABEL = "Optimal objective value:"
_SCRIPT_NAMES = frozenset({"pyo", "model", "result", "print", "defaultdict", "solver"})
_INLINE_SET_LIMIT = 40


def to_pyomo_code(f: Formulation, *, solver: str = "highs") -> str:
    """The Pyomo program of ``f``: data, model, solve, and a printout of the optimum.

    ``solver`` is the name passed to ``SolverFactory`` (``highs`` or ``glpk``; the
    sandbox maps either to HiGHS). Raises :class:`InputError` when an IR name would shadow
    a name the script itself needs.
    """
    clash = sorted(_SCRIPT_NAMES & _ir_names(f))
    if clash:
        raise InputError(
            f"formulation {f.name!r} uses the name(s) {clash}, which the generated Pyomo script "
            "needs for itself; rename them in the IR (e.g. with synth_pairs.rename) and retry"
        )
    sets = {s.name: s for s in f.sets}
    lines: list[str] = []
    doc = (f.description or f.name).replace('"""', "'''")
    lines += [f'"""{doc}"""', "import pyomo.environ as pyo"]
    if any(p.default is not None and p.index for p in f.parameters):
        lines.append("from collections import defaultdict")
    lines.append("")
    if f.sets:
        lines.append("# Sets")
        for s in f.sets:
            lines.append(_comment(f"{s.name} = {_set_literal(s)}", s.description))
        lines.append("")
    if f.parameters:
        lines.append("# Parameters")
        for p in f.parameters:
            lines.append(_comment(f"{p.name} = {_param_literal(p, sets)}", p.description))
        lines.append("")
    lines.append(f"model = pyo.ConcreteModel(name={f.name!r})")
    lines.append("")
    lines.append("# Decision variables")
    for v in f.variables:
        lines += _variable(v, sets)
    lines.append("")
    sense = "pyo.maximize" if f.objective.sense == "maximize" else "pyo.minimize"
    lines.append(_comment("# Objective", f.objective.description))
    lines.append(
        f"model.objective = pyo.Objective(expr={_expr(f.objective.expression)}, sense={sense})"
    )
    lines.append("")
    if f.constraints:
        lines.append("# Constraints")
    for c in f.constraints:
        if c.description:
            lines.append(f"# {c.name}: {_one_line(c.description)}")
        body = _expr(c.expression)
        if not c.for_each:
            lines.append(f"model.{c.name} = pyo.Constraint(expr={body})")
            continue
        names, index_sets = [], []
        for b in parse_for_each(c.quantifier or ""):
            names += list(b.names)
            index_sets.append(b.set_name)
        lines.append(f"def {c.name}_rule(model, {', '.join(names)}):")
        if c.condition:
            lines.append(f"    if not ({c.condition.strip()}):")
            lines.append("        return pyo.Constraint.Skip")
        lines.append(f"    return {body}")
        lines.append(
            f"model.{c.name} = pyo.Constraint({', '.join(index_sets)}, rule={c.name}_rule)"
        )
    lines += [
        "",
        f"result = pyo.SolverFactory({solver!r}).solve(model)",
        "print('Solver status:', result.solver.termination_condition)",
        f"print({OBJECTIVE_LABEL!r}, pyo.value(model.objective))",
        "for v in model.component_data_objects(pyo.Var, active=True):",
        "    if v.value is not None and abs(v.value) > 1e-9:",
        "        print(f'  {v.name} = {v.value:g}')",
        "",
    ]
    return "\n".join(lines)


def parse_objective(stdout: str) -> float | None:
    """The optimum printed by a script from :func:`to_pyomo_code`, or ``None``."""
    for line in stdout.splitlines():
        if line.startswith(OBJECTIVE_LABEL):
            try:
                return float(line[len(OBJECTIVE_LABEL) :].strip())
            except ValueError:
                return None
    return None


# ----------------------------------------------------------------------------- helpers


def _ir_names(f: Formulation) -> set[str]:
    return (
        {s.name for s in f.sets}
        | {p.name for p in f.parameters}
        | {v.name for v in f.variables}
        | {c.name for c in f.constraints}
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _comment(code: str, description: str) -> str:
    return f"{code}  # {_one_line(description)}" if description else code


def _set_literal(s: SetDef) -> str:
    if s.elements is None:
        assert s.first is not None and s.last is not None
        n = s.last - s.first + 1
        if n <= _INLINE_SET_LIMIT:
            return repr(list(range(s.first, s.last + 1)))
        return f"list(range({s.first}, {s.last + 1}))"
    return repr(list(s.elements))


def _lookup(s: SetDef) -> dict[tuple[str, ...], Any]:
    out: dict[tuple[str, ...], Any] = {}
    for m in s.members:
        comps = m if isinstance(m, tuple) else (m,)
        out[tuple(str(c) for c in comps)] = comps
    return out


def _flat_entries(p: Parameter, sets: Mapping[str, SetDef]) -> dict[Any, float]:
    """Parameter table as ``key -> value`` with keys typed like the set elements."""
    infos = [sets[n] for n in p.index]
    dims = [s.dimen for s in infos]
    arity = sum(dims)
    raw: list[tuple[tuple[Any, ...], Any]] = []
    vals = p.values
    if isinstance(vals, list):
        for row in vals:
            raw.append((tuple(row[:-1]), row[-1]))
    else:

        def walk(obj: Any, prefix: tuple[Any, ...]) -> None:
            if len(prefix) == arity:
                raw.append((prefix, obj))
                return
            for k, v in obj.items():
                walk(v, (*prefix, k))

        walk(vals, ())
    lookups = [_lookup(s) for s in infos]
    out: dict[Any, float] = {}
    for key, value in raw:
        typed: list[Any] = []
        pos = 0
        for lk, d in zip(lookups, dims):
            comps = tuple(str(c) for c in key[pos : pos + d])
            pos += d
            if comps not in lk:
                raise InputError(
                    f"parameter {p.name!r} has the key {key!r}, which is not in its index sets "
                    f"{p.index}; check the formulation with Formulation.validate_model()"
                )
            typed += list(lk[comps])
        out[typed[0] if arity == 1 else tuple(typed)] = value
    return out


def _num(x: Any) -> str:
    if isinstance(x, bool):
        return str(int(x))
    if isinstance(x, (int, float)) and float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


def _param_literal(p: Parameter, sets: Mapping[str, SetDef]) -> str:
    if not p.index:
        return _num(p.values)
    entries = _flat_entries(p, sets)
    body = "{" + ", ".join(f"{k!r}: {_num(v)}" for k, v in entries.items()) + "}"
    if p.default is not None:
        return f"defaultdict(lambda: {_num(p.default)}, {body})"
    return body


def _bound(value: float | str | None, args: str) -> str:
    if value is None:
        return "None"
    if isinstance(value, str):
        return f"{value}[{args}]" if args else value
    return _num(value)


def _variable(v: Variable, sets: Mapping[str, SetDef]) -> list[str]:
    index = ", ".join(v.index)
    head = f"pyo.Var({index + ', ' if index else ''}"
    lo, hi = v.lower, v.upper
    domain = {"continuous": "pyo.Reals", "integer": "pyo.Integers", "binary": "pyo.Binary"}[
        v.domain
    ]
    out: list[str] = []
    if v.domain == "binary" and lo in (0, 0.0, None) and hi in (None, 1, 1.0):
        decl = f"{head}domain=pyo.Binary)"
    elif lo in (0, 0.0) and hi is None:
        nn = "pyo.NonNegativeReals" if v.domain == "continuous" else "pyo.NonNegativeIntegers"
        decl = f"{head}domain={nn})"
    elif isinstance(lo, str) or isinstance(hi, str):
        n_args = sum(sets[s].dimen for s in v.index)
        args = ", ".join(f"k{i}" for i in range(n_args))
        out.append(f"def {v.name}_bounds(model{', ' + args if args else ''}):")
        out.append(f"    return ({_bound(lo, args)}, {_bound(hi, args)})")
        decl = f"{head}domain={domain}, bounds={v.name}_bounds)"
    else:
        decl = f"{head}domain={domain}, bounds=({_bound(lo, '')}, {_bound(hi, '')}))"
    out.append(_comment(f"model.{v.name} = {decl}", v.description))
    out.append(f"{v.name} = model.{v.name}")
    return out


class _Chains(ast.NodeTransformer):
    """``lo <= e <= hi`` → ``pyo.inequality(lo, e, hi)`` (Pyomo has no chained comparisons)."""

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) == 2 and all(isinstance(o, (ast.LtE, ast.Lt)) for o in node.ops):
            lo, mid, hi = node.left, node.comparators[0], node.comparators[1]
        elif len(node.ops) == 2 and all(isinstance(o, (ast.GtE, ast.Gt)) for o in node.ops):
            hi, mid, lo = node.left, node.comparators[0], node.comparators[1]
        else:
            return node
        call = ast.Call(
            func=ast.Attribute(
                value=ast.Name("pyo", ast.Load()), attr="inequality", ctx=ast.Load()
            ),
            args=[lo, mid, hi],
            keywords=[],
        )
        return ast.copy_location(call, node)


def _expr(text: str) -> str:
    tree = ast.parse(text.strip(), mode="eval")
    if not any(isinstance(n, ast.Compare) and len(n.ops) > 1 for n in ast.walk(tree)):
        return " ".join(text.split())
    return ast.unparse(ast.fix_missing_locations(_Chains().visit(tree)))
