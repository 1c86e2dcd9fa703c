"""The ``outcomes`` command. Every subcommand prints where it wrote its outputs.

Tested in-process through :func:`main`, which returns the exit status.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.errors import InputError, OutcomesError
from ..core.progress import showing_progress

__all__ = ["main"]


def _cmd_synth(args: argparse.Namespace) -> int:
    from ..present.data_dictionary import data_dictionary
    from ..synthetic.cohorts import synthetic_cohort

    overrides = {"randomized": True} if args.randomized else {}
    cohort = synthetic_cohort(n=args.n, scenario=args.scenario, seed=args.seed, **overrides)
    path = cohort.write(args.out)
    dictionary = path.with_name("data_dictionary.csv")
    data_dictionary().to_csv(dictionary, index=False, lineterminator="\n")
    print(f"wrote {path} ({len(cohort)} participants, scenario '{args.scenario}', seed {args.seed})")
    print(f"wrote {path.with_name(path.stem + '.meta.json')} (arms, as-of date, true effects)")
    print(f"wrote {dictionary}")
    return 0


def _load(args: argparse.Namespace):
    """The cohort behind --data: a cohort file, or a raw program extract read with --mapping (and --as-of)."""
    from ..model.cohort import Cohort
    from ..sources.extract import check_exclusions, read_extract

    path = Path(args.data)
    if not path.exists():
        raise InputError(f"file '{path}' does not exist")
    if getattr(args, "mapping", None) or path.suffix.lower() in (".xlsx", ".xlsm") or not _is_cohort_file(path):
        cohort = read_extract(path, mapping=args.mapping, as_of=getattr(args, "as_of", None), on_error="exclude")
        report = cohort.provenance["ingestion"]
        excluded = report["rows excluded"]
        print(f"read {path}: {report['rows kept']} participants kept of {report['rows read']} rows" +
              (f", {excluded} excluded (run 'outcomes validate' for every excluded row and its fix)" if excluded
               else ""))
        check_exclusions(cohort, args.allow_exclusions)
        return cohort
    return Cohort.read(path)


def _is_cohort_file(path: Path) -> bool:
    """A file written by Cohort.write (it has a sidecar) or already in the canonical schema."""
    if path.with_name(path.stem + ".meta.json").exists():
        return True
    import pandas as pd

    if path.suffix.lower() == ".csv":
        try:
            columns = pd.read_csv(path, nrows=0).columns
        except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
            return False
    elif path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        columns = pq.read_schema(path).names
    else:
        return False
    return {"participant_id", "arm"} <= set(columns)


def _cmd_analyze(args: argparse.Namespace) -> int:
    from ..analyses.compare_arms import compare_arms
    from ..core.caveats import quiet_caveats

    cohort = _load(args)
    adjust = [c for c in args.adjust.split(",") if c] if args.adjust else []
    outcomes = [args.outcome] if args.outcome else list(cohort.outcomes)
    sections = []
    for outcome in outcomes:
        with quiet_caveats():  # printed below, from the result
            res = compare_arms(cohort, outcome, adjust=adjust)
        sections.append(res.to_markdown() + "".join(f"\nNote: {c}\n" for c in res.caveats))
    text = "\n".join(sections)
    print(text)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"analysis_{Path(args.data).stem}.md"
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


def _cmd_power(args: argparse.Namespace) -> int:
    from ..analyses import power as pw

    design = pw.Design(baseline_risk=args.baseline_risk, horizon=args.horizon, accrual=args.accrual,
                       follow_up=args.follow_up, dropout=args.dropout, allocation=args.allocation)
    events = pw.events_needed(args.hr, args.power, args.alpha, args.allocation, args.method)
    n = pw.sample_size(args.hr, design=design, power=args.power, alpha=args.alpha, method=args.method)
    print(f"events needed: {events}")
    print(f"participants needed: {n}")
    if args.n:
        reached = pw.power(hazard_ratio=args.hr, n=args.n, design=design, alpha=args.alpha, method=args.method)
        print(f"power with {args.n} participants: {100 * reached:.1f}%")
        mdhr = pw.minimum_detectable_hr(n=args.n, power=args.power, alpha=args.alpha, design=design, method=args.method)
        print(f"minimum detectable hazard ratio with {args.n} participants: {mdhr:.3f}")
    if args.simulate:
        sim = pw.simulate_power(args.n or n, args.hr, reps=args.simulate, seed=args.seed, design=design,
                                alpha=args.alpha)
        print(f"simulated power: {100 * sim.power:.1f}% (Monte Carlo SE {100 * sim.mc_se:.1f}, {sim.reps} replicates)")
    print()
    print(pw.grant_sentence(args.hr, power=args.power, alpha=args.alpha, design=design, method=args.method))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        fig = pw.power_curve(sorted({args.hr, 0.57, 0.75}), design=design, alpha=args.alpha, n_max=max(2 * n, 200))
        path = out / "power_curve.png"
        fig.plot().figure.savefig(path, dpi=300)
        print(f"wrote {path}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import DEFAULT_FORMATS, quarterly

    formats = args.format.split(",") if args.format else list(DEFAULT_FORMATS)
    with showing_progress(_progress_level(args)):
        main_file = _quarterly(quarterly, args, formats)
    for fmt in formats:
        print(f"wrote {main_file.with_suffix('.' + fmt.strip().lower())}")
    return 0


def _progress_level(args: argparse.Namespace) -> int:
    """``--quiet``: none; default: a line per step on stderr; ``--verbose``: with the seconds each took."""
    return 0 if getattr(args, "quiet", False) else 2 if getattr(args, "verbose", False) else 1


def _scan_files(pattern: str) -> Any:
    """Parquet or CSV files in the canonical schema (``outcomes synth``, ``Cohort.write``, a limited data set),
    named by a glob or a folder, scanned by DuckDB where they are: its canonical columns mapped, the standard
    confounders it has adjusted for, ``clinical`` the reference arm."""
    import duckdb

    from ..model import schema as s
    from ..sources.scan import scan

    folder = Path(pattern)
    if folder.is_dir():
        pattern = str(folder / "*.parquet")
    connection = duckdb.connect()
    try:
        columns = connection.sql(f"SELECT * FROM '{pattern.replace(chr(39), chr(39) * 2)}' LIMIT 0").columns
    except duckdb.Error as exc:
        raise InputError(f"files '{pattern}' cannot be scanned ({str(exc).splitlines()[0]}); check the path") from None
    has = set(columns)
    pair = {outcome: (time, event) for outcome, time, event in (("relapse", s.RELAPSE_DAYS, s.RELAPSE_EVENT),
                                                                 ("retention", s.EXIT_DAYS, s.EXIT_REASON))
            if {time, event} <= has}
    return scan(pattern, arm=s.ARM, reference=s.CLINICAL, relapse=pair.get("relapse"), retention=pair.get("retention"),
                covariates=[c for c in s.STANDARD_COVARIATES if c in has], connection=connection,
                **{key: column for key, column in (("site", s.SITE), ("participant_id", s.PARTICIPANT_ID),
                                                    ("enroll_date", s.ENROLL_DATE)) if column in has})


def _is_scan(data: str) -> bool:
    """``--data`` names several files (a glob such as ``'episodes/*.parquet'``) or a folder of them."""
    return "*" in data or Path(data).is_dir()


def _cohort_or_scan(args: argparse.Namespace) -> Any:
    """``--data``: files scanned where they are (a glob or folder), or a cohort loaded (:func:`_load`)."""
    return _scan_files(args.data) if _is_scan(args.data) else _load(args)


def _quarterly(quarterly: Any, args: argparse.Namespace, formats: list[str]) -> Path:
    return quarterly(_cohort_or_scan(args), quarter=args.quarter, out=args.out, formats=formats, program=args.program,
                          funder=args.funder, grant_id=args.grant_id, logo=args.logo,
                          allow_exclusions=args.allow_exclusions, primary=args.primary, imputations=args.imputations,
                          interviews=args.interviews, interviews_mapping=args.interviews_mapping)


def _cmd_interviews(args: argparse.Namespace) -> int:
    """The staff worklist: interviews whose window is open or opens soon (it names participants: keep it local)."""
    from ..analyses.interviews import InterviewRules, interview_worklist
    from ..sources.extract.interviews import read_interviews

    cohort = _load(args)
    held = read_interviews(args.interviews, cohort, args.interviews_mapping)
    worklist = interview_worklist(cohort, held, InterviewRules.from_toml(), days=args.days)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    worklist.to_csv(out, index=False, lineterminator="\n")
    print(f"wrote {out} ({len(worklist)} interviews open or opening within {args.days} days; it names "
          "participants: for program staff, not for sharing)")
    return 0


def _cmd_figures(args: argparse.Namespace) -> int:
    import pandas as pd

    from .report import grant_figures

    with showing_progress(_progress_level(args)):
        folder = grant_figures(_cohort_or_scan(args), out=args.out, quarter=args.quarter,
                               allow_exclusions=args.allow_exclusions)
    drawn = pd.read_csv(folder / "figures.csv")
    print(f"wrote {len(drawn)} files of {drawn.figure.nunique()} figures to {folder}/ (PNG 300 dpi, PDF, SVG at "
          "3.5 and 7 in; captions; alt text)")
    print(f"wrote {folder / 'figures.csv'} (the list)")
    skipped = pd.read_csv(folder / "not_drawn.csv")
    for row in skipped.itertuples():
        print(f"not drawn: {row.figure}: {row.reason}")
    return 0


def _cmd_claims(args: argparse.Namespace) -> int:
    from .. import claims
    from ..present.narrate import narrate

    registry = claims.registry()
    audit = claims.audit()
    print(f"{len(registry)} figures registered from {registry.source.nunique()} articles.")
    print(narrate(audit))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        registry.to_csv(out / "claims_registry.csv", index=False)
        audit.pairs.to_csv(out / "claims_audit.csv", index=False)
        audit.plot().figure.savefig(out / "claims_implied_hr.png", dpi=300)
        if args.data:
            from ..model.cohort import Cohort
            from ..claims.reconcile import reconcile

            rec = reconcile(Cohort.read(args.data))
            columns = ["claim_id", "estimand", "claimed", "estimate", "ci_lower", "ci_upper", "verdict"]
            rec.rows[columns].to_csv(out / "claims_reconciliation.csv", index=False)  # every reading, with why
            print(f"wrote {out / 'claims_reconciliation.csv'}")
        for name in ("claims_registry.csv", "claims_audit.csv", "claims_implied_hr.png"):
            print(f"wrote {out / name}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from ..sources.extract import validate_extract

    report = validate_extract(args.extract, mapping=args.mapping, as_of=args.as_of)
    if args.cohort_out:
        from ..sources.extract import read_extract

        cohort = read_extract(args.extract, mapping=args.mapping, as_of=args.as_of, on_error="exclude")
        print(f"wrote {cohort.write(args.cohort_out)} (the canonical cohort: {len(cohort)} participants)")
    print(report.title)
    print(report.table().to_string(index=False))
    for note in report.notes():
        print(note)
    if len(report.problems):
        print()
        print(report.problems.to_string(index=False, max_rows=args.show))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"ingestion_{Path(args.extract).stem}.csv"
        report.problems.to_csv(path, index=False)
        print(f"wrote {path}")
    return 0


def _cmd_map(args: argparse.Namespace) -> int:
    from ..sources.extract import draft_mapping

    draft = draft_mapping(args.extract, sheet=args.sheet)
    out = Path(args.out or Path(args.extract).with_suffix(".mapping.toml").name)
    if out.resolve() == Path(args.extract).resolve():
        raise InputError(f"--out '{out}' is the export itself: write the mapping to another file")
    draft.write(out)
    print(draft.table().to_string(index=False))
    for name, codes in draft.unassigned.items():
        print(f"to assign in [values.{name}]: {', '.join(repr(c) for c in codes)}")
    for column, why in draft.unplaced.items():
        print(f"not used: {column!r} ({why})")
    print(f"wrote {out}: check it, assign what is marked ASSIGN, then run")
    print(f"  outcomes validate {args.extract} --mapping {out}")
    print(f"  outcomes report --data {args.extract} --mapping {out} --quarter YYYYQn")
    return 0


def _cmd_deidentify(args: argparse.Namespace) -> int:
    from ..privacy import deidentify, new_key

    if args.new_key:
        print(f"wrote {new_key(args.new_key)} (keep it with the program, never with an extract; the same key links "
              "every quarter's pseudonyms)")
        if not args.extract:
            return 0
    if not args.extract or not args.out:
        raise InputError("deidentify needs an EXTRACT and --out (or only --new-key FILE to make a key)")
    if args.new_key and not args.key_file:
        args.key_file = args.new_key
    if not (args.key_env or args.key_file):
        raise InputError("deidentify needs the pseudonym key: --key-file FILE or --key-env NAME (make one with "
                         "--new-key FILE, and keep it with the program)")
    key = f"env:{args.key_env}" if args.key_env else args.key_file
    result = deidentify(args.extract, args.mapping, key=key, level=args.level, as_of=args.as_of,
                        on_error=args.on_error)
    path = result.write(args.out)
    print(result.title)
    print(result.actions[["column", "kind", "action", "rows"]].to_string(index=False))
    print()
    print(result.risk.table().to_string(index=False))
    if len(result.risk.suggestions):
        print(result.risk.suggestions.to_string(index=False))
    for note in result.notes():
        print(note)
    print(f"wrote {path} and {path.with_name(path.stem + '.privacy.json')}")
    return 0


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="a cohort file (written by 'outcomes synth' or Cohort.write), or "
                        "a raw program extract (CSV, XLSX, Parquet) read with --mapping; for 'report' and 'figures', "
                        "also a glob or folder of canonical Parquet files, scanned where they are "
                        "('episodes/*.parquet')")
    parser.add_argument("--mapping", help="TOML mapping of the extract's columns and codes (default: recognise "
                        "common column names)")
    parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD: what was known that day (extracts only)")
    parser.add_argument("--allow-exclusions", dest="allow_exclusions", action="store_true",
                        help="analyse an extract even when over 5%% of its rows, or rows differing in outcome, "
                        "were left out (the report then says so first)")


def _add_deidentify(sub: argparse._SubParsersAction) -> None:
    de = sub.add_parser("deidentify",
                        help="a de-identified extract that can leave the program, with its privacy report")
    de.add_argument("extract", nargs="?", help="CSV, XLSX or Parquet export (never modified)")
    de.add_argument("--mapping", help="TOML mapping: only the columns it names leave")
    de.add_argument("--key-file", dest="key_file", help="file holding the pseudonym key (see --new-key)")
    de.add_argument("--key-env", dest="key_env", help="environment variable holding the pseudonym key")
    de.add_argument("--new-key", dest="new_key", metavar="FILE", help="create a new random key file first")
    de.add_argument("--level", choices=["safe_harbor", "limited_data_set"], default="safe_harbor")
    de.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD: what was known that day (default: latest date)")
    de.add_argument("--on-error", dest="on_error", choices=["raise", "exclude"], default="raise",
                    help="stop at the first row problem (default), or leave problem rows out and count them")
    de.add_argument("--out", help="the de-identified file (.csv or .parquet); its privacy report is written beside it")
    de.set_defaults(run=_cmd_deidentify)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outcomes",
        description="Compare clinical-only and peer-support-plus-clinical recovery programs.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_synth, _add_map, _add_validate, _add_deidentify, _add_analyze, _add_power, _add_report,
                _add_figures, _add_claims):
        add(sub)
    return parser


def _add_synth(sub: argparse._SubParsersAction) -> None:
    synth = sub.add_parser("synth", help="write a synthetic cohort with known true effects")
    synth.add_argument("--n", type=int, default=2000, help="participants (default 2000)")
    synth.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    synth.add_argument("--scenario", default="articles", help="articles (default) or null")
    synth.add_argument("--randomized", action="store_true", help="randomize arms instead of self-selection")
    synth.add_argument("--out", default="data/synthetic/cohort.csv", help="CSV or Parquet path")
    synth.set_defaults(run=_cmd_synth)


def _add_map(sub: argparse._SubParsersAction) -> None:
    mp = sub.add_parser("map", help="draft the mapping of an unknown export (columns, codes, date format) to check")
    mp.add_argument("extract", help="CSV, XLSX or Parquet export (never modified)")
    mp.add_argument("--sheet", help="the Excel sheet (default: the first)")
    mp.add_argument("--out", help="the mapping file to write (default: EXPORT-NAME.mapping.toml here)")
    mp.set_defaults(run=_cmd_map)


def _add_validate(sub: argparse._SubParsersAction) -> None:
    val = sub.add_parser("validate", help="check a program extract: every row problem, and what would be kept")
    val.add_argument("extract", help="CSV, XLSX or Parquet export (never modified)")
    val.add_argument("--mapping", help="TOML mapping (default: recognise common column names)")
    val.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD: what was known that day (default: latest date)")
    val.add_argument("--show", type=int, default=50, help="problems to print (default 50)")
    val.add_argument("--out", help="folder for the full problem list as CSV")
    val.add_argument("--cohort-out", dest="cohort_out", help="write the canonical cohort it would use (CSV/Parquet)")
    val.set_defaults(run=_cmd_validate)


def _add_analyze(sub: argparse._SubParsersAction) -> None:
    analyze = sub.add_parser("analyze", help="compare the arms of a cohort file (Kaplan-Meier, log-rank, Cox, RMST)")
    _data_arguments(analyze)
    analyze.add_argument("--outcome", choices=["relapse", "retention"], help="default: every outcome present")
    analyze.add_argument("--adjust", default="", help="comma-separated covariates for the Cox model")
    analyze.add_argument("--out", help="folder for the Markdown summary")
    analyze.set_defaults(run=_cmd_analyze)


def _add_power(sub: argparse._SubParsersAction) -> None:
    pw = sub.add_parser("power", help="events, participants and power for a two-arm study; a grant-ready sentence")
    pw.add_argument("--hr", type=float, default=0.65, help="hazard ratio to detect (default 0.65)")
    pw.add_argument("--power", type=float, default=0.8)
    pw.add_argument("--alpha", type=float, default=0.05)
    pw.add_argument("--baseline-risk", type=float, default=0.5, help="clinical-only risk by --horizon (default 0.5)")
    pw.add_argument("--horizon", type=float, default=365, help="days at which --baseline-risk applies")
    pw.add_argument("--accrual", type=float, default=730, help="days of enrollment")
    pw.add_argument("--follow-up", type=float, default=365, help="days of follow-up after the last enrollment")
    pw.add_argument("--dropout", type=float, default=0.0, help="share lost to follow-up by --horizon")
    pw.add_argument("--allocation", type=float, default=0.5, help="share offered peer support")
    pw.add_argument("--method", choices=["schoenfeld", "freedman"], default="schoenfeld")
    pw.add_argument("--n", type=int, help="participants available: report power and minimum detectable HR")
    pw.add_argument("--simulate", type=int, default=0, metavar="REPS", help="also simulate power with REPS trials")
    pw.add_argument("--seed", type=int, default=0)
    pw.add_argument("--out", help="folder for a power-curve figure")
    pw.set_defaults(run=_cmd_power)


def _add_report(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="the quarterly report: HTML, Word, PDF and Excel (and the notebook)")
    _data_arguments(report)
    report.add_argument("--quarter", required=True, help="e.g. 2026Q3: the report uses what was known on its last day")
    report.add_argument("--out", default="reports", help="output folder (default reports/)")
    report.add_argument("--format", help="comma-separated: html,docx,pdf,xlsx,ipynb (default html,xlsx,docx,pdf)")
    report.add_argument("--program", help="the program's name, on the title and in each file's metadata")
    report.add_argument("--funder", help="the funder's name")
    report.add_argument("--grant-id", dest="grant_id", help="the grant's id")
    report.add_argument("--logo", help="a PNG logo for the title")
    report.add_argument("--primary", choices=["unadjusted", "adjusted", "weighted"],
                        help="the declared primary relapse analysis the summary leads with (default: [report] primary "
                        "in outcomes.toml, else adjusted when confounders are recorded)")
    report.add_argument("--imputations", type=int, metavar="M",
                        help="multiple imputations of blank confounders when one is blank for more than 5%% of "
                        "participants (default: [report] impute in outcomes.toml, else 20; 0: complete cases only)")
    report.add_argument("--interviews", metavar="FILE",
                        help="the program's follow-up interviews (CSV, XLSX or Parquet): follow-up is counted from "
                        "them; without them it is a proxy from last-contact dates")
    report.add_argument("--interviews-mapping", dest="interviews_mapping", metavar="TOML",
                        help="[columns] and [points] naming the interview file's columns and interview types")
    _progress_arguments(report)
    report.set_defaults(run=_cmd_report)


def _add_figures(sub: argparse._SubParsersAction) -> None:
    iv = sub.add_parser("interviews", help="the staff worklist of follow-up interviews open or due soon (names "
                        "participants: keep it local)")
    _data_arguments(iv)
    iv.add_argument("--interviews", required=True, metavar="FILE", help="the program's interviews (CSV, XLSX, Parquet)")
    iv.add_argument("--interviews-mapping", dest="interviews_mapping", metavar="TOML",
                    help="[columns] and [points] naming the interview file's columns and interview types")
    iv.add_argument("--days", type=int, default=90, help="windows opening within this many days (default 90)")
    iv.add_argument("--out", default="worklist/interviews_due.csv", help="the worklist CSV to write")
    iv.set_defaults(run=_cmd_interviews)
    figs = sub.add_parser("figures", help="grant figures: PNG 300 dpi, PDF and SVG at two widths, captions, alt text")
    _data_arguments(figs)
    figs.add_argument("--quarter", help="default: the last quarter the data have seen to its end")
    figs.add_argument("--out", default="figures", help="output folder (default figures/)")
    _progress_arguments(figs)
    figs.set_defaults(run=_cmd_figures)


def _progress_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--quiet", action="store_true", help="print no progress lines (only what was written)")
    command.add_argument("--verbose", action="store_true", help="print each step with the seconds it took")


def _add_claims(sub: argparse._SubParsersAction) -> None:
    cl = sub.add_parser("claims",
                        help="the articles' figures: registry, consistency audit, reconciliation with a cohort")
    cl.add_argument("--data", help="a cohort file to reconcile the claims with")
    cl.add_argument("--out", help="folder for the registry, audit and reconciliation as CSV")
    cl.set_defaults(run=_cmd_claims)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns 0 on success, 2 on a usage or input error."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except OutcomesError as exc:
        print(f"outcomes {args.command}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file that cannot be read or written: say which, in one line
        print(f"outcomes {args.command}: error: {exc.strerror or exc}: '{exc.filename}'", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
