"""A reviewer's event as the decision log keeps it, and the words of its fields.

An event is one decision (on a finding, or on a pair of person records) with the evidence it was made on;
its content id (`uid`) is the same on every machine, so the same event is never kept twice. The limits
here are the log's: riskcheck.review.event_checks checks every event against them, riskcheck.review.decisions
keeps them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from pathlib import Path

from riskcheck.i18n import N_
from riskcheck.errors import RiskcheckError
from riskcheck.registry.reviewed import FILE_NAME  # the log's name, which the registry reads too

DECISIONS = ("confirmed", "dismissed", "unsure")
# The decisions as a reader sees them, marked for the catalogs (riskcheck.i18n translates them where shown).
DECISION_WORDS = (N_("confirmed"), N_("dismissed"), N_("unsure"), N_("open"))
KINDS = ("decision", "link")  # what an event records: a decision on a finding, or on a pair of person records
LINK_WORDS = ("not_related", "same_as", "not_same_as", "unsure")  # a link decision is one of these or a relation kind
MAX_NOTE_CHARS = 10_000
MAX_REVIEWER_CHARS = 200
MAX_EVIDENCE_CHARS = 2_000_000  # a finding's evidence is a few kilobytes; a national one tens
MAX_LINE_CHARS = MAX_EVIDENCE_CHARS + 100_000
MAX_JSON_DEPTH = 32  # a finding nests five levels; 100,000 `[` must be refused, not recursed into
CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of this machine's clock another machine's event may be


class ReviewError(RiskcheckError, ValueError):
    """A decision that cannot be recorded as given (unknown decision, no reviewer, ...)."""


@dataclass(frozen=True)
class Event:
    case_id: str
    finding: str
    decision: str
    note: str
    reviewer: str
    at: str  # UTC, ISO 8601 to the microsecond
    fingerprint: str
    evidence: str  # the finding's JSON when decided
    kind: str = "decision"
    batch: str = ""  # the import it came in with; "" when recorded on this machine

    @property
    def uid(self) -> str:
        """The content id: the same event has the same uid on every machine, whichever batch brought it."""
        content = {f: getattr(self, f) for f in CONTENT_FIELDS}
        if self.kind == "decision":
            del content["kind"]  # events written before kinds existed keep their uid
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()[:32]

    @property
    def imported(self) -> bool:
        return bool(self.batch)

    def to_json(self) -> dict:
        return {"uid": self.uid, **{f: getattr(self, f) for f in CONTENT_FIELDS}}

    def evidence_json(self) -> dict:
        """The evidence as a finding's JSON (checked: the log's reader refuses events whose evidence is not)."""
        return json.loads(self.evidence)


CONTENT_FIELDS = [f.name for f in fields(Event) if f.name != "batch"]


@dataclass(frozen=True)
class Unreadable:
    """An event in the log that cannot be used: listed with why, never allowed to stop a report."""

    case_id: str
    finding: str
    at: str
    reviewer: str
    why: str


@dataclass(frozen=True)
class Batch:
    batch: str
    file: str
    at: str
    events: int
    withdrawn: str = ""  # "by <reviewer> at <time>" once withdrawn


def evidence_of(finding_json: dict) -> str:
    """What a decision was made on: the finding as findings.json holds it, canonically written."""
    return json.dumps(finding_json, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def fingerprint(evidence: str) -> str:
    return hashlib.sha256(evidence.encode("utf-8")).hexdigest()[:16]


def reviews_path(root: Path) -> Path:
    return root / FILE_NAME


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def time_text(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
