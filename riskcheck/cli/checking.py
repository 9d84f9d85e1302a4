"""What `riskcheck run` and `riskcheck validate` do once their options are read: check the cases, write the
reports, say what was found. Imported by the commands when they start (riskcheck.cli.run), so that a large
case's files are read meanwhile."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from riskcheck.cli.common import (EXIT_CASE_FAILED, EXIT_FAIL_ON, Progress, StageLog, cache_folder, load_rules_or_exit,
                                  rule_paths, say_reuse)
from riskcheck.i18n import _, format_number, ngettext, speaking
from riskcheck.grammar.vocabulary import LEAD_STATUSES, SEVERITY_ORDER, STATUSES
from riskcheck.errors import ProblemError
from riskcheck.pipeline import parse_param_overrides, run_cases
from riskcheck.registry.cases import discover_cases
from riskcheck.registry.load import Registry
from riskcheck.registry.read_ahead import ReadAhead
from riskcheck.results import CaseResult, RunOptions
from riskcheck.reuse import CaseCache
from riskcheck.review.decisions import DecisionLog
from riskcheck.review.events import ReviewError, reviews_path
from riskcheck.review.state import attach_reviews, desk_counts
from riskcheck.report.output import OutputBusyError, finish_removals, output_lock, tidy
from riskcheck.report.render import write_case, write_index
from riskcheck.textsafety import reveal


def run_and_report(cases: Path, chosen_rules: tuple[Path, ...], added_rules: tuple[Path, ...], out_dir: Path,
                   as_of: date | None, params: tuple[str, ...], fail_on: str | None, progress: bool,
                   cache_dir: Path | None, no_cache: bool, lang: str | None, ahead: ReadAhead | None = None) -> None:
    """`riskcheck run`, its options as read (see its help); `ahead`: the first case being read meanwhile."""
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
                results = run_cases(cases, rules, options, on_case, Progress("Checking cases"), stage, cache,
                                    ahead=ahead)
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


def validate_cases(cases: Path) -> None:
    """`riskcheck validate`: every problem of every case, or that it is valid."""
    try:
        # No --as-of here: a case without its own as_of is reported as `run` would report it. No rules run, so no
        # rule pack is matched to the jurisdiction a case states (every case would be told none of its law was
        # checked, which only `run` can say).
        results = run_cases(cases, [], RunOptions(match_jurisdiction=False), progress=Progress("Validating"))
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
