"""A gurobipy-compatible modelling layer that solves with HiGHS (code-mode dialect).

Owns the gurobipy surface LLM-written programs use (``Model``, ``Var``, ``LinExpr``,
``tupledict``, ``quicksum``, ``GRB``, ``Params``, Gurobi status codes) and the capture of
each solved model as MPS with the program's own names. Standard library + ``highspy``
only: in the sandbox this file is loaded by path as ``gurobipy`` (see ``_hook.py``).

Never silently wrong: a feature whose meaning this layer cannot reproduce exactly raises
:class:`UnsupportedFeature` (and tells the sandbox channel), it is never approximated.
"""

from __future__ import annotations

import itertools
import math
import numbers
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__version__ = "13.0.0+optiscribe.highs"
_INF = float("inf")
#: Gurobi treats bounds at or beyond 1e100 as infinite.
_GRB_INF = 1e100
MAX_REPORTED_VALUES = 5000


# ---------------------------------------------------------------- errors and reporting


class GurobiError(Exception):
    """Raised where real gurobipy raises ``GurobiError`` (same ``errno`` where known)."""

    def __init__(self, errno: int, message: str = "") -> None:
        if not message and isinstance(errno, str):
            errno, message = 10003, errno
        super().__init__(message)
        self.errno = errno
        self.message = message


class UnsupportedFeature(NotImplementedError):
    """A gurobipy feature this HiGHS layer does not reproduce exactly."""

    def __init__(self, feature: str, detail: str = "") -> None:
        self.feature = feature
        msg = f"unsupported: {feature} (the gurobipy layer on HiGHS does not run it exactly)"
        super().__init__(msg + (f"; {detail}" if detail else ""))


def _hook() -> Any:
    """The sandbox's code-mode hook when running inside the sandbox, else None."""
    return sys.modules.get("_optiscribe_codemode_hook")


#: Receives every event (tests outside the sandbox set it); defaults to the sandbox hook.
event_sink: Callable[[dict[str, Any]], None] | None = None
#: Folder for captured MPS files outside the sandbox (tests set it).
capture_dir: str | None = None
_capture_counter = 0


def _emit(event: dict[str, Any]) -> None:
    if event_sink is not None:
        event_sink(event)
        return
    hook = _hook()
    if hook is not None:
        hook._emit(event)


def _next_model_path() -> tuple[int, str | None]:
    global _capture_counter
    hook = _hook()
    if hook is not None and event_sink is None:
        return hook._next_model_path("gurobipy")
    _capture_counter += 1
    if capture_dir is None:
        return _capture_counter, None
    os.makedirs(capture_dir, exist_ok=True)
    return _capture_counter, os.path.join(capture_dir, f"gurobipy_{_capture_counter}.mps")


def unsupported(feature: str, detail: str = "") -> UnsupportedFeature:
    """Report ``feature`` on the channel and return the exception to raise."""
    _emit({"event": "unsupported", "feature": feature, "api": "gurobipy"})
    return UnsupportedFeature(feature, detail)


# ---------------------------------------------------------------- constants


class _Namespace:
    pass


class GRB:
    """Gurobi's constants (the subset whose meaning this layer reproduces, plus codes)."""

    MINIMIZE = 1
    MAXIMIZE = -1
    CONTINUOUS = "C"
    BINARY = "B"
    INTEGER = "I"
    SEMICONT = "S"
    SEMIINT = "N"
    LESS_EQUAL = "<"
    GREATER_EQUAL = ">"
    EQUAL = "="
    INFINITY = _GRB_INF
    UNDEFINED = 1e101
    LOADED = 1
    OPTIMAL = 2
    INFEASIBLE = 3
    INF_OR_UNBD = 4
    UNBOUNDED = 5
    CUTOFF = 6
    ITERATION_LIMIT = 7
    NODE_LIMIT = 8
    TIME_LIMIT = 9
    SOLUTION_LIMIT = 10
    INTERRUPTED = 11
    NUMERIC = 12
    SUBOPTIMAL = 13
    INPROGRESS = 14
    USER_OBJ_LIMIT = 15
    WORK_LIMIT = 16
    MEM_LIMIT = 17
    SOS_TYPE1 = 1
    SOS_TYPE2 = 2

    class Status:
        LOADED = 1
        OPTIMAL = 2
        INFEASIBLE = 3
        INF_OR_UNBD = 4
        UNBOUNDED = 5
        CUTOFF = 6
        ITERATION_LIMIT = 7
        NODE_LIMIT = 8
        TIME_LIMIT = 9
        SOLUTION_LIMIT = 10
        INTERRUPTED = 11
        NUMERIC = 12
        SUBOPTIMAL = 13
        INPROGRESS = 14
        USER_OBJ_LIMIT = 15
        WORK_LIMIT = 16
        MEM_LIMIT = 17

    class Attr:
        X = "X"
        Xn = "Xn"
        ObjVal = "ObjVal"
        ObjBound = "ObjBound"
        MIPGap = "MIPGap"
        Status = "Status"
        SolCount = "SolCount"
        Runtime = "Runtime"
        NumVars = "NumVars"
        NumConstrs = "NumConstrs"
        NumIntVars = "NumIntVars"
        NumBinVars = "NumBinVars"
        IsMIP = "IsMIP"
        ModelSense = "ModelSense"
        ObjCon = "ObjCon"
        VarName = "VarName"
        LB = "LB"
        UB = "UB"
        Obj = "Obj"
        VType = "VType"
        ConstrName = "ConstrName"
        RHS = "RHS"
        Sense = "Sense"
        Slack = "Slack"
        Pi = "Pi"
        RC = "RC"

    class Param:
        pass

    class Callback:
        pass


_STATUS_NAMES = {
    v: k for k, v in vars(GRB.Status).items() if not k.startswith("_") and isinstance(v, int)
}

# ---------------------------------------------------------------- parameters

#: Gurobi parameter (lower case) -> (canonical name, default, HiGHS option or None).
#: ``None``: accepted and recorded as ignored (performance or logging only, or a
#: behaviour HiGHS has no equivalent for; listed in the solve report's ignored_options).
_PARAMS: dict[str, tuple[str, Any, str | None]] = {
    p.lower(): (p, d, h)
    for p, d, h in [
        ("TimeLimit", _INF, "time_limit"),
        ("MIPGap", 1e-4, "mip_rel_gap"),
        ("MIPGapAbs", 1e-10, "mip_abs_gap"),
        ("FeasibilityTol", 1e-6, "primal_feasibility_tolerance"),
        ("OptimalityTol", 1e-6, "dual_feasibility_tolerance"),
        ("IntFeasTol", 1e-5, "mip_feasibility_tolerance"),
        ("NodeLimit", _INF, "mip_max_nodes"),
        ("Seed", 0, "random_seed"),
        ("OutputFlag", 1, None),
        ("LogToConsole", 1, None),
        ("LogFile", "", None),
        ("Threads", 0, None),
        ("Presolve", -1, None),
        ("Method", -1, None),
        ("MIPFocus", 0, None),
        ("Heuristics", 0.05, None),
        ("Cuts", -1, None),
        ("NonConvex", -1, None),
        ("DualReductions", 1, None),
        ("InfUnbdInfo", 0, None),
        ("NumericFocus", 0, None),
        ("ScaleFlag", -1, None),
        ("Crossover", -1, None),
        ("SolutionLimit", 2000000000, None),
        ("IterationLimit", _INF, None),
        ("BestObjStop", -_INF, None),
        ("BestBdStop", _INF, None),
        ("Cutoff", _INF, None),
        ("PoolSolutions", 10, None),
        ("PoolSearchMode", 0, None),
        ("Symmetry", -1, None),
        ("MemLimit", _INF, None),
        ("WorkLimit", _INF, None),
        ("LazyConstraints", 0, None),  # only meaningful with callbacks, which are refused
        ("PreCrush", 0, None),
    ]
}
for _name, (_canon, _d, _h) in _PARAMS.items():
    setattr(GRB.Param, _canon, _canon)
