"""Kinship derived in the store: every recorded relation read from both sides, the blood links and in-laws
they imply, and the `kinship` view the rules bind.

Each link carries the period it holds, the weakest status along its path and its civil-law degree and
line (schema.yaml, `kinship`). Bounded to the people the registry records something of, so a national
registry's derivation stays a few seconds.
"""

from __future__ import annotations

import duckdb

from riskcheck.registry.dates import MIN_DAY
from riskcheck.registry.kept_identity import KeptIdentity
from riskcheck.registry.schema import Schema
from riskcheck.sqlio import lit, q


def create_recorded_kinship(conn: duckdb.DuckDBPyConnection, schema: Schema, kept: KeptIdentity | None = None) -> None:
    """The links the recorded relations give: both directions, blood links derived through recorded
    parents and siblings (kin_blood), and in-laws through a spouse; each with its civil-law degree and line.

    Built once, after identity resolution has rewritten the references of merged person records (or beside
    it, when no merge touches what they read: derive_recorded_kinship). With `kept`, the derived links of the
    last run are read back when they rest on the same relations (the identity's key) and the same people of
    interest (kin_anchor), and kept for the next run otherwise.
    """
    anchors = _create_kinship_tables(conn, schema, digest=kept is not None)
    if kept is not None and kept.read_kinship(conn, anchors):
        _create_blood_kind(conn, schema)
        conn.execute("DROP TABLE kin_anchor")
        return
    _derive(conn, schema)
    if kept is not None:
        kept.write_kinship(conn, anchors)


def derive_recorded_kinship(conn: duckdb.DuckDBPyConnection, schema: Schema) -> str:
    """The links of create_recorded_kinship derived afresh, never read back; the digest of the people of interest
    (KeptIdentity.anchors_digest) to keep them under once the identity's key is known."""
    anchors = _create_kinship_tables(conn, schema, digest=True)
    _derive(conn, schema)
    return anchors


def _create_kinship_tables(conn: duckdb.DuckDBPyConnection, schema: Schema, digest: bool) -> str:
    """The kinds' tables, the relations read both ways and the people of interest (kin_anchor); their digest if
    asked, else ''."""
    k = schema.kinship
    conn.execute("CREATE TABLE kin_inverse (kind VARCHAR, inverse VARCHAR)")
    conn.executemany("INSERT INTO kin_inverse VALUES (?, ?)", sorted(k.inverse.items()))
    conn.execute("CREATE TABLE kin_through_spouse (kind VARCHAR, inlaw VARCHAR)")
    conn.executemany("INSERT INTO kin_through_spouse VALUES (?, ?)", sorted(k.through_spouse.items()))
    conn.execute("CREATE TABLE kin_degree (kind VARCHAR, degree INTEGER, line VARCHAR)")
    conn.executemany("INSERT INTO kin_degree VALUES (?, ?, ?)", sorted((kind, d, line) for kind, (d, line)
                                                                     in k.degrees.items()))
    # A view: read both ways, a national registry's relations were 870 MB more to hold, and building them
    # cost more than the few scans of them the derivations and rules make.
    conn.execute(f"CREATE VIEW kin_direct AS {_direct_sql(schema)}")
    create_anchors(conn, schema)
    return KeptIdentity.anchors_digest(conn) if digest else ""


def _derive(conn: duckdb.DuckDBPyConnection, schema: Schema) -> None:
    create_anchored_links(conn, schema)
    create_blood_links(conn, schema)
    create_inlaws(conn, schema)


def merges_reach_kinship(conn: duckdb.DuckDBPyConnection, schema: Schema, merged: list[str]) -> bool:
    """Whether a merged person record is named where the recorded kinship reads persons: in a relation, or in a
    record that makes someone a person of interest (create_anchors). If none is, the merge changes none of
    the links, and links derived before it hold after it."""
    if not merged:
        return False
    refs = [f"SELECT 1 FROM {q(tname)} WHERE {q(fname)} IN (SELECT unnest($merged::VARCHAR[]))"
            for tname, fname in _person_refs(schema, leave_out=("persons",))]
    return bool(refs) and bool(conn.execute(f"SELECT EXISTS ({' UNION ALL '.join(refs)})",
                                            {"merged": sorted(merged)}).fetchall()[0][0])


