"""The registry and its findings as FollowTheMoney entities: `riskcheck export ftm CASES`.

An investigation team loads the file into Aleph (`alephclient write-entities`) beside its documents:
persons, organizations (as PublicBody, or Company), positions, occupancies, family links, and each
finding as a Note attached to the person (or, for a unit indicator, the organization) it is about, with
its rule, status, summary and a link to its place in the report. Entity ids are `<case>-<record id>`: unique in an export of several cases, the
same on every run.

FtM dates are single dates at some precision (1961, 1961-04, 1961-04-02). A registry date known only as
an interval (`2021-10-15/2025-10-15`) has no FtM form: it is left out of the date property and written in
the entity's description, so nothing reads more exact than the data.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Callable, Iterator, Sequence

from riskcheck.engine.findings import Finding
from riskcheck.registry.load import Registry

RELATIONSHIP_WORDS = {"uncle_aunt": "uncle or aunt", "nephew_niece": "nephew or niece"}
NOT_EXPORTED = ("verdicts", "resignations", "programs", "memberships")


def case_entities(case_id: str, registry: Registry, findings: list[Finding],
                  report_link: Callable[[Finding], str]) -> Iterator[dict]:
    """Every entity of one case. `report_link(finding)` gives the finding's address in the reports."""
    eid = lambda rid: f"{case_id}-{rid}"  # noqa: E731
    sources = registry.records("sources")

    def cited(record: dict, props: dict, extra: Sequence[str] = ()) -> dict:
        urls = [sources[s]["url"] for s in record.get("sources") or [] if s in sources
                and re.match(r"https?://", sources[s].get("url") or "")]
        publishers = [sources[s]["publisher"] for s in record.get("sources") or []
                      if s in sources and sources[s].get("publisher")]
        if urls:
            props["sourceUrl"] = sorted(set(urls))
        if publishers:
            props["publisher"] = sorted(set(publishers))
        notes = [*extra, *([record["notes"]] if record.get("notes") else [])]
        if notes:
            props["description"] = [" ".join(notes)]
        return {k: v for k, v in props.items() if v}

    for pid, p in registry.records("persons").items():
        birth, extra = _date(p.get("birth_date"), "Birth date")
        identifiers = [i.split(":", 1)[1] for i in p.get("identifiers") or [] if ":" in i]
        yield _entity(eid(pid), "Person", cited(p, {
            "name": [p["name"]], "alias": list(p.get("aliases") or []), "firstName": _one(p.get("given_name")),
            "fatherName": _one(p.get("patronymic")), "lastName": _one(p.get("surname")), "birthDate": birth,
            "gender": _one({"m": "male", "f": "female"}.get(p.get("gender") or "")), "idNumber": identifiers,
        }, extra))
    for oid, o in registry.records("organizations").items():
        schema = "Company" if (o.get("kind") or "").lower() == "company" else "PublicBody"
        yield _entity(eid(oid), schema, cited(o, {
            "name": [o["name"]], "parent": _one(o.get("parent_id") and eid(o["parent_id"])),
            "jurisdiction": _one((o.get("jurisdiction") or "").strip().lower())}))
    for qid, q in registry.records("positions").items():
        yield _entity(eid(qid), "Position", cited(q, {"name": [q["title"]], "organization": [eid(q["organization_id"])]}))
    for tid, t in registry.records("tenures").items():
        start, extra_start = _date(t.get("start"), "Start")
        end, extra_end = _date(t.get("end"), "End")
        yield _entity(eid(tid), "Occupancy", cited(t, {
            "holder": [eid(t["person_id"])], "post": [eid(t["position_id"])], "startDate": start, "endDate": end,
            "status": [_occupancy_status(t.get("end"))]}, extra_start + extra_end))
    for rid, r in registry.records("relations").items():
        start, extra_start = _date(r.get("start"), "Start")
        end, extra_end = _date(r.get("end"), "End")
        word = RELATIONSHIP_WORDS.get(r["kind"], r["kind"].replace("_", " "))
        yield _entity(eid(rid), "Family", cited(r, {
            "person": [eid(r["person_id"])], "relative": [eid(r["relative_id"])], "relationship": [word],
            "startDate": start, "endDate": end},
            [f"Status of the link: {r.get('status') or 'reported'}.", *extra_start, *extra_end]))
    for f in findings:
        link = report_link(f)
        about = "the unit as a whole (a statistic about its staff, not about any person)" if f.unit else "the person"
        description = (f"Status: {f.status}. Severity: {f.severity}. Rule: {f.rule} version {f.rule_version}. "
                       f"{f.explanation} A lead to verify, not a verdict about {about}. Report: {link}")
        props = {"entity": [eid(f.unit if f.unit is not None else f.person)], "name": [f"riskcheck: {f.rule_title}"], "summary": [f.summary],
                 "description": [" ".join(description.split())], "publisher": ["riskcheck"]}
        if re.match(r"https?://", link):
            props["sourceUrl"] = [link]
        yield _entity(f"{case_id}-finding-{f.id}", "Note", props)


def not_exported(registry: Registry) -> Counter:
    counts = registry.counts()
    return Counter({t: counts[t] for t in NOT_EXPORTED if counts.get(t)})


def _entity(entity_id: str, schema: str, props: dict) -> dict:
    return {"id": entity_id, "schema": schema,
            "properties": {k: [str(x) for x in v] for k, v in sorted(props.items()) if v}}


def _occupancy_status(end: str | None) -> str:
    if not end:
        return "current"
    return "unknown" if end == ".." or end.endswith("/..") else "ended"


def _one(value: str | None) -> list[str]:
    return [value] if value else []


def _date(value: str | None, label: str) -> tuple[list[str], list[str]]:
    """(the FtM date, or nothing; a sentence for the description when the date is an interval)."""
    if not value:
        return [], []
    if value == "..":
        return [], [f"{label}: not known."]
    if "/" in value:
        return [], [f"{label}: some day in {value} (an interval)."]
    return [value], []


def dumps(entity: dict) -> str:
    return json.dumps(entity, ensure_ascii=False, sort_keys=True)
