"""The records identity resolution reads and what it returns: a person's names, a pair's result, the whole.

Shared by the resolver (riskcheck.names.resolve), its steps and everything that reads a resolution (the
store's identity layer, the report, `riskcheck names`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Callable

import duckdb

from riskcheck.names.parse import ParsedName, parse_name
from riskcheck.sqlio import bulk_insert


@dataclass
class PersonNames:
    """One person record as resolution reads it: its names, birth interval, gender, links and sources."""

    id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    surname: str = ""
    given_name: str = ""
    patronymic: str = ""
    birth_lo: date | None = None
    birth_hi: date | None = None
    gender: str | None = None
    same_as: list[str] = field(default_factory=list)
    not_same_as: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)  # scheme:value
    sources: list[str] = field(default_factory=list)

    def parsed(self) -> tuple[ParsedName, ...]:
        """Every way the record writes the name: structured fields, the name, its aliases."""
        return name_forms(self.name or "", self.surname or "", self.given_name or "", self.patronymic or "",
                          tuple(self.aliases or ()))

    @property
    def birth_day(self) -> date | None:
        return self.birth_lo if self.birth_lo is not None and self.birth_lo == self.birth_hi else None


@lru_cache(maxsize=300_000)
def name_forms(name: str, surname: str, given: str, patronymic: str, aliases: tuple[str, ...]) -> tuple[ParsedName, ...]:
    """The parsed forms of one record's names, computed once per distinct name (the keys that blocking and
    hints need are computed per distinct name part, in SQL: riskcheck.names.candidates)."""
    forms = []
    if surname or given or patronymic:
        forms.append(parse_name("", surname, given, patronymic))
        # The name is most often the same fields joined; parse it only when it says more.
        if name and name != " ".join(x for x in (surname, given, patronymic) if x) \
                and sorted(name.split()) != sorted(" ".join((surname, given, patronymic)).split()):
            forms.append(parse_name(name))
    else:
        forms.append(parse_name(name))
    for alias in aliases:
        if alias:
            forms.append(parse_name(alias))
    return tuple(forms)


@dataclass
class PairResult:
    """Two records and what was found of them: a link, a possible match, or a kinship hint, with the why."""

    left: str
    right: str
    kind: str            # same_as | identifier | name_and_birth | possible | hint
    score: float
    explanation: list[str]
    rank: int = 0        # hints: 1 is the most telling (riskcheck.names.candidates.kinship_hints)
    changes: list[str] = field(default_factory=list)  # hints: the findings it would add if true


# Given pairs of person ids that a name and birth date would link, return a reason against each pair the
# recorded facts contradict (another parent, another spouse at the same time). The store answers this in
# SQL (riskcheck.registry.identity); without one, only the names and the records' own fields are checked.
FamilyCheck = Callable[[list[tuple[str, str]]], dict[tuple[str, str], str]]


@dataclass
class Resolution:
    """Everything resolution found in one case: links made, pairs for review, hints, and what was left out."""

    links: list[PairResult] = field(default_factory=list)       # merged
    possible: list[PairResult] = field(default_factory=list)    # for review, never merged
    hints: list[PairResult] = field(default_factory=list)       # left = child, right = possible parent
    canonical: dict[str, str] = field(default_factory=dict)     # merged id -> the id it is merged into
    skipped_blocks: list[tuple[str, int]] = field(default_factory=list)  # (block, size)
    ambiguous_patronymics: int = 0
    compared: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # why a name-and-birth link was not made -> count
    hints_total: int = 0  # all kinship hints; `hints` holds those worded (all of them for small inputs)
    possible_not_compared: int = 0  # possible pairs beyond MAX_POSSIBLE, counted, not compared


def load_persons(conn: duckdb.DuckDBPyConnection, persons: list[PersonNames]) -> None:
    """A `persons` table as the store has it, from PersonNames."""
    conn.execute("CREATE TABLE nk_load (id VARCHAR, name VARCHAR, aliases VARCHAR, surname VARCHAR, "
                 "given_name VARCHAR, patronymic VARCHAR, lo VARCHAR, hi VARCHAR, gender VARCHAR, "
                 "same_as VARCHAR, not_same_as VARCHAR, identifiers VARCHAR, sources VARCHAR)")

    def joined(items) -> str | None:
        return "\x1f".join(items) if items else None
    bulk_insert(conn, "nk_load", ((p.id, p.name or None, joined(p.aliases), p.surname or None, p.given_name or None,
                                   p.patronymic or None, p.birth_lo and p.birth_lo.isoformat(),
                                   p.birth_hi and p.birth_hi.isoformat(), p.gender, joined(p.same_as),
                                   joined(p.not_same_as), joined(p.identifiers), joined(p.sources))
                                  for p in persons))
    lists = {c: f"CASE WHEN {c} IS NOT NULL THEN string_split({c}, chr(31)) END AS {c}"
             for c in ("aliases", "same_as", "not_same_as", "identifiers", "sources")}
    conn.execute(f"""CREATE TABLE persons AS SELECT id, name, {lists['aliases']}, surname, given_name, patronymic,
                     CAST(lo AS DATE) AS birth_date__lo, CAST(hi AS DATE) AS birth_date__hi, gender,
                     {lists['same_as']}, {lists['not_same_as']}, {lists['identifiers']}, {lists['sources']}
                     FROM nk_load""")
    conn.execute("DROP TABLE nk_load")
