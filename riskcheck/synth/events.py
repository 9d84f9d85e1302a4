"""Synthetic events: verdicts of every outcome (offences that last weeks to months), resignations in
time, late, from another post, by the end of a tenure and never, a personnel reserve, planted cases of
every shipped rule, and the ground truth of what the rules must find.

The ground truth is computed here, independently of the engine: planted kinship cases carry their
expected status (none where the only link is alleged or a namesake's), and the resignation duty's
expected findings are worked out from the generated timelines with plain Python date arithmetic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Iterator

from riskcheck.registry.dates import add_months
from riskcheck.synth.families import Families, Person, stem_of, to_cyrillic
from riskcheck.synth.government import Careers, Government, Tenure
from riskcheck.synth.namesakes import NameMatchPlant

DUTY_FROM = date(2019, 12, 10)


@dataclass
class Verdict:
    id: str
    person: str
    offence: str
    category: str
    outcome: str
    offence_start: date
    verdict_date: str  # ISO, possibly partial
    in_force: str  # ISO, possibly partial, or ""
    planted: bool = False
    offence_end: date | None = None  # an offence that lasted a while is committed when complete
    record: str | None = None  # the person record the verdict names, where not `person` (a court register's)

    @property
    def committed(self) -> date:
        return self.offence_end or self.offence_start


@dataclass
class Events:
    verdicts: list[Verdict] = field(default_factory=list)
    resignations: list[tuple] = field(default_factory=list)  # (id, person, submitted, position)
    memberships: list[tuple] = field(default_factory=list)  # (id, person, admitted)
    extra_relations: list[tuple] = field(default_factory=list)
    expected: list[dict] = field(default_factory=list)  # ground truth findings
    court_persons: list[tuple] = field(default_factory=list)  # (id, name, birth, gender) in a court register
    extra_persons: list = field(default_factory=list)  # families.Person records added by planted cases
    planted_quiet: dict[str, int] = field(default_factory=dict)  # planted cases that must give no finding
    name_matches: list[NameMatchPlant] = field(default_factory=list)  # planted findings that rest on one


def _iso(d: date) -> str:
    return d.isoformat()


def background_verdicts(gov: Government, ev: Events, rng: random.Random, n: int, as_of: date) -> None:
    tenures = [t for t in gov.tenures if (t.end or as_of) - t.start > timedelta(days=120)]
    outcomes = (("convicted", 0.62), ("acquitted", 0.10), ("terminated_nonrehabilitating", 0.12),
                ("terminated_rehabilitating", 0.06), ("pending", 0.10))
    for t in rng.sample(tenures, min(n, len(tenures))):
        span = ((t.end or as_of) - t.start).days
        offence = t.start + timedelta(days=rng.randint(60, span - 30))
        # Most offences last a while: bribes over months, a procurement fraud over a year.
        offence_end = None
        if rng.random() < 0.6:
            offence_end = offence + timedelta(days=rng.randint(14, 300))
        verdict = (offence_end or offence) + timedelta(days=rng.randint(150, 540))
        r, outcome = rng.random(), "pending"
        for name, share in outcomes:
            if r < share:
                outcome = name
                break
            r -= share
        if verdict >= as_of - timedelta(days=100):
            outcome = "pending"
        in_force = ""
        if outcome == "convicted":
            in_force = _iso(verdict + timedelta(days=rng.randint(20, 90)))
        category = "corruption" if rng.random() < 0.85 else "other"
        ev.verdicts.append(Verdict(f"v{len(ev.verdicts) + 1:06d}", t.person, "bribery" if category == "corruption"
                                   else "negligence", category, outcome, offence,
                                   _iso(verdict) if outcome != "pending" else "", in_force, offence_end=offence_end))


def _trigger(v: Verdict) -> date | None:
    if v.category != "corruption" or v.outcome not in ("convicted", "terminated_nonrehabilitating"):
        return None
    text = v.in_force if v.outcome == "convicted" else v.verdict_date
    return date.fromisoformat(text) if text and len(text) == 10 else None


def _duties(gov: Government, v: Verdict, as_of: date) -> Iterator[tuple[Tenure, date]]:
    """(head tenure, trigger) pairs for which the verdict creates the resignation duty."""
    trigger = _trigger(v)
    if trigger is None or trigger > as_of:
        return
    offence = v.committed
    for sub in gov.by_person.get(v.person, []):
        if not (sub.start <= offence <= (sub.end or date.max)):
            continue
        post = gov.posts[sub.post]
        head_post = gov.posts.get(post.reports_to or "")
        if head_post is None or head_post.category != "political":
            continue
        for head in gov.by_post.get(head_post.id, []):
            if head.person == v.person:
                continue  # the duty is owed for another person's corruption
            end = head.end or date.max
            if (head.start <= offence <= end and head.start <= trigger <= end and offence >= DUTY_FROM
                    and offence > add_months(head.start, 3)):
                yield head, trigger


def background_resignations(gov: Government, ev: Events, rng: random.Random, as_of: date) -> None:
    """Heads who owe a resignation: some resign in time (naming the post or not), some late, some from
    another post they hold, some leave the post by a resignation recorded only as the end of the tenure."""
    posts = sorted(gov.posts)
    for v in ev.verdicts:
        for head, trigger in list(_duties(gov, v, as_of)):
            r = rng.random()
            post: str | None = head.post
            if r < 0.35:
                submitted = trigger + timedelta(days=rng.randint(0, 10))
                post = head.post if rng.random() < 0.8 else None
            elif r < 0.50:
                submitted = trigger + timedelta(days=rng.randint(11, 60))
            elif r < 0.58:  # in time, but from a board seat or another post: the duty is not met
                submitted = trigger + timedelta(days=rng.randint(0, 10))
                post = posts[rng.randrange(len(posts))]
                if post == head.post:
                    continue
            elif r < 0.70:  # no letter on record; the tenure ended by resignation, mostly in time
                end = trigger + timedelta(days=rng.randint(0, 14))
                if end <= as_of and (head.end is None or end < head.end):
                    head.end, head.end_text, head.end_reason = end, None, "resigned"
                continue
            else:
                continue
            if submitted <= as_of:
                ev.resignations.append((f"res{len(ev.resignations) + 1:06d}", head.person, _iso(submitted), post or ""))


def expected_duties(gov: Government, ev: Events, as_of: date) -> None:
    """The resignation rule's findings, worked out independently from the generated timelines: a duty
    is met by a resignation from the post (or naming none) submitted from the trigger to the deadline, or
    by the head's tenure in the post ending by resignation by the deadline."""
    letters: dict[str, list[tuple[date, str]]] = {}
    for _, person, day, post in ev.resignations:
        letters.setdefault(person, []).append((date.fromisoformat(day), post))
    for v in ev.verdicts:
        if v.planted:
            continue
        for head, trigger in _duties(gov, v, as_of):
            deadline = trigger + timedelta(days=10)
            by_letter = any(trigger <= d <= deadline and post in ("", head.post)
                            for d, post in letters.get(head.person, []))
            by_tenure = head.end_reason == "resigned" and head.end is not None and head.end <= deadline
            if by_letter or by_tenure:
                status = "complied"
            elif deadline >= as_of:
                status = "pending"
            else:
                status = "flagged"
            ev.expected.append({"rule": "subordinate-corruption-resignation", "person": head.person,
                                "related": [v.person], "status": status, "planted": False})


