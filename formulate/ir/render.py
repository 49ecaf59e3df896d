"""Render a formulation for people: LaTeX (for papers and the web app) and Markdown.

Expressions are rendered from their syntax tree (the same whitelisted tree the
evaluator uses), so what is shown is exactly what is solved: ``sum(c[i] * x[i] for i
in I if d[i] > 0)`` becomes ``\\sum_{i \\in I : d_{i} > 0} c_{i} \\, x_{i}``.
"""

from __future__ import annotations

import ast
from typing import Any

from optiscribe.formulate.ir.expr import ExprError, parse, parse_for_each
from optiscribe.formulate.ir.model import Formulation

__all__ = ["expr_to_latex", "to_latex", "to_markdown"]

_CMP = {
    ast.Eq: "=",
    ast.NotEq: r"\neq",
    ast.Lt: "<",
    ast.LtE: r"\le",
    ast.Gt: ">",
    ast.GtE: r"\ge",
    ast.In: r"\in",
    ast.NotIn: r"\notin",
}
_PREC = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.Mod: 2, ast.FloorDiv: 2, ast.Pow: 3}


def _ident(name: str) -> str:
    body = name.replace("_", r"\_")
    return body if len(name) == 1 else rf"\mathit{{{body}}}"


def _text(s: str) -> str:
    safe = (
        s.replace("\\", r"\backslash ").replace("_", r"\_").replace("{", r"\{").replace("}", r"\}")
    )
    return rf"\text{{{safe}}}"


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:g}" if isinstance(v, float) else str(v)


class _Latex:
    def render(self, node: ast.AST) -> str:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            return _text(ast.unparse(node))
        return str(method(node))

    def _Expression(self, n: ast.Expression) -> str:
        return self.render(n.body)

    def _Constant(self, n: ast.Constant) -> str:
        return _text(n.value) if isinstance(n.value, str) else _num(n.value)

    def _Name(self, n: ast.Name) -> str:
        return r"\infty" if n.id == "inf" else _ident(n.id)

    def _Tuple(self, n: ast.Tuple) -> str:
        return "(" + ", ".join(self.render(e) for e in n.elts) + ")"

    def _Subscript(self, n: ast.Subscript) -> str:
        parts = n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]
        return f"{self.render(n.value)}_{{{','.join(self.render(p) for p in parts)}}}"

    def _wrap(self, child: ast.AST, parent_prec: int, right: bool = False) -> str:
        s = self.render(child)
        if isinstance(child, ast.BinOp):
            p = _PREC.get(type(child.op), 0)
            if p < parent_prec or (
                right and p == parent_prec and isinstance(child.op, (ast.Sub, ast.Div))
            ):
                return rf"\left({s}\right)"
        if isinstance(child, (ast.IfExp, ast.Compare, ast.BoolOp)):
            return rf"\left({s}\right)"
        return s

    def _BinOp(self, n: ast.BinOp) -> str:
        p = _PREC.get(type(n.op), 0)
        if isinstance(n.op, ast.Div):
            return rf"\frac{{{self.render(n.left)}}}{{{self.render(n.right)}}}"
        if isinstance(n.op, ast.Pow):
            return f"{{{self._wrap(n.left, 4)}}}^{{{self.render(n.right)}}}"
        left = self._wrap(n.left, p)
        right = self._wrap(n.right, p, right=True)
        if isinstance(n.op, ast.Mult):
            both_numbers = isinstance(n.left, ast.Constant) and isinstance(n.right, ast.Constant)
            return f"{left} \\cdot {right}" if both_numbers else f"{left} \\, {right}"
        op = {ast.Add: "+", ast.Sub: "-", ast.Mod: r"\bmod", ast.FloorDiv: r"\operatorname{div}"}[
            type(n.op)
        ]
        if isinstance(n.op, ast.Add) and right.startswith("-"):
            return f"{left} {right}"
        return f"{left} {op} {right}"

    def _UnaryOp(self, n: ast.UnaryOp) -> str:
        if isinstance(n.op, ast.Not):
            return rf"\lnot {self._wrap(n.operand, 3)}"
        sign = "-" if isinstance(n.op, ast.USub) else "+"
        return f"{sign}{self._wrap(n.operand, 2)}"

    def _Compare(self, n: ast.Compare) -> str:
        out = self.render(n.left)
        for op, c in zip(n.ops, n.comparators):
            out += f" {_CMP[type(op)]} {self.render(c)}"
        return out

    def _BoolOp(self, n: ast.BoolOp) -> str:
        op = r" \land " if isinstance(n.op, ast.And) else r" \lor "
        return op.join(self._wrap(v, 0) for v in n.values)

    def _IfExp(self, n: ast.IfExp) -> str:
        return (
            rf"\begin{{cases}} {self.render(n.body)} & \text{{if }} {self.render(n.test)} \\ "
            rf"{self.render(n.orelse)} & \text{{otherwise}} \end{{cases}}"
        )

    def _generators(self, gens: list[ast.comprehension]) -> str:
        binds = []
        conds = []
        for g in gens:
            binds.append(f"{self.render(g.target)} \\in {self.render(g.iter)}")
            conds += [self.render(c) for c in g.ifs]
        out = r",\, ".join(binds)
        if conds:
            out += " : " + r" \land ".join(conds)
        return out

    def _Call(self, n: ast.Call) -> str:
        name = n.func.id if isinstance(n.func, ast.Name) else ""
        arg = n.args[0] if n.args else None
        if name == "sum" and isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
            return rf"\sum_{{{self._generators(arg.generators)}}} {self._wrap(arg.elt, 2)}"
        if name in ("min", "max") and isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
            return rf"\{name}_{{{self._generators(arg.generators)}}} {self._wrap(arg.elt, 2)}"
        if name == "abs" and arg is not None:
            return rf"\left|{self.render(arg)}\right|"
        if name == "len" and arg is not None:
            return rf"\left|{self.render(arg)}\right|"
        return rf"\{name}\left({', '.join(self.render(a) for a in n.args)}\right)"


