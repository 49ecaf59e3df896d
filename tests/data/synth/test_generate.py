"""The synthetic generator: every family builds, solves, and says in words what its model says."""

from __future__ import annotations

import math
import random
import re

import pytest

from optiscribe.data.errors import DataError
from optiscribe.data.synth.base import DIFFICULTIES, Draft, Fact
from optiscribe.data.synth.generate import (
    Record,
    _degenerate,
    family_names,
    fingerprint,
    generate,
    generate_record,
    read_jsonl,
    render_text,
    reword,
    solve_formulation,
    write_jsonl,
)
from optiscribe.data.synth.paraphrase import numbers_in
from optiscribe.data.synth.text import Phraser, fmt_number, plural
from optiscribe.formulate.ir.model import Formulation
from optiscribe.solvers.result import SolutionStatus, SolveResult, Termination

FAMILIES = family_names()
REQUIRED = {
    "production_planning",
    "diet",
    "blending",
    "transportation",
    "assignment",
    "knapsack",
    "facility_location",
    "set_cover",
    "bin_packing",
    "lot_sizing",
    "network_flow",
    "staffing",
    "scheduling",
    "cutting_stock",
    "portfolio",
    "nl4opt",
}


def _close(a: float, b: float, rtol: float = 1e-6) -> bool:
    return abs(a - b) <= rtol * max(1.0, abs(b))


def test_the_issue_families_are_all_registered() -> None:
    assert REQUIRED <= set(FAMILIES)
    assert len(FAMILIES) >= 15


@pytest.fixture(scope="module")
def records() -> dict[tuple[str, str], Record]:
    return {
        (f, d): generate_record(f, seed=11, index=3, difficulty=d)
        for f in FAMILIES
        for d in DIFFICULTIES
    }


@pytest.mark.parametrize("family", FAMILIES)
def test_family_generates_compiles_solves_and_reproduces_its_optimum(
    family: str, records: dict
) -> None:
    sizes = []
    for d in DIFFICULTIES:
        rec = records[(family, d)]
        assert rec.family == family and rec.difficulty == d and rec.status == "optimal"
        # Round trip through JSON (what a dataset user has), then compile and solve again.
        back = Record.from_dict(__import__("json").loads(rec.to_json()))
        f = back.formulation()
        res = solve_formulation(f)
        assert res.termination is Termination.OPTIMAL
        assert rec.answer is not None and _close(res.objective, rec.answer)
        # Not degenerate: the answer means something.
        assert abs(rec.answer) > 1e-6
        assert any(abs(v) > 1e-6 for v in res.values.values())
        assert rec.meta["n_vars"] == f.expand().num_vars
        assert "import pyomo.environ as pyo" in rec.code and "SolverFactory('highs')" in rec.code
        sizes.append(rec.meta["n_vars"])
    # The difficulty knob makes models grow (hard is at least as big as easy).
    assert sizes[2] >= sizes[0]


@pytest.mark.parametrize("family", FAMILIES)
def test_size_knob_changes_the_instance(family: str) -> None:
    def total(size: int) -> int:
        recs = [generate_record(family, seed=s, difficulty="medium", size=size) for s in range(4)]
        assert all(r.meta["size_arg"] == size for r in recs)
        return sum(r.meta["n_vars"] + r.meta["n_rows"] for r in recs)

    from optiscribe.data.synth.families import get_family

    lo, hi = get_family(family).sizes
    assert total(min(lo + 3, hi)) > total(lo)


def _numbers_of_model(ir: dict) -> set[float]:
    """Every number in the model's data and expressions (the big-M excepted: it is ours)."""
    out: set[float] = set()

    def walk(v: object) -> None:
        if isinstance(v, bool):
            return
        if isinstance(v, (int, float)):
            out.add(float(v))
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for row in v:
                walk(row[-1] if isinstance(row, list) else row)

    for p in ir["parameters"]:
        if p["name"] == "M":  # big-M of the scheduling family: a modelling choice, not a fact
            continue
        walk(p["values"])
    for c in ir["constraints"]:
        out |= {
            float(x) for x in re.findall(r"(?<![\w.\[])\d+(?:\.\d+)?(?![\w\]])", c["expression"])
        }
    return {x for x in out if x not in (0.0, 1.0)}


