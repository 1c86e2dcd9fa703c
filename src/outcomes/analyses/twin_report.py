"""``twin_report``: how useful and how private a synthetic twin is (see :mod:`outcomes.synthetic.twin`).

Its hazard ratios and 12-month rates beside the real ones with their intervals, records copied (none: any
twin record equal to a real one on every quasi-identifier and time is drawn again), and each twin record's
distance to the closest real record against the real records' distance to their own nearest neighbour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.errors import InputError, NotEstimableError
from ..core.results import Result
from ..core.style import OKABE_ITO, new_axes
from ..model import schema as s
from ..model.cohort import Cohort
from ..synthetic.twin import MATCH_COLUMNS, MATCH_LABELS, copied_records
from .compare_arms import compare_arms
from .competing import cumulative_incidence

__all__ = ["TwinReport", "closest_distances", "twin_report"]


def _gower_parts(real: pd.DataFrame, twin: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, ...]:
    """Numbers scaled by the real range, and categories coded alike in both frames."""
    num_r, num_t, cat_r, cat_t = [], [], [], []
    for c in columns:
        r, t = real[c], twin[c]
        if c == s.ENROLL_DATE:
            origin = pd.to_datetime(r).min()
            r, t = ((pd.to_datetime(v) - origin).dt.days.astype(float) for v in (r, t))
        if pd.api.types.is_numeric_dtype(r) and not pd.api.types.is_bool_dtype(r):
            span = float(np.nanmax(r) - np.nanmin(r)) or 1.0
            num_r.append(r.to_numpy(float) / span)
            num_t.append(pd.to_numeric(t).to_numpy(float) / span)
        else:
            codes = pd.factorize(pd.concat([r.astype(str), t.astype(str)], ignore_index=True))[0]
            cat_r.append(codes[: len(r)])
            cat_t.append(codes[len(r):])
    stack = lambda parts, n: np.column_stack(parts) if parts else np.zeros((n, 0))  # noqa: E731
    return stack(num_r, len(real)), stack(num_t, len(twin)), stack(cat_r, len(real)), stack(cat_t, len(twin))


def closest_distances(real: pd.DataFrame, twin: pd.DataFrame, columns: list[str],
                      exclude_self: bool = False) -> np.ndarray:
    """Gower distance (0 = identical, 1 = different in every column) from each twin row to the closest real row.

    A missing number differs from everything but another missing number. With ``exclude_self`` (``twin`` is
    ``real``) each row's own distance is ignored: the real records' nearest-neighbour distance.
    """
    num_r, num_t, cat_r, cat_t = _gower_parts(real, twin, columns)
    out = np.empty(len(twin))
    for start in range(0, len(twin), 256):
        block = slice(start, start + 256)
        diff = np.abs(num_t[block, None, :] - num_r[None, :, :])
        both_missing = np.isnan(num_t[block, None, :]) & np.isnan(num_r[None, :, :])
        diff = np.where(both_missing, 0.0, np.where(np.isnan(diff), 1.0, np.minimum(diff, 1.0)))
        total = diff.sum(axis=2) + (cat_t[block, None, :] != cat_r[None, :, :]).sum(axis=2)
        if exclude_self:
            rows = np.arange(start, min(start + 256, len(twin)))
            total[rows - start, rows] = np.inf
        out[block] = total.min(axis=1) / len(columns)
    return out


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class TwinReport(Result):
    """How useful and how private a synthetic twin is.

    Attributes
    ----------
    utility : DataFrame
        ``measure, real, real_ci_lower, real_ci_upper, twin, twin_inside_real_ci``: hazard ratios, relapse by
        day 365 (Kaplan-Meier) and dropout by day 180 (cumulative incidence) per arm.
    privacy : DataFrame
        ``measure, value``: records copied, and the distances below.
    copied : int
        Twin records equal to a real one on every quasi-identifier and time (0 for a twin made here).
    distance_to_closest_real, real_nearest_neighbour : ndarray
        Gower distance of each twin record to the closest real record, and of each real record to its
        closest other real record (the baseline: a twin no closer than real people are to one another
        adds no risk of its own).
    """

    utility: pd.DataFrame
    privacy: pd.DataFrame
    copied: int
    columns: tuple[str, ...]
    distance_to_closest_real: np.ndarray = field(repr=False)
    real_nearest_neighbour: np.ndarray = field(repr=False)

    @property
    def title(self) -> str:
        return "Synthetic twin: utility and privacy"

    def table(self) -> pd.DataFrame:
        return self.utility

    def plot(self, ax=None):
        """Each utility measure: the real estimate with its interval, and the twin's estimate beside it."""
        ax = new_axes(ax, figsize=(6.0, max(2.5, 0.45 * len(self.utility) + 1)))
        u = self.utility
        y = np.arange(len(u))
        ax.hlines(y, u.real_ci_lower, u.real_ci_upper, color=OKABE_ITO[5], linewidth=2, label="real (95% CI)")
        ax.plot(u.real, y, "o", color=OKABE_ITO[5])
        ax.plot(u.twin, y, "D", color=OKABE_ITO[0], label="twin")
        ax.set_yticks(y, u.measure.tolist(), fontsize="small")
        ax.invert_yaxis()
        ax.set_title(self.title, fontsize="medium")
        ax.legend(frameon=False, fontsize="small")
        return ax

    def notes(self) -> list[str]:
        inside = int(self.utility.twin_inside_real_ci.sum())
        d, nn = self.distance_to_closest_real, self.real_nearest_neighbour
        copied = "No twin record equals" if self.copied == 0 else f"{self.copied} twin records equal"
        return [f"{inside} of {len(self.utility)} twin estimates fall inside the real 95% confidence intervals.",
                f"{copied} a real record on {', '.join(MATCH_LABELS.get(c, c) for c in self.columns)}.",
                f"Distance from a twin record to the closest real record (Gower, 0 = identical, 1 = different in "
                f"every column): median {np.median(d):.3f}, 5th percentile {np.percentile(d, 5):.3f}; between real "
                f"records and their nearest real neighbour: median {np.median(nn):.3f}, 5th percentile "
                f"{np.percentile(nn, 5):.3f}."]


