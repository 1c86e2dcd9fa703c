"""Program extracts: 30+ malformed files with the exact error expected, exclusion counts, as-of, Excel, screens."""

from __future__ import annotations

import hashlib
import re
import shutil

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.outputs.cli import main

from .conftest import REPO

EXAMPLE = REPO / "data" / "example_extract"
MAPPING = {
    "columns": {"participant_id": "Client ID", "arm": "Program Track", "enroll_date": "Intake Date",
                "relapse_date": "First Relapse Date", "last_contact_date": "Last Contact",
                "exit_date": "Discharge Date", "exit_reason": "Discharge Reason", "age": "Age at Intake"},
    "values": {"arm": {"Standard": "clinical", "PRSS": "peer_clinical"},
               "exit_reason": {"Completed program": "completed", "Left against advice": "dropout"}},
    "dates": {"format": "%m/%d/%Y"},
    "covariates": {"keep": ["age"]},
}


def base() -> pd.DataFrame:
    return pd.DataFrame({
        "Client ID": ["C1", "C2", "C3", "C4", "C5", "C6"],
        "Program Track": ["Standard", "PRSS", "Standard", "PRSS", "Standard", "PRSS"],
        "Intake Date": ["01/05/2026", "01/12/2026", "02/02/2026", "02/09/2026", "03/02/2026", "03/09/2026"],
        "First Relapse Date": ["02/01/2026", "", "04/15/2026", "", "", "05/01/2026"],
        "Last Contact": ["06/01/2026", "06/15/2026", "06/20/2026", "06/25/2026", "06/26/2026", "06/28/2026"],
        "Discharge Date": ["02/20/2026", "04/12/2026", "", "03/30/2026", "", ""],
        "Discharge Reason": ["Left against advice", "Completed program", "", "Left against advice", "", ""],
        "Age at Intake": ["34", "41", "29", "52", "38", "45"],
    })


def write(tmp_path, df, name="extract.csv"):
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


def changed(column, row, value):
    df = base()
    df.loc[row, column] = value
    return df


