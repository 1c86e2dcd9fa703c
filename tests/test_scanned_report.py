"""The quarterly report of a scanned cohort (issue 29): the same tables, sentences and trend as in memory, computed
in the engine; the weighted comparison loads only its columns, and only up to a size; what it cannot do, it says."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.analyses.baseline import baseline_table_of_counts
from outcomes.analyses.competing import retention_everyone
from outcomes.core.errors import InputError
from outcomes.outputs.report.grant import latest_quarter
from outcomes.present.enrolled import enrolled, quarter_number
from outcomes.present.quarter import compute_quarter
from outcomes.present.scanned_quarter import compute_scanned_quarter
from outcomes.sources.counts import as_of_tables

COLUMNS = ["participant_id", "arm", "site", "enroll_date", "relapse_days", "relapse_event", "exit_days", "exit_reason",
           "age", "sex", "co_occurring_mh"]
CONFOUNDERS = ("age", "sex", "co_occurring_mh")


def _scan(path, **kwargs) -> oc.ScannedCohort:
    return oc.scan(path, arm="arm", reference="clinical", relapse=("relapse_days", "relapse_event"),
                   retention=("exit_days", "exit_reason"), participant_id="participant_id", site="site",
                   enroll_date="enroll_date", covariates=list(CONFOUNDERS), **kwargs)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The same cohort in memory (the scanned columns only) and scanned from a Parquet file."""
    full = oc.synthetic_cohort(n=2500, seed=4)
    cohort = oc.Cohort(full.df[COLUMNS], reference="clinical", covariates=CONFOUNDERS)
    path = tmp_path_factory.mktemp("scan") / "cohort.parquet"
    full.df[COLUMNS].to_parquet(path, index=False)
    return cohort, _scan(path), path


@pytest.fixture(scope="module")
def quarters(pair):
    cohort, scanned, _ = pair
    return compute_quarter(cohort, "2026Q3", bootstrap=50), compute_scanned_quarter(scanned, "2026Q3", bootstrap=50)


def test_the_scanned_quarter_says_what_the_in_memory_quarter_says(quarters):
    memory, scanned = quarters
    follow_up = ("Follow-up against SAMHSA's 80% target is not computed from scanned files: a scan does not read "
                 "last-contact dates.")  # (the cohort in memory has none: its sentence says so in its words)
    assert [follow_up if "SAMHSA" in x else x for x in memory.summary] == scanned.summary
    assert set(scanned.tables) == set(memory.tables)
    for name, table in memory.tables.items():
        if name not in ("data_quality", "follow_up"):  # the source line names the file; follow-up: above
            pd.testing.assert_frame_equal(scanned.tables[name], table, obj=name)
    assert scanned.tables["follow_up"].Note.iloc[0].startswith("A scan does not read last-contact dates")
    pd.testing.assert_frame_equal(scanned.trend, memory.trend)
    for (label, a), (_, b) in zip(memory.hazard_ratios(), scanned.hazard_ratios(), strict=True):
        assert a.value == pytest.approx(b.value, rel=1e-9), label
        assert a.ci_lower == pytest.approx(b.ci_lower, rel=1e-9), label
    assert len(scanned.hazard_ratios()) == 3


def test_the_scanned_quarter_says_which_sections_were_computed_in_the_engine(quarters):
    _, scanned = quarters
    assert scanned.computed["relapse"] == "in the engine, from counts per day and arm"
    assert scanned.computed["adjusted relapse"].endswith("per day, arm and confounder pattern")
    assert scanned.computed["IPTW relapse"] == ("loaded 6 columns (arm, age, sex, co-occurring mental illness, "
                                                "days to relapse, relapsed) of 2,500 rows")
    engine, loaded = scanned.notes[-2:]
    assert engine.startswith("Computed from the scanned files without loading them: enrollment (from counts")
    assert "trend (from counts, each quarter as known at its end, from one pass per outcome)" in engine
    assert loaded.startswith("Loaded for IPTW relapse, balance, Table 1: 6 columns")
    assert scanned.tables["data_quality"].Value.iloc[0] == "cohort.parquet"


def test_above_the_load_limit_the_weighted_sections_are_left_out_with_the_reason(pair, quarters, tmp_path):
    _, scanned, _ = pair
    r = compute_scanned_quarter(scanned, "2026Q3", bootstrap=50, load_rows_up_to=1000)
    assert r.relapse_iptw is None and r.balance is None
    crude = quarters[0].tables["baseline"].drop(columns="SMD after weighting")  # Table 1 still, from counts
    pd.testing.assert_frame_equal(r.tables["baseline"], crude)
    assert list(r.tables)[:2] == ["enrollment", "baseline"] and "Table 1" not in r.not_estimable
    assert r.computed["Table 1"] == "in the engine, from counts per arm and confounder values (unweighted)"
    assert r.not_estimable["IPTW relapse"] == (
        "not computed from a scan of 2,500 participants: weighting needs each participant's confounders in memory, "
        "which a scanned report loads for up to 1,000 participants (an analyst can raise that limit, given the "
        "memory)")
    assert r.relapse_adjusted is not None and not any(n.startswith("Loaded for") for n in r.notes)
    text = oc.report.render_html(oc.report.quarterly_document(r))
    assert "weighting needs each participant" in text and "without loading them" in text


