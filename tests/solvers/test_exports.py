"""The public surface of each package: sorted ``__all__`` whose names all resolve."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "package", ["optiscribe.solvers", "optiscribe.formulate", "optiscribe.verify"]
)
def test_all_is_sorted_and_resolves(package: str) -> None:
    mod = importlib.import_module(package)
    names = list(mod.__all__)
    assert names == sorted(names)
    for name in names:
        assert getattr(mod, name) is not None, name