def _person_refs(schema: Schema, leave_out: tuple[str, ...]) -> list[tuple[str, str]]:
    """(record type, field) of every field naming one person, in the types not left out."""
    return [(tname, fname) for tname, rtype in schema.types.items() if tname not in leave_out
            for fname, f in rtype.fields.items() if f.type == "ref" and f.to == "persons"]


def create_anchored_links(conn: duckdb.DuckDBPyConnection, schema: Schema) -> None:
    """`kin_direct_anchored`: the recorded relations between two people of interest (kin_anchor), read from both
    sides, as kin_direct has them (but a person's relation with themself).

    A rule's kinship is narrowed to the people its other records name (riskcheck.engine.compile), who are
    people of interest when those records are tenures, verdicts, memberships or the like: such a rule reads
    these links instead of every relation twice. At a million persons the relations were read eight times
    by the Kazakh rules, two of the four seconds synth's registry took to match them."""
    # Both sides of a relation between two people of interest are links between two of them: the relations are
    # read once for both, not once for each side.
    conn.execute("CREATE TEMP TABLE kin_relations_anchored AS SELECT id, person_id, relative_id, kind, status, "
                 "status_rank, start, start__lo, start__hi, end__lo, end__hi FROM relations "
                 "WHERE person_id IN (SELECT id FROM kin_anchor) AND relative_id IN (SELECT id FROM kin_anchor)")
    conn.execute(f"CREATE TABLE kin_direct_anchored AS "
                 f"{_direct_sql(schema, distinct=True, relations='kin_relations_anchored')}")
    conn.execute("DROP TABLE kin_relations_anchored")


def _direct_sql(schema: Schema, among: tuple[str | None, str | None] = (None, None), distinct: bool = False,
                relations: str = "relations") -> str:
    """SQL of every recorded relation read from both sides, with its degree and line (the view kin_direct).

    `among` (see kinship_sql) keeps only the links whose person, and whose relative, is in a set, filtered as
    the relations are read; `distinct` leaves out a relation of a person with themself; `relations`: the table
    of relations to read (some of them)."""
    valid_from = _valid_from(schema)
    forward, backward = _among(among, "r.person_id", "r.relative_id"), _among(among, "r.relative_id", "r.person_id")
    if distinct:
        forward, backward = (["r.person_id <> r.relative_id"] + w for w in (forward, backward))
    return f"""
        SELECT l.*, g.degree, g.line, NULL::VARCHAR AS affinity_via FROM (
            SELECT r.id || '>' AS id, r.person_id, r.relative_id, r.kind, r.status, r.status_rank,
                   NULL::VARCHAR AS via, []::VARCHAR[] AS through, [r.id] AS relations,
                   {valid_from.format(b='lo')} AS valid_from__lo, {valid_from.format(b='hi')} AS valid_from__hi,
                   r."end__lo" AS valid_to__lo, r."end__hi" AS valid_to__hi
            FROM {relations} r {_where(forward)}
            UNION ALL
            SELECT r.id || '<', r.relative_id, r.person_id, i.inverse, r.status, r.status_rank,
                   NULL, []::VARCHAR[], [r.id],
                   {valid_from.format(b='lo')}, {valid_from.format(b='hi')}, r."end__lo", r."end__hi"
            FROM {relations} r JOIN kin_inverse i ON i.kind = r.kind {_where(backward)}
        ) l LEFT JOIN kin_degree g ON g.kind = l.kind
    """


def _among(among: tuple[str | None, str | None], person: str, relative: str) -> list[str]:
    """The conditions that keep a link's person (column `person`) and relative in the sets of `among`."""
    return [f"{column} IN (SELECT id FROM {q(table)})" for column, table in zip((person, relative), among) if table]


