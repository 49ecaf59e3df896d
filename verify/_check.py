"""The decision procedure: :func:`check` and :func:`check_instances`."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from optiscribe.verify._canon import KIND_EQ, KIND_LE, Graph, _Numbers, label_pair, prepare
from optiscribe.verify._certify import HalfRowMap, verify_mapping
from optiscribe.verify._model import (
    MilpData,
    UnsupportedModelError,
    huge_bounds,
    with_infinite_huge_bounds,
)
from optiscribe.verify._names import display_map, might_be_mangled
from optiscribe.verify._normalize import normalize
from optiscribe.verify._read import ModelLike, read_model
from optiscribe.verify._refine import (
    SearchResult,
    Union,
    build_union,
    mapping_is_isomorphism,
    refine,
    sd_mapping,
    sd_status,
    search,
)
from optiscribe.verify._result import (
    Certificate,
    CheckResult,
    LazyMapping,
    Level,
    Verdict,
    Witness,
)
from optiscribe.verify._search import probe, search_incremental
from optiscribe.verify._solver import solver_opinion

__all__ = ["check", "check_instances"]


def check(
    reference: ModelLike,
    candidate: ModelLike,
    *,
    level: Level | str = Level.STRICT,
    rtol: float = 1e-9,
    exact: bool = False,
    max_search_nodes: int = 2000,
    time_limit: float = 30.0,
    second_opinion: bool = False,
    solver_time_limit: float = 10.0,
) -> CheckResult:
    """Decide whether two MILPs are the same model.

    Parameters
    ----------
    reference, candidate:
        A path (``.mps``, ``.mps.gz``, ``.lp``), a Pyomo ``ConcreteModel``, an object with
        ``to_pyomo()`` (our IR), or a :class:`MilpData`.
    level:
        ``"strict"`` (renaming, reordering and presentation only) or ``"normalized"``
        (also slack variables, objective-defining variables, objective scaling, fixed
        variables).
    rtol:
        Relative tolerance of the joint number clustering.
    exact:
        Compare numbers as exact rationals instead (for files from the same writer).
    max_search_nodes, time_limit:
        Budget of the exact search used when colour refinement cannot decide.
    second_opinion:
        Also solve both models with HiGHS and attach the comparison (weak evidence).

    Returns
    -------
    CheckResult
        Frozen; ``EQUIVALENT`` results carry a certificate that was re-verified on the
        models as read, ``NOT_EQUIVALENT`` results a witness in the models' names.

    Raises
    ------
    ModelReadError
        An input cannot be read (missing, empty, truncated, wrong format, NaN).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from optiscribe.verify import MilpData, check
    >>> a = MilpData.build(c=[1, 2], A=sp.csr_array(np.array([[1.0, 1.0]])),
    ...                    row_lower=[-np.inf], row_upper=[5], var_names=["x", "y"])
    >>> b = MilpData.build(c=[2, 1], A=sp.csr_array(np.array([[-1.0, -1.0]])),
    ...                    row_lower=[-5], row_upper=[np.inf], var_names=["v", "u"])
    >>> r = check(a, b)
    >>> r.verdict.value, dict(r.certificate.variables)
    ('equivalent', {'x': 'u', 'y': 'v'})
    """
    lvl = Level(level)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        ma = read_model(reference, name="reference")
        mb = read_model(candidate, name="candidate")
    except UnsupportedModelError as exc:
        timings["read"] = time.perf_counter() - t0
        return CheckResult(
            Verdict.UNSUPPORTED, lvl, str(exc), timings=MappingProxyType(timings), method="read"
        )
    t1 = time.perf_counter()
    timings["read"] = t1 - t0
    if ma.inexact or mb.inexact:
        # never a verdict on a model that differs from its file
        why = "; ".join(ma.inexact + mb.inexact)
        result = CheckResult(
            Verdict.UNKNOWN,
            lvl,
            f"undecided: the model as read may differ from the file ({why}).",
            steps=tuple(f"reference: {s}" for s in ma.read_steps)
            + tuple(f"candidate: {s}" for s in mb.read_steps),
            method="read",
        )
    else:
        result = _decide(
            ma,
            mb,
            lvl,
            rtol=rtol,
            exact=exact,
            max_search_nodes=max_search_nodes,
            deadline=t0 + time_limit,
            timings=timings,
        )
        if result.verdict is Verdict.NOT_EQUIVALENT and (huge_bounds(ma) or huge_bounds(mb)):
            result = _huge_bound_verdict(result, ma, mb, lvl, rtol, exact, max_search_nodes)
    if second_opinion:
        ts = time.perf_counter()
        op = solver_opinion(ma, mb, time_limit=solver_time_limit)
        timings["solver"] = time.perf_counter() - ts
        result = _replace(result, second_opinion=op)
    timings["total"] = time.perf_counter() - t0
    return _replace(result, timings=MappingProxyType(dict(timings)))


def _huge_bound_verdict(
    result: CheckResult,
    ma: MilpData,
    mb: MilpData,
    lvl: Level,
    rtol: float,
    exact: bool,
    max_search_nodes: int,
) -> CheckResult:
    """A ``NOT_EQUIVALENT`` between models with bounds of magnitude >= 1e20 (kept finite
    as written) stands only if the models also differ when such bounds are infinite, as
    HiGHS and CPLEX read them; otherwise the answer depends on the solver: ``UNKNOWN``."""
    alt = _decide(
        with_infinite_huge_bounds(ma),
        with_infinite_huge_bounds(mb),
        lvl,
        rtol=rtol,
        exact=exact,
        max_search_nodes=max_search_nodes,
        deadline=time.perf_counter() + 10.0,
        timings={},
    )
    if alt.verdict is Verdict.NOT_EQUIVALENT:
        return result
    return _replace(
        result,
        verdict=Verdict.UNKNOWN,
        reason=(
            f"undecided: with bounds of magnitude >= 1e20 read as the finite numbers "
            f"written, {result.reason}; read as infinite (HiGHS and CPLEX do so, Gurobi "
            f"does not) the models are {alt.verdict.value.replace('_', ' ')}. Write "
            f"infinite bounds as 'inf' (or omit them) to decide"
        ),
        witness=None,
    )


def _replace(r: CheckResult, **kw: Any) -> CheckResult:
    return dataclasses.replace(r, **kw)


def _decide(
    ma: MilpData,
    mb: MilpData,
    lvl: Level,
    *,
    rtol: float,
    exact: bool,
    max_search_nodes: int,
    deadline: float,
    timings: dict[str, float],
) -> CheckResult:
    t = time.perf_counter()
    steps: list[str] = [f"reference: {s}" for s in ma.read_steps]
    steps += [f"candidate: {s}" for s in mb.read_steps]
    elim_a: tuple[str, ...] = ()
    elim_b: tuple[str, ...] = ()
    if lvl is Level.NORMALIZED:
        ra, rb = normalize(ma), normalize(mb)
        ma, mb = ra.model, rb.model
        elim_a, elim_b = ra.eliminated, rb.eliminated
        steps += [f"reference: {s}" for s in ra.steps] + [f"candidate: {s}" for s in rb.steps]
    pa, pb = prepare(ma), prepare(mb)
    ga, gb, numbers = label_pair(pa, pb, rtol=rtol, exact=exact)
    steps += [f"reference: {s}" for s in ga.steps] + [f"candidate: {s}" for s in gb.steps]
    timings["canonicalise"] = time.perf_counter() - t
    st = tuple(steps)

    def out(verdict: Verdict, reason: str, method: str, **kw: Any) -> CheckResult:
        return CheckResult(verdict, lvl, reason, steps=st + tuple(extra), method=method, **kw)

    extra: list[str] = []

    # cheap invariants
    wit = _invariant_witness(ga, gb, numbers)
    if wit is not None:
        if wit.stage == "size":
            # the counts alone show one side; the label classes show a row or variable
            # of each model in its own numbers (the histograms must differ somewhere)
            ul = build_union(ga, gb)
            hw = _histogram_witness(ul, ul.init, 0, numbers, _Display(ma, mb))
            wit = dataclasses.replace(
                hw,
                stage="size",
                message=f"{wit.message}; {hw.message}",
                reference_count=wit.reference_count,
                candidate_count=wit.candidate_count,
            )
        return out(Verdict.NOT_EQUIVALENT, wit.message, "invariants", witness=wit)
    t = time.perf_counter()
    u = build_union(ga, gb)
    r = refine(u)
    timings["refine"] = time.perf_counter() - t
    extra.append(f"colour refinement: {_PATHS.get(r.path, r.path)}")
    if r.diverged:
        wit = _histogram_witness(u, r.colours, r.diverged_at, numbers, _Display(ma, mb))
        return out(Verdict.NOT_EQUIVALENT, wit.message, "colour refinement", witness=wit)
    t = time.perf_counter()
    method = "discrete"
    tol = 1e-12 if exact else max(16 * rtol, 1e-12)
    pre: tuple[Any, ...] | None = None  # (original-index mapping, ok, why) if verified
    t_pre = 0.0
    nodes = 0
    mapping: np.ndarray | None = None
    if r.discrete:
        # the only colour-preserving bijection; it goes straight to the independent
        # re-verification below (which alone can make it EQUIVALENT). Only if that fails
        # is it checked on the canonical graphs, to tell "the models differ" (the forced
        # bijection is no isomorphism) from "numbers agree only up to the tolerance".
        mapping = _discrete_mapping(u, r.colours)
    else:
        # highly symmetric (few colours): pairing whole cells usually finds an
        # isomorphism at once, and then the symmetric-decomposition test (a connected-
        # components pass over the whole union) is not needed; both orders are sound
        early = (
            probe(u, r.colours, max_nodes=max_search_nodes, deadline=deadline)
            if 4 * (int(r.colours.max()) + 1) < u.n
            else None
        )
        if isinstance(early, SearchResult):
            method, mapping, nodes = "search", early.mapping, early.nodes
        else:
            sd_a, sd_b, comp = sd_status(u, r.colours)
            if sd_a and sd_b:
                method = "symmetric-decomposable"
                mapping = sd_mapping(u, r.colours, comp)
                if mapping is not None:
                    # as on the discrete path: the independent re-verification first; the
                    # check on the canonical graphs only if that fails, to tell "not an
                    # isomorphism: search" from "numbers agree only up to the tolerance"
                    tv = time.perf_counter()
                    conv = _to_original(u, mapping)
                    pre = (conv, *verify_mapping(ma, mb, conv[0], conv[2], tol=tol))
                    t_pre = time.perf_counter() - tv
                    if not pre[1] and not mapping_is_isomorphism(u, mapping):
                        mapping, pre, t_pre = None, None, 0.0
            elif sd_a != sd_b:
                which = "reference" if sd_a else "candidate"
                other = "candidate" if sd_a else "reference"
                msg = (
                    f"the {which}'s stable colouring is symmetric-decomposable and the "
                    f"{other}'s is not; this property is preserved by isomorphism, so the "
                    f"models differ in how their symmetric parts are wired (colour refinement "
                    f"alone cannot see it)"
                )
                wit = Witness("symmetric decomposition", msg, round=r.rounds)
                timings["decide"] = time.perf_counter() - t
                return out(Verdict.NOT_EQUIVALENT, msg, "symmetric decomposition", witness=wit)
            if mapping is None:
                method = "search"
                s = search_incremental(
                    u, r.colours, max_nodes=max_search_nodes, deadline=deadline, probed=early
                ) or search(u, r.colours, max_nodes=max_search_nodes, deadline=deadline)
                nodes = s.nodes
                if s.exhausted:
                    msg = (
                        f"colour refinement gives equal histograms, but an exhaustive "
                        f"individualisation-refinement search ({s.nodes} nodes) finds no "
                        f"isomorphism: the models are wired differently"
                    )
                    wit = Witness("search", msg, round=r.rounds)
                    timings["decide"] = time.perf_counter() - t
                    return out(Verdict.NOT_EQUIVALENT, msg, "search", witness=wit)
                mapping = s.mapping
                if mapping is None:
                    timings["decide"] = time.perf_counter() - t
                    return out(
                        Verdict.UNKNOWN,
                        f"undecided: {s.reason} (colour histograms are equal;"
                        f" raise max_search_nodes/time_limit to continue)",
                        "search",
                    )
    timings["decide"] = time.perf_counter() - t
    t = time.perf_counter()
    assert mapping is not None
    # the search path has already checked the mapping with mapping_is_isomorphism (the
    # discrete and SD ones do so only if re-verification fails); the independent
    # re-verification always runs (for SD, above) and alone can give EQUIVALENT
    if pre is not None:  # already re-verified (SD path)
        (var_map, row_map, rows), ok, why = pre
        timings["decide"] -= t_pre
    else:
        var_map, row_map, rows = _to_original(u, mapping)
        ok, why = verify_mapping(ma, mb, var_map, rows, tol=tol)
    timings["verify"] = time.perf_counter() - t + t_pre
    if not ok and method == "discrete" and not mapping_is_isomorphism(u, mapping):
        # the only colour-preserving bijection fails, so the models differ; refine to
        # the end to say where
        r2 = refine(u, r.colours, stop_when_discrete=False)
        timings["verify"] = time.perf_counter() - t
        if r2.diverged:
            wit = _histogram_witness(u, r2.colours, r.rounds + r2.rounds, numbers, _Display(ma, mb))
            return out(Verdict.NOT_EQUIVALENT, wit.message, "colour refinement", witness=wit)
        return out(
            Verdict.UNKNOWN,
            "internal error: a discrete stable colouring with equal "
            "histograms gave no isomorphism; please report this pair",
            "discrete",
        )
    if not ok:
        return out(
            Verdict.UNKNOWN,
            f"the mapping found by {method} failed re-verification on "
            f"the models as read ({why}); numbers may agree only up to the clustering "
            f"tolerance",
            method,
        )
    cert = _certificate(
        ma, mb, ga, gb, var_map, row_map, rows, method, r.rounds, nodes, elim_a, elim_b
    )
    return out(
        Verdict.EQUIVALENT,
        f"same model up to the {lvl.value} normalisations ({method}; certificate verified)",
        method,
        certificate=cert,
    )


_PATHS = {
    "hash": "64-bit multiset hashing (its histograms and forced bijections need no "
    "equitability check)",
    "hash, checked equitable": "64-bit multiset hashing, stable partition checked "
    "equitable (exact)",
    "exact (hash collision)": "hash collision detected, redone with exact sort-based refinement",
    "exact": "exact sort-based refinement",
}


# --------------------------------------------------------------------------- mapping helpers


def _discrete_mapping(u: Union, colours: np.ndarray) -> np.ndarray:
    # discrete with equal histograms: every colour 0..n_a-1 holds one node of each graph
    n_a = u.offsets[2]
    node_b = np.empty(n_a, dtype=np.int64)
    node_b[colours[n_a:]] = np.arange(n_a, u.n, dtype=np.int64)
    mapping: np.ndarray = node_b[colours[:n_a]]
    return mapping


def _to_original(u: Union, mapping: np.ndarray) -> tuple[np.ndarray, np.ndarray, HalfRowMap]:
    oa_v, oa_r, ob_v, ob_r = u.offsets
    ga, gb = u.ga, u.gb
    var_map = mapping[oa_v:oa_r] - ob_v
    row_map = mapping[oa_r:ob_v] - ob_r
    dup = []
    for g in (ga, gb):
        dup.append((g.dup_orig, g.dup_side, g.row_orig[g.dup_node], g.row_side[g.dup_node]))
    rows = HalfRowMap(
        pairs_ref_row=ga.row_orig,
        pairs_ref_side=ga.row_side,
        pairs_cand_row=gb.row_orig[row_map],
        pairs_cand_side=gb.row_side[row_map],
        dups_ref=dup[0],
        dups_cand=dup[1],
    )
    return var_map.astype(np.int64), row_map.astype(np.int64), rows


def _certificate(
    ma: MilpData,
    mb: MilpData,
    ga: Graph,
    gb: Graph,
    var_map: np.ndarray,
    row_map: np.ndarray,
    rows: HalfRowMap,
    method: str,
    rounds: int,
    nodes: int,
    elim_a: tuple[str, ...],
    elim_b: tuple[str, ...],
) -> Certificate:
    var_list = var_map.tolist()
    row_map = row_map.copy()
    rows_ref = (rows.pairs_ref_row.copy(), rows.pairs_ref_side.copy(), rows.pairs_cand_row.copy())
    fa, fb = np.asarray(ga.row_factor), np.asarray(gb.row_factor)

    def variables() -> dict[str, str]:
        vn_b = mb.var_names
        return dict(zip(ma.var_names, [vn_b[k] for k in var_list]))

    def constraints() -> dict[str, tuple[tuple[str, float], ...]]:
        cons: dict[str, list[tuple[str, float]]] = {}
        # factor f with (reference half-row) = f · (candidate half-row), from the row data:
        # canonical = fa * ref (as written) = fb * cand (as written) → ref = (fb / fa) cand
        fac = (fb[row_map] / fa).tolist()
        rn_a, rn_b = ma.row_names, mb.row_names
        for i, s, i2, f in zip(
            rows_ref[0].tolist(), rows_ref[1].tolist(), rows_ref[2].tolist(), fac
        ):
            entry = (rn_b[i2], f)
            lst = cons.get(rn_a[i])
            if lst is None:
                cons[rn_a[i]] = [entry]
            elif s != 0 and entry not in lst:
                lst.append(entry)
        return {k: tuple(v) for k, v in cons.items()}

    disp = _Display(ma, mb)
    return Certificate(
        reference_names=LazyMapping(lambda: disp.table(0)),
        candidate_names=LazyMapping(lambda: disp.table(1)),
        variables=LazyMapping(variables),
        constraints=LazyMapping(constraints),
        reference_bounds_from_rows=tuple(ma.row_names[i] for i in ga.prepared.folded_rows),
        candidate_bounds_from_rows=tuple(mb.row_names[i] for i in gb.prepared.folded_rows),
        reference_eliminated=elim_a,
        candidate_eliminated=elim_b,
        method=method,
        rounds=rounds,
        search_nodes=nodes,
        variable_index=tuple(var_list),
    )


# --------------------------------------------------------------------------- names


class _Display:
    """Display names of both models (Pyomo's writer-mangled names demangled, preferring
    the other model's exact spelling); computed on first use, and skipped cheaply for
    models whose names cannot be mangled ones."""

    def __init__(self, ma: MilpData, mb: MilpData) -> None:
        self.models = (ma, mb)
        self._maps: dict[tuple[int, bool], Mapping[str, str]] = {}

    def _map(self, side: int, row: bool) -> Mapping[str, str]:
        key = (side, row)
        if key not in self._maps:
            m, other = self.models[side], self.models[1 - side]
            names = m.row_names if row else m.var_names
            self._maps[key] = (
                display_map(names, other.row_names if row else other.var_names, row=row)
                if might_be_mangled(names, row=row)
                else {}
            )
        return self._maps[key]

    def var(self, side: int, name: str) -> str:
        return self._map(side, False).get(name, name)

    def row(self, side: int, name: str) -> str:
        return self._map(side, True).get(name, name)

    def table(self, side: int) -> Any:
        return MappingProxyType({**self._map(side, False), **self._map(side, True)})


# --------------------------------------------------------------------------- witnesses


def _invariant_witness(ga: Graph, gb: Graph, numbers: _Numbers) -> Witness | None:
    pa, pb = ga.prepared, gb.prepared
    if bool(pa.infeasible) != bool(pb.infeasible):
        which, why = (
            ("reference", pa.infeasible[0]) if pa.infeasible else ("candidate", pb.infeasible[0])
        )
        msg = f"only the {which} is infeasible by construction: {why}"
        return Witness("feasibility", msg)
    if ga.offset_id != gb.offset_id:
        msg = (
            f"objective constants differ (in minimisation form): reference "
            f"{pa.offset:.10g}, candidate {pb.offset:.10g}"
        )
        return Witness("objective constant", msg)
    if ga.n_vars != gb.n_vars:
        msg = (
            f"the reference has {ga.n_vars} variables, the candidate has {gb.n_vars} "
            f"(after canonicalisation)"
        )
        return Witness("size", msg, reference_count=ga.n_vars, candidate_count=gb.n_vars)
    if ga.n_rows != gb.n_rows:
        msg = (
            f"the reference has {ga.n_rows} canonical rows, the candidate has {gb.n_rows} "
            f"(after splitting ranged rows, folding singleton rows into bounds and dropping "
            f"duplicates)"
        )
        return Witness("size", msg, reference_count=ga.n_rows, candidate_count=gb.n_rows)
    return None


def _fmt(v: float) -> str:
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.10g}"


def _row_text(
    m: MilpData, i: int, limit: int = 6, disp: _Display | None = None, side: int = 0
) -> str:
    lo, hi = m.A.indptr[i], m.A.indptr[i + 1]
    terms = []
    vname = (lambda s: s) if disp is None else (lambda s: disp.var(side, s))
    rname = m.row_names[i] if disp is None else disp.row(side, m.row_names[i])
    for k in range(lo, min(hi, lo + limit)):
        a = float(m.A.data[k])
        name = vname(m.var_names[int(m.A.indices[k])])
        coef = "" if a == 1 else ("-" if a == -1 else f"{_fmt(a)} ")
        terms.append(f"{coef}{name}")
    expr = " + ".join(terms).replace("+ -", "- ")
    if hi - lo > limit:
        expr += f" + ... ({hi - lo} terms)"
    rl, ru = float(m.row_lower[i]), float(m.row_upper[i])
    if rl == ru:
        return f"{rname}: {expr} = {_fmt(ru)}"
    if np.isneginf(rl):
        return f"{rname}: {expr} <= {_fmt(ru)}"
    if np.isposinf(ru):
        return f"{rname}: {expr} >= {_fmt(rl)}"
    return f"{rname}: {_fmt(rl)} <= {expr} <= {_fmt(ru)}"


def _describe_kind(u: Union, node: int) -> str:
    """The class of a node in words, without numbers (the canonical numbers are scaled;
    the examples show each model's own)."""
    oa_v, oa_r, ob_v, ob_r = u.offsets
    g, base_r = (u.ga, oa_r) if node < ob_v else (u.gb, ob_r)
    if u.is_row[node]:
        k = node - base_r
        kind = int(g.row_kind[k])
        op = {KIND_LE: "one-sided", KIND_EQ: "equality"}.get(kind, "sign-symmetric equality")
        deg = int(g.indptr[k + 1] - g.indptr[k])
        return f"{op} rows with {deg} nonzeros"
    j = node - (oa_v if node < ob_v else ob_v)
    return f"{'integer' if g.var_label[j, 1] else 'continuous'} variables"


class _Node(NamedTuple):
    side: int  # 0 reference, 1 candidate
    is_row: bool
    pos: int  # original row or column of the model as checked
    name: str  # raw name
    text: str  # the row or variable written out in the model's own names and numbers


def _node(u: Union, node: int, disp: _Display) -> _Node:
    oa_v, oa_r, ob_v, ob_r = u.offsets
    side = 0 if node < ob_v else 1
    g, base_v, base_r = (u.ga, oa_v, oa_r) if side == 0 else (u.gb, ob_v, ob_r)
    m = g.prepared.model
    if u.is_row[node]:
        i = int(g.row_orig[node - base_r])
        return _Node(side, True, i, m.row_names[i], _row_text(m, i, disp=disp, side=side))
    j = node - base_v
    return _Node(side, False, j, m.var_names[j], _var_text(g, j, disp, side))


def _var_text(g: Graph, j: int, disp: _Display, side: int) -> str:
    p = g.prepared
    m = p.model
    typ = "integer" if p.integer[j] else "continuous"
    sense = "maximised" if m.sense < 0 else "minimised"
    return (
        f"{disp.var(side, m.var_names[j])}: {typ}, cost {_fmt(float(m.c[j]))} ({sense}), "
        f"bounds [{_fmt(float(p.lb[j]))}, {_fmt(float(p.ub[j]))}]"
    )


def _var_set(m: MilpData, i: int, disp: _Display, side: int) -> set[str]:
    cols = m.A.indices[m.A.indptr[i] : m.A.indptr[i + 1]]
    return {disp.var(side, m.var_names[int(j)]) for j in cols[:200]}


def _affinity(u: Union, x: _Node, y: _Node, disp: _Display) -> int:
    """How alike two nodes of different models look by their names (a renamed model
    scores 0 everywhere and the first pair is taken)."""
    gx, gy = (u.ga, u.gb) if x.side == 0 else (u.gb, u.ga)
    score = 1000 if x.name == y.name else 0
    if x.is_row:
        mx, my = gx.prepared.model, gy.prepared.model
        score += len(_var_set(mx, x.pos, disp, x.side) & _var_set(my, y.pos, disp, y.side))
    return score


def _row_terms(m: MilpData, i: int, disp: _Display, side: int) -> dict[str, float]:
    lo, hi = m.A.indptr[i], m.A.indptr[i + 1]
    return {
        disp.var(side, m.var_names[int(j)]): float(a)
        for j, a in zip(m.A.indices[lo:hi].tolist(), m.A.data[lo:hi].tolist())
    }


def _close_enough(a: float, b: float) -> bool:
    if np.isinf(a) or np.isinf(b):
        return a == b
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1e-300) + 1e-12


def _look_at(u: Union, ref: _Node, cand: _Node, disp: _Display) -> str:
    """What differs between two rows (or variables) of the same name, in raw numbers;
    rows are compared up to the factor most of their shared terms agree on."""
    ma, mb = u.ga.prepared.model, u.gb.prepared.model
    if not ref.is_row:
        ga, gb = u.ga.prepared, u.gb.prepared
        diffs = []
        if bool(ga.integer[ref.pos]) != bool(gb.integer[cand.pos]):
            diffs.append("the type (integer or continuous)")
        ca, cb = float(ga.cost[ref.pos]), float(gb.cost[cand.pos])
        if not _close_enough(ca, cb):
            diffs.append(f"the cost ({_fmt(ca)} vs {_fmt(cb)} in minimisation form)")
        for what, a, b in (
            ("lower bound", ga.lb[ref.pos], gb.lb[cand.pos]),
            ("upper bound", ga.ub[ref.pos], gb.ub[cand.pos]),
        ):
            if not _close_enough(float(a), float(b)):
                diffs.append(f"the {what} ({_fmt(float(a))} vs {_fmt(float(b))})")
        return "; ".join(diffs) or "the rows this variable appears in"
    ta, tb = _row_terms(ma, ref.pos, disp, 0), _row_terms(mb, cand.pos, disp, 1)
    common = [k for k in ta if k in tb]
    if not common:
        return "the whole row (no variable name in common)"
    ratios = [tb[k] / ta[k] for k in common]
    keys, counts = np.unique(np.round(np.asarray(ratios), 12), return_counts=True)
    f = float(keys[np.argmax(counts)])
    diffs = [
        f"the coefficient of {k} ({_fmt(ta[k])} vs {_fmt(tb[k])})"
        for k in common
        if not _close_enough(f * ta[k], tb[k])
    ]
    diffs += [
        f"{k} (only in the reference's row, coefficient {_fmt(ta[k])})" for k in ta if k not in tb
    ]
    diffs += [
        f"{k} (only in the candidate's row, coefficient {_fmt(tb[k])})" for k in tb if k not in ta
    ]
    la, ua = float(ma.row_lower[ref.pos]), float(ma.row_upper[ref.pos])
    lb_, ub_ = float(mb.row_lower[cand.pos]), float(mb.row_upper[cand.pos])
    sa, sb = (la * f, ua * f) if f > 0 else (ua * f, la * f)
    if not (_close_enough(sa, lb_) and _close_enough(sb, ub_)):
        diffs.append(f"the right-hand side ({_bounds_text(la, ua)} vs {_bounds_text(lb_, ub_)})")
    scaled = "" if f == 1 else f" (rows compared with the candidate's = {f:.6g} x the reference's)"
    return ("; ".join(diffs) or "the other rows of these variables") + scaled


def _same_name_elsewhere(u: Union, x: _Node, disp: _Display) -> str:
    """Where a row of the same name went in the other model (read as a bound, or dropped
    as empty or free), so that the witness still shows both sides."""
    if not x.is_row:
        return ""
    other = 1 - x.side
    p = (u.ga, u.gb)[other].prepared
    m = p.model
    try:
        i = m.row_names.index(x.name)
    except ValueError:
        return ""
    text = _row_text(m, i, disp=disp, side=other)
    nnz = int(m.A.indptr[i + 1] - m.A.indptr[i])
    if nnz == 1:
        return f" (its `{text}` has a single variable: read as a bound)"
    if nnz == 0:
        return f" (its `{text}` is empty: dropped)"
    return f" (its row of that name: `{text}`)"


def _bounds_text(lo: float, hi: float) -> str:
    if lo == hi:
        return f"= {_fmt(hi)}"
    if np.isneginf(lo):
        return f"<= {_fmt(hi)}"
    if np.isposinf(hi):
        return f">= {_fmt(lo)}"
    return f"in [{_fmt(lo)}, {_fmt(hi)}]"


def _histogram_witness(
    u: Union, colours: np.ndarray, half_round: int, numbers: _Numbers, disp: _Display
) -> Witness:
    """Both sides of the first difference: a node of the model with more nodes of some
    class, and its nearest counterpart in the other model (same name if there is one,
    else the most alike among the other model's unmatched nodes), each written out in
    its own model's names and numbers, and what to look at between them."""
    k = int(colours.max()) + 1
    ha = np.bincount(colours[u.owner == 0], minlength=k)
    hb = np.bincount(colours[u.owner == 1], minlength=k)
    diff = np.flatnonzero(ha != hb)
    first = np.zeros(k, dtype=np.int64)
    first[colours[::-1]] = np.arange(u.n - 1, -1, -1)
    row_class = u.is_row[first[diff]]
    # rows first (a row says more than a variable), then classes present on both sides,
    # then the largest gap
    both = (ha[diff] > 0) & (hb[diff] > 0)
    order = np.lexsort((-np.abs(ha[diff] - hb[diff]), ~both, ~row_class))
    c = int(diff[order[0]])
    side = 0 if ha[c] > hb[c] else 1
    members = np.flatnonzero(colours == c)
    xs = members[u.owner[members] == side][:50]
    # the other model's nodes of the same type in classes where it has the excess
    other_excess = (hb > ha) if side == 0 else (ha > hb)
    pool = np.flatnonzero(
        (u.owner == 1 - side) & other_excess[colours] & (u.is_row == bool(u.is_row[xs[0]]))
    )[:50]
    best: tuple[int, _Node, _Node | None] | None = None
    for x in xs.tolist():
        nx = _node(u, x, disp)
        for y in pool.tolist() or [None]:
            ny = _node(u, y, disp) if y is not None else None
            score = _affinity(u, nx, ny, disp) if ny is not None else -1
            if best is None or score > best[0]:
                best = (score, nx, ny)
        if best is not None and best[0] >= 1000:
            break
    assert best is not None
    _, nx, ny = best
    kind = _describe_kind(u, int(xs[0]))
    ctx = (
        ""
        if half_round == 0
        else f"; their neighbourhoods first differ at refinement round {half_round}"
    )
    counts = f"the reference has {int(ha[c])} {kind} of this kind, the candidate {int(hb[c])}{ctx}"
    who = ("reference", "candidate")
    what = "row" if nx.is_row else "variable"
    if ny is None:
        msg = (
            f"the {who[side]} has `{nx.text}` and the {who[1 - side]} has no {what} like it"
            f"{_same_name_elsewhere(u, nx, disp)} ({counts})"
        )
    else:
        ref, cand = (nx, ny) if side == 0 else (ny, nx)
        look = _look_at(u, ref, cand, disp)
        shown = (disp.row if ref.is_row else disp.var)(0, ref.name)
        if ref.name == cand.name:
            head = f"{what} {shown} differs"
        else:
            other = (disp.row if cand.is_row else disp.var)(1, cand.name)
            head = f"the reference's {what} {shown} and the candidate's {other} (its nearest counterpart) differ"
        msg = f"{head}: reference `{ref.text}`, candidate `{cand.text}`; look at {look} ({counts})"
    pair = (nx, ny) if side == 0 else (ny, nx)
    ex_a = (pair[0].text,) if pair[0] is not None else ()
    ex_b = (pair[1].text,) if pair[1] is not None else ()
    raw_a = (pair[0].name,) if pair[0] is not None else ()
    raw_b = (pair[1].name,) if pair[1] is not None else ()
    return Witness(
        "labels" if half_round == 0 else "refinement",
        msg,
        round=half_round,
        reference_count=int(ha[c]),
        candidate_count=int(hb[c]),
        reference_examples=ex_a,
        candidate_examples=ex_b,
        reference_examples_raw=raw_a,
        candidate_examples_raw=raw_b,
    )


# --------------------------------------------------------------------------- instances


def check_instances(
    reference: Callable[[Any], ModelLike],
    candidate: Callable[[Any], ModelLike],
    instances: Iterable[Any],
    *,
    require_same_mapping: bool = False,
    **options: Any,
) -> CheckResult:
    """Check reference and candidate built on several data instances (model-data
    separation, as Bench4Opt does): ``EQUIVALENT`` only if every instance is.

    ``reference(data)`` and ``candidate(data)`` build the two models for one data
    instance. Random, generic data break accidental coincidences (``a + b`` vs ``a * b``
    agree only on special data). The first non-equivalent instance decides
    ``NOT_EQUIVALENT``; otherwise any ``UNKNOWN``/``UNSUPPORTED`` makes the result
    ``UNKNOWN``. With ``require_same_mapping`` the certificates must also map every
    variable name the same way on all instances.

    Returns the result of the deciding instance, with the instance index in the reason.
    """
    results: list[CheckResult] = []
    for k, data in enumerate(instances):
        r = check(reference(data), candidate(data), **options)
        if r.verdict is Verdict.NOT_EQUIVALENT:
            return _replace(r, reason=f"data instance {k}: {r.reason}")
        results.append(r)
    if not results:
        raise ValueError("check_instances needs at least one data instance.")
    for k, r in enumerate(results):
        if r.verdict is not Verdict.EQUIVALENT:
            return _replace(
                r,
                verdict=Verdict.UNKNOWN if r.verdict is Verdict.UNKNOWN else r.verdict,
                reason=f"data instance {k}: {r.reason}",
            )
    if require_same_mapping:
        first = results[0].certificate
        assert first is not None
        for k, r in enumerate(results[1:], start=1):
            assert r.certificate is not None
            for name, img in r.certificate.variables.items():
                if name in first.variables and first.variables[name] != img:
                    return _replace(
                        r,
                        verdict=Verdict.UNKNOWN,
                        certificate=None,
                        reason=(
                            f"data instance {k}: each instance is equivalent, but variable "
                            f"{name} maps to {img} here and to {first.variables[name]} on "
                            f"instance 0; the correspondence depends on the data"
                        ),
                    )
    last = results[-1]
    return _replace(last, reason=f"equivalent on all {len(results)} data instances ({last.reason})")
