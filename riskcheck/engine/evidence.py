"""The evidence of one finding, written step by step: every record the rule bound, with its sources.

Records are shown once each, in the order of the rule's reasoning; a record riskcheck merged into another
person's, or a family link it inferred from names, gets a step of its own and a caveat, so a reader sees
which facts are riskcheck's reading rather than the registry's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from riskcheck.i18n import _
from riskcheck.engine.compile import CompiledRule
from riskcheck.engine.facts import describe, step_flags
from riskcheck.engine.findings import Step
from riskcheck.templating import degree_words, kinship_word

if TYPE_CHECKING:  # evaluate.py writes a finding's evidence with this module, so the name is for mypy only
    from riskcheck.engine.evaluate import RecordLookup


class Evidence:
    """The steps, caveats and identity links of one finding as they are written.

    `lookup` is the run's RecordLookup; a record (type, id) already shown is not shown again.
    """

    def __init__(self, lookup: RecordLookup):
        self.lookup = lookup
        self.schema = lookup.registry.schema
        self.identity = lookup.registry.identity
        self.steps: list[Step] = []
        self.caveats: list[str] = []
        self.used_links: list[dict] = []
        self.shown: set[tuple[str, str]] = set()
        self.reviewed_same = {frozenset((d.person, d.relative)): d
                              for d in getattr(lookup.registry, "reviewed", ()) if d.decision == "same_as"}

    def bound_records(self, compiled: CompiledRule, row: dict, records: dict[str, dict | None]) -> None:
        """A step for each record the rule bound (and the organizations it names), in the order of `match`;
        an optional binding that found nothing says so."""
        for var, binding in compiled.rule.match.items():
            type_name = compiled.var_types[var]
            record = records[var]
            if record is None:
                if var in compiled.optional_vars:
                    self.steps.append(Step("fact", f"No {binding.means or type_name[:-1]} matching the rule is "
                                                   f"recorded ({var}).", outcome="none"))
                continue
            used = {f for v, f in compiled.fields_used if v == var}
            if type_name == "kinship":
                self.kinship(record, row.get("p__" + var) or [], bool(used))
                continue
            if type_name == "org_within" and record["depth"] == 0:
                continue  # "the body is itself" is no fact a reader needs
            self.fact(type_name, record, used)
            for fname, f in self.schema.known_type(type_name).fields.items():
                if f.type == "ref" and f.to == "organizations" and record.get(fname):
                    self.fact("organizations", self.lookup("organizations", record[fname]), set())

    def kinship(self, record: dict, path_ids: list[str], dated: bool) -> None:
        """A kinship binding: every path between the two people (the query lists them), the ways named first
        when there are several: the path that decided first, then the others by id, as the query's list comes in
        no set order (a different plan, or another thread's timing, would reorder a report)."""
        lookup = self.lookup
        paths = [record] + [lookup.known("kinship", k) for k in sorted(set(path_ids)) if k != record["id"]]
        if len(paths) > 1:
            ways = "; ".join(path_words(k, lookup) for k in paths)
            self.steps.append(Step("fact", _("%(person)s and %(relative)s are related in %(n)s ways, each shown "
                                             "below: %(ways)s. The most serious outcome among them decides the "
                                             "finding.") % {
                "person": lookup.known("persons", record["person_id"])["name"],
                "relative": lookup.known("persons", record["relative_id"])["name"], "n": len(paths), "ways": ways},
                "kinship", record["id"]))
        for path in paths:
            self.kin_path(path, dated)

    def fact(self, type_name: str, record: dict | None, used: set[str]) -> None:
        """A record as a step with its sources (the `used` fields' own sources flagged), then any identity
        link that put it under this person."""
        if record is None or (type_name, record["id"]) in self.shown:
            return
        self.shown.add((type_name, record["id"]))
        sources, flags, notes = step_flags(type_name, record, len(self.steps) + 1, self.lookup, self.schema, used)
        self.caveats.extend(notes)
        self.steps.append(Step("fact", describe(type_name, record, self.lookup), type_name, record["id"], sources,
                               flags))
        for original in self.identity.rewritten.get((type_name, record["id"]), {}).values():
            self.identity_step(original if isinstance(original, list) else [original])

    def identity_step(self, recorded_ids: list[str]) -> None:
        """A step for each merged person record: which record it was, whom riskcheck took it for, and why."""
        identity, lookup = self.identity, self.lookup
        for merged_id in recorded_ids:
            if merged_id not in identity.resolution.canonical or ("link", merged_id) in self.shown:
                continue
            self.shown.add(("link", merged_id))
            canonical = identity.resolution.canonical[merged_id]
            merged = identity.merged_records.get(merged_id, {})
            link = identity.link_of(merged_id)
            why = self._why_same(link)
            self.used_links.append({"record": merged_id, "taken_as": canonical,
                                    "how": link.kind if link else "same_as",
                                    "evidence": list(link.explanation) if link else []})
            number = len(self.steps) + 1
            self.caveats.append(f"Step {number}: two person records are taken as one human by riskcheck; "
                                "check the identity link before relying on it.")
            # Names, not record ids: the ids stay in the step's record and in findings.json's identity links.
            self.steps.append(Step("fact", f"The record above names {merged.get('name', merged_id)}, whom riskcheck "
                                           f"takes to be the same person as {lookup.known('persons', canonical)['name']} "
                                           f"of another record: {why}.", "persons", merged_id,
                                   list(merged.get("sources") or []), ["identity link"]))

    def _why_same(self, link) -> str:
        """Why two records are one person: a reviewer's decision (with a caveat saying so), the registry's
        same_as, a shared identifier, or the first reason of a match by name with its birth and source ones."""
        decided = (self.reviewed_same.get(frozenset((link.left, link.right)))
                   if link and link.kind == "same_as" else None)
        if decided is not None:
            self.caveats.append(f"Step {len(self.steps) + 1}: the two records are one person by a reviewer's "
                                "decision, not by the case's data.")
            return f"a reviewer decided so ({decided.cited()})"
        if link is None or link.kind == "same_as":
            return "the registry records the two as one person"
        if link.kind == "identifier":
            return link.explanation[0]
        return "; ".join(link.explanation[:1] + [x for x in link.explanation if "birth" in x or "source" in x])

    def kin_path(self, record: dict, dated: bool) -> None:
        """One kinship path: the relations it rests on, then how they make the two people kin."""
        lookup = self.lookup
        if record["id"].startswith("hint:"):
            self.hint(record)
            return
        for rel_id in record["relations"]:
            self.fact("relations", lookup("relations", rel_id), {"start", "end"} if dated else set())
        through = record.get("through") or ([record["via"]] if record.get("via") else [])
        if through:
            people = _(", then ").join(lookup.known("persons", p)["name"] for p in through)
            self.steps.append(Step("fact", _("So %(relative)s is the %(kind)s of %(person)s (%(degree)s), through "
                                             "%(through)s (derived from the records above).") % {
                "relative": lookup.known("persons", record["relative_id"])["name"], "kind": kinship_word(record["kind"]),
                "person": lookup.known("persons", record["person_id"])["name"], "degree": degree_words(record),
                "through": people}, "kinship", record["id"]))
        elif record.get("line") or record.get("degree") is not None:
            self.steps.append(Step("fact", _("Counted as civil law counts kinship: %(relative)s is the %(kind)s of "
                                             "%(person)s, %(degree)s.") % {
                "relative": lookup.known("persons", record["relative_id"])["name"], "kind": kinship_word(record["kind"]),
                "person": lookup.known("persons", record["person_id"])["name"], "degree": degree_words(record)},
                "kinship", record["id"]))

    def hint(self, record: dict) -> None:
        """A parent link inferred from names: a step flagged inferred, and a caveat that it is a lead."""
        lookup = self.lookup
        child, parent = ((record["person_id"], record["relative_id"]) if record["kind"] == "parent"
                         else (record["relative_id"], record["person_id"]))
        hint = self.identity.hint(child, parent)
        number = len(self.steps) + 1
        self.caveats.append(f"Step {number}: the family link is inferred from names, not recorded; "
                            "it is a lead to check, not a fact.")
        self.steps.append(Step("fact", f"{lookup.known('persons', parent)['name']} may be the parent of "
                                       f"{lookup.known('persons', child)['name']}: inferred from names, not recorded"
                                       f" ({'; '.join(hint.explanation) if hint else 'kinship hint'}).",
                               "kinship", record["id"], [], ["inferred"]))


def path_words(kin: dict, lookup: RecordLookup) -> str:
    """One kinship path in a few words: the kind, through whom, the degree and how well it is established."""
    words = kinship_word(kin["kind"])
    through = kin.get("through") or ([kin["via"]] if kin.get("via") else [])
    if through:
        words += " through " + ", then ".join(lookup.known("persons", p)["name"] for p in through)
    return f"{words} ({degree_words(kin)}; {kin['status']})"