def _where(conditions: list[str]) -> str:
    return f"WHERE {' AND '.join(conditions)}" if conditions else ""


def _valid_from(schema: Schema) -> str:
    """SQL of when a recorded relation `r` starts to hold, for `.format(b='lo')` or `'hi'`: a link through
    marriage with no recorded start is unknown; a blood link has held "always"."""
    marriage = ", ".join(lit(x) for x in sorted(schema.kinship.through_marriage))
    return (f"CASE WHEN r.start IS NOT NULL THEN r.start__{{b}} WHEN r.kind IN ({marriage}) THEN NULL "
            f"ELSE DATE '{MIN_DAY}' END")


# The links a climb takes one step up by: a recorded parent (one generation), grandparent (two),
# great-grandparent (three), adoption making kin as birth does (with the adopter's family too, as civil codes
# say); and a recorded sibling, read as a common parent nobody recorded (a node: gens 1).
CLIMB_KINDS = {"parent": 1, "adoptive_parent": 1, "grandparent": 2, "great_grandparent": 3}
SIBLING_KINDS = ("sibling", "half_sibling")


def _create_climbs(conn: duckdb.DuckDBPyConnection, schema: Schema) -> None:
    """`kin_climbs`: which recorded kinds climb, read from which side (`forward`: from the person to the
    relative, as recorded; else from the relative, by the kind's inverse), to a person or a sibling's node."""
    inverse = schema.kinship.inverse
    rows = []
    for kind in sorted(set(inverse) | set(CLIMB_KINDS) | set(SIBLING_KINDS)):
        for forward, seen_as in ((True, kind), (False, inverse.get(kind))):
            if seen_as in CLIMB_KINDS:
                rows.append((kind, forward, False, CLIMB_KINDS[seen_as]))
            elif seen_as in SIBLING_KINDS:
                rows.append((kind, forward, True, 1))
    conn.execute("CREATE TEMP TABLE kin_climbs (kind VARCHAR, forward BOOLEAN, node BOOLEAN, gens INTEGER)")
    conn.executemany("INSERT INTO kin_climbs VALUES (?, ?, ?, ?)", rows)


