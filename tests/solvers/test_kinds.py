"""The shared vocabulary: every kind string in use is a member, with today's spelling."""

from __future__ import annotations

from optiscribe.formulate.loop import PROBLEM_TITLES, Problem
from optiscribe.formulate.pipeline import STATUSES
from optiscribe.solvers.kinds import FailureKind, Status
from optiscribe.solvers.sandbox import ErrorKind


def test_members_are_their_strings() -> None:
    assert FailureKind.JSON == "json" and Status.TIME_LIMIT == "time_limit"
    assert FailureKind("not_milp") is FailureKind.NOT_MILP
    assert [str(s) for s in STATUSES] == [
        "optimal",
        "time_limit",
        "infeasible",
        "unbounded",
        "failed",
    ]


def test_sandbox_outcomes_are_failure_kinds() -> None:
    assert {k.value for k in ErrorKind} - {"ok"} <= {k.value for k in FailureKind}


def test_every_problem_kind_has_a_heading_and_plain_strings_are_converted() -> None:
    for kind in ("json", "schema", "code", "validation", "compile", "sandbox", "no_model"):
        assert FailureKind(kind) in PROBLEM_TITLES
    p = Problem("validation", "x", cause="not_milp")  # type: ignore[arg-type]
    assert p.kind is FailureKind.VALIDATION and p.cause is FailureKind.NOT_MILP
    assert p.to_dict() == {"kind": "validation", "message": "x", "hard": True, "cause": "not_milp"}
