"""Identity resolution and kinship hints over the persons of one case.

Two records are linked as one human only on evidence two different people cannot share:
- an explicit `same_as`;
- one identifier (`kz-iin:...`) on both;
- names that match above STRONG_NAME with every word the same but for spelling, *and* the same full
  birth date, *and* records from different sources (both cite sources, none in common) with no recorded
  fact against it (another parent, another spouse at the same time: `FamilyCheck`; another gender or
  patronymic: the name score). Namesakes born on the same day exist in every national registry, so two
  records of one source are presumed two people.
A link is refused whatever its evidence when it would put into one person two records that `not_same_as`
keeps apart, or two different identifiers of one scheme. Weaker and refused pairs are listed as possible
matches for a reviewer and never merged. A namesake with another birth date is neither.

Blocking keeps this linear, and runs in DuckDB (riskcheck.names.candidates): pairs are only compared
inside blocks of (birth day, surname key) and (birth day, given-name key) for links, (surname key,
given-name key, birth year) for possible matches. A block larger than `max_block` is skipped and
reported, so one very common name cannot stall a run; possible pairs beyond MAX_POSSIBLE (the rarest
names first) are counted, not compared: no reviewer reads more.

Kinship hints: a patronymic made from another person's given name, the same surname stem (either
gender) and an age gap of 18-55 years suggest parent and child. A hint is never a fact; rules use one
only when they opt in to `inferred` links.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import combinations
from typing import Callable

import duckdb

from riskcheck.names.candidates import build_name_keys, candidate_pairs, kinship_hints
from riskcheck.names.compare import NameComparison, compare_parsed
from riskcheck.names.parse import ParsedName, parse_name
from riskcheck.sqlio import bulk_insert

STRONG_NAME = 0.9     # name score needed, with the same full birth date and no word differing, to link
POSSIBLE_NAME = 0.8   # name score from which a pair is worth a reviewer's look
MAX_BLOCK = 1000      # persons in one block, beyond which the block is skipped and reported
MAX_PARENTS = 3       # candidate parents beyond which a patronymic is too common to hint anything
MAX_EXPLAINED = 1000  # possible pairs worded in full; the rest carry their score and birth evidence
MAX_POSSIBLE = 20_000  # possible pairs compared, the rarest names first; the rest are counted
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
    not_same_as: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)  # scheme:value
    sources: list[str] = field(default_factory=list)

    def parsed(self) -> tuple[ParsedName, ...]:
        """Every way the record writes the name: structured fields, the name, its aliases."""
        return name_forms(self.name or "", self.surname or "", self.given_name or "", self.patronymic or "",
                          tuple(self.aliases or ()))

    @property
    def birth_day(self) -> date | None:
        return self.birth_lo if self.birth_lo is not None and self.birth_lo == self.birth_hi else None


@lru_cache(maxsize=300_000)
def name_forms(name: str, surname: str, given: str, patronymic: str, aliases: tuple[str, ...]) -> tuple[ParsedName, ...]:
    """The parsed forms of one record's names, computed once per distinct name (the keys that blocking and
    hints need are computed per distinct name part, in SQL: riskcheck.names.candidates)."""
    forms = []
    if surname or given or patronymic:
        forms.append(parse_name("", surname, given, patronymic))
        # The name is most often the same fields joined; parse it only when it says more.
        if name and name != " ".join(x for x in (surname, given, patronymic) if x) \
                and sorted(name.split()) != sorted(" ".join((surname, given, patronymic)).split()):
            forms.append(parse_name(name))
    else:
        forms.append(parse_name(name))
    for alias in aliases:
        if alias:
            forms.append(parse_name(alias))
    return tuple(forms)


@dataclass
class PairResult:
    left: str
    right: str
    kind: str            # same_as | identifier | name_and_birth | possible | hint
    score: float
    explanation: list[str]
    rank: int = 0        # hints: 1 is the most telling (riskcheck.names.candidates.kinship_hints)
    changes: list[str] = field(default_factory=list)  # hints: the findings it would add if true


# Given pairs of person ids that a name and birth date would link, return a reason against each pair the
# recorded facts contradict (another parent, another spouse at the same time). The store answers this in
# SQL (riskcheck.registry.identity); without one, only the names and the records' own fields are checked.
FamilyCheck = Callable[[list[tuple[str, str]]], dict[tuple[str, str], str]]


@dataclass
class Resolution:
    links: list[PairResult] = field(default_factory=list)       # merged
    possible: list[PairResult] = field(default_factory=list)    # for review, never merged
    hints: list[PairResult] = field(default_factory=list)       # left = child, right = possible parent
    canonical: dict[str, str] = field(default_factory=dict)     # merged id -> the id it is merged into
    skipped_blocks: list[tuple[str, int]] = field(default_factory=list)  # (block, size)
    ambiguous_patronymics: int = 0
    compared: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # why a name-and-birth link was not made -> count
    hints_total: int = 0  # all kinship hints; `hints` holds those worded (all of them for small inputs)
    possible_not_compared: int = 0  # possible pairs beyond MAX_POSSIBLE, counted, not compared


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


def _explain(a: PersonNames, b: PersonNames, c: NameComparison, birth: str) -> list[str]:
    lines = [f"names alike at {c.score:.0%}"] + [p.words() for p in c.parts]
    lines.append(_BIRTH_WORDS[birth])
    if a.gender and b.gender:
        lines.append("gender agrees" if a.gender == b.gender else "genders differ")
    return lines


def resolve(persons: list[PersonNames], max_block: int = MAX_BLOCK, progress=None,
            family: FamilyCheck | None = None) -> Resolution:
    """Link, list and hint (see the module docstring) persons given in Python (tests, `riskcheck names`,
    the benchmark): they are loaded into an in-memory DuckDB and resolved as a case's are."""
    conn = duckdb.connect(":memory:")
    try:
        load_persons(conn, persons)
        return resolve_in_store(conn, max_block, progress, family, all_hints=True)
    finally:
        conn.close()