def create_inlaws(conn: duckdb.DuckDBPyConnection, schema: Schema) -> None:
    """`kin_spouse`: the in-laws a recorded marriage or partnership implies, from kin_direct and kin_blood.

    Called after create_anchored_links and create_blood_links, whose people of interest (kin_anchor) bound it
    too; drops them.
    """
    k = schema.kinship
    # A spouse's close blood relative is an in-law, for as long as the marriage (and the blood link) holds;
    # so is a partner's (`affinity_via` says which: laws differ on in-laws through a partner, and a rule's
    # list of relations decides whether they count).
    # Where a recorded relation of an exact kind, or of the same kind, already joins the two (a father is
    # not also his child's step-parent through his wife), the derived link is left out: one tie, one link.
    # A vaguer recorded relation (`relative`, `cousin`) does not hide it: rules see every path.
    # Bounded as blood links are, to the people the registry records something of and their spouses (the
    # spouse in between may be anyone): a national registry's in-laws of everyone were 1.7 million links,
    # three seconds to derive and a third of every kinship scan, and no rule could use the ones outside.
    exact = ", ".join(lit(x) for x in sorted(k.exact))
    couples = ", ".join(lit(x) for x in sorted(k.couples))
    status, period = _path_of_two("s", "b")
    # The spouse's relatives are kept to the people of interest as the relations are read: filtered after the
    # join, every link of a national registry was built (its id, its lists) and joined first.
    conn.execute(f"""
        CREATE TABLE kin_spouse AS
        WITH candidates AS MATERIALIZED (
            SELECT s.id || b.id AS id, s.person_id, b.relative_id, t.inlaw AS kind, {status},
                   s.relative_id AS via, [s.relative_id] || b.through AS through, s.relations || b.relations AS relations,
                   {period}, g.degree, g.line, s.kind AS affinity_via
            FROM kin_direct s
            JOIN ({_direct_sql(schema, (None, "kin_anchor"))}
                  UNION ALL SELECT * FROM kin_blood WHERE relative_id IN (SELECT id FROM kin_anchor)) b
              ON b.person_id = s.relative_id AND b.relative_id <> s.person_id
            JOIN kin_through_spouse t ON t.kind = b.kind
            JOIN kin_degree g ON g.kind = t.inlaw
            WHERE s.kind IN ({couples}) AND s.person_id IN (SELECT id FROM kin_anchor)),
        -- the recorded links between the pairs above: found by joining the few derived pairs to the records
        -- once, where an anti-join against every recorded link hashed millions of them, twice; both people
        -- of a pair are of interest, so their links are among those kin_direct_anchored holds
        recorded AS MATERIALIZED (
            SELECT DISTINCT d.person_id, d.relative_id, d.kind FROM kin_direct_anchored d
            SEMI JOIN candidates c ON c.person_id = d.person_id AND c.relative_id = d.relative_id)
        SELECT c.* FROM candidates c
        WHERE NOT EXISTS (SELECT 1 FROM recorded d WHERE d.person_id = c.person_id AND d.relative_id = c.relative_id
                          AND d.kind IN ({exact}))
          AND NOT EXISTS (SELECT 1 FROM recorded d WHERE d.person_id = c.person_id AND d.relative_id = c.relative_id
                          AND d.kind = c.kind)
          -- a grandmother is not also her grandchild's grandparent-in-law through the grandfather
          AND NOT EXISTS (SELECT 1 FROM kin_blood d WHERE d.person_id = c.person_id AND d.relative_id = c.relative_id)
    """)
    conn.execute("DROP TABLE kin_anchor")


def _path_of_two(a: str, b: str) -> tuple[str, str]:
    """SQL columns for a path of two links: its status (the weaker link's), and the period it holds (from
    the later start, unknown if either is, to the earlier end). Two parts, as the tables place them apart."""
    status = (f"CASE WHEN {a}.status_rank <= {b}.status_rank THEN {a}.status ELSE {b}.status END AS status, "
              f"least({a}.status_rank, {b}.status_rank) AS status_rank")
    period = ", ".join(
        [f"CASE WHEN {a}.valid_from__{x} IS NOT NULL AND {b}.valid_from__{x} IS NOT NULL "
         f"THEN greatest({a}.valid_from__{x}, {b}.valid_from__{x}) END AS valid_from__{x}" for x in ("lo", "hi")]
        + [f"least({a}.valid_to__{x}, {b}.valid_to__{x}) AS valid_to__{x}" for x in ("lo", "hi")])
    return status, period


def create_blood_links(conn: duckdb.DuckDBPyConnection, schema: Schema) -> None:
    """`kin_blood`: blood links no record states, derived the civil-law way through a nearest common ancestor.

    A grandchild known only through two `parent` records (or an `adoptive_parent` one: adoption makes kin
    as birth does), an uncle through a parent's recorded sibling, a first cousin through two: each named by the generations up to the common ancestor and down again
    (schema.yaml, `derived_blood`), with the people it passes through, its relations and the weakest
    status along it. Bounded twice, so a national registry stays fast: three generations up, and only
    between people the registry records something of beside their family (a person reference in any record
    type but relations: a tenure, appointing someone, a verdict, a membership, a resignation) and their
    spouses (kin_anchor, made by the caller). One link per pair, the nearest; none where a recorded link of
    an exact kind joins them (kin_direct_anchored, made before).
    """
    names = {(up, down): kind for up, down, kind in schema.kinship.derived_blood}
    max_up = max(up for up, _ in names)
    max_degree = max(up + down for up, down in names)
    _create_blood_kind(conn, schema)
    _climb(conn, schema, max_up)
    _create_nearest_blood(conn, schema, max_degree)
    for n in range(2, max_up + 1):
        conn.execute(f"DROP TABLE kin_up_{n}")
    conn.execute("DROP TABLE kin_step; DROP TABLE kin_up; DROP TABLE kin_climbs")  # kin_anchor bounds the in-laws next


