"""What the app serves: every case checked once at start, kept in memory with what its pages need.

The registry of a case is closed once checked; the names and sources its findings cite are copied out
first, so a page never queries the store and paging through 15,000 findings stays fast.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from riskcheck.engine.evaluate import RecordLookup
from riskcheck.pipeline import CaseResult, RunOptions, run_cases
from riskcheck.review.decisions import evidence_of
from riskcheck.review.evidence import prefetch_evidence, review_evidence
from riskcheck.rules.loader import LoadedRule


@dataclass
class CaseView:
    result: CaseResult
    names: dict[str, str] = field(default_factory=dict)
    sources: dict[str, dict] = field(default_factory=dict)
    # finding id -> its evidence as a decision saves it (review.evidence), written canonically: a decision made
    # in the app binds every fact the reviewer saw, and "changed since" is named fact by fact.
    evidence: dict[str, str] = field(default_factory=dict)
    # The pairs of person records a reviewer may settle (see person_pairs): kinship hints that would change a
    # finding, most telling first, then the possible same persons riskcheck refused to merge.
    pairs: list[dict] = field(default_factory=list)

    def evidence_json(self, finding) -> dict:
        text = self.evidence.get(finding.id)
        return json.loads(text) if text is not None else finding.to_json()

    @property
    def id(self) -> str:
        return self.result.id

    def person_name(self, pid: str) -> str:
        return self.names.get(pid) or pid


def person_pairs(registry, lookup: RecordLookup) -> list[dict]:
    """Each listed hint and possible same-person pair with its names, reasons and the decisions it may take.

    A hint reads "right may be left's parent" (riskcheck.names.resolve), so its relation kind is `parent`."""
    from riskcheck.names.resolve import listed_hints

    res = registry.identity.resolution
    hints, possible = listed_hints(res), list(res.possible)
    lookup.prefetch("persons", {i for x in hints + possible for i in (x.left, x.right)})

    def name(pid: str) -> str:
        record = registry.identity.merged_records.get(pid) or lookup("persons", pid) or {}
        return record.get("name") or pid

    out = [{"kind": "hint", "person": h.left, "relative": h.right, "relation": "parent", "rank": h.rank,
            "person_name": name(h.left), "relative_name": name(h.right), "why": list(h.explanation),
            "changes": list(h.changes)} for h in hints]
    out += [{"kind": "possible", "person": p.left, "relative": p.right, "relation": "", "rank": None,
             "person_name": name(p.left), "relative_name": name(p.right), "why": list(p.explanation),
             "changes": list(p.changes or [])} for p in possible]
    return out


def check_cases(cases: Path, rules: list[LoadedRule], as_of: date | None,
                match_jurisdiction: bool = True) -> dict[str, CaseView]:
    views: dict[str, CaseView] = {}

    def keep(result: CaseResult, registry) -> None:
        lookup = RecordLookup(registry)
        people = {f.person for f in result.findings} | {r for f in result.findings for r in f.related}
        lookup.prefetch("persons", people)
        cited = {s for f in result.findings for s in f.sources} | \
                {s for f in result.findings for step in f.steps for s in step.sources}
        lookup.prefetch("sources", cited)
        prefetch_evidence(result.findings, lookup)
        views[result.id] = CaseView(
            result, {pid: (lookup("persons", pid) or {}).get("name") or pid for pid in people},
            {sid: rec for sid in cited if (rec := lookup("sources", sid))},
            {f.id: evidence_of(review_evidence(f, lookup)) for f in result.findings}, person_pairs(registry, lookup))

    for result in run_cases(cases, rules, RunOptions(as_of, {}, match_jurisdiction=match_jurisdiction), keep):
        if result.id not in views:
            views[result.id] = CaseView(result)
    return views
