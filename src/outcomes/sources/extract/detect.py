"""Identifiers found by what a column holds, not only by its name.

A case-management export hides identifiers in innocently named columns: a "Notes"
column with phone numbers, an "Alt contact" with e-mail addresses, a "Ref" column
with Social Security numbers. :func:`find_identifiers` reads every value of every
column and reports, per column, the kinds of HIPAA Safe Harbor identifiers it holds
(by name and by content), how many rows, and the first row: the evidence a person
needs to decide. Free text (notes, comments) is reported too: it cannot be checked
value by value and never leaves the program.

Each pattern is deliberately simple and errs towards finding too much: a false alarm
costs a line in the mapping's drop list, a miss costs a breach.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ...core.errors import InputError
from .identifiers import identifier_kind

__all__ = ["CONTENT_PATTERNS", "filled_rows", "find_identifiers", "is_free_text"]

_STREET = (r"st|street|ave|avenue|rd|road|blvd|boulevard|ln|lane|dr|drive|ct|court|way|pl|place|ter|terrace|"
           r"pkwy|parkway|hwy|highway|cir|circle|apt|suite")

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_I = re.IGNORECASE

#: (kind, compiled pattern) searched in each value; the first kinds are the most specific. Each form was added
#: for a way people really type the identifier (tests/identifier_forms.py holds 62 of them).
CONTENT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("e-mail address", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[\w.]+\s+at\s+[\w-]+\s+dot\s+\w+", _I)),
    ("URL", re.compile(r"https?://|\bwww\.[\w-]+\.|\b[\w-]+\.(?:com|org|net|edu|gov|io|me|us|uk)(?:/\S*)?\b", _I)),
    ("IP address", re.compile(r"\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b|"
                              r"\b(?:[0-9a-f]{1,4}:){5,7}[0-9a-f]{1,4}\b|\b[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*::", _I)),
    ("Social Security number", re.compile(r"\b\d{3}[-.\s]\d{2}[-.\s]\d{4}\b|\bss[n#]?\s*#?:?\s*\d{9}\b", _I)),
    ("phone number", re.compile(r"(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\b\d{3}[\s.-])\d{3}[\s.-]\d{4}\b|"
                                r"\b\d{3}[-\s]\d{4}\b|\+\d{1,3}(?:[\s.-]?\d{1,4}){2,5}\b|\b\d{10}\b")),
    ("street address", re.compile(rf"\b\d{{1,6}}\s+(?:[A-Za-z0-9.'-]+\s+){{1,4}}(?:{_STREET})\b\.?|"
                                  r"\bp\.?\s*o\.?\s*box\s*\d+", _I)),
    ("street address", re.compile(r"\b\d{1,6}[A-Za-z]?\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\b")),  # "5 Maple"
    ("medical record or account number",
     re.compile(r"\b(?:mrn|acct|account|member|policy|record|chart|dl|vin|plate|licen[cs]e|serial|badge|case)\b"
                r"\s*(?:id|no)?\.?\s*[#:-]?\s*[A-Za-z0-9-]*\d[A-Za-z0-9-]{3,}|\b[A-Za-z]{0,4}-?\d{6,}\b", _I)),
    ("ZIP code", re.compile(r"\bzip\s*(?:code)?\s*[:#]?\s*\d{5}\b|\b\d{5}-\d{4}\b", _I)),
    ("photo or biometric", re.compile(r"\.(?:jpe?g|png|gif|heic|bmp|tiff?)\b", _I)),
    ("date", re.compile(r"\b\d{1,2}/\d{1,2}/(?:\d{2}|\d{4})\b|\b(?:19|20)\d{2}-\d{1,2}-\d{1,2}\b|"
                        r"\b\d{1,2}\.\d{1,2}\.(?:19|20)?\d{2}\b|"
                        rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{2,4}}\b|"
                        rf"\b\d{{1,2}}(?:st|nd|rd|th)?[\s-]+{_MONTH}[\s-]+\d{{2,4}}\b", _I)),
]


def is_free_text(values: pd.Series) -> bool:
    """Whether a column holds free text: sentences (five words or more) in at least a tenth of its
    non-empty values, or any value of twelve words or more, and not a coded column (at least half of
    its values distinct, or more than 50 distinct values).

    >>> is_free_text(pd.Series(["called back, will come in on Monday after work", "", "no answer", "left a message"]))
    True
    >>> is_free_text(pd.Series(["Transferred to another provider in the county", "Completed program"] * 5))
    False
    >>> is_free_text(pd.Series(["Site A", "Site B", "Site A"]))
    False
    """
    text = _non_empty_text(values).dropna()
    if text.empty:
        return False
    distinct = text.nunique()
    if distinct <= 50 and distinct < 0.5 * len(text):
        return False  # a few labels repeated: codes, however wordy
    words = text.str.split().str.len()
    return bool((words >= 5).mean() >= 0.1 or (words >= 12).any())


def _non_empty_text(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip()
    return text.where((text != "") & (text.str.lower() != "nan") & values.notna())


def filled_rows(values: pd.Series) -> int:
    """Rows with a value (not blank, not missing)."""
    return int(_non_empty_text(values).notna().sum())


def find_identifiers(raw: pd.DataFrame | str | os.PathLike, exempt: Iterable[str] = ()) -> pd.DataFrame:
    """Every column that holds identifiers or free text, with the evidence.

    Parameters
    ----------
    raw : DataFrame or path
        The export (a CSV, XLSX or Parquet file is read as text; it is not modified).
    exempt : column names
        Columns whose content is expected to look like an identifier because it will be transformed
        (the source id, which becomes a pseudonym; date columns, which become days).

    Returns
    -------
    DataFrame
        ``column, kind, found_by ("name" or "content"), rows, first_row`` (1-based data row), one row
        per column and kind.

    Examples
    --------
    >>> raw = pd.DataFrame({"Client ID": ["C1", "C2"], "Notes": ["call 555-201-3344", ""], "Age": ["34", "51"]})
    >>> find_identifiers(raw, exempt=["Client ID"])[["column", "kind", "found_by", "rows"]].values.tolist()
    [['Notes', 'phone number', 'content', 1]]
    """
    if isinstance(raw, (str, os.PathLike)):
        from .read import read_raw

        raw = read_raw(Path(raw))
    if not isinstance(raw, pd.DataFrame):
        raise InputError(f"find_identifiers reads a DataFrame or an export file, not {type(raw).__name__}")
    exempt = set(exempt)
    found = []
    for column in raw.columns:
        if column in exempt:
            continue
        by_name = identifier_kind(str(column))
        text = _non_empty_text(raw[column])
        present = text.notna().to_numpy()
        if by_name:
            found.append((column, by_name, "name", int(present.sum()), _first(present)))
        hits: dict[str, np.ndarray] = {}
        for kind, pattern in CONTENT_PATTERNS:  # a kind with several patterns is one finding
            found_here = text.str.contains(pattern, na=False).to_numpy()
            hits[kind] = hits.get(kind, np.zeros(len(text), dtype=bool)) | found_here
        for kind, hit in hits.items():
            if hit.any() and kind != by_name:
                found.append((column, kind, "content", int(hit.sum()), _first(hit)))
        if is_free_text(raw[column]):
            found.append((column, "free text", "content", int(present.sum()), _first(present)))
    return pd.DataFrame(found, columns=["column", "kind", "found_by", "rows", "first_row"])


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0]) + 1 if mask.any() else 0
