"""Twenty program exports of different design, rendered from one synthetic cohort, for ``outcomes map``.

Each style names its columns, its arm and discharge codes, its date format, its file type (CSV, an Excel sheet
that is not the first, Parquet) and its blanks and extras (notes with phone numbers, a ZIP code, a date of
birth, a name, an empty column). ``render(style, cohort)`` writes it; ``style.expected`` is the mapping a
careful evaluator would write, against which the drafted one is scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import outcomes as oc

FIELDS = ("participant_id", "arm", "enroll_date", "exit_date", "exit_reason", "relapse_date", "last_contact_date")


@dataclass(frozen=True)
class Style:
    name: str
    headers: tuple[str, ...]  # in FIELDS order; "" = the export has no such column
    arms: tuple[str, str]  # (clinical, peer) codes
    exits: tuple[str, str, str]  # (dropout, completed, transferred) codes
    date_format: str | None  # None: Excel date cells
    suffix: str = ".csv"
    extras: tuple[str, ...] = ()  # "notes", "zip", "dob", "name", "empty", "age", "gender", "site"

    @property
    def expected(self) -> dict[str, str]:
        return {f: h for f, h in zip(FIELDS, self.headers) if h}


STYLES = [
    Style("tracker", ("Client ID", "Program Track", "Intake Date", "Discharge Date", "Discharge Reason", "Relapse Date",
                      ""), ("Standard", "Peer Mentor"), ("AMA", "Completed", "Transferred"), "%m/%d/%Y",
          extras=("age", "gender", "empty")),
    Style("abbreviated", ("Pt #", "Svc Type", "Admit Dt", "Disch Dt", "Disch Type", "Relapse Dt", ""),
          ("TAU", "PRSS"), ("Left AMA", "Completed Tx", "Transferred Out"), "%m/%d/%Y", extras=("notes",)),
    Style("slashes", ("Clt ID", "Track", "Enrl Dt", "D/C Date", "D/C Reason", "Date of Relapse", ""),
          ("Clinical only", "Clinical + Peer"), ("Dropped out", "Graduated", "Transfer"), "%d/%m/%Y"),
    Style("snake", ("participant_id", "group", "start_date", "end_date", "exit_reason", "relapse_date",
                    "last_contact"), ("usual_care", "peer_support"), ("dropout", "completed", "transferred"),
          "%Y-%m-%d"),
    Style("records", ("Record Number", "Arm", "Admission Date", "Exit Date", "Exit Status", "First Relapse",
                      "Last Seen"), ("Usual care", "Peer coach"), ("Lost to contact", "Successful completion",
                                                                  "Referred out"), "%Y-%m-%d", ".parquet"),
    Style("excel cells", ("Client ID", "Program", "Intake Date", "Discharge Date", "Discharge Reason",
                          "Relapse Date", "Last Contact Date"), ("Standard Care", "Peer Recovery Support"),
          ("Against Medical Advice", "Completed", "Transferred"), None, ".xlsx", extras=("name", "zip")),
    Style("two-digit years", ("ID", "Group", "Adm Date", "Dschg Date", "Dschg Reason", "Relapse", ""),
          ("Control", "Peer"), ("Noncompliant", "Completed", "Transferred"), "%m/%d/%y"),
    Style("dotted", ("Klient ID", "Track", "Start", "End", "Exit Reason", "Relapse Date", ""),
          ("Standard", "Peer Mentor"), ("Dropped", "Completed", "Transferred"), "%d.%m.%Y"),
    Style("month names", ("Participant #", "Service Model", "Enrollment Date", "Closure Date", "Closure Reason",
                          "Relapse Date", ""), ("IOP", "IOP + Peer Support"),
          ("Disengaged", "Met goals", "Referred elsewhere"), "%b %d, %Y"),
    Style("camel", ("ClientId", "ProgramTrack", "IntakeDate", "DischargeDate", "DischargeReason", "RelapseDate", ""),
          ("Standard", "PeerMentor"), ("AMA", "Completed", "Transferred"), "%m/%d/%Y"),
    Style("dob", ("Client ID", "Track", "Intake Date", "Discharge Date", "Discharge Reason", "Relapse Date", ""),
          ("Standard", "Peer Mentor"), ("AMA", "Completed", "Transferred"), "%m/%d/%Y", extras=("dob", "notes")),
    Style("dashes", ("Case ID", "Program Type", "Admit Date", "Discharge Date", "Discharge Disposition",
                     "Relapse Date", ""), ("Outpatient", "Outpatient + Peer"), ("Left", "Completed", "Transferred"),
          "%m-%d-%Y"),
    Style("sheet", ("Client ID", "Program Track", "Intake Date", "Discharge Date", "Discharge Reason",
                    "Relapse Date", ""), ("Standard", "Peer Mentor"), ("AMA", "Completed", "Transferred"),
          "%m/%d/%Y", ".xlsx", extras=("site",)),
    Style("iso parquet", ("client_id", "track", "intake_date", "discharge_date", "discharge_reason", "relapse_date",
                          "last_contact_date"), ("standard", "peer"), ("ama", "completed", "transferred"),
          "%Y-%m-%d", ".parquet"),
    Style("letters", ("Client ID", "Cohort", "Intake Date", "Discharge Date", "Discharge Reason", "Relapse Date",
                      ""), ("A", "B"), ("AMA", "Completed", "Transferred"), "%m/%d/%Y"),
    Style("long words", ("Unique Client Identifier", "Treatment Condition", "Date of Admission", "Date of Discharge",
                         "Reason for Discharge", "Date of First Relapse", "Date of Last Contact"),
          ("Treatment as usual", "Peer recovery coaching"), ("Withdrew", "Completed", "Transferred"), "%m/%d/%Y"),
    Style("upper", ("CLIENT_ID", "TRACK", "INTAKE_DT", "DISCH_DT", "DISCH_RSN", "RELAPSE_DT", ""),
          ("STD", "PEER"), ("AMA", "COMP", "XFER"), "%m/%d/%Y"),
    Style("no discharge", ("Client ID", "Program Track", "Intake Date", "", "", "Relapse Date", "Last Contact"),
          ("Standard", "Peer Mentor"), ("AMA", "Completed", "Transferred"), "%m/%d/%Y"),
    Style("day first xlsx", ("Client ID", "Programme", "Referral Accepted", "Discharged", "Discharge Reason",
                             "Relapse Date", ""), ("Standard", "Peer Mentor"), ("Self-discharged", "Completed",
                                                                              "Transferred"), "%d/%m/%Y", ".xlsx"),
    Style("extras", ("Client ID", "Program Track", "Intake Date", "Discharge Date", "Discharge Reason",
                     "Relapse Date", ""), ("Standard", "Peer Mentor"), ("AMA", "Completed", "Transferred"),
          "%m/%d/%Y", extras=("age", "gender", "site", "zip", "name", "notes", "empty")),
]


@dataclass(frozen=True)
class Rendered:
    path: Path
    sheet: str | None = None
    expected_codes: dict[str, dict[str, str]] = field(default_factory=dict)


def render(style: Style, cohort: oc.Cohort, folder: Path) -> Rendered:
    """Write the cohort as this style's export."""
    df = cohort.df
    n = len(df)
    rng = np.random.default_rng(len(style.name))
    enroll = df.enroll_date

    def when(days: pd.Series, mask: np.ndarray) -> list:
        dates = enroll + pd.to_timedelta(days.fillna(0), unit="D")
        if style.date_format is None:
            return [d.to_pydatetime() if m else None for d, m in zip(dates, mask)]
        return [d.strftime(style.date_format) if m else "" for d, m in zip(dates, mask)]

    ended = (df.exit_reason != "in_treatment").to_numpy()
    exits = dict(zip(("dropout", "completed", "transferred"), style.exits), in_treatment="")
    columns = {
        "participant_id": [f"{1000 + i}" if style.name != "letters" else f"P-{i:04d}" for i in range(n)],
        "arm": np.where(df.arm == "clinical", style.arms[0], style.arms[1]),
        "enroll_date": when(pd.Series(0.0, index=df.index), np.ones(n, bool)),
        "exit_date": when(df.exit_days, ended),
        "exit_reason": df.exit_reason.map(exits).to_numpy(),
        "relapse_date": when(df.relapse_days, (df.relapse_event == 1).to_numpy()),
        "last_contact_date": when(df.followup_days, np.ones(n, bool)),
    }
    out = pd.DataFrame({h: columns[f] for f, h in zip(FIELDS, style.headers) if h})
    extra = {
        "age": ("Age", df.age.astype(int).where(rng.random(n) > 0.1).astype("Int64").astype(str).replace("<NA>", "")),
        "gender": ("Gender", df.sex.str.capitalize()),
        "site": ("Location", df.site),
        "zip": ("Zip", [f"{z:05d}" for z in rng.integers(10000, 99999, n)]),
        "dob": ("DOB", (enroll - pd.to_timedelta(df.age * 365.25, unit="D")).dt.strftime(style.date_format or
                                                                                      "%Y-%m-%d")),
        "name": ("Client Name", [f"Client {i}" for i in range(n)]),
        "notes": ("Comments", ["" if rng.random() < 0.5 else f"call back on ({rng.integers(201, 989)}) "
                               f"{rng.integers(200, 999)}-{rng.integers(1000, 9999)} after work" for _ in range(n)]),
        "empty": ("Counselor Notes", [""] * n),
    }
    for key in style.extras:
        header, values = extra[key]
        out[header] = list(values)
    path = folder / f"{style.name.replace(' ', '_')}{style.suffix}"
    sheet = None
    if style.suffix == ".parquet":
        out.to_parquet(path)
    elif style.suffix == ".xlsx":
        sheet = "Clients" if style.name == "sheet" else None
        with pd.ExcelWriter(path) as writer:
            if sheet:
                pd.DataFrame({"Read me": ["Exported from the case-management system"]}).to_excel(
                    writer, sheet_name="About", index=False)
            out.to_excel(writer, sheet_name=sheet or "Sheet1", index=False)
    else:
        out.to_csv(path, index=False)
    codes = {"arm": {style.arms[0]: "clinical", style.arms[1]: "peer_clinical"}}
    if style.headers[4]:
        present = set(out[style.headers[4]].astype(str)) - {""}
        codes["exit_reason"] = {c: k for k, c in exits.items() if c in present}
    return Rendered(path, sheet, codes)
