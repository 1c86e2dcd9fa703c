"""One house style for every figure: colorblind-safe (Okabe-Ito), legible at single-column width."""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib as mpl

__all__ = ["ARM_COLORS", "CAUSE_COLORS", "SINGLE", "DOUBLE", "house_style"]

ARM_COLORS = {"clinical": "#0072B2", "peer_clinical": "#E69F00"}
CAUSE_COLORS = {"dropout": "#D55E00", "completed": "#009E73", "transferred": "#CC79A7"}
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


@contextmanager
def house_style(width: float = SINGLE):
    """Matplotlib settings for one figure; fonts grow a little at double-column width."""
    rc = dict(_RC)
    if width >= DOUBLE:
        for key in ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
                    "legend.fontsize"):
            rc[key] = rc[key] + 1.5
    with mpl.rc_context(rc):
        yield


def arm_color(arm: str, index: int) -> str:
    return ARM_COLORS.get(arm, ("#0072B2", "#E69F00")[index])
