"""Synthetic government: ministries and akimats with reporting lines, and careers from 2005 on.

Background careers never place two close relatives among the "active" persons (anyone holding a
post, convicted or in the reserve), so every kinship finding in a synthetic registry is one that
was planted on purpose and recorded in the ground truth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from riskcheck.synth.families import HOME_AREAS, Families

START = date(2005, 1, 1)
END_REASONS = ["transferred", "term_ended", "resigned", "dismissed", "other"]
END_WEIGHTS = [0.40, 0.60, 0.85, 0.95, 1.0]
LOCAL_HIRING = 0.8  # the share of a region's posts filled from its own families


@dataclass
class Post:
    id: str
    title: str
    org: str
    category: str
    kind: str
    rank: int
    reports_to: str | None


@dataclass
class Tenure:
    id: str
    person: str
    post: str
    start: date
    end: date | None
    end_text: str | None = None  # a partial end date, where the data knows only that much
    end_reason: str = ""


@dataclass
class Government:
    orgs: list[tuple] = field(default_factory=list)  # (id, name, kind, parent_id, region)
    posts: dict[str, Post] = field(default_factory=dict)
    tenures: list[Tenure] = field(default_factory=list)
    by_post: dict[str, list[Tenure]] = field(default_factory=dict)
    by_person: dict[str, list[Tenure]] = field(default_factory=dict)

    def add_org(self, oid: str, name: str, kind: str, parent: str = "", region: str = "") -> str:
        self.orgs.append((oid, name, kind, parent, region))
        return oid

    def add_post(self, pid: str, title: str, org: str, category: str, kind: str, rank: int,
                 reports_to: str | None = None) -> str:
        self.posts[pid] = Post(pid, title, org, category, kind, rank, reports_to)
        return pid

    def add_tenure(self, person: str, post: str, start: date, end: date | None) -> Tenure:
        t = Tenure(f"t{len(self.tenures) + 1:07d}", person, post, start, end)
        self.tenures.append(t)
        self.by_post.setdefault(post, []).append(t)
        self.by_person.setdefault(person, []).append(t)
        return t


def build_structure(gov: Government, n_ministries: int, n_regions: int) -> None:
    for m in range(1, n_ministries + 1):
        org = gov.add_org(f"o-min{m}", f"Ministry No. {m} (synthetic)", "ministry")
        minister = gov.add_post(f"pos-min{m}", f"Minister No. {m}", org, "political", "minister", 10)
        vices = [gov.add_post(f"pos-min{m}-vice{v}", f"Vice Minister {v}, Ministry No. {m}", org, "political",
                              "vice_minister", 9, minister) for v in range(1, 5)]
        gov.add_post(f"pos-min{m}-secretary", f"Executive Secretary, Ministry No. {m}", org, "administrative",
                     "executive_secretary", 9, minister)
        for c in range(1, 5):
            corg = gov.add_org(f"o-min{m}-com{c}", f"Committee {c} of Ministry No. {m}", "committee", org)
            chair = gov.add_post(f"pos-min{m}-com{c}-chair", f"Chair, Committee {c}, Ministry No. {m}", corg,
                                 "administrative", "committee_chair", 8, vices[c - 1])
            for d in range(1, 3):
                gov.add_post(f"pos-min{m}-com{c}-dep{d}", f"Deputy Chair {d}, Committee {c}, Ministry No. {m}",
                             corg, "administrative", "deputy_chair", 7, chair)
            _department(gov, f"pos-min{m}-com{c}", corg, chair, 5, 4, 6)
        for d in range(1, 13):
            _department(gov, f"pos-min{m}-d{d}", org, vices[(d - 1) % 4], 1, 5, 6, label=f"Department {d}, Ministry No. {m}")
    for r in range(1, n_regions + 1):
        org = gov.add_org(f"o-reg{r}", f"Akimat of Region No. {r} (synthetic)", "akimat", region=f"Region {r}")
        akim = gov.add_post(f"pos-reg{r}", f"Akim of Region No. {r}", org, "political", "akim_region", 10)
        deputies = [gov.add_post(f"pos-reg{r}-dep{d}", f"Deputy Akim {d}, Region No. {r}", org, "political",
                                 "deputy_akim", 9, akim) for d in range(1, 6)]
        gov.add_post(f"pos-reg{r}-staff", f"Chief of Staff, Region No. {r}", org, "administrative", "chief_of_staff", 8, akim)
        for d in range(1, 13):
            _department(gov, f"pos-reg{r}-d{d}", org, deputies[(d - 1) % 5], 1, 6, 7, kind="head_executive_body",
                        label=f"Regional Department {d}, Region No. {r}")
        for k in range(1, 13):
            dorg = gov.add_org(f"o-reg{r}-dist{k}", f"Akimat of District {k}, Region No. {r}", "akimat", org, f"Region {r}")
            dakim = gov.add_post(f"pos-reg{r}-dist{k}", f"Akim of District {k}, Region No. {r}", dorg, "political",
                                 "akim_district", 8, akim)
            ddeps = [gov.add_post(f"pos-reg{r}-dist{k}-dep{d}", f"Deputy Akim {d}, District {k}, Region No. {r}", dorg,
                                  "political", "deputy_akim", 7, dakim) for d in range(1, 4)]
            gov.add_post(f"pos-reg{r}-dist{k}-staff", f"Chief of Staff, District {k}, Region No. {r}", dorg,
                         "administrative", "chief_of_staff", 6, dakim)
            for d in range(1, 7):
                _department(gov, f"pos-reg{r}-dist{k}-d{d}", dorg, ddeps[(d - 1) % 3], 1, 3, 5,
                            kind="head_executive_body", label=f"Department {d}, District {k}, Region No. {r}")
            for s in range(1, 6):
                gov.add_post(f"pos-reg{r}-dist{k}-s{s}", f"Akim of Settlement {s}, District {k}, Region No. {r}", dorg,
                             "political", "akim_settlement", 5, dakim)


def _department(gov: Government, prefix: str, org: str, superior: str, n: int, staff: int, rank: int,
                kind: str = "department_head", label: str | None = None) -> None:
    for i in range(1, n + 1):
        name = label or f"Department {i} of {org}"
        head = gov.add_post(f"{prefix}-h{i}" if n > 1 else f"{prefix}-h", f"Head, {name}", org, "administrative",
                            kind, rank, superior)
        for s in range(1, staff + 1):
            gov.add_post(f"{head}-e{s}", f"Expert {s}, {name}", org, "administrative", "expert", 3, head)


class Careers:
    """Picks holders for posts so that no two active persons are close relatives."""

    def __init__(self, fam: Families, rng: random.Random):
        self.fam, self.rng = fam, rng
        self.active: set[str] = set()
        self.reserved: set[str] = set()  # set aside for planted cases: never given background roles
        self.by_year: dict[int, list[str]] = {}
        self.by_home_year: dict[tuple[int, int], list[str]] = {}
        for p in fam.persons:
            self.by_year.setdefault(p.birth_year, []).append(p.id)
            self.by_home_year.setdefault((p.home, p.birth_year), []).append(p.id)

    def free(self, pid: str, also: frozenset[str] | set[str] = frozenset()) -> bool:
        """pid may become active: none of its close relatives is active (except those in `also`)."""
        return not ((self.fam.close(pid) - also) & self.active)

    def pick(self, born_from: int, born_to: int, home: int = 0, tries: int = 40) -> str | None:
        """Someone born in the years given, free to take a post; in a region, mostly one of its own people."""
        for _ in range(tries):
            year = self.rng.randint(born_from, born_to)
            local = home and self.rng.random() < LOCAL_HIRING
            bucket = self.by_home_year.get((home, year)) if local else self.by_year.get(year)
            if not bucket:
                continue
            pid = bucket[self.rng.randrange(len(bucket))]
            if pid in self.reserved:
                continue
            if pid in self.active or self.free(pid):
                self.active.add(pid)
                return pid
        return None


def home_area(region: str) -> int:
    """The home area whose families a region's posts mostly go to ('Region 7' -> 7); 0 outside regions."""
    number = region.rsplit(" ", 1)[-1]
    return (int(number) - 1) % HOME_AREAS + 1 if number.isdigit() else 0


def fill_careers(gov: Government, careers: Careers, as_of: date) -> None:
    rng = careers.rng
    region_of = {oid: region for oid, _, _, _, region in gov.orgs}
    for post in gov.posts.values():
        home = home_area(region_of.get(post.org) or "")
        start = START + timedelta(days=rng.randint(0, 700))
        while start < as_of:
            length = timedelta(days=rng.randint(540, 2200))
            end = start + length
            holder = careers.pick(start.year - 60, start.year - 26, home)
            if holder is not None:
                tenure = gov.add_tenure(holder, post.id, start, end if end < as_of else None)
                if tenure.end is not None:
                    tenure.end_reason = rng.choices(END_REASONS, cum_weights=END_WEIGHTS)[0]
            start = end + timedelta(days=rng.randint(1, 60))
