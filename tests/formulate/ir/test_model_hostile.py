"""Formulation readers and expansion under hostile input (issue 10, item 9)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import yaml

from optiscribe.formulate.errors import FormulationReadError, FormulationValidationError
from optiscribe.formulate.ir import model as model_mod
from optiscribe.formulate.ir.model import MAX_FORMULATION_BYTES, MAX_NESTING, Formulation


def _formulation(sets: str, variables: str, objective: str, constraints: str = "[]") -> str:
    return (
        f"name: hostile\nsets:\n{sets}variables:\n{variables}"
        f"objective: {{sense: minimize, expression: '{objective}'}}\nconstraints: {constraints}\n"
    )


def test_the_c_yaml_loader_is_used_when_available() -> None:
    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML was built without libyaml")
    assert model_mod._YAML_LOADER is yaml.CSafeLoader


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "model.yaml"
    os.mkfifo(fifo)
    out: list[BaseException] = []
    t = threading.Thread(target=lambda: out.append(_raises(fifo)), daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "reading a FIFO blocked"
    assert isinstance(out[0], FormulationReadError) and "not a regular file" in str(out[0])


def _raises(path: Path) -> BaseException:
    try:
        Formulation.from_file(path)
    except BaseException as exc:
        return exc
    raise AssertionError("no error")


def test_size_utf8_depth_and_digits_are_located_read_errors(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(MAX_FORMULATION_BYTES + 1)
    assert "more than" in str(_raises(big)) and str(big) in str(_raises(big))
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"name: x\nsets: []\n# caf\xe9\n")
    assert f"{bad}:3:" in str(_raises(bad))
    deep = tmp_path / "deep.json"
    deep.write_text('{"name": ' + "[" * 5000 + "]" * 5000 + "}")
    assert isinstance(_raises(deep), FormulationReadError)
    nested = tmp_path / "nested.yaml"
    nested.write_text("name: " + "[" * (MAX_NESTING + 5) + "]" * (MAX_NESTING + 5) + "\n")
    assert "nested more than" in str(_raises(nested))
    digits = tmp_path / "digits.yaml"
    digits.write_text("name: x\nsets: []\nextra: " + "9" * 5000 + "\n")
    assert isinstance(_raises(digits), FormulationReadError)


def test_billion_laughs_is_refused() -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(9)
    )
    with pytest.raises(FormulationReadError, match="more than"):
        Formulation.from_yaml(laughs)


def test_index_products_are_checked_before_expansion() -> None:
    text = _formulation(
        "".join(f"  - {{name: {n}, first: 1, last: 2000}}\n" for n in "ABC"),
        "  - {name: x, index: [A, B, C]}\n",
        "sum(x[a, b, c] for a in A for b in B for c in C)",
    )
    f = Formulation.from_yaml(text)
    with pytest.raises(FormulationValidationError) as info:
        f.expand()
    kinds = {i.kind for i in info.value.issues}
    assert "too_large" in kinds and "A (2000) x B (2000) x C (2000)" in str(info.value)


def test_sums_over_huge_products_stop_at_the_step_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    from optiscribe.formulate.ir import expr

    monkeypatch.setattr(expr, "MAX_EXPANSION_STEPS", 50_000)  # the real one, only smaller
    text = _formulation(
        "".join(f"  - {{name: {n}, first: 1, last: 300}}\n" for n in "ABC"),
        "  - {name: x, index: [A]}\n",
        "sum(x[a] for a in A for b in B for c in C)",  # 27 million terms
    )
    with pytest.raises(FormulationValidationError) as info:
        Formulation.from_yaml(text).expand()
    assert "more than 50000 index combinations" in str(info.value)


def test_a_100k_term_expression_is_a_clean_error() -> None:
    text = _formulation(
        "  - {name: P, members: [a]}\n",
        "  - {name: x, index: [P]}\n",
        " + ".join(['x["a"]'] * 100_000),
    )
    with pytest.raises(FormulationReadError, match="characters long"):
        Formulation.from_yaml(text)
