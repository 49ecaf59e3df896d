"""The public surface of optiscribe.verify."""

from __future__ import annotations

import subprocess
import sys

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
