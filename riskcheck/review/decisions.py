"""The decision log: every decision a reviewer records is an appended event; nothing is changed or deleted.

The log is a SQLite file beside the cases (`<cases>/reviews.sqlite`), not beside the reports, which
are regenerated. A finding's key is its id: the rule and the records that define the situation, so a
decision stays on its finding across runs and new data. Each event keeps the finding as it was when
decided (its evidence: every step's facts with their values and sources) and that evidence's fingerprint,
so a later run can say what changed since.

Two reviewers saving at the same moment both keep their decisions: SQLite serialises the writers (WAL
journal, a generous busy timeout) and each event is one insert. Events carry a content id (`uid`), so
importing a colleague's export twice, or exporting and importing back, never doubles one.

An import cannot poison the log: every event is checked when imported (a case of this folder, evidence
that is a finding with that id, a time no later than the import, limits on every field and on JSON
nesting) and again whenever it is read, so an event damaged some other way is listed as unreadable and
never stops a report. An imported batch keeps its name; withdrawing it appends a withdrawal, it deletes
nothing. Events have a `kind`: "decision" on a finding, or "link" on a pair of person records (a
reviewer's word on a kinship hint or a possible same person, see riskcheck.review.links); both share the
log, its checks and its batches.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from riskcheck.review.event_checks import encodable, unusable
from riskcheck.review.events import (DECISIONS, MAX_NOTE_CHARS, MAX_REVIEWER_CHARS, Batch, Event, ReviewError,
                                     Unreadable, evidence_of, fingerprint, now_utc, time_text)

# The decision word is validated in Python (each kind of event has its words); a log made with a CHECK on
# it is copied into a table without it when opened (DecisionLog._drop_decision_check).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    uid         TEXT NOT NULL UNIQUE,
    case_id     TEXT NOT NULL,
    finding     TEXT NOT NULL,
    decision    TEXT NOT NULL,
    note        TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    at          TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    evidence    TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT 'decision',
    batch       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_by_finding ON events (case_id, finding);
CREATE TRIGGER IF NOT EXISTS events_are_never_changed BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'a decision is never changed: record a new one'); END;
CREATE TRIGGER IF NOT EXISTS events_are_never_deleted BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'a decision is never deleted: record a new one'); END;
CREATE TABLE IF NOT EXISTS batches (
    batch       TEXT PRIMARY KEY,
    file        TEXT NOT NULL,
    at          TEXT NOT NULL,
    events      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS withdrawals (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    batch       TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    note        TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS batches_are_never_changed BEFORE UPDATE ON batches
BEGIN SELECT RAISE(ABORT, 'an import is never changed: withdraw it'); END;
CREATE TRIGGER IF NOT EXISTS batches_are_never_deleted BEFORE DELETE ON batches
BEGIN SELECT RAISE(ABORT, 'an import is never deleted: withdraw it'); END;
CREATE TRIGGER IF NOT EXISTS withdrawals_are_never_changed BEFORE UPDATE ON withdrawals
BEGIN SELECT RAISE(ABORT, 'a withdrawal is never changed'); END;
CREATE TRIGGER IF NOT EXISTS withdrawals_are_never_deleted BEFORE DELETE ON withdrawals
BEGIN SELECT RAISE(ABORT, 'a withdrawal is never deleted'); END;
"""
_COLUMNS = "case_id, finding, decision, note, reviewer, at, fingerprint, evidence, kind, batch"


def check_log_path(path: Path) -> None:
    """The log, and SQLite's files beside it, must be regular files of the cases folder, not links.

    A link would have every decision written wherever it points (another folder, another disk)."""
    path = Path(path)
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"),
                      path.with_name(path.name + "-journal")):
        try:
            mode = os.lstat(candidate).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode) or not stat.S_ISREG(mode):
            raise ReviewError(f"{candidate} is {'a link' if stat.S_ISLNK(mode) else 'not a regular file'}: the "
                              "decision log must be a regular file in the cases folder; move it away and put the "
                              "real file there")
    if path.parent.is_symlink():
        raise ReviewError(f"{path.parent} is a link: the decision log must be in the cases folder itself")


class DecisionLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        check_log_path(self.path)
        self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA busy_timeout=30000")
        self.conn.executescript(_SCHEMA)
        self._upgrade()

    def _upgrade(self) -> None:
        """Logs written before kinds and batches existed get both columns, with the values their events had."""
        have = {row[1] for row in self.conn.execute("PRAGMA table_info(events)")}
        for column in ("kind", "batch"):
            if column not in have:
                default = "decision" if column == "kind" else ""
                try:
                    self.conn.execute(f"ALTER TABLE events ADD COLUMN {column} TEXT NOT NULL DEFAULT '{default}'")
                except sqlite3.OperationalError as exc:  # another process added it first
                    if "duplicate column" not in str(exc):
                        raise
        self._drop_decision_check()

    def _drop_decision_check(self) -> None:
        """Logs written before link decisions allow only 'confirmed', 'dismissed' and 'unsure' in `decision`.

        SQLite cannot drop a CHECK, so the table is copied, row for row with its sequence numbers, into one
        without it, in one transaction: every event is kept as it was (the same uids), then the index and the
        triggers that keep the log append-only are made again."""
        row = self.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'").fetchone()
        if not row or "CHECK" not in (row[0] or ""):
            return
        columns = "seq, uid, " + _COLUMNS
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            row = self.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'").fetchone()
            if "CHECK" in (row[0] or ""):  # another process may have done it while this one waited
                table = _SCHEMA.split("CREATE TABLE IF NOT EXISTS events (", 1)[1].split(");", 1)[0]
                self.conn.execute(f"CREATE TABLE events_without_check ({table})")
                self.conn.execute(f"INSERT INTO events_without_check ({columns}) SELECT {columns} FROM events")
                self.conn.execute("DROP TABLE events")
                self.conn.execute("ALTER TABLE events_without_check RENAME TO events")
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.executescript(_SCHEMA)

    @classmethod
    def open_existing(cls, path: Path) -> "DecisionLog | None":
        try:
            os.lstat(path)
        except FileNotFoundError:
            return None
        return cls(path)

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
        self._check_words(reviewer, note)
        evidence = evidence_of(finding_json)
        when = (at or now_utc()).astimezone(timezone.utc)  # microseconds: two saves in one second keep their order
        event = Event(case_id, finding_json["id"], decision, note.strip(), reviewer.strip(),
                      time_text(when), fingerprint(evidence), evidence)
        self.add([event])
        return event

    def add(self, events: Iterable[Event], batch: Batch | None = None) -> int:
        """Append events not already in the log (by content); return how many were new."""
        rows = [(e.uid, e.case_id, e.finding, e.decision, e.note, e.reviewer, e.at, e.fingerprint, e.evidence,
                 e.kind, batch.batch if batch else e.batch) for e in events]
        self.conn.execute("BEGIN IMMEDIATE")  # the count below is this writer's alone
        try:
            before = self.count()
            self.conn.executemany(f"INSERT OR IGNORE INTO events (uid, {_COLUMNS}) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            added = self.count() - before
            if batch is not None:
                self.conn.execute("INSERT INTO batches (batch, file, at, events) VALUES (?, ?, ?, ?)",
                                  [batch.batch, batch.file, batch.at, added])
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return added

    def import_events(self, events: list[Event], case_ids: set[str], file_name: str,
                      at: datetime | None = None) -> tuple[int, Batch]:
        """Append a colleague's events as one batch, after checking each against this folder's cases.

        Returns how many were new and the batch (its name is what `reviews withdraw` takes)."""
        when = at or now_utc()
        for number, event in enumerate(events, start=1):
            if event.case_id not in case_ids:
                raise ReviewError(f"{file_name} decision {number}: there is no case {event.case_id!r} in this folder")
            why = unusable(event, when)
            if why:
                raise ReviewError(f"{file_name} decision {number}: {why}")
        batch = Batch(when.strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3), file_name, time_text(when), 0)
        return self.add(events, batch), batch

    def withdraw(self, batch: str, reviewer: str, note: str = "", at: datetime | None = None) -> Batch:
        """Withdraw an imported batch: its events stay in the log but no longer count."""
        found = {b.batch: b for b in self.batches()}.get(batch)
        if found is None:
            raise ReviewError(f"there is no imported batch {batch!r}; `riskcheck reviews batches` lists them")
        if found.withdrawn:
            raise ReviewError(f"the batch {batch} was withdrawn already ({found.withdrawn})")
        if not reviewer.strip() or len(reviewer) > MAX_REVIEWER_CHARS or len(note) > MAX_NOTE_CHARS:
            raise ReviewError("a withdrawal needs the reviewer's name (and a note of at most "
                              f"{MAX_NOTE_CHARS:,} characters)")
        self.conn.execute("INSERT INTO withdrawals (batch, reviewer, note, at) VALUES (?, ?, ?, ?)",
                          [batch, reviewer.strip(), note.strip(), time_text(at or now_utc())])
        return {b.batch: b for b in self.batches()}[batch]

    def batches(self) -> list[Batch]:
        withdrawn = {b: f"by {r} at {a}" for b, r, a in
                     self.conn.execute("SELECT batch, reviewer, at FROM withdrawals ORDER BY seq")}
        return [Batch(b, f, a, n, withdrawn.get(b, "")) for b, f, a, n in
                self.conn.execute("SELECT batch, file, at, events FROM batches ORDER BY at, batch")]

    def _withdrawn(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT batch FROM withdrawals")}

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM events").fetchone()[0]

    def _rows(self, case_id: str | None, finding: str | None = None, kind: str | None = None) -> list[Event]:
        sql, where, args = f"SELECT {_COLUMNS} FROM events", [], []
        if case_id is not None:
            where.append("case_id = ?")
            args.append(case_id)
            if finding is not None:
                where.append("finding = ?")
                args.append(finding)
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [Event(*(_text(v) for v in row)) for row in self.conn.execute(sql, args)]

    def read(self, case_id: str | None = None, finding: str | None = None,
             now: datetime | None = None, kind: str | None = "decision") -> tuple[list[Event], list[Unreadable]]:
        """(usable events oldest first, ties broken by content id; events that cannot be used, with why).

        Only events of `kind` (decisions on findings unless told; None reads every kind). An event of a
        withdrawn batch is neither usable nor unreadable: it is simply no longer counted."""
        now = now or now_utc()
        withdrawn = self._withdrawn()
        good, bad = [], []
        for event in self._rows(case_id, finding, kind):
            if event.batch and event.batch in withdrawn:
                continue
            why = unusable(event, now)
            if why:
                bad.append(Unreadable(event.case_id, event.finding, event.at, event.reviewer, why))
            else:
                good.append(event)
        good.sort(key=lambda e: (e.case_id, e.finding, e.at, e.uid))
        bad.sort(key=lambda u: (u.case_id, u.finding, u.at, u.why))
        return good, bad

    def events(self, case_id: str | None = None, kind: str | None = "decision") -> Iterator[Event]:
        """Every usable event (of one case), oldest first; ties between machines broken by content id."""
        return iter(self.read(case_id, kind=kind)[0])

    def record_link(self, case_id: str, person: str, relative: str, decision: str, reviewer: str, note: str = "",
                    hint: list[str] | None = None, at: datetime | None = None) -> Event:
        """Record a reviewer's word on two person records: `relative` is `person`'s DECISION (a relation
        kind), or they are not related, the same person, not the same, or the reviewer is unsure.

        `hint` is what the run said about the pair when the reviewer decided (its reasons, in words)."""
        from riskcheck.review.links import link_evidence, link_key  # links imports this module

        decision = decision.strip().lower()
        self._check_words(reviewer, note)
        evidence = link_evidence(person, relative, decision, hint or [])
        when = (at or now_utc()).astimezone(timezone.utc)
        event = Event(case_id, link_key(person, relative), decision, note.strip(), reviewer.strip(),
                      time_text(when), fingerprint(evidence), evidence, kind="link")
        why = unusable(event, when)
        if why:
            raise ReviewError(why)
        self.add([event])
        return event

    @staticmethod
    def _check_words(reviewer: str, note: str) -> None:
        """A reviewer's name and note that can be recorded, or ReviewError saying why not."""
        if not reviewer.strip():
            raise ReviewError("a decision needs the reviewer's name")
        if len(reviewer.strip()) > MAX_REVIEWER_CHARS:
            raise ReviewError(f"the reviewer's name is longer than {MAX_REVIEWER_CHARS} characters")
        if len(note) > MAX_NOTE_CHARS:
            raise ReviewError(f"the note is longer than {MAX_NOTE_CHARS:,} characters")
        for name, text in (("note", note), ("reviewer's name", reviewer)):
            if not encodable(text):
                raise ReviewError(f"the {name} holds a character that is not text (a lone surrogate)")

    def unreadable(self, case_id: str | None = None) -> list[Unreadable]:
        return self.read(case_id)[1]

    def history(self, case_id: str, finding: str) -> list[Event]:
        """One finding's events, oldest first."""
        return sorted(self.read(case_id, finding)[0], key=lambda e: (e.at, e.uid))

    def current_decisions(self, case_id: str) -> dict[str, str]:
        """Finding key -> its latest decision (for listings)."""
        return {finding: history[-1].decision for finding, history in self.histories(case_id).items()}

    def histories(self, case_id: str) -> dict[str, list[Event]]:
        """Finding key -> its events, oldest first (the last is the current decision)."""
        out: dict[str, list[Event]] = {}
        for event in self.events(case_id):
            out.setdefault(event.finding, []).append(event)
        return out


def _text(value) -> str:
    """A column as text: a damaged row may hold a number or bytes where text belongs."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)
