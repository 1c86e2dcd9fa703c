"""One computed quarter, four documents: HTML, Word, PDF and Excel show the same sections, the same numbers,
the summary first, and nothing a person should not read (nan, inf, e-notation, code names, small counts)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import outcomes as oc
from outcomes.outputs.cli import main
from outcomes.outputs.report import compute_quarter, quarterly_document, render_html

from .conftest import REPO
from .contract import bad_text

QUARTER = "2026Q2"
CODE_NAMES = re.compile(r"\b[a-z]+_[a-z_]+\b")  # enrolled_this_quarter, ci_lower, meets_80_percent_target


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    data = str(REPO / "data" / "synthetic" / "cohort.csv")
    code = main(["report", "--data", data, "--quarter", QUARTER, "--format", "html,docx,pdf,xlsx",
                 "--program", "Harbor Peer Recovery", "--funder", "SAMHSA", "--grant-id", "TI-000000",
                 "--out", str(out)])
    assert code == 0
    return {fmt: out / f"quarterly_{QUARTER}.{fmt}" for fmt in ("html", "docx", "pdf", "xlsx")}


@pytest.fixture(scope="module")
def report():
    cohort = oc.Cohort.read(REPO / "data" / "synthetic" / "cohort.csv")
    return quarterly_document(compute_quarter(cohort, QUARTER), program="Harbor Peer Recovery")


def _html_text(path) -> str:
    text = re.sub(r'src="data:image/png;base64,[^"]+"', "", path.read_text(encoding="utf-8"))
    return re.sub(r"<style>.*?</style>", "", text, flags=re.S)


def _docx_text(path):
    import docx

    doc = docx.Document(str(path))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return doc, headings, " ".join(p.text for p in doc.paragraphs) + " " + " ".join(cells)


def _pdf_text(path) -> str:
    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(str(path)).pages)


def test_all_four_formats_are_written(written):
    for path in written.values():
        assert path.exists() and path.stat().st_size > 5_000, path


def test_word_has_headings_real_tables_and_figures_with_the_summary_first(written, report):
    doc, headings, _ = _docx_text(written["docx"])
    title = next(p for p in doc.paragraphs if p.style.name == "Title")
    assert title.text.startswith("Harbor Peer Recovery: quarterly outcomes report")
    assert headings[0] == "Summary"
    assert headings == [s.title for s in report.sections]
    assert len(doc.tables) == len(report.tables())  # real tables, not pictures of tables
    assert len(doc.inline_shapes) == len(report.figures())
    assert doc.core_properties.author == "Harbor Peer Recovery"


def test_pdf_has_the_same_sections_in_order(written, report):
    text = _pdf_text(written["pdf"])
    positions = [text.find(s.title) for s in report.sections]
    assert -1 not in positions and positions == sorted(positions)
    assert text.find("Summary") < text.find("Enrollment")


def test_no_document_shows_nan_inf_e_notation_or_code_names(written):
    texts = {"html": _html_text(written["html"]), "docx": _docx_text(written["docx"])[2],
             "pdf": _pdf_text(written["pdf"])}
    with pd.ExcelFile(written["xlsx"]) as book:
        texts["xlsx"] = " ".join(book.parse(name, header=None, dtype=str).fillna("").to_string()
                                 for name in book.sheet_names)
    for fmt, text in texts.items():
        assert not bad_text([text]), fmt
    for fmt in ("docx", "pdf"):
        # snake_case words would be code names: none, not even the covariates (the methods name them in words)
        leftover = set(CODE_NAMES.findall(texts[fmt]))
        assert not leftover, (fmt, leftover)


def test_the_numbers_are_the_same_in_every_format(written, report):
    relapse = next(t for t in report.tables() if t.name == "relapse").frame.set_index("Measure")
    hr = relapse.loc["Hazard ratio, unadjusted"]
    expected = [hr["Estimate"], hr["95% CI"], report.sections[0].text[0][:60]]
    with pd.ExcelFile(written["xlsx"]) as book:
        sheet = book.parse("Relapse").set_index("Measure")
        summary = " ".join(book.parse("summary", header=None, dtype=str).fillna("")[0])
    row = sheet.loc["Hazard ratio, unadjusted"]  # numbers as numbers; the interval as two columns
    assert f"{row['Estimate']:.2f}" == hr["Estimate"]
    assert f"{row['95% CI (lower)']:.2f} to {row['95% CI (upper)']:.2f}" == hr["95% CI"]
    assert expected[2] in summary
    for text in (_html_text(written["html"]), _docx_text(written["docx"])[2],
                 " ".join(_pdf_text(written["pdf"]).split())):
        for value in expected:
            assert value in text


def test_the_html_figures_have_alt_text(written, report):
    html = written["html"].read_text(encoding="utf-8")
    assert html.count("<img") == len(report.figures())
    assert html.count('alt="') >= len(report.figures())
    assert '<meta name="author" content="Harbor Peer Recovery">' in html


def test_a_small_programs_report_says_what_could_not_be_estimated():
    small = oc.synthetic_cohort(n=30, seed=4)
    text = render_html(quarterly_document(compute_quarter(small, "2026Q3", bootstrap=50)))
    assert "Not estimable this quarter" in text or "fewer than 11" in text
    assert not bad_text([re.sub(r'src="data:image/png;base64,[^"]+"', "", text)])


def test_identity_comes_from_outcomes_toml(tmp_path, monkeypatch):
    from outcomes.outputs.report import identity

    (tmp_path / "outcomes.toml").write_text('[report]\nprogram = "Bridges Recovery"\nfunder = "State DHHS"\n')
    monkeypatch.chdir(tmp_path)
    assert identity() == {"program": "Bridges Recovery", "funder": "State DHHS", "grant_id": None, "logo": None,
                          "primary": None}
    assert identity(program="Other")["program"] == "Other"
    (tmp_path / "outcomes.toml").write_text("[report\n")
    with pytest.raises(oc.InputError, match="not valid TOML"):
        identity()


def test_unknown_format_is_an_input_error(tmp_path, capsys):
    data = str(REPO / "data" / "synthetic" / "cohort.csv")
    assert main(["report", "--data", data, "--quarter", QUARTER, "--format", "html,rtf", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "'rtf' is not one of" in err and err.count("\n") == 1


def test_the_notebook_format_prints_no_kernel_warnings(tmp_path):
    import subprocess
    import sys

    data = str(REPO / "data" / "synthetic" / "cohort.csv")
    done = subprocess.run([sys.executable, "-m", "outcomes", "report", "--data", data, "--quarter", QUARTER,
                           "--format", "ipynb", "--out", str(tmp_path), "--quiet"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and "WARNING" not in done.stdout  # --quiet: no progress line either