def _create_blood_kind(conn: duckdb.DuckDBPyConnection, schema: Schema) -> None:
    """`kin_blood_kind`: the name of a blood link by generations up to the common ancestor and down again."""
    conn.execute("CREATE TABLE kin_blood_kind (up INTEGER, down INTEGER, kind VARCHAR)")
    names = {(up, down): kind for up, down, kind in schema.kinship.derived_blood}
    conn.executemany("INSERT INTO kin_blood_kind VALUES (?, ?, ?)", sorted((u, d, kind) for (u, d), kind in names.items()))


# The record types whose references to persons do not make them people of interest: the persons themselves, and
# their family (every relative of a registry's persons would be one).
NOT_ANCHORING = ("persons", "relations")


def create_anchors(conn: duckdb.DuckDBPyConnection, schema: Schema) -> None:
    """`kin_anchor`: the people the registry records something of beside their family, and their spouses;
    the derived links are bounded to them."""
    k = schema.kinship
    refs = [f"SELECT {q(fname)} AS id FROM {q(tname)} WHERE {q(fname)} IS NOT NULL"
            for tname, fname in _person_refs(schema, leave_out=NOT_ANCHORING)]
    conn.execute(f"CREATE TEMP TABLE kin_anchor AS WITH a AS ({' UNION '.join(refs)}) "
                 "SELECT id FROM a UNION SELECT d.relative_id FROM kin_direct d JOIN a ON a.id = d.person_id "
                 f"WHERE d.kind IN ({', '.join(lit(x) for x in sorted(k.couples))})")


def anchors_changed(conn: duckdb.DuckDBPyConnection, schema: Schema, before: dict[str, str],
                    touched: dict[str, set[str]]) -> bool:
    """Whether the people of interest (create_anchors) differ from those of the store as it was before some
    records changed, found from the changed records alone: `touched`, record type -> the ids of its records
    added, removed or edited, and `before`, record type -> SQL of its rows before (for each touched type; the
    tables now hold the rows after, every other type is as it was).

    Only a person a changed record names, as it was or as it is, can come to be named by some record or cease
    to be; each who does joins or leaves the people of interest, and their spouses with them unless another
    reason holds them there. Those alone are checked, where building the people of interest again reads every
    record that names a person (a third of a second of a million persons' re-run)."""
    refs = _person_refs(schema, leave_out=NOT_ANCHORING)

    def rows(tname: str, when: str) -> str:
        return before[tname] if when == "before" and tname in before else q(tname)

    def named(ids: set[str], when: str) -> set[str]:  # those of `ids` some record names
        if not ids:
            return set()
        sql = " UNION ".join(f"SELECT {q(f)} FROM {rows(t, when)} WHERE {q(f)} IN (SELECT unnest($ids::VARCHAR[]))"
                             for t, f in refs)
        return {r[0] for r in conn.execute(sql, {"ids": sorted(ids)}).fetchall()}

    candidates: set[str] = set()
    for tname, fname in refs:
        for when in ("before", "after") if touched.get(tname) else ():
            candidates |= {r[0] for r in conn.execute(
                f"SELECT DISTINCT {q(fname)} FROM {rows(tname, when)} WHERE id IN (SELECT unnest(?::VARCHAR[])) "
                f"AND {q(fname)} IS NOT NULL", [sorted(touched[tname])]).fetchall()}
    moved = named(candidates, "before") ^ named(candidates, "after")
    if not moved:
        return False
    # A person is of interest if named, or the spouse of someone named (kin_direct read from the named side).
    couples = ", ".join(lit(x) for x in sorted(schema.kinship.couples))
    spouses = conn.execute(f"SELECT relative_id FROM kin_direct WHERE kind IN ({couples}) AND person_id IN "
                           "(SELECT unnest(?::VARCHAR[]))", [sorted(moved)]).fetchall()
    concerned = moved | {r[0] for r in spouses}
    ties = conn.execute(f"SELECT person_id, relative_id FROM kin_direct WHERE kind IN ({couples}) AND relative_id IN "
                        "(SELECT unnest(?::VARCHAR[]))", [sorted(concerned)]).fetchall()
    everyone = concerned | {p for p, _ in ties}
    held = {when: named(everyone, when) for when in ("before", "after")}
    for when in held:
        held[when] |= {r for p, r in ties if p in held[when]}
    return any((c in held["before"]) != (c in held["after"]) for c in concerned)


