"""FormulationBench evaluation of the equivalence checker (precision and recall per family).

FormulationBench formulations are gurobipy snippets plus JSON. Instead of installing
gurobipy (size-limited licence, and p10 alone has >10^4 binaries) we run the snippets
against a tiny gurobipy stand-in (:class:`ShimModel`, ``GRB``, ``quicksum``) that records
a linear model and returns :class:`optiscribe.verify.MilpData` directly. Variable
declarations follow formulation-bench 0.5.0's code generator: ``lb=-inf`` unless binary
(bounds are stated as constraints), ``addVars`` names ``x[i,j]``.

Run: ``.venv/bin/python bench/verify_formulation_bench.py`` (reads
``$OPTISCRIBE_SHARED_DATA/equivalence/formulation-bench``, default ``../shared/data`` beside the repository).
"""

from __future__ import annotations

import itertools
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import scipy.sparse as sp

from optiscribe.data.benchmarks import shared_data_dir
from optiscribe.data.errors import DataError
from optiscribe.verify import MilpData, check

try:  # $OPTISCRIBE_SHARED_DATA or ../shared/data beside the repository
    SHARED = shared_data_dir()
except DataError:  # the runs need it; importing the helpers (tests) does not
    SHARED = Path("shared-data-not-found")
FB = SHARED / "equivalence" / "formulation-bench"


# ------------------------------------------------------------------ gurobipy stand-in


class Expr:
    __slots__ = ("const", "terms")

    def __init__(self, terms: dict[int, float] | None = None, const: float = 0.0) -> None:
        self.terms = terms or {}
        self.const = const

    @staticmethod
    def of(x: Any) -> Expr:
        if isinstance(x, Expr):
            return x
        if isinstance(x, Var):
            return Expr({x.idx: 1.0})
        return Expr({}, float(x))

    def __add__(self, o: Any) -> Expr:
        o = Expr.of(o)
        t = dict(self.terms)
        for k, v in o.terms.items():
            t[k] = t.get(k, 0.0) + v
        return Expr(t, self.const + o.const)

    __radd__ = __add__

    def __neg__(self) -> Expr:
        return Expr({k: -v for k, v in self.terms.items()}, -self.const)

    def __sub__(self, o: Any) -> Expr:
        return self + (-Expr.of(o))

    def __rsub__(self, o: Any) -> Expr:
        return Expr.of(o) - self

    def __mul__(self, o: Any) -> Expr:
        if isinstance(o, (Expr, Var)):
            oe = Expr.of(o)
            if oe.terms and self.terms:
                raise TypeError("quadratic term")
            if self.terms:
                return self * oe.const
            return oe * self.const
        f = float(o)
        return Expr({k: v * f for k, v in self.terms.items()}, self.const * f)

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> Expr:
        return self * (1.0 / float(o))

    def __le__(self, o: Any) -> tuple[Expr, str]:
        return (self - o, "<=")

    def __ge__(self, o: Any) -> tuple[Expr, str]:
        return (self - o, ">=")

    def __eq__(self, o: Any) -> tuple[Expr, str]:  # type: ignore[override]
        return (self - o, "==")

    __hash__ = None  # type: ignore[assignment]


class Var(Expr):
    __slots__ = ("idx",)

    def __init__(self, idx: int) -> None:
        super().__init__({idx: 1.0}, 0.0)
        self.idx = idx

    def __hash__(self) -> int:  # type: ignore[override]
        return self.idx


class TupleDict(dict):
    def sum(self, *pattern: Any) -> Expr:
        return quicksum(self.values())


def quicksum(it: Any) -> Expr:
    out = Expr()
    t = out.terms
    for x in it:
        e = Expr.of(x)
        for k, v in e.terms.items():
            t[k] = t.get(k, 0.0) + v
        out.const += e.const
    return out


GRB = SimpleNamespace(
    MINIMIZE=1,
    MAXIMIZE=-1,
    INFINITY=float("inf"),
    CONTINUOUS="C",
    INTEGER="I",
    BINARY="B",
    EQUAL="==",
    LESS_EQUAL="<=",
    GREATER_EQUAL=">=",
)


