"""The store: a case's records in DuckDB, in three layers; this module opens it.

1. raw tables (`raw_<type>`, riskcheck.registry.raw): every value as written (text), with the file and
   line it came from. YAML rows are inserted from Python; CSV files are read by DuckDB in bulk
   (riskcheck.registry.ingest_csv). Dropped once validation has passed and the typed tables are built.
2. typed tables (`<type>`, riskcheck.registry.typed): the same records with dates split into interval
   bounds (`<field>__lo`, `<field>__hi`, riskcheck.registry.date_macros), numbers and booleans cast.
   Only built once validation passed.
3. `kinship` (riskcheck.registry.kinship): every relation read from both sides (the view `kin_direct`),
   plus the blood links and in-laws they imply between people the registry records something of
   (tables), with the period the link holds and the weakest status along its path. Beside it the
   organisation hierarchy (riskcheck.registry.hierarchy).

Set-oriented SQL keeps one code path for a 20-record case and a national registry.
"""

from __future__ import annotations

import itertools
import os
import tempfile

import duckdb

from riskcheck.registry.budgets import MEMORY_LIMIT, SPILL_DIR, SPILL_LIMIT
from riskcheck.registry.date_macros import DATE_MACROS
from riskcheck.registry.schema import Schema
from riskcheck.sqlio import lit, q


def connect() -> duckdb.DuckDBPyConnection:
    """A new in-memory store within the memory budgets, with the date macros defined."""
    # An in-memory store never needs a checkpoint, but DuckDB runs one after every 16 MB written, and at a
    # million persons each took a second or more between statements.
    conn = duckdb.connect(":memory:", config={"memory_limit": MEMORY_LIMIT, "checkpoint_threshold": "1TB",
                                              "max_temp_directory_size": SPILL_LIMIT,
                                              "temp_directory": _spill_folder()})
    conn.execute("SET preserve_insertion_order = true")
    # DuckDB never prints progress itself; the run's watcher turns tracking on for rule queries only (it
    # costs about 2 s of a million-person store build).
    conn.execute("SET enable_progress_bar = false; SET enable_progress_bar_print = false")
    conn.execute(DATE_MACROS)
    return conn


def _spill_folder() -> str:
    """A folder no other store shares (DuckDB names its spill files alike), which DuckDB creates only when it
    spills and removes when the store closes."""
    base = SPILL_DIR or tempfile.gettempdir()
    return os.path.join(base, f"riskcheck-spill-{os.getpid()}-{next(_STORES)}")


_STORES = itertools.count(1)


def row_counts(conn: duckdb.DuckDBPyConnection, schema: Schema, prefix: str = "") -> dict[str, int]:
    """Rows of each record type's table (`<prefix><type>`: the typed tables, or `raw_rows_` ones), in one query."""
    found = dict(conn.execute(" UNION ALL ".join(f"SELECT {lit(t)}, count(*) FROM {q(prefix + t)}"
                                                 for t in schema.types)).fetchall())
    return {t: found[t] for t in schema.types}