def _climb(conn: duckdb.DuckDBPyConnection, schema: Schema, max_up: int) -> None:
    """`kin_up`: every path up to `max_up` generations from an anchored person, through recorded parents,
    grandparents and siblings; the levels above the first are left in `kin_up_<n>` for the caller to drop."""
    # One step up (kin_step) by the kinds of CLIMB_KINDS and SIBLING_KINDS. Plain columns (one relation id, not lists): the lists are built only on the few hundred thousand
    # paths climbed from the anchored people, not on the millions of links of a national registry.
    valid_from = _valid_from(schema)
    _create_climbs(conn, schema)
    # Read from the relations themselves, each once, in the direction that climbs: kin_direct would build
    # every link's id, lists and degree for both directions first, four scans of a national registry's
    # relations to keep a third of them.
    conn.execute(f"""
        CREATE TEMP TABLE kin_step AS
        SELECT CASE WHEN w.forward THEN r.person_id ELSE r.relative_id END AS person_id,
               CASE WHEN w.node THEN 'sibling of ' || r.id WHEN w.forward THEN r.relative_id ELSE r.person_id END
                   AS up_id,
               w.node, w.gens, r.id AS rel, r.status, r.status_rank, {valid_from.format(b='lo')} AS valid_from__lo,
               {valid_from.format(b='hi')} AS valid_from__hi, r."end__lo" AS valid_to__lo, r."end__hi" AS valid_to__hi
        FROM relations r JOIN kin_climbs w ON w.kind = r.kind
        WHERE w.node OR r.person_id <> r.relative_id
    """)
    conn.execute("CREATE TEMP TABLE kin_up AS SELECT s.person_id, s.up_id, s.node, s.gens, "
                 "CASE WHEN s.node THEN []::VARCHAR[] ELSE [s.up_id] END AS chain, [s.rel] AS relations, s.status, "
                 "s.status_rank, s.valid_from__lo, s.valid_from__hi, s.valid_to__lo, s.valid_to__hi "
                 f"FROM kin_step s JOIN kin_anchor a ON a.id = s.person_id WHERE s.gens <= {max_up}")
    level = "kin_up"
    for n in range(2, max_up + 1):
        conn.execute(f"""
            CREATE TEMP TABLE kin_up_{n} AS
            SELECT u.person_id, s.up_id, s.node, u.gens + s.gens AS gens,
                   u.chain || CASE WHEN s.node THEN []::VARCHAR[] ELSE [s.up_id] END AS chain,
                   list_append(u.relations, s.rel) AS relations, {', '.join(_path_of_two('u', 's'))}
            FROM {level} u JOIN kin_step s ON s.person_id = u.up_id
            WHERE NOT u.node AND u.gens + s.gens <= {max_up} AND s.up_id <> u.person_id
        """)
        conn.execute(f"INSERT INTO kin_up SELECT * FROM kin_up_{n}")
        level = f"kin_up_{n}"


