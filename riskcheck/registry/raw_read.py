"""A case's sources read into a new store's raw tables: the first step of every fresh load (riskcheck.registry.load),
and of one begun while the program starts (riskcheck.registry.read_ahead)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from riskcheck.errors import Problem
from riskcheck.registry import store
from riskcheck.registry.ingest_csv import insert_csv
from riskcheck.registry.raw import create_raw_tables, insert_rows
from riskcheck.registry.reader import CaseSources
from riskcheck.registry.schema import Schema
from riskcheck.registry.spellings import dotted_date_notes


@dataclass
class RawRead:
    """A new store holding a case's sources as read, before validation."""

    conn: duckdb.DuckDBPyConnection
    problems: list[Problem]  # the sources' own problems and the files' errors
    field_lines: dict  # (file, line) of a YAML record -> the line of each of its fields


def read_raw(schema: Schema, sources: CaseSources, conn: duckdb.DuckDBPyConnection | None = None) -> RawRead:
    """A new store with the case's YAML records, then each of its CSV files, in its raw tables; the warnings of
    reading are added to `sources.warnings`. `conn`: the new store to read into, if the caller made it
    (store.connect(input_bytes(sources))). The store is closed if reading fails."""
    conn = conn if conn is not None else store.connect(input_bytes(sources))
    try:
        create_raw_tables(conn, schema)
        field_lines = {}
        for type_name, rows in sources.rows.items():
            insert_rows(conn, schema, type_name, rows)
            for row in rows:
                field_lines[(row.file, row.line)] = row.field_lines
        problems: list[Problem] = list(sources.problems)
        for errors, notes in _read_csv_files(conn, schema, sources.csv_files):
            problems += errors
            sources.warnings += notes
        sources.warnings += dotted_date_notes(conn, schema)
    except BaseException:
        conn.close()
        raise
    return RawRead(conn, problems, field_lines)


def _read_csv_files(conn: duckdb.DuckDBPyConnection, schema: Schema, files: list[tuple[str, Path, str]]
                    ) -> list[tuple[list[Problem], list[Problem]]]:
    """Each CSV file read into its raw table (insert_csv): its errors and warnings, in the files' order.

    A large case's files are read in two shares at once, one on a second connection: DuckDB reads one file on
    both cores only most of the time (a million persons' file 1.7 cores of 2, the small files far less), and two
    files side by side fill them (the independent registry's ten files: 1.75-2.0 s to 1.6). A record type's
    files stay in one share and in their order, so its rows keep the files' order and their numbers."""
    def read(side: duckdb.DuckDBPyConnection, share: list[int]) -> dict[int, tuple[list[Problem], list[Problem]]]:
        return {i: insert_csv(side, schema, *files[i]) for i in share}

    first, second = _two_shares(files) if not store.on_one_thread(conn) else (list(range(len(files))), [])
    if not second:
        found = read(conn, first)
    else:
        beside = store.Beside(conn, lambda side: read(side, second))
        try:
            found = read(conn, first)
        finally:
            beside.wait()
        found.update(beside.result())
    return [found[i] for i in range(len(files))]


def _two_shares(files: list[tuple[str, Path, str]]) -> tuple[list[int], list[int]]:
    """The files' numbers in two shares of about the same bytes, each record type's files in one, in order."""
    by_type: dict[str, list[int]] = {}
    for i, (type_name, _, _) in enumerate(files):
        by_type.setdefault(type_name, []).append(i)
    shares: tuple[list[int], list[int]] = ([], [])
    held = [0, 0]
    sized = sorted(((sum(_size(files[i][1]) for i in numbers), type_name) for type_name, numbers in by_type.items()),
                   reverse=True)
    for size, type_name in sized:  # the largest first, each to the lighter share
        lighter = 0 if held[0] <= held[1] else 1
        shares[lighter].extend(by_type[type_name])
        held[lighter] += size
    return sorted(shares[0]), sorted(shares[1])


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # reading it will say so
        return 0


def input_bytes(sources: CaseSources) -> int:
    """About what a case's inputs hold: its CSV files' sizes and its YAML records' values."""
    written = sum(len(v) if isinstance(v, str) else sum(len(x) for x in v or () if isinstance(x, str))
                  for rows in sources.rows.values() for row in rows for v in row.values.values())
    return written + sum(_size(path) for _, path, _ in sources.csv_files)
