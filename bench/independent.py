"""A second national registry, written from the data contract alone, and riskcheck measured on it beside the SQL twin.

bench/national.py measures riskcheck on `riskcheck synth`'s registry: a generator written by the same project
can share its blind spots (the names it spells, the shapes of families it draws, the violations it plants).
This file writes another registry and runs the same side-by-side comparison on it.

How far it is independent: it was written from /work/shared/registry-contract.md and the Kazakh rules'
descriptions (rules/kz/*.yaml), without reading riskcheck/synth. It has its own name pools (Cyrillic, Russian
and Kazakh, Russian- and Kazakh-style patronymics, `ё`), its own shapes (households of two to five persons,
ministries of 112 posts), its own planted violations of the four Kazakh rules the twin writes, and the quirks
of a Russian-locale Excel export: persons.csv starts with a byte-order mark, relations.csv separates cells with
`;`, every file ends lines with CRLF, older persons' birth dates are known to the year only, and some persons
are recorded by their full name alone. It is not independent of everything: it was written by an engineer who
has read riskcheck's rules and bench/peer.py, so it plants what those rules look for, and every person cites one
official source (two records of one source are presumed two people, so its namesakes test that, not the
linking of records from different sources).

Planted (each a handful per 20,000 persons, at least two): a son appointed after his father's corruption
conviction entered into force, and one after his wife's father's; a father heading the department his son
works in; a minister's daughter admitted to the personnel reserve; a minister who did not resign after his
deputy's conviction, and one who did in time; and a trap: a father who shares his full name and birth date
with a convicted stranger, whose son's appointment must give no finding. Everything else is drawn so that it
gives none: relatives never work in one ministry, convicted persons have no recorded family or post, reserve
members' relatives hold no high post.

    python bench/independent.py --sizes 1000000                 # write (once) and compare at a million
    python bench/independent.py --sizes 1000000 --no-cache      # riskcheck keeping nothing, as the twin
    python bench/independent.py --write-only /tmp/ind --persons 100000

The registry is written in a streaming way (households as they are drawn, posts ministry by ministry), so ten
million persons fit in a few hundred megabytes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from collections import Counter, deque
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

AS_OF = "2025-11-01"

SURNAMES = ["Абдрахманов", "Жумабеков", "Нурпеисов", "Сейткалиев", "Тулегенов", "Байжанов", "Есимов", "Каримов",
            "Оспанов", "Мухамеджанов", "Сарсенбаев", "Кудайбергенов", "Иманбеков", "Ахметжанов", "Турсынов",
            "Жакупов", "Бекмухамбетов", "Алимжанов", "Касымов", "Шаймерденов", "Утебаев", "Нургалиев", "Рахимов",
            "Смагулов", "Толеубаев", "Ермеков", "Амиров", "Балтабаев", "Дюсенов", "Габдуллин", "Исмаилов",
            "Кенжебаев", "Мусин", "Омаров", "Садыков", "Тажибаев", "Уразов", "Хамитов", "Шарипов", "Ыбыраев",
            "Фёдоров", "Иванов", "Ковалёв", "Соловьёв", "Петров", "Киселёв", "Новиков", "Морозов", "Лебедев",
            "Волков", "Зайцев", "Павлов", "Семёнов", "Голубев", "Виноградов", "Богданов", "Воробьёв", "Тарасов",
            "Белов", "Комаров", "Орлов", "Киреев", "Макаров", "Андреев", "Ильин", "Гусев", "Титов", "Кузьмин"]
MALE = ["Ерлан", "Данияр", "Асхат", "Бауыржан", "Нурлан", "Тимур", "Азамат", "Ержан", "Марат", "Алмас", "Канат",
        "Руслан", "Серик", "Дамир", "Арман", "Жандос", "Талгат", "Берик", "Мурат", "Ербол", "Самат", "Айдос",
        "Нуржан", "Ильяс", "Арсен", "Олжас", "Досжан", "Кайрат", "Болат", "Габит", "Сергей", "Пётр", "Алексей",
        "Андрей", "Дмитрий", "Николай", "Фёдор", "Артём", "Семён", "Виктор", "Олег", "Игорь", "Павел", "Юрий"]
FEMALE = ["Айгуль", "Динара", "Гульнара", "Жанар", "Асель", "Салтанат", "Мадина", "Алия", "Камила", "Айжан",
          "Лаура", "Сауле", "Гаухар", "Жулдыз", "Меруерт", "Акмарал", "Томирис", "Инкар", "Дана", "Айым",
          "Ольга", "Алёна", "Татьяна", "Наталья", "Ирина", "Светлана", "Елена", "Мария", "Фёкла", "Дарья"]
RUSSIAN_GIVEN = set(MALE[30:]) | set(FEMALE[20:])


def female_surname(surname: str) -> str:
    return surname + "а" if surname.endswith(("ов", "ев", "ёв", "ин")) else surname


def patronymic(father_given: str, female: bool, russian_style: bool) -> str:
    """Russian style (Ерланович, Ерлановна) or Kazakh style (Ерланұлы, Ерланқызы)."""
    if russian_style or father_given in RUSSIAN_GIVEN:
        stem = father_given
        if stem.endswith("й"):
            return stem[:-1] + ("евна" if female else "евич")
        if stem.endswith("а"):
            return stem[:-1] + ("ична" if female else "ич")
        return stem + ("овна" if female else "ович")
    return father_given + ("қызы" if female else "ұлы")


def day(rng: random.Random, first: int, last: int) -> date:
    start = date(first, 1, 1)
    return start + timedelta(days=rng.randrange((date(last, 12, 31) - start).days + 1))


class Files:
    """The registry's CSV files, written row by row as records are drawn, with the Russian-locale quirks."""

    FIELDS = {
        "sources": ["id", "title", "kind", "publisher", "url"],
        "persons": ["id", "name", "surname", "given_name", "patronymic", "birth_date", "gender", "sources"],
        "organizations": ["id", "name", "kind", "region", "sources"],
        "positions": ["id", "title", "organization_id", "category", "kind", "reports_to", "rank", "sources"],
        "tenures": ["id", "person_id", "position_id", "start", "end", "end_reason", "sources"],
        "relations": ["id", "person_id", "relative_id", "kind", "status", "start", "end", "sources"],
        "verdicts": ["id", "person_id", "offence", "category", "outcome", "offence_start", "offence_end",
                     "verdict_date", "in_force_date", "sources"],
        "resignations": ["id", "person_id", "submitted", "position_id", "accepted", "sources"],
        "programs": ["id", "name", "sources"],
        "memberships": ["id", "person_id", "program_id", "admitted", "sources"],
    }

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.handles, self.writers, self.counts = {}, {}, Counter()
        for name, fields in self.FIELDS.items():
            encoding = "utf-8-sig" if name == "persons" else "utf-8"   # Excel's "CSV UTF-8" writes a BOM
            fh = open(folder / f"{name}.csv", "w", encoding=encoding, newline="")
            delimiter = ";" if name == "relations" else ","              # a Russian-locale Excel's separator
            writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
            writer.writerow(fields)
            self.handles[name], self.writers[name] = fh, writer

    def write(self, record_type: str, **values) -> str:
        self.counts[record_type] += 1
        values.setdefault("id", f"{record_type[:3]}{self.counts[record_type]:08d}")
        values.setdefault("sources", "s-registry")
        self.writers[record_type].writerow(["" if values.get(f) is None else str(values.get(f))
                                            for f in self.FIELDS[record_type]])
        return values["id"]

    def close(self) -> None:
        for fh in self.handles.values():
            fh.close()


