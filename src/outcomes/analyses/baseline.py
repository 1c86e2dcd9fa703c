"""``baseline_table``: "Table 1. Baseline characteristics by arm", the table every reviewer reads first.

It follows R's ``tableone`` (``CreateTableOne(vars, strata = "arm", data, factorVars, smd = TRUE)``):

- a row ``n`` with each arm's participants;
- a number: ``mean (SD)`` (sample SD), or ``median [Q1, Q3]`` (R's default quantiles) for those named
  ``nonnormal``; its SMD is ``|m1 - m0| / sqrt((s1^2 + s0^2) / 2)``;
- a category (text, or a 0/1 column): ``count (%)`` of the non-missing, one row per level, except that a
  two-level variable shows only its second level (``Sex = male``), as tableone prints it; its SMD is Yang and
  Dalton's over the levels (for two levels, ``|p1 - p0| / sqrt((p1(1 - p1) + p0(1 - p0)) / 2)``);
- ``Missing``: the participants without a value, with their share of everyone.

With ``weights="iptw"`` the means, SDs, shares and SMDs are weighted by the stabilized inverse probability of
treatment weights (as ``svyCreateTableOne``), so the table shows the balance the weighted analysis relies on.

In the displayed table (:meth:`BaselineTable.display_table`) a count from 1 to 10 shows as ``<11``; a count that
the arm's total would reveal alongside it shows as ``suppressed``; an arm of fewer than 11 participants shows no
summary at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core import formatting as fmt
from ..core.caveats import quiet_caveats
from ..core.disclosure import SUPPRESSED, is_small, revealed, show_count
from ..core.errors import InputError
from ..core.results import Result
from ..core.style import ARM_COLORS, new_axes
from ..model import schema as s
from ..model.cohort import Cohort
from ..model.labels import level_label, variable_label
from .propensity import PropensityWeights, propensity_weights

__all__ = ["BaselineTable", "baseline_table", "baseline_table_of_counts"]

HIDDEN = "suppressed"


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class BaselineTable(Result):
    """Baseline characteristics by arm.

    Attributes
    ----------
    rows : DataFrame
        One row per shown line: ``variable``, ``level`` ("" for a number), ``kind`` ("n", "mean", "median",
        "level"); per arm ``a`` in 0, 1: ``n_a`` (non-missing, weighted when weighted), ``count_a`` (a level's
        participants, unweighted), ``value_a`` (mean, median or share), ``spread_a`` (SD) or ``q1_a``/``q3_a``;
        ``missing``, ``smd`` (on the variable's first line).
    arms : (str, str)
    weighted : bool
    """

    rows: pd.DataFrame
    arms: tuple[str, str]
    weighted: bool
    arm_n: tuple[int, int]

    @property
    def title(self) -> str:
        weighted = " (weighted by IPTW)" if self.weighted else ""
        return f"Table 1. Baseline characteristics by arm{weighted}"

    def table(self) -> pd.DataFrame:
        return self.rows.copy()

    def display_table(self) -> pd.DataFrame:
        """The table as it is printed: ``Characteristic``, one column per arm, ``Missing``, ``SMD``."""
        return _displayed(self)

    def plot(self, ax=None):
        """|SMD| per characteristic, with the 0.1 line conventionally read as balance."""
        ax = new_axes(ax)
        first = self.rows[self.rows.smd.notna() & (self.rows.kind != "n")]
        labels = [variable_label(v) for v in first.variable]
        ax.scatter(first.smd, range(len(first)), color=ARM_COLORS[1])
        ax.axvline(0.1, color="grey", linestyle="--", linewidth=0.8)
        ax.set_yticks(range(len(first)), labels)
        ax.set_xlabel("standardized mean difference (absolute)")
        ax.set_title(self.title, fontsize="small")
        return ax


def baseline_table(cohort: Cohort, covariates: Sequence[str] | None = None, *, nonnormal: Sequence[str] = (),
                   weights: str | None = None, propensity: PropensityWeights | None = None) -> BaselineTable:
    """Table 1: each covariate by arm, with the standardized mean difference (R's ``tableone`` conventions).

    Parameters
    ----------
    cohort : Cohort
    covariates : columns, optional
        Default: the cohort's covariates.
    nonnormal : columns
        Numbers summarised as median [Q1, Q3] instead of mean (SD).
    weights : None or "iptw"
        Weighted by stabilized IPTW weights from a propensity model on ``covariates`` (complete cases), or on
        ``propensity``'s covariates when an analysis's model is given (the weights the analysis used).

    Examples
    --------
    >>> import outcomes as oc
    >>> t = oc.baseline_table(oc.synthetic_cohort(n=400, seed=1), ["age", "sex", "co_occurring_mh"])
    >>> t.display_table().columns.tolist()
    ['Characteristic', 'Clinical only', 'Peer support + clinical', 'Missing', 'SMD']
    """
    covariates = list(cohort.covariates if covariates is None else covariates)
    unknown = [c for c in [*covariates, *nonnormal] if c not in cohort.df.columns]
    if unknown:
        raise InputError(f"baseline_table: column {unknown[0]!r} is not in the cohort; it has "
                         f"{list(cohort.df.columns)}")
    if not covariates:
        raise InputError("baseline_table needs at least one covariate (the cohort names none)")
    if weights not in (None, "iptw"):
        raise InputError(f"weights must be None or 'iptw', not {weights!r}")
    df = cohort.df
    treated = (df[s.ARM].astype(str) == cohort.treatment).to_numpy()
    w = np.ones(len(df))
    if weights == "iptw":
        with quiet_caveats():
            fitted = propensity if propensity is not None else propensity_weights(cohort, covariates)
        w = np.zeros(len(df))
        w[fitted.rows] = fitted.weights
    return _table(df, covariates, cohort.arms, treated, w, np.ones(len(df)), nonnormal, weights == "iptw")


def baseline_table_of_counts(patterns: pd.DataFrame, covariates: Sequence[str], arms: tuple[str, str], *,
                             nonnormal: Sequence[str] = ()) -> BaselineTable:
    """Table 1 from participants counted per arm and covariate values (a scanned cohort's ``GROUP BY``), equal to
    :func:`baseline_table` of their rows (unweighted): ``patterns`` has ``arm``, the covariates (blank: missing)
    and ``n``, the participants with those values.

    Examples
    --------
    >>> import pandas as pd
    >>> patterns = pd.DataFrame({"arm": ["a", "a", "b", "b"], "sex": ["female", "male", "female", "male"],
    ...                          "n": [30, 20, 25, 25]})
    >>> baseline_table_of_counts(patterns, ["sex"], ("a", "b")).table().value_1.round(2).tolist()
    [nan, 0.5]
    """
    missing = [c for c in [s.ARM, "n", *covariates] if c not in patterns.columns]
    if missing:
        raise InputError(f"the participant counts have no column {missing[0]!r}; they need arm, the covariates "
                         "and n")
    treated = (patterns[s.ARM].astype(str) == str(arms[1])).to_numpy()
    counts = patterns["n"].to_numpy(float)
    return _table(patterns, list(covariates), arms, treated, counts, counts, nonnormal, False)


def _table(df: pd.DataFrame, covariates: Sequence[str], arms: tuple[str, str], treated: np.ndarray, w: np.ndarray,
           c: np.ndarray, nonnormal: Sequence[str], weighted: bool) -> BaselineTable:
    """The rows of Table 1: ``w`` each row's weight (1, an IPTW weight, or its participants), ``c`` its
    participants (1 for a participant's own row)."""
    arm_n = (int(c[~treated].sum()), int(c[treated].sum()))
    rows = [{"variable": "n", "level": "", "kind": "n", "n_0": float(w[~treated].sum()),
             "n_1": float(w[treated].sum()), "count_0": arm_n[0], "count_1": arm_n[1], "missing": 0, "smd": np.nan}]
    for name in covariates:
        rows.extend(_variable_rows(df[name], name, treated, w, c, name in nonnormal))
    return BaselineTable(rows=pd.DataFrame(rows), arms=arms, weighted=weighted, arm_n=arm_n)


def _is_categorical(values: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return True
    return bool(set(values.dropna().unique()) <= {0, 1})


def _variable_rows(values: pd.Series, name: str, treated: np.ndarray, w: np.ndarray, c: np.ndarray,
                   nonnormal: bool) -> list[dict]:
    blank = values.isna().to_numpy()
    present = ~blank & (w > 0)
    missing = int(c[blank].sum())
    if _is_categorical(values):
        return _level_rows(values, name, treated, w, c, present, missing)
    x = values.to_numpy(float)
    stats = []
    for arm in (0, 1):
        keep = present & (treated == bool(arm))
        stats.append(_number_summary(x[keep], w[keep], c[keep], nonnormal))
    smd = _smd_number(stats[0], stats[1])
    row = {"variable": name, "level": "", "kind": "median" if nonnormal else "mean", "missing": missing, "smd": smd}
    for arm, st in enumerate(stats):
        row |= {f"{k}_{arm}": v for k, v in st.items()}
    return [row]


def _number_summary(x: np.ndarray, w: np.ndarray, c: np.ndarray, nonnormal: bool) -> dict[str, float]:
    n = float(w.sum())
    if len(x) == 0:
        return {"n": 0.0, "count": 0, "value": np.nan, "spread": np.nan, "q1": np.nan, "q3": np.nan}
    mean = float(np.average(x, weights=w))
    # tableone: sd() (n - 1); weighted, survey's variance (sum of weights - 1); counted rows: the same as sd()
    variance = float(np.sum(w * (x - mean) ** 2) / (n - 1)) if n > 1 else np.nan
    out = {"n": n, "count": int(c.sum()), "value": mean, "spread": float(np.sqrt(variance)), "q1": np.nan,
           "q3": np.nan, "mean": mean, "variance": variance}
    if nonnormal:
        out |= {"value": _quantile(x, w, c, 0.5), "q1": _quantile(x, w, c, 0.25), "q3": _quantile(x, w, c, 0.75)}
    return out


def _quantile(x: np.ndarray, w: np.ndarray, c: np.ndarray, q: float) -> float:
    if np.all(c == 1) and np.all(w == w[0]):
        return float(np.quantile(x, q))  # R's type 7, as tableone
    if np.array_equal(w, c):  # rows that count participants, unweighted: type 7 of the participants' values
        return _counted_quantile(x, c, q)
    order = np.argsort(x)
    cumulative = np.cumsum(w[order]) / w.sum()
    return float(x[order][np.searchsorted(cumulative, q)])


def _counted_quantile(x: np.ndarray, c: np.ndarray, q: float) -> float:
    """R's type 7 quantile of the values ``x`` each held by ``c`` participants (as if each were a row)."""
    order = np.argsort(x, kind="stable")
    values, reach = x[order], np.cumsum(c[order])  # the participants up to each value
    h = (reach[-1] - 1) * q
    low = values[np.searchsorted(reach, np.floor(h), side="right")]
    high = values[np.searchsorted(reach, min(np.floor(h) + 1, reach[-1] - 1), side="right")]
    return float(low + (h - np.floor(h)) * (high - low))


def _smd_number(a: dict[str, float], b: dict[str, float]) -> float:
    pooled = np.sqrt((a.get("variance", np.nan) + b.get("variance", np.nan)) / 2)
    return float(abs(b["mean"] - a["mean"]) / pooled) if pooled > 0 else 0.0


def _level_rows(values: pd.Series, name: str, treated: np.ndarray, w: np.ndarray, c: np.ndarray,
                present: np.ndarray, missing: int) -> list[dict]:
    codes, uniques = pd.factorize(values)  # each row's level found once (a comparison per level and arm took
    levels = sorted(uniques, key=lambda v: (str(type(v)), v))  # 1 s of Table 1 at 1M participants, measured)
    level_of = np.append([levels.index(u) for u in uniques], -1)[codes]  # -1: blank
    shares = np.zeros((2, len(levels)))
    counts = np.zeros((2, len(levels)), dtype=int)
    totals = np.zeros(2)
    for arm in (0, 1):
        keep = present & (treated == bool(arm))
        totals[arm] = w[keep].sum()
        counts[arm] = np.bincount(level_of[keep], weights=c[keep], minlength=len(levels)).round()
        shares[arm] = np.bincount(level_of[keep], weights=w[keep], minlength=len(levels)) / totals[arm] \
            if totals[arm] > 0 else np.nan
    smd = _smd_levels(shares[0], shares[1])
    shown = levels[1:] if len(levels) == 2 else levels  # tableone prints a two-level variable's second level
    rows: list[dict] = []
    for level in shown:
        k = levels.index(level)
        rows.append({"variable": name, "level": level_label(level), "kind": "level", "n_0": totals[0],
                     "n_1": totals[1], "count_0": counts[0, k], "count_1": counts[1, k], "value_0": shares[0, k],
                     "value_1": shares[1, k], "missing": missing, "smd": smd if not rows else np.nan,
                     "levels": len(levels)})
    return rows


def _smd_levels(p0: np.ndarray, p1: np.ndarray) -> float:
    """Yang and Dalton's SMD of a categorical variable (tableone's ``StdDiff`` of a factor)."""
    if len(p0) < 2 or np.isnan(p0).any() or np.isnan(p1).any():
        return np.nan
    t, c = p1[1:], p0[1:]
    cov = (np.diag(t * (1 - t) + c * (1 - c)) - np.outer(t, t) - np.outer(c, c)) / 2
    np.fill_diagonal(cov, (t * (1 - t) + c * (1 - c)) / 2)
    diff = t - c
    try:
        value = float(np.sqrt(diff @ np.linalg.pinv(cov) @ diff))
    except np.linalg.LinAlgError:
        return np.nan
    return value


# ------------------------------------------------------------------------------------------ display
def _displayed(t: BaselineTable) -> pd.DataFrame:
    """The printed table, every count 1-10 hidden and the cells that would reveal one by subtraction too."""
    names = [s.arm_label(a) for a in t.arms]
    small_arm = [is_small(n) for n in t.arm_n]
    out = []
    for _, group in t.rows.groupby("variable", sort=False):
        hide = _hidden_levels(group, t.arm_n)
        for (_, row), hidden in zip(group.iterrows(), hide):
            out.append({"Characteristic": _characteristic(row),
                        **{names[a]: _cell(row, a, hidden[a], small_arm[a], t.weighted, small_arm[1 - a])
                           for a in (0, 1)},
                        "Missing": _missing(row, sum(t.arm_n)) if row.kind != "n" else "",
                        "SMD": fmt.number(row.smd, 3) if pd.notna(row.smd) else ""})
    return pd.DataFrame(out, columns=["Characteristic", *names, "Missing", "SMD"])


def _characteristic(row: pd.Series) -> str:
    if row.kind == "n":
        return "n"
    label = variable_label(row.variable)
    if row.kind == "mean":
        return f"{label}, mean (SD)"
    if row.kind == "median":
        return f"{label}, median [IQR]"
    if row.get("levels") == 2:  # tableone's "sex = male"; a 0/1 column: the count of 1s, by its name
        return f"{label}, n (%)" if row.level == "1" else f"{label} = {row.level}, n (%)"
    return f"{label}: {row.level}, n (%)"


def _hidden_levels(group: pd.DataFrame, arm_n: tuple[int, int]) -> list[list[str]]:
    """Per row and arm: "" (shown), "small" (a count 1-10) or "complement" (it would reveal one)."""
    marks = [["", ""] for _ in range(len(group))]
    if group.kind.iloc[0] != "level":
        return marks
    for arm in (0, 1):
        counts = group[f"count_{arm}"].to_numpy()
        for i, c in enumerate(counts):
            if is_small(c):
                marks[i][arm] = "small"
        rest = arm_n[arm] - counts.sum()  # the levels not shown and the missing: derivable from the arm's n
        while True:  # the arm's n is stated: no hidden level (nor a small rest) may follow from it
            hidden = [counts[i] for i in range(len(counts)) if marks[i][arm]]
            order = [i for i in np.argsort(counts) if not marks[i][arm] and counts[i] > 0]
            exposed = revealed(hidden) if rest == 0 else (is_small(rest) and not hidden) or (
                bool(hidden) and revealed([*hidden, rest]) and not is_small(rest))
            if not order or not exposed:
                break
            marks[order[0]][arm] = "complement"
    return marks


def _cell(row: pd.Series, arm: int, hidden: str, small_arm: bool, weighted: bool,
          other_small: bool = False) -> str:
    if row.kind == "n":
        if other_small and not small_arm:  # beside the total the report states, it would reveal the small arm
            return HIDDEN
        return show_count(row[f"n_{arm}"]) if not weighted else fmt.number(row[f"n_{arm}"], 1)
    if small_arm:
        return "not shown (<11 participants)"
    if hidden == "small":
        return SUPPRESSED
    if hidden == "complement":
        return HIDDEN
    value = row[f"value_{arm}"]
    if pd.isna(value):
        return "no values"
    if row.kind == "mean":
        return f"{value:,.2f} ({row[f'spread_{arm}']:,.2f})"
    if row.kind == "median":
        return f"{value:,.2f} [{row[f'q1_{arm}']:,.2f}, {row[f'q3_{arm}']:,.2f}]"
    count = row[f"count_{arm}"] if not weighted else row[f"n_{arm}"] * value
    return f"{count:,.0f} ({100 * value:.1f})"


def _missing(row: pd.Series, n: int) -> str:
    m = int(row.missing)
    if m == 0:
        return fmt.count(0)
    if is_small(m):
        return SUPPRESSED
    return f"{m:,} ({100 * m / n:.1f}%)" if not is_small(n - m) else HIDDEN
