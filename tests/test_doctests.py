"""The examples in the docstrings run (``doctest``), so they cannot drift from the code."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

PACKAGES = ("solvers", "verify", "formulate", "data", "app")


def _modules() -> list[str]:
    names = []
    for pkg_name in PACKAGES:
        pkg = importlib.import_module(f"optiscribe.{pkg_name}")
        names.append(pkg.__name__)
        names += [m.name for m in pkgutil.walk_packages(pkg.__path__, prefix=f"{pkg.__name__}.")]
    return sorted(names)


MODULES = _modules()

KNOWN_BROKEN = {
    # branch newcomer owns data/synth this round; the example's expected output is missing
    "optiscribe.data.synth.generate": "module docstring example shows no output",
}


def _run(module: ModuleType) -> doctest.TestResults:
    return doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BROKEN[n]))
        if n in KNOWN_BROKEN
        else n
        for n in MODULES
    ],
)
def test_docstring_examples(name: str) -> None:
    result = _run(importlib.import_module(name))
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_examples_are_found() -> None:
    finder = doctest.DocTestFinder()
    examples = sum(
        len(t.examples) for n in MODULES for t in finder.find(importlib.import_module(n))
    )
    assert examples >= 20, examples
