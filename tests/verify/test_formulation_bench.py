"""FormulationBench: no false EQUIVALENT on negative pairs; the rename family accepted at
strict, slack / objective-variable / objective-scaling families at normalized."""

from __future__ import annotations

import importlib.util
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from .conftest import FORMULATION_BENCH, need

BENCH = Path(__file__).resolve().parents[2] / "bench" / "verify_formulation_bench.py"


@pytest.fixture(scope="module")
def records():
    need(FORMULATION_BENCH)
    spec = importlib.util.spec_from_file_location("verify_formulation_bench", BENCH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["verify_formulation_bench"] = mod
    spec.loader.exec_module(mod)
    return mod.evaluate(time_limit=5.0)


@pytest.mark.slow
def test_no_false_equivalent_on_negative_pairs(records):
    negatives = [r for r in records if not r["label"]]
    assert len({(r["problem"], r["a"], r["b"]) for r in negatives}) == 26
    bad = [r for r in negatives if r["verdict"] == "equivalent"]
    assert bad == []


@pytest.mark.slow
def test_family_recall(records):
    acc = defaultdict(list)
    for r in records:
        acc[(r["family"], r["level"])].append(r["verdict"] == "equivalent")
    assert all(acc[("rename", "strict")]) and len(acc[("rename", "strict")]) == 5
    for fam in ("slack", "objective variable", "objective scaling"):
        assert all(acc[(fam, "normalized")]), fam
        assert not any(acc[(fam, "strict")]), fam
