"""The consistency audit of the articles' relapse and retention claims.

:func:`audit` works out what the relapse and retention claims imply on common
scales (12-month risk ratio, hazard ratio under proportional hazards) across
the baseline range the articles themselves give (NIDA's 40-60%), and which pairs
of claims cannot both hold there, with the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from ..core.errors import InputError
from ..core.results import Result
from ..core.style import ESTIMATE_COLOR, new_axes
from .catalog import NIDA_RANGE, readings
from ..core.formatting import plain

__all__ = ["ClaimsAudit", "audit", "hazard_ratio_from_risks", "hazard_ratio_from_survival"]


@dataclass(frozen=True)
class _Position:
    """A distinct claimed effect (claims saying the same thing share one)."""

    label: str
    claim_ids: tuple[str, ...]
    outcome: str  # relapse or retention
    estimand: str
    value: float
    low: float
    high: float
    bound: str

    def peer_risk(self, p0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Interval of the peer arm's risk (12-month relapse, or dropout by program end) implied at baseline ``p0``."""
        p0 = np.asarray(p0, dtype=float)
        e, v = self.estimand, self.value
        if e in ("relapse_risk_ratio_12m",):
            lo = hi = v * p0
        elif e == "relapse_risk_difference_12m":
            lo = hi = p0 + v
        elif e == "sobriety_ratio_12m":
            lo = 1 - v * (1 - p0)
            if self.bound == "at most":  # any effect up to the bound: from (almost) no relapse to the baseline
                lo, hi = np.maximum(lo, 0.0), p0
            else:
                hi = lo
        elif e == "sobriety_ratio_10y":
            hr = hazard_ratio_from_survival(0.21, 0.33)
            lo = hi = 1 - (1 - p0) ** hr
        elif e == "retention_ratio":
            lo = 1 - v * (1 - p0)
            if self.bound == "at most":
                lo, hi = np.maximum(lo, 0.0), p0
            else:
                hi = lo
        elif e == "dropout_ratio":
            lo, hi = self.low * p0, self.high * p0
        else:  # pragma: no cover - positions are built only from the estimands above
            raise ValueError(e)
        lo, hi = np.broadcast_to(lo, p0.shape).astype(float), np.broadcast_to(hi, p0.shape).astype(float)
        feasible = (lo >= 0) & (hi <= 1) & (lo <= hi)
        return np.where(feasible, lo, np.nan), np.where(feasible, hi, np.nan)


def hazard_ratio_from_risks(p0: float | np.ndarray, p1: float | np.ndarray) -> np.ndarray:
    """HR under proportional hazards from two risks at the same time: ``log(1 - p1) / log(1 - p0)``.

    >>> round(float(hazard_ratio_from_risks(0.5, 0.325)), 3)
    0.567
    """
    r0, r1 = np.asarray(p0, dtype=float), np.asarray(p1, dtype=float)
    if not (np.all((r0 > 0) & (r0 < 1)) and np.all((r1 >= 0) & (r1 < 1))):
        raise InputError(f"the reference risk must be strictly between 0 and 1 and the other at least 0 and below 1 "
                         f"(a risk of 1 implies no finite hazard ratio), not {float(np.max(r0))!r} and "
                         f"{float(np.max(r1))!r}")
    return _hr_from_risks(r0, r1)


def _hr_from_risks(p0: float | np.ndarray, p1: float | np.ndarray) -> np.ndarray:
    """The same, unchecked, for the audit's grids (where a claim may imply no risk at a baseline: NaN)."""
    return np.log(1 - np.asarray(p1, dtype=float)) / np.log(1 - np.asarray(p0, dtype=float))


def hazard_ratio_from_survival(s0: float, s1: float) -> float:
    """HR under proportional hazards from two survival (abstinence) probabilities: ``log s1 / log s0``.

    >>> round(hazard_ratio_from_survival(0.21, 0.33), 4)
    0.7104
    """
    if not (0 < s0 < 1 and 0 < s1 < 1):
        raise InputError(f"survival probabilities must be strictly between 0 and 1, not {s0!r} and {s1!r}")
    return float(np.log(s1) / np.log(s0))