def load_persons(conn: duckdb.DuckDBPyConnection, persons: list[PersonNames]) -> None:
    """A `persons` table as the store has it, from PersonNames."""
    conn.execute("CREATE TABLE nk_load (id VARCHAR, name VARCHAR, aliases VARCHAR, surname VARCHAR, "
                 "given_name VARCHAR, patronymic VARCHAR, lo VARCHAR, hi VARCHAR, gender VARCHAR, "
                 "same_as VARCHAR, not_same_as VARCHAR, identifiers VARCHAR, sources VARCHAR)")

    def joined(items) -> str | None:
        return "\x1f".join(items) if items else None
    bulk_insert(conn, "nk_load", ((p.id, p.name or None, joined(p.aliases), p.surname or None, p.given_name or None,
                                   p.patronymic or None, p.birth_lo and p.birth_lo.isoformat(),
                                   p.birth_hi and p.birth_hi.isoformat(), p.gender, joined(p.same_as),
                                   joined(p.not_same_as), joined(p.identifiers), joined(p.sources))
                                  for p in persons))
    lists = {c: f"CASE WHEN {c} IS NOT NULL THEN string_split({c}, chr(31)) END AS {c}"
             for c in ("aliases", "same_as", "not_same_as", "identifiers", "sources")}
    conn.execute(f"""CREATE TABLE persons AS SELECT id, name, {lists['aliases']}, surname, given_name, patronymic,
                     CAST(lo AS DATE) AS birth_date__lo, CAST(hi AS DATE) AS birth_date__hi, gender,
                     {lists['same_as']}, {lists['not_same_as']}, {lists['identifiers']}, {lists['sources']}
                     FROM nk_load""")
    conn.execute("DROP TABLE nk_load")


def identifier(text: str) -> tuple[str, str]:
    """(scheme, value) of a `scheme:value` identifier, as compared: KZ-IIN: 880703... = kz-iin:880703..."""
    scheme, _, value = text.strip().lower().partition(":")
    return scheme.strip(), value.strip()


def independence(a: PersonNames, b: PersonNames) -> str | None:
    """Why two records' sources cannot show two independent sightings of one human, or None."""
    if not a.sources or not b.sources:
        return "a record cites no source, so the two cannot be shown to come from different sources"
    if set(a.sources) & set(b.sources):
        return "both records come from one source, which is presumed to list two people"
    return None


def resolve_in_store(conn: duckdb.DuckDBPyConnection, max_block: int = MAX_BLOCK, progress=None,
                     family: FamilyCheck | None = None, all_hints: bool = False) -> Resolution:
    """Resolve the `persons` table of a DuckDB connection; deterministic for the same persons.

    With all_hints, every kinship hint is made a PairResult (small inputs); otherwise they stay in the
    table nk_hints and are worded on demand (hint_results), as a national registry has hundreds of
    thousands.
    """
    # Millions of small tuples make Python's cycle collector run again and again for nothing: nothing
    # built here holds a cycle, so it is paused for the duration.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _resolve(conn, max_block, progress, family, all_hints)
    finally:
        if enabled:
            gc.enable()