del _name, _canon, _d, _h


class ParamSet:
    """``model.Params``: case-insensitive parameter names, Gurobi's defaults."""

    def __init__(self, parent: ParamSet | None = None) -> None:
        """A copy of ``parent``'s values: a model keeps the settings its environment had
        when it was created, as in gurobipy."""
        object.__setattr__(self, "_values", dict(parent._explicit()) if parent else {})
        object.__setattr__(self, "_parent", None)

    @staticmethod
    def _key(name: str) -> str:
        key = str(name).lower()
        if key not in _PARAMS:
            raise GurobiError(10007, f"Unknown parameter '{name}'")
        return key

    def _get(self, name: str) -> Any:
        key = self._key(name)
        if key in self._values:
            return self._values[key]
        if self._parent is not None:
            return self._parent._get(name)
        return _PARAMS[key][1]

    def _set(self, name: str, value: Any) -> None:
        self._values[self._key(name)] = value

    def _explicit(self) -> dict[str, Any]:
        merged = dict(self._parent._explicit()) if self._parent is not None else {}
        merged.update(self._values)
        return merged

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._set(name, value)


_default_params = ParamSet()


def setParam(name: str, value: Any) -> None:
    """Set a parameter on the default environment (every model created later inherits it)."""
    _default_params._set(name, value)


class Env:
    """Gurobi environment: holds parameters; ``Model(env=...)`` inherits them."""

    def __init__(self, logfilename: str = "", empty: bool = False, params: Any = None) -> None:
        self.Params = ParamSet(_default_params)
        for k, v in (params or {}).items():
            self.Params._set(k, v)

    def setParam(self, name: str, value: Any) -> None:
        self.Params._set(name, value)

    def start(self) -> Env:
        return self

    def dispose(self) -> None:
        return None

    def close(self) -> None:
        return None

    def __enter__(self) -> Env:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def disposeDefaultEnv() -> None:
    return None


# ---------------------------------------------------------------- expressions


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real)


def _as_linexpr(x: Any) -> LinExpr:
    """``x`` as a LinExpr (a copy), or raise for things that are not linear expressions."""
    if isinstance(x, LinExpr):
        return x.copy()
    if isinstance(x, Var):
        return LinExpr._from_terms({x: 1.0}, 0.0)
    if _is_number(x):
        return LinExpr._from_terms({}, float(x))
    if isinstance(x, GenExpr):
        raise unsupported(f"general constraint {x.kind}")
    if isinstance(x, MVar | MLinExpr):
        raise unsupported("matrix API (addMVar / MLinExpr)")
    raise TypeError(f"unsupported operand type(s) for +=: 'LinExpr' and '{type(x).__name__}'")


def _quadratic() -> UnsupportedFeature:
    return unsupported(
        "quadratic terms", "a product of two variables (QuadExpr) makes the model non-linear"
    )


class _ExprOps:
    """Arithmetic and comparisons shared by :class:`Var` and :class:`LinExpr`."""

    __array_ufunc__ = None  # numpy scalars defer to our reflected operators
    __array_priority__ = 1000

    def _lin(self) -> LinExpr:
        return _as_linexpr(self)

    def __add__(self, other: Any) -> LinExpr:
        if isinstance(other, GenExpr | MVar | MLinExpr):
            return _as_linexpr(other)
        try:
            o = _as_linexpr(other)
        except TypeError:
            return NotImplemented
        e = self._lin()
        e._iadd(o, 1.0)
        return e

    __radd__ = __add__

    def __sub__(self, other: Any) -> LinExpr:
        try:
            o = _as_linexpr(other)
        except TypeError:
            return NotImplemented
        e = self._lin()
        e._iadd(o, -1.0)
        return e

    def __rsub__(self, other: Any) -> LinExpr:
        try:
            e = _as_linexpr(other)
        except TypeError:
            return NotImplemented
        e._iadd(self._lin(), -1.0)
        return e

    def __mul__(self, other: Any) -> LinExpr:
        if _is_number(other):
            e = self._lin()
            e._scale(float(other))
            return e
        if isinstance(other, Var | LinExpr):
            o = _as_linexpr(other)
            if not o._terms:
                e = self._lin()
                e._scale(o._const)
                return e
            if not self._lin()._terms:
                o._scale(self._lin()._const)
                return o
            raise _quadratic()
        if isinstance(other, GenExpr):
            _as_linexpr(other)
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> LinExpr:
        if _is_number(other):
            if float(other) == 0.0:
                raise ZeroDivisionError("division of an expression by zero")
            e = self._lin()
            e._scale(1.0 / float(other))
            return e
        if isinstance(other, Var | LinExpr) and not _as_linexpr(other)._terms:
            return self.__truediv__(_as_linexpr(other)._const)
        raise unsupported("division by a variable", "the expression would be non-linear")

    def __rtruediv__(self, other: Any) -> Any:
        raise unsupported("division by a variable", "the expression would be non-linear")

    def __pow__(self, power: Any) -> LinExpr:
        if _is_number(power) and float(power) == 1.0:
            return self._lin()
        if _is_number(power) and float(power) == 0.0:
            return LinExpr(1.0)
        raise (
            _quadratic()
            if _is_number(power) and float(power) == 2.0
            else unsupported("non-linear power of a variable")
        )

    def __neg__(self) -> LinExpr:
        e = self._lin()
        e._scale(-1.0)
        return e

    def __pos__(self) -> LinExpr:
        return self._lin()

    def __matmul__(self, other: Any) -> Any:
        raise unsupported("matrix API (addMVar / MLinExpr)")

    __rmatmul__ = __matmul__

    def _compare(self, other: Any, sense: str) -> TempConstr:
        if isinstance(other, GenExpr):
            raise unsupported(f"general constraint {other.kind}")
        if isinstance(other, MVar | MLinExpr):
            raise unsupported("matrix API (addMVar / MLinExpr)")
        try:
            rhs = _as_linexpr(other)
        except TypeError:
            return NotImplemented  # type: ignore[return-value]
        return TempConstr(self._lin(), sense, rhs)

    def __le__(self, other: Any) -> TempConstr:
        return self._compare(other, "<")

    def __ge__(self, other: Any) -> TempConstr:
        return self._compare(other, ">")

    def __eq__(self, other: Any) -> TempConstr:  # type: ignore[override]
        return self._compare(other, "=")

    def __lt__(self, other: Any) -> Any:
        raise GurobiError(10003, "Strict inequalities (<, >) are not supported; use <= or >=")

    __gt__ = __lt__