_AUDITED = {
    "relapse_risk_ratio_12m": "relapse", "relapse_risk_difference_12m": "relapse", "sobriety_ratio_12m": "relapse",
    "sobriety_ratio_10y": "relapse", "retention_ratio": "retention", "dropout_ratio": "retention",
}
_WORDS = {
    "relapse_risk_ratio_12m": lambda p: f"{100 * (1 - p.value):.0f}% lower 12-month relapse risk",
    "relapse_risk_difference_12m": lambda p: f"{-100 * p.value:.0f} percentage points lower 12-month relapse risk",
    "sobriety_ratio_12m": lambda p: (f"up to {plain(p.value)} times as likely to stay sober" if p.bound == "at most"
                                     else f"{plain(p.value)} times as likely to stay sober"),
    "sobriety_ratio_10y": lambda p: "10-year abstinence 21% vs 33%",
    "retention_ratio": lambda p: (f"up to {100 * (p.value - 1):.0f}% higher retention" if p.bound == "at most"
                                  else f"{100 * (p.value - 1):.0f}% higher retention"),
    "dropout_ratio": lambda p: f"{100 * (1 - p.high):.0f}-{100 * (1 - p.low):.0f}% fewer dropouts",
}


def _positions() -> list[_Position]:
    r = readings()
    r = r[r.estimand.isin(list(_AUDITED))]
    out = []
    for (estimand, value, low, high, bound), grp in r.groupby(["estimand", "value", "low", "high", "bound"],
                                                             dropna=False, sort=False):
        ids = tuple(grp.claim_id)
        pos = _Position("", ids, _AUDITED[estimand], estimand, value, low, high, bound)
        label = _WORDS[estimand](pos)
        out.append(_Position(label, ids, pos.outcome, estimand, value, low, high, bound))
    return out


def _compatible_baselines(a: _Position, b: _Position) -> list[tuple[float, float]]:
    """Baseline risks (0-1) at which the two claims' implied peer-arm risks overlap, as intervals."""
    grid = np.linspace(0.0005, 0.9995, 1999)

    def gap(p0):
        lo_a, hi_a = a.peer_risk(np.atleast_1d(p0))
        lo_b, hi_b = b.peer_risk(np.atleast_1d(p0))
        return np.minimum(hi_a, hi_b) - np.maximum(lo_a, lo_b)

    g = gap(grid)
    point_claims = (a.bound != "at most" and a.bound != "range") and (b.bound != "at most" and b.bound != "range")
    intervals: list[tuple[float, float]] = []
    if point_claims:  # overlap only where the curves cross: find the roots of the signed difference
        lo_a, _ = a.peer_risk(grid)
        lo_b, _ = b.peer_risk(grid)
        diff = lo_a - lo_b
        ok = ~np.isnan(diff)
        for crossing in np.flatnonzero(ok[:-1] & ok[1:] & (np.sign(diff[:-1]) != np.sign(diff[1:]))):
            i = int(crossing)
            root = optimize.brentq(lambda x: float(a.peer_risk(np.array([x]))[0][0] - b.peer_risk(np.array([x]))[0][0]),
                                   grid[i], grid[i + 1])
            intervals.append((root, root))
        return intervals
    ok = np.nan_to_num(g, nan=-1) >= -1e-12

    def overlaps(x: float) -> bool:
        return bool(np.nan_to_num(gap(x)[0], nan=-1.0) >= -1e-12)

    def edge(i: int) -> float:
        """Bisect the change of overlap between grid[i] and grid[i + 1] (overlap can be zero-width)."""
        inside, outside = (grid[i], grid[i + 1]) if ok[i] else (grid[i + 1], grid[i])
        for _ in range(60):
            mid = (inside + outside) / 2
            inside, outside = (mid, outside) if overlaps(mid) else (inside, mid)
        return float(inside)

    start: float | None = float(grid[0]) if ok[0] else None
    for i in range(len(grid) - 1):
        if not ok[i] and ok[i + 1]:
            start = edge(i)
        elif ok[i] and not ok[i + 1] and start is not None:  # an interval opens before it closes
            intervals.append((start, edge(i)))
            start = None
    if start is not None:
        intervals.append((start, float(grid[-1])))
    return intervals


