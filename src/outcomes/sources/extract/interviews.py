"""``read_interviews``: a program's follow-up interviews (GPRA / SUPRT) from its export, checked row by row.

The file (CSV, an Excel sheet, or Parquet) has one row per interview; a mapping names the program's columns for
the canonical ones (:mod:`outcomes.model.interviews`): as a dict (``{"participant_id": "Client ID", "point":
"Interview Type", "date": "Interview Date", "housing_stable": "Stable Housing"}``) or a TOML file with a
``[columns]`` table of the same pairs, and optionally ``[points]`` mapping the program's words for the interview
points (``"Intake" = "baseline"``, ``"6 Month" = "reassessment"``, ``"Discharge" = "closeout"``). The file is
never modified.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from ...core.errors import InputError
from ...model.cohort import Cohort
from ...model.interviews import Interviews, interviews_from_frame
from .read import read_raw

__all__ = ["read_interviews"]


def read_interviews(path: str | Path, cohort: Cohort, mapping: Mapping[str, str] | str | Path | None = None, *,
                    points: Mapping[str, str] | None = None, sheet: str | int | None = None,
                    date_format: str | None = None) -> Interviews:
    """Interviews from ``path``, columns renamed by ``mapping`` (canonical name -> the export's column; default:
    the export already uses the canonical names), point words recoded by ``points``, validated against
    ``cohort`` (:func:`outcomes.model.interviews.interviews_from_frame`).

    Examples
    --------
    >>> import outcomes as oc, pandas as pd, tempfile, pathlib
    >>> c = oc.synthetic_cohort(n=20, seed=1)
    >>> pid = str(c.df.participant_id.iloc[0])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "gpra.csv"
    >>> pd.DataFrame({"Client": [pid], "Type": ["Intake"], "Days": [4], "Housed": [1]}).to_csv(path, index=False)
    >>> iv = read_interviews(path, c, {"participant_id": "Client", "point": "Type", "day": "Days",
    ...                                "housing_stable": "Housed"}, points={"Intake": "baseline"})
    >>> iv.frame[["point", "day", "housing_stable"]].values.tolist()
    [['baseline', 4.0, 1.0]]
    """
    path = Path(path)
    raw = read_raw(path, sheet)
    columns, words = _mapping(mapping, path)
    words = {**words, **dict(points or {})}
    absent = [source for source in columns.values() if source not in raw.columns]
    if absent:
        raise InputError(f"file '{path.name}': the mapping names column {absent[0]!r}, which is not in the export; "
                         f"its columns are {list(raw.columns)}")
    frame = raw.rename(columns={source: canonical for canonical, source in columns.items()})
    if words and "point" in frame:
        frame["point"] = frame["point"].map(lambda v: words.get(str(v).strip(), v))
    return interviews_from_frame(frame, cohort, source=f"file '{path.name}'", date_format=date_format)


def _mapping(mapping: Mapping[str, str] | str | Path | None, path: Path) -> tuple[dict[str, str], dict[str, str]]:
    if mapping is None:
        return {}, {}
    if isinstance(mapping, Mapping):
        return {str(k): str(v) for k, v in mapping.items()}, {}
    toml = Path(mapping)
    if not toml.exists():
        raise InputError(f"mapping file '{toml}' does not exist")
    try:
        found = tomllib.loads(toml.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"mapping file '{toml.name}': not valid TOML ({exc})") from None
    columns, words = found.get("columns", {}), found.get("points", {})
    if not isinstance(columns, dict) or not isinstance(words, dict):
        raise InputError(f"mapping file '{toml.name}': [columns] and [points] must be tables of names")
    return {str(k): str(v) for k, v in columns.items()}, {str(k): str(v) for k, v in words.items()}
