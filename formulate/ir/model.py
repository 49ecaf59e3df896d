"""The five-element formulation: Sets, Parameters, Variables, Objective, Constraints.

This is optiscribe's intermediate representation (IR), in LLMOPT's order. It is what an
LLM writes (as JSON matching :func:`json_schema`), what a person reads and edits (YAML),
and what the compiler turns into a Pyomo model. Every element carries a ``description``
so that the model can be read without its source text.

The pydantic models check *shape* (types, identifiers, one of ``elements`` or
``first``/``last``); the *meaning* (unknown names, index arity, keys in sets, missing
table entries, linearity) is checked by :func:`optiscribe.formulate.ir.expand.expand`,
which reports every problem it finds with its place, so that an LLM can fix them all in
one round. :meth:`Formulation.validate_model` is the short way to run that check.

Expressions are strings in a small subset of Python (see
:mod:`optiscribe.formulate.ir.expr`); they are parsed with :mod:`ast` and evaluated by our
own walker, never by ``eval``.
"""

from __future__ import annotations

import json
import keyword
import math
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from optiscribe.formulate.errors import FormulationReadError, FormulationValidationError
from optiscribe.formulate.ir.compile import compile_formulation
from optiscribe.formulate.ir.expand import ExpandedModel, expand

if TYPE_CHECKING:
    import pyomo.environ as pyo


__all__ = [
    "Constraint",
    "Domain",
    "Element",
    "Formulation",
    "Objective",
    "Parameter",
    "Sense",
    "SetDef",
    "Variable",
    "json_schema",
    "read_document",
    "split_document",
]