def _create_nearest_blood(conn: duckdb.DuckDBPyConnection, schema: Schema, max_degree: int) -> None:
    """`kin_blood` from the climbed paths: the nearest common ancestor of each pair, named by kin_blood_kind,
    and none where a recorded link of an exact (or the same) kind already joins the two."""
    k = schema.kinship
    exact = ", ".join(lit(x) for x in sorted(k.exact))
    conn.execute(f"""
        CREATE TABLE kin_blood AS
        WITH pairs AS (
            -- the direct line: an anchored ancestor, and the same link read from the ancestor's side
            SELECT person_id, up_id AS relative_id, gens AS up, 0 AS down, list_slice(chain, 1, len(chain) - 1)
                   AS through, relations, status, status_rank, valid_from__lo, valid_from__hi, valid_to__lo,
                   valid_to__hi
            FROM kin_up WHERE NOT node AND gens >= 2 AND up_id IN (SELECT id FROM kin_anchor)
            UNION ALL
            SELECT up_id, person_id, 0, gens, list_reverse(list_slice(chain, 1, len(chain) - 1)), relations,
                   status, status_rank, valid_from__lo, valid_from__hi, valid_to__lo, valid_to__hi
            FROM kin_up WHERE NOT node AND gens >= 2 AND up_id IN (SELECT id FROM kin_anchor)
            UNION ALL
            -- the collateral line: up from one to a common ancestor, down to the other
            SELECT a.person_id, b.person_id, a.gens, b.gens,
                   a.chain || list_reverse(CASE WHEN b.node THEN b.chain ELSE list_slice(b.chain, 1, len(b.chain) - 1) END),
                   a.relations || b.relations, {', '.join(_path_of_two('a', 'b'))}
            FROM kin_up a JOIN kin_up b ON b.up_id = a.up_id AND b.node = a.node
            WHERE a.person_id <> b.person_id AND a.gens + b.gens <= {max_degree}
              AND NOT list_contains(a.chain, b.person_id) AND NOT list_contains(b.chain, a.person_id)
        ),
        nearest AS (
            SELECT p.*, n.kind, row_number() OVER (PARTITION BY p.person_id, p.relative_id
                                                   ORDER BY p.up + p.down, len(p.through), p.relations) AS n
            FROM pairs p JOIN kin_blood_kind n ON n.up = p.up AND n.down = p.down
        ),
        chosen AS (SELECT * FROM nearest WHERE n = 1),
        -- the pairs a recorded link of an exact kind (or of the same kind) already joins: found by joining
        -- the few derived pairs to the records, where an anti-join would hash every recorded link; both people
        -- of a pair are of interest, so their links are among those kin_direct_anchored holds
        recorded AS (
            SELECT DISTINCT h.person_id, h.relative_id
            FROM chosen h JOIN kin_direct_anchored d ON d.person_id = h.person_id AND d.relative_id = h.relative_id
            WHERE d.kind IN ({exact}) OR d.kind = h.kind
        )
        SELECT 'derived:' || h.person_id || '>' || h.relative_id AS id, h.person_id, h.relative_id, h.kind,
               h.status, h.status_rank, CASE WHEN len(h.through) > 0 THEN h.through[1] END AS via, h.through,
               h.relations, h.valid_from__lo, h.valid_from__hi, h.valid_to__lo, h.valid_to__hi, g.degree, g.line,
               NULL::VARCHAR AS affinity_via
        FROM chosen h JOIN kin_degree g ON g.kind = h.kind
        ANTI JOIN recorded r ON r.person_id = h.person_id AND r.relative_id = h.relative_id
    """)