def expr_to_latex(text: str) -> str:
    """LaTeX of one expression; the raw text (as ``\\text``) if it does not parse."""
    try:
        return _Latex().render(parse(text))
    except ExprError:
        return _text(text)


def _quantifier_latex(for_each: str | None, condition: str | None) -> str:
    if not for_each:
        return ""
    try:
        binds = parse_for_each(for_each)
    except ExprError:
        return r"\quad " + _text(for_each)
    parts = []
    for b in binds:
        target = b.names[0] if len(b.names) == 1 else "(" + ", ".join(b.names) + ")"
        parts.append(f"{_ident(target) if len(b.names) == 1 else target} \\in {_ident(b.set_name)}")
    out = r"\quad \forall\, " + r",\, ".join(parts)
    if condition:
        out += " : " + expr_to_latex(condition)
    return out


def to_latex(f: Formulation) -> str:
    """The model as a LaTeX ``align*`` block: objective, then one line per constraint family."""
    sense = r"\max" if f.objective.sense == "maximize" else r"\min"
    lines = [rf"{sense} \quad & {expr_to_latex(f.objective.expression)}"]
    for i, c in enumerate(f.constraints):
        lead = r"\text{s.t.} \quad" if i == 0 else ""
        lines.append(
            rf"{lead} & {expr_to_latex(c.expression)} {_quantifier_latex(c.quantifier, c.condition)}"
            rf" && \text{{({c.name.replace('_', ' ')})}}"
        )
    for v in f.variables:
        idx = rf"_{{{','.join(_ident(s) for s in v.index)}}}" if v.index else ""
        dom = {"continuous": r"\mathbb{R}", "integer": r"\mathbb{Z}", "binary": r"\{0,1\}"}[
            v.domain
        ]
        lo, hi = (v.lower, v.upper) if v.domain != "binary" else _binary_bounds(v.lower, v.upper)
        lines.append(rf" & {_ident(v.name)}{idx} \in {dom}{_bounds_latex(lo, hi)}")
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"


def _binary_bounds(lo: Any, hi: Any) -> tuple[Any, Any]:
    """The bounds a binary variable adds to {0, 1}: only those that tighten it."""
    tighter_lo = lo if isinstance(lo, str) or (lo is not None and lo > 0) else None
    tighter_hi = hi if isinstance(hi, str) or (hi is not None and hi < 1) else None
    return tighter_lo, tighter_hi


