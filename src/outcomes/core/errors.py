"""Errors and warnings raised by ``outcomes``.

Every error a user can trigger is an :class:`OutcomesError`, so one ``except``
catches them all; the subclasses say what kind of problem it is::

    OutcomesError                      base class, never raised itself
    ├── InputError (also ValueError)   the data or an argument is wrong: fix the input
    └── NotEstimableError              the input is valid but the quantity cannot be
        │                              estimated from it (no events in an arm, a horizon
        │                              past follow-up, separation, ...)
        └── ConvergenceError           an iterative fit did not converge (so the quantity
                                       is not estimable from these data)

Every public function returns finite numbers or raises ``InputError`` or
``NotEstimableError`` (``ConvergenceError`` included), with the reason.

Warnings::

    OutcomesWarning (UserWarning)
    ├── StatisticalWarning             the result is valid but needs care in reading
    │                                  (rows dropped for missing covariates, an
    │                                  extrapolation, a violated assumption, ...)
    └── SmallCellWarning               a count from 1 to 10 was suppressed in an output

Messages name what was wrong, where (file, row, column), what was found, and
how to fix it, e.g.::

    column 'relapse_event' row 17: value 2 is not 0 or 1 (expected 1 = relapse,
    0 = censored); recode the column to 0/1
"""

from __future__ import annotations

__all__ = [
    "OutcomesError",
    "InputError",
    "NotEstimableError",
    "ConvergenceError",
    "OutcomesWarning",
    "StatisticalWarning",
    "SmallCellWarning",
]


class OutcomesError(Exception):
    """Base class of every error raised by ``outcomes``."""


class InputError(OutcomesError, ValueError):
    """The data or an argument is invalid; the message says where and how to fix it."""


class NotEstimableError(OutcomesError):
    """The input is valid, but the requested quantity cannot be estimated from it."""


class ConvergenceError(NotEstimableError):
    """An iterative fit (Cox model, logistic regression, ...) did not converge: not estimable from these data."""


class OutcomesWarning(UserWarning):
    """Base class of the warnings issued by ``outcomes``."""


class StatisticalWarning(OutcomesWarning):
    """A result is valid but must be read with care (the message says why)."""


class SmallCellWarning(OutcomesWarning):
    """A count from 1 to 10 was suppressed in an output meant for people."""
