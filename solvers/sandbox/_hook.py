"""Code-mode hook, loaded into the sandbox before the generated code runs.

LLM-written solver code (LLMOPT, ORLM and friends) names whatever solver its training
data used: ``SolverFactory('glpk')``, ``'cbc'``, ``'gurobi'``... None of those binaries
exist here, and we want one solver anyway so results are comparable. This hook:

* makes Pyomo's legacy ``SolverFactory`` return a HiGHS stand-in for every LP/MILP
  solver name (``glpk``, ``cbc``, ``gurobi``, ``cplex``, ``highs``, ``appsi_highs``...);
  the stand-in writes the model as MPS (``symbolic_solver_labels=True``) before it
  solves, so ``verify`` can compare the model the code *built*, not only its output;
* wraps OR-Tools ``pywraplp.Solver.Solve`` the same way (MPS via
  ``ExportModelAsMpsFormat``) and maps unavailable commercial ``CreateSolver`` ids to SCIP;
* emits one ``{"event": "solve", ...}`` JSON line per solve on the sandbox channel.

The patches are applied when the target module is imported (a ``sys.meta_path`` finder),
or at once if it already is (warm workers preload Pyomo). Standard library only at
import time: Pyomo and OR-Tools are touched only when the generated code imports them.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import os
import sys
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

#: Pyomo solver names (lower case, ``appsi_`` prefix removed) that are redirected to HiGHS.
REDIRECTED_PYOMO_SOLVERS = frozenset(
    {
        "glpk",
        "cbc",
        "gurobi",
        "gurobi_direct",
        "gurobi_persistent",
        "cplex",
        "cplex_direct",
        "cplex_persistent",
        "xpress",
        "xpress_direct",
        "xpress_persistent",
        "scip",
        "highs",
        "copt",
        "copt_direct",
        "copt_persistent",
        "mosek",
        "mosek_direct",
        "mosek_persistent",
        "gams",
        "baron",
        "lpsolve",
        "clp",
        "glop",
    }
)
#: Option names LLM code uses for a time limit / a relative MIP gap, per solver dialect.
_TIME_OPTIONS = {"tmlim", "timelimit", "time_limit", "seconds", "sec", "timelim", "maxtime"}
_GAP_OPTIONS = {"mipgap", "mip_gap", "ratiogap", "mip_rel_gap", "ratio", "mipgaprel", "relgap"}
MAX_REPORTED_VALUES = 5000

_channel_fd: int | None = None
_models_dir: str | None = None
_counter = 0
_installed = False


def configure(*, channel_fd: int, models_dir: str) -> None:
    """Point the hook at this job's channel and model folder (called in every job child)."""
    global _channel_fd, _models_dir, _counter
    _channel_fd, _models_dir, _counter = channel_fd, models_dir, 0


def _emit(event: dict[str, Any]) -> None:
    if _channel_fd is None:
        return
    try:
        os.write(_channel_fd, (json.dumps(event, default=str) + "\n").encode())
    except OSError:
        pass


def _next_model_path(prefix: str) -> tuple[int, str | None]:
    global _counter
    _counter += 1
    if _models_dir is None:
        return _counter, None
    os.makedirs(_models_dir, exist_ok=True)
    return _counter, os.path.join(_models_dir, f"{prefix}_{_counter}.mps")


def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if v == v and abs(v) != float("inf") else None


# ---------------------------------------------------------------- Pyomo


