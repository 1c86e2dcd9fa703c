"""An attacker's solver for a quarterly report: from what the report states, which hidden counts can be worked out?

Every count cell of the enrollment, baseline and follow-up tables becomes a variable: a shown count is fixed, a
hidden one ("<11": 1 to 10; "suppressed": any count; "not shown": 0 to the number due) is free within its bounds.
The relations the document states are equations and inequalities over them:

- the summary's enrolled this quarter and to date, overall and per arm, against the enrollment table's cells;
- last quarter's enrolled to date (the change table) against this quarter's cells (to date minus this quarter);
- each row's enrolled this quarter at most its enrolled to date;
- Table 1's arm sizes against the summary's, its site rows against the enrollment table's cells, and the levels
  of each complete categorical variable against its arm's size;
- the follow-up table's reached at most due, and its percentage bands ("> 57%") as bounds on reached.

A hidden cell is *recovered* when its minimum and maximum over every integer solution coincide (solved exactly
with scipy's mixed-integer solver, HiGHS). This is what :func:`recovered` returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from outcomes.present.quarter import QuarterlyResults

BIG = 1e7
_NUMBER = r"(fewer than 11|[\d,]+)"


@dataclass
class System:
    """Variables (a known value or bounds), linear equalities and inequalities between them."""

    names: list[str] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)  # (coefs, low, high)

    def cell(self, name: str, text: str, *, at_most: float = BIG) -> int:
        """A count cell as shown: its variable's index."""
        text = str(text).strip()
        self.names.append(name)
        if re.fullmatch(r"[\d,]+", text):
            value = float(text.replace(",", ""))
            self.lower.append(value)
            self.upper.append(value)
        elif text in ("<11", "fewer than 11"):
            self.lower.append(1.0)
            self.upper.append(10.0)
        else:  # "suppressed", "not shown": any count the other relations allow
            self.lower.append(0.0)
            self.upper.append(at_most)
        return len(self.names) - 1

    def hidden(self) -> list[int]:
        return [i for i, (lo, hi) in enumerate(zip(self.lower, self.upper)) if lo != hi]

    def equal(self, coefs: dict[int, float], value: float) -> None:
        self.rows.append((coefs, value, value))

    def between(self, coefs: dict[int, float], low: float, high: float) -> None:
        self.rows.append((coefs, low, high))


def build_system(r: QuarterlyResults) -> System:
    """The relations a reader of ``r``'s tables and summary can write down."""
    system = System()
    enrollment = r.tables.get("enrollment")
    arms_text = _summary_counts(r.summary[0] if r.summary else "")
    cells: dict[tuple[str, str], tuple[int, int]] = {}
    if enrollment is not None and "Enrolled to date" in enrollment:
        for _, row in enrollment.iterrows():
            site = str(row.get("Site", ""))
            to_date = system.cell(f"to date {site} {row.Arm}", row["Enrolled to date"])
            this_q = system.cell(f"this quarter {site} {row.Arm}", row["Enrolled this quarter"])
            system.between({to_date: 1, this_q: -1}, 0, BIG)
            cells[(site, str(row.Arm))] = (to_date, this_q)
        _enrollment_relations(system, cells, arms_text, r)
    _baseline_relations(system, r, cells, arms_text)
    _follow_up_relations(system, r)
    return system


def _summary_counts(sentence: str) -> dict[str, str]:
    """The counts of the summary's first sentence: this quarter, to date, and per arm (by the arm's words)."""
    found: dict[str, str] = {}
    m = re.search(rf"In \S+, {_NUMBER} participants enrolled", sentence)
    if m:
        found["this quarter"] = m.group(1)
    m = re.search(rf"; {_NUMBER} have enrolled to date \((.*)\)\.", sentence)
    if m:
        found["to date"] = m.group(1)
        for number, who in re.findall(rf"{_NUMBER} (with clinical care only|with peer support added|in [^,)]+?)"
                                      r"(?= and |\)|$|,)", m.group(2)):
            found[who] = number
    return found


