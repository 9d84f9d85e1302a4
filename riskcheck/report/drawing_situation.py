"""What a finding's drawing shows, read from the finding's own evidence: one situation of people, links and posts.

Read from its steps and the records they state (`facts`, as findings.json and the desk's saved evidence hold
them), never from the rule's variable names, so a new rule is drawn without code. `situation()` reads the
people (marked as the person the finding is about, convicted, appointee, appointing authority, direct superior
or subordinate), each family link with its kind and status (recorded, alleged, inferred), the posts with their
reporting line and the appointments with their dates, a unit indicator's unit and its group of relatives or
its same-name groups. Where they go on the page is report/drawing.py's job.

Every word a drawing writes goes through `say()` (relation names through the report's kinship words, dates
through `when()`), so it can be translated in one place. Text is plain: the page template escapes it, and
hidden characters in a name are shown as marks ([U+202E]) as everywhere else on a page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from riskcheck.engine.facts import OUTCOME_WORDS
from riskcheck.engine.findings import Finding
from riskcheck.i18n import N_, _, format_number
from riskcheck.templating import date_words
from riskcheck.textsafety import reveal

# Every word a drawing writes, by key: one place to translate.
WORDS = {
    "subject": N_("the person the finding is about"),
    "convicted": N_("convicted"),
    "appointee": N_("appointee"),
    "authority": N_("appointing authority"),
    "superior": N_("direct superior"),
    "subordinate": N_("subordinate"),
    "verdict": N_("{outcome}: verdict {verdict}; in force {in_force}"),
    "verdict convicted": N_("verdict {verdict}; in force {in_force}"),
    "same person": N_("two person records taken as one"),
    "appointed": N_("appointed {date}"),
    "until": N_("until {date}"),
    "appointed by": N_("appointed by {name}"),
    "resigned": N_("resignation submitted {date}"),
    "admitted": N_("admitted {date}"),
    "left": N_("left {date}"),
    "in post": N_("in post from {date}"),
    "unknown date": N_("on a day not known"),
    "link": N_("{kind} of"),
    "link to": N_("{kind} of {name}"),
    "since": N_("from {date}"),
    "reports to": N_("reports to"),
    "unit": N_("the unit: {name}"),
    "unit staff": N_("{staff} staff"),
    "same name": N_("{count} staff share a {names} ({pairs} pairs); a shared name is not a family link"),
    "more people": N_("{count} more not drawn: see the reasoning"),
    "status confirmed": N_("confirmed"),
    "status reported": N_("reported"),
    "status alleged": N_("alleged"),
    "status inferred": N_("inferred from names, not recorded"),
    "status unsourced": N_("no source"),
    "status reviewer": N_("a reviewer's decision"),
    "title person": N_("Drawing of the situation: {names}"),
    "title unit": N_("Drawing of the unit {name}"),
    "person desc": N_("{name}{marks}."),
    "link desc": N_("{upper} is the {kind} of {lower} ({status}{dates})."),
    "post desc": N_("{name} holds the post {post}{details}."),
    "program desc": N_("{name}: {program}{details}."),
    "reports desc": N_("The post {lower} reports to the post {upper}."),
    "group desc": N_("{header}: {names}."),
    "legend sides": N_("People on the left, joined by their family links; their posts on the right."),
    "legend posts": N_("People on the left, their posts on the right."),
    "legend people": N_("The people, joined by their family links."),
    "legend unit": N_("The unit at the top; its staff below, joined by their family links."),
    "legend names": N_("The unit at the top; below, each group of staff sharing a name."),
    "legend alleged": N_("A dashed line is an alleged family link."),
    "legend inferred": N_("A dotted line is a family link inferred from names, not recorded."),
    "legend subject": N_("A thick border marks the person the finding is about."),
    "legend convicted": N_("A black band marks a person convicted."),
    "legend superior": N_("A double border marks the direct superior."),
    "legend reports": N_("An arrow between posts is the reporting line."),
    "names surname": N_("surname"),
    "names patronymic": N_("patronymic"),
    "names surname_and_patronymic": N_("surname and patronymic"),
    "and": N_(", "),
}


def say(key: str, **values: object) -> str:
    """The drawing's words for `key`, in the language being written (the catalogs), filled with `values`."""
    return _(WORDS[key]).format(**values)


def when(text: str | None) -> str:
    """A date as the drawing writes it (one place, so a new wording of dates is a one-line change)."""
    words = date_words(text)
    return say("unknown date") if words == "unknown" else words


MAX_PEOPLE = 12  # drawn in one situation; the rest are counted and left to the reasoning
MAX_GROUPS = 6  # same-name groups drawn for a unit
MAX_IN_GROUP = 10

# What is drawn


@dataclass
class Person:
    id: str
    name: str
    marks: list[str] = field(default_factory=list)  # subject, convicted, appointee, authority, superior, subordinate
    notes: list[str] = field(default_factory=list)  # a verdict, a post known only by its dates ...


