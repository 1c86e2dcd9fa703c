"""Small-cell suppression (the CMS cell-size rule), done in one place for every output.

No count from 1 to 10 may appear in an output meant for people (report tables,
at-risk rows under plots, figure annotations, sentences), nor be derivable from
what is shown:

- a count from 1 to 10 is shown as ``"<11"``; zero is shown (it discloses nobody);
- where a row total is shown and one cell of the row is suppressed, the next
  smallest cell is suppressed too (complementary suppression), so the hidden count
  cannot be recovered by subtraction;
- where two shown counts differ by 1 to 10 (enrolled to date against enrolled this
  quarter; this quarter against the last), the smaller is suppressed;
- a percentage whose numerator or complement is 1 to 10 is shown as a band
  (``"< 9%"``, ``"> 90%"``), and a percentage of a denominator from 1 to 10 not at all.

Analyses still use every row; only what is displayed is suppressed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .shown import Shown

__all__ = ["COMPLEMENT", "SMALL_CELL_MAX", "SUPPRESSED", "audit_text", "hide_complements", "is_small", "revealed",
           "show_count", "share", "suppress_counts", "suppress_table"]

#: Counts from 1 to this value are suppressed.
SMALL_CELL_MAX = 10
#: What a suppressed count is shown as.
SUPPRESSED = "<11"
#: a count hidden because, with the counts shown beside it, it would reveal one from 1 to 10 (it is not small)
COMPLEMENT = "suppressed"


def is_small(n: float) -> bool:
    """True when ``n`` is a count from 1 to 10 that must not be shown.

    >>> is_small(0), is_small(7), is_small(11)
    (False, True, False)
    """
    return bool(0 < n <= SMALL_CELL_MAX)


def show_count(n: float) -> Shown:
    """A count as text for people: ``"<11"`` when from 1 to 10, else the number with separators.

    >>> show_count(7), show_count(1234)
    ('<11', '1,234')
    """
    if n != n:  # NaN
        return Shown("", "missing")
    if is_small(n):
        return Shown(SUPPRESSED, "suppressed")
    return Shown(f"{int(round(n)):,}", "count", int(round(n)))


def share(numerator: float, denominator: float, digits: int = 0) -> Shown:
    """``numerator / denominator`` as a percentage that discloses no count from 1 to 10.

    >>> share(54, 109), share(105, 109), share(3, 109), share(4, 9), share(0, 40)
    ('50%', '> 89%', '< 11%', 'not shown (<11 participants)', '0%')
    """
    numerator, denominator = float(numerator), float(denominator)
    if denominator <= 0:
        return Shown("no participants", "missing")
    if is_small(denominator):
        return Shown(f"not shown ({SUPPRESSED} participants)", "suppressed")
    if is_small(numerator):  # a band: a bound, not a value
        return Shown(f"< {math.ceil(100 * (SMALL_CELL_MAX + 1) / denominator)}%", "suppressed")
    if is_small(denominator - numerator):
        return Shown(f"> {math.floor(100 * (denominator - SMALL_CELL_MAX - 1) / denominator)}%", "suppressed")
    shown = f"{100 * numerator / denominator:.{digits}f}"
    return Shown(f"{shown}%", "share", round(float(shown) / 100, digits + 2), digits)  # the value as shown


def revealed(hidden: Sequence[float]) -> bool:
    """Whether hidden cells whose total is known can be worked out from it and from what each shows.

    A reader knows a ``"<11"`` cell holds 1 to 10 and a ``"suppressed"`` one 0 or at least 11 (taken as at least
    0 here, the weaker reader); with their total stated, a cell is revealed when those bounds leave it a single
    value: one hidden cell alone, or small cells at the ends of their range (two ``"<11"`` summing to 20 are 10
    and 10; three summing to 3 are 1, 1 and 1).

    >>> revealed([7]), revealed([10, 10]), revealed([4, 9]), revealed([10, 25]), revealed([1, 1, 1])
    (True, True, False, False, True)
    """
    values = [float(v) for v in hidden]
    if len(values) == 1:
        return True
    total = sum(values)
    low = [1.0 if is_small(v) else 0.0 for v in values]
    high = [float(SMALL_CELL_MAX) if is_small(v) else np.inf for v in values]
    for i in range(len(values)):
        others_low, others_high = sum(low) - low[i], sum(high) - high[i]
        if max(low[i], total - others_high) >= min(high[i], total - others_low):
            return True
    return False


def suppress_table(df: pd.DataFrame, count_columns: Sequence[str], total_column: str | None = None,
                   differences: Iterable[tuple[str, str]] = ()) -> pd.DataFrame:
    """A copy of ``df`` with ``count_columns`` as text, small counts and the cells that would reveal them hidden.

    Parameters
    ----------
    count_columns
        Columns holding counts.
    total_column : optional
        A shown row total: a row with a single hidden cell gets its next smallest cell hidden too.
    differences : pairs of columns ``(larger, smaller)``
        Counts whose difference is itself a count (enrolled to date minus enrolled this quarter): when it is
        from 1 to 10, the smaller cell is hidden.

    >>> t = pd.DataFrame({"a": [5, 40], "b": [30, 20], "total": [35, 60]})
    >>> suppress_table(t, ["a", "b"], "total").iloc[0].tolist()
    ['<11', 'suppressed', '35']
    >>> t = pd.DataFrame({"this_quarter": [40, 12], "to_date": [45, 60]})
    >>> suppress_table(t, ["this_quarter", "to_date"], differences=[("to_date", "this_quarter")]).iloc[0].tolist()
    ['suppressed', '45']
    """
    values = df[list(count_columns)].to_numpy(dtype=float)
    small = (values > 0) & (values <= SMALL_CELL_MAX)
    hide = small.copy()
    columns = list(count_columns)
    for larger, smaller in differences:
        j_large, j_small = columns.index(larger), columns.index(smaller)
        gap = values[:, j_large] - values[:, j_small]
        hide[(gap > 0) & (gap <= SMALL_CELL_MAX), j_small] = True
    if total_column is not None:
        for i in range(len(df)):
            while hide[i].any() and revealed(values[i, hide[i]]):
                candidates = np.where(~hide[i] & (values[i] > 0), values[i], np.inf)
                if not np.isfinite(candidates.min()):
                    break
                hide[i, int(np.argmin(candidates))] = True
    out = df.copy()
    for j, col in enumerate(columns):
        out[col] = [Shown(SUPPRESSED if small[i, j] else COMPLEMENT, "suppressed") if hide[i, j] else show_count(v)
                    for i, v in enumerate(values[:, j])]
    if total_column is not None:
        out[total_column] = [show_count(v) for v in df[total_column]]
    return out


def hide_complements(shown: pd.DataFrame, counts: pd.DataFrame, column: str,
                     groups: Sequence[np.ndarray]) -> pd.DataFrame:
    """Cells of ``column`` that a stated group total would reveal, hidden too.

    ``shown`` is the table as text (after :func:`suppress_table`), ``counts`` the same rows as numbers; each
    group (row positions) has its total stated elsewhere in the document (an arm's enrolled to date in the
    summary). While the group's hidden cells could be worked out from that total (:func:`revealed`: one hidden
    cell, or small ones at the ends of their range), its smallest other non-zero cell is hidden too
    ("suppressed").

    >>> counts = pd.DataFrame({"n": [17, 14, 14, 2]})
    >>> shown = suppress_table(counts, ["n"])
    >>> hide_complements(shown, counts, "n", [np.arange(4)]).n.tolist()
    ['17', 'suppressed', '14', '<11']
    """
    out = shown.copy()
    values = counts[column].to_numpy(float)
    for rows in groups:
        while True:
            hidden = [i for i in rows if out[column].iloc[i] in (SUPPRESSED, COMPLEMENT)]
            others = [i for i in rows if i not in hidden and values[i] > 0]
            if not hidden or not others or not revealed(values[hidden]):
                break
            out.iloc[min(others, key=lambda i: values[i]), out.columns.get_loc(column)] = Shown(COMPLEMENT,
                                                                                                "suppressed")
    return out


def suppress_counts(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """A copy of ``df`` with every count from 1 to 10 in ``columns`` replaced by ``"<11"``."""
    return suppress_table(df, list(columns))


_COUNTED = re.compile(r"\b(\d{1,3}(?:,\d{3})*)(\s+(?:of\s+(?:the\s+|its\s+)?[\d,]+\s+)?)(participants?|people|persons?|"
                      r"clients?|relapses?|events?|rows?|dropouts?|deaths?|exits?|weights?|records?|individuals?)\b")


def audit_text(text: str) -> str:
    """Free text as a report may print it: a count of people or events from 1 to 10 becomes "fewer than 11".

    Sentences built by the package already write counts through :func:`show_count`; this pass catches text
    that came from elsewhere (an error message, a caveat, a reason an analysis was not estimable).

    >>> audit_text("arm 'peer' has no relapse events among its 7 participants; 1 participants left out")
    "arm 'peer' has no relapse events among its fewer than 11 participants; fewer than 11 participants left out"
    >>> audit_text("day 7 of 30; 12 participants; 95% CI")
    'day 7 of 30; 12 participants; 95% CI'
    """
    def replace(match: re.Match[str]) -> str:
        n = int(match.group(1).replace(",", ""))
        return (f"fewer than 11{match.group(2)}{match.group(3)}" if is_small(n) else match.group(0))
    return _COUNTED.sub(replace, text)
