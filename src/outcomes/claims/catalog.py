"""The articles' figures as data: the claims registry and the readings of each claim.

Every numeric figure in the three articles that have figures (000, 003, 004)
is a row of ``claims/claims.csv``: the exact sentence or table row it appears in,
the figure as printed, what it is about, what it compares, and the article's
own citation marker. ``claims/claim_readings.csv`` translates each claim into the
estimand(s) a cohort can test, with the assumptions the translation needs; an
ambiguous claim ("lowers relapse rates by approximately 10%") has one row per
reasonable reading (relative, or percentage points).

What is deliberately not a claim: section numbers and the "10" of the title
"10 Benefits of Peer Support in Recovery" (a list count), the article date, and
the years in "a 2022 SAMHSA study" / "a 2022 study" (dates, not findings).

"""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd
from ..core.formatting import plain

__all__ = ["SOURCES", "NIDA_RANGE", "readings", "registry"]

#: seed file -> (short name, title as printed)
SOURCES = {
    "000_7c043d74180a1d70.txt": ("000", "The Role of Peer Support in Long-Term Sobriety"),
    "003_ff7c981e9dde9836.txt": ("003", "10 Benefits of Peer Support in Recovery"),
    "004_028f14ac17c65239.txt": ("004", "How Peer Support Strengthens Long-Term Sobriety"),
}
NIDA_RANGE = (0.40, 0.60)


@functools.lru_cache(maxsize=1)
def _claims() -> pd.DataFrame:
    with resources.files("outcomes.claims").joinpath("claims.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype={"citation": str, "horizon": str}, keep_default_na=False,
                           na_values={"value": [""], "low": [""], "high": [""]})


@functools.lru_cache(maxsize=1)
def _readings() -> pd.DataFrame:
    with resources.files("outcomes.claims").joinpath("claim_readings.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, keep_default_na=False, na_values={"value": [""], "low": [""], "high": [""]})


def registry() -> pd.DataFrame:
    """Every numeric figure in the articles, one row each.

    Columns: ``claim_id, source, title, quote, figure, value, low, high, unit, kind,
    outcome, comparison, horizon, citation, readings`` (``readings`` summarises
    the estimands of :func:`readings`).

    Examples
    --------
    >>> import outcomes as oc
    >>> reg = oc.claims.registry()
    >>> reg.set_index("claim_id").loc["H004-co-occurring-42.8", "figure"]
    '42.8%'
    """
    claims = _claims().copy()
    claims.insert(2, "title", claims["source"].map(lambda f: SOURCES[f][1]))
    summary = readings().groupby("claim_id", sort=False).apply(
        lambda r: "; ".join(f"{row.reading}: {row.estimand} {_claimed_text(row)}" for row in r.itertuples()),
        include_groups=False,
    )
    claims["readings"] = claims["claim_id"].map(summary)
    return claims


def readings() -> pd.DataFrame:
    """The estimand(s) each claim translates to.

    Columns: ``claim_id, reading, estimand, value, low, high, bound, assumptions``.
    """
    return _readings().copy()


def _claimed_text(row) -> str:
    if row.bound == "range":
        return f"{plain(row.low)} to {plain(row.high)}"
    if row.bound == "at most":
        return f"at most {plain(row.value)}"
    return f"{plain(row.value)}"
