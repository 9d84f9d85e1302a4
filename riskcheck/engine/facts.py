"""Plain sentences for records, so each step of a finding states one fact a reader can check.

Dates appear as the source gave them, partial ones spelled out; names are looked up through the
records' references (a tenure names its holder and post, not their ids).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Callable

from riskcheck.registry.reviewed import SOURCE_PREFIX as REVIEWER_SOURCE
from riskcheck.templating import FIELD_WORDS, date_words, kinship_word

Lookup = Callable[[str, str | None], dict | None]

OUTCOME_WORDS = {
    "convicted": "convicted", "acquitted": "acquitted",
    "terminated_nonrehabilitating": "case terminated on non-rehabilitating grounds",
    "terminated_rehabilitating": "case terminated on rehabilitating grounds", "pending": "case pending",
}


def step_flags(type_name: str, record: dict, number: int, lookup: Lookup, schema,
               used: AbstractSet[str] = frozenset()) -> tuple[list[str], list[str], list[str]]:
    """(sources, flags, caveats) of the step that states one record: what a reader must see beside the
    fact - no source, a source that is an allegation, a family link short of established, a partial date
    (with a caveat where the rule reads that date). One reading for every kind of finding."""
    sources = list(record.get("sources") or [])
    flags: list[str] = []
    caveats: list[str] = []
    if not sources and type_name not in schema.derived:  # derived: its records are shown with theirs
        flags.append("unsourced")
        caveats.append(f"Step {number} has no recorded source.")
    if any((lookup("sources", s) or {}).get("kind") == "allegation" for s in sources):
        flags.append("alleged")
        caveats.append(f"Step {number} rests on an allegation: its source names no one who vouches for it.")
    reviewed = [lookup("sources", s) or {} for s in sources if s.startswith(REVIEWER_SOURCE)]
    if type_name == "relations" and reviewed:
        flags.append("reviewer's decision")
        caveats.append(f"Step {number}: the family link is recorded by the reviewer ("
                       f"{'; '.join(r.get('notes') or r.get('title', '') for r in reviewed)}), not in the case's "
                       "data: it rests on their decision, not on a document of the case.")
    if type_name == "relations" and record.get("status") in ("reported", "alleged", "inferred"):
        flags.append(record["status"])
        if record["status"] != "reported":
            caveats.append(f"Step {number}: the family link is {record['status']}, not established.")
    for fname, f in schema.record_type(type_name).fields.items():
        value = record.get(fname)
        if f.type == "date" and value and not is_exact_day(value):
            flags.append("partial date")
            if fname in used:
                words = FIELD_WORDS.get(fname, fname.replace("_", " "))
                caveats.append(f"Step {number}: the {words} is not recorded." if value.strip() == ".." else
                               f"Step {number}: the {words} is recorded only in part: {date_words(value)}.")
    return sources, sorted(set(flags)), caveats


def is_exact_day(text: str) -> bool:
    """A date as written that names one day (2021-03-15), not a month, a year or an interval."""
    return len(text) == 10 and "/" not in text


def _name(lookup: Lookup, type_name: str, record_id: str | None, key: str = "name") -> str:
    record = lookup(type_name, record_id)
    return (record or {}).get(key) or (record_id or "unknown")


_CATEGORY_WORDS = {"political": "a political post", "administrative": "an administrative post",
                   "elected": "an elected post", "other": "a post of another category"}


def describe(type_name: str, r: dict, lookup: Lookup) -> str:
    """One sentence stating what the record says."""
    if type_name == "persons":
        extra = []
        if r.get("birth_date"):
            extra.append(f"born {date_words(r['birth_date'])}")
        if r.get("aliases"):
            extra.append("also written " + ", ".join(r["aliases"]))
        return f"Person: {r['name']}" + (f" ({'; '.join(extra)})" if extra else "") + "."
    if type_name == "tenures":
        post = lookup("positions", r["position_id"]) or {}
        org = _name(lookup, "organizations", post.get("organization_id"))
        end = f" until {date_words(r['end'])}" if r.get("end") else " (still in post, as recorded)"
        return (f"{_name(lookup, 'persons', r['person_id'])} held the post {post.get('title', r['position_id'])}"
                f" ({org}) from {date_words(r['start'])}{end}.")
    if type_name == "positions":
        org = _name(lookup, "organizations", r["organization_id"])
        bits = [_CATEGORY_WORDS.get(r.get("category") or "", "category not recorded")]
        if r.get("kind"):
            bits.append(f"kind: {r['kind'].replace('_', ' ')}")
        if r.get("filled_by"):
            bits.append(f"filled: {r['filled_by']}")
        if r.get("rank") is not None:
            bits.append(f"rank {r['rank']}")
        reports = ""
        if r.get("reports_to"):
            reports = f"; it reports directly to the post {_name(lookup, 'positions', r['reports_to'], 'title')}"
        return f"Post: {r['title']}, {org} ({', '.join(bits)}){reports}."
    if type_name == "relations":
        dates = ""
        if r.get("start") or r.get("end"):
            dates = f", from {date_words(r.get('start'))}" + (f" until {date_words(r['end'])}" if r.get("end") else "")
        return (f"{_name(lookup, 'persons', r['relative_id'])} is the {kinship_word(r['kind'])} of "
                f"{_name(lookup, 'persons', r['person_id'])}{dates} (status: {r.get('status') or 'reported'}).")
    if type_name == "verdicts":
        parts = [f"{_name(lookup, 'persons', r['person_id'])}: {OUTCOME_WORDS.get(r['outcome'], r['outcome'])}"
                 f" ({r.get('category') or 'category not recorded'}) for {r['offence']}"]
        if r.get("articles"):
            parts.append("under " + ", ".join(r["articles"]))
        if r.get("offence_start") or r.get("offence_end"):
            parts.append(f"offence committed {date_words(r.get('offence_start') or r.get('offence_end'))}")
        parts.append(f"verdict {date_words(r.get('verdict_date'))}")
        parts.append(f"in force {date_words(r.get('in_force_date'))}")
        if r.get("sentence"):
            parts.append(f"sentence {r['sentence']}")
        if r.get("released_date"):
            parts.append(f"released {date_words(r['released_date'])}")
        return "; ".join(parts) + "."
    if type_name == "resignations":
        from_post = (f" from the post {_name(lookup, 'positions', r['position_id'], 'title')}"
                     if r.get("position_id") else "")
        accepted_words: dict[object, str] = {True: "; accepted", False: "; not accepted"}
        accepted = accepted_words.get(r.get("accepted"), "")
        return (f"{_name(lookup, 'persons', r['person_id'])} submitted a resignation{from_post} on "
                f"{date_words(r['submitted'])}{accepted}.")
    if type_name == "memberships":
        left = f", left {date_words(r['left'])}" if r.get("left") else ""
        return (f"{_name(lookup, 'persons', r['person_id'])} was admitted to "
                f"{_name(lookup, 'programs', r['program_id'])} on {date_words(r['admitted'])}{left}.")
    if type_name == "programs":
        return f"Program: {r['name']}."
    if type_name == "organizations":
        return f"Organization: {r['name']}" + (f" ({r['kind'].replace('_', ' ')})" if r.get("kind") else "") + "."
    if type_name == "org_within":
        if r["depth"] == 0:
            return f"{_name(lookup, 'organizations', r['organization_id'])} is the organization itself."
        return (f"{_name(lookup, 'organizations', r['organization_id'])} is under "
                f"{_name(lookup, 'organizations', r['within_id'])} ({r['depth']} level(s) down, by the "
                "organizations' parent_id).")
    if type_name == "sources":
        return f"Source: {r['title']}."
    return f"{type_name} record {r.get('id')}."

