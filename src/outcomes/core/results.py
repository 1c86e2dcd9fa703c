"""The shared protocol of result objects, and the :class:`Estimate` they hold.

Every analysis returns a frozen dataclass built complete before it exists. They
all offer the same methods, provided here by :class:`Result`:

- ``.table()``: a tidy :class:`pandas.DataFrame` with stable column names;
- ``.plot(ax=None)``: a matplotlib ``Axes`` (a new figure when ``ax`` is None);
- ``.to_markdown()``: the table as Markdown, with a title;
- ``.to_dict()``: plain Python values, JSON-serialisable;
- ``._repr_html_()``: the rich display Jupyter shows.
"""

from __future__ import annotations

import abc
import dataclasses
import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from .disclosure import suppress_table
from .inference import wald
from .style import new_axes
from .formatting import header, is_p_value_column, p_phrase, shown_cell
from .formatting import plain as plain_number

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ChiSquareTest", "Estimate", "Result", "adjustment_phrase", "plain"]


def plain(value: Any) -> Any:
    """Convert numpy scalars, DataFrames and dataclasses into JSON-friendly values."""
    if isinstance(value, pd.DataFrame):
        return [{k: plain(v) for k, v in row.items()} for row in value.to_dict(orient="records")]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return value.to_dict()
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp,)):
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def adjustment_phrase(adjust: tuple[str, ...], weights: str | None) -> str:
    """", IPTW-weighted on a, b" / ", adjusted for a, b" / "" for titles of comparisons."""
    if weights == "iptw":
        return f", IPTW-weighted on {', '.join(adjust)}"
    return f", adjusted for {', '.join(adjust)}" if adjust else ""


def words_for_people(table: pd.DataFrame) -> pd.DataFrame:
    """Every cell as :func:`~outcomes.core.formatting.shown_cell` shows it, and headers in words."""
    out = pd.DataFrame({header(c): [shown_cell(v, is_p_value_column(c)) for v in table[c]] for c in table.columns},
                       index=table.index)
    return out


