"""The record types of the contract, loaded from schema.yaml into small immutable objects.

Loading, validation, the store and the rule compiler all read this one description, so a field
added to schema.yaml is known everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from riskcheck.yamlio import load_yaml_file

FIELD_TYPES = {"str", "text", "date", "int", "bool", "enum", "ref", "list", "reflist"}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool = False
    values: tuple[str, ...] = ()
    to: str | None = None
    default: str | None = None

    @property
    def is_list(self) -> bool:
        return self.type in ("list", "reflist")


@dataclass(frozen=True)
class RecordType:
    name: str
    fields: dict[str, Field]
    period: tuple[str, str] | None = None


@dataclass(frozen=True)
class Kinship:
    inverse: dict[str, str]
    through_marriage: frozenset[str]
    through_spouse: dict[str, str]
    exact: frozenset[str]
    degrees: dict[str, tuple[int | None, str | None]] = field(default_factory=dict)
    derived_blood: tuple[tuple[int, int, str], ...] = ()  # (generations up, down, kind)
    couples: frozenset[str] = frozenset({"spouse"})  # kinds through which in-laws are derived


@dataclass(frozen=True)
class Schema:
    types: dict[str, RecordType]  # what data may contain
    derived: dict[str, RecordType]  # what the store computes (kinship)
    kinship: Kinship
    relation_statuses: tuple[str, ...] = field(default=())

    def record_type(self, name: str) -> RecordType | None:
        return self.types.get(name) or self.derived.get(name)

    def known_type(self, name: str) -> RecordType:
        """The record type of a name the code itself chose (not one read from a rule or a file): its
        absence is a programming error, said by name rather than as an attribute of None."""
        rtype = self.record_type(name)
        if rtype is None:
            raise KeyError(f"{name!r} is not a record type of the schema")
        return rtype

    def status_rank(self, status: str) -> int:
        """0 for `inferred`, then 1.. from the weakest recorded status to `confirmed`."""
        return 0 if status == "inferred" else self.relation_statuses.index(status) + 1


@cache
def load_schema() -> Schema:
    raw = load_yaml_file(Path(__file__).with_name("schema.yaml"))
    types = _record_types(raw["types"])
    derived = _record_types(raw["derived_types"])
    k = raw["kinship"]
    inverse = dict(k["inverse"])
    inverse.update({v: key for key, v in k["inverse"].items()})
    degrees = {kind: (None if d in (None, "null") else int(d), None if line in (None, "null") else line)
               for kind, (d, line) in k["degrees"].items()}
    blood = tuple((int(b["up"]), int(b["down"]), b["kind"]) for b in k["derived_blood"])
    for kind in [*inverse, *(b[2] for b in blood)]:
        assert kind in degrees, f"schema.yaml: kinship kind {kind} has no degree"
    kinship = Kinship(inverse, frozenset(k["through_marriage"]), dict(k["through_spouse"]), frozenset(k["exact"]),
                      degrees, blood, frozenset(k.get("couples") or ["spouse"]))
    return Schema(types, derived, kinship, tuple(raw["relation_statuses"]))


def _record_types(raw) -> dict[str, RecordType]:
    types = {}
    for type_name, spec in raw.items():
        fields = {}
        for fname, fspec in spec["fields"].items():
            ftype = fspec["type"]
            assert ftype in FIELD_TYPES, f"schema.yaml: {type_name}.{fname} has unknown type {ftype}"
            fields[fname] = Field(
                name=fname,
                type=ftype,
                required=fspec.get("required") == "true",
                values=tuple(fspec.get("values") or ()),
                to=fspec.get("to"),
                default=fspec.get("default"),
            )
        period = tuple(spec["period"]) if spec.get("period") else None
        types[type_name] = RecordType(type_name, fields, period)
    return types
