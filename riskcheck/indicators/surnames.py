"""The surname (or patronymic) stem each person carries, read with riskcheck's names module.

Stems fold what Central Asian and Russian naming varies while the family stays the same: gender
(Akhmetov, Akhmetova), script (Ахметов), and the -uly/-kyzy forms (Akhmetuly, Ахметқызы) all give
`ahmet`. A patronymic's stem is the father's given name (Bolatovich, Bolatuly: `bolat`), so two staff
sharing it may be siblings - or two sons of two different Bolats. Each distinct written value is parsed
once.
With `surname_and_patronymic` both must agree: the sibling signal of research on Central Asian naming.
"""

from __future__ import annotations

from riskcheck.names.parse import given_key, parse_name
from riskcheck.registry.load import Registry


def name_stems(registry: Registry, persons: set[str], which: str) -> dict[str, tuple[str, str]]:
    """person id -> (stem, the name as written) for every person in `persons` whose `which` part
    (surname or patronymic) can be read; a person whose name gives none is left out."""
    if not persons:
        return {}
    registry.conn.execute("CREATE OR REPLACE TEMP TABLE ind_persons (id VARCHAR)")
    registry.conn.execute("INSERT INTO ind_persons SELECT unnest($ids)", {"ids": sorted(persons)})
    rows = registry.conn.execute("""
        SELECT p.id, p.name, coalesce(p.surname, ''), coalesce(p.given_name, ''), coalesce(p.patronymic, '')
        FROM persons p JOIN ind_persons i ON i.id = p.id
    """).fetchall()
    registry.conn.execute("DROP TABLE ind_persons")
    stems: dict[tuple, tuple[str, str] | None] = {}
    out: dict[str, tuple[str, str]] = {}
    for pid, name, surname, given, patronymic in rows:
        key = _reading_of(which, name, surname, given, patronymic)
        if key not in stems:
            stems[key] = _stem(name, surname, given, patronymic, which)
        stem = stems[key]
        if stem is not None:
            out[pid] = stem
    return out


def _reading_of(which: str, name: str, surname: str, given: str, patronymic: str) -> tuple:
    """What a person's stem is read from: the name as written, or, when the record has structured fields (which
    parse_name then takes as they are), only the fields the stem reads. Every distinct key is parsed once: keyed
    by the whole name, ten million persons' staff were half a million parses for a few thousand surnames."""
    if not (surname or given or patronymic):
        return ("written", name)
    return ("fields", surname if which != "patronymic" else "", patronymic if which != "surname" else "")


def _stem(name: str, surname: str, given: str, patronymic: str, which: str) -> tuple[str, str] | None:
    parsed = parse_name(name or "", surname, given, patronymic)
    family, father = parsed.surname, parsed.patronymic
    family = family if family is not None and len(family.key) >= 2 else None
    father = father if father is not None and len(father.key) >= 2 else None
    if which == "surname":
        return (family.key, family.written) if family else None
    if which == "patronymic":
        return (given_key(father.key), father.written) if father else None
    if family and father:  # a sibling signal: the same family name and the same father's name
        return f"{family.key}+{given_key(father.key)}", f"{family.written} {father.written}"
    return None
