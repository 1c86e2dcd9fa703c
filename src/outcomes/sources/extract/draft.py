"""``draft_mapping``: read an unknown export and write the mapping an evaluator only has to check.

Columns are recognised by name (abbreviations included: Dt, Disch, D/C, Admit, Type, #, Track, Pt, Clt) *and*
by content (dates and their format, an arm-like column with two or three values, a column of discharge codes,
a unique id, identifiers to drop, empty and free-text columns). The draft is a commented TOML file in
:func:`read_extract`'s format: every distinct arm and discharge code is listed, assigned when its words say
which it is (``"Peer Mentor" = "peer_clinical"``) and otherwise written as a comment to assign; every column it
did not place is listed with the reason. It loads as written once the codes are assigned.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ...core.errors import InputError
from ...model import schema as s
from .detect import find_identifiers
from .followup import FOLLOWUP_RULES
from .identifiers import identifier_kind
from .mapping import FIELDS, Mapping, load_mapping
from .read import read_raw

__all__ = ["MappingDraft", "draft_mapping"]

_ABBREVIATIONS = {"dt": "date", "dte": "date", "disch": "discharge", "dschg": "discharge", "dc": "discharge",
                  "admit": "admission", "adm": "admission", "admsn": "admission", "pt": "patient", "clt": "client",
                  "cl": "client", "no": "number", "num": "number", "nbr": "number", "enrl": "enrollment",
                  "enr": "enrollment", "enroll": "enrollment", "enrolled": "enrollment", "enrolment": "enrollment",
                  "rsn": "reason", "reas": "reason", "lst": "last", "cntct": "contact", "fu": "followup",
                  "grp": "group", "trk": "track", "svc": "service", "loc": "location", "yrs": "age", "dob": "birth",
                  "ppt": "participant", "partic": "participant", "mbr": "member", "strt": "start"}
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%m/%d/%y", "%d/%m/%y", "%m-%d-%Y", "%d-%m-%Y", "%d.%m.%Y",
                 "%Y/%m/%d", "%b %d, %Y", "%d %b %Y", "%B %d, %Y", "%d-%b-%Y", "%Y%m%d")
_PEER = re.compile(r"peer|mentor|coach|prss|recovery support|\bcprs\b|navigator|\bps\b|\+|plus|support", re.I)
_CLINICAL = re.compile(r"standard|usual|clinical|\btau\b|control|regular|routine|counsel|outpatient|\biop\b|"
                       r"treatment only|only|basic|\bcare\b", re.I)
_EXITS = [("in_treatment", re.compile(r"^(active|ongoing|current|in treatment|open|enrolled)\b", re.I)),
          ("transferred", re.compile(r"transfer|\bxfer|referr|moved to|step.?down", re.I)),
          ("dropout", re.compile(r"\bama\b|against|left|drop|lost|no.?show|discontinu|withdr|non.?complian|"
                                 r"administrative|unsuccess|incomplete|disengag|quit|absent|abandon|self.?discharg",
                                 re.I)),  # before "completed": "Unsuccessful completion" is a dropout
          ("completed", re.compile(r"complet|\bcomp\b|graduat|success|finish|met goals|achieved", re.I))]


def _tokens(header: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(header))  # ClientId -> Client Id
    text = spaced.lower().replace("d/c", " discharge ").replace("f/u", " followup ").replace("#", " id ")
    words = re.findall(r"[a-z]+|\d+", text)
    return {_ABBREVIATIONS.get(w, w) for w in words}


@dataclass(frozen=True)
class _Profile:
    """What a column holds: its non-empty values as text, and whether they are dates, numbers, few codes."""

    values: pd.Series
    dates: float  # share of non-empty values that read as dates in some format (or are date cells)
    numbers: float
    distinct: int
    unique: bool

    @classmethod
    def of(cls, column: pd.Series) -> _Profile:
        cells = column[column.map(lambda v: str(v).strip() != "")]
        text = cells.astype(str).str.strip()
        if text.empty:
            return cls(text, 0.0, 0.0, 0, False)
        is_cell_date = cells.map(lambda v: hasattr(v, "year") and hasattr(v, "month")).to_numpy()
        parsed = is_cell_date.copy()
        for fmt in _DATE_FORMATS:
            parsed |= pd.to_datetime(text, format=fmt, errors="coerce").notna().to_numpy()
        numbers = float(pd.to_numeric(text, errors="coerce").notna().mean())
        return cls(text, float(parsed.mean()), numbers, int(text.nunique()), bool(text.is_unique))


_DATE_FIELDS = [  # (field, words any of which names it, words all of which are needed)
    ("relapse_date", {"relapse", "lapse", "recurrence", "reoccurrence"}, set()),
    ("last_contact_date", {"contact", "seen", "visit", "followup", "service", "attended", "encounter"}, {"last"}),
    ("peer_start_date", {"peer", "mentor", "coach", "prss"}, set()),
    ("exit_date", {"discharge", "discharged", "exit", "end", "closed", "close", "closure", "termination",
                   "separation"}, set()),
    ("enroll_date", {"intake", "admission", "enrollment", "start", "entry", "begin", "episode", "admitted", "accepted",
                     "opened"}, set()),
]
_OTHER_FIELDS = [
    ("site", {"site", "location", "clinic", "office", "facility", "county", "region", "branch"}),
    ("sex", {"sex", "gender"}),
    ("primary_substance", {"substance", "drug"}),
    ("co_occurring_mh", {"occurring", "dual", "mental", "mh", "cod"}),
    ("prior_treatments", {"prior", "previous"}),
    ("housing_unstable", {"housing", "homeless", "unhoused"}),
]


@dataclass(frozen=True)
class MappingDraft:
    """A mapping drafted from an export: what was placed, how, and what is left for the evaluator.

    Attributes
    ----------
    source : str
    columns : dict
        Canonical field -> the export's column.
    how : dict
        Canonical field -> how it was recognised ("name", "name and content", "content").
    date_format : str or None
    date_note : str
        Why that format (and a warning when every date could be read month-first or day-first).
    codes : dict
        ``"arm"``/``"exit_reason"`` -> {code in the export: canonical value, or "" when not assigned}.
    drop, transform : identifier columns to drop, or transform (ZIP -> zip3, date of birth -> age).
    unplaced : dict
        Column -> why it was not used.
    """

    source: str
    columns: dict[str, str]
    how: dict[str, str]
    date_format: str | None
    date_note: str
    codes: dict[str, dict[str, str]]
    drop: tuple[str, ...] = ()
    transform: dict[str, str] = field(default_factory=dict)
    keep: tuple[str, ...] = ()
    unplaced: dict[str, str] = field(default_factory=dict)

    @property
    def unassigned(self) -> dict[str, list[str]]:
        """Codes left for the evaluator to assign, by field."""
        return {f: [c for c, v in codes.items() if not v] for f, codes in self.codes.items()
                if any(not v for v in codes.values())}

    def table(self) -> pd.DataFrame:
        """One row per canonical field placed: ``field, column, recognised by``."""
        return pd.DataFrame([{"field": f, "column": c, "recognised by": self.how.get(f, "")}
                             for f, c in self.columns.items()])

    def mapping(self) -> Mapping:
        """The draft as a Mapping (unassigned codes left out: rows holding them will be reported)."""
        loaded = load_mapping(tomllib.loads(self.text()))
        assert loaded is not None
        return loaded

    def write(self, path: str | Path) -> Path:
        """Write the commented TOML (never over the export itself)."""
        path = Path(path)
        if path.suffix.lower() != ".toml":
            raise InputError(f"'{path}': write the mapping to a .toml file")
        path.write_text(self.text(), encoding="utf-8")
        return path

    def text(self) -> str:
        """The commented TOML: read it, assign what is marked ASSIGN, and use it with --mapping."""
        q = json.dumps
        lines = [f"# Mapping drafted by `outcomes map` from {self.source}: check every line, then use it with",
                 "#   outcomes validate EXPORT --mapping THIS_FILE   and   outcomes report --data EXPORT --mapping "
                 "THIS_FILE --quarter ...", "", "[columns]                 # canonical field = column in the export"]
        lines += [f"{f} = {q(self.columns[f])}".ljust(40) + f"  # recognised by {self.how.get(f, 'name')}"
                  for f in FIELDS if f in self.columns]
        for f in ("participant_id", "arm", "enroll_date"):
            if f not in self.columns:
                lines.append(f"# {f} = \"\"   # ASSIGN: required, not recognised")
        for name, codes in self.codes.items():
            target = "clinical or peer_clinical" if name == "arm" else "dropout, completed, transferred, in_treatment"
            lines += ["", f"[values.{name}]          # code in the export = {target}"]
            for code, value in codes.items():
                lines.append(f"{q(code)} = {q(value)}" if value else f"# {q(code)} = \"\"   # ASSIGN: {target}")
        lines += ["", "[dates]", f"format = {q(self.date_format)}   # {self.date_note}" if self.date_format
                  else f"# format: {self.date_note}"]
        lines += ["", "[covariates]", f"keep = {json.dumps(list(self.keep))}"]
        lines += ["", "[privacy]                 # identifiers never enter the analysis",
                  f"drop = {json.dumps(list(self.drop))}",
                  "transform = {" + ", ".join(f"{q(c)} = {q(h)}" for c, h in self.transform.items()) + "}"]
        lines += ["", "[followup]                # where follow-up ends without a relapse, rules tried in order",
                  f"rules = {json.dumps(list(FOLLOWUP_RULES))}"]
        if self.unplaced:
            lines += ["", "# Columns not used (map them above if they matter):"]
            lines += [f"#   {q(c)}: {why}" for c, why in self.unplaced.items()]
        return "\n".join(lines) + "\n"


def draft_mapping(path: str | Path, *, sheet: str | int | None = None) -> MappingDraft:
    """Draft the mapping of an unknown export (CSV, XLSX sheet, Parquet), to be checked and used as is.

    Examples
    --------
    >>> import outcomes as oc
    >>> draft = oc.draft_mapping("data/example_extract/tracker_export.csv")
    >>> draft.columns["arm"], draft.codes["arm"]
    ('Program Track', {'Peer Mentor': 'peer_clinical', 'Standard': 'clinical'})
    """
    path = Path(path)
    raw = read_raw(path, sheet)
    profiles = {str(c): _Profile.of(raw[c]) for c in raw.columns}
    raw.columns = [str(c) for c in raw.columns]
    columns: dict[str, str] = {}
    how: dict[str, str] = {}
    unplaced: dict[str, str] = {}
    _place_dates(profiles, columns, how)
    _place_id(profiles, columns, how)
    _place_coded(profiles, columns, how)
    _place_others(profiles, columns, how)
    used = set(columns.values())
    drop, transform = _identifiers(raw, profiles, used, columns)
    for name, p in profiles.items():
        if name in used or name in drop or name in transform:
            continue
        unplaced[name] = ("empty" if p.values.empty else "dates the mapping does not use (an offset transform "
                          "would keep them as days from enrollment)" if p.dates > 0.8 else "not recognised")
    date_format, note = _date_format([profiles[columns[f]] for f, *_ in _DATE_FIELDS if f in columns])
    codes: dict[str, dict[str, str]] = {f: _codes(profiles[columns[f]], f) for f in ("arm", "exit_reason")
                                        if f in columns}
    keep = tuple(f for f in ("age", "sex", "primary_substance", "co_occurring_mh", "prior_treatments",
                             "housing_unstable") if f in columns)
    if "age" not in columns and "age_from_dob" in transform.values():
        keep = ("age", *keep)
    return MappingDraft(source=path.name, columns=columns, how=how, date_format=date_format, date_note=note,
                        codes=codes, drop=tuple(drop), transform=transform, keep=keep, unplaced=unplaced)


def _free(profiles: dict[str, _Profile], columns: dict[str, str]) -> list[str]:
    return [c for c in profiles if c not in columns.values()]


def _place_dates(profiles: dict[str, _Profile], columns: dict[str, str], how: dict[str, str]) -> None:
    for f, words, needed in _DATE_FIELDS:
        for c in _free(profiles, columns):
            t, p = _tokens(c), profiles[c]
            if "birth" in t or not (t & words and needed <= t):
                continue
            if p.values.empty or p.dates >= 0.8:
                columns[f], how[f] = c, "name and content" if not p.values.empty else "name (the column is empty)"
                break


def _place_id(profiles: dict[str, _Profile], columns: dict[str, str], how: dict[str, str]) -> None:
    owners = {"client", "patient", "participant", "person", "record", "study", "case", "member", "pseudo"}
    candidates = [c for c in _free(profiles, columns) if profiles[c].unique and profiles[c].dates < 0.5]
    named = [c for c in candidates if ({"id", "identifier", "number", "mrn", "key", "code"} & _tokens(c) and
                                       (owners & _tokens(c) or _tokens(c) <= {"id", "number", "identifier"}))]
    if named or candidates:
        columns["participant_id"] = (named or candidates)[0]
        how["participant_id"] = "name and content (unique)" if named else "content (unique values)"


def _place_coded(profiles: dict[str, _Profile], columns: dict[str, str], how: dict[str, str]) -> None:
    arm_words = {"track", "arm", "group", "program", "cohort", "condition", "service", "services", "model",
                 "pathway", "type", "modality"}
    exit_words = {"discharge", "exit", "closure", "close", "separation", "end"}
    exit_kinds = {"reason", "type", "status", "disposition", "outcome", "code"}
    for c in _free(profiles, columns):
        t, p = _tokens(c), profiles[c]
        if "exit_reason" not in columns and 1 <= p.distinct <= 25 and p.dates < 0.5 and (
                (t & exit_words and t & exit_kinds) or t & {"disposition"}):
            columns["exit_reason"], how["exit_reason"] = c, "name and content (a few codes)"
    for c in _free(profiles, columns):
        t, p = _tokens(c), profiles[c]
        if 2 <= p.distinct <= 3 and p.numbers < 1 and (t & arm_words or p.values.str.contains(_PEER).any()):
            columns["arm"], how["arm"] = c, "name and content (2-3 values)" if t & arm_words else "content"
            return


def _place_others(profiles: dict[str, _Profile], columns: dict[str, str], how: dict[str, str]) -> None:
    for c in _free(profiles, columns):
        t, p = _tokens(c), profiles[c]
        if "age" in t and "age" not in columns and p.numbers >= 0.8:
            columns["age"], how["age"] = c, "name and content (numbers)"
            continue
        for f, words in _OTHER_FIELDS:
            if f not in columns and t & words and p.dates < 0.5 and identifier_kind(c) is None:
                columns[f], how[f] = c, "name"
                break


def _identifiers(raw: pd.DataFrame, profiles: dict[str, _Profile], used: set[str],
                 columns: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Columns to drop (identifiers by name or content, free text) or transform (ZIP, date of birth)."""
    exempt = set(used)
    found = find_identifiers(raw, exempt=exempt)
    drop: list[str] = []
    transform: dict[str, str] = {}
    for c in dict.fromkeys(found.column):
        kinds = set(found.kind[found.column == c])
        if kinds == {"ZIP code"} and identifier_kind(c) == "ZIP code":
            transform[c] = "zip3"
        elif "date of birth" in kinds and "age" not in columns and "birth" in _tokens(c):
            transform[c] = "age_from_dob"
        elif kinds == {"date"} and identifier_kind(c) is None:
            continue  # a date column the mapping does not use: listed as unplaced, it never leaves
        else:
            drop.append(c)
    return drop, transform


