"""Identity resolution inside the store: link the person records that are one human, add kinship hints.

Resolution runs once the typed tables are built (resolve_identities); its results are applied before
the recorded kinship is built (apply_identities), so that the rules see one person
where the registry had several records of it: every reference to a merged record is rewritten to the
record it is merged into, and the merged records leave the `persons` table. What was rewritten is kept
(`Identity.rewritten`) so that a finding can say which of its facts came through a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import duckdb

from riskcheck.names.resolve import PairResult, Resolution, hint_results, resolve_in_store
from riskcheck.registry.schema import Schema
from riskcheck.sqlio import bulk_insert, q


@dataclass
class Identity:
    resolution: Resolution = field(default_factory=Resolution)
    merged_records: dict[str, dict] = field(default_factory=dict)  # merged id -> its person record
    rewritten: dict[tuple[str, str], dict[str, str | list[str]]] = field(default_factory=dict)  # (type, id) -> {field: as recorded}
    conn: duckdb.DuckDBPyConnection | None = None  # where the hints not yet worded wait (nk_hints)
    _hints: dict[tuple[str, str], PairResult] | None = None  # caches of hints_for and link_of
    _links: dict[str, PairResult] | None = None

    def link_of(self, merged_id: str) -> PairResult | None:
        """The link that merged a record (the first that names it), looked up by the merged id."""
        if self._links is None:
            self._links = {}
            for link in self.resolution.links:
                self._links.setdefault(link.left, link)
                self._links.setdefault(link.right, link)
        return self._links.get(merged_id)

    def hint(self, child: str, parent: str) -> PairResult | None:
        """The kinship hint behind an inferred parent link, looked up by (child, parent)."""
        return self.hints_for([(child, parent)]).get((child, parent))

    def hints_for(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], PairResult]:
        """The hints of these (child, parent) pairs, worded once and kept in resolution.hints."""
        if self._hints is None:
            self._hints = {(h.left, h.right): h for h in self.resolution.hints}
        missing = sorted({p for p in pairs if p not in self._hints})
        if missing and self.conn is not None:
            for h in hint_results(self.conn, missing):
                self._hints[(h.left, h.right)] = h
                self.resolution.hints.append(h)
            self.resolution.hints.sort(key=lambda h: (h.left, h.right))
        return {p: self._hints[p] for p in pairs if p in self._hints}


def resolve_identities(conn: duckdb.DuckDBPyConnection, stage=None,
                       linked: Callable[[dict[str, str]], None] | None = None) -> Resolution:
    """Identity resolution over the typed persons table, set-oriented in DuckDB.

    A large case resolves beside its validation (riskcheck.registry.load._validated_beside): its records may not
    be valid yet, and the caller throws the resolution away if they are not. Its own steps run one after
    another: its Python in a thread beside its own table building slowed DuckDB's threads five-fold.
    """
    return resolve_in_store(conn, progress=stage, family=lambda pairs: family_conflicts(conn, pairs), linked=linked)


def apply_identities(conn: duckdb.DuckDBPyConnection, schema: Schema, resolution: Resolution) -> Identity:
    """Merge the linked records into one person each; before the recorded kinship is built."""
    identity = Identity(resolution, conn=conn)
    if resolution.canonical:
        _apply_merges(conn, schema, identity)
    return identity


def _apply_merges(conn: duckdb.DuckDBPyConnection, schema: Schema, identity: Identity) -> None:
    canonical = identity.resolution.canonical
    if not canonical:
        return
    conn.execute("CREATE TEMP TABLE person_merge (id VARCHAR, canonical VARCHAR)")
    bulk_insert(conn, "person_merge", sorted(canonical.items()))
    cols = ", ".join(q(f) for f in schema.types["persons"].fields)
    cursor = conn.execute(f"SELECT {cols} FROM persons WHERE id IN (SELECT id FROM person_merge) ORDER BY id")
    names = [d[0] for d in cursor.description]
    identity.merged_records = {r[0]: dict(zip(names, r)) for r in cursor.fetchall()}
    conn.execute("DELETE FROM persons WHERE id IN (SELECT id FROM person_merge)")
    for rtype in schema.types.values():
        rewrite_references(conn, schema, rtype.name, rtype.name, identity.rewritten)


def rewrite_references(conn: duckdb.DuckDBPyConnection, schema: Schema, type_name: str, table_name: str,
                       rewritten: dict[tuple[str, str], dict[str, str | list[str]]]) -> None:
    """Point a table's references to merged persons (`person_merge`) at the records they were merged into,
    noting each reference as recorded in `rewritten`. `table_name`: the type's table, or rows of its columns."""
    rtype = schema.types[type_name]
    for f in rtype.fields.values():
        if f.to != "persons" or f.name in ("same_as", "not_same_as"):
            continue
        col = q(f.name)
        table = q(table_name)
        if f.type == "ref":
            found = conn.execute(f"SELECT t.id, t.{col} FROM {table} t JOIN person_merge m ON m.id = t.{col}").fetchall()
            conn.execute(f"UPDATE {table} SET {col} = m.canonical FROM person_merge m WHERE m.id = {table}.{col}")
        else:
            found = conn.execute(f"SELECT id, {col} FROM {table} WHERE list_has_any({col}, "
                                 "(SELECT list(id) FROM person_merge))").fetchall()
            conn.execute(f"UPDATE {table} SET {col} = list_transform({col}, x -> coalesce("
                         "(SELECT canonical FROM person_merge WHERE id = x), x))")
        for rid, original in found:
            rewritten.setdefault((rtype.name, rid), {})[f.name] = original


