"""The nl4opt family: small word problems with 2–3 variables and NL4Opt constraint types."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec, ident
from optiscribe.data.synth.text import a_an, fmt_number, join_list, plural, round_to


@dataclass(frozen=True)
class Item:
    """A decision of the story: what is made or bought, and its unit ('' for a count)."""

    name: str
    unit: str


@dataclass(frozen=True)
class Resource:
    """A shared resource: use per item drawn in [lo, hi]."""

    name: str
    unit: str
    lo: int
    hi: int


@dataclass(frozen=True)
class NL4OptStory:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    intro: tuple[str, ...]
    actor: str
    items: tuple[Item, ...]
    done: str
    sense: str
    obj: tuple[str, bool, float, float, str]
    total: str
    res: tuple[Resource, ...]
    x0: tuple[int, int]
    res_verb: str | None = None


_NL_STORIES: tuple[NL4OptStory, ...] = (
    NL4OptStory(
        intro=(
            "A farmer has land to plant",
            "A farmer is deciding what to grow this season",
        ),
        actor="the farmer",
        items=(
            Item("wheat", "acre"),
            Item("corn", "acre"),
            Item("barley", "acre"),
            Item("potatoes", "acre"),
        ),
        done="planted",
        sense="maximize",
        obj=("profit", True, 50, 400, "[Each|An] acre of {i} [brings|gives|yields] {v} of profit"),
        total="{T} acres of land",
        res=(
            Resource("water", "cubic metre", 1, 6),
            Resource("labour", "hour", 2, 12),
            Resource("fertiliser", "kg", 5, 40),
        ),
        x0=(10, 80),
    ),
    NL4OptStory(
        intro=(
            "A small electronics company makes several kinds of devices",
            "A factory assembles gadgets",
        ),
        actor="the company",
        items=(
            Item("laptop", ""),
            Item("tablet", ""),
            Item("smartwatch", ""),
        ),
        done="made",
        sense="maximize",
        obj=("profit", True, 20, 300, "[Each|Every] {i} [earns|makes] {v} [profit|in profit]"),
        total="{T} devices in total per day",
        res=(
            Resource("assembly time", "minute", 10, 60),
            Resource("testing time", "minute", 5, 30),
            Resource("chip", "", 1, 6),
        ),
        x0=(5, 40),
    ),
    NL4OptStory(
        intro=(
            "A company is planning an advertising campaign",
            "A theatre wants to advertise its new show",
        ),
        actor="the campaign",
        items=(
            Item("TV ad", ""),
            Item("radio ad", ""),
            Item("newspaper ad", ""),
        ),
        done="bought",
        sense="maximize",
        obj=("viewers", False, 1000, 30000, "[Each|A] {i} reaches {v} people"),
        total="{T} ads in total",
        res=(Resource("budget", "$", 100, 5000),),
        x0=(2, 20),
    ),
    NL4OptStory(
        intro=(
            "A bakery makes cakes and pies for a weekend market",
            "A home baker sells at the Saturday market",
        ),
        actor="the bakery",
        items=(
            Item("cake", ""),
            Item("pie", ""),
            Item("tart", ""),
        ),
        done="baked",
        sense="maximize",
        obj=("profit", True, 3, 25, "[Each|A] {i} sells for a profit of {v}"),
        total="{T} items in total",
        res=(
            Resource("oven time", "minute", 15, 60),
            Resource("flour", "g", 100, 600),
            Resource("decorating time", "minute", 5, 30),
        ),
        x0=(5, 40),
    ),
    NL4OptStory(
        intro=(
            "A moving company must transport boxes with trucks and vans",
            "A courier needs vehicles for a big delivery",
        ),
        actor="the company",
        items=(
            Item("truck", ""),
            Item("van", ""),
        ),
        done="used",
        sense="minimize",
        obj=("cost", True, 40, 400, "[Each|A] {i} trip costs {v}"),
        total="at least {T} trips",
        res=(
            Resource("box", "", 20, 120),
            Resource("volume", "m3", 8, 40),
        ),
        x0=(3, 30),
        res_verb="[carries|holds]",
    ),
    NL4OptStory(
        intro=(
            "A patient must take vitamin pills every day",
            "A nutritionist is putting together a cheap mix of supplements",
        ),
        actor="the patient",
        items=(
            Item("Alpha pill", ""),
            Item("Beta pill", ""),
            Item("Gamma pill", ""),
        ),
        done="taken",
        sense="minimize",
        obj=("cost", True, 0.1, 2.0, "[Each|One] {i} costs {v}"),
        total="at least {T} pills",
        res=(
            Resource("vitamin D", "unit", 2, 20),
            Resource("iron", "mg", 1, 12),
            Resource("zinc", "mg", 1, 8),
        ),
        x0=(1, 10),
        res_verb="[contains|provides]",
    ),
)
_NL_EXTRA = ("upper", "lower", "ratio", "k_times", "less_than")


def _nl_qty(ph: Any, item: Item, n: float) -> str:
    name, unit = item.name, item.unit
    if unit:
        return f"{fmt_number(n)} {plural(unit, n)} of {name}"
    return f"{ph.num(n)} {plural(name, n)}"


def nl4opt(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    stories = (
        _NL_STORIES
        if ctx.size is None
        else [x for x in _NL_STORIES if len(x.items) >= min(ctx.size, 3)]
    )
    st = rng.choice(stories)
    k = min(len(st.items), ctx.level(2, rng.choice([2, 3]), 3) if ctx.size is None else ctx.size)
    items = st.items[:2] if k == 2 else rng.sample(st.items, k)
    names = [ident(i.name) for i in items]
    maxi = st.sense == "maximize"
    lo, hi = st.x0
    x0 = [rng.randint(lo, hi) for _ in items]
    integer = not items[0].unit or rng.random() < 0.3
    obj_word, money, olo, ohi, otpl = st.obj
    step = 0.05 if ohi <= 5 else (1 if ohi < 1000 else 500)
    c = [round_to(rng.uniform(olo, ohi), step) for _ in items]
    cons: list[dict[str, Any]] = []
    facts: list[Fact] = []
    features: list[str] = []

    def add(name: str, expr: str, desc: str, text: str, feat: str, bounding: bool = False) -> None:
        cons.append({"name": name, "description": desc, "expression": expr})
        facts.append(Fact(text, covers=(name,), bounding=bounding))
        features.append(feat)

    xs = [f"x_{n}" for n in names]
    total = sum(x0)
    use_total = rng.random() < 0.75 or not maxi
    if use_total:
        if maxi:
            T = math.ceil(total * rng.uniform(1.0, 1.3) / 5) * 5
            add(
                "total_limit",
                " + ".join(xs) + f" <= {T}",
                "total limit",
                ph.s(
                    "{A} has [room for|capacity for|at most] " + st.total,
                    A=st.actor.capitalize(),
                    T=fmt_number(T),
                ),
                "sum",
                bounding=True,
            )
        else:
            T = max(1, math.floor(total * rng.uniform(0.7, 1.0)))
            add(
                "total_min",
                " + ".join(xs) + f" >= {T}",
                "total requirement",
                ph.s("{A} needs " + st.total, A=st.actor.capitalize(), T=fmt_number(T)),
                "sum",
            )
    n_res = 1 if len(st.res) == 1 else ctx.level(1, rng.randint(1, 2), 2)
    for res in rng.sample(st.res, n_res):
        r_name, r_unit, rlo, rhi = res.name, res.unit, res.lo, res.hi
        a = [rng.randint(rlo, rhi) for _ in items]
        lhs = sum(ai * xi for ai, xi in zip(a, x0))
        per = join_list(
            [
                _per(ph, item, ai, r_unit, r_name, st.res_verb or "needs")
                for item, ai in zip(items, a)
            ]
        )
        terms = " + ".join(f"{ai} * {x}" for ai, x in zip(a, xs))
        key = ident(r_name)
        if maxi:
            B = math.ceil(lhs * rng.uniform(1.0, 1.25))
            amount = (
                ph.money(B)
                if r_unit == "$"
                else (ph.qty(B, r_unit) if r_unit else f"{ph.num(B)} {plural(r_name, B)}")
            )
            text = (
                ph.s(
                    "{P}. [In total|Altogether], {amt} [of {r} ]are available",
                    P=per,
                    amt=amount,
                    r=r_name,
                )
                if r_unit not in ("$", "")
                else ph.s(
                    "{P}. {A} [can spend|has] at most {amt}",
                    P=per,
                    A=st.actor.capitalize(),
                    amt=amount,
                )
            )
            add(
                f"{key}_limit",
                f"{terms} <= {B}",
                f"{r_name} available",
                text,
                "linear",
                bounding=True,
            )
        else:
            B = max(1, math.floor(lhs * rng.uniform(0.7, 1.0)))
            amount = (
                f"{ph.qty(B, r_unit)} of {r_name}" if r_unit else f"{ph.num(B)} {plural(r_name, B)}"
            )
            text = ph.s(
                "{P}. [At least|A minimum of] {amt} [is needed|must be provided|is required]",
                P=per,
                amt=amount,
            )
            add(f"{key}_need", f"{terms} >= {B}", f"{r_name} required", text, "linear")
    n_extra = ctx.level(rng.randint(1, 2), rng.randint(2, 3), rng.randint(3, 4))
    for kind in rng.sample(_NL_EXTRA, min(n_extra, len(_NL_EXTRA))):
        i, j = rng.sample(range(k), 2)
        if kind == "upper":
            u = math.ceil(x0[i] * rng.uniform(1.0, 1.5))
            add(
                f"max_{names[i]}",
                f"{xs[i]} <= {u}",
                f"at most {u}",
                ph.s(
                    "[At most|No more than] {q} can be {d}",
                    q=_nl_qty(ph, items[i], u),
                    d=st.done,
                ),
                "upper_bound",
            )
        elif kind == "lower":
            lb = max(1, math.floor(x0[i] * rng.uniform(0.3, 0.9)))
            add(
                f"min_{names[i]}",
                f"{xs[i]} >= {lb}",
                f"at least {lb}",
                ph.s("At least {q} must be {d}", q=_nl_qty(ph, items[i], lb), d=st.done),
                "lower_bound",
            )
        elif kind == "ratio":
            share = x0[i] / total
            if rng.random() < 0.5 and share > 0.1:
                p = math.floor(share * rng.uniform(0.6, 0.95) * 20) / 20
                if p <= 0:
                    continue
                add(
                    f"share_{names[i]}",
                    f"{xs[i]} >= {p} * ({' + '.join(xs)})",
                    "minimum share",
                    ph.s(
                        "At least {p} of [everything|all the {u}] {d} must be {it}",
                        p=ph.pct(p),
                        d=st.done,
                        u=plural(items[i].unit or "item"),
                        it=_mass(items[i]),
                    ),
                    "ratio",
                )
            else:
                p = min(0.9, math.ceil(share * rng.uniform(1.05, 1.5) * 20) / 20)
                if p < share:
                    continue
                add(
                    f"share_{names[i]}",
                    f"{xs[i]} <= {p} * ({' + '.join(xs)})",
                    "maximum share",
                    ph.s(
                        "[At most|No more than] {p} of [everything|all the {u}] {d} can be {it}",
                        p=ph.pct(p),
                        d=st.done,
                        u=plural(items[i].unit or "item"),
                        it=_mass(items[i]),
                    ),
                    "ratio",
                )
        elif kind == "k_times":
            ratio = x0[i] / x0[j]
            kk = next(v for v in (1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 20, 50, 100) if v >= ratio)
            what_i, what_j = _count_of(items[i]), _count_of(items[j])
            add(
                f"ratio_{names[i]}_{names[j]}",
                f"{xs[i]} <= {kk} * {xs[j]}",
                f"at most {kk} times",
                ph.s(
                    "The number of {a} [can be|must be] at most {t} the number of {b}",
                    a=what_i,
                    b=what_j,
                    t=ph.times(kk),
                ),
                "at_most_k_times",
            )
        elif kind == "less_than":
            if x0[i] > x0[j]:
                i, j = j, i
            add(
                f"order_{names[i]}_{names[j]}",
                f"{xs[i]} <= {xs[j]}",
                "no more than",
                ph.s(
                    "[The number of {a} must not exceed the number of {b}|There must not be more {a} than {b}|"
                    "No more {a} than {b} may be {d}]",
                    a=_count_of(items[i]),
                    b=_count_of(items[j]),
                    d=st.done,
                ),
                "less_than",
            )
    ir: dict[str, Any] = {
        "name": "word_problem",
        "description": f"{'Maximise' if maxi else 'Minimise'} {obj_word} of {join_list([i.name for i in items])}.",
        "variables": [
            {
                "name": x,
                "description": f"{plural(it.unit) + ' of ' if it.unit else 'number of '}{plural(it.name)} {st.done}",
                "domain": "integer" if integer else "continuous",
                "lower": 0,
            }
            for x, it in zip(xs, items)
        ],
        "objective": {
            "sense": st.sense,
            "expression": " + ".join(f"{ci} * {x}" for ci, x in zip(c, xs)),
            "description": f"total {obj_word}",
        },
        "constraints": cons,
    }
    vfmt = (lambda v: ph.money(v)) if money else (lambda v: fmt_number(v))
    for it, ci in zip(items, c):
        facts.append(Fact(ph.s(otpl, i=it.name, v=vfmt(ci))))
    if integer and items[0].unit:
        facts.append(
            Fact(ph.s("Only whole {u} can be {d}", u=plural(items[0].unit), d=st.done), pin="last")
        )
    if integer:
        features.append("integer")
    goal = "maximise" if maxi else "minimise"
    question = ph.pick(
        [
            ph.s(
                "How many of each should be {d} to {g} the {w}? What is the [best|optimal] {w}?",
                d=st.done,
                g=goal,
                w=f"total {obj_word}" if obj_word != "viewers" else "number of people reached",
            ),
            ph.s(
                "Formulate and solve: what is the [optimal|best possible] total {w}?",
                w=obj_word if obj_word != "viewers" else "audience",
            ),
        ]
    )
    return Draft(
        ir,
        ph.s(ph.pick(st.intro)),
        tuple(facts),
        question,
        tuple(features),
        f"the total {obj_word}" if obj_word != "viewers" else "the audience reached",
        money,
        size=k,
    )


def _count_of(item: Item) -> str:
    """'acres of wheat' for measured items, 'laptops' for counted ones."""
    return f"{plural(item.unit)} of {item.name}" if item.unit else plural(item.name)


def _mass(item: Item) -> str:
    """What a share is 'of': 'wheat' for measured items, 'laptops' for counted ones."""
    return item.name if item.unit else plural(item.name)


def _per(ph: Any, item: Item, a: float, r_unit: str, r_name: str, verb: str) -> str:
    what = a_an(f"{item.unit} of {item.name}") if item.unit else a_an(item.name)
    if r_unit == "$":
        return ph.t("{w} costs {m}", w=what, m=ph.money(a))  # a budget resource
    amount = ph.qty(a, r_unit) if r_unit else f"{ph.num(a)} {plural(r_name, a)}"
    if r_unit:
        return ph.t("{w} {v} {amt} of {r}", w=what, v=ph.t(verb), amt=amount, r=r_name)
    return ph.t("{w} {v} {amt}", w=what, v=ph.t(verb), amt=amount)


SPEC = FamilySpec(
    name="nl4opt",
    summary="small word problems with 2–3 variables and NL4Opt constraint types",
    build=nl4opt,
    kind="LP/IP",
    sizes=(2, 3),
)
