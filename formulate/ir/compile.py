"""Compile a checked formulation into a Pyomo ``ConcreteModel``.

Deterministic (sets, variables and rows in declaration and iteration order) and
name-preserving: the set ``I`` becomes ``m.I``, the variable ``x`` indexed by ``I``
becomes ``m.x`` with ``m.x['chairs']``, the constraint family ``capacity`` becomes
``m.capacity`` indexed by its quantifier's values, and the objective is ``m.objective``.
Solutions and equivalence witnesses therefore speak the model's own names
(``x[chairs]``, ``capacity[wood]``).

Expressions are built as Pyomo ``LinearExpression`` objects straight from the expanded
rows, which is much faster than rebuilding them term by term with operators.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from optiscribe.formulate.errors import CompileError
from optiscribe.formulate.ir.expand import ExpandedModel, expand

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from optiscribe.formulate.ir.model import Formulation

__all__ = ["compile_expanded", "compile_formulation", "write_mps"]


def compile_formulation(f: Formulation) -> pyo.ConcreteModel:
    """Check and compile ``f``; raises ``FormulationValidationError`` on a bad model."""
    return compile_expanded(expand(f))


def _index(key: tuple[Any, ...]) -> Any:
    # Pyomo indexes one-dimensional components by the bare element, others by a tuple.
    return key[0] if len(key) == 1 else key


def compile_expanded(em: ExpandedModel) -> pyo.ConcreteModel:
    """Build the Pyomo model of an already expanded formulation."""
    # lazy: solver library, loaded at first use: `import optiscribe.solvers`/`verify` stay cheap
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    f = em.formulation
    m = pyo.ConcreteModel(name=f.name)
    try:
        for s in f.sets:
            info = em.sets[s.name]
            m.add_component(
                s.name,
                pyo.Set(
                    initialize=list(info.members), ordered=True, dimen=info.dimen, doc=s.description
                ),
            )

        domains = {"continuous": pyo.Reals, "integer": pyo.Integers, "binary": pyo.Binary}
        comps: dict[str, Any] = {}
        for v in f.variables:
            if v.index:
                var = pyo.Var(
                    *[m.component(n) for n in v.index], domain=domains[v.domain], doc=v.description
                )
            else:
                var = pyo.Var(domain=domains[v.domain], doc=v.description)
            m.add_component(v.name, var)
            comps[v.name] = var
            indexed = bool(v.index)
            for k in em.var_keys[v.name]:
                lo, hi = em.bounds[(v.name, k)]
                data = var[_index(k)] if indexed else var
                data.setlb(lo)
                data.setub(hi)

        def vardata(vk: tuple[str, tuple[Any, ...]]) -> Any:
            name, key = vk
            c = comps[name]
            return c[_index(key)] if key else c

        def linear(terms: Any, const: float = 0.0) -> Any:
            items = [(vardata(k), c) for k, c in terms.items() if c != 0.0]
            return LinearExpression(
                constant=const,
                linear_coefs=[c for _, c in items],
                linear_vars=[v for v, _ in items],
            )

        sense = pyo.minimize if f.objective.sense == "minimize" else pyo.maximize
        m.objective = pyo.Objective(
            expr=linear(em.objective.terms, em.objective.const),
            sense=sense,
            doc=f.objective.description,
        )

        by_family: dict[str, list[Any]] = {}
        for row in em.rows:
            by_family.setdefault(row.name, []).append(row)
        for c in f.constraints:
            rows = by_family.get(c.name, [])
            if c.for_each:
                con = pyo.Constraint(pyo.Any, doc=c.description)
                m.add_component(c.name, con)
                for row in rows:
                    con[_index(row.key)] = _bounded(linear(row.terms), row.lo, row.hi)
            elif rows:
                row = rows[0]
                m.add_component(
                    c.name,
                    pyo.Constraint(
                        expr=_bounded(linear(row.terms), row.lo, row.hi), doc=c.description
                    ),
                )
    except (ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise CompileError(f"Pyomo rejected the model {f.name!r}: {exc}") from exc
    return m


def _bounded(expr: Any, lo: float | None, hi: float | None) -> Any:
    if lo is not None and hi is not None and lo == hi:
        return expr == lo
    return (lo, expr, hi)


def write_mps(model: pyo.ConcreteModel, path: str | Path) -> Path:
    """Write ``model`` as free-format MPS with the model's own names (symbolic labels)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    model.write(str(p), format="mps", io_options={"symbolic_solver_labels": True})
    return p
