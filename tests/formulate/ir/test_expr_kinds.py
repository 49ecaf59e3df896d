"""The expression checks speak the shared vocabulary: every ``kind`` they raise is written
as a :class:`~optiscribe.solvers.kinds.FailureKind` member, never as a loose string."""

from __future__ import annotations

import ast
import inspect

import pytest

from optiscribe.formulate import prompting
from optiscribe.formulate.errors import ExprError
from optiscribe.formulate.ir import expr
from optiscribe.solvers.kinds import FailureKind


@pytest.mark.parametrize("module", [expr, prompting])
def test_every_kind_keyword_is_a_failure_kind_member(module):
    tree = ast.parse(inspect.getsource(module))
    kinds = [
        kw.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for kw in node.keywords
        if kw.arg == "kind"
    ]
    assert kinds, "the module raises kinds"
    loose = [ast.unparse(k) for k in kinds if not _is_member(k)]
    assert loose == []


def _is_member(node: ast.expr) -> bool:
    if isinstance(node, ast.Name) and node.id == "kind":
        return True  # a typed parameter passed on (parse_error's ``kind: FailureKind``)
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "FailureKind"
        and node.attr in FailureKind.__members__
    )


def test_an_old_string_kind_still_reads_as_the_member():
    assert ExprError("x", kind="not_milp").kind is FailureKind.NOT_MILP  # type: ignore[arg-type]
    assert ExprError("x").kind is FailureKind.INVALID
