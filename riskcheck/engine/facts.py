"""Plain sentences for records, so each step of a finding states one fact a reader can check.

Dates appear as the source gave them, partial ones spelled out; names are looked up through the
records' references (a tenure names its holder and post, not their ids).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Callable

from riskcheck.i18n import N_, _
from riskcheck.registry.reviewed import SOURCE_PREFIX as REVIEWER_SOURCE
from riskcheck.templating import FIELD_WORDS, date_words, kinship_word

Lookup = Callable[[str, str | None], dict | None]

OUTCOME_WORDS = {
    "convicted": N_("convicted"), "acquitted": N_("acquitted"),
    "terminated_nonrehabilitating": N_("case terminated on non-rehabilitating grounds"),
    "terminated_rehabilitating": N_("case terminated on rehabilitating grounds"), "pending": N_("case pending"),
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
        caveats.append(_("Step %(n)s has no recorded source.") % {"n": number})
    if any((lookup("sources", s) or {}).get("kind") == "allegation" for s in sources):
        flags.append("alleged")
        caveats.append(_("Step %(n)s rests on an allegation: its source names no one who vouches for it.") % {"n": number})
    reviewed = [lookup("sources", s) or {} for s in sources if s.startswith(REVIEWER_SOURCE)]
    if type_name == "relations" and reviewed:
        flags.append("reviewer's decision")
        caveats.append(f"Step {number}: the family link is recorded by the reviewer ("
                       f"{'; '.join(r.get('notes') or r.get('title', '') for r in reviewed)}), not in the case's "
                       "data: it rests on their decision, not on a document of the case.")
    if type_name == "relations" and record.get("status") in ("reported", "alleged", "inferred"):
        flags.append(record["status"])
        if record["status"] != "reported":
            caveats.append(_("Step %(n)s: the family link is %(status)s, not established.")
                           % {"n": number, "status": _(record["status"])})
    for fname, f in schema.record_type(type_name).fields.items():
        value = record.get(fname)
        if f.type == "date" and value and not is_exact_day(value):
            flags.append("partial date")
            if fname in used:
                words = _(FIELD_WORDS[fname]) if fname in FIELD_WORDS else fname.replace("_", " ")
                caveats.append(_("Step %(n)s: the %(field)s is not recorded.") % {"n": number, "field": words}
                               if value.strip() == ".." else
                               _("Step %(n)s: the %(field)s is recorded only in part: %(when)s.")
                               % {"n": number, "field": words, "when": date_words(value)})
    return sources, sorted(set(flags)), caveats


def is_exact_day(text: str) -> bool:
    """A date as written that names one day (2021-03-15), not a month, a year or an interval."""
    return len(text) == 10 and "/" not in text


def _name(lookup: Lookup, type_name: str, record_id: str | None, key: str = "name") -> str:
    record = lookup(type_name, record_id)
    return (record or {}).get(key) or (record_id or "unknown")


_CATEGORY_WORDS = {"political": N_("a political post"), "administrative": N_("an administrative post"),
                   "elected": N_("an elected post"), "other": N_("a post of another category")}


def describe(type_name: str, r: dict, lookup: Lookup) -> str:
    """One sentence stating what the record says."""
    if type_name == "persons":
        extra = []
        if r.get("birth_date"):
            extra.append(_("born %(when)s") % {"when": date_words(r["birth_date"])})
        if r.get("aliases"):
            extra.append(_("also written %(names)s") % {"names": ", ".join(r["aliases"])})
        return _("Person: %(name)s") % {"name": r["name"]} + (f" ({'; '.join(extra)})" if extra else "") + "."
    if type_name == "tenures":
        post = lookup("positions", r["position_id"]) or {}
        org = _name(lookup, "organizations", post.get("organization_id"))
        end = (_(" until %(when)s") % {"when": date_words(r["end"])} if r.get("end")
               else _(" (still in post, as recorded)"))
        return _("%(person)s held the post %(post)s (%(org)s) from %(start)s%(end)s.") % {
            "person": _name(lookup, "persons", r["person_id"]), "post": post.get("title", r["position_id"]),
            "org": org, "start": date_words(r["start"]), "end": end}
    if type_name == "positions":
        org = _name(lookup, "organizations", r["organization_id"])
        bits = [_(_CATEGORY_WORDS.get(r.get("category") or "", N_("category not recorded")))]
        if r.get("kind"):
            bits.append(_("kind: %(kind)s") % {"kind": r["kind"].replace("_", " ")})
        if r.get("filled_by"):
            bits.append(f"filled: {r['filled_by']}")
        if r.get("rank") is not None:
            bits.append(f"rank {r['rank']}")
        reports = ""
        if r.get("reports_to"):
            reports = _("; it reports directly to the post %(post)s") % {
                "post": _name(lookup, "positions", r["reports_to"], "title")}
        return _("Post: %(title)s, %(org)s (%(details)s)%(reports)s.") % {
            "title": r["title"], "org": org, "details": ", ".join(bits), "reports": reports}
    if type_name == "relations":
        dates = ""
        if r.get("start") or r.get("end"):
            dates = _(", from %(when)s") % {"when": date_words(r.get("start"))} + (
                _(" until %(when)s") % {"when": date_words(r["end"])} if r.get("end") else "")
        return _("%(relative)s is the %(kind)s of %(person)s%(dates)s (status: %(status)s).") % {
            "relative": _name(lookup, "persons", r["relative_id"]), "kind": kinship_word(r["kind"]),
            "person": _name(lookup, "persons", r["person_id"]), "dates": dates, "status": _(r.get("status") or "reported")}
    if type_name == "verdicts":
        parts = [_("%(person)s: %(outcome)s (%(category)s) for %(offence)s") % {
            "person": _name(lookup, "persons", r["person_id"]),
            "outcome": _(OUTCOME_WORDS[r["outcome"]]) if r["outcome"] in OUTCOME_WORDS else r["outcome"],
            "category": r.get("category") or _("category not recorded"), "offence": r["offence"]}]
        if r.get("articles"):
            parts.append("under " + ", ".join(r["articles"]))
        if r.get("offence_start") or r.get("offence_end"):
            parts.append(f"offence committed {date_words(r.get('offence_start') or r.get('offence_end'))}")
        parts.append(_("verdict %(when)s") % {"when": date_words(r.get("verdict_date"))})
        parts.append(_("in force %(when)s") % {"when": date_words(r.get("in_force_date"))})
        if r.get("sentence"):
            parts.append(_("sentence %(sentence)s") % {"sentence": r["sentence"]})
        if r.get("released_date"):
            parts.append(_("released %(when)s") % {"when": date_words(r["released_date"])})
        return "; ".join(parts) + "."
    if type_name == "resignations":
        from_post = (f" from the post {_name(lookup, 'positions', r['position_id'], 'title')}"
                     if r.get("position_id") else "")
        accepted_words: dict[object, str] = {True: "; accepted", False: "; not accepted"}
        accepted = accepted_words.get(r.get("accepted"), "")
        return (f"{_name(lookup, 'persons', r['person_id'])} submitted a resignation{from_post} on "
                f"{date_words(r['submitted'])}{accepted}.")
    if type_name == "memberships":
        left = _(", left %(when)s") % {"when": date_words(r["left"])} if r.get("left") else ""
        return _("%(person)s was admitted to %(program)s on %(when)s%(left)s.") % {
            "person": _name(lookup, "persons", r["person_id"]), "program": _name(lookup, "programs", r["program_id"]),
            "when": date_words(r["admitted"]), "left": left}
    if type_name == "programs":
        return _("Program: %(name)s.") % {"name": r["name"]}
    if type_name == "organizations":
        return _("Organization: %(name)s") % {"name": r["name"]} + (
            f" ({r['kind'].replace('_', ' ')})" if r.get("kind") else "") + "."
    if type_name == "org_within":
        if r["depth"] == 0:
            return f"{_name(lookup, 'organizations', r['organization_id'])} is the organization itself."
        return (f"{_name(lookup, 'organizations', r['organization_id'])} is under "
                f"{_name(lookup, 'organizations', r['within_id'])} ({r['depth']} level(s) down, by the "
                "organizations' parent_id).")
    if type_name == "sources":
        return f"Source: {r['title']}."
    return f"{type_name} record {r.get('id')}."

