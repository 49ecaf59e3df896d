"""The diet family: cheapest mix of foods meeting nutrient minimums."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec, ident
from optiscribe.data.synth.text import join_list, plural, round_to


@dataclass(frozen=True)
class Nutrient:
    """A nutrient: content per serving drawn in [per_serving_lo, per_serving_hi]; daily_cap (0: none) caps the requirement."""

    name: str
    unit: str
    per_serving_lo: float
    per_serving_hi: float
    daily_lo: float
    daily_cap: float


@dataclass(frozen=True)
class DietSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    intro: tuple[str, ...]
    foods: tuple[str, ...]
    unit: str
    nutrients: tuple[Nutrient, ...]
    cost: tuple[float, float]


_DIET_SKINS: tuple[DietSkin, ...] = (
    DietSkin(
        intro=(
            "A dietitian is designing a daily menu for a hospital patient",
            "A student wants the cheapest daily diet that still meets basic nutrition targets",
            "An athlete is planning a cheap but adequate daily meal plan",
        ),
        foods=(
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
        ),
        unit="serving",
        nutrients=(
            Nutrient("protein", "g", 1, 20, 40, 90),
            Nutrient("calories", "kcal", 80, 400, 1800, 2600),
            Nutrient("calcium", "mg", 10, 300, 800, 1200),
            Nutrient("fibre", "g", 0, 8, 20, 35),
            Nutrient("iron", "mg", 0, 4, 8, 18),
        ),
        cost=(0.2, 3.5),
    ),
    DietSkin(
        intro=(
            "A livestock farm mixes feed for its cattle",
            "A poultry farm is choosing feed for its hens",
            "A pig farmer wants the cheapest ration that meets the herd's needs",
        ),
        foods=(
            "corn",
            "soybean meal",
            "alfalfa hay",
            "barley",
            "oats",
            "fish meal",
            "wheat bran",
        ),
        unit="kg",
        nutrients=(
            Nutrient("protein", "g", 60, 450, 1500, 4000),
            Nutrient("energy", "MJ", 8, 16, 60, 180),
            Nutrient("fibre", "g", 20, 300, 800, 2500),
            Nutrient("calcium", "g", 1, 12, 20, 60),
        ),
        cost=(0.15, 1.2),
    ),
    DietSkin(
        intro=(
            "A pet-food company blends a daily ration for large dogs",
            "A zoo plans the daily ration of its tortoises",
        ),
        foods=(
            "beef mince",
            "rice",
            "carrots",
            "sweet potato",
            "fish",
            "kibble",
            "pumpkin",
        ),
        unit="100 g portion",
        nutrients=(
            Nutrient("protein", "g", 2, 25, 60, 140),
            Nutrient("fat", "g", 0, 15, 15, 45),
            Nutrient("calories", "kcal", 30, 250, 700, 1500),
        ),
        cost=(0.1, 1.5),
    ),
)


def diet(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_DIET_SKINS)
    n_f = min(len(skin.foods), ctx.n((3, 4), (4, 6), (6, 8)))
    n_n = min(len(skin.nutrients), ctx.level(2, rng.randint(2, 3), rng.randint(3, 4)))
    foods = rng.sample(skin.foods, n_f)
    nutrients = rng.sample(skin.nutrients, n_n)
    lo_c, hi_c = skin.cost
    cost = {f: round_to(rng.uniform(lo_c, hi_c), 0.05) for f in foods}
    content = {
        (n.name, f): round_to(
            rng.uniform(n.per_serving_lo, n.per_serving_hi), 1 if n.per_serving_hi >= 20 else 0.5
        )
        for n in nutrients
        for f in foods
    }
    # Planted feasible menu: requirements at most what it gives.
    plan = {f: rng.uniform(0.5, 3.0) for f in foods}
    need = {
        n.name: round_to(
            min(
                sum(content[(n.name, f)] * plan[f] for f in foods) * rng.uniform(0.6, 0.95),
                n.daily_cap,
            )
            if n.daily_cap
            else 0,
            5,
        )
        for n in nutrients
    }
    need = {k: max(v, 5) for k, v in need.items()}
    integer = rng.random() < ctx.level(0.0, 0.3, 0.5) and skin.unit == "serving"
    capped = [f for f in foods if rng.random() < ctx.level(0.0, 0.3, 0.5)]
    max_serv = {f: max(2, int(plan[f] * 2) + 1) for f in capped}

    F = [ident(f) for f in foods]
    N = [ident(n.name) for n in nutrients]
    fid = dict(zip(foods, F))
    u = skin.unit
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
                    ident(n.name): {fid[f]: content[(n.name, f)] for f in foods} for n in nutrients
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
        cell = {(f, n.name): ph.qty(content[(n.name, f)], n.unit) for f in foods for n in nutrients}
        facts.append(
            Fact(
                ph.t("[Nutrients|Content] per {u}:", u=u)
                + "\n"
                + ph.table("food", foods, [n.name for n in nutrients], cell),
                covers=("nutrition",),
            )
        )
    else:
        for f in foods:
            has = join_list(
                [f"{ph.qty(content[(n.name, f)], n.unit)} of {n.name}" for n in nutrients]
            )
            facts.append(
                Fact(
                    ph.s("[One|Each|A] {u} of {f} [provides|contains|gives] {h}", u=u, f=f, h=has),
                    covers=("nutrition",),
                )
            )
    req = join_list([f"{ph.qty(need[n.name], n.unit)} of {n.name}" for n in nutrients])
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
                        "[For variety|To keep the meals varied|On expert advice], no more than {q} of {f} "
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
        ph.s(ph.pick(skin.intro)),
        tuple(facts),
        question,
        tuple(features),
        "the daily cost",
        True,
        size=n_f * n_n,
    )


SPEC = FamilySpec(
    name="diet",
    summary="cheapest mix of foods meeting nutrient minimums",
    build=diet,
    kind="LP",
    sizes=(1, 7),
)
