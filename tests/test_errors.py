"""The one exception tree: the drawing in ``solvers/errors.py`` is the code, and the CLI
has an exit code for every class in it."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from typer.testing import CliRunner

import optiscribe.solvers.errors as errors_module
from optiscribe.app._exit import EXIT_BAD_INPUT, EXIT_NEGATIVE, exit_code_for
from optiscribe.app.cli import app
from optiscribe.solvers.errors import OptiscribeError
from optiscribe.solvers.kinds import FailureKind

PACKAGES = ("solvers", "verify", "formulate", "data", "app")


def _import_everything() -> None:
    """Import every module of the package, so that no subclass can hide from the walk."""
    for name in PACKAGES:
        pkg = importlib.import_module(f"optiscribe.{name}")
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"optiscribe.{name}."):
            importlib.import_module(info.name)


def _drawn_edges() -> set[tuple[str, str]]:
    doc = errors_module.__doc__ or ""
    block = doc.split("The whole tree", 1)[1].split("::", 1)[1]
    edges: set[tuple[str, str]] = set()
    stack: list[tuple[int, str]] = []
    for line in block.splitlines():
        m = re.match(r"^(\s*[│ ]*(?:[├└]── )?)([A-Z]\w+)", line)
        if not m:
            if stack and line.strip() and not line.startswith("    "):
                break
            continue
        depth, name = len(m.group(1)), m.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            edges.add((stack[-1][1], name))
        stack.append((depth, name))
    return edges


def _code_edges() -> set[tuple[str, str]]:
    _import_everything()
    edges: set[tuple[str, str]] = set()

    def walk(cls: type) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("optiscribe."):
                edges.add((cls.__name__, sub.__name__))
                walk(sub)

    walk(OptiscribeError)
    return edges


def test_the_drawn_tree_is_the_class_tree() -> None:
    drawn, code = _drawn_edges(), _code_edges()
    assert len(drawn) > 20  # the parser really read the drawing
    assert drawn - code == set(), "drawn but not in the code"
    assert code - drawn == set(), "in the code but not drawn in solvers/errors.py"


def _all_classes() -> list[type[OptiscribeError]]:
    _import_everything()
    out: list[type[OptiscribeError]] = []
    todo: list[type[OptiscribeError]] = [OptiscribeError]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(c for c in cls.__subclasses__() if c.__module__.startswith("optiscribe."))
    return out


@pytest.mark.parametrize("cls", _all_classes(), ids=lambda c: c.__name__)
def test_every_error_has_a_kind_and_an_exit_code(cls: type[OptiscribeError]) -> None:
    exc = cls.__new__(cls)
    assert isinstance(cls.kind, FailureKind)
    assert exit_code_for(exc) in (1, 2, 3)


@pytest.mark.parametrize(
    ("dotted", "code"),
    [
        ("optiscribe.data.errors:DataError", EXIT_BAD_INPUT),
        ("optiscribe.data.errors:ConversionError", EXIT_BAD_INPUT),
        ("optiscribe.formulate.errors:FormulationReadError", EXIT_BAD_INPUT),
        ("optiscribe.formulate.errors:BadRequest", EXIT_BAD_INPUT),
        ("optiscribe.formulate.errors:BackendConfigError", EXIT_BAD_INPUT),
        ("optiscribe.formulate.errors:FormulationValidationError", EXIT_NEGATIVE),
        ("optiscribe.formulate.errors:ExprError", EXIT_NEGATIVE),
    ],
)
def test_the_most_specific_entry_wins(dotted: str, code: int) -> None:
    module, _, name = dotted.partition(":")
    cls = getattr(importlib.import_module(module), name)
    assert exit_code_for(cls.__new__(cls)) == code


def test_a_usage_error_is_bad_input_not_undecided() -> None:
    result = CliRunner().invoke(app, ["solve", "--no-such-option"])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == EXIT_BAD_INPUT, result.output


def test_data_error_lives_in_data() -> None:
    from optiscribe.data.errors import DataError
    from optiscribe.solvers.errors import InputError

    assert DataError.__module__ == "optiscribe.data.errors"
    assert issubclass(DataError, InputError)