def background_reserve(careers: Careers, fam: Families, ev: Events, rng: random.Random, n: int) -> None:
    young = [p.id for p in fam.persons if 1990 <= p.birth_year <= 2000]
    for pid in rng.sample(young, min(n * 3, len(young))):
        if len(ev.memberships) >= n:
            break
        if pid in careers.active or pid in careers.reserved or not careers.free(pid):
            continue
        careers.active.add(pid)
        admitted = date(rng.randint(2019, 2023), rng.randint(1, 12), rng.randint(1, 28))
        ev.memberships.append((f"m{len(ev.memberships) + 1:06d}", pid, _iso(admitted)))


class Planter:
    """Plants violations of each rule on pairs of parent and child nobody else is related to."""

    def __init__(self, gov: Government, careers: Careers, fam: Families, ev: Events, rng: random.Random, as_of: date):
        self.gov, self.careers, self.fam, self.ev, self.rng, self.as_of = gov, careers, fam, ev, rng, as_of
        self.org = gov.add_org("o-planted", "Planted Directorate (synthetic)", "agency")
        self.n = 0
        self.pairs: list[tuple[str, str]] = []

    def reserve_pairs(self, count: int) -> None:
        """Set aside parent-child pairs before careers are drawn, so background data never touches them."""
        kids = [(p.id, p.father) for p in self.fam.persons if p.father and 1984 <= p.birth_year <= 1999]
        for _ in range(count * 50):
            if len(self.pairs) >= count:
                return
            kid, father = kids[self.rng.randrange(len(kids))]
            if self.fam.status.get((kid, father)) == "alleged":
                continue  # planted cases stand on an established link; alleged ones are planted apart
            both = {kid, father}
            if not both & self.careers.active and self.careers.free(kid, both) and self.careers.free(father, both):
                self.careers.active |= both
                self.careers.reserved |= both
                self.pairs.append((kid, father))
        raise RuntimeError(f"only {len(self.pairs)} unrelated parent-child pairs for {count} planted cases; "
                           "generate more persons")

    def pair(self) -> tuple[str, str]:
        """A child and their father whom nobody else active is related to."""
        return self.pairs.pop()

    def expect(self, rule: str, person: str, related: str, status: str) -> None:
        self.ev.expected.append({"rule": rule, "person": person, "related": [related], "status": status,
                                 "planted": True})

    def post(self, title: str, category: str, reports_to: str | None = None, kind: str = "adviser",
             rank: int = 6) -> str:
        self.n += 1
        return self.gov.add_post(f"pos-planted{self.n}", f"{title} (planted {self.n})", self.org, category,
                                 kind, rank, reports_to)

    def verdict(self, person: str, offence: date, verdict_date: str, in_force: str) -> None:
        self.ev.verdicts.append(Verdict(f"v{len(self.ev.verdicts) + 1:06d}", person, "embezzlement", "corruption",
                                        "convicted", offence, verdict_date, in_force, planted=True))

    def conviction(self, person: str, last_year: int = 2020) -> date:
        """A corruption conviction of `person` with full dates, in force some day from 2012 to last_year."""
        in_force = date(self.rng.randint(2012, last_year), self.rng.randint(1, 12), self.rng.randint(1, 28))
        self.verdict(person, in_force - timedelta(days=400), _iso(in_force - timedelta(days=60)), _iso(in_force))
        return in_force

    def kinship_convicted(self, status: str) -> None:
        kid, father = self.pair()
        in_force = date(self.rng.randint(2012, 2020), self.rng.randint(1, 12), self.rng.randint(1, 28))
        start = in_force + timedelta(days=self.rng.randint(30, 1500))
        if status == "flagged":
            self.verdict(father, in_force - timedelta(days=400), _iso(in_force - timedelta(days=60)), _iso(in_force))
        else:  # only the year of the verdict, and the appointment in that same year: undecidable
            start = date(in_force.year, 12, 20)
            self.verdict(father, in_force - timedelta(days=400), str(in_force.year), "")
        self.gov.add_tenure(kid, self.post("Adviser", "administrative"), start, None)
        self.expect("kinship-convicted-official", kid, father, status)

    def reserve(self, status: str) -> None:
        kid, father = self.pair()
        admitted = date(self.rng.randint(2019, 2023), self.rng.randint(1, 12), self.rng.randint(1, 28))
        post = self.post("Vice Minister", "political", kind="vice_minister", rank=9)
        if status == "flagged":
            self.gov.add_tenure(father, post, admitted - timedelta(days=self.rng.randint(100, 2000)), None)
        else:  # left some day in the year the five-year look-back starts: undecidable
            tenure = self.gov.add_tenure(father, post, date(admitted.year - 9, 3, 1), date(admitted.year - 5, 1, 1))
            tenure.end_text = str(admitted.year - 5)
        self.ev.memberships.append((f"m{len(self.ev.memberships) + 1:06d}", kid, _iso(admitted)))
        self.expect("reserve-relative-conflict", kid, father, status)

    def subordination(self, status: str) -> None:
        kid, father = self.pair()
        head = self.post("Head of Unit", "administrative", rank=6)
        deputy = self.post("Deputy Head of Unit", "administrative", reports_to=head, rank=5)
        self.gov.add_tenure(father, head, date(2015, 1, 10), None)
        if status == "flagged":
            self.gov.add_tenure(kid, deputy, self.as_of - timedelta(days=self.rng.randint(200, 2000)), None)
        elif status == "pending":
            self.gov.add_tenure(kid, deputy, self.as_of - timedelta(days=self.rng.randint(5, 60)), None)
        else:  # complied: transferred out within two months
            start = self.as_of - timedelta(days=self.rng.randint(400, 2000))
            self.gov.add_tenure(kid, deputy, start, start + timedelta(days=self.rng.randint(20, 80)))
        self.expect("relatives-direct-subordination", kid, father, status)

    def quiet(self, what: str) -> None:
        """A planted case that must give no finding."""
        self.ev.planted_quiet[what] = self.ev.planted_quiet.get(what, 0) + 1

    def pair_where(self, fits: Callable[[Person, Person], bool]) -> tuple[str, str]:
        """A reserved pair for which fits(kid, father) holds; the others go back to the pool."""
        skipped: list[tuple[str, str]] = []
        while self.pairs:
            kid, father = self.pairs.pop()
            if fits(self.fam.by_id[kid], self.fam.by_id[father]):
                self.pairs.extend(skipped)
                return kid, father
            skipped.append((kid, father))
        self.pairs.extend(skipped)
        raise RuntimeError("no reserved pair fits a planted case; generate more persons")

    def new_person(self, pid: str, name: str, surname: str, given: str, patronymic: str, gender: str,
                   birth: str) -> Person:
        person = Person(pid, name, surname, given, patronymic, gender, birth, int(birth[:4]), 0)
        self.ev.extra_persons.append(person)
        return person

    def relation(self, person: str, relative: str, kind: str, status: str = "reported", start: str = "") -> None:
        self.ev.extra_relations.append((f"rp{len(self.ev.extra_relations) + 1:06d}", person, relative, kind,
                                        status, start, ""))

    def kinship_court_record(self) -> None:
        """The father's verdict is recorded under a court register's record of him, in Cyrillic, with the
        same birth date: riskcheck must take the two records as one man to find the son's appointment."""
        def fits(kid: Person, father: Person) -> bool:
            return len(father.birth) == 10 and self.fam.namesakes.get(
                (stem_of(father.surname), father.given_name, father.birth)) == 1
        kid, father = self.pair_where(fits)
        f = self.fam.by_id[father]
        court_id = f"pc{len(self.ev.court_persons) + 1:06d}"
        words = [f.surname, f.given_name] + ([f.patronymic] if f.patronymic else [])
        self.ev.court_persons.append((court_id, to_cyrillic(" ".join(words)), f.birth, f.gender))
        in_force = self.conviction(father)
        self.ev.verdicts[-1].record = court_id
        start = in_force + timedelta(days=self.rng.randint(30, 1500))
        self.gov.add_tenure(kid, self.post("Adviser", "administrative"), start, None)
        self.expect("kinship-convicted-official", kid, father, "flagged")
        # unique in this shard; the writer checks it against every shard once all are written
        self.ev.name_matches.append(NameMatchPlant(("kinship-convicted-official", kid, father, "flagged"), court_id,
                                                   father, f.surname, f.given_name, f.patronymic, f.birth,
                                                   f.gender))

    def kinship_alleged(self) -> None:
        """A rumoured father-in-law, convicted: by default no rule builds on a rumour."""
        kid = self.pair()[0]
        father = self.pair()[1]
        self.relation(kid, father, "parent_in_law", status="alleged")
        in_force = self.conviction(father)
        self.gov.add_tenure(kid, self.post("Adviser", "administrative"), in_force + timedelta(days=200), None)
        self.quiet("alleged link only")

    def inlaw_through_marriage(self, status: str) -> None:
        """A father-in-law through a marriage known only to its year, also recorded vaguely as a `relative`.
        Flagged when the appointment came a year after the marriage; undetermined in the marriage's year."""
        husband = self.pair()[0]
        father = self.pair()[1]
        f = self.fam.by_id[father]
        stem = stem_of(f.surname)
        born = f.birth_year + self.rng.randint(22, 30)
        wife = self.new_person(f"pw{len(self.ev.extra_persons) + 1:06d}", "", stem + "ova", self.rng.choice(
            ["Aliya", "Dana", "Saule", "Madina"]), f.given_name + "ovna", "f",
            f"{born:04d}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}")
        wife.name = f"{wife.surname} {wife.given_name} {wife.patronymic}"
        in_force = self.conviction(father, last_year=2017)
        married = in_force.year + 1
        self.relation(wife.id, father, "parent")
        self.relation(husband, wife.id, "spouse", start=str(married))
        self.relation(husband, father, "relative")
        start = date(married + self.rng.randint(1, 5), self.rng.randint(1, 12), self.rng.randint(1, 28)) \
            if status == "flagged" else date(married, 12, 20)
        self.gov.add_tenure(husband, self.post("Adviser", "administrative"), start, None)
        self.expect("kinship-convicted-official", husband, father, status)

    def namesake_of_a_convicts_son(self) -> None:
        """A stranger with the son's surname, given name and birth day (no patronymic recorded), in the same
        registry, is appointed after the son's father was convicted: the stranger inherits nothing."""
        kid, father = self.pair_where(lambda k, f: len(k.birth) == 10)
        k = self.fam.by_id[kid]
        in_force = self.conviction(father)
        stranger = self.new_person(f"ps{len(self.ev.extra_persons) + 1:06d}", f"{k.surname} {k.given_name}",
                                   k.surname, k.given_name, "", k.gender, k.birth)
        self.gov.add_tenure(stranger.id, self.post("Adviser", "administrative"),
                            in_force + timedelta(days=self.rng.randint(30, 900)), None)
        self.quiet("namesake born the same day")

    def resignation_undetermined(self) -> None:
        """Entry into force known to the month only, and the deadline straddles the as-of date."""
        akim, deputy_akim = self.pair()[0], self.pair()[0]  # two people from unrelated families
        head = self.post("Akim", "political", kind="akim_district", rank=8)
        deputy = self.post("Deputy Akim", "political", reports_to=head, kind="deputy_akim", rank=7)
        self.gov.add_tenure(akim, head, date(2016, 2, 1), None)
        self.gov.add_tenure(deputy_akim, deputy, date(2017, 3, 1), None)
        month = self.as_of - timedelta(days=20)
        self.verdict(deputy_akim, date(2022, 5, 1), _iso(month - timedelta(days=90)), month.strftime("%Y-%m"))
        self.ev.expected.append({"rule": "subordinate-corruption-resignation", "person": akim,
                                 "related": [deputy_akim], "status": "undetermined", "planted": True})


def pairs_needed(per_kind: int) -> int:
    few = max(1, per_kind // 3)
    return per_kind * 5 + few * 4 + per_kind * 3 + few * 2 + few * 2 + few * 2 + 40


def plant(planter: Planter, per_kind: int) -> None:
    for _ in range(per_kind):
        planter.kinship_convicted("flagged")
        planter.reserve("flagged")
        planter.subordination("flagged")
        planter.subordination("pending")
        planter.subordination("complied")
    for _ in range(max(1, per_kind // 3)):
        planter.kinship_convicted("undetermined")
        planter.reserve("undetermined")
        planter.resignation_undetermined()
    for _ in range(per_kind):
        planter.kinship_court_record()
        planter.inlaw_through_marriage("flagged")
    for _ in range(max(1, per_kind // 3)):
        planter.inlaw_through_marriage("undetermined")
        planter.kinship_alleged()
        planter.namesake_of_a_convicts_son()
