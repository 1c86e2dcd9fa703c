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
