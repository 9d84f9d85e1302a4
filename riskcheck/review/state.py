"""A finding's review state on this run: the latest decision, its history, and what changed since.

"Changed since reviewed" compares the finding as it is now with the evidence the latest decision was
made on, field by field, in words a reviewer can act on ("status was flagged, now undetermined").
A decided finding that this run no longer gives stays listed, so no decision silently disappears.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from riskcheck.review.decisions import DECISIONS, Event, evidence_of, fingerprint

REVIEW_STATES = ("open", *DECISIONS)


@dataclass
class ReviewState:
    finding: str
    history: list[Event]  # oldest first; the last is the current decision
    changed: list[str] = field(default_factory=list)  # what changed since the current decision was made
    gone: bool = False  # decided, but this run no longer gives the finding

    @property
    def current(self) -> Event:
        return self.history[-1]

    @property
    def decision(self) -> str:
        return self.current.decision

    def to_json(self) -> dict:
        return {"decision": self.decision, "reviewer": self.current.reviewer, "at": self.current.at,
                "note": self.current.note, "changed_since": self.changed, "decisions": len(self.history)}


def review_states(histories: dict[str, list[Event]], findings: list) -> tuple[dict[str, ReviewState],
                                                                              list[ReviewState]]:
    """(finding id -> state for the decided findings among `findings`, states of decided findings not among them).

    `findings` are engine Findings; only the decided ones are turned into JSON to compare with their evidence,
    so a national case with few decisions costs little.
    """
    now = {f.id: f for f in findings}
    states = {}
    for key, history in histories.items():
        finding = now.get(key)
        if finding is None:
            continue
        current = history[-1]
        finding_json = finding.to_json()
        changed = [] if fingerprint(evidence_of(finding_json)) == current.fingerprint else \
            what_changed(json.loads(current.evidence), finding_json)
        states[key] = ReviewState(key, history, changed)
    gone = [ReviewState(key, history, gone=True) for key, history in sorted(histories.items()) if key not in now]
    return states, gone


def review_counts(finding_ids: list[str], decision_of: dict[str, str]) -> dict[str, int]:
    """How many findings are open (no decision) or have each decision as their latest."""
    counts = Counter(decision_of.get(fid, "open") for fid in finding_ids)
    return {s: counts.get(s, 0) for s in REVIEW_STATES}


_WORDS = {"summary": "the summary", "caveats": "the caveats", "undecided": "what the data cannot decide",
          "weak_facts": "the weak facts", "identity_links": "the identity links", "related": "the related persons",
          "person": "the person", "severity": "the severity"}


def what_changed(then: dict, now: dict) -> list[str]:
    out = []
    if then.get("status") != now.get("status"):
        out.append(f"status was {then.get('status')}, now {now.get('status')}")
    if then.get("rule_version") != now.get("rule_version"):
        out.append(f"rule version was {then.get('rule_version')}, now {now.get('rule_version')}")
    old_sources, new_sources = set(then.get("sources") or []), set(now.get("sources") or [])
    if old_sources != new_sources:
        parts = ([f"added {', '.join(sorted(new_sources - old_sources))}"] if new_sources - old_sources else []) + \
                ([f"removed {', '.join(sorted(old_sources - new_sources))}"] if old_sources - new_sources else [])
        out.append("sources: " + "; ".join(parts))
    old_records, new_records = then.get("records") or {}, now.get("records") or {}
    for name in sorted(set(old_records) | set(new_records)):
        if old_records.get(name) != new_records.get(name):
            out.append(f"records behind {name}: were {_ids(old_records.get(name))}, now {_ids(new_records.get(name))}")
    for key, words in _WORDS.items():
        if then.get(key) != now.get(key):
            out.append(f"{words} changed")
    return out or ["the evidence changed"]


def _ids(value) -> str:
    if value is None:
        return "none"
    return ", ".join(value) if isinstance(value, list) else str(value)


def attach_reviews(result, log) -> None:
    """Give a checked case (pipeline.CaseResult) its review states from the decision log."""
    states, gone = review_states(log.histories(result.id), result.findings)
    result.reviews, result.reviews_gone, result.reviewing = states, gone, True
