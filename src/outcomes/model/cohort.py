"""The :class:`Cohort`: one validated row per participant, and everything known about it.

Validation happens once, here, at construction. Every analysis in the package
is a pure function of a ``Cohort``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import schema as s
from ..core.disclosure import show_count
from ..core.errors import InputError
from .dates import parse_date
from .exposure import check_exposure_start
from .outcome_registry import TIME_TO_EVENT, secondary_columns
from .validation import (
    check_binary,
    check_counts,
    check_dates,
    check_finite,
    check_ids,
    check_nonnegative_times,
    check_vocabulary,
    require_columns,
    two_arms,
    where,
)

__all__ = ["Cohort"]

_SIDECAR_FORMAT = "outcomes-cohort/1"


class Cohort:
    """A validated two-arm cohort, one row per participant.

    Build one with :func:`outcomes.synthetic_cohort`, :func:`outcomes.read_extract`,
    :meth:`Cohort.from_frame` (analysis-ready data with any column names) or
    :meth:`Cohort.read` (a file written by :meth:`Cohort.write`). The constructor
    takes a frame already in the canonical schema (``outcomes.model.schema``; README, "What is in it").

    Parameters
    ----------
    df : DataFrame
        Canonical columns: ``participant_id``, ``arm``, and at least one outcome:
        ``relapse_days`` + ``relapse_event`` and/or ``exit_days`` + ``exit_reason``.
        Optional: ``site``, ``enroll_date``, covariates, secondary outcomes.
    reference : str
        The arm label that is the reference (control) arm.
    as_of : date or str, optional
        What was known at this date; no enrollment may be after it.
    covariates : sequence of str
        Columns that analyses may adjust for.
    scenario, truth, provenance
        Set by :func:`outcomes.synthetic_cohort` and readers; kept by ``write``/``read``. ``scenario`` is the
        generator's record (its parameters as a dict, ``name`` among them): a cohort does not know its generator.
    source : str, optional
        File name used in error messages.
    arms : (reference, treatment), optional
        Declare both arms, so that a cohort in which one arm has nobody yet (an early quarter's view) is
        still a two-arm cohort. Default: the two labels found in the data.
    copy : bool, default True
        Copy the data, so that later changes to ``df`` cannot reach the cohort
        (its values were validated once, here). Readers that build a frame
        nobody else holds pass False, which saves a full copy (about 0.5 s and
        1.8 GB at 10 million rows).

    Raises
    ------
    InputError
        With the column, first offending row, value and fix, for: a missing
        required column, missing or duplicate ids, not exactly two arms, a
        reference that is not one of them, events not 0/1, missing, negative
        or infinite times, unknown exit reasons, enrollment after ``as_of``.

    Examples
    --------
    >>> import pandas as pd, outcomes as oc
    >>> df = pd.DataFrame({"participant_id": ["a", "b", "c", "d"],
    ...                    "arm": ["clinical", "clinical", "peer_clinical", "peer_clinical"],
    ...                    "relapse_days": [30, 365, 200, 365], "relapse_event": [1, 0, 1, 0]})
    >>> cohort = oc.Cohort(df, reference="clinical")
    >>> cohort.arms
    ('clinical', 'peer_clinical')
    """

    def __init__(
        self,
        df: pd.DataFrame,
        *,
        reference: Any,
        as_of: dt.date | str | None = None,
        covariates: Iterable[str] = (),
        scenario: Mapping[str, Any] | None = None,
        truth: Mapping[str, Any] | None = None,
        provenance: Mapping[str, Any] | None = None,
        source: str | None = None,
        copy: bool = True,
        arms: tuple[str, str] | None = None,
        events: pd.DataFrame | None = None,
        interviews: pd.DataFrame | None = None,
    ) -> None:
        if not isinstance(df, pd.DataFrame):
            raise InputError(f"a Cohort is built from a pandas DataFrame, not {type(df).__name__}")
        self._as_of = None if as_of is None else parse_date(as_of, "as_of")
        self._covariates = tuple(covariates)
        self._declared_arms = arms
        self._df, self._arms = self._validate(df, reference, source, copy)
        self._scenario = None if scenario is None else dict(scenario)
        self._truth = dict(truth or {})
        self._provenance = dict(provenance or {})
        self._events = None if events is None else events.copy()
        self._interviews = None if interviews is None else interviews.copy()

    # ------------------------------------------------------------------ validation
    def _validate(
        self, raw: pd.DataFrame, reference: Any, source: str | None, copy: bool
    ) -> tuple[pd.DataFrame, tuple[str, str]]:
        require_columns(raw, [s.PARTICIPANT_ID, s.ARM], what="required", source=source)
        has_relapse = s.RELAPSE_DAYS in raw.columns or s.RELAPSE_EVENT in raw.columns
        has_retention = s.EXIT_DAYS in raw.columns or s.EXIT_REASON in raw.columns
        if not (has_relapse or has_retention or s.FOLLOWUP_DAYS in raw.columns):
            raise InputError(
                f"{'file ' + repr(source) + ': ' if source else ''}no outcome columns: a cohort needs "
                f"'{s.RELAPSE_DAYS}' and '{s.RELAPSE_EVENT}', or '{s.EXIT_DAYS}' and '{s.EXIT_REASON}', or "
                f"'{s.FOLLOWUP_DAYS}' (the end of observation, for recurrent events)"
            )
        if has_relapse:
            require_columns(raw, [s.RELAPSE_DAYS, s.RELAPSE_EVENT], what="relapse outcome", source=source)
        if has_retention:
            require_columns(raw, [s.EXIT_DAYS, s.EXIT_REASON], what="retention outcome", source=source)
        require_columns(raw, self._covariates, what="covariate", source=source)

        repeated = raw.columns[raw.columns.duplicated()]
        if len(repeated):
            raise InputError(f"{'file ' + repr(source) + ': ' if source else ''}column {str(repeated[0])!r} appears "
                             "more than once; rename or drop one of them")
        # Either way, columns are replaced, never modified in place. Copied column by column: a deep
        # DataFrame.copy would also merge same-typed columns into blocks, 3 times slower at 10M rows.
        df = pd.DataFrame({c: raw[c].copy() for c in raw.columns}, copy=False) if copy else raw.copy(deep=False)
        df.index = pd.RangeIndex(len(df))
        # The id check (fingerprint and sort: 0.25 s at 10M rows) runs beside the column checks. Its error,
        # if any, is raised first, as if it had run first: a finally clause raising replaces the exception.
        with ThreadPoolExecutor(max_workers=1) as pool:
            ids = pool.submit(check_ids, df[s.PARTICIPANT_ID], s.PARTICIPANT_ID, source)
            try:
                arms = self._validate_columns(df, reference, source, has_relapse, has_retention)
            finally:
                df[s.PARTICIPANT_ID] = ids.result()
        return df, arms

    def _validate_columns(
        self, df: pd.DataFrame, reference: Any, source: str | None, has_relapse: bool, has_retention: bool
    ) -> tuple[str, str]:
        """Validate and convert, in place in ``df``, every column but the participant id."""
        arm_text = _as_text(df[s.ARM])
        arms = self._validate_arms(arm_text, reference, source, self._declared_arms)
        if isinstance(arm_text.dtype, pd.CategoricalDtype):
            df[s.ARM] = arm_text.cat.set_categories(list(arms))  # the two labels present, reference first
        else:
            df[s.ARM] = pd.Categorical(arm_text, categories=list(arms))
        if s.SITE in df.columns:
            missing = df[s.SITE].isna().to_numpy()
            if missing.any():
                i = int(np.flatnonzero(missing)[0])
                raise InputError(f"{where(s.SITE, i + 1, source)}: site is missing; fill it in or drop the column")
            df[s.SITE] = _as_text(df[s.SITE])
        if has_relapse:
            _put(df, s.RELAPSE_DAYS, check_nonnegative_times(df[s.RELAPSE_DAYS], s.RELAPSE_DAYS, source))
            event = check_binary(df[s.RELAPSE_EVENT], s.RELAPSE_EVENT, meaning="1 = relapse, 0 = censored",
                                 source=source)
            if df[s.RELAPSE_EVENT].dtype != np.int8:
                df[s.RELAPSE_EVENT] = event.astype(np.int8)
        if has_retention:
            _put(df, s.EXIT_DAYS, check_nonnegative_times(df[s.EXIT_DAYS], s.EXIT_DAYS, source))
            df[s.EXIT_REASON] = check_vocabulary(df[s.EXIT_REASON], s.EXIT_REASON, s.EXIT_REASONS, source)
        if s.FOLLOWUP_DAYS in df.columns:
            _put(df, s.FOLLOWUP_DAYS, check_nonnegative_times(df[s.FOLLOWUP_DAYS], s.FOLLOWUP_DAYS, source))
        if s.ENROLL_DATE in df.columns:
            self._validate_enrollment(df, source)
        self._validate_other_columns(df, arms, source)
        return arms

    def _validate_other_columns(self, df: pd.DataFrame, arms: tuple[str, str], source: str | None) -> None:
        """Secondary outcomes, the exposure start, numeric covariates."""
        for column in secondary_columns():
            if column.name in df.columns:
                _put(df, column.name, _check_secondary(df[column.name], column.name, column.check, source))
        if s.EXPOSURE_START in df.columns:
            _put(df, s.EXPOSURE_START, check_exposure_start(df, arms, source))
        for covariate in self._covariates:
            values = df[covariate]
            if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
                _put(df, covariate, check_finite(values, covariate, source))

    def _validate_enrollment(self, df: pd.DataFrame, source: str | None) -> None:
        """Enrollment dates are dates, none after the as-of date."""
        _put(df, s.ENROLL_DATE, check_dates(df[s.ENROLL_DATE], s.ENROLL_DATE, source))
        if self._as_of is None:
            return
        late = (df[s.ENROLL_DATE] > pd.Timestamp(self._as_of)).to_numpy()
        if late.any():
            i = int(np.flatnonzero(late)[0])
            raise InputError(f"{where(s.ENROLL_DATE, i + 1, source)}: enrollment {df[s.ENROLL_DATE].iloc[i].date()} "
                             f"is after the as-of date {self._as_of}; a cohort only holds participants enrolled by "
                             "its as-of date")

    @staticmethod
    def _validate_arms(values: pd.Series, reference: Any, source: str | None,
                       arms: tuple[str, str] | None = None) -> tuple[str, str]:
        missing = values.isna().to_numpy()
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise InputError(f"{where(s.ARM, i + 1, source)}: arm is missing; every participant belongs to an arm")
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy()  # one comparison per category: 10M rows, 2 arms: 0.003 s
            labels = sorted(str(c) for k, c in enumerate(values.cat.categories) if (codes == k).any())
        else:
            labels = sorted(str(v) for v in pd.unique(values.to_numpy()))
        _refuse_near_duplicate_labels(values, labels, source)
        if arms is not None:
            return _declared_arms(labels, reference, arms, source)
        return two_arms(labels, reference, source)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, arm: str, reference: Any, relapse: tuple[str, str] | None = None,
                   retention: tuple[str, str] | None = None, covariates: Sequence[str] = (),
                   participant_id: str | None = None, site: str | None = None,
                   as_of: dt.date | str | None = None, exposure_start: str | None = None,
                   follow_up: str | None = None) -> Cohort:
        """Build a cohort from an analysis-ready frame with any column names and arm labels.

        Parameters
        ----------
        df, arm : DataFrame, str
            One row per participant (not modified); the column holding the arm, whose values are the labels.
        reference : str or number
            The label of the reference (control) arm, e.g. ``1`` or ``"no"``.
        relapse : (time column, event column), optional
            Time to relapse or censoring, and 1 = relapse / 0 = censored.
        retention : (time column, event column), optional
            Time in treatment, and 1 = dropout / 0 = in treatment, or ``dropout, completed, transferred, in_treatment``.
        covariates : sequence of str
            Columns kept, under their own names, for adjustment.
        participant_id, site : str, optional
            Id column (default: the row numbers as text); site column, kept as ``site``.
        exposure_start : str, optional
            Days to the first peer contact (blank = never; ``arm`` then says who was ever exposed), kept as
            ``exposure_start_days`` for :func:`outcomes.compare_exposure`.
        follow_up : str, optional
            Days to the end of observation (``followup_days``): enough alone, for :func:`outcomes.compare_recurrent`.

        Examples
        --------
        >>> import pandas as pd, outcomes as oc
        >>> raw = pd.DataFrame({"weeks to arrest": [20, 52, 30, 52], "arrested": [1, 0, 1, 0],
        ...                     "aid": ["no", "no", "yes", "yes"], "age": [27, 30, 22, 41]})
        >>> c = oc.Cohort.from_frame(raw, arm="aid", reference="no", relapse=("weeks to arrest", "arrested"),
        ...                          covariates=["age"])
        >>> c.arms, c.df.columns.tolist()
        (('no', 'yes'), ['participant_id', 'arm', 'relapse_days', 'relapse_event', 'age'])
        """
        _check_from_frame_columns(df, arm, covariates, relapse, retention, participant_id, site, exposure_start,
                                  follow_up)
        out = _identity_columns(df, arm, participant_id, {s.SITE: site, s.EXPOSURE_START: exposure_start,
                                                          s.FOLLOWUP_DAYS: follow_up})
        if relapse is not None:
            out[s.RELAPSE_DAYS] = df[relapse[0]].to_numpy()
            out[s.RELAPSE_EVENT] = df[relapse[1]].to_numpy()
        if retention is not None:
            out[s.EXIT_DAYS] = df[retention[0]].to_numpy()
            out[s.EXIT_REASON] = cls._exit_reason_from(df[retention[1]])
        for c in covariates:
            out[c] = df[c].to_numpy()
        return cls(
            out,
            reference=reference,
            as_of=as_of,
            covariates=covariates,
            provenance={"source": "from_frame", "columns": {"arm": arm, "relapse": relapse, "retention": retention}},
            copy=False,  # ``out`` holds copies of the caller's columns (DataFrame assignment copies)
        )

    @staticmethod
    def _exit_reason_from(values: pd.Series) -> pd.Series:
        """0/1 event columns become in_treatment/dropout; text must already be exit reasons."""
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            x = check_binary(values, values.name or "retention event", meaning="1 = dropout, 0 = still in treatment")
            return pd.Series(np.where(x == 1, "dropout", "in_treatment"), dtype=object)
        return values.reset_index(drop=True)

    # ------------------------------------------------------------------ accessors
    @property
    def df(self) -> pd.DataFrame:
        """The canonical frame (read it; do not modify it in place)."""
        return self._df

    @property
    def reference(self) -> str:
        """The reference (control) arm label."""
        return self._arms[0]

    @property
    def treatment(self) -> str:
        """The non-reference arm label."""
        return self._arms[1]

    @property
    def arms(self) -> tuple[str, str]:
        """``(reference, treatment)``."""
        return self._arms

    @property
    def as_of(self) -> dt.date | None:
        return self._as_of

    @property
    def covariates(self) -> tuple[str, ...]:
        return self._covariates

    @property
    def recorded_covariates(self) -> tuple[str, ...]:
        """The covariates with at least one value: those a model can adjust for (the report's confounders)."""
        return tuple(c for c in self._covariates if c in self._df.columns and self._df[c].notna().any())

    @property
    def scenario(self) -> dict[str, Any] | None:
        """The parameters of the synthetic scenario that generated the cohort, if any.

        ``oc.Scenario.from_dict(cohort.scenario)`` gives the scenario itself.
        """
        return None if self._scenario is None else dict(self._scenario)

    @property
    def truth(self) -> dict[str, Any]:
        """True effects of a synthetic cohort (empty for real data)."""
        return dict(self._truth)

    @property
    def events(self) -> pd.DataFrame | None:
        """Every relapse episode (``participant_id``, ``day``) when the cohort carries them (a synthetic cohort
        drawn with ``recurrent=True``); None otherwise. Not written by :meth:`write`."""
        return None if self._events is None else self._events.copy()

    @property
    def interviews(self) -> pd.DataFrame | None:
        """Follow-up interviews (canonical columns, :mod:`outcomes.model.interviews`) when the cohort carries them
        (a synthetic cohort drawn with ``interviews=True``); None otherwise. Not written by :meth:`write`."""
        return None if self._interviews is None else self._interviews.copy()

    @property
    def provenance(self) -> dict[str, Any]:
        return dict(self._provenance)

    @property
    def outcomes(self) -> tuple[str, ...]:
        """The time-to-event outcomes this cohort holds: ``relapse`` and/or ``retention``."""
        return tuple(name for name, spec in TIME_TO_EVENT.items() if spec.time_column in self._df.columns)

    def __len__(self) -> int:
        return len(self._df)

    # ------------------------------------------------------------------ display
    def summary(self) -> pd.DataFrame:
        """Per arm: participants, events of each outcome and median follow-up (reverse Kaplan-Meier).

        Counts are exact; :meth:`_repr_html_` suppresses 1-10 for display.
        """
        from ..stats.kaplan_meier import median_follow_up

        rows = []
        for arm in self._arms:
            part = self._df[self._df[s.ARM] == arm]
            row: dict[str, Any] = {"arm": arm, "label": s.arm_label(arm), "n": len(part)}
            if s.RELAPSE_DAYS in part:
                row["relapses"] = int(part[s.RELAPSE_EVENT].sum())
                row["median_follow_up_days"] = median_follow_up(
                    part[s.RELAPSE_DAYS].to_numpy(), part[s.RELAPSE_EVENT].to_numpy()
                )
            if s.EXIT_DAYS in part:
                row["dropouts"] = int((part[s.EXIT_REASON] == "dropout").sum())
                row["completed"] = int((part[s.EXIT_REASON] == "completed").sum())
            rows.append(row)
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        table = self.summary()
        for col in ("n", "relapses", "dropouts", "completed"):
            if col in table:
                table[col] = [show_count(v) for v in table[col]]
        head = f"Cohort of {show_count(len(self))} participants"
        if self._as_of:
            head += f", as of {self._as_of.isoformat()}"
        if self._scenario is not None:
            head += f" (synthetic, scenario '{self._scenario.get('name')}')"
        return f"<div><strong>{html.escape(head)}</strong>{table.to_html(index=False, border=0)}</div>"

    def __repr__(self) -> str:
        as_of = f", as_of={self._as_of.isoformat()}" if self._as_of else ""
        return f"<Cohort n={len(self)} arms={self._arms} reference={self.reference!r}{as_of}>"

    # ------------------------------------------------------------------ files
    def metadata(self) -> dict[str, Any]:
        """What :meth:`write` stores beside the data."""
        from ..core.results import plain

        return {
            "format": _SIDECAR_FORMAT,
            "reference": self.reference,
            "arms": list(self._arms),
            "as_of": self._as_of.isoformat() if self._as_of else None,
            "covariates": list(self._covariates),
            "scenario": self._scenario,
            "truth": plain(self._truth),
            "provenance": plain(self._provenance),
        }

    def write(self, path: str | Path) -> Path:
        """Write the cohort as CSV or Parquet with a JSON sidecar ``<name>.meta.json``.

        Returns the path of the data file. Writing is deterministic: the same
        cohort gives the same bytes.
        """
        path = Path(path)
        fmt = _file_format(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            _whole_numbers_as_int(self._df).to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d")
        else:
            # microseconds: what Spark (and most engines) read; pandas keeps nanoseconds by default
            _to_parquet(self._df, path)
        sidecar = _sidecar(path)
        sidecar.write_text(json.dumps(self.metadata(), indent=2, sort_keys=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: str | Path) -> Cohort:
        """Read a cohort written by :meth:`write` (or a canonical CSV/Parquet without sidecar).

        Without a sidecar, the reference arm is ``clinical`` and the covariates
        are the standard ones present in the file.
        """
        path = Path(path)
        fmt = _file_format(path)
        if not path.exists():
            raise InputError(f"file '{path}' does not exist")
        if fmt == "csv":
            try:
                df = pd.read_csv(path, dtype={s.PARTICIPANT_ID: str, s.ARM: str, s.SITE: str})
            except pd.errors.EmptyDataError:
                raise InputError(f"file '{path.name}' is empty: write the cohort again") from None
            except (pd.errors.ParserError, UnicodeDecodeError) as exc:
                raise InputError(f"file '{path.name}' is not a readable CSV file ({exc})") from None
            if df.empty:
                raise InputError(f"file '{path.name}' has a header but no rows: a cohort needs participants")
            if s.ENROLL_DATE in df.columns:
                df[s.ENROLL_DATE] = check_dates(df[s.ENROLL_DATE], s.ENROLL_DATE, path.name)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            # Text stays Arrow strings (no Python objects). ParquetFile.read returns one chunk per column, so
            # most columns convert without a copy (read_table's 131,072-row batches are concatenated: about
            # 0.5 s more at 10M rows). Arrow memory is freed as it converts.
            with pq.ParquetFile(path) as parquet:
                table = parquet.read()
            text = {t: pd.StringDtype("pyarrow") for t in (pa.string(), pa.large_string())}
            df = table.to_pandas(types_mapper=text.get, self_destruct=True, split_blocks=True)
            del table
        sidecar = _sidecar(path)
        if sidecar.exists():
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            if meta.get("format") != _SIDECAR_FORMAT:
                raise InputError(f"file '{sidecar}': not an outcomes cohort sidecar (format {meta.get('format')!r})")
            scenario = meta.get("scenario") or None
            return cls(
                df,
                reference=meta["reference"],
                as_of=meta.get("as_of"),
                covariates=meta.get("covariates", ()),
                scenario=scenario,
                truth=meta.get("truth"),
                provenance=meta.get("provenance"),
                source=path.name,
                copy=False,
                arms=tuple(meta["arms"]) if meta.get("arms") else None,
            )
        covariates = [c for c in (*s.STANDARD_COVARIATES, s.SITE) if c in df.columns]
        return cls(df, reference=s.CLINICAL, covariates=covariates, provenance={"source": path.name}, source=path.name,
                   copy=False)


def _check_secondary(values: pd.Series, column: str, check: str, source: str | None) -> np.ndarray:
    """A secondary outcome column, checked as its registry entry says (missing values allowed)."""
    if check == "binary":
        return check_binary(values, column, meaning="1 = yes, 0 = no", allow_missing=True, source=source)
    if check == "count":
        return check_counts(values, column, source)
    return check_finite(values, column, source)


def _refuse_near_duplicate_labels(values: pd.Series, labels: list[str], source: str | None) -> None:
    """Arm labels that differ only by case or surrounding spaces ('ctl', 'CTL ') are one arm typed two ways."""
    seen: dict[str, str] = {}
    for label in labels:
        key = label.strip().casefold()
        if key in seen:
            text = values.astype(str).to_numpy()
            row = int(np.flatnonzero(text == label)[0]) + 1
            raise InputError(
                f"{where(s.ARM, row, source)}: arm labels {seen[key]!r} and {label!r} differ only by case or spaces; "
                "they look like one arm typed two ways: recode them to one spelling"
            )
        seen[key] = label


def _declared_arms(labels: list[str], reference: Any, arms: tuple[str, str], source: str | None) -> tuple[str, str]:
    """The two arms named by the caller (a view of a cohort keeps both arms, even one nobody is in yet)."""
    named = tuple(str(a) for a in arms)
    if len(named) != 2 or named[0] == named[1]:
        raise InputError(f"arms must name two different arms, not {named!r}")
    arms = (named[0], named[1])
    if str(reference) != arms[0]:
        raise InputError(f"the reference arm {str(reference)!r} must be the first of arms={arms!r}")
    unknown = [label for label in labels if label not in arms]
    if unknown:
        raise InputError(f"{where(s.ARM, None, source)}: arm label {unknown[0]!r} is not one of the arms {list(arms)}")
    return arms[0], arms[1]


def _put(df: pd.DataFrame, column: str, validated: np.ndarray | pd.Series) -> None:
    """Put a validated column in ``df``, unless validation returned the column's own data.

    Assigning copies; skipping unchanged columns saves about 0.3 s at 10 million rows.
    """
    current = df[column]
    validated_values = validated.to_numpy() if isinstance(validated, pd.Series) else validated
    if current.dtype == validated_values.dtype and np.may_share_memory(current.to_numpy(), validated_values):
        return
    df[column] = validated


def _as_text(values: pd.Series) -> pd.Series:
    """Labels as Python strings (numbers become their text: 1 -> "1"); fast for categoricals."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.rename_categories([str(c) for c in values.cat.categories])
    if isinstance(values.dtype, pd.StringDtype):
        return values
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "string":
        return values
    return values.where(values.isna(), values.astype(str))


def _file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise InputError(f"file '{path}': unsupported extension {suffix!r}; use .csv or .parquet")


def _sidecar(path: Path) -> Path:
    return path.with_name(path.stem + ".meta.json")


def _whole_numbers_as_int(df: pd.DataFrame) -> pd.DataFrame:
    """Float columns holding only whole numbers are written without a trailing '.0'."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            x = out[col].to_numpy()
            finite = x[~np.isnan(x)]
            if np.array_equal(finite, np.floor(finite)) and (np.abs(finite) < 2**53).all():
                out[col] = out[col].astype("Int64")
    return out


def _identity_columns(df: pd.DataFrame, arm: str, participant_id: str | None,
                      optional: dict[str, str | None]) -> pd.DataFrame:
    """The id (the row numbers as text when absent), the arm and the optional canonical columns asked for."""
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    out[s.PARTICIPANT_ID] = (
        df[participant_id].to_numpy() if participant_id is not None else np.arange(1, len(df) + 1).astype(str)
    )
    out[s.ARM] = df[arm].to_numpy()
    for canonical, column in optional.items():
        if column is not None:
            out[canonical] = df[column].to_numpy()
    return out


def _check_from_frame_columns(df: pd.DataFrame, arm: str, covariates: Sequence[str],
                              relapse: tuple[str, str] | None, retention: tuple[str, str] | None,
                              participant_id: str | None, site: str | None, exposure_start: str | None,
                              follow_up: str | None = None) -> None:
    """Every column ``from_frame`` was asked to read exists, and each outcome is a (time, event) pair."""
    if relapse is None and retention is None and follow_up is None:
        raise InputError("from_frame needs relapse=(time column, event column) and/or retention=(...), or "
                         "follow_up=COLUMN (the end of observation, for recurrent events)")
    needed = [arm, *covariates]
    for pair, name in ((relapse, "relapse"), (retention, "retention")):
        if pair is not None:
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise InputError(f"{name}= must be a (time column, event column) pair, got {pair!r}")
            needed.extend(pair)
    needed += [c for c in (participant_id, site, exposure_start, follow_up) if c is not None]
    require_columns(df, needed, what="requested")


def _to_parquet(df: pd.DataFrame, path: Path) -> None:
    """Parquet with microsecond timestamps (what Spark and most engines read); a column mixing numbers and text
    cannot be typed there and is an InputError naming it."""
    import pyarrow as pa

    try:
        df.to_parquet(path, index=False, coerce_timestamps="us", allow_truncated_timestamps=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        path.unlink(missing_ok=True)
        column = next((c for c in df.columns if f"column {c} " in str(exc)), None)
        what = f"column {column!r}" if column is not None else "a column"
        raise InputError(f"file '{path.name}': {what} mixes numbers and text, which Parquet cannot store; make it "
                         "one type (e.g. .astype(str)), or write CSV") from None
