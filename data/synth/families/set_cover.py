"""The set_cover family: cheapest choice of sites covering every element."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec, ident
from optiscribe.data.synth.text import join_list, plural


@dataclass(frozen=True)
class SetCoverSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    intro: str
    site: str
    sites: tuple[str, ...]
    elem: str
    elems: tuple[str, ...]
    cost: tuple[int, int]
    money: bool
    mult: int


_COVER_SKINS: tuple[SetCoverSkin, ...] = (
    SetCoverSkin(
        intro="A county wants to place fire stations so that every district can be reached within ten minutes",
        site="fire station site",
        sites=(
            "the depot",
            "Mill Lane",
            "Church Road",
            "the old barracks",
            "the bypass",
            "Station Road",
            "Kings Cross",
            "the harbour",
            "Castle Hill",
            "the market",
            "High Street",
            "the airfield",
        ),
        elem="district",
        elems=tuple([f"district {i}" for i in range(1, 21)]),
        cost=(100, 900),
        money=True,
        mult=1000,
    ),
    SetCoverSkin(
        intro="A telecom operator picks mast locations to cover a string of villages",
        site="mast location",
        sites=tuple([f"hill {c}" for c in "ABCDEFGHIJKL"]),
        elem="village",
        elems=(
            "Ashby",
            "Barton",
            "Cley",
            "Dunham",
            "Eyke",
            "Filby",
            "Gimingham",
            "Happisburgh",
            "Ingham",
            "Kelling",
            "Ludham",
            "Mundesley",
            "Neatishead",
            "Overstrand",
            "Paston",
            "Runton",
            "Salle",
            "Thurne",
        ),
        cost=(20, 90),
        money=True,
        mult=1000,
    ),
    SetCoverSkin(
        intro="A project lead must staff a team that covers every skill the project needs",
        site="candidate",
        sites=(
            "Alex",
            "Bea",
            "Carl",
            "Dina",
            "Eli",
            "Fay",
            "Gus",
            "Hana",
            "Ivo",
            "Jun",
        ),
        elem="skill",
        elems=(
            "Python",
            "SQL",
            "design",
            "testing",
            "cloud",
            "security",
            "statistics",
            "writing",
            "networking",
            "mobile",
            "finance",
            "law",
        ),
        cost=(3, 9),
        money=True,
        mult=1000,
    ),
)


def set_cover(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_COVER_SKINS)
    n_s = min(len(skin.sites), ctx.level(rng.randint(4, 5), rng.randint(6, 8), rng.randint(8, 12)))
    n_e = min(len(skin.elems), ctx.n((5, 6), (7, 10), (10, 16)))
    sites = rng.sample(skin.sites, n_s)
    elems = sorted(rng.sample(skin.elems, n_e), key=skin.elems.index)
    need2 = [e for e in elems if ctx.difficulty == "hard" and rng.random() < 0.25]
    covers: dict[str, list[str]] = {s: [] for s in sites}
    for e in elems:
        k = rng.randint(2 if e in need2 else 1, min(n_s, 3))
        for s in rng.sample(sites, k):
            covers[s].append(e)
    for s in sites:
        if not covers[s]:
            covers[s].append(rng.choice(elems))
    cost = {s: rng.randint(*skin.cost) for s in sites}
    S, E = [ident(s) for s in sites], [ident(e) for e in elems]
    sid, eid = dict(zip(sites, S)), dict(zip(elems, E))
    rows = [[eid[e], sid[s], 1] for s in sites for e in elems if e in covers[s]]
    ir: dict[str, Any] = {
        "name": "set_cover",
        "description": f"Choose {plural(skin.site)} at least cost so that every {skin.elem} is covered.",
        "sets": [
            {"name": "S", "description": plural(skin.site), "elements": S},
            {"name": "E", "description": plural(skin.elem), "elements": E},
        ],
        "parameters": [
            {
                "name": "cost",
                "description": "cost of choosing each site (thousands)",
                "index": ["S"],
                "values": {sid[s]: cost[s] for s in sites},
            },
            {
                "name": "covers",
                "description": "1 if site s covers element e",
                "index": ["E", "S"],
                "values": rows,
                "default": 0,
            },
        ],
        "variables": [
            {
                "name": "pick",
                "description": "1 if the site is chosen",
                "index": ["S"],
                "domain": "binary",
            }
        ],
        "objective": {
            "sense": "minimize",
            "expression": "sum(cost[s] * pick[s] for s in S)",
            "description": "total cost (thousands)",
        },
        "constraints": [
            {
                "name": "cover",
                "description": "every element covered",
                "for_each": "e in E",
                "expression": "sum(covers[e, s] * pick[s] for s in S) >= 1",
            }
        ],
    }
    features = ["binary", "covering"]
    facts: list[Fact] = []
    mult = skin.mult
    for s in sites:
        facts.append(
            Fact(
                ph.s(
                    "[Choosing|Using|Picking] {s} costs {m} and covers {l}",
                    s=s,
                    m=ph.money(cost[s] * mult),
                    l=join_list(covers[s]),
                ),
                covers=("cover",),
            )
        )
    facts.append(
        Fact(
            ph.s(
                "Every {e} must be covered [at least once|by at least one chosen {site}]",
                e=skin.elem,
                site=skin.site,
            ),
            covers=("cover",),
        )
    )
    if need2:
        ir["sets"].append(
            {
                "name": "CRITICAL",
                "description": "elements needing double cover",
                "elements": [eid[e] for e in need2],
            }
        )
        ir["constraints"].append(
            {
                "name": "double_cover",
                "description": "critical elements covered twice",
                "for_each": "e in CRITICAL",
                "expression": "sum(covers[e, s] * pick[s] for s in S) >= 2",
            }
        )
        facts.append(
            Fact(
                ph.s(
                    "{l} must be covered [twice|by at least two chosen sites] [for safety|as backup]",
                    l=join_list(need2),
                ),
                covers=("double_cover",),
            )
        )
        features.append("multi_cover")
    question = ph.pick(
        [
            ph.s(
                "Which {s} should be chosen to cover everything at the least cost, and what does that cost?",
                s=plural(skin.site),
            ),
            ph.s("What is the [minimum|lowest] total cost of full coverage?"),
        ]
    )
    ir["objective"]["expression"] = f"sum({mult} * cost[s] * pick[s] for s in S)"
    ir["parameters"][0]["description"] = "cost of choosing each site (thousands)"
    ir["objective"]["description"] = "total cost"
    return Draft(
        ir,
        ph.s(skin.intro),
        tuple(facts),
        question,
        tuple(features),
        "the total cost",
        True,
        size=n_s * n_e,
    )


SPEC = FamilySpec(
    name="set_cover",
    summary="cheapest choice of sites covering every element",
    build=set_cover,
    kind="IP",
    sizes=(3, 12),
)
