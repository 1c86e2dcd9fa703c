"""Documents a funder can file (issue 23, part 4): a tagged PDF with page numbers and a running header, Word with
header, footer, page fields and repeating header rows, Excel with numbers as numbers and frozen headers."""

from __future__ import annotations

import re
import warnings

import docx
import openpyxl
import pypdf
import pytest

import outcomes as oc

PROGRAM = "Harbor Peer Recovery"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("documents")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        html = oc.report.quarterly(oc.synthetic_cohort(n=300, seed=3), "2026Q3", out, formats=["pdf", "docx", "xlsx"],
                                   program=PROGRAM)
    return html.with_suffix("")


def test_the_pdf_is_tagged_titled_and_numbered(written):
    reader = pypdf.PdfReader(written.with_suffix(".pdf"))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root  # tagged (PDF/UA-1)
    assert root["/Lang"] == "en" and bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title.startswith(PROGRAM)
    pages = len(reader.pages)
    for k in (0, pages - 1):
        text = reader.pages[k].extract_text()
        assert f"Page {k + 1} of {pages}" in text and f"{PROGRAM} · Quarterly report 2026Q3" in text


def test_word_has_a_running_header_page_numbers_and_repeating_table_headers(written):
    document = docx.Document(str(written.with_suffix(".docx")))
    section = document.sections[0]
    assert section.header.paragraphs[0].text == f"{PROGRAM} · Quarterly report 2026Q3"
    footer = section.footer._element.xml
    assert 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer
    assert "python-docx" not in (document.core_properties.comments or "")
    assert document.core_properties.author == PROGRAM
    first_rows = [table.rows[0]._tr.xml for table in document.tables]
    assert first_rows and all("w:tblHeader" in xml for xml in first_rows)


def test_excel_cells_that_hold_numbers_are_numbers(written):
    book = openpyxl.load_workbook(written.with_suffix(".xlsx"))
    assert "Secondary outcomes" in book.sheetnames and "secondary_outcomes" not in book.sheetnames
    numeric_text = []
    for sheet in book.worksheets[1:-1]:
        assert sheet.freeze_panes == "A2"
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and re.fullmatch(r"-?[\d,]+(\.\d+)?%?", cell.value.strip()):
                    numeric_text.append((sheet.title, cell.coordinate, cell.value))
    assert not numeric_text
    retention = book["Retention"]
    header = [c.value for c in retention[1]]
    assert "95% CI (lower)" in header and "95% CI (upper)" in header
    lower = retention.cell(2, header.index("95% CI (lower)") + 1)
    assert isinstance(lower.value, float) and lower.number_format.endswith("%")


# ------------------------------------------------------------------ words and one number style
from outcomes.present.quarter import compute_quarter  # noqa: E402

E_NOTATION = re.compile(r"\d(\.\d+)?e[+-]?\d", re.IGNORECASE)


@pytest.fixture(scope="module")
def small_quarter():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compute_quarter(oc.synthetic_cohort(n=80, seed=777), "2026Q3", bootstrap=50)


def test_the_summary_leads_with_the_declared_primary_analysis_and_says_no_clear_difference(small_quarter):
    relapse = small_quarter.summary[2]
    adjusted = small_quarter.relapse_adjusted.hazard_ratio
    assert adjusted.ci_lower < 1 < adjusted.ci_upper
    assert relapse.startswith("There was no clear difference in the hazard of relapse between those with clinical "
                              "care only and with peer support added, adjusted for the recorded confounders "
                              f"(hazard ratio {adjusted.value:.2f}")
    assert "sensitivity analyses: unadjusted" in relapse and "% lower" not in relapse
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = compute_quarter(oc.synthetic_cohort(n=2000, seed=0), "2026Q3", bootstrap=50, primary="weighted")
    hr = weighted.relapse_iptw.hazard_ratio
    assert weighted.summary[2].startswith(f"The hazard of relapse was {100 * (1 - hr.value):.0f}% lower with peer "
                                          "support added than with clinical care only, weighting by")
    with pytest.raises(oc.InputError, match="primary analysis must be one of"):
        compute_quarter(oc.synthetic_cohort(n=80, seed=1), "2026Q3", primary="best")