def _implied_hr(pos: _Position, p0: float) -> tuple[float, float]:
    lo, hi = pos.peer_risk(np.array([p0]))
    return float(_hr_from_risks(p0, hi[0])), float(_hr_from_risks(p0, lo[0]))


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ClaimsAudit(Result):
    """What the relapse and retention claims imply, and which cannot both hold.

    Attributes
    ----------
    implied : DataFrame
        Per distinct claim and baseline risk (40% to 60% by 5 points): ``claim, claim_ids,
        outcome, baseline, peer_risk_low, peer_risk_high, risk_ratio_low, risk_ratio_high,
        hazard_ratio_low, hazard_ratio_high``.
    pairs : DataFrame
        ``claim_a, claim_b, outcome, compatible_baselines, verdict, arithmetic`` for every pair.
    baseline_range : (float, float)
        The baselines the articles give (NIDA's 40-60% for relapse).
    """

    implied: pd.DataFrame
    pairs: pd.DataFrame
    baseline_range: tuple[float, float]

    @property
    def title(self) -> str:
        n = int((self.pairs.verdict == "conflict").sum())
        return f"Consistency of the articles' relapse and retention claims: {n} conflicting pairs"

    def table(self) -> pd.DataFrame:
        return self.pairs

    def conflicts(self) -> pd.DataFrame:
        return self.pairs[self.pairs.verdict == "conflict"].reset_index(drop=True)

    def plot(self, ax=None):
        """Implied hazard ratio of each relapse claim across the 40-60% baseline range."""
        ax = new_axes(ax, figsize=(7.0, 4.0))
        rel = self.implied[self.implied.outcome == "relapse"]
        labels = list(dict.fromkeys(rel.claim))
        for i, label in enumerate(labels):
            part = rel[rel.claim == label]
            if part.hazard_ratio_low.isna().all():
                ax.text(1.0, i, "impossible at 40-60%", va="center", fontsize="small", color="grey")
                continue
            lo, hi = np.nanmin(part.hazard_ratio_low), np.nanmax(part.hazard_ratio_high)
            ax.plot([lo, hi], [i, i], color=ESTIMATE_COLOR, linewidth=6, solid_capstyle="butt")
            mid = part[np.isclose(part.baseline, 0.5)]
            if len(mid) and not np.isnan(mid.hazard_ratio_low.iloc[0]):
                ax.plot([mid.hazard_ratio_low.iloc[0]], [i], "o", color="black", markersize=4)
        ax.set_yticks(range(len(labels)), labels, fontsize="small")
        ax.axvline(1, color="grey", linewidth=0.8)
        ax.set_xlabel("implied hazard ratio (peer support + clinical vs clinical only)")
        ax.set_title("Implied hazard ratio across 40-60% baseline relapse (dot: 50%)", fontsize="medium")
        return ax


