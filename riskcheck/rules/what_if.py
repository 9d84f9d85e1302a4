"""Which kinship hints would change a finding if they were true.

A hint (a parent inferred from a patronymic, see riskcheck.names.resolve) is a lead for a reviewer, and a
national registry gives thousands. The ones worth a reviewer's time are those that would add a finding:
each rule that binds kinship is run once more against the hints alone, taken as reported links, and
the findings it gives that the run did not already have are written on the hints they rest on.

A re-run on the store kept from the last run, with a few records changed (riskcheck.rules.reach), asks these
rules again only about the persons a change reaches, as it asks the rules themselves: the hints are the last
run's (the kept store refuses a change to the persons or relations they are made from), so a person's rows
over them differ from the last run's only through a row that binds a changed record, in either run. The
others keep the rows the last run gave (CaseResult.what_if, each row as `kept_row` writes it).
"""

from __future__ import annotations

from datetime import date

import duckdb

from riskcheck.engine.compile import CompiledRule, compile_rule
from riskcheck.engine.evaluate import bind_params, resolve_params
from riskcheck.engine.findings import Finding
from riskcheck.registry.load import Registry
from riskcheck.registry.store import Beside, on_one_thread
from riskcheck.rules.loader import LoadedRule
from riskcheck.rules.reach import Earlier, bound_to, can_reach, changed_tables, persons_reached, records_table
from riskcheck.sqlio import q

CHANGED = "what_if_changed_"  # + type: temp table of the changed records of the type still there (a re-run)
REACHED = "what_if_persons"  # temp table: the persons a change reaches, asked again