CASES = [
    # (id, frame builder, mapping changes, expected message regex)
    ("impossible date", lambda: changed("Intake Date", 1, "02/30/2026"), {},
     r"column 'Intake Date' row 2: '02/30/2026' is not a date \(expected %m/%d/%Y\)"),
    ("missing enrollment date", lambda: changed("Intake Date", 2, ""), {},
     r"column 'Intake Date' row 3: the date is missing"),
    ("unparseable date", lambda: changed("Discharge Date", 0, "yesterday"), {},
     r"column 'Discharge Date' row 1: 'yesterday' is not a date"),
    ("relapse before enrollment", lambda: changed("First Relapse Date", 0, "12/25/2025"), {},
     r"column 'First Relapse Date' row 1: relapse date '12/25/2025' is before enrollment"),
    ("exit before enrollment", lambda: changed("Discharge Date", 1, "01/01/2026"), {},
     r"column 'Discharge Date' row 2: exit date '01/01/2026' is before enrollment"),
    ("contact before enrollment", lambda: changed("Last Contact", 4, "02/01/2026"), {},
     r"column 'Last Contact' row 5: last contact date '02/01/2026' is before enrollment"),
    ("date in the future", lambda: changed("Last Contact", 3, "06/25/2099"), {},
     r"column 'Last Contact' row 4: date '06/25/2099' is in the future"),
    ("duplicate id", lambda: changed("Client ID", 4, "C2"), {},
     r"column 'Client ID' row 5: participant id 'C2' appears more than once"),
    ("empty id", lambda: changed("Client ID", 0, ""), {},
     r"column 'Client ID' row 1: the participant id is empty"),
    ("unknown arm code", lambda: changed("Program Track", 2, "Peer+"), {},
     r"column 'Program Track' row 3: arm code 'Peer\+' is not known; map it to clinical or peer_clinical"),
    ("unknown discharge code", lambda: changed("Discharge Reason", 3, "Graduated"), {},
     r"column 'Discharge Reason' row 4: discharge code 'Graduated' is not known"),
    ("impossible age", lambda: changed("Age at Intake", 5, "150"), {},
     r"column 'Age at Intake' row 6: age '150' is impossible"),
    ("age not a number", lambda: changed("Age at Intake", 2, "forty"), {},
     r"column 'Age at Intake' row 3: age 'forty' is impossible"),
    ("negative age", lambda: changed("Age at Intake", 0, "-5"), {},
     r"column 'Age at Intake' row 1: age '-5' is impossible"),
    ("mixed date formats", lambda: changed("Intake Date", 4, "2026-03-02"), {},
     r"column 'Intake Date' row 5: date '2026-03-02' does not match the format %m/%d/%Y of this column \(mixed date formats\)"),
    ("discharge date without reason", lambda: changed("Discharge Reason", 1, ""), {},
     r"column 'Discharge Reason' row 2: a discharge date has no discharge reason"),
    ("discharge reason without date", lambda: changed("Discharge Date", 3, ""), {},
     r"column 'Discharge Date' row 4: a discharge reason has no discharge date"),
    ("no follow-up information", lambda: changed("Last Contact", 1, ""), {"followup": {"rules": ["last_contact"]}},
     r"column 'Last Contact' row 2: no relapse date, and no rule of \[followup\] \(last_contact\) says where "
     r"follow-up ends: follow-up is unknown; fill in the last contact date"),
    ("ambiguous date without a format", lambda: changed(base().columns[2], 0, "03/04/2026"), {"dates": {}},
     r"column 'Intake Date' row 1: '03/04/2026' is ambiguous .*set \[dates\] format"),
    ("non-ISO date without a format", lambda: changed("Intake Date", 0, "01/13/2026"), {"dates": {}},
     r"column 'Intake Date' row 1: '01/13/2026' is not an ISO date .*format = \"%m/%d/%Y\""),
    ("impossible ISO date", lambda: base().assign(**{
        "Intake Date": ["2026-01-05", "2026-02-30", "2026-02-02", "2026-02-09", "2026-03-02", "2026-03-09"],
        "First Relapse Date": [""] * 6, "Last Contact": ["2026-06-01"] * 6, "Discharge Date": [""] * 6,
        "Discharge Reason": [""] * 6}), {"dates": {}},
     r"column 'Intake Date' row 2: '2026-02-30' is not a date \(expected YYYY-MM-DD\)"),
    ("social security number", lambda: base().assign(SSN=["123-45-6789"] * 6), {},
     r"column 'SSN': looks like a direct identifier \(Social Security number\).*\[privacy\] drop"),
    ("client name", lambda: base().assign(**{"Client Name": ["A B"] * 6}), {},
     r"column 'Client Name': looks like a direct identifier \(name\)"),
    ("e-mail", lambda: base().assign(Email=["a@b.org"] * 6), {},
     r"column 'Email': looks like a direct identifier \(e-mail address\)"),
    ("phone", lambda: base().assign(**{"Phone Number": ["555-0100"] * 6}), {},
     r"column 'Phone Number': looks like a direct identifier \(phone number\)"),
    ("date of birth", lambda: base().assign(DOB=["01/01/1990"] * 6), {},
     r"column 'DOB': looks like a direct identifier \(date of birth\)"),
    ("five-digit ZIP", lambda: base().assign(ZIP=["07663"] * 6), {},
     r"column 'ZIP': looks like a direct identifier \(ZIP code\)"),
    ("street address", lambda: base().assign(**{"Home Address": ["1 Main St"] * 6}), {},
     r"column 'Home Address': looks like a direct identifier \(street address\)"),
    ("medical record number", lambda: base().assign(MRN=["12345"] * 6), {},
     r"column 'MRN': looks like a direct identifier \(medical record number\)"),
    ("mapped column missing from file", lambda: base().drop(columns="Intake Date"), {},
     r"the mapping names column\(s\) not in the file: \[\"enroll_date = 'Intake Date'\"\]"),
    ("one arm only", lambda: base().assign(**{"Program Track": ["Standard"] * 6}), {},
     r"column 'arm': found 1 arm label\(s\) \['clinical'\]"),
]


