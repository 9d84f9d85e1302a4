"""`riskcheck serve`: check the cases, then serve their findings for review on this machine."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import TYPE_CHECKING
from pathlib import Path

import click

from riskcheck.cli.common import (as_of_date, cache_folder, cache_options, lang_option, load_rules_or_exit, rule_paths,
                                  rules_option)
from riskcheck.errors import ProblemError
from riskcheck.registry.cases import discover_cases
from riskcheck.review.decisions import check_log_path
from riskcheck.review.events import ReviewError, reviews_path
from riskcheck.rules.loader import LoadedRule

if TYPE_CHECKING:
    from riskcheck.results import CaseView
    from riskcheck.serve.app import ReviewPages


@click.command("serve")
@click.argument("cases", type=click.Path(exists=True, file_okay=False, path_type=Path))
@rules_option
@click.option("--port", type=click.IntRange(1024, 65535), default=8000, show_default=True,
              help="The port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. Anything but this machine (e.g. 0.0.0.0 for a newsroom network) "
                   "needs a password in the RISKCHECK_PASSWORD environment variable.")
@click.option("--as-of", "as_of", callback=as_of_date, metavar="YYYY-MM-DD",
              help="Judge every case as of this date instead of each case's own as_of.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="The output folder of the last `riskcheck run`, whose results the app starts from.")
@cache_options
@lang_option
def serve_command(cases: Path, chosen_rules: tuple[Path, ...], added_rules: tuple[Path, ...], port: int, host: str,
                  as_of: date | None, out_dir: Path, cache_dir: Path | None, no_cache: bool, lang: str | None) -> None:
    """Check CASES and serve the findings at http://127.0.0.1:PORT for review.

    Filter the findings by status, rule, severity, review state and name; open one to read
    its reasoning and record a decision (confirmed, dismissed, unsure) with a note and your
    name. Decisions go to CASES/reviews.sqlite, appended, never overwritten; the next
    `riskcheck run` shows them in the static reports too. Only this machine can connect.
    Every page has a language switch, remembered for each reviewer; --lang checks the cases
    and writes the pages in one language unless a reviewer chooses another.

    The app starts from the last run's results (OUT/.riskcheck-cache, or --cache) and checks only the
    cases it has none for; a case whose inputs changed since is shown as out of date and checked again
    in the background. --no-cache checks every case before the app starts.

    \b
    Examples:
      riskcheck serve cases/
      riskcheck serve cases/ --port 8765
      riskcheck serve cases/ --lang kk
      RISKCHECK_PASSWORD=... riskcheck serve cases/ --host 0.0.0.0   # for colleagues on the network
    """
    import os

    import uvicorn

    from riskcheck.serve.guards import LOCAL_HOSTS, password_problem

    password = os.environ.get("RISKCHECK_PASSWORD") or None
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if host not in LOCAL_HOSTS and (problem := password_problem(password)):
        raise click.UsageError(f"riskcheck serves only this machine unless a password protects it: to listen on "
                               f"{host}, set RISKCHECK_PASSWORD to {problem} (colleagues log in with it, any user "
                               "name; wrong guesses are slowed, then refused for 15 minutes)")

    from riskcheck.serve.app import make_app
    from riskcheck.pipeline import check_cases

    rules = load_rules_or_exit(rule_paths(chosen_rules, added_rules))
    match = not chosen_rules
    try:
        root, _ = discover_cases(cases)
        views, stale, missing = starting_views(cases, rules, as_of, match, out_dir, cache_dir, no_cache, lang)
    except ProblemError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        check_log_path(reviews_path(root))
    except ReviewError as exc:
        raise click.UsageError(str(exc)) from None
    local = host in LOCAL_HOSTS
    app = make_app(views, reviews_path(root), {r.id: r.rule for r in rules},
                   hosts=LOCAL_HOSTS if local else ("*",), password=None if local else password, stale=stale,
                   language=lang)
    if stale:
        recheck_in_background(app.state.pages, cases, rules, as_of, match, set(stale), lang)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Serving {len(views)} case(s) at http://{shown}:{port}/ (Ctrl+C to stop)"
               + ("" if local else "; a password is asked for"))
    uvicorn.run(app, host=host, port=port, log_level="warning")


def starting_views(cases: Path, rules: list[LoadedRule], as_of: date | None, match: bool, out_dir: Path,
                   cache_dir: Path | None, no_cache: bool, language: str | None = None
                   ) -> tuple[dict[str, "CaseView"], dict[str, str], set[str]]:
    """The views the app starts with: the last run's where the cache has them, the other cases checked now.

    Returns (views, case id -> why its view is out of date, the cases checked now)."""
    from riskcheck.pipeline import cached_views, check_cases
    from riskcheck.reuse import CaseCache

    start = time.perf_counter()
    views: dict[str, CaseView] = {}
    stale: dict[str, str] = {}
    missing: dict[str, str] = {}
    if not no_cache:
        views, stale, missing = cached_views(cases, rules, as_of, match, CaseCache(cache_folder(out_dir, cache_dir)),
                                              language)
        if views:
            click.echo(f"Started from the last run's results for {len(views)} case(s) "
                       f"({time.perf_counter() - start:.1f} s)" + (f"; {len(stale)} out of date, checked again in "
                                                                  "the background" if stale else ""), err=True)
        for cid, why in sorted(stale.items()):
            click.echo(f"  {cid}: out of date, {why}", err=True)
    if no_cache or missing:
        click.echo(f"Checking {'the' if no_cache else len(missing)} cases...", err=True)
        for cid, why in sorted(missing.items()):
            click.echo(f"  {cid}: {why}", err=True)
        views.update(check_cases(cases, rules, as_of, match_jurisdiction=match,
                                 only=None if no_cache else set(missing), language=language))
    return views, stale, set(missing)


def recheck_in_background(pages: "ReviewPages", cases: Path, rules: list[LoadedRule], as_of: date | None,
                          match: bool, stale: set[str], language: str | None = None) -> threading.Thread:
    """Check the out-of-date cases again while the app answers from their last results; swap each in when done."""
    from riskcheck.pipeline import check_cases

    def work() -> None:
        for cid in sorted(stale):
            try:
                fresh = check_cases(cases, rules, as_of, match_jurisdiction=match, only={cid}, language=language)
            except Exception as exc:  # the last results stay, marked out of date, with why
                pages.stale[cid] = f"could not be checked again ({type(exc).__name__})"
                continue
            for case_id, view in fresh.items():
                pages.replace(case_id, view)
            click.echo(f"  {cid}: checked again; the app shows its findings as the data is now", err=True)

    thread = threading.Thread(target=work, daemon=True, name="riskcheck-recheck")
    thread.start()
    return thread
