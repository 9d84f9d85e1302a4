"""A finding's review state on this run: the latest decision, its history, and what changed since.

"Changed since reviewed" compares the finding as it is now with the evidence the latest decision was
made on, fact by fact, in words a reviewer can act on ("the appointment date moved from 1 April 2023 to
1 September 2023", "status was flagged, now undetermined"). Evidence saved by an earlier version carries
less (no facts, no steps): only what it carries is compared, so an old decision is not marked changed for
lack of a field. A decided finding that this run no longer gives stays listed, so no decision silently
disappears; one that only an import speaks of is marked as imported.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from riskcheck.review.events import DECISIONS, Event, evidence_of, fingerprint
from riskcheck.i18n import N_, _
from riskcheck.review.evidence import basis, fact_changes, fact_sources_changed, source_changes, step_changes

# A finding's review state: "open" is a finding no one has decided on yet, and nothing else.
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

    @property
    def imported_only(self) -> bool:
        """Every event on it came in an import: nothing on this machine vouches for the finding."""
        return all(e.imported for e in self.history)

    @property
    def was(self) -> dict:
        """The finding as the current decision saw it (the log's reader has checked it is a finding)."""
        return self.current.evidence_json()

    def to_json(self) -> dict:
        return {"decision": self.decision, "reviewer": self.current.reviewer, "at": self.current.at,
                "note": self.current.note, "changed_since": self.changed, "decisions": len(self.history),
                **({"imported": True} if self.current.imported else {})}


def review_states(histories: dict[str, list[Event]], findings: list, evidence_for=None
                  ) -> tuple[dict[str, ReviewState], list[ReviewState]]:
    """(finding id -> state for the decided findings among `findings`, states of decided findings not among them).

    `findings` are engine Findings; only the decided ones are turned into evidence (`evidence_for`, by
    default the finding's JSON) to compare with what the decision saw, so a national case with few
    decisions costs little.
    """
    evidence_for = evidence_for or (lambda f: f.to_json())
    now = {f.id: f for f in findings}
    states = {}
    for key, history in histories.items():
        finding = now.get(key)
        if finding is None:
            continue
        current = history[-1]
        evidence = evidence_for(finding)
        # The same bytes are the same evidence; otherwise compare what the finding rests on, not its words.
        changed = [] if fingerprint(evidence_of(evidence)) == current.fingerprint else \
            what_changed(current.evidence_json(), evidence)
        states[key] = ReviewState(key, history, changed)
    gone = [ReviewState(key, history, gone=True) for key, history in sorted(histories.items()) if key not in now]
    return states, gone


def review_counts(finding_ids: list[str], decision_of: dict[str, str]) -> dict[str, int]:
    """How many findings are open (no decision) or have each decision as their latest."""
    counts = Counter(decision_of.get(fid, "open") for fid in finding_ids)
    return {s: counts.get(s, 0) for s in REVIEW_STATES}


def desk_counts(finding_ids: list[str], states: dict[str, ReviewState], gone: list) -> dict[str, int]:
    """What a desk must look at: open leads, decisions whose evidence changed, and decided leads no longer found."""
    return {"open": sum(1 for fid in finding_ids if fid not in states),
            "changed": sum(1 for s in states.values() if s.changed), "no longer found": len(gone)}


_WORDS = {"identity_links": N_("the identity links"), "related": N_("the related persons"),
          "person": N_("the person"), "severity": N_("the severity"), "figures": N_("the figures")}


def what_changed(then: dict, now: dict) -> list[str]:
    """What differs between the evidence a decision saw and the finding now, in words; [] when nothing does.

    Only the basis is compared (review.evidence.basis: rule, version, status, records, facts, sources, each
    step's outcome and value), never the words, so a finding decided in English and read in Russian is not
    changed. Only what `then` carries is compared: evidence saved before facts were kept is not marked for
    lacking them."""
    shown = now  # the finding as this run writes it, for the words that name a step
    then, now = basis(then), carried(basis(then), basis(now))
    if evidence_of(then) == evidence_of(now):
        return []
    out = []
    if then.get("status") != now.get("status"):
        out.append(_("status was %(old)s, now %(new)s") % {"old": _word(then.get("status")),
                                                             "new": _word(now.get("status"))})
    if then.get("rule_version") != now.get("rule_version"):
        out.append(_("rule version was %(old)s, now %(new)s") % {"old": then.get("rule_version"),
                                                                   "new": now.get("rule_version")})
    titles = {**(then.get("source_titles") or {}), **(now.get("source_titles") or {})}
    old_sources, new_sources = set(_list(then.get("sources"))), set(_list(now.get("sources")))
    if old_sources != new_sources and not fact_sources_changed(then, now):  # else said of the fact
        out.append(_("sources: %(changes)s") % {"changes": source_changes(old_sources, new_sources, titles)})
    out += fact_changes(then, now)
    old_records, new_records = then.get("records") or {}, now.get("records") or {}
    if isinstance(old_records, dict) and isinstance(new_records, dict):
        for name in sorted(set(old_records) | set(new_records)):
            if old_records.get(name) != new_records.get(name):
                out.append(_("records behind %(name)s: were %(old)s, now %(new)s")
                           % {"name": name, "old": _ids(old_records.get(name)), "new": _ids(new_records.get(name))})
    out += step_changes(then, now, shown)
    for key, words in _WORDS.items():
        if then.get(key) != now.get(key):
            out.append(_("%(what)s changed") % {"what": _(words)})
    return out or [_("the evidence changed")]


def carried(then: dict, now: dict) -> dict:
    """`now` with only the fields `then` carries, step by step (a step saved before values were kept has none)."""
    out = {k: v for k, v in now.items() if k in then}
    old_steps, new_steps = then.get("steps"), out.get("steps")
    if isinstance(old_steps, list) and isinstance(new_steps, list):
        out["steps"] = [{k: v for k, v in b.items() if k in a} if isinstance(a, dict) and isinstance(b, dict) else b
                        for a, b in zip(old_steps, new_steps)] + new_steps[len(old_steps):]
    return out


def _list(value) -> list:
    return [str(v) for v in value] if isinstance(value, list) else []


def _word(value) -> str:
    """A status or severity as a reader sees it."""
    return _(value) if isinstance(value, str) and value else str(value)


def _ids(value) -> str:
    if value is None:
        return _("none")
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def attach_reviews(result, log, registry=None) -> None:
    """Give a checked case (riskcheck.results.CaseResult) its review states from the decision log.

    With the case's registry the evidence holds every fact's values, so changes are named fact by fact."""
    evidence_for = None
    if registry is not None:
        from riskcheck.engine.evaluate import RecordLookup
        from riskcheck.review.evidence import review_evidence

        lookup = RecordLookup(registry)
        evidence_for = lambda f: review_evidence(f, lookup)  # noqa: E731
    histories, unreadable = log.read(result.id)
    grouped: dict[str, list[Event]] = {}
    for event in histories:
        grouped.setdefault(event.finding, []).append(event)
    states, gone = review_states(grouped, result.findings, evidence_for)
    result.reviews, result.reviews_gone, result.reviewing = states, gone, True
    result.reviews_unreadable = unreadable
