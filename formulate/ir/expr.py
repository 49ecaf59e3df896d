"""The safe expression language of the IR: parse with :mod:`ast`, evaluate with our own walker.

Model text (written by a person or an LLM) is never given to ``eval`` or ``exec``. It is
parsed into a Python syntax tree, every node is checked against a whitelist, and the tree
is evaluated by :class:`Evaluator`, which knows only numbers, set elements and linear
expressions (:class:`Lin`). Anything else is an error that names the place.

The language::

    numbers, 'strings'                      3, 2.5, 'chairs'
    names                                   parameters, scalar variables, bound indices
    indexing                                x[i, j], cost['chairs'], inv[t - 1]
    arithmetic                              + - * / ** % // (linear in the variables)
    sum over sets                           sum(c[i] * x[i] for i in I if d[i] > 0)
    comparisons                             <= >= == (constraints); < > != in (conditions)
    logic on constants                      and or not, a if cond else b
    helpers on constants                    min(...), max(...), abs(...), len(SET)

Products of two variable terms, division by a variable and powers of a variable are
reported as "not a MILP" with the place.
"""

from __future__ import annotations

import ast
import difflib
import functools
import math
import operator
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Union

from optiscribe.formulate.errors import ExprError
from optiscribe.solvers.kinds import FailureKind

__all__ = [
    "Evaluator",
    "ExprError",
    "Lin",
    "ParamInfo",
    "Scope",
    "SetInfo",
    "VarInfo",
    "did_you_mean",
    "parse",
    "parse_for_each",
]

Key = int | str
#: A variable instance: (variable name, flattened index tuple).
VarKey = tuple[str, tuple[Key, ...]]
Value = Union[int, float, str, tuple, "Lin", bool]


def did_you_mean(name: str, candidates: Iterable[str], *, n: int = 3) -> str:
    """``"; did you mean 'a' or 'b'?"`` for the declared names close to ``name``, else ``""``."""
    close = difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


# ------------------------------------------------------------------------------ parsing

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.BoolOp,
    ast.IfExp,
    ast.Call,
    ast.GeneratorExp,
    ast.ListComp,
    ast.comprehension,
    ast.Name,
    ast.Constant,
    ast.Subscript,
    ast.Tuple,
    ast.Load,
    ast.Store,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.Mod,
    ast.FloorDiv,
    ast.USub,
    ast.UAdd,
    ast.Not,
    ast.And,
    ast.Or,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
)
_FUNCTIONS = frozenset({"sum", "min", "max", "abs", "len"})

_NODE_HINTS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access (a.b) is not allowed; use names and indexing only",
    ast.Lambda: "lambda is not allowed",
    ast.Dict: "dict literals are not allowed; put data in parameters",
    ast.List: "list literals are not allowed; put data in parameters or sets",
    ast.Set: "set literals are not allowed; declare a set",
    ast.Slice: "slices are not allowed; use a condition such as 'if t > 1'",
    ast.Starred: "star-unpacking is not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.SetComp: "set comprehensions are not allowed; use sum(... for ...)",
    ast.DictComp: "dict comprehensions are not allowed; use sum(... for ...)",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.MatMult: "'@' is not allowed; write the sum explicitly",
    ast.BitAnd: "'&' is not allowed; use 'and'",
    ast.BitOr: "'|' is not allowed; use 'or'",
    ast.BitXor: "'^' is not allowed; use '**' for powers of constants",
    ast.Is: "'is' is not allowed; use '=='",
    ast.IsNot: "'is not' is not allowed; use '!='",
}


MAX_EXPRESSION_CHARS = 20_000
"""Longest expression accepted: Python's parser and the evaluator recurse per operator."""
MAX_EXPANSION_STEPS = 2_000_000
"""Index combinations one expansion may visit (quantifiers and sums together), so an
expression over the product of large sets is refused instead of running for hours."""


