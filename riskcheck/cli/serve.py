"""`riskcheck serve`: check the cases, then serve their findings for review on this machine."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from riskcheck.cli.common import as_of_date, lang_option, load_rules_or_exit, rule_paths, rules_option
from riskcheck.errors import ProblemError
from riskcheck.registry.cases import discover_cases
from riskcheck.review.decisions import check_log_path
from riskcheck.review.events import ReviewError, reviews_path


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
@lang_option
def serve_command(cases: Path, chosen_rules: tuple[Path, ...], added_rules: tuple[Path, ...], port: int, host: str,
                  as_of: date | None, lang: str | None) -> None:
    """Check CASES and serve the findings at http://127.0.0.1:PORT for review.

    Filter the findings by status, rule, severity, review state and name; open one to read
    its reasoning and record a decision (confirmed, dismissed, unsure) with a note and your
    name. Decisions go to CASES/reviews.sqlite, appended, never overwritten; the next
    `riskcheck run` shows them in the static reports too. Only this machine can connect.
    Every page has a language switch, remembered for each reviewer; --lang checks the cases
    and writes the pages in one language unless a reviewer chooses another.

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
    try:
        root, _ = discover_cases(cases)
        click.echo("Checking the cases...", err=True)
        views = check_cases(cases, rules, as_of, match_jurisdiction=not chosen_rules, language=lang)
    except ProblemError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        check_log_path(reviews_path(root))
    except ReviewError as exc:
        raise click.UsageError(str(exc)) from None
    local = host in LOCAL_HOSTS
    app = make_app(views, reviews_path(root), {r.id: r.rule for r in rules},
                   hosts=LOCAL_HOSTS if local else ("*",), password=None if local else password, language=lang)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Serving {len(views)} case(s) at http://{shown}:{port}/ (Ctrl+C to stop)"
               + ("" if local else "; a password is asked for"))
    uvicorn.run(app, host=host, port=port, log_level="warning")