def create_kinship(conn: duckdb.DuckDBPyConnection, schema: Schema) -> None:
    """The `kinship` view rules bind: the recorded links plus the kinship hints in `kin_hints`.

    A view over the link tables rather than one more table: a national registry's links run to millions
    of rows, and copying them cost seconds and a gigabyte for nothing a scan of the union does not give.
    """
    # Kinship hints (parent and child by name, see riskcheck.names.resolve) where nothing is recorded.
    conn.execute("CREATE TABLE IF NOT EXISTS kin_hints (child VARCHAR, parent VARCHAR)")
    conn.execute(f"""
        CREATE TABLE kin_hint_links AS
        SELECT 'hint:' || h.child || '>' || h.parent AS id, h.child AS person_id, h.parent AS relative_id,
               'parent' AS kind, 'inferred' AS status, 0 AS status_rank, NULL::VARCHAR AS via,
               []::VARCHAR[] AS through, []::VARCHAR[] AS relations, DATE '{MIN_DAY}' AS valid_from__lo,
               DATE '{MIN_DAY}' AS valid_from__hi, NULL::DATE AS valid_to__lo, NULL::DATE AS valid_to__hi,
               1 AS degree, 'direct' AS line, NULL::VARCHAR AS affinity_via
        FROM kin_hints h
    """)  # kin_hints holds no pair a recorded relation joins (riskcheck.registry.identity.insert_hints)
    # Each hint read from both sides: the child's (`parent`) and the parent's (`child`).
    conn.execute(f"CREATE VIEW kin_hint_links_both AS {_hint_links_sql()}")
    conn.execute(f"CREATE VIEW kinship AS {kinship_sql(schema)}")
    # Text forms of the validity bounds: derived links have none (the report shows the relations instead).
    conn.execute("CREATE OR REPLACE VIEW kinship_records AS SELECT *, NULL::VARCHAR AS valid_from, "
                 "NULL::VARCHAR AS valid_to FROM kinship")
    # The same without the recorded links of anyone not of interest: where a finding's links are looked up first
    # (Registry.records), rather than in every relation read twice.
    conn.execute("CREATE OR REPLACE VIEW kinship_records_anchored AS SELECT *, NULL::VARCHAR AS valid_from, "
                 f"NULL::VARCHAR AS valid_to FROM ({kinship_sql(schema, anchored=True)})")


def _hint_links_sql(among: tuple[str | None, str | None] = (None, None)) -> str:
    """SQL of the kinship hints read from both sides (the view kin_hint_links_both), `among` as in kinship_sql."""
    return f"""
        SELECT * FROM kin_hint_links {_where(_among(among, 'person_id', 'relative_id'))}
        UNION ALL
        SELECT 'hint:' || relative_id || '<' || person_id, relative_id, person_id, 'child', status, status_rank,
               via, through, relations, valid_from__lo, valid_from__hi, valid_to__lo, valid_to__hi, degree, line,
               affinity_via
        FROM kin_hint_links {_where(_among(among, 'relative_id', 'person_id'))}
    """


def kinship_sql(schema: Schema, among: tuple[str | None, str | None] = (None, None), anchored: bool = False) -> str:
    """SQL of the `kinship` view: recorded links both ways, the hints both ways, derived blood links, in-laws.

    `among`: two tables (or None) of one column `id`, the people a link's person, and its relative, must be
    among. Each part is filtered as it is read, where a filter on the view would come after every link of a
    national registry (millions of rows, two scans of the relations) had been made; a rule compiled over the
    people its other records name reads the few links it can use (riskcheck.engine.compile). `anchored`: the
    recorded links are those between people of interest alone (kin_anchor: those named by a record other than
    a person or a relation), which kin_direct_anchored holds already: for tables of such people only.
    """
    spouse = _where(_among(among, "person_id", "relative_id"))
    direct = (f"SELECT * FROM kin_direct_anchored {spouse}" if anchored
              else _direct_sql(schema, among, distinct=True))
    return f"""
        {direct}
        UNION ALL {_hint_links_sql(among)}
        UNION ALL SELECT * FROM kin_blood {spouse}
        UNION ALL SELECT * FROM kin_spouse {spouse}
        UNION ALL
        SELECT k.id || '~', k.relative_id, k.person_id, i.inverse, k.status, k.status_rank, k.via,
               list_reverse(k.through), k.relations, k.valid_from__lo, k.valid_from__hi, k.valid_to__lo,
               k.valid_to__hi, k.degree, k.line, k.affinity_via
        FROM kin_spouse k JOIN kin_inverse i ON i.kind = k.kind {_where(_among(among, 'k.relative_id', 'k.person_id'))}
    """
