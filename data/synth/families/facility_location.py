"""The facility_location family: open facilities and serve customers (fixed + shipping cost)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec, ident
from optiscribe.data.synth.text import join_list, plural, round_to


@dataclass(frozen=True)
class FacilityLocationSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    intro: str
    fac: str
    sites: tuple[str, ...]
    cust: str
    cnames: tuple[str, ...]
    unit: str
    fixed: tuple[int, int]
    ship: tuple[int, int]
    dem: tuple[int, int]
    period: str


_FACILITY_SKINS: tuple[FacilityLocationSkin, ...] = (
    FacilityLocationSkin(
        intro="A retailer is deciding which warehouses to open to serve its stores",
        fac="warehouse",
        sites=(
            "Ashford",
            "Bedford",
            "Carlisle",
            "Dover",
            "Ely",
            "Frome",
            "Goole",
        ),
        cust="store",
        cnames=tuple([f"store {i}" for i in range(1, 15)]),
        unit="pallet",
        fixed=(3000, 15000),
        ship=(1, 9),
        dem=(20, 90),
        period="month",
    ),
    FacilityLocationSkin(
        intro="A health authority plans which clinics to open for its neighbourhoods",
        fac="clinic",
        sites=(
            "Elm Street",
            "the old school",
            "the mall",
            "Riverside",
            "the station",
            "Hill Road",
        ),
        cust="neighbourhood",
        cnames=(
            "Northgate",
            "Southgate",
            "Eastfield",
            "Westbrook",
            "Millbank",
            "Parkside",
            "Oldtown",
            "Newtown",
            "Harbourside",
            "Greenhill",
            "Marsh End",
            "Kingsway",
        ),
        unit="patient visit",
        fixed=(20000, 80000),
        ship=(2, 14),
        dem=(100, 600),
        period="year",
    ),
    FacilityLocationSkin(
        intro="A cloud provider chooses where to build data centres to serve its regions",
        fac="data centre",
        sites=(
            "Dublin",
            "Frankfurt",
            "Madrid",
            "Stockholm",
            "Milan",
            "Warsaw",
        ),
        cust="region",
        cnames=(
            "Iberia",
            "France",
            "Benelux",
            "Nordics",
            "Italy",
            "Poland",
            "UK",
            "Germany",
            "Austria",
            "Greece",
        ),
        unit="TB of traffic",
        fixed=(50000, 250000),
        ship=(5, 40),
        dem=(200, 1200),
        period="month",
    ),
)


def facility_location(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_FACILITY_SKINS)
    n_f = min(len(skin.sites), ctx.level(rng.randint(2, 3), rng.randint(3, 4), rng.randint(4, 6)))
    n_c = min(len(skin.cnames), ctx.n((3, 4), (5, 7), (8, 12)))
    sites = rng.sample(skin.sites, n_f)
    custs = rng.sample(skin.cnames, n_c)
    unit = skin.unit
    dem = {c: round_to(rng.uniform(*skin.dem), 5) for c in custs}
    total = sum(dem.values())
    fixed = {f: round_to(rng.uniform(*skin.fixed), 500) for f in sites}
    cap = {f: round_to(total * rng.uniform(0.35, 0.8), 10) for f in sites}
    while sum(cap.values()) < total * 1.1:
        cap = {f: v * 1.2 for f, v in cap.items()}
        cap = {f: round_to(v, 10) for f, v in cap.items()}
    ship = {(f, c): round_to(rng.uniform(*skin.ship), 0.5) for f in sites for c in custs}
    F, C = [ident(f) for f in sites], [ident(c) for c in custs]
    fid, cid = dict(zip(sites, F)), dict(zip(custs, C))
    ir: dict[str, Any] = {
        "name": "facility_location",
        "description": "Open facilities (fixed cost) and serve every customer's demand at least total cost.",
        "sets": [
            {"name": "F", "description": f"candidate {plural(skin.fac)}", "elements": F},
            {"name": "C", "description": plural(skin.cust), "elements": C},
        ],
        "parameters": [
            {
                "name": "fixed",
                "description": f"cost of opening each site per {skin.period}",
                "index": ["F"],
                "values": {fid[f]: fixed[f] for f in sites},
            },
            {
                "name": "cap",
                "description": f"{plural(unit)} a site can serve",
                "index": ["F"],
                "values": {fid[f]: cap[f] for f in sites},
            },
            {
                "name": "demand",
                "description": f"{plural(unit)} needed",
                "index": ["C"],
                "values": {cid[c]: dem[c] for c in custs},
            },
            {
                "name": "ship",
                "description": f"cost per {unit} from f to c",
                "index": ["F", "C"],
                "values": {fid[f]: {cid[c]: ship[(f, c)] for c in custs} for f in sites},
            },
        ],
        "variables": [
            {
                "name": "open_site",
                "description": "1 if the site is opened",
                "index": ["F"],
                "domain": "binary",
            },
            {
                "name": "serve",
                "description": f"{plural(unit)} sent from f to c",
                "index": ["F", "C"],
                "lower": 0,
            },
        ],
        "objective": {
            "sense": "minimize",
            "expression": "sum(fixed[f] * open_site[f] for f in F) + sum(ship[f, c] * serve[f, c] for f in F for c in C)",
            "description": "fixed plus shipping cost",
        },
        "constraints": [
            {
                "name": "meet_demand",
                "description": "every customer is served",
                "for_each": "c in C",
                "expression": "sum(serve[f, c] for f in F) >= demand[c]",
            },
            {
                "name": "capacity",
                "description": "only open sites serve, within capacity",
                "for_each": "f in F",
                "expression": "sum(serve[f, c] for c in C) <= cap[f] * open_site[f]",
            },
        ],
    }
    facts: list[Fact] = []
    fk, ck = skin.fac, skin.cust
    facts.append(
        Fact(
            ph.s(
                "[Candidate sites|Possible locations] for a {fk} are {l}", fk=fk, l=join_list(sites)
            ),
            pin="first",
        )
    )
    for f in sites:
        facts.append(
            Fact(
                ph.s(
                    "[A|The] {fk} at {f} would cost {m} per {p} to run and could handle up to {q}",
                    fk=fk,
                    f=f,
                    m=ph.money(fixed[f]),
                    p=skin.period,
                    q=ph.qty(cap[f], unit),
                ),
                covers=("capacity",),
            )
        )
    facts.append(
        Fact(
            ph.s(
                "[Demand|Monthly needs|Needs] of the {k}: {l}",
                k=plural(ck),
                l=ph.listing([(c, ph.qty(dem[c], unit)) for c in custs]),
            ),
            covers=("meet_demand",),
        )
    )
    cell = {(f, c): ph.money(ship[(f, c)]) for f in sites for c in custs}
    facts.append(
        Fact(
            ph.t("[Serving cost|Transport cost] per {u}:", u=unit)
            + "\n"
            + ph.table("", sites, custs, cell)
        )
    )
    facts.append(
        Fact(
            ph.s(
                "Only an open {fk} can serve a {ck}; a {ck} may be served by several", fk=fk, ck=ck
            ),
            covers=("capacity",),
        )
    )
    question = ph.pick(
        [
            ph.s(
                "Which {fk} should be opened, and how should demand be served, to minimise the total cost? Give the cost",
                fk=plural(fk),
            ),
            ph.s(
                "What is the [lowest|minimum] total cost of opening {fk} and serving every {ck}?",
                fk=plural(fk),
                ck=ck,
            ),
        ]
    )
    return Draft(
        ir,
        ph.s(skin.intro),
        tuple(facts),
        question,
        ("binary", "linking_bigM", "covering", "capacity"),
        "the total cost",
        True,
        size=n_f * n_c,
    )


SPEC = FamilySpec(
    name="facility_location",
    summary="open facilities and serve customers (fixed + shipping cost)",
    build=facility_location,
    kind="MILP",
    sizes=(2, 10),
)
