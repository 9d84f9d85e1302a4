"""The peer: the four Kazakh rules as plain DuckDB SQL, written as an analyst would without riskcheck.

It reads the registry's CSV files and answers each rule with one query: no validation, no partial
dates (a date that is not a full day is NULL, so the row drops out), no identity resolution, no
evidence, no reports. It is the floor riskcheck's own run is measured against in bench/national.py.

    python bench/peer.py CASE_FOLDER          # prints findings per rule and the seconds taken
    python bench/peer.py CASE_FOLDER keys.json  # and writes them as [rule, person, [related], status]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb

CLOSE = ("'parent', 'child', 'adoptive_parent', 'adopted_child', 'sibling', 'half_sibling', 'grandparent', "
         "'grandchild', 'spouse', 'parent_in_law', 'child_in_law', 'sibling_in_law', 'step_parent', 'step_child'")

# Each file is read as text first: DuckDB would push a try_cast into the CSV scan as a strict cast.
FILES = ["persons", "positions", "tenures", "relations", "verdicts", "resignations", "memberships"]
LOAD = """
CREATE TABLE tenures AS SELECT id, person_id, position_id, try_cast(start AS DATE) AS start,
       try_cast("end" AS DATE) AS "end", end_reason FROM raw_tenures;
CREATE TABLE relations AS SELECT id, person_id, relative_id, kind, coalesce(status, 'reported') AS status,
       try_cast(start AS DATE) AS start, try_cast("end" AS DATE) AS "end" FROM raw_relations;
CREATE TABLE verdicts AS SELECT id, person_id, category, outcome, try_cast(offence_start AS DATE) AS offence_start,
       try_cast(offence_end AS DATE) AS offence_end, try_cast(verdict_date AS DATE) AS verdict_date,
       try_cast(in_force_date AS DATE) AS in_force_date FROM raw_verdicts;
CREATE TABLE resignations AS SELECT person_id, try_cast(submitted AS DATE) AS submitted, position_id FROM raw_resignations;
CREATE TABLE memberships AS SELECT person_id, try_cast(admitted AS DATE) AS admitted FROM raw_memberships;
CREATE VIEW persons AS SELECT * FROM raw_persons;
CREATE VIEW positions AS SELECT * FROM raw_positions;
"""

# Close relatives both ways, and a spouse's parents, children and siblings as in-laws.
KIN = f"""
CREATE TABLE kin AS
WITH direct AS (
    SELECT person_id AS a, relative_id AS b, kind, start, "end" FROM relations WHERE status <> 'alleged'
    UNION ALL
    SELECT relative_id, person_id, CASE kind WHEN 'parent' THEN 'child' WHEN 'child' THEN 'parent'
           WHEN 'grandparent' THEN 'grandchild' WHEN 'grandchild' THEN 'grandparent' ELSE kind END, start, "end"
    FROM relations WHERE status <> 'alleged')