def _resolve(conn: duckdb.DuckDBPyConnection, max_block: int, progress, family: FamilyCheck | None,
             all_hints: bool) -> Resolution:
    out = Resolution()
    say = progress or (lambda text: None)
    parsed = build_name_keys(conn, bulk_insert)
    total = conn.execute("SELECT count(*) FROM persons").fetchall()[0][0]
    say(f"read {total:,} names ({parsed:,} distinct names and name parts parsed)")
    link_pairs, possible_pairs, out.possible_not_compared, out.skipped_blocks = candidate_pairs(
        conn, max_block, MAX_POSSIBLE)
    say(f"blocked: {len(link_pairs) + len(possible_pairs):,} pairs to compare"
        + (f" ({out.possible_not_compared:,} more possible pairs not compared)" if out.possible_not_compared else ""))

    # Only the records some decision needs come into Python: those in a candidate pair, and those the
    # data links or sets apart explicitly.
    conn.execute("CREATE OR REPLACE TEMP TABLE nk_involved (id VARCHAR)")
    bulk_insert(conn, "nk_involved", ((x,) for pair in [*link_pairs, *possible_pairs] for x in pair))
    rows = conn.execute("""
        SELECT id, name, aliases, surname, given_name, patronymic, birth_date__lo, birth_date__hi, gender,
               same_as, not_same_as, identifiers, sources FROM persons
        WHERE id IN (SELECT id FROM nk_involved) OR same_as IS NOT NULL OR not_same_as IS NOT NULL
           OR identifiers IS NOT NULL
           OR id IN (SELECT unnest(same_as) FROM persons WHERE same_as IS NOT NULL)
           OR id IN (SELECT unnest(not_same_as) FROM persons WHERE not_same_as IS NOT NULL)
        ORDER BY id""").fetchall()
    persons = [PersonNames(r[0], r[1] or "", r[2] or [], r[3] or "", r[4] or "", r[5] or "", r[6], r[7], r[8],
                           r[9] or [], r[10] or [], r[11] or [], r[12] or []) for r in rows]
    del rows
    by_id = {p.id: i for i, p in enumerate(persons)}
    infos = [p.parsed() for p in persons]
    candidates = sorted({(min(by_id[a], by_id[b]), max(by_id[a], by_id[b])) for a, b in [*link_pairs, *possible_pairs]})

    # Explicit same_as links first: they need no score; then shared identifiers.
    proposed: list[PairResult] = []
    explicit: set[tuple[int, int]] = set()
    for i, p in enumerate(persons):
        for other in p.same_as or []:
            j = by_id.get(other)
            if j is not None and j != i and (min(i, j), max(i, j)) not in explicit:
                explicit.add((min(i, j), max(i, j)))
                proposed.append(PairResult(persons[min(i, j)].id, persons[max(i, j)].id, "same_as", 1.0,
                                           [f"the record {p.id} says it is the same person as {other}"]))
    by_identifier: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(persons):
        for scheme, value in map(identifier, p.identifiers or ()):
            by_identifier[f"{scheme}:{value}"].append(i)
    for ident, ids in sorted(by_identifier.items()):
        for j in ids[1:]:  # a chain through the first record joins them all
            pair = (min(ids[0], j), max(ids[0], j))
            if ids[0] != j and pair not in explicit:
                explicit.add(pair)
                proposed.append(PairResult(persons[pair[0]].id, persons[pair[1]].id, "identifier", 1.0,
                                           [f"both records carry the identifier {ident}"]))
    possible: list[tuple[int, int, float]] = []
    strong: list[tuple[int, int, float, tuple]] = []
    for i, j in candidates:
        if (i, j) in explicit:
            continue
        out.compared += 1
        a, b = persons[i], persons[j]
        score, forms, quick = _best_score(infos[i], infos[j])
        if score < POSSIBLE_NAME or quick.gender_conflict or quick.patronymic_conflict:
            continue
        birth = birth_relation(a, b)
        # A link needs every word the same but for spelling: a letter off (Aibek, Alibek) may be a typo,
        # or twins; that is for a reviewer.
        if score >= STRONG_NAME and birth == "agrees" and quick.weakest == 1.0:
            strong.append((i, j, score, forms))
        else:
            possible.append((i, j, score))
    # Name and birth date link only records of different sources that no recorded fact sets apart.
    against = family([(persons[i].id, persons[j].id) for i, j, _, _ in strong]) if family and strong else {}
    refused_why: dict[tuple[int, int], str] = {}
    for i, j, score, forms in strong:
        a, b = persons[i], persons[j]
        why = independence(a, b) or against.get((a.id, b.id))
        if why:
            refused_why[(i, j)] = why
            possible.append((i, j, score))
            continue
        proposed.append(PairResult(a.id, b.id, "name_and_birth", score,
                                   _explain(a, b, compare_parsed(*forms), "agrees")
                                   + ["the records come from different sources"]))
    out.links, out.canonical, kept_apart = _clusters(persons, by_id, proposed)
    for link, why in kept_apart:
        i, j = by_id[link.left], by_id[link.right]
        if why is not None:
            refused_why[(min(i, j), max(i, j))] = why
            possible.append((min(i, j), max(i, j), link.score))
    for why in refused_why.values():
        key = why.split(",")[0].split(":")[0]
        out.refused[key] = out.refused.get(key, 0) + 1
    apart = {(min(by_id[p.id], by_id[o]), max(by_id[p.id], by_id[o]))
             for p in persons for o in p.not_same_as or () if o in by_id}
    # A possible pair inside one linked cluster is already settled; between two clusters, the best pair
    # of records stands for them. Only the first MAX_EXPLAINED get their wording (the report shows fewer).
    best: dict[tuple[str, str], tuple[int, int, float]] = {}
    for i, j, score in possible:
        if (i, j) in apart:
            continue  # the data says they are two people: nothing to review
        ends = tuple(sorted((out.canonical.get(persons[i].id, persons[i].id),
                             out.canonical.get(persons[j].id, persons[j].id))))
        if ends[0] != ends[1] and (ends not in best or score > best[ends][2]):
            best[ends] = (i, j, score)
    for n, (i, j, score) in enumerate(sorted(best.values())):
        a, b = persons[i], persons[j]
        birth = birth_relation(a, b)
        if n < MAX_EXPLAINED:
            why = _explain(a, b, compare_parsed(*_best_score(infos[i], infos[j])[1]), birth)
        else:
            why = [f"name score {score:.2f}", _BIRTH_WORDS[birth]]
        if (i, j) in refused_why:
            why.append("not linked: " + refused_why[(i, j)])
        out.possible.append(PairResult(a.id, b.id, "possible", score, why))
    say(f"compared {out.compared:,} pairs: {len(out.links):,} links, {len(out.possible):,} possible")
    out.ambiguous_patronymics = kinship_hints(conn, sorted(out.canonical), bulk_insert, MAX_PARENTS, AGE_GAP)
    out.hints_total = conn.execute("SELECT count(*) FROM nk_hints").fetchall()[0][0]
    if all_hints:
        out.hints = hint_results(conn)
    for table in ("nk_link_blocks", "nk_name_blocks", "nk_possible", "nk_fits", "nk_parents", "nk_involved",
                  "nk_children", "nk_load", "nk_rkeys", "nk_person", "nk_keys", "nk_merged", "nk_shared"):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    say(f"{out.hints_total:,} kinship hints ({out.ambiguous_patronymics:,} patronymics fit too many parents)")
    return out


