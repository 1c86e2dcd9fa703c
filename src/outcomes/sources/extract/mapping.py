"""Mappings from an extract's columns and codes to the canonical schema (TOML file or dict).

::

    [columns]            # canonical field = source column
    participant_id = "Client ID"
    arm = "Program Track"
    enroll_date = "Intake Date"
    relapse_date = "First Relapse Date"
    last_contact_date = "Last Contact"
    exit_date = "Discharge Date"
    exit_reason = "Discharge Reason"
    site = "Location"
    age = "Age at Intake"
    [values.arm]         # source value = canonical value
    "Standard" = "clinical"
    "PRSS" = "peer_clinical"
    [values.exit_reason]
    "Completed program" = "completed"
    "Left against advice" = "dropout"
    [dates]
    format = "%m/%d/%Y"  # optional; without it ISO dates, and an error on ambiguous ones
    [covariates]
    keep = ["age"]
    [privacy]
    drop = ["Client Name"]            # identifier columns to discard
    transform = { "ZIP" = "zip3", "Date of Birth" = "age_from_dob", "Referral Date" = "offset" }
    # offset: a date becomes days from enrollment, named "<column> (days from enrollment)"
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...core.errors import InputError

__all__ = ["Mapping", "load_mapping", "infer_mapping", "FIELDS", "TRANSFORMS"]

#: canonical fields an extract can provide, and whether they are required
FIELDS = {
    "participant_id": True, "arm": True, "enroll_date": True, "relapse_date": False, "last_contact_date": False,
    "exit_date": False, "exit_reason": False, "site": False, "age": False, "sex": False,
    "primary_substance": False, "co_occurring_mh": False, "prior_treatments": False, "housing_unstable": False,
    "peer_start_date": False,
}
DATE_FIELDS = ("enroll_date", "relapse_date", "last_contact_date", "exit_date", "peer_start_date")
TRANSFORMS = ("zip3", "age_from_dob", "offset", "drop")

_COMMON_NAMES = {
    "participant_id": ["participant_id", "participant id", "client id", "client_id", "clientid", "record id", "id",
                       "pseudo id", "study id"],
    "arm": ["arm", "program track", "track", "treatment arm", "group", "program"],
    "enroll_date": ["enroll_date", "enrollment date", "enrolment date", "intake date", "admission date", "admit date",
                    "start date"],
    "relapse_date": ["relapse_date", "first relapse date", "relapse date", "date of relapse"],
    "last_contact_date": ["last_contact_date", "last contact", "last contact date", "last follow-up", "last seen"],
    "exit_date": ["exit_date", "discharge date", "discharge_date", "exit date", "end date"],
    "exit_reason": ["exit_reason", "discharge reason", "discharge_reason", "exit reason", "discharge type"],
    "site": ["site", "location", "program site", "clinic"],
    "age": ["age", "age at intake", "age at enrollment", "age_at_intake"],
    "sex": ["sex", "gender"],
    "primary_substance": ["primary_substance", "primary substance", "substance"],
    "co_occurring_mh": ["co_occurring_mh", "co-occurring mh", "co-occurring mental health", "dual diagnosis"],
    "prior_treatments": ["prior_treatments", "prior treatments", "prior treatment episodes"],
    "housing_unstable": ["housing_unstable", "unstable housing", "homeless"],
    "peer_start_date": ["peer_start_date", "peer start date", "first peer contact", "first peer contact date",
                        "peer support start", "peer support start date"],
}


@dataclass(frozen=True)
class Mapping:
    """A validated mapping. ``inferred`` is True when it was guessed from column names."""

    columns: dict[str, str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    date_format: str | None = None
    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    transform: dict[str, str] = field(default_factory=dict)
    inferred: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"columns": dict(self.columns), "values": {k: dict(v) for k, v in self.values.items()},
                "dates": {"format": self.date_format} if self.date_format else {},
                "covariates": {"keep": list(self.keep)},
                "privacy": {"drop": list(self.drop), "transform": dict(self.transform)}, "inferred": self.inferred}


def load_mapping(mapping: str | Path | MappingABC | None) -> Mapping | None:
    """A Mapping from a TOML file or a dict (None stays None: the caller infers one)."""
    if mapping is None:
        return None
    where = "mapping"
    if isinstance(mapping, (str, Path)):
        path = Path(mapping)
        if not path.exists():
            raise InputError(f"mapping file '{path}' does not exist")
        try:
            mapping = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"mapping file '{path}' is not valid TOML: {exc}") from None
        where = f"mapping file '{path.name}'"
    if not isinstance(mapping, MappingABC):
        raise InputError(f"mapping must be a TOML path or a dict, not {type(mapping).__name__}")
    unknown_sections = set(mapping) - {"columns", "values", "dates", "covariates", "privacy"}
    if unknown_sections:
        raise InputError(f"{where}: unknown section(s) {sorted(unknown_sections)}; use columns, values, dates, "
                         "covariates, privacy")
    columns = dict(mapping.get("columns", {}))
    unknown = set(columns) - set(FIELDS)
    if unknown:
        raise InputError(f"{where}: [columns] has unknown field(s) {sorted(unknown)}; known fields: {list(FIELDS)}")
    values = {k: {str(a): str(b) for a, b in v.items()} for k, v in dict(mapping.get("values", {})).items()}
    for k in values:
        if k not in ("arm", "exit_reason", "site", "sex", "primary_substance"):
            raise InputError(f"{where}: [values.{k}] is not a coded field (arm, exit_reason, site, sex, "
                             "primary_substance)")
    privacy = dict(mapping.get("privacy", {}))
    transform = {str(a): str(b) for a, b in dict(privacy.get("transform", {})).items()}
    for col, how in transform.items():
        if how not in TRANSFORMS:
            raise InputError(f"{where}: [privacy] transform of {col!r} must be one of {list(TRANSFORMS)}, not {how!r}")
    keep = tuple(mapping.get("covariates", {}).get("keep", ()))
    return Mapping(columns=columns, values=values, date_format=mapping.get("dates", {}).get("format"), keep=keep,
                   drop=tuple(privacy.get("drop", ())), transform=transform)


def infer_mapping(source_columns: list[str]) -> Mapping:
    """Recognise common column names, case-insensitively (``Client ID`` -> participant_id, ...)."""
    lowered = {c.strip().lower(): c for c in source_columns}
    columns: dict[str, str] = {}
    for canonical, names in _COMMON_NAMES.items():
        for name in names:
            if name in lowered and lowered[name] not in columns.values():
                columns[canonical] = lowered[name]
                break
    keep = tuple(f for f in ("age", "sex", "primary_substance", "co_occurring_mh", "prior_treatments",
                             "housing_unstable") if f in columns)
    return Mapping(columns=columns, keep=keep, inferred=True)
