"""Identity resolution and kinship hints over the persons of one case.

Two records are linked as one human only on strong evidence: an explicit `same_as`, or names that
match above STRONG_NAME *and* the same full birth date. Weaker pairs (a matching name with a birth date
known only to the year, or not at all) are listed as possible matches for a reviewer and never merged.
A namesake with another birth date is neither.

Blocking keeps this linear: pairs are only compared inside blocks of (birth day, surname key) and
(birth day, given-name key) for links, (surname key, given-name key, birth year) for possible matches.
A block larger than `max_block` is skipped and reported, so one very common name cannot stall a run.

Kinship hints: a patronymic made from another person's given name, the same surname stem (either
gender) and an age gap of 18-55 years suggest parent and child. A hint is never a fact; rules use one
only when they opt in to `inferred` links.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations

from riskcheck.names.compare import NameComparison, compare_parsed
from riskcheck.names.parse import ParsedName, given_key, parse_name

STRONG_NAME = 0.9     # name score needed, with the same full birth date, to link two records
POSSIBLE_NAME = 0.8   # name score from which a pair is worth a reviewer's look
MAX_BLOCK = 1000      # persons in one block, beyond which the block is skipped and reported
MAX_PARENTS = 3       # candidate parents beyond which a patronymic is too common to hint anything
AGE_GAP = (18, 55)


@dataclass
class PersonNames:
    id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    surname: str = ""
    given_name: str = ""
    patronymic: str = ""
    birth_lo: date | None = None
    birth_hi: date | None = None
    gender: str | None = None
    same_as: list[str] = field(default_factory=list)

    def parsed(self) -> list[ParsedName]:
        """Every way the record writes the name: structured fields, the name, its aliases."""
        cached = self.__dict__.get("_parsed")
        if cached is None:
            cached = []
            if self.surname or self.given_name or self.patronymic:
                cached.append(parse_name("", self.surname or "", self.given_name or "", self.patronymic or ""))
                # The name is most often the same fields joined; parse it only when it says more.
                written = " ".join(x for x in (self.surname, self.given_name, self.patronymic) if x)
                if self.name and sorted(self.name.split()) != sorted(written.split()):
                    cached.append(parse_name(self.name))
            else:
                cached.append(parse_name(self.name))
            cached += [parse_name(a) for a in self.aliases or [] if a]
            self.__dict__["_parsed"] = cached
        return cached

    def father_keys(self) -> set[str]:
        return {given_key(pat.key) for parsed in self.parsed() for pat in parsed.patronymics if len(pat.key) >= 2}

    @property
    def birth_day(self) -> date | None:
        return self.birth_lo if self.birth_lo is not None and self.birth_lo == self.birth_hi else None


@dataclass
class PairResult:
    left: str
    right: str
    kind: str            # same_as | name_and_birth | possible | hint
    score: float
    explanation: list[str]


@dataclass
class Resolution:
    links: list[PairResult] = field(default_factory=list)       # merged
    possible: list[PairResult] = field(default_factory=list)    # for review, never merged
    hints: list[PairResult] = field(default_factory=list)       # left = child, right = possible parent
    canonical: dict[str, str] = field(default_factory=dict)     # merged id -> the id it is merged into
    skipped_blocks: list[tuple[str, int]] = field(default_factory=list)  # (block, size)
    ambiguous_patronymics: int = 0
    compared: int = 0


def birth_relation(a: PersonNames, b: PersonNames) -> str:
    """agrees (same full date), year (same year, not both full), compatible, conflicts or unknown."""
    if a.birth_lo is None or b.birth_lo is None or a.birth_hi is None or b.birth_hi is None:
        return "unknown"
    if a.birth_hi < b.birth_lo or b.birth_hi < a.birth_lo:
        return "conflicts"
    if a.birth_day and a.birth_day == b.birth_day:
        return "agrees"
    if a.birth_lo.year == a.birth_hi.year == b.birth_lo.year == b.birth_hi.year:
        return "year"
    return "compatible"


_BIRTH_WORDS = {"agrees": "birth date agrees", "year": "birth year agrees",
                "compatible": "birth dates overlap but are not both known to the day",
                "conflicts": "birth dates differ", "unknown": "a birth date is not recorded"}


def compare_persons(a: PersonNames, b: PersonNames) -> tuple[float, NameComparison, str]:
    """Best name score over the records' ways of writing the name, with the birth-date relation."""
    best: NameComparison | None = None
    for pa in a.parsed():
        for pb in b.parsed():
            c = compare_parsed(pa, pb, explain=False)
            if best is None or c.score > best.score:
                best, pair = c, (pa, pb)
    assert best is not None
    full = compare_parsed(*pair)
    birth = birth_relation(a, b)
    if a.gender and b.gender and a.gender != b.gender:
        full.gender_conflict = True
    return full.score, full, birth


