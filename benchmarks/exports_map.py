"""Twenty exports of different design, from ``outcomes map`` to a rendered quarterly report (issue 22).

    .venv/bin/python benchmarks/exports_map.py

For each style of ``tests/export_styles.py``: what the drafted mapping got right without editing (columns, date
format, arm codes, discharge codes), the edit needed, whether the export reads back to the cohort it renders,
and the seconds from the export to an HTML report.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tomllib
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import outcomes as oc  # noqa: E402
from tests.export_styles import STYLES, render  # noqa: E402


def main() -> None:
    warnings.simplefilter("ignore")
    cohort = oc.synthetic_cohort(n=300, seed=5, as_of="2026-09-30")
    print("| style | file | columns right | date format | arm codes | discharge codes | edit needed | reads back "
          "| report (s) |\n|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for style in STYLES:
            export = render(style, cohort, Path(tmp))
            start = time.perf_counter()
            draft = oc.draft_mapping(export.path, sheet=export.sheet)
            right = sum(draft.columns.get(f) == h for f, h in style.expected.items())
            fmt = draft.date_format == (None if style.date_format in (None, "%Y-%m-%d") else style.date_format)
            codes = {k: {c: v for c, v in draft.codes.get(k, {}).items() if v} == v_
                     for k, v_ in export.expected_codes.items()}
            mapping = tomllib.loads(draft.text())
            for name in draft.unassigned:
                mapping["values"][name] = export.expected_codes[name]
            read = oc.read_extract(export.path, mapping, as_of="2026-09-30", sheet=export.sheet)
            back = len(read) == len(cohort) and (read.df.arm.to_numpy() == cohort.df.arm.to_numpy()).all()
            oc.report.quarterly(read, "2026Q3", Path(tmp) / style.name.replace(" ", "_"), formats=["html"])
            seconds = time.perf_counter() - start
            edit = ", ".join(f"assign {k} codes" for k in draft.unassigned) or "none"
            print(f"| {style.name} | {export.path.suffix} | {right}/{len(style.expected)} | {'yes' if fmt else 'no'} | "
                  f"{'yes' if codes['arm'] else 'no'} | "
                  f"{('yes' if codes['exit_reason'] else 'no') if 'exit_reason' in codes else 'no column'} | {edit} | "
                  f"{'yes' if back else 'no'} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
