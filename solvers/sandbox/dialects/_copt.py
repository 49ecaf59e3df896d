"""A coptpy-compatible layer on top of the gurobipy layer (code-mode dialect, HiGHS).

Owns what differs in COPT's Python API: ``Envr().createModel``, ``solve()``, COPT's status
codes and parameter names, ``nameprefix`` naming (``x(0,1)``), ``getInfo``/``getName``.
Modelling, the solve, MPS capture and the refusal of unsupported features are the
gurobipy layer's (:mod:`._grb`). Standard library + ``highspy`` only, like ``_grb``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

try:  # imported as part of optiscribe (tests, in-process use)
    from . import _grb
except ImportError:  # loaded by path in the sandbox as ``coptpy``
    import _optiscribe_dialect_grb as _grb  # type: ignore[no-redef]

LinExpr = _grb.LinExpr
tupledict = _grb.tupledict
tuplelist = _grb.tuplelist
quicksum = _grb.quicksum
multidict = _grb.multidict
UnsupportedFeature = _grb.UnsupportedFeature
__version__ = "7.2.0+optiscribe.highs"


class CoptError(Exception):
    """Raised where coptpy raises ``CoptError``."""

    def __init__(self, message: str = "", retcode: int = 3) -> None:
        super().__init__(message)
        self.message, self.retcode = message, retcode


class _Params:
    TimeLimit = "TimeLimit"
    RelGap = "RelGap"
    AbsGap = "AbsGap"
    Logging = "Logging"
    LogToConsole = "LogToConsole"
    Threads = "Threads"
    FeasTol = "FeasTol"
    DualTol = "DualTol"
    IntTol = "IntTol"
    NodeLimit = "NodeLimit"
    Presolve = "Presolve"
    LpMethod = "LpMethod"


class _Info:
    Value = "Value"
    LB = "LB"
    UB = "UB"
    Obj = "Obj"
    Slack = "Slack"
    Dual = "Dual"
    RedCost = "RedCost"


class _Attrs:
    Status = "Status"
    BestObj = "BestObj"
    LpObjval = "LpObjval"
    BestBnd = "BestBnd"
    BestGap = "BestGap"
    SolvingTime = "SolvingTime"
    HasMipSol = "HasMipSol"
    HasLpSol = "HasLpSol"


class COPT:
    """COPT's constants (the subset programs use)."""

    MINIMIZE = 1
    MAXIMIZE = -1
    CONTINUOUS = "C"
    BINARY = "B"
    INTEGER = "I"
    LESS_EQUAL = "L"
    GREATER_EQUAL = "G"
    EQUAL = "E"
    INFINITY = 1e30
    UNSTARTED = 0
    OPTIMAL = 1
    INFEASIBLE = 2
    UNBOUNDED = 3
    INF_OR_UNB = 4
    NUMERICAL = 5
    NODELIMIT = 6
    TIMEOUT = 8
    UNFINISHED = 9
    INTERRUPTED = 10
    Param = _Params
    Info = _Info
    Attr = _Attrs


#: COPT parameter -> gurobipy layer parameter (None: accepted, recorded as ignored).
_PARAM_MAP = {
    "timelimit": "TimeLimit",
    "relgap": "MIPGap",
    "absgap": "MIPGapAbs",
    "feastol": "FeasibilityTol",
    "dualtol": "OptimalityTol",
    "inttol": "IntFeasTol",
    "nodelimit": "NodeLimit",
    "logging": "OutputFlag",
    "logtoconsole": "LogToConsole",
    "threads": "Threads",
    "presolve": "Presolve",
    "lpmethod": "Method",
}
_GRB_TO_COPT_STATUS = {
    _grb.GRB.LOADED: COPT.UNSTARTED,
    _grb.GRB.OPTIMAL: COPT.OPTIMAL,
    _grb.GRB.INFEASIBLE: COPT.INFEASIBLE,
    _grb.GRB.UNBOUNDED: COPT.UNBOUNDED,
    _grb.GRB.INF_OR_UNBD: COPT.INF_OR_UNB,
    _grb.GRB.NUMERIC: COPT.NUMERICAL,
    _grb.GRB.NODE_LIMIT: COPT.NODELIMIT,
    _grb.GRB.TIME_LIMIT: COPT.TIMEOUT,
    _grb.GRB.INTERRUPTED: COPT.INTERRUPTED,
}
_SENSE = {
    "L": "<",
    "G": ">",
    "E": "=",
    "<": "<",
    ">": ">",
    "=": "=",
    "<=": "<",
    ">=": ">",
    "==": "=",
}


