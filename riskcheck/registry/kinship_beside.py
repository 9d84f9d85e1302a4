"""The recorded kinship derived beside identity resolution, when no merge of person records reaches it.

A large case validates and types its records on a second connection while the first resolves identities
(riskcheck.registry.load._validated_beside). At a million persons validation ends well before resolution, and
the recorded kinship reads only what is typed by then: the relations and the records that make people of
interest. So the second connection goes on to derive it. Resolution's merges rewrite the references to the
records they merge: as soon as the merges are known (resolve_identities' `linked`), one that a relation or such
a record names stops the derivation, interrupting its statement, and the links are derived after the merges as
they always were. Either way the links are the same.
"""

from __future__ import annotations

import threading

import duckdb

from riskcheck.registry.kinship import derive_recorded_kinship, merges_reach_kinship
from riskcheck.registry.schema import Schema
from riskcheck.sqlio import q


class KinshipBeside:
    """What the two connections say to each other about deriving the recorded kinship beside resolution.

    The resolving side says once whether it resolves afresh (`decide`): a resolution read back from the last
    run takes no time to wait beside, and its kinship may be read back too (create_recorded_kinship). The
    validating side, once its records are valid and typed, derives only if told to (`derive`)."""

    def __init__(self, schema: Schema) -> None:
        self._schema = schema
        self._lock = threading.Lock()
        self._decided = threading.Event()
        self._wanted = False
        self._running: duckdb.DuckDBPyConnection | None = None
        self._anchors: str | None = None
        self._merged: list[str] = []
        self._started = False  # the derivation has begun (and may have ended): merges from now on are checked here

    def decide(self, wanted: bool) -> None:
        """Whether to derive beside (only the first word counts); must be said, or `derive` waits for ever."""
        with self._lock:
            if self._decided.is_set():
                return
            self._wanted = wanted
            self._decided.set()

    def derive(self, side: duckdb.DuckDBPyConnection) -> None:
        """On the validating side, after its typing: derive the links if wanted and until told to stop."""
        self._decided.wait()
        with self._lock:
            if not self._wanted:
                return
            merged, self._running, self._started = self._merged, side, True
        anchors: str | None = None
        try:
            # Merges known before the derivation starts are checked here, where every record is typed.
            if not merges_reach_kinship(side, self._schema, merged):
                anchors = derive_recorded_kinship(side, self._schema)
        except Exception:  # interrupted (cancel), or failing: derived after resolution, which raises what fails
            anchors = None
        with self._lock:
            self._running = None
            if self._wanted:
                self._anchors = anchors

    def linked(self, conn: duckdb.DuckDBPyConnection, canonical: dict[str, str]) -> None:
        """Resolution's merges, as soon as known: the links derived beside are not taken if one reaches the
        recorded kinship (a derivation still running is stopped). Checked here once the derivation has begun,
        running or done (the records it reads are typed by then); before, `derive` checks them."""
        with self._lock:
            self._merged = sorted(canonical)
            started = self._started
        if started and merges_reach_kinship(conn, self._schema, self._merged):
            self.cancel()

    def cancel(self) -> None:
        with self._lock:
            self._wanted = False
            if self._running is not None:
                self._running.interrupt()

    def derived(self, conn: duckdb.DuckDBPyConnection) -> str | None:
        """Once both sides are done: the people of interest's digest if the links derived beside hold (the caller
        keeps them under it), else None, with whatever a stopped derivation left dropped."""
        if self._anchors is not None and self._wanted:
            return self._anchors
        for name, kind in conn.execute(
                "SELECT table_name, 'TABLE' FROM duckdb_tables() WHERE NOT temporary AND database_name = "
                "current_database() AND starts_with(table_name, 'kin_') UNION ALL "
                "SELECT view_name, 'VIEW' FROM duckdb_views() WHERE NOT temporary AND NOT internal AND database_name = "
                "current_database() AND starts_with(view_name, 'kin_') ORDER BY 2 DESC, 1").fetchall():
            conn.execute(f"DROP {kind} {q(name)}")  # views first: they read the tables
        return None