@dataclass
class Link:
    """A family link: `relative` is the `kind` of `person`, as a relation record says it."""
    person: str
    relative: str
    kind: str
    status: str  # confirmed | reported | alleged | inferred
    notes: list[str] = field(default_factory=list)  # no source, a reviewer's decision
    start: str | None = None
    end: str | None = None


@dataclass
class Item:
    """A post or a programme, drawn in the right column beside its holder."""
    id: str
    holder: str | None
    shape: str  # post | program
    lines: list[str]  # title first, then what is known of it
    reports_to: str | None = None


@dataclass
class Situation:
    key: str
    people: dict[str, Person]
    links: list[Link]
    items: list[Item]
    unit: list[str] = field(default_factory=list)  # a unit indicator's header lines
    groups: list[tuple[str, list[str]]] = field(default_factory=list)  # same-name groups: words, people
    more: int = 0  # people left out of the drawing
    kind: str = "person"  # person | unit | names
    above: list[tuple[str, str]] = field(default_factory=list)  # (drawn higher, drawn lower): superiors, authorities
    unit_name: str = ""


def situation(finding: Finding, facts: dict[str, dict], name: Callable[[str], str]) -> Situation | None:
    """What a finding's drawing shows, read from its steps and the records they state; None when there is
    nothing to draw (no person, no unit)."""
    records: list[tuple[str, dict]] = []
    seen: set[str] = set()
    identity = {link.get("taken_as") for link in finding.identity_links}
    flags: dict[str, list[str]] = {}
    hints: list[str] = []
    group_steps = []
    for step in finding.steps:
        ref = f"{step.record_type}/{step.record_id}" if step.record_type and step.record_id else None
        if step.record_type == "kinship" and (step.record_id or "").startswith("hint:"):
            hints.append(step.record_id or "")
        if step.people:
            group_steps.append(step)
        if ref is None or ref in seen or ref not in facts:
            continue
        seen.add(ref)
        records.append((step.record_type or "", facts[ref]))
        flags[ref] = list(step.flags)

    def named(pid: str) -> str:
        record = facts.get(f"persons/{pid}") or {}
        return reveal(str(record.get("name") or name(pid)))

    people: dict[str, Person] = {}

    def person(pid: str | None) -> Person | None:
        if not pid:
            return None
        if pid not in people:
            people[pid] = Person(pid, named(pid))
        return people[pid]

    if finding.unit is None:
        person(finding.person)
        for pid in finding.related:
            person(pid)
    links: list[Link] = []
    items: list[Item] = []
    tenures = [r for t, r in records if t == "tenures"]
    positions = {r["id"]: r for t, r in records if t == "positions"}
    organizations = {r["id"]: r for t, r in records if t == "organizations"}
    programs = {r["id"]: r for t, r in records if t == "programs"}
    resignations = [r for t, r in records if t == "resignations"]
    for type_name, record in records:
        if type_name == "relations":
            person(record.get("person_id"))
            person(record.get("relative_id"))
            notes = []
            ref_flags = flags.get(f"relations/{record['id']}", [])
            status = str(record.get("status") or "reported")
            if "alleged" in ref_flags:
                status = "alleged"
            if "unsourced" in ref_flags:
                notes.append(say("status unsourced"))
            if "reviewer's decision" in ref_flags:
                notes.append(say("status reviewer"))
            links.append(Link(str(record["person_id"]), str(record["relative_id"]), str(record.get("kind")), status,
                              notes, record.get("start"), record.get("end")))
        elif type_name == "verdicts":
            who = person(record.get("person_id"))
            if who is not None:
                outcome = str(record.get("outcome") or "")
                if outcome == "convicted":
                    who.marks.append("convicted")
                who.notes.append(say("verdict convicted" if outcome == "convicted" else "verdict", outcome=_(OUTCOME_WORDS[outcome]) if outcome in OUTCOME_WORDS else outcome,
                                     verdict=when(record.get("verdict_date")),
                                     in_force=when(record.get("in_force_date"))))
        elif type_name in ("tenures", "memberships"):
            person(record.get("person_id"))
    for hint in hints:
        pair = _hint_pair(hint, set(people) | {finding.person, *finding.related})
        if pair is not None:
            person(pair[0])
            person(pair[1])
            links.append(Link(pair[0], pair[1], "parent", "inferred"))
    for taken in identity:
        if taken in people:
            people[taken].notes.append(say("same person"))

    held = set()
    above: list[tuple[str, str]] = []
    for tenure in tenures:
        post = positions.get(tenure.get("position_id") or "")
        holder = str(tenure.get("person_id"))
        lines = []
        if post is not None:
            held.add(post["id"])
            lines.append(reveal(str(post.get("title") or "")))
            org = organizations.get(post.get("organization_id") or "")
            if org is not None:
                lines.append(reveal(str(org.get("name") or "")))
        dates = [say("appointed", date=when(tenure.get("start")))]
        if tenure.get("end"):
            dates.append(say("until", date=when(tenure.get("end"))))
        if post is None:  # the post is not among the facts: its dates go with the person
            people[holder].notes.append(say("in post", date=when(tenure.get("start"))) +
                                        (", " + say("until", date=when(tenure["end"])) if tenure.get("end") else ""))
            continue
        lines.append(", ".join(dates))
        if tenure.get("appointed_by"):
            lines.append(say("appointed by", name=named(str(tenure["appointed_by"]))))
            if tenure["appointed_by"] in people:
                people[tenure["appointed_by"]].marks.append("authority")
                people[holder].marks.append("appointee")
                above.append((str(tenure["appointed_by"]), holder))
        for resignation in resignations:
            if resignation.get("person_id") == holder and resignation.get("position_id") in (None, post["id"]):
                lines.append(say("resigned", date=when(resignation.get("submitted"))))
        items.append(Item(post["id"], holder, "post", lines, post.get("reports_to")))
    for post_id, post in positions.items():
        if post_id not in held:
            org = organizations.get(post.get("organization_id") or "")
            items.append(Item(post_id, None, "post", [reveal(str(post.get("title") or ""))] +
                              ([reveal(str(org.get("name") or ""))] if org else []), post.get("reports_to")))
    for type_name, record in records:
        if type_name == "memberships":
            program = programs.get(record.get("program_id") or "") or {}
            lines = [reveal(str(program.get("name") or "")), say("admitted", date=when(record.get("admitted")))]
            if record.get("left"):
                lines.append(say("left", date=when(record["left"])))
            items.append(Item(str(record["id"]), str(record["person_id"]), "program", lines))

    shown = {i.id: i for i in items if i.shape == "post"}
    for item in items:
        upper = shown.get(item.reports_to or "")
        if upper is not None and upper.holder and item.holder:
            people[upper.holder].marks.append("superior")
            people[item.holder].marks.append("subordinate")
            above.insert(0, (upper.holder, item.holder))
    if finding.unit is None and finding.person in people:
        people[finding.person].marks.insert(0, "subject")
        if not ({"appointee", "superior", "subordinate"} & set(people[finding.person].marks)) and any(
                i.holder == finding.person and i.shape == "post" for i in items):
            people[finding.person].marks.append("appointee")
    for p in people.values():
        p.marks = list(dict.fromkeys(p.marks))

    out = Situation(finding.id, people, links, items, above=above)
    if finding.unit is not None:
        figures = finding.figures
        out.unit_name = reveal(str(figures.get("unit_name") or finding.unit))
        out.unit = [say("unit", name=out.unit_name)]
        if figures.get("staff") is not None:
            out.unit.append(say("unit staff", staff=format_number(figures["staff"])))
        out.kind = "unit"
        if group_steps:
            out.kind = "names"
            names = say("names " + str(figures.get("names") or "surname")) if (
                "names " + str(figures.get("names"))) in WORDS else say("names surname")
            for step in group_steps[:MAX_GROUPS]:
                members = list(dict.fromkeys(step.people))
                for pid in members[:MAX_IN_GROUP]:
                    person(pid)
                count = len(members)
                header = say("same name", count=count, names=names, pairs=count * (count - 1) // 2)
                out.groups.append((header, members[:MAX_IN_GROUP]))
                out.more += max(0, count - MAX_IN_GROUP)
            out.more += sum(len(s.people) for s in group_steps[MAX_GROUPS:])
    elif not people:
        return None
    if len(people) > MAX_PEOPLE and out.kind != "names":
        keep = list(people)[:MAX_PEOPLE]
        out.more = len(people) - MAX_PEOPLE
        out.people = {pid: people[pid] for pid in keep}
        out.links = [k for k in links if k.person in out.people and k.relative in out.people]
        out.items = [i for i in items if i.holder is None or i.holder in out.people]
    return out


def _hint_pair(hint: str, known: set[str]) -> tuple[str, str] | None:
    """(child, parent) of a kinship hint's id ('hint:CHILD>PARENT' or 'hint:PARENT<CHILD'), read so that both
    sides are persons the finding names (an id may itself hold '<' or '>')."""
    body = hint[len("hint:"):]
    for at, sign in ((m.start(), m.group()) for m in re.finditer("[<>]", body)):
        left, right = body[:at], body[at + 1:]
        if left in known and right in known:
            return (left, right) if sign == ">" else (right, left)
    return None


def people_of(finding: Finding, facts: dict[str, dict]) -> set[str]:
    """Every person a finding's drawing may name, so a page can fetch their names at once."""
    out = {finding.person, *finding.related} - {""}
    for ref, record in facts.items():
        for key in ("person_id", "relative_id", "appointed_by"):
            if isinstance(record.get(key), str):
                out.add(record[key])
    for step in finding.steps:
        out.update(step.people)
    return out
