"""The registry of problem families: one module per family, listed here explicitly.

Every family draws data that a person would believe (whole hours, prices in cents,
capacities that fit the demand), states every number in the text, and builds the model in
the IR with readable names. Feasibility is arranged by construction where that is cheap (a
planted solution that satisfies every constraint) and always checked afterwards by solving
(:mod:`optiscribe.data.synth.generate`).

The registry is a plain tuple below, not filled by import side effects: adding a family
means adding its module and one line here, and a reader sees every family in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from optiscribe.data.errors import DataError
from optiscribe.data.synth.base import FamilySpec
from optiscribe.data.synth.families import (
    assignment,
    bin_packing,
    blending,
    cutting_stock,
    diet,
    facility_location,
    knapsack,
    lot_sizing,
    network_flow,
    nl4opt,
    portfolio,
    production_planning,
    scheduling,
    set_cover,
    staffing,
    transportation,
)

__all__ = ["FAMILIES", "SPECS", "family_names", "get_family"]

#: Every family, in the order ``data families`` lists them.
SPECS: tuple[FamilySpec, ...] = (
    production_planning.SPEC,
    diet.SPEC,
    blending.SPEC,
    transportation.SPEC,
    assignment.SPEC,
    knapsack.SPEC,
    facility_location.SPEC,
    set_cover.SPEC,
    bin_packing.SPEC,
    lot_sizing.SPEC,
    network_flow.SPEC,
    staffing.SPEC,
    scheduling.SPEC,
    cutting_stock.SPEC,
    portfolio.SPEC,
    nl4opt.SPEC,
)


def _index(specs: tuple[FamilySpec, ...]) -> Mapping[str, FamilySpec]:
    out: dict[str, FamilySpec] = {}
    for spec in specs:
        if spec.name in out:
            raise DataError(f"problem family {spec.name!r} is listed twice in SPECS")
        out[spec.name] = spec
    return MappingProxyType(out)


#: Name -> family, read-only.
FAMILIES: Mapping[str, FamilySpec] = _index(SPECS)


def family_names() -> list[str]:
    """Every family name, sorted (a stable order for seeds and round robin)."""
    return sorted(FAMILIES)


def get_family(name: str) -> FamilySpec:
    """The family called ``name``; the error lists the known ones."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise DataError(
            f"unknown problem family {name!r}; known families: {', '.join(sorted(FAMILIES))}"
        ) from None
