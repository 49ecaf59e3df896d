"""The public surface of optiscribe.verify."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import optiscribe.verify as verify


def test_all_is_sorted_and_complete():
    assert verify.__all__ == sorted(verify.__all__)
    for name in verify.__all__:
        assert hasattr(verify, name)
    assert "check" in verify.__all__ and "check_instances" in verify.__all__


def test_import_does_not_pull_the_llm_stack_or_graph_libraries():
    code = (
        "import sys, optiscribe.verify; bad = [m for m in ('optiscribe.formulate', 'openai', "
        "'networkx', 'igraph', 'matplotlib', 'torch', 'transformers', 'peft', 'trl', "
        "'streamlit', 'ray', 'typer') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_exceptions_derive_from_the_project_tree():
    from optiscribe.verify.errors import VerifyError

    assert issubclass(verify.ModelReadError, VerifyError)
    assert issubclass(verify.UnsupportedModelError, VerifyError)


def _modules_after(code: str, names: tuple[str, ...]) -> list[str]:
    probe = (
        f"import json, sys; {code}; print(json.dumps([m for m in {names!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip())


def test_plain_import_loads_no_numerics():
    # the public names load on first access (PEP 562); importing the package is free
    heavy = ("numpy", "scipy", "scipy.sparse", "highspy", "pyomo")
    assert _modules_after("import optiscribe.verify", heavy) == []


def test_check_loads_neither_csgraph_nor_linalg_until_a_symmetric_pair_needs_it():
    heavy = ("scipy.sparse.csgraph", "scipy.linalg", "highspy", "pyomo")
    assert _modules_after("from optiscribe.verify import check", heavy) == []


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = verify.nope  # type: ignore[attr-defined]