def test_a_report_is_written_from_a_scan_in_four_formats(pair, tmp_path):
    _, scanned, _ = pair
    path = oc.report.quarterly(scanned, "2026Q3", tmp_path, bootstrap=50)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".docx", ".html", ".pdf", ".xlsx"]
    assert "Computed from the scanned files without loading them" in path.read_text()


def test_what_a_scanned_report_cannot_do_says_so(pair, tmp_path):
    cohort, scanned, path = pair
    with pytest.raises(InputError, match="ipynb|notebook"):
        oc.report.quarterly(scanned, "2026Q3", tmp_path, formats=["ipynb"])
    with pytest.raises(InputError, match="interview records are matched to participants in memory"):
        oc.report.document(scanned, "2026Q3", interviews=pd.DataFrame({"participant_id": ["1"]}))
    with pytest.raises(InputError, match="nobody was enrolled by the end of 2020Q1"):
        compute_scanned_quarter(scanned, "2020Q1")
    undated = oc.scan(path, arm="arm", reference="clinical", relapse=("relapse_days", "relapse_event"))
    with pytest.raises(InputError, match="enrollment dates"):
        compute_scanned_quarter(undated, "2026Q3")
    with pytest.raises(InputError, match="after this scan's as-of date 2026-03-31"):
        compute_scanned_quarter(_scan(path, as_of="2026-03-31"), "2026Q3")
    frame = pd.read_parquet(path).assign(peer_start=lambda d: np.where(d.arm == "peer_clinical", 0.0, np.nan))
    frame.to_parquet(tmp_path / "exposed.parquet", index=False)
    with pytest.raises(InputError, match="starts after enrollment .* needs the rows; load them with"):
        compute_scanned_quarter(_scan(tmp_path / "exposed.parquet", exposure_start="peer_start"), "2026Q3")
    with pytest.raises(InputError, match="compute_quarter takes a Cohort"):
        compute_quarter(scanned, "2026Q3")  # type: ignore[arg-type]


def test_a_small_scanned_program_is_suppressed_as_in_memory(tmp_path):
    small = oc.synthetic_cohort(n=18, seed=5)
    path = tmp_path / "small.parquet"
    small.df[COLUMNS].to_parquet(path, index=False)
    memory = compute_quarter(oc.Cohort(small.df[COLUMNS], reference="clinical", covariates=CONFOUNDERS), "2026Q3",
                             bootstrap=50)
    scanned = compute_scanned_quarter(_scan(path), "2026Q3", bootstrap=50)
    assert [x for x in scanned.summary if "SAMHSA" not in x] == [x for x in memory.summary if "SAMHSA" not in x]
    assert "fewer than 11" in scanned.summary[0]  # the small arm is not told
    pd.testing.assert_frame_equal(scanned.tables["enrollment"], memory.tables["enrollment"])
    assert scanned.relapse is None and scanned.not_estimable["relapse"] == memory.not_estimable["relapse"]


def test_a_scanned_report_shows_no_small_count_and_no_number_that_is_not_one(tmp_path):
    path = tmp_path / "sixty.parquet"
    oc.synthetic_cohort(n=60, seed=2).df[COLUMNS].to_parquet(path, index=False)
    doc = oc.report.document(_scan(path), "2026Q3", bootstrap=50)
    counts = doc.cells().query("kind == 'count'")
    assert len(counts) > 5 and not counts.value.between(1, 10).any()
    text = oc.report.render_html(doc)
    assert not re.search(r"\b(nan|NaN|inf)\b|\d\.\d+e[-+]\d+", re.sub(r"<[^>]+>", " ", text))


def test_pieces_of_a_scanned_quarter_equal_their_in_memory_twins(pair):
    cohort, scanned, _ = pair
    day = dt.date(2026, 3, 31)
    assert retention_everyone(scanned.as_of_view(day), 90) == pytest.approx(
        retention_everyone(oc.as_of(cohort, day), 90), rel=1e-12)
    a, b = enrolled(cohort), enrolled(scanned)
    pd.testing.assert_frame_equal(a.by_quarter(), b.by_quarter())
    assert a.by_arm() == b.by_arm() and a.total == 2500 == sum(a.by_arm().values())
    assert a.since(dt.date(2026, 7, 1)) == int((cohort.df.enroll_date >= "2026-07-01").sum())
    assert quarter_number(dt.date(2026, 9, 30)) == 2026 * 4 + 2
    memory, engine = oc.reconcile(cohort).table(), oc.reconcile(scanned).table()
    pd.testing.assert_frame_equal(memory, engine)
    assert scanned.yes_and_known("co_occurring_mh") == (int(cohort.df.co_occurring_mh.sum()),
                                                        int(cohort.df.co_occurring_mh.notna().sum()))


