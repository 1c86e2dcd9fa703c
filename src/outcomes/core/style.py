"""The one palette and figure style of every plot: colorblind-safe (Okabe-Ito), legible at single-column width.

matplotlib is imported only when a figure is drawn, so importing ``outcomes``
stays light (about a second less).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from .formatting import plain

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ARM_COLORS", "CAUSE_COLORS", "OKABE_ITO", "SINGLE", "DOUBLE", "arm_color", "house_style", "new_axes",
           "ratio_axis"]

#: Okabe-Ito colours, in the order plots use them.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
#: The reference arm is blue, the treatment arm orange, whatever their labels.
ARM_COLORS = (OKABE_ITO[0], OKABE_ITO[1])
#: Ways of leaving treatment.
CAUSE_COLORS = {"dropout": "#D55E00", "completed": "#009E73", "transferred": "#CC79A7"}
#: Claims from the articles, drawn beside this cohort's estimates.
CLAIM_COLOR = OKABE_ITO[1]
ESTIMATE_COLOR = OKABE_ITO[0]
SINGLE, DOUBLE = 3.5, 7.0  # inches: single and double journal column

_RC = {
    "font.size": 7.5,
    "axes.titlesize": 8,
    "axes.labelsize": 7.5,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.4,
    "savefig.dpi": 300,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
}


def arm_color(index: int) -> str:
    """Colour of arm ``index`` (0 = reference, 1 = treatment).

    >>> arm_color(0), arm_color(1)
    ('#0072B2', '#E69F00')
    """
    return ARM_COLORS[index]


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.0)) -> Axes:
    """Return ``ax``, or the axes of a new figure.

    In Jupyter (an IPython kernel is running) the new figure is made by pyplot, so the notebook shows it
    under the cell, as lifelines' and seaborn's plots are shown; elsewhere (scripts, tests, reports) it is a
    bare figure that pyplot never holds, so nothing accumulates.
    """
    if ax is not None:
        return ax
    if "ipykernel" in sys.modules:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize, layout="constrained").add_subplot()
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained").add_subplot()


@contextmanager
def house_style(width: float = SINGLE) -> Iterator[None]:
    """Matplotlib settings for one figure; fonts grow a little at double-column width."""
    import matplotlib as mpl

    rc: dict[str, Any] = dict(_RC)
    if width >= DOUBLE:
        for key in ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
                    "legend.fontsize"):
            rc[key] = rc[key] + 1.5
    with mpl.rc_context(rc):  # type: ignore[arg-type]  # matplotlib types the keys as a Literal of every rcParam
        yield


def ratio_axis(ax: Axes, values: Sequence[float]) -> None:
    """A log-scaled ratio axis with plain tick labels (0.5, 1, 2), never 5 x 10^-1: every ratio figure's one home."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    finite = [float(v) for v in values if np.isfinite(v) and v > 0]
    lo, hi = min(finite + [1.0]) / 1.15, max(finite + [1.0]) * 1.15
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    fine = [t for t in (0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5) if lo <= t <= hi]
    coarse = [t for t in (0.05, 0.125, 0.25, 0.5, 1, 2, 4, 8, 16) if lo <= t <= hi]
    ax.xaxis.set_major_locator(FixedLocator(fine if len(fine) <= 6 else coarse))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{plain(v)}"))
    ax.xaxis.set_minor_locator(NullLocator())
