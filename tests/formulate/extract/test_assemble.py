"""The extraction route end to end on small problems whose optimum was worked out by hand.

Each problem exercises one declaration type of the rules (sums, linear limits split over
sentences, shares, multipliers, comparisons, bounds, "respectively"); the solver is real.
Accuracy on the benchmarks is measured in docs/model.md, not here.
"""

from __future__ import annotations

import pytest

from optiscribe.formulate.errors import ConversionError
from optiscribe.formulate.extract import Extractor
from optiscribe.formulate.extract.tagger import Tagger
from optiscribe.solvers import solve


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


CASES = [
    # "minimize the number of meals" counts the meals, though other numbers are "profit"
    (
        "A restaurant makes steak meals and vegetarian meals. A steak meal makes $18 profit "
        "and takes 3 minutes to make. A vegetarian meal makes $9 profit and takes 2 minutes. "
        "The restaurant needs to make at least $500 profit. It has 100 minutes available. How "
        "many of each should it make to minimize the number of meals?",
        28.0,  # 28 steak meals ($504, 84 minutes); minimising the profit terms would give 504
    ),
    # a comparison whose sentence opens with an unrelated limit word ("limited storage"): the
    # operator comes from the comparison's clause (fans >= lamps; read as <=, 1660)
    (
        "A shop sells lamps and fans. Each lamp earns $30 and each fan $20. A lamp takes 2 "
        "hours of work and a fan takes 1 hour; 100 hours of work are available. Due to limited "
        "storage, the number of fans must exceed the number of lamps. How many of each should "
        "be made to maximize profit?",
        2000.0,  # 100 fans
    ),
    # "decrease the total number of vehicles": the objective counts them, minimised
    (
        "A company ships goods using vans and trucks. A van carries 10 boxes and a truck "
        "carries 25 boxes. At least 200 boxes must be shipped. At least 2 vans must be used. "
        "How many vans and trucks should be used to decrease the total number of vehicles?",
        10.0,  # 2 vans, 8 trucks
    ),
    # sum in the variables' own unit ("100 acres" with "per acre") + a linear limit
    (
        "A farmer has 100 acres to plant with wheat and corn. Each acre of wheat yields a "
        "profit of $300 and each acre of corn $200. Wheat needs 2 hours of labour per acre "
        "and corn 1 hour; 150 hours of labour are available. How many acres of each should "
        "be planted to maximize profit?",
        25000.0,  # w = c = 50
    ),
    # a linear limit whose numbers come in an earlier clause, and an upper bound
    (
        "A company makes chairs and tables. Each chair earns $20 and each table $50. A chair "
        "needs 1 hour of assembly and a table 3 hours; 90 hours are available. At most 40 "
        "chairs can be sold. How many of each should be made to maximize profit?",
        1630.0,  # integer: 39 chairs, 17 tables
    ),
    # a share ("at least 25% of the items") and an untagged "1,200"
    (
        "A bakery makes cakes and pies. Each cake earns $12 and each pie $7. A cake needs 30 "
        "minutes of oven time and a pie 20 minutes; 1,200 minutes are available. At least "
        "25% of the items must be pies. Maximize profit.",
        468.0,  # integer: 32 cakes, 12 pies
    ),
    # a comparison with no number ("more red pens than blue pens") and a total
    (
        "A shop sells red pens and blue pens. It must sell more red pens than blue pens. It "
        "can stock at most 300 pens in total. Red pens earn $1 each and blue pens earn $2 "
        "each. How many of each should it sell to maximize profit?",
        450.0,  # 150 and 150
    ),
]


@pytest.mark.parametrize(("text", "optimum"), CASES)
def test_extraction_reads_the_problem_to_its_optimum(
    extractor: Extractor, text: str, optimum: float
) -> None:
    x = extractor.extract(text)
    result = solve(x.formulation.to_pyomo(), solver="highs")
    assert result.is_optimal
    assert result.objective == pytest.approx(optimum)


