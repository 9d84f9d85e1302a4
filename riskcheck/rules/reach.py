"""A re-run's person rules asked only about the persons a change can reach; the last run's findings kept for the rest.

A re-run whose store is the last run's with a few rows changed (riskcheck.registry.kept_store: rows of tenures,
verdicts, resignations or memberships added, edited, removed or moved to another line) need not ask a rule
about a million persons again. A person rule's query has no subquery: each of its rows is a tuple of records,
one per `match` variable, and whether the tuple is a row, its status and its evidence depend on those records
alone (their fields, the records they refer to, which no changeable record is, and the kinship, which the
changes leave as it was: the kept store refuses a change to the people of interest). So a person whose
findings of a rule differ between the two runs has a row binding a changed record in one of them:

- in the last run: a finding kept from it that binds a changed record (a row the last run filtered out, by
  jurisdiction or by the case's subjects, gives no finding either way);
- in this run: a row of the rule's query with one variable of a changed type reading only the changed
  records (the query as compiled, that binding reading another table). For a required variable these are
  exactly the rows binding a changed record (the query's windows partition by every required variable, so a
  partition is kept whole); for an optional one, a row whose first candidate among the changed records is
  bound, a superset of those whose first candidate of all is changed.

The rule then runs again with its subject reading only those persons (a required variable, so again whole
partitions and the very rows a full run gives them, in the query's own order), and every other person keeps
the findings the last run gave: the same rows, records and lines, so the same findings. Unit indicators read
whole tables and run in full.

Both queries are the rule compiled again with one binding reading another table (compile_rule's `reading`),
never its text edited: a kinship binding's links are narrowed to the people the match's other records name,
and with a binding reading the changed records alone, so are the links (read for every tenure's person, each
of these queries cost as much as the whole rule). A rule whose loaded query is not the one the compiler
writes for it runs in full, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from riskcheck.engine.compile import CompiledRule, compile_rule
from riskcheck.engine.evaluate import MAX_FINDINGS_PER_RULE, bind_params
from riskcheck.engine.findings import Finding
from riskcheck.registry.load import Registry
from riskcheck.registry.schema import Schema
from riskcheck.sqlio import bulk_insert, q

REACHED = "reach_persons"  # temp table: the persons a change reaches, as `persons` holds them
# The derived record types no changeable record is read into: the kinship (relations, and the people of
# interest, which a kept store refuses to change) and the bodies within bodies (organizations).
UNCHANGED_DERIVED = ("kinship", "org_within")
CHANGED = "reach_changed_"  # + type: temp table of the changed records of the type that are still there


@dataclass
class Earlier:
    """What a restricted re-run starts from: the last run's findings (of the store before the changed rows
    were applied) and the ids of the records changed since, by type."""

    findings: list[Finding]
    changed: dict[str, set[str]]
    reached: set[str] = field(default_factory=set)  # the persons asked about again, by any rule (said to the user)
    kept: list[Finding] = field(default_factory=list)  # the last run's findings kept as they were, every rule's
    in_full: list[str] = field(default_factory=list)  # the person rules that ran in full all the same
    # The last run's rows of the rules over the kinship hints, by rule id (CaseResult.what_if), for
    # riskcheck.rules.what_if to ask again only about the persons a change reaches.
    what_if: dict[str, list[dict]] = field(default_factory=dict)


def as_compiled(compiled: CompiledRule, schema: Schema) -> bool:
    """Whether the loaded query is the one the compiler writes for the rule: only then is it known what a
    binding reads, and the rule can be compiled again with one binding reading another table (bound_to)."""
    return compile_rule(compiled.rule, schema).sql == compiled.sql


def bound_to(compiled: CompiledRule, schema: Schema, var: str, relation: str) -> str:
    """The rule's query with one variable reading `relation` instead of its type's table (check as_compiled
    first). Its kinship bindings read what `compiled`'s read (the kinship, or the hints alone: what_if)."""
    return compile_rule(compiled.rule, schema, kinship_relation=compiled.kinship_relation,
                        reading={var: relation}).sql


def can_reach(compiled: CompiledRule, schema: Schema) -> bool:
    """Whether a rule can be asked about the persons a change reaches alone: its subject is a person, and it
    reads no table the store derives from records that may have changed."""
    if compiled.var_types.get(compiled.rule.subject) != "persons":
        return False
    return all(t in schema.types or t in UNCHANGED_DERIVED for t in compiled.var_types.values())