def hint_results(conn: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str]] | None = None) -> list[PairResult]:
    """The kinship hints in nk_hints (those of `pairs`, or all) as PairResults, worded, by (child, parent)."""
    where = ""
    if pairs is not None:
        if not pairs:
            return []
        conn.execute("CREATE OR REPLACE TEMP TABLE nk_wanted (child VARCHAR, parent VARCHAR)")
        bulk_insert(conn, "nk_wanted", pairs)
        where = "WHERE (h.child, h.parent) IN (SELECT (child, parent) FROM nk_wanted)"
    rows = conn.execute(f"""
        SELECT h.child, h.parent, h.fit, h.gap_lo, h.gap_hi, h.written, h.rank, c.name, p.name
        FROM nk_hints h JOIN persons c ON c.id = h.child JOIN persons p ON p.id = h.parent {where}
        ORDER BY h.child, h.parent""").fetchall()
    out = []
    for child, parent, fit, gap_lo, gap_hi, written, rank, child_name, parent_name in rows:
        gap = f"{gap_lo}" if gap_lo == gap_hi else f"{gap_lo}-{gap_hi}"
        fitting = round(1 / fit)
        out.append(PairResult(child, parent, "hint", float(fit), [
            f"patronymic {written} is made from the given name of {parent_name}",
            f"same surname stem: {child_name} / {parent_name}",
            f"{parent_name} is {gap} years older",
        ] + ([f"{fitting} persons fit; each is listed"] if fitting > 1 else []), rank=int(rank)))
    return out


