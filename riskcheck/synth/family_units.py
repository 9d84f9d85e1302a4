"""Planted family hiring: a father, his brothers and sisters and his grown children, all given posts in one
district akimat, none of them reporting to another (so no person rule is broken: only the unit shows it).

The ground truth is the generator's own: which unit each family went to, who its members are, and how many
share the family's surname stem, read from the genealogy it built rather than from riskcheck's names module
or SQL. Every link joining a family is recorded and established (reported or confirmed), so riskcheck's
family-cluster must flag each planted unit and the units above it; whether surname-clustering can see one
depends on its size against the region's names, which is what the benchmark measures.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from riskcheck.synth.families import Families, Person, stem_of
from riskcheck.synth.government import Careers, Government

SIZES = (3, 4, 5, 6, 8)


def reserve_families(fam: Families, careers: Careers, rng: random.Random, count: int) -> list[list[str]]:
    """Choose the families before careers are drawn (as the planted pairs are), so background hiring never
    takes one of them nor a relative of theirs."""
    centres = [p for p in fam.persons if p.generation == 2 and p.gender == "m" and 1958 <= p.birth_year <= 1975
               and p.father]
    rng.shuffle(centres)
    chosen: list[list[str]] = []
    for centre in centres:
        if len(chosen) >= count:
            break
        members = _family(centre, fam, careers, SIZES[len(chosen) % len(SIZES)])
        if members is not None:
            careers.active |= set(members)
            careers.reserved |= set(members)
            chosen.append(members)
    return chosen


def plant_family_units(gov: Government, fam: Families, rng: random.Random, as_of: date,
                       families: list[list[str]]) -> list[dict]:
    """Give each reserved family posts in one district akimat, each post reporting to the district akim."""
    districts = sorted(oid for oid, _, kind, parent, _ in gov.orgs if kind == "akimat" and parent)
    parent_of = {oid: parent for oid, _, _, parent, _ in gov.orgs}
    planted: list[dict] = []
    for members in families:
        if not districts:
            break
        unit = districts[rng.randrange(len(districts))]
        akim_post = f"pos-{unit[2:]}"  # o-reg3-dist7 -> pos-reg3-dist7, the district akim's post
        n = len(planted) + 1
        for i, pid in enumerate(members, start=1):
            post = gov.add_post(f"{akim_post}-fam{n}-{i}", f"Chief Specialist {i}, family unit {n} (planted)",
                                unit, "administrative", "expert", 3, akim_post)
            gov.add_tenure(pid, post, as_of - timedelta(days=rng.randint(60, 1500)), None)
        stem = stem_of(fam.by_id[members[0]].surname)
        above, up = [], parent_of.get(unit)
        while up:
            above.append(up)
            up = parent_of.get(up)
        planted.append({"unit": unit, "units_above": above, "members": members, "size": len(members),
                        "same_stem": sum(1 for m in members if stem_of(fam.by_id[m].surname) == stem)})
    return planted


def _family(centre: Person, fam: Families, careers: Careers, size: int) -> list[str] | None:
    """The centre, then his siblings and his children of working age, joined to him by established links."""
    def usable(pid: str) -> bool:
        p = fam.by_id[pid]
        return 1955 <= p.birth_year <= 2000 and pid not in careers.active and pid not in careers.reserved

    if not usable(centre.id):
        return None
    siblings = sorted(fam.children.get(centre.father or "", set()) - {centre.id})  # a centre has a father
    kids = sorted(fam.children.get(centre.id, set()))
    chosen = [centre.id]
    for pid in kids + siblings:
        if len(chosen) >= size:
            break
        link = (pid, centre.id) if pid in kids else None
        status = fam.status.get(link) if link else (fam.status.get((pid, centre.id)) or fam.status.get((centre.id, pid)))
        if usable(pid) and status in ("reported", "confirmed"):
            chosen.append(pid)
    if len(chosen) < size:
        return None
    family = set(chosen)
    if not all(careers.free(pid, family) for pid in chosen):
        return None
    return chosen
