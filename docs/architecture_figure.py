"""Draws docs/architecture.png: the layers of ``outcomes`` and the direction of imports.

Run ``python docs/architecture_figure.py`` after changing the layers.
"""

from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

LAYERS = [  # (package, what it holds), lowest first: each may import only those below it
    ("core", "errors · result protocol (abstract: title, table, plot; effect; display with small cells hidden)\n"
             "Wald inference · caveats · disclosure · number formats · palette and figure style"),
    ("stats", "numpy kernels on a survival response (time, event, entry, participant, weights, strata):\n"
              "counting · product limit · Kaplan-Meier · log-rank · one Cox · competing risks · RMST · Newton"),
    ("model", "schema · Cohort (validated once) · episodes ((start, stop] rows, as tmerge) · outcome registry\n"
              "dates · as-of rule · validation · design matrices"),
    ("sources", "program extracts and mappings · drug-screen rules · scans (DuckDB, Spark) · count tables"),
    ("privacy", "identifiers by content · Safe Harbor transforms · keyed pseudonyms · re-identification risk"),
    ("synthetic", "the articles' scenarios · synthetic cohorts with known truths · synthetic twins"),
    ("analyses", "compare_arms (from counts | row level | IPTW) · cumulative_incidence · compare_secondary\n"
                 "propensity and balance · E-value · parametric · power · twin report"),
    ("claims", "the articles' figures: catalog · readings · consistency audit · reconcile"),
    ("present", "the quarter computed once · tables for people · summary · narrate · data dictionary"),
    ("outputs", "Report model → HTML, Word, PDF, Excel, notebook renderers · grant figures · command line"),
]


def draw(path: Path) -> None:
    fig = Figure(figsize=(8.0, 8.6), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.4, len(LAYERS) * 1.1)
    ax.axis("off")
    for i, (name, what) in enumerate(LAYERS):
        y = i * 1.1
        ax.add_patch(FancyBboxPatch((0.2, y), 9.3, 0.8, boxstyle="round,pad=0.02", facecolor="#E8F1F8",
                                    edgecolor="#0072B2", linewidth=1.0))
        ax.text(0.45, y + 0.4, name, fontsize=11, fontweight="bold", va="center", color="#0072B2")
        ax.text(2.0, y + 0.4, what, fontsize=7.5, va="center")
        if i:
            ax.annotate("", xy=(9.75, y - 0.3), xytext=(9.75, y + 0.4),
                        arrowprops={"arrowstyle": "->", "color": "#E69F00", "linewidth": 1.4})
    ax.set_title("outcomes: layers along the data flow (extract → cohort → analyses → claims → words → documents)\n"
                 "each layer imports only the layers below it (orange arrows; import-linter contract in pyproject.toml)",
                 fontsize=9)
    fig.savefig(path, dpi=150)


if __name__ == "__main__":
    draw(Path(__file__).with_name("architecture.png"))
