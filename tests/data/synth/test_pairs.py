"""Labelled equivalence pairs: positives keep the optimum and pass the checker at their level;
negatives are different models and the checker must never call them EQUIVALENT."""

from __future__ import annotations

import pytest

from optiscribe.data.errors import DataError
from optiscribe.data.synth.generate import Record, family_names, generate_record, solve_formulation
from optiscribe.data.synth.pairs import (
    TRANSFORMS,
    Pair,
    apply_transform,
    iter_pairs,
    make_pairs,
    same_optimum,
)
from optiscribe.formulate.ir.model import Formulation
from optiscribe.solvers.result import Termination


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    out: list[Pair] = []
    for k, fam in enumerate(family_names()):
        rec = generate_record(fam, seed=31, index=k, difficulty=("easy", "medium", "hard")[k % 3])
        made = make_pairs(rec, seed=5)
        # Only "no fresh draw made a different model" may be skipped here, never a failed check.
        assert all(s.reason.startswith("no draw in") for s in made.skipped), made.skipped
        out += made.pairs
    return out


def test_every_transformation_is_exercised_and_labelled(pairs: list[Pair]) -> None:
    assert {p.transformation for p in pairs} == set(TRANSFORMS)
    for p in pairs:
        t = TRANSFORMS[p.transformation]
        assert p.equivalent is t.equivalent and p.level == t.level
        assert p.candidate != p.reference
        assert p.level in ("strict", "normalized", "none")
    assert {p.level for p in pairs if p.equivalent} == {"strict", "normalized", "none"}
    assert {p.transformation for p in pairs if p.level == "none"} == {"split_variable"}


def test_same_model_pairs_keep_the_optimum_and_unrelated_ones_copy_it(pairs: list[Pair]) -> None:
    for p in pairs:
        if not (p.equivalent or p.transformation == "unrelated_same_optimum"):
            continue
        res = solve_formulation(
            Formulation.from_dict(p.candidate)
        )  # independent of make_pairs' own check
        assert res.termination is Termination.OPTIMAL, p.id
        expected = p.reference_answer * p.answer_factor
        assert same_optimum(res.objective, expected), (
            p.id,
            res.objective,
            expected,
        )


def test_changed_coefficients_move_the_optimum(pairs: list[Pair]) -> None:
    changed = [p for p in pairs if p.transformation == "change_coefficient"]
    assert changed
    for p in changed:
        assert p.candidate_answer is None or abs(
            p.candidate_answer - p.reference_answer
        ) > 1e-6 * max(1, abs(p.reference_answer))


def _check():  # type: ignore[no-untyped-def]
    try:
        from optiscribe.verify import Verdict, check
    except ImportError as exc:  # pragma: no cover - only while the checker is being written
        pytest.skip(
            f"optiscribe.verify.check is not importable yet ({exc}); these pairs test it once it is"
        )
    return check, Verdict


def test_checker_accepts_every_same_model_pair_at_its_level(pairs: list[Pair]) -> None:
    check, Verdict = _check()
    failures = []
    for p in pairs:
        if not p.equivalent or p.level == "none":
            continue
        res = check(
            Formulation.from_dict(p.reference), Formulation.from_dict(p.candidate), level=p.level
        )
        if res.verdict is not Verdict.EQUIVALENT:
            failures.append(f"{p.id} ({p.level}): {res.verdict.value}: {res.reason}")
    assert not failures, "\n".join(failures)


def test_checker_never_calls_a_different_model_equivalent(pairs: list[Pair]) -> None:
    check, Verdict = _check()
    failures = []
    for p in pairs:
        if p.equivalent:
            continue
        for level in ("strict", "normalized"):
            res = check(
                Formulation.from_dict(p.reference), Formulation.from_dict(p.candidate), level=level
            )
            if res.verdict is Verdict.EQUIVALENT:
                failures.append(f"{p.id} ({level}): {res.reason}")
    assert not failures, "\n".join(failures)


def test_split_variable_is_beyond_a_syntactic_checker(pairs: list[Pair]) -> None:
    check, Verdict = _check()
    split = [p for p in pairs if p.transformation == "split_variable"]
    assert split
    for p in split:  # the label 'none' says so; this keeps the label honest
        res = check(
            Formulation.from_dict(p.reference),
            Formulation.from_dict(p.candidate),
            level="normalized",
        )
        assert res.verdict is not Verdict.EQUIVALENT


def test_transformations_are_deterministic_and_refuse_unknown_names() -> None:
    rec = generate_record("lot_sizing", seed=1, difficulty="hard")
    assert apply_transform("rename", rec, seed=3) == apply_transform("rename", rec, seed=3)
    assert apply_transform("rename", rec, seed=3) != apply_transform("rename", rec, seed=4)
    with pytest.raises(DataError, match="unknown transformation 'shuffle'"):
        apply_transform("shuffle", rec)
    # Not applicable: a model without binaries has no binary_as_integer pair.
    lp = generate_record("diet", seed=1, difficulty="easy")
    assert apply_transform("binary_as_integer", lp) is None


def test_pair_json_round_trip() -> None:
    rec: Record = generate_record("knapsack", seed=2, difficulty="easy")
    p = make_pairs(rec, seed=0, transformations=["slack_variable"]).pairs[0]
    import json

    assert Pair.from_dict(json.loads(p.to_json())) == p


def test_a_mip_optimum_within_the_solver_gap_keeps_its_pair_issue_12_item_1() -> None:
    # The record `data generate --n 200` made at candidate 156: its unrelated model's optimum
    # came out 66.0004 for 66 (integrality tolerance through a big-M row), and the 1e-6 test
    # aborted the whole `data pairs` run.
    rec = generate_record("scheduling", seed=0, index=156, difficulty="easy")
    made = make_pairs(rec, transformations=["unrelated_same_optimum"])
    assert made.skipped == ()
    (pair,) = made.pairs
    assert pair.candidate_answer != rec.answer  # not bit-equal: the case the old test rejected
    assert same_optimum(pair.candidate_answer, rec.answer)


def test_same_optimum_follows_the_solver_gap() -> None:
    assert same_optimum(66.0, 66.0004285714349)  # 6.5e-6 relative: inside HiGHS's 1e-4 gap
    assert not same_optimum(66.0, 66.1)
    assert same_optimum(0.0, 5e-7) and not same_optimum(0.0, 1e-3)


def test_one_bad_record_is_skipped_with_its_reason_and_the_run_goes_on() -> None:
    good = generate_record("knapsack", seed=2, difficulty="easy")
    # A record whose stored answer is wrong: every "keeps the optimum" check fails on it.
    bad = Record(**{**good.to_dict(), "id": "knapsack-bad", "answer": good.answer + 1000})
    broken = Record(**{**good.to_dict(), "id": "broken", "ir": {"name": "x"}})
    sets = list(iter_pairs([bad, broken, good], transformations=["rename", "flip_sense"]))
    assert [s.source_id for s in sets] == ["knapsack-bad", "broken", good.id]
    assert [p.transformation for p in sets[0].pairs] == ["flip_sense"]
    (sk,) = sets[0].skipped
    assert sk.transformation == "rename" and "should keep the optimum" in sk.reason
    assert sets[1].pairs == () and len(sets[1].skipped) == 1 and sets[1].skipped[0].reason
    assert len(sets[2].pairs) == 2 and sets[2].skipped == ()
