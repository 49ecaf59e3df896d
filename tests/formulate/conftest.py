from __future__ import annotations

import copy
from typing import Any

import pytest

BASE: dict[str, Any] = {
    "name": "mix",
    "sets": [
        {"name": "P", "elements": ["chair", "table"]},
        {"name": "T", "first": 1, "last": 3},
        {"name": "ARCS", "elements": [["s", "a"], ["a", "t"], ["s", "t"]]},
    ],
    "parameters": [
        {"name": "profit", "index": ["P"], "values": {"chair": 30, "table": 50}},
        {"name": "demand", "index": ["T"], "values": {"1": 5, "2": 7, "3": 4}},
        {"name": "cost", "index": ["ARCS"], "values": {"s": {"a": 1, "t": 4}, "a": {"t": 2}}},
        {"name": "cap", "values": 10},
    ],
    "variables": [
        {"name": "make", "index": ["P"], "domain": "integer"},
        {"name": "inv", "index": ["T"]},
        {"name": "flow", "index": ["ARCS"], "upper": 8},
    ],
    "objective": {
        "sense": "maximize",
        "expression": "sum(profit[p] * make[p] for p in P) - sum(inv[t] for t in T)",
    },
    "constraints": [
        {"name": "capacity", "expression": "sum(make[p] for p in P) <= cap"},
        {
            "name": "balance",
            "for_each": "t in T",
            "condition": "t > 1",
            "expression": "inv[t] == inv[t - 1] + demand[t]",
        },
        {
            "name": "route",
            "for_each": "(i, j) in ARCS",
            "expression": "flow[i, j] <= cost[i, j] * 2",
        },
    ],
}


@pytest.fixture
def base() -> dict[str, Any]:
    """A small valid formulation touching ranges, tuple sets, conditions and t - 1 indexing."""
    return copy.deepcopy(BASE)
