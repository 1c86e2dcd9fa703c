"""Table 1 (issue 23): the conventions of R's tableone (CreateTableOne(..., smd = TRUE)), computed by hand here
on the bundled cohort: counts, percentages, means, sample SDs and SMDs (Yang and Dalton for categories)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import outcomes as oc

from .conftest import REPO


@pytest.fixture(scope="module")
def cohort() -> oc.Cohort:
    return oc.Cohort.read(REPO / "data" / "synthetic" / "cohort.csv")


def _yang_dalton(p0: np.ndarray, p1: np.ndarray) -> float:
    t, c = p1[1:], p0[1:]
    k = len(t)
    s = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            s[i, j] = ((t[i] * (1 - t[i]) + c[i] * (1 - c[i])) / 2 if i == j
                       else -(t[i] * t[j] + c[i] * c[j]) / 2)
    d = t - c
    return float(np.sqrt(d @ np.linalg.inv(s) @ d))


def test_table_one_matches_tableone_conventions_by_hand(cohort):
    table = oc.baseline_table(cohort, ["age", "sex", "primary_substance", "co_occurring_mh"]).table()
    df = cohort.df
    arm = [df[df.arm == a] for a in cohort.arms]
    n_row = table.iloc[0]
    assert (n_row.count_0, n_row.count_1) == (len(arm[0]), len(arm[1]))
    age = table[table.variable == "age"].iloc[0]
    m = [a.age.mean() for a in arm]
    sd = [a.age.std(ddof=1) for a in arm]  # R's sd()
    assert (age.value_0, age.value_1, age.spread_0, age.spread_1) == pytest.approx((*m, *sd), abs=1e-9)
    assert age.smd == pytest.approx(abs(m[1] - m[0]) / np.sqrt((sd[0] ** 2 + sd[1] ** 2) / 2), abs=1e-9)
    sex = table[table.variable == "sex"]
    assert sex.level.tolist() == ["male"]  # a two-level variable shows its second level only
    p = [(a.sex == "male").mean() for a in arm]
    assert (sex.count_0.item(), sex.count_1.item()) == tuple(int((a.sex == "male").sum()) for a in arm)
    assert (sex.value_0.item(), sex.value_1.item()) == pytest.approx(p, abs=1e-12)
    assert sex.smd.item() == pytest.approx(abs(p[1] - p[0]) / np.sqrt((p[0] * (1 - p[0]) + p[1] * (1 - p[1])) / 2),
                                           abs=1e-9)
    substance = table[table.variable == "primary_substance"]
    levels = sorted(df.primary_substance.unique())
    assert substance.level.tolist() == levels
    shares = [a.primary_substance.value_counts(normalize=True).reindex(levels).to_numpy() for a in arm]
    assert substance.value_0.to_numpy() == pytest.approx(shares[0], abs=1e-12)
    assert substance.smd.iloc[0] == pytest.approx(_yang_dalton(*shares), abs=1e-6)


def test_the_printed_table_reads_like_tableone_in_words(cohort):
    shown = oc.baseline_table(cohort, ["age", "sex", "co_occurring_mh"]).display_table()
    assert shown.columns.tolist() == ["Characteristic", "Clinical only", "Peer support + clinical", "Missing", "SMD"]
    age = shown.set_index("Characteristic").loc["Age, years, mean (SD)"]
    a = cohort.df[cohort.df.arm == "clinical"].age
    assert age["Clinical only"] == f"{a.mean():.2f} ({a.std():.2f})"
    assert "Co-occurring mental illness, n (%)" in shown.Characteristic.tolist()
    assert not shown.to_string().count("_")  # no code names


def test_small_counts_and_their_complements_are_hidden():
    small = oc.synthetic_cohort(n=40, seed=0)
    shown = oc.baseline_table(small, ["sex", "primary_substance"]).display_table()
    counts = shown.iloc[1:, 1:3].to_numpy().ravel()
    for cell in counts:
        number = cell.split(" (")[0].replace(",", "")
        assert cell in ("<11", "suppressed") or int(number) > 10
    df = small.df
    for arm, label in zip(small.arms, ("Clinical only", "Peer support + clinical")):
        part = df[df.arm == arm]
        males, n = int((part.sex == "male").sum()), len(part)
        cell = shown.set_index("Characteristic").loc["Sex = male, n (%)", label]
        if 1 <= n - males <= 10:
            assert cell == "suppressed"  # the arm's n would reveal the women


def test_weighted_smds_show_the_balance_iptw_gives(cohort):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        crude = oc.baseline_table(cohort, ["age", "co_occurring_mh"]).table()
        weighted = oc.baseline_table(cohort, ["age", "co_occurring_mh"], weights="iptw")
    assert weighted.title.endswith("(weighted by IPTW)")
    mh = [t[t.variable == "co_occurring_mh"].smd.item() for t in (crude, weighted.table())]
    assert mh[0] > 0.2 and mh[1] < 0.05


def test_table_one_is_in_every_format_of_the_report(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        html = oc.report.quarterly(oc.synthetic_cohort(n=300, seed=2), "2026Q3", tmp_path,
                                   formats=["html", "docx", "xlsx", "pdf"])
    text = html.read_text(encoding="utf-8")
    assert "<h2>Baseline characteristics</h2>" in text and "Table 1. Baseline characteristics by arm" in text
    import docx
    import pypdf

    assert any("Age, years, mean (SD)" in c.text for t in docx.Document(str(html.with_suffix(".docx"))).tables
               for c in t.rows[1].cells + t.rows[2].cells)
    with pd.ExcelFile(html.with_suffix(".xlsx")) as book:
        assert "Baseline" in book.sheet_names
    assert "Age, years, mean (SD)" in "".join(p.extract_text() for p in pypdf.PdfReader(html.with_suffix(".pdf")).pages)
