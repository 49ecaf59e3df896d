"""The scheduling family: single-machine sequencing with big-M disjunctions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec, ident
from optiscribe.data.synth.text import a_an, fmt_number, plural


@dataclass(frozen=True)
class SchedulingSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    intro: str
    job: str
    unit: str
    #: What does the work, as the later sentences name it ("the press", "the mechanic").
    machine: str


_SCHED_SKINS: tuple[SchedulingSkin, ...] = (
    SchedulingSkin(
        intro="A print shop has {n} orders waiting for its only press",
        job="order",
        unit="hour",
        machine="the press",
    ),
    SchedulingSkin(
        intro="A garage with one mechanic has {n} cars to repair",
        job="car",
        unit="hour",
        machine="the mechanic",
    ),
    SchedulingSkin(
        intro="A lab has {n} samples to run on its single analyser",
        job="sample",
        unit="minute",
        machine="the analyser",
    ),
    SchedulingSkin(
        intro="A CNC workshop must sequence {n} jobs on one machine",
        job="job",
        unit="hour",
        machine="the machine",
    ),
)


def scheduling(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_SCHED_SKINS)
    n = ctx.n((3, 3), (4, 5), (5, 6))
    letters = "ABCDEFGH"[:n]  # SPEC.sizes stops at 8 jobs: 9 take HiGHS tens of seconds
    labels = [f"{skin.job} {c}" for c in letters]
    J = [ident(c) for c in letters]
    p = [rng.randint(1, 9) if skin.unit == "hour" else rng.randint(10, 60) for _ in range(n)]
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
            {"name": "J", "description": plural(skin.job), "elements": J},
            {
                "name": "PAIRS",
                "description": "pairs of jobs (i before j in the list)",
                "elements": pairs,
            },
        ],
        "parameters": [
            {
                "name": "dur",
                "description": f"processing time ({plural(skin.unit)})",
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
    u = skin.unit
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
            + ph.table(skin.job, labels, cols, rows)
        )
    )
    facts.append(
        Fact(
            ph.s(
                "{m} handles one {j} at a time and [never stops|cannot interrupt] {aj} once started",
                j=skin.job,
                aj=a_an(skin.job),
                m=skin.machine,
            ),
            covers=("i_first", "j_first"),
        )
    )
    if releases:
        facts.append(
            Fact(
                ph.s(
                    "{aj} cannot start before it is ready; time is counted in {u} from now",
                    aj=a_an(skin.job),
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
                j=plural(skin.job),
            ),
            ph.s("What is the minimum total weighted completion time?"),
        ]
    )
    return Draft(
        ir,
        ph.s(skin.intro, n=ph.num(n)),
        tuple(facts),
        question,
        tuple(features),
        "the weighted completion time",
        False,
        size=n,
    )


SPEC = FamilySpec(
    name="scheduling",
    summary="single-machine sequencing with big-M disjunctions",
    build=scheduling,
    kind="MILP",
    sizes=(2, 8),
)
