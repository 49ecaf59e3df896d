"""The lot_sizing family: multi-period production and inventory (setup costs as big-M)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec
from optiscribe.data.synth.text import plural, round_to

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@dataclass(frozen=True)
class LotSizingSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    intro: str
    unit: str
    period: str
    demand: tuple[int, int]
    pcost: tuple[int, int]
    hold: tuple[float, float]
    setup: tuple[int, int]


_LOT_SKINS: tuple[LotSizingSkin, ...] = (
    LotSizingSkin(
        intro="A toy factory plans production for the run-up to the holidays",
        unit="crate",
        period="month",
        demand=(100, 600),
        pcost=(8, 16),
        hold=(0.5, 2.0),
        setup=(300, 1500),
    ),
    LotSizingSkin(
        intro="An ice-cream maker plans production for the summer season",
        unit="pallet",
        period="month",
        demand=(40, 200),
        pcost=(50, 90),
        hold=(4, 12),
        setup=(400, 2000),
    ),
    LotSizingSkin(
        intro="A bakery supplier plans its weekly output of frozen dough",
        unit="tonne",
        period="week",
        demand=(10, 60),
        pcost=(200, 400),
        hold=(10, 40),
        setup=(500, 2500),
    ),
    LotSizingSkin(
        intro="A fertiliser plant schedules its production runs",
        unit="tonne",
        period="week",
        demand=(50, 250),
        pcost=(90, 150),
        hold=(3, 9),
        setup=(800, 3000),
    ),
)


def lot_sizing(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_LOT_SKINS)
    n = ctx.n((3, 4), (4, 6), (6, 8))
    setups = ctx.difficulty != "easy" or rng.random() < 0.3
    demand = [round_to(rng.uniform(*skin.demand), 5) for _ in range(n)]
    pc_base = rng.uniform(*skin.pcost)
    pcost = [round_to(pc_base * rng.uniform(0.85, 1.2), 0.5) for _ in range(n)]
    hold = round_to(rng.uniform(*skin.hold), 0.5)
    setup_cost = round_to(rng.uniform(*skin.setup), 50)
    avg = sum(demand) / n
    cap = [round_to(avg * rng.uniform(1.0, 1.6), 10) for _ in range(n)]
    init = round_to(demand[0] * rng.uniform(0.0, 0.5), 5)
    # Cumulative capacity must cover cumulative demand (planted feasibility).
    cum_c, cum_d = init, 0.0
    for t in range(n):
        cum_c += cap[t]
        cum_d += demand[t]
        if cum_c < cum_d:
            cap[t] += round_to(cum_d - cum_c, 10) + 10
            cum_c = sum(cap[: t + 1]) + init
    start = rng.randrange(12)
    names = (
        [_MONTHS[(start + t) % 12] for t in range(n)]
        if skin.period == "month"
        else [f"week {t + 1}" for t in range(n)]
    )
    unit = skin.unit
    T = list(range(1, n + 1))
    ir: dict[str, Any] = {
        "name": "lot_sizing",
        "description": f"Plan production and stock over {n} {plural(skin.period)} to meet demand at least cost.",
        "sets": [
            {
                "name": "T",
                "description": f"{plural(skin.period)} ({names[0]} = 1)",
                "first": 1,
                "last": n,
            }
        ],
        "parameters": [
            {
                "name": "demand",
                "description": f"{plural(unit)} needed",
                "index": ["T"],
                "values": dict(zip(map(str, T), demand)),
            },
            {
                "name": "unit_cost",
                "description": f"production cost per {unit}",
                "index": ["T"],
                "values": dict(zip(map(str, T), pcost)),
            },
            {
                "name": "cap",
                "description": f"most {plural(unit)} that can be made",
                "index": ["T"],
                "values": dict(zip(map(str, T), cap)),
            },
            {
                "name": "hold",
                "description": f"cost of storing one {unit} to the next {skin.period}",
                "values": hold,
            },
            {
                "name": "initial",
                "description": f"{plural(unit)} in stock at the start",
                "values": init,
            },
        ],
        "variables": [
            {"name": "make", "description": f"{plural(unit)} made", "index": ["T"], "lower": 0},
            {
                "name": "stock",
                "description": f"{plural(unit)} in stock at the end of the {skin.period}",
                "index": ["T"],
                "lower": 0,
            },
        ],
        "objective": {
            "sense": "minimize",
            "expression": "sum(unit_cost[t] * make[t] + hold * stock[t] for t in T)",
            "description": "production and storage cost",
        },
        "constraints": [
            {
                "name": "balance_first",
                "description": "stock balance in the first period",
                "expression": "stock[1] == initial + make[1] - demand[1]",
            },
            {
                "name": "balance",
                "description": "stock balance",
                "for_each": "t in T",
                "condition": "t > 1",
                "expression": "stock[t] == stock[t - 1] + make[t] - demand[t]",
            },
            {
                "name": "capacity",
                "description": "production capacity",
                "for_each": "t in T",
                "expression": "make[t] <= cap[t]",
            },
        ],
    }
    features = ["inventory_balance", "multi_period", "upper_bound"]
    if setups:
        ir["parameters"].append(
            {
                "name": "setup_cost",
                "description": f"fixed cost of a production run in a {skin.period}",
                "values": setup_cost,
            }
        )
        ir["variables"].append(
            {
                "name": "run",
                "description": "1 if production is set up",
                "index": ["T"],
                "domain": "binary",
            }
        )
        ir["objective"]["expression"] = (
            "sum(unit_cost[t] * make[t] + hold * stock[t] + setup_cost * run[t] for t in T)"
        )
        ir["objective"]["description"] = "production, storage and setup cost"
        ir["constraints"][2]["expression"] = "make[t] <= cap[t] * run[t]"
        ir["constraints"][2]["description"] = "produce only in set-up periods, within capacity"
        features.append("linking_bigM")
    facts: list[Fact] = []
    rows = {
        (nm, c): v
        for nm, d, pc, cp in zip(names, demand, pcost, cap)
        for c, v in (
            ("demand", ph.qty(d, unit)),
            ("cost per " + unit, ph.money(pc)),
            ("capacity", ph.qty(cp, unit)),
        )
    }
    facts.append(
        Fact(
            ph.t("The plan covers {n} {p}:", n=ph.num(n), p=plural(skin.period))
            + "\n"
            + ph.table(skin.period, names, ["demand", "cost per " + unit, "capacity"], rows),
            covers=("capacity", "balance", "balance_first"),
            pin="first",
        )
    )
    facts.append(
        Fact(
            ph.s(
                "[Keeping|Storing|Holding] a {u} in stock from one {p} to the next costs {m}",
                u=unit,
                p=skin.period,
                m=ph.money(hold),
            )
        )
    )
    if init:
        facts.append(
            Fact(
                ph.s(
                    "There are {q} in stock [today|at the start|before {m}]",
                    q=ph.qty(init, unit),
                    m=names[0],
                ),
                covers=("balance_first",),
            )
        )
    else:
        facts.append(
            Fact(
                ph.s("The warehouse [starts empty|is empty at the start]"),
                covers=("balance_first",),
            )
        )
    facts.append(
        Fact(
            ph.s("Demand must be met on time: [no backorders|late deliveries are not allowed]"),
            covers=("balance", "balance_first"),
        )
    )
    if setups:
        facts.append(
            Fact(
                ph.s(
                    "[Every|Each] {p} in which the line runs [there is|carries] a setup cost of {m}",
                    p=skin.period,
                    m=ph.money(setup_cost),
                ),
                covers=("capacity",),
            )
        )
    question = ph.pick(
        [
            ph.s(
                "How much should be made in each {p} to minimise the total cost, and what is it?",
                p=skin.period,
            ),
            ph.s("What is the [minimum|lowest] total cost of meeting demand?"),
        ]
    )
    return Draft(
        ir,
        ph.s(skin.intro),
        tuple(facts),
        question,
        tuple(features),
        "the total cost",
        True,
        size=n,
    )


SPEC = FamilySpec(
    name="lot_sizing",
    summary="multi-period production and inventory (setup costs as big-M)",
    build=lot_sizing,
    kind="MILP",
    sizes=(2, 24),
)