SELECT a, b, kind, start, "end" FROM direct WHERE kind IN ({CLOSE})
UNION ALL
SELECT s.a, d.b, 'in_law', s.start, s."end" FROM direct s JOIN direct d ON d.a = s.b AND d.b <> s.a
WHERE s.kind = 'spouse' AND d.kind IN ('parent', 'child', 'sibling');
"""

RULES = {
    "kinship-convicted-official": """
        SELECT DISTINCT t.person_id, k.b FROM tenures t
        JOIN kin k ON k.a = t.person_id
        JOIN verdicts v ON v.person_id = k.b
        WHERE v.outcome = 'convicted' AND v.category = 'corruption'
          AND coalesce(v.in_force_date, v.verdict_date) <= t.start
          AND (k.start IS NULL OR k.start <= t.start) AND (k."end" IS NULL OR k."end" >= t.start)""",
    "relatives-direct-subordination": """
        SELECT DISTINCT st.person_id, ht.person_id,
               CASE WHEN least(coalesce(st."end", DATE '{as_of}'), coalesce(ht."end", DATE '{as_of}'))
                         > greatest(st.start, ht.start) + INTERVAL 3 MONTH THEN 'flagged'
                    WHEN least(coalesce(st."end", DATE '{as_of}'), coalesce(ht."end", DATE '{as_of}'))
                         < DATE '{as_of}' THEN 'complied' ELSE 'pending' END
        FROM tenures st JOIN positions sp ON sp.id = st.position_id
        JOIN tenures ht ON ht.position_id = sp.reports_to
        JOIN positions hp ON hp.id = ht.position_id
        JOIN kin k ON k.a = st.person_id AND k.b = ht.person_id
        WHERE sp.category <> 'elected' AND hp.category <> 'elected'
          AND greatest(st.start, ht.start) <= least(coalesce(st."end", DATE '{as_of}'), coalesce(ht."end", DATE '{as_of}'))""",
    "reserve-relative-conflict": """
        SELECT DISTINCT m.person_id, k.b FROM memberships m
        JOIN kin k ON k.a = m.person_id
        JOIN tenures t ON t.person_id = k.b JOIN positions p ON p.id = t.position_id
        WHERE (p.category = 'political' OR p.kind IN ('committee_chair', 'executive_secretary')
               OR CAST(p.rank AS INTEGER) >= 8)
          AND t.start <= m.admitted AND (t."end" IS NULL OR t."end" >= m.admitted - INTERVAL 5 YEAR)""",
    "subordinate-corruption-resignation": """
        WITH duty AS (
            SELECT ht.person_id AS head, hp.id AS post, v.person_id AS sub, ht."end" AS left_on, ht.end_reason,
                   CASE WHEN v.outcome = 'convicted' THEN v.in_force_date ELSE v.verdict_date END AS trigger,
                   coalesce(v.offence_end, v.offence_start) AS committed
            FROM verdicts v
            JOIN tenures st ON st.person_id = v.person_id
            JOIN positions sp ON sp.id = st.position_id
            JOIN positions hp ON hp.id = sp.reports_to AND hp.category = 'political'
            JOIN tenures ht ON ht.position_id = hp.id
            WHERE v.category = 'corruption' AND v.outcome IN ('convicted', 'terminated_nonrehabilitating')
              AND coalesce(v.offence_end, v.offence_start) BETWEEN st.start AND coalesce(st."end", DATE '9999-12-31')
              AND coalesce(v.offence_end, v.offence_start) BETWEEN ht.start AND coalesce(ht."end", DATE '9999-12-31')
              AND coalesce(v.offence_end, v.offence_start) >= DATE '2019-12-10'
              AND coalesce(v.offence_end, v.offence_start) > ht.start + INTERVAL 3 MONTH)
        SELECT DISTINCT d.head, d.sub,
               CASE WHEN EXISTS (SELECT 1 FROM resignations r WHERE r.person_id = d.head
                                 AND (r.position_id IS NULL OR r.position_id = d.post)
                                 AND r.submitted BETWEEN d.trigger AND d.trigger + 10)
                      OR (d.end_reason = 'resigned' AND d.left_on <= d.trigger + 10) THEN 'complied'
                    WHEN d.trigger + 10 >= DATE '{as_of}' THEN 'pending' ELSE 'flagged' END
        FROM duty d
        WHERE d.trigger <= DATE '{as_of}' AND d.trigger BETWEEN (SELECT min(start) FROM tenures) AND coalesce(d.left_on, DATE '9999-12-31')""",
}


def run(case: Path, as_of: str = "2025-11-01") -> dict[str, list[tuple]]:
    """Each rule's rows: (person, related) or (person, related, status)."""
    conn = duckdb.connect(":memory:")
    for name in FILES:
        conn.execute(f"CREATE TABLE raw_{name} AS SELECT * FROM read_csv(?, all_varchar = true)",
                     [str(case / f"{name}.csv")])
    conn.execute(LOAD)
    conn.execute(KIN)
    return {rule: conn.execute(sql.format(as_of=as_of)).fetchall() for rule, sql in RULES.items()}


def finding_keys(rows: dict[str, list[tuple]]) -> list[list]:
    """The rows as riskcheck's findings are compared: [rule, person, [related], status] (flagged where the rule
    gives no status)."""
    return sorted([rule, r[0], [r[1]], r[2] if len(r) > 2 else "flagged"] for rule, found in rows.items() for r in found)


if __name__ == "__main__":
    # python bench/peer.py CASE_FOLDER [KEYS.json]: with KEYS.json, the findings are written there too
    start = time.perf_counter()
    found = run(Path(sys.argv[1]))
    print(f"{time.perf_counter() - start:.1f}s " + ", ".join(f"{k} {len(v)}" for k, v in found.items()))
    if len(sys.argv) > 2:
        import json
        Path(sys.argv[2]).write_text(json.dumps(finding_keys(found)))