def _explain(a: PersonNames, b: PersonNames, c: NameComparison, birth: str) -> list[str]:
    lines = [f"name score {c.score:.2f}"] + [p.line() for p in c.parts]
    lines.append(_BIRTH_WORDS[birth])
    if a.gender and b.gender:
        lines.append("gender agrees" if a.gender == b.gender else "genders differ")
    return lines


def _blocking_keys(p: PersonNames) -> tuple[set[str], set[str]]:
    """(surname keys, given-name keys) over every way the record writes the name."""
    surnames, givens = set(), set()
    for parsed in p.parsed():
        for part in parsed.core:
            if len(part.key) < 2:
                continue
            (surnames if part.role == "surname" else givens if part.role == "given" else set()).add(part.key)
    return surnames, givens


def resolve(persons: list[PersonNames], max_block: int = MAX_BLOCK, progress=None) -> Resolution:
    out = Resolution()
    by_id = {p.id: p for p in persons}
    keys = {p.id: _blocking_keys(p) for p in persons}
    if progress:
        progress(f"parsed {len(persons):,} names")

    # Blocks for links: the same full birth date and a shared surname or given-name key.
    link_blocks: dict[tuple, list[str]] = defaultdict(list)
    # Blocks for possible matches: the same surname and given name, and birth year (or none).
    maybe_blocks: dict[tuple, list[str]] = defaultdict(list)
    for p in persons:
        surnames, givens = keys[p.id]
        day = p.birth_day
        if day is not None:
            for k in surnames:
                link_blocks[("s", day, k)].append(p.id)
            for k in givens:
                link_blocks[("g", day, k)].append(p.id)
        year = p.birth_lo.year if p.birth_lo and p.birth_hi and p.birth_lo.year == p.birth_hi.year else None
        for s in surnames:
            for g in givens:
                maybe_blocks[(s, g, year)].append(p.id)
    candidates: set[tuple[str, str]] = set()
    for block_key, ids in sorted(link_blocks.items(), key=lambda kv: str(kv[0])):
        if len(ids) > max_block:
            out.skipped_blocks.append((f"born {block_key[1]}, name word {block_key[2]!r}", len(ids)))
            continue
        candidates.update(combinations(sorted(ids), 2))
    # Possible matches need one side without a full birth date (two full dates either agree, and were
    # compared above, or differ, and the pair is two people). A record with no birth year meets every
    # year of its name.
    by_name: dict[tuple, list[str]] = defaultdict(list)
    for (s, g, year), ids in maybe_blocks.items():
        by_name[(s, g)].append(year)
    for (s, g), years in sorted(by_name.items(), key=lambda kv: kv[0]):
        for year in years:
            ids = maybe_blocks[(s, g, year)]
            inexact = [i for i in ids if by_id[i].birth_day is None]
            if year is None:
                pool = sorted({i for y in years for i in maybe_blocks[(s, g, y)]})
            else:
                pool = sorted(set(ids) | set(maybe_blocks.get((s, g, None), [])))
                inexact = sorted(set(inexact) | set(maybe_blocks.get((s, g, None), [])))
            if not inexact:
                continue
            if len(pool) > max_block:
                out.skipped_blocks.append((f"name {s!r} {g!r}, born {year or 'unknown'}", len(pool)))
                continue
            for i in inexact:
                for j in pool:
                    if i != j:
                        candidates.add((min(i, j), max(i, j)))
    if progress:
        progress(f"blocked: {len(candidates):,} pairs to compare")

    # Explicit same_as links first: they need no score.
    explicit: set[tuple[str, str]] = set()
    for p in persons:
        for other in p.same_as or []:
            if other in by_id and other != p.id:
                pair = (min(p.id, other), max(p.id, other))
                if pair not in explicit:
                    explicit.add(pair)
                    out.links.append(PairResult(pair[0], pair[1], "same_as", 1.0,
                                                [f"the record {p.id} says it is the same person as {other}"]))
    fathers = {p.id: p.father_keys() for p in persons}
    for a_id, b_id in sorted(candidates):
        if (a_id, b_id) in explicit:
            continue
        a, b = by_id[a_id], by_id[b_id]
        birth = birth_relation(a, b)
        # Cheap refusals first: two full birth dates that differ, two genders, two fathers' names.
        if birth == "conflicts" or (a.gender and b.gender and a.gender != b.gender):
            continue
        if fathers[a_id] and fathers[b_id] and not fathers[a_id] & fathers[b_id]:
            continue
        out.compared += 1
        score, comparison, birth = compare_persons(a, b)
        if comparison.gender_conflict or comparison.patronymic_conflict:
            continue
        if score >= STRONG_NAME and birth == "agrees":
            out.links.append(PairResult(a_id, b_id, "name_and_birth", score, _explain(a, b, comparison, birth)))
        elif score >= POSSIBLE_NAME:
            out.possible.append(PairResult(a_id, b_id, "possible", score, _explain(a, b, comparison, birth)))
    out.canonical = _clusters(out.links)
    # A possible pair inside one linked cluster is already settled; between two clusters, the best pair
    # of records stands for them.
    best: dict[tuple[str, str], PairResult] = {}
    for pair in out.possible:
        ends = tuple(sorted((out.canonical.get(pair.left, pair.left), out.canonical.get(pair.right, pair.right))))
        if ends[0] != ends[1] and (ends not in best or pair.score > best[ends].score):
            best[ends] = pair
    out.possible = sorted(best.values(), key=lambda p: (p.left, p.right))
    if progress:
        progress(f"compared {out.compared:,} pairs: {len(out.links):,} links, {len(out.possible):,} possible")
    _hints(persons, keys, out)
    return out