def _best_score(a: tuple[ParsedName, ...], b: tuple[ParsedName, ...]
                ) -> tuple[float, tuple[ParsedName, ParsedName], NameComparison]:
    """The best score over the two records' ways of writing their names, the pair of forms, its comparison."""
    pair, found = (a[0], b[0]), None
    for pa in a:
        for pb in b:
            c = compare_parsed(pa, pb, explain=False)
            if found is None or c.score > found.score:
                pair, found = (pa, pb), c
    assert found is not None
    return found.score, pair, found


def _clusters(persons: list[PersonNames], by_id: dict[str, int], proposed: list[PairResult]
              ) -> tuple[list[PairResult], dict[str, str], list[tuple[PairResult, str | None]]]:
    """Union-find over the proposed links, strongest evidence first, refusing any union that would put
    into one person two records `not_same_as` keeps apart or two different identifiers of one scheme.

    Returns the links made, every merged id -> the smallest id of its cluster, and the links refused
    with the reason (None where `not_same_as` refused it: the data has settled that pair already).
    """
    order = {"same_as": 0, "identifier": 1, "name_and_birth": 2}
    parent: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    schemes: dict[str, dict[str, set[str]]] = {}
    apart = {p.id: set(p.not_same_as or ()) for p in persons if p.not_same_as}
    for p in persons:
        for other in p.not_same_as or ():
            apart.setdefault(other, set()).add(p.id)

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def scheme_values(root: str) -> dict[str, set[str]]:
        if root not in schemes:
            found: dict[str, set[str]] = {}
            for scheme, value in map(identifier, persons[by_id[root]].identifiers or ()):
                found.setdefault(scheme, set()).add(value)
            schemes[root] = found
        return schemes[root]

    # A record whose name and birth date fit several records that are not themselves linked by the same
    # evidence (a court record and two namesakes of one registry) cannot say which it is: it links to none.
    partners: dict[str, set[str]] = defaultdict(set)
    for link in proposed:
        if link.kind == "name_and_birth":
            partners[link.left].add(link.right)
            partners[link.right].add(link.left)
    ambiguous = {x for x, ps in partners.items() if len(ps) > 1
                 and any(b not in partners[a] for a, b in combinations(sorted(ps), 2))}

    def sources(ids: list[str]) -> set[str]:
        return {s for x in ids for s in persons[by_id[x]].sources or ()}

    made, refused = [], []
    for link in sorted(proposed, key=lambda x: (order[x.kind], x.left, x.right)):
        ra, rb = find(link.left), find(link.right)
        if ra == rb:
            made.append(link)
            continue
        ma, mb = members.get(ra, [ra]), members.get(rb, [rb])
        if any(apart.get(x, set()) & set(mb) for x in ma):
            refused.append((link, None))
            continue
        if link.kind == "name_and_birth":
            if link.left in ambiguous or link.right in ambiguous:
                one = link.left if link.left in ambiguous else link.right
                refused.append((link, f"the name and birth date of {one} fit {len(partners[one])} records that "
                                      "are not known to be one person"))
                continue
            if sources(ma) & sources(mb):
                refused.append((link, "the link would join two records of one source, presumed two people"))
                continue
        va, vb = scheme_values(ra), scheme_values(rb)
        clash = sorted(s for s in set(va) & set(vb) if va[s].isdisjoint(vb[s]))
        if clash:
            refused.append((link, f"the records carry different {clash[0]} identifiers, so they are two people"))
            continue
        keep, gone = (ra, rb) if ra < rb else (rb, ra)
        parent[gone] = keep
        members[keep] = ma + mb
        members.pop(gone, None)
        for scheme, values in scheme_values(gone).items():
            scheme_values(keep).setdefault(scheme, set()).update(values)
        made.append(link)
    canonical = {x: find(x) for x in list(parent) if find(x) != x}
    return made, canonical, refused


def listed_hints(res: Resolution) -> list[PairResult]:
    """The hints a reviewer is shown: those that would change a finding if true, most telling first."""
    return sorted((h for h in res.hints if h.changes), key=lambda h: h.rank)