@pytest.mark.parametrize("name, build, mapping_change, expected", CASES, ids=[c[0] for c in CASES])
def test_malformed_extract_gives_the_exact_error(tmp_path, name, build, mapping_change, expected):
    mapping = {**MAPPING, **mapping_change}
    path = write(tmp_path, build())
    with pytest.raises(oc.InputError, match=expected) as info:
        oc.read_extract(path, mapping=mapping, as_of="2026-06-30")
    message = str(info.value)
    assert message.startswith("file 'extract.csv'"), message


@pytest.mark.parametrize(
    "mapping, expected",
    [
        ({"columns": {"participant": "Client ID"}}, r"\[columns\] has unknown field\(s\) \['participant'\]"),
        ({"columns": {}, "privacy": {"transform": {"ZIP": "blur"}}}, r"transform of 'ZIP' must be one of"),
        ({"colums": {}}, r"unknown section\(s\) \['colums'\]"),
        ({"columns": {"participant_id": "Client ID", "enroll_date": "Intake Date", "last_contact_date": "Last Contact"}},
         r"required column for arm is missing; add it to \[columns\]"),
    ],
)
def test_bad_mappings(tmp_path, mapping, expected):
    with pytest.raises(oc.InputError, match=expected):
        oc.read_extract(write(tmp_path, base()), mapping=mapping)


def test_file_level_errors(tmp_path):
    with pytest.raises(oc.InputError, match="does not exist"):
        oc.read_extract(tmp_path / "nope.csv", mapping=MAPPING)
    (tmp_path / "x.txt").write_text("a,b\n")
    with pytest.raises(oc.InputError, match=r"unsupported extension '.txt'"):
        oc.read_extract(tmp_path / "x.txt", mapping=MAPPING)
    (tmp_path / "m.toml").write_text("[columns\n")
    with pytest.raises(oc.InputError, match="is not valid TOML"):
        oc.read_extract(write(tmp_path, base()), mapping=tmp_path / "m.toml")
    with pytest.raises(oc.InputError, match="on_error must be"):
        oc.read_extract(write(tmp_path, base()), mapping=MAPPING, on_error="ignore")
    with pytest.raises(oc.InputError, match=r"as_of '2026-13-01' is not a date"):
        oc.read_extract(write(tmp_path, base()), mapping=MAPPING, as_of="2026-13-01")
    unknown = base().rename(columns={"Client ID": "Key", "Program Track": "Stream"})
    with pytest.raises(oc.InputError, match="required column for participant_id is missing; no column name was recognised"):
        oc.read_extract(write(tmp_path, unknown))


def test_exclude_counts_every_row(tmp_path):
    df = base()
    df.loc[0, "Intake Date"] = "02/30/2026"
    df.loc[3, "Program Track"] = "Peer+"
    df.loc[3, "Age at Intake"] = "200"  # second problem on the same row: counted once, under its first problem
    df.loc[5, "Intake Date"] = "06/20/2026"  # enrolled after the as-of date below
    df.loc[5, "First Relapse Date"] = ""
    path = write(tmp_path, df)
    cohort = oc.read_extract(path, mapping=MAPPING, as_of="2026-06-15", on_error="exclude")
    report = oc.validate_extract(path, mapping=MAPPING, as_of="2026-06-15")
    assert report.rows_read == report.rows_kept + report.rows_excluded == 6
    assert report.rows_kept == len(cohort) == 3
    reasons = dict(zip(report.by_reason.reason, report.by_reason.rows))
    assert reasons == {"invalid date in Intake Date": 1, "unknown arm code": 1,
                       "enrolled after the as-of date (not yet known then)": 1}
    assert len(report.problems) == 3  # every problem is listed (a late enrollment is not a problem, only excluded)
    assert cohort.provenance["ingestion"]["rows excluded"] == 3


