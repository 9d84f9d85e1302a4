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
                "gender, same_as FROM raw_persons ORDER BY id").fetchall()
            persons = [PersonNames(r[0], r[1] or "", list(r[2] or []), r[3] or "", r[4] or "", r[5] or "",
                                   r[6], r[7], r[8], list(r[9] or [])) for r in rows]
            del rows
            self._result = resolve(persons, progress=self._stage)
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc
        finally:
            self._cursor.close()

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
            if f.to != "persons" or f.name == "same_as":
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