def _bounds_text(domain: str, lo: Any, hi: Any) -> tuple[str, str]:
    """The bounds column: a binary is in [0, 1] whatever its (absent) upper bound says."""
    if domain == "binary":
        lo, hi = _binary_bounds(lo, hi)
        lo = 0 if lo is None else lo
        hi = 1 if hi is None else hi
    lo_s = "-inf" if lo is None else str(lo if isinstance(lo, str) else _num(lo))
    hi_s = "+inf" if hi is None else str(hi if isinstance(hi, str) else _num(hi))
    return lo_s, hi_s


def _bounds_latex(lo: Any, hi: Any) -> str:
    parts = []
    if lo is not None:
        parts.append(rf"\ge {_ident(lo) if isinstance(lo, str) else _num(lo)}")
    if hi is not None:
        parts.append(rf"\le {_ident(hi) if isinstance(hi, str) else _num(hi)}")
    return (r",\ " + r",\ ".join(parts)) if parts else ""


def _md(s: str) -> str:
    return s.replace("|", r"\|").replace("\n", " ")


def _values_summary(values: Any, limit: int = 6) -> str:
    if isinstance(values, (int, float)):
        return _num(values)
    if isinstance(values, dict):
        items = list(values.items())
        shown = ", ".join(f"{k}: {_values_summary(v, 3)}" for k, v in items[:limit])
        return "{" + shown + (", …" if len(items) > limit else "") + "}"
    if isinstance(values, list):
        shown = ", ".join(
            _values_summary(v, 3) if isinstance(v, (list, dict)) else str(v) for v in values[:limit]
        )
        return "[" + shown + (", …" if len(values) > limit else "") + "]"
    return str(values)


def to_markdown(f: Formulation, *, math: str = "latex") -> str:
    """The five elements as Markdown, in LLMOPT's order.

    ``math="latex"`` writes expressions as ``$$...$$`` LaTeX (for renderers that do math,
    such as the web app); ``math="code"`` writes them as the model's own text in code spans
    (for terminals).
    """
    if math not in ("latex", "code"):
        raise ValueError(f"math must be 'latex' or 'code', not {math!r}")
    as_code = math == "code"
    out = [f"# {f.name}", ""]
    if f.description:
        out += [f.description, ""]
    out += ["## Sets", ""]
    if f.sets:
        out += ["| set | elements | meaning |", "| --- | --- | --- |"]
        for s in f.sets:
            elems = (
                f"{s.first}..{s.last}"
                if s.elements is None
                else _values_summary(
                    [list(e) if isinstance(e, tuple) else e for e in s.elements], 8
                )
            )
            out.append(f"| `{s.name}` | {_md(elems)} | {_md(s.description)} |")
    else:
        out.append("(none)")
    out += ["", "## Parameters", ""]
    if f.parameters:
        out += ["| parameter | index | values | meaning |", "| --- | --- | --- | --- |"]
        for p in f.parameters:
            idx = ", ".join(p.index) or "scalar"
            default = f" (default {_num(p.default)})" if p.default is not None else ""
            out.append(
                f"| `{p.name}` | {idx} | {_md(_values_summary(p.values))}{default} | {_md(p.description)} |"
            )
    else:
        out.append("(none)")
    out += [
        "",
        "## Variables",
        "",
        "| variable | index | domain | bounds | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for v in f.variables:
        lo, hi = _bounds_text(v.domain, v.lower, v.upper)
        out.append(
            f"| `{v.name}` | {', '.join(v.index) or 'scalar'} | {v.domain} | [{lo}, {hi}] | {_md(v.description)} |"
        )
    obj = (
        f"`{f.objective.expression}`" if as_code else f"$${expr_to_latex(f.objective.expression)}$$"
    )
    out += ["", "## Objective", "", f"**{f.objective.sense}** {obj}"]
    if f.objective.description:
        out += ["", f.objective.description]
    out += ["", "## Constraints", ""]
    if not f.constraints:
        out.append("(none)")
    for c in f.constraints:
        out.append(f"- **{c.name}**: {_md(c.description)}" if c.description else f"- **{c.name}**")
        if as_code:
            quant = f" for each `{c.for_each}`" if c.for_each else ""
            cond = f" if `{c.condition}`" if c.condition else ""
            out.append(f"  \n  `{c.expression}`{quant}{cond}")
        else:
            q = _quantifier_latex(c.quantifier, c.condition)
            out.append(f"  $${expr_to_latex(c.expression)}{(' ' + q) if q else ''}$$")
    return "\n".join(out) + "\n"
