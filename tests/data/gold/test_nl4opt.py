"""NL4Opt gold declarations -> IR: numbers, every constraint type, real records, and the report's figures."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from optiscribe.data.benchmarks import shared_data_dir
from optiscribe.data.errors import DataError
from optiscribe.data.gold.nl4opt import (
    ConversionError,
    GoldRecord,
    convert,
    gold_records,
    integer_rule,
    parse_number,
    read_declarations,
    render_report,
    summarise,
)
from optiscribe.solvers import solve

REPORT = Path(__file__).resolve().parents[3] / "docs" / "nl4opt-gold.md"


@pytest.mark.parametrize(
    ("text", "value", "percent"),
    [
        ("1000", 1000, False),
        ("400,000", 400000, False),
        ("$1.2", 1.2, False),
        ("8000 minutes", 8000, False),
        ("30%", 0.3, True),
        ("7.5%", 0.075, True),
        ("thirty percent", 0.3, True),
        ("35 percent", 0.35, True),
        ("twice", 2, False),
        ("thrice", 3, False),
        ("three times", 3, False),
        ("1.5 times", 1.5, False),
        ("a third", 1 / 3, False),
        ("half", 0.5, False),
        ("Four", 4, False),
        ("fifteen", 15, False),
        ("one hundred thousand", 100000, False),
    ],
)
def test_parse_number(text: str, value: float, percent: bool) -> None:
    got, is_percent = parse_number(text)
    assert math.isclose(got, value) and is_percent is percent


def test_parse_number_rejects_words_it_does_not_know() -> None:
    with pytest.raises(ConversionError, match="unknown word 'several'"):
        parse_number("several")


def _decl(consts: list[dict[str, Any]], obj: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "vars": ["small boats", "large boats", "large boats"],
        "order_mapping": {"small boats": 0, "large boats": 1, "small boat": 0, "Large boat": 1},
        "obj_declaration": obj
        or {
            "type": "objective",
            "direction": "minimum",
            "name": "cost",
            "terms": {"small boat": "5", "large boats": "12"},
        },
        "const_declarations": consts,
    }


def test_every_constraint_type_converts_to_its_expression() -> None:
    consts = [
        {"type": "sum", "direction": "at most", "limit": "35", "operator": "LESS_OR_EQUAL"},
        {
            "type": "upperbound",
            "direction": "at most",
            "limit": "fifteen",
            "var": "small boat",
            "operator": "LESS_OR_EQUAL",
        },
        {
            "type": "lowerbound",
            "direction": "at least",
            "limit": "2",
            "var": "large boats (new)",
            "operator": "GREATER_OR_EQUAL",
        },
        {
            "type": "linear",
            "direction": "need",
            "limit": "150",
            "terms": {"small boats": "10", "Large boat": "2.5"},
            "operator": "GREATER_OR_EQUAL",
        },
        {
            "type": "ratio",
            "direction": "at least",
            "limit": "40%",
            "var": "large boats",
            "operator": "GREATER_OR_EQUAL",
        },
        {
            "type": "ratio",
            "direction": "at most",
            "limit": "60",
            "var": "small boats",
            "operator": "LESS_OR_EQUAL",
        },
        {
            "type": "xby",
            "direction": "at most",
            "param": "twice",
            "x_var": "small boats",
            "y_var": "large boats",
            "operator": "LESS_OR_EQUAL",
        },
        {
            "type": "xy",
            "direction": "less than",
            "x_var": "Large boat",
            "y_var": "small boat",
            "operator": "LESS_OR_EQUAL",
        },
    ]
    f = convert("42", _decl(consts))
    # `vars` repeats 'large boats': two variables, named after their first mention
    assert [v.name for v in f.variables] == ["small_boats", "large_boats"]
    assert all(v.domain == "continuous" and v.lower == 0 for v in f.variables)
    assert f.objective.sense == "minimize"  # annotated as "minimum"
    assert f.objective.expression == "5 * small_boats + 12 * large_boats"
    assert [c.expression for c in f.constraints] == [
        "small_boats + large_boats <= 35",
        "small_boats <= 15",
        "large_boats >= 2",
        "10 * small_boats + 2.5 * large_boats >= 150",
        "large_boats >= 0.4 * (small_boats + large_boats)",
        "small_boats <= 0.6 * (small_boats + large_boats)",  # "60" without '%' is a share in percent
        "small_boats <= 2 * large_boats",
        "large_boats <= small_boats",
    ]
    assert all(c.description for c in f.constraints)
    assert [v.domain for v in convert("42", _decl(consts), integer=True).variables] == [
        "integer",
        "integer",
    ]
    # Solved by hand: the 40% share (l >= 2s/3) and the need (10s + 2.5l >= 150) bind,
    # so s = 90/7, l = 60/7 and the cost is 5s + 12l = 1170/7.
    r = solve(f.to_pyomo())
    assert r.is_optimal and math.isclose(r.objective or 0, 1170 / 7, rel_tol=1e-9)


def test_count_objective_and_unknown_mentions() -> None:
    f = convert(
        "7",
        _decl(
            [],
            {
                "type": "objective",
                "direction": "reduce",
                "name": "boats",
                "vars": ["small boats", "large boats"],
            },
        ),
    )
    assert f.objective.sense == "minimize" and f.objective.expression == "small_boats + large_boats"
    bad = [
        {
            "type": "upperbound",
            "direction": "at most",
            "limit": "3",
            "var": "submarines",
            "operator": "LESS_OR_EQUAL",
        }
    ]
    with pytest.raises(ConversionError, match="'submarines' is not in order_mapping"):
        convert("7", _decl(bad))
    empty = [
        {
            "type": "linear",
            "direction": "at least",
            "limit": "3",
            "terms": {},
            "operator": "GREATER_OR_EQUAL",
        }
    ]
    with pytest.raises(ConversionError, match="no terms"):
        convert("7", _decl(empty))


def test_integer_rule() -> None:
    assert integer_rule("How many trucks and vans should be used?")
    assert not integer_rule("How much should she invest in each?")
    assert not integer_rule("How many kg of each fertilizer should be used?")
    # a resource in ml does not make counted bottles divisible
    assert integer_rule(
        "The company has 2000 ml of syrup. How many bottles of each should be made?"
    )


# ------------------------------------------------------------------ the real competition files


def _shared() -> Path | None:
    try:
        return shared_data_dir()
    except DataError:
        return None


pytestmark_shared = pytest.mark.skipif(
    _shared() is None,
    reason="shared benchmark data not found (set OPTISCRIBE_SHARED_DATA to the folder holding benchmarks/)",
)


@pytest.fixture(scope="module")
def declarations() -> dict[str, dict[str, Any]]:
    if _shared() is None:
        pytest.skip("shared benchmark data not found (set OPTISCRIBE_SHARED_DATA)")
    return {key: rec for _, key, rec in read_declarations()}


@pytest.fixture(scope="module")
def records() -> list[GoldRecord]:
    if _shared() is None:
        pytest.skip("shared benchmark data not found (set OPTISCRIBE_SHARED_DATA)")
    return gold_records()


@pytestmark_shared
def test_hand_checked_sled_dogs(declarations: dict[str, dict[str, Any]]) -> None:
    # budget 50 sled + 100 truck <= 1000; sled trips "less than" truck trips; max 100 sled + 300 truck
    f = convert("1117636837", declarations["1117636837"])
    assert [v.name for v in f.variables] == ["sled_dogs", "trucks"]
    assert (
        f.objective.sense == "maximize"
        and f.objective.expression == "100 * sled_dogs + 300 * trucks"
    )
    assert [c.expression for c in f.constraints] == [
        "50 * sled_dogs + 100 * trucks <= 1000",
        "sled_dogs <= trucks",
    ]
    assert solve(f.to_pyomo()).objective == pytest.approx(3000)  # 10 trucks


@pytest.mark.parametrize(
    ("key", "expressions"),
    [
        # three ad channels; ratio "third" and ratio "5" (a percentage without '%'); "fifteen" spelled out
        (
            "1275707149",
            {
                "wassa <= 0.3333333333333333 * (z_tube + soorchle + wassa)",
                "z_tube >= 0.05 * (z_tube + soorchle + wassa)",
                "soorchle <= 15",
            },
        ),
        # `vars` is ['freight', 'air', 'air']: two variables, not three
        ("358766780", {"air >= 0.3 * (freight + air)", "freight >= 5"}),
    ],
)
@pytestmark_shared
def test_hand_checked_records(
    declarations: dict[str, dict[str, Any]], key: str, expressions: set[str]
) -> None:
    f = convert(key, declarations[key])
    got = {c.expression for c in f.constraints}
    assert expressions <= got, got
    if key == "358766780":
        assert [v.name for v in f.variables] == ["freight", "air"]


@pytestmark_shared
def test_every_record_converts_except_annotation_gaps(
    records: list[GoldRecord], declarations: dict[str, dict[str, Any]]
) -> None:
    assert len(records) == 388 == len(declarations)
    assert {r.split for r in records} == {"test", "dev"}
    for r in records:
        gaps = [
            c
            for c in declarations[r.competition_id]["const_declarations"]
            if c["type"] == "linear" and not c.get("terms")
        ]
        if gaps:
            assert r.error is not None and "no terms" in r.error
        else:
            assert r.error is None, r.error
            assert r.ir.variables and r.ir.constraints
            assert all(
                v.domain == ("integer" if r.integer else "continuous") for v in r.ir.variables
            )
    ids = [r.id for r in records]
    assert len(set(ids)) == len(ids)


@pytestmark_shared
def test_ids_and_questions_are_those_of_nl4opt_jsonl(records: list[GoldRecord]) -> None:
    from optiscribe.data.benchmarks import load_benchmark

    pref = {r.id: r.question for r in load_benchmark("nl4opt")}
    matched = [r for r in records if r.id in pref]
    assert len(matched) >= 200
    assert all(r.question == pref[r.id] and "preferred" in r.labels for r in matched)


@pytestmark_shared
def test_report_figures_are_current(records: list[GoldRecord]) -> None:
    """The report's numbers equal what the code computes now, so the report cannot drift."""
    assert REPORT.is_file(), "run: python -m optiscribe.data.gold.nl4opt --out docs/nl4opt-gold.md"
    text = REPORT.read_text(encoding="utf-8")
    s = summarise(records)
    fresh = render_report(s)  # without the timing line, which is the only volatile part
    expected = [ln for ln in fresh.splitlines() if not ln.startswith("- wall time")]
    assert [ln for ln in text.splitlines() if not ln.startswith("- wall time")] == expected
    pref = s.agreements[0]
    assert pref.label_file == "preferred" and pref.line() in text
    assert pref.rule >= pref.continuous and pref.either >= max(pref.rule, pref.integer)