def test_narration_writes_intervals_in_words_and_no_clear_difference():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = oc.synthetic_cohort(n=80, seed=777)
        text = oc.narrate(oc.compare_arms(cohort, adjust=["age", "co_occurring_mh"]))
        competing = oc.narrate(oc.cumulative_incidence(oc.synthetic_cohort(n=800, seed=2)))
    assert "There was no clear difference in the hazard of relapse" in text
    assert "after adjusting for age and co-occurring mental illness" in text  # words, not code names
    assert re.search(r"95% CI \d+% to \d+%", text) and re.search(r"\d+% to \d+%", competing)
    assert not re.search(r"\d%-\d", text + competing) and "nan" not in text + competing


def test_result_displays_have_words_for_headers_and_no_e_notation():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = oc.compare_arms(oc.synthetic_cohort(n=3000, seed=1))
    markdown, html = result.to_markdown(), result._repr_html_()
    assert "median_ci_lower" not in markdown and "Median CI lower" in markdown
    assert result.logrank.p_value < 1e-6 and not E_NOTATION.search(markdown + html)
    assert "< 0.001" in oc.compare_arms(oc.synthetic_cohort(n=3000, seed=1)).hazard_ratio.to_markdown()


def test_the_report_defines_its_words(small_quarter):
    from outcomes.outputs.report.sections import quarterly_document

    sections = {s.title: s for s in quarterly_document(small_quarter).sections}
    definitions = " ".join(sections["Definitions"].text)
    for word in ("Relapse:", "Retention:", "Follow-up windows:", "As-of date:", "Suppression:", "Hazard ratio:"):
        assert word in definitions
    assert list(sections).index("Definitions") < list(sections).index("Methods and caveats")


def test_the_pdf_pages_render_with_text_at_print_size(written):
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(written.with_suffix(".pdf")))
    import numpy as np

    page = np.asarray(document[0].render(scale=1.0).to_pil().convert("L"))
    assert page.shape == (792, 612) and (page < 128).sum() > 2000  # a letter page, printed on
    text = document[1].get_textpage().get_text_range()
    assert "Page 2 of" in text


def test_the_programs_own_names_are_used_everywhere(tmp_path, monkeypatch):
    (tmp_path / "outcomes.toml").write_text('[labels]\nclinical = "Standard care"\npeer_clinical = "Peer Mentor track"\n'
                                           'housing_unstable = "Housing at risk"\n')
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        html = oc.report.quarterly(oc.synthetic_cohort(n=300, seed=3), "2026Q3", tmp_path / "r",
                                   formats=["html"]).read_text(encoding="utf-8")
    assert html.count("Peer Mentor track") > 10 and "Standard care" in html and "Housing at risk" in html
    assert "Clinical only" not in html and "Peer support + clinical" not in html
    assert oc.model.schema.arm_label("clinical") == "Clinical only"  # only inside the report


def test_a_small_program_gets_no_empty_chart_and_no_arm_size_beside_a_small_one():
    from outcomes.outputs.report.sections import quarterly_document

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = oc.synthetic_cohort(n=25, seed=7)
        q = compute_quarter(cohort, "2026Q2", bootstrap=50)
    sections = {s.title: s for s in quarterly_document(q).sections}
    assert not sections["Enrollment"].figures and "no bar of the usual chart" in sections["Enrollment"].text[0]
    n_row = q.tables["baseline"].iloc[0]
    sizes = q.cohort.df.arm.value_counts()
    assert 1 <= sizes["peer_clinical"] <= 10
    assert (n_row["Clinical only"], n_row["Peer support + clinical"]) == ("suppressed", "<11")