_ARM_WORDS = {"Clinical only": "with clinical care only", "Peer support + clinical": "with peer support added"}


def _enrollment_relations(system: System, cells: dict[tuple[str, str], tuple[int, int]], stated: dict[str, str],
                          r: QuarterlyResults) -> None:
    if "to date" in stated:
        total = system.cell("summary to date", stated["to date"])
        system.equal({**{d: 1 for d, _ in cells.values()}, total: -1}, 0)
    if "this quarter" in stated:
        total = system.cell("summary this quarter", stated["this quarter"])
        system.equal({**{q: 1 for _, q in cells.values()}, total: -1}, 0)
    for arm, words in _ARM_WORDS.items():
        if words in stated:
            total = system.cell(f"summary {arm}", stated[words])
            system.equal({**{d: 1 for (site, a), (d, _) in cells.items() if a == arm}, total: -1}, 0)
    change = r.tables.get("change_since_last_quarter")
    if change is not None and "Previous quarter" in change:
        row = change[change.Measure == "Participants enrolled to date"]
        if len(row) and re.fullmatch(r"[\d,]+|<11", str(row["Previous quarter"].iloc[0])):
            before = system.cell("previous to date", row["Previous quarter"].iloc[0])
            coefs: dict[int, float] = {before: -1}
            for d, q in cells.values():
                coefs[d] = coefs.get(d, 0) + 1
                coefs[q] = coefs.get(q, 0) - 1
            system.equal(coefs, 0)


def _baseline_relations(system: System, r: QuarterlyResults, cells: dict[tuple[str, str], tuple[int, int]],
                        stated: dict[str, str]) -> None:
    table = r.tables.get("baseline")
    if table is None or "Characteristic" not in table:
        return
    arms = [c for c in table.columns if c in _ARM_WORDS]
    n_row = table[table.Characteristic == "n"]
    sizes = {arm: system.cell(f"baseline n {arm}", n_row[arm].iloc[0]) for arm in arms} if len(n_row) else {}
    for arm, index in sizes.items():
        if _ARM_WORDS[arm] in stated:
            system.equal({index: 1, system.cell(f"summary n {arm}", stated[_ARM_WORDS[arm]]): -1}, 0)
    for variable, rows in _categorical_rows(table).items():
        levels = {arm: [system.cell(f"baseline {row.Characteristic} {arm}", _first(row[arm])) for row in rows]
                  for arm in arms}
        _level_relations(system, variable, rows, levels, sizes, cells)


def _categorical_rows(table: pd.DataFrame) -> dict[str, list[pd.Series]]:
    """Table 1's rows "Variable: level, n (%)", grouped by variable."""
    groups: dict[str, list[pd.Series]] = {}
    for _, row in table.iterrows():
        m = re.fullmatch(r"(.+?): (.+), n \(%\)", str(row.Characteristic))
        if m:
            groups.setdefault(m.group(1), []).append(row)
    return groups


def _level_relations(system: System, variable: str, rows: list[pd.Series], levels: dict[str, list[int]],
                     sizes: dict[str, int], cells: dict[tuple[str, str], tuple[int, int]]) -> None:
    """A complete variable's levels add up to each arm's size; with blanks, both arms' levels and the blanks
    add up to everyone; a site's count is the enrollment table's."""
    missing = _first(str(rows[0].get("Missing", "0")))
    for arm, indices in levels.items():
        if arm in sizes and missing in ("0", ""):
            system.equal({**{i: 1 for i in indices}, sizes[arm]: -1}, 0)
        if variable == "Site":
            for row, index in zip(rows, indices):
                site = str(row.Characteristic).split(": ", 1)[1].rsplit(", n (%)", 1)[0]
                if (site, arm) in cells:
                    system.equal({index: 1, cells[(site, arm)][0]: -1}, 0)
    if missing not in ("0", "") and len(levels) == len(sizes) == 2:
        blank = system.cell(f"baseline {variable} missing", missing)
        system.equal({**{i: 1 for indices in levels.values() for i in indices}, blank: 1,
                      **{n: -1 for n in sizes.values()}}, 0)