def persons_reached(conn: duckdb.DuckDBPyConnection, compiled: CompiledRule, schema: Schema,
                    changed: dict[str, set[str]], tables: dict[str, str], last_rows: list[dict],
                    bind: dict) -> set[str]:
    """The subjects whose rows of the rule may differ from the last run's (see the module docstring): those of
    the last rows (`last_rows`, each with the record bound to every variable as `v__<var>`) that bind a changed
    record, and those of the rows this run gives that bind one, asked with each variable of a changed type
    reading `tables[type]` (the changed records still there; a type without one has no table)."""
    subject = q("v__" + compiled.rule.subject)
    typed = [(v, t) for v, t in compiled.var_types.items() if changed.get(t)]
    persons = {row["v__" + compiled.rule.subject] for row in last_rows
               if any(row.get("v__" + v) in changed[t] for v, t in typed)}
    for var, type_name in typed:
        if type_name not in tables:
            continue
        sql = bound_to(compiled, schema, var, tables[type_name])
        found = conn.execute(f"SELECT DISTINCT {subject} FROM ({sql}) WHERE {q('v__' + var)} IS NOT NULL",
                             bind).fetchall()
        persons |= {p for (p,) in found}
    return persons


def records_table(conn: duckdb.DuckDBPyConnection, table: str, type_name: str, ids: set[str]) -> int:
    """Make `table` (temp) the records of `type_name` with these ids, in the type's table order; their count."""
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {q(table + '_ids')} (id VARCHAR)")
    bulk_insert(conn, table + "_ids", [(i,) for i in sorted(ids)])
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {q(table)} AS SELECT * FROM {q(type_name)} "
                 f"WHERE id IN (SELECT id FROM {q(table + '_ids')})")
    conn.execute(f"DROP TABLE {q(table + '_ids')}")
    return int(conn.execute(f"SELECT count(*) FROM {q(table)}").fetchall()[0][0])


def changed_tables(conn: duckdb.DuckDBPyConnection, changed: dict[str, set[str]], prefix: str
                   ) -> tuple[list[str], dict[str, str]]:
    """A temp table `prefix` + type of each changed type's records (records_table): the tables made, for the
    caller to drop, and type -> table for the types with a changed record still there (a type whose changed
    rows are all gone has none: no row of this run binds one)."""
    made: list[str] = []
    tables: dict[str, str] = {}
    for type_name, ids in sorted(changed.items()):
        if ids:
            made.append(prefix + type_name)
            if records_table(conn, prefix + type_name, type_name, ids):
                tables[type_name] = prefix + type_name
    return made, tables


class Reach:
    """The changed records of one re-run as temp tables of the store, for every rule asked about them."""

    def __init__(self, registry: Registry, earlier: Earlier):
        self.registry, self.earlier = registry, earlier
        self.made, self.tables = changed_tables(registry.conn, earlier.changed, CHANGED)

    def close(self) -> None:
        for table in reversed(self.made + [REACHED]):
            self.registry.conn.execute(f"DROP TABLE IF EXISTS temp.main.{q(table)}")

    def reached(self, compiled: CompiledRule, bind: dict) -> set[str]:
        """The subjects whose findings of the rule may differ from the last run's (the rule's query as_compiled)."""
        last = [{"v__" + compiled.rule.subject: f.person, **{"v__" + v: r for v, r in f.bound.items()}}
                for f in self.earlier.findings if f.rule == compiled.rule.id]
        return persons_reached(self.registry.conn, compiled, self.registry.schema, self.earlier.changed, self.tables,
                               last, bind)

    def rows(self, compiled: CompiledRule, params: dict, as_of) -> tuple[list[dict], list[Finding]] | None:
        """The rule's rows for the persons a change reaches, and the last run's findings of everyone else;
        None when the rule must run in full."""
        again = self._rows(compiled, params, as_of)
        if again is None:
            self.earlier.in_full.append(compiled.rule.id)
        return again

    def _rows(self, compiled: CompiledRule, params: dict, as_of) -> tuple[list[dict], list[Finding]] | None:
        rule = compiled.rule
        if not can_reach(compiled, self.registry.schema) or not as_compiled(compiled, self.registry.schema):
            return None
        bind = bind_params(compiled, params, as_of)
        persons = self.reached(compiled, bind)
        kept = [f for f in self.earlier.findings if f.rule == rule.id and f.person not in persons]
        self.earlier.reached |= persons
        if not persons:
            return [], kept
        sql = bound_to(compiled, self.registry.schema, rule.subject, REACHED)
        records_table(self.registry.conn, REACHED, "persons", persons)
        cursor = self.registry.conn.execute(sql, bind)
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, r)) for r in cursor.fetchmany(MAX_FINDINGS_PER_RULE + 1)]
        # A full run refuses a rule of more rows than MAX_FINDINGS_PER_RULE; near it, run in full to say so alike.
        if len(rows) + len(kept) > MAX_FINDINGS_PER_RULE // 2:
            return None
        return rows, kept
