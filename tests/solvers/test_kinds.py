"""The shared vocabulary: every kind string in use is a member, with today's spelling."""

from __future__ import annotations

from typing import get_args

from optiscribe.formulate.loop import PROBLEM_TITLES, Problem
from optiscribe.formulate.pipeline import STATUSES
from optiscribe.solvers.kinds import FailureKind, Status
from optiscribe.solvers.sandbox import CODE_FAILURES, _channel, outcome_kind


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


def test_every_string_the_sandbox_channel_sends_reads_as_the_same_kind() -> None:
    # the child's outcome line says "ok" or a failure; the strings are the file format
    sent = get_args(_channel.Outcome.model_fields["kind"].annotation)
    assert sent == (
        "ok",
        "syntax_error",
        "import_error",
        "runtime_error",
        "timeout",
        "memory",
        "output_limit",
        "forbidden",
        "unsupported",
    )
    assert outcome_kind("ok") is None
    for s in sent[1:]:
        kind = outcome_kind(s)
        assert kind is not None and kind in CODE_FAILURES and kind == s and f"{kind}" == s
    assert set(CODE_FAILURES) == {outcome_kind(s) for s in sent[1:]}
    # a kind this parent does not know is a runtime error, never "ok"
    assert outcome_kind("json") is FailureKind.RUNTIME_ERROR
    assert outcome_kind("no such kind") is FailureKind.RUNTIME_ERROR


def test_every_problem_kind_has_a_heading_and_plain_strings_are_converted() -> None:
    for kind in ("json", "schema", "code", "validation", "compile", "sandbox", "no_model"):
        assert FailureKind(kind) in PROBLEM_TITLES
    p = Problem("validation", "x", cause="not_milp")  # type: ignore[arg-type]
    assert p.kind is FailureKind.VALIDATION and p.cause is FailureKind.NOT_MILP
    assert p.to_dict() == {"kind": "validation", "message": "x", "hard": True, "cause": "not_milp"}
