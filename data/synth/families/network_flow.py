"""The network_flow family: min-cost flow or max flow on a directed network."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec, ident
from optiscribe.data.synth.text import fmt_number, join_list, plural, round_to


@dataclass(frozen=True)
class NetworkFlowSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    intro: str
    node: str
    unit: str
    rate: str
    flow_unit: str
    cost: tuple[int, int]
    names: tuple[str, ...]


_NET_SKINS: tuple[NetworkFlowSkin, ...] = (
    NetworkFlowSkin(
        intro="An oil company moves crude through a pipeline network",
        node="station",
        unit="barrel",
        rate="thousand barrels per day",
        flow_unit="thousand barrels",
        cost=(100, 900),
        names=(
            "Alpha",
            "Bravo",
            "Charlie",
            "Delta",
            "Echo",
            "Foxtrot",
            "Golf",
            "Hotel",
            "India",
        ),
    ),
    NetworkFlowSkin(
        intro="A city's water company routes water through its mains",
        node="junction",
        unit="megalitre",
        rate="megalitres per day",
        flow_unit="megalitre",
        cost=(20, 150),
        names=(
            "J1",
            "J2",
            "J3",
            "J4",
            "J5",
            "J6",
            "J7",
            "J8",
            "J9",
        ),
    ),
    NetworkFlowSkin(
        intro="A logistics firm routes lorries through its hubs",
        node="hub",
        unit="lorry",
        rate="lorries per day",
        flow_unit="lorry",
        cost=(20, 120),
        names=(
            "Avon",
            "Brent",
            "Calder",
            "Derwent",
            "Eden",
            "Frome",
            "Garry",
            "Hodder",
            "Irwell",
        ),
    ),
)


def network_flow(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_NET_SKINS)
    n_mid = ctx.n((2, 3), (3, 4), (4, 6))
    names = rng.sample(skin.names, n_mid + 2)
    src, sink, mids = names[0], names[1], names[2:]
    arcs: list[tuple[str, str]] = []
    for m in mids:
        if rng.random() < 0.8 or not arcs:
            arcs.append((src, m))
        if rng.random() < 0.8:
            arcs.append((m, sink))
    for a in mids:
        for b in mids:
            if a != b and mids.index(a) < mids.index(b) and rng.random() < 0.45:
                arcs.append((a, b))
    if not any(a == src for a, _ in arcs):
        arcs.append((src, mids[0]))
    if not any(b == sink for _, b in arcs):
        arcs.append((mids[-1], sink))
    # every middle node needs an in and an out arc
    for m in mids:
        if not any(b == m for _, b in arcs):
            arcs.append((src, m))
        if not any(a == m for a, _ in arcs):
            arcs.append((m, sink))
    arcs = sorted(set(arcs), key=lambda a: (names.index(a[0]), names.index(a[1])))
    capa = {a: round_to(rng.uniform(10, 80), 5) for a in arcs}
    cost = {a: rng.randint(*skin.cost) for a in arcs}
    max_flow = rng.random() < 0.4
    N = [ident(x) for x in names]
    nid = dict(zip(names, N))
    A = [[nid[a], nid[b]] for a, b in arcs]
    ir: dict[str, Any] = {
        "name": "network_flow",
        "sets": [
            {"name": "N", "description": f"{plural(skin.node)}", "elements": N},
            {"name": "ARCS", "description": "links", "elements": A},
            {
                "name": "MID",
                "description": "intermediate nodes",
                "elements": [nid[m] for m in mids],
            },
        ],
        "parameters": [
            {
                "name": "cap",
                "description": f"capacity of each link ({skin.rate})",
                "index": ["ARCS"],
                "values": [[nid[a], nid[b], capa[(a, b)]] for a, b in arcs],
            }
        ],
        "variables": [
            {
                "name": "flow",
                "description": f"flow on each link ({skin.rate})",
                "index": ["ARCS"],
                "lower": 0,
            }
        ],
        "constraints": [
            {
                "name": "conserve",
                "description": "what flows in flows out",
                "for_each": "n in MID",
                "expression": "sum(flow[i, j] for (i, j) in ARCS if j == n) == sum(flow[i, j] for (i, j) in ARCS if i == n)",
            },
            {
                "name": "link_cap",
                "description": "link capacities",
                "for_each": "(i, j) in ARCS",
                "expression": "flow[i, j] <= cap[i, j]",
            },
        ],
    }
    facts: list[Fact] = []
    facts.append(
        Fact(
            ph.s(
                "[Flow starts at|Everything leaves from] {s} and [must reach|ends at] {t}; it can pass through {m}",
                s=src,
                t=sink,
                m=join_list(mids),
            ),
            covers=("conserve",),
            pin="first",
        )
    )
    if max_flow:
        ir["name"] = "max_flow"
        ir["description"] = f"Largest flow from {src} to {sink} within link capacities."
        ir["objective"] = {
            "sense": "maximize",
            "expression": f"sum(flow[i, j] for (i, j) in ARCS if i == '{nid[src]}')",
            "description": f"flow out of {src}",
        }
        lines = [f"- {a} → {b}: {fmt_number(capa[(a, b)])}" for a, b in arcs]
        facts.append(
            Fact(
                ph.t("[Links and their capacities|The links, with capacity] in {r}:", r=skin.rate)
                + "\n"
                + "\n".join(lines),
                covers=("link_cap",),
                bounding=True,
            )
        )
        question = ph.pick(
            [
                ph.s(
                    "What is the largest flow, in {r}, that can be sent from {s} to {t}?",
                    r=skin.rate,
                    s=src,
                    t=sink,
                ),
                ph.s("How much can the network carry from {s} to {t} at most?", s=src, t=sink),
            ]
        )
        features: tuple[str, ...] = ("flow_conservation", "capacity", "max_flow")
        noun, money = "the flow", False
    else:
        ir["name"] = "min_cost_flow"
        min_cap = _max_flow_value(names, arcs, capa, src, sink)
        amount = max(5.0, round_to(min_cap * rng.uniform(0.5, 0.9), 5))
        if amount > min_cap:
            amount = math.floor(min_cap)
        ir["description"] = f"Send {fmt_number(amount)} from {src} to {sink} at least cost."
        ir["parameters"] += [
            {
                "name": "cost",
                "description": f"cost per {skin.flow_unit} on each link",
                "index": ["ARCS"],
                "values": [[nid[a], nid[b], cost[(a, b)]] for a, b in arcs],
            },
            {"name": "amount", "description": "amount to send", "values": amount},
        ]
        ir["objective"] = {
            "sense": "minimize",
            "expression": "sum(cost[i, j] * flow[i, j] for (i, j) in ARCS)",
            "description": "transport cost",
        }
        ir["constraints"].append(
            {
                "name": "send",
                "description": "the source sends the amount",
                "expression": f"sum(flow[i, j] for (i, j) in ARCS if i == '{nid[src]}') == amount",
            }
        )
        lines = [
            f"- {a} → {b}: {ph.t('[capacity|up to]')} {fmt_number(capa[(a, b)])}, {ph.money(cost[(a, b)])} per {skin.flow_unit}"
            for a, b in arcs
        ]
        facts.append(
            Fact(
                ph.t(
                    "The links (capacity in {r}, cost per {u}):",
                    r=skin.rate,
                    u=skin.flow_unit,
                )
                + "\n"
                + "\n".join(lines),
                covers=("link_cap",),
            )
        )
        facts.append(
            Fact(
                ph.s(
                    "{a} {r} must [be sent|go] from {s} to {t}",
                    a=fmt_number(amount),
                    r=skin.rate,
                    s=src,
                    t=sink,
                ),
                covers=("send",),
            )
        )
        question = ph.pick(
            [
                ph.s("What is the cheapest way to send it, and what does it cost?"),
                ph.s("Find the minimum total cost of the flow"),
            ]
        )
        features = ("flow_conservation", "capacity", "min_cost_flow", "equality")
        noun, money = "the total cost", True
    return Draft(
        ir, ph.s(skin.intro), tuple(facts), question, features, noun, money, size=len(arcs)
    )


def _max_flow_value(
    names: list[str], arcs: list[tuple[str, str]], cap: dict[tuple[str, str], float], s: str, t: str
) -> float:
    """Edmonds-Karp on the small graph: the most a min-cost-flow instance may ask for."""
    res: dict[tuple[str, str], float] = {}
    for a, b in arcs:
        res[(a, b)] = res.get((a, b), 0.0) + cap[(a, b)]
        res.setdefault((b, a), 0.0)
    total = 0.0
    while True:
        parent: dict[str, str] = {s: s}
        queue = [s]
        while queue and t not in parent:
            u = queue.pop(0)
            for (a, b), r in res.items():
                if a == u and r > 1e-9 and b not in parent:
                    parent[b] = u
                    queue.append(b)
        if t not in parent:
            return total
        path, v = [], t
        while v != s:
            path.append((parent[v], v))
            v = parent[v]
        push = min(res[e] for e in path)
        for a, b in path:
            res[(a, b)] -= push
            res[(b, a)] += push
        total += push


SPEC = FamilySpec(
    name="network_flow",
    summary="min-cost flow or max flow on a directed network",
    build=network_flow,
    kind="LP",
    sizes=(1, 7),
)
