"""Which planted cases a chance namesake makes undecidable, checked against every person written.

A plant whose evidence rests on a name-and-birth-date match (a court register's record of a convicted father,
in Cyrillic, that riskcheck must take as the registry's record of him) is only a finding if that record fits
one person. Within a shard the generator plants it only where it does (`Families.namesakes`); but shards are
drawn apart, and at ten million persons a father's name and birth day recurred by chance in another shard.
riskcheck then rightly refuses to link the two records and lists the pair for a reviewer instead: the ground
truth must say so rather than count a finding as missed.

The check runs once, over the persons file as written, with DuckDB: ten million persons are never held in
Python. A person fits a plant's record as riskcheck would weigh the two: the same surname stem (Dossanov,
Dossanuly), given name, birth day and gender, and no other father in the patronymic (Yerlanovich is not
Temirlanuly; a missing patronymic conflicts with none). At ten million persons that key found the two plants
riskcheck could not link, and not the two whose namesake's patronymic named another father.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from riskcheck.synth.families import stem_of


@dataclass(frozen=True)
class NameMatchPlant:
    """A planted finding that stands on `record` being taken as `person` by name and birth date."""

    finding: tuple[str, str, str, str]  # (rule, person, related, status) of the expected finding
    record: str  # the record of another source that names the person (a court register's)
    person: str  # the registry person it was written from
    surname: str
    given_name: str
    patronymic: str
    birth_date: str
    gender: str


_PATRONYMIC_ENDINGS = ("ovich", "evich", "ovna", "evna", "uly", "kyzy")


def father_in(patronymic: str) -> str:
    """The father's given name a generated patronymic is made of (Yerlanovich, Yerlanuly -> Yerlan)."""
    for ending in _PATRONYMIC_ENDINGS:
        if patronymic.endswith(ending):
            return patronymic[: -len(ending)]
    return patronymic


def fits(plant: NameMatchPlant, surname: str, given_name: str, patronymic: str, birth_date: str, gender: str) -> bool:
    """Whether a person of these name parts could be the one the plant's record names (see above)."""
    fathers = {father_in(plant.patronymic), father_in(patronymic)} - {""}
    return ((stem_of(surname), given_name, birth_date, gender)
            == (stem_of(plant.surname), plant.given_name, plant.birth_date, plant.gender) and len(fathers) <= 1)


def chance_namesakes(persons_csv: Path, plants: list[NameMatchPlant], skip_source: str) -> dict[NameMatchPlant, list[str]]:
    """Each plant's record fits other persons besides its own: {plant: those persons' ids}, sorted.

    Records of `skip_source` (the court register the plants' records are in) are not persons to match."""
    if not plants:
        return {}
    keys = sorted({(p.given_name, p.birth_date) for p in plants})
    conn = duckdb.connect(":memory:", config={"memory_limit": "1GB"})
    try:
        rows = conn.execute(
            "SELECT p.id, p.surname, p.given_name, p.patronymic, p.birth_date, p.gender "
            "FROM read_csv($file, all_varchar = true) p "
            "JOIN (SELECT unnest($given) AS given_name, unnest($birth) AS birth_date) k "
            "ON p.given_name = k.given_name AND p.birth_date = k.birth_date WHERE p.sources IS DISTINCT FROM $skip",
            {"file": str(persons_csv), "given": [g for g, _ in keys], "birth": [b for _, b in keys],
             "skip": skip_source}).fetchall()
    finally:
        conn.close()
    by_day: dict[tuple[str, str], list[tuple]] = {}
    for pid, *parts in rows:
        by_day.setdefault((parts[1], parts[3]), []).append((pid, *(part or "" for part in parts)))
    found = {}
    for plant in plants:
        others = sorted(pid for pid, *parts in by_day.get((plant.given_name, plant.birth_date), [])
                        if pid != plant.person and fits(plant, *parts))
        if others:
            found[plant] = others
    return found
