"""The blending family: cheapest blend of inputs meeting quality percentages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec, ident
from optiscribe.data.synth.text import join_list, plural, round_to


@dataclass(frozen=True)
class Quality:
    """A quality of the inputs, in percent, drawn in [lo, hi]."""

    name: str
    lo: float
    hi: float


@dataclass(frozen=True)
class BlendingSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    product: str
    intro: tuple[str, ...]
    unit: str
    inputs: tuple[str, ...]
    qualities: tuple[Quality, ...]
    cost: tuple[float, float]
    demand: tuple[int, int]


_BLEND_SKINS: tuple[BlendingSkin, ...] = (
    BlendingSkin(
        product="steel alloy",
        intro=(
            "A foundry must produce {D} of a new steel alloy",
            "A steel mill has an order for {D} of alloy",
        ),
        unit="tonne",
        inputs=(
            "scrap iron",
            "pig iron",
            "ferro-chrome",
            "nickel ore",
            "recycled steel",
            "ore A",
            "ore B",
        ),
        qualities=(
            Quality("carbon", 0.5, 4.5),
            Quality("chromium", 0.0, 18.0),
            Quality("nickel", 0.0, 10.0),
        ),
        cost=(80, 900),
        demand=(50, 400),
    ),
    BlendingSkin(
        product="fruit juice",
        intro=(
            "A juice company is mixing {D} of a new fruit drink",
            "A beverage maker blends {D} of juice for a supermarket order",
        ),
        unit="litre",
        inputs=(
            "orange concentrate",
            "apple juice",
            "grape juice",
            "mango pulp",
            "pear juice",
            "water",
        ),
        qualities=(
            Quality("sugar", 0.0, 14.0),
            Quality("fruit solids", 0.0, 60.0),
        ),
        cost=(0.1, 2.2),
        demand=(2000, 20000),
    ),
    BlendingSkin(
        product="fertiliser",
        intro=(
            "A garden supplier blends {D} of fertiliser",
            "A cooperative mixes {D} of fertiliser for its members",
        ),
        unit="kg",
        inputs=(
            "ammonium nitrate",
            "superphosphate",
            "potash",
            "compost",
            "bone meal",
            "urea",
        ),
        qualities=(
            Quality("nitrogen", 0.0, 40.0),
            Quality("phosphate", 0.0, 30.0),
            Quality("potassium", 0.0, 50.0),
        ),
        cost=(0.2, 1.6),
        demand=(1000, 10000),
    ),
    BlendingSkin(
        product="coffee blend",
        intro=(
            "A roaster is preparing {D} of its house coffee blend",
            "A café chain blends {D} of coffee",
        ),
        unit="kg",
        inputs=(
            "Colombian",
            "Brazilian",
            "Ethiopian",
            "Kenyan",
            "Vietnamese robusta",
            "Sumatran",
        ),
        qualities=(
            Quality("arabica", 0.0, 100.0),
            Quality("caffeine", 0.8, 2.6),
        ),
        cost=(4, 18),
        demand=(200, 2000),
    ),
)


def blending(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_BLEND_SKINS)
    n_m = min(len(skin.inputs), ctx.n((3, 3), (3, 5), (5, 6)))
    n_q = min(len(skin.qualities), ctx.level(1, rng.randint(1, 2), rng.randint(2, 3)))
    inputs = rng.sample(skin.inputs, n_m)
    quals = rng.sample(skin.qualities, n_q)
    cost = {m: round_to(rng.uniform(*skin.cost), 0.05 if skin.cost[1] < 50 else 5) for m in inputs}
    pct = {(q.name, m): round_to(rng.uniform(q.lo, q.hi), 0.5) for q in quals for m in inputs}
    D = round_to(rng.uniform(*skin.demand), 50 if skin.demand[1] > 1000 else 10)
    w = [rng.random() + 0.2 for _ in inputs]
    s = sum(w)
    mix = {m: wi / s for m, wi in zip(inputs, w)}
    qbar = {q.name: sum(pct[(q.name, m)] * mix[m] for m in inputs) for q in quals}
    bounds: dict[str, tuple[str, float]] = {}
    for q in quals:
        if rng.random() < 0.5:
            bounds[q.name] = ("min", round_to(qbar[q.name] * rng.uniform(0.8, 0.98), 0.5))
        else:
            bounds[q.name] = ("max", round_to(qbar[q.name] * rng.uniform(1.02, 1.2), 0.5) + 0.5)
    limited = [m for m in inputs if rng.random() < ctx.level(0.3, 0.5, 0.7)]
    avail = {m: round_to(mix[m] * D * rng.uniform(1.1, 1.8), 10) + 10 for m in limited}

    M = [ident(m) for m in inputs]
    mid = dict(zip(inputs, M))
    Q = [ident(q.name) for q in quals]
    unit = skin.unit
    ir: dict[str, Any] = {
        "name": "blend",
        "description": f"Cheapest blend of {skin.product} meeting quality limits.",
        "sets": [
            {"name": "M", "description": "inputs", "elements": M},
            {"name": "Q", "description": "quality attributes", "elements": Q},
        ],
        "parameters": [
            {
                "name": "cost",
                "description": f"cost per {unit} of input",
                "index": ["M"],
                "values": {mid[m]: cost[m] for m in inputs},
            },
            {
                "name": "pct",
                "description": "percentage of attribute q in input m",
                "index": ["Q", "M"],
                "values": {
                    ident(q.name): {mid[m]: pct[(q.name, m)] for m in inputs} for q in quals
                },
            },
            {"name": "demand", "description": f"{plural(unit)} of blend to make", "values": D},
        ],
        "variables": [
            {
                "name": "use",
                "description": f"{plural(unit)} of input m in the blend",
                "index": ["M"],
                "lower": 0,
            }
        ],
        "objective": {
            "sense": "minimize",
            "expression": "sum(cost[m] * use[m] for m in M)",
            "description": "cost of the blend",
        },
        "constraints": [
            {
                "name": "total",
                "description": "make exactly the ordered amount",
                "expression": "sum(use[m] for m in M) == demand",
            }
        ],
    }
    features = ["equality", "ratio"]
    mins = [k for k, (d, _) in bounds.items() if d == "min"]
    maxs = [k for k, (d, _) in bounds.items() if d == "max"]
    if mins:
        ir["sets"].append(
            {
                "name": "QMIN",
                "description": "attributes with a minimum",
                "elements": [ident(k) for k in mins],
            }
        )
        ir["parameters"].append(
            {
                "name": "min_pct",
                "description": "minimum percentage in the blend",
                "index": ["QMIN"],
                "values": {ident(k): bounds[k][1] for k in mins},
            }
        )
        ir["constraints"].append(
            {
                "name": "quality_min",
                "description": "minimum percentages",
                "for_each": "q in QMIN",
                "expression": "sum(pct[q, m] * use[m] for m in M) >= min_pct[q] * demand",
            }
        )
    if maxs:
        ir["sets"].append(
            {
                "name": "QMAX",
                "description": "attributes with a maximum",
                "elements": [ident(k) for k in maxs],
            }
        )
        ir["parameters"].append(
            {
                "name": "max_pct",
                "description": "maximum percentage in the blend",
                "index": ["QMAX"],
                "values": {ident(k): bounds[k][1] for k in maxs},
            }
        )
        ir["constraints"].append(
            {
                "name": "quality_max",
                "description": "maximum percentages",
                "for_each": "q in QMAX",
                "expression": "sum(pct[q, m] * use[m] for m in M) <= max_pct[q] * demand",
            }
        )
    facts: list[Fact] = []
    facts.append(Fact(ph.s("It can use {l}", l=join_list(inputs)), pin="first"))
    if ph.chance(0.5):
        facts.append(
            Fact(
                ph.s(
                    "[Costs|Prices] per {u}: {l}",
                    u=unit,
                    l=ph.listing([(m, ph.money(cost[m])) for m in inputs]),
                )
            )
        )
    else:
        for m in inputs:
            facts.append(Fact(ph.s("{M} costs {c} per {u}", M=m, c=ph.money(cost[m]), u=unit)))
    cell = {(m, q.name): ph.pct(pct[(q.name, m)] / 100) for m in inputs for q in quals}
    if n_m * n_q > 4 and ph.chance(0.6):
        facts.append(
            Fact(
                ph.t("[Composition of the inputs|What each input contains] (by weight):")
                + "\n"
                + ph.table("input", inputs, [q.name for q in quals], cell),
                covers=tuple(
                    x
                    for x in ("quality_min", "quality_max")
                    if x in {c["name"] for c in ir["constraints"]}
                ),
            )
        )
    else:
        for m in inputs:
            facts.append(
                Fact(
                    ph.s(
                        "{M} [is|contains] {l}",
                        M=m,
                        l=join_list([f"{cell[(m, q.name)]} {q.name}" for q in quals]),
                    )
                )
            )
    for k, (d, v) in bounds.items():
        word = (
            ph.pick(["at least", "no less than"])
            if d == "min"
            else ph.pick(["at most", "no more than"])
        )
        facts.append(
            Fact(
                ph.s(
                    "The {p} must [contain|be] {w} {v} {k}",
                    p=skin.product,
                    w=word,
                    v=ph.pct(v / 100),
                    k=k,
                ),
                covers=("quality_min" if d == "min" else "quality_max",),
            )
        )
    if limited:
        ir["sets"].append(
            {
                "name": "SCARCE",
                "description": "inputs in limited supply",
                "elements": [mid[m] for m in limited],
            }
        )
        ir["parameters"].append(
            {
                "name": "stock",
                "description": f"{plural(unit)} available",
                "index": ["SCARCE"],
                "values": {mid[m]: avail[m] for m in limited},
            }
        )
        ir["constraints"].append(
            {
                "name": "supply",
                "description": "limited inputs",
                "for_each": "m in SCARCE",
                "expression": "use[m] <= stock[m]",
            }
        )
        features.append("upper_bound")
        facts.append(
            Fact(
                ph.s(
                    "[Only|Supplies are limited:] {l} are [available|in stock]",
                    l=join_list([f"{ph.qty(avail[m], unit)} of {m}" for m in limited]),
                ),
                covers=("supply",),
            )
        )
    intro = ph.s(ph.pick(skin.intro), D=ph.qty(D, unit))
    question = ph.pick(
        [
            ph.s(
                "[How much|What amount] of each input should go into the blend to keep the cost as low as possible, and what is that cost?"
            ),
            ph.s("What is the [minimum|lowest] cost of the {p}?", p=skin.product),
            ph.s("Find the cheapest recipe and report its total cost"),
        ]
    )
    return Draft(
        ir,
        intro,
        tuple(facts),
        question,
        tuple(features),
        "the cost of the blend",
        True,
        size=n_m * n_q,
    )


SPEC = FamilySpec(
    name="blending",
    summary="cheapest blend of inputs meeting quality percentages",
    build=blending,
    kind="LP",
    sizes=(2, 6),
)
