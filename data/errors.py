"""The ``data`` branch of the exception tree (drawn whole in ``optiscribe.solvers.errors``)."""

from __future__ import annotations

from optiscribe.formulate.errors import ConversionError
from optiscribe.solvers.errors import InputError

__all__ = ["ConversionError", "DataError"]


class DataError(InputError):
    """Bad input data: a JSONL line, an example file, a benchmark record, a bad option value."""