class Var(_grb.Var):
    __slots__ = ()

    def getAttr(self, attr: str) -> Any:
        key = str(attr).lower()
        if key in ("name",):
            return super().getAttr("VarName")
        if key == "value":
            return super().getAttr("X")
        if key == "type":
            return super().getAttr("VType")
        return super().getAttr(attr)

    def getName(self) -> str:
        return str(self.getAttr("VarName"))

    def getType(self) -> str:
        return str(self.getAttr("VType"))

    def getInfo(self, name: str) -> Any:
        return self.getAttr(name)

    def getIdx(self) -> int:
        return self._index


class Constr(_grb.Constr):
    __slots__ = ()

    def getAttr(self, attr: str) -> Any:
        if str(attr).lower() == "name":
            return super().getAttr("ConstrName")
        if str(attr).lower() in ("dual",):
            raise _grb.unsupported(f"attribute {attr}", "duals are not reported")
        return super().getAttr(attr)

    def getName(self) -> str:
        return str(self.getAttr("ConstrName"))

    def getInfo(self, name: str) -> Any:
        return self.getAttr(name)


class Model(_grb.Model):
    """coptpy's ``Model``: ``solve()`` runs the gurobipy layer's HiGHS solve."""

    _api = "coptpy"
    _requested = "copt"
    _var_class = Var
    _constr_class = Constr

    def _indexed_name(self, prefix: str, key: Any) -> str:
        return f"{prefix}({_grb._fmt_key(key)})"

    def getAttr(self, attr: str, objs: Any = None) -> Any:
        if objs is not None:
            return super().getAttr(attr, objs)
        key = str(attr).lower()
        if key == "status":
            return _GRB_TO_COPT_STATUS.get(super().getAttr("Status"), COPT.UNFINISHED)
        if key in ("objval", "bestobj", "lpobjval"):
            try:
                return super().getAttr("ObjVal")
            except AttributeError:
                raise CoptError(f"no solution available for attribute '{attr}'") from None
        if key == "bestbnd":
            return super().getAttr("ObjBound")
        if key == "bestgap":
            return super().getAttr("MIPGap")
        if key == "solvingtime":
            return super().getAttr("Runtime")
        if key in ("hasmipsol", "haslpsol"):
            return int(super().getAttr("SolCount") > 0)
        if key in ("cols", "numvars"):
            return len(self._vars)
        if key in ("rows", "numconstrs"):
            return len(self._constrs)
        return super().getAttr(attr)

    getInfo = getAttr

    def setParam(self, name: Any, value: Any) -> None:
        key = str(name).lower()
        if key not in _PARAM_MAP:
            raise CoptError(f"unknown parameter '{name}'")
        super().setParam(_PARAM_MAP[key], value)

    def getParam(self, name: Any) -> Any:
        key = str(name).lower()
        if key not in _PARAM_MAP:
            raise CoptError(f"unknown parameter '{name}'")
        return self.Params._get(_PARAM_MAP[key])

    def addVars(self, *indices: Any, nameprefix: str = "C", **kw: Any) -> _grb.tupledict:
        kw.setdefault("name", nameprefix)
        return super().addVars(*indices, **kw)

    def addConstr(  # type: ignore[override]  # COPT's signature, not gurobipy's
        self, lhs: Any, sense: Any = None, rhs: Any = None, name: str = ""
    ) -> Any:
        if sense is None:
            return super().addConstr(lhs, name)
        if str(sense) not in _SENSE:
            raise CoptError(f"invalid constraint sense {sense!r}")
        return super().addLConstr(lhs, _SENSE[str(sense)], rhs, name)

    def addConstrs(self, generator: Iterator[Any], nameprefix: str = "R") -> _grb.tupledict:
        return super().addConstrs(generator, name=nameprefix)

    def setObjSense(self, sense: int) -> None:
        self._set_sense(sense)

    def solve(self) -> None:
        self.optimize()

    solveLP = solve

    def getVars(self) -> list[_grb.Var]:
        return list(self._vars)  # no lazy update in COPT

    def getConstrs(self) -> list[_grb.Constr]:
        return list(self._constrs)

    def getVarByName(self, name: str) -> _grb.Var | None:
        return next((v for v in self._vars if self._var_name(v) == name), None)

    def getConstrByName(self, name: str) -> _grb.Constr | None:
        return next((c for c in self._constrs if self._constr_name(c) == name), None)

    def addVar(self, *args: Any, **kw: Any) -> _grb.Var:
        v = super().addVar(*args, **kw)
        self.update()  # COPT has no lazy update: new objects are visible at once
        return v

    def _add_linear(self, lhs: Any, sense: str, rhs: Any, name: str) -> _grb.Constr:
        c = super()._add_linear(lhs, sense, rhs, name)
        self.update()
        return c


class Envr:
    """COPT environment: ``Envr().createModel(name)``."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        return None

    def createModel(self, name: str = "") -> Model:
        return Model(name)

    def close(self) -> None:
        return None


EnvrConfig = Envr
