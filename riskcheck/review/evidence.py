"""What a reviewer saw: a finding with every step of its reasoning, the facts behind them and their sources.

A decision is made on this evidence, so a later run can name any fact that moved since ("the appointment
date moved from 1 April 2023 to 1 September 2023"), not only ids. It holds the finding as findings.json
writes it, plus each step (its words, its record, sources, flags and outcome), each fact's record as the
data states it (values, dates, sources) and the titles of the sources cited. Built only from data already
in the case, so the same data gives the same evidence byte for byte.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from riskcheck.i18n import N_, _
from riskcheck.registry.date_words import date_words

# What a record of each type is to a reader, and its fields' names where the field name alone would not do
# (marked for the catalogs; the sentences that use them are in the reader's language).
RECORD_WORDS = {"tenures": N_("the appointment"), "verdicts": N_("the verdict"), "relations": N_("the family link"),
                "persons": N_("the person"), "positions": N_("the post"), "organizations": N_("the organization"),
                "resignations": N_("the resignation"), "programs": N_("the programme"),
                "memberships": N_("the membership"), "sources": N_("the source"), "kinship": N_("the kinship path")}
FIELD_WORDS = {("tenures", "start"): N_("date"), ("tenures", "end"): N_("end date"),
               ("verdicts", "in_force_date"): N_("in-force date"), ("verdicts", "verdict_date"): N_("verdict date"),
               ("relations", "kind"): N_("kind"), "person_id": N_("person"), "relative_id": N_("relative"),
               "position_id": N_("post"), "organization_id": N_("organization"), "birth_date": N_("birth date"),
               "start": N_("start date"), "end": N_("end date"), "sources": N_("sources")}
OUTCOME_WORDS = {"holds": N_("holds"), "unknown": N_("cannot be decided")}


def review_evidence(finding, lookup) -> dict:
    """The evidence of an engine Finding, its records read through `lookup` (engine.evaluate.RecordLookup).

    Made once per finding and store: findings.json, the review app's view and the review pass each ask for
    every finding's (a national case's thousand findings cost seconds each time). The store does not change
    once built, nor a finding once made; each caller gets a dict of its own (findings.json adds a review)."""
    made = lookup.registry.evidence_made
    known = made.get(id(finding))
    if known is not None and known[0] is finding:
        return dict(known[1])
    out = _evidence(finding, lookup)
    made[id(finding)] = (finding, out)
    return dict(out)


def reuse_evidence(findings, last: Mapping[str, Any], registry) -> int:
    """Take the last run's evidence (`last`: finding id -> its evidence as the last findings.json holds it) for
    findings a re-run kept from the last run (riskcheck.rules.reach: of persons no changed record reaches), so
    that their records are not read again; return how many were taken.

    The evidence is the finding, its steps, and the records its steps name with their sources. A kept finding is
    the last run's, the kept store's records are the last run's but for the changed ones, and sources never
    change in such a re-run; so evidence is taken only where the finding and its steps read back equal to what
    the file holds and no step names a changed record. Anything else is made afresh."""
    changed = registry.changed_records or {}
    made = registry.evidence_made
    taken = 0
    for finding in findings:
        earlier = last.get(finding.id)
        if not isinstance(earlier, dict) or any(step.record_id in changed.get(step.record_type, ())
                                                 for step in finding.steps):
            continue
        mine = json.loads(json.dumps(finding.to_json(), ensure_ascii=False))
        mine["steps"] = _steps(finding)
        if any(earlier.get(k) != v for k, v in mine.items()) or not {"facts", "source_titles"} <= earlier.keys():
            continue
        made[id(finding)] = (finding, earlier)
        taken += 1
    return taken


def _steps(finding) -> list[dict]:
    return [{"kind": step.kind, "text": step.text, "record": _ref(step), "sources": list(step.sources),
             "flags": list(step.flags), "outcome": step.outcome}
            | ({"value": step.value} if step.value is not None else {}) for step in finding.steps]


def _ref(step) -> str | None:
    return f"{step.record_type}/{step.record_id}" if step.record_type and step.record_id else None


def _evidence(finding, lookup) -> dict:
    out = finding.to_json()
    steps, facts, cited = _steps(finding), {}, set(finding.sources)
    known = lookup.registry.schema.types
    wanted: dict[str, set[str]] = {}
    for step in finding.steps:
        if step.record_type in known and step.record_id:
            wanted.setdefault(step.record_type, set()).add(step.record_id)
    for type_name, ids in sorted(wanted.items()):
        lookup.prefetch(type_name, ids, depth=0)
    for step in finding.steps:
        ref = _ref(step)
        cited.update(step.sources)
        if step.record_type in known and step.record_id and ref not in facts:
            record = lookup(step.record_type, step.record_id)
            if record is not None:
                facts[ref] = {k: _plain(v) for k, v in sorted(record.items()) if v is not None and v != []}
                value = record.get("sources")
                cited.update(value if isinstance(value, list) else [])
    lookup.prefetch("sources", cited, depth=0)
    out["steps"] = steps
    out["facts"] = facts
    out["source_titles"] = {sid: str((lookup("sources", sid) or {}).get("title") or sid) for sid in sorted(cited)}
    return out


# What a finding rests on, in no language: the rule and its version, the status and severity, the records it
# binds and their facts, the sources, each step's record, flags, outcome and computed value. Everything else in
# the evidence is words (the summary, caveats, what the data cannot decide, each step's text), written in the
# language the case was checked in, so comparing them would call a decision "changed" when only the language is.
BASIS_FIELDS = ("id", "rule", "rule_version", "status", "severity", "person", "related", "sources", "records",
                "unit", "figures", "identity_links", "steps", "facts", "source_titles")
STEP_BASIS_FIELDS = ("kind", "record", "sources", "flags", "outcome", "value")
LINK_BASIS_FIELDS = ("record", "taken_as", "how")  # an identity link's `evidence` is its reasons in words


def basis(evidence: dict) -> dict:
    """The part of a finding's evidence that does not depend on the language it was written in.

    Evidence saved by any earlier version has the same shape with fewer fields, so a decision recorded in
    English before this existed is compared on its basis too: no migration, and no decision marked changed
    because it was recorded in another language or by an older riskcheck."""
    out = {k: evidence[k] for k in BASIS_FIELDS if k in evidence}
    if isinstance(out.get("steps"), list):
        out["steps"] = [{k: s[k] for k in STEP_BASIS_FIELDS if k in s} if isinstance(s, dict) else s
                        for s in out["steps"]]
    if isinstance(out.get("identity_links"), list):
        out["identity_links"] = [{k: link[k] for k in LINK_BASIS_FIELDS if k in link}
                                 if isinstance(link, dict) else link for link in out["identity_links"]]
    return out


def prefetch_evidence(findings, lookup) -> None:
    """Fetch the records behind many findings' steps in one query per record type (not one per finding); those
    of findings whose evidence is made already are not needed."""
    made = lookup.registry.evidence_made
    findings = [f for f in findings if (made.get(id(f)) or (None,))[0] is not f]
    known = lookup.registry.schema.types
    wanted: dict[str, set[str]] = {}
    for finding in findings:
        for step in finding.steps:
            if step.record_type in known and step.record_id:
                wanted.setdefault(step.record_type, set()).add(step.record_id)
    for type_name, ids in sorted(wanted.items()):
        lookup.prefetch(type_name, ids, depth=0)
    cited = {s for f in findings for step in f.steps for s in step.sources} | {s for f in findings for s in f.sources}
    for type_name in sorted(wanted):
        for record in lookup.cache.get(type_name, {}).values():
            value = (record or {}).get("sources")
            cited.update(value if isinstance(value, list) else [])
    lookup.prefetch("sources", cited, depth=0)


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def date_in_words(text) -> str:
    """'2023-04-01' -> '1 April 2023', '2021' -> 'some day in 2021'; anything else as the data wrote it."""
    if isinstance(text, str) and text:
        return date_words(text)
    return _shown(text)


def value_words(value) -> str:
    """A computed value as the evidence keeps it, for a reader: a date or an interval of dates in words."""
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return date_in_words(value)
    if isinstance(value, str) and ".." in value and all(_ISO_DAY.fullmatch(v) for v in value.split("..", 1)):
        lo, hi = value.split("..", 1)
        return _("%(start)s to %(end)s") % {"start": date_in_words(lo), "end": date_in_words(hi)}
    return _shown(value)


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _shown(value) -> str:
    if value is None or value == [] or value == "":
        return _("nothing")
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, str):
        return value
    return str(value)


def _field_words(type_name: str, name: str) -> str:
    known = FIELD_WORDS.get((type_name, name)) or FIELD_WORDS.get(name)
    return _(known) if known else name.replace("_", " ")


def _titles(ids, titles: dict) -> str:
    return ", ".join(f"“{titles.get(i, i)}”" for i in ids)


def source_changes(was: set, now: set, titles: dict) -> str:
    """Sources added and removed, by title: 'added “A newspaper”; removed “Court register”'."""
    parts = ([_("added %(titles)s") % {"titles": _titles(sorted(now - was), titles)}] if now - was else []) + \
            ([_("removed %(titles)s") % {"titles": _titles(sorted(was - now), titles)}] if was - now else [])
    return "; ".join(parts or [_("reordered")])


def fact_changes(then: dict, now: dict) -> list[str]:
    """How each fact both evidences hold moved, in words; facts added or dropped are named."""
    out = []
    old, new = then.get("facts") or {}, now.get("facts") or {}
    titles = {**(then.get("source_titles") or {}), **(now.get("source_titles") or {})}
    for ref in sorted(set(old) | set(new)):
        type_name, _sep, record_id = ref.partition("/")
        what = _(RECORD_WORDS[type_name]) if type_name in RECORD_WORDS else type_name
        if ref not in old:
            out.append(_("%(record)s %(id)s is now part of the evidence") % {"record": what, "id": record_id})
            continue
        if ref not in new:
            out.append(_("%(record)s %(id)s is no longer part of the evidence") % {"record": what, "id": record_id})
            continue
        a, b = old[ref] if isinstance(old[ref], dict) else {}, new[ref] if isinstance(new[ref], dict) else {}
        for name in sorted(set(a) | set(b)):
            if name == "id" or a.get(name) == b.get(name):
                continue
            words = {"record": what, "field": _field_words(type_name, name)}
            if name == "sources":
                changes = source_changes(set(a.get(name) or []), set(b.get(name) or []), titles)
                out.append(_("%(record)s's sources: %(changes)s") % {"record": what, "changes": changes})
            elif name not in a:
                out.append(_("%(record)s %(field)s is now recorded: %(value)s")
                           % {**words, "value": date_in_words(b.get(name))})
            elif name not in b:
                out.append(_("%(record)s %(field)s is no longer recorded (was %(value)s)")
                           % {**words, "value": date_in_words(a.get(name))})
            else:
                out.append(_("%(record)s %(field)s moved from %(old)s to %(new)s")
                           % {**words, "old": date_in_words(a.get(name)), "new": date_in_words(b.get(name))})
    return out


def fact_sources_changed(then: dict, now: dict) -> bool:
    """Whether the sources of a fact both evidences hold changed (fact_changes names them, fact by fact)."""
    old, new = then.get("facts") or {}, now.get("facts") or {}
    return any(isinstance(old[ref], dict) and isinstance(new[ref], dict)
               and old[ref].get("sources") != new[ref].get("sources") for ref in set(old) & set(new))


def step_changes(then: dict, now: dict, shown: dict | None = None) -> list[str]:
    """Computed values and checks whose value or outcome changed (facts are named by fact_changes).

    Compared on what holds in any language (a value as the data gives it, a check's outcome), and named by
    the words of `shown` (the finding as this run writes it), else of `now`."""
    def keyed(evidence: dict) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for step in evidence.get("steps") or []:
            if isinstance(step, dict) and step.get("kind") in ("value", "check"):
                out.setdefault(str(step.get("kind")), []).append(step)
        return out
    old, new, words = keyed(then), keyed(now), keyed(shown or now)
    out = []
    for kind in ("value", "check"):
        a, b, named = old.get(kind, []), new.get(kind, []), words.get(kind, [])
        for number, (x, y) in enumerate(zip(a, b)):
            text = str((named[number] if number < len(named) else y).get("text") or "").rstrip(".")
            if kind == "value" and "value" in x and x.get("value") != y.get("value"):
                out.append(_("the computed value “%(text)s” was %(old)s, now %(new)s")
                           % {"text": text, "old": value_words(x.get("value")), "new": value_words(y.get("value"))})
            elif x.get("outcome") != y.get("outcome"):
                out.append(_("the check “%(text)s” was %(old)s, now %(new)s")
                           % {"text": text, "old": _outcome(x.get("outcome")), "new": _outcome(y.get("outcome"))})
        if len(a) != len(b):
            counts = {"old": len(a), "new": len(b)}
            out.append((_("the computed values were %(old)s, now %(new)s") if kind == "value"
                        else _("the checks were %(old)s, now %(new)s")) % counts)
    return out


def _outcome(outcome) -> str:
    return _(OUTCOME_WORDS[outcome]) if outcome in OUTCOME_WORDS else _shown(outcome)
