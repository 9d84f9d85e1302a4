"""Whether an event can be used: checked when it is imported and again whenever it is read.

An event damaged in the log, or one in a colleague's export, is refused with why in words; deep JSON is
refused before it is parsed, and every text must be encodable, so a bad event never stops a report.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Iterable, Iterator

from riskcheck.registry.dates import parse_time
from riskcheck.review.events import (CLOCK_SKEW, CONTENT_FIELDS, DECISIONS, KINDS, LINK_WORDS, MAX_EVIDENCE_CHARS,
                                     MAX_JSON_DEPTH, MAX_LINE_CHARS, MAX_NOTE_CHARS, MAX_REVIEWER_CHARS, Event,
                                     ReviewError, fingerprint)


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_depth_ok(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON text nests no deeper than `limit` (checked before parsing: deep nesting crashes the parser)."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


FINDING_TEXT_FIELDS = ("id", "rule", "status", "summary")


def unusable(event: Event, now: datetime) -> str:
    """Why an event cannot be used (in words), or "" when it can. Checked on import and on every read."""
    if event.kind not in KINDS:
        return f"it records a {event.kind!r}, which this version of riskcheck does not know"
    if event.kind == "decision" and event.decision not in DECISIONS:
        return f"its decision {event.decision!r} is not one of {', '.join(DECISIONS)}"
    if event.kind == "link" and event.decision not in link_decisions():
        return (f"its decision on two persons {event.decision[:40]!r} is not a relation kind nor one of "
                f"{', '.join(LINK_WORDS)}")
    for name in ("case_id", "finding", "decision", "note", "reviewer", "at", "fingerprint", "evidence", "kind"):
        if not encodable(getattr(event, name)):
            return f"its {name} holds a character that is not text (a lone surrogate)"
    if not event.reviewer.strip() or len(event.reviewer) > MAX_REVIEWER_CHARS:
        return f"the reviewer's name is empty or longer than {MAX_REVIEWER_CHARS} characters"
    if len(event.note) > MAX_NOTE_CHARS:
        return f"the note is longer than {MAX_NOTE_CHARS:,} characters"
    if not event.case_id or len(event.case_id) > 200 or not event.finding or len(event.finding) > 300:
        return "its case or finding id is empty or too long"
    when = parse_time(event.at)
    if when is None:
        return f"its time {event.at[:40]!r} is not a date and time with its zone"
    if when > now + CLOCK_SKEW:
        return f"its time {event.at[:40]} is later than now: it would hide every later decision"
    if len(event.evidence) > MAX_EVIDENCE_CHARS:
        return f"its evidence is longer than {MAX_EVIDENCE_CHARS:,} characters"
    if fingerprint(event.evidence) != event.fingerprint:
        return "the evidence does not match its fingerprint"
    if not json_depth_ok(event.evidence):
        return f"its evidence nests deeper than {MAX_JSON_DEPTH} levels"
    try:
        finding = json.loads(event.evidence)
    except (ValueError, RecursionError):
        return "its evidence is not JSON"
    if event.kind == "link":
        from riskcheck.review.links import link_problem
        return link_problem(event, finding)
    if not isinstance(finding, dict) or not all(isinstance(finding.get(k), str) for k in FINDING_TEXT_FIELDS):
        return "its evidence is not a finding (a finding has an id, a rule, a status and a summary)"
    if finding["id"] != event.finding or not event.finding.startswith(finding["rule"] + "-"):
        return f"its evidence is the finding {finding['id'][:80]!r}, not {event.finding[:80]!r}"
    if not all(encodable(s) for s in _strings(finding)):
        return "its evidence holds a character that is not text (a lone surrogate)"
    return ""


def link_decisions() -> tuple[str, ...]:
    """What a decision on two person records may say: a relation kind of the contract, or a LINK_WORD."""
    from riskcheck.registry.schema import load_schema
    return tuple(load_schema().types["relations"].fields["kind"].values) + LINK_WORDS


def read_events(lines: Iterable[str], shown: str) -> list[Event]:
    """Events from an export (JSON lines), each checked for form; a damaged line is an error naming it.

    What the events say (their case, time and evidence) is checked by DecisionLog.import_events."""
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_CHARS:
            raise ReviewError(f"{shown} line {number}: longer than {MAX_LINE_CHARS:,} characters")
        if not json_depth_ok(line):
            raise ReviewError(f"{shown} line {number}: nests deeper than {MAX_JSON_DEPTH} levels")
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise ReviewError(f"{shown} line {number}: not a decision ({type(exc).__name__}: {exc})") from None
        if not isinstance(data, dict):
            raise ReviewError(f"{shown} line {number}: not a decision (not a JSON object)")
        try:
            event = Event(**{f: data[f] for f in CONTENT_FIELDS if f in data or f != "kind"})
        except (KeyError, TypeError) as exc:
            raise ReviewError(f"{shown} line {number}: not a decision (missing {exc})") from None
        if not all(isinstance(getattr(event, f), str) for f in CONTENT_FIELDS):
            raise ReviewError(f"{shown} line {number}: not a decision (a field is missing or not text)")
        if not all(encodable(getattr(event, f)) for f in CONTENT_FIELDS):
            raise ReviewError(f"{shown} line {number}: a field holds a character that is not text (a lone surrogate)")
        if data.get("uid") not in (None, event.uid):
            raise ReviewError(f"{shown} line {number}: the decision was altered after it was exported "
                              "(its content no longer matches its uid)")
        if fingerprint(event.evidence) != event.fingerprint:
            raise ReviewError(f"{shown} line {number}: the evidence does not match its fingerprint")
        out.append(event)
    return out
