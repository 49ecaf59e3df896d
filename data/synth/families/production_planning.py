"""The production_planning family: product mix under resource limits (maximise profit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec, ident, pick_names
from optiscribe.data.synth.text import join_list, plural, round_to


@dataclass(frozen=True)
class Resource:
    """What one unit of a product uses of a resource: drawn in [lo, hi]."""

    name: str
    unit: str
    lo: int
    hi: int


@dataclass(frozen=True)
class ProductionPlanningSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    places: tuple[str, ...]
    unit: str
    products: tuple[str, ...]
    resources: tuple[Resource, ...]
    profit: tuple[int, int]
    period: str


_PRODUCTION_SKINS: tuple[ProductionPlanningSkin, ...] = (
    ProductionPlanningSkin(
        places=(
            "a small furniture workshop",
            "a family-run joinery",
            "a carpentry shop",
        ),
        unit="",
        products=(
            "chair",
            "table",
            "desk",
            "bookshelf",
            "stool",
            "cabinet",
            "bench",
        ),
        resources=(
            Resource("carpentry", "hour", 1, 6),
            Resource("finishing", "hour", 1, 3),
            Resource("oak", "board foot", 2, 12),
            Resource("assembly", "hour", 1, 2),
        ),
        profit=(15, 120),
        period="week",
    ),
    ProductionPlanningSkin(
        places=(
            "a neighbourhood bakery",
            "an artisan bakery",
            "a bakery on the high street",
        ),
        unit="batch",
        products=(
            "sourdough",
            "baguettes",
            "croissants",
            "rye bread",
            "muffins",
            "scones",
        ),
        resources=(
            Resource("flour", "kg", 2, 9),
            Resource("oven time", "hour", 1, 3),
            Resource("labour", "hour", 1, 4),
            Resource("butter", "kg", 1, 4),
        ),
        profit=(12, 60),
        period="day",
    ),
    ProductionPlanningSkin(
        places=(
            "a small refinery",
            "a regional refinery",
            "a coastal refinery",
        ),
        unit="thousand barrels",
        products=(
            "gasoline",
            "diesel",
            "jet fuel",
            "heating oil",
            "kerosene",
        ),
        resources=(
            Resource("distillation", "hour", 1, 5),
            Resource("cracking", "hour", 1, 4),
            Resource("blending", "hour", 1, 3),
            Resource("crude oil", "thousand barrels", 1, 2),
        ),
        profit=(400, 2500),
        period="week",
    ),
    ProductionPlanningSkin(
        places=(
            "a toy factory",
            "a wooden-toy maker",
            "a toy company",
        ),
        unit="box",
        products=(
            "trains",
            "puzzles",
            "dolls",
            "kites",
            "yo-yos",
            "blocks",
        ),
        resources=(
            Resource("moulding", "hour", 1, 4),
            Resource("painting", "hour", 1, 3),
            Resource("packing", "hour", 1, 2),
            Resource("plastic", "kg", 1, 6),
        ),
        profit=(8, 45),
        period="week",
    ),
    ProductionPlanningSkin(
        places=(
            "a garment maker",
            "a clothing workshop",
            "a small textile firm",
        ),
        unit="",
        products=(
            "shirt",
            "dress",
            "jacket",
            "skirt",
            "coat",
            "waistcoat",
        ),
        resources=(
            Resource("fabric", "m", 1, 4),
            Resource("cutting", "hour", 1, 2),
            Resource("sewing", "hour", 1, 5),
            Resource("pressing", "hour", 1, 2),
        ),
        profit=(6, 70),
        period="week",
    ),
)


def _unit_of(skin: ProductionPlanningSkin, product: str, n: float = 1) -> str:
    """'a chair' / 'batch of muffins' / 'thousand barrels of diesel'."""
    if not skin.unit:
        return plural(product, n)
    return f"{plural(skin.unit, n) if skin.unit != 'thousand barrels' else 'thousand barrels'} of {product}"


def production_planning(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_PRODUCTION_SKINS)
    n_p = ctx.n((2, 3), (3, 4), (4, 6))
    n_r = min(
        len(skin.resources), ctx.level(rng.randint(1, 2), rng.randint(2, 3), rng.randint(3, 4))
    )
    products = pick_names(rng, skin.products, n_p)
    resources = rng.sample(skin.resources, n_r)
    integer = rng.random() < ctx.level(0.4, 0.6, 0.8) and not skin.unit == "thousand barrels"
    lo_p, hi_p = skin.profit
    profit = {p: round_to(rng.uniform(lo_p, hi_p), 5 if hi_p >= 100 else 1) for p in products}
    use = {(r.name, p): rng.randint(r.lo, r.hi) for r in resources for p in products}
    target = {p: rng.randint(5, 40) for p in products}
    avail = {
        r.name: round_to(
            sum(use[(r.name, p)] * target[p] for p in products) * rng.uniform(0.5, 0.9), 5
        )
        for r in resources
    }
    capped = [p for p in products if rng.random() < ctx.level(0.3, 0.5, 0.6)]
    max_sales = {p: max(3, round_to(target[p] * rng.uniform(0.4, 1.0), 1)) for p in capped}
    floor = [p for p in products if p not in capped and rng.random() < ctx.level(0.0, 0.2, 0.4)]
    min_prod = {p: max(1, int(target[p] * rng.uniform(0.1, 0.25))) for p in floor}

    P = [ident(p) for p in products]
    R = [ident(r.name) for r in resources]
    pid = dict(zip(products, P))
    place = ph.pick(skin.places)
    period = skin.period
    ir: dict[str, Any] = {
        "name": "production_plan",
        "description": f"Product mix of {place} maximising profit under resource limits.",
        "sets": [
            {"name": "P", "description": "products", "elements": P},
            {"name": "R", "description": "limited resources", "elements": R},
        ],
        "parameters": [
            {
                "name": "profit",
                "description": "profit per unit of product",
                "index": ["P"],
                "values": {pid[p]: profit[p] for p in products},
            },
            {
                "name": "use",
                "description": "amount of resource r used per unit of product p",
                "index": ["R", "P"],
                "values": {
                    ident(r.name): {pid[p]: use[(r.name, p)] for p in products} for r in resources
                },
            },
            {
                "name": "available",
                "description": f"amount of each resource available per {period}",
                "index": ["R"],
                "values": {ident(r): v for r, v in avail.items()},
            },
        ],
        "variables": [
            {
                "name": "make",
                "description": f"units of product p made per {period}",
                "index": ["P"],
                "domain": "integer" if integer else "continuous",
                "lower": 0,
            },
        ],
        "objective": {
            "sense": "maximize",
            "expression": "sum(profit[p] * make[p] for p in P)",
            "description": f"profit per {period}",
        },
        "constraints": [
            {
                "name": "capacity",
                "description": "resource use within availability",
                "for_each": "r in R",
                "expression": "sum(use[r, p] * make[p] for p in P) <= available[r]",
            },
        ],
    }
    features = ["resource_capacity"]
    facts: list[Fact] = []
    names = join_list([plural(p) if not skin.unit else p for p in products])
    facts.append(
        Fact(ph.s("[It makes|It produces|The product line is] {names}", names=names), pin="first")
    )
    # profit
    if ph.chance(0.5):
        for p in products:
            facts.append(
                Fact(
                    ph.s(
                        "[Each|Every] {u} [brings|earns|yields|makes] {m} [of profit|in profit|profit]",
                        u=_unit_of(skin, p),
                        m=ph.money(profit[p]),
                    )
                )
            )
    else:
        pairs = [(p, ph.money(profit[p])) for p in products]
        facts.append(
            Fact(
                ph.s(
                    "[Profit|The profit] per {u} is {l}",
                    u=skin.unit or "unit",
                    l=ph.listing(pairs),
                )
            )
        )
    # usage
    if len(products) * len(resources) > 8 and ph.chance(0.6):
        cell = {(p, r.name): ph.qty(use[(r.name, p)], r.unit) for p in products for r in resources}
        tab = ph.table("product", products, [r.name for r in resources], cell)
        facts.append(
            Fact(
                ph.t("[Resource use|What each product needs] per {u}:", u=skin.unit or "unit")
                + "\n"
                + tab,
                covers=("capacity",),
            )
        )
    elif ph.chance(0.5):
        for p in products:
            needs = join_list(
                [f"{ph.qty(use[(r.name, p)], r.unit)} of {r.name}" for r in resources]
            )
            facts.append(
                Fact(
                    ph.s(
                        "[A|One|Each] {u} [needs|takes|uses|requires] {needs}",
                        u=f"{skin.unit} of {p}",
                        needs=needs,
                    )
                    if skin.unit
                    else ph.s(
                        "[A|One|Each] {p} [needs|takes|uses|requires] {needs}", p=p, needs=needs
                    ),
                    covers=("capacity",),
                )
            )
    else:
        for r in resources:
            per = join_list(
                [
                    f"{ph.qty(use[(r.name, p)], r.unit)} per {skin.unit + ' of ' if skin.unit else ''}{p}"
                    for p in products
                ]
            )
            facts.append(
                Fact(ph.s("{R} [takes|uses|needs] {per}", R=r.name, per=per), covers=("capacity",))
            )
    av = join_list([f"{ph.qty(avail[r.name], r.unit)} of {r.name}" for r in resources])
    facts.append(
        Fact(
            ph.s(
                "[[Each|Every] {t} [there are|the firm has] {av} [available|to use|at hand]"
                "|Only {av} are available [each|per] {t}]",
                t=period,
                av=av,
            ),
            covers=("capacity",),
            bounding=True,
        )
    )
    if capped:
        ir["sets"].append(
            {
                "name": "LIMITED",
                "description": "products with a sales limit",
                "elements": [pid[p] for p in capped],
            }
        )
        ir["parameters"].append(
            {
                "name": "max_sales",
                "description": f"most units that can be sold per {period}",
                "index": ["LIMITED"],
                "values": {pid[p]: max_sales[p] for p in capped},
            }
        )
        ir["constraints"].append(
            {
                "name": "demand_limit",
                "description": "sales limits",
                "for_each": "p in LIMITED",
                "expression": "make[p] <= max_sales[p]",
            }
        )
        features.append("upper_bound")
        for p in capped:
            facts.append(
                Fact(
                    ph.s(
                        "[At most {q} can be sold|No more than {q} can be sold|The market takes at most {q}] [each|per] {t}",
                        q=f"{ph.num(max_sales[p])} {_unit_of(skin, p, max_sales[p])}",
                        t=period,
                    ),
                    covers=("demand_limit",),
                    bounding=True,
                )
            )
    if floor:
        ir["sets"].append(
            {
                "name": "CONTRACTED",
                "description": "products with a minimum order",
                "elements": [pid[p] for p in floor],
            }
        )
        ir["parameters"].append(
            {
                "name": "min_make",
                "description": "units promised to a customer",
                "index": ["CONTRACTED"],
                "values": {pid[p]: min_prod[p] for p in floor},
            }
        )
        ir["constraints"].append(
            {
                "name": "contract",
                "description": "minimum production",
                "for_each": "p in CONTRACTED",
                "expression": "make[p] >= min_make[p]",
            }
        )
        features.append("lower_bound")
        for p in floor:
            facts.append(
                Fact(
                    ph.s(
                        "[A standing order requires|A contract calls for|It has promised a customer] "
                        "at least {q}",
                        q=f"{ph.num(min_prod[p])} {_unit_of(skin, p, min_prod[p])}",
                    ),
                    covers=("contract",),
                )
            )
    if integer:
        features.append("integer")
        facts.append(
            Fact(
                ph.s(
                    "[Only whole|Only complete|Fractional amounts are not allowed: only whole] "
                    "{u} can be made",
                    u=plural(skin.unit) if skin.unit else "pieces",
                ),
                pin="last",
            )
        )
    intro = ph.s(
        "{Place} [plans its|is planning its|wants to set its] production for the coming {t}",
        Place=place,
        t=period,
    )
    question = ph.pick(
        [
            ph.s(
                "How much of each product should it make to maximise its {t} profit, and what is that profit?",
                t={"day": "daily", "week": "weekly", "month": "monthly"}.get(
                    period, f"per-{period}"
                ),
            ),
            ph.s(
                "[What is the largest|What is the highest|Find the maximum] profit it can make in a {t}?",
                t=period,
            ),
            ph.s("Which production plan maximises profit? Report the [maximum|optimal] profit"),
        ]
    )
    return Draft(
        ir, intro, tuple(facts), question, tuple(features), "the profit", True, size=n_p * n_r
    )


SPEC = FamilySpec(
    name="production_planning",
    summary="product mix under resource limits (maximise profit)",
    build=production_planning,
    kind="LP/MILP",
    sizes=(1, 12),
)
