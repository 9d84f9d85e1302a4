"""The results of a run: what the report, the desk export, the FollowTheMoney export and the review app read.

Data only. riskcheck.pipeline fills a CaseResult per case (riskcheck.review.state gives it its review
states) and builds a CaseView of a case checked for the app and the exports; the readers never run a stage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from riskcheck.engine.findings import Finding
from riskcheck.errors import Problem
from riskcheck.review.state import ReviewState
from riskcheck.rules.loader import LoadedRule


@dataclass
class CaseResult:
    id: str
    display: str
    title: str = ""
    summary: str = ""
    as_of: date | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # Reviewers' decisions (riskcheck.review): finding id -> state, decided findings this run no longer gives,
    # and the counts by review state; `reviewing` is false when the cases have no decision log.
    reviews: dict[str, ReviewState] = field(default_factory=dict)
    reviews_gone: list[ReviewState] = field(default_factory=list)
    reviews_unreadable: list = field(default_factory=list)  # events of the log that cannot be used, with why
    reviewing: bool = False
    hints_to_check: int = 0  # possible relatives and same persons listed and not settled by a reviewer
    # The rules this case was judged by (its jurisdictions' packs), and the jurisdictions it states.
    rules: list[LoadedRule] | None = None
    jurisdictions: list[str] = field(default_factory=list)
    rules_why: str = ""
    language: str = "en"  # the language the case was judged and written in (riskcheck.i18n)
    # The rows each rule that binds kinship gave over the kinship hints (riskcheck.rules.what_if), by rule id: each
    # row's records by variable, its status and its hint links. Kept so that a re-run on the kept store asks the
    # rules over the hints again only about the persons a change reaches, as it asks the rules.
    what_if: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class RunOptions:
    as_of: date | None = None
    params: dict[str, dict] = field(default_factory=dict)  # rule id -> {name: value}
    # Apply only the rule packs of the jurisdictions a case states; off when rules were picked by hand.
    match_jurisdiction: bool = True
    language: str | None = None  # the language of every report of the run (--lang), over each case's own


@dataclass
class CaseView:
    """A checked case as the app and the desk export show it: its result, and the names, sources and evidence
    its findings cite, copied out of its registry (closed once checked), so a page never queries the store."""

    result: CaseResult
    names: dict[str, str] = field(default_factory=dict)
    sources: dict[str, dict] = field(default_factory=dict)
    # finding id -> its evidence as a decision saves it (review.evidence), written canonically: a decision made
    # in the app binds every fact the reviewer saw, and "changed since" is named fact by fact.
    evidence: dict[str, str] = field(default_factory=dict)
    # The pairs of person records a reviewer may settle (riskcheck.pipeline.person_pairs): kinship hints that would change a
    # finding, most telling first, then the possible same persons riskcheck refused to merge.
    pairs: list[dict] = field(default_factory=list)

    def evidence_json(self, finding: Finding) -> dict:
        text = self.evidence.get(finding.id)
        return json.loads(text) if text is not None else finding.to_json()

    @property
    def id(self) -> str:
        return self.result.id

    def person_name(self, pid: str) -> str:
        return self.names.get(pid) or pid
