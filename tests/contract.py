"""The contract every public analysis keeps, as a checker the tests and ``benchmarks/sweep_contract.py`` use.

For any valid cohort, a public analysis returns a result whose numbers are finite,
or raises :class:`~outcomes.InputError` or :class:`~outcomes.NotEstimableError`;
no other exception escapes. Text meant for people never shows ``nan``, ``inf`` or
scientific notation, nor a count from 1 to 10.

Two kinds of number are allowed to be missing, by R's conventions and said in
words wherever they are shown: a median the curve never reaches ("not reached"),
and the confidence band of a Kaplan-Meier or cumulative-incidence curve where the
estimate is exactly 0 or 1 (R gives ``NA`` there). :func:`nonfinite` skips them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import numpy as np
import pandas as pd

from outcomes import Estimate, InputError, NotEstimableError

__all__ = ["Outcome", "BAD_TEXT", "bad_text", "nonfinite", "run_checked"]

#: ``nan``, ``inf`` or scientific notation in text meant for people.
BAD_TEXT = re.compile(r"\bnan\b|\binf\b|-inf\b|\d+(?:\.\d+)?[eE][+-]?\d+", re.IGNORECASE)
_ALLOWED_MISSING_TABLES = {"km", "median", "cif"}  # R's NA conventions (see the module docstring)


@dataclass(frozen=True)
class Outcome:
    """What one call did: ``"ok"``, ``"input"``, ``"not estimable"`` or ``"crash"`` (with the error)."""

    what: str
    status: str
    detail: str = ""


def nonfinite(result: Any, path: str = "result") -> list[str]:
    """Where a result holds a NaN or infinite number (outside R's documented missing values)."""
    bad: list[str] = []
    if isinstance(result, Estimate):
        for name in ("value", "ci_lower", "ci_upper", "p_value", "se"):
            if not math.isfinite(getattr(result, name)):
                bad.append(f"{path}.{name}")
        return bad
    if isinstance(result, pd.DataFrame):
        if "verdict" in result:  # a claim that is not estimable here keeps its reason in words, its numbers empty
            result = result[~result["verdict"].astype(str).str.startswith("not estimable")]
        numbers = result.select_dtypes(include="number")
        mask = ~np.isfinite(numbers.to_numpy(dtype=float))
        return [f"{path}[{numbers.columns[j]}]" for j in sorted(set(np.nonzero(mask)[1]))]
    if isinstance(result, (float, np.floating)):
        return [] if math.isfinite(result) else [path]
    if is_dataclass(result) and not isinstance(result, type):
        for f in fields(result):
            if f.name in _ALLOWED_MISSING_TABLES or f.name.startswith("_"):
                continue
            value = getattr(result, f.name)
            if isinstance(value, (Estimate, pd.DataFrame, float, np.floating)) or (
                    is_dataclass(value) and not isinstance(value, type)):
                bad += nonfinite(value, f"{path}.{f.name}")
    return bad


def bad_text(texts: Iterable[str]) -> list[str]:
    """The pieces of text that show ``nan``, ``inf`` or scientific notation."""
    return [m.group(0) for text in texts for m in BAD_TEXT.finditer(text)]


def run_checked(what: str, fn: Callable[[], Any], check: Callable[[Any], list[str]] = nonfinite) -> Outcome:
    """Call ``fn`` and classify what happened under the contract."""
    try:
        result = fn()
    except InputError as exc:
        return Outcome(what, "input", str(exc))
    except NotEstimableError as exc:
        return Outcome(what, "not estimable", str(exc))
    except Exception as exc:  # noqa: BLE001 - the point is to catch what the contract forbids
        return Outcome(what, "crash", f"{type(exc).__name__}: {exc}")
    problems = check(result)
    return Outcome(what, "crash" if problems else "ok", "non-finite: " + ", ".join(problems) if problems else "")
