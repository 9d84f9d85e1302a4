"""`riskcheck import ftm` and `riskcheck export ftm`: FollowTheMoney in and out (OpenSanctions, Aleph)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from riskcheck.errors import ProblemError
from riskcheck.registry.dates import DateFormatError, parse_exact_date
from riskcheck.textsafety import reveal


def _as_of(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_exact_date(value)
    except DateFormatError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group("import")
def import_group() -> None:
    """Make a case from data in another format."""


@import_group.command("ftm")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out_case", type=click.Path(file_okay=False, path_type=Path))
@click.option("--as-of", "as_of", callback=_as_of, metavar="YYYY-MM-DD",
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
    for line in summary.lines():
        click.echo(reveal(line))
    click.echo(f"Wrote the case {out_case}; check it with: riskcheck validate {out_case.parent}")
