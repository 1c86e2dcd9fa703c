"""Where follow-up ends for someone without a relapse: rules a program can state, and read.

A relapse date ends follow-up with the event. For everyone else the mapping's ``[followup] rules`` are tried in
order (default: all three, in this order):

- ``last_contact``: the last-contact date, when the export has one and it is filled in;
- ``discharge``: the discharge date, for those discharged (a relapse dated after discharge still counts);
- ``as_of``: the as-of date, for those still in treatment (no discharge date, and the discharge reason blank or
  "in treatment"): the program sees them, so they are followed to the day of the report.

A row no rule covers has unknown follow-up and is excluded, counted under "follow-up unknown". Before this
module an export without a last-contact column lost everyone who had not relapsed, silently: the kept rows were
an outcome-selected sample.

::

    [followup]
    rules = ["last_contact", "discharge"]   # e.g. a program that does not see people between visits
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...core.errors import InputError

__all__ = ["FOLLOWUP_RULES", "RULE_LABELS", "FollowUpEnd", "check_rules", "follow_up_end"]

FOLLOWUP_RULES = ("last_contact", "discharge", "as_of")
RULE_LABELS = {
    "relapse": "the relapse date (the event)",
    "last_contact": "the last-contact date",
    "discharge": "the discharge date (discharged without a relapse)",
    "as_of": "the as-of date (still in treatment)",
}


def check_rules(rules: object, where: str) -> tuple[str, ...]:
    """The ``[followup] rules`` of a mapping, checked: a list of known rule names, each at most once."""
    if isinstance(rules, str) or not isinstance(rules, (list, tuple)) or not all(isinstance(r, str) for r in rules):
        raise InputError(f"{where}: [followup] rules must be a list of rule names, e.g. rules = "
                         f"{list(FOLLOWUP_RULES)}, not {rules!r}")
    unknown = [r for r in rules if r not in FOLLOWUP_RULES]
    if unknown or len(set(rules)) != len(rules):
        raise InputError(f"{where}: [followup] rules must name each of {list(FOLLOWUP_RULES)} at most once, not "
                         f"{list(rules)}")
    return tuple(rules)


@dataclass(frozen=True)
class FollowUpEnd:
    """Per row: the date follow-up ends (NaT where no rule applies) and the rule that set it ('' if none)."""

    date: pd.Series
    rule: pd.Series

    def counts(self, keep: np.ndarray) -> pd.DataFrame:
        """Kept rows by the rule that ended their follow-up: ``rule`` (in words), ``rows``."""
        rules = self.rule[keep]
        return pd.DataFrame([{"rule": RULE_LABELS[r], "rows": int((rules == r).sum())}
                             for r in ("relapse", *FOLLOWUP_RULES) if (rules == r).any()], columns=["rule", "rows"])


def follow_up_end(dates: dict[str, pd.Series], reason: pd.Series | None, rules: tuple[str, ...],
                  cutoff: pd.Timestamp) -> FollowUpEnd:
    """Apply the rules in order to every row without a relapse date.

    ``dates`` are the parsed date columns of the export (``relapse_date``, ``last_contact_date``, ``exit_date``
    when mapped); ``reason`` the mapped discharge reasons (or None); ``cutoff`` the as-of date.

    >>> d = {"relapse_date": pd.Series(pd.to_datetime(["2026-02-01", None, None, None])),
    ...      "exit_date": pd.Series(pd.to_datetime([None, "2026-03-01", None, None]))}
    >>> end = follow_up_end(d, pd.Series(["", "completed", "", "dropout"]), ("last_contact", "discharge", "as_of"),
    ...                     pd.Timestamp("2026-06-30"))
    >>> end.rule.tolist()
    ['relapse', 'discharge', 'as_of', '']
    """
    index = next(iter(dates.values())).index
    none = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    end = dates.get("relapse_date", none).copy()
    rule = pd.Series(np.where(end.notna(), "relapse", ""), index=index, dtype=object)
    for name in rules:
        todo = (rule == "").to_numpy()
        if not todo.any():
            break
        candidate = _candidate(name, dates, reason, cutoff, none)
        found = todo & candidate.notna().to_numpy()
        end[found] = candidate[found]
        rule[found] = name
    return FollowUpEnd(date=end, rule=rule)


def _candidate(name: str, dates: dict[str, pd.Series], reason: pd.Series | None, cutoff: pd.Timestamp,
               none: pd.Series) -> pd.Series:
    if name == "last_contact":
        return dates.get("last_contact_date", none)
    if name == "discharge":
        return dates.get("exit_date", none)
    if "exit_date" not in dates:  # as_of: without discharge dates nobody is known to be still in treatment
        return none
    blank_reason = (pd.Series(True, index=none.index) if reason is None
                    else reason.fillna("").astype(str).isin(["", "in_treatment"]))
    in_treatment = dates["exit_date"].isna() & blank_reason
    return none.mask(in_treatment, cutoff)
