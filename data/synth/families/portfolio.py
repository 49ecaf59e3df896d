"""The portfolio family: allocate a budget for the best expected return under risk rules (LP)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec, ident
from optiscribe.data.synth.text import fmt_number, join_list, round_to


@dataclass(frozen=True)
class Asset:
    """An asset: expected return (%) drawn in [return_lo, return_hi], and its risk score."""

    name: str
    return_lo: float
    return_hi: float
    risk: int


@dataclass(frozen=True)
class PortfolioSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    intro: str
    assets: tuple[Asset, ...]
    budget: tuple[int, int]
    step: int
    risk: str


_PORT_SKINS: tuple[PortfolioSkin, ...] = (
    PortfolioSkin(
        intro="An investor has {B} to invest",
        assets=(
            Asset("government bonds", 2.0, 4.0, 1),
            Asset("corporate bonds", 3.5, 6.0, 2),
            Asset("index fund", 5.0, 8.0, 3),
            Asset("tech stocks", 7.0, 13.0, 5),
            Asset("real estate fund", 4.0, 7.5, 3),
            Asset("gold", 1.0, 5.0, 2),
            Asset("emerging markets", 8.0, 14.0, 5),
            Asset("savings account", 1.0, 2.5, 1),
        ),
        budget=(20000, 500000),
        step=1000,
        risk="risk score",
    ),
    PortfolioSkin(
        intro="A credit union will lend out {B} this quarter",
        assets=(
            Asset("mortgages", 4.0, 6.5, 1),
            Asset("car loans", 6.0, 9.0, 2),
            Asset("personal loans", 9.0, 14.0, 4),
            Asset("credit cards", 14.0, 21.0, 5),
            Asset("business loans", 7.0, 11.0, 3),
            Asset("student loans", 5.0, 7.0, 2),
        ),
        budget=(1000000, 20000000),
        step=50000,
        risk="risk rating",
    ),
)


def portfolio(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_PORT_SKINS)
    n = min(len(skin.assets), ctx.n((3, 3), (4, 5), (5, 7)))
    assets = rng.sample(skin.assets, n)
    B = round_to(rng.uniform(*skin.budget), skin.step)
    ret = {a.name: round_to(rng.uniform(a.return_lo, a.return_hi), 0.1) for a in assets}
    risk = {a.name: a.risk for a in assets}
    mix = [rng.random() + 0.2 for _ in assets]
    s = sum(mix)
    share = {a.name: m / s for a, m in zip(assets, mix)}
    cap_share = round_to(max(share.values()) * rng.uniform(1.05, 1.5), 0.05)
    cap_share = min(max(cap_share, 0.25), 0.7)
    avg_risk = sum(risk[a] * share[a] for a in risk)
    risk_lim = math.ceil(avg_risk * rng.uniform(1.0, 1.15) * 10) / 10
    safe = [a.name for a in assets if a.risk <= 2]
    safe_min = round_to(sum(share[a] for a in safe) * rng.uniform(0.6, 0.95), 0.05) if safe else 0
    A = [ident(a.name) for a in assets]
    aid = {a.name: x for a, x in zip(assets, A)}
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
                "description": skin.risk,
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
        (a.name, c): v
        for a in assets
        for c, v in (("expected return", ph.pct(ret[a.name] / 100)), (skin.risk, str(a.risk)))
    }
    facts.append(
        Fact(
            ph.t("[The options are|It can choose between]:")
            + "\n"
            + ph.table("option", [a.name for a in assets], ["expected return", skin.risk], rows)
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
                r=skin.risk,
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
        ph.s(skin.intro, B=ph.money(B)),
        tuple(facts),
        question,
        tuple(features),
        "the expected return",
        True,
        size=n,
    )


SPEC = FamilySpec(
    name="portfolio",
    summary="allocate a budget for the best expected return under risk rules (LP)",
    build=portfolio,
    kind="LP",
    sizes=(2, 6),
)