_SHARE_WORDS = {
    "half": 50.0,
    "a quarter": 25.0,
    "three quarters": 75.0,
    "a third": 100 / 3,
    "two thirds": 200 / 3,
}


def _stated(text: str) -> set[float]:
    nums = numbers_in(text)
    low = text.lower()
    nums |= {v for w, v in _SHARE_WORDS.items() if w in low}
    return nums


@pytest.mark.parametrize("family", FAMILIES)
def test_every_number_of_the_model_is_stated_in_the_text(family: str) -> None:
    for k, d in enumerate(DIFFICULTIES * 2):
        rec = generate_record(family, seed=100 + k, index=k, difficulty=d)
        stated = _stated(rec.question)
        for v in _numbers_of_model(rec.ir):
            forms = {v, v * 100, v / 100, v * 1000, round(v * 100, 6)}
            assert any(
                any(math.isclose(f, s, rel_tol=1e-9, abs_tol=1e-9) for s in stated) for f in forms
            ), f"{rec.id}: the model uses {v:g} but the text never states it:\n{rec.question}"


@pytest.mark.parametrize("family", FAMILIES)
def test_texts_vary_in_wording_and_order(family: str) -> None:
    texts = [generate_record(family, seed=s, difficulty="medium").question for s in range(8)]
    firsts = {t.split(".")[0] for t in texts}
    assert len(set(texts)) == 8
    assert len(firsts) >= 2, f"every {family} text opens the same way: {firsts}"
    # The same model told twice (reword) has the same numbers and other words.
    rec = generate_record(family, seed=1, difficulty="easy")
    other = reword(rec, text_seed=99)
    assert other != rec.question
    stated = _stated(other)
    for v in _numbers_of_model(rec.ir):
        assert any(math.isclose(f, x) for f in (v, v * 100, v / 100, v * 1000) for x in stated), (
            v,
            other,
        )


def test_same_seed_same_records_in_any_number_of_workers() -> None:
    fams = ["diet", "knapsack", "nl4opt", "transportation"]
    a = generate(fams, n=12, seed=42)
    b = generate(fams, n=12, seed=42, workers=2)
    assert [r.to_json() for r in a] == [r.to_json() for r in b]
    c = generate(fams, n=12, seed=43)
    assert [r.question for r in a] != [r.question for r in c]
    assert {r.family for r in a} == set(fams)
    assert {r.difficulty for r in a} == set(DIFFICULTIES)


def test_records_are_unique_by_text_and_model(tmp_path) -> None:
    recs = generate(["nl4opt", "knapsack"], n=30, seed=3, difficulties=["easy"])
    assert len(recs) == 30
    assert len({r.meta["fingerprint"] for r in recs}) == 30
    assert len({" ".join(r.question.lower().split()) for r in recs}) == 30
    path = tmp_path / "s.jsonl"
    assert write_jsonl(recs, path) == 30
    assert [r.to_dict() for r in read_jsonl(path)] == [r.to_dict() for r in recs]


def test_dedup_drops_a_model_seen_before(monkeypatch: pytest.MonkeyPatch) -> None:
    import optiscribe.data.synth.generate as synth

    real = synth.generate_record
    first = real("diet", seed=0, index=0, difficulty="easy")

    def same_model(family: str, **kw: object) -> Record:
        rec = real(family, **kw)  # type: ignore[arg-type]
        if kw["index"] % 2:  # every other candidate repeats the first model, in new words
            return Record(
                **{**rec.__dict__, "meta": {**rec.meta, "fingerprint": first.meta["fingerprint"]}}
            )
        return rec

    monkeypatch.setattr(synth, "generate_record", same_model)
    recs = synth.generate(["diet"], n=4, seed=0, difficulties=["easy"])
    assert [r.meta["index"] for r in recs] == [0, 2, 4, 6]


