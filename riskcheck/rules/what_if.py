"""Which kinship hints would change a finding if they were true.

A hint (a parent inferred from a patronymic, see riskcheck.names.resolve) is a lead for a reviewer, and a
national registry gives thousands. The ones worth a reviewer's time are those that would add a finding:
each rule that binds kinship is run once more against the hints alone, taken as reported links, and
the findings it gives that the run did not already have are written on the hints they rest on.
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


class WhatIf:
    """The rules that bind kinship, asked over the hints; started before the rules run, marked after.

    A case's store on more than one thread (riskcheck.registry.store) asks them on a connection of its own, in
    a thread, while the rules run (store.Beside): both are DuckDB's queries, which do not use both cores all the
    time. `mark` waits for them and writes on each hint the findings it would add; `close` waits for them in any
    case, before the store may be closed."""

    def __init__(self, registry: Registry, rules: list[LoadedRule], as_of: date, overrides: dict[str, dict]):
        self.registry = registry
        self.kin_rules = [r.compiled for r in rules if isinstance(r.compiled, CompiledRule) and r.compiled.kinship_vars]
        self.asked: list[tuple[CompiledRule, list[dict]]] = []
        self.beside: Beside | None = None
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
        for shipped in self.kin_rules:
            # The same rule over the hints: compiled again, its kinship bindings reading the view above.
            compiled = compile_rule(shipped.rule, self.registry.schema, kinship_relation="kinship_what_if")
            bind = bind_params(compiled, resolve_params(compiled, overrides.get(compiled.rule.id, {})), as_of)
            cursor = conn.execute(compiled.sql, bind)
            columns = [d[0] for d in cursor.description]
            asked.append((compiled, [dict(zip(columns, r)) for r in cursor.fetchall()]))
        return asked

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


def _hint_pairs(conn, kin_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Hint link id -> (child, parent), read from the links themselves (ids may hold any character)."""
    found = conn.execute("""
        SELECT id, CASE kind WHEN 'parent' THEN person_id ELSE relative_id END,
               CASE kind WHEN 'parent' THEN relative_id ELSE person_id END
        FROM kin_hint_links_both WHERE list_contains(?, id)""", [kin_ids]).fetchall()
    return {kin_id: (child, parent) for kin_id, child, parent in found}
