"""`riskcheck run` and `riskcheck validate`: check case folders and write reports."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from riskcheck.cli.common import (EXIT_CASE_FAILED, EXIT_FAIL_ON, Progress, StageLog, as_of_date, cache_folder,
                                  cache_options, lang_option, load_rules_or_exit, rule_paths, rules_option, say_reuse)
from riskcheck.i18n import _, format_number, ngettext, speaking
from riskcheck.grammar.vocabulary import LEAD_STATUSES, SEVERITIES, SEVERITY_ORDER, STATUSES
from riskcheck.errors import ProblemError
from riskcheck.pipeline import parse_param_overrides, run_cases
from riskcheck.registry.cases import discover_cases
from riskcheck.registry.load import Registry
from riskcheck.results import CaseResult, RunOptions
from riskcheck.reuse import CaseCache
from riskcheck.review.decisions import DecisionLog
from riskcheck.review.events import ReviewError, reviews_path
from riskcheck.review.state import attach_reviews, desk_counts
from riskcheck.report.output import OutputBusyError, finish_removals, output_lock, tidy
from riskcheck.report.render import write_case, write_index
from riskcheck.textsafety import reveal

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
    rules = load_rules_or_exit(rule_paths(chosen_rules, added_rules))
    try:
        overrides = parse_param_overrides(list(params), rules)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None

    stage = StageLog(always=progress)
    try:
        log = DecisionLog.open_existing(reviews_path(discover_cases(cases)[0]))
    except (ProblemError, ReviewError) as exc:
        raise click.UsageError(str(exc)) from None

    cache = None if no_cache else CaseCache(cache_folder(out_dir, cache_dir), out_dir, say=say_reuse)

    def on_case(result: CaseResult, registry: Registry) -> None:
        if log is not None:
            attach_reviews(result, log, registry)
        pages = cache.page_reuse(result.id) if cache is not None else None
        write_case(out_dir, result, registry, rules, pages, second_process=True)
        copied = f", {pages.copied:,} person pages as the last run wrote them" if pages and pages.copied else ""
        stage(result.id, f"report written ({len(result.findings):,} findings{copied})")

    try:
        with output_lock(out_dir):
            try:
                tidy(out_dir)
                options = RunOptions(as_of, overrides, match_jurisdiction=not chosen_rules, language=lang)
                results = run_cases(cases, rules, options, on_case, Progress("Checking cases"), stage, cache)
                with speaking(lang):  # the index is over every case: in the run's language, English unless chosen
                    write_index(out_dir, results, rules)
            finally:
                finish_removals()  # the reports this run replaced, removed while it holds the output folder
    except (ProblemError, OutputBusyError) as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        if log is not None:
            log.close()
    with speaking(lang):
        _print_summary(results, out_dir)
    if any(not r.ok for r in results):
        sys.exit(EXIT_CASE_FAILED)
    if fail_on and any(f.status in LEAD_STATUSES and SEVERITY_ORDER[f.severity] <= SEVERITY_ORDER[fail_on]
                       for r in results for f in r.findings):
        sys.exit(EXIT_FAIL_ON)


def _print_summary(results: list[CaseResult], out_dir: Path) -> None:
    """What the run found, a line per case, in the run's language (English unless --lang chose one)."""
    for r in results:
        if r.ok:
            counts = {s: sum(1 for f in r.findings if f.status == s)
                      for s in STATUSES}
            line = ", ".join(_("%(n)s %(status)s") % {"n": format_number(n), "status": _(s)}
                             for s, n in counts.items() if n) or _("no findings")
            # the date as --as-of and case.yaml write it, so it can be given back to a run as it is
            click.echo(reveal(_("%(case)s: %(counts)s (as of %(day)s)") % {"case": r.id, "counts": line, "day": r.as_of}))
            if r.reviewing:
                click.echo(reveal("  " + _("review:") + " " + _review_line(r)))
            for w in r.warnings:
                click.secho(reveal("  " + _("warning:") + f" {w}"), fg="yellow", err=True)
        else:
            click.secho(reveal(ngettext("%(case)s: not checked, %(n)d problem(s):", "%(case)s: not checked, %(n)d problem(s):",
                                        len(r.problems)) % {"case": r.id, "n": len(r.problems)}), fg="red", err=True)
            for p in r.problems:
                click.echo(reveal(f"  {p}"), err=True)
    reviewed = [r for r in results if r.ok and r.reviewing]
    if len(reviewed) > 1:
        totals = {k: sum(desk_counts([f.id for f in r.findings], r.reviews, r.reviews_gone)[k] for r in reviewed)
                  for k in ("open", "changed", "no longer found")}
        click.echo(_("Review, all cases:") + " " + _desk_words(totals))
    click.echo(reveal(_("Reports written to %(path)s") % {"path": out_dir / "index.html"}))


def _desk_words(counts: dict[str, int]) -> str:
    """What is left to look at: not reviewed, changed since reviewed, reviewed but no longer found."""
    return ", ".join([_("%(n)s not reviewed") % {"n": format_number(counts["open"])},
                      _("%(n)s changed since reviewed") % {"n": format_number(counts["changed"])},
                      _("%(n)s reviewed but no longer found") % {"n": format_number(counts["no longer found"])}])


def _review_line(r: CaseResult) -> str:
    line = _desk_words(desk_counts([f.id for f in r.findings], r.reviews, r.reviews_gone))
    if r.hints_to_check:
        line += "; " + ngettext("%(n)s hint to check (possible relatives and same persons)",
                                "%(n)s hints to check (possible relatives and same persons)",
                                r.hints_to_check) % {"n": format_number(r.hints_to_check)}
    if r.reviews_unreadable:
        line += "; " + ngettext("%(n)s decision in the log cannot be read (riskcheck reviews list)",
                                "%(n)s decisions in the log cannot be read (riskcheck reviews list)",
                                len(r.reviews_unreadable)) % {"n": format_number(len(r.reviews_unreadable))}
    return line


@click.command("validate")
@cases_argument
def validate_command(cases: Path) -> None:
    """Check the data of the cases in CASES without running rules or writing anything.

    Every problem is listed with its file, line (or CSV row), record and field.

    \b
    Example:
      riskcheck validate cases/
    """
    try:
        # No --as-of here: a case without its own as_of is reported as `run` would report it.
        results = run_cases(cases, [], RunOptions(), progress=Progress("Validating"))
    except ProblemError as exc:
        raise click.UsageError(str(exc)) from None
    for r in results:
        if r.ok:
            total = sum(r.counts.values())
            click.echo(reveal(f"{r.id}: valid ({total} records)"))
            for w in r.warnings:
                click.secho(reveal(f"  warning: {w}"), fg="yellow")
        else:
            click.secho(reveal(f"{r.id}: {len(r.problems)} problem(s)"), fg="red")
            for p in r.problems:
                click.echo(reveal(f"  {p}"))
    if any(not r.ok for r in results):
        sys.exit(EXIT_CASE_FAILED)