def test_fingerprint_ignores_names_order_and_row_scaling_but_not_data() -> None:
    from optiscribe.data.synth.pairs import apply_transform

    rec = generate_record("transportation", seed=2, difficulty="medium")
    fp = fingerprint(rec.formulation().expand())
    for t in ("rename", "reorder", "row_scaling", "sign_flip"):
        cand = apply_transform(t, rec, seed=1)
        assert cand is not None and cand != rec.ir
        assert fingerprint(Formulation.from_dict(cand).expand()) == fp, t
    for t in ("flip_sense", "remove_constraint", "flip_inequality"):
        cand = apply_transform(t, rec, seed=1)
        assert fingerprint(Formulation.from_dict(cand).expand()) != fp, t


@pytest.mark.parametrize("family", ["production_planning", "diet", "scheduling", "set_cover"])
def test_infeasible_variant_is_labelled_and_really_infeasible(family: str) -> None:
    rec = generate_record(family, seed=4, difficulty="medium", status="infeasible")
    assert rec.status == "infeasible" and rec.answer is None
    assert "objective_target" in rec.meta["features"]
    res = solve_formulation(rec.formulation())
    assert res.termination in (Termination.INFEASIBLE, Termination.INFEASIBLE_OR_UNBOUNDED)
    base = generate_record(family, seed=4, difficulty="medium")
    assert rec.question != base.question  # the text states the impossible target


@pytest.mark.parametrize("family", ["production_planning", "nl4opt"])
def test_unbounded_variant_is_labelled_and_really_unbounded(family: str) -> None:
    rec = generate_record(family, seed=8, difficulty="medium", status="unbounded")
    assert rec.status == "unbounded" and rec.answer is None
    res = solve_formulation(rec.formulation())
    assert res.termination in (Termination.UNBOUNDED, Termination.INFEASIBLE_OR_UNBOUNDED)


def test_unbounded_variant_of_a_covering_family_is_refused_with_a_reason() -> None:
    with pytest.raises(DataError, match="diet.*unbounded variants need a maximisation"):
        generate_record("diet", seed=1, status="unbounded")


def test_bad_arguments_name_the_thing() -> None:
    with pytest.raises(
        DataError, match="unknown problem family 'nope'.*known families: assignment"
    ):
        generate_record("nope")
    with pytest.raises(DataError, match="unknown difficulty 'extreme'"):
        generate_record("diet", difficulty="extreme")
    with pytest.raises(DataError, match="unknown status"):
        generate_record("diet", status="weird")
    with pytest.raises(DataError, match="unknown problem family"):
        generate(["diet", "nope"], n=1)


