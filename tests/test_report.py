"""Quarterly report, grant figures and as-of views: privacy, reproducibility, files on disk."""

from __future__ import annotations

import json
import re
import warnings

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.model.asof import previous_quarter, quarter_bounds
from outcomes.outputs.cli import main
from outcomes.core.disclosure import suppress_table
from outcomes.outputs.report import build
from outcomes.outputs.report import figures as F

from .conftest import REPO


@pytest.fixture(scope="module")
def cohort() -> oc.Cohort:
    return oc.Cohort.read(REPO / "data" / "synthetic" / "cohort.csv")


def test_quarters():
    assert quarter_bounds("2026Q3") == (pd.Timestamp("2026-07-01").date(), pd.Timestamp("2026-09-30").date())
    assert quarter_bounds("2025Q4")[1] == pd.Timestamp("2025-12-31").date()
    assert previous_quarter("2026Q1") == "2025Q4"
    with pytest.raises(oc.InputError, match="write it like 2026Q3"):
        quarter_bounds("Q3 2026")


def test_an_as_of_view_never_writes_into_its_cohort(cohort):
    """A view of everyone (the usual report) shares the cohort's columns: every change must make a new column."""
    df = cohort.df.assign(exposure_start_days=np.where(cohort.df.arm == "peer_clinical",
                                                       np.minimum(cohort.df.relapse_days, 30.0), np.nan))
    source = oc.Cohort(df, reference="clinical", as_of=cohort.as_of)
    before = source.df.copy(deep=True)
    for day in (cohort.as_of, dt.date(2026, 8, 15), dt.date(2025, 12, 31)):
        view = oc.as_of(source, day)
        assert view.df.index.equals(pd.RangeIndex(len(view)))
        pd.testing.assert_frame_equal(source.df, before)
    assert len(oc.as_of(source, cohort.as_of)) == len(source)
    late = oc.as_of(source, dt.date(2026, 8, 15)).df  # exposure after the date is not known then, nor the 12-month scores
    assert late.exposure_start_days.notna().sum() < df.exposure_start_days.notna().sum()
    assert late.mh_score_12m.notna().sum() < df.mh_score_12m.notna().sum()


def test_as_of_hides_the_future(cohort):
    view = oc.as_of(cohort, "2025-12-31")
    cut = pd.Timestamp("2025-12-31")
    assert (view.df.enroll_date <= cut).all()
    horizon = (cut - view.df.enroll_date).dt.days
    assert (view.df.relapse_days <= horizon).all() and (view.df.exit_days <= horizon).all()
    # whoever left treatment after the cutoff was still in treatment then, censored at the cutoff
    full = cohort.df.set_index("participant_id")
    seen = view.df.set_index("participant_id")
    later = (full.loc[seen.index, "enroll_date"] + pd.to_timedelta(full.loc[seen.index, "exit_days"], unit="D")) > cut
    ended_later = later & (full.loc[seen.index, "exit_reason"] != "in_treatment")
    assert ended_later.sum() > 50
    assert (seen.loc[ended_later, "exit_reason"] == "in_treatment").all()
    assert (seen.loc[ended_later, "exit_days"] == horizon.to_numpy()[ended_later.to_numpy()]).all()
    # and relapses after the cutoff are not seen
    relapsed_later = (full.loc[seen.index, "relapse_event"] == 1) & (
        full.loc[seen.index, "enroll_date"] + pd.to_timedelta(full.loc[seen.index, "relapse_days"], unit="D") > cut)
    assert relapsed_later.sum() > 20 and (seen.loc[relapsed_later, "relapse_event"] == 0).all()
    with pytest.raises(oc.InputError, match="after this cohort's own as-of date"):
        oc.as_of(cohort, "2027-01-01")


def test_a_past_quarter_gives_the_same_numbers_on_a_later_extract(cohort):
    # the report for 2025Q4 run on the extract as it was then, and on today's larger extract
    then = oc.as_of(cohort, "2026-03-31")  # an extract pulled a quarter later
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = build(oc.as_of(then, "2025-12-31"), "2025Q4", bootstrap=50)
        b = build(cohort, "2025Q4", bootstrap=50)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_dtype=False)


def test_suppression_with_complementary_cells():
    table = pd.DataFrame({"site": ["A", "B"], "x": [4, 50], "y": [30, 0], "z": [12, 8], "total": [46, 58]})
    shown = suppress_table(table, ["x", "y", "z"], "total")
    # 4 hidden, and 12 so 4 cannot be recovered: 12 is not small, so it says "suppressed", not "<11" (a falsehood)
    assert shown.iloc[0].tolist() == ["A", "<11", "30", "suppressed", "46"]
    # 8 = 58 - 50 - 0 could be recovered from the total: 50 is hidden too (zero is never suppressed)
    assert shown.iloc[1].tolist() == ["B", "suppressed", "0", "<11", "58"]
    # without a total nothing can be subtracted: only the small cell goes
    assert suppress_table(table, ["x", "y", "z"]).iloc[1].tolist() == ["B", "50", "0", "<11", 58]


def _all_cells(tables: dict[str, pd.DataFrame]) -> list[str]:
    return [str(v) for t in tables.values() for v in t.to_numpy().ravel()]


