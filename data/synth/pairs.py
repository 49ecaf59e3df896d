"""Labelled equivalence pairs: each record against reformulations that are, and are not, the same model.

This is the EquivaFormulation idea (``docs/equivalence.md`` §6) generated at any scale.
Every transformation works on the IR and returns a new formulation, so the pair can be
compiled, solved and fed to the checker like any user model. Each has a label:

=========================  ===========  ==========  ============================================
transformation             equivalent   level       what it does
=========================  ===========  ==========  ============================================
``rename``                 yes          strict      new names for sets, parameters, variables,
                                                    constraints and every text element
``reorder``                yes          strict      shuffled constraints, variables, parameters,
                                                    sets and the elements of explicit sets
``row_scaling``            yes          strict      some constraints multiplied by k > 0
``sign_flip``              yes          strict      some constraints multiplied by -1 (sense flips)
``binary_as_integer``      yes          strict      binary variables as integers in [0, 1]
``slack_variable``         yes          normalized  ``a x <= b`` as ``a x + s == b, s >= 0``
``objective_variable``     yes          normalized  ``min z`` with ``z == c x``
``objective_scaling``      yes          normalized  objective multiplied by k > 0 (optimum × k)
``split_variable``         yes          none        ``x`` replaced by ``x_a + x_b`` (both >= 0):
                                                    same optimum, but no syntactic checker can
                                                    map one column to two
``remove_constraint``      no           normalized  one constraint family dropped
``change_coefficient``     no           normalized  one number of the data changed
``relax_integrality``      no           normalized  integer and binary variables made continuous
``flip_sense``             no           normalized  maximise ↔ minimise
``flip_inequality``        no           normalized  one family's ``<=`` turned into ``>=``
``unrelated_same_optimum`` no           normalized  another family's model, objective shifted so
                                                    its optimum equals this one's: what a
                                                    solver-only comparison wrongly accepts
=========================  ===========  ==========  ============================================

``level`` is the checker level a positive pair needs to be accepted (``none``: no level
can); for a negative pair it is the most lenient level that must still reject it (so
every level must). Negative candidates are kept only when their fingerprint differs from
the reference (:func:`optiscribe.data.synth.generate.fingerprint`), which proves they are not the
same model at the strict level.
"""

from __future__ import annotations

import ast
import copy
import json
import multiprocessing
import random
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from optiscribe.data.errors import DataError
from optiscribe.data.synth.generate import (
    Record,
    _derive,
    family_names,
    fingerprint,
    generate_record,
    solve_formulation,
)
from optiscribe.formulate.ir.expr import parse_for_each
from optiscribe.formulate.ir.model import Formulation
from optiscribe.solvers.result import Termination

__all__ = [
    "ANSWER_ABS_TOL",
    "ANSWER_REL_TOL",
    "TRANSFORMS",
    "Pair",
    "PairSet",
    "Skipped",
    "Transform",
    "apply_transform",
    "iter_pairs",
    "make_pairs",
    "same_optimum",
]

IR = dict[str, Any]

#: Two MILP optima are "the same" within HiGHS's default ``mip_rel_gap`` (1e-4) and its
#: ``mip_abs_gap`` (1e-6). A tighter test is not backed by the solver: an integer variable
#: may sit 1e-6 off its integer value (``mip_feasibility_tolerance``), and through a big-M
#: row that moves the optimum by far more than 1e-6 (66.0004 for 66 was seen).
ANSWER_REL_TOL = 1e-4
ANSWER_ABS_TOL = 1e-6


def same_optimum(a: float, b: float) -> bool:
    """Whether two solver optima agree within the solver's own gap (see :data:`ANSWER_REL_TOL`)."""
    return abs(a - b) <= max(ANSWER_ABS_TOL, ANSWER_REL_TOL * max(abs(a), abs(b)))


@dataclass(frozen=True)
class Transform:
    """A named rewrite of a model with its label."""

    name: str
    equivalent: bool
    level: str  # strict | normalized | none
    apply: Callable[[IR, random.Random, Record], IR | None]
    #: Factor between the candidate's optimum and the reference's (objective scaling).
    doc: str = ""


