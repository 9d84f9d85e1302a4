"""Which kinship hints would change a finding if they were true.

A hint (a parent inferred from a patronymic, see riskcheck.names.resolve) is a lead for a reviewer, and a
national registry gives thousands. The ones worth a reviewer's time are those that would add a finding:
each rule that binds kinship is run once more against the hints alone, taken as reported links, and
the findings it gives that the run did not already have are written on the hints they rest on.
"""

from __future__ import annotations

from datetime import date

from riskcheck.engine.evaluate import resolve_params
from riskcheck.engine.findings import Finding
from riskcheck.registry.load import Registry
from riskcheck.rules.loader import LoadedRule


def mark_hints_that_change_findings(registry: Registry, rules: list[LoadedRule], findings: list[Finding],
                                    as_of: date, overrides: dict[str, dict]) -> None:
    res = registry.identity.resolution
    kin_rules = [r for r in rules if r.compiled.kinship_vars]
    if not res.hints or not kin_rules:
        return
    conn = registry.conn
    reported = registry.schema.status_rank("reported")
    conn.execute("CREATE OR REPLACE TEMP VIEW kinship_what_if AS SELECT * REPLACE ('reported' AS status, "
                 f"{reported} AS status_rank) FROM kinship WHERE starts_with(id, 'hint:')")
    # A finding the run already made on recorded links is not a change; one resting on a hint is.
    made = {(f.rule, f.person, tuple(f.related)) for f in findings
            if not any(str(x).startswith("hint:") for v in f.records.values() for x in (v if isinstance(v, list) else [v]))}
    by_pair = {(h.left, h.right): h for h in res.hints}
    names: dict[str, str] = {}
    for loaded in kin_rules:
        compiled = loaded.compiled
        params = resolve_params(compiled, overrides.get(loaded.id, {}))
        bind = {name: params[name] for name in compiled.params_used if name != "as_of"}
        if "as_of" in compiled.params_used:
            bind["as_of"] = as_of
        sql = compiled.sql.replace('"kinship" AS "', '"kinship_what_if" AS "')
        cursor = conn.execute(sql, bind)
        columns = [d[0] for d in cursor.description]
        for row in (dict(zip(columns, r)) for r in cursor.fetchall()):
            person = row["v__" + compiled.rule.subject]
            related = tuple(sorted({row["v__" + v] for v in compiled.rule.related} - {person, None}))
            if (loaded.id, person, related) in made:
                continue
            for var in compiled.kinship_vars:
                for kin_id in row["p__" + var]:
                    pair = _hint_pair(conn, kin_id)
                    hint = by_pair.get(pair) if pair else None
                    if hint is None:
                        continue
                    if person not in names:
                        names[person] = (registry.records("persons", [person]).get(person) or {}).get("name", person)
                    change = f"{loaded.rule.title}: {names[person]} ({row['status']})"
                    if change not in hint.changes:
                        hint.changes.append(change)
    for hint in res.hints:
        hint.changes.sort()
    res.unlisted_hints = sum(1 for h in res.hints if not h.changes)


def _hint_pair(conn, kin_id: str) -> tuple[str, str] | None:
    """(child, parent) of a hint link in `kinship`, read from the link itself (ids may hold any character)."""
    found = conn.execute("SELECT person_id, relative_id, kind FROM kinship WHERE id = ?", [kin_id]).fetchall()
    if not found:
        return None
    person, relative, kind = found[0]
    return (person, relative) if kind == "parent" else (relative, person)
