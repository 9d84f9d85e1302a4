"""The typed layer of the store: each record type's table with dates as interval bounds, numbers and booleans cast.

Built from the raw layer once validation has passed (the raw tables then dropped), but for EARLY_TYPES, which
a large case types before, beside its validation; the rules read only these.
"""

from __future__ import annotations

from typing import Collection

import duckdb

from riskcheck.registry.schema import Field, Schema
from riskcheck.registry.store import row_counts
from riskcheck.sqlio import lit, q


def _typed_column(f: Field) -> str:
    col = q(f.name)
    if f.type == "date":
        return f"{col}, pd_lo({col}) AS {q(f.name + '__lo')}, pd_hi({col}) AS {q(f.name + '__hi')}"
    if f.type == "int":
        return f"CAST({col} AS BIGINT) AS {col}"
    if f.type == "bool":
        return f"lower({col}) = 'true' AS {col}"
    if f.default is not None:
        return f"coalesce({col}, {lit(f.default)}) AS {col}"
    return col


def typed_select(schema: Schema, type_name: str) -> str:
    """The columns of a record type's typed table, as SQL over its raw view (or rows of the same columns)."""
    rtype = schema.types[type_name]
    cols = ", ".join(_typed_column(f) for f in rtype.fields.values())
    extra = ""
    if rtype.name == "relations":
        ranks = " ".join(f"WHEN {lit(s)} THEN {schema.status_rank(s)}" for s in schema.relation_statuses)
        extra = f", CASE coalesce(status, 'reported') {ranks} END AS status_rank"
    return f"{cols}{extra}, _file, _line"


def create_typed_tables(conn: duckdb.DuckDBPyConnection, schema: Schema, types: Collection[str] | None = None,
                        drop_raw: bool = True) -> None:
    """Build the typed layer (of `types` alone, if given); call only after validation found no errors, but for
    EARLY_TYPES, whose typing cannot fail (their raw tables then kept for validation: drop_raw False)."""
    filled = {t for t, n in row_counts(conn, schema, "raw_rows_").items() if n}
    for rtype in schema.types.values():
        if types is not None and rtype.name not in types:
            continue
        if rtype.name not in filled:
            # A small case fills a few record types. An empty one's table is made from its columns as the
            # query below types them, found once for the process: planning that query (each date read by the
            # partial-date macros) took a fifth of a rule's inline test.
            conn.execute(f"CREATE TABLE {q(rtype.name)} ({_empty_columns(conn, schema, rtype.name)})")
            if drop_raw:
                drop_raw_tables(conn, [rtype.name])
            continue
        # Sorted by id, so lookups by id skip row groups; relations are looked up too rarely to pay for
        # sorting millions of rows. Rows already in id order (as most registries export them) are kept as
        # they are: the same table, without sorting a million persons.
        order = "" if rtype.name == "relations" or _in_id_order(conn, rtype.name) else " ORDER BY id"
        conn.execute(f"CREATE TABLE {q(rtype.name)} AS SELECT {typed_select(schema, rtype.name)} "
                     f"FROM {q('raw_' + rtype.name)}{order}")
        # The text copy has served validation; a national registry's is a gigabyte DuckDB would otherwise
        # keep evicting to disk and reading back.
        if drop_raw:
            drop_raw_tables(conn, [rtype.name])


# The types identity resolution reads (persons; relations for a pair's family conflicts) and the reviewers'
# decisions are written into before it (riskcheck.registry.reviewed: relations and their sources). Typing them
# cannot fail whatever their values (no number or true/false to cast; a date that cannot be read is NULL), so
# they can be typed before validation has passed, and resolution run beside it (riskcheck.registry.load).
EARLY_TYPES = ("persons", "relations", "sources")


def drop_raw_tables(conn: duckdb.DuckDBPyConnection, types: Collection[str]) -> None:
    for name in types:
        conn.execute(f"DROP VIEW {q('raw_' + name)}; DROP TABLE {q('raw_rows_' + name)}")


_EMPTY_COLUMNS: dict[str, str] = {}  # the typed query -> its columns and their types, as DDL


def _empty_columns(conn: duckdb.DuckDBPyConnection, schema: Schema, type_name: str) -> str:
    select = f"SELECT {typed_select(schema, type_name)} FROM {q('raw_' + type_name)}"
    if select not in _EMPTY_COLUMNS:
        described = conn.execute(f"DESCRIBE {select}").fetchall()
        _EMPTY_COLUMNS[select] = ", ".join(f"{q(name)} {kind}" for name, kind, *_ in described)
    return _EMPTY_COLUMNS[select]


def _in_id_order(conn: duckdb.DuckDBPyConnection, type_name: str) -> bool:
    """Whether the raw rows of a type come in strictly increasing id order (ids are unique once validated),
    so that a table built from them in that order (preserve_insertion_order) is the one ORDER BY id builds."""
    return not conn.execute(f"SELECT 1 FROM (SELECT id, lead(id) OVER (ORDER BY rowid) AS next_id "
                            f"FROM {q('raw_rows_' + type_name)}) WHERE next_id <= id LIMIT 1").fetchall()