def _date_format(profiles: list[_Profile]) -> tuple[str | None, str]:
    text = pd.concat([p.values for p in profiles]) if profiles else pd.Series(dtype=str)
    text = text[~text.map(lambda v: bool(re.match(r"^\d{4}-\d{2}-\d{2}( 00:00:00)?$", v)))] if len(text) else text
    if text.empty:
        return None, "no format needed: the dates are ISO (YYYY-MM-DD) or date cells"
    share = {fmt: float(pd.to_datetime(text, format=fmt, errors="coerce").notna().mean()) for fmt in _DATE_FORMATS}
    best = max(share, key=lambda f: share[f])  # ties: the first listed (US month-first before day-first)
    if share[best] < 0.95:
        return None, (f"ASSIGN: no single format reads the dates (the best, {best}, reads {100 * share[best]:.0f}%); "
                      "set format = the one the export uses")
    twin = {"%m/%d/%Y": "%d/%m/%Y", "%m/%d/%y": "%d/%m/%y", "%m-%d-%Y": "%d-%m-%Y"}.get(best)
    if twin and share[twin] >= share[best]:
        return best, (f"CHECK: every date reads as month/day and as day/month; {best} (US) assumed, "
                      f"\"{twin}\" if the export is day-first")
    return best, f"reads {100 * share[best]:.0f}% of the dates (the rest are reported by validate)"


def _codes(profile: _Profile, field_name: str) -> dict[str, str]:
    codes = sorted(profile.values.unique())
    if field_name == "arm":  # one code reads as peer support: it is; with one other code, that one is clinical
        peer = [c for c in codes if _PEER.search(c)]
        if len(peer) != 1:
            return {c: "" for c in codes}
        if len(codes) == 2:
            return {c: s.PEER_CLINICAL if c in peer else s.CLINICAL for c in codes}
        return {c: s.PEER_CLINICAL if c in peer else s.CLINICAL if _CLINICAL.search(c) else "" for c in codes}
    return {c: next((name for name, pattern in _EXITS if pattern.search(c)), "") for c in codes}