def test_report_tables_never_show_a_small_count():
    small = oc.synthetic_cohort(n=150, seed=3)  # small enough that many cells are 1-10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = build(small, "2026Q3", bootstrap=50)
    enrollment = r.tables["enrollment"]
    for col in ("Enrolled this quarter", "Enrolled to date"):
        for v in enrollment[col]:
            assert v in ("<11", "suppressed", "0") or int(v.replace(",", "")) > 10
    # enrolled before this quarter (to date minus this quarter) is never a count from 1 to 10 either
    for now, total in zip(enrollment["Enrolled this quarter"], enrollment["Enrolled to date"]):
        if "<" not in now + total and "suppressed" not in now + total:
            assert not 0 < int(total.replace(",", "")) - int(now.replace(",", "")) <= 10
    follow = r.tables["follow_up"]
    for col in ("Due", "Reached"):
        for v in follow[col]:
            assert v in ("<11", "0", "not shown") or int(v.replace(",", "")) > 10
    assert "<11" in _all_cells(r.tables)


def test_quarterly_writes_html_workbook_and_notebook(tmp_path, cohort):
    html = oc.report.quarterly(REPO / "data" / "synthetic" / "cohort.csv", quarter="2026Q3", out=tmp_path,
                               formats=["html", "xlsx", "ipynb"], program="Harbor Peer Recovery")
    text = html.read_text()
    assert "Harbor Peer Recovery: quarterly outcomes report, 2026Q3" in text
    assert "import outcomes" not in text  # no code
    sections = ("Summary", "Enrollment", "Follow-up against SAMHSA", "Retention", "Time to relapse",
                "Secondary outcomes", "claims against this program", "Change since the previous quarter",
                "Data quality", "Methods and caveats")
    positions = [text.index(f"<h2>{name}") if f"<h2>{name}" in text else text.index(name) for name in sections]
    assert positions == sorted(positions) and text.index("<h2>Summary") < text.index("<h2>Enrollment")
    assert "SYN-0" not in text  # no participant identifier in the output
    with pd.ExcelFile(html.with_suffix(".xlsx")) as workbook:
        assert {"summary", "Enrollment", "Follow up", "Retention", "Relapse", "Secondary outcomes", "Claims",
                "Change since last quarter", "Data quality", "methods"} <= set(workbook.sheet_names)
        relapse = workbook.parse("Relapse", dtype=str)
    hr = relapse.set_index("Measure").loc["Hazard ratio, unadjusted", "Estimate"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = oc.compare_arms(oc.as_of(cohort, "2026-09-30")).hazard_ratio.value
    assert hr == f"{expected:.2f}"
    # papermill parameters carry a path, the quarter and the program's name, never data
    nb = json.loads(html.with_suffix(".ipynb").read_text())
    injected = [c for c in nb["cells"] if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    source = "".join(injected[0]["source"])
    assert "cohort_path" in source and "quarter" in source and len(source) < 400
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 8  # the figures show in the notebook


def test_quarterly_accepts_a_cohort_object_without_leaving_data_behind(tmp_path):
    small = oc.synthetic_cohort(n=400, seed=8)
    html = oc.report.quarterly(small, quarter="2026Q2", out=tmp_path)
    assert html.exists()
    assert not list(tmp_path.glob("*.parquet")) and not list(tmp_path.glob("*.csv"))


def test_grant_figures_files(tmp_path):
    small = oc.synthetic_cohort(n=1500, seed=2)
    folder = oc.report.grant_figures(small, out=tmp_path, bootstrap=50)
    listing = pd.read_csv(folder / "figures.csv")
    names = set(listing.figure)
    assert {"km_relapse", "forest_hazard_ratios", "cumulative_incidence_dropout", "retention_30_90_180",
            "enrollment_by_quarter", "claims_vs_cohort", "love_plot"} <= names
    for name in names:
        for width in ("single", "double"):
            for ext in ("png", "pdf", "svg"):
                assert (folder / f"{name}_{width}.{ext}").stat().st_size > 1000
        assert (folder / f"{name}.caption.txt").read_text().strip()
        assert (folder / f"{name}.alt.txt").read_text().strip()
    from PIL import Image

    with Image.open(folder / "km_relapse_single.png") as img:
        assert round(img.info["dpi"][0]) == 300
        assert img.size[0] == pytest.approx(3.5 * 300, abs=2)
    with Image.open(folder / "km_relapse_double.png") as img:
        assert img.size[0] == pytest.approx(7 * 300, abs=2)
    caption = (folder / "km_relapse.caption.txt").read_text()
    assert re.search(r"Hazard ratio, .*: \d\.\d\d \(95% CI \d\.\d\d to \d\.\d\d\)", caption)


def test_km_figure_at_risk_row_suppresses_small_counts():
    df = pd.DataFrame({"participant_id": [str(i) for i in range(40)], "arm": (["a", "b"] * 20),
                       "relapse_days": np.arange(40) * 5.0 + 1, "relapse_event": [1, 0, 0, 1] * 10})
    res = oc.compare_arms(oc.Cohort(df, reference="a"))
    fig = F.km_figure(res, at_risk_times=[0, 100, 190])
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "<11" in texts
    assert not any(re.fullmatch(r"([1-9]|10)", t) for t in texts)


def test_figure_functions_do_not_touch_pyplot(cohort):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F.km_figure(oc.compare_arms(cohort))
        F.enrollment_figure(cohort)
    assert plt.get_fignums() == before


def test_report_and_figures_commands(tmp_path, capsys):
    data = str(REPO / "data" / "synthetic" / "cohort.csv")
    assert main(["figures", "--data", data, "--out", str(tmp_path / "f")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["claims", "--data", data, "--out", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "32 figures registered" in out and (tmp_path / "c" / "claims_reconciliation.csv").exists()
    assert main(["report", "--data", data, "--quarter", "2026Q9", "--out", str(tmp_path / "r")]) == 2
    assert "write it like 2026Q3" in capsys.readouterr().err
