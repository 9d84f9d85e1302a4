"""`riskcheck import ftm` and `riskcheck export ftm`: FollowTheMoney in and out (OpenSanctions, Aleph)."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from riskcheck.cli.common import EXIT_CASE_FAILED, as_of_date, lang_option, load_rules_or_exit, rule_paths, rules_option
from riskcheck.i18n import speaking
from riskcheck.errors import ProblemError
from riskcheck.textsafety import reveal

if TYPE_CHECKING:  # the commands import the pipeline when they run, not when the command line starts
    from riskcheck.registry.load import Registry
    from riskcheck.results import CaseResult


@click.group("import")
def import_group() -> None:
    """Make a case from data in another format."""


@import_group.command("ftm")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out_case", type=click.Path(file_okay=False, path_type=Path))
@click.option("--as-of", "as_of", callback=as_of_date, metavar="YYYY-MM-DD",
              help="The date to judge the case at (default: the latest date the file says it changed).")
@click.option("--case-id", default=None, help="The case's id (default: the OUT_CASE folder's name).")
def import_ftm_command(file: Path, out_case: Path, as_of: date | None, case_id: str | None) -> None:
    """Make the case folder OUT_CASE from FollowTheMoney entities in FILE.

    FILE is line-delimited JSON as OpenSanctions and Aleph export it (flat or nested). Persons,
    organizations and public bodies, positions, occupancies (as tenures), family links and
    identifications are mapped; everything else is counted by schema and listed, never dropped
    silently. Record ids are the entities' ids, so you can add verdicts and relations that refer
    to them. OUT_CASE must not exist yet (or be empty): nothing is written over.

    \b
    Examples:
      riskcheck import ftm peps.ftm.json cases/peps-kz
      riskcheck import ftm aleph-export.json cases/ministry --as-of 2025-01-31
      riskcheck run cases/
    """
    from riskcheck.importers.ftm import import_ftm

    try:
        summary = import_ftm(file, out_case, as_of, case_id)
    except ProblemError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:  # a file that cannot be read, a folder that cannot be written: in words
        raise click.UsageError(reveal(f"{file.name}: the import could not finish: {exc.strerror or exc}")) from None
    for line in summary.lines():
        click.echo(reveal(line))
    click.echo(f"Wrote the case {out_case}; check it with: riskcheck validate {out_case.parent}")


@click.group("export")
def export_group() -> None:
    """Write the cases and their findings in another format."""


@export_group.command("ftm")
@click.argument("cases", type=click.Path(exists=True, file_okay=False, path_type=Path))
@rules_option
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write (line-delimited JSON, one entity per line).")
@click.option("--as-of", "as_of", callback=as_of_date, metavar="YYYY-MM-DD",
              help="Judge every case as of this date instead of each case's own as_of.")
@click.option("--report-url", default=None, metavar="URL",
              help="Where the reports of `riskcheck run` are published (http or https), so each finding links to "
                   "its place there; without it the link is the report's path, as text.")
def export_ftm_command(cases: Path, chosen_rules: tuple[Path, ...], added_rules: tuple[Path, ...], out_file: Path,
                       as_of: date | None, report_url: str | None) -> None:
    """Write the registry and the findings of CASES as FollowTheMoney entities, for Aleph.

    Persons, organizations, positions, occupancies and family links become the FtM entities of
    the same name (organizations as PublicBody or Company); each finding becomes a Note on its
    person with the rule, status, summary and a link to the report. Entity ids are
    <case>-<record id>, the same on every run. Load the file into an Aleph collection with
    `alephclient write-entities -f FILE -i COLLECTION`.

    \b
    Examples:
      riskcheck export ftm cases/ --out findings.ftm.json
      riskcheck export ftm cases/ --out findings.ftm.json --report-url https://desk.example.org/reports/
    """
    from collections import Counter

    from riskcheck.importers.ftm_export import case_entities, dumps, not_exported
    from riskcheck.pipeline import run_cases
    from riskcheck.report.output import write_text
    from riskcheck.report.render import finding_address
    from riskcheck.results import RunOptions

    if report_url is not None and not re.match(r"https?://", report_url):
        raise click.BadParameter("must start with http:// or https://", param_hint="--report-url")
    base = (report_url.rstrip("/") + "/") if report_url else ""
    rules = load_rules_or_exit(rule_paths(chosen_rules, added_rules))
    lines: list[str] = []
    skipped: Counter = Counter()
    counts: Counter = Counter()

    def on_case(result: CaseResult, registry: Registry) -> None:
        for entity in case_entities(result.id, registry, result.findings,
                                    lambda f: base + finding_address(result, f)):
            counts[entity["schema"]] += 1
            lines.append(dumps(entity))
        skipped.update(not_exported(registry))

    try:
        results = run_cases(cases, rules, RunOptions(as_of, {}, match_jurisdiction=not chosen_rules), on_case)
    except ProblemError as exc:
        raise click.UsageError(str(exc)) from None
    out_file.parent.mkdir(parents=True, exist_ok=True)
    write_text(out_file, "".join(line + "\n" for line in sorted(lines)))
    click.echo(f"Wrote {sum(counts.values()):,} entities to {out_file}: "
               + ", ".join(f"{n:,} {s}" for s, n in sorted(counts.items())))
    if skipped:
        click.echo("Not exported (no FtM form here yet): " + ", ".join(f"{n:,} {t}" for t, n in sorted(skipped.items())))
    failed = [r for r in results if not r.ok]
    for r in failed:
        click.secho(reveal(f"{r.display}: not exported, {len(r.problems)} problem(s); see riskcheck validate"),
                    fg="red", err=True)
    if failed:
        sys.exit(EXIT_CASE_FAILED)


@export_group.command("findings")
@click.argument("cases", type=click.Path(exists=True, file_okay=False, path_type=Path))
@rules_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None,
              help="csv or xlsx (default: from the --out file's suffix).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write.")
@click.option("--as-of", "as_of", callback=as_of_date, metavar="YYYY-MM-DD",
              help="Judge every case as of this date instead of each case's own as_of.")
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="The reports folder of `riskcheck run`: each row links to its finding there.")
@click.option("--report-url", default=None, metavar="URL",
              help="Where the reports are published (http or https): each row links there instead of to --reports.")
@lang_option
def export_findings_command(cases: Path, chosen_rules: tuple[Path, ...], added_rules: tuple[Path, ...],
                            fmt: str | None, out_file: Path, as_of: date | None, reports_dir: Path,
                            report_url: str | None, lang: str | None) -> None:
    """Write every finding of CASES, with its review, as one table for the desk (CSV or XLSX).

    One row per finding: case, rule, status, severity, person and related names, summary, the
    as-of date, sources, the latest decision with reviewer, time and note, what changed since
    it was decided, and a link to the finding in the reports. Reviewed findings this run no
    longer gives are rows too, marked "no longer found". Cells a spreadsheet would run as
    formulas are text-prefixed, however Excel splits the line (comma or semicolon); the CSV
    has a byte-order mark for Excel; the XLSX has real dates, a filter and a frozen header.

    \b
    Examples:
      riskcheck export findings cases/ --out findings.xlsx
      riskcheck export findings cases/ --format csv --out findings.csv
      riskcheck export findings cases/ --out findings.xlsx --lang pt   # headers and findings in Portuguese
    """
    from riskcheck.pipeline import check_cases
    from riskcheck.registry.cases import discover_cases
    from riskcheck.report.desk import csv_text, desk_rows, xlsx_bytes
    from riskcheck.report.output import write_bytes
    from riskcheck.review.decisions import DecisionLog
    from riskcheck.review.events import ReviewError, reviews_path

    if report_url is not None and not re.match(r"https?://", report_url):
        raise click.BadParameter("must start with http:// or https://", param_hint="--report-url")
    base = (report_url.rstrip("/") + "/") if report_url else reports_dir.resolve().as_uri() + "/"
    fmt = fmt or out_file.suffix.lstrip(".").lower()
    if fmt not in ("csv", "xlsx"):
        raise click.BadParameter("give --format csv or xlsx, or an --out file ending in .csv or .xlsx",
                                 param_hint="--format")
    rules = load_rules_or_exit(rule_paths(chosen_rules, added_rules))
    try:
        root, _ = discover_cases(cases)
        views = check_cases(cases, rules, as_of, match_jurisdiction=not chosen_rules, language=lang)
    except ProblemError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        log = DecisionLog.open_existing(reviews_path(root))
    except ReviewError as exc:
        raise click.UsageError(str(exc)) from None
    rows = []
    try:
        with speaking(lang):  # the table's headers and words in the run's language
            for cid, view in sorted(views.items()):
                if view.result.ok:
                    rows += desk_rows(view, log.histories(cid) if log else {}, base)
            table = csv_text(rows).encode("utf-8") if fmt == "csv" else xlsx_bytes(rows)
    finally:
        if log:
            log.close()
    write_bytes(out_file, table)
    click.echo(f"Wrote {len(rows):,} finding(s) to {out_file}")
    failed = [v for v in views.values() if not v.result.ok]
    for v in failed:
        click.secho(reveal(f"{v.result.display}: not exported, the case has errors; see riskcheck validate"),
                    fg="red", err=True)
    if failed:
        sys.exit(EXIT_CASE_FAILED)
