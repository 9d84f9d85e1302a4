"""Synthetic families: three generations with Kazakh naming, and the close-relative index over them.

Sons take the father's surname (gendered: Akhmetov / Akhmetova, or Akhmetuly / Akhmetkyzy), children
get a patronymic from the father's given name (Russian-style -ovich/-ovna or Kazakh-style -uly/-kyzy),
wives keep their maiden names, and some birth dates are known only to the year.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from riskcheck.names.parse import surname_form

MALE = ["Nurlan", "Serik", "Askar", "Bolat", "Daulet", "Yerlan", "Marat", "Talgat", "Kairat", "Arman", "Bakhyt",
        "Zhandos", "Timur", "Ruslan", "Azamat", "Dauren", "Yerzhan", "Murat", "Berik", "Galym", "Aidos", "Olzhas",
        "Sanzhar", "Alibek", "Nursultan", "Temirlan", "Dias", "Madi", "Aibek", "Yerbol", "Kanat", "Samat"]
FEMALE = ["Aigerim", "Saule", "Gulnara", "Aliya", "Dana", "Madina", "Zhanar", "Kamila", "Aizhan", "Dinara",
          "Assel", "Zarina", "Gaukhar", "Ainur", "Botagoz", "Akmaral", "Meruert", "Saltanat", "Aruzhan", "Togzhan"]
STEMS = ["Akhmet", "Sarsen", "Nurtai", "Zhaksybek", "Kassym", "Imanali", "Tokay", "Bektas", "Serik", "Omar",
         "Abdrakhman", "Baimukhamed", "Dzhaksybek", "Kenzhebek", "Mukhtar", "Orazbek", "Satybald", "Tulegen",
         "Utemis", "Yessen", "Zhumabek", "Kaliev", "Beisen", "Nurgali", "Sultanbek", "Temirkhan", "Yergali",
         "Amanzhol", "Baurzhan", "Dosmukhamed", "Yermek", "Kudaibergen", "Mamyrbek", "Shaimerden", "Tursyn"]

RELATION_STATUSES = (("confirmed", 0.55), ("reported", 0.40), ("alleged", 0.05))


@dataclass
class Person:
    id: str
    name: str
    surname: str
    given_name: str
    patronymic: str
    gender: str
    birth: str  # ISO date, or a year only for some
    birth_year: int
    generation: int
    father: str | None = None
    mother: str | None = None
    spouse: str | None = None


@dataclass
class Families:
    persons: list[Person] = field(default_factory=list)
    relations: list[tuple] = field(default_factory=list)  # (id, person_id, relative_id, kind, status, start, end)
    by_id: dict[str, Person] = field(default_factory=dict)
    blood: dict[str, set[str]] = field(default_factory=dict)  # recorded blood neighbours, both directions
    spouses: dict[str, set[str]] = field(default_factory=dict)

    def close(self, pid: str) -> set[str]:
        """Everyone riskcheck's kinship would call a close relative of pid, from the recorded relations."""
        out = set(self.blood.get(pid, ())) | set(self.spouses.get(pid, ()))
        for s in self.spouses.get(pid, ()):
            out |= self.blood.get(s, set())
        for b in self.blood.get(pid, ()):
            out |= self.spouses.get(b, set())
        out.discard(pid)
        return out


def _surname(stem: str, gender: str, kazakh_style: bool) -> str:
    if kazakh_style:
        return stem + ("uly" if gender == "m" else "kyzy")
    suffix = "ev" if stem[-1] in "aeiouy" else "ov"
    return stem + suffix + ("a" if gender == "f" else "")


def _patronymic(father_given: str, gender: str, kazakh_style: bool) -> str:
    if kazakh_style:
        return father_given + ("uly" if gender == "m" else "kyzy")
    vowel = father_given[-1] in "aeiouy"
    if gender == "m":
        return father_given + ("evich" if vowel else "ovich")
    return father_given + ("evna" if vowel else "ovna")


