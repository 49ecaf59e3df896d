"""Problem families, part 1: product mix, diet, blending, transportation, assignment,
knapsack, facility location, set cover, and NL4Opt-style small problems.

Every family draws data that a person would believe (whole hours, prices in cents,
capacities that fit the demand), states every number in the text, and builds the model
in the IR with readable names. Feasibility is arranged by construction where that is
cheap (a planted solution that satisfies every constraint) and always checked afterwards
by solving (:mod:`optiscribe.data.synth.generate`).
"""

from __future__ import annotations

from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, family, ident, pick_names
from optiscribe.data.synth.text import fmt_number, join_list, plural, round_to

# ============================================================================ production


_PRODUCTION_SKINS: list[dict[str, Any]] = [
    {
        "places": ["a small furniture workshop", "a family-run joinery", "a carpentry shop"],
        "unit": "",
        "products": ["chair", "table", "desk", "bookshelf", "stool", "cabinet", "bench"],
        "resources": [
            ("carpentry", "hour", 1, 6),
            ("finishing", "hour", 1, 3),
            ("oak", "board foot", 2, 12),
            ("assembly", "hour", 1, 2),
        ],
        "profit": (15, 120),
        "period": "week",
    },
    {
        "places": ["a neighbourhood bakery", "an artisan bakery", "a bakery on the high street"],
        "unit": "batch",
        "products": ["sourdough", "baguettes", "croissants", "rye bread", "muffins", "scones"],
        "resources": [
            ("flour", "kg", 2, 9),
            ("oven time", "hour", 1, 3),
            ("labour", "hour", 1, 4),
            ("butter", "kg", 1, 4),
        ],
        "profit": (12, 60),
        "period": "day",
    },
    {
        "places": ["a small refinery", "a regional refinery", "a coastal refinery"],
        "unit": "thousand barrels",
        "products": ["gasoline", "diesel", "jet fuel", "heating oil", "kerosene"],
        "resources": [
            ("distillation", "hour", 1, 5),
            ("cracking", "hour", 1, 4),
            ("blending", "hour", 1, 3),
            ("crude oil", "thousand barrels", 1, 2),
        ],
        "profit": (400, 2500),
        "period": "week",
    },
    {
        "places": ["a toy factory", "a wooden-toy maker", "a toy company"],
        "unit": "box",
        "products": ["trains", "puzzles", "dolls", "kites", "yo-yos", "blocks"],
        "resources": [
            ("moulding", "hour", 1, 4),
            ("painting", "hour", 1, 3),
            ("packing", "hour", 1, 2),
            ("plastic", "kg", 1, 6),
        ],
        "profit": (8, 45),
        "period": "week",
    },
    {
        "places": ["a garment maker", "a clothing workshop", "a small textile firm"],
        "unit": "",
        "products": ["shirt", "dress", "jacket", "skirt", "coat", "waistcoat"],
        "resources": [
            ("fabric", "m", 1, 4),
            ("cutting", "hour", 1, 2),
            ("sewing", "hour", 1, 5),
            ("pressing", "hour", 1, 2),
        ],
        "profit": (6, 70),
        "period": "week",
    },
]


def _unit_of(skin: dict[str, Any], product: str, n: float = 1) -> str:
    """'a chair' / 'batch of muffins' / 'thousand barrels of diesel'."""
    if not skin["unit"]:
        return plural(product, n)
    return f"{plural(skin['unit'], n) if skin['unit'] != 'thousand barrels' else 'thousand barrels'} of {product}"