class Registry:
    """Draws persons, households, ministries and events; keeps only the ground truth in memory."""

    def __init__(self, folder: Path, persons: int, seed: int):
        self.rng = random.Random(seed)
        self.files = Files(folder)
        self.target = persons
        self.person_count = 0
        self.expected: list[dict] = []
        self.traps = Counter()
        self.queues: tuple[deque, deque] = (deque(), deque())  # employable persons, one household member per queue

    # persons and households --------------------------------------------------------------------------
    def person(self, female: bool, born: date | str, surname: str | None = None, father: str | None = None,
               given: str | None = None) -> tuple[str, str, str]:
        rng = self.rng
        self.person_count += 1
        pid = f"p{self.person_count:08d}"
        surname = surname or rng.choice(SURNAMES)
        shown_surname = female_surname(surname) if female else surname
        given = given or rng.choice(FEMALE if female else MALE)
        father = father or rng.choice(MALE)
        patr = patronymic(father, female, rng.random() < 0.4)
        name = f"{shown_surname} {given} {patr}"
        if rng.random() < 0.08:   # recorded by the full name alone
            self.written = dict(name=name.upper() if rng.random() < 0.3 else name, birth_date=born,
                                gender="f" if female else "m")
        else:
            self.written = dict(name=name, surname=shown_surname, given_name=given, patronymic=patr, birth_date=born,
                                gender="f" if female else "m")
        self.files.write("persons", id=pid, **self.written)
        return pid, surname, given

    def relation(self, person: str, relative: str, kind: str, start: str | None = None) -> None:
        inverse = {"parent": "child", "spouse": "spouse"}
        if self.rng.random() < 0.2:   # the same fact recorded from the other side
            person, relative, kind = relative, person, inverse[kind]
        status = "confirmed" if self.rng.random() < 0.7 else "reported"
        self.files.write("relations", person_id=person, relative_id=relative, kind=kind, status=status, start=start)

    def household(self) -> None:
        """Two parents (a grandfather sometimes) and up to three children; up to two employable members go to
        the two queues, so no two relatives are ever placed in one ministry."""
        rng = self.rng
        born = day(rng, 1948, 1976)
        grand = None
        if rng.random() < 0.15:
            gborn = str(born.year - rng.randint(22, 35))      # an old record: the year alone
            grand, gsurname, ggiven = self.person(False, gborn)
        father, surname, fgiven = (self.person(False, born.isoformat(), surname=gsurname, father=ggiven)
                                   if grand else self.person(False, born.isoformat()))
        if grand:
            self.relation(father, grand, "parent")
        mother, _, _ = self.person(True, day(rng, born.year - 4, born.year + 6).isoformat())
        married = date(max(born.year + 20, 1970), rng.randint(1, 12), rng.randint(1, 28))
        self.relation(father, mother, "spouse", married.isoformat() if rng.random() < 0.6 else str(married.year))
        members = [father, mother]
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            cborn = day(rng, married.year + 1, min(married.year + 18, 2004))
            child, _, _ = self.person(rng.random() < 0.5, cborn.isoformat(), surname=surname, father=fgiven)
            self.relation(child, father, "parent")
            self.relation(child, mother, "parent")
            members.append(child)
            if cborn.year >= 1995 and rng.random() < 0.01:    # a reserve member: no relative holds a high post
                self.files.write("memberships", person_id=child, program_id="prog-reserve",
                                 admitted=day(rng, max(2019, cborn.year + 20), 2025).isoformat())
        if rng.random() < 0.01:   # a verdict in the family that no rule reads
            outcome, category = rng.choice([("convicted", "other"), ("acquitted", "corruption"),
                                            ("pending", "other"), ("terminated_rehabilitating", "other")])
            verdict = day(rng, 2008, 2024)
            self.files.write("verdicts", person_id=rng.choice(members), offence="Мошенничество",
                             category=category, outcome=outcome, offence_start=(verdict - timedelta(days=400)).isoformat(),
                             verdict_date=verdict.isoformat(),
                             in_force_date=(verdict + timedelta(days=30)).isoformat() if outcome == "convicted" else None)
        employable = [m for m in members if rng.random() < 0.45]
        rng.shuffle(employable)
        for queue, member in zip(self.queues, employable):
            queue.append(member)

    def employable(self, queue: int) -> str:
        while not self.queues[queue]:
            self.household()
        return self.queues[queue].popleft()

    def singleton(self, born_first: int = 1955, born_last: int = 1985) -> str:
        return self.person(self.rng.random() < 0.2, day(self.rng, born_first, born_last).isoformat())[0]

    # posts -------------------------------------------------------------------------------------------
    def tenure(self, person: str, post: str, start: date | None = None, end: date | None = None,
               end_reason: str | None = None) -> None:
        start = start or day(self.rng, 2008, 2024)
        self.files.write("tenures", person_id=person, position_id=post, start=start.isoformat(),
                         end=end.isoformat() if end else None, end_reason=end_reason)

    def ministry(self, k: int, planted: dict[str, int]) -> None:
        """A ministry: a minister (political), three deputies (political), twelve department heads and 96
        specialists. Ministers and deputies are persons without recorded family; the others come from the
        households, all from one queue, so no two of one family serve in one ministry."""
        rng, files = self.rng, self.files
        org = files.write("organizations", id=f"org{k:06d}", name=f"Министерство № {k}", kind="ministry",
                          region=rng.choice(["Астана", "Алматы", "Шымкент", "Караганда", "Актобе"]))
        queue = k % 2

        def post(i: int, title: str, category: str, kind: str, rank: int, reports_to: str | None) -> str:
            return files.write("positions", id=f"pos{k:06d}-{i:03d}", title=title, organization_id=org,
                               category=category, kind=kind, rank=rank, reports_to=reports_to)

        minister = post(0, "Министр", "political", "minister", 9, None)
        placed, deputy_hook = self._plant_minister(minister, planted)
        if not placed:
            self.tenure(self.singleton(), minister, day(rng, 2012, 2024))
        n = 1
        specialist_slots: list[tuple[str, str]] = []
        for d in range(3):
            deputy = post(n, f"Вице-министр {d + 1}", "political", "vice_minister", 8, minister)
            n += 1
            if not (d == 0 and deputy_hook and deputy_hook(deputy)):
                self.tenure(self.singleton(), deputy, day(rng, 2012, 2024))
            for h in range(4):
                head = post(n, f"Директор департамента {d + 1}.{h + 1}", "administrative", "department_head", 5,
                            deputy)
                n += 1
                head_filled = False
                if planted["subordination"] and d == 1 and h == 0:
                    head_filled = self._plant_subordination(head, post, n)
                    n += 1
                    planted["subordination"] -= 1
                if not head_filled:
                    self.tenure(self.employable(queue), head)
                for s in range(8):
                    spec = post(n, f"Главный эксперт {d + 1}.{h + 1}.{s + 1}", "administrative", "specialist", 2,
                                head)
                    n += 1
                    specialist_slots.append((spec, head))
        kinship_here = 3   # at most three planted sons in one ministry
        for spec, head in specialist_slots:
            if planted["kinship"] and kinship_here:
                kinship_here -= 1
                self._plant_kinship(spec, planted)
                continue
            person = self.employable(queue)
            start = day(rng, 2008, 2024)
            if rng.random() < 0.3:   # an earlier holder, who left before
                left = start - timedelta(days=rng.randint(1, 90))
                self.tenure(self.employable(queue), spec, left - timedelta(days=rng.randint(200, 2000)), left,
                            rng.choice(["transferred", "resigned", "term_ended"]))
            end = start + timedelta(days=rng.randint(90, 3000))
            self.tenure(person, spec, start, *((end, "transferred") if rng.random() < 0.2 and end < date(2025, 10, 1)
                                               else (None, None)))

    # planted -----------------------------------------------------------------------------------------
    def _plant_minister(self, minister: str, planted: dict[str, int]):
        """A minister whose daughter enters the reserve, or who owes a resignation for a deputy's verdict."""
        rng = self.rng
        if planted["reserve"]:
            planted["reserve"] -= 1
            father = self.singleton(1955, 1970)
            daughter, _, _ = self.person(True, day(rng, 1996, 2000).isoformat())
            self.relation(daughter, father, "parent")
            self.tenure(father, minister, date(2015, 2, 2) + timedelta(days=rng.randrange(600)))
            self.files.write("memberships", person_id=daughter, program_id="prog-reserve",
                             admitted=(date(2021, 6, 15) + timedelta(days=rng.randrange(300))).isoformat())
            self._expect("reserve-relative-conflict", daughter, father, "flagged")
            return True, None
        for status in ("flagged", "complied"):
            if planted[f"resignation-{status}"]:
                planted[f"resignation-{status}"] -= 1
                head = self.singleton(1955, 1970)

                def deputy_post(deputy_post_id: str, head: str = head, status: str = status) -> bool:
                    deputy = self.singleton(1960, 1980)
                    shift = timedelta(days=rng.randrange(200))
                    in_force = date(2021, 10, 5) + shift
                    self.tenure(deputy, deputy_post_id, date(2017, 3, 1) + shift, in_force + timedelta(days=15),
                                "dismissed")
                    self.files.write("verdicts", person_id=deputy, offence="Получение взятки", category="corruption",
                                     outcome="convicted", offence_start=(date(2020, 4, 1) + shift).isoformat(),
                                     offence_end=(date(2020, 10, 31) + shift).isoformat(),
                                     verdict_date=(date(2021, 8, 30) + shift).isoformat(),
                                     in_force_date=in_force.isoformat())
                    if status == "complied":
                        self.files.write("resignations", person_id=head, submitted=(in_force + timedelta(days=7)).isoformat(),
                                         position_id=minister, accepted="true")
                        self.tenure(head, minister, date(2016, 1, 11) + shift, in_force + timedelta(days=20), "resigned")
                    else:
                        self.tenure(head, minister, date(2016, 1, 11) + shift)
                    self._expect("subordinate-corruption-resignation", head, deputy, status)
                    return True
                return True, deputy_post
        return False, None

    def _plant_subordination(self, head_post: str, post, n: int) -> bool:
        rng = self.rng
        father = self.person(False, day(rng, 1955, 1968).isoformat())
        son, _, _ = self.person(False, day(rng, 1988, 1996).isoformat(), surname=None, father=None)
        self.relation(son, father[0], "parent")
        spec = post(n, "Главный эксперт (отдел кадров)", "administrative", "specialist", 2, head_post)
        self.tenure(father[0], head_post, date(2012, 1, 15) + timedelta(days=rng.randrange(400)))
        self.tenure(son, spec, date(2019, 9, 1) + timedelta(days=rng.randrange(400)))
        self._expect("relatives-direct-subordination", son, father[0], "flagged")
        return True

    def _plant_kinship(self, spec: str, planted: dict[str, int]) -> bool:
        """A son appointed after his father's (or his wife's father's) conviction entered into force; or the
        trap, whose father is only the namesake of a convicted man."""
        rng = self.rng
        kind = next(k for k in ("father", "in-law", "namesake") if planted[f"kinship-{k}"])
        planted[f"kinship-{kind}"] -= 1
        planted["kinship"] -= 1
        fborn = day(rng, 1950, 1965)
        surname, fgiven = rng.choice(SURNAMES), rng.choice(MALE)
        father, _, _ = self.person(False, fborn.isoformat(), surname=surname, given=fgiven)
        father_record = self.written
        son, _, _ = self.person(False, day(rng, 1985, 1995).isoformat(), surname=surname, father=fgiven)
        self.relation(son, father, "parent")
        shift = timedelta(days=rng.randrange(500))
        convicted = father
        if kind == "in-law":
            wife, _, wgiven = self.person(True, day(rng, 1986, 1996).isoformat())
            self.relation(son, wife, "spouse", (date(2012, 6, 1) + shift).isoformat())
            convicted, _, _ = self.person(False, day(rng, 1950, 1965).isoformat())
            self.relation(wife, convicted, "parent")
        elif kind == "namesake":
            # the convicted stranger: the father's name and birth date, from the same source
            self.person_count += 1
            convicted = f"p{self.person_count:08d}"
            self.files.write("persons", id=convicted, **father_record)
        self.files.write("verdicts", person_id=convicted, offence="Растрата", category="corruption", outcome="convicted",
                         offence_start=(date(2010, 2, 1) + shift).isoformat(),
                         verdict_date=(date(2013, 3, 12) + shift).isoformat(),
                         in_force_date=(date(2013, 5, 20) + shift).isoformat())
        self.tenure(son, spec, date(2016, 4, 1) + shift)
        if kind == "namesake":
            self.traps["a namesake born the same day"] += 1
        else:
            self._expect("kinship-convicted-official", son, convicted, "flagged")
        return True

    def _expect(self, rule: str, person: str, related: str, status: str) -> None:
        self.expected.append({"rule": rule, "person": person, "related": [related], "status": status, "planted": True})

    # the whole registry ------------------------------------------------------------------------------
    def write(self) -> dict:
        rng, files = self.rng, self.files
        files.write("sources", id="s-registry", title="Реестр государственных служащих (выгрузка)", kind="official",
                    publisher="Агентство по делам государственной службы", url="https://example.kz/registry",
                    sources=None)
        files.write("programs", id="prog-reserve", name="Президентский молодёжный кадровый резерв")
        each = max(2, self.target // 20_000)
        planted = Counter({"reserve": each, "resignation-flagged": each, "resignation-complied": each,
                           "subordination": each, "kinship-father": each, "kinship-in-law": each,
                           "kinship-namesake": each, "kinship": 3 * each})
        ministries = max(4, self.target // 1000)
        for k in range(ministries):
            # planted ministries first among every fifth, until every plant has its place
            chosen = planted if (k % 5 == 3 or k >= ministries - 8) else Counter()
            self.ministry(k, chosen if sum(chosen.values()) else Counter())
        convicted = max(2, self.target // 400)
        for _ in range(convicted):   # convicted persons with no recorded family and no post
            person = self.singleton(1950, 1985)
            verdict = day(rng, 2008, 2024)
            files.write("verdicts", person_id=person, offence="Получение взятки", category="corruption",
                        outcome="convicted", offence_start=(verdict - timedelta(days=500)).isoformat(),
                        verdict_date=verdict.isoformat(), in_force_date=(verdict + timedelta(days=40)).isoformat())
        while self.person_count < self.target:
            self.household()
        files.close()
        left = {k: v for k, v in planted.items() if v}
        if left:
            raise SystemExit(f"too few ministries to plant {left}; use more persons")
        return {"counts": dict(files.counts, persons=self.person_count),
                "expected": sorted(self.expected, key=lambda e: (e["rule"], e["person"], e["related"])),
                "planted_without_finding": dict(self.traps)}


def write_registry(out: Path, persons: int, seed: int) -> dict:
    case = out / "independent"
    truth = Registry(case, persons, seed).write()
    (case / "case.yaml").write_text(
        "id: independent\n"
        "title: \"FICTIONAL: a registry written from the data contract alone (bench/independent.py)\"\n"
        f"as_of: {AS_OF}\njurisdiction: KZ\n", encoding="utf-8")
    (out / "ground-truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", type=Path, default=Path("/tmp/riskcheck-independent"),
                        help="folder to keep (and reuse) generated registries in")
    parser.add_argument("--write-only", type=Path, default=None, help="write one registry here and stop")
    parser.add_argument("--persons", type=int, default=100_000, help="with --write-only")
    parser.add_argument("--no-cache", action="store_true",
                        help="riskcheck keeps nothing for a later run (riskcheck run --no-cache), as the twin keeps "
                             "nothing: the two then do the same work")
    args = parser.parse_args()
    if args.write_only:
        start = time.perf_counter()
        truth = write_registry(args.write_only, args.persons, args.seed)
        print(f"wrote {truth['counts']} in {time.perf_counter() - start:.1f}s")
        return
    from national import compare_side_by_side, print_side_by_side

    rows = []
    for n in args.sizes:
        registry = args.keep / f"n{n}-s{args.seed}"
        if not (registry / "ground-truth.json").exists():
            start = time.perf_counter()
            write_registry(registry, n, args.seed)
            print(f"generated {n:,} persons in {time.perf_counter() - start:.1f}s")
        rows.append(compare_side_by_side(registry, "independent", args.keep / f"report-independent-n{n}",
                                         no_cache=args.no_cache))
    print_side_by_side(rows, "the independent registry (bench/independent.py)", args.no_cache)


if __name__ == "__main__":
    main()
