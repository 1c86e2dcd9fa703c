"""De-identification: identifiers found by content, Safe Harbor transforms, keyed pseudonyms that link
quarters, and a re-identification risk that equals a hand count."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.privacy import RESTRICTED_ZIP3
from outcomes.sources.extract.example import EXAMPLE_MAPPING, HIDDEN_IDENTIFIERS, messy_export
from outcomes.outputs.cli import main

KEY = b"program key: 32 bytes of secret!"
MAPPING = EXAMPLE_MAPPING.replace('keep = ["age", "sex"]', 'keep = ["age", "sex", "Race/Ethnicity"]')


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    raw = messy_export(oc.synthetic_cohort(n=400, seed=3))
    raw.loc[[5, 17], "Age at Intake"] = [93, 90]
    path = folder / "export.csv"
    raw.to_csv(path, index=False)
    (folder / "mapping.toml").write_text(MAPPING)
    return path, folder / "mapping.toml", raw


@pytest.fixture(scope="module")
def shared(export):
    path, mapping, _ = export
    return oc.deidentify(path, mapping, key=KEY, as_of="2026-09-30")


def test_identifiers_hidden_in_innocent_columns_are_found_by_content_and_named(export, shared):
    _, _, raw = export
    found = oc.find_identifiers(raw)
    for column, kind in HIDDEN_IDENTIFIERS.items():
        hit = found[(found.column == column) & (found.kind == kind)]
        assert len(hit) == 1 and hit.found_by.item() == "content", column
        # the rows counted are the rows holding it: every filled value, but in Notes only the call-backs
        holding = raw[column].str.startswith("called back") if column == "Notes" else raw[column] != ""
        assert hit.rows.item() == int(holding.sum()) > 0
        action = shared.actions.set_index("column").loc[column]
        assert action.action.startswith("dropped") and kind in action.kind
    assert not set(HIDDEN_IDENTIFIERS) & set(shared.df.columns)


def test_a_column_that_would_leave_with_identifiers_is_refused_with_every_such_column_named(export, tmp_path):
    path, _, _ = export
    leaky = tmp_path / "leaky.toml"
    leaky.write_text(MAPPING.replace('"Race/Ethnicity"]', '"Race/Ethnicity", "Notes", "Chart"]'))
    with pytest.raises(oc.InputError) as err:
        oc.deidentify(path, leaky, key=KEY, as_of="2026-09-30")
    message = str(err.value)
    assert "'Notes' (phone number" in message and "'Notes' (free text" in message
    assert "'Chart' (medical record or account number" in message and "[privacy] drop" in message


def test_no_identifier_or_date_leaves(export, shared):
    _, _, raw = export
    out = shared.df
    assert not set(raw["Client ID"]) & set(out.participant_id)
    assert out.participant_id.str.fullmatch(r"P-[0-9a-f]{20}").all() and out.participant_id.is_unique
    assert "enroll_date" not in out.columns and set(out.enroll_year) <= {2024, 2025, 2026}
    text = out.astype(str).to_csv(header=False, index=False)
    assert "@" not in text and "MR-" not in text and "/" not in text
    assert out.age.max() == 90 and (out.age == 90).sum() == 2  # 93 and 90 grouped as 90 or older


def test_restricted_zip3_prefixes_become_000(export, shared):
    _, _, raw = export
    prefix = raw["ZIP"].str[:3]
    expected = np.where(prefix.isin(RESTRICTED_ZIP3), "000", prefix)
    assert prefix.isin(RESTRICTED_ZIP3).sum() > 20
    assert shared.df.zip3.tolist() == expected.tolist()  # no row excluded: same order as the export


def test_quarters_link_with_the_same_key_and_not_with_another(export):
    path, mapping, _ = export
    q2 = oc.deidentify(path, mapping, key=KEY, as_of="2026-06-30")
    q3 = oc.deidentify(path, mapping, key=KEY, as_of="2026-09-30")
    other = oc.deidentify(path, mapping, key=b"another program's key, 32 bytes", as_of="2026-09-30")
    assert len(q2.df) < len(q3.df)
    assert set(q2.df.participant_id) <= set(q3.df.participant_id)  # everyone of Q2 found again in Q3
    linked = q2.df.merge(q3.df, on="participant_id", suffixes=("_q2", "_q3"))
    assert len(linked) == len(q2.df) and (linked.arm_q2 == linked.arm_q3).all()
    assert (linked.enroll_year_q2 == linked.enroll_year_q3).all() and (linked.age_q2 == linked.age_q3).all()
    assert not set(other.df.participant_id) & set(q3.df.participant_id)


def test_the_key_is_required_and_never_written(export, tmp_path, monkeypatch):
    path, mapping, raw = export
    with pytest.raises(oc.InputError, match="needs key="):
        oc.deidentify(path, mapping, key=None)
    with pytest.raises(oc.InputError, match="16 bytes or more"):
        oc.deidentify(path, mapping, key=b"short")
    with pytest.raises(oc.InputError, match="'OUTCOMES_KEY' .* is not set"):
        oc.deidentify(path, mapping, key="env:OUTCOMES_KEY")
    key_file = oc.new_key(tmp_path / "program.key")
    assert (key_file.stat().st_mode & 0o777) == 0o600
    with pytest.raises(oc.InputError, match="exists already"):
        oc.new_key(key_file)
    monkeypatch.setenv("OUTCOMES_KEY", key_file.read_text().strip())
    from_env = oc.deidentify(path, mapping, key="env:OUTCOMES_KEY", as_of="2026-09-30")
    from_file = oc.deidentify(path, mapping, key=key_file, as_of="2026-09-30")
    assert from_env.df.participant_id.tolist() == from_file.df.participant_id.tolist()
    written = from_file.write(tmp_path / "shared" / "extract.csv")
    sidecar = written.with_name("extract.privacy.json")
    for f in (written, sidecar):
        assert key_file.read_text().strip() not in f.read_text()
    meta = json.loads(sidecar.read_text())
    assert meta["level"] == "safe_harbor" and meta["risk"]["k"] == from_file.risk.k
    back = oc.Cohort.read(written)  # the analyst reads it as any cohort file
    assert len(back) == len(from_file.df) and back.as_of == from_file.as_of
    assert back.df.participant_id.tolist() == from_file.df.participant_id.tolist()
    assert back.provenance["deidentified"] == "safe_harbor"
    with pytest.raises(oc.InputError, match="keeps only the enrollment year: a limited data set"):
        oc.report.quarterly(back, "2026Q3", tmp_path / "report", formats=["html"])


def test_the_raw_export_is_never_modified(export):
    path, mapping, _ = export
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    oc.deidentify(path, mapping, key=KEY, as_of="2026-09-30")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_limited_data_set_keeps_enrollment_dates_and_says_so(export, tmp_path):
    path, mapping, _ = export
    lds = oc.deidentify(path, mapping, key=KEY, level="limited_data_set", as_of="2026-09-30")
    assert "enroll_date" in lds.df.columns and "enroll_year" not in lds.df.columns
    assert "data use agreement" in lds.metadata["permits"]
    meta = json.loads(lds.write(tmp_path / "lds.parquet").with_name("lds.privacy.json").read_text())
    assert meta["level"] == "limited_data_set" and "data use agreement" in meta["permits"]
    cohort = lds.to_cohort()
    assert len(cohort) == len(lds.df) and cohort.as_of.isoformat() == "2026-09-30"
    with pytest.raises(oc.InputError, match="level must be one of"):
        oc.deidentify(path, mapping, key=KEY, level="expert")


def test_k_and_unique_equal_a_hand_count():
    # quasi-identifiers: 5-year age band, sex, site. Groups by hand:
    #   (30-34, female, A): rows 0, 1, 2       -> 3
    #   (30-34, male, A):   row 3              -> 1 (unique)
    #   (45-49, female, B): rows 4-8           -> 5
    #   (90+, male, B):     rows 9, 10 (92, 95) -> 2
    df = pd.DataFrame({"age": [30, 32, 34, 31, 45, 46, 47, 48, 49, 92, 95],
                       "sex": ["female"] * 3 + ["male"] + ["female"] * 5 + ["male"] * 2,
                       "site": ["A"] * 4 + ["B"] * 7})
    risk = oc.reidentification_risk(df)
    assert risk.quasi_identifiers == ("age band", "sex", "site")
    assert (risk.k, risk.unique, risk.records) == (1, 1, 11)
    assert risk.share_below_11 == 1.0  # every group is under 11
    # the lone man of 30-34 at site A stays alone under wider age bands and merged sites: nothing to suggest
    assert risk.suggestions.empty and "No generalization available here" in risk.notes()[0]


def test_suggested_generalizations_reach_k_11_and_say_what_they_give():
    df = oc.synthetic_cohort(n=2000, seed=3).df
    risk = oc.reidentification_risk(df)
    assert risk.k < 11 and risk.suggestions.k.iloc[-1] >= 11
    assert (np.diff(risk.suggestions.k) >= 0).all()
    # re-apply the last suggestion by hand: the k it reports is the smallest group left
    steps = risk.suggestions.generalization.iloc[-1].split(" + ")
    qi = pd.DataFrame({"sex": df.sex, "site": df.site, "year": df.enroll_date.dt.year,
                       "age": (df.age // 5 * 5).astype(int).where(df.age < 90, 90)})
    if "10-year age bands" in steps:
        qi["age"] = (df.age // 10 * 10).astype(int).where(df.age < 90, 90)
    if "20-year age bands" in steps:
        qi["age"] = (df.age // 20 * 20).astype(int).where(df.age < 90, 90)
    qi = qi.drop(columns=[c for s, c in (("sites merged", "site"), ("enrollment year removed", "year")) if s in steps])
    assert qi.value_counts().min() == risk.suggestions.k.iloc[-1]


def test_command_line(export, tmp_path, capsys):
    path, mapping, _ = export
    key = tmp_path / "k.key"
    out = tmp_path / "out" / "extract.csv"
    assert main(["deidentify", str(path), "--mapping", str(mapping), "--new-key", str(key), "--out", str(out),
                 "--as-of", "2026-09-30"]) == 0
    printed = capsys.readouterr().out
    assert "pseudonymized" in printed and "smallest group (k)" in printed and out.exists()
    assert main(["deidentify", str(path), "--mapping", str(mapping), "--out", str(out)]) == 2
    assert "--key-file FILE or --key-env NAME" in capsys.readouterr().err


def test_wrong_inputs_are_input_errors_and_names_cover_the_other_safe_harbor_kinds(export):
    path, mapping, raw = export
    with pytest.raises(oc.InputError, match="reads the export file"):
        oc.deidentify(raw, mapping, key=KEY)
    with pytest.raises(oc.InputError, match="measures a DataFrame"):
        oc.reidentification_risk([1, 2])
    pd.testing.assert_frame_equal(oc.find_identifiers(path), oc.find_identifiers(raw.astype(str)))
    named = pd.DataFrame({"Medicaid ID": ["1"], "Fax": ["2"], "Website": ["3"], "Device serial no": ["4"],
                          "Photo": ["5"], "Sessions": ["6"]})
    kinds = oc.find_identifiers(named).set_index("column").kind.to_dict()
    assert kinds == {"Medicaid ID": "health plan or account number", "Fax": "fax number", "Website": "web address",
                     "Device serial no": "device identifier", "Photo": "photo or biometric"}


def test_quasi_identifiers_are_found_whatever_the_case_and_dates_count_by_year():
    df = pd.DataFrame({"Age": [30, 31, 52], "Race/Ethnicity": ["White", "White", "Asian"],
                       "enroll_date": ["2025-01-03", "2025-11-30", "2026-02-01"]})
    risk = oc.reidentification_risk(df)
    assert risk.quasi_identifiers == ("age band", "race/ethnicity", "enrollment year")
    assert (risk.k, risk.unique) == (1, 1)  # the two 30-34 White enrolled in 2025 share a group; the third is alone
    assert risk.suggestions.empty  # three records cannot make groups of 11, whatever is generalized