def family_conflicts(conn: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Another parent (not known to be of the other sex), or another spouse whose marriage may overlap."""
    conn.execute("CREATE OR REPLACE TABLE resolution_pairs (a VARCHAR, b VARCHAR)")
    bulk_insert(conn, "resolution_pairs", pairs)
    found = conn.execute("""
        WITH involved AS (SELECT a AS id FROM resolution_pairs UNION SELECT b FROM resolution_pairs),
        parents AS (
            SELECT person_id AS child, relative_id AS parent FROM relations
            WHERE kind = 'parent' AND person_id IN (SELECT id FROM involved)
            UNION SELECT relative_id, person_id FROM relations
            WHERE kind = 'child' AND relative_id IN (SELECT id FROM involved)),
        spouses AS (
            SELECT person_id AS person, relative_id AS spouse, start__lo AS s, end__hi AS e
            FROM relations WHERE kind = 'spouse' AND person_id IN (SELECT id FROM involved)
            UNION ALL SELECT relative_id, person_id, start__lo, end__hi
            FROM relations WHERE kind = 'spouse' AND relative_id IN (SELECT id FROM involved)),
        gender AS (SELECT id, gender FROM persons WHERE id IN (SELECT parent FROM parents)),
        parent_clash AS (
            SELECT r.a, r.b, min(pa.parent || ' and ' || pb.parent) AS what FROM resolution_pairs r
            JOIN parents pa ON pa.child = r.a JOIN parents pb ON pb.child = r.b
            LEFT JOIN gender ga ON ga.id = pa.parent LEFT JOIN gender gb ON gb.id = pb.parent
            WHERE pa.parent <> pb.parent
              AND pa.parent NOT IN (SELECT parent FROM parents WHERE child = r.b)
              AND pb.parent NOT IN (SELECT parent FROM parents WHERE child = r.a)
              AND NOT (ga.gender IS NOT NULL AND gb.gender IS NOT NULL AND ga.gender <> gb.gender)
            GROUP BY r.a, r.b),
        spouse_clash AS (
            SELECT r.a, r.b, min(sa.spouse || ' and ' || sb.spouse) AS what FROM resolution_pairs r
            JOIN spouses sa ON sa.person = r.a JOIN spouses sb ON sb.person = r.b
            WHERE sa.spouse <> sb.spouse
              AND sa.spouse NOT IN (SELECT spouse FROM spouses WHERE person = r.b)
              AND sb.spouse NOT IN (SELECT spouse FROM spouses WHERE person = r.a)
              AND coalesce(sa.s, DATE '0001-01-01') <= coalesce(sb.e, DATE '9999-12-31')
              AND coalesce(sb.s, DATE '0001-01-01') <= coalesce(sa.e, DATE '9999-12-31')
            GROUP BY r.a, r.b)
        SELECT a, b, 'the records name different parents: ' || what FROM parent_clash
        UNION ALL SELECT a, b, 'the records name different spouses at the same time: ' || what FROM spouse_clash
        ORDER BY 1, 2, 3
    """).fetchall()
    conn.execute("DROP TABLE resolution_pairs")
    out: dict[tuple[str, str], str] = {}
    for a, b, why in found:
        out.setdefault((a, b), why)
    return out


def insert_hints(conn: duckdb.DuckDBPyConnection, resolution: Resolution) -> None:
    """Keep the hints no recorded relation already covers (in either direction), for kinship and the report."""
    # Two plain semi-joins: an OR inside one correlated subquery makes DuckDB compare every hint with
    # every relation.
    conn.execute("""
        DELETE FROM nk_hints WHERE (child, parent) IN (
            SELECT (person_id, relative_id) FROM relations
            UNION ALL SELECT (relative_id, person_id) FROM relations)
    """)
    conn.execute("CREATE TABLE kin_hints AS SELECT child, parent FROM nk_hints")
    resolution.hints_total = conn.execute("SELECT count(*) FROM kin_hints").fetchall()[0][0]
