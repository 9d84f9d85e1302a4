"""The raw layer of the store: tables holding every value as written, with the file and line it came from.

Validation reads these; once it has passed the typed tables are built from them and they are dropped
(riskcheck.registry.typed). YAML and workbook rows are inserted here from Python; CSV files are read in
bulk by riskcheck.registry.ingest_csv.
"""

from __future__ import annotations

import duckdb

from riskcheck.registry.raw_row import RawRow
from riskcheck.registry.schema import Schema
from riskcheck.registry.spellings import spelled_column
from riskcheck.sqlio import q


def create_raw_tables(conn: duckdb.DuckDBPyConnection, schema: Schema) -> None:
    """raw_rows_<type> holds the rows; the view raw_<type> gives each its line (CSV: its row number).

    A CSV row's number is not stored but derived: rows are kept in file order, so it is the row's rowid
    less the rowid the file started at (_base), plus the header. Numbering rows while reading them
    (row_number() OVER ()) made DuckDB read every file on one thread, doubling the time to load.
    """
    for rtype in schema.types.values():
        cols = ", ".join(f"{q(f.name)} {'VARCHAR[]' if f.is_list else 'VARCHAR'}" for f in rtype.fields.values())
        conn.execute(f"CREATE TABLE {q('raw_rows_' + rtype.name)} (_file VARCHAR, _line INTEGER, _csv BOOLEAN, "
                     f"_base BIGINT, {cols})")
        names = ", ".join(spelled_column(f) for f in rtype.fields.values())
        conn.execute(f"CREATE VIEW {q('raw_' + rtype.name)} AS SELECT _file, "
                     f"coalesce(_line, CAST(rowid - _base + 2 AS INTEGER)) AS _line, _csv, {names} "
                     f"FROM {q('raw_rows_' + rtype.name)}")
    # The ids of rows that could not be read (a CSV row with an extra cell): already an error each, so a
    # reference to one is not reported again as naming nothing.
    conn.execute("CREATE TABLE unread_ids (id VARCHAR)")


INSERT_CHUNK = 200  # rows per INSERT statement of YAML records


def insert_rows(conn: duckdb.DuckDBPyConnection, schema: Schema, type_name: str, rows: list[RawRow]) -> None:
    if not rows:
        return
    fields = list(schema.types[type_name].fields)
    one_row = "(" + ", ".join(["?"] * (len(fields) + 4)) + ")"
    # One statement of many rows per chunk: executemany costs about a millisecond a row, which was most of
    # the time of a rule's inline test (a few dozen rows each).
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start:start + INSERT_CHUNK]
        params = [v for row in chunk
                  for v in (row.file, row.line, row.by_row, None, *(_clean(row.values.get(f)) for f in fields))]
        conn.execute(f"INSERT INTO {q('raw_rows_' + type_name)} VALUES {', '.join([one_row] * len(chunk))}",
                     params)


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value