def test_durations_from_dates_and_censoring_at_as_of(tmp_path):
    cohort = oc.read_extract(write(tmp_path, base()), mapping=MAPPING, as_of="2026-04-30")
    df = cohort.df.set_index("participant_id")
    assert df.loc["C1", "relapse_days"] == 27 and df.loc["C1", "relapse_event"] == 1  # Jan 5 -> Feb 1
    assert df.loc["C3", "relapse_days"] == 72 and df.loc["C3", "relapse_event"] == 1  # Feb 2 -> Apr 15
    assert df.loc["C6", "relapse_event"] == 0  # relapse on May 1 is after the as-of date: not seen
    assert df.loc["C6", "relapse_days"] == 52  # censored at Apr 30
    assert df.loc["C2", "exit_reason"] == "completed" and df.loc["C2", "exit_days"] == 90
    assert df.loc["C3", "exit_reason"] == "in_treatment" and df.loc["C3", "exit_days"] == 87
    assert list(cohort.covariates) == ["age"]


def test_same_as_of_on_a_later_extract_gives_identical_numbers(tmp_path):
    later = pd.read_csv(EXAMPLE / "program_extract.csv", dtype=str, keep_default_na=False)
    cutoff = pd.Timestamp("2026-03-31")

    def as_pulled_then(df):
        out = df.copy()
        dates = {c: pd.to_datetime(out[c], format="%m/%d/%Y") for c in
                 ("Intake Date", "First Relapse Date", "Last Contact", "Discharge Date")}
        out = out[dates["Intake Date"] <= cutoff].copy()
        for c in ("First Relapse Date", "Discharge Date"):
            after = dates[c][out.index] > cutoff
            out.loc[after, c] = ""
            if c == "Discharge Date":
                out.loc[after, "Discharge Reason"] = ""
        contact = dates["Last Contact"][out.index].clip(upper=cutoff)
        out["Last Contact"] = contact.dt.strftime("%m/%d/%Y")
        return out

    earlier = write(tmp_path, as_pulled_then(later), "then.csv")
    now = write(tmp_path, later, "now.csv")
    a = oc.read_extract(earlier, mapping=EXAMPLE / "mapping.toml", as_of="2026-03-31")
    b = oc.read_extract(now, mapping=EXAMPLE / "mapping.toml", as_of="2026-03-31")
    pd.testing.assert_frame_equal(a.df, b.df)
    assert oc.compare_arms(a).hazard_ratio.value == oc.compare_arms(b).hazard_ratio.value


def test_excel_extract_with_real_dates_end_to_end(tmp_path):
    df = pd.read_csv(EXAMPLE / "program_extract.csv", dtype=str, keep_default_na=False)
    for c in ("Intake Date", "First Relapse Date", "Last Contact", "Discharge Date"):
        df[c] = pd.to_datetime(df[c], format="%m/%d/%Y")  # Excel stores real date cells
    path = tmp_path / "extract.xlsx"
    df.to_excel(path, index=False)
    cohort = oc.read_extract(path, mapping=EXAMPLE / "mapping.toml", as_of="2026-09-30")
    csv = oc.read_extract(EXAMPLE / "program_extract.csv", mapping=EXAMPLE / "mapping.toml", as_of="2026-09-30")
    pd.testing.assert_frame_equal(cohort.df.drop(columns="zip3"), csv.df.drop(columns="zip3"))
    assert oc.compare_arms(cohort, "retention").hazard_ratio.value == pytest.approx(
        oc.compare_arms(csv, "retention").hazard_ratio.value)
    bad = df.copy()
    bad.loc[4, "Program Track"] = "??"
    bad.to_excel(tmp_path / "bad.xlsx", index=False)
    with pytest.raises(oc.InputError, match=r"file 'bad.xlsx', column 'Program Track' row 5 \(spreadsheet row 6\)"):
        oc.read_extract(tmp_path / "bad.xlsx", mapping=EXAMPLE / "mapping.toml")