class WhatIf:
    """The rules that bind kinship, asked over the hints; started before the rules run, marked after.

    A case's store on more than one thread (riskcheck.registry.store) asks them on a connection of its own, in
    a thread, while the rules run (store.Beside): both are DuckDB's queries, which do not use both cores all the
    time. `mark` waits for them and writes on each hint the findings it would add; `close` waits for them in any
    case, before the store may be closed."""

    def __init__(self, registry: Registry, rules: list[LoadedRule], as_of: date, overrides: dict[str, dict],
                 earlier: Earlier | None = None):
        """`earlier`: a re-run's start (riskcheck.rules.reach), whose last rows are asked again only where a
        change reaches them."""
        self.registry = registry
        self.kin_rules = [r.compiled for r in rules if isinstance(r.compiled, CompiledRule) and r.compiled.kinship_vars]
        self.asked: list[tuple[CompiledRule, list[dict]]] = []  # each rule's rows, as kept_row writes them
        self.beside: Beside | None = None
        self.earlier = earlier
        if not registry.identity.resolution.hints_total or not self.kin_rules:
            return
        if on_one_thread(registry.conn):  # a small case: here and now
            self.asked = self._ask(registry.conn, as_of, overrides)
            return
        self.beside = Beside(registry.conn, lambda side: self._ask(side, as_of, overrides))

    def _ask(self, conn: duckdb.DuckDBPyConnection, as_of: date, overrides: dict[str, dict]
             ) -> list[tuple[CompiledRule, list[dict]]]:
        reported = self.registry.schema.status_rank("reported")
        # The hint links both ways, as the kinship view has them, taken as reported.
        conn.execute("CREATE OR REPLACE TEMP VIEW kinship_what_if AS SELECT * REPLACE ('reported' AS status, "
                     f"{reported} AS status_rank) FROM kin_hint_links_both")
        asked = []
        # A re-run's changed records, as temp tables of this connection (the rules' are the run's connection's).
        made, tables = changed_tables(conn, self.earlier.changed, CHANGED) if self.earlier is not None else ([], {})
        try:
            for shipped in self.kin_rules:
                # The same rule over the hints: compiled again, its kinship bindings reading the view above.
                compiled = compile_rule(shipped.rule, self.registry.schema, kinship_relation="kinship_what_if")
                bind = bind_params(compiled, resolve_params(compiled, overrides.get(compiled.rule.id, {})), as_of)
                again = self._ask_again(conn, compiled, bind, tables)
                asked.append((compiled, again if again is not None else _rows(conn, compiled, compiled.sql, bind)))
        finally:
            for table in [REACHED, *made]:
                conn.execute(f"DROP TABLE IF EXISTS temp.main.{q(table)}")
        return asked

    def _ask_again(self, conn: duckdb.DuckDBPyConnection, compiled: CompiledRule, bind: dict,
                   tables: dict[str, str]) -> list[dict] | None:
        """A re-run's rows of one rule over the hints: the last run's, but for the persons a change reaches,
        asked again; None when the rule is asked in full (no re-run, no last rows, or a rule that cannot be
        asked about some persons alone). `tables`: the changed records' (changed_tables)."""
        earlier, schema = self.earlier, self.registry.schema
        last = earlier.what_if.get(compiled.rule.id) if earlier is not None else None
        if earlier is None or last is None or not can_reach(compiled, schema):
            return None
        persons = persons_reached(conn, compiled, schema, earlier.changed, tables, last, bind)
        subject = "v__" + compiled.rule.subject
        rows = [row for row in last if row[subject] not in persons]
        if persons:
            records_table(conn, REACHED, "persons", persons)
            rows += _rows(conn, compiled, bound_to(compiled, schema, compiled.rule.subject, REACHED), bind)
        order = ["v__" + v for v in compiled.rule.match]  # as the query orders its rows, NULLs last
        return sorted(rows, key=lambda row: [(row[v] is None, row[v] or "") for v in order])

    def rows(self) -> dict[str, list[dict]]:
        """Each rule's rows over the hints, by rule id, as kept for the next run (CaseResult.what_if); call after
        `mark`."""
        return {compiled.rule.id: rows for compiled, rows in self.asked}

    def close(self) -> None:
        if self.beside is not None:
            self.beside.wait()

    def mark(self, findings: list[Finding]) -> None:
        """Write on each hint the findings it would add that the run does not already make."""
        if self.beside is not None:
            self.asked = self.beside.result()
        registry = self.registry
        # A finding the run already made on recorded links is not a change; one resting on a hint is.
        made = {(f.rule, f.person, tuple(f.related)) for f in findings
                if not any(str(x).startswith("hint:") for v in f.records.values()
                           for x in (v if isinstance(v, list) else [v]))}
        found: list[tuple[str, str, str, list[str]]] = []  # (rule title, person, status, hint link ids)
        for compiled, rows in self.asked:
            for row in rows:
                person = row["v__" + compiled.rule.subject]
                related = tuple(sorted({row["v__" + v] for v in compiled.rule.related} - {person, None}))
                if (compiled.rule.id, person, related) not in made:
                    found.append((compiled.rule.title, person, row["status"],
                                  [k for var in compiled.kinship_vars for k in row["p__" + var]]))
        if not found:
            return
        pairs = _hint_pairs(registry.conn, sorted({k for *_, ids in found for k in ids}))
        names = {pid: (record or {}).get("name", pid)
                 for pid, record in registry.records("persons", sorted({f[1] for f in found})).items()}
        changes: dict[tuple[str, str], set[str]] = {}
        for title, person, status, ids in found:
            for kin_id in ids:
                if kin_id in pairs:
                    changes.setdefault(pairs[kin_id], set()).add(f"{title}: {names.get(person, person)} ({status})")
        for pair, hint in registry.identity.hints_for(sorted(changes)).items():
            hint.changes = sorted(changes[pair])


def _rows(conn: duckdb.DuckDBPyConnection, compiled: CompiledRule, sql: str, bind: dict) -> list[dict]:
    """The rows of a rule's query over the hints, each as kept_row writes it."""
    cursor = conn.execute(sql, bind)
    columns = [d[0] for d in cursor.description]
    return [kept_row(compiled, dict(zip(columns, r))) for r in cursor.fetchall()]


def kept_row(compiled: CompiledRule, row: dict) -> dict:
    """What `mark` and a re-run read of a row: the record bound to each variable, the status, the hint links."""
    return {**{"v__" + v: row["v__" + v] for v in compiled.rule.match}, "status": row["status"],
            **{"p__" + v: list(row["p__" + v]) for v in compiled.kinship_vars}}


def _hint_pairs(conn, kin_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Hint link id -> (child, parent), read from the links themselves (ids may hold any character)."""
    found = conn.execute("""
        SELECT id, CASE kind WHEN 'parent' THEN person_id ELSE relative_id END,
               CASE kind WHEN 'parent' THEN relative_id ELSE person_id END
        FROM kin_hint_links_both WHERE list_contains(?, id)""", [kin_ids]).fetchall()
    return {kin_id: (child, parent) for kin_id, child, parent in found}