class ShimModel:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.vtype: list[str] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []
        self.obj = Expr()
        self.sense = 1

    def addVar(
        self,
        lb: float = 0.0,
        ub: float = float("inf"),
        obj: float = 0.0,
        vtype: str = "C",
        name: str = "",
    ) -> Var:
        idx = len(self.names)
        self.names.append(name or f"C{idx}")
        if vtype == "B":
            lb, ub = max(lb, 0.0), min(ub, 1.0)
        self.lb.append(lb)
        self.ub.append(ub)
        self.vtype.append(vtype)
        return Var(idx)

    def addVars(
        self,
        *dims: Any,
        lb: float = 0.0,
        ub: float = float("inf"),
        vtype: str = "C",
        name: str = "",
    ) -> TupleDict:
        if len(dims) == 1 and isinstance(dims[0], (list, tuple)) and not isinstance(dims[0], int):
            keys = list(dims[0])
        else:
            keys = list(
                itertools.product(*[range(d) if isinstance(d, int) else list(d) for d in dims])
            )
            if len(dims) == 1:
                keys = [k[0] for k in keys]
        out = TupleDict()
        for k in keys:
            label = ",".join(str(x) for x in (k if isinstance(k, tuple) else (k,)))
            out[k] = self.addVar(lb=lb, ub=ub, vtype=vtype, name=f"{name}[{label}]")
        return out

    def addConstr(self, c: Any, name: str = "") -> None:
        if isinstance(c, bool):
            if not c:
                raise ValueError("constant constraint is false")
            return
        expr, sense = c
        rhs = -expr.const
        lo, hi = {"<=": (-np.inf, rhs), ">=": (rhs, np.inf), "==": (rhs, rhs)}[sense]
        self.rows.append((expr.terms, lo, hi))

    def addConstrs(self, gen: Any, name: str = "") -> None:
        for c in gen:
            self.addConstr(c)

    def setObjective(self, e: Any, sense: int = 1) -> None:
        self.obj = Expr.of(e)
        self.sense = sense

    def update(self) -> None:
        return None

    def to_milp(self, source: str) -> MilpData:
        n = len(self.names)
        r, cidx, val = [], [], []
        lo, hi = [], []
        for i, (terms, lo_i, h) in enumerate(self.rows):
            for k, v in terms.items():
                if v != 0:
                    r.append(i)
                    cidx.append(k)
                    val.append(v)
            lo.append(lo_i)
            hi.append(h)
        A = sp.csr_array((val, (r, cidx)), shape=(len(self.rows), n))
        c = np.zeros(n)
        for k, v in self.obj.terms.items():
            c[k] += v
        return MilpData.build(
            c=c,
            A=A,
            row_lower=lo,
            row_upper=hi,
            col_lower=self.lb,
            col_upper=self.ub,
            integer=[t != "C" for t in self.vtype],
            sense=self.sense,
            offset=self.obj.const,
            var_names=self.names,
            source=source,
        )


# ------------------------------------------------------------------ instantiation


def _declare(model: ShimModel, name: str, var: dict[str, Any], ns: dict[str, Any]) -> Any:
    vtype = {"continuous": "C", "integer": "I", "binary": "B"}[var["type"]]
    lb = 0.0 if vtype == "B" else -float("inf")
    if var.get("indices"):
        keys = eval(f"[{var['indices']}]", ns)
        return model.addVars(keys, lb=lb, vtype=vtype, name=name)
    shape = var.get("shape") or []
    if not shape:
        return model.addVar(lb=lb, vtype=vtype, name=name)
    if any("[" in str(d) for d in shape):
        # ragged: "cap[nV]" means range(cap[v]) for each index of dimension nV
        dims = []
        for d in shape:
            if "[" in str(d):
                arr, outer = str(d).split("[")
                dims.append(("ragged", arr, outer.rstrip("]")))
            else:
                dims.append(("plain", int(eval(str(d), ns)), str(d)))
        out: dict[Any, Any] = {}

        def rec(prefix: tuple[Any, ...], k: int) -> None:
            if k == len(dims):
                key = prefix if len(prefix) > 1 else prefix[0]
                out[key] = model.addVar(
                    lb=lb, vtype=vtype, name=f"{name}_{'_'.join(str(x) for x in prefix)}"
                )
                return
            kind, a, b = dims[k]
            if kind == "plain":
                rng = range(a)
            else:
                pos = [dd[2] for dd in dims].index(b)
                rng = range(ns[a][prefix[pos]])
            for x in rng:
                rec((*prefix, x), k + 1)

        rec((), 0)
        return out
    sizes = [int(eval(str(d), ns)) for d in shape]
    return model.addVars(*sizes, lb=lb, vtype=vtype, name=name)


def build(problem: int, formulation: str, params: dict[str, Any]) -> MilpData:
    """Instantiate one formulation with the given parameter values."""
    f = json.loads(
        (
            FB / "problems" / f"p{problem}" / "formulations" / formulation / "formulation.json"
        ).read_text()
    )
    model = ShimModel()
    gp = SimpleNamespace(quicksum=quicksum, GRB=GRB, Model=ShimModel)
    ns: dict[str, Any] = {
        "gp": gp,
        "GRB": GRB,
        "quicksum": quicksum,
        "math": math,
        "model": model,
        "Model": ShimModel,
    }
    for imp in f.get("imports", []):
        exec(imp, ns)
    ns.update(params)
    for d in (f.get("definitions") or {}).values():
        exec(d["code"]["python"], ns)
    for name, var in f["variables"].items():
        ns[name] = _declare(model, name, var, ns)
    for c in f["constraints"]:
        code = c["code"].get("gurobipy", "")
        if code:
            exec(code, ns)
    exec(f["objective"]["code"]["gurobipy"], ns)
    return model.to_milp(f"p{problem}/{formulation}")