def audit(baseline_range: tuple[float, float] = NIDA_RANGE) -> ClaimsAudit:
    """Check the relapse and retention claims against each other.

    For relapse, a claim fixes the peer arm's 12-month relapse risk given the
    clinical-only baseline risk ``p0``; under proportional hazards its hazard
    ratio is ``log(1 - p1) / log(1 - p0)``. Two claims are compatible at the
    baselines where their implied peer risks coincide (or overlap, for ranges
    and "up to" claims); a pair is a conflict when no baseline inside
    ``baseline_range`` reconciles them. Retention claims are checked the same
    way on the share dropping out by program end (retention = not dropped out);
    the articles give no baseline for it, so any baseline from 0 to 1 counts.

    Examples
    --------
    >>> import outcomes as oc
    >>> res = oc.claims.audit()
    >>> pair = res.pairs.query("claim_a == '35% lower 12-month relapse risk' "
    ...                        "and claim_b == '2 times as likely to stay sober'")
    >>> pair.compatible_baselines.item()
    '74.1%'
    """
    positions = _positions()
    low, high = baseline_range
    rows = []
    for pos in positions:
        for p0 in np.round(np.arange(low, high + 1e-9, 0.05), 2):
            lo, hi = pos.peer_risk(np.array([p0]))
            hr_hi = _hr_from_risks(p0, lo[0]) if not np.isnan(lo[0]) else np.nan
            hr_lo = _hr_from_risks(p0, hi[0]) if not np.isnan(hi[0]) else np.nan
            rows.append({"claim": pos.label, "claim_ids": ", ".join(pos.claim_ids), "outcome": pos.outcome,
                         "baseline": p0, "peer_risk_low": lo[0], "peer_risk_high": hi[0],
                         "risk_ratio_low": lo[0] / p0, "risk_ratio_high": hi[0] / p0,
                         "hazard_ratio_low": min(hr_lo, hr_hi), "hazard_ratio_high": max(hr_lo, hr_hi)})
    implied = pd.DataFrame(rows)

    pairs = []
    for i, a in enumerate(positions):
        for b in positions[i + 1:]:
            if a.outcome != b.outcome:
                continue
            intervals = _compatible_baselines(a, b)
            lo_allowed, hi_allowed = (low, high) if a.outcome == "relapse" else (0.0, 1.0)
            inside = [(x, y) for x, y in intervals if y >= lo_allowed - 1e-9 and x <= hi_allowed + 1e-9]
            text = ", ".join(f"{100 * x:.1f}%" if abs(x - y) < 1e-9 else f"{100 * x:.1f}-{100 * y:.1f}%"
                             for x, y in intervals) or "none"
            verdict = "compatible" if inside else "conflict"
            pairs.append({"claim_a": a.label, "claim_b": b.label, "outcome": a.outcome,
                          "claim_ids_a": ", ".join(a.claim_ids), "claim_ids_b": ", ".join(b.claim_ids),
                          "compatible_baselines": text, "verdict": verdict,
                          "arithmetic": _arithmetic(a, b, intervals, verdict, baseline_range)})
    return ClaimsAudit(implied=implied, pairs=pd.DataFrame(pairs), baseline_range=baseline_range)


def _arithmetic(a: _Position, b: _Position, intervals, verdict: str, baseline_range) -> str:
    what = ("baseline 12-month relapse risk" if a.outcome == "relapse"
            else "share of clinical-only participants dropping out")
    if a.outcome == "relapse":
        def hr_text(p):
            lo, hi = _implied_hr(p, 0.5)
            if np.isnan(lo) and np.isnan(hi):
                return f"'{p.label}' is impossible at a 50% baseline"
            lo, hi = sorted((max(lo, 0.0) + 0.0, max(hi, 0.0) + 0.0))  # no '-0.00'
            if hi < 5e-3:
                return f"'{p.label}' implies HR 0 at a 50% baseline (nobody relapses)"
            upper = f"-{hi:.2f}" if abs(hi - lo) > 5e-3 else ""
            return f"'{p.label}' implies HR {lo:.2f}{upper} at a 50% baseline"
        lead = f"{hr_text(a)}; {hr_text(b)}. "
    else:
        lead = ""
    if not intervals:
        return lead + f"No {what} reconciles them."
    where = ", ".join(f"{100 * x:.1f}%" if abs(x - y) < 1e-9 else f"{100 * x:.1f}% to {100 * y:.1f}%"
                      for x, y in intervals)
    if verdict == "conflict":
        lo, hi = baseline_range
        return (lead + f"Both hold only at a {what} of {where}, outside the {100 * lo:.0f}-{100 * hi:.0f}% the "
                "articles cite.")
    return lead + f"Both hold at a {what} of {where}."
