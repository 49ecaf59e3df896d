"""The expression language: whitelist, linear evaluation, and that model text never runs."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest

from optiscribe.formulate.ir.expr import ExprError, parse, parse_for_each


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "__import__('os').system('touch /tmp/optiscribe-pwned')",
            "is not available; only abs, len, max, min, sum",
        ),
        ("__import__('os')", "function '__import__' is not available"),
        ("x.real", "attribute access"),
        ("(lambda: 1)()", "lambda"),
        ("[1, 2][0]", "list literals"),
        ("x[1:3]", "slices"),
        ("open('f')", "function 'open'"),
        ("sum(x[i] for i in I, start=1)", "does not parse"),
        ("x[i] = 3", "write equality as '=='"),
        ("x @ y", "'@' is not allowed"),
        ("True + x", "constant True"),
        ("f'{x}'", "f-strings"),
    ],
)
def test_whitelist_rejects_with_place(text: str, fragment: str) -> None:
    with pytest.raises(ExprError) as err:
        parse(text)
    assert fragment in err.value.located()
    assert err.value.kind == "syntax"


def test_quantifier_parsing() -> None:
    b = parse_for_each("i in I, (a, b) in ARCS")
    assert [x.names for x in b] == [("i",), ("a", "b")]
    assert [x.set_name for x in b] == ["I", "ARCS"]
    assert parse_for_each("for t in T")[0].names == ("t",)
    with pytest.raises(ExprError, match="write the parentheses"):
        parse_for_each("a, b in ARCS")
    with pytest.raises(ExprError, match="bound twice"):
        parse_for_each("i in I, i in J")


def test_model_text_is_never_evaluated_by_python(
    base: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Expanding and compiling a model never calls eval/exec/compile on its text."""
    from optiscribe.formulate.examples import load_examples
    from optiscribe.formulate.ir.model import Formulation

    calls: list[str] = []
    real_compile = builtins.compile

    def guard(name: str) -> Any:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"{name} called on model text")

        return refuse

    def compile_guard(source: Any, *args: Any, **kwargs: Any) -> Any:
        # ast.parse uses compile(..., PyCF_ONLY_AST); anything else would build code objects.
        flags = args[2] if len(args) > 2 else kwargs.get("flags", 0)
        if not flags & 0x400:  # ast.PyCF_ONLY_AST
            calls.append("compile")
        return real_compile(source, *args, **kwargs)

    from optiscribe.formulate.ir import expr as expr_mod

    # Warm every import first: defining dataclasses at import time legitimately uses exec.
    Formulation.from_dict(base).expand()
    examples = load_examples()
    expr_mod.parse.cache_clear()
    expr_mod.parse_for_each.cache_clear()
    monkeypatch.setattr(builtins, "eval", guard("eval"))
    monkeypatch.setattr(builtins, "exec", guard("exec"))
    monkeypatch.setattr(builtins, "compile", compile_guard)
    Formulation.from_dict(base).expand()
    for ex in examples:
        ex.formulation.expand()
    assert calls == []
    assert not Path("/tmp/optiscribe-pwned").exists()
