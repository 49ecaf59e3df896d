"""The assignment family: one-to-one assignment at least total cost or time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec, ident
from optiscribe.data.synth.text import a_an, join_list, plural


@dataclass(frozen=True)
class AssignmentSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    intro: str
    who: str
    names: tuple[str, ...]
    what: str
    tasks: tuple[str, ...]
    measure: str
    unit: str
    range: tuple[int, int]


_ASSIGN_SKINS: tuple[AssignmentSkin, ...] = (
    AssignmentSkin(
        intro="A translation agency must hand out documents to its translators",
        who="translator",
        names=(
            "Ana",
            "Ben",
            "Chloe",
            "Dev",
            "Emma",
            "Farid",
            "Grace",
            "Hugo",
        ),
        what="document",
        tasks=(
            "the contract",
            "the manual",
            "the brochure",
            "the report",
            "the website",
            "the patent",
            "the letter",
            "the menu",
        ),
        measure="hours",
        unit="hour",
        range=(2, 15),
    ),
    AssignmentSkin(
        intro="A hospital is assigning nurses to wards for the night shift",
        who="nurse",
        names=(
            "Nurse Ali",
            "Nurse Bell",
            "Nurse Cruz",
            "Nurse Dean",
            "Nurse Ekwu",
            "Nurse Ford",
            "Nurse Gray",
        ),
        what="ward",
        tasks=(
            "paediatrics",
            "oncology",
            "cardiology",
            "the ICU",
            "maternity",
            "orthopaedics",
            "A&E",
        ),
        measure="cost",
        unit="",
        range=(120, 320),
    ),
    AssignmentSkin(
        intro="A machine shop must decide which machine runs which job",
        who="machine",
        names=(
            "lathe 1",
            "lathe 2",
            "the mill",
            "the drill press",
            "the grinder",
            "the CNC router",
        ),
        what="job",
        tasks=(
            "job A",
            "job B",
            "job C",
            "job D",
            "job E",
            "job F",
        ),
        measure="minutes",
        unit="minute",
        range=(10, 90),
    ),
    AssignmentSkin(
        intro="A courier company assigns drivers to delivery routes",
        who="driver",
        names=(
            "Kim",
            "Lee",
            "Mo",
            "Nadia",
            "Omar",
            "Pia",
            "Quinn",
        ),
        what="route",
        tasks=(
            "the north route",
            "the south route",
            "the airport run",
            "the city centre",
            "the industrial park",
            "the suburbs",
            "the coast road",
        ),
        measure="cost",
        unit="",
        range=(40, 160),
    ),
)


def assignment(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_ASSIGN_SKINS)
    n = min(len(skin.names), len(skin.tasks), ctx.n((3, 3), (4, 5), (5, 7)))
    extra = 1 if (ctx.difficulty != "easy" and rng.random() < 0.5 and n < len(skin.names)) else 0
    workers = rng.sample(skin.names, n + extra)
    tasks = rng.sample(skin.tasks, n)
    lo, hi = skin.range
    c = {(w, t): rng.randint(lo, hi) for w in workers for t in tasks}
    W, T = [ident(w) for w in workers], [ident(t) for t in tasks]
    wid, tid = dict(zip(workers, W)), dict(zip(tasks, T))
    measure = skin.measure
    word = "time" if measure != "cost" else "cost"
    ir: dict[str, Any] = {
        "name": "assignment",
        "description": f"Assign each {skin.what} to one {skin.who} minimising total {word}.",
        "sets": [
            {"name": "W", "description": plural(skin.who), "elements": W},
            {"name": "T", "description": plural(skin.what), "elements": T},
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
    fmt = (lambda v: ph.money(v)) if measure == "cost" else (lambda v: ph.qty(v, skin.unit))
    facts: list[Fact] = []
    facts.append(
        Fact(ph.s("The {k} are {l}", k=plural(skin.who), l=join_list(workers)), pin="first")
    )
    facts.append(
        Fact(
            ph.s(
                "The {k} [to cover|to assign|to be done] are {l}",
                k=plural(skin.what),
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
                t=skin.what,
                w=skin.who,
            ),
            covers=("each_task",),
        )
    )
    facts.append(
        Fact(
            ph.s(
                # Two choices, not [No|A] x [can take more than one|takes at most one]: the
                # cross product made "No driver takes at most one route", the opposite.
                "[No {w} can take more than one {t}|{aw} takes at most one {t}]",
                w=skin.who,
                aw=a_an(skin.who),
                t=skin.what,
            ),
            covers=("one_each",),
        )
    )
    if extra:
        facts.append(Fact(ph.s("[One|Someone] will be left without a {t}", t=skin.what)))
    question = ph.pick(
        [
            ph.s("Which assignment [minimises|keeps down] the total {w}, and what is it?", w=word),
            ph.s("What is the [smallest|minimum] total {w} of a complete assignment?", w=word),
        ]
    )
    return Draft(
        ir,
        ph.s(skin.intro),
        tuple(facts),
        question,
        ("assignment", "binary", "equality"),
        f"the total {word}",
        measure == "cost",
        size=n * (n + extra),
    )


SPEC = FamilySpec(
    name="assignment",
    summary="one-to-one assignment at the least total cost or time",
    build=assignment,
    kind="IP",
    sizes=(2, 6),
)
