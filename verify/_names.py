"""Display names: Pyomo's writer-mangled names shown as the Pyomo model spells them.

Pyomo's LP and MPS writers (``symbolic_solver_labels=True``) turn a component name into a
CPLEX-safe label: ``[``/``]`` and ``{``/``}`` become ``(``/``)``, every character other than
letters, digits, ``_`` and parentheses becomes ``_`` (so ``x[1,2]`` is written
``x(1_2)``), and rows get a prefix and a trailing ``_`` that say which side they are:
``c_l_`` (``>=``), ``c_u_`` (``<=``), ``c_e_`` (``=``), ``r_l_``/``r_u_`` (the two sides of
a range). Witnesses and the human-readable certificate show the demangled name
(``need[S3]``, ``x[chairs]``); the raw names stay in :class:`MilpData` and in the
certificate's data.

The translation is not invertible (``_`` may have been a ``,``, a space or an ``_``), so
when the *other* model of the pair has a name whose Pyomo label is exactly the raw name
(comparing generated code's MPS against our IR compiled to Pyomo), that name is shown;
otherwise only the brackets are restored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

__all__ = ["demangle", "display_map", "might_be_mangled", "pyomo_label"]

_ROW = re.compile(r"^(?:c_[lue]|r_[lu])_(.+)_$")
_LABEL_CHARS = re.compile(r"^[A-Za-z0-9_()]+$")
_INDEXED = re.compile(r"^[A-Za-z0-9_]+\([A-Za-z0-9_()]*\)$")
_TABLE = {ord(c): c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789()_"}
_TABLE.update({ord("["): "(", ord("]"): ")", ord("{"): "(", ord("}"): ")"})


class _Other(dict[int, str]):  # str.translate table: every other character becomes "_"
    def __missing__(self, key: int) -> str:
        return "_"


_CPXLP = _Other(_TABLE)


def pyomo_label(name: str) -> str:
    """The label Pyomo's LP/MPS writers give a component called ``name``
    (``pyomo.core.base.label.cpxlp_label_from_name``)."""
    return name.translate(_CPXLP)


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def _brackets(s: str) -> str:
    return s.replace("(", "[").replace(")", "]")


def demangle(raw: str, *, row: bool) -> str | None:
    """The Pyomo spelling of a writer-mangled name, or ``None`` if ``raw`` does not match
    the writers' patterns.

    >>> demangle("c_l_need(S3)_", row=True), demangle("x(chairs)", row=False)
    ('need[S3]', 'x[chairs]')
    >>> demangle("c_e_bal(2)_", row=True), demangle("r_u_rng_", row=True)
    ('bal[2]', 'rng')
    >>> demangle("flow", row=False) is None
    True
    """
    if row:
        m = _ROW.match(raw)
        if m is None:
            return None
        inner = m.group(1)
        if not _LABEL_CHARS.match(inner) or not _balanced(inner):
            return None
        return _brackets(inner)
    if _INDEXED.match(raw) and _balanced(raw):
        return _brackets(raw)
    return None


_ROW_HINT = re.compile(r"(?:^|\x00)(?:c_[lue]|r_[lu])_")


def might_be_mangled(names: tuple[str, ...], *, row: bool) -> bool:
    """Cheap test (one join and one scan, no per-name Python work) that some name could
    demangle; lets large models without Pyomo names skip :func:`display_map`."""
    if not names:
        return False
    blob = "\x00".join(names)
    return bool(_ROW_HINT.search(blob)) if row else "(" in blob


def display_map(
    raw_names: Iterable[str], other_names: Iterable[str], *, row: bool
) -> Mapping[str, str]:
    """Raw name → display name, for the names that demangle (others are left out).

    ``other_names`` are the names of the other model of the pair: a name there whose
    Pyomo label is the raw (stripped) name is preferred to the bracket-only guess, when it
    is the only such name.
    """
    raws = [r for r in raw_names if r]
    if not raws:
        return MappingProxyType({})
    candidates = [r for r in raws if demangle(r, row=row) is not None]
    if not candidates:
        return MappingProxyType({})
    by_label: dict[str, str | None] = {}
    for name in other_names:
        lab = pyomo_label(name)
        if lab != name:
            by_label[lab] = None if lab in by_label and by_label[lab] != name else name
    out: dict[str, str] = {}
    for r in candidates:
        core = _ROW.match(r).group(1) if row else r  # type: ignore[union-attr]
        exact = by_label.get(core)
        out[r] = exact if exact else demangle(r, row=row)  # type: ignore[assignment]
    return MappingProxyType(out)
