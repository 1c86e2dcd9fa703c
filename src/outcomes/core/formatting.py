"""Numbers for people: one rule set for every table, sentence and caption.

Counts get thousands separators (and the small-cell rule), proportions become
percentages, p-values below 0.001 read "< 0.001", intervals read "0.54 to 0.74".
Nothing here ever prints ``nan``, ``inf`` or scientific notation: a number that
is missing or not finite reads "not estimable" (or what the caller says).

>>> count(2000), count(7), percent(0.4567), p_value(3.5e-135), interval(0.5432, 0.7391)
('2,000', '<11', '46%', '< 0.001', '0.54 to 0.74')
"""

from __future__ import annotations

import math
from typing import Any

from .disclosure import show_count

__all__ = ["NOT_ESTIMABLE", "count", "days", "estimate_with_interval", "interval", "is_number", "number", "p_value",
           "percent", "ratio"]

NOT_ESTIMABLE = "not estimable"


def is_number(value: Any) -> bool:
    """True for a finite real number (not NaN, not infinite, not None, not text)."""
    try:
        return value is not None and not isinstance(value, (str, bool)) and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def count(n: Any, missing: str = NOT_ESTIMABLE) -> str:
    """A count: ``"<11"`` from 1 to 10 (CMS rule), else with thousands separators.

    >>> count(0), count(1234.0), count(float("nan"))
    ('0', '1,234', 'not estimable')
    """
    return show_count(float(n)) if is_number(n) else missing


def number(x: Any, digits: int = 2, missing: str = NOT_ESTIMABLE) -> str:
    """A number with ``digits`` decimals and thousands separators; never scientific notation.

    >>> number(595000000.0, 0), number(0.000012, 3), number(float("inf"))
    ('595,000,000', '0.000', 'not estimable')
    """
    if not is_number(x):
        return missing
    value = float(x)
    if round(value, digits) == 0:
        value = 0.0  # never "-0.00"
    return f"{value:,.{digits}f}"


def ratio(x: Any, missing: str = NOT_ESTIMABLE) -> str:
    """A ratio (hazard, risk, rate) with two decimals: ``0.65``."""
    return number(x, 2, missing)


def days(x: Any, missing: str = NOT_ESTIMABLE) -> str:
    """A number of days, whole.

    >>> days(182.6)
    '183'
    """
    return number(x, 0, missing)


def percent(x: Any, digits: int = 0, missing: str = NOT_ESTIMABLE) -> str:
    """A proportion as a percentage.

    >>> percent(0.805), percent(0.05, 1)
    ('80%', '5.0%')
    """
    return f"{number(100 * float(x), digits)}%" if is_number(x) else missing


def p_value(p: Any, missing: str = NOT_ESTIMABLE) -> str:
    """A p-value: ``< 0.001`` below 0.001, else three decimals.

    >>> p_value(0.0004), p_value(0.0234), p_value(1.0)
    ('< 0.001', '0.023', '1.000')
    """
    if not is_number(p):
        return missing
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def interval(lower: Any, upper: Any, digits: int = 2, missing: str = NOT_ESTIMABLE, scale: str = "number") -> str:
    """A confidence interval in words: ``0.54 to 0.74`` (``scale="percent"``: ``12% to 31%``)."""
    if not (is_number(lower) and is_number(upper)):
        return missing
    if scale == "percent":
        return f"{percent(lower, digits)} to {percent(upper, digits)}"
    return f"{number(lower, digits)} to {number(upper, digits)}"


def estimate_with_interval(value: Any, lower: Any, upper: Any, digits: int = 2, missing: str = NOT_ESTIMABLE,
                           scale: str = "number") -> str:
    """``0.65 (0.54 to 0.74)``, or the ``missing`` text when the estimate is not a finite number."""
    if not is_number(value):
        return missing
    main = percent(value, digits) if scale == "percent" else number(value, digits)
    if not (is_number(lower) and is_number(upper)):
        return main
    return f"{main} ({interval(lower, upper, digits, scale=scale)})"