def test_read_jsonl_reports_the_bad_line(tmp_path) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text('{"id": 1}\nnot json\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.jsonl:1: missing key"):
        read_jsonl(p)


def _result(objective: float | None, values: dict[str, float]) -> SolveResult:
    return SolveResult(
        "highs",
        "x",
        Termination.OPTIMAL,
        SolutionStatus.OPTIMAL,
        objective=objective,
        values=values,
    )


def test_degenerate_optima_are_recognised() -> None:
    assert _degenerate(_result(0.0, {"x": 1.0})) == "the optimum is 0"
    assert _degenerate(_result(5.0, {"x": 0.0, "y": 0.0})) == "the optimal solution is all zero"
    assert _degenerate(_result(5.0, {"x": 2.0})) is None


def test_render_keeps_pins_and_puts_tables_in_their_own_paragraph() -> None:
    facts = (
        Fact("B.", pin="first"),
        Fact("x.\n| a | b |"),
        Fact("C."),
        Fact("D."),
        Fact("Z.", pin="last"),
    )
    draft = Draft({}, "Intro.", facts, "Q?", (), "the cost")
    for s in range(20):
        text = render_text(draft, random.Random(s))
        assert text.startswith("Intro.")
        assert text.index("B.") < text.index("C.") and text.index("Z.") > text.index("D.")
        assert "\n\nx.\n| a | b |" in text


def test_numbers_are_written_as_people_write_them() -> None:
    assert fmt_number(1200) == "1,200" and fmt_number(2.50) == "2.5" and fmt_number(3.0) == "3"
    assert plural("box") == "boxes" and plural("loaf") == "loaves" and plural("hour", 1) == "hour"
    seen: dict[str, set[str]] = {"money": set(), "pct": set(), "count": set()}
    for s in range(60):
        ph = Phraser(random.Random(s))
        seen["money"].add(ph.money(1200))
        seen["pct"].add(ph.pct(0.6))
        seen["count"].add(ph.count(12, "egg"))
    assert {"$1,200", "1,200 dollars"} <= seen["money"]
    assert "60%" in seen["pct"] and "60 percent" in seen["pct"]
    assert {"a dozen eggs", "12 eggs"} <= seen["count"]
    ph = Phraser(random.Random(0))
    assert ph.money(2.5).endswith("2.50") or ph.money(2.5).startswith("2.50")


# ------------------------------------------------------------------ sizes (issue 12, item 2)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_builds_both_ends_of_its_size_range(family: str) -> None:
    from optiscribe.data.synth.base import Ctx
    from optiscribe.data.synth.families import get_family

    spec = get_family(family)
    lo, hi = spec.sizes
    for size in (lo, hi):
        for seed in range(4):
            for difficulty in DIFFICULTIES:
                rng, text_rng = random.Random(seed), random.Random(seed + 1)
                draft = spec.build(Ctx(rng, Phraser(text_rng), difficulty, size))
                Formulation.from_dict(draft.ir)  # a valid model, no IndexError/ValueError


@pytest.mark.parametrize(("family", "size"), [("scheduling", 8), ("network_flow", 7)])
def test_the_largest_size_solves(family: str, size: int) -> None:
    rec = generate_record(family, seed=0, difficulty="easy", size=size)
    assert rec.status == "optimal" and rec.meta["size"] == size


@pytest.mark.parametrize(("family", "size"), [("scheduling", 9), ("network_flow", 12)])
def test_a_size_outside_the_range_is_refused_up_front(family: str, size: int) -> None:
    with pytest.raises(DataError, match=rf"family '{family}' builds sizes \d+ to \d+, not {size}"):
        generate_record(family, seed=0, size=size)
    with pytest.raises(DataError, match="builds sizes"):
        next(iter(generate([family], n=1, size=size)))


def test_ranges_fit_the_name_pools() -> None:
    # A family that clamps to its pool would quietly build a smaller instance than asked.
    from optiscribe.data.synth.families import (
        assignment,
        blending,
        diet,
        facility_location,
        knapsack,
        nl4opt,
        portfolio,
        set_cover,
        transportation,
    )

    def pool(module: object, attr: str, key: str) -> int:
        return min(len(getattr(s, key)) for s in getattr(module, attr))

    assert diet.SPEC.sizes[1] <= pool(diet, "_DIET_SKINS", "foods")
    assert blending.SPEC.sizes[1] <= pool(blending, "_BLEND_SKINS", "inputs")
    assert transportation.SPEC.sizes[1] <= pool(transportation, "_TRANSPORT_SKINS", "dst")
    assert assignment.SPEC.sizes[1] <= pool(assignment, "_ASSIGN_SKINS", "tasks")
    assert knapsack.SPEC.sizes[1] <= pool(knapsack, "_KNAPSACK_SKINS", "items")
    assert facility_location.SPEC.sizes[1] <= pool(facility_location, "_FACILITY_SKINS", "cnames")
    assert set_cover.SPEC.sizes[1] <= pool(set_cover, "_COVER_SKINS", "elems")
    assert portfolio.SPEC.sizes[1] <= pool(portfolio, "_PORT_SKINS", "assets")
    assert nl4opt.SPEC.sizes[1] <= 3