class FamilyBuilder:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.f = Families()
        self.bride_pool: list[str] = []  # unmarried second-generation daughters of earlier clans
        self.born: set[tuple[tuple, str]] = set()  # (name key, full birth date) already given
        self.rel_n = 0

    def person(self, gender: str, birth_year: int, generation: int, surname: str, patronymic: str) -> Person:
        rng = self.rng
        given = rng.choice(MALE if gender == "m" else FEMALE)
        name = " ".join(x for x in (surname, given, patronymic) if x)
        if rng.random() < 0.15:
            birth = str(birth_year)
        else:
            # Two people with one full name and one birth day would be one person to riskcheck's identity
            # resolution (rightly: nothing tells them apart); the ground truth assumes they never meet.
            # Names are compared as riskcheck compares them (Akhmetov Serik = Akhmetuly Serik), and a missing
            # patronymic matches any, so the key leaves it out.
            form = surname_form(surname)
            key = (form[0] if form else surname, given)
            while True:
                birth = f"{birth_year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                if (key, birth) not in self.born:
                    break
            self.born.add((key, birth))
        pid = f"p{len(self.f.persons) + 1:07d}"
        p = Person(pid, name, surname, given, patronymic, gender, birth, birth_year, generation)
        self.f.persons.append(p)
        self.f.by_id[pid] = p
        return p

    def relate(self, person: str, relative: str, kind: str, start: str = "", end: str = "") -> None:
        self.rel_n += 1
        r = self.rng.random()
        status = "confirmed" if r < 0.55 else "reported" if r < 0.95 else "alleged"
        self.f.relations.append((f"r{self.rel_n:08d}", person, relative, kind, status, start, end))
        if kind == "spouse":
            self.f.spouses.setdefault(person, set()).add(relative)
            self.f.spouses.setdefault(relative, set()).add(person)
        else:
            self.f.blood.setdefault(person, set()).add(relative)
            self.f.blood.setdefault(relative, set()).add(person)

    def outsider_wife(self, husband: Person) -> Person:
        stem = self.rng.choice(STEMS)
        father = self.rng.choice(MALE)
        kz = self.rng.random() < 0.2
        return self.person("f", husband.birth_year + self.rng.randint(-3, 6), husband.generation,
                           _surname(stem, "f", kz), _patronymic(father, "f", kz))

    def marry(self, husband: Person, wife: Person) -> None:
        husband.spouse, wife.spouse = wife.id, husband.id
        year = max(husband.birth_year, wife.birth_year) + self.rng.randint(21, 30)
        start = f"{year:04d}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
        end = ""
        if self.rng.random() < 0.08:
            end_year = year + self.rng.randint(2, 15)
            end = f"{end_year:04d}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
        self.relate(husband.id, wife.id, "spouse", start, end)

    def children(self, father: Person, mother: Person, n: int, generation: int) -> list[Person]:
        kids = []
        kz = father.surname.endswith(("uly", "kyzy"))
        stem = father.surname[:-3] if kz else father.surname[:-2]
        for _ in range(n):
            gender = "m" if self.rng.random() < 0.5 else "f"
            year = max(father.birth_year, mother.birth_year) + self.rng.randint(22, 38)
            kid = self.person(gender, year, generation, _surname(stem, gender, kz),
                              _patronymic(father.given_name, gender, kz or self.rng.random() < 0.2))
            kid.father, kid.mother = father.id, mother.id
            self.relate(kid.id, father.id, "parent")
            self.relate(kid.id, mother.id, "parent")
            kids.append(kid)
        for i in range(len(kids)):
            for j in range(i + 1, len(kids)):
                self.relate(kids[i].id, kids[j].id, "sibling")
        return kids

    def clan(self) -> None:
        rng = self.rng
        kz = rng.random() < 0.15
        stem = rng.choice(STEMS)
        founder = self.person("m", rng.randint(1928, 1956), 1, _surname(stem, "m", kz), "")
        wife = self.outsider_wife(founder)
        self.marry(founder, wife)
        for child in self.children(founder, wife, rng.randint(2, 5), 2):
            if child.gender == "f":
                self.bride_pool.append(child.id)
                continue
            bride = None
            while self.bride_pool and rng.random() < 0.75:
                cand = self.f.by_id[self.bride_pool.pop(rng.randrange(len(self.bride_pool)))]
                if cand.father != child.father and cand.spouse is None:
                    bride = cand
                    break
            bride = bride or self.outsider_wife(child)
            self.marry(child, bride)
            for grandchild in self.children(child, bride, rng.randint(1, 4), 3):
                if rng.random() < 0.5:
                    self.relate(grandchild.id, founder.id, "grandparent")


def build_families(target: int, rng: random.Random) -> Families:
    builder = FamilyBuilder(rng)
    while len(builder.f.persons) < target:
        builder.clan()
    return builder.f