@pytest.mark.parametrize("exposure", [False, True])
def test_every_quarter_counted_in_one_pass_equals_a_scan_per_quarter(tmp_path, exposure):
    df = oc.synthetic_cohort(n=1500, seed=7).df[COLUMNS]
    if exposure:  # the arm records who was ever exposed; on an earlier date a later start is not yet known
        df = df.assign(peer_start=np.where(df.arm == "peer_clinical", np.floor(df.relapse_days.clip(upper=60) / 2),
                                           np.nan))
    path = tmp_path / "cohort.parquet"
    df.to_parquet(path, index=False)
    scanned = _scan(path, **({"exposure_start": "peer_start"} if exposure else {}))
    ends = [dt.date(2025, 3, 31), dt.date(2025, 12, 31), dt.date(2026, 9, 30)]
    for outcome in ("relapse", "retention"):
        for end, table in zip(ends, as_of_tables(scanned, outcome, ends), strict=True):
            pd.testing.assert_frame_equal(table.counts, oc.summarize(scanned.as_of_view(end), outcome).counts)
    if exposure:
        moved = as_of_tables(scanned, "relapse", ends[:1])[0].counts.groupby("arm").removed.sum()
        assert moved["clinical"] > (df.enroll_date <= "2025-03-31")[df.arm == "clinical"].sum()


def test_table_1_from_counts_equals_table_1_from_rows(pair):
    cohort, scanned, _ = pair
    counted = baseline_table_of_counts(scanned.covariate_patterns(list(CONFOUNDERS)), CONFOUNDERS, cohort.arms,
                                       nonnormal=["age"])
    rows = oc.baseline_table(cohort, list(CONFOUNDERS), nonnormal=["age"])
    pd.testing.assert_frame_equal(counted.table(), rows.table(), rtol=1e-12)
    pd.testing.assert_frame_equal(counted.display_table(), rows.display_table())
    assert counted.arm_n == rows.arm_n
    ages = cohort.df.age[cohort.df.arm == "clinical"]  # type 7 quantiles of the participants, from counts
    assert counted.table().q1_0.iloc[1] == pytest.approx(float(np.quantile(ages.dropna(), 0.25)), rel=1e-12)


def test_blank_confounders_are_counted_in_the_engine_and_a_blank_site_refused(tmp_path):
    df = oc.synthetic_cohort(n=400, seed=6).df[COLUMNS].copy()
    df.loc[:4, "age"] = np.nan
    path = tmp_path / "blanks.parquet"
    df.to_parquet(path, index=False)
    scanned = _scan(path)
    assert scanned.missing_counts() == {"age": 5}
    cohort = oc.Cohort(df, reference="clinical", covariates=CONFOUNDERS)
    from_counts = baseline_table_of_counts(scanned.covariate_patterns(list(CONFOUNDERS)), CONFOUNDERS, cohort.arms,
                                           nonnormal=["age"])
    pd.testing.assert_frame_equal(from_counts.table(), oc.baseline_table(cohort, nonnormal=["age"]).table(),
                                  rtol=1e-12)
    assert from_counts.table().missing.iloc[1] == 5
    df.loc[7, "site"] = None  # as a Cohort does, the scan names the row
    df.to_parquet(path, index=False)
    with pytest.raises(InputError, match="row 8: site is missing; fill it in or drop the column"):
        _scan(path)


def test_the_cli_reports_from_a_glob_of_parquet_files(pair, tmp_path):
    _, _, path = pair
    done = subprocess.run([sys.executable, "-m", "outcomes", "report", "--data", str(path.parent / "*.parquet"),
                           "--quarter", "2026Q3", "--out", str(tmp_path), "--format", "html", "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "quarterly_2026Q3.html").read_text()
    assert "Computed from the scanned files without loading them" in text


def test_grant_figures_from_a_scan_are_those_of_the_cohort_in_memory(pair, tmp_path):
    cohort, scanned, path = pair
    assert latest_quarter(scanned) == latest_quarter(cohort) == "2026Q3"
    memory = pd.read_csv(oc.report.grant_figures(cohort, tmp_path / "memory", bootstrap=50) / "figures.csv")
    done = subprocess.run([sys.executable, "-m", "outcomes", "figures", "--data", str(path.parent),
                           "--out", str(tmp_path / "scan"), "--quiet"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    engine = pd.read_csv(tmp_path / "scan" / "figures.csv")
    assert sorted(engine.figure.unique()) == sorted(memory.figure.unique())
