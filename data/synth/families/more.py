"""Problem families, part 2: bin packing, lot sizing, network flow, staffing, scheduling
with big-M, cutting stock, portfolio LP, and NL4Opt-style small problems.

Same rules as part 1 (:mod:`optiscribe.data.synth.families.basic`): believable numbers, every
number in the text, a planted solution where that is cheap, a solver check afterwards.
"""

from __future__ import annotations

import math
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, family, ident
from optiscribe.data.synth.text import a_an, fmt_number, join_list, plural, round_to

# ============================================================================ bin packing

_BIN_SKINS: list[dict[str, Any]] = [
    {
        "intro": "A removals firm must load {n} boxes onto its vans",
        "item": "box",
        "bin": "van",
        "unit": "kg",
        "size": (20, 350),
        "cap": (500, 900),
        "step": 5,
    },
    {
        "intro": "An IT team is archiving {n} project folders onto external drives",
        "item": "folder",
        "bin": "drive",
        "unit": "GB",
        "size": (40, 700),
        "cap": (1000, 1000),
        "step": 10,
    },
    {
        "intro": "A hospital has {n} operations to fit into operating-room days",
        "item": "operation",
        "bin": "room-day",
        "unit": "minute",
        "size": (45, 300),
        "cap": (480, 600),
        "step": 15,
    },
    {
        "intro": "A shipping agent must pack {n} consignments into containers",
        "item": "consignment",
        "bin": "container",
        "unit": "m3",
        "size": (3, 28),
        "cap": (33, 33),
        "step": 1,
    },
]


def _first_fit_decreasing(sizes: list[float], cap: float) -> int:
    bins: list[float] = []
    for s in sorted(sizes, reverse=True):
        for k, used in enumerate(bins):
            if used + s <= cap + 1e-9:
                bins[k] += s
                break
        else:
            bins.append(s)
    return len(bins)


@family("bin_packing", "fewest bins holding all items", kind="IP")
def bin_packing(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_BIN_SKINS)
    n = ctx.n((4, 6), (6, 8), (8, 11))
    cap = round_to(rng.uniform(*skin["cap"]), 10 if skin["cap"][1] > 100 else 1)
    lo, hi = skin["size"]
    sizes = [round_to(rng.uniform(lo, min(hi, cap)), skin["step"]) for _ in range(n)]
    sizes = [min(max(s, skin["step"]), cap) for s in sizes]
    nb = _first_fit_decreasing(sizes, cap)
    labels = [f"{skin['item']} {i}" for i in range(1, n + 1)]
    I = [f"i{i}" for i in range(1, n + 1)]
    unit = skin["unit"]
    ir: dict[str, Any] = {
        "name": "bin_packing",
        "description": f"Put every {skin['item']} into a {skin['bin']} using as few {plural(skin['bin'])} as possible.",
        "sets": [
            {"name": "I", "description": plural(skin["item"]), "elements": I},
            {
                "name": "B",
                "description": f"{plural(skin['bin'])} available",
                "first": 1,
                "last": nb,
            },
        ],
        "parameters": [
            {
                "name": "size",
                "description": f"{unit} of each item",
                "index": ["I"],
                "values": dict(zip(I, sizes)),
            },
            {
                "name": "cap",
                "description": f"capacity of one {skin['bin']} ({unit})",
                "values": cap,
            },
        ],
        "variables": [
            {
                "name": "used",
                "description": f"1 if the {skin['bin']} is used",
                "index": ["B"],
                "domain": "binary",
            },
            {
                "name": "put",
                "description": "1 if item i goes into bin b",
                "index": ["I", "B"],
                "domain": "binary",
            },
        ],
        "objective": {
            "sense": "minimize",
            "expression": "sum(used[b] for b in B)",
            "description": f"{plural(skin['bin'])} used",
        },
        "constraints": [
            {
                "name": "assign",
                "description": "every item in exactly one bin",
                "for_each": "i in I",
                "expression": "sum(put[i, b] for b in B) == 1",
            },
            {
                "name": "fill",
                "description": "capacity of used bins",
                "for_each": "b in B",
                "expression": "sum(size[i] * put[i, b] for i in I) <= cap * used[b]",
            },
            {
                "name": "order",
                "description": "use bins in order (symmetry breaking)",
                "for_each": "b in B",
                "condition": "b > 1",
                "expression": "used[b] <= used[b - 1]",
            },
        ],
    }
    facts: list[Fact] = []
    if ph.chance(0.5):
        facts.append(
            Fact(
                ph.s(
                    "Their sizes are {l}",
                    l=ph.listing([(lab, ph.qty(s, unit)) for lab, s in zip(labels, sizes)]),
                )
            )
        )
    else:
        facts.append(
            Fact(
                ph.s(
                    "The {it} [weigh|take up|need] {l} [respectively|in that order]",
                    it=plural(skin["item"]),
                    l=join_list([ph.qty(s, unit) for s in sizes]),
                )
            )
        )
    facts.append(
        Fact(
            ph.s("[Each|Every|One] {b} holds at most {c}", b=skin["bin"], c=ph.qty(cap, unit)),
            covers=("fill",),
        )
    )
    facts.append(
        Fact(
            ph.s(
                "{n} {b} are available, and [each {it} must go into a single {b1}|no {it} can be split between {bb}]",
                n=ph.num(nb).capitalize(),
                b=plural(skin["bin"], nb),
                it=skin["item"],
                bb=plural(skin["bin"]),
                b1=skin["bin"],
            ),
            covers=("assign",),
        )
    )
    question = ph.pick(
        [
            ph.s("What is the smallest number of {b} needed?", b=plural(skin["bin"])),
            ph.s("How few {b} can do the job?", b=plural(skin["bin"])),
        ]
    )
    return Draft(
        ir,
        ph.s(skin["intro"], n=ph.num(n)),
        tuple(facts),
        question,
        ("binary", "assignment", "linking_bigM", "symmetry"),
        f"the number of {plural(skin['bin'])}",
        False,
        size=n * nb,
    )


