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

This module runs the steps in order; the records and results are in riskcheck.names.records, the evidence
of a pair in riskcheck.names.evidence, the linking in riskcheck.names.clusters, the hints' wording in
riskcheck.names.hints. Their public names are also importable from here.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from typing import Callable

import duckdb

from riskcheck.names.candidates import build_name_keys, candidate_pairs, kinship_hints
from riskcheck.names.clusters import cluster_links
from riskcheck.names.compare import compare_parsed
from riskcheck.names.evidence import BIRTH_WORDS, best_score, birth_relation, explain, identifier, independence
from riskcheck.names.hints import hint_results, listed_hints
from riskcheck.names.parse import ParsedName
from riskcheck.names.records import FamilyCheck, PairResult, PersonNames, Resolution, load_persons, name_forms
from riskcheck.sqlio import bulk_insert

__all__ = ["FamilyCheck", "PairResult", "PersonNames", "Resolution", "birth_relation", "hint_results", "identifier",
           "independence", "listed_hints", "load_persons", "name_forms", "resolve", "resolve_in_store"]

STRONG_NAME = 0.9     # name score needed, with the same full birth date and no word differing, to link
POSSIBLE_NAME = 0.8   # name score from which a pair is worth a reviewer's look
MAX_BLOCK = 1000      # persons in one block, beyond which the block is skipped and reported
MAX_PARENTS = 3       # candidate parents beyond which a patronymic is too common to hint anything
MAX_EXPLAINED = 1000  # possible pairs worded in full; the rest carry their score and birth evidence
MAX_POSSIBLE = 20_000  # possible pairs compared, the rarest names first; the rest are counted
AGE_GAP = (18, 55)


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


def resolve_in_store(conn: duckdb.DuckDBPyConnection, max_block: int = MAX_BLOCK, progress=None,
                     family: FamilyCheck | None = None, all_hints: bool = False,
                     linked: Callable[[dict[str, str]], None] | None = None) -> Resolution:
    """Resolve the `persons` table of a DuckDB connection; deterministic for the same persons.

    With all_hints, every kinship hint is made a PairResult (small inputs); otherwise they stay in the
    table nk_hints and are worded on demand (hint_results), as a national registry has hundreds of
    thousands. `linked` is told the records merged into others (id -> the id kept) as soon as they are
    known, before the kinship hints: a caller deriving work of its own beside resolution learns early
    whether the merges touch it.
    """
    # Millions of small tuples make Python's cycle collector run again and again for nothing: nothing
    # built here holds a cycle, so it is paused for the duration.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _resolve(conn, max_block, progress, family, all_hints, linked)
    finally:
        if enabled:
            gc.enable()


def _resolve(conn: duckdb.DuckDBPyConnection, max_block: int, progress, family: FamilyCheck | None,
             all_hints: bool, linked: Callable[[dict[str, str]], None] | None) -> Resolution:
    """The steps of resolve_in_store: block, link the explicit pairs, score the rest, cluster, list, hint."""
    out = Resolution()
    say = progress or (lambda text: None)
    parsed = build_name_keys(conn, bulk_insert)
    total = conn.execute("SELECT count(*) FROM persons").fetchall()[0][0]
    say(f"read {total:,} names ({parsed:,} distinct names and name parts parsed)")
    link_pairs, possible_pairs, out.possible_not_compared, out.skipped_blocks = candidate_pairs(
        conn, max_block, MAX_POSSIBLE)
    say(f"blocked: {len(link_pairs) + len(possible_pairs):,} pairs to compare"
        + (f" ({out.possible_not_compared:,} more possible pairs not compared)" if out.possible_not_compared else ""))

    persons = _involved_persons(conn, [*link_pairs, *possible_pairs])
    by_id = {p.id: i for i, p in enumerate(persons)}
    infos = [p.parsed() for p in persons]
    candidates = sorted({(min(by_id[a], by_id[b]), max(by_id[a], by_id[b])) for a, b in [*link_pairs, *possible_pairs]})

    proposed, explicit = _explicit_links(persons, by_id)
    strong, possible = _score_candidates(out, persons, infos, candidates, explicit)
    refused_why = _link_by_name_and_birth(persons, strong, family, proposed, possible)
    out.links, out.canonical, kept_apart = cluster_links(persons, by_id, proposed)
    for link, why in kept_apart:
        i, j = by_id[link.left], by_id[link.right]
        if why is not None:
            refused_why[(min(i, j), max(i, j))] = why
            possible.append((min(i, j), max(i, j), link.score))
    for why in refused_why.values():
        key = why.split(",")[0].split(":")[0]
        out.refused[key] = out.refused.get(key, 0) + 1
    _list_possible(out, persons, by_id, infos, possible, refused_why)
    say(f"compared {out.compared:,} pairs: {len(out.links):,} links, {len(out.possible):,} possible")
    if linked is not None:
        linked(out.canonical)
    out.ambiguous_patronymics = kinship_hints(conn, sorted(out.canonical), bulk_insert, MAX_PARENTS, AGE_GAP)
    out.hints_total = conn.execute("SELECT count(*) FROM nk_hints").fetchall()[0][0]
    if all_hints:
        out.hints = hint_results(conn)
    for table in ("nk_link_blocks", "nk_name_blocks", "nk_possible", "nk_fits", "nk_parents", "nk_involved",
                  "nk_children", "nk_few", "nk_load", "nk_rkeys", "nk_person", "nk_keys", "nk_texts", "nk_merged", "nk_shared",
                  "nk_kd", "nk_kv", "nk_merged_rids", "nk_text_parts", "nk_part_keys",
                  "nk_fields", "nk_several", "nk_fitting"):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute("DROP VIEW IF EXISTS nk_base")
    say(f"{out.hints_total:,} kinship hints ({out.ambiguous_patronymics:,} patronymics fit too many parents)")
    return out


