"""The transportation family: ship from supplies to demands at least cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec, ident
from optiscribe.data.synth.text import join_list, plural, round_to


@dataclass(frozen=True)
class TransportationSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    intro: tuple[str, ...]
    src: tuple[str, ...]
    src_kind: str
    dst: tuple[str, ...]
    dst_kind: str
    unit: str
    cost: tuple[int, int]
    qty: tuple[int, int]


_TRANSPORT_SKINS: tuple[TransportationSkin, ...] = (
    TransportationSkin(
        intro=(
            "A shipping firm moves goods from its warehouses to retail stores",
            "A distributor supplies its stores from several warehouses",
        ),
        src=(
            "Leeds",
            "Bristol",
            "Hull",
            "Derby",
            "Norwich",
            "Exeter",
        ),
        src_kind="warehouse",
        dst=(
            "store A",
            "store B",
            "store C",
            "store D",
            "store E",
            "store F",
            "store G",
            "store H",
        ),
        dst_kind="store",
        unit="pallet",
        cost=(2, 25),
        qty=(20, 120),
    ),
    TransportationSkin(
        intro=(
            "A power company sends electricity from its plants to cities",
            "An electricity utility must meet the demand of several cities from its plants",
        ),
        src=(
            "plant 1",
            "plant 2",
            "plant 3",
            "plant 4",
            "plant 5",
        ),
        src_kind="plant",
        dst=(
            "Springfield",
            "Shelbyville",
            "Ogdenville",
            "North Haverbrook",
            "Capital City",
            "Brockway",
        ),
        dst_kind="city",
        unit="MWh",
        cost=(5, 40),
        qty=(200, 900),
    ),
    TransportationSkin(
        intro=(
            "A grain cooperative ships wheat from its farms to flour mills",
            "Farms in the valley sell their harvest to several mills",
        ),
        src=(
            "Hillside farm",
            "River farm",
            "Oak farm",
            "Meadow farm",
            "Ridge farm",
        ),
        src_kind="farm",
        dst=(
            "North mill",
            "South mill",
            "East mill",
            "West mill",
            "Central mill",
            "Harbour mill",
        ),
        dst_kind="mill",
        unit="tonne",
        cost=(3, 18),
        qty=(40, 300),
    ),
    TransportationSkin(
        intro=("A regional blood service distributes blood units from its banks to hospitals",),
        src=(
            "central bank",
            "north bank",
            "south bank",
            "east bank",
        ),
        src_kind="blood bank",
        dst=(
            "St Mary's",
            "General",
            "Royal Infirmary",
            "Children's",
            "Memorial",
            "University Hospital",
        ),
        dst_kind="hospital",
        unit="unit of blood",
        cost=(1, 9),
        qty=(10, 60),
    ),
)


def transportation(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_TRANSPORT_SKINS)
    n_s = min(len(skin.src), ctx.level(2, rng.randint(2, 3), rng.randint(3, 5)))
    n_d = min(len(skin.dst), ctx.n((2, 3), (3, 5), (5, 7)))
    srcs = rng.sample(skin.src, n_s)
    dsts = rng.sample(skin.dst, n_d)
    qlo, qhi = skin.qty
    demand = {d: round_to(rng.uniform(qlo, qhi), 5) for d in dsts}
    total = sum(demand.values())
    share = [rng.random() + 0.3 for _ in srcs]
    ssum = sum(share)
    slack = rng.uniform(1.05, 1.4)
    supply = {s: round_to(total * slack * w / ssum, 5) + 5 for s, w in zip(srcs, share)}
    cost = {
        (s, d): round_to(rng.uniform(*skin.cost), 0.5 if skin.cost[1] < 10 else 1)
        for s in srcs
        for d in dsts
    }
    blocked: list[tuple[str, str]] = []
    if ctx.difficulty == "hard" and n_s >= 3:
        for _ in range(rng.randint(1, 3)):
            s, d = rng.choice(srcs), rng.choice(dsts)
            if (s, d) not in blocked and sum(1 for x in blocked if x[1] == d) < n_s - 1:
                blocked.append((s, d))
    routes = [(s, d) for s in srcs for d in dsts if (s, d) not in blocked]
    S = [ident(s) for s in srcs]
    Dn = [ident(d) for d in dsts]
    sid, did = dict(zip(srcs, S)), dict(zip(dsts, Dn))
    unit = skin.unit
    ir: dict[str, Any] = {
        "name": "transportation",
        "description": "Ship from sources to destinations at least cost, within supplies and meeting demands.",
        "sets": [
            {"name": "S", "description": f"{plural(skin.src_kind)}", "elements": S},
            {"name": "D", "description": f"{plural(skin.dst_kind)}", "elements": Dn},
        ],
        "parameters": [
            {
                "name": "supply",
                "description": f"{plural(unit)} available at each source",
                "index": ["S"],
                "values": {sid[s]: supply[s] for s in srcs},
            },
            {
                "name": "demand",
                "description": f"{plural(unit)} required at each destination",
                "index": ["D"],
                "values": {did[d]: demand[d] for d in dsts},
            },
        ],
        "variables": [],
        "objective": {"sense": "minimize", "expression": "", "description": "total shipping cost"},
        "constraints": [],
    }
    features = ["supply", "demand"]
    if blocked:
        ir["sets"].append(
            {
                "name": "ROUTES",
                "description": "usable routes",
                "elements": [[sid[s], did[d]] for s, d in routes],
            }
        )
        ir["parameters"].append(
            {
                "name": "cost",
                "description": f"cost per {unit} on each route",
                "index": ["ROUTES"],
                "values": [[sid[s], did[d], cost[(s, d)]] for s, d in routes],
            }
        )
        ir["variables"].append(
            {
                "name": "ship",
                "description": f"{plural(unit)} shipped on each route",
                "index": ["ROUTES"],
                "lower": 0,
            }
        )
        ir["objective"]["expression"] = "sum(cost[s, d] * ship[s, d] for (s, d) in ROUTES)"
        ir["constraints"] += [
            {
                "name": "supply_limit",
                "description": "ship no more than the supply",
                "for_each": "i in S",
                "expression": "sum(ship[s, d] for (s, d) in ROUTES if s == i) <= supply[i]",
            },
            {
                "name": "meet_demand",
                "description": "meet each demand",
                "for_each": "j in D",
                "expression": "sum(ship[s, d] for (s, d) in ROUTES if d == j) >= demand[j]",
            },
        ]
        features.append("sparse_routes")
    else:
        ir["parameters"].append(
            {
                "name": "cost",
                "description": f"cost per {unit} from s to d",
                "index": ["S", "D"],
                "values": {sid[s]: {did[d]: cost[(s, d)] for d in dsts} for s in srcs},
            }
        )
        ir["variables"].append(
            {
                "name": "ship",
                "description": f"{plural(unit)} shipped from s to d",
                "index": ["S", "D"],
                "lower": 0,
            }
        )
        ir["objective"]["expression"] = "sum(cost[s, d] * ship[s, d] for s in S for d in D)"
        ir["constraints"] += [
            {
                "name": "supply_limit",
                "description": "ship no more than the supply",
                "for_each": "s in S",
                "expression": "sum(ship[s, d] for d in D) <= supply[s]",
            },
            {
                "name": "meet_demand",
                "description": "meet each demand",
                "for_each": "d in D",
                "expression": "sum(ship[s, d] for s in S) >= demand[d]",
            },
        ]
    facts: list[Fact] = []
    sk, dk = skin.src_kind, skin.dst_kind
    facts.append(
        Fact(
            ph.s("[There are|It has] {n} {k}: {l}", n=ph.num(n_s), k=plural(sk), l=join_list(srcs)),
            pin="first",
        )
    )
    facts.append(
        Fact(
            ph.s(
                "[Supplies|Available amounts] [this month|this week|are]: {l}",
                l=ph.listing([(s, ph.qty(supply[s], unit)) for s in srcs]),
            ),
            covers=("supply_limit",),
        )
    )
    facts.append(
        Fact(
            ph.s(
                "The {k} [need|require|have ordered] {l}",
                k=plural(dk),
                l=join_list([f"{ph.qty(demand[d], unit)} ({d})" for d in dsts]),
            ),
            covers=("meet_demand",),
        )
    )
    cell = {
        (s, d): ("—" if (s, d) in blocked else ph.money(cost[(s, d)])) for s in srcs for d in dsts
    }
    facts.append(
        Fact(
            ph.t(
                "[Shipping cost|Cost] per {u} [on each route|from each {sk} to each {dk}]:",
                u=unit,
                sk=sk,
                dk=dk,
            )
            + "\n"
            + ph.table("from \\ to", srcs, dsts, cell)
        )
    )
    if blocked:
        facts.append(
            Fact(
                ph.s(
                    "[A dash marks a route that cannot be used|Routes marked with a dash are closed]"
                ),
                covers=("supply_limit", "meet_demand"),
            )
        )
    intro = ph.s(ph.pick(skin.intro))
    question = ph.pick(
        [
            ph.s(
                "How should the shipments be planned to meet all demand at the lowest total cost? What is that cost?"
            ),
            ph.s("[What is the minimum|Find the lowest] total shipping cost"),
            ph.s(
                "Determine how much to send on each route so that every {dk} gets what it needs as cheaply as possible, "
                "and give the total cost",
                dk=dk,
            ),
        ]
    )
    return Draft(
        ir,
        intro,
        tuple(facts),
        question,
        tuple(features),
        "the total shipping cost",
        True,
        size=n_s * n_d,
    )


SPEC = FamilySpec(
    name="transportation",
    summary="ship from supplies to demands at least cost",
    build=transportation,
    kind="LP",
    sizes=(2, 6),
)