# ============================================================================ lot sizing

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
_LOT_SKINS: list[dict[str, Any]] = [
    {
        "intro": "A toy factory plans production for the run-up to the holidays",
        "unit": "crate",
        "period": "month",
        "demand": (100, 600),
        "pcost": (8, 16),
        "hold": (0.5, 2.0),
        "setup": (300, 1500),
    },
    {
        "intro": "An ice-cream maker plans production for the summer season",
        "unit": "pallet",
        "period": "month",
        "demand": (40, 200),
        "pcost": (50, 90),
        "hold": (4, 12),
        "setup": (400, 2000),
    },
    {
        "intro": "A bakery supplier plans its weekly output of frozen dough",
        "unit": "tonne",
        "period": "week",
        "demand": (10, 60),
        "pcost": (200, 400),
        "hold": (10, 40),
        "setup": (500, 2500),
    },
    {
        "intro": "A fertiliser plant schedules its production runs",
        "unit": "tonne",
        "period": "week",
        "demand": (50, 250),
        "pcost": (90, 150),
        "hold": (3, 9),
        "setup": (800, 3000),
    },
]


@family("lot_sizing", "multi-period production and inventory (setup costs as big-M)", kind="MILP")
def lot_sizing(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_LOT_SKINS)
    n = ctx.n((3, 4), (4, 6), (6, 8))
    setups = ctx.difficulty != "easy" or rng.random() < 0.3
    demand = [round_to(rng.uniform(*skin["demand"]), 5) for _ in range(n)]
    pc_base = rng.uniform(*skin["pcost"])
    pcost = [round_to(pc_base * rng.uniform(0.85, 1.2), 0.5) for _ in range(n)]
    hold = round_to(rng.uniform(*skin["hold"]), 0.5)
    setup_cost = round_to(rng.uniform(*skin["setup"]), 50)
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
        if skin["period"] == "month"
        else [f"week {t + 1}" for t in range(n)]
    )
    unit = skin["unit"]
    T = list(range(1, n + 1))
    ir: dict[str, Any] = {
        "name": "lot_sizing",
        "description": f"Plan production and stock over {n} {plural(skin['period'])} to meet demand at least cost.",
        "sets": [
            {
                "name": "T",
                "description": f"{plural(skin['period'])} ({names[0]} = 1)",
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
                "description": f"cost of storing one {unit} to the next {skin['period']}",
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
                "description": f"{plural(unit)} in stock at the end of the {skin['period']}",
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
                "description": f"fixed cost of a production run in a {skin['period']}",
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
            ph.t("The plan covers {n} {p}:", n=ph.num(n), p=plural(skin["period"]))
            + "\n"
            + ph.table(skin["period"], names, ["demand", "cost per " + unit, "capacity"], rows),
            covers=("capacity", "balance", "balance_first"),
            pin="first",
        )
    )
    facts.append(
        Fact(
            ph.s(
                "[Keeping|Storing|Holding] a {u} in stock from one {p} to the next costs {m}",
                u=unit,
                p=skin["period"],
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
                    p=skin["period"],
                    m=ph.money(setup_cost),
                ),
                covers=("capacity",),
            )
        )
    question = ph.pick(
        [
            ph.s(
                "How much should be made in each {p} to minimise the total cost, and what is it?",
                p=skin["period"],
            ),
            ph.s("What is the [minimum|lowest] total cost of meeting demand?"),
        ]
    )
    return Draft(
        ir,
        ph.s(skin["intro"]),
        tuple(facts),
        question,
        tuple(features),
        "the total cost",
        True,
        size=n,
    )


# ============================================================================ network flow

_NET_SKINS: list[dict[str, Any]] = [
    {
        "intro": "An oil company moves crude through a pipeline network",
        "node": "station",
        "unit": "barrel",
        "rate": "thousand barrels per day",
        "flow_unit": "thousand barrels",
        "cost": (100, 900),
        "names": [
            "Alpha",
            "Bravo",
            "Charlie",
            "Delta",
            "Echo",
            "Foxtrot",
            "Golf",
            "Hotel",
            "India",
        ],
    },
    {
        "intro": "A city's water company routes water through its mains",
        "node": "junction",
        "unit": "megalitre",
        "rate": "megalitres per day",
        "flow_unit": "megalitre",
        "cost": (20, 150),
        "names": ["J1", "J2", "J3", "J4", "J5", "J6", "J7", "J8", "J9"],
    },
    {
        "intro": "A logistics firm routes lorries through its hubs",
        "node": "hub",
        "unit": "lorry",
        "rate": "lorries per day",
        "flow_unit": "lorry",
        "cost": (20, 120),
        "names": [
            "Avon",
            "Brent",
            "Calder",
            "Derwent",
            "Eden",
            "Frome",
            "Garry",
            "Hodder",
            "Irwell",
        ],
    },
]


@family("network_flow", "min-cost flow or max flow on a directed network", kind="LP")
def network_flow(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_NET_SKINS)
    n_mid = ctx.n((2, 3), (3, 4), (4, 6))
    names = rng.sample(skin["names"], n_mid + 2)
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
    cost = {a: rng.randint(*skin["cost"]) for a in arcs}
    max_flow = rng.random() < 0.4
    N = [ident(x) for x in names]
    nid = dict(zip(names, N))
    A = [[nid[a], nid[b]] for a, b in arcs]
    ir: dict[str, Any] = {
        "name": "network_flow",
        "sets": [
            {"name": "N", "description": f"{plural(skin['node'])}", "elements": N},
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
                "description": f"capacity of each link ({skin['rate']})",
                "index": ["ARCS"],
                "values": [[nid[a], nid[b], capa[(a, b)]] for a, b in arcs],
            }
        ],
        "variables": [
            {
                "name": "flow",
                "description": f"flow on each link ({skin['rate']})",
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
                ph.t(
                    "[Links and their capacities|The links, with capacity] in {r}:", r=skin["rate"]
                )
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
                    r=skin["rate"],
                    s=src,
                    t=sink,
                ),
                ph.s("How much can the network carry from {s} to {t} at most?", s=src, t=sink),
            ]
        )
        features = ("flow_conservation", "capacity", "max_flow")
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
                "description": f"cost per {skin['flow_unit']} on each link",
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
            f"- {a} → {b}: {ph.t('[capacity|up to]')} {fmt_number(capa[(a, b)])}, {ph.money(cost[(a, b)])} per {skin['flow_unit']}"
            for a, b in arcs
        ]
        facts.append(
            Fact(
                ph.t(
                    "The links (capacity in {r}, cost per {u}):",
                    r=skin["rate"],
                    u=skin["flow_unit"],
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
                    r=skin["rate"],
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
        ir, ph.s(skin["intro"]), tuple(facts), question, features, noun, money, size=len(arcs)
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


# ============================================================================ staffing

_STAFF_SKINS: list[dict[str, Any]] = [
    {
        "intro": "A hospital ward must staff its nurses around the clock",
        "who": "nurse",
        "mode": "blocks",
    },
    {
        "intro": "A call centre plans how many agents start at each time of day",
        "who": "agent",
        "mode": "blocks",
    },
    {
        "intro": "A police station schedules officers over the week",
        "who": "officer",
        "mode": "week",
    },
    {"intro": "A bus company plans its drivers' working weeks", "who": "driver", "mode": "week"},
    {"intro": "A restaurant chain staffs its kitchen over the week", "who": "cook", "mode": "week"},
]
_BLOCKS = ["midnight–4am", "4am–8am", "8am–noon", "noon–4pm", "4pm–8pm", "8pm–midnight"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@family("staffing", "cyclic shift covering with integer staff", kind="IP")
def staffing(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_STAFF_SKINS)
    who = skin["who"]
    if ctx.size is not None:  # a rota that repeats every `size` days (at least 3)
        n_days = max(3, ctx.size)
        labels, length = [f"day {k + 1}" for k in range(n_days)], max(1, round(n_days * 5 / 7))
        shift_word = f"{length} days in a row, then {n_days - length} off"
        need = [rng.randint(5, 20) for _ in range(n_days)]
        period = "day"
        skin = {**skin, "mode": "rota"}
    elif skin["mode"] == "blocks":
        labels, length, shift_word = _BLOCKS, 2, "eight hours (two consecutive blocks)"
        need = [
            rng.randint(2, 8),
            rng.randint(2, 6),
            rng.randint(6, 16),
            rng.randint(8, 18),
            rng.randint(6, 14),
            rng.randint(3, 10),
        ]
        period = "block"
    else:
        labels, length, shift_word = _DAYS, 5, "five days in a row, then two days off"
        need = [rng.randint(8, 22) for _ in range(5)] + [rng.randint(5, 14) for _ in range(2)]
        period = "day"
    scale = ctx.level(1, rng.choice([1, 2]), rng.choice([2, 3]))
    need = [x * scale for x in need]
    n = len(labels)
    weighted = ctx.difficulty != "easy" and rng.random() < 0.7
    base = rng.randint(90, 250) if skin["mode"] == "blocks" else rng.randint(500, 1100)
    pay = [base] * n
    if weighted:
        pay = [
            round_to(
                base
                * (
                    rng.uniform(1.1, 1.4)
                    if (skin["mode"] == "week" and k >= 5)
                    or (skin["mode"] == "blocks" and k in (0, 5))
                    else 1.0
                ),
                5,
            )
            for k in range(n)
        ]
    P = list(range(1, n + 1))
    ir: dict[str, Any] = {
        "name": "staffing",
        "description": f"Fewest-cost cyclic schedule of {plural(who)} meeting the requirement of every {period}.",
        "sets": [
            {
                "name": "P",
                "description": f"{plural(period)} ({labels[0]} = 1)",
                "first": 1,
                "last": n,
            }
        ],
        "parameters": [
            {
                "name": "need",
                "description": f"{plural(who)} required in each {period}",
                "index": ["P"],
                "values": dict(zip(map(str, P), need)),
            },
            {
                "name": "shift_len",
                "description": f"{plural(period)} in one shift",
                "values": length,
            },
            {
                "name": "pay",
                "description": f"cost of a {who} starting in each {period}",
                "index": ["P"],
                "values": dict(zip(map(str, P), pay)),
            },
        ],
        "variables": [
            {
                "name": "start",
                "description": f"{plural(who)} starting in each {period}",
                "index": ["P"],
                "domain": "integer",
                "lower": 0,
            }
        ],
        "objective": {
            "sense": "minimize",
            "expression": "sum(pay[s] * start[s] for s in P)",
            "description": "staff cost",
        },
        "constraints": [
            {
                "name": "cover",
                "description": f"enough {plural(who)} on duty",
                "for_each": "p in P",
                "expression": "sum(start[s] for s in P if (p - s) % len(P) < shift_len) >= need[p]",
            }
        ],
    }
    features = ["covering", "integer", "cyclic"]
    facts: list[Fact] = []
    facts.append(
        Fact(
            ph.s(
                "[The minimum number of {w} on duty is|Staff needed on duty:|Required {w} on duty:] {l}",
                w=plural(who),
                l=ph.listing(list(zip(labels, [ph.num(x, words=False) for x in need]))),
            ),
            covers=("cover",),
            pin="first",
        )
    )
    repeat = {
        "blocks": ", and the schedule repeats [every day|each day]",
        "week": "; the schedule repeats every week",
        "rota": f"; the rota repeats every {n} days",
    }[skin["mode"]]
    facts.append(Fact(ph.s("Each {w} works {s}" + repeat, w=who, s=shift_word), covers=("cover",)))
    if weighted:
        facts.append(
            Fact(
                ph.s(
                    "[Each|Every] {w} [costs|is paid] {l}, depending on when the shift starts",
                    w=who,
                    l=ph.listing([(lab, ph.money(p)) for lab, p in zip(labels, pay)]),
                )
            )
        )
        question = ph.pick(
            [
                ph.s(
                    "How many {w} should start in each {p} to keep the cost as low as possible? Give the cost",
                    w=plural(who),
                    p=period,
                ),
                ph.s("What is the lowest total cost of a schedule that meets every requirement?"),
            ]
        )
        noun, money = "the total cost", True
    else:
        facts.append(
            Fact(
                ph.s(
                    "Every {w} costs the same, {m} per {u}",
                    w=who,
                    m=ph.money(base),
                    u={"blocks": "shift", "week": "week", "rota": "rota cycle"}[skin["mode"]],
                )
            )
        )
        question = ph.pick(
            [
                ph.s("What is the cheapest schedule, and what does it cost?"),
                ph.s(
                    "How many {w} should start in each {p} at the least cost? Report the cost",
                    w=plural(who),
                    p=period,
                ),
            ]
        )
        noun, money = "the total cost", True
    return Draft(ir, ph.s(skin["intro"]), tuple(facts), question, features, noun, money, size=n)


# ============================================================================ scheduling (big-M)

_SCHED_SKINS: list[dict[str, Any]] = [
    {
        "intro": "A print shop has {n} orders waiting for its only press",
        "job": "order",
        "unit": "hour",
    },
    {"intro": "A garage with one mechanic has {n} cars to repair", "job": "car", "unit": "hour"},
    {
        "intro": "A lab has {n} samples to run on its single analyser",
        "job": "sample",
        "unit": "minute",
    },
    {"intro": "A CNC workshop must sequence {n} jobs on one machine", "job": "job", "unit": "hour"},
]


@family("scheduling", "single-machine sequencing with big-M disjunctions", kind="MILP")
def scheduling(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_SCHED_SKINS)
    n = ctx.n((3, 3), (4, 5), (5, 6))
    labels = [f"{skin['job']} {c}" for c in "ABCDEFGH"[:n]]
    J = [ident(x) for x in "abcdefgh"[:n]]
    p = [rng.randint(1, 9) if skin["unit"] == "hour" else rng.randint(10, 60) for _ in range(n)]
    w = [rng.randint(1, 5) for _ in range(n)]
    releases = ctx.difficulty != "easy" and rng.random() < 0.6
    r = [0] * n
    if releases:
        r = [0 if k == 0 else rng.randint(0, sum(p) // 2) for k in range(n)]
    bigm = sum(p) + max(r)
    pairs = [[J[a], J[b]] for a in range(n) for b in range(a + 1, n)]
    ir: dict[str, Any] = {
        "name": "single_machine",
        "description": "Sequence jobs on one machine to minimise total weighted completion time.",
        "sets": [
            {"name": "J", "description": plural(skin["job"]), "elements": J},
            {
                "name": "PAIRS",
                "description": "pairs of jobs (i before j in the list)",
                "elements": pairs,
            },
        ],
        "parameters": [
            {
                "name": "dur",
                "description": f"processing time ({plural(skin['unit'])})",
                "index": ["J"],
                "values": dict(zip(J, p)),
            },
            {
                "name": "weight",
                "description": "importance weight",
                "index": ["J"],
                "values": dict(zip(J, w)),
            },
            {
                "name": "release",
                "description": "earliest start",
                "index": ["J"],
                "values": dict(zip(J, r)),
            },
            {"name": "M", "description": "big-M: a horizon no schedule exceeds", "values": bigm},
        ],
        "variables": [
            {"name": "start", "description": "start time", "index": ["J"], "lower": "release"},
            {
                "name": "before",
                "description": "1 if i runs before j",
                "index": ["PAIRS"],
                "domain": "binary",
            },
        ],
        "objective": {
            "sense": "minimize",
            "expression": "sum(weight[j] * (start[j] + dur[j]) for j in J)",
            "description": "weighted sum of completion times",
        },
        "constraints": [
            {
                "name": "i_first",
                "description": "if i before j, j starts after i ends",
                "for_each": "(i, j) in PAIRS",
                "expression": "start[i] + dur[i] <= start[j] + M * (1 - before[i, j])",
            },
            {
                "name": "j_first",
                "description": "otherwise i starts after j ends",
                "for_each": "(i, j) in PAIRS",
                "expression": "start[j] + dur[j] <= start[i] + M * before[i, j]",
            },
        ],
    }
    features = ["binary", "disjunctive_bigM", "weighted_completion"]
    facts: list[Fact] = []
    u = skin["unit"]
    rows = {}
    cols = ["time", "weight"] + (["earliest start"] if releases else [])
    for k, lab in enumerate(labels):
        rows[(lab, "time")] = ph.qty(p[k], u)
        rows[(lab, "weight")] = fmt_number(w[k])
        if releases:
            rows[(lab, "earliest start")] = f"after {ph.qty(r[k], u)}" if r[k] else "now"
    facts.append(
        Fact(
            ph.t("[Processing times and importance weights|The jobs]:")
            + "\n"
            + ph.table(skin["job"], labels, cols, rows)
        )
    )
    facts.append(
        Fact(
            ph.s(
                "The machine handles one {j} at a time and [never stops|cannot interrupt] a {j} once started",
                j=skin["job"],
            ),
            covers=("i_first", "j_first"),
        )
    )
    if releases:
        facts.append(
            Fact(
                ph.s(
                    "A {j} cannot start before it is ready; time is counted in {u} from now",
                    j=skin["job"],
                    u=plural(u),
                )
            )
        )
        features.append("release_dates")
    facts.append(
        Fact(
            ph.s(
                "The goal is to minimise the weighted sum of completion times (weight × finishing time)"
            )
        )
    )
    question = ph.pick(
        [
            ph.s(
                "In which order should the {j} be processed, and what is the smallest weighted completion time?",
                j=plural(skin["job"]),
            ),
            ph.s("What is the minimum total weighted completion time?"),
        ]
    )
    return Draft(
        ir,
        ph.s(skin["intro"], n=ph.num(n)),
        tuple(facts),
        question,
        tuple(features),
        "the weighted completion time",
        False,
        size=n,
    )


# ============================================================================ cutting stock

_CUT_SKINS: list[dict[str, Any]] = [
    {
        "intro": "A paper mill cuts its jumbo rolls into narrower rolls for customers",
        "stock": "jumbo roll",
        "piece": "roll",
        "unit": "cm",
        "W": (200, 300),
        "step": 5,
        "dim": "wide",
    },
    {
        "intro": "A steel service centre cuts standard bars into shorter pieces",
        "stock": "bar",
        "piece": "piece",
        "unit": "cm",
        "W": (600, 1200),
        "step": 10,
        "dim": "long",
    },
    {
        "intro": "A timber yard cuts boards to length for a builder",
        "stock": "board",
        "piece": "length",
        "unit": "cm",
        "W": (360, 480),
        "step": 5,
        "dim": "long",
    },
]


def _patterns(widths: list[float], W: float, limit: int = 40) -> list[tuple[int, ...]]:
    """Maximal cutting patterns (no further piece fits), fewest waste first."""
    out: list[tuple[int, ...]] = []
    smallest = min(widths)

    def rec(k: int, left: float, acc: list[int]) -> None:
        if k == len(widths):
            if left < smallest - 1e-9 and any(acc):
                out.append(tuple(acc))
            return
        for c in range(int(left // widths[k]), -1, -1):
            rec(k + 1, left - c * widths[k], [*acc, c])

    rec(0, W, [])
    out.sort(key=lambda pat: W - sum(c * w for c, w in zip(pat, widths)))
    return out[:limit]


@family("cutting_stock", "fewest stock pieces cut by listed patterns to meet orders", kind="IP")
def cutting_stock(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_CUT_SKINS)
    k = ctx.n((2, 2), (3, 3), (3, 4))
    W = round_to(rng.uniform(*skin["W"]), skin["step"] * 2)
    widths: list[float] = []
    while len(widths) < k:
        w = round_to(rng.uniform(W / 6, W / 2.2), skin["step"])
        if w not in widths:
            widths.append(w)
    widths.sort(reverse=True)
    pats = _patterns(widths, W, limit=ctx.level(6, 10, 16))
    for i in range(k):  # every width must appear in some pattern
        if not any(p[i] for p in pats):
            solo = tuple(int(W // widths[i]) if j == i else 0 for j in range(k))
            pats.append(solo)
    demand = [rng.randint(10, 80) for _ in range(k)]
    I = [f"w{int(x)}" for x in widths]
    K = list(range(1, len(pats) + 1))
    unit = skin["unit"]
    ir: dict[str, Any] = {
        "name": "cutting_stock",
        "description": f"Cut as few {plural(skin['stock'])} as possible with the listed patterns to meet the orders.",
        "sets": [
            {
                "name": "I",
                "description": f"ordered {plural(skin['piece'])} (by width)",
                "elements": I,
            },
            {"name": "K", "description": "cutting patterns", "first": 1, "last": len(pats)},
        ],
        "parameters": [
            {
                "name": "demand",
                "description": f"{plural(skin['piece'])} ordered",
                "index": ["I"],
                "values": dict(zip(I, demand)),
            },
            {
                "name": "pieces",
                "description": f"{plural(skin['piece'])} of width i cut by pattern k",
                "index": ["I", "K"],
                "values": [
                    [I[i], kk, pats[kk - 1][i]] for i in range(k) for kk in K if pats[kk - 1][i]
                ],
                "default": 0,
            },
        ],
        "variables": [
            {
                "name": "cut",
                "description": f"{plural(skin['stock'])} cut with pattern k",
                "index": ["K"],
                "domain": "integer",
                "lower": 0,
            }
        ],
        "objective": {
            "sense": "minimize",
            "expression": "sum(cut[k] for k in K)",
            "description": f"{plural(skin['stock'])} used",
        },
        "constraints": [
            {
                "name": "meet_orders",
                "description": "cut at least what was ordered",
                "for_each": "i in I",
                "expression": "sum(pieces[i, k] * cut[k] for k in K) >= demand[i]",
            }
        ],
    }
    facts: list[Fact] = []
    facts.append(
        Fact(
            ph.s(
                "[Every|Each] {s} is {W} {dim}", s=skin["stock"], W=ph.qty(W, unit), dim=skin["dim"]
            ),
            pin="first",
        )
    )
    facts.append(
        Fact(
            ph.s(
                "[The orders are|Customers have ordered] {l}",
                l=join_list(
                    [
                        f"{ph.num(d, words=False)} {plural(skin['piece'], d)} of {fmt_number(x)} {unit}"
                        for d, x in zip(demand, widths)
                    ]
                ),
            ),
            covers=("meet_orders",),
        )
    )
    lines = []
    for kk, pat in zip(K, pats):
        parts = join_list([f"{c} × {fmt_number(x)} {unit}" for c, x in zip(pat, widths) if c])
        waste = W - sum(c * x for c, x in zip(pat, widths))
        lines.append(
            f"- pattern {kk}: {parts}"
            + (
                f" ({fmt_number(waste)} {unit} {ph.pick(['waste', 'left over', 'of trim'])})"
                if waste
                else ""
            )
        )
    facts.append(
        Fact(
            ph.t("[The cutter can use these patterns|Allowed cutting patterns]:")
            + "\n"
            + "\n".join(lines),
            covers=("meet_orders",),
        )
    )
    facts.append(
        Fact(
            ph.s("Extra pieces [may be produced|are allowed] and [go to stock|are kept for later]"),
            pin="last",
        )
    )
    question = ph.pick(
        [
            ph.s("What is the smallest number of {s} that must be cut?", s=plural(skin["stock"])),
            ph.s(
                "How many {s} are needed at least, and how should they be cut?",
                s=plural(skin["stock"]),
            ),
        ]
    )
    return Draft(
        ir,
        ph.s(skin["intro"]),
        tuple(facts),
        question,
        ("integer", "covering", "patterns"),
        f"the number of {plural(skin['stock'])}",
        False,
        size=k * len(pats),
    )


# ============================================================================ portfolio LP

_PORT_SKINS: list[dict[str, Any]] = [
    {
        "intro": "An investor has {B} to invest",
        "assets": [
            ("government bonds", 2.0, 4.0, 1),
            ("corporate bonds", 3.5, 6.0, 2),
            ("index fund", 5.0, 8.0, 3),
            ("tech stocks", 7.0, 13.0, 5),
            ("real estate fund", 4.0, 7.5, 3),
            ("gold", 1.0, 5.0, 2),
            ("emerging markets", 8.0, 14.0, 5),
            ("savings account", 1.0, 2.5, 1),
        ],
        "budget": (20000, 500000),
        "step": 1000,
        "risk": "risk score",
    },
    {
        "intro": "A credit union will lend out {B} this quarter",
        "assets": [
            ("mortgages", 4.0, 6.5, 1),
            ("car loans", 6.0, 9.0, 2),
            ("personal loans", 9.0, 14.0, 4),
            ("credit cards", 14.0, 21.0, 5),
            ("business loans", 7.0, 11.0, 3),
            ("student loans", 5.0, 7.0, 2),
        ],
        "budget": (1_000_000, 20_000_000),
        "step": 50000,
        "risk": "risk rating",
    },
]


@family(
    "portfolio", "allocate a budget for the best expected return under risk rules (LP)", kind="LP"
)
def portfolio(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_PORT_SKINS)
    n = min(len(skin["assets"]), ctx.n((3, 3), (4, 5), (5, 7)))
    assets = rng.sample(skin["assets"], n)
    B = round_to(rng.uniform(*skin["budget"]), skin["step"])
    ret = {a[0]: round_to(rng.uniform(a[1], a[2]), 0.1) for a in assets}
    risk = {a[0]: a[3] for a in assets}
    mix = [rng.random() + 0.2 for _ in assets]
    s = sum(mix)
    share = {a[0]: m / s for a, m in zip(assets, mix)}
    cap_share = round_to(max(share.values()) * rng.uniform(1.05, 1.5), 0.05)
    cap_share = min(max(cap_share, 0.25), 0.7)
    avg_risk = sum(risk[a] * share[a] for a in risk)
    risk_lim = math.ceil(avg_risk * rng.uniform(1.0, 1.15) * 10) / 10
    safe = [a[0] for a in assets if a[3] <= 2]
    safe_min = round_to(sum(share[a] for a in safe) * rng.uniform(0.6, 0.95), 0.05) if safe else 0
    A = [ident(a[0]) for a in assets]
    aid = {a[0]: x for a, x in zip(assets, A)}
    ir: dict[str, Any] = {
        "name": "portfolio",
        "description": "Allocate the budget for the best expected return within diversification and risk limits.",
        "sets": [{"name": "A", "description": "investment options", "elements": A}],
        "parameters": [
            {
                "name": "ret",
                "description": "expected yearly return (%)",
                "index": ["A"],
                "values": {aid[k]: v for k, v in ret.items()},
            },
            {
                "name": "risk",
                "description": skin["risk"],
                "index": ["A"],
                "values": {aid[k]: v for k, v in risk.items()},
            },
            {"name": "budget", "description": "money to allocate", "values": B},
            {
                "name": "max_share",
                "description": "largest share in one option",
                "values": cap_share,
            },
            {
                "name": "max_avg_risk",
                "description": "highest allowed average risk",
                "values": risk_lim,
            },
        ],
        "variables": [
            {
                "name": "invest",
                "description": "money put in each option",
                "index": ["A"],
                "lower": 0,
            }
        ],
        "objective": {
            "sense": "maximize",
            "expression": "sum(ret[a] / 100 * invest[a] for a in A)",
            "description": "expected yearly return",
        },
        "constraints": [
            {
                "name": "all_in",
                "description": "allocate the whole budget",
                "expression": "sum(invest[a] for a in A) == budget",
            },
            {
                "name": "diversify",
                "description": "no option above its share",
                "for_each": "a in A",
                "expression": "invest[a] <= max_share * budget",
            },
            {
                "name": "risk_limit",
                "description": "average risk within the limit",
                "expression": "sum(risk[a] * invest[a] for a in A) <= max_avg_risk * budget",
            },
        ],
    }
    features = ["equality", "ratio", "upper_bound", "weighted_average"]
    facts: list[Fact] = []
    rows = {
        (a[0], c): v
        for a in assets
        for c, v in (("expected return", ph.pct(ret[a[0]] / 100)), (skin["risk"], str(a[3])))
    }
    facts.append(
        Fact(
            ph.t("[The options are|It can choose between]:")
            + "\n"
            + ph.table("option", [a[0] for a in assets], ["expected return", skin["risk"]], rows)
        )
    )
    facts.append(
        Fact(
            ph.s("[All of the money|The whole amount] must be [invested|allocated]"),
            covers=("all_in",),
        )
    )
    facts.append(
        Fact(
            ph.s(
                "[To spread the risk|For diversification], no option may receive more than {p} of the total",
                p=ph.pct(cap_share),
            ),
            covers=("diversify",),
        )
    )
    facts.append(
        Fact(
            ph.s(
                "The average {r}, weighted by the money invested, must not exceed {v}",
                r=skin["risk"],
                v=fmt_number(risk_lim),
            ),
            covers=("risk_limit",),
        )
    )
    if safe and safe_min > 0 and ctx.difficulty != "easy":
        ir["sets"].append(
            {"name": "SAFE", "description": "low-risk options", "elements": [aid[a] for a in safe]}
        )
        ir["parameters"].append(
            {
                "name": "min_safe",
                "description": "smallest share in low-risk options",
                "values": safe_min,
            }
        )
        ir["constraints"].append(
            {
                "name": "safety",
                "description": "enough in low-risk options",
                "expression": "sum(invest[a] for a in SAFE) >= min_safe * budget",
            }
        )
        facts.append(
            Fact(
                ph.s(
                    "At least {p} of the money must go to {l}",
                    p=ph.pct(safe_min),
                    l=join_list(safe),
                ),
                covers=("safety",),
            )
        )
        features.append("ratio_subset")
    question = ph.pick(
        [
            ph.s(
                "How should the money be split to maximise the expected return over a year? What is that return?"
            ),
            ph.s("What is the highest expected yearly return possible under these rules?"),
        ]
    )
    return Draft(
        ir,
        ph.s(skin["intro"], B=ph.money(B)),
        tuple(facts),
        question,
        tuple(features),
        "the expected return",
        True,
        size=n,
    )


# ============================================================================ NL4Opt-style

_NL_STORIES: list[dict[str, Any]] = [
    {
        "intro": ["A farmer has land to plant", "A farmer is deciding what to grow this season"],
        "actor": "the farmer",
        "items": [("wheat", "acre"), ("corn", "acre"), ("barley", "acre"), ("potatoes", "acre")],
        "done": "planted",
        "sense": "maximize",
        "obj": (
            "profit",
            True,
            50,
            400,
            "[Each|An] acre of {i} [brings|gives|yields] {v} of profit",
        ),
        "total": "{T} acres of land",
        "res": [
            ("water", "cubic metre", 1, 6),
            ("labour", "hour", 2, 12),
            ("fertiliser", "kg", 5, 40),
        ],
        "x0": (10, 80),
    },
    {
        "intro": [
            "A small electronics company makes several kinds of devices",
            "A factory assembles gadgets",
        ],
        "actor": "the company",
        "items": [("laptop", ""), ("tablet", ""), ("smartwatch", "")],
        "done": "made",
        "sense": "maximize",
        "obj": ("profit", True, 20, 300, "[Each|Every] {i} [earns|makes] {v} [profit|in profit]"),
        "total": "{T} devices in total per day",
        "res": [
            ("assembly time", "minute", 10, 60),
            ("testing time", "minute", 5, 30),
            ("chip", "", 1, 6),
        ],
        "x0": (5, 40),
    },
    {
        "intro": [
            "A company is planning an advertising campaign",
            "A theatre wants to advertise its new show",
        ],
        "actor": "the campaign",
        "items": [("TV ad", ""), ("radio ad", ""), ("newspaper ad", "")],
        "done": "bought",
        "sense": "maximize",
        "obj": ("viewers", False, 1000, 30000, "[Each|A] {i} reaches {v} people"),
        "total": "{T} ads in total",
        "res": [("budget", "$", 100, 5000)],
        "x0": (2, 20),
    },
    {
        "intro": [
            "A bakery makes cakes and pies for a weekend market",
            "A home baker sells at the Saturday market",
        ],
        "actor": "the bakery",
        "items": [("cake", ""), ("pie", ""), ("tart", "")],
        "done": "baked",
        "sense": "maximize",
        "obj": ("profit", True, 3, 25, "[Each|A] {i} sells for a profit of {v}"),
        "total": "{T} items in total",
        "res": [
            ("oven time", "minute", 15, 60),
            ("flour", "g", 100, 600),
            ("decorating time", "minute", 5, 30),
        ],
        "x0": (5, 40),
    },
    {
        "intro": [
            "A moving company must transport boxes with trucks and vans",
            "A courier needs vehicles for a big delivery",
        ],
        "actor": "the company",
        "items": [("truck", ""), ("van", "")],
        "done": "used",
        "sense": "minimize",
        "obj": ("cost", True, 40, 400, "[Each|A] {i} trip costs {v}"),
        "total": "at least {T} trips",
        "res": [("box", "", 20, 120), ("volume", "m3", 8, 40)],
        "x0": (3, 30),
        "res_verb": "[carries|holds]",
    },
    {
        "intro": [
            "A patient must take vitamin pills every day",
            "A nutritionist is putting together a cheap mix of supplements",
        ],
        "actor": "the patient",
        "items": [("Alpha pill", ""), ("Beta pill", ""), ("Gamma pill", "")],
        "done": "taken",
        "sense": "minimize",
        "obj": ("cost", True, 0.1, 2.0, "[Each|One] {i} costs {v}"),
        "total": "at least {T} pills",
        "res": [("vitamin D", "unit", 2, 20), ("iron", "mg", 1, 12), ("zinc", "mg", 1, 8)],
        "x0": (1, 10),
        "res_verb": "[contains|provides]",
    },
]
_NL_EXTRA = ("upper", "lower", "ratio", "k_times", "less_than")


def _nl_qty(ph: Any, item: tuple[str, str], n: float) -> str:
    name, unit = item
    if unit:
        return f"{fmt_number(n)} {plural(unit, n)} of {name}"
    return f"{ph.num(n)} {plural(name, n)}"


@family(
    "nl4opt", "small word problems with 2–3 variables and NL4Opt constraint types", kind="LP/IP"
)
def nl4opt(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    stories = (
        _NL_STORIES
        if ctx.size is None
        else [x for x in _NL_STORIES if len(x["items"]) >= min(ctx.size, 3)]
    )
    st = rng.choice(stories)
    k = min(len(st["items"]), ctx.level(2, rng.choice([2, 3]), 3) if ctx.size is None else ctx.size)
    items = st["items"][:2] if k == 2 else rng.sample(st["items"], k)
    names = [ident(i[0]) for i in items]
    maxi = st["sense"] == "maximize"
    lo, hi = st["x0"]
    x0 = [rng.randint(lo, hi) for _ in items]
    integer = not items[0][1] or rng.random() < 0.3
    obj_word, money, olo, ohi, otpl = st["obj"]
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
                    "{A} has [room for|capacity for|at most] " + st["total"],
                    A=st["actor"].capitalize(),
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
                ph.s("{A} needs " + st["total"], A=st["actor"].capitalize(), T=fmt_number(T)),
                "sum",
            )
    n_res = 1 if len(st["res"]) == 1 else ctx.level(1, rng.randint(1, 2), 2)
    for r_name, r_unit, rlo, rhi in rng.sample(st["res"], n_res):
        a = [rng.randint(rlo, rhi) if rhi > 5 else rng.randint(rlo, rhi) for _ in items]
        lhs = sum(ai * xi for ai, xi in zip(a, x0))
        per = join_list(
            [
                _per(ph, item, ai, r_unit, r_name, st.get("res_verb", "needs"))
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
                    A=st["actor"].capitalize(),
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
                    d=st["done"],
                ),
                "upper_bound",
            )
        elif kind == "lower":
            lb = max(1, math.floor(x0[i] * rng.uniform(0.3, 0.9)))
            add(
                f"min_{names[i]}",
                f"{xs[i]} >= {lb}",
                f"at least {lb}",
                ph.s("At least {q} must be {d}", q=_nl_qty(ph, items[i], lb), d=st["done"]),
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
                        d=st["done"],
                        u=plural(items[i][1] or "item"),
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
                        d=st["done"],
                        u=plural(items[i][1] or "item"),
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
                    d=st["done"],
                ),
                "less_than",
            )
    ir: dict[str, Any] = {
        "name": "word_problem",
        "description": f"{'Maximise' if maxi else 'Minimise'} {obj_word} of {join_list([i[0] for i in items])}.",
        "variables": [
            {
                "name": x,
                "description": f"{plural(it[1]) + ' of ' if it[1] else 'number of '}{plural(it[0])} {st['done']}",
                "domain": "integer" if integer else "continuous",
                "lower": 0,
            }
            for x, it in zip(xs, items)
        ],
        "objective": {
            "sense": st["sense"],
            "expression": " + ".join(f"{ci} * {x}" for ci, x in zip(c, xs)),
            "description": f"total {obj_word}",
        },
        "constraints": cons,
    }
    vfmt = (lambda v: ph.money(v)) if money else (lambda v: fmt_number(v))
    for it, ci in zip(items, c):
        facts.append(Fact(ph.s(otpl, i=it[0], v=vfmt(ci))))
    if integer and items[0][1]:
        facts.append(
            Fact(ph.s("Only whole {u} can be {d}", u=plural(items[0][1]), d=st["done"]), pin="last")
        )
    if integer:
        features.append("integer")
    goal = "maximise" if maxi else "minimise"
    question = ph.pick(
        [
            ph.s(
                "How many of each should be {d} to {g} the {w}? What is the [best|optimal] {w}?",
                d=st["done"],
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
        ph.s(ph.pick(st["intro"])),
        tuple(facts),
        question,
        tuple(features),
        f"the total {obj_word}" if obj_word != "viewers" else "the audience reached",
        money,
        size=k,
    )


def _count_of(item: tuple[str, str]) -> str:
    """'acres of wheat' for measured items, 'laptops' for counted ones."""
    return f"{plural(item[1])} of {item[0]}" if item[1] else plural(item[0])


def _mass(item: tuple[str, str]) -> str:
    """What a share is 'of': 'wheat' for measured items, 'laptops' for counted ones."""
    return item[0] if item[1] else plural(item[0])


def _per(ph: Any, item: tuple[str, str], a: float, r_unit: str, r_name: str, verb: str) -> str:
    what = a_an(f"{item[1]} of {item[0]}") if item[1] else a_an(item[0])
    if r_unit == "$":
        return ph.t("{w} costs {m}", w=what, m=ph.money(a))  # a budget resource
    amount = ph.qty(a, r_unit) if r_unit else f"{ph.num(a)} {plural(r_name, a)}"
    if r_unit:
        return ph.t("{w} {v} {amt} of {r}", w=what, v=ph.t(verb), amt=amount, r=r_name)
    return ph.t("{w} {v} {amt}", w=what, v=ph.t(verb), amt=amount)
