"""`riskcheck reviews`: record decisions on findings, see their history, move them between machines."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from riskcheck.errors import ProblemError
from riskcheck.registry.cases import discover_cases
from riskcheck.report.output import SAFE_NAME, write_text
from riskcheck.review.decisions import DecisionLog
from riskcheck.review.event_checks import link_decisions, read_events
from riskcheck.review.events import DECISIONS, ReviewError, reviews_path
from riskcheck.textsafety import reveal

cases_argument = click.argument("cases", type=click.Path(exists=True, file_okay=False, path_type=Path))


def _cases(cases: Path) -> tuple[Path, set[str]]:
    """(the cases folder, the ids of its cases): a case's id is its folder's name."""
    try:
        root, folders = discover_cases(cases)
    except ProblemError as exc:
        raise click.UsageError(str(exc)) from None
    return root, {f.name for f in folders}


def _log(cases: Path) -> DecisionLog:
    root, _ = _cases(cases)
    try:
        return DecisionLog(reviews_path(root))
    except ReviewError as exc:
        raise click.UsageError(str(exc)) from None


@click.group("reviews")
def reviews_group() -> None:
    """Reviewers' decisions on findings, kept in CASES/reviews.sqlite.

    Every decision is appended with the reviewer's name, a note, the time and the evidence
    it was made on; nothing is overwritten or deleted. `riskcheck run` shows them in the
    reports, says when a finding changed since it was reviewed, and keeps listing decided
    findings that a later run no longer gives.
    """


@reviews_group.command("decide")
@cases_argument
@click.argument("finding")
@click.option("--decision", type=click.Choice(DECISIONS), required=True,
              help="confirmed: the lead holds up; dismissed: it does not; unsure: it needs more reporting.")
@click.option("--reviewer", required=True, help="Your name, as colleagues know it.")
@click.option("--note", default="", help="Why: who you called, what the document says.")
@click.option("--case", "case_id", default=None, help="The case, when the finding id is in several.")
@click.option("--reports", "reports_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("reports"), show_default=True,
              help="The reports folder of the run you reviewed: the decision is made on the finding as it is there.")
def decide_command(cases: Path, finding: str, decision: str, reviewer: str, note: str, case_id: str | None,
                   reports_dir: Path) -> None:
    """Record a decision on FINDING (its id, as shown in the report) in CASES/reviews.sqlite.

    \b
    Examples:
      riskcheck reviews decide cases/ kinship-convicted-official-a4c52e850d93 \\
          --decision dismissed --reviewer "A. Nurlanova" --note "Namesake: the ministry sent his IIN"
      riskcheck run cases/      # the reports now show the decision
    """
    matches = []
    for doc_path in sorted(reports_dir.glob("*/findings.json")):
        if not SAFE_NAME.fullmatch(doc_path.parent.name) or (case_id and doc_path.parent.name != case_id):
            continue
        try:
            doc = json.loads(doc_path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        for f in doc.get("findings", []):
            if f.get("id") == finding:
                matches.append((doc.get("case") or doc_path.parent.name, {k: v for k, v in f.items() if k != "review"}))
    if not matches:
        raise click.UsageError(f"no finding {finding!r} in {reports_dir}/*/findings.json: run riskcheck run first, "
                               "or name the reports folder with --reports")
    if len(matches) > 1:
        raise click.UsageError(f"finding {finding!r} is in several cases ({', '.join(c for c, _ in matches)}): "
                               "name one with --case")
    case, finding_json = matches[0]
    if case not in _cases(cases)[1]:
        raise click.UsageError(f"the finding {finding!r} is of the case {case!r}, which is not in {cases}: name the "
                               "cases folder the reports were made from")
    with _log(cases) as log:
        try:
            event = log.record(case, finding_json, decision, reviewer, note)
        except ReviewError as exc:
            raise click.UsageError(str(exc)) from None
    click.echo(reveal(f"{case}: {finding} {event.decision} by {event.reviewer} at {event.at}"))


@reviews_group.command("link")
@cases_argument
@click.argument("person")
@click.argument("relative")
@click.option("--as", "kind", type=click.Choice(link_decisions()), required=True, metavar="KIND",
              help="RELATIVE is PERSON's KIND (a relation kind: parent, child, spouse, sibling, ...), or "
                   "not_related, same_as, not_same_as, unsure.")
@click.option("--reviewer", required=True, help="Your name, as colleagues know it.")
@click.option("--case", "case_id", default=None, help="The case (needed when the folder holds several).")
@click.option("--note", default="", help="Why: the birth record seen, the family's denial, the two IINs.")
def link_command(cases: Path, person: str, relative: str, kind: str, reviewer: str, case_id: str | None,
                 note: str) -> None:
    """Record your word on two person records (ids as in the report): RELATIVE is PERSON's KIND.

    The next `riskcheck run` uses it: a relation enters the case as a relation of status
    `reported` whose source is your decision; same_as and not_same_as act as they do in the
    data; not_related drops the hint from names. Data that contradicts a decision wins, and
    the report says so.

    \b
    Examples:
      riskcheck reviews link cases/ p-son p-court --as parent --reviewer "A. Nurlanova" \\
          --note "Birth record seen at the registry office"
      riskcheck reviews link cases/ p-a p-b --as not_same_as --reviewer "A. Nurlanova" --note "Two IINs"
    """
    root, case_ids = _cases(cases)
    if case_id is None:
        if len(case_ids) != 1:
            raise click.UsageError(f"{cases} holds {len(case_ids)} cases: name one with --case")
        [case_id] = case_ids
    elif case_id not in case_ids:
        raise click.UsageError(f"there is no case {case_id!r} in {cases}")
    with _log(cases) as log:
        try:
            event = log.record_link(case_id, person, relative, kind, reviewer, note)
        except ReviewError as exc:
            raise click.UsageError(str(exc)) from None
    click.echo(reveal(f"{case_id}: {relative} is {person}'s {kind} by {event.reviewer} at {event.at}"
                      if kind not in ("not_related", "same_as", "not_same_as", "unsure") else
                      f"{case_id}: {person} and {relative}: {kind} by {event.reviewer} at {event.at}"))


@reviews_group.command("list")
@cases_argument
@click.option("--case", "case_id", default=None, help="Only this case.")
def list_command(cases: Path, case_id: str | None) -> None:
    """List every decision, oldest first per finding (the last one is current).

    Imported decisions are marked with their batch; decisions that cannot be used (damaged, or
    dated after now) are listed after them with why, and count nowhere."""
    with _log(cases) as log:
        events, unreadable = log.read(case_id, kind=None)
    for e in events:
        click.echo(reveal(f"{e.case_id}  {e.finding}  {e.at}  {e.decision:<9}  {e.reviewer}"
                          + (f"  [imported, batch {e.batch}]" if e.batch else "") + (f"  {e.note}" if e.note else "")))
    for u in unreadable:
        click.secho(reveal(f"{u.case_id}  {u.finding}  {u.at}  unreadable: {u.why}"), fg="yellow")


@reviews_group.command("export")
@cases_argument
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write: one decision per line (JSON).")
def export_command(cases: Path, out_file: Path) -> None:
    """Write every decision to a JSON-lines file, for a colleague or another machine.

    \b
    Example:
      riskcheck reviews export cases/ --out decisions-anna.jsonl
    """
    with _log(cases) as log:
        lines = [json.dumps(e.to_json(), ensure_ascii=False, sort_keys=True) for e in log.events(kind=None)]
    write_text(out_file, "".join(line + "\n" for line in lines))
    click.echo(f"Wrote {len(lines):,} decision(s) to {out_file}")


@reviews_group.command("import")
@cases_argument
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(cases: Path, file: Path) -> None:
    """Merge the decisions in FILE (from `riskcheck reviews export`) into CASES/reviews.sqlite.

    Decisions already there are skipped, so importing twice changes nothing; every decision of
    both sides is kept, and each finding's current decision is the latest of them all.

    \b
    Example:
      riskcheck reviews import cases/ decisions-anna.jsonl
    """
    _, case_ids = _cases(cases)
    try:
        with open(file, encoding="utf-8") as fh:
            events = read_events(fh, file.name)
        with _log(cases) as log:
            added, batch = log.import_events(events, case_ids, file.name)
    except (ReviewError, UnicodeDecodeError) as exc:
        click.secho(reveal(str(exc)), fg="red", err=True)
        sys.exit(2)
    click.echo(f"{added:,} new decision(s) from {file.name}; {len(events) - added:,} were here already")
    if added:
        click.echo(f"Imported as batch {batch.batch}; to take it back: riskcheck reviews withdraw {cases} {batch.batch} "
                   "--reviewer NAME")


@reviews_group.command("batches")
@cases_argument
def batches_command(cases: Path) -> None:
    """List the imported batches of decisions, with the file each came from and whether it was withdrawn."""
    with _log(cases) as log:
        batches = log.batches()
    for b in batches:
        click.echo(reveal(f"{b.batch}  {b.at}  {b.events:,} decision(s) from {b.file}"
                          + (f"  withdrawn {b.withdrawn}" if b.withdrawn else "")))
    if not batches:
        click.echo("No decisions were imported.")


@reviews_group.command("withdraw")
@cases_argument
@click.argument("batch")
@click.option("--reviewer", required=True, help="Your name, as colleagues know it.")
@click.option("--note", default="", help="Why the batch is withdrawn.")
def withdraw_command(cases: Path, batch: str, reviewer: str, note: str) -> None:
    """Withdraw the imported BATCH (see `riskcheck reviews batches`): its decisions stop counting.

    Nothing is deleted: the withdrawal is appended to the log, with your name and the time.

    \b
    Example:
      riskcheck reviews withdraw cases/ 20250301T101500Z-a1b2c3 --reviewer "A. Nurlanova" --note "wrong file"
    """
    with _log(cases) as log:
        try:
            withdrawn = log.withdraw(batch, reviewer, note)
        except ReviewError as exc:
            raise click.UsageError(str(exc)) from None
    click.echo(reveal(f"Withdrew batch {withdrawn.batch} ({withdrawn.events:,} decision(s) from {withdrawn.file})"))
