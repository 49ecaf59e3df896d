"""The cutting_stock family: fewest stock pieces cut by listed patterns to meet orders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optiscribe.data.synth.base import Ctx, Draft, Fact, FamilySpec
from optiscribe.data.synth.text import fmt_number, join_list, plural, round_to


@dataclass(frozen=True)
class CuttingStockSkin:
    """One story of the family: its words, and the ranges its numbers are drawn from."""

    intro: str
    stock: str
    piece: str
    unit: str
    W: tuple[int, int]
    step: int
    dim: str


_CUT_SKINS: tuple[CuttingStockSkin, ...] = (
    CuttingStockSkin(
        intro="A paper mill cuts its jumbo rolls into narrower rolls for customers",
        stock="jumbo roll",
        piece="roll",
        unit="cm",
        W=(200, 300),
        step=5,
        dim="wide",
    ),
    CuttingStockSkin(
        intro="A steel service centre cuts standard bars into shorter pieces",
        stock="bar",
        piece="piece",
        unit="cm",
        W=(600, 1200),
        step=10,
        dim="long",
    ),
    CuttingStockSkin(
        intro="A timber yard cuts boards to length for a builder",
        stock="board",
        piece="length",
        unit="cm",
        W=(360, 480),
        step=5,
        dim="long",
    ),
)


def _patterns(widths: list[float], W: float, limit: int = 40) -> list[tuple[int, ...]]:
    """Maximal cutting patterns (no further piece fits), fewest waste first."""
    out: list[tuple[int, ...]] = []
    smallest = min(widths)

    def rec(k: int, left: float, acc: list[int]) -> None:
        if k == len(widths):
            if left < smallest - 1e-9 and any(acc):
                out.append(tuple(acc))
            return
        for c in range(int(left // widths[k]), -1, -1):
            rec(k + 1, left - c * widths[k], [*acc, c])

    rec(0, W, [])
    out.sort(key=lambda pat: W - sum(c * w for c, w in zip(pat, widths)))
    return out[:limit]


def cutting_stock(ctx: Ctx) -> Draft:
    rng, ph = ctx.rng, ctx.ph
    skin = rng.choice(_CUT_SKINS)
    k = ctx.n((2, 2), (3, 3), (3, 4))
    W = round_to(rng.uniform(*skin.W), skin.step * 2)
    widths: list[float] = []
    while len(widths) < k:
        w = round_to(rng.uniform(W / 6, W / 2.2), skin.step)
        if w not in widths:
            widths.append(w)
    widths.sort(reverse=True)
    pats = _patterns(widths, W, limit=ctx.level(6, 10, 16))
    for i in range(k):  # every width must appear in some pattern
        if not any(p[i] for p in pats):
            solo = tuple(int(W // widths[i]) if j == i else 0 for j in range(k))
            pats.append(solo)
    demand = [rng.randint(10, 80) for _ in range(k)]
    ids = [f"w{int(x)}" for x in widths]
    K = list(range(1, len(pats) + 1))
    unit = skin.unit
    ir: dict[str, Any] = {
        "name": "cutting_stock",
        "description": f"Cut as few {plural(skin.stock)} as possible with the listed patterns to meet the orders.",
        "sets": [
            {
                "name": "I",
                "description": f"ordered {plural(skin.piece)} (by width)",
                "elements": ids,
            },
            {"name": "K", "description": "cutting patterns", "first": 1, "last": len(pats)},
        ],
        "parameters": [
            {
                "name": "demand",
                "description": f"{plural(skin.piece)} ordered",
                "index": ["I"],
                "values": dict(zip(ids, demand)),
            },
            {
                "name": "pieces",
                "description": f"{plural(skin.piece)} of width i cut by pattern k",
                "index": ["I", "K"],
                "values": [
                    [ids[i], kk, pats[kk - 1][i]] for i in range(k) for kk in K if pats[kk - 1][i]
                ],
                "default": 0,
            },
        ],
        "variables": [
            {
                "name": "cut",
                "description": f"{plural(skin.stock)} cut with pattern k",
                "index": ["K"],
                "domain": "integer",
                "lower": 0,
            }
        ],
        "objective": {
            "sense": "minimize",
            "expression": "sum(cut[k] for k in K)",
            "description": f"{plural(skin.stock)} used",
        },
        "constraints": [
            {
                "name": "meet_orders",
                "description": "cut at least what was ordered",
                "for_each": "i in I",
                "expression": "sum(pieces[i, k] * cut[k] for k in K) >= demand[i]",
            }
        ],
    }
    facts: list[Fact] = []
    facts.append(
        Fact(
            ph.s("[Every|Each] {s} is {W} {dim}", s=skin.stock, W=ph.qty(W, unit), dim=skin.dim),
            pin="first",
        )
    )
    facts.append(
        Fact(
            ph.s(
                "[The orders are|Customers have ordered] {l}",
                l=join_list(
                    [
                        f"{ph.num(d, words=False)} {plural(skin.piece, d)} of {fmt_number(x)} {unit}"
                        for d, x in zip(demand, widths)
                    ]
                ),
            ),
            covers=("meet_orders",),
        )
    )
    lines = []
    for kk, pat in zip(K, pats):
        parts = join_list([f"{c} × {fmt_number(x)} {unit}" for c, x in zip(pat, widths) if c])
        waste = W - sum(c * x for c, x in zip(pat, widths))
        lines.append(
            f"- pattern {kk}: {parts}"
            + (
                f" ({fmt_number(waste)} {unit} {ph.pick(['waste', 'left over', 'of trim'])})"
                if waste
                else ""
            )
        )
    facts.append(
        Fact(
            ph.t("[The cutter can use these patterns|Allowed cutting patterns]:")
            + "\n"
            + "\n".join(lines),
            covers=("meet_orders",),
        )
    )
    facts.append(
        Fact(
            ph.s("Extra pieces [may be produced|are allowed] and [go to stock|are kept for later]"),
            pin="last",
        )
    )
    question = ph.pick(
        [
            ph.s("What is the smallest number of {s} that must be cut?", s=plural(skin.stock)),
            ph.s(
                "What is the least number of {s} needed, and how should they be cut?",
                s=plural(skin.stock),
            ),
        ]
    )
    return Draft(
        ir,
        ph.s(skin.intro),
        tuple(facts),
        question,
        ("integer", "covering", "patterns"),
        f"the number of {plural(skin.stock)}",
        False,
        size=k * len(pats),
    )


SPEC = FamilySpec(
    name="cutting_stock",
    summary="fewest stock pieces cut by listed patterns to meet orders",
    build=cutting_stock,
    kind="IP",
    sizes=(2, 6),
)