def _fmt_key(key: Any) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return ",".join(str(p) for p in parts)


class Var(_ExprOps):
    """A decision variable; attributes are case-insensitive as in gurobipy."""

    __slots__ = ("_index", "_lb", "_model", "_name", "_obj", "_removed", "_ub", "_vtype")

    def __init__(
        self, model: Model, index: int, lb: float, ub: float, obj: float, vtype: str, name: str
    ) -> None:
        self._model = model
        self._index = index
        self._lb, self._ub, self._obj, self._vtype, self._name = lb, ub, obj, vtype, name
        self._removed = False

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<gurobi.Var {self._name or f'C{self._index}'}>"

    def __bool__(self) -> bool:
        return True

    # attributes
    def getAttr(self, attr: str) -> Any:
        key = str(attr).lower()
        m = self._model
        if key in ("x", "xn"):
            return m._solution_value(self)
        if self._index >= m._nv_upd:  # gurobipy's lazy update: not in the model yet
            raise AttributeError(f"Index out of range for attribute '{attr}'")
        if key == "varname":
            return m._var_name(self)
        if key == "lb":
            return self._lb
        if key == "ub":
            return self._ub
        if key == "obj":
            return self._obj
        if key == "vtype":
            return self._vtype
        if key == "index":
            return self._index
        if key in ("rc", "pi", "vbasis", "sastart"):
            raise unsupported(f"attribute {attr}", "duals and sensitivity are not reported")
        raise AttributeError(f"Unknown or unsupported attribute '{attr}' of a Var")

    def setAttr(self, attr: str, value: Any) -> None:
        key = str(attr).lower()
        if key == "lb":
            self._lb = _bound(value)
        elif key == "ub":
            self._ub = _bound(value)
        elif key == "obj":
            self._obj = float(value)
        elif key == "vtype":
            self._vtype = _vtype(value)
        elif key == "varname":
            self._name = str(value)
        elif key in ("start", "varhintval", "varhintpri", "branchpriority", "partition"):
            self._model._ignored.add(f"Var.{attr}")
        else:
            raise AttributeError(f"Unknown or read-only attribute '{attr}' of a Var")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.getAttr(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self.setAttr(name, value)

    def sameAs(self, other: Any) -> bool:
        return other is self

    @property
    def index(self) -> int:
        return self._index


class LinExpr(_ExprOps):
    """A linear expression: coefficients by variable (insertion order kept) + constant."""

    __slots__ = ("_const", "_terms")

    def __init__(self, arg1: Any = 0.0, arg2: Any = None) -> None:
        self._terms: dict[Var, float] = {}
        self._const = 0.0
        if arg2 is not None:  # LinExpr(coeffs, vars) or LinExpr(coef, var)
            if isinstance(arg2, Var):
                self._add_term(arg2, float(arg1))
            else:
                for c, v in zip(arg1, arg2, strict=True):
                    self._add_term(v, float(c))
        elif isinstance(arg1, list | tuple) and all(
            isinstance(t, tuple) and len(t) == 2 for t in arg1
        ):
            for c, v in arg1:
                self._add_term(v, float(c))
        elif arg1 is not None:
            e = _as_linexpr(arg1)
            self._terms, self._const = e._terms, e._const

    @classmethod
    def _from_terms(cls, terms: dict[Var, float], const: float) -> LinExpr:
        e = cls.__new__(cls)
        e._terms = dict(terms)
        e._const = const
        return e

    __hash__ = object.__hash__

    def _add_term(self, v: Var, c: float) -> None:
        if not isinstance(v, Var):
            raise GurobiError(10003, f"expected a Var, got {type(v).__name__}")
        self._terms[v] = self._terms.get(v, 0.0) + c

    def _iadd(self, other: LinExpr, mult: float) -> None:
        for v, c in other._terms.items():
            self._terms[v] = self._terms.get(v, 0.0) + mult * c
        self._const += mult * other._const

    def _scale(self, k: float) -> None:
        for v in self._terms:
            self._terms[v] *= k
        self._const *= k

    def _lin(self) -> LinExpr:
        return self.copy()

    def copy(self) -> LinExpr:
        return LinExpr._from_terms(self._terms, self._const)

    def __iadd__(self, other: Any) -> LinExpr:
        self._iadd(_as_linexpr(other), 1.0)
        return self

    def __isub__(self, other: Any) -> LinExpr:
        self._iadd(_as_linexpr(other), -1.0)
        return self

    def __imul__(self, other: Any) -> LinExpr:
        r = self * other
        self._terms, self._const = r._terms, r._const
        return self

    def __repr__(self) -> str:
        parts = [f"{c:+g} {v._model._var_name(v)}" for v, c in self._terms.items()]
        if self._const or not parts:
            parts.append(f"{self._const:+g}")
        return "<gurobi.LinExpr: " + " ".join(parts) + ">"

    def add(self, expr: Any, mult: float = 1.0) -> None:
        self._iadd(_as_linexpr(expr), float(mult))

    def addTerms(self, coeffs: Any, vars: Any) -> None:
        if isinstance(vars, Var):
            self._add_term(vars, float(coeffs))
            return
        for c, v in zip(coeffs, vars, strict=True):
            self._add_term(v, float(c))

    def addConstant(self, c: float) -> None:
        self._const += float(c)

    def getConstant(self) -> float:
        return self._const

    def size(self) -> int:
        return len(self._terms)

    def getVar(self, i: int) -> Var:
        return list(self._terms)[i]

    def getCoeff(self, i: int) -> float:
        return list(self._terms.values())[i]

    def getValue(self) -> float:
        return self._const + sum(c * v._model._solution_value(v) for v, c in self._terms.items())

    def clear(self) -> None:
        self._terms, self._const = {}, 0.0

    def remove(self, item: Any) -> None:
        if isinstance(item, Var):
            self._terms.pop(item, None)
        else:
            del self._terms[list(self._terms)[int(item)]]


class QuadExpr:
    """Constructing a quadratic expression is reported as unsupported."""

    def __init__(self, *args: Any) -> None:
        raise _quadratic()


class GenExpr:
    """``max_``, ``min_``, ``abs_``, ``and_``, ``or_``, ``norm``: reported as unsupported when
    used, because HiGHS has no general constraints and a big-M rewrite needs bounds the
    program may not give (an approximation would be silently wrong)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def _refuse(self, *args: Any) -> Any:
        raise unsupported(f"general constraint {self.kind}")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __le__ = __ge__ = __eq__ = __neg__ = __truediv__ = _refuse  # type: ignore[assignment]
    __hash__ = object.__hash__


def max_(*args: Any, constant: Any = None) -> GenExpr:
    return GenExpr("max_")


def min_(*args: Any, constant: Any = None) -> GenExpr:
    return GenExpr("min_")


def abs_(arg: Any) -> GenExpr:
    return GenExpr("abs_")


def and_(*args: Any) -> GenExpr:
    return GenExpr("and_")


def or_(*args: Any) -> GenExpr:
    return GenExpr("or_")


def norm(*args: Any) -> GenExpr:
    return GenExpr("norm")


class MVar:
    def __init__(self, *args: Any, **kw: Any) -> None:
        raise unsupported("matrix API (addMVar / MLinExpr)")


class MLinExpr(MVar):
    pass


class MQuadExpr(MVar):
    pass


class TempConstr:
    """The result of ``lhs <= rhs`` (``>=``, ``==``) before it is added to a model."""

    __slots__ = ("lhs", "rhs", "sense")

    def __init__(self, lhs: LinExpr, sense: str, rhs: LinExpr) -> None:
        self.lhs, self.sense, self.rhs = lhs, sense, rhs

    def __bool__(self) -> bool:
        raise GurobiError(
            10003, 'Constraint has no bool value (are you trying "lb <= expr <= ub"?)'
        )

    def __rshift__(self, other: Any) -> Any:
        if not isinstance(other, TempConstr):
            raise unsupported("indicator constraints", "the right side must be a linear constraint")
        return IndicatorConstr(self, other)

    def __lshift__(self, other: Any) -> Any:
        if not isinstance(other, TempConstr):
            raise unsupported("indicator constraints", "the left side must be a linear constraint")
        return IndicatorConstr(other, self)

    def __repr__(self) -> str:
        return f"<gurobi.TempConstr {self.lhs!r} {self.sense} {self.rhs!r}>"


class IndicatorConstr:
    """``(b == v) >> (lhs sense rhs)`` before it is added; linearised exactly on adding."""

    __slots__ = ("cond", "then")

    def __init__(self, cond: TempConstr, then: TempConstr) -> None:
        self.cond, self.then = cond, then

    def __bool__(self) -> bool:
        raise GurobiError(10003, "Indicator constraint has no bool value")


class Constr:
    """A linear constraint ``sum(coefs * vars) sense rhs`` in the model."""

    __slots__ = ("_coefs", "_index", "_model", "_name", "_removed", "_rhs", "_sense")

    def __init__(
        self, model: Model, index: int, coefs: dict[Var, float], sense: str, rhs: float, name: str
    ) -> None:
        self._model, self._index = model, index
        self._coefs, self._sense, self._rhs, self._name = coefs, sense, rhs, name
        self._removed = False

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<gurobi.Constr {self._model._constr_name(self)}>"

    def getAttr(self, attr: str) -> Any:
        key = str(attr).lower()
        if self._index >= self._model._nc_upd:  # gurobipy's lazy update
            raise AttributeError(f"Index out of range for attribute '{attr}'")
        if key == "constrname":
            return self._model._constr_name(self)
        if key == "rhs":
            return self._rhs
        if key == "sense":
            return self._sense
        if key == "index":
            return self._index
        if key == "slack":
            act = sum(c * self._model._solution_value(v) for v, c in self._coefs.items())
            return self._rhs - act
        if key in ("pi", "cbasis", "sarhslow", "sarhsup", "farkasdual"):
            raise unsupported(f"attribute {attr}", "duals and sensitivity are not reported")
        raise AttributeError(f"Unknown or unsupported attribute '{attr}' of a Constr")

    def setAttr(self, attr: str, value: Any) -> None:
        key = str(attr).lower()
        if key == "rhs":
            self._rhs = float(value)
        elif key == "sense":
            self._sense = _sense(value)
        elif key == "constrname":
            self._name = str(value)
        else:
            raise AttributeError(f"Unknown or read-only attribute '{attr}' of a Constr")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.getAttr(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self.setAttr(name, value)

    @property
    def index(self) -> int:
        return self._index


def quicksum(items: Iterable[Any]) -> LinExpr:
    """Sum of linear terms (numbers, variables, expressions); of the values for a tupledict,
    as gurobipy does (with a deprecation warning there)."""
    if isinstance(items, tupledict):
        items = items.values()
    e = LinExpr()
    for it in items:
        e._iadd(_as_linexpr(it), 1.0)
    return e


# ---------------------------------------------------------------- tupledict / tuplelist


def _match(key: Any, pattern: tuple[Any, ...]) -> bool:
    k = key if isinstance(key, tuple) else (key,)
    if len(k) != len(pattern):
        return False
    return all(p == "*" or p == x for p, x in zip(pattern, k, strict=True))


class tuplelist(list):
    """A list of tuples with wildcard ``select``."""

    def select(self, *pattern: Any) -> tuplelist:
        if not pattern:
            return tuplelist(self)
        return tuplelist(t for t in self if _match(t, pattern))


class tupledict(dict):
    """A dict keyed by tuples with wildcard ``select``/``sum``/``prod``."""

    def select(self, *pattern: Any) -> list[Any]:
        if not pattern:
            return list(self.values())
        return [v for k, v in self.items() if _match(k, pattern)]

    def sum(self, *pattern: Any) -> LinExpr:
        items = (
            self.items() if not pattern else ((k, v) for k, v in self.items() if _match(k, pattern))
        )
        return quicksum(v for _, v in items)

    def prod(self, coeff: dict[Any, Any], *pattern: Any) -> LinExpr:
        e = LinExpr()
        for k, v in self.items():
            if pattern and not _match(k, pattern):
                continue
            if k in coeff:
                e._iadd(_as_linexpr(v), float(coeff[k]))
        return e


def multidict(data: dict[Any, Any]) -> list[Any]:
    keys = tuplelist(data.keys())
    first = next(iter(data.values()), None)
    width = len(first) if isinstance(first, list | tuple) else 1
    out: list[Any] = [keys]
    for i in range(width):
        d = tupledict()
        for k, v in data.items():
            d[k] = v[i] if isinstance(v, list | tuple) else v
        out.append(d)
    return out


# ---------------------------------------------------------------- model


def _bound(x: Any) -> float:
    v = float(x)
    if v >= _GRB_INF:
        return _INF
    if v <= -_GRB_INF:
        return -_INF
    return v


def _vtype(x: Any) -> str:
    t = str(x).upper()[:1]
    if t in ("S", "N"):
        raise unsupported("semi-continuous variables")
    if t not in ("C", "B", "I"):
        raise GurobiError(10003, f"Invalid vtype {x!r}")
    return t


def _sense(x: Any) -> str:
    s = str(x)
    table = {"<": "<", "<=": "<", ">": ">", ">=": ">", "=": "=", "==": "="}
    if s not in table:
        raise GurobiError(10003, f"Invalid constraint sense {x!r}")
    return table[s]


def _indicator_condition(cond: TempConstr) -> tuple[Var, bool]:
    """``b == 1`` / ``b == 0`` (either side) -> (b, value); anything else is refused."""
    e = _as_linexpr(cond.lhs)
    e._iadd(_as_linexpr(cond.rhs), -1.0)
    terms = [(v, c) for v, c in e._terms.items() if c != 0.0]
    if cond.sense != "=" or len(terms) != 1:
        raise unsupported("indicator constraints", "the condition must be binvar == 0 or 1")
    v, c = terms[0]
    value = -e._const / c
    if value not in (0.0, 1.0):
        raise unsupported("indicator constraints", "the condition must be binvar == 0 or 1")
    return v, value == 1.0


def _flatten_key(parts: tuple[Any, ...]) -> Any:
    flat: list[Any] = []
    for p in parts:
        flat.extend(p if isinstance(p, tuple) else (p,))
    return flat[0] if len(flat) == 1 else tuple(flat)


def _index_list(arg: Any) -> list[Any]:
    if isinstance(arg, numbers.Integral) and not isinstance(arg, bool):
        return list(range(int(arg)))
    if isinstance(arg, dict):
        return list(arg.keys())
    return list(arg)


def _per_key(value: Any, key: Any, pos: int) -> Any:
    """A per-variable argument of addVars: a dict by key, a list by position, or a scalar."""
    if isinstance(value, dict):
        return value[key]
    if isinstance(value, list | tuple):
        return value[pos]
    return value


_HIGHS_STATUS_TO_GRB = {
    "kOptimal": GRB.OPTIMAL,
    "kModelEmpty": GRB.OPTIMAL,
    "kInfeasible": GRB.INFEASIBLE,
    "kUnboundedOrInfeasible": GRB.INF_OR_UNBD,
    "kUnbounded": GRB.UNBOUNDED,
    "kTimeLimit": GRB.TIME_LIMIT,
    "kIterationLimit": GRB.ITERATION_LIMIT,
    "kSolutionLimit": GRB.SOLUTION_LIMIT,
    "kObjectiveBound": GRB.USER_OBJ_LIMIT,
    "kObjectiveTarget": GRB.USER_OBJ_LIMIT,
    "kInterrupt": GRB.INTERRUPTED,
    "kHighsInterrupt": GRB.INTERRUPTED,
    "kMemoryLimit": GRB.MEM_LIMIT,
}
_TERMINATION = {
    GRB.OPTIMAL: "optimal",
    GRB.INFEASIBLE: "infeasible",
    GRB.INF_OR_UNBD: "infeasible_or_unbounded",
    GRB.UNBOUNDED: "unbounded",
    GRB.TIME_LIMIT: "time_limit",
    GRB.ITERATION_LIMIT: "iteration_limit",
    GRB.SOLUTION_LIMIT: "solution_limit",
    GRB.USER_OBJ_LIMIT: "objective_limit",
    GRB.INTERRUPTED: "interrupted",
    GRB.MEM_LIMIT: "memory_limit",
    GRB.NUMERIC: "error",
}


class Model:
    """A gurobipy ``Model`` whose ``optimize()`` runs HiGHS and captures the model as MPS."""

    _api = "gurobipy"  # the solve report's api / requested solver (coptpy overrides)
    _requested = "gurobi"
    _var_class: type[Var] = Var
    _constr_class: type[Constr] = Constr

    def __init__(self, name: str = "", env: Env | None = None) -> None:
        d = self.__dict__
        d["_name"] = str(name)
        d["_vars"] = []
        d["_constrs"] = []
        d["_obj"] = LinExpr()
        d["_sense"] = GRB.MINIMIZE
        d["Params"] = ParamSet(env.Params if env is not None else _default_params)
        d["_ignored"] = set()
        d["_status"] = GRB.LOADED
        d["_x"] = None
        d["_objval"] = None
        d["_bound"] = None
        d["_gap"] = None
        d["_runtime"] = 0.0
        d["_iters"] = 0
        d["_nodes"] = 0
        d["_solved_vars"] = 0
        d["_nv_upd"] = 0  # variables / constraints the last update() made visible
        d["_nc_upd"] = 0

    def _indexed_name(self, prefix: str, key: Any) -> str:
        return f"{prefix}[{_fmt_key(key)}]"

    # -- names (Gurobi's defaults for unnamed objects)
    def _var_name(self, v: Var) -> str:
        return v._name or f"C{v._index}"

    def _constr_name(self, c: Constr) -> str:
        return c._name or f"R{c._index}"

    # -- attributes
    def getAttr(self, attr: str, objs: Any = None) -> Any:
        if objs is not None:
            if isinstance(objs, dict):
                return {k: o.getAttr(attr) for k, o in objs.items()}
            return [o.getAttr(attr) for o in objs]
        key = str(attr).lower()
        if key == "objval":
            if self._objval is None:
                raise AttributeError("Unable to retrieve attribute 'ObjVal'")
            return self._objval
        if key == "objbound":
            if self._bound is None:
                raise AttributeError("Unable to retrieve attribute 'ObjBound'")
            return self._bound
        if key == "mipgap":
            if self._gap is None:
                raise AttributeError("Unable to retrieve attribute 'MIPGap'")
            return self._gap
        simple = {
            "status": lambda: self._status,
            "solcount": lambda: 0 if self._x is None else 1,
            "runtime": lambda: self._runtime,
            "itercount": lambda: self._iters,
            "nodecount": lambda: self._nodes,
            "numvars": lambda: self._nv_upd,
            "numconstrs": lambda: self._nc_upd,
            "numintvars": lambda: sum(v._vtype in "BI" for v in self._vars),
            "numbinvars": lambda: sum(v._vtype == "B" for v in self._vars),
            "ismip": lambda: int(any(v._vtype in "BI" for v in self._vars)),
            "isqp": lambda: 0,
            "isqcp": lambda: 0,
            "ismultiobj": lambda: 0,
            "numqconstrs": lambda: 0,
            "numsos": lambda: 0,
            "numgenconstrs": lambda: 0,
            "numnzs": lambda: sum(len(c._coefs) for c in self._constrs),
            "modelsense": lambda: self._sense,
            "modelname": lambda: self._name,
            "objcon": lambda: self._obj._const,
        }
        if key in simple:
            return simple[key]()
        if key in ("x", "varname", "lb", "ub", "obj", "vtype"):
            return [v.getAttr(attr) for v in self._vars]
        raise AttributeError(f"Unknown or unsupported model attribute '{attr}'")

    def setAttr(self, attr: str, objs: Any, values: Any = None) -> None:
        if values is not None:
            if isinstance(objs, dict):
                for k, o in objs.items():
                    o.setAttr(attr, values[k] if isinstance(values, dict) else values)
            else:
                vals = values if isinstance(values, list | tuple) else [values] * len(objs)
                for o, val in zip(objs, vals, strict=True):
                    o.setAttr(attr, val)
            return
        key = str(attr).lower()
        if key == "modelsense":
            self._set_sense(objs)
        elif key == "modelname":
            self.__dict__["_name"] = str(objs)
        elif key == "objcon":
            self._obj._const = float(objs)
        else:
            raise AttributeError(f"Unknown or read-only model attribute '{attr}'")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.getAttr(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name == "Params":
            self.__dict__[name] = value
        else:
            self.setAttr(name, value)

    def _set_sense(self, sense: Any) -> None:
        s = int(sense)
        if s not in (GRB.MINIMIZE, GRB.MAXIMIZE):
            raise GurobiError(10003, f"Invalid objective sense {sense!r}")
        self.__dict__["_sense"] = s

    # -- parameters
    def setParam(self, name: Any, value: Any) -> None:
        self.Params._set(str(name), value)

    def getParamInfo(self, name: str) -> tuple[Any, ...]:
        key = ParamSet._key(name)
        canon, default, _ = _PARAMS[key]
        return (canon, type(default), self.Params._get(name), None, None, default)

    # -- building
    def addVar(
        self,
        lb: float = 0.0,
        ub: float = _INF,
        obj: float = 0.0,
        vtype: str = GRB.CONTINUOUS,
        name: str = "",
        column: Any = None,
    ) -> Var:
        if column is not None:
            raise unsupported("column-wise modelling (Column)")
        t = _vtype(vtype)
        lo, hi = _bound(lb), _bound(ub)
        if t == "B":
            lo, hi = max(lo, 0.0), min(hi, 1.0)
        v = self._var_class(self, len(self._vars), lo, hi, float(obj), t, str(name) if name else "")
        self._vars.append(v)
        return v

    def addVars(
        self,
        *indices: Any,
        lb: Any = 0.0,
        ub: Any = _INF,
        obj: Any = 0.0,
        vtype: Any = GRB.CONTINUOUS,
        name: Any = "",
    ) -> tupledict:
        if not indices:
            raise GurobiError(10003, "addVars needs at least one index argument")
        lists = [_index_list(a) for a in indices]
        out = tupledict()
        for pos, combo in enumerate(itertools.product(*lists)):
            key = _flatten_key(combo)
            if isinstance(name, str):
                vname = self._indexed_name(name, key) if name else ""
            else:
                vname = str(_per_key(name, key, pos))
            out[key] = self.addVar(
                lb=_per_key(lb, key, pos),
                ub=_per_key(ub, key, pos),
                obj=_per_key(obj, key, pos),
                vtype=_per_key(vtype, key, pos),
                name=vname,
            )
        return out

    def addMVar(self, *args: Any, **kw: Any) -> Any:
        raise unsupported("matrix API (addMVar / MLinExpr)")

    def _add_linear(self, lhs: Any, sense: str, rhs: Any, name: str) -> Constr:
        e = _as_linexpr(lhs)
        e._iadd(_as_linexpr(rhs), -1.0)
        coefs = {v: c for v, c in e._terms.items() if c != 0.0}
        for v in coefs:
            if v._model is not self:
                raise GurobiError(10003, "Variable not in model")
        c = self._constr_class(
            self, len(self._constrs), coefs, sense, -e._const, str(name) if name else ""
        )
        self._constrs.append(c)
        return c

    def addConstr(self, constr: Any, name: str = "", *legacy: Any) -> Constr:
        if legacy:  # addConstr(lhs, sense, rhs, name): the pre-9.0 signature
            return self.addLConstr(constr, name, *legacy)
        if isinstance(constr, bool):
            # gurobipy accepts a plain bool (e.g. sum over an empty set compared with 0)
            return self._add_linear(0.0, "=", 0.0 if constr else 1.0, name)
        if isinstance(constr, GenExpr):
            raise unsupported(f"general constraint {constr.kind}")
        if isinstance(constr, IndicatorConstr):
            binvar, binval = _indicator_condition(constr.cond)
            return self._add_indicator(binvar, binval, constr.then, name)
        if not isinstance(constr, TempConstr):
            raise GurobiError(
                10003, f"Invalid argument to Model.addConstr: {type(constr).__name__}"
            )
        return self._add_linear(constr.lhs, constr.sense, constr.rhs, name)

    def addLConstr(self, lhs: Any, sense: Any = None, rhs: Any = None, name: str = "") -> Constr:
        if isinstance(lhs, TempConstr) and sense is None:
            return self.addConstr(lhs, name=name)
        return self._add_linear(lhs, _sense(sense), 0.0 if rhs is None else rhs, name)

    def addConstrs(self, generator: Iterator[Any], name: str = "") -> tupledict:
        """Keys are the generator's loop variables, as gurobipy reads them from its frame."""
        out = tupledict()
        frame = getattr(generator, "gi_frame", None)
        code = getattr(generator, "gi_code", None)
        loop_vars = [n for n in (code.co_varnames if code else ()) if n != ".0"]
        pos = 0
        for tc in generator:
            key: Any = pos
            if frame is not None and loop_vars:
                loc = generator.gi_frame.f_locals  # type: ignore[attr-defined]
                vals = [loc[n] for n in loop_vars if n in loc]
                if vals:
                    key = _flatten_key(tuple(vals))
            cname = self._indexed_name(name, key) if name else ""
            out[key] = self.addConstr(tc, name=cname)
            pos += 1
        return out

    def addRange(self, expr: Any, lower: float, upper: float, name: str = "") -> Constr:
        raise unsupported("range constraints (addRange)", "write two constraints instead")

    def addQConstr(self, *args: Any, **kw: Any) -> Any:
        raise _quadratic()

    def addSOS(self, *args: Any, **kw: Any) -> Any:
        raise unsupported("SOS constraints")

    def addGenConstrMax(self, *a: Any, **k: Any) -> Any:
        raise unsupported("general constraint max_")

    def addGenConstrMin(self, *a: Any, **k: Any) -> Any:
        raise unsupported("general constraint min_")

    def addGenConstrAbs(self, *a: Any, **k: Any) -> Any:
        raise unsupported("general constraint abs_")

    def addGenConstrAnd(self, *a: Any, **k: Any) -> Any:
        raise unsupported("general constraint and_")

    def addGenConstrOr(self, *a: Any, **k: Any) -> Any:
        raise unsupported("general constraint or_")

    def addGenConstrIndicator(
        self,
        binvar: Var,
        binval: Any,
        lhs: Any,
        sense: Any = None,
        rhs: Any = None,
        name: str = "",
    ) -> Constr:
        then = (
            lhs
            if isinstance(lhs, TempConstr)
            else TempConstr(
                _as_linexpr(lhs), _sense(sense), _as_linexpr(0.0 if rhs is None else rhs)
            )
        )
        if not isinstance(binvar, Var):
            raise GurobiError(10003, "addGenConstrIndicator needs a binary Var")
        return self._add_indicator(binvar, bool(binval), then, name)

    def _add_indicator(self, b: Var, val: bool, then: TempConstr, name: str) -> Constr:
        """Exact big-M rewrite of ``b == val  =>  then``, with M from finite variable bounds.

        For binary ``b`` the rows ``expr - rhs <= M·(1-b)`` (resp. ``M·b`` for ``val=0``)
        with ``M = max(expr) - rhs`` (and the mirror for ``>=``) have exactly the indicator's
        feasible set, because ``expr`` cannot exceed its bound-implied range. Unbounded
        ``expr`` has no exact M: refused, never approximated.
        """
        if b._vtype != "B" and not (b._vtype == "I" and b._lb >= 0.0 and b._ub <= 1.0):
            raise unsupported("indicator constraints", "the indicator variable is not binary")
        e = _as_linexpr(then.lhs)
        e._iadd(_as_linexpr(then.rhs), -1.0)  # e = lhs - rhs, constraint: e sense 0
        hi = lo = e._const
        for v, c in e._terms.items():
            if c == 0.0:
                continue
            hi += c * (v._ub if c > 0 else v._lb)
            lo += c * (v._lb if c > 0 else v._ub)
        # switch: 1-b when the indicator fires on b == 1, b when it fires on b == 0
        switch = LinExpr._from_terms({b: -1.0}, 1.0) if val else LinExpr._from_terms({b: 1.0}, 0.0)
        rows: list[Constr] = []
        base = str(name) if name else ""
        for sense in ("<", ">") if then.sense == "=" else (then.sense,):
            bound = hi if sense == "<" else lo
            if not math.isfinite(bound):
                raise unsupported(
                    "indicator constraints with unbounded variables",
                    "give every variable in the implied constraint finite bounds",
                )
            rhs_side = switch * bound  # e <= M·switch  (M = hi)  or  e >= m·switch (m = lo)
            suffix = "" if then.sense != "=" or sense == "<" else "~ge"
            rows.append(self._add_linear(e, sense, rhs_side, base + suffix if base else ""))
        return rows[0]

    def addGenConstrPWL(self, *a: Any, **k: Any) -> Any:
        raise unsupported("piecewise-linear constraints")

    def setPWLObj(self, *a: Any, **k: Any) -> Any:
        raise unsupported("piecewise-linear objective")

    def setObjectiveN(self, *a: Any, **k: Any) -> Any:
        raise unsupported("multiple objectives (setObjectiveN)")

    def setObjective(self, expr: Any, sense: Any = None) -> None:
        if isinstance(expr, GenExpr):
            raise unsupported(f"general constraint {expr.kind}")
        self.__dict__["_obj"] = _as_linexpr(expr)
        if sense is not None:
            self._set_sense(sense)

    def getObjective(self, index: Any = None) -> LinExpr:
        if index is not None:
            raise unsupported("multiple objectives (setObjectiveN)")
        return self._obj.copy()

    def update(self) -> None:
        """Make pending variables and constraints visible (gurobipy's lazy update)."""
        self.__dict__["_nv_upd"] = len(self._vars)
        self.__dict__["_nc_upd"] = len(self._constrs)

    def reset(self, clearall: int = 0) -> None:
        d = self.__dict__
        d["_status"], d["_x"], d["_objval"], d["_bound"], d["_gap"] = (
            GRB.LOADED,
            None,
            None,
            None,
            None,
        )

    def dispose(self) -> None:
        return None

    def terminate(self) -> None:
        return None

    def __enter__(self) -> Model:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def getVars(self) -> list[Var]:
        """Variables as of the last update (pending ones are not listed, as in gurobipy)."""
        return self._vars[: self._nv_upd]

    def getConstrs(self) -> list[Constr]:
        return self._constrs[: self._nc_upd]

    def getVarByName(self, name: str) -> Var | None:
        if self._nv_upd == 0:
            raise GurobiError(10003, "No variable names available to index")
        return next((v for v in self.getVars() if self._var_name(v) == name), None)

    def getConstrByName(self, name: str) -> Constr | None:
        if self._nc_upd == 0:
            raise GurobiError(10003, "No constraint names available to index")
        return next((c for c in self.getConstrs() if self._constr_name(c) == name), None)

    def getRow(self, constr: Constr) -> LinExpr:
        return LinExpr._from_terms(constr._coefs, 0.0)

    def getCol(self, var: Var) -> Any:
        raise unsupported("column-wise modelling (Column)")

    def getGenConstrs(self) -> list[Any]:
        return []

    def getSOSs(self) -> list[Any]:
        return []

    def getQConstrs(self) -> list[Any]:
        return []

    def remove(self, items: Any) -> None:
        if isinstance(items, dict):
            items = list(items.values())
        if not isinstance(items, list | tuple | set):
            items = [items]
        drop_v = {id(o) for o in items if isinstance(o, Var)}
        drop_c = {id(o) for o in items if isinstance(o, Constr)}
        if len(drop_v) + len(drop_c) != len(list(items)):
            raise GurobiError(10003, "Model.remove accepts variables and linear constraints only")
        d = self.__dict__
        d["_nv_upd"] -= sum(id(v) in drop_v for v in self._vars[: self._nv_upd])
        d["_nc_upd"] -= sum(id(c) in drop_c for c in self._constrs[: self._nc_upd])
        d["_constrs"] = [c for c in self._constrs if id(c) not in drop_c]
        for c in self._constrs:
            if any(id(v) in drop_v for v in c._coefs):
                c._coefs = {v: a for v, a in c._coefs.items() if id(v) not in drop_v}
        d["_vars"] = [v for v in self._vars if id(v) not in drop_v]
        d["_obj"] = LinExpr._from_terms(
            {v: a for v, a in self._obj._terms.items() if id(v) not in drop_v}, self._obj._const
        )
        for i, v in enumerate(self._vars):
            v._index = i
        for i, c in enumerate(self._constrs):
            c._index = i

    def relax(self) -> Model:
        m = self.copy()
        for v in m._vars:
            v._vtype = "C"
        return m

    def copy(self) -> Model:
        m = type(self)(self._name)
        m.__dict__["Params"] = ParamSet(self.Params)
        vmap: dict[Var, Var] = {}
        for v in self._vars:
            vmap[v] = m.addVar(v._lb, v._ub, v._obj, v._vtype, v._name)
        for c in self._constrs:
            nc = self._constr_class(
                m,
                len(m._constrs),
                {vmap[v]: a for v, a in c._coefs.items()},
                c._sense,
                c._rhs,
                c._name,
            )
            m._constrs.append(nc)
        m.__dict__["_obj"] = LinExpr._from_terms(
            {vmap[v]: a for v, a in self._obj._terms.items()}, self._obj._const
        )
        m._set_sense(self._sense)
        m.update()
        return m

    def computeIIS(self) -> None:
        raise unsupported("computeIIS (irreducible infeasible subsystem)")

    def feasRelaxS(self, *a: Any, **k: Any) -> Any:
        raise unsupported("feasRelax")

    feasRelax = feasRelaxS

    def tune(self) -> None:
        return None

    def printStats(self) -> None:
        print(f"Model {self._name}: {len(self._constrs)} rows, {len(self._vars)} columns")

    def printAttr(self, attr: str, filter: str = "*") -> None:
        for v in self._vars:
            val = v.getAttr(attr)
            if val:
                print(f"{self._var_name(v)} {val}")

    def display(self) -> None:
        self.printStats()

    def cbGet(self, *a: Any) -> Any:
        raise unsupported("callbacks")

    cbGetSolution = cbGetNodeRel = cbLazy = cbCut = cbSetSolution = cbUseSolution = cbGet

    # -- solution
    def _solution_value(self, v: Var) -> float:
        x = self._x
        if x is None or v._index >= len(x) or v._index >= self._solved_vars:
            raise AttributeError("Unable to retrieve attribute 'X'")
        return x[v._index]

    # -- the HiGHS side
    def _highs_lp(self) -> Any:
        # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
        import highspy

        n, m = len(self._vars), len(self._constrs)
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = m
        obj = {v: 0.0 for v in self._vars}
        for v in self._vars:
            obj[v] += v._obj
        for v, c in self._obj._terms.items():
            if v._model is not self or v not in obj:
                raise GurobiError(10003, "Objective uses a variable that is not in the model")
            obj[v] += c
        lp.col_cost_ = [obj[v] for v in self._vars]
        lp.col_lower_ = [v._lb for v in self._vars]
        lp.col_upper_ = [v._ub for v in self._vars]
        lower, upper, start, index, value = [], [], [0], [], []
        for c in self._constrs:
            lower.append(c._rhs if c._sense in ">=" else -_INF)
            upper.append(c._rhs if c._sense in "<=" else _INF)
            for v, a in c._coefs.items():
                if v._model is not self or v._index >= n or self._vars[v._index] is not v:
                    raise GurobiError(10003, "A constraint uses a variable removed from the model")
                index.append(v._index)
                value.append(a)
            start.append(len(index))
        lp.row_lower_ = lower
        lp.row_upper_ = upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = n
        lp.a_matrix_.num_row_ = m
        lp.a_matrix_.start_ = start
        lp.a_matrix_.index_ = index
        lp.a_matrix_.value_ = value
        lp.offset_ = self._obj._const
        lp.sense_ = (
            highspy.ObjSense.kMaximize
            if self._sense == GRB.MAXIMIZE
            else highspy.ObjSense.kMinimize
        )
        if any(v._vtype in "BI" for v in self._vars):
            lp.integrality_ = [
                highspy.HighsVarType.kInteger
                if v._vtype in "BI"
                else highspy.HighsVarType.kContinuous
                for v in self._vars
            ]
        lp.col_names_ = _mps_names([self._var_name(v) for v in self._vars])
        lp.row_names_ = _mps_names([self._constr_name(c) for c in self._constrs])
        return lp

    def _highs(self) -> tuple[Any, list[str]]:
        # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
        import highspy

        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("mip_rel_gap", 1e-4)  # Gurobi's defaults, not HiGHS's
        h.setOptionValue("mip_abs_gap", 1e-10)
        ignored = set(self._ignored)
        for key, value in self.Params._explicit().items():
            canon, _, option = _PARAMS[key]
            if option is None:
                if canon not in ("OutputFlag", "LogToConsole", "LogFile"):
                    ignored.add(canon)
                continue
            v = float(value)
            if option in ("time_limit", "mip_max_nodes") and v >= _GRB_INF:
                continue
            if option == "mip_max_nodes" or option == "random_seed":
                v = int(min(v, 2**31 - 1))
            h.setOptionValue(option, v)
        h.passModel(self._highs_lp())
        return h, sorted(ignored)

    def optimize(self, callback: Any = None) -> None:
        if callback is not None:
            raise unsupported("callbacks")
        self.update()
        h, ignored = self._highs()
        index, mps_path = _next_model_path()
        report: dict[str, Any] = {
            "event": "solve",
            "index": index,
            "api": self._api,
            "requested_solver": self._requested,
            "solver": "highs",
            "ignored_options": ignored,
            "mps": None,
            "mps_error": None,
        }
        if mps_path is not None:
            try:
                h.writeModel(mps_path)
                report["mps"] = os.path.basename(mps_path)
            except Exception as exc:  # a bad capture must not stop the program
                report["mps_error"] = f"{type(exc).__name__}: {exc}"[:300]
        t0 = time.monotonic()
        h.run()
        d = self.__dict__
        d["_runtime"] = time.monotonic() - t0
        status = _HIGHS_STATUS_TO_GRB.get(h.getModelStatus().name, GRB.NUMERIC)
        info = h.getInfo()
        has_sol = int(info.primal_solution_status) == 2 or h.getModelStatus().name == "kModelEmpty"
        # Gurobi reports no solution for unbounded/infeasible models (HiGHS may keep a point)
        has_sol = has_sol and status not in (GRB.INFEASIBLE, GRB.INF_OR_UNBD, GRB.UNBOUNDED)
        is_mip = any(v._vtype in "BI" for v in self._vars)
        d["_status"] = status
        d["_iters"] = int(getattr(info, "simplex_iteration_count", 0) or 0)
        d["_nodes"] = int(getattr(info, "mip_node_count", 0) or 0) if is_mip else 0
        d["_solved_vars"] = len(self._vars)
        if has_sol:
            col = list(h.getSolution().col_value) if self._vars else []
            d["_x"] = [float(x) for x in col]
            d["_objval"] = float(info.objective_function_value) if self._vars else self._obj._const
            if is_mip:
                d["_bound"] = float(info.mip_dual_bound)
                d["_gap"] = float(info.mip_gap)
            else:
                d["_bound"], d["_gap"] = d["_objval"], 0.0
        else:
            d["_x"] = d["_objval"] = d["_bound"] = d["_gap"] = None
        report["wall_s"] = round(self._runtime, 4)
        report["termination"] = _TERMINATION.get(status, "error")
        report["status"] = f"{status} ({_STATUS_NAMES.get(status, '?')})"
        report["objective"] = _finite(self._objval)
        values: dict[str, float] = {}
        if self._x is not None:
            for v in self._vars[:MAX_REPORTED_VALUES]:
                values[self._var_name(v)] = self._x[v._index]
            if len(self._vars) > MAX_REPORTED_VALUES:
                report["values_truncated"] = True
        report["values"] = values
        _emit(report)

    def write(self, filename: str) -> None:
        fn = str(filename)
        low = fn.lower()
        self.update()
        if low.endswith((".mps", ".lp", ".mps.gz", ".lp.gz")):
            h, _ = self._highs()
            h.writeModel(fn)
        elif low.endswith(".sol"):
            with open(fn, "w", encoding="utf-8") as fh:
                fh.write(f"# Objective value = {self.ObjVal}\n")
                for v in self._vars:
                    fh.write(f"{self._var_name(v)} {self._solution_value(v)}\n")
        else:
            raise GurobiError(10013, f"Unknown file type for file '{fn}'")

    def read(self, filename: str) -> None:
        raise unsupported("Model.read")

    def __repr__(self) -> str:
        return f"<gurobi.Model {'MIP' if self.IsMIP else 'Continuous'} instance {self._name}: {len(self._constrs)} constrs, {len(self._vars)} vars>"


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def _mps_names(names: list[str]) -> list[str]:
    """Names as MPS can carry them: whitespace becomes ``_``; a repeated name gets a ``~k``
    suffix (gurobipy allows duplicates, MPS does not). Otherwise the program's own names."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in names:
        n = "".join("_" if ch.isspace() else ch for ch in raw) or "_"
        base, k = n, 1
        while n in seen:
            k += 1
            n = f"{base}~{k}"
        seen.add(n)
        out.append(n)
    return out


def read(filename: str, env: Any = None) -> Model:
    raise unsupported("gurobipy.read")


def readParams(filename: str) -> None:
    raise unsupported("gurobipy.readParams")


def gurobi_version() -> tuple[int, int, int]:
    return (13, 0, 0)


class _GurobiModule:
    @staticmethod
    def version() -> tuple[int, int, int]:
        return (13, 0, 0)


gurobi = _GurobiModule()


class Column:
    def __init__(self, *args: Any, **kw: Any) -> None:
        raise unsupported("column-wise modelling (Column)")