# --- the typed document (issue 23, part 1): numbers carry their kind and value; one audit before rendering ---


@pytest.fixture(scope="module")
def typed_document():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oc.report.document(oc.synthetic_cohort(n=300, seed=3), "2026Q3", program=PROGRAM)


def test_every_number_in_the_document_carries_its_kind_value_and_text(typed_document):
    cells = typed_document.cells()
    kinds = set(cells.kind)
    assert {"count", "share", "number", "interval", "p_value", "text"} <= kinds
    counts = cells[cells.kind == "count"]
    assert len(counts) > 20
    assert [f"{v:,}" for v in counts.value] == counts.shown.tolist()
    assert not counts.value.between(1, 10).any()  # the CMS rule, over the whole document
    shares = cells[cells.kind == "share"]
    assert [f"{100 * v:,.{d}f}%" for v, d in zip(shares.value, [len(s.rstrip("%").partition(".")[2])
                                                               for s in shares.shown])] == shares.shown.tolist()
    assert cells[cells.kind.isin(["suppressed", "missing"])].value.isna().all()  # nothing hidden is carried
    intervals = cells[cells.kind == "interval"]
    assert all(lo <= hi for lo, hi in intervals.value)
    # the enrollment table's shown counts are the cohort's own counts
    enrolled = cells[(cells.table == "enrollment") & (cells.column == "Enrolled to date") & (cells.kind == "count")]
    from outcomes.model.asof import as_of

    cohort = as_of(oc.synthetic_cohort(n=300, seed=3), "2026-09-30").df
    by_site_arm = cohort.groupby(["site", "arm"], observed=True).size()
    assert len(enrolled) >= 2 and set(enrolled.value) <= set(by_site_arm.tolist())


def test_excel_holds_the_documents_own_numbers(typed_document, tmp_path):
    from outcomes.outputs.report.render_xlsx import write_xlsx

    book = openpyxl.load_workbook(write_xlsx(typed_document, tmp_path / "q.xlsx"))
    sheet = book["Enrollment"]
    table = typed_document.tables()[[t.name for t in typed_document.tables()].index("enrollment")].frame
    for i, row in enumerate(table.itertuples(index=False), start=2):
        for j, cell in enumerate(row, start=1):
            held = sheet.cell(i, j).value
            assert held == (cell.value if getattr(cell, "kind", "") == "count" else str(cell))


def test_the_audit_guards_what_a_table_or_sentence_let_through(tmp_path):
    import pandas as pd

    from outcomes.core.shown import Shown
    from outcomes.outputs.report.audit import audit_report
    from outcomes.outputs.report.model import Report, Section, Table
    from outcomes.outputs.report.render_html import render_html

    leaky = Table("leaky", "A table built without its rules", pd.DataFrame({
        "Measure": ["a", "b", "c"], "Count": [Shown("7", "count", 7), Shown("40", "count", 40), 3.0],
        "Ratio": [float("nan"), 1.77e-08, float("inf")]}))
    section = Section("Leaks", ("Only 4 participants relapsed; the hazard ratio is nan (p = 1.2e-05).",),
                      tables=(leaky,), notes=("positivity: 2 participants have extreme weights",))
    report = audit_report(Report("Leaks: quarterly outcomes report", PROGRAM, "", "", "", "2026Q3", (section,)))
    frame = report.tables()[0].frame
    assert frame.Count.tolist() == ["<11", "40", "3"]  # a raw 3.0 is a number of unknown kind: shown, typed
    assert frame.Ratio.tolist() == ["not estimable", "0.0000000177", "not estimable"]
    html = render_html(report)
    assert "nan" not in html and "e-05" not in html and "e-08" not in html
    assert "Only fewer than 11 participants relapsed" in html and "fewer than 11 participants have extreme" in html
    assert report.cells().query("column == 'Count'").kind.tolist() == ["suppressed", "count", "number"]