def _clusters(links: list[PairResult]) -> dict[str, str]:
    """Union-find over the links; every id maps to the smallest id of its cluster."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for link in links:
        ra, rb = find(link.left), find(link.right)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in list(parent) if find(x) != x}


def _hints(persons: list[PersonNames], keys: dict, out: Resolution) -> None:
    """Possible parent-child pairs from patronymics; see the module docstring."""
    index: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    by_id = {p.id: p for p in persons}
    for p in persons:
        if p.id in out.canonical or p.birth_lo is None or p.gender == "f":
            continue
        surnames, givens = keys[p.id]
        for s in surnames:
            for g in givens:
                index[(s, given_key(g))].append((p.birth_lo.year, p.id))
    for block in index.values():
        block.sort()
    for child in persons:
        if child.id in out.canonical or child.birth_lo is None or child.birth_hi is None:
            continue
        pats = {(pat.key, pat.written) for parsed in child.parsed() for pat in parsed.patronymics
                if len(pat.key) >= 3}
        if not pats:
            continue
        found: dict[str, str] = {}
        too_many = False
        lo_year, hi_year = child.birth_hi.year - AGE_GAP[1], child.birth_lo.year - AGE_GAP[0]
        for pat_key, written in sorted(pats):
            for s in sorted(keys[child.id][0]):
                block = index.get((s, given_key(pat_key)), [])
                window = block[bisect_left(block, (lo_year, "")):bisect_right(block, (hi_year, "\uffff"))]
                if len(window) > MAX_PARENTS * 3:
                    too_many = True
                    break
                for _, cand_id in window:
                    if cand_id != child.id and _age_gap_fits(by_id[cand_id], child):
                        found.setdefault(cand_id, written)
        if too_many or len(found) > MAX_PARENTS:
            out.ambiguous_patronymics += 1
            continue
        for cand_id, written in sorted(found.items()):
            cand = by_id[cand_id]
            gap_lo = child.birth_lo.year - cand.birth_hi.year
            gap_hi = child.birth_hi.year - cand.birth_lo.year
            gap = f"{gap_lo}" if gap_lo == gap_hi else f"{gap_lo}-{gap_hi}"
            out.hints.append(PairResult(child.id, cand_id, "hint", 0.0, [
                f"patronymic {written} is made from the given name of {cand.name}",
                f"same surname stem: {child.name} / {cand.name}",
                f"{cand.name} is {gap} years older",
            ] + ([f"{len(found)} persons fit; each is listed"] if len(found) > 1 else [])))


def _age_gap_fits(parent: PersonNames, child: PersonNames) -> bool:
    if None in (parent.birth_lo, parent.birth_hi, child.birth_lo, child.birth_hi):
        return False
    most = child.birth_hi.year - parent.birth_lo.year
    least = child.birth_lo.year - parent.birth_hi.year
    return least >= AGE_GAP[0] and most <= AGE_GAP[1]
