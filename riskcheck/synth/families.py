"""Synthetic families: three generations with Kazakh naming, and the close-relative index over them.

Sons take the father's surname (gendered: Akhmetov / Akhmetova, or Akhmetuly / Akhmetkyzy), children
get a patronymic from the father's given name (Russian-style -ovich/-ovna or Kazakh-style -uly/-kyzy),
wives keep their maiden names, and some birth dates are known only to the year.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


# Name pools in the order of how common each name is taken to be: a draw follows Zipf's law over the
# order (a few names very common, a long tail rare), as surnames and given names do in real registries.
MALE = """Nurlan Serik Askar Bolat Daulet Yerlan Marat Talgat Kairat Arman Bakhyt Zhandos Timur Ruslan Azamat
Dauren Yerzhan Murat Berik Galym Aidos Olzhas Sanzhar Alibek Nursultan Temirlan Dias Madi Aibek Yerbol Kanat
Samat Abai Abylai Adil Aidar Akhmet Alikhan Almas Altai Alzhan Amir Amirkhan Arsen Arystan Asan Assylbek Baglan
Bakytzhan Baurzhan Bekzat Bekzhan Dair Damir Daniyar Darkhan Dulat Erlan Gani Ilyas Karim Kuanysh Maksat Medet
Mukhtar Nurbol Oraz Rakhim Rustem Sabit Seitkali Tair Tokhtar Yermek Zhanibek Zhaslan Zhenis Zholdas Abzal Akzhol
Alisher Ansar Aslan Ayan Bekarys Beibit Dastan Duman Erbolat Esen Kaisar Miras Nurasyl Nurdaulet Rauan Sayat
Shyngys Syrym Tamerlan Yerkebulan Zhanat Zhomart Kenzhe Aibar Arnur Bauyrzhan Kuat Meirzhan Nurzhan Adilet
Asylkhan Erasyl""".split()
FEMALE = """Aigerim Saule Gulnara Aliya Dana Madina Zhanar Kamila Aizhan Dinara Assel Zarina Gaukhar Ainur Botagoz
Akmaral Meruert Saltanat Aruzhan Togzhan Aida Aisulu Akbota Altynai Anel Arailym Ayaulym Aigul Balzhan Bibigul
Dariga Dilnaz Elmira Gulmira Gulzhan Indira Karlygash Kuralai Laura Lazzat Makpal Malika Moldir Nazerke Nurgul
Raushan Roza Samal Sholpan Symbat Tomiris Ulbolsyn Zhanel Zhuldyz Zhibek Zere Aknur Ademi Aiym Alua Amina
Ainagul Dameli Dina Fatima Galiya Inkar Kymbat Mariyam Nazgul Perizat Rabiga Sabina Sandugash Shynar Tolganai
Ulzhan Yerkezhan Zhansaya Zhazira Zaure Akerke Balnur Dilyara Kunsulu Marzhan Nursulu Saniya Tansholpan""".split()
STEMS = """Akhmet Sarsen Nurtai Zhaksybek Kassym Imanali Tokay Bektas Serik Omar Abdrakhman Baimukhamed Kenzhebek
Mukhtar Orazbek Satybald Tulegen Utemis Yessen Zhumabek Kali Beisen Nurgali Sultanbek Temirkhan Yergali Amanzhol
Baurzhan Dosmukhamed Yermek Kudaibergen Mamyrbek Shaimerden Tursyn Aben Abdikarim Abilkair Abish Adil Aidar
Aiken Aitbai Aitkali Akhmetzhan Akylbek Alim Almukhamed Altai Aman Amir Arystan Asan Askar Assylbek Auez Azimbai
Baigali Baiken Baisal Baitursyn Bakhyt Balta Bazarbai Bekmukhamed Berdibek Bulat Dauletbai Daulet Dossan Duisen
Elubai Erzhan Esim Gabit Galym Ibrai Iliyas Iskak Issabek Kabdol Kadyr Kairat Kambar Kanat Karim Kerim Khamit
Kozhakhmet Kuanysh Kulbai Kurmangali Kusain Mukhamedzhan Murat Mussa Myrzakhmet Nazarbai Nurbek Nurlan Ospan
Orynbai Rakhim Rakhmet Ramazan Sadyk Sagyn Saken Salim Sapar Seit Shakir Shamshi Suleimen Syzdyk Tair Takhir
Tasbolat Tleu Tolegen Umar Urazbai Uteu Yesmagambet Zhakup Zhaksylyk Zhanbyr Zhanuzak Zhaparkhan Zhumagali
Zhunus Zhusup Abylai Adai Akhan Almas Arman Baubek Bekzhan Darkhan Esen Kaiyrbek Kalybek Karabai Kenes Kurmash
Maksut Medeu Mukan Nurpeis Oraz Raiym Sabyr Samat Sanzhar Seitkali Shokan Sydyk Tanat Tasmagambet Temir Tolep
Turar Uali Yerbol Zholdas Zhandos Zhanibek Zhaslan Zhomart Abzal Ainabek Akbar Akzhol Baigazy Baitemir Berik
Dias Erlan Gani Kabyl Kalmakhan Koishybai Kunai Makhambet Mels Nurmukhamed Rysbek Saduakas Sakhi Sultan Syrym
Talgat Tokhtar Zhenis Zhumakhan""".split()


def zipf_weights(n: int, s: float = 1.0) -> list[float]:
    """Cumulative weights for rng.choices: the k-th name is drawn in proportion to 1 / k**s."""
    total, out = 0.0, []
    for k in range(1, n + 1):
        total += 1.0 / k ** s
        out.append(total)
    return out


# Surnames grow from an ancestor's name, often with a second part (Akhmetbek, Nurgali): the compounds make the
# long tail. The commonest stem is about 3% of the population and the chance that two people share one about
# 0.3% (far below the 9% and 1.7% of the first version, whose handful of names made every office look
# like a clan's).
SUFFIXES = ("bek", "bai", "zhan", "gali")
STEMS += [stem + suffix for suffix in SUFFIXES for stem in STEMS if not stem.endswith(SUFFIXES + ("khan",))]
MALE_W, FEMALE_W, STEMS_W = zipf_weights(len(MALE)), zipf_weights(len(FEMALE)), zipf_weights(len(STEMS), 0.6)


def draw(rng: random.Random, names: list[str], weights: list[float]) -> str:
    return rng.choices(names, cum_weights=weights)[0]

# Families have a home area, and surnames cluster by area as they do by region and clan in Kazakhstan: a
# share of the clans of each area bear one of a few dozen stems common there. Hiring in a region prefers
# people from it (riskcheck.synth.government), so that, as Ferlazzo and Sdoia warn, a regional akimat shows
# more same-surname pairs than the nation's names would give, with no relative hired.
HOME_AREAS = 20
LOCAL_STEMS = 60      # stems common in each area
LOCAL_SHARE = 0.2     # of the clans of an area bearing one of them
NAMESAKE_SHARE = 0.01  # of founders and outsider wives who bear the name and birth day of an earlier person
LOCAL_W = zipf_weights(LOCAL_STEMS, 0.9)

RELATION_STATUSES = (("confirmed", 0.55), ("reported", 0.40), ("alleged", 0.05))
VAGUE = ("relative", "cousin", "in_law")  # recorded kinds no rule counts as close


# Latin to Cyrillic as a Kazakh court register would write these names (the generator's own table, not
# riskcheck's transliteration, so that reading them back is a real test).
_CYRILLIC = [("zh", "ж"), ("kh", "х"), ("sh", "ш"), ("ch", "ч"), ("ts", "ц"), ("yu", "ю"), ("ya", "я"),
             ("ye", "е"), ("a", "а"), ("b", "б"), ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"), ("i", "и"),
             ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"),
             ("t", "т"), ("u", "у"), ("v", "в"), ("y", "ы"), ("z", "з")]


def to_cyrillic(text: str) -> str:
    out, i, low = [], 0, text.lower()
    while i < len(text):
        for latin, cyr in _CYRILLIC:
            if low.startswith(latin, i):
                out.append(cyr.upper() if text[i].isupper() else cyr)
                i += len(latin)
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def stem_of(surname: str) -> str:
    """The generator's own surname stem (Akhmetov, Akhmetova, Akhmetuly -> Akhmet), for counting namesakes."""
    for ending in ("kyzy", "uly", "ova", "eva", "ov", "ev"):
        if surname.endswith(ending):
            return surname[: -len(ending)]
    return surname


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
    home: int = 0  # the family's home area (1..HOME_AREAS); 0 for persons outside the families


