"""Count tables: summarize a cohort without rows, write and read them, pool sites, compare arms exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.sources.counts import RESTRICTED


@pytest.fixture(scope="module")
def cohort():
    return oc.synthetic_cohort(n=3000, seed=4)


def _site(cohort, site):
    part = cohort.df[cohort.df.site == site].reset_index(drop=True)
    return oc.Cohort(part, reference="clinical", arms=cohort.arms)


@pytest.mark.parametrize("outcome", ["relapse", "retention"])
def test_pooled_site_tables_equal_all_rows(cohort, outcome):
    tables = [oc.summarize(_site(cohort, s), outcome) for s in sorted(cohort.df.site.unique())]
    pooled = oc.compare_arms(oc.pool(tables))
    rows = oc.compare_arms(cohort, outcome)
    for a, b in ((pooled.hazard_ratio, rows.hazard_ratio), (pooled.rmst_difference, rows.rmst_difference)):
        assert (a.value, a.ci_lower, a.ci_upper, a.p_value) == pytest.approx((b.value, b.ci_lower, b.ci_upper,
                                                                              b.p_value), rel=1e-10, abs=1e-12)
    assert pooled.logrank.statistic == pytest.approx(rows.logrank.statistic, rel=1e-10)
    np.testing.assert_allclose(pooled.km[["time", "n_at_risk", "survival"]], rows.km[["time", "n_at_risk", "survival"]],
                               rtol=1e-12)
    pd.testing.assert_frame_equal(pooled.counts, rows.counts)


def test_a_table_holds_counts_only(cohort):
    table = oc.summarize(cohort, "relapse", by="site")
    assert list(table.counts.columns) == ["stratum", "arm", "time", "removed", "events"]
    assert table.n == len(cohort) and table.counts.events.sum() == cohort.df.relapse_event.sum()
    assert not {"participant_id", "age", "enroll_date"} & set(table.counts.columns)
    assert set(table.counts.stratum) == set(cohort.df.site)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_and_read_keep_everything_and_say_it_is_restricted(cohort, tmp_path, suffix):
    table = oc.summarize(cohort, "retention", by="site")
    path = table.write(tmp_path / f"site_counts{suffix}")
    if suffix == ".csv":
        assert path.read_text().splitlines()[0] == f"# {RESTRICTED}"
    back = oc.CountTable.read(path)
    assert (back.outcome, back.event, back.arms, back.by) == ("retention", "dropout", cohort.arms, "site")
    pd.testing.assert_frame_equal(back.counts, table.counts, check_dtype=False)
    assert oc.compare_arms(back).hazard_ratio.value == pytest.approx(oc.compare_arms(cohort, "retention")
                                                                     .hazard_ratio.value, rel=1e-12)


def test_unlike_tables_do_not_pool(cohort):
    with pytest.raises(oc.InputError, match="only like tables pool"):
        oc.pool([oc.summarize(cohort, "relapse"), oc.summarize(cohort, "retention")])
    with pytest.raises(oc.InputError, match="at least one"):
        oc.pool([])


def test_a_count_table_has_no_covariates_and_is_stratified_only_by_its_own_column(cohort):
    with pytest.raises(oc.InputError, match="a count table has no covariates"):
        oc.compare_arms(oc.summarize(cohort), adjust=["age"])
    with pytest.raises(oc.InputError, match="counted by None, not 'site'"):
        oc.compare_arms(oc.summarize(cohort), strata="site")


def test_a_damaged_table_is_refused(cohort, tmp_path):
    path = oc.summarize(cohort).write(tmp_path / "t.csv")
    lines = path.read_text().splitlines()
    lines[4] = lines[4].rsplit(",", 2)[0] + ",-1,0"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(oc.InputError, match=r"row 2: counts must be whole numbers >= 0"):
        oc.CountTable.read(path)
    (tmp_path / "plain.csv").write_text("a,b\n1,2\n")
    with pytest.raises(oc.InputError, match="not an outcomes count table"):
        oc.CountTable.read(tmp_path / "plain.csv")


def test_a_table_counted_by_site_gives_the_site_stratified_comparison_of_all_rows(cohort):
    tables = [oc.summarize(_site(cohort, s), "relapse", by="site") for s in sorted(cohort.df.site.unique())]
    pooled = oc.compare_arms(oc.pool(tables), strata="site")
    rows = oc.compare_arms(cohort, strata="site")
    assert pooled.hazard_ratio.value == pytest.approx(rows.hazard_ratio.value, rel=1e-10)
    assert pooled.hazard_ratio.ci_upper == pytest.approx(rows.hazard_ratio.ci_upper, rel=1e-10)
    assert pooled.logrank.statistic == pytest.approx(rows.logrank.statistic, rel=1e-10)
    assert pooled.logrank.statistic != pytest.approx(oc.compare_arms(cohort).logrank.statistic, rel=1e-3)


def test_a_retention_table_counts_every_way_of_leaving(cohort):
    table = oc.summarize(cohort, "retention")
    reason = cohort.df.exit_reason.astype(str)
    assert table.counts[["events", "completed", "transferred"]].sum().tolist() == [
        int((reason == r).sum()) for r in ("dropout", "completed", "transferred")]