class HighsStandIn:
    """Answers to the legacy Pyomo solver API, solves with HiGHS, captures the model.

    Solver-specific options are translated where the meaning is unambiguous (time
    limit, relative MIP gap) and otherwise ignored and reported, because raw GLPK/Gurobi
    option names mean nothing to HiGHS.
    """

    def __init__(self, requested: str, make_highs: Callable[[], Any]) -> None:
        self.name = requested
        self.requested = requested
        self._make_highs = make_highs
        self.options: dict[str, Any] = {}

    # legacy API surface LLM code touches
    def available(self, exception_flag: bool = True) -> bool:
        return True

    def license_is_valid(self) -> bool:
        return True

    def version(self) -> tuple[int, ...]:
        return (1, 12, 0)

    def warm_start_capable(self) -> bool:
        return False

    def set_options(self, opts: Any) -> None:
        if isinstance(opts, str):
            for item in opts.split():
                key, _, val = item.partition("=")
                self.options[key] = val
        elif isinstance(opts, dict):
            self.options.update(opts)

    def __enter__(self) -> HighsStandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def solve(self, *args: Any, **kwds: Any) -> Any:
        # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
        import pyomo.environ as pyo

        model = args[0] if args else kwds.pop("model")
        tee = bool(kwds.pop("tee", False))
        load = kwds.pop("load_solutions", True)
        timelimit = kwds.pop("timelimit", None)
        options = dict(self.options)
        options.update(kwds.pop("options", None) or {})
        raw: dict[str, Any] = {}
        ignored = []
        for key, val in options.items():
            low = str(key).lower()
            if low in _TIME_OPTIONS and _finite(val) is not None:
                timelimit = float(val)
            elif low in _GAP_OPTIONS and _finite(val) is not None:
                raw["mip_rel_gap"] = float(val)
            else:
                ignored.append(str(key))
        ignored += sorted(
            k
            for k in kwds
            if k
            not in (
                "symbolic_solver_labels",
                "keepfiles",
                "report_timing",
                "warmstart",
                "suffixes",
                "logfile",
                "solnfile",
            )
        )

        index, mps_path = _next_model_path("model")
        report: dict[str, Any] = {
            "event": "solve",
            "index": index,
            "api": "pyomo",
            "requested_solver": self.requested,
            "solver": "highs",
            "ignored_options": ignored,
            "mps": None,
            "mps_error": None,
        }
        if mps_path is not None:
            try:
                model.write(mps_path, format="mps", io_options={"symbolic_solver_labels": True})
                report["mps"] = os.path.basename(mps_path)
            except Exception as exc:
                report["mps_error"] = f"{type(exc).__name__}: {exc}"[:300]
        t0 = time.monotonic()
        inner = self._make_highs()
        try:
            results = inner.solve(
                model,
                tee=tee,
                load_solutions=False,
                timelimit=timelimit,
                solver_options=raw or None,
                raise_exception_on_nonoptimal_result=False,
            )
        except Exception as exc:
            report.update(termination="error", error=f"{type(exc).__name__}: {exc}"[:300])
            _emit(report)
            raise
        has_solution = len(results.solution) > 0
        if has_solution and load:
            model.solutions.load_from(results)
        report["termination"] = str(results.solver.termination_condition)
        report["status"] = str(results.solver.status)
        report["wall_s"] = round(time.monotonic() - t0, 4)
        objective = None
        if has_solution:
            objs = list(model.component_data_objects(pyo.Objective, active=True))
            if load and len(objs) == 1:
                objective = _finite(pyo.value(objs[0], exception=False))
            else:
                prob = results.problem
                bound = prob.upper_bound if prob.sense == pyo.minimize else prob.lower_bound
                objective = _finite(bound)
        report["objective"] = objective
        values: dict[str, float] = {}
        if has_solution and load:
            for var in model.component_data_objects(pyo.Var, descend_into=True):
                if len(values) >= MAX_REPORTED_VALUES:
                    report["values_truncated"] = True
                    break
                v = _finite(var.value)
                if v is not None:
                    values[var.name] = v
        report["values"] = values
        _emit(report)
        return results


def _patch_pyomo(module: ModuleType) -> None:
    """Patch ``SolverFactoryClass.__call__`` (the class, so every alias of the factory sees it)."""
    cls = module.SolverFactoryClass
    if getattr(cls.__call__, "_optiscribe_patched", False):
        return
    original = cls.__call__

    def __call__(self: Any, _name: Any = None, **kwds: Any) -> Any:
        if _name is None:
            return original(self, _name, **kwds)
        name = str(_name).split(":")[0].lower()
        base = name[len("appsi_") :] if name.startswith("appsi_") else name
        if base in REDIRECTED_PYOMO_SOLVERS:
            return HighsStandIn(str(_name), lambda: original(self, "highs"))
        return original(self, _name, **kwds)

    __call__._optiscribe_patched = True  # type: ignore[attr-defined]
    cls.__call__ = __call__


# ---------------------------------------------------------------- OR-Tools pywraplp

_PYWRAPLP_STATUS = {
    0: "optimal",
    1: "feasible",
    2: "infeasible",
    3: "unbounded",
    4: "abnormal",
    5: "model_invalid",
    6: "not_solved",
}
_COMMERCIAL_IDS = {
    "GUROBI",
    "GUROBI_MIXED_INTEGER_PROGRAMMING",
    "GUROBI_LINEAR_PROGRAMMING",
    "CPLEX",
    "CPLEX_MIXED_INTEGER_PROGRAMMING",
    "XPRESS",
    "GLPK",
    "COPT",
}


