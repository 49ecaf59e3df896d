"""pytest turns warnings raised by our own code into errors (pyproject filterwarnings)."""

from __future__ import annotations

import warnings

import pytest


def test_a_warning_from_our_code_is_an_error() -> None:
    with pytest.raises(UserWarning, match="ours"):
        warnings.warn("ours", UserWarning, stacklevel=1)