def _utility_rows(real: Cohort, twin: Cohort, alpha: float) -> list[dict]:
    """Hazard ratios; relapse by day 365 (Kaplan-Meier) and dropout by day 180 (cumulative incidence, the
    other exits competing) per arm, where both cohorts follow people that long."""
    rows = []
    for outcome in ("relapse", "retention"):
        if outcome not in real.outcomes:
            continue
        a, b = (compare_arms(c, outcome, alpha=alpha) for c in (real, twin))
        hr = a.hazard_ratio
        rows.append({"measure": f"hazard ratio of {a.event}", "real": hr.value, "real_ci_lower": hr.ci_lower,
                     "real_ci_upper": hr.ci_upper, "twin": b.hazard_ratio.value})
        try:
            if outcome == "relapse":
                day = 365
                at = [1 - c.survival_at([day]).set_index("arm")[["survival", "ci_upper", "ci_lower"]]
                      for c in (a, b)]
            else:
                day = 180
                at = [cumulative_incidence(c, alpha=alpha).cif_at([day]).set_index("arm")[
                    ["cif", "ci_lower", "ci_upper"]] for c in (real, twin)]
        except NotEstimableError:
            continue  # follow-up too short for that day in one of them
        for arm in real.arms:
            x, y = at[0].loc[arm].to_numpy(), at[1].loc[arm].to_numpy()
            rows.append({"measure": f"{a.event} by day {day}, {s.arm_label(arm)}", "real": x[0],
                         "real_ci_lower": x[1], "real_ci_upper": x[2], "twin": y[0]})
    return rows


def twin_report(real: Cohort, twin: Cohort, alpha: float = 0.05) -> TwinReport:
    """Compare a twin with the cohort it mirrors: estimates (utility) and closeness of records (privacy).

    Examples
    --------
    >>> import outcomes as oc
    >>> real = oc.synthetic_cohort(n=600, seed=2)
    >>> report = oc.twin_report(real, oc.synthetic_twin(real, seed=1))
    >>> report.copied, list(report.utility.columns)[:2]
    (0, ['measure', 'real'])
    """
    if not isinstance(real, Cohort) or not isinstance(twin, Cohort):
        raise InputError("twin_report compares two Cohorts: the real one and its twin")
    rows = _utility_rows(real, twin, alpha)
    utility = pd.DataFrame(rows)
    utility["twin_inside_real_ci"] = (utility.twin >= utility.real_ci_lower) & (utility.twin <= utility.real_ci_upper)
    columns = [c for c in MATCH_COLUMNS if c in real.df.columns and c in twin.df.columns]
    copied = int(copied_records(real.df, twin.df).sum())
    d = closest_distances(real.df, twin.df, columns)
    nn = closest_distances(real.df, real.df, columns, exclude_self=True)
    privacy = pd.DataFrame({"measure": ["records copied", "median distance to the closest real record",
                                        "median distance between real nearest neighbours",
                                        "share of twin records closer to a real one than the closest 5% of real pairs"],
                            "value": [float(copied), float(np.median(d)), float(np.median(nn)),
                                      float(np.mean(d < np.percentile(nn, 5)))]})
    return TwinReport(utility=utility, privacy=privacy, copied=copied, columns=tuple(columns),
                      distance_to_closest_real=d, real_nearest_neighbour=nn)
