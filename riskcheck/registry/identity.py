"""Identity resolution inside the store: link the person records that are one human, add kinship hints.

Resolution runs in a thread while the typed tables are built (ResolutionJob); its results are applied
before the `kinship` table is made (apply_identities), so that the rules see one person
where the registry had several records of it: every reference to a merged record is rewritten to the
record it is merged into, and the merged records leave the `persons` table. What was rewritten is kept
(`Identity.rewritten`) so that a finding can say which of its facts came through a link.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import duckdb

from riskcheck.names.resolve import PairResult, PersonNames, Resolution, resolve
from riskcheck.registry import store
from riskcheck.registry.schema import Schema


@dataclass
class Identity:
    resolution: Resolution = field(default_factory=Resolution)
    merged_records: dict[str, dict] = field(default_factory=dict)  # merged id -> its person record
    rewritten: dict[tuple[str, str], dict[str, object]] = field(default_factory=dict)  # (type, id) -> {field: as recorded}
    _hints: dict[tuple[str, str], PairResult] | None = None

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
        if self._hints is None:
            self._hints = {(h.left, h.right): h for h in self.resolution.hints}
        return self._hints.get((child, parent))


class ResolutionJob:
    """Identity resolution in a thread, from the raw persons, while DuckDB builds the typed tables.

    Resolution is Python and the table building is DuckDB, which releases the GIL, so on two cores the
    two overlap. Only validated data is read: the job starts after validation.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection, stage=None):
        self._cursor = conn.cursor()
        self._stage = stage
        self._result: Resolution | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="riskcheck-identity", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            rows = self._cursor.execute(
                "SELECT id, name, aliases, surname, given_name, patronymic, pd_lo(birth_date), pd_hi(birth_date), "
                "gender, same_as, not_same_as, identifiers, sources FROM raw_persons ORDER BY id").fetchall()
            persons = [PersonNames(r[0], r[1] or "", r[2] or [], r[3] or "", r[4] or "", r[5] or "",
                                   r[6], r[7], r[8], r[9] or [], r[10] or [], r[11] or [], r[12] or [])
                       for r in rows]
            del rows
            self._result = resolve(persons, progress=self._stage, family=self._family_conflicts)
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc
        finally:
            self._cursor.close()

    def _family_conflicts(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """For pairs a name and birth date would link: the recorded facts that say they are two people."""
        return family_conflicts(self._cursor, pairs)

    def result(self) -> Resolution:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


def apply_identities(conn: duckdb.DuckDBPyConnection, schema: Schema, resolution: Resolution) -> Identity:
    """Merge the linked records into one person each and keep the kinship hints; before create_kinship."""
    identity = Identity(resolution)
    if resolution.canonical:
        _apply_merges(conn, schema, identity)
        store.drop_recorded_kinship(conn)
        store.create_recorded_kinship(conn, schema)
    _insert_hints(conn, identity.resolution)
    return identity


def _apply_merges(conn: duckdb.DuckDBPyConnection, schema: Schema, identity: Identity) -> None:
    canonical = identity.resolution.canonical
    if not canonical:
        return
    conn.execute("CREATE TEMP TABLE person_merge (id VARCHAR, canonical VARCHAR)")
    _insert_pairs(conn, "person_merge", sorted(canonical.items()))
    cols = ", ".join(store.q(f) for f in schema.types["persons"].fields)
    cursor = conn.execute(f"SELECT {cols} FROM persons WHERE id IN (SELECT id FROM person_merge) ORDER BY id")
    names = [d[0] for d in cursor.description]
    identity.merged_records = {r[0]: dict(zip(names, r)) for r in cursor.fetchall()}
    conn.execute("DELETE FROM persons WHERE id IN (SELECT id FROM person_merge)")
    for rtype in schema.types.values():
        for f in rtype.fields.values():
            if f.to != "persons" or f.name in ("same_as", "not_same_as"):
                continue
            col = store.q(f.name)
            table = store.q(rtype.name)
            if f.type == "ref":
                found = conn.execute(f"SELECT t.id, t.{col} FROM {table} t JOIN person_merge m ON m.id = t.{col}").fetchall()
                conn.execute(f"UPDATE {table} SET {col} = m.canonical FROM person_merge m WHERE m.id = {table}.{col}")
            else:
                found = conn.execute(f"SELECT id, {col} FROM {table} WHERE list_has_any({col}, "
                                     "(SELECT list(id) FROM person_merge))").fetchall()
                conn.execute(f"UPDATE {table} SET {col} = list_transform({col}, x -> coalesce("
                             "(SELECT canonical FROM person_merge WHERE id = x), x))")
            for rid, original in found:
                identity.rewritten.setdefault((rtype.name, rid), {})[f.name] = original


def family_conflicts(conn: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Another parent (not known to be of the other sex), or another spouse whose marriage may overlap."""
    conn.execute("CREATE OR REPLACE TABLE resolution_pairs (a VARCHAR, b VARCHAR)")
    _insert_pairs(conn, "resolution_pairs", pairs)
    found = conn.execute("""
        WITH parents AS (
            SELECT person_id AS child, relative_id AS parent FROM raw_relations WHERE kind = 'parent'
            UNION SELECT relative_id, person_id FROM raw_relations WHERE kind = 'child'),
        spouses AS (
            SELECT person_id AS person, relative_id AS spouse, pd_lo(start) AS s, pd_hi("end") AS e
            FROM raw_relations WHERE kind = 'spouse'
            UNION ALL SELECT relative_id, person_id, pd_lo(start), pd_hi("end") FROM raw_relations WHERE kind = 'spouse'),
        gender AS (SELECT id, gender FROM raw_persons WHERE id IN (SELECT parent FROM parents)),
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


def _insert_hints(conn: duckdb.DuckDBPyConnection, resolution: Resolution) -> None:
    """Keep the hints no recorded relation already covers (in either direction), for kinship and the report."""
    conn.execute("CREATE TABLE kin_hints (child VARCHAR, parent VARCHAR)")
    if not resolution.hints:
        return
    _insert_pairs(conn, "kin_hints", [(h.left, h.right) for h in resolution.hints])
    # Two plain semi-joins: an OR inside one correlated subquery makes DuckDB compare every hint with
    # every relation.
    conn.execute("""
        DELETE FROM kin_hints WHERE (child, parent) IN (
            SELECT person_id, relative_id FROM relations
            UNION ALL SELECT relative_id, person_id FROM relations)
    """)
    kept = set(conn.execute("SELECT child, parent FROM kin_hints").fetchall())
    resolution.hints = [h for h in resolution.hints if (h.left, h.right) in kept]


def _insert_pairs(conn: duckdb.DuckDBPyConnection, table: str, pairs: list[tuple[str, str]]) -> None:
    """Bulk insert as literal VALUES: DuckDB's executemany costs about a millisecond a row."""
    for i in range(0, len(pairs), 5000):
        values = ", ".join(f"({store.lit(a)}, {store.lit(b)})" for a, b in pairs[i:i + 5000])
        conn.execute(f"INSERT INTO {table} VALUES {values}")