def _check_length(src: str, what: str) -> None:
    if len(src) > MAX_EXPRESSION_CHARS:
        raise ExprError(
            f"the {what} is {len(src)} characters long, more than the {MAX_EXPRESSION_CHARS} "
            "allowed; use sums over index sets instead of writing every term out",
            kind=FailureKind.TOO_LARGE,
        )


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> ast.Expression:
    """Parse one expression and check every node against the whitelist.

    Raises :class:`ExprError` (kind ``syntax``) with the place of the first offending node.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExprError("the expression is empty", kind=FailureKind.SYNTAX)
    src = text.strip()
    _check_length(src, "expression")
    try:
        tree = ast.parse(src, mode="eval")
    except (RecursionError, MemoryError):
        raise ExprError(
            "the expression is nested too deeply to read; use sums over index sets",
            kind=FailureKind.TOO_LARGE,
        ) from None
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        hint = ""
        if "=" in src and "==" not in src and "<=" not in src and ">=" not in src:
            hint = "; write equality as '=='"
        raise ExprError(
            f"the expression does not parse{where}: {exc.msg}{hint}", kind=FailureKind.SYNTAX
        ) from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            msg = _NODE_HINTS.get(
                type(node), f"{type(node).__name__} is not allowed in model expressions"
            )
            raise ExprError(msg, node, src, kind=FailureKind.SYNTAX)
        if (isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str))) or (
            isinstance(node, ast.Constant) and isinstance(node.value, bool)
        ):
            raise ExprError(
                f"the constant {node.value!r} is not allowed; use numbers or 'strings'",
                node,
                src,
                kind=FailureKind.SYNTAX,
            )
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
                name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise ExprError(
                    f"the function {name!r} is not available; only {', '.join(sorted(_FUNCTIONS))} are",
                    node,
                    src,
                    kind=FailureKind.SYNTAX,
                )
            if node.keywords:
                raise ExprError(
                    "keyword arguments are not allowed", node, src, kind=FailureKind.SYNTAX
                )
        if isinstance(node, (ast.GeneratorExp, ast.ListComp)):
            for gen in node.generators:
                if gen.is_async:
                    raise ExprError(
                        "async comprehensions are not allowed", node, src, kind=FailureKind.SYNTAX
                    )
    return tree


@dataclass(frozen=True)
class Binding:
    """One ``target in SET`` clause of a quantifier."""

    names: tuple[str, ...]
    set_name: str
    node: ast.AST


@functools.lru_cache(maxsize=1024)
def parse_for_each(text: str) -> tuple[Binding, ...]:
    """Parse a quantifier such as ``"i in I, (a, b) in ARCS"`` into bindings."""
    src = text.strip()
    if src.startswith("for "):
        src = src[4:]
    _check_length(src, "quantifier")
    try:
        tree = ast.parse(src, mode="eval")
    except (RecursionError, MemoryError):
        raise ExprError(
            "the quantifier is nested too deeply to read", kind=FailureKind.TOO_LARGE
        ) from None
    except SyntaxError as exc:
        raise ExprError(
            f"the quantifier does not parse: {exc.msg}; write it as 'i in I, j in J'",
            kind=FailureKind.SYNTAX,
        ) from None
    body = tree.body
    clauses = body.elts if isinstance(body, ast.Tuple) else [body]
    out: list[Binding] = []
    seen: set[str] = set()
    for clause in clauses:
        if not (
            isinstance(clause, ast.Compare)
            and len(clause.ops) == 1
            and isinstance(clause.ops[0], ast.In)
            and isinstance(clause.comparators[0], ast.Name)
        ):
            raise ExprError(
                "each quantifier clause must read 'i in SET' or '(i, j) in PAIRS'; "
                "for a pair of indices write the parentheses: '(i, j) in ARCS'",
                clause,
                src,
                kind=FailureKind.SYNTAX,
            )
        target = clause.left
        if isinstance(target, ast.Name):
            names: tuple[str, ...] = (target.id,)
        elif isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
            names = tuple(e.id for e in target.elts)  # type: ignore[attr-defined]
        else:
            raise ExprError(
                "a quantifier target must be a name or a tuple of names",
                clause,
                src,
                kind=FailureKind.SYNTAX,
            )
        for n in names:
            if n in seen:
                raise ExprError(
                    f"the index name {n!r} is bound twice in the quantifier",
                    clause,
                    src,
                    kind=FailureKind.SYNTAX,
                )
            seen.add(n)
        out.append(Binding(names, clause.comparators[0].id, clause))
    return tuple(out)


# --------------------------------------------------------------------------- linear algebra


class Lin:
    """A linear expression: ``sum(coef * var) + const``. Treated as immutable."""

    __slots__ = ("const", "terms")

    def __init__(self, terms: dict[VarKey, float], const: float = 0.0) -> None:
        self.terms = terms
        self.const = const

    def __repr__(self) -> str:
        parts = [f"{c:g}*{n}{list(k) if k else ''}" for (n, k), c in self.terms.items()]
        return f"Lin({' + '.join(parts) or '0'} + {self.const:g})"

    @property
    def is_constant(self) -> bool:
        return not self.terms


def _simplify(v: Lin) -> Value:
    return v.const if not v.terms else v


def _as_lin(v: Value) -> Lin:
    return v if isinstance(v, Lin) else Lin({}, float(v))  # type: ignore[arg-type]


def _add(a: Value, b: Value, sign: float = 1.0) -> Value:
    if not isinstance(a, Lin) and not isinstance(b, Lin):
        return a + sign * b  # type: ignore[operator]
    la, lb = _as_lin(a), _as_lin(b)
    terms = dict(la.terms)
    for k, c in lb.terms.items():
        terms[k] = terms.get(k, 0.0) + sign * c
    return _simplify(Lin(terms, la.const + sign * lb.const))


def _scale(a: Lin, s: float) -> Value:
    if s == 0:
        return 0.0
    return _simplify(Lin({k: c * s for k, c in a.terms.items()}, a.const * s))


# ------------------------------------------------------------------------------ evaluation


@dataclass(frozen=True)
class SetInfo:
    """A set as the evaluator sees it: ordered members and a lookup by text form."""

    name: str
    members: tuple[Any, ...]
    dimen: int
    lookup: Mapping[tuple[str, ...], Any]  # text form of the components -> element

    def find(self, components: tuple[Any, ...]) -> Any | None:
        return self.lookup.get(tuple(str(c) for c in components))


@dataclass(frozen=True)
class ParamInfo:
    name: str
    index: tuple[str, ...]
    arity: int
    scalar: float | None
    table: Mapping[tuple[Any, ...], float]
    default: float | None


@dataclass(frozen=True)
class VarInfo:
    name: str
    index: tuple[str, ...]
    arity: int


Scope = Mapping[str, Any]


class Evaluator:
    """Evaluates parsed expressions against the model's sets, parameters and variables."""

    def __init__(
        self,
        sets: Mapping[str, SetInfo],
        params: Mapping[str, ParamInfo],
        variables: Mapping[str, VarInfo],
    ) -> None:
        self.sets = sets
        self.params = params
        self.variables = variables
        self._known = sorted({*sets, *params, *variables})
        self._budget = MAX_EXPANSION_STEPS
        self._steps_left = self._budget

    def _step(self) -> None:
        """Count one index combination; refuse an expansion that would never end."""
        self._steps_left -= 1
        if self._steps_left < 0:
            raise ExprError(
                f"expanding the model visits more than {self._budget} index "
                "combinations; the sets are too large for this formulation (or a sum runs "
                "over more sets than it needs)",
                kind=FailureKind.TOO_LARGE,
            )

    # -- public entry points ----------------------------------------------------------

    def value(self, tree: ast.Expression, text: str, scope: Scope) -> Value:
        """Evaluate an arithmetic expression (objective, one side of a comparison)."""
        return self._ev(tree.body, scope, text)

    def condition(self, tree: ast.Expression, text: str, scope: Scope) -> bool:
        """Evaluate a condition on constants (a filter in a quantifier or a sum)."""
        return self._truth(tree.body, scope, text)

    def comparison(
        self, tree: ast.Expression, text: str, scope: Scope
    ) -> tuple[Lin, float | None, float | None]:
        """Evaluate a constraint ``lhs op rhs`` into ``lo <= terms + 0 <= hi``.

        Returns the linear part with its constant moved to the bounds.
        """
        body = tree.body
        if not isinstance(body, ast.Compare):
            raise ExprError(
                "a constraint needs one comparison: write 'lhs <= rhs', 'lhs >= rhs' or 'lhs == rhs'",
                body,
                text,
                kind=FailureKind.NO_COMPARISON,
            )
        ops = body.ops
        for op in ops:
            if isinstance(op, (ast.Lt, ast.Gt)):
                raise ExprError(
                    "strict inequalities '<' and '>' cannot be modelled in a MILP; use '<=' or '>='",
                    body,
                    text,
                    kind=FailureKind.NOT_MILP,
                )
            if not isinstance(op, (ast.LtE, ast.GtE, ast.Eq)):
                raise ExprError(
                    f"'{_OP_TEXT.get(type(op), type(op).__name__)}' is not a constraint comparison; use <=, >= or ==",
                    body,
                    text,
                    kind=FailureKind.NO_COMPARISON,
                )
        operands = [body.left, *body.comparators]
        if len(ops) == 1:
            lhs = self._ev(operands[0], scope, text)
            rhs = self._ev(operands[1], scope, text)
            self._no_string(lhs, operands[0], text)
            self._no_string(rhs, operands[1], text)
            diff = _as_lin(_add(lhs, rhs, -1.0))
            bound = -diff.const
            expr = Lin(diff.terms, 0.0)
            if isinstance(ops[0], ast.LtE):
                return expr, None, bound
            if isinstance(ops[0], ast.GtE):
                return expr, bound, None
            return expr, bound, bound
        if len(ops) == 2 and type(ops[0]) is type(ops[1]) and not isinstance(ops[0], ast.Eq):
            lo_node, mid_node, hi_node = operands
            if isinstance(ops[0], ast.GtE):
                lo_node, hi_node = hi_node, lo_node
            lo, mid, hi = (self._ev(n, scope, text) for n in (lo_node, mid_node, hi_node))
            for v, n in ((lo, lo_node), (hi, hi_node)):
                self._no_string(v, n, text)
                if isinstance(v, Lin):
                    raise ExprError(
                        "the ends of a range 'lo <= expr <= hi' must be constants; write two constraints instead",
                        n,
                        text,
                        kind=FailureKind.INVALID,
                    )
            self._no_string(mid, mid_node, text)
            m = _as_lin(mid)
            return Lin(m.terms, 0.0), float(lo) - m.const, float(hi) - m.const  # type: ignore[arg-type]
        raise ExprError(
            "a constraint has one comparison, or a range 'lo <= expr <= hi'; split chains into separate constraints",
            body,
            text,
            kind=FailureKind.INVALID,
        )

    def iterate(
        self, bindings: tuple[Binding, ...], scope: Scope, text: str
    ) -> Iterator[dict[str, Any]]:
        """All assignments of a quantifier's indices, in set order (the last clause varies fastest)."""
        resolved = []
        for b in bindings:
            info = self._set_for_binding(b, scope, text)
            resolved.append((b, info))
        yield from self._product(resolved, 0, dict(scope))

    # -- internals --------------------------------------------------------------------

    def _product(
        self, resolved: list[tuple[Binding, SetInfo]], i: int, scope: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        if i == len(resolved):
            self._step()
            yield dict(scope)
            return
        b, info = resolved[i]
        for member in info.members:
            if len(b.names) == 1:
                scope[b.names[0]] = member
            else:
                for n, v in zip(b.names, member):
                    scope[n] = v
            yield from self._product(resolved, i + 1, scope)
        for n in b.names:
            scope.pop(n, None)

    def _set_for_binding(self, b: Binding, scope: Scope, text: str) -> SetInfo:
        info = self.sets.get(b.set_name)
        if info is None:
            raise ExprError(
                self._unknown(b.set_name, "set", list(self.sets)),
                b.node,
                text,
                kind=FailureKind.UNKNOWN_NAME,
            )
        if len(b.names) != info.dimen:
            if info.dimen == 1:
                msg = f"set {b.set_name!r} holds single elements, so bind one name: '{b.names[0]} in {b.set_name}'"
            else:
                names = ", ".join(f"i{k + 1}" for k in range(info.dimen))
                msg = (
                    f"set {b.set_name!r} holds {info.dimen}-tuples, so bind {info.dimen} names: "
                    f"'({names}) in {b.set_name}'"
                )
            raise ExprError(msg, b.node, text, kind=FailureKind.ARITY)
        for n in b.names:
            if n in self.params or n in self.variables or n in self.sets:
                raise ExprError(
                    f"the index name {n!r} hides the declared {self._kind_of(n)} {n!r}; use another index name",
                    b.node,
                    text,
                    kind=FailureKind.INVALID,
                )
        return info

    def _kind_of(self, name: str) -> str:
        if name in self.sets:
            return "set"
        if name in self.params:
            return "parameter"
        return "variable"

    def _unknown(self, name: str, kind: str, candidates: list[str]) -> str:
        msg = f"unknown {kind} {name!r}"
        hint = did_you_mean(name, candidates)
        if hint:
            msg += hint
        elif candidates:
            shown = ", ".join(candidates[:12]) + (", ..." if len(candidates) > 12 else "")
            msg += f"; declared {kind}s are: {shown}"
        else:
            msg += f"; no {kind}s are declared"
        return msg

    def _no_string(self, v: Value, node: ast.AST, text: str) -> None:
        if isinstance(v, (str, tuple)):
            raise ExprError(
                f"the set element {v!r} is not a number; it can only be used as an index",
                node,
                text,
            )

    def _truth(self, node: ast.AST, scope: Scope, text: str) -> bool:
        v = self._ev(node, scope, text)
        if isinstance(v, Lin):
            raise ExprError(
                "a condition cannot depend on decision variables (that would not be a MILP); "
                "conditions filter indices and data only",
                node,
                text,
                kind=FailureKind.NOT_MILP,
            )
        return bool(v)

    def _ev(self, node: ast.AST, scope: Scope, text: str) -> Value:
        if isinstance(node, ast.Constant):
            return node.value  # type: ignore[return-value]  # parse() admits only numbers and strings
        if isinstance(node, ast.Name):
            return self._name(node, scope, text)
        if isinstance(node, ast.Subscript):
            return self._subscript(node, scope, text)
        if isinstance(node, ast.BinOp):
            return self._binop(node, scope, text)
        if isinstance(node, ast.UnaryOp):
            v = self._ev(node.operand, scope, text)
            if isinstance(node.op, ast.Not):
                if isinstance(v, Lin):
                    raise ExprError(
                        "'not' cannot apply to decision variables",
                        node,
                        text,
                        kind=FailureKind.NOT_MILP,
                    )
                return not v
            self._no_string(v, node.operand, text)
            if isinstance(node.op, ast.USub):
                return _scale(v, -1.0) if isinstance(v, Lin) else -v  # type: ignore[operator]
            return v
        if isinstance(node, ast.Compare):
            return self._compare(node, scope, text)
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                return all(self._truth(v, scope, text) for v in node.values)
            return any(self._truth(v, scope, text) for v in node.values)
        if isinstance(node, ast.IfExp):
            return self._ev(
                node.body if self._truth(node.test, scope, text) else node.orelse, scope, text
            )
        if isinstance(node, ast.Call):
            return self._call(node, scope, text)
        if isinstance(node, ast.Tuple):
            return tuple(self._ev(e, scope, text) for e in node.elts)
        if isinstance(node, (ast.GeneratorExp, ast.ListComp)):
            raise ExprError(
                "a comprehension must be the argument of sum(...), min(...) or max(...)", node, text
            )
        raise ExprError(
            f"{type(node).__name__} is not allowed here", node, text, kind=FailureKind.SYNTAX
        )

    def _name(self, node: ast.Name, scope: Scope, text: str) -> Value:
        n = node.id
        if n in scope:
            return scope[n]
        if n in self.params:
            p = self.params[n]
            if p.arity:
                idx = ", ".join(p.index)
                raise ExprError(
                    f"parameter {n!r} is indexed by ({idx}); write {n}[...] with {p.arity} index value(s)",
                    node,
                    text,
                    kind=FailureKind.ARITY,
                )
            return p.scalar  # type: ignore[return-value]
        if n in self.variables:
            v = self.variables[n]
            if v.arity:
                idx = ", ".join(v.index)
                raise ExprError(
                    f"variable {n!r} is indexed by ({idx}); write {n}[...] with {v.arity} index value(s)",
                    node,
                    text,
                    kind=FailureKind.ARITY,
                )
            return Lin({(n, ()): 1.0})
        if n in self.sets:
            raise ExprError(
                f"the set {n!r} is not a value; iterate over it ('for i in {n}') or use len({n})",
                node,
                text,
            )
        if n == "inf":
            return math.inf
        # Perhaps an element written without quotes: x[chairs] instead of x['chairs'].
        for s in self.sets.values():
            if s.dimen == 1 and s.find((n,)) is not None:
                raise ExprError(
                    f"unknown name {n!r}; it is an element of set {s.name!r}, so quote it: '{n}'",
                    node,
                    text,
                    kind=FailureKind.UNKNOWN_NAME,
                )
        candidates = sorted({*self._known, *scope})
        raise ExprError(
            self._unknown(n, "name", candidates), node, text, kind=FailureKind.UNKNOWN_NAME
        )

    def _index_values(self, node: ast.Subscript, scope: Scope, text: str) -> tuple[Any, ...]:
        sl = node.slice
        parts = sl.elts if isinstance(sl, ast.Tuple) else [sl]
        out: list[Any] = []
        for p in parts:
            v = self._ev(p, scope, text)
            if isinstance(v, Lin):
                raise ExprError(
                    "an index cannot depend on decision variables",
                    p,
                    text,
                    kind=FailureKind.NOT_MILP,
                )
            if isinstance(v, tuple):
                out.extend(v)  # an arc bound as one name: x[a] with a in ARCS
            elif isinstance(v, float):
                if not v.is_integer():
                    raise ExprError(
                        f"the index value {v!r} is not an integer",
                        p,
                        text,
                        kind=FailureKind.BAD_KEY,
                    )
                out.append(int(v))
            else:
                out.append(v)
        return tuple(out)

    def _resolve_key(
        self, owner: str, index: tuple[str, ...], key: tuple[Any, ...], node: ast.AST, text: str
    ) -> tuple[Any, ...] | None:
        """Map a written key to the sets' own elements; ``None`` when it is outside them."""
        out: list[Any] = []
        pos = 0
        for set_name in index:
            info = self.sets[set_name]
            chunk = key[pos : pos + info.dimen]
            pos += info.dimen
            found = info.find(chunk)
            if found is None:
                return None
            out.extend(found if isinstance(found, tuple) else (found,))
        return tuple(out)

    def _key_error(
        self,
        owner: str,
        kind: str,
        index: tuple[str, ...],
        key: tuple[Any, ...],
        node: ast.AST,
        text: str,
    ) -> ExprError:
        pos = 0
        for set_name in index:
            info = self.sets[set_name]
            chunk = key[pos : pos + info.dimen]
            pos += info.dimen
            if info.find(chunk) is None:
                shown = chunk[0] if len(chunk) == 1 else chunk
                sample = ", ".join(repr(m) for m in info.members[:6]) + (
                    ", ..." if len(info.members) > 6 else ""
                )
                return ExprError(
                    f"{kind} {owner!r}: the index {shown!r} is not in set {set_name!r} (elements: {sample}); "
                    "guard the term with a condition (e.g. 'if t > 1') or fix the index",
                    node,
                    text,
                    kind=FailureKind.BAD_KEY,
                )
        return ExprError(
            f"{kind} {owner!r}: the index {key!r} is not valid",
            node,
            text,
            kind=FailureKind.BAD_KEY,
        )

    def _subscript(self, node: ast.Subscript, scope: Scope, text: str) -> Value:
        if not isinstance(node.value, ast.Name):
            raise ExprError("only parameters and variables can be indexed", node, text)
        n = node.value.id
        key = self._index_values(node, scope, text)
        if n in self.variables:
            v = self.variables[n]
            if len(key) != v.arity:
                raise ExprError(
                    self._arity_msg("variable", n, v.index, v.arity, len(key)),
                    node,
                    text,
                    kind=FailureKind.ARITY,
                )
            resolved = self._resolve_key(n, v.index, key, node, text)
            if resolved is None:
                raise self._key_error(n, "variable", v.index, key, node, text)
            return Lin({(n, resolved): 1.0})
        if n in self.params:
            p = self.params[n]
            if len(key) != p.arity:
                raise ExprError(
                    self._arity_msg("parameter", n, p.index, p.arity, len(key)),
                    node,
                    text,
                    kind=FailureKind.ARITY,
                )
            resolved = self._resolve_key(n, p.index, key, node, text)
            if resolved is None:
                raise self._key_error(n, "parameter", p.index, key, node, text)
            val = p.table.get(resolved)
            if val is None:
                if p.default is None:
                    raise ExprError(
                        f"parameter {n!r} has no value for {resolved!r} and no default",
                        node,
                        text,
                        kind=FailureKind.MISSING_DATA,
                    )
                return p.default
            return val
        if n in scope or n in self.sets:
            raise ExprError(
                f"{n!r} is not a parameter or variable and cannot be indexed", node, text
            )
        candidates = sorted({*self.params, *self.variables})
        raise ExprError(
            self._unknown(n, "parameter or variable", candidates),
            node.value,
            text,
            kind=FailureKind.UNKNOWN_NAME,
        )

    @staticmethod
    def _arity_msg(kind: str, name: str, index: tuple[str, ...], arity: int, got: int) -> str:
        if arity == 0:
            return f"{kind} {name!r} is a scalar (not indexed); write {name} without [...]"
        return (
            f"{kind} {name!r} takes {arity} index value(s) (over {', '.join(index)}), "
            f"but {got} were given"
        )

    def _binop(self, node: ast.BinOp, scope: Scope, text: str) -> Value:
        a = self._ev(node.left, scope, text)
        b = self._ev(node.right, scope, text)
        op = node.op
        for v, n in ((a, node.left), (b, node.right)):
            if isinstance(v, (str, tuple)):
                raise ExprError(f"cannot do arithmetic with the set element {v!r}", n, text)
        if isinstance(op, ast.Add):
            return _add(a, b)
        if isinstance(op, ast.Sub):
            return _add(a, b, -1.0)
        if isinstance(op, ast.Mult):
            if isinstance(a, Lin) and isinstance(b, Lin):
                raise ExprError(
                    "not a MILP: product of two expressions with decision variables; "
                    "linearise it (e.g. with a binary variable and big-M constraints)",
                    node,
                    text,
                    kind=FailureKind.NOT_MILP,
                )
            if isinstance(a, Lin):
                return _scale(a, float(b))  # type: ignore[arg-type]
            if isinstance(b, Lin):
                return _scale(b, float(a))  # type: ignore[arg-type]
            return a * b  # type: ignore[operator]
        if isinstance(op, ast.Div):
            if isinstance(b, Lin):
                raise ExprError(
                    "not a MILP: division by an expression with decision variables; "
                    "multiply both sides by the denominator if it is positive, or reformulate",
                    node,
                    text,
                    kind=FailureKind.NOT_MILP,
                )
            if b == 0:
                raise ExprError("division by zero", node, text)
            if isinstance(a, Lin):
                return _scale(a, 1.0 / float(b))  # type: ignore[arg-type]
            return a / b  # type: ignore[operator]
        if isinstance(op, ast.Pow):
            if isinstance(b, Lin):
                raise ExprError(
                    "not a MILP: a decision variable in an exponent",
                    node,
                    text,
                    kind=FailureKind.NOT_MILP,
                )
            if isinstance(a, Lin):
                if b == 1:
                    return a
                raise ExprError(
                    "not a MILP: power of an expression with decision variables",
                    node,
                    text,
                    kind=FailureKind.NOT_MILP,
                )
            try:
                return a**b  # type: ignore[operator]
            except (OverflowError, ZeroDivisionError) as exc:
                raise ExprError(f"cannot compute the power: {exc}", node, text) from None
        if isinstance(op, (ast.Mod, ast.FloorDiv)):
            if isinstance(a, Lin) or isinstance(b, Lin):
                raise ExprError(
                    "not a MILP: '%' or '//' on decision variables",
                    node,
                    text,
                    kind=FailureKind.NOT_MILP,
                )
            if b == 0:
                raise ExprError("division by zero", node, text)
            return a % b if isinstance(op, ast.Mod) else a // b  # type: ignore[operator]
        raise ExprError(
            f"operator {type(op).__name__} is not allowed", node, text, kind=FailureKind.SYNTAX
        )

    def _compare(self, node: ast.Compare, scope: Scope, text: str) -> bool:
        left = self._ev(node.left, scope, text)
        for op, right_node in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(right_node, ast.Name) or right_node.id not in self.sets:
                    raise ExprError(
                        "'in' needs a declared set on its right, e.g. '(i, j) in ARCS'", node, text
                    )
                info = self.sets[right_node.id]
                comps = left if isinstance(left, tuple) else (left,)
                if isinstance(left, Lin) or any(isinstance(c, Lin) for c in comps):
                    raise ExprError(
                        "'in' cannot test decision variables", node, text, kind=FailureKind.NOT_MILP
                    )
                inside = len(comps) == info.dimen and info.find(comps) is not None
                ok = inside if isinstance(op, ast.In) else not inside
                right: Value = left
            else:
                right = self._ev(right_node, scope, text)
                if isinstance(left, Lin) or isinstance(right, Lin):
                    raise ExprError(
                        "a comparison with decision variables can only be the whole constraint, "
                        "not part of a condition or an arithmetic expression",
                        node,
                        text,
                        kind=FailureKind.NOT_MILP,
                    )
                fn = _CMP[type(op)]
                try:
                    ok = fn(left, right)
                except TypeError:
                    ok = fn(str(left), str(right)) if isinstance(op, (ast.Eq, ast.NotEq)) else None  # type: ignore[assignment]
                    if ok is None:
                        raise ExprError(
                            f"cannot order {left!r} and {right!r}", node, text
                        ) from None
            if not ok:
                return False
            left = right
        return True

    def _call(self, node: ast.Call, scope: Scope, text: str) -> Value:
        fname = node.func.id  # type: ignore[attr-defined]
        if fname == "len":
            if (
                len(node.args) != 1
                or not isinstance(node.args[0], ast.Name)
                or node.args[0].id not in self.sets
            ):
                raise ExprError("len(...) takes one declared set, e.g. len(I)", node, text)
            return len(self.sets[node.args[0].id].members)
        if fname == "sum":
            if len(node.args) != 1:
                raise ExprError("sum(...) takes one generator: sum(expr for i in I)", node, text)
            arg = node.args[0]
            if not isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
                raise ExprError("sum(...) takes a generator: sum(expr for i in I)", node, text)
            return self._sum(arg, scope, text)
        # min, max, abs: constants only
        if fname == "abs":
            if len(node.args) != 1:
                raise ExprError("abs(...) takes one argument", node, text)
            v = self._ev(node.args[0], scope, text)
            if isinstance(v, Lin):
                raise ExprError(
                    "not a MILP: abs() of decision variables; introduce a variable t with t >= e and t >= -e",
                    node,
                    text,
                    kind=FailureKind.NOT_MILP,
                )
            self._no_string(v, node.args[0], text)
            return abs(v)  # type: ignore[arg-type]
        values: list[Value]
        if len(node.args) == 1 and isinstance(node.args[0], (ast.GeneratorExp, ast.ListComp)):
            values = list(self._generate(node.args[0], scope, text))
        else:
            values = [self._ev(a, scope, text) for a in node.args]
        if any(isinstance(v, Lin) for v in values):
            raise ExprError(
                f"not a MILP: {fname}() of decision variables; model it with an auxiliary variable and constraints",
                node,
                text,
                kind=FailureKind.NOT_MILP,
            )
        if not values:
            raise ExprError(f"{fname}() of nothing", node, text)
        return min(values) if fname == "min" else max(values)  # type: ignore[type-var]

    def _generate(
        self, comp: ast.GeneratorExp | ast.ListComp, scope: Scope, text: str
    ) -> Iterator[Value]:
        gens = comp.generators
        local = dict(scope)

        def rec(i: int) -> Iterator[Value]:
            if i == len(gens):
                self._step()
                yield self._ev(comp.elt, local, text)
                return
            g = gens[i]
            if not isinstance(g.iter, ast.Name):
                raise ExprError("iterate over a declared set by name: 'for i in I'", g.iter, text)
            target = g.target
            if isinstance(target, ast.Name):
                names: tuple[str, ...] = (target.id,)
            elif isinstance(target, ast.Tuple) and all(
                isinstance(e, ast.Name) for e in target.elts
            ):
                names = tuple(e.id for e in target.elts)  # type: ignore[attr-defined]
            else:
                raise ExprError("the loop target must be a name or a tuple of names", target, text)
            info = self._set_for_binding(Binding(names, g.iter.id, g), local, text)
            for member in info.members:
                if len(names) == 1:
                    local[names[0]] = member
                else:
                    for n, v in zip(names, member):
                        local[n] = v
                if all(self._truth(c, local, text) for c in g.ifs):
                    yield from rec(i + 1)
            for n in names:
                local.pop(n, None)

        return rec(0)

    def _sum(self, comp: ast.GeneratorExp | ast.ListComp, scope: Scope, text: str) -> Value:
        terms: dict[VarKey, float] = {}
        const = 0.0
        for v in self._generate(comp, scope, text):
            if isinstance(v, Lin):
                for k, c in v.terms.items():
                    terms[k] = terms.get(k, 0.0) + c
                const += v.const
            elif isinstance(v, (str, tuple)):
                raise ExprError(f"sum() over set elements ({v!r}) is not a number", comp.elt, text)
            else:
                const += v
        return _simplify(Lin(terms, const))


_CMP = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_OP_TEXT = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