def test_privacy_transforms_and_raw_file_untouched(tmp_path):
    path = tmp_path / "program_extract.csv"
    shutil.copy(EXAMPLE / "program_extract.csv", path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    cohort = oc.read_extract(path, mapping=EXAMPLE / "mapping.toml", as_of="2026-09-30")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert "Client Name" not in cohort.df.columns and "ZIP" not in cohort.df.columns
    assert cohort.df["zip3"].str.fullmatch(r"\d{3}").all()
    df = base().assign(**{"Date of Birth": ["01/01/1930", "06/30/1990", "01/01/2000", "12/31/1985", "02/02/1970",
                                            "03/03/1960"]})
    mapping = {**MAPPING, "privacy": {"transform": {"Date of Birth": "age_from_dob"}}}
    ages = oc.read_extract(write(tmp_path, df), mapping=mapping, as_of="2026-06-30").df.age.tolist()
    assert ages == [90, 35, 26, 40, 56, 66]  # 96 grouped as 90 (Safe Harbor); whole years at intake


def test_without_a_mapping_common_names_are_recognised(tmp_path):
    df = pd.DataFrame({"Client_ID": ["a", "b", "c", "d"], "ARM": ["clinical", "peer_clinical"] * 2,
                       "Enrollment Date": ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"],
                       "Last Contact": ["2026-03-01"] * 4, "Relapse Date": ["2026-02-01", "", "", "2026-02-10"],
                       "Age": ["30", "40", "50", "60"]})
    report = oc.validate_extract(write(tmp_path, df))
    assert report.mapping["inferred"]
    assert report.mapping["columns"] == {"participant_id": "Client_ID", "arm": "ARM", "enroll_date": "Enrollment Date",
                                         "relapse_date": "Relapse Date", "last_contact_date": "Last Contact", "age": "Age"}
    assert "recognised by name" in " ".join(report.notes())
    assert len(oc.read_extract(write(tmp_path, df))) == 4


# ------------------------------------------------------------------------------------------ screens
def screens(history: str, start_week: int = 0, pid: str = "p") -> pd.DataFrame:
    """'+' positive, '-' negative, '.' missing, one character per week from start_week."""
    rows = [{"participant_id": pid, "day": 7 * (start_week + i), "positive": int(c == "+")}
            for i, c in enumerate(history) if c != "."]
    return pd.DataFrame(rows, columns=["participant_id", "day", "positive"])


@pytest.mark.parametrize(
    "history, expected_days, expected_event",
    [
        ("---++++--------------------", 21, 1),   # weeks 3-6 positive: relapse at week 3
        ("-----++++------------------", 35, 1),   # weeks 5-8
        ("---+++-+++-+++-------------", 7 * 26, 0),  # never four in a row: censored at the last screened week
        ("---++..--------------------", 21, 1),   # missing counts as positive: weeks 3-6 = ++..
        ("-----------------------++++", 7 * 26, 0),  # run starts at week 23 and ends past week 24: not counted
        ("--------------------++++---", 140, 1),  # weeks 20-23: inside the window
        ("++++-----------------------", 7 * 26, 0),  # before week 3 does not count
        ("------", 42, 1),                         # no screens after week 5: four missing weeks from week 6
    ],
)
def test_consecutive_rule_by_hand(history, expected_days, expected_event):
    out = oc.derive_relapse(screens(history)).iloc[0]
    assert (out.relapse_days, out.relapse_event) == (expected_days, expected_event)


def test_missing_rules_and_ids_without_screens():
    hist = screens("---++..--------")
    strict = oc.derive_relapse(hist, missing_is_positive=False).iloc[0]
    assert strict.relapse_event == 0
    out = oc.derive_relapse(hist, participants=["p", "nobody"]).set_index("participant_id")
    assert out.loc["nobody", "relapse_event"] == 1 and out.loc["nobody", "relapse_days"] == 21  # all missing
    quiet = oc.derive_relapse(screens(""), participants=["nobody"], missing_is_positive=False).iloc[0]
    assert (quiet.relapse_days, quiet.relapse_event) == (0, 0)  # no screens, missing not positive: censored at 0


def test_first_positive_rule_and_week_windows():
    s = pd.DataFrame({"participant_id": ["a", "a", "a", "b"], "day": [10, 19, 30, 40], "positive": [1, 0, 1, 0]})
    out = oc.derive_relapse(s, rule="first_positive").set_index("participant_id")
    assert out.loc["a", "relapse_days"] == 30 and out.loc["a", "relapse_event"] == 1  # day 10 is before week 3
    assert out.loc["b", "relapse_event"] == 0 and out.loc["b", "relapse_days"] == 42  # day 40 sits in week 6
    # day 25 is week 4 (25 = 28 - 3); day 24.5 would fall between windows of (-3, 3)
    both = oc.derive_relapse(pd.DataFrame({"participant_id": ["x"], "day": [25], "positive": [1]}), rule="first_positive")
    assert both.relapse_days.item() == 25


def test_screen_input_errors():
    with pytest.raises(oc.InputError, match=r"column 'positive' row 2: value 2 is not 0 or 1"):
        oc.derive_relapse(pd.DataFrame({"participant_id": ["a", "a"], "day": [21, 28], "positive": [1, 2]}))
    with pytest.raises(oc.InputError, match=r"column 'day' row 1: time -7 is negative"):
        oc.derive_relapse(pd.DataFrame({"participant_id": ["a"], "day": [-7], "positive": [1]}))
    with pytest.raises(oc.InputError, match="rule must be"):
        oc.derive_relapse(screens("---"), rule="any")
    with pytest.raises(oc.InputError, match=r"id 'q' is not among the participants given"):
        oc.derive_relapse(screens("---", pid="q"), participants=["p"])


def test_retention_from_visits_by_hand():
    visits = pd.DataFrame({"participant_id": ["a"] * 4 + ["b"] * 10,
                           "day": [0, 7, 14, 21] + [7 * w for w in range(10)]})
    out = oc.derive_retention(visits, last_week=12).set_index("participant_id")
    assert out.loc["a", "exit_reason"] == "dropout" and out.loc["a", "exit_days"] == 21  # then weeks 4-7 missed
    assert out.loc["b", "exit_reason"] == "in_treatment" and out.loc["b", "exit_days"] == 63


def test_validate_command(capsys):
    assert main(["validate", str(EXAMPLE / "program_extract.csv"), "--mapping", str(EXAMPLE / "mapping.toml"),
                 "--as-of", "2026-06-30"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"300 rows read, \d+ kept, \d+ excluded", out)
    assert "enrolled after the as-of date" in out


def test_example_extract_regenerates_byte_for_byte(tmp_path):
    from outcomes.sources.extract.example import EXAMPLE_MAPPING, example_extract

    example_extract(oc.synthetic_cohort(n=300, seed=42)).to_csv(tmp_path / "x.csv", index=False, lineterminator="\n")
    assert (tmp_path / "x.csv").read_bytes() == (EXAMPLE / "program_extract.csv").read_bytes()
    assert (EXAMPLE / "mapping.toml").read_text() == EXAMPLE_MAPPING


def test_dates_become_offsets_from_enrollment(tmp_path):
    df = base().assign(**{"Referral Date": ["01/01/2026", "01/10/2026", "", "02/01/2026", "03/01/2026", "03/02/2026"]})
    mapping = {**MAPPING, "privacy": {"transform": {"Referral Date": "offset"}}}
    cohort = oc.read_extract(write(tmp_path, df), mapping=mapping, as_of="2026-06-30")
    offsets = cohort.df["Referral Date (days from enrollment)"].tolist()
    assert offsets[:2] == [-4.0, -2.0] and np.isnan(offsets[2]) and offsets[3:] == [-8.0, -1.0, -7.0]
    assert "Referral Date" not in cohort.df.columns
