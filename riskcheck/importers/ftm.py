"""FollowTheMoney entities into a case: `riskcheck import ftm FILE OUT_CASE`.

OpenSanctions' politically-exposed-persons data and Aleph collections export line-delimited JSON, one
entity per line (or entities nested inside others, as OpenSanctions' "nested" files do). This module maps
what the registry contract can hold and counts, by schema, everything it cannot: nothing is dropped
silently. Record ids are the entities' ids, so a journalist can add verdicts or relations that refer to
them by hand.

What is mapped:
- Person -> persons (first name as `name`, the other names, aliases and previous names as `aliases`;
  firstName, fatherName, lastName; birthDate; gender; idNumber, taxNumber, innCode, passportNumber and
  Identification entities as identifiers; topics and country in the notes).
- Organization, PublicBody, Company -> organizations (`parent` as parent_id; the one `jurisdiction` or
  `country` it names as its jurisdiction, so a run applies that country's rule pack).
- Position -> positions. A post that names no organization (common in PEP data, which gives a country)
  is placed under one organization per country, named so in the summary.
- Occupancy -> tenures. An occupancy without a start date starts "some day up to" its end or the as-of
  date; one whose status says it ended, without an end date, ended "some day up to" the as-of date; an
  unknown status without an end leaves the end open ("some day after the start, or not yet"), never
  "still holds".
- Family -> relations, with the relationship word mapped by ftm_relationships.yaml (English, Russian,
  Kazakh); an unknown word becomes `relative`, keeping the word in the notes.
- Every record cites a source made from the entity's dataset, source URL and publisher.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from riskcheck.errors import Problem, ProblemError
from riskcheck.importers.ftm_read import Entity, read_entity_file
from riskcheck.importers.ftm_values import (country_code, dates_of, day_of, first_value, identifier, identifiers_of,
                                            lower_bound, scheme_word, upper_bound)
from riskcheck.registry.dates import FIRST_AS_OF, LAST_AS_OF
from riskcheck.registry.schema import load_schema
from riskcheck.textsafety import http_url

ORGANIZATION_SCHEMATA = {"Organization": "organization", "PublicBody": "public_body", "Company": "company"}
MAPPED = {"Person", "Position", "Occupancy", "Family", "Identification", "Passport", *ORGANIZATION_SCHEMATA}


@dataclass
class ImportSummary:
    """What became of every entity: records written by type, entities not mapped by schema, and caveats."""

    records: Counter = field(default_factory=Counter)
    unmapped: Counter = field(default_factory=Counter)
    caveats: Counter = field(default_factory=Counter)
    unknown_words: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        out = ["Written: " + (", ".join(f"{n:,} {t}" for t, n in sorted(self.records.items())) or "nothing")]
        if self.unmapped:
            out.append("Not mapped (no place in the registry contract): "
                       + ", ".join(f"{n:,} {s}" for s, n in sorted(self.unmapped.items())))
        out += [f"{n:,} {what}" for what, n in sorted(self.caveats.items())]
        if self.unknown_words:
            words = ", ".join(f"{w!r} ({n})" for w, n in sorted(self.unknown_words.items()))
            out.append(f"Family relationships read as 'relative' (the word is kept in the notes): {words}")
        return out


@lru_cache(maxsize=1)
def relationship_kinds() -> dict[str, str]:
    with open(Path(__file__).with_name("ftm_relationships.yaml"), encoding="utf-8") as fh:
        table = yaml.safe_load(fh)
    return {_word(w): kind for kind, words in table.items() for w in words}


def _word(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").replace("-", " ").replace("_", " ").split())


# ---------------------------------------------------------------------------------------------- mapping

class _Mapper:
    def __init__(self, entities: dict[str, Entity], dataset: str, as_of: date):
        self.entities, self.dataset, self.as_of = entities, dataset, as_of.isoformat()
        self.summary = ImportSummary()
        self.odd_dates: dict[str, list[str]] = {}  # entity id -> notes on dates that could not be read as dates
        self.rows: dict[str, dict[str, dict]] = {t: {} for t in load_schema().types}

    def run(self) -> None:
        for entity in sorted(self.entities.values(), key=lambda e: e["id"]):
            schema = entity["schema"]
            if schema in ORGANIZATION_SCHEMATA:
                self.organization(entity)
            elif schema == "Person":
                self.person(entity)
        identifiers_by_holder = self.identifications()
        for pid, values in identifiers_by_holder.items():
            row = self.rows["persons"][pid]
            row["identifiers"] = sorted(set(row.get("identifiers", []) + values))
        for entity in sorted(self.entities.values(), key=lambda e: e["id"]):
            schema = entity["schema"]
            if schema == "Position":
                self.position(entity)
        for entity in sorted(self.entities.values(), key=lambda e: e["id"]):
            schema = entity["schema"]
            if schema == "Occupancy":
                self.occupancy(entity)
            elif schema == "Family":
                self.family(entity)
            elif schema not in MAPPED:
                self.summary.unmapped[schema] += 1
        for type_name, rows in self.rows.items():
            if rows and type_name != "sources":
                self.summary.records[type_name] = len(rows)
        self.summary.records["sources"] = len(self.rows["sources"])

    # One source per (datasets, source URL, publisher): the dataset says where the entity was compiled,
    # the URL and publisher where the fact was first published.
    def source(self, entity: Entity) -> str:
        props = entity["properties"]
        url = next((http_url(u) for u in props.get("sourceUrl", []) if http_url(u)), None)
        publisher = next(iter(props.get("publisher", [])), None)
        datasets = ", ".join(sorted(entity["datasets"])) or self.dataset
        key = hashlib.sha1(json.dumps([datasets, url, publisher]).encode()).hexdigest()[:10]
        sid = f"src-{key}"
        if sid not in self.rows["sources"]:
            self.rows["sources"][sid] = {
                "id": sid, "title": f"{datasets} (FollowTheMoney data)" + (f", {publisher}" if publisher else ""),
                "url": url, "publisher": publisher, "kind": "other",
                "notes": "Imported by riskcheck import ftm; check the fact at its original source."}
        return sid

    def date_of(self, entity: Entity, prop: str) -> str | None:
        """The entity's date `prop` as a partial date; values that are no date riskcheck can hold (year 0000,
        99999) are kept in the notes and counted, never cut to a date they do not say."""
        dates, odd = dates_of(entity["properties"].get(prop, []))
        if odd:
            self.summary.caveats["dates that are no calendar date from 0001 to 9999, not read as dates "
                                 "(kept in the record's notes)"] += len(odd)
            self.odd_dates.setdefault(entity["id"], []).append(
                f"FtM {prop} not read as a date: {', '.join(repr(v) for v in odd)}")
        return dates

    def notes(self, entity: Entity, *extra: str) -> str | None:
        props = entity["properties"]
        parts = [*extra, *self.odd_dates.get(entity["id"], [])]
        if props.get("topics"):
            parts.append("FtM topics: " + ", ".join(sorted(props["topics"])))
        if props.get("country"):
            parts.append("Country: " + ", ".join(sorted(props["country"])))
        return "; ".join(parts) or None

    def organization(self, entity: Entity) -> None:
        props = entity["properties"]
        if not props.get("name"):
            self.summary.caveats[f"{entity['schema']} entities without a name, not mapped"] += 1
            return
        self.rows["organizations"][entity["id"]] = {
            "id": entity["id"], "name": props["name"][0], "kind": ORGANIZATION_SCHEMATA[entity["schema"]],
            "jurisdiction": _jurisdiction(props),
            "notes": self.notes(entity), "sources": [self.source(entity)], "_parent": props.get("parent", [])}

    def person(self, entity: Entity) -> None:
        props = entity["properties"]
        names = props.get("name", [])
        if not names:
            self.summary.caveats["Person entities without a name, not mapped"] += 1
            return
        aliases = [n for n in names[1:] + props.get("alias", []) + props.get("previousName", [])
                   if n != names[0]]
        gender = next((g.lower() for g in props.get("gender", []) if g.lower() in ("male", "female")), "")
        self.rows["persons"][entity["id"]] = {
            "id": entity["id"], "name": names[0], "aliases": list(dict.fromkeys(aliases)),
            "given_name": first_value(props, "firstName"), "patronymic": first_value(props, "fatherName"),
            "surname": first_value(props, "lastName"), "birth_date": self.date_of(entity, "birthDate"),
            "gender": {"male": "m", "female": "f"}.get(gender),
            "identifiers": identifiers_of(props), "notes": self.notes(entity),
            "sources": [self.source(entity)]}

    def identifications(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for entity in self.entities.values():
            if entity["schema"] not in ("Identification", "Passport"):
                continue
            props = entity["properties"]
            holder = next((h for h in props.get("holder", []) if h in self.rows["persons"]), None)
            number = first_value(props, "number") or first_value(props, "passportNumber")
            if holder is None or not number:
                self.summary.caveats[f"{entity['schema']} entities without a known holder or number, "
                                     "not mapped"] += 1
                continue
            kind = "passport" if entity["schema"] == "Passport" else scheme_word(first_value(props, "type") or "id")
            country = country_code(first_value(props, "country"))
            out.setdefault(holder, []).append(identifier(f"{country}-{kind}", number))
        return out

    def position(self, entity: Entity) -> None:
        props = entity["properties"]
        if not props.get("name"):
            self.summary.caveats["Position entities without a name, not mapped"] += 1
            return
        org = next((o for o in props.get("organization", []) if o in self.rows["organizations"]), None)
        if org is None:
            country = (first_value(props, "country") or "").lower()
            org = f"ftm-country-{country or 'unknown'}"
            if org not in self.rows["organizations"]:
                self.rows["organizations"][org] = {
                    "id": org, "name": f"Public bodies of {country.upper() or 'an unknown country'} "
                                      "(the source names the country only)",
                    "kind": "country", "jurisdiction": _jurisdiction(props),
                    "notes": "Made by riskcheck import ftm for posts that name no organization.",
                    "sources": [self.source(entity)], "_parent": []}
            self.summary.caveats["positions name no organization (placed under one per country)"] += 1
        area = ", ".join(props.get("subnationalArea", []))
        self.rows["positions"][entity["id"]] = {
            "id": entity["id"], "title": props["name"][0], "organization_id": org,
            "notes": self.notes(entity, *([f"Area: {area}"] if area else [])), "sources": [self.source(entity)]}

    def occupancy(self, entity: Entity) -> None:
        props = entity["properties"]
        holder = next((h for h in props.get("holder", []) if h in self.rows["persons"]), None)
        post = next((p for p in props.get("post", []) if p in self.rows["positions"]), None)
        if holder is None or post is None:
            self.summary.caveats["Occupancy entities whose holder or post is not in the file, not mapped"] += 1
            return
        start, end = self.date_of(entity, "startDate"), self.date_of(entity, "endDate")
        status = (first_value(props, "status") or "unknown").lower()
        notes = [f"FtM status: {status}", *self.odd_dates.get(entity["id"], [])]
        if start is None:
            start = f"../{upper_bound(end) if end else self.as_of}"
            self.summary.caveats["occupancies without a start date (start: some day up to the end or as-of)"] += 1
        if end is None and status == "ended":
            end = f"../{self.as_of}"
            self.summary.caveats["ended occupancies without an end date (end: some day up to the as-of date)"] += 1
        elif end is None and status != "current":
            end = f"{lower_bound(start)}/.."
            self.summary.caveats["occupancies of unknown status without an end date (end left open)"] += 1
        self.rows["tenures"][entity["id"]] = {
            "id": entity["id"], "person_id": holder, "position_id": post, "start": start, "end": end,
            "notes": "; ".join(notes), "sources": [self.source(entity)]}

    def family(self, entity: Entity) -> None:
        props = entity["properties"]
        person = next((p for p in props.get("person", []) if p in self.rows["persons"]), None)
        relative = next((p for p in props.get("relative", []) if p in self.rows["persons"]), None)
        if person is None or relative is None or person == relative:
            self.summary.caveats["Family entities whose person or relative is not in the file, not mapped"] += 1
            return
        words = props.get("relationship", [])
        kinds = relationship_kinds()
        kind = next((kinds[_word(w)] for w in words if _word(w) in kinds), None)
        notes = f"FtM relationship: {', '.join(words)}" if words else "FtM relationship: not given"
        if kind is None:
            kind = "relative"
            for w in words or ["(none)"]:
                self.summary.unknown_words[w] += 1
        self.rows["relations"][entity["id"]] = {
            "id": entity["id"], "person_id": person, "relative_id": relative, "kind": kind,
            "start": self.date_of(entity, "startDate"), "end": self.date_of(entity, "endDate"),
            "notes": "; ".join([notes, *self.odd_dates.get(entity["id"], [])]), "sources": [self.source(entity)]}

    def finish(self) -> None:
        for row in self.rows["organizations"].values():
            parents = [p for p in row.pop("_parent") if p in self.rows["organizations"] and p != row["id"]]
            row["parent_id"] = parents[0] if parents else None


# ---------------------------------------------------------------------------------------------- writing

def import_ftm(path: Path, out: Path, as_of: date | None = None, case_id: str | None = None) -> ImportSummary:
    """Write the case folder `out` (which must not exist, or be empty) from the FtM file `path`."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ProblemError([Problem(str(out), None, "exists and is not empty: riskcheck never writes over a "
                                                    "folder; name a new case folder")])
    if not path.is_file():
        raise ProblemError([Problem(path.name, None, "is not a regular file (a pipe or a device is never read)")])
    read = read_entity_file(path, path.name)
    entities = read.entities
    odd_seen = 0
    if as_of is None:
        seen = []
        for e in entities.values():
            last_seen = e["last_seen"]
            if last_seen:
                day = day_of(last_seen)
                if day is None:
                    odd_seen += 1
                else:
                    seen.append(day)
        if not seen:
            raise ProblemError([Problem(path.name, None, "says nothing of when it was compiled" + (
                f" (its {odd_seen:,} last_change dates are no dates from {FIRST_AS_OF} to {LAST_AS_OF})"
                if odd_seen else "") + ": give the date to judge the case at with --as-of YYYY-MM-DD")])
        as_of = max(seen)
    mapper = _Mapper(entities, path.stem, as_of)
    if odd_seen:
        mapper.summary.caveats["entities whose last_change is no date the case can be judged at, not used for "
                               "the as-of date"] += odd_seen
    if read.collisions:
        named = ", ".join(f"{i!r} ({' and '.join(read.collisions[i])})" for i in sorted(read.collisions)[:5])
        mapper.summary.caveats["ids shared by entities of unrelated schemata: the first entity of each kept, "
                               f"the others not mapped, never merged ({named}"
                               + (", ..." if len(read.collisions) > 5 else "") + ")"] += len(read.collisions)
    mapper.run()
    mapper.finish()
    summary = mapper.summary
    case_id = case_id or out.name
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=parent))
    try:
        _write_case(staging, mapper.rows, case_id, path.name, as_of, summary)
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return summary


