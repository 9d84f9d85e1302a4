"""`riskcheck names`: compare names across scripts and spellings, score pair files, search cases."""

from __future__ import annotations

import csv
import heapq
import sys
from pathlib import Path
from typing import TextIO

import click

from riskcheck.cli.common import EXIT_CASE_FAILED
from riskcheck.errors import ProblemError
from riskcheck.names.compare import DEFAULT_THRESHOLD, compare_names, compare_parsed
from riskcheck.names.parse import parse_name
from riskcheck.names.resolve import PersonNames
from riskcheck.registry.cases import discover_cases
from riskcheck.registry.load import load_case
from riskcheck.textsafety import reveal

_THRESHOLD = click.option("--threshold", type=click.FloatRange(0, 1), default=DEFAULT_THRESHOLD, show_default=True,
                          help="Score from which two names count as a match.")


@click.group("names")
def names_group() -> None:
    """Compare person names across scripts (Cyrillic, Latin) and spellings.

    Names are transliterated to Latin skeletons (Kazakh, Russian, Kyrgyz and Uzbek letters
    included), read into surname, given names and patronymic in any order, and compared
    part by part. See docs/names.md for the method and its limits.

    \b
    Examples:
      riskcheck names compare "Kassym-Jomart Tokayev" "Тоқаев Қасым-Жомарт Кемелұлы"
      riskcheck names score pairs.csv > scored.csv
      riskcheck names search cases/ "Zhaksybekov Serik"
    """


@names_group.command("compare")
@click.argument("first")
@click.argument("second")
@_THRESHOLD
def compare_command(first: str, second: str, threshold: float) -> None:
    """Print how alike two names are, part by part.

    \b
    Example:
      riskcheck names compare "Nursultan Abishevich Nazarbayev" "Назарбаев Нұрсұлтан Әбішұлы"
    """
    result = compare_names(first, second)
    verdict = "match" if result.score >= threshold else "no match"
    click.echo(reveal(f"score {result.score:.2f}: {verdict} (threshold {threshold:.2f})"))
    for line in result.explain():
        click.echo(reveal("  " + line))


@names_group.command("score")
@click.argument("pairs", type=click.File("r", encoding="utf-8-sig"))
@_THRESHOLD
def score_command(pairs: TextIO, threshold: float) -> None:
    """Score a CSV of name pairs (columns name1,name2) and write it to standard output.

    Every input column is kept; two are added: `score` (0..1) and `match` (true or false at
    the threshold). Use - to read standard input.

    \b
    Example:
      riskcheck names score pairs.csv > scored.csv
    """
    reader = csv.DictReader(pairs)
    fields = list(reader.fieldnames or [])
    missing = [c for c in ("name1", "name2") if c not in fields]
    if missing:
        raise click.UsageError(f"{pairs.name}: no column {', '.join(missing)} (the header has: "
                               f"{', '.join(fields) or 'nothing'})")
    out_fields = fields + [c for c in ("score", "match") if c not in fields]
    writer = csv.DictWriter(sys.stdout, fieldnames=out_fields, lineterminator="\n")
    writer.writeheader()
    for row in reader:
        score = compare_parsed(parse_name(row["name1"] or ""), parse_name(row["name2"] or ""), explain=False).score
        row["score"] = f"{score:.4f}"
        row["match"] = "true" if score >= threshold else "false"
        writer.writerow(row)


@names_group.command("search")
@click.argument("cases", type=click.Path(exists=True, path_type=Path))
@click.argument("name")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="How many persons to list.")
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Leave out persons scoring below this.")
def search_command(cases: Path, name: str, limit: int, min_score: float) -> None:
    """List the persons of the cases whose names are closest to NAME, with scores.

    Every way a record writes the name counts (the name, its aliases, the surname, given
    name and patronymic fields); the best one is shown. Gendered forms are folded:
    "Zhaksybekov" finds Dana Zhaksybekova too.

    \b
    Example:
      riskcheck names search cases/ "Жақсыбеков Серік"
    """
    query = parse_name(name)
    root, folders = discover_cases(cases)
    best: list[tuple[float, str, str, str]] = []
    failed = False
    for folder in folders:
        try:
            registry = load_case(folder, root)
        except ProblemError as exc:
            click.echo(reveal(f"{folder.name}: cannot be read ({len(exc.problems)} problems; run `riskcheck validate`)"),
                       err=True)
            failed = True
            continue
        try:
            rows = registry.conn.execute(
                "SELECT id, name, aliases, surname, given_name, patronymic FROM persons ORDER BY id").fetchall()
            merged = registry.identity.merged_records
            rows += [(pid, r["name"], r["aliases"], r["surname"], r["given_name"], r["patronymic"])
                     for pid, r in sorted(merged.items())]
        finally:
            registry.close()
        for pid, pname, aliases, surname, given, patronymic in rows:
            person = PersonNames(pid, pname or "", list(aliases or []), surname or "", given or "", patronymic or "")
            score = max(compare_parsed(query, p, explain=False, fold_gender=True).score for p in person.parsed())
            if score >= min_score:
                item = (score, folder.name, pid, pname or "")
                if len(best) < limit:
                    heapq.heappush(best, item)
                else:
                    heapq.heappushpop(best, item)
    ranked = sorted(best, key=lambda x: (-x[0], x[1], x[2]))
    if not ranked:
        click.echo(reveal(f"No person scores {min_score:.2f} or more against {name!r}."))
    for score, case_id, pid, pname in ranked:
        click.echo(reveal(f"{score:.2f}  {case_id}  {pid}  {pname}"))
    if failed:
        raise SystemExit(EXIT_CASE_FAILED)
