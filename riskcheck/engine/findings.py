"""Findings and the evidence behind them: what the engine produces and the report shows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from riskcheck.i18n import N_
from riskcheck.grammar.vocabulary import STATUS_ORDER, severity_rank


@dataclass
class Step:
    """One numbered step of a finding's reasoning: a fact, a computed value, a check or the decision."""

    kind: str  # fact | value | check | decision
    text: str
    record_type: str | None = None
    record_id: str | None = None
    sources: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # unsourced, reported, alleged, inferred, partial date
    outcome: str | None = None  # for checks: holds | unknown
    formula: str | None = None  # the rule's expression behind a value or check: for rule authors, not headlines
    # The persons a step names as a group (a unit's staff sharing a name), for the finding's drawing; not part of
    # the evidence a decision binds (review.evidence writes a step without it).
    people: list[str] = field(default_factory=list)
    # A computed value as the data gives it (an ISO date or interval, a number), in no language: what a review
    # decision binds, where `text` is the value in the words of the language the case was written in.
    value: str | None = None


@dataclass
class Finding:
    id: str
    rule: str
    rule_version: str
    rule_title: str
    kind: str
    status: str
    severity: str
    person: str
    related: list[str]
    summary: str
    explanation: str  # plain text: pages escape it
    steps: list[Step]
    sources: list[str]
    caveats: list[str]
    undecided: list[str]
    params: dict
    bound: dict[str, str | None]  # variable -> record id
    records: dict[str, str | list[str]]  # variable -> record id(s) for findings.json (kinship: relation ids)
    # Person records the data recorded that riskcheck took as another (identity resolution), with the evidence.
    identity_links: list[dict] = field(default_factory=list)
    # Sentences for the headline when the lead rests on something weaker than an established, sourced fact.
    weak_facts: list[str] = field(default_factory=list)
    # A unit indicator's finding is about an organization (`unit`, with `person` empty) and carries its figures.
    unit: str | None = None
    figures: dict = field(default_factory=dict)
    limits: str = ""  # what the unit's statistic cannot show, in the rule's words, shown beside the figure
    # The rule's texts (title, summary, explanation, what_it_cannot_show) shown in English because the rule has
    # no translation of them into the language the finding is written in; the page marks them.
    in_english: list[str] = field(default_factory=list)

    def sort_key(self) -> tuple:
        return (STATUS_ORDER[self.status], severity_rank(self.severity), self.rule, self.person, self.id)

    def to_json(self) -> dict:
        return {
            "id": self.id, "rule": self.rule, "rule_version": self.rule_version, "status": self.status,
            "severity": self.severity, "person": self.person, "related": self.related,
            "sources": self.sources, "summary": self.summary,
            "records": self.records, "identity_links": self.identity_links,
            "caveats": self.caveats, "undecided": self.undecided, "weak_facts": self.weak_facts,
        } | ({"unit": self.unit, "figures": self.figures, "limits": self.limits} if self.unit is not None else {}) \
          | ({"in_english": self.in_english} if self.in_english else {})


# The flags as a step shows them, marked for the catalogs (riskcheck.i18n translates them where shown).
FLAG_WORDS = (N_("unsourced"), N_("reported"), N_("alleged"), N_("inferred"), N_("partial date"), N_("identity link"))

# What each flag on a step means for the whole lead, in the order a reader should hear it.
WEAK_FACT_WORDS = {
    "alleged": "This lead rests on an allegation: a fact behind it is alleged, not established.",
    "inferred": "This lead rests on a family link inferred from names, not recorded in any source.",
    "unsourced": "A fact behind this lead has no recorded source.",
    "identity link": "This lead takes two person records as one person; check that link first.",
}


def weak_facts(steps: list[Step]) -> list[str]:
    flags = {flag for step in steps for flag in step.flags}
    return [words for flag, words in WEAK_FACT_WORDS.items() if flag in flags]


def finding_id(rule_id: str, bound: dict[str, str | None]) -> str:
    """Stable while the rule and the records that define the situation stay the same.

    Callers leave out kinship paths: a relation recorded later between the same two people adds a path
    to the same finding, so a reviewer's decision on it stays attached.
    """
    key = "\x1f".join([rule_id, *(f"{k}={v}" for k, v in sorted(bound.items()) if v is not None)])
    return rule_id + "-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