def _involved_persons(conn: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str]]) -> list[PersonNames]:
    """The person records some decision needs, by id: those in a candidate pair, and those the data links
    or sets apart explicitly. Only these come into Python; a national registry's others stay in DuckDB."""
    conn.execute("CREATE OR REPLACE TEMP TABLE nk_involved (id VARCHAR)")
    bulk_insert(conn, "nk_involved", ((x,) for pair in pairs for x in pair))
    rows = conn.execute("""
        SELECT id, name, aliases, surname, given_name, patronymic, birth_date__lo, birth_date__hi, gender,
               same_as, not_same_as, identifiers, sources FROM persons
        WHERE id IN (SELECT id FROM nk_involved) OR same_as IS NOT NULL OR not_same_as IS NOT NULL
           OR identifiers IS NOT NULL
           OR id IN (SELECT unnest(same_as) FROM persons WHERE same_as IS NOT NULL)
           OR id IN (SELECT unnest(not_same_as) FROM persons WHERE not_same_as IS NOT NULL)
        ORDER BY id""").fetchall()
    return [PersonNames(r[0], r[1] or "", r[2] or [], r[3] or "", r[4] or "", r[5] or "", r[6], r[7], r[8],
                        r[9] or [], r[10] or [], r[11] or [], r[12] or []) for r in rows]


def _explicit_links(persons: list[PersonNames], by_id: dict[str, int]
                    ) -> tuple[list[PairResult], set[tuple[int, int]]]:
    """The links that need no score, proposed first: `same_as`, then a shared identifier. Returns them and
    the pairs (by index) they cover, which are not scored again."""
    proposed: list[PairResult] = []
    explicit: set[tuple[int, int]] = set()
    for i, p in enumerate(persons):
        for other in p.same_as or []:
            j = by_id.get(other)
            if j is not None and j != i and (min(i, j), max(i, j)) not in explicit:
                explicit.add((min(i, j), max(i, j)))
                proposed.append(PairResult(persons[min(i, j)].id, persons[max(i, j)].id, "same_as", 1.0,
                                           [f"the data records {p.name} and {persons[j].name} as one person"]))
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
    return proposed, explicit


def _score_candidates(out: Resolution, persons: list[PersonNames], infos: list[tuple[ParsedName, ...]],
                      candidates: list[tuple[int, int]], explicit: set[tuple[int, int]]
                      ) -> tuple[list[tuple[int, int, float, tuple]], list[tuple[int, int, float]]]:
    """Score every candidate pair not already linked (counted in `out.compared`): the strong ones (a name
    alike word for word and the same full birth date) may be linked; the others above POSSIBLE_NAME are
    possible matches. Returns (strong, possible)."""
    possible: list[tuple[int, int, float]] = []
    strong: list[tuple[int, int, float, tuple]] = []
    for i, j in candidates:
        if (i, j) in explicit:
            continue
        out.compared += 1
        a, b = persons[i], persons[j]
        score, forms, quick = best_score(infos[i], infos[j])
        if score < POSSIBLE_NAME or quick.gender_conflict or quick.patronymic_conflict:
            continue
        birth = birth_relation(a, b)
        # A link needs every word the same but for spelling: a letter off (Aibek, Alibek) may be a typo,
        # or twins; that is for a reviewer.
        if score >= STRONG_NAME and birth == "agrees" and quick.weakest == 1.0:
            strong.append((i, j, score, forms))
        else:
            possible.append((i, j, score))
    return strong, possible


def _link_by_name_and_birth(persons: list[PersonNames], strong: list[tuple[int, int, float, tuple]],
                            family: FamilyCheck | None, proposed: list[PairResult],
                            possible: list[tuple[int, int, float]]) -> dict[tuple[int, int], str]:
    """Propose the strong pairs whose records come from different sources and that no recorded fact sets
    apart (added to `proposed`); the others become possible matches (added to `possible`). Returns why each
    of those was refused."""
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
                                   explain(a, b, compare_parsed(*forms), "agrees")
                                   + ["the records come from different sources"]))
    return refused_why


def _list_possible(out: Resolution, persons: list[PersonNames], by_id: dict[str, int],
                   infos: list[tuple[ParsedName, ...]], possible: list[tuple[int, int, float]],
                   refused_why: dict[tuple[int, int], str]) -> None:
    """Fill `out.possible`: one pair per two clusters the data does not set apart, the best pair of records
    standing for them. Only the first MAX_EXPLAINED get their wording (the report shows fewer)."""
    apart = {(min(by_id[p.id], by_id[o]), max(by_id[p.id], by_id[o]))
             for p in persons for o in p.not_same_as or () if o in by_id}
    # A possible pair inside one linked cluster is already settled.
    best: dict[tuple[str, str], tuple[int, int, float]] = {}
    for i, j, score in possible:
        if (i, j) in apart:
            continue  # the data says they are two people: nothing to review
        first, second = sorted((out.canonical.get(persons[i].id, persons[i].id),
                                out.canonical.get(persons[j].id, persons[j].id)))
        ends = (first, second)
        if ends[0] != ends[1] and (ends not in best or score > best[ends][2]):
            best[ends] = (i, j, score)
    for n, (i, j, score) in enumerate(sorted(best.values())):
        a, b = persons[i], persons[j]
        birth = birth_relation(a, b)
        if n < MAX_EXPLAINED:
            why = explain(a, b, compare_parsed(*best_score(infos[i], infos[j])[1]), birth)
        else:
            why = [f"name score {score:.2f}", BIRTH_WORDS[birth]]
        if (i, j) in refused_why:
            why.append("not linked: " + refused_why[(i, j)])
        out.possible.append(PairResult(a.id, b.id, "possible", score, why))