def _jurisdiction(props: dict) -> str | None:
    """The one country whose law governs a body, as riskcheck's packs name it (KZ), where the entity says so:
    its `jurisdiction`, else its `country`; none where it names several or a code that is not ISO alpha-2
    (FtM's historic codes such as `suhh`)."""
    for prop in ("jurisdiction", "country"):
        codes = {c.lower() for c in props.get(prop, []) if re.fullmatch(r"[A-Za-z]{2}", c)}
        if codes:
            return codes.pop().upper() if len(codes) == 1 else None
    return None


def _write_case(folder: Path, rows: dict[str, dict[str, dict]], case_id: str, source_name: str, as_of: date,
                summary: ImportSummary) -> None:
    meta = {"id": case_id, "title": f"Imported from {source_name}", "as_of": as_of.isoformat(),
            "summary": f"Imported with riskcheck import ftm from {source_name}. " + " ".join(
                line.rstrip(".") + "." for line in summary.lines())}
    (folder / "case.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100),
                                      encoding="utf-8")
    schema = load_schema()
    for type_name, records in rows.items():
        if not records:
            continue
        fields = [f for f in schema.types[type_name].fields
                  if any(r.get(f) not in (None, [], "") for r in records.values())]
        with open(folder / f"{type_name}.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(fields)
            for rid in sorted(records):
                writer.writerow([_cell(records[rid].get(f)) for f in fields])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(v.replace(";", ",") for v in value)
    return str(value)