@dataclass
class Families:
    persons: list[Person] = field(default_factory=list)
    relations: list[tuple] = field(default_factory=list)  # (id, person_id, relative_id, kind, status, start, end)
    by_id: dict[str, Person] = field(default_factory=dict)
    blood: dict[str, set[str]] = field(default_factory=dict)  # recorded blood neighbours, both directions
    spouses: dict[str, set[str]] = field(default_factory=dict)
    status: dict[tuple[str, str], str] = field(default_factory=dict)  # (person, relative) -> relation status
    namesakes: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (stem, given, day) -> persons

    parents: dict[str, set[str]] = field(default_factory=dict)  # recorded `parent` links, child -> parents
    children: dict[str, set[str]] = field(default_factory=dict)

    def kin(self, pid: str) -> set[str]:
        """pid's blood relatives from the recorded relations: the recorded ones, and the grandparents and
        grandchildren two recorded parent links make (as a genealogist reads them, not as riskcheck's SQL)."""
        out = set(self.blood.get(pid, ()))
        for parent in self.parents.get(pid, ()):
            out |= self.parents.get(parent, set())
        for child in self.children.get(pid, ()):
            out |= self.children.get(child, set())
        return out

    def close(self, pid: str) -> set[str]:
        """Everyone riskcheck's kinship would call a close relative of pid, from the recorded relations."""
        out = self.kin(pid) | set(self.spouses.get(pid, ()))
        for s in self.spouses.get(pid, ()):
            out |= self.kin(s)
        for b in self.kin(pid):
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
    def __init__(self, rng: random.Random, last_year: int):
        self.rng = rng
        self.last_year = last_year  # nobody is born, and no marriage starts, after the year before the as-of date
        self.f = Families()
        self.bride_pool: list[str] = []  # unmarried second-generation daughters of earlier clans
        self.rel_n = 0
        self.home = 0  # the home area of the clan being built
        self.local_stems = {h: rng.sample(STEMS, LOCAL_STEMS) for h in range(1, HOME_AREAS + 1)}
        self.free_names: dict[tuple[str, int], list[tuple[str, str, str]]] = {}  # (gender, year) -> names, days

    def person(self, gender: str, birth_year: int, generation: int, surname: str, patronymic: str,
               free_surname: bool = False) -> Person:
        rng = self.rng
        given = draw(rng, MALE, MALE_W) if gender == "m" else draw(rng, FEMALE, FEMALE_W)
        # Namesakes may share a birth day, as in every national registry. Besides those chance makes, a share
        # of the people whose surname is not their father's (founders, wives from outside) take the full name
        # and birth day of an earlier one: two different people no rule may merge. The generator counts them
        # (by surname stem, given name and day) so that a record from a second source is planted only where it
        # fits one registry person (see Planter.court_record).
        earlier = self.free_names.get((gender, birth_year)) if free_surname else None
        copy = bool(earlier) and rng.random() < NAMESAKE_SHARE
        if copy and earlier:
            surname, given, birth = earlier[rng.randrange(len(earlier))]
        elif rng.random() < 0.15:
            birth = str(birth_year)
        else:
            birth = f"{birth_year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        name = " ".join(x for x in (surname, given, patronymic) if x)
        if len(birth) == 10:
            if free_surname and not copy:
                self.free_names.setdefault((gender, birth_year), []).append((surname, given, birth))
            key = (stem_of(surname), given, birth)
            self.f.namesakes[key] = self.f.namesakes.get(key, 0) + 1
        pid = f"p{len(self.f.persons) + 1:07d}"
        p = Person(pid, name, surname, given, patronymic, gender, birth, birth_year, generation, home=self.home)
        self.f.persons.append(p)
        self.f.by_id[pid] = p
        return p

    def relate(self, person: str, relative: str, kind: str, start: str = "", end: str = "",
               status: str | None = None) -> None:
        self.rel_n += 1
        if status is None:
            r = self.rng.random()
            status = "confirmed" if r < 0.55 else "reported" if r < 0.95 else "alleged"
        self.f.relations.append((f"r{self.rel_n:08d}", person, relative, kind, status, start, end))
        self.f.status[(person, relative)] = status
        if kind in VAGUE:
            return
        if kind == "spouse":
            self.f.spouses.setdefault(person, set()).add(relative)
            self.f.spouses.setdefault(relative, set()).add(person)
        else:
            self.f.blood.setdefault(person, set()).add(relative)
            self.f.blood.setdefault(relative, set()).add(person)
            if kind == "parent":
                self.f.parents.setdefault(person, set()).add(relative)
                self.f.children.setdefault(relative, set()).add(person)

    def outsider_wife(self, husband: Person) -> Person:
        stem = draw(self.rng, STEMS, STEMS_W)
        father = draw(self.rng, MALE, MALE_W)
        kz = self.rng.random() < 0.2
        return self.person("f", husband.birth_year + self.rng.randint(-3, 6), husband.generation,
                           _surname(stem, "f", kz), _patronymic(father, "f", kz), free_surname=True)

    def marry(self, husband: Person, wife: Person) -> None:
        husband.spouse, wife.spouse = wife.id, husband.id
        year = min(max(husband.birth_year, wife.birth_year) + self.rng.randint(21, 30), self.last_year)
        # A third of marriages are known only to the year, as press reports and family trees give them.
        start = str(year) if self.rng.random() < 0.33 else \
            f"{year:04d}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
        end = ""
        if self.rng.random() < 0.08 and (end_year := year + self.rng.randint(2, 15)) <= self.last_year:
            end = f"{end_year:04d}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
        self.relate(husband.id, wife.id, "spouse", start, end)

    def children(self, father: Person, mother: Person, n: int, generation: int) -> list[Person]:
        kids = []
        kz = father.surname.endswith(("uly", "kyzy"))
        stem = father.surname[:-3] if kz else father.surname[:-2]
        for _ in range(n):
            gender = "m" if self.rng.random() < 0.5 else "f"
            year = max(father.birth_year, mother.birth_year) + self.rng.randint(22, 38)
            if year > self.last_year:  # not born yet on the as-of date
                continue
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
        self.home = rng.randint(1, HOME_AREAS)
        stem = draw(rng, self.local_stems[self.home], LOCAL_W) if rng.random() < LOCAL_SHARE else \
            draw(rng, STEMS, STEMS_W)
        founder = self.person("m", rng.randint(1928, 1956), 1, _surname(stem, "m", kz), "", free_surname=True)
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


def build_families(target: int, rng: random.Random, last_year: int) -> Families:
    builder = FamilyBuilder(rng, last_year)
    while len(builder.f.persons) < target:
        builder.clan()
    vague_relations(builder, rng)
    return builder.f


def vague_relations(builder: FamilyBuilder, rng: random.Random) -> None:
    """Relations as registries hold them beside the exact ones: "a relative", "a cousin", "in-laws", between
    persons of different families, a tenth of them alleged. No rule counts these kinds as close."""
    persons = builder.f.persons
    for _ in range(len(persons) // 40):
        a, b = persons[rng.randrange(len(persons))], persons[rng.randrange(len(persons))]
        if a.id != b.id:
            builder.relate(a.id, b.id, rng.choice(VAGUE), status="alleged" if rng.random() < 0.1 else "reported")
