"""The staffing family: cyclic shift covering with integer staff."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec
from optiscribe.data.synth.text import plural, round_to


@dataclass(frozen=True)
class StaffingSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    intro: str
    who: str
    mode: str


_STAFF_SKINS: tuple[StaffingSkin, ...] = (
    StaffingSkin(
        intro="A hospital ward must staff its nurses around the clock", who="nurse", mode="blocks"
    ),
    StaffingSkin(
        intro="A call centre plans how many agents start at each time of day",
        who="agent",
        mode="blocks",
    ),
    StaffingSkin(
        intro="A police station schedules officers over the week", who="officer", mode="week"
    ),
    StaffingSkin(intro="A bus company plans its drivers' working weeks", who="driver", mode="week"),
    StaffingSkin(
        intro="A restaurant chain staffs its kitchen over the week", who="cook", mode="week"
    ),
)
_BLOCKS = ["midnight–4am", "4am–8am", "8am–noon", "noon–4pm", "4pm–8pm", "8pm–midnight"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def staffing(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_STAFF_SKINS)
    who = skin.who
    if ctx.size is not None:  # a rota that repeats every `size` days (at least 3)
        n_days = max(3, ctx.size)
        labels, length = [f"day {k + 1}" for k in range(n_days)], max(1, round(n_days * 5 / 7))
        shift_word = f"{length} days in a row, then {n_days - length} off"
        need = [rng.randint(5, 20) for _ in range(n_days)]
        period = "day"
        skin = replace(skin, mode="rota")
    elif skin.mode == "blocks":
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
    base = rng.randint(90, 250) if skin.mode == "blocks" else rng.randint(500, 1100)
    pay: list[float] = [base] * n
    if weighted:
        pay = [
            round_to(
                base
                * (
                    rng.uniform(1.1, 1.4)
                    if (skin.mode == "week" and k >= 5) or (skin.mode == "blocks" and k in (0, 5))
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
    }[skin.mode]
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
                    u={"blocks": "shift", "week": "week", "rota": "rota cycle"}[skin.mode],
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
    return Draft(ir, ph.s(skin.intro), tuple(facts), question, tuple(features), noun, money, size=n)


SPEC = FamilySpec(
    name="staffing",
    summary="cyclic shift covering with integer staff",
    build=staffing,
    kind="IP",
    sizes=(3, 28),
)