@dataclass(frozen=True)
class Pair:
    """A reference model, a candidate, and what the candidate is to it."""

    id: str
    source_id: str
    family: str
    transformation: str
    equivalent: bool
    level: str
    reference: IR
    candidate: IR
    reference_answer: float | None
    candidate_answer: float | None
    answer_factor: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source_id": self.source_id,
            "family": self.family,
            "transformation": self.transformation,
            "equivalent": self.equivalent,
            "level": self.level,
            "reference": self.reference,
            "candidate": self.candidate,
            "reference_answer": self.reference_answer,
            "candidate_answer": self.candidate_answer,
            "answer_factor": self.answer_factor,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Pair:
        try:
            return cls(
                **{
                    k: d[k]
                    for k in (
                        "id",
                        "source_id",
                        "family",
                        "transformation",
                        "equivalent",
                        "level",
                        "reference",
                        "candidate",
                        "reference_answer",
                        "candidate_answer",
                    )
                },
                answer_factor=float(d.get("answer_factor", 1.0)),
            )
        except KeyError as exc:
            raise DataError(
                f"pair record lacks the key {exc.args[0]!r}; was it written by 'optiscribe data pairs'?"
            ) from None


@dataclass(frozen=True)
class Skipped:
    """A transformation of one record that gave no pair, and why (never dropped silently)."""

    source_id: str
    transformation: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "transformation": self.transformation,
            "reason": self.reason,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


@dataclass(frozen=True)
class PairSet:
    """The pairs made from one record, and the transformations skipped with their reasons."""

    source_id: str
    pairs: tuple[Pair, ...]
    skipped: tuple[Skipped, ...] = ()


# ------------------------------------------------------------------------------- AST helpers


def _map_expr(text: str, fn: Callable[[ast.AST], ast.AST]) -> str:
    tree = ast.parse(text.strip(), mode="eval")
    tree = _Map(fn).visit(tree)
    return ast.unparse(ast.fix_missing_locations(tree))


class _Map(ast.NodeTransformer):
    def __init__(self, fn: Callable[[ast.AST], ast.AST]) -> None:
        self.fn = fn

    def visit(self, node: ast.AST) -> Any:
        node = self.generic_visit(node)
        return self.fn(node)


def _bindings(for_each: str) -> list[tuple[tuple[str, ...], str]]:
    return [(b.names, b.set_name) for b in parse_for_each(for_each)]


def _for_each_text(bindings: Iterable[tuple[tuple[str, ...], str]]) -> str:
    return ", ".join(
        f"{names[0] if len(names) == 1 else '(' + ', '.join(names) + ')'} in {s}"
        for names, s in bindings
    )


def _constraint_names_used(ir: IR) -> set[str]:
    used: set[str] = set()
    for c in ir["constraints"]:
        for node in ast.walk(ast.parse(c["expression"], mode="eval")):
            if isinstance(node, ast.Name):
                used.add(node.id)
    for v in ir["variables"]:
        for b in (v.get("lower"), v.get("upper")):
            if isinstance(b, str):
                used.add(b)
    return used


def _all_names(ir: IR) -> set[str]:
    out: set[str] = set()
    texts = [ir["objective"]["expression"]] + [c["expression"] for c in ir["constraints"]]
    texts += [c["condition"] for c in ir["constraints"] if c.get("condition")]
    for t in texts:
        out |= {n.id for n in ast.walk(ast.parse(t, mode="eval")) if isinstance(n, ast.Name)}
    for c in ir["constraints"]:
        if c.get("for_each"):
            for names, _ in _bindings(c["for_each"]):
                out |= set(names)
    out |= {x["name"] for k in ("sets", "parameters", "variables", "constraints") for x in ir[k]}
    return out


def _fresh(ir: IR, stem: str) -> str:
    taken = _all_names(ir)
    name, k = stem, 2
    while name in taken:
        name, k = f"{stem}_{k}", k + 1
    return name