def _patch_pywraplp(module: ModuleType) -> None:
    solver_cls = module.Solver
    if getattr(solver_cls.Solve, "_optiscribe_patched", False):
        return
    original_solve = solver_cls.Solve
    original_create = solver_cls.CreateSolver

    def Solve(self: Any, *args: Any) -> Any:
        index, mps_path = _next_model_path("pywraplp")
        report: dict[str, Any] = {
            "event": "solve",
            "index": index,
            "api": "pywraplp",
            "requested_solver": getattr(self, "_optiscribe_requested", None),
            "solver": self.SolverVersion(),
            "mps": None,
            "mps_error": None,
        }
        if mps_path is not None:
            try:
                with open(mps_path, "w", encoding="utf-8") as fh:
                    fh.write(self.ExportModelAsMpsFormat(False, False))
                report["mps"] = os.path.basename(mps_path)
            except Exception as exc:
                report["mps_error"] = f"{type(exc).__name__}: {exc}"[:300]
        t0 = time.monotonic()
        status = original_solve(self, *args)
        report["wall_s"] = round(time.monotonic() - t0, 4)
        report["termination"] = _PYWRAPLP_STATUS.get(int(status), str(status))
        ok = int(status) in (0, 1)
        report["objective"] = _finite(self.Objective().Value()) if ok else None
        values: dict[str, float] = {}
        if ok:
            for var in self.variables()[:MAX_REPORTED_VALUES]:
                values[var.name()] = float(var.solution_value())
        report["values"] = values
        _emit(report)
        return status

    def CreateSolver(solver_id: str, *args: Any) -> Any:
        solver = original_create(solver_id, *args)
        if solver is None and str(solver_id).upper() in _COMMERCIAL_IDS:
            solver = original_create("SCIP", *args)
        if solver is not None:
            solver._optiscribe_requested = str(solver_id)
        return solver

    Solve._optiscribe_patched = True  # type: ignore[attr-defined]
    solver_cls.Solve = Solve
    solver_cls.CreateSolver = staticmethod(CreateSolver)


# ---------------------------------------------------------------- post-import patching

_PATCHES: dict[str, Callable[[ModuleType], None]] = {
    "pyomo.opt.base.solvers": _patch_pyomo,
    "ortools.linear_solver.pywraplp": _patch_pywraplp,
}


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader, patch: Callable[[ModuleType], None]) -> None:
        self._inner = inner
        self._patch = patch

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        self._patch(module)


class _PatchingFinder(importlib.abc.MetaPathFinder):
    """Finds the target modules through the other finders and wraps their loader."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        patch = _PATCHES.get(fullname)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _PatchingLoader(spec.loader, patch)
                return spec
        return None


def install() -> None:
    """Patch the already-imported targets now and the others when they get imported."""
    global _installed
    if _installed:
        return
    _installed = True
    for name, patch in _PATCHES.items():
        if name in sys.modules:
            patch(sys.modules[name])
    sys.meta_path.insert(0, _PatchingFinder())
    install_dialects()


# ---------------------------------------------------------------- solver-API dialects

#: ``import gurobipy`` / ``import coptpy`` -> file under ``dialects/`` (HiGHS-backed layers).
#: Read at install time: once the sandbox is entered, Landlock may forbid reading the repo.
_DIALECT_FILES = {
    "gurobipy": "_grb.py",
    "coptpy": "_copt.py",
    "_optiscribe_dialect_grb": "_grb.py",
}
_dialect_sources: dict[str, tuple[str, str]] = {}


class _DialectLoader(importlib.abc.Loader):
    def __init__(self, path: str, source: str) -> None:
        self._path, self._source = path, source

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        module.__file__ = self._path
        exec(compile(self._source, self._path, "exec"), module.__dict__)


class _DialectFinder(importlib.abc.MetaPathFinder):
    """Answers ``gurobipy``/``coptpy`` imports with the dialect layers, never the real ones."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        found = _dialect_sources.get(fullname)
        if found is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _DialectLoader(*found), origin=found[0])


def install_dialects() -> None:
    """Read the dialect sources now and answer their imports from then on."""
    if _dialect_sources:
        return
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dialects")
    for name, file in _DIALECT_FILES.items():
        path = os.path.join(folder, file)
        try:
            with open(path, encoding="utf-8") as fh:
                _dialect_sources[name] = (path, fh.read())
        except OSError:
            continue
    sys.meta_path.insert(0, _DialectFinder())
