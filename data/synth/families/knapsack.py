"""The knapsack family: pick items of most value within a capacity (0/1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec, ident
from optiscribe.data.synth.text import fmt_number, plural, round_to


@dataclass(frozen=True)
class KnapsackSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    intro: tuple[str, ...]
    items: tuple[str, ...]
    weight: tuple[str, float, float, float]
    value_word: str
    value: tuple[int, int]
    money: bool
    cap_word: str
    second: tuple[str, int, int, str, str]


_KNAPSACK_SKINS: tuple[KnapsackSkin, ...] = (
    KnapsackSkin(
        intro=(
            "A hiker is packing for a week in the mountains",
            "A climber is choosing what to carry",
        ),
        items=(
            "tent",
            "stove",
            "camera",
            "first-aid kit",
            "water filter",
            "book",
            "binoculars",
            "rain jacket",
            "sleeping mat",
            "solar charger",
            "fishing rod",
            "extra food",
            "GPS unit",
            "hammock",
            "flask",
        ),
        weight=("kg", 0.5, 6.0, 0.5),
        value_word="usefulness score",
        value=(2, 40),
        money=False,
        cap_word="[can carry|can manage] at most",
        second=("litre", 2, 25, "volume", "the pack holds"),
    ),
    KnapsackSkin(
        intro=(
            "A cargo plane has room left for a few crates",
            "A freight forwarder must pick crates for a charter flight",
        ),
        items=(
            "crate A",
            "crate B",
            "crate C",
            "crate D",
            "crate E",
            "crate F",
            "crate G",
            "crate H",
            "crate I",
            "crate J",
            "crate K",
            "crate L",
            "crate M",
            "crate N",
            "crate O",
        ),
        weight=("tonne", 1, 9, 1),
        value_word="freight revenue",
        value=(800, 9000),
        money=True,
        cap_word="[can take|has capacity for] at most",
        second=("m3", 2, 20, "volume", "the hold has"),
    ),
    KnapsackSkin(
        intro=(
            "A city council is choosing which projects to fund this year",
            "A start-up is deciding which projects to fund",
        ),
        items=(
            "new library",
            "bike lanes",
            "park upgrade",
            "LED street lights",
            "school roof",
            "flood barrier",
            "bus shelters",
            "skate park",
            "community hall",
            "tree planting",
            "sports field",
            "public Wi-Fi",
        ),
        weight=("thousand dollars", 20, 400, 10),
        value_word="expected benefit (points)",
        value=(5, 90),
        money=False,
        cap_word="has a budget of",
        second=("staff-month", 1, 12, "staff time", "only"),
    ),
)


def knapsack(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_KNAPSACK_SKINS)
    n = min(len(skin.items), ctx.n((4, 6), (7, 10), (11, 15)))
    items = rng.sample(skin.items, n)
    wunit, wlo, whi, wstep = skin.weight
    w = {i: round_to(rng.uniform(wlo, whi), wstep) for i in items}
    v = {i: round_to(rng.uniform(*skin.value), 10 if skin.value[1] > 1000 else 1) for i in items}
    cap = round_to(sum(w.values()) * rng.uniform(0.35, 0.6), wstep)
    cap = max(cap, max(w.values()))
    two_d = ctx.difficulty == "hard" or (ctx.difficulty == "medium" and rng.random() < 0.3)
    ids = [ident(i) for i in items]
    iid = dict(zip(items, ids))
    ir: dict[str, Any] = {
        "name": "knapsack",
        "description": "Choose items of greatest total value within the capacity.",
        "sets": [{"name": "I", "description": "candidate items", "elements": ids}],
        "parameters": [
            {
                "name": "value",
                "description": skin.value_word,
                "index": ["I"],
                "values": {iid[i]: v[i] for i in items},
            },
            {
                "name": "weight",
                "description": f"{wunit} needed by each item",
                "index": ["I"],
                "values": {iid[i]: w[i] for i in items},
            },
            {"name": "capacity", "description": f"{plural(wunit)} available", "values": cap},
        ],
        "variables": [
            {
                "name": "take",
                "description": "1 if the item is chosen",
                "index": ["I"],
                "domain": "binary",
            }
        ],
        "objective": {
            "sense": "maximize",
            "expression": "sum(value[i] * take[i] for i in I)",
            "description": skin.value_word,
        },
        "constraints": [
            {
                "name": "capacity_limit",
                "description": "stay within capacity",
                "expression": "sum(weight[i] * take[i] for i in I) <= capacity",
            }
        ],
    }
    features = ["binary", "capacity"]
    facts: list[Fact] = []
    vl = (lambda x: ph.money(x)) if skin.money else (lambda x: ph.num(x, words=False))
    rows = {}
    cols = [
        wunit if wunit != "thousand dollars" else f"cost (thousand {ph.currency.symbol})",
        skin.value_word,
    ]
    for i in items:
        rows[(i, cols[0])] = fmt_number(w[i])
        rows[(i, cols[1])] = vl(v[i])
    if two_d:
        u2, lo2, hi2, name2, phrase2 = skin.second
        v2 = {i: rng.randint(lo2, hi2) for i in items}
        cap2 = max(max(v2.values()), int(sum(v2.values()) * rng.uniform(0.35, 0.6)))
        ir["parameters"] += [
            {
                "name": "size",
                "description": f"{name2} of each item ({u2})",
                "index": ["I"],
                "values": {iid[i]: v2[i] for i in items},
            },
            {"name": "size_limit", "description": f"{name2} available", "values": cap2},
        ]
        ir["constraints"].append(
            {
                "name": "size_cap",
                "description": f"stay within the {name2}",
                "expression": "sum(size[i] * take[i] for i in I) <= size_limit",
            }
        )
        cols.append(f"{name2} ({u2})")
        for i in items:
            rows[(i, cols[2])] = fmt_number(v2[i])
        facts.append(
            Fact(
                ph.s(
                    "{p} {c} of {n}",
                    p=ph.pick([phrase2.capitalize(), "There is room for at most"]),
                    c=ph.qty(cap2, u2),
                    n=name2,
                )
                if phrase2 != "only"
                else ph.s("Only {c} of {n} are available", c=ph.qty(cap2, u2), n=name2),
                covers=("size_cap",),
            )
        )
        features.append("multi_capacity")
    facts.append(
        Fact(ph.t("The [candidates|options] are:") + "\n" + ph.table("item", items, cols, rows))
    )
    owner = "It"
    facts.append(
        Fact(
            ph.s(
                f"{owner} {skin.cap_word} {{c}}",
                c=ph.qty(cap, wunit) if wunit != "thousand dollars" else ph.money(cap * 1000),
            ),
            covers=("capacity_limit",),
        )
    )
    if ctx.difficulty != "easy" and n >= 5:
        a, b = rng.sample(items, 2)
        if rng.random() < 0.5:
            ir["constraints"].append(
                {
                    "name": "conflict",
                    "description": f"not both {a} and {b}",
                    "expression": f"take['{iid[a]}'] + take['{iid[b]}'] <= 1",
                }
            )
            facts.append(
                Fact(
                    ph.s(
                        "[The|Choosing the] {a} and the {b} [cannot both be chosen|exclude each other]",
                        a=a,
                        b=b,
                    ),
                    covers=("conflict",),
                )
            )
            features.append("conflict")
        else:
            ir["constraints"].append(
                {
                    "name": "requires",
                    "description": f"{a} only with {b}",
                    "expression": f"take['{iid[a]}'] <= take['{iid[b]}']",
                }
            )
            facts.append(
                Fact(
                    ph.s(
                        "[The {a} is only useful together with the {b}|If the {a} is chosen, the {b} must be chosen too]",
                        a=a,
                        b=b,
                    ),
                    covers=("requires",),
                )
            )
            features.append("implication")
    facts.append(
        Fact(
            ph.s(
                "Each item is [taken whole or left behind|either chosen or not; none can be split]"
            ),
            pin="last",
        )
    )
    question = ph.pick(
        [
            ph.s(
                "Which items should be chosen to maximise the total {v}, and what is that total?",
                v=skin.value_word,
            ),
            ph.s("What is the [largest|highest|maximum] total {v} that fits?", v=skin.value_word),
        ]
    )
    return Draft(
        ir,
        ph.s(ph.pick(skin.intro)),
        tuple(facts),
        question,
        tuple(features),
        f"the total {skin.value_word}",
        skin.money,
        size=n,
    )


SPEC = FamilySpec(
    name="knapsack",
    summary="pick items of most value within a capacity (0/1)",
    build=knapsack,
    kind="IP",
    sizes=(2, 12),
)