def _scale_compare(text: str, k: float) -> str:
    """Multiply both sides of the comparison by ``k``; a negative ``k`` flips the sense."""
    tree = ast.parse(text.strip(), mode="eval")
    cmp = tree.body
    if not isinstance(cmp, ast.Compare):
        raise DataError(f"constraint expression {text!r} is not a comparison")
    flip = {ast.LtE: ast.GtE, ast.GtE: ast.LtE, ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.Eq: ast.Eq}

    def times(node: ast.expr) -> ast.expr:
        if k == -1:
            return ast.UnaryOp(ast.USub(), node)
        return ast.BinOp(ast.Constant(k), ast.Mult(), node)

    parts = [cmp.left, *cmp.comparators]
    ops = list(cmp.ops)
    if k < 0:
        ops = [flip[type(o)]() for o in ops]
    new = ast.Compare(times(parts[0]), ops, [times(p) for p in parts[1:]])
    return ast.unparse(ast.fix_missing_locations(ast.Expression(new)))


def _ineq_constraints(ir: IR) -> list[int]:
    out = []
    for i, c in enumerate(ir["constraints"]):
        node = ast.parse(c["expression"], mode="eval").body
        if (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], (ast.LtE, ast.GtE))
        ):
            out.append(i)
    return out


# ------------------------------------------------------------------------------- positives


