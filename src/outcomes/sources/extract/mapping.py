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
    [followup]           # where follow-up ends without a relapse, rules tried in order (the default)
    rules = ["last_contact", "discharge", "as_of"]
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...core.errors import InputError
from .followup import FOLLOWUP_RULES, check_rules

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
CODED_FIELDS = ("arm", "exit_reason", "site", "sex", "primary_substance")
SECTIONS = ("columns", "values", "dates", "covariates", "privacy", "followup")

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
    followup: tuple[str, ...] = FOLLOWUP_RULES

    def to_dict(self) -> dict[str, Any]:
        return {"columns": dict(self.columns), "values": {k: dict(v) for k, v in self.values.items()},
                "dates": {"format": self.date_format} if self.date_format else {},
                "covariates": {"keep": list(self.keep)},
                "privacy": {"drop": list(self.drop), "transform": dict(self.transform)},
                "followup": {"rules": list(self.followup)}, "inferred": self.inferred}


def load_mapping(mapping: str | Path | MappingABC | None) -> Mapping | None:
    """A Mapping from a TOML file or a dict (None stays None: the caller infers one).

    Every section is checked for its shape (a table where a table belongs, a list where a list belongs), so
    that a mistyped mapping is an InputError naming the section and the fix, never a crash.
    """
    if mapping is None:
        return None
    where = "mapping"
    if isinstance(mapping, (str, Path)):
        path = Path(mapping)
        mapping, where = _read_toml(path), f"mapping file '{path.name}'"
    if not isinstance(mapping, MappingABC):
        raise InputError(f"mapping must be a TOML path or a dict, not {type(mapping).__name__}")
    unknown_sections = set(mapping) - {*SECTIONS, "inferred"}
    if unknown_sections:
        raise InputError(f"{where}: unknown section(s) {sorted(map(str, unknown_sections))}; use "
                         f"{', '.join(SECTIONS)}")
    columns = _text_table(mapping.get("columns", {}), where, "[columns]", 'participant_id = "Client ID"')
    unknown = set(columns) - set(FIELDS)
    if unknown:
        raise InputError(f"{where}: [columns] has unknown field(s) {sorted(unknown)}; known fields: {list(FIELDS)}")
    values = {str(k): _text_table(v, where, f"[values.{k}]", '"Standard" = "clinical"')
              for k, v in _table(mapping.get("values", {}), where, "[values]", "[values.arm]").items()}
    for k in values:
        if k not in CODED_FIELDS:
            raise InputError(f"{where}: [values.{k}] is not a coded field ({', '.join(CODED_FIELDS)})")
    dates = _table(mapping.get("dates", {}), where, "[dates]", 'format = "%m/%d/%Y"')
    date_format = dates.get("format")
    if date_format is not None:
        date_format = check_date_format(date_format, where)
    privacy = _table(mapping.get("privacy", {}), where, "[privacy]", 'drop = ["Client Name"]')
    transform = _text_table(privacy.get("transform", {}), where, "[privacy] transform", '"ZIP" = "zip3"')
    for col, how in transform.items():
        if how not in TRANSFORMS:
            raise InputError(f"{where}: [privacy] transform of {col!r} must be one of {list(TRANSFORMS)}, not {how!r}")
    keep = _text_list(_table(mapping.get("covariates", {}), where, "[covariates]", 'keep = ["age"]').get("keep", []),
                      where, "[covariates] keep")
    followup = _table(mapping.get("followup", {}), where, "[followup]", f"rules = {list(FOLLOWUP_RULES)}")
    return Mapping(columns=columns, values=values, date_format=date_format, keep=keep,
                   drop=_text_list(privacy.get("drop", []), where, "[privacy] drop"), transform=transform,
                   followup=check_rules(followup.get("rules", list(FOLLOWUP_RULES)), where))


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(f"mapping file '{path}' does not exist")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"mapping file '{path.name}' is not UTF-8 text: save it again as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"mapping file '{path.name}' is not valid TOML: {exc}") from None


def _table(value: Any, where: str, section: str, example: str) -> MappingABC:
    if not isinstance(value, MappingABC):
        raise InputError(f"{where}: {section} must be a table of names and values (e.g. {example}), not "
                         f"{type(value).__name__} {value!r}")
    return value


def _text_table(value: Any, where: str, section: str, example: str) -> dict[str, str]:
    table = _table(value, where, section, example)
    bad = [k for k, v in table.items() if not isinstance(v, (str, int, float, bool)) or isinstance(v, bool)]
    if bad:
        raise InputError(f"{where}: {section} entry {bad[0]!r} must be text (e.g. {example}), not "
                         f"{table[bad[0]]!r}")
    return {str(a): str(b) for a, b in table.items()}


def _text_list(value: Any, where: str, section: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise InputError(f"{where}: {section} must be a list of column names, e.g. [\"age\", \"sex\"], not "
                         f"{value!r}")
    return tuple(str(v) for v in value)


def check_date_format(fmt: Any, where: str) -> str:
    """A ``strftime`` format that round-trips a date (``%Q`` or a format without day, month and year is refused)."""
    example = dt.date(2026, 3, 14)
    try:
        ok = isinstance(fmt, str) and dt.datetime.strptime(example.strftime(fmt), fmt).date() == example
    except ValueError:
        ok = False
    if not ok:
        raise InputError(f"{where}: [dates] format {fmt!r} does not read a date; use strftime codes with day, month "
                         "and year, e.g. \"%m/%d/%Y\" (US), \"%d/%m/%Y\" or \"%Y-%m-%d\"")
    return str(fmt)


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