def pair_params(problem: int, a: str, b: str) -> tuple[dict[str, Any], dict[str, Any]]:
    data = json.loads((FB / "problems" / f"p{problem}" / "data.json").read_text())
    mp = json.loads((FB / "reformulations" / f"p{problem}" / f"{a}_{b}" / "map.json").read_text())
    ns: dict[str, Any] = {"math": math}
    ns.update(data)
    for d in (mp.get("definitions") or {}).values():
        exec(d["code"]["python"], ns)
    pb: dict[str, Any] = {}
    for name, d in mp["parameters"].items():
        exec(d["code"]["python"], ns)
        pb[name] = ns[name]
    return dict(data), pb


def family(problem: int, formulation: str) -> str:
    f = json.loads(
        (
            FB / "problems" / f"p{problem}" / "formulations" / formulation / "formulation.json"
        ).read_text()
    )
    src = f.get("metadata", {}).get("source", {})
    if src.get("dataset") == "EquivaFormulation":
        return {
            "c": "rename",
            "d": "digits",
            "f": "objective variable",
            "g": "slack",
            "h": "split variables",
            "i": "objective scaling",
            "j": "unrelated",
            "k": "unrelated, same optimum",
            "l": "constraints removed",
        }.get(src.get("variation_id", ""), src.get("variation_id", "?"))
    return f"{src.get('dataset', '?')} alternative"


def pairs() -> list[dict[str, Any]]:
    return json.loads((FB / "dataset.json").read_text())["reformulations"]


def evaluate(
    levels: tuple[str, ...] = ("strict", "normalized"),
    *,
    time_limit: float = 10.0,
    verbose: bool = False,
) -> list[dict[str, Any]]:
    """Check every labelled pair at every level; one record per (pair, level)."""
    rows = []
    for pr in pairs():
        p, a, b = pr["a"]["problem"], pr["a"]["formulation"], pr["b"]["formulation"]
        fam = family(p, b)
        try:
            pa, pb = pair_params(p, a, b)
            ma, mb = build(p, a, pa), build(p, b, pb)
            err = ""
        except Exception as exc:  # research data: record and move on
            ma = mb = None
            err = f"{type(exc).__name__}: {exc}"
        for level in levels:
            if ma is None:
                rows.append(
                    dict(
                        problem=p,
                        a=a,
                        b=b,
                        label=pr["reformulation"],
                        family=fam,
                        level=level,
                        verdict="build error",
                        seconds=0.0,
                        reason=err,
                    )
                )
                continue
            t = time.perf_counter()
            r = check(ma, mb, level=level, time_limit=time_limit)
            rows.append(
                dict(
                    problem=p,
                    a=a,
                    b=b,
                    label=pr["reformulation"],
                    family=fam,
                    level=level,
                    verdict=r.verdict.value,
                    seconds=time.perf_counter() - t,
                    reason=r.reason[:160],
                )
            )
            if verbose:
                print(p, a, b, fam, level, r.verdict.value, r.reason[:100], flush=True)
    return rows


def main() -> None:
    if not FB.exists():
        sys.exit(f"FormulationBench not found at {FB}; set OPTISCRIBE_SHARED_DATA.")
    rows = evaluate(verbose="-v" in sys.argv)
    table: dict[tuple[str, bool, str], list[str]] = defaultdict(list)
    for r in rows:
        table[(r["family"], r["label"], r["level"])].append(r["verdict"])
    print("| family | label | pairs | strict: equivalent | normalized: equivalent |")
    print("| --- | --- | --- | --- | --- |")
    fams = sorted({(k[0], k[1]) for k in table}, key=lambda x: (not x[1], x[0]))
    for fam, label in fams:
        s = table[(fam, label, "strict")]
        nrm = table[(fam, label, "normalized")]
        print(
            f"| {fam} | {'positive' if label else 'negative'} | {len(s)} | "
            f"{s.count('equivalent')} | {nrm.count('equivalent')} |"
        )
    false_eq = [r for r in rows if not r["label"] and r["verdict"] == "equivalent"]
    errors = [r for r in rows if r["verdict"] == "build error"]
    print(
        f"\nfalse EQUIVALENT on negative pairs: {len(false_eq)}; build errors: {len(errors) // 2}"
    )
    for r in errors[::2]:
        print("  build error:", r["problem"], r["a"], r["b"], r["reason"][:120])
    secs = [r["seconds"] for r in rows if r["verdict"] != "build error"]
    print(f"median check time {np.median(secs) * 1000:.2f} ms, max {max(secs) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
