"""Small-cell suppression (the CMS cell-size rule).

No count from 1 to 10 may appear in an output meant for people: report tables,
at-risk rows under plots, figure annotations and sentences. Such counts are
shown as ``"<11"``. Zero is not suppressed (it discloses nobody). Analyses
still use every row; only what is displayed is suppressed.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["SMALL_CELL_MAX", "SUPPRESSED", "is_small", "show_count", "suppress_counts"]

#: Counts from 1 to this value are suppressed.
SMALL_CELL_MAX = 10
#: What a suppressed count is shown as.
SUPPRESSED = "<11"


def is_small(n: float) -> bool:
    """True when ``n`` is a count from 1 to 10 that must not be shown.

    >>> is_small(0), is_small(7), is_small(11)
    (False, True, False)
    """
    return bool(0 < n <= SMALL_CELL_MAX)


def show_count(n: float) -> str:
    """A count as text for people: ``"<11"`` when from 1 to 10, else the number with separators.

    >>> show_count(7), show_count(1234)
    ('<11', '1,234')
    """
    if n != n:  # NaN
        return ""
    return SUPPRESSED if is_small(n) else f"{int(round(n)):,}"


def suppress_counts(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """A copy of ``df`` with every count from 1 to 10 in ``columns`` replaced by ``"<11"``."""
    out = df.copy()
    for col in columns:
        values = out[col].to_numpy(dtype=float)
        small = (values > 0) & (values <= SMALL_CELL_MAX)
        out[col] = np.where(small, SUPPRESSED, [show_count(v) for v in values]).astype(object)
    return out
