"""How identifiable a de-identified file still is: group sizes over the quasi-identifiers.

Removing names and numbers is not enough: a 67-year-old woman in ZIP3 036 at Site D
may be the only one, and anyone who knows her is in the program finds her record.
The measure is k-anonymity over the quasi-identifiers an outsider could know (age
band, sex, race/ethnicity, ZIP3, site, enrollment year): ``k`` is the size of the
smallest group of records sharing them, records in a group of one are unique, and
groups under 11 are the CMS small-cell threshold. When ``k < 11`` the report lists
generalizations that reach it, one step at a time (wider age bands, ZIP3 removed,
sites merged, ...), each with the ``k`` it gives.

The report describes the file it accompanies: its counts disclose nothing the rows
themselves do not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ..core.errors import InputError
from ..core.results import Result
from ..core.style import OKABE_ITO, new_axes

__all__ = ["QUASI_IDENTIFIERS", "ReidentificationRisk", "reidentification_risk"]

SMALL_GROUP = 11
#: quasi-identifier -> the columns it is read from, first present wins
QUASI_IDENTIFIERS = {
    "age band": ("age",),
    "sex": ("sex",),
    "race/ethnicity": ("race_ethnicity", "race", "ethnicity"),
    "ZIP3": ("zip3",),
    "site": ("site",),
    "enrollment year": ("enroll_year", "enroll_date"),
}


def _age_band(age: pd.Series, width: int) -> pd.Series:
    values = pd.to_numeric(age, errors="coerce")
    low = (values // width * width).astype("Int64")
    band = low.astype(str) + "-" + (low + width - 1).astype(str)
    band = band.where(values < 90, "90+")
    return band.where(values.notna(), "missing")


def _column_for(df: pd.DataFrame, name: str) -> str | None:
    """The column a quasi-identifier is read from ("Race/Ethnicity" is race_ethnicity), or None."""
    by_key = {str(c).strip().lower().replace(" ", "_").replace("/", "_"): c for c in df.columns}
    return next((by_key[c] for c in QUASI_IDENTIFIERS[name] if c in by_key), None)


def quasi_identifier_frame(df: pd.DataFrame) -> pd.DataFrame:
    """One text column per quasi-identifier present (ages in 5-year bands, enrollment as its year)."""
    out = {}
    for name in QUASI_IDENTIFIERS:
        column = _column_for(df, name)
        if column is None:
            continue
        values = df[column]
        if name == "age band":
            out[name] = _age_band(values, 5)
        elif name == "enrollment year" and str(column).strip().lower() != "enroll_year":  # a date: its year
            out[name] = pd.to_datetime(values, errors="coerce").dt.year.astype("Int64").astype(str)
        else:
            out[name] = values.astype(str).where(values.notna(), "missing")
    return pd.DataFrame(out, index=df.index)


def _measures(qi: pd.DataFrame) -> tuple[int, int, float]:
    """Smallest group, records unique, share of records in groups under 11."""
    if qi.empty:
        return len(qi), 0, 0.0  # no quasi-identifier (or no record): everyone in one group
    sizes = qi.groupby(list(qi.columns), dropna=False, sort=False)[qi.columns[0]].transform("size").to_numpy()
    return int(sizes.min()), int((sizes == 1).sum()), float((sizes < SMALL_GROUP).mean())


def _generalizations(df: pd.DataFrame) -> dict[str, Callable[[pd.DataFrame], pd.DataFrame]]:
    """Ways to coarsen the quasi-identifiers present, each a function of the QI frame."""
    steps: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {}
    age = _column_for(df, "age band")
    if age is not None:
        steps["10-year age bands"] = lambda q: q.assign(**{"age band": _age_band(df[age], 10)})
        steps["20-year age bands"] = lambda q: q.assign(**{"age band": _age_band(df[age], 20)})
    for name, label in (("ZIP3", "ZIP3 removed"), ("site", "sites merged"),
                        ("race/ethnicity", "race/ethnicity removed"),
                        ("enrollment year", "enrollment year removed")):
        steps[label] = functools.partial(_without, column=name)
    return steps


def _without(q: pd.DataFrame, column: str) -> pd.DataFrame:
    return q.drop(columns=[column], errors="ignore")


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ReidentificationRisk(Result):
    """Re-identification risk of a file over its quasi-identifiers.

    Attributes
    ----------
    quasi_identifiers : tuple of str
        Those present in the file.
    records, k, unique : int
        Records; the smallest group sharing all quasi-identifiers; records alone in their group.
    share_below_11 : float
        Share of records in groups of fewer than 11.
    suggestions : DataFrame
        ``step, generalization, k, unique, share_below_11``: generalizations added one at a time
        (the one raising ``k`` most first, then the one leaving fewest records in small groups) until
        ``k >= 11``, or until no step helps; empty when ``k >= 11`` already.
    """

    quasi_identifiers: tuple[str, ...]
    records: int
    k: int
    unique: int
    share_below_11: float
    suggestions: pd.DataFrame = field(repr=False)

    @property
    def title(self) -> str:
        return f"Re-identification risk over {', '.join(self.quasi_identifiers) or 'no quasi-identifiers'}"

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"measure": ["records", "smallest group (k)", "records unique on the quasi-identifiers",
                                         "share of records in groups under 11"],
                             "value": [str(self.records), str(self.k), str(self.unique),
                                       f"{100 * self.share_below_11:.1f}%"]})

    def plot(self, ax=None):
        """The smallest group (k) as the file is, then after each suggested generalization, against 11."""
        ax = new_axes(ax)
        steps = ["as it is", *[f"+ {g}" for g in self.suggestions.get("generalization", [])]]
        ks = [self.k, *self.suggestions.get("k", [])]
        ax.bar(range(len(ks)), ks, color=OKABE_ITO[0])
        ax.axhline(SMALL_GROUP, color="grey", linestyle="--", linewidth=0.8, label=f"groups of {SMALL_GROUP}")
        ax.set_xticks(range(len(ks)), steps, rotation=20, ha="right", fontsize="small")
        ax.set_ylabel("smallest group sharing the quasi-identifiers (k)")
        ax.set_title(self.title, fontsize="medium")
        ax.legend(frameon=False)
        return ax

    def notes(self) -> list[str]:
        if self.k >= SMALL_GROUP:
            return [f"Every combination of the quasi-identifiers is shared by {SMALL_GROUP} records or more."]
        if self.suggestions.empty:
            return ["No generalization available here reaches groups of 11: share the file only under a data use "
                    "agreement, or share a synthetic twin."]
        last = self.suggestions.iloc[-1]
        reached = "reaches" if last.k >= SMALL_GROUP else "still does not reach"
        return [f"Generalizing ({last.generalization}) {reached} groups of {SMALL_GROUP} or more (k = {last.k})."]


def reidentification_risk(df: pd.DataFrame) -> ReidentificationRisk:
    """k-anonymity of ``df`` over the quasi-identifiers it has, and generalizations that would reach k >= 11.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [34, 36, 52, 53], "sex": ["female", "female", "male", "male"]})
    >>> risk = reidentification_risk(df)
    >>> risk.k, risk.unique  # 30-34 and 35-39 are one woman each; 50-54 holds both men
    (1, 2)
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"reidentification_risk measures a DataFrame (e.g. cohort.df), not {type(df).__name__}")
    qi = quasi_identifier_frame(df)
    k, unique, share = _measures(qi)
    rows = []
    steps = _generalizations(df) if k < SMALL_GROUP else {}
    chosen: list[str] = []
    current, score = qi, (k, -share, -unique)
    while steps and score[0] < SMALL_GROUP:
        trials = {label: step(current) for label, step in steps.items()}
        scored = {label: _measures(q) for label, q in trials.items()}
        best = max(scored, key=lambda label: (scored[label][0], -scored[label][2], -scored[label][1]))
        k_best, unique_best, share_best = scored[best]
        if (k_best, -share_best, -unique_best) <= score:
            break  # nothing left makes groups larger
        chosen.append(best)
        current, score = trials[best], (k_best, -share_best, -unique_best)
        rows.append({"step": len(chosen), "generalization": " + ".join(chosen), "k": k_best, "unique": unique_best,
                     "share_below_11": share_best})
        finer = {"20-year age bands": ["10-year age bands"]}.get(best, [])  # no step back to narrower bands
        steps = {label: s for label, s in steps.items() if label != best and label not in finer}
    return ReidentificationRisk(quasi_identifiers=tuple(qi.columns), records=len(df), k=k, unique=unique,
                                share_below_11=share,
                                suggestions=pd.DataFrame(rows, columns=["step", "generalization", "k", "unique",
                                                                        "share_below_11"]))
