"""Example problems written by the team: text, five-element IR and the verified optimum.

Each example is one YAML file in this folder with the keys ``name`` (defaults to the file
stem), ``family``, ``text`` (the problem in plain language), ``optimum`` (found by solving
the formulation with HiGHS, recorded, and re-checked in the tests), ``sense`` agreement
with the formulation, and ``formulation`` (the IR). They serve as worked examples in
prompts, as the README's default job, and as a test library run against every solver.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from optiscribe.formulate.ir.model import Formulation
from optiscribe.solvers.errors import InputError

__all__ = ["Example", "example_names", "load_example", "load_examples"]


@dataclass(frozen=True)
class Example:
    """One worked problem."""

    name: str
    family: str
    text: str
    optimum: float | None
    formulation: Formulation
    ortools: bool = True
    """Whether the OR-Tools backend is expected to reproduce the optimum (it is unless noted)."""


def _files() -> dict[str, Any]:
    root = resources.files(__name__)
    return {p.name[:-5]: p for p in root.iterdir() if p.name.endswith(".yaml")}


def example_names() -> list[str]:
    """Names of the bundled examples, sorted."""
    return sorted(_files())


@functools.cache
def load_example(name: str) -> Example:
    """The example called ``name`` (a file stem in this folder)."""
    files = _files()
    if name not in files:
        close = difflib.get_close_matches(name, list(files), n=3)
        hint = (
            f"; did you mean {', '.join(close)}?"
            if close
            else f"; available: {', '.join(sorted(files))}"
        )
        raise InputError(f"no bundled example named {name!r}{hint}")
    try:
        data = yaml.safe_load(files[name].read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"example {name!r} is not valid YAML: {exc}") from exc
    missing = [k for k in ("text", "formulation") if k not in data]
    if missing:
        raise InputError(f"example {name!r} lacks {', '.join(missing)}")
    return Example(
        name=data.get("name", name),
        family=data.get("family", "other"),
        text=" ".join(str(data["text"]).split()),
        optimum=None if data.get("optimum") is None else float(data["optimum"]),
        formulation=Formulation.from_dict(data["formulation"]),
        ortools=bool(data.get("ortools", True)),
    )


def load_examples() -> list[Example]:
    """Every bundled example, sorted by name."""
    return [load_example(n) for n in example_names()]
