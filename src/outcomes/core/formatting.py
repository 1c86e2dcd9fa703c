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
from .shown import Shown

__all__ = ["NOT_ESTIMABLE", "count", "days", "estimate_with_interval", "interval", "is_number", "number", "p_value",
           "header", "is_p_value_column", "p_phrase", "percent", "plain", "ratio",
           "shown_cell"]

NOT_ESTIMABLE = "not estimable"


def is_number(value: Any) -> bool:
    """True for a finite real number (not NaN, not infinite, not None, not text)."""
    try:
        return value is not None and not isinstance(value, (str, bool)) and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def count(n: Any, missing: str = NOT_ESTIMABLE) -> Shown:
    """A count: ``"<11"`` from 1 to 10 (CMS rule), else with thousands separators.

    >>> count(0), count(1234.0), count(float("nan"))
    ('0', '1,234', 'not estimable')
    """
    return show_count(float(n)) if is_number(n) else Shown(missing, "missing")


def number(x: Any, digits: int = 2, missing: str = NOT_ESTIMABLE) -> Shown:
    """A number with ``digits`` decimals and thousands separators; never scientific notation.

    >>> number(595000000.0, 0), number(0.000012, 3), number(float("inf"))
    ('595,000,000', '0.000', 'not estimable')
    """
    if not is_number(x):
        return Shown(missing, "missing")
    value = float(x)
    if round(value, digits) == 0:
        value = 0.0  # never "-0.00"
    return Shown(f"{value:,.{digits}f}", "number", round(value, digits), digits)  # the value as shown


def ratio(x: Any, missing: str = NOT_ESTIMABLE) -> Shown:
    """A ratio (hazard, risk, rate) with two decimals: ``0.65``."""
    return number(x, 2, missing)


def days(x: Any, missing: str = NOT_ESTIMABLE) -> Shown:
    """A number of days, whole.

    >>> days(182.6)
    '183'
    """
    return number(x, 0, missing)


def percent(x: Any, digits: int = 0, missing: str = NOT_ESTIMABLE) -> Shown:
    """A proportion as a percentage.

    >>> percent(0.805), percent(0.05, 1)
    ('80%', '5.0%')
    """
    if not is_number(x):
        return Shown(missing, "missing")
    shown = number(100 * float(x), digits)
    return Shown(f"{shown}%", "share", round(shown.value / 100, digits + 2), digits)


def p_value(p: Any, missing: str = NOT_ESTIMABLE) -> Shown:
    """A p-value: ``< 0.001`` below 0.001, else two significant digits.

    >>> p_value(0.0004), p_value(0.0234), p_value(0.456), p_value(1.0)
    ('< 0.001', '0.023', '0.46', '1.0')
    """
    if not is_number(p):
        return Shown(missing, "missing")
    value = float(p)
    if value < 0.001:
        return Shown("< 0.001", "p_value")  # a bound, not a value
    decimals = max(1, 1 - math.floor(math.log10(value)))
    return Shown(f"{value:.{decimals}f}", "p_value", round(value, decimals), decimals)


def p_phrase(p: Any) -> str:
    """A p-value after the letter p: ``= 0.023`` or ``< 0.001``.

    >>> "p " + p_phrase(0.0234), "p " + p_phrase(1e-9)
    ('p = 0.023', 'p < 0.001')
    """
    shown = p_value(p)
    return shown if shown.startswith("<") or not is_number(p) else f"= {shown}"


_WORDS = {"ci": "CI", "se": "SE", "smd": "SMD", "hr": "HR", "rmst": "RMST", "rr": "RR", "id": "id",
          "p": "p", "km": "KM", "df": "df", "n": "n", "cif": "cumulative incidence", "iptw": "IPTW"}


def header(name: Any) -> str:
    """A column header for people: words, not a code name.

    >>> header("median_ci_lower"), header("p_value"), header("smd_after"), header("Already words")
    ('Median CI lower', 'p value', 'SMD after', 'Already words')
    """
    text = str(name)
    if " " in text or "_" not in text and not text.islower():
        return text
    words = [_WORDS.get(w, w) for w in text.split("_")]
    first = words[0] if words[0] in _WORDS.values() else words[0][:1].upper() + words[0][1:]
    return " ".join([first, *words[1:]])


def is_p_value_column(name: Any) -> bool:
    """Whether a column holds p-values (``p``, ``p_value``, ``gray_p``, ``p value``)."""
    text = str(name).lower()
    return text in ("p", "p_value", "p value", "pvalue") or text.endswith("_p") or text.startswith("p_value")


def shown_cell(value: Any, p_column: bool = False) -> Any:
    """A table cell as people see it: numbers without e-notation (4 significant digits), p-values as
    :func:`p_value`, True/False as yes/no, a missing value blank; text unchanged.

    >>> shown_cell(1.77e-08, p_column=True), shown_cell(27400.1234), shown_cell(True), shown_cell(float("nan"))
    ('< 0.001', '27,400', 'yes', '')
    """
    if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (int, float)) or type(value).__module__ == "numpy":
        try:
            number_value = float(value)
        except (TypeError, ValueError):
            return value
        if not math.isfinite(number_value):
            return "" if math.isnan(number_value) else ("infinite" if number_value > 0 else "minus infinite")
        if p_column:
            return p_value(number_value)
        if float(number_value).is_integer() and abs(number_value) < 1e15:
            return Shown(f"{int(number_value):,}", "number", int(number_value))
        return plain(number_value, 4)
    return value


def plain(x: Any, digits: int = 6, missing: str = NOT_ESTIMABLE) -> Shown:
    """A number as ``format(x, "g")`` would write it, but never in scientific notation: up to ``digits``
    significant digits (at most 12 decimals), trailing zeros dropped, thousands separators.

    >>> plain(30.0), plain(1e6), plain(0.025), plain(27400.123, 3), plain(1e-5), plain(float("nan"))
    ('30', '1,000,000', '0.025', '27,400', '0.00001', 'not estimable')
    """
    if not is_number(x):
        return Shown(missing, "missing")
    value = float(x)
    if value == 0:
        return Shown("0", "number", 0.0)
    decimals = min(12, max(0, digits - 1 - math.floor(math.log10(abs(value)))))
    text = f"{round(value, decimals):,.{decimals}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    if text in ("-0", ""):
        return Shown("0", "number", 0.0)
    return Shown(text, "number", round(value, decimals), len(text.split(".")[1]) if "." in text else 0)


def interval(lower: Any, upper: Any, digits: int = 2, missing: str = NOT_ESTIMABLE, scale: str = "number") -> Shown:
    """A confidence interval in words: ``0.54 to 0.74`` (``scale="percent"``: ``12% to 31%``)."""
    if not (is_number(lower) and is_number(upper)):
        return Shown(missing, "missing")
    show = percent if scale == "percent" else number
    low, high = show(lower, digits), show(upper, digits)
    return Shown(f"{low} to {high}", "interval", (low.value, high.value), digits, scale)


def estimate_with_interval(value: Any, lower: Any, upper: Any, digits: int = 2, missing: str = NOT_ESTIMABLE,
                           scale: str = "number") -> Shown:
    """``0.65 (0.54 to 0.74)``, or the ``missing`` text when the estimate is not a finite number."""
    if not is_number(value):
        return Shown(missing, "missing")
    main = percent(value, digits) if scale == "percent" else number(value, digits)
    if not (is_number(lower) and is_number(upper)):
        return main
    bounds = interval(lower, upper, digits, scale=scale)
    return Shown(f"{main} ({bounds})", "estimate", (main.value, *bounds.value), digits, scale)