class Result(abc.ABC):
    """The protocol every public result implements, checked: a subclass that leaves out ``title``, ``table``
    or ``plot`` cannot be instantiated, and ``tests/test_result_protocol.py`` calls every method of every
    public result class on a real instance.

    Subclasses define ``title``, ``table()`` and ``plot(ax=None)``. They may define ``effect`` (the headline
    :class:`Estimate`, beside its descriptive name such as ``hazard_ratio``), ``notes()`` (sentences under the
    table) and ``count_columns`` (columns of ``table()`` that count people: every display shows a count from
    1 to 10 in them as ``"<11"``, through :func:`outcomes.core.disclosure.suppress_table`, the one place that
    rule is applied). ``table()`` itself stays exact, for analysis.
    """

    #: Columns of ``table()`` holding counts of people, suppressed from 1 to 10 in every display.
    count_columns: ClassVar[tuple[str, ...]] = ()

    @property
    @abc.abstractmethod
    def title(self) -> str:
        """One line saying what the result is."""

    @abc.abstractmethod
    def table(self) -> pd.DataFrame:
        """A tidy DataFrame with stable column names (exact numbers)."""

    @abc.abstractmethod
    def plot(self, ax: Axes | None = None) -> Axes:
        """The result drawn on ``ax`` (a new figure when None); returns the Axes."""

    @property
    def effect(self) -> Estimate | None:
        """The headline effect (hazard ratio, risk ratio, ...) as an :class:`Estimate`; None for descriptive results."""
        return None

    def notes(self) -> list[str]:
        """Sentences printed under the table (assumptions, rows dropped, ...)."""
        return []

    def display_table(self) -> pd.DataFrame:
        """``table()`` as people may see it: counts from 1 to 10 in ``count_columns`` shown as ``"<11"``;
        numbers as text without e-notation (p-values "< 0.001" or two significant digits), a value that is
        not defined blank, True/False as yes/no, and headers in words."""
        table = self.table()
        columns = [c for c in self.count_columns if c in table.columns]
        shown = suppress_table(table, columns) if columns else table.copy()
        return words_for_people(shown)

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain Python values (DataFrames as lists of records)."""
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def to_markdown(self) -> str:
        """The title and the display table as a Markdown section, then the notes."""
        body = self.display_table().to_markdown(index=False, disable_numparse=True)
        notes = "".join(f"\n\n{n}" for n in self.notes())
        return f"**{self.title}**\n\n{body}{notes}\n"

    def _repr_html_(self) -> str:
        table = self.display_table().to_html(index=False, border=0)
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes())
        return f"<div><strong>{html.escape(self.title)}</strong>{table}{notes}</div>"

    def __repr__(self) -> str:
        return f"{self.title}\n{self.display_table().to_string(index=False)}"


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class Estimate(Result):
    """A point estimate with its confidence interval and p-value.

    Attributes
    ----------
    measure : str
        What is estimated, e.g. ``"hazard ratio"`` or ``"RMST difference (days)"``.
    value, ci_lower, ci_upper : float
        The estimate and its ``1 - alpha`` confidence interval.
    p_value : float
        Two-sided p-value of the null of no difference (NaN when not defined).
    alpha : float
        One minus the confidence level.
    se : float
        Standard error on the scale the interval was built on (log scale for ratios).

    Examples
    --------
    >>> e = Estimate(measure="hazard ratio", value=0.6, ci_lower=0.5, ci_upper=0.72,
    ...              p_value=0.001, alpha=0.05, se=0.093)
    >>> e.table().columns.tolist()
    ['measure', 'value', 'ci_lower', 'ci_upper', 'p_value']
    """

    measure: str
    value: float
    ci_lower: float
    ci_upper: float
    p_value: float
    alpha: float = 0.05
    se: float = float("nan")

    @classmethod
    def from_wald(cls, measure: str, coef: float, se: float, alpha: float, *, ratio: bool) -> Estimate:
        """An estimate from a model coefficient and its SE; ``ratio=True`` exponentiates (log-scale coefficients).

        >>> e = Estimate.from_wald("hazard ratio", np.log(0.6), 0.1, 0.05, ratio=True)
        >>> round(e.value, 3), round(e.ci_lower, 3), round(e.ci_upper, 3)
        (0.6, 0.493, 0.73)
        """
        lower, upper, p_value = (float(v) for v in wald(coef, se, alpha))
        if ratio:
            return cls(measure=measure, value=float(np.exp(coef)), ci_lower=float(np.exp(lower)),
                       ci_upper=float(np.exp(upper)), p_value=p_value, alpha=alpha, se=float(se))
        return cls(measure=measure, value=float(coef), ci_lower=lower, ci_upper=upper, p_value=p_value, alpha=alpha,
                   se=float(se))

    @property
    def effect(self) -> Estimate:
        """An estimate is its own headline."""
        return self

    @property
    def interval(self) -> tuple[float, float]:
        """``(ci_lower, ci_upper)``."""
        return self.ci_lower, self.ci_upper

    @property
    def title(self) -> str:
        return f"{self.measure} ({plain_number(100 * (1 - self.alpha))}% CI)"

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [[self.measure, self.value, self.ci_lower, self.ci_upper, self.p_value]],
            columns=["measure", "value", "ci_lower", "ci_upper", "p_value"],
        )

    def plot(self, ax: Axes | None = None) -> Axes:
        """The estimate as a point with its interval."""
        ax = new_axes(ax, figsize=(5.0, 1.5))
        ax.errorbar([self.value], [0], xerr=[[self.value - self.ci_lower], [self.ci_upper - self.value]],
                    fmt="o", color="black", capsize=4)
        ax.set_yticks([0], [self.measure])
        ax.set_xlabel(self.measure)
        return ax

    def __format__(self, spec: str) -> str:
        spec = spec or ".2f"
        return f"{self.value:{spec}} ({self.ci_lower:{spec}} to {self.ci_upper:{spec}})"


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ChiSquareTest(Result):
    """A chi-square test: its name, statistic, degrees of freedom and p-value."""

    name: str
    statistic: float
    df: int
    p_value: float

    @property
    def method(self) -> str:
        """The test's name, under the name earlier versions used (``"log-rank"``, ``"robust Wald test ..."``)."""
        return self.name

    @property
    def title(self) -> str:
        return f"{self.name}: chi-square {self.statistic:.3f} on {self.df} df, p {p_phrase(self.p_value)}"

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([[self.name, self.statistic, self.df, self.p_value]],
                            columns=["test", "statistic", "df", "p_value"])

    def plot(self, ax: Axes | None = None) -> Axes:
        """The statistic against its chi-square reference distribution."""
        from scipy import stats

        ax = new_axes(ax)
        top = max(self.statistic * 1.3, stats.chi2.ppf(0.99, self.df))
        x = np.linspace(0.01, top, 300)
        ax.plot(x, stats.chi2.pdf(x, self.df), color="grey")
        ax.axvline(self.statistic, color="black")
        ax.set_xlabel("chi-square")
        ax.set_title(self.title, fontsize="medium")
        return ax
