"""The decision log: every decision a reviewer records is an appended event; nothing is changed or deleted.

The log is a SQLite file beside the cases (`<cases>/reviews.sqlite`), not beside the reports, which
are regenerated. A finding's key is its id: the rule and the records that define the situation, so a
decision stays on its finding across runs and new data. Each event keeps the finding as it was when
decided (its evidence) and that evidence's fingerprint, so a later run can say what changed since.

Two reviewers saving at the same moment both keep their decisions: SQLite serialises the writers (WAL
journal, a generous busy timeout) and each event is one insert. Events carry a content id (`uid`), so
importing a colleague's export twice, or exporting and importing back, never doubles one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

DECISIONS = ("confirmed", "dismissed", "unsure")
FILE_NAME = "reviews.sqlite"
MAX_NOTE_CHARS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    uid         TEXT NOT NULL UNIQUE,
    case_id     TEXT NOT NULL,
    finding     TEXT NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('confirmed', 'dismissed', 'unsure')),
    note        TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    at          TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    evidence    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_finding ON events (case_id, finding);
CREATE TRIGGER IF NOT EXISTS events_are_never_changed BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'a decision is never changed: record a new one'); END;
CREATE TRIGGER IF NOT EXISTS events_are_never_deleted BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'a decision is never deleted: record a new one'); END;
"""


class ReviewError(ValueError):
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

    @property
    def uid(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode("utf-8")).hexdigest()[:32]

    def to_json(self) -> dict:
        return {"uid": self.uid, **asdict(self)}


def evidence_of(finding_json: dict) -> str:
    """What a decision was made on: the finding as findings.json holds it, canonically written."""
    return json.dumps(finding_json, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def fingerprint(evidence: str) -> str:
    return hashlib.sha256(evidence.encode("utf-8")).hexdigest()[:16]


def reviews_path(root: Path) -> Path:
    return root / FILE_NAME


class DecisionLog:
    def __init__(self, path: Path):
        self.path = path
        self.conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA busy_timeout=30000")
        self.conn.executescript(_SCHEMA)

    @classmethod
    def open_existing(cls, path: Path) -> "DecisionLog | None":
        return cls(path) if path.is_file() else None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "DecisionLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def record(self, case_id: str, finding_json: dict, decision: str, reviewer: str, note: str = "",
               at: datetime | None = None) -> Event:
        decision = decision.strip().lower()
        if decision not in DECISIONS:
            raise ReviewError(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
        if not reviewer.strip():
            raise ReviewError("a decision needs the reviewer's name")
        if len(note) > MAX_NOTE_CHARS:
            raise ReviewError(f"the note is longer than {MAX_NOTE_CHARS:,} characters")
        evidence = evidence_of(finding_json)
        when = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)  # microseconds: two saves in one second keep their order
        event = Event(case_id, finding_json["id"], decision, note.strip(), reviewer.strip(),
                      when.isoformat().replace("+00:00", "Z"), fingerprint(evidence), evidence)
        self.add([event])
        return event

    def add(self, events: Iterable[Event]) -> int:
        """Append events not already in the log (by content); return how many were new."""
        before = self.count()
        rows = [(e.uid, e.case_id, e.finding, e.decision, e.note, e.reviewer, e.at, e.fingerprint, e.evidence)
                for e in events]
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany("INSERT OR IGNORE INTO events (uid, case_id, finding, decision, note, reviewer, "
                                  "at, fingerprint, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return self.count() - before

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM events").fetchone()[0]

    def events(self, case_id: str | None = None) -> Iterator[Event]:
        """Every event (of one case), oldest first; ties between machines broken by content id."""
        sql = "SELECT case_id, finding, decision, note, reviewer, at, fingerprint, evidence FROM events"
        args: list = []
        if case_id is not None:
            sql += " WHERE case_id = ?"
            args.append(case_id)
        rows = self.conn.execute(sql, args).fetchall()
        return iter(sorted((Event(*r) for r in rows), key=lambda e: (e.case_id, e.finding, e.at, e.uid)))

    def history(self, case_id: str, finding: str) -> list[Event]:
        """One finding's events, oldest first."""
        rows = self.conn.execute("SELECT case_id, finding, decision, note, reviewer, at, fingerprint, evidence "
                                 "FROM events WHERE case_id = ? AND finding = ?", [case_id, finding]).fetchall()
        return sorted((Event(*r) for r in rows), key=lambda e: (e.at, e.uid))

    def current_decisions(self, case_id: str) -> dict[str, str]:
        """Finding key -> its latest decision, without reading the evidence (for listings)."""
        latest: dict[str, tuple] = {}
        for finding, decision, at, uid in self.conn.execute(
                "SELECT finding, decision, at, uid FROM events WHERE case_id = ?", [case_id]):
            if finding not in latest or (at, uid) > latest[finding][:2]:
                latest[finding] = (at, uid, decision)
        return {finding: v[2] for finding, v in latest.items()}

    def histories(self, case_id: str) -> dict[str, list[Event]]:
        """Finding key -> its events, oldest first (the last is the current decision)."""
        out: dict[str, list[Event]] = {}
        for event in self.events(case_id):
            out.setdefault(event.finding, []).append(event)
        return out


def read_events(lines: Iterable[str], shown: str) -> list[Event]:
    """Events from an export (JSON lines), each checked; a damaged line is an error naming it."""
    out = []
    fields = [f for f in Event.__dataclass_fields__]
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            event = Event(**{f: data[f] for f in fields})
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ReviewError(f"{shown} line {number}: not a decision ({type(exc).__name__}: {exc})") from None
        if not all(isinstance(getattr(event, f), str) for f in fields) or event.decision not in DECISIONS:
            raise ReviewError(f"{shown} line {number}: not a decision (a field is missing or not text)")
        if data.get("uid") not in (None, event.uid):
            raise ReviewError(f"{shown} line {number}: the decision was altered after it was exported "
                              "(its content no longer matches its uid)")
        if fingerprint(event.evidence) != event.fingerprint:
            raise ReviewError(f"{shown} line {number}: the evidence does not match its fingerprint")
        out.append(event)
    return out