def test_a_multiplier_between_two_variables_is_an_xby_constraint(extractor: Extractor) -> None:
    x = extractor.extract(
        "A factory produces desks and shelves. The number of desks must be at least twice the "
        "number of shelves. Each desk takes 4 hours of carpentry and each shelf takes 2 hours "
        "of carpentry, and 200 hours of carpentry are available. The profit is $60 per desk "
        "and $25 per shelf. How many desks and shelves should be made to maximize profit?"
    )
    kinds = {c["type"]: c for c in x.declaration["const_declarations"]}
    assert kinds["xby"]["param"] == "twice"
    assert kinds["xby"]["operator"] == "GREATER_OR_EQUAL"
    assert (kinds["xby"]["x_var"], kinds["xby"]["y_var"]) == ("desks", "shelves")
    assert kinds["linear"]["terms"] == {"desks": "4", "shelves": "2"}
    assert x.declaration["obj_declaration"]["terms"] == {"desks": "60", "shelves": "25"}


def test_the_reading_is_explained_in_the_constraint_descriptions(extractor: Extractor) -> None:
    x = extractor.extract(CASES[0][0])
    assert all("extracted declaration" in c.description for c in x.formulation.constraints)
    assert x.integer  # "how many acres": the integrality rule counts acres here


def test_text_without_variables_is_a_conversion_error_naming_the_reason(
    extractor: Extractor,
) -> None:
    with pytest.raises(ConversionError, match="no decision variables"):
        extractor.extract("The weather is nice today.")
    with pytest.raises(ConversionError, match="empty"):
        extractor.extract("   ")


CLINIC = (
    "A clinic schedules nurses and doctors. Each nurse costs $100 per shift and each doctor "
    "costs $300 per shift. A nurse sees 5 patients per shift and a doctor sees 12 patients per "
    "shift. The clinic sees 240 patients every day. There must be at least 30 doctors. How "
    "many of each should be scheduled to minimize cost?"
)


def test_a_reading_with_no_optimum_is_repaired_and_the_change_is_said() -> None:
    """ "sees 240 patients" has no direction word: read as at most, it clashes with "at least
    30 doctors" (360 patients); reversed, the model solves: 30 doctors, cost 9000.

    The repair is tested on the CRF's tags, which give exactly that first reading (the
    MiniLM hybrid reads "per shift" as a third variable here, a different mistake)."""
    first = Extractor(Tagger(), repair=False).extract(CLINIC)
    assert not solve(first.formulation.to_pyomo(), solver="highs").is_optimal
    x = Extractor(Tagger()).extract(CLINIC)
    assert any("read the other way round" in n for n in x.notes)
    result = solve(x.formulation.to_pyomo(), solver="highs")
    assert result.is_optimal and result.objective == pytest.approx(9000.0)


def test_alternatives_change_one_constraint_at_a_time() -> None:
    from optiscribe.formulate.extract.repair import alternatives

    decl = {
        "const_declarations": [
            {"type": "sum", "limit": "5", "operator": "LESS_OR_EQUAL"},
            {"type": "xy", "x_var": "a", "y_var": "b", "operator": "EQUAL"},
        ]
    }
    out = list(alternatives(decl))
    assert [what for what, _ in out] == [
        "constraint 1 (sum) read the other way round",
        "constraint 1 (sum) left out",
        "constraint 2 (xy) left out",
    ]
    assert out[0][1]["const_declarations"][0]["operator"] == "GREATER_OR_EQUAL"
    assert decl["const_declarations"][0]["operator"] == "LESS_OR_EQUAL"  # not mutated


def test_decrease_reduce_lower_ask_for_a_minimum_when_no_direction_was_tagged() -> None:
    from optiscribe.formulate.extract.rules import _objective_sense

    assert _objective_sense("how many lines to decrease the total number of lines?") == "minimize"
    assert _objective_sense("plan it to reduce the waste.") == "minimize"
    assert _objective_sense("how many should be made to get the most profit?") == "maximize"
