"""The ingestion, count-table, scan, mapping and argument families of the contract sweep (issue 22).

Each case is a call a user could make with a damaged file, a mistyped mapping or an edge argument; under the
contract it returns finite numbers or raises InputError / NotEstimableError with the reason, never anything
else. ``tests/test_contract.py`` runs every case; ``benchmarks/sweep_contract.py --families`` counts them.
Before issue 22, 27 of the first 38 cases (and every e_value / hazard_ratio_from_risks edge) broke it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

import outcomes as oc

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example_extract"
Case = tuple[str, Callable[[], Any]]


def ingestion_cases(tmp: Path, base: oc.Cohort) -> Iterator[Case]:
    """(name, call) for each case; files are written under ``tmp`` (``base``: a synthetic cohort)."""
    yield from _files(tmp)
    yield from _mappings(tmp)
    yield from _cohorts(tmp, base)
    yield from _count_tables(tmp, base)
    yield from _scans(tmp)
    yield from _arguments(tmp, base)


def _files(tmp: Path) -> Iterator[Case]:
    header = pd.DataFrame({"Client ID": ["a", "b"], 5: [1, 2], dt.datetime(2026, 1, 1): [1, 2]})
    header.to_excel(tmp / "header.xlsx", index=False)
    yield "xlsx header cells that are a number and a date", lambda: oc.validate_extract(tmp / "header.xlsx")
    (tmp / "csv.xlsx").write_text("a,b\n1,2\n")
    yield "a CSV saved as .xlsx", lambda: oc.validate_extract(tmp / "csv.xlsx")
    (tmp / "zero.xlsx").write_bytes(b"")
    yield "a 0-byte .xlsx", lambda: oc.validate_extract(tmp / "zero.xlsx")
    (tmp / "bad.parquet").write_bytes(b"PAR1garbage")
    yield "a corrupt Parquet file", lambda: oc.validate_extract(tmp / "bad.parquet")
    pd.DataFrame({"a": [1]}).to_excel(tmp / "one.xlsx", index=False)
    yield "a sheet that does not exist", lambda: oc.validate_extract(tmp / "one.xlsx", sheet="Clients")
    yield "a sheet of a CSV file", lambda: oc.draft_mapping(EXAMPLE / "tracker_export.csv", sheet=1)
    (tmp / "dup.csv").write_text("Client ID,Client ID\n1,2\n")
    yield "a header naming one column twice", lambda: oc.draft_mapping(tmp / "dup.csv")
    yield "as_of in the year 2300", lambda: oc.read_extract(EXAMPLE / "program_extract.csv",
                                                          EXAMPLE / "mapping.toml", as_of="2300-01-01")
    yield "as_of 30 February", lambda: oc.read_extract(EXAMPLE / "program_extract.csv", EXAMPLE / "mapping.toml",
                                                     as_of="2026-02-30")


def _mappings(tmp: Path) -> Iterator[Case]:
    shapes = {"values as text": {"values": {"arm": "x"}}, "columns as a list": {"columns": ["Client ID"]},
              "dates as text": {"dates": "%m/%d/%Y"}, "covariates as a list": {"covariates": ["age"]},
              "format %Q": {"dates": {"format": "%Q"}}, "followup rules as text": {"followup": {"rules": "as_of"}},
              "an unknown rule": {"followup": {"rules": ["never"]}}, "privacy drop as text": {"privacy": {
                  "drop": "Client Name"}}, "a transform list": {"privacy": {"transform": ["ZIP"]}}}
    for name, mapping in shapes.items():
        yield f"mapping: {name}", lambda m=mapping: oc.validate_extract(EXAMPLE / "program_extract.csv", m)
    (tmp / "latin1.toml").write_bytes('[columns]\nparticipant_id = "Cli\xe9nt"\n'.encode("latin-1"))
    yield "a latin-1 mapping file", lambda: oc.validate_extract(EXAMPLE / "program_extract.csv", tmp / "latin1.toml")
    (tmp / "broken.toml").write_text("[columns\n")
    yield "a mapping file that is not TOML", lambda: oc.validate_extract(EXAMPLE / "program_extract.csv",
                                                                        tmp / "broken.toml")


def _cohorts(tmp: Path, base: oc.Cohort) -> Iterator[Case]:
    zoned = base.df.assign(enroll_date=pd.to_datetime(base.df.enroll_date).dt.tz_localize("UTC"))
    yield "a timezone-aware enrollment date", lambda: oc.compare_arms(oc.Cohort(zoned, reference="clinical"))
    mixed = base.df.assign(mix=[1, "a"] * (len(base) // 2))
    yield "a covariate mixing numbers and text, to Parquet", lambda: oc.Cohort(
        mixed, reference="clinical", covariates=[*base.covariates, "mix"]).write(tmp / "mix.parquet")
    huge = base.df.assign(age=base.df.age * 1e298)
    yield "ages near 1e300", lambda: oc.compare_arms(oc.Cohort(huge, reference="clinical",
                                                                 covariates=base.covariates), adjust=["age"])
    renamed = base.df.replace({"arm": {"clinical": "A", "peer_clinical": "B"}})
    yield "twin_report of arms not called clinical/peer", lambda: oc.twin_report(
        oc.Cohort(renamed, reference="A"), oc.synthetic_twin(oc.Cohort(renamed, reference="A")))


def _count_tables(tmp: Path, base: oc.Cohort) -> Iterator[Case]:
    text = oc.summarize(base).write(tmp / "counts.csv").read_text()
    notice, meta_line, *rows = text.splitlines()
    meta = json.loads(meta_line[2:])
    tampered = {
        "a broken metadata line": "\n".join([notice, "# {broken", *rows]),
        "no outcome key": "\n".join([notice, "# " + json.dumps({k: v for k, v in meta.items() if k != "outcome"}),
                                     *rows]),
        "an unknown outcome": "\n".join([notice, "# " + json.dumps({**meta, "outcome": "sobriety"}), *rows]),
        "'many' as a count": text.replace(",1\n", ",many\n", 1),
    }
    for name, content in tampered.items():
        path = tmp / f"{name.replace(' ', '_')}.csv"
        path.write_text(content)
        yield f"count table: {name}", lambda p=path: oc.CountTable.read(p)
    (tmp / "utf16.csv").write_bytes(text.encode("utf-16"))
    yield "count table: UTF-16", lambda: oc.CountTable.read(tmp / "utf16.csv")
    yield "pool of a text", lambda: oc.pool(["x"])
    yield "pool of nothing", lambda: oc.pool([])


def _scans(tmp: Path) -> Iterator[Case]:
    (tmp / "empty.parquet").write_bytes(b"")
    yield "scan of an empty Parquet file", lambda: oc.scan(tmp / "empty.parquet", arm="arm", reference="clinical",
                                                           relapse=("a", "b"))
    yield "scan of a glob matching nothing", lambda: oc.scan(str(tmp / "nothing*.parquet"), arm="arm",
                                                             reference="clinical", relapse=("a", "b"))


def _arguments(tmp: Path, base: oc.Cohort) -> Iterator[Case]:
    for seed in (-1, 1.5, "abc"):
        yield f"synthetic_cohort(seed={seed!r})", lambda v=seed: oc.synthetic_cohort(n=50, seed=v)
    yield "relapse_risk_12m_clinical=1e-9", lambda: oc.synthetic_cohort(n=50, relapse_risk_12m_clinical=1e-9)
    yield "synthetic as_of 30 February", lambda: oc.synthetic_cohort(n=50, as_of="2026-02-30")
    yield "quarterly(..., '9999Q4')", lambda: oc.report.quarterly(base, "9999Q4", tmp, formats=["html"])
    yield "a program name over 255 characters in Word", lambda: oc.report.quarterly(
        base, "2026Q3", tmp, formats=["docx"], program="x" * 300)
    yield "sample_size(..., bogus=1)", lambda: oc.power.sample_size(0.7, bogus=1)
    yield "hazard_ratio_from_risks(0.5, 1.0)", lambda: oc.claims.hazard_ratio_from_risks(0.5, 1.0)
    yield "power_curve of no ratios", lambda: oc.power.power_curve([])
    yield "grant_sentence of HR 1", lambda: oc.power.grant_sentence(1.0)
    for v in (0, 1, math.inf, math.nan, -1):
        yield f"sample_size(hazard_ratio={v})", lambda v=v: oc.power.sample_size(v)
        yield f"power(n={v})", lambda v=v: oc.power.power(hazard_ratio=0.7, n=v)
        yield f"events_needed(power={v})", lambda v=v: oc.power.events_needed(0.7, v)
        yield f"minimum_detectable_hr(n={v})", lambda v=v: oc.power.minimum_detectable_hr(n=v)
        yield f"hazard_ratio_from_risks({v}, 0.3)", lambda v=v: oc.claims.hazard_ratio_from_risks(v, 0.3)
        yield f"e_value({v})", lambda v=v: oc.e_value(v)
        yield f"simulate_power(reps={v})", lambda v=v: oc.power.simulate_power(100, 0.7, reps=v)