Key = int | str
#: One element of a set: a string, an integer, or a tuple of those (for sets of pairs such as arcs).
Element = int | str | tuple[Key, ...]
Domain = Literal["continuous", "integer", "binary"]
Sense = Literal["minimize", "maximize"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Names that the expression language gives a meaning of its own.
RESERVED_NAMES = frozenset(
    {"sum", "min", "max", "abs", "len", "range", "True", "False", "None", "inf"}
)
#: Attributes of a Pyomo model: a component with one of these names cannot be added, so the
#: compiler could not keep the name. ``tests/formulate/ir/test_model.py`` checks this list against
#: the installed Pyomo.
PYOMO_RESERVED = frozenset(
    {
        "Skip",
        "activate",
        "active",
        "active_blocks",
        "active_component_data",
        "active_components",
        "add_component",
        "all_blocks",
        "all_component_data",
        "all_components",
        "block_data_objects",
        "clear",
        "clear_suffix_value",
        "clone",
        "cname",
        "collect_ctypes",
        "component",
        "component_data_iterindex",
        "component_data_objects",
        "component_map",
        "component_objects",
        "compute_statistics",
        "config",
        "construct",
        "contains_component",
        "create_instance",
        "ctype",
        "deactivate",
        "del_component",
        "dim",
        "display",
        "doc",
        "find_component",
        "fix_all_vars",
        "get_suffix_value",
        "getname",
        "id_index_map",
        "index",
        "index_set",
        "is_component_type",
        "is_constructed",
        "is_expression_type",
        "is_indexed",
        "is_logical_type",
        "is_named_expression_type",
        "is_numeric_type",
        "is_parameter_type",
        "is_reference",
        "is_variable_type",
        "items",
        "iteritems",
        "iterkeys",
        "itervalues",
        "keys",
        "load",
        "local_name",
        "model",
        "name",
        "nconstraints",
        "nobjectives",
        "nvariables",
        "parent_block",
        "parent_component",
        "pprint",
        "preprocess",
        "private_data",
        "reclassify_component_type",
        "reconstruct",
        "register_private_data_initializer",
        "root_block",
        "set_suffix_value",
        "set_value",
        "solutions",
        "statistics",
        "to_dense_data",
        "transfer_attributes_from",
        "type",
        "unfix_all_vars",
        "valid_model_component",
        "valid_problem_types",
        "values",
        "write",
    }
)
#: Upper limit on elements of one set: beyond it a model is data, not a formulation.
MAX_SET_SIZE = 1_000_000

_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _check_identifier(kind: str, name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(
            f"{kind} name {name!r} is not an identifier: use letters, digits and '_', "
            "not starting with a digit (e.g. 'x_prod')"
        )
    if keyword.iskeyword(name) or name in RESERVED_NAMES:
        raise ValueError(f"{kind} name {name!r} is reserved in expressions; choose another name")
    if name in PYOMO_RESERVED:
        raise ValueError(
            f"{kind} name {name!r} is reserved by the model compiler; choose a more specific name "
            f"(e.g. '{name}_{kind[0]}' or '{kind[:3]}_{name}')"
        )
    return name


class SetDef(BaseModel):
    """An index set: explicit elements, or the integer range ``first..last`` (both included)."""

    model_config = _STRICT

    name: str = Field(description="Identifier used in expressions, e.g. 'I' or 'PRODUCTS'.")
    description: str = Field(default="", description="What the elements are.")
    elements: list[Element] | None = Field(
        default=None,
        description="Explicit elements: strings, integers, or lists (pairs such as arcs ['a','b']).",
    )
    first: int | None = Field(default=None, description="First integer of a range set (included).")
    last: int | None = Field(default=None, description="Last integer of a range set (included).")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _check_identifier("set", v)

    @field_validator("elements", mode="before")
    @classmethod
    def _tuples(cls, v: Any) -> Any:
        # JSON and YAML have no tuples: a list element is a tuple element.
        if isinstance(v, list):
            return [tuple(e) if isinstance(e, list) else e for e in v]
        return v

    @model_validator(mode="after")
    def _shape(self) -> SetDef:
        has_range = self.first is not None or self.last is not None
        if self.elements is not None and has_range:
            raise ValueError(
                f"set {self.name!r}: give either 'elements' or 'first'/'last', not both"
            )
        if self.elements is None:
            if self.first is None or self.last is None:
                raise ValueError(
                    f"set {self.name!r} has no elements: give 'elements: [...]' or an integer range "
                    "'first: 1, last: 12'"
                )
            if self.last - self.first + 1 > MAX_SET_SIZE:
                raise ValueError(f"set {self.name!r} has more than {MAX_SET_SIZE} elements")
            return self
        arities = {len(e) if isinstance(e, tuple) else 1 for e in self.elements}
        if len(arities) > 1:
            raise ValueError(
                f"set {self.name!r} mixes elements of different lengths {sorted(arities)}; "
                "all elements of a set must be single values or all pairs/tuples of one length"
            )
        seen: dict[str, Element] = {}
        for e in self.elements:
            k = repr(tuple(str(p) for p in e)) if isinstance(e, tuple) else str(e)
            if k in seen:
                raise ValueError(
                    f"set {self.name!r} lists element {e!r} twice (elements are compared by their "
                    f"text, so {seen[k]!r} and {e!r} are the same); remove the duplicate"
                )
            seen[k] = e
        return self

    @property
    def members(self) -> tuple[Element, ...]:
        """The elements in order (a range expanded)."""
        if self.elements is not None:
            return tuple(self.elements)
        assert self.first is not None and self.last is not None
        return tuple(range(self.first, self.last + 1))

    @property
    def dimen(self) -> int:
        """Number of components of each element (1 for plain sets, 2 for arcs, ...)."""
        if self.elements:
            e = self.elements[0]
            return len(e) if isinstance(e, tuple) else 1
        return 1


class Parameter(BaseModel):
    """Given data: a scalar, or a table indexed by one or more sets.

    A table is written as nested mappings, one level per index component
    (``{chairs: {wood: 3}}``), or as rows ``[[chairs, wood, 3], ...]``. Entries missing
    from the table are an error unless ``default`` is given (for sparse data).
    """

    model_config = _STRICT

    name: str = Field(description="Identifier used in expressions.")
    description: str = Field(default="", description="What the numbers mean, with units.")
    index: list[str] = Field(
        default_factory=list,
        description="Names of the sets indexing the table; empty for a scalar.",
    )
    values: float | dict[str, Any] | list[Any] = Field(
        description="A number (scalar), nested mappings keyed by set elements, rows [key..., value], a list in set order, or a matrix."
    )
    default: float | None = Field(
        default=None, description="Value of entries the table leaves out."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _check_identifier("parameter", v)

    @field_validator("values", mode="before")
    @classmethod
    def _no_bool(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("parameter values must be numbers, not true/false (write 1 or 0)")
        return _text_keys(v)


def _text_keys(v: Any) -> Any:
    """Mapping keys as text at every level: YAML and Python callers write ``{1: 5}``.

    Keys are matched to set elements by their text, so nothing is lost.
    """
    if isinstance(v, dict):
        return {str(k): _text_keys(x) for k, x in v.items()}
    return v


class Variable(BaseModel):
    """A decision variable, possibly indexed, with its domain and bounds.

    ``lower`` defaults to 0 (most decisions are quantities); write ``lower: null`` for a
    free variable. A bound may be a number or the name of a parameter indexed by the same
    sets as the variable (``upper: capacity``).
    """

    model_config = _STRICT

    name: str = Field(description="Identifier used in expressions.")
    description: str = Field(default="", description="What the decision is, with units.")
    index: list[str] = Field(
        default_factory=list, description="Names of the sets indexing the variable."
    )
    domain: Domain = Field(default="continuous", description="continuous, integer or binary.")
    lower: float | str | None = Field(
        default=0.0, description="Lower bound: number, parameter name, or null for none."
    )
    upper: float | str | None = Field(
        default=None, description="Upper bound: number, parameter name, or null for none."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _check_identifier("variable", v)


class Objective(BaseModel):
    """What to optimise: a sense and one linear expression."""

    model_config = _STRICT

    sense: Sense = Field(description="minimize or maximize.")
    expression: str = Field(
        description="Linear expression, e.g. 'sum(profit[p] * x[p] for p in P)'."
    )
    description: str = Field(default="", description="What the objective measures, with units.")

    @field_validator("sense", mode="before")
    @classmethod
    def _sense(cls, v: Any) -> Any:
        aliases = {
            "min": "minimize",
            "minimise": "minimize",
            "max": "maximize",
            "maximise": "maximize",
        }
        if isinstance(v, str):
            return aliases.get(v.strip().lower(), v.strip().lower())
        return v


class Constraint(BaseModel):
    """A named family of linear comparisons.

    ``for_each`` quantifies over sets (``"i in I, t in T"``; tuple sets as ``"(i, j) in
    ARCS"``), ``condition`` filters the combinations (``"t > 1"``), and ``expression`` is
    one comparison with ``<=``, ``>=`` or ``==`` (or a range ``lo <= expr <= hi``).
    """

    model_config = _STRICT

    name: str = Field(description="Identifier of the constraint family.")
    description: str = Field(default="", description="What the constraint says in words.")
    for_each: str | list[str] | None = Field(
        default=None,
        description="Quantifier, e.g. 'i in I, t in T' or '(i, j) in ARCS'; null for a single constraint.",
    )
    condition: str | None = Field(
        default=None, description="Optional filter on the quantified indices, e.g. 't > 1'."
    )
    expression: str = Field(
        description="One comparison: 'lhs <= rhs', 'lhs >= rhs' or 'lhs == rhs'."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _check_identifier("constraint", v)

    @field_validator("for_each", mode="before")
    @classmethod
    def _for_each(cls, v: Any) -> Any:
        if isinstance(v, list):
            return ", ".join(str(p) for p in v) if v else None
        if isinstance(v, str) and not v.strip():
            return None
        return v

    @property
    def quantifier(self) -> str | None:
        """``for_each`` as validated: always one string (a list is joined on input); the
        field keeps ``list[str]`` in its type only so that the JSON schema accepts lists."""
        assert not isinstance(self.for_each, list)
        return self.for_each


class Formulation(BaseModel):
    """A whole model in LLMOPT's five elements (the order of the fields is that order)."""

    model_config = _STRICT

    name: str = Field(default="model", description="Short name of the model.")
    description: str = Field(default="", description="The problem in one or two sentences.")
    sets: list[SetDef] = Field(default_factory=list, description="Index sets.")
    parameters: list[Parameter] = Field(default_factory=list, description="Given data.")
    variables: list[Variable] = Field(description="Decisions.")
    objective: Objective = Field(description="What to optimise.")
    constraints: list[Constraint] = Field(default_factory=list, description="Linear constraints.")

    @model_validator(mode="after")
    def _unique_names(self) -> Formulation:
        owner: dict[str, str] = {}
        for kind, items in (
            ("set", self.sets),
            ("parameter", self.parameters),
            ("variable", self.variables),
            ("constraint", self.constraints),
        ):
            for item in items:
                if item.name in owner:
                    raise ValueError(
                        f"the name {item.name!r} is used by a {owner[item.name]} and a {kind}; "
                        "names must be unique across sets, parameters, variables and constraints"
                    )
                owner[item.name] = kind
        if "objective" in owner:
            raise ValueError(
                f"the name 'objective' is reserved for the objective; rename the {owner['objective']}"
            )
        if not self.variables:
            raise ValueError("the model has no variables: declare at least one decision variable")
        return self

    # -- meaning ------------------------------------------------------------------------

    def expand(self) -> ExpandedModel:
        """Check the meaning of every expression and expand the model to linear rows.

        Raises :class:`FormulationValidationError` listing every problem found.
        """
        return expand(self)

    def validate_model(self) -> Formulation:
        """Run every semantic check; return ``self`` so calls can chain."""
        self.expand()
        return self

    def to_pyomo(self) -> pyo.ConcreteModel:
        """Compile to a Pyomo ``ConcreteModel`` with the IR's names (see :mod:`.compile`)."""
        return compile_formulation(self)

    # -- serialisation ------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain data (tuples as lists), the form written to JSON and YAML."""
        return json.loads(self.model_dump_json(exclude_defaults=False))

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)

    @classmethod
    def from_dict(cls, data: Any) -> Formulation:
        """Build from plain data; shape errors become :class:`FormulationValidationError`.

        A document that holds the formulation under ``formulation:`` next to its ``text``
        and ``optimum`` (the bundled examples) is accepted too: the formulation is read
        from that key (:func:`split_document`). Data too deep or too big is refused before
        validation (:func:`_check_plain`).
        """
        _check_plain(data)
        data, _ = split_document(data)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            issues = tuple(_issues_of(exc, data))
            raise FormulationValidationError(_describe_issues(issues), issues=issues) from exc
        except (RecursionError, OverflowError, ValueError, TypeError) as exc:
            raise FormulationValidationError(
                f"the formulation cannot be read: {type(exc).__name__}: {str(exc)[:200]}"
            ) from None

    @classmethod
    def from_json(cls, text: str, *, source: str | None = None) -> Formulation:
        """Read JSON text; ``source`` (a file name) is what error messages point at."""
        return cls.from_dict(_parse(text, "json", source))

    @classmethod
    def from_yaml(cls, text: str, *, source: str | None = None) -> Formulation:
        """Read YAML text; ``source`` (a file name) is what error messages point at."""
        return cls.from_dict(_parse(text, "yaml", source))

    @classmethod
    def from_file(cls, path: str | Path) -> Formulation:
        """Read a ``.json``, ``.yaml`` or ``.yml`` file (a formulation, or a document that
        holds one under ``formulation:``); a regular UTF-8 file of at most
        :data:`MAX_FORMULATION_BYTES`."""
        return read_document(path)[0]


MAX_FORMULATION_BYTES = 8 << 20
"""Largest formulation file or text read (formulations are small; data belongs in sets)."""
MAX_NESTING = 64
"""Deepest nesting of lists and mappings accepted in a formulation."""
MAX_NODES = 2_000_000
"""Most values (numbers, strings, list items...) in one formulation."""
MAX_INT_DIGITS = 300
MAX_STRING_CHARS = 100_000
_TOO_DEEP = f"the formulation is nested more than {MAX_NESTING} levels deep"
# The C (libyaml) loader is ~10x faster; fall back to the pure-Python one where missing.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_text_size(text: str) -> None:
    if len(text) > MAX_FORMULATION_BYTES:
        raise FormulationReadError(
            f"the formulation is {len(text)} characters long, more than the "
            f"{MAX_FORMULATION_BYTES} allowed; large data belongs in a separate file"
        )


def read_document(path: str | Path) -> tuple[Formulation, dict[str, Any]]:
    """The formulation in ``path`` and what its document holds besides (``text``, ``optimum``)."""
    p = Path(path)
    suffix = p.suffix.lower()
    kinds = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}
    if suffix not in kinds:
        raise FormulationReadError(
            f"unknown formulation file type {suffix!r} for {str(p)!r}: use .json, .yaml or .yml"
        )
    text = _read_formulation_text(p)
    data, rest = split_document(_parse(text, kinds[suffix], str(p)))
    try:
        return Formulation.from_dict(data), rest
    except FormulationReadError as exc:  # too deep / too big: name the file it is about
        if str(exc).startswith(str(p)):
            raise
        raise FormulationReadError(f"{p}: {exc}", issues=exc.issues) from exc


def _parse(text: str, kind: str, source: str | None) -> dict[str, Any]:
    """JSON or YAML text as a mapping; errors name ``source`` and the line.

    Bounded: the text's size is capped first, and deep nesting or numbers too long to
    convert become a :class:`FormulationReadError`, never a crash."""
    where = f"{source}: " if source else ""
    _check_text_size(text)
    try:
        if kind == "json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise FormulationReadError(
                    f"{where}the formulation is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
                ) from exc
        else:
            try:
                data = yaml.load(text, Loader=_YAML_LOADER)  # a safe loader (C or pure Python)
            except yaml.YAMLError as exc:
                raise FormulationReadError(_yaml_error(exc, source)) from exc
    except RecursionError:
        raise FormulationReadError(f"{where}{_TOO_DEEP}") from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer of more than 4300 digits
        if isinstance(exc, FormulationReadError):
            raise
        raise FormulationReadError(
            f"{where}the formulation is not readable {kind.upper()}: {str(exc)[:200]}"
        ) from None
    if not isinstance(data, dict):
        raise FormulationValidationError(
            f"{where}the formulation must be a mapping with keys "
            "sets, parameters, variables, objective, constraints"
        )
    return data


def _read_formulation_text(p: Path) -> str:
    """A regular file, read without blocking and up to the size cap, decoded as UTF-8."""
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise FormulationReadError(
            f"cannot read formulation file {str(p)!r}: {exc.strerror}; check the path"
        ) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FormulationReadError(
                f"formulation file {str(p)!r} is not a regular file; pass a .json or .yaml file"
            )
        if st.st_size > MAX_FORMULATION_BYTES:
            raise FormulationReadError(
                f"formulation file {str(p)!r} is {st.st_size} bytes, more than the "
                f"{MAX_FORMULATION_BYTES} allowed"
            )
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(MAX_FORMULATION_BYTES + 1)
    except OSError as exc:
        raise FormulationReadError(
            f"cannot read formulation file {str(p)!r}: {exc.strerror}"
        ) from exc
    finally:
        os.close(fd)
    if len(data) > MAX_FORMULATION_BYTES:
        raise FormulationReadError(
            f"formulation file {str(p)!r} is more than {MAX_FORMULATION_BYTES} bytes"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormulationReadError(
            f"{p}:{line}: the formulation file is not UTF-8 text (byte {exc.start}); "
            "save it as UTF-8"
        ) from None


def _check_plain(data: Any) -> None:
    """Refuse data too deep, too big, or with numbers no model can use (before validating).

    Iterative, and it counts every visit, so YAML aliases that share one list many times
    over (a "billion laughs") are refused instead of walked for ever.
    """
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    seen = 0
    while stack:
        obj, depth, where = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise FormulationReadError(f"the formulation holds more than {MAX_NODES} values")
        if depth > MAX_NESTING:
            raise FormulationReadError(f"{_TOO_DEEP} (at {where or 'the top'})")
        if isinstance(obj, str):
            if len(obj) > MAX_STRING_CHARS:
                raise FormulationReadError(
                    f"the text at {where or 'the top'} is {len(obj)} characters long, more "
                    f"than the {MAX_STRING_CHARS} allowed; write sums over index sets instead "
                    "of every term"
                )
            continue
        if isinstance(obj, bool) or obj is None:
            continue
        if isinstance(obj, int):
            if obj.bit_length() > MAX_INT_DIGITS * 3.33:
                raise FormulationReadError(
                    f"the number at {where or 'the top'} has more than {MAX_INT_DIGITS} digits"
                )
        elif isinstance(obj, float):
            if math.isnan(obj):
                raise FormulationReadError(f"the number at {where or 'the top'} is NaN")
        elif isinstance(obj, dict):
            stack.extend(
                (v, depth + 1, f"{where}.{k}" if where else str(k)) for k, v in obj.items()
            )
        elif isinstance(obj, (list, tuple)):
            stack.extend((v, depth + 1, f"{where}[{i}]") for i, v in enumerate(obj))


def json_schema() -> dict[str, Any]:
    """JSON Schema of :class:`Formulation`, for LLM structured outputs and editors."""
    return Formulation.model_json_schema()


#: Keys a document may hold next to ``formulation:`` (the bundled examples' layout).
DOCUMENT_KEYS = frozenset(
    {"formulation", "text", "optimum", "name", "family", "sense", "ortools", "notes", "source"}
)


def split_document(data: Any) -> tuple[Any, dict[str, Any]]:
    """``(formulation data, the rest)`` of a document that nests it under ``formulation:``.

    Plain formulation data comes back unchanged with an empty rest. The rest (``text``,
    ``optimum``, ...) lets a command show the problem the formulation was written for.
    """
    if (
        isinstance(data, dict)
        and isinstance(data.get("formulation"), dict)
        and "variables" not in data
        and "objective" not in data
    ):
        return data["formulation"], {k: v for k, v in data.items() if k != "formulation"}
    return data, {}


def _yaml_error(exc: yaml.YAMLError, source: str | None) -> str:
    """A YAML error that names the file, not PyYAML's ``"<unicode string>"``."""
    mark = getattr(exc, "problem_mark", None)
    at = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
    parts = [
        str(x)
        for x in (getattr(exc, "context", None), getattr(exc, "problem", None))
        if x is not None
    ]
    what = "; ".join(parts) if parts else type(exc).__name__
    return f"{source + ': ' if source else ''}the formulation is not valid YAML{at}: {what}"


def _located(loc: tuple[Any, ...], data: Any) -> str:
    """``variables.0.domain`` as ``variables.make.domain``: items named, not numbered."""
    out: list[str] = []
    node = data
    for part in loc:
        name = None
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
            if isinstance(node, dict) and isinstance(node.get("name"), str) and node["name"]:
                name = f"{node['name']} (item {part + 1})"
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            node = None
        out.append(name or str(part))
    return ".".join(out) or "(top level)"


def _issues_of(exc: ValidationError, data: Any = None) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        loc = _located(tuple(err["loc"]), data)
        msg = err["msg"].removeprefix("Value error, ")
        out.append(f"{loc}: {msg}")
    return out


def _describe_issues(issues: tuple[str, ...]) -> str:
    head = f"the formulation has {len(issues)} shape error{'s' if len(issues) != 1 else ''}:"
    return "\n".join([head, *(f"  - {i}" for i in issues)])