def _first(text: str) -> str:
    """A Table 1 cell "13 (46.4)" as its count; "<11" and "suppressed" as they are."""
    return str(text).split(" (")[0].strip()


def _follow_up_relations(system: System, r: QuarterlyResults) -> None:
    table = r.tables.get("follow_up")
    if table is None or "Due" not in table:
        return
    six_months: dict[str, list[int]] = {"due": [], "reached": []}
    for _, row in table.iterrows():
        due = system.cell(f"due {row['Follow-up window']} {row.Arm}", row.Due)
        reached = system.cell(f"reached {row['Follow-up window']} {row.Arm}", row.Reached)
        if str(row["Follow-up window"]).startswith("6 months"):
            six_months["due"].append(due)
            six_months["reached"].append(reached)
        system.between({due: 1, reached: -1}, 0, BIG)
        band = re.fullmatch(r"([<>]) (\d+)%", str(row["Reached (%)"]).strip())
        exact = re.fullmatch(r"(\d+)%", str(row["Reached (%)"]).strip())
        if band:  # "> 57%": reached > 0.57 due (at least; rounding makes it >=)
            share = int(band.group(2)) / 100
            if band.group(1) == ">":
                system.between({reached: 1, due: -share}, 0, BIG)
            else:
                system.between({reached: 1, due: -share}, -BIG, 0)
        elif exact:  # "54%": reached within half a point of 54% of due
            _share_of(system, [reached], [due], int(exact.group(1)) / 100)
    sentence = next((x for x in r.summary if x.startswith("At the 6-month follow-up")), "")
    m = re.search(r"(\d+)% of the ([\d,]+) participants due", sentence)
    if m and six_months["due"]:  # the summary's total due and share reached, over the arms' rows
        total = system.cell("summary due at 6 months", m.group(2))
        system.equal({**{i: 1 for i in six_months["due"]}, total: -1}, 0)
        _share_of(system, six_months["reached"], [total], int(m.group(1)) / 100)


def _share_of(system: System, numerators: list[int], denominators: list[int], share: float) -> None:
    """sum(numerators) within half a percentage point of ``share`` of sum(denominators)."""
    for bound, low, high in ((share - 0.005, 0, BIG), (share + 0.005, -BIG, 0)):
        coefs: dict[int, float] = {i: 1.0 for i in numerators}
        for d in denominators:
            coefs[d] = coefs.get(d, 0.0) - bound
        system.between(coefs, low, high)


def recovered(system: System) -> list[str]:
    """The hidden cells whose value every integer solution agrees on (empty when none can be worked out).

    A system no integer solution satisfies means the parser misread the report: that raises, so a change in
    wording cannot silently weaken the check."""
    n = len(system.names)
    if not system.hidden():
        return []
    A = np.zeros((len(system.rows), n))
    low, high = np.zeros(len(system.rows)), np.zeros(len(system.rows))
    for k, (coefs, lo, hi) in enumerate(system.rows):
        for i, c in coefs.items():
            A[k, i] += c
        low[k], high[k] = lo, hi
    constraints = [LinearConstraint(A, low, high)] if len(system.rows) else []
    bounds = Bounds(np.array(system.lower), np.array(system.upper))
    out = []
    for i in system.hidden():
        c = np.zeros(n)
        c[i] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            res = milp(sign * c, constraints=constraints, bounds=bounds, integrality=np.ones(n))
            if res.status != 0:
                raise AssertionError(f"the report's stated relations have no solution ({res.message}): the parser "
                                     f"misread it")
            ends.append(res.x[i])
        if round(ends[0]) == round(ends[1]):
            out.append(f"{system.names[i]} = {round(ends[0])}")
    return out