def _rename(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    ir = copy.deepcopy(ir)
    taken = _all_names(ir)
    mapping: dict[str, str] = {}
    stems = {
        "sets": rng.choice(["SET", "IDX", "G"]),
        "parameters": rng.choice(["p", "data", "k"]),
        "variables": rng.choice(["v", "y", "dv"]),
        "constraints": rng.choice(["c", "row", "con"]),
    }
    for kind, stem in stems.items():
        for n, item in enumerate(ir[kind], 1):
            new = f"{stem}{n}"
            while new in taken or new in mapping.values():
                new += "_"
            mapping[item["name"]] = new
    elems: dict[str, str] = {}
    for s in ir["sets"]:
        for e in s.get("elements") or []:
            for comp in e if isinstance(e, list) else [e]:
                if isinstance(comp, str) and comp not in elems:
                    elems[comp] = f"e{len(elems) + 1}"

    def el(x: Any) -> Any:
        return elems.get(x, x) if isinstance(x, str) else x

    def fix(node: ast.AST) -> ast.AST:
        if isinstance(node, ast.Name) and node.id in mapping:
            return ast.copy_location(ast.Name(mapping[node.id], node.ctx), node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in elems:
            return ast.copy_location(ast.Constant(elems[node.value]), node)
        return node

    for s in ir["sets"]:
        s["name"] = mapping[s["name"]]
        if s.get("elements") is not None:
            s["elements"] = [
                [el(c) for c in e] if isinstance(e, list) else el(e) for e in s["elements"]
            ]
    for p in ir["parameters"]:
        p["name"] = mapping[p["name"]]
        p["index"] = [mapping[i] for i in p.get("index", [])]
        p["values"] = _map_keys(p["values"], el)
    for v in ir["variables"]:
        v["name"] = mapping[v["name"]]
        v["index"] = [mapping[i] for i in v.get("index", [])]
        for b in ("lower", "upper"):
            if isinstance(v.get(b), str):
                v[b] = mapping[v[b]]
    ir["objective"]["expression"] = _map_expr(ir["objective"]["expression"], fix)
    for c in ir["constraints"]:
        c["name"] = mapping[c["name"]]
        c["expression"] = _map_expr(c["expression"], fix)
        if c.get("condition"):
            c["condition"] = _map_expr(c["condition"], fix)
        if c.get("for_each"):
            c["for_each"] = _for_each_text((n, mapping[s]) for n, s in _bindings(c["for_each"]))
    ir["name"] = "renamed"
    return ir


def _map_keys(values: Any, el: Callable[[Any], Any]) -> Any:
    if isinstance(values, dict):
        return {el(k): _map_keys(v, el) for k, v in values.items()}
    if isinstance(values, list):
        return [[el(x) for x in row[:-1]] + [row[-1]] for row in values]
    return values


def _reorder(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    ir = copy.deepcopy(ir)
    for k in ("sets", "parameters", "variables", "constraints"):
        rng.shuffle(ir[k])
    for s in ir["sets"]:
        if s.get("elements"):
            rng.shuffle(s["elements"])
    return ir


def _row_scaling(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    ir = copy.deepcopy(ir)
    if not ir["constraints"]:
        return None
    for i in rng.sample(
        range(len(ir["constraints"])), rng.randint(1, min(3, len(ir["constraints"])))
    ):
        c = ir["constraints"][i]
        c["expression"] = _scale_compare(c["expression"], rng.choice([2, 3, 4, 5, 10, 0.5, 0.25]))
    return ir


def _sign_flip(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    ir = copy.deepcopy(ir)
    if not ir["constraints"]:
        return None
    for i in rng.sample(
        range(len(ir["constraints"])), rng.randint(1, min(3, len(ir["constraints"])))
    ):
        c = ir["constraints"][i]
        c["expression"] = _scale_compare(c["expression"], -1)
    return ir


def _binary_as_integer(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    ir = copy.deepcopy(ir)
    hit = False
    for v in ir["variables"]:
        if v["domain"] == "binary":
            v.update(domain="integer", lower=0, upper=1)
            hit = True
    return ir if hit else None


def _slack(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    ir = copy.deepcopy(ir)
    options = [i for i in _ineq_constraints(ir) if not ir["constraints"][i].get("condition")]
    if not options:
        return None
    c = ir["constraints"][rng.choice(options)]
    node = ast.parse(c["expression"], mode="eval").body
    assert isinstance(node, ast.Compare)
    name = _fresh(ir, f"slack_{c['name']}")
    binds = _bindings(c["for_each"]) if c.get("for_each") else []
    idx_names = [n for names, _ in binds for n in names]
    ref = f"{name}[{', '.join(idx_names)}]" if idx_names else name
    ir["variables"].append(
        {
            "name": name,
            "description": f"slack of {c['name']}",
            "index": [s for _, s in binds],
            "domain": "continuous",
            "lower": 0,
            "upper": None,
        }
    )
    sign = "+" if isinstance(node.ops[0], ast.LtE) else "-"
    lhs, rhs = ast.unparse(node.left), ast.unparse(node.comparators[0])
    c["expression"] = f"{lhs} {sign} {ref} == {rhs}"
    return ir


def _objective_variable(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    ir = copy.deepcopy(ir)
    name = _fresh(ir, "obj_value")
    ir["variables"].append(
        {
            "name": name,
            "description": "value of the objective",
            "index": [],
            "domain": "continuous",
            "lower": None,
            "upper": None,
        }
    )
    ir["constraints"].append(
        {
            "name": _fresh(ir, "define_objective"),
            "description": "objective definition",
            "for_each": None,
            "condition": None,
            "expression": f"{name} == {ir['objective']['expression']}",
        }
    )
    ir["objective"]["expression"] = name
    return ir


_OBJ_FACTORS = (2, 10, 100, 0.5, 0.1)


def _objective_scaling(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    ir = copy.deepcopy(ir)
    k = rng.choice(_OBJ_FACTORS)
    ir["objective"]["expression"] = f"{k} * ({ir['objective']['expression']})"
    ir["objective"]["description"] = f"{k} × ({ir['objective'].get('description', '')})"
    return ir


def _split_variable(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    ir = copy.deepcopy(ir)
    options = [
        v
        for v in ir["variables"]
        if v["domain"] != "binary" and v.get("lower") in (0, 0.0) and v.get("upper") is None
    ]
    if not options:
        return None
    v = rng.choice(options)
    a, b = _fresh(ir, f"{v['name']}_a"), _fresh(ir, f"{v['name']}_b")
    old = v["name"]

    class _Split(ast.NodeTransformer):
        def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
            if isinstance(node.value, ast.Name) and node.value.id == old:
                sl = self.visit(node.slice)
                left = ast.Subscript(ast.Name(a, ast.Load()), sl, ast.Load())
                right = ast.Subscript(ast.Name(b, ast.Load()), copy.deepcopy(sl), ast.Load())
                return ast.BinOp(left, ast.Add(), right)
            return self.generic_visit(node)

        def visit_Name(self, node: ast.Name) -> ast.AST:
            if node.id == old:
                return ast.BinOp(ast.Name(a, ast.Load()), ast.Add(), ast.Name(b, ast.Load()))
            return node

    def split(text: str) -> str:
        tree = _Split().visit(ast.parse(text.strip(), mode="eval"))
        return ast.unparse(ast.fix_missing_locations(tree))

    ir["objective"]["expression"] = split(ir["objective"]["expression"])
    for c in ir["constraints"]:
        c["expression"] = split(c["expression"])
    pos = ir["variables"].index(v)
    va = {**v, "name": a, "description": f"first part of {old}"}
    vb = {**v, "name": b, "description": f"second part of {old}"}
    ir["variables"][pos : pos + 1] = [va, vb]
    return ir


# ------------------------------------------------------------------------------- negatives


def _remove_constraint(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    ir = copy.deepcopy(ir)
    if len(ir["constraints"]) < 1:
        return None
    del ir["constraints"][rng.randrange(len(ir["constraints"]))]
    return ir


def _change_coefficient(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    ir = copy.deepcopy(ir)
    used = _constraint_names_used(ir)
    params = [p for p in ir["parameters"] if p["name"] in used] or ir["parameters"]
    if not params:
        return _change_literal(ir, rng)
    p = rng.choice(params)
    if isinstance(p["values"], (int, float)):
        p["values"] = _perturb(p["values"], rng)
        return ir
    if isinstance(p["values"], list):
        row = rng.choice(p["values"])
        row[-1] = _perturb(row[-1], rng)
        return ir
    node = p["values"]
    while isinstance(node, dict):
        key = rng.choice(list(node))
        if not isinstance(node[key], dict):
            node[key] = _perturb(node[key], rng)
            break
        node = node[key]
    return ir


def _change_literal(ir: IR, rng: random.Random) -> IR | None:
    """Change a number written inside a constraint (models without parameters)."""
    options = []
    for i, c in enumerate(ir["constraints"]):
        for node in ast.walk(ast.parse(c["expression"], mode="eval")):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, (int, float))
                and not isinstance(node.value, bool)
            ):
                options.append(i)
                break
    if not options:
        return None
    c = ir["constraints"][rng.choice(options)]
    consts = [
        n
        for n in ast.walk(ast.parse(c["expression"], mode="eval"))
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float))
    ]
    target = rng.randrange(len(consts))
    seen = [-1]

    def fix(node: ast.AST) -> ast.AST:
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)
        ):
            seen[0] += 1
            if seen[0] == target:
                return ast.copy_location(ast.Constant(_perturb(node.value, rng)), node)
        return node

    c["expression"] = _map_expr(c["expression"], fix)
    return ir


def _perturb(x: float, rng: random.Random) -> float:
    if float(x).is_integer():
        step = max(1, round(abs(x) * rng.uniform(0.1, 0.4)))
        new = x + step if (x <= 0 or rng.random() < 0.5) else x - step
        return new if new != 0 else x + step
    return round(x * rng.choice([0.7, 1.3, 1.5]), 6)


def _relax_integrality(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    ir = copy.deepcopy(ir)
    hit = False
    for v in ir["variables"]:
        if v["domain"] == "binary":
            v.update(domain="continuous", lower=0, upper=1)
            hit = True
        elif v["domain"] == "integer":
            v["domain"] = "continuous"
            hit = True
    return ir if hit else None


def _flip_sense(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    ir = copy.deepcopy(ir)
    ir["objective"]["sense"] = "minimize" if ir["objective"]["sense"] == "maximize" else "maximize"
    return ir


def _flip_inequality(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    ir = copy.deepcopy(ir)
    options = _ineq_constraints(ir)
    if not options:
        return None
    c = ir["constraints"][rng.choice(options)]
    node = ast.parse(c["expression"], mode="eval").body
    assert isinstance(node, ast.Compare)
    node.ops = [ast.GtE() if isinstance(node.ops[0], ast.LtE) else ast.LtE()]
    c["expression"] = ast.unparse(node)
    return ir


def _unrelated(ir: IR, rng: random.Random, rec: Record) -> IR | None:
    if rec.answer is None:
        return None
    others = [f for f in family_names() if f != rec.family]
    other = generate_record(
        rng.choice(others),
        seed=_derive(rec.id, "unrelated"),
        index=rng.randrange(10_000),
        difficulty=rng.choice(["easy", "medium"]),
    )
    assert other.answer is not None
    cand = copy.deepcopy(other.ir)
    offset = rec.answer - other.answer
    cand["objective"]["expression"] = f"({cand['objective']['expression']}) + {offset!r}"
    cand["objective"]["description"] = (
        f"{cand['objective'].get('description', '')} shifted by a constant"
    )
    return cand


TRANSFORMS: dict[str, Transform] = {
    t.name: t
    for t in (
        Transform("rename", True, "strict", _rename),
        Transform("reorder", True, "strict", _reorder),
        Transform("row_scaling", True, "strict", _row_scaling),
        Transform("sign_flip", True, "strict", _sign_flip),
        Transform("binary_as_integer", True, "strict", _binary_as_integer),
        Transform("slack_variable", True, "normalized", _slack),
        Transform("objective_variable", True, "normalized", _objective_variable),
        Transform("objective_scaling", True, "normalized", _objective_scaling),
        Transform("split_variable", True, "none", _split_variable),
        Transform("remove_constraint", False, "normalized", _remove_constraint),
        Transform("change_coefficient", False, "normalized", _change_coefficient),
        Transform("relax_integrality", False, "normalized", _relax_integrality),
        Transform("flip_sense", False, "normalized", _flip_sense),
        Transform("flip_inequality", False, "normalized", _flip_inequality),
        Transform("unrelated_same_optimum", False, "normalized", _unrelated),
    )
}


def apply_transform(name: str, record: Record, *, seed: int = 0) -> IR | None:
    """The candidate IR of transformation ``name`` on ``record`` (``None``: not applicable)."""
    try:
        t = TRANSFORMS[name]
    except KeyError:
        raise DataError(
            f"unknown transformation {name!r}; known: {', '.join(TRANSFORMS)}"
        ) from None
    rng = random.Random(_derive(seed, record.id, name))
    return t.apply(record.ir, rng, record)


def _objective_factor(ir: IR) -> float:
    text = ir["objective"]["expression"]
    node = ast.parse(text, mode="eval").body
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Mult)
        and isinstance(node.left, ast.Constant)
    ):
        return float(node.left.value)  # type: ignore[arg-type]  # a number: the scaling we wrote
    return 1.0


#: Negatives whose label is only certain when the optimum moves: a changed number can leave
#: a model the same MILP (``2 x >= 1`` and ``x >= 1`` over binaries), and a checker that
#: accepts such a pair at the normalized level is right to. With ``solve`` these are kept
#: only when the candidate's optimum (or status) differs from the reference's.
_NEEDS_NEW_OPTIMUM = frozenset({"change_coefficient"})


def make_pairs(
    record: Record,
    *,
    seed: int = 0,
    transformations: Sequence[str] | None = None,
    solve: bool = True,
    tries: int = 6,
) -> PairSet:
    """Every applicable transformation of ``record`` as a labelled :class:`Pair`.

    Candidates are checked as they are made: each must pass the IR's checks; a negative
    must have a different fingerprint from the reference, and a changed coefficient must
    also move the optimum when solving (retried with fresh draws up to ``tries`` times).
    With ``solve`` each candidate is solved, and a positive (or an ``unrelated_same_optimum``)
    must keep the reference's optimum (times the scaling factor) within the solver's gap
    (:func:`same_optimum`). A candidate that fails a check is not written: it goes into
    :attr:`PairSet.skipped` with the reason, so one odd record never stops a whole run and
    nothing is left out without a word. Raises :class:`DataError` only for an unknown
    transformation name (a usage error).
    """
    names = list(transformations) if transformations else list(TRANSFORMS)
    unknown = [n for n in names if n not in TRANSFORMS]
    if unknown:
        raise DataError(f"unknown transformation(s) {unknown}; known: {', '.join(TRANSFORMS)}")
    ref_f = Formulation.from_dict(record.ir)
    ref_fp = fingerprint(ref_f.expand())
    pairs: list[Pair] = []
    skipped: list[Skipped] = []

    def skip(name: str, reason: str) -> None:
        skipped.append(Skipped(record.id, name, reason))

    for name in names:
        t = TRANSFORMS[name]
        cand: IR | None = None
        why_not = "not applicable to this model"
        for attempt in range(tries):
            rng = random.Random(_derive(seed, record.id, name, attempt))
            try:
                cand = t.apply(record.ir, rng, record)
                if cand is None:
                    break
                cf = Formulation.from_dict(cand)
                em = cf.expand()
            except Exception as exc:  # a transformation bug must not stop the run: report it
                why_not = f"the transformation made an invalid model ({type(exc).__name__}: {exc})"
                cand = None
                break
            if t.equivalent:
                break
            if fingerprint(em) != ref_fp:
                if not (solve and name in _NEEDS_NEW_OPTIMUM):
                    break
                res = solve_formulation(cf)
                same = (
                    res.termination is Termination.OPTIMAL
                    and res.objective is not None
                    and record.answer is not None
                    and same_optimum(float(res.objective), record.answer)
                )
                if not same:
                    break
                why_not = f"no draw in {tries} moved the optimum"
            else:
                why_not = f"no draw in {tries} changed the model's fingerprint"
            cand = None
        if cand is None:
            if why_not != "not applicable to this model":
                skip(name, why_not)
            continue
        factor = _objective_factor(cand) if name == "objective_scaling" else 1.0
        cand_answer: float | None = None
        if solve:
            res = solve_formulation(Formulation.from_dict(cand))
            cand_answer = (
                float(res.objective)
                if res.termination is Termination.OPTIMAL and res.objective is not None
                else None
            )
            must_match = t.equivalent or name == "unrelated_same_optimum"
            if must_match and record.answer is not None:
                expected = record.answer * factor
                if cand_answer is None or not same_optimum(cand_answer, expected):
                    skip(
                        name,
                        f"should keep the optimum {expected} but the candidate gives {cand_answer} "
                        f"({res.termination.value}), beyond the solver's gap "
                        f"(rel {ANSWER_REL_TOL:g}, abs {ANSWER_ABS_TOL:g})",
                    )
                    continue
        pairs.append(
            Pair(
                id=f"{record.id}:{name}",
                source_id=record.id,
                family=record.family,
                transformation=name,
                equivalent=t.equivalent,
                level=t.level,
                reference=record.ir,
                candidate=cand,
                reference_answer=record.answer,
                candidate_answer=cand_answer,
                answer_factor=factor,
            )
        )
    return PairSet(record.id, tuple(pairs), tuple(skipped))


def _pairs_job(args: tuple[Record, int, tuple[str, ...] | None, bool]) -> PairSet:
    record, seed, names, solve = args
    if record.status != "optimal":
        return PairSet(record.id, ())
    try:
        return make_pairs(record, seed=seed, transformations=names, solve=solve)
    except Exception as exc:  # one record never stops the run: the reason is kept
        return PairSet(record.id, (), (Skipped(record.id, "*", f"{type(exc).__name__}: {exc}"),))


def iter_pairs(
    records: Iterable[Record],
    *,
    seed: int = 0,
    transformations: Sequence[str] | None = None,
    solve: bool = True,
    workers: int = 1,
) -> Iterable[PairSet]:
    """The :class:`PairSet` of each record, in input order, on ``workers`` processes.

    Each record's pairs depend only on the record and ``seed``, so the output is the same
    for any number of workers. Records that are not optimal give an empty set (they have
    no optimum a positive must keep). A record whose pairs cannot be made is reported in
    its set's ``skipped``; it never ends the run.
    """
    names = tuple(transformations) if transformations else None
    jobs = ((r, seed, names, solve) for r in records)
    if workers <= 1:
        for job in jobs:
            yield _pairs_job(job)
        return

    todo = list(jobs)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("fork")
    ) as pool:
        # map keeps input order; the chunks amortise the pickling of records and pairs.
        yield from pool.map(_pairs_job, todo, chunksize=4)
