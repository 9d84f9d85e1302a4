"""`riskcheck run` and `riskcheck validate`: check case folders and write reports.

The commands and their options alone; what they do is riskcheck.cli.checking, imported once they start: `run`
begins reading a large case first (riskcheck.registry.read_ahead), and the rest of the program is imported
while it is read."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from riskcheck.cli.common import as_of_date, cache_folder, cache_options, lang_option, rules_option
from riskcheck.grammar.vocabulary import SEVERITIES
from riskcheck.registry.read_ahead import ReadAhead

cases_argument = click.argument("cases", type=click.Path(exists=True, file_okay=False, path_type=Path))


@click.command("run")
@cases_argument
@rules_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="Folder for the reports (created if missing).")
@click.option("--as-of", "as_of", callback=as_of_date, metavar="YYYY-MM-DD",
              help="Judge every case as of this date instead of each case's own as_of.")
@click.option("--param", "params", multiple=True, metavar="RULE.NAME=VALUE",
              help="Override a rule parameter for this run (repeatable; lists are comma-separated).")
@click.option("--fail-on", type=click.Choice(list(SEVERITIES)), default=None,
              help="Exit with code 1 if a flagged or pending finding has this severity or higher.")
@click.option("--progress", is_flag=True,
              help="Print a line per stage with the seconds elapsed, even when not on a terminal "
                   "(a long run logged to a file).")
@cache_options
@lang_option
def run_command(cases: Path, chosen_rules: tuple[Path, ...], added_rules: tuple[Path, ...], out_dir: Path, as_of: date | None, params: tuple[str, ...],
                fail_on: str | None, progress: bool, cache_dir: Path | None, no_cache: bool, lang: str | None) -> None:
    """Check the cases in CASES and write a reasoned report for each.

    CASES is a folder of case folders (or one case folder). For every case riskcheck writes
    OUT/<case>/report.html and OUT/<case>/findings.json, and OUT/index.html over all cases.
    A case with data errors is listed with its errors and skipped; the others still run.

    \b
    Examples:
      riskcheck run cases/
      riskcheck run cases/ --out /tmp/reports --as-of 2025-11-01
      riskcheck run cases/imanaliev-appointment
      riskcheck run cases/ --param subordinate-corruption-resignation.days_to_resign=14
      riskcheck run cases/ --param kinship-convicted-official.close_relatives=parent,child,spouse
      riskcheck run cases/ --fail-on high      # exit 1 if any high-severity lead is found
      riskcheck run cases/ --no-cache          # check every case afresh
      riskcheck run cases/ --lang ru           # every report in Russian, whatever the cases say
      riskcheck run /data/national --progress 2> run.log   # a line per stage, in the log

    A case nothing of which changed since the last run into OUT (its files, the rules, the options,
    riskcheck itself, reviewers' decisions) is not checked again: its results are read back from
    OUT/.riskcheck-cache and its report left as it is. Each case says whether it was reused, re-ran
    (and what changed) or ran. The cache may be deleted at any time.
    """
    # A large case is read while the rest of the program is imported and the rules load (read_ahead); the
    # checking itself imports what it needs only now.
    with ReadAhead(cases, None if no_cache else cache_folder(out_dir, cache_dir)) as ahead:
        from riskcheck.cli.checking import run_and_report

        run_and_report(cases, chosen_rules, added_rules, out_dir, as_of, params, fail_on, progress, cache_dir,
                       no_cache, lang, ahead)


@click.command("validate")
@cases_argument
def validate_command(cases: Path) -> None:
    """Check the data of the cases in CASES without running rules or writing anything.

    Every problem is listed with its file, line (or CSV row), record and field.

    \b
    Example:
      riskcheck validate cases/
    """
    from riskcheck.cli.checking import validate_cases

    validate_cases(cases)
