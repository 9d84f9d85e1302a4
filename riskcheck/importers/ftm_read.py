"""Reading a FollowTheMoney entity file: one entity per line, nested entities lifted out, fragments merged.

Reading is apart from mapping (riskcheck.importers.ftm) because its job is to refuse what is not an export
at all, within limits (a line's length, nesting, the number of problems listed), before anything is mapped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, TypedDict

from riskcheck.errors import Problem, ProblemError, RiskcheckError

MAX_LINE_CHARS = 50_000_000  # one entity; a longer line is not an entity export
MAX_NESTING = 32  # OpenSanctions nests two or three levels; deeper is no export but an attack on the reader
MAX_PROBLEMS = 50  # problems listed per file; the count of the rest is given


class Entity(TypedDict):
    """One entity as read: nested entities replaced by their ids, every property a list of texts."""

    id: str
    schema: str
    properties: dict[str, list[str]]
    datasets: list[str]
    last_seen: str | None  # last_change or last_seen as the file gives it; None when it gives neither
# Schemata one entity's fragments may carry (Aleph writes a fragment under a more general schema): the
# fragments merge into the more specific one. Any other pair sharing an id are two entities, never merged.
GENERAL_SCHEMATA: dict[str, str | None] = {"Thing": None, "LegalEntity": "Thing", "Organization": "LegalEntity", "Person": "LegalEntity",
                    "Company": "Organization", "PublicBody": "Organization"}


def _ancestors(schema: str) -> set[str]:
    out = {schema}
    general = GENERAL_SCHEMATA.get(schema)
    while general:
        out.add(general)
        general = GENERAL_SCHEMATA.get(general)
    return out


class _TooDeep(RiskcheckError):
    pass


@dataclass
class EntityFile:
    """The entities of one file by id, and what could not be taken from it as it stands."""

    entities: dict[str, Entity]
    collisions: dict[str, list[str]] = field(default_factory=dict)  # id -> schemata of the entities not merged


def read_entities(path: Path, shown: str) -> dict[str, Entity]:
    """Every entity by id, nested ones lifted out; fragments of one entity (Aleph) merged property by property."""
    return read_entity_file(path, shown).entities


def read_entity_file(path: Path, shown: str) -> EntityFile:
    """As read_entities, keeping the ids that two entities of unrelated schemata share (each kept apart:
    an Organization with a Person's id must not become that person's alias)."""
    merged = _Merged()
    problems: list[Problem] = []
    more = 0

    def problem(number: int, message: str) -> None:
        nonlocal more
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(shown, number, message))
        else:
            more += 1

    with open(path, "rb") as fh:
        number = 0
        while True:
            raw = fh.readline(MAX_LINE_CHARS + 1)
            if not raw:
                break
            number += 1
            if len(raw) > MAX_LINE_CHARS and not raw.endswith(b"\n"):
                while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass  # the rest of a line too long to be an entity: skipped, never held
                problem(number, "is longer than any entity; not read")
                continue
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problem(number, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the "
                                "line): FollowTheMoney files are UTF-8; convert the file, e.g. with iconv")
                continue
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                problem(number, f"is not JSON: {exc.msg} (column {exc.colno})")
                continue
            except RecursionError:
                problem(number, "nests deeper than riskcheck reads (JSON nested beyond Python's limit); not read")
                continue
            if not isinstance(data, dict) or not isinstance(data.get("schema"), str) or not _is_id(data.get("id")):
                problem(number, "is not a FollowTheMoney entity (an object with id, schema and properties)")
                continue
            try:
                found = list(_flatten(data))
            except _TooDeep:
                problem(number, f"nests entities more than {MAX_NESTING} levels deep; not read")
                continue
            for entity in found:
                merged.add(entity)
    if more:
        problems.append(Problem(shown, None, f"{more:,} more problems like those above, not listed"))
    if problems:
        raise ProblemError(problems)
    return EntityFile(merged.entities(), merged.collisions)


def _is_id(value: object) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip() != ""


def _texts(value: object) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [_text(v) for v in values if isinstance(v, str)]


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: object) -> str:
    """A value as text that can be written: JSON's "\\ud800" escapes make lone surrogates, which no UTF-8 file
    can hold; each becomes U+FFFD (the replacement character), visibly."""
    text = value if isinstance(value, str) else str(value)
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def _flatten(data: dict, outer: Entity | None = None, depth: int = 0) -> Iterator[Entity]:
    """The entity, with nested entities replaced by their ids and yielded themselves (a nested entity
    without datasets or dates of its own has those of the entity it was found in)."""
    if depth > MAX_NESTING:
        raise _TooDeep()
    seen = data.get("last_change") or data.get("last_seen")
    entity: Entity = {"id": _text(data["id"]), "schema": _text(data["schema"]), "properties": {},
              "datasets": _texts(data.get("datasets") or []),
              "last_seen": seen if isinstance(seen, str) else None}
    if outer is not None:
        entity["datasets"] = entity["datasets"] or outer["datasets"]
        entity["last_seen"] = entity["last_seen"] or outer["last_seen"]
    properties = data.get("properties")
    for name, values in (properties.items() if isinstance(properties, dict) else ()):
        values = values if isinstance(values, list) else [values]
        kept: list[str] = []
        for value in values:
            if isinstance(value, dict) and _is_id(value.get("id")) and isinstance(value.get("schema"), str):
                yield from _flatten(value, entity, depth + 1)
                kept.append(_text(value["id"]))
            elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
                kept.append(_text(value))
        entity["properties"][_text(name)] = kept
    yield entity


class _MergedEntity(TypedDict):
    """An entity while its fragments merge: each list of Entity an ordered set (a dict of None values)."""

    id: str
    schema: str
    properties: dict[str, dict[str, None]]
    datasets: dict[str, None]
    last_seen: str | None


class _Merged:
    """Fragments of one entity merged property by property, each value once, in the order first seen.

    Values are held in dicts (ordered sets) while reading, so merging 150,000 fragments of one entity
    costs the same per fragment as merging the first two (lists made it quadratic: minutes).
    """

    def __init__(self) -> None:
        self.by_id: dict[str, _MergedEntity] = {}
        self.collisions: dict[str, list[str]] = {}

    def add(self, entity: Entity) -> None:
        known = self.by_id.get(entity["id"])
        if known is None:
            self.by_id[entity["id"]] = {
                "id": entity["id"], "schema": entity["schema"],
                "properties": {k: dict.fromkeys(v) for k, v in entity["properties"].items()},
                "datasets": dict.fromkeys(entity["datasets"]), "last_seen": entity["last_seen"]}
            return
        if entity["schema"] != known["schema"]:
            if entity["schema"] in _ancestors(known["schema"]):
                pass  # a more general fragment of the same entity
            elif known["schema"] in _ancestors(entity["schema"]):
                known["schema"] = entity["schema"]
            else:
                schemata = self.collisions.setdefault(entity["id"], [known["schema"]])
                if entity["schema"] not in schemata:
                    schemata.append(entity["schema"])
                return
        for name, values in entity["properties"].items():
            known["properties"].setdefault(name, {}).update(dict.fromkeys(values))
        known["datasets"].update(dict.fromkeys(entity["datasets"]))
        known["last_seen"] = max(filter(None, [known["last_seen"], entity["last_seen"]]), default=None)

    def entities(self) -> dict[str, Entity]:
        return {eid: {"id": eid, "schema": e["schema"], "properties": {k: list(v) for k, v in e["properties"].items()},
                      "datasets": list(e["datasets"]), "last_seen": e["last_seen"]}
                for eid, e in self.by_id.items()}
