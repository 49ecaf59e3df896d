"""Each folder's curated public API: ``__all__`` is sorted, resolves, and holds no private name."""

from __future__ import annotations

import importlib
import inspect

import pytest

PACKAGES = [
    "optiscribe.solvers",
    "optiscribe.verify",
    "optiscribe.formulate",
    "optiscribe.data",
    "optiscribe.app",
    "optiscribe.app.cli",
    "optiscribe.solvers.errors",
    "optiscribe.verify.errors",
    "optiscribe.formulate.errors",
    "optiscribe.data.errors",
    "optiscribe.solvers.kinds",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_public_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    names = module.__all__
    assert names == sorted(names), f"{name}.__all__ is not sorted"
    assert len(set(names)) == len(names)
    for n in names:
        assert not n.startswith("_"), n
        assert getattr(module, n) is not None, n


@pytest.mark.parametrize("name", ["optiscribe.data", "optiscribe.verify"])
def test_every_public_class_or_function_imported_is_listed(name: str) -> None:
    """What a package imports for its users is in ``__all__`` (nothing half-public)."""
    module = importlib.import_module(name)
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and (inspect.isclass(v) or inspect.isfunction(v))
        and getattr(v, "__module__", "").startswith("optiscribe.")
    }
    assert public <= set(module.__all__)


def test_data_api_names_the_things_a_user_needs() -> None:
    import optiscribe.data as data

    assert {"load_benchmark", "run_batch", "run_eval", "score", "DataError"} <= set(data.__all__)
