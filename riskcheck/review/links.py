"""A reviewer's word on two person records: a kinship hint confirmed or rejected, a possible same person settled.

These are events of kind "link" in the decision log (riskcheck.review.decisions), kept, checked, exported
and withdrawn like decisions on findings. The pair is the event's key (`link:A|B`, the ids in order, so a
later decision on B and A is a later decision on the same pair); the evidence says which way the decision
reads (B is A's KIND, as in relations) and what the run said about the pair when the reviewer decided.
The latest decision on a pair is its current one; `unsure` is a decision that changes nothing.

A run applies the current decisions before kinship is derived (riskcheck.registry.reviewed): they are
data of a kind a reader must be able to tell apart, so every one is shown with who decided, when and why.
"""

from __future__ import annotations

import json

from riskcheck.registry.reviewed import LinkDecision
from riskcheck.review.decisions import DecisionLog
from riskcheck.review.events import Event


def link_key(person: str, relative: str) -> str:
    a, b = sorted((person, relative))
    return f"link:{a}|{b}"


def link_evidence(person: str, relative: str, decision: str, hint: list[str]) -> str:
    """What a link decision was made on, canonically written (its fingerprint is the log's)."""
    return json.dumps({"person": person, "relative": relative, "kind": decision, "hint": list(hint)},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def link_problem(event: Event, evidence) -> str:
    """Why a link event's evidence is not what it claims (in words), or ""."""
    if not isinstance(evidence, dict) or not all(isinstance(evidence.get(k), str) for k in ("person", "relative",
                                                                                             "kind")):
        return "its evidence is not a pair of persons (it needs a person, a relative and a kind)"
    if not isinstance(evidence.get("hint", []), list) or not all(isinstance(x, str) for x in evidence.get("hint", [])):
        return "its evidence's hint is not a list of texts"
    person, relative = evidence["person"], evidence["relative"]
    if not person.strip() or not relative.strip() or person == relative:
        return "a decision on two persons needs two different person ids"
    if evidence["kind"] != event.decision:
        return f"its evidence says {evidence['kind'][:40]!r}, its decision {event.decision[:40]!r}"
    if link_key(person, relative) != event.finding:
        return f"its evidence is the pair {person[:60]!r} and {relative[:60]!r}, not {event.finding[:80]!r}"
    return ""


def current_links(log: DecisionLog | None, case_id: str) -> list[LinkDecision]:
    """Each pair's latest decision in this case (unsure included), ordered by pair."""
    if log is None:
        return []
    latest: dict[str, Event] = {}
    for event in log.events(case_id, kind="link"):  # oldest first: the last one per pair wins
        latest[event.finding] = event
    out = []
    for key in sorted(latest):
        e = latest[key]
        data = json.loads(e.evidence)
        out.append(LinkDecision(data["person"], data["relative"], e.decision, e.reviewer, e.at, e.note, e.uid,
                                e.imported, tuple(data.get("hint", []))))
    return out


def hints_to_check(resolution, decisions: list[LinkDecision]) -> int:
    """Listed pairs no reviewer has settled: hints that would change a finding and possible same persons
    (an `unsure` settles nothing). A confirmed or rejected hint is no longer a hint on the next run."""
    from riskcheck.names.resolve import listed_hints

    settled = {frozenset((d.person, d.relative)) for d in decisions if d.decision != "unsure"}
    return sum(1 for x in [*listed_hints(resolution), *resolution.possible]
               if frozenset((x.left, x.right)) not in settled)
