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
import threading
from typing import Any, Callable, TypeVar

import duckdb

from riskcheck.registry.budgets import MEMORY_LIMIT, SPILL_DIR, SPILL_LIMIT
from riskcheck.registry.date_macros import DATE_MACROS
from riskcheck.registry.schema import Schema
from riskcheck.sqlio import lit, q


# A case whose inputs hold less than this is loaded and judged on one thread: its queries each take a few
# milliseconds, mostly planning, and DuckDB's threads cost more to start and join than they share (a rule's
# inline tests took a sixth more CPU on two threads than on one).
SMALL_INPUT_BYTES = 1 << 20

T = TypeVar("T")


def connect(input_bytes: int | None = None) -> duckdb.DuckDBPyConnection:
    """A new in-memory store within the memory budgets, with the date macros defined; on one thread when the
    case's inputs are known to hold fewer than SMALL_INPUT_BYTES."""
    # An in-memory store never needs a checkpoint, but DuckDB runs one after every 16 MB written, and at a
    # million persons each took a second or more between statements.
    conn = duckdb.connect(":memory:", config={"memory_limit": MEMORY_LIMIT, "checkpoint_threshold": "1TB",
                                              "max_temp_directory_size": SPILL_LIMIT,
                                              "temp_directory": _spill_folder()})
    _attach_compressed(conn)
    conn.execute("SET preserve_insertion_order = true")
    if input_bytes is not None and input_bytes < SMALL_INPUT_BYTES:
        conn.execute("SET threads = 1")
    # DuckDB never prints progress itself; the run's watcher turns tracking on for rule queries only (it
    # costs about 2 s of a million-person store build).
    conn.execute("SET enable_progress_bar = false; SET enable_progress_bar_print = false")
    conn.execute(DATE_MACROS)
    return conn


class Beside:
    """`work(side)` in a thread, on another connection to the same store (its own temp tables and views, the same
    tables, macros and settings), while the caller goes on with this one. DuckDB runs each statement without
    Python's lock. `wait` waits for it; `result` waits and gives what `work` returned, or raises what it raised,
    in the caller's thread. The connection is closed when `work` is done."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection], T]) -> None:
        self._side = conn.cursor()
        self._side.execute(f"USE {q(conn.execute('SELECT current_database()').fetchall()[0][0])}")
        self._out: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[duckdb.DuckDBPyConnection], Any]) -> None:
        try:
            self._out["value"] = work(self._side)
        except BaseException as exc:  # raised by result, in the caller's thread
            self._out["failed"] = exc
        finally:
            self._side.close()

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> Any:
        self.wait()
        if "failed" in self._out:
            raise self._out["failed"]
        return self._out["value"]


def on_one_thread(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store runs on one thread (a small case, see connect): work beside it would only wait."""
    return conn.execute("SELECT current_setting('threads')").fetchall()[0][0] == 1


def _attach_compressed(conn: duckdb.DuckDBPyConnection) -> None:
    """Keep the store's tables in a database that compresses them when compacted (compact_when_large).

    DuckDB leaves an in-memory database's tables uncompressed unless told: ten million persons then hold
    about ten gigabytes, more than the memory budget, and every rule reads its tables back from the spill
    files. Compressed they hold a fifth of that. A DuckDB too old to compress in memory keeps the plain store.
    """
    try:
        conn.execute("ATTACH ':memory:' AS store (COMPRESS)")
    except duckdb.Error:
        return
    conn.execute("USE store")


# Above this share of the memory budget the store's tables are compressed (compact_when_large).
COMPACT_SHARE = 0.25


def compact_when_large(conn: duckdb.DuckDBPyConnection) -> tuple[int, int] | None:
    """Compress the store's tables when they hold more than COMPACT_SHARE of the memory budget.

    Returns (megabytes before, after), or None when they are small enough to be left as they are.
    Compressing costs about a tenth of a million-person load, so a store that fits its budget with room
    for the rules' joins is not compressed; one that does not would spill and be read back from disk by every
    rule, which costs more. Call it only when no table relies on its rowids (the raw layer does), as
    compressing may renumber the rows of a table something was deleted from.
    """
    before = _table_bytes(conn)
    if not is_large(conn, before):
        return None
    conn.execute("CHECKPOINT")
    return before >> 20, _table_bytes(conn) >> 20


def is_large(conn: duckdb.DuckDBPyConnection, table_bytes: int | None = None) -> bool:
    """Whether the store's tables hold more than COMPACT_SHARE of the memory budget (`table_bytes`: what they
    hold, if known): then they are compressed, and nothing that would hold more at once is run beside them."""
    budget = _setting_bytes(conn, "memory_limit")
    held = _table_bytes(conn) if table_bytes is None else table_bytes
    return budget is not None and held > budget * COMPACT_SHARE


def _table_bytes(conn: duckdb.DuckDBPyConnection) -> int:
    """What the tables take, in memory and spilled to disk."""
    return int(conn.execute("SELECT coalesce(sum(memory_usage_bytes + temporary_storage_bytes), 0) "
                            "FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'").fetchall()[0][0])


_UNITS = {"bytes": 1, "b": 1, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3, "tb": 1000 ** 4,
          "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}


def _setting_bytes(conn: duckdb.DuckDBPyConnection, name: str) -> int | None:
    """A size setting as DuckDB reports it (`9.1 GiB`), in bytes; None when it cannot be read."""
    value = str(conn.execute("SELECT current_setting(?)", [name]).fetchall()[0][0]).strip().lower()
    number, _, unit = value.partition(" ")
    try:
        return int(float(number) * _UNITS[unit.strip() or "b"])
    except (ValueError, KeyError):
        return None


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

