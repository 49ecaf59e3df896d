"""The bin_packing family: fewest bins holding all items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec
from optiscribe.data.synth.text import join_list, plural, round_to


@dataclass(frozen=True)
class BinPackingSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    intro: str
    item: str
    bin: str
    unit: str
    size: tuple[int, int]
    cap: tuple[int, int]
    step: int


_BIN_SKINS: tuple[BinPackingSkin, ...] = (
    BinPackingSkin(
        intro="A removals firm must load {n} boxes onto its vans",
        item="box",
        bin="van",
        unit="kg",
        size=(20, 350),
        cap=(500, 900),
        step=5,
    ),
    BinPackingSkin(
        intro="An IT team is archiving {n} project folders onto external drives",
        item="folder",
        bin="drive",
        unit="GB",
        size=(40, 700),
        cap=(1000, 1000),
        step=10,
    ),
    BinPackingSkin(
        intro="A hospital has {n} operations to fit into operating-room days",
        item="operation",
        bin="room-day",
        unit="minute",
        size=(45, 300),
        cap=(480, 600),
        step=15,
    ),
    BinPackingSkin(
        intro="A shipping agent must pack {n} consignments into containers",
        item="consignment",
        bin="container",
        unit="m3",
        size=(3, 28),
        cap=(33, 33),
        step=1,
    ),
)


def _first_fit_decreasing(sizes: list[float], cap: float) -> int:
    bins: list[float] = []
    for s in sorted(sizes, reverse=True):
        for k, used in enumerate(bins):
            if used + s <= cap + 1e-9:
                bins[k] += s
                break
        else:
            bins.append(s)
    return len(bins)


def bin_packing(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_BIN_SKINS)
    n = ctx.n((4, 6), (6, 8), (8, 11))
    cap = round_to(rng.uniform(*skin.cap), 10 if skin.cap[1] > 100 else 1)
    lo, hi = skin.size
    sizes = [round_to(rng.uniform(lo, min(hi, cap)), skin.step) for _ in range(n)]
    sizes = [min(max(s, skin.step), cap) for s in sizes]
    nb = _first_fit_decreasing(sizes, cap)
    labels = [f"{skin.item} {i}" for i in range(1, n + 1)]
    ids = [f"i{i}" for i in range(1, n + 1)]
    unit = skin.unit
    ir: dict[str, Any] = {
        "name": "bin_packing",
        "description": f"Put every {skin.item} into a {skin.bin} using as few {plural(skin.bin)} as possible.",
        "sets": [
            {"name": "I", "description": plural(skin.item), "elements": ids},
            {
                "name": "B",
                "description": f"{plural(skin.bin)} available",
                "first": 1,
                "last": nb,
            },
        ],
        "parameters": [
            {
                "name": "size",
                "description": f"{unit} of each item",
                "index": ["I"],
                "values": dict(zip(ids, sizes)),
            },
            {
                "name": "cap",
                "description": f"capacity of one {skin.bin} ({unit})",
                "values": cap,
            },
        ],
        "variables": [
            {
                "name": "used",
                "description": f"1 if the {skin.bin} is used",
                "index": ["B"],
                "domain": "binary",
            },
            {
                "name": "put",
                "description": "1 if item i goes into bin b",
                "index": ["I", "B"],
                "domain": "binary",
            },
        ],
        "objective": {
            "sense": "minimize",
            "expression": "sum(used[b] for b in B)",
            "description": f"{plural(skin.bin)} used",
        },
        "constraints": [
            {
                "name": "assign",
                "description": "every item in exactly one bin",
                "for_each": "i in I",
                "expression": "sum(put[i, b] for b in B) == 1",
            },
            {
                "name": "fill",
                "description": "capacity of used bins",
                "for_each": "b in B",
                "expression": "sum(size[i] * put[i, b] for i in I) <= cap * used[b]",
            },
            {
                "name": "order",
                "description": "use bins in order (symmetry breaking)",
                "for_each": "b in B",
                "condition": "b > 1",
                "expression": "used[b] <= used[b - 1]",
            },
        ],
    }
    facts: list[Fact] = []
    if ph.chance(0.5):
        facts.append(
            Fact(
                ph.s(
                    "Their sizes are {l}",
                    l=ph.listing([(lab, ph.qty(s, unit)) for lab, s in zip(labels, sizes)]),
                )
            )
        )
    else:
        facts.append(
            Fact(
                ph.s(
                    "The {it} [weigh|take up|need] {l} [respectively|in that order]",
                    it=plural(skin.item),
                    l=join_list([ph.qty(s, unit) for s in sizes]),
                )
            )
        )
    facts.append(
        Fact(
            ph.s("[Each|Every|One] {b} holds at most {c}", b=skin.bin, c=ph.qty(cap, unit)),
            covers=("fill",),
        )
    )
    facts.append(
        Fact(
            ph.s(
                "{n} {b} are available, and [each {it} must go into a single {b1}|no {it} can be split between {bb}]",
                n=ph.num(nb).capitalize(),
                b=plural(skin.bin, nb),
                it=skin.item,
                bb=plural(skin.bin),
                b1=skin.bin,
            ),
            covers=("assign",),
        )
    )
    question = ph.pick(
        [
            ph.s("What is the smallest number of {b} needed?", b=plural(skin.bin)),
            ph.s("How few {b} can do the job?", b=plural(skin.bin)),
        ]
    )
    return Draft(
        ir,
        ph.s(skin.intro, n=ph.num(n)),
        tuple(facts),
        question,
        ("binary", "assignment", "linking_bigM", "symmetry"),
        f"the number of {plural(skin.bin)}",
        False,
        size=n * nb,
    )


SPEC = FamilySpec(
    name="bin_packing",
    summary="fewest bins holding all items",
    build=bin_packing,
    kind="IP",
    sizes=(2, 40),
)