@family(
    "production_planning", "product mix under resource limits (maximise profit)", kind="LP/MILP"
)
def production_planning(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_PRODUCTION_SKINS)
    n_p = ctx.n((2, 3), (3, 4), (4, 6))
    n_r = min(
        len(skin["resources"]), ctx.level(rng.randint(1, 2), rng.randint(2, 3), rng.randint(3, 4))
    )
    products = pick_names(rng, skin["products"], n_p)
    resources = rng.sample(skin["resources"], n_r)
    integer = rng.random() < ctx.level(0.4, 0.6, 0.8) and not skin["unit"] == "thousand barrels"
    lo_p, hi_p = skin["profit"]
    profit = {p: round_to(rng.uniform(lo_p, hi_p), 5 if hi_p >= 100 else 1) for p in products}
    use = {(r[0], p): rng.randint(r[2], r[3]) for r in resources for p in products}
    target = {p: rng.randint(5, 40) for p in products}
    avail = {
        r[0]: round_to(sum(use[(r[0], p)] * target[p] for p in products) * rng.uniform(0.5, 0.9), 5)
        for r in resources
    }
    capped = [p for p in products if rng.random() < ctx.level(0.3, 0.5, 0.6)]
    max_sales = {p: max(3, round_to(target[p] * rng.uniform(0.4, 1.0), 1)) for p in capped}
    floor = [p for p in products if p not in capped and rng.random() < ctx.level(0.0, 0.2, 0.4)]
    min_prod = {p: max(1, int(target[p] * rng.uniform(0.1, 0.25))) for p in floor}

    P = [ident(p) for p in products]
    R = [ident(r[0]) for r in resources]
    pid = dict(zip(products, P))
    place = ph.pick(skin["places"])
    period = skin["period"]
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
                    ident(r[0]): {pid[p]: use[(r[0], p)] for p in products} for r in resources
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
    names = join_list([plural(p) if not skin["unit"] else p for p in products])
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
                    u=skin["unit"] or "unit",
                    l=ph.listing(pairs),
                )
            )
        )
    # usage
    if len(products) * len(resources) > 8 and ph.chance(0.6):
        cell = {(p, r[0]): ph.qty(use[(r[0], p)], r[1]) for p in products for r in resources}
        tab = ph.table("product", products, [r[0] for r in resources], cell)
        facts.append(
            Fact(
                ph.t("[Resource use|What each product needs] per {u}:", u=skin["unit"] or "unit")
                + "\n"
                + tab,
                covers=("capacity",),
            )
        )
    elif ph.chance(0.5):
        for p in products:
            needs = join_list([f"{ph.qty(use[(r[0], p)], r[1])} of {r[0]}" for r in resources])
            facts.append(
                Fact(
                    ph.s(
                        "[A|One|Each] {u} [needs|takes|uses|requires] {needs}",
                        u=skin["unit"] or p,
                        needs=needs,
                    )
                    if skin["unit"]
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
                    f"{ph.qty(use[(r[0], p)], r[1])} per {skin['unit'] + ' of ' if skin['unit'] else ''}{p}"
                    for p in products
                ]
            )
            facts.append(
                Fact(ph.s("{R} [takes|uses|needs] {per}", R=r[0], per=per), covers=("capacity",))
            )
    av = join_list([f"{ph.qty(avail[r[0]], r[1])} of {r[0]}" for r in resources])
    facts.append(
        Fact(
            ph.s(
                "[Each|Every|This] {t} [there are|the firm has|only] {av} [available|to use|at hand]",
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
                        "[At most|No more than|The market takes at most] {q} can be sold [each|per] {t}",
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
                    u=plural(skin["unit"]) if skin["unit"] else "pieces",
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
                "How much of each product should it make to maximise its {t}ly profit, and what is that profit?",
                t=period,
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


# ============================================================================ diet

_DIET_SKINS: list[dict[str, Any]] = [
    {
        "intro": [
            "A dietitian is designing a daily menu for a hospital patient",
            "A student wants the cheapest daily diet that still meets basic nutrition targets",
            "An athlete is planning a cheap but adequate daily meal plan",
        ],
        "foods": [
            "oatmeal",
            "milk",
            "eggs",
            "rice",
            "lentils",
            "chicken",
            "spinach",
            "bananas",
            "peanut butter",
            "bread",
        ],
        "unit": "serving",
        "nutrients": [
            ("protein", "g", 1, 20, 40, 90),
            ("calories", "kcal", 80, 400, 1800, 2600),
            ("calcium", "mg", 10, 300, 800, 1200),
            ("fibre", "g", 0, 8, 20, 35),
            ("iron", "mg", 0, 4, 8, 18),
        ],
        "cost": (0.2, 3.5),
    },
    {
        "intro": [
            "A livestock farm mixes feed for its cattle",
            "A poultry farm is choosing feed for its hens",
            "A pig farmer wants the cheapest ration that meets the herd's needs",
        ],
        "foods": [
            "corn",
            "soybean meal",
            "alfalfa hay",
            "barley",
            "oats",
            "fish meal",
            "wheat bran",
        ],
        "unit": "kg",
        "nutrients": [
            ("protein", "g", 60, 450, 1500, 4000),
            ("energy", "MJ", 8, 16, 60, 180),
            ("fibre", "g", 20, 300, 800, 2500),
            ("calcium", "g", 1, 12, 20, 60),
        ],
        "cost": (0.15, 1.2),
    },
    {
        "intro": [
            "A pet-food company blends a daily ration for large dogs",
            "A zoo plans the daily ration of its tortoises",
        ],
        "foods": ["beef mince", "rice", "carrots", "sweet potato", "fish", "kibble", "pumpkin"],
        "unit": "100 g portion",
        "nutrients": [
            ("protein", "g", 2, 25, 60, 140),
            ("fat", "g", 0, 15, 15, 45),
            ("calories", "kcal", 30, 250, 700, 1500),
        ],
        "cost": (0.1, 1.5),
    },
]


@family("diet", "cheapest mix of foods meeting nutrient minimums", kind="LP")
def diet(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_DIET_SKINS)
    n_f = min(len(skin["foods"]), ctx.n((3, 4), (4, 6), (6, 8)))
    n_n = min(len(skin["nutrients"]), ctx.level(2, rng.randint(2, 3), rng.randint(3, 4)))
    foods = rng.sample(skin["foods"], n_f)
    nutrients = rng.sample(skin["nutrients"], n_n)
    lo_c, hi_c = skin["cost"]
    cost = {f: round_to(rng.uniform(lo_c, hi_c), 0.05) for f in foods}
    content = {
        (n[0], f): round_to(rng.uniform(n[2], n[3]), 1 if n[3] >= 20 else 0.5)
        for n in nutrients
        for f in foods
    }
    # Planted feasible menu: requirements at most what it gives.
    plan = {f: rng.uniform(0.5, 3.0) for f in foods}
    need = {
        n[0]: round_to(
            min(sum(content[(n[0], f)] * plan[f] for f in foods) * rng.uniform(0.6, 0.95), n[5])
            if n[5]
            else 0,
            5,
        )
        for n in nutrients
    }
    need = {k: max(v, 5) for k, v in need.items()}
    integer = rng.random() < ctx.level(0.0, 0.3, 0.5) and skin["unit"] == "serving"
    capped = [f for f in foods if rng.random() < ctx.level(0.0, 0.3, 0.5)]
    max_serv = {f: max(2, int(plan[f] * 2) + 1) for f in capped}

    F = [ident(f) for f in foods]
    N = [ident(n[0]) for n in nutrients]
    fid = dict(zip(foods, F))
    u = skin["unit"]
    ir: dict[str, Any] = {
        "name": "diet",
        "description": "Cheapest daily mix of foods that meets every nutrient requirement.",
        "sets": [
            {"name": "F", "description": "foods", "elements": F},
            {"name": "N", "description": "nutrients", "elements": N},
        ],
        "parameters": [
            {
                "name": "cost",
                "description": f"cost per {u}",
                "index": ["F"],
                "values": {fid[f]: cost[f] for f in foods},
            },
            {
                "name": "content",
                "description": f"amount of nutrient n in one {u} of food f",
                "index": ["N", "F"],
                "values": {
                    ident(n[0]): {fid[f]: content[(n[0], f)] for f in foods} for n in nutrients
                },
            },
            {
                "name": "need",
                "description": "daily minimum of each nutrient",
                "index": ["N"],
                "values": {ident(k): v for k, v in need.items()},
            },
        ],
        "variables": [
            {
                "name": "amount",
                "description": f"{plural(u)} of food f per day",
                "index": ["F"],
                "domain": "integer" if integer else "continuous",
                "lower": 0,
            }
        ],
        "objective": {
            "sense": "minimize",
            "expression": "sum(cost[f] * amount[f] for f in F)",
            "description": "daily cost",
        },
        "constraints": [
            {
                "name": "nutrition",
                "description": "meet each nutrient minimum",
                "for_each": "n in N",
                "expression": "sum(content[n, f] * amount[f] for f in F) >= need[n]",
            }
        ],
    }
    features = ["covering"]
    facts: list[Fact] = []
    facts.append(
        Fact(
            ph.s("The [candidate foods|foods on offer|options] are {l}", l=join_list(foods)),
            pin="first",
        )
    )
    if ph.chance(0.5):
        facts.append(
            Fact(
                ph.s(
                    "[Prices|Costs] per {u}: {l}",
                    u=u,
                    l=ph.listing([(f, ph.money(cost[f])) for f in foods]),
                )
            )
        )
    else:
        for f in foods:
            facts.append(Fact(ph.s("[A|One] {u} of {f} costs {m}", u=u, f=f, m=ph.money(cost[f]))))
    if n_f * n_n > 6 or ph.chance(0.4):
        cell = {(f, n[0]): ph.qty(content[(n[0], f)], n[1]) for f in foods for n in nutrients}
        facts.append(
            Fact(
                ph.t("[Nutrients|Content] per {u}:", u=u)
                + "\n"
                + ph.table("food", foods, [n[0] for n in nutrients], cell),
                covers=("nutrition",),
            )
        )
    else:
        for f in foods:
            has = join_list([f"{ph.qty(content[(n[0], f)], n[1])} of {n[0]}" for n in nutrients])
            facts.append(
                Fact(
                    ph.s("[One|Each|A] {u} of {f} [provides|contains|gives] {h}", u=u, f=f, h=has),
                    covers=("nutrition",),
                )
            )
    req = join_list([f"{ph.qty(need[n[0]], n[1])} of {n[0]}" for n in nutrients])
    facts.append(
        Fact(
            ph.s(
                "[The daily ration|Each day the menu|The plan] must [provide|supply|contain] at least {r}",
                r=req,
            ),
            covers=("nutrition",),
        )
    )
    if capped:
        ir["sets"].append(
            {
                "name": "CAPPED",
                "description": "foods with a daily limit",
                "elements": [fid[f] for f in capped],
            }
        )
        ir["parameters"].append(
            {
                "name": "max_amount",
                "description": f"most {plural(u)} per day",
                "index": ["CAPPED"],
                "values": {fid[f]: max_serv[f] for f in capped},
            }
        )
        ir["constraints"].append(
            {
                "name": "variety",
                "description": "daily limit of some foods",
                "for_each": "f in CAPPED",
                "expression": "amount[f] <= max_amount[f]",
            }
        )
        features.append("upper_bound")
        for f in capped:
            facts.append(
                Fact(
                    ph.s(
                        "[For variety|To keep the menu varied|On the vet's advice], no more than {q} of {f} "
                        "[may be used|can be included] per day",
                        q=ph.count(max_serv[f], u),
                        f=f,
                    ),
                    covers=("variety",),
                )
            )
    if integer:
        features.append("integer")
        facts.append(
            Fact(ph.s("[Only whole servings can be served|Servings cannot be split]"), pin="last")
        )
    question = ph.pick(
        [
            ph.s(
                "What is the [lowest|minimum|cheapest] daily cost that meets [all the requirements|every target]?"
            ),
            ph.s("How much of each food should be used to minimise the daily cost? Give that cost"),
            ph.s("Find the cheapest [plan|ration|menu] and its cost per day"),
        ]
    )
    return Draft(
        ir,
        ph.s(ph.pick(skin["intro"])),
        tuple(facts),
        question,
        tuple(features),
        "the daily cost",
        True,
        size=n_f * n_n,
    )


# ============================================================================ blending

_BLEND_SKINS: list[dict[str, Any]] = [
    {
        "product": "steel alloy",
        "intro": [
            "A foundry must produce {D} of a new steel alloy",
            "A steel mill has an order for {D} of alloy",
        ],
        "unit": "tonne",
        "inputs": [
            "scrap iron",
            "pig iron",
            "ferro-chrome",
            "nickel ore",
            "recycled steel",
            "ore A",
            "ore B",
        ],
        "qualities": [("carbon", 0.5, 4.5), ("chromium", 0.0, 18.0), ("nickel", 0.0, 10.0)],
        "cost": (80, 900),
        "demand": (50, 400),
    },
    {
        "product": "fruit juice",
        "intro": [
            "A juice company is mixing {D} of a new fruit drink",
            "A beverage maker blends {D} of juice for a supermarket order",
        ],
        "unit": "litre",
        "inputs": [
            "orange concentrate",
            "apple juice",
            "grape juice",
            "mango pulp",
            "pear juice",
            "water",
        ],
        "qualities": [("sugar", 0.0, 14.0), ("fruit solids", 0.0, 60.0)],
        "cost": (0.1, 2.2),
        "demand": (2000, 20000),
    },
    {
        "product": "fertiliser",
        "intro": [
            "A garden supplier blends {D} of fertiliser",
            "A cooperative mixes {D} of fertiliser for its members",
        ],
        "unit": "kg",
        "inputs": ["ammonium nitrate", "superphosphate", "potash", "compost", "bone meal", "urea"],
        "qualities": [("nitrogen", 0.0, 40.0), ("phosphate", 0.0, 30.0), ("potassium", 0.0, 50.0)],
        "cost": (0.2, 1.6),
        "demand": (1000, 10000),
    },
    {
        "product": "coffee blend",
        "intro": [
            "A roaster is preparing {D} of its house coffee blend",
            "A café chain blends {D} of coffee",
        ],
        "unit": "kg",
        "inputs": [
            "Colombian",
            "Brazilian",
            "Ethiopian",
            "Kenyan",
            "Vietnamese robusta",
            "Sumatran",
        ],
        "qualities": [("arabica", 0.0, 100.0), ("caffeine", 0.8, 2.6)],
        "cost": (4, 18),
        "demand": (200, 2000),
    },
]


@family("blending", "cheapest blend of inputs meeting quality percentages", kind="LP")
def blending(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_BLEND_SKINS)
    n_m = min(len(skin["inputs"]), ctx.n((3, 3), (3, 5), (5, 6)))
    n_q = min(len(skin["qualities"]), ctx.level(1, rng.randint(1, 2), rng.randint(2, 3)))
    inputs = rng.sample(skin["inputs"], n_m)
    quals = rng.sample(skin["qualities"], n_q)
    cost = {
        m: round_to(rng.uniform(*skin["cost"]), 0.05 if skin["cost"][1] < 50 else 5) for m in inputs
    }
    pct = {(q[0], m): round_to(rng.uniform(q[1], q[2]), 0.5) for q in quals for m in inputs}
    D = round_to(rng.uniform(*skin["demand"]), 50 if skin["demand"][1] > 1000 else 10)
    w = [rng.random() + 0.2 for _ in inputs]
    s = sum(w)
    mix = {m: wi / s for m, wi in zip(inputs, w)}
    qbar = {q[0]: sum(pct[(q[0], m)] * mix[m] for m in inputs) for q in quals}
    bounds: dict[str, tuple[str, float]] = {}
    for q in quals:
        if rng.random() < 0.5:
            bounds[q[0]] = ("min", round_to(qbar[q[0]] * rng.uniform(0.8, 0.98), 0.5))
        else:
            bounds[q[0]] = ("max", round_to(qbar[q[0]] * rng.uniform(1.02, 1.2), 0.5) + 0.5)
    limited = [m for m in inputs if rng.random() < ctx.level(0.3, 0.5, 0.7)]
    avail = {m: round_to(mix[m] * D * rng.uniform(1.1, 1.8), 10) + 10 for m in limited}

    M = [ident(m) for m in inputs]
    mid = dict(zip(inputs, M))
    Q = [ident(q[0]) for q in quals]
    unit = skin["unit"]
    ir: dict[str, Any] = {
        "name": "blend",
        "description": f"Cheapest blend of {skin['product']} meeting quality limits.",
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
                "values": {ident(q[0]): {mid[m]: pct[(q[0], m)] for m in inputs} for q in quals},
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
    cell = {(m, q[0]): ph.pct(pct[(q[0], m)] / 100) for m in inputs for q in quals}
    if n_m * n_q > 4 and ph.chance(0.6):
        facts.append(
            Fact(
                ph.t("[Composition of the inputs|What each input contains] (by weight):")
                + "\n"
                + ph.table("input", inputs, [q[0] for q in quals], cell),
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
                        l=join_list([f"{cell[(m, q[0])]} {q[0]}" for q in quals]),
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
                    p=skin["product"],
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
                    "[Only|Supplies are limited:] {l} [are|is] [available|in stock]",
                    l=join_list([f"{ph.qty(avail[m], unit)} of {m}" for m in limited]),
                ),
                covers=("supply",),
            )
        )
    intro = ph.s(ph.pick(skin["intro"]), D=ph.qty(D, unit))
    question = ph.pick(
        [
            ph.s(
                "[How much|What amount] of each input should go into the blend to keep the cost as low as possible, and what is that cost?"
            ),
            ph.s("What is the [minimum|lowest] cost of the {p}?", p=skin["product"]),
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


# ============================================================================ transportation

_TRANSPORT_SKINS: list[dict[str, Any]] = [
    {
        "intro": [
            "A shipping firm moves goods from its warehouses to retail stores",
            "A distributor supplies its stores from several warehouses",
        ],
        "src": ["Leeds", "Bristol", "Hull", "Derby", "Norwich", "Exeter"],
        "src_kind": "warehouse",
        "dst": [
            "store A",
            "store B",
            "store C",
            "store D",
            "store E",
            "store F",
            "store G",
            "store H",
        ],
        "dst_kind": "store",
        "unit": "pallet",
        "cost": (2, 25),
        "qty": (20, 120),
    },
    {
        "intro": [
            "A power company sends electricity from its plants to cities",
            "An electricity utility must meet the demand of several cities from its plants",
        ],
        "src": ["plant 1", "plant 2", "plant 3", "plant 4", "plant 5"],
        "src_kind": "plant",
        "dst": [
            "Springfield",
            "Shelbyville",
            "Ogdenville",
            "North Haverbrook",
            "Capital City",
            "Brockway",
        ],
        "dst_kind": "city",
        "unit": "MWh",
        "cost": (5, 40),
        "qty": (200, 900),
    },
    {
        "intro": [
            "A grain cooperative ships wheat from its farms to flour mills",
            "Farms in the valley sell their harvest to several mills",
        ],
        "src": ["Hillside farm", "River farm", "Oak farm", "Meadow farm", "Ridge farm"],
        "src_kind": "farm",
        "dst": [
            "North mill",
            "South mill",
            "East mill",
            "West mill",
            "Central mill",
            "Harbour mill",
        ],
        "dst_kind": "mill",
        "unit": "tonne",
        "cost": (3, 18),
        "qty": (40, 300),
    },
    {
        "intro": ["A regional blood service distributes blood units from its banks to hospitals"],
        "src": ["central bank", "north bank", "south bank", "east bank"],
        "src_kind": "blood bank",
        "dst": [
            "St Mary's",
            "General",
            "Royal Infirmary",
            "Children's",
            "Memorial",
            "University Hospital",
        ],
        "dst_kind": "hospital",
        "unit": "unit of blood",
        "cost": (1, 9),
        "qty": (10, 60),
    },
]


@family("transportation", "ship from supplies to demands at least cost", kind="LP")
def transportation(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_TRANSPORT_SKINS)
    n_s = min(len(skin["src"]), ctx.level(2, rng.randint(2, 3), rng.randint(3, 5)))
    n_d = min(len(skin["dst"]), ctx.n((2, 3), (3, 5), (5, 7)))
    srcs = rng.sample(skin["src"], n_s)
    dsts = rng.sample(skin["dst"], n_d)
    qlo, qhi = skin["qty"]
    demand = {d: round_to(rng.uniform(qlo, qhi), 5) for d in dsts}
    total = sum(demand.values())
    share = [rng.random() + 0.3 for _ in srcs]
    ssum = sum(share)
    slack = rng.uniform(1.05, 1.4)
    supply = {s: round_to(total * slack * w / ssum, 5) + 5 for s, w in zip(srcs, share)}
    cost = {
        (s, d): round_to(rng.uniform(*skin["cost"]), 0.5 if skin["cost"][1] < 10 else 1)
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
    unit = skin["unit"]
    ir: dict[str, Any] = {
        "name": "transportation",
        "description": "Ship from sources to destinations at least cost, within supplies and meeting demands.",
        "sets": [
            {"name": "S", "description": f"{plural(skin['src_kind'])}", "elements": S},
            {"name": "D", "description": f"{plural(skin['dst_kind'])}", "elements": Dn},
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
    sk, dk = skin["src_kind"], skin["dst_kind"]
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
    intro = ph.s(ph.pick(skin["intro"]))
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


# ============================================================================ assignment

_ASSIGN_SKINS: list[dict[str, Any]] = [
    {
        "intro": "A translation agency must hand out documents to its translators",
        "who": "translator",
        "names": ["Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo"],
        "what": "document",
        "tasks": [
            "the contract",
            "the manual",
            "the brochure",
            "the report",
            "the website",
            "the patent",
            "the letter",
            "the menu",
        ],
        "measure": "hours",
        "unit": "hour",
        "range": (2, 15),
    },
    {
        "intro": "A hospital is assigning nurses to wards for the night shift",
        "who": "nurse",
        "names": [
            "Nurse Ali",
            "Nurse Bell",
            "Nurse Cruz",
            "Nurse Dean",
            "Nurse Ekwu",
            "Nurse Ford",
            "Nurse Gray",
        ],
        "what": "ward",
        "tasks": [
            "paediatrics",
            "oncology",
            "cardiology",
            "the ICU",
            "maternity",
            "orthopaedics",
            "A&E",
        ],
        "measure": "cost",
        "unit": "",
        "range": (120, 320),
    },
    {
        "intro": "A machine shop must decide which machine runs which job",
        "who": "machine",
        "names": [
            "lathe 1",
            "lathe 2",
            "the mill",
            "the drill press",
            "the grinder",
            "the CNC router",
        ],
        "what": "job",
        "tasks": ["job A", "job B", "job C", "job D", "job E", "job F"],
        "measure": "minutes",
        "unit": "minute",
        "range": (10, 90),
    },
    {
        "intro": "A courier company assigns drivers to delivery routes",
        "who": "driver",
        "names": ["Kim", "Lee", "Mo", "Nadia", "Omar", "Pia", "Quinn"],
        "what": "route",
        "tasks": [
            "the north route",
            "the south route",
            "the airport run",
            "the city centre",
            "the industrial park",
            "the suburbs",
            "the coast road",
        ],
        "measure": "cost",
        "unit": "",
        "range": (40, 160),
    },
]


@family("assignment", "one-to-one assignment at least total cost or time", kind="IP")
def assignment(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_ASSIGN_SKINS)
    n = min(len(skin["names"]), len(skin["tasks"]), ctx.n((3, 3), (4, 5), (5, 7)))
    extra = 1 if (ctx.difficulty != "easy" and rng.random() < 0.5 and n < len(skin["names"])) else 0
    workers = rng.sample(skin["names"], n + extra)
    tasks = rng.sample(skin["tasks"], n)
    lo, hi = skin["range"]
    c = {(w, t): rng.randint(lo, hi) for w in workers for t in tasks}
    W, T = [ident(w) for w in workers], [ident(t) for t in tasks]
    wid, tid = dict(zip(workers, W)), dict(zip(tasks, T))
    measure = skin["measure"]
    word = "time" if measure != "cost" else "cost"
    ir: dict[str, Any] = {
        "name": "assignment",
        "description": f"Assign each {skin['what']} to one {skin['who']} minimising total {word}.",
        "sets": [
            {"name": "W", "description": plural(skin["who"]), "elements": W},
            {"name": "T", "description": plural(skin["what"]), "elements": T},
        ],
        "parameters": [
            {
                "name": "c",
                "description": f"{word} if w does t",
                "index": ["W", "T"],
                "values": {wid[w]: {tid[t]: c[(w, t)] for t in tasks} for w in workers},
            }
        ],
        "variables": [
            {
                "name": "x",
                "description": "1 if w is assigned t",
                "index": ["W", "T"],
                "domain": "binary",
            }
        ],
        "objective": {
            "sense": "minimize",
            "expression": "sum(c[w, t] * x[w, t] for w in W for t in T)",
            "description": f"total {word}",
        },
        "constraints": [
            {
                "name": "each_task",
                "description": "every task gets exactly one",
                "for_each": "t in T",
                "expression": "sum(x[w, t] for w in W) == 1",
            },
            {
                "name": "one_each",
                "description": "nobody gets more than one",
                "for_each": "w in W",
                "expression": "sum(x[w, t] for t in T) <= 1",
            },
        ],
    }
    fmt = (lambda v: ph.money(v)) if measure == "cost" else (lambda v: ph.qty(v, skin["unit"]))
    facts: list[Fact] = []
    facts.append(
        Fact(ph.s("The {k} are {l}", k=plural(skin["who"]), l=join_list(workers)), pin="first")
    )
    facts.append(
        Fact(
            ph.s(
                "The {k} [to cover|to assign|to be done] are {l}",
                k=plural(skin["what"]),
                l=join_list(tasks),
            ),
            pin="first",
        )
    )
    cell = {(w, t): fmt(c[(w, t)]) for w in workers for t in tasks}
    head = (
        ph.t("[The cost of each pairing|What each pairing costs]:")
        if measure == "cost"
        else ph.t("[Time needed|How long each one takes] ({u}):", u=measure)
    )
    facts.append(Fact(head + "\n" + ph.table("", workers, tasks, cell)))
    facts.append(
        Fact(
            ph.s(
                "[Each|Every] {t} must be [handled|done|covered] by exactly one {w}",
                t=skin["what"],
                w=skin["who"],
            ),
            covers=("each_task",),
        )
    )
    facts.append(
        Fact(
            ph.s(
                "[No|A] {w} [can take more than one|takes at most one] {t}",
                w=skin["who"],
                t=skin["what"],
            ),
            covers=("one_each",),
        )
    )
    if extra:
        facts.append(Fact(ph.s("[One|Someone] will be left without a {t}", t=skin["what"])))
    question = ph.pick(
        [
            ph.s("Which assignment [minimises|keeps down] the total {w}, and what is it?", w=word),
            ph.s("What is the [smallest|minimum] total {w} of a complete assignment?", w=word),
        ]
    )
    return Draft(
        ir,
        ph.s(skin["intro"]),
        tuple(facts),
        question,
        ("assignment", "binary", "equality"),
        f"the total {word}",
        measure == "cost",
        size=n * (n + extra),
    )


# ============================================================================ knapsack

_KNAPSACK_SKINS: list[dict[str, Any]] = [
    {
        "intro": [
            "A hiker is packing for a week in the mountains",
            "A climber is choosing what to carry",
        ],
        "items": [
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
        ],
        "weight": ("kg", 0.5, 6.0, 0.5),
        "value_word": "usefulness score",
        "value": (2, 40),
        "money": False,
        "cap_word": "[can carry|can manage] at most",
        "second": ("litre", 2, 25, "volume", "the pack holds"),
    },
    {
        "intro": [
            "A cargo plane has room left for a few crates",
            "A freight forwarder must pick crates for a charter flight",
        ],
        "items": [
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
        ],
        "weight": ("tonne", 1, 9, 1),
        "value_word": "freight revenue",
        "value": (800, 9000),
        "money": True,
        "cap_word": "[can take|has capacity for] at most",
        "second": ("m3", 2, 20, "volume", "the hold has"),
    },
    {
        "intro": [
            "A city council is choosing which projects to fund this year",
            "A start-up is deciding which projects to fund",
        ],
        "items": [
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
        ],
        "weight": ("thousand dollars", 20, 400, 10),
        "value_word": "expected benefit (points)",
        "value": (5, 90),
        "money": False,
        "cap_word": "has a budget of",
        "second": ("staff-month", 1, 12, "staff time", "only"),
    },
]


@family("knapsack", "pick items of most value within a capacity (0/1)", kind="IP")
def knapsack(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_KNAPSACK_SKINS)
    n = min(len(skin["items"]), ctx.n((4, 6), (7, 10), (11, 15)))
    items = rng.sample(skin["items"], n)
    wunit, wlo, whi, wstep = skin["weight"]
    w = {i: round_to(rng.uniform(wlo, whi), wstep) for i in items}
    v = {
        i: round_to(rng.uniform(*skin["value"]), 10 if skin["value"][1] > 1000 else 1)
        for i in items
    }
    cap = round_to(sum(w.values()) * rng.uniform(0.35, 0.6), wstep)
    cap = max(cap, max(w.values()))
    two_d = ctx.difficulty == "hard" or (ctx.difficulty == "medium" and rng.random() < 0.3)
    I = [ident(i) for i in items]
    iid = dict(zip(items, I))
    ir: dict[str, Any] = {
        "name": "knapsack",
        "description": "Choose items of greatest total value within the capacity.",
        "sets": [{"name": "I", "description": "candidate items", "elements": I}],
        "parameters": [
            {
                "name": "value",
                "description": skin["value_word"],
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
            "description": skin["value_word"],
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
    vl = (lambda x: ph.money(x)) if skin["money"] else (lambda x: ph.num(x, words=False))
    rows = {}
    cols = [
        wunit if wunit != "thousand dollars" else f"cost (thousand {ph.currency.symbol})",
        skin["value_word"],
    ]
    for i in items:
        rows[(i, cols[0])] = fmt_number(w[i])
        rows[(i, cols[1])] = vl(v[i])
    if two_d:
        u2, lo2, hi2, name2, phrase2 = skin["second"]
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
                ph.s("{p} {c}", p=ph.pick([phrase2.capitalize(), "There is"]), c=ph.qty(cap2, u2))
                + f" ({name2})."
                if phrase2 != "only"
                else ph.s("Only {c} of {n} are available", c=ph.qty(cap2, u2), n=name2),
                covers=("size_cap",),
            )
        )
        features.append("multi_capacity")
    facts.append(
        Fact(ph.t("The [candidates|options] are:") + "\n" + ph.table("item", items, cols, rows))
    )
    owner = "It" if skin["cap_word"].startswith("has") else "It"
    facts.append(
        Fact(
            ph.s(
                f"{owner} {skin['cap_word']} {{c}}",
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
                v=skin["value_word"],
            ),
            ph.s(
                "What is the [largest|highest|maximum] total {v} that fits?", v=skin["value_word"]
            ),
        ]
    )
    return Draft(
        ir,
        ph.s(ph.pick(skin["intro"])),
        tuple(facts),
        question,
        tuple(features),
        f"the total {skin['value_word']}",
        skin["money"],
        size=n,
    )


# ============================================================================ facility location

_FACILITY_SKINS: list[dict[str, Any]] = [
    {
        "intro": "A retailer is deciding which warehouses to open to serve its stores",
        "fac": "warehouse",
        "sites": ["Ashford", "Bedford", "Carlisle", "Dover", "Ely", "Frome", "Goole"],
        "cust": "store",
        "cnames": [f"store {i}" for i in range(1, 15)],
        "unit": "pallet",
        "fixed": (3000, 15000),
        "ship": (1, 9),
        "dem": (20, 90),
        "period": "month",
    },
    {
        "intro": "A health authority plans which clinics to open for its neighbourhoods",
        "fac": "clinic",
        "sites": [
            "Elm Street",
            "the old school",
            "the mall",
            "Riverside",
            "the station",
            "Hill Road",
        ],
        "cust": "neighbourhood",
        "cnames": [
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
        ],
        "unit": "patient visit",
        "fixed": (20000, 80000),
        "ship": (2, 14),
        "dem": (100, 600),
        "period": "year",
    },
    {
        "intro": "A cloud provider chooses where to build data centres to serve its regions",
        "fac": "data centre",
        "sites": ["Dublin", "Frankfurt", "Madrid", "Stockholm", "Milan", "Warsaw"],
        "cust": "region",
        "cnames": [
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
        ],
        "unit": "TB of traffic",
        "fixed": (50000, 250000),
        "ship": (5, 40),
        "dem": (200, 1200),
        "period": "month",
    },
]


@family(
    "facility_location", "open facilities and serve customers (fixed + shipping cost)", kind="MILP"
)
def facility_location(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_FACILITY_SKINS)
    n_f = min(
        len(skin["sites"]), ctx.level(rng.randint(2, 3), rng.randint(3, 4), rng.randint(4, 6))
    )
    n_c = min(len(skin["cnames"]), ctx.n((3, 4), (5, 7), (8, 12)))
    sites = rng.sample(skin["sites"], n_f)
    custs = rng.sample(skin["cnames"], n_c)
    unit = skin["unit"]
    dem = {c: round_to(rng.uniform(*skin["dem"]), 5) for c in custs}
    total = sum(dem.values())
    fixed = {f: round_to(rng.uniform(*skin["fixed"]), 500) for f in sites}
    cap = {f: round_to(total * rng.uniform(0.35, 0.8), 10) for f in sites}
    while sum(cap.values()) < total * 1.1:
        cap = {f: v * 1.2 for f, v in cap.items()}
        cap = {f: round_to(v, 10) for f, v in cap.items()}
    ship = {(f, c): round_to(rng.uniform(*skin["ship"]), 0.5) for f in sites for c in custs}
    F, C = [ident(f) for f in sites], [ident(c) for c in custs]
    fid, cid = dict(zip(sites, F)), dict(zip(custs, C))
    ir: dict[str, Any] = {
        "name": "facility_location",
        "description": "Open facilities (fixed cost) and serve every customer's demand at least total cost.",
        "sets": [
            {"name": "F", "description": f"candidate {plural(skin['fac'])}", "elements": F},
            {"name": "C", "description": plural(skin["cust"]), "elements": C},
        ],
        "parameters": [
            {
                "name": "fixed",
                "description": f"cost of opening each site per {skin['period']}",
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
    fk, ck = skin["fac"], skin["cust"]
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
                    p=skin["period"],
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
        ph.s(skin["intro"]),
        tuple(facts),
        question,
        ("binary", "linking_bigM", "covering", "capacity"),
        "the total cost",
        True,
        size=n_f * n_c,
    )


# ============================================================================ set cover

_COVER_SKINS: list[dict[str, Any]] = [
    {
        "intro": "A county wants to place fire stations so that every district can be reached within ten minutes",
        "site": "fire station site",
        "sites": [
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
        ],
        "elem": "district",
        "elems": [f"district {i}" for i in range(1, 21)],
        "cost": (100, 900),
        "money": True,
        "mult": 1000,
    },
    {
        "intro": "A telecom operator picks mast locations to cover a string of villages",
        "site": "mast location",
        "sites": [f"hill {c}" for c in "ABCDEFGHIJKL"],
        "elem": "village",
        "elems": [
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
        ],
        "cost": (20, 90),
        "money": True,
        "mult": 1000,
    },
    {
        "intro": "A project lead must staff a team that covers every skill the project needs",
        "site": "candidate",
        "sites": ["Alex", "Bea", "Carl", "Dina", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun"],
        "elem": "skill",
        "elems": [
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
        ],
        "cost": (3, 9),
        "money": True,
        "mult": 1000,
    },
]


@family("set_cover", "cheapest choice of sites covering every element", kind="IP")
def set_cover(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_COVER_SKINS)
    n_s = min(
        len(skin["sites"]), ctx.level(rng.randint(4, 5), rng.randint(6, 8), rng.randint(8, 12))
    )
    n_e = min(len(skin["elems"]), ctx.n((5, 6), (7, 10), (10, 16)))
    sites = rng.sample(skin["sites"], n_s)
    elems = sorted(rng.sample(skin["elems"], n_e), key=skin["elems"].index)
    need2 = [e for e in elems if ctx.difficulty == "hard" and rng.random() < 0.25]
    covers: dict[str, list[str]] = {s: [] for s in sites}
    for e in elems:
        k = rng.randint(2 if e in need2 else 1, min(n_s, 3))
        for s in rng.sample(sites, k):
            covers[s].append(e)
    for s in sites:
        if not covers[s]:
            covers[s].append(rng.choice(elems))
    cost = {s: rng.randint(*skin["cost"]) for s in sites}
    S, E = [ident(s) for s in sites], [ident(e) for e in elems]
    sid, eid = dict(zip(sites, S)), dict(zip(elems, E))
    rows = [[eid[e], sid[s], 1] for s in sites for e in elems if e in covers[s]]
    ir: dict[str, Any] = {
        "name": "set_cover",
        "description": f"Choose {plural(skin['site'])} at least cost so that every {skin['elem']} is covered.",
        "sets": [
            {"name": "S", "description": plural(skin["site"]), "elements": S},
            {"name": "E", "description": plural(skin["elem"]), "elements": E},
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
    mult = skin["mult"]
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
                e=skin["elem"],
                site=skin["site"],
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
                    "{l} [must be covered twice|need cover from at least two chosen sites] [for safety|as backup]",
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
                s=plural(skin["site"]),
            ),
            ph.s("What is the [minimum|lowest] total cost of full coverage?"),
        ]
    )
    ir["objective"]["expression"] = f"sum({mult} * cost[s] * pick[s] for s in S)"
    ir["parameters"][0]["description"] = "cost of choosing each site (thousands)"
    ir["objective"]["description"] = "total cost"
    return Draft(
        ir,
        ph.s(skin["intro"]),
        tuple(facts),
        question,
        tuple(features),
        "the total cost",
        True,
        size=n_s * n_e,
    )
