"""Privacy at the door: direct identifiers are refused unless the mapping drops or transforms them.

HIPAA Safe Harbor lists the direct identifiers a de-identified extract must not
carry: names, street addresses, ZIP codes beyond their first three digits, full
dates of birth, phone numbers, e-mail addresses, Social Security and medical
record numbers, among others. A column whose name looks like one is refused
with the column named, unless the mapping's ``[privacy]`` table drops it or
transforms it (``zip3``: keep the first three digits; ``age_from_dob``: age in
whole years at enrollment, 90 and over grouped as 90; ``offset``: any date
becomes days from enrollment). Ages of 90 and over are always grouped.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ...core.errors import InputError

__all__ = ["identifier_kind", "check_identifiers", "zip3", "age_from_dob", "group_ages_90"]

_PATTERNS = [
    ("name", r"(^|[\s_])(first|last|full|client|patient|participant|middle)?[\s_]*name($|[\s_])"),
    ("Social Security number", r"\bssn\b|social[\s_]*security"),
    ("phone number", r"phone|telephone|mobile|cell\b"),
    ("e-mail address", r"e-?mail"),
    ("street address", r"address|street"),
    ("medical record number", r"\bmrn\b|medical[\s_]*record"),
    ("date of birth", r"\bdob\b|date[\s_]*of[\s_]*birth|birth[\s_]*date|birthdate"),
    ("ZIP code", r"\bzip\b|zip[\s_]*code|postal"),
    ("fax number", r"\bfax\b"),
    ("health plan or account number", r"medicaid|medicare|insurance|health[\s_]*plan|member[\s_]*(id|number|no)\b|"
                                      r"policy[\s_]*(id|number|no)\b|account|\bacct\b"),
    ("license or certificate number", r"licen[cs]e|certificate|driver"),
    ("vehicle identifier", r"\bvin\b|vehicle|plate[\s_]*(number|no)"),
    ("device identifier", r"device|serial[\s_]*(number|no)"),
    ("web address", r"\burl\b|website|web[\s_]*site|web[\s_]*page"),
    ("IP address", r"\bip[\s_]*address|^ip$"),
    ("photo or biometric", r"photo|picture|image|fingerprint|biometric|voice[\s_]*print"),
]


def identifier_kind(column: str) -> str | None:
    """What direct identifier a column name suggests, or None.

    >>> identifier_kind("Client Name"), identifier_kind("Date of Birth"), identifier_kind("Age at Intake")
    ('name', 'date of birth', None)
    >>> identifier_kind("Medicaid ID"), identifier_kind("Driver's license"), identifier_kind("Prior treatments")
    ('health plan or account number', 'license or certificate number', None)
    """
    lowered = column.strip().lower()
    for kind, pattern in _PATTERNS:
        if re.search(pattern, lowered):
            return kind
    return None


def check_identifiers(columns: list[str], handled: set[str], source: str) -> None:
    for col in columns:
        kind = identifier_kind(col)
        if kind and col not in handled:
            raise InputError(
                f"file '{source}', column '{col}': looks like a direct identifier ({kind}); identifiers must not "
                f"enter the analysis. Add it to the mapping's [privacy] drop list, or transform it "
                f"(transform = {{ \"{col}\" = \"zip3\" or \"age_from_dob\" }}); the raw file is not modified"
            )


def zip3(values: pd.Series) -> pd.Series:
    """First three digits of a ZIP code (Safe Harbor); missing stays missing."""
    text = values.astype("string").str.extract(r"^\s*(\d{3})", expand=False)
    return text.astype(object).where(text.notna(), None)


def group_ages_90(age: np.ndarray) -> np.ndarray:
    """Ages of 90 and over become 90 (Safe Harbor)."""
    return np.where(age >= 90, 90.0, age)


def age_from_dob(dob: pd.Series, enroll: pd.Series) -> np.ndarray:
    """Whole years between birth and enrollment, 90+ grouped."""
    years = enroll.dt.year - dob.dt.year - ((enroll.dt.month * 100 + enroll.dt.day) < (dob.dt.month * 100 + dob.dt.day))
    return group_ages_90(years.to_numpy(dtype=float))
