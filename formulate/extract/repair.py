"""Another reading when the first one cannot be right: the extraction route's self-correction.

An NL4Opt-style problem always has an optimum, so a reading whose model is infeasible or
unbounded is wrong somewhere. The usual culprit is one constraint: its direction read the wrong
way ("must be met" taken as at most) or a limit attached where it does not belong. The
alternatives are tried one change at a time, cheapest first: each constraint with the opposite
direction, then each constraint left out; the first whose model solves to an optimum is taken,
and the change is recorded so the user can see what was assumed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

__all__ = ["alternatives"]

_FLIP = {"LESS_OR_EQUAL": "GREATER_OR_EQUAL", "GREATER_OR_EQUAL": "LESS_OR_EQUAL"}


def alternatives(declaration: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(what changed, declaration)`` for every one-change variant, in the order to try."""
    cons = declaration.get("const_declarations", [])
    for i, c in enumerate(cons):
        op = c.get("operator")
        if op in _FLIP:
            d = copy.deepcopy(declaration)
            d["const_declarations"][i]["operator"] = _FLIP[op]
            yield f"constraint {i + 1} ({c.get('type')}) read the other way round", d
    for i, c in enumerate(cons):
        d = copy.deepcopy(declaration)
        del d["const_declarations"][i]
        yield f"constraint {i + 1} ({c.get('type')}) left out", d
