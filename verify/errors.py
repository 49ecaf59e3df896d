"""The ``verify`` branch of the exception tree (drawn whole in ``optiscribe.solvers.errors``)."""

from __future__ import annotations

from optiscribe.solvers.errors import OptiscribeError
from optiscribe.solvers.kinds import FailureKind

__all__ = ["ModelReadError", "UnsupportedModelError", "VerifyError"]


class VerifyError(OptiscribeError):
    """The equivalence checker could not run on its input."""

    kind = FailureKind.MODEL_READ


class ModelReadError(VerifyError):
    """A model file or object could not be read into a :class:`~optiscribe.verify.MilpData`.

    ``source`` names the file or object at fault.
    """

    def __init__(self, message: str, *, source: str = "") -> None:
        super().__init__(message)
        self.source = source


class UnsupportedModelError(VerifyError):
    """The model is readable but has parts the checker does not handle (quadratic terms,
    SOS, indicator constraints, semi-continuous variables). ``check`` turns this into the
    verdict ``UNSUPPORTED``; it is never silently dropped.
    """

    kind = FailureKind.UNSUPPORTED

    def __init__(self, message: str, *, source: str = "", features: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.source = source
        self.features = features
