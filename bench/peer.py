"""The peer: the four Kazakh rules as plain DuckDB SQL, written as an analyst would without riskcheck.

It reads the registry's CSV files and answers each rule with one query: no validation, no evidence, no
reports, and no `undetermined`: a row the data cannot decide is left out. It is the floor riskcheck's own
run is measured against in bench/national.py, which counts apart the findings only riskcheck can give
(undetermined ones, and ones that rest on an identity link the twin did not make). bench/README.md says
what made the two disagree before the twin read the data as below.

What it reads as riskcheck does, so that a decided finding is the same on both sides:
- A partial date (2021, 2021-10) is the interval of its days; any other date it cannot read is unknown.
  A condition is kept only if it holds for every day the dates allow: a marriage recorded as begun "in
  2014" did not certainly hold on 20 December 2014. A missing end is open (still in post, still married);
  a missing start is "always" for a blood link and unknown for a marriage or an in-law (schema.yaml,
  `through_marriage`).
- A conviction with no date of entry into force entered into force on or after its verdict: never certainly
  before an appointment.
- Close relatives as the rules list them, each relation read from both sides, with the in-laws a marriage
  implies from either end (a spouse's parent, child or sibling; a child's, sibling's or parent's spouse),
  grandparents through two recorded parents and siblings through a shared recorded parent. Alleged links
  are not used.
- A status (complied, pending, flagged) is given only where every day the partial dates allow gives the
  same one.
- One identity rule: a record whose name is in Cyrillic is the person of another source's record in plain
  Latin letters with the same name read in Latin letters, birth date and gender, where there is one such.
What it leaves out that riskcheck has: every other identity link (names alike but not equal, a single
source's namesakes, a patronymic read both ways), great-grandparents, in-laws through a grandparent,
derivations past two steps, in-laws through a partner; the positions' `filled_by` and the tenures' `conflict_discovered` (neither registry the
benchmark reads has them); rule parameters (the defaults are written into the SQL).

Within the memory riskcheck's store has (riskcheck/registry/budgets.py: 12 GB on a 24 GB machine, or
RISKCHECK_MEMORY_LIMIT), spilling beyond it into a folder of its own under the temporary folder (or
RISKCHECK_SPILL_DIR), removed when it is done: at ten million persons an unbounded DuckDB took 80% of the
machine's memory before it spilled. Both sides of the comparison are then held to the same budget.

    python bench/peer.py CASE_FOLDER          # prints findings per rule, the seconds taken and what it spilled
    python bench/peer.py CASE_FOLDER keys.json  # and writes them as [rule, person, [related], status]
    RISKCHECK_MEMORY_LIMIT=300MB python bench/peer.py CASE_FOLDER  # a smaller budget: spills, same findings
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from riskcheck.registry.budgets import MEMORY_LIMIT, SPILL_DIR, SPILL_LIMIT

CLOSE = ("'parent', 'child', 'adoptive_parent', 'adopted_child', 'sibling', 'half_sibling', 'grandparent', "
         "'grandchild', 'spouse', 'parent_in_law', 'child_in_law', 'sibling_in_law', 'step_parent', 'step_child'")
# Kinds that exist only through a marriage: a missing start is unknown, not "always".
MARRIAGE = ("'spouse', 'partner', 'parent_in_law', 'child_in_law', 'sibling_in_law', 'grandparent_in_law', "
            "'grandchild_in_law', 'in_law', 'step_parent', 'step_child'")
INVERSE = {"parent": "child", "child": "parent", "grandparent": "grandchild", "grandchild": "grandparent",
           "adoptive_parent": "adopted_child", "adopted_child": "adoptive_parent", "parent_in_law": "child_in_law",
           "child_in_law": "parent_in_law", "step_parent": "step_child", "step_child": "step_parent"}
# Art. 14(1) leaves out these elected posts; the law's pairs of a political post and its direct subordinate.
EXEMPT_ELECTED = "'maslikhat_deputy', 'local_self_government_member'"
DIRECT = ("minister:vice_minister minister:executive_secretary vice_minister:committee_chair "
          "vice_minister:department_head akim_region:deputy_akim akim_region:chief_of_staff akim_region:akim_district "
          "akim_capital:deputy_akim akim_capital:chief_of_staff akim_capital:akim_district "
          "akim_republican_city:deputy_akim akim_republican_city:chief_of_staff akim_republican_city:akim_district "
          "deputy_akim:head_executive_body akim_district:deputy_akim akim_district:chief_of_staff "
          "akim_district:akim_settlement akim_city_regional:deputy_akim akim_city_regional:chief_of_staff "
          "akim_city_regional:akim_settlement").split()

# Each file is read as text first: DuckDB would push a try_cast into the CSV scan as a strict cast.
FILES = ["persons", "positions", "tenures", "relations", "verdicts", "resignations", "memberships"]
# A date as the first and the last day it may be: NULL when missing, -infinity..infinity when unreadable.
DATES = """
CREATE MACRO lo(x) AS CASE WHEN x IS NULL OR x = '' THEN NULL ELSE coalesce(CASE length(x)
    WHEN 10 THEN try_cast(x AS DATE) WHEN 7 THEN try_cast(x || '-01' AS DATE) WHEN 4 THEN try_cast(x || '-01-01' AS DATE)
    END, DATE '-infinity') END;
CREATE MACRO hi(x) AS CASE WHEN x IS NULL OR x = '' THEN NULL ELSE coalesce(CASE length(x)
    WHEN 10 THEN try_cast(x AS DATE) WHEN 7 THEN last_day(try_cast(x || '-01' AS DATE))
    WHEN 4 THEN try_cast(x || '-12-31' AS DATE) END, DATE 'infinity') END;
"""
LOAD = """
CREATE TABLE tenures AS SELECT id, person_id, position_id, lo(start) AS start_lo, hi(start) AS start_hi,
       lo("end") AS end_lo, hi("end") AS end_hi, end_reason FROM raw_tenures;
CREATE TABLE relations AS SELECT id, person_id, relative_id, kind, coalesce(nullif(status, ''), 'reported') AS status,
       lo(start) AS start_lo, hi(start) AS start_hi, lo("end") AS end_lo, hi("end") AS end_hi FROM raw_relations;
CREATE TABLE verdicts AS SELECT id, person_id, category, outcome,
       lo(coalesce(nullif(offence_end, ''), offence_start)) AS offence_lo,
       hi(coalesce(nullif(offence_end, ''), offence_start)) AS offence_hi,
       lo(verdict_date) AS verdict_lo, hi(verdict_date) AS verdict_hi,
       lo(in_force_date) AS in_force_lo, hi(in_force_date) AS in_force_hi FROM raw_verdicts;
CREATE TABLE resignations AS SELECT person_id, lo(submitted) AS submitted_lo, hi(submitted) AS submitted_hi,
       nullif(position_id, '') AS position_id FROM raw_resignations;
CREATE TABLE memberships AS SELECT person_id, lo(admitted) AS admitted_lo, hi(admitted) AS admitted_hi FROM raw_memberships;
CREATE VIEW persons AS SELECT * FROM raw_persons;
CREATE VIEW positions AS SELECT id, category, kind, reports_to, try_cast(rank AS INTEGER) AS rank FROM raw_positions;
"""

# A person recorded twice, in plain Latin letters and in Cyrillic ones (a court register), by two sources:
# one person where the name read in Latin letters, the birth date and the gender agree and no other record
# does. Every reference to the Cyrillic record is then taken as one to the other.
_MULTI = [("щ", "shch"), ("ж", "zh"), ("х", "kh"), ("ц", "ts"), ("ч", "ch"), ("ш", "sh"), ("ю", "yu"),
          ("я", "ya"), ("ё", "yo"), ("ъ", ""), ("ь", "")]
_latin = "lower(name)"
for _cyr, _lat in _MULTI:
    _latin = f"replace({_latin}, '{_cyr}', '{_lat}')"
IDENTITY = f"""
CREATE MACRO name_key(name) AS replace(translate({_latin}, 'абвгдезийклмнопрстуфыэәғқңөұүһі',
                                                 'abvgdeziyklmnoprstufyeagknouuhi'), 'ye', 'e');
CREATE TABLE same AS
WITH latin AS MATERIALIZED (  -- a name in plain Latin letters (as many bytes as characters)
         SELECT id, name, birth_date, coalesce(gender, '') AS gender, sources FROM raw_persons
         WHERE length(birth_date) = 10 AND strlen(name) = length(name)),
     court AS MATERIALIZED (
         SELECT id, name, birth_date, coalesce(gender, '') AS gender, sources FROM raw_persons
         WHERE strlen(name) > length(name) AND birth_date IN (SELECT birth_date FROM latin)
           AND regexp_matches(lower(name), '[а-яёәғқңөұүһі]')),
     pairs AS (SELECT c.id AS alias, l.id AS person FROM court c
               JOIN latin l ON l.birth_date = c.birth_date AND l.gender = c.gender AND l.sources <> c.sources
               WHERE name_key(l.name) = name_key(c.name))
SELECT alias, min(person) AS person FROM pairs GROUP BY alias HAVING count(*) = 1;
UPDATE tenures SET person_id = s.person FROM same s WHERE tenures.person_id = s.alias;
UPDATE relations SET person_id = s.person FROM same s WHERE relations.person_id = s.alias;
UPDATE relations SET relative_id = s.person FROM same s WHERE relations.relative_id = s.alias;
UPDATE verdicts SET person_id = s.person FROM same s WHERE verdicts.person_id = s.alias;
UPDATE resignations SET person_id = s.person FROM same s WHERE resignations.person_id = s.alias;
UPDATE memberships SET person_id = s.person FROM same s WHERE memberships.person_id = s.alias;
"""

# Close relatives both ways; blood links through two recorded steps (a parent's parent, a parent's child);
# in-laws through a marriage from either end. A link's period runs from the later start to the earlier end.
STEPS = "'spouse', 'parent', 'adoptive_parent', 'child', 'adopted_child', 'sibling', 'half_sibling'"
_INVERSE_SQL = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in INVERSE.items())
KIN = f"""
CREATE TABLE direct AS
WITH one AS (
    SELECT person_id AS a, relative_id AS b, kind, start_lo, start_hi, end_lo, end_hi FROM relations
    WHERE status IN ('confirmed', 'reported') AND person_id <> relative_id
    UNION ALL
    SELECT relative_id, person_id, CASE kind {_INVERSE_SQL} ELSE kind END, start_lo, start_hi, end_lo, end_hi
    FROM relations WHERE status IN ('confirmed', 'reported') AND person_id <> relative_id)
SELECT a, b, kind,
       CASE WHEN start_lo IS NULL AND kind IN ({MARRIAGE}) THEN DATE '-infinity' ELSE start_lo END AS start_lo,
       CASE WHEN start_hi IS NULL AND kind IN ({MARRIAGE}) THEN DATE 'infinity' ELSE start_hi END AS start_hi,
       end_lo, end_hi FROM one;
-- two-step links only between people a rule asks about (an appointee, a reserve member, a convicted relative)
CREATE TABLE anchors AS SELECT person_id AS id FROM tenures UNION SELECT person_id FROM memberships
    UNION SELECT person_id FROM verdicts;
CREATE TABLE kin AS
WITH near AS MATERIALIZED (SELECT * FROM direct WHERE a IN (SELECT id FROM anchors) AND kind IN ({STEPS})),
     far AS MATERIALIZED (SELECT * FROM direct WHERE b IN (SELECT id FROM anchors) AND kind IN ({STEPS})),
     two AS MATERIALIZED (
    SELECT s.a, d.b, s.kind AS first, d.kind AS second, greatest(s.start_lo, d.start_lo) AS start_lo,
           greatest(s.start_hi, d.start_hi) AS start_hi, least(s.end_lo, d.end_lo) AS end_lo,
           least(s.end_hi, d.end_hi) AS end_hi
    FROM near s JOIN far d ON d.a = s.b AND d.b <> s.a)
SELECT a, b, kind, start_lo, start_hi, end_lo, end_hi FROM direct WHERE kind IN ({CLOSE}) AND a IN (SELECT id FROM anchors)
UNION ALL
SELECT a, b, 'in_law', start_lo, start_hi, end_lo, end_hi FROM two
WHERE (first = 'spouse' AND second IN ('parent', 'adoptive_parent', 'child', 'adopted_child', 'sibling', 'half_sibling'))
   OR (second = 'spouse' AND first IN ('parent', 'adoptive_parent', 'child', 'adopted_child', 'sibling', 'half_sibling'))
UNION ALL
SELECT a, b, 'blood', start_lo, start_hi, end_lo, end_hi FROM two
WHERE first IN ('parent', 'adoptive_parent') AND second IN ('parent', 'adoptive_parent', 'child', 'adopted_child')
   OR first IN ('child', 'adopted_child') AND second IN ('child', 'adopted_child');
"""

# Certainly held on a day [lo, hi]: begun by its first possible day, not ended before its last.
def held(link: str, day_lo: str, day_hi: str) -> str:
    return (f"({link}.start_hi IS NULL OR {link}.start_hi <= {day_lo}) "
            f"AND ({link}.end_lo IS NULL OR {link}.end_lo >= {day_hi})")


# Status of a subordination from the first day together to the last (each at one corner of its interval).
def subordination_status(first: str, last: str) -> str:
    return (f"CASE WHEN {last} > {first} + INTERVAL 3 MONTH THEN 'flagged' "
            f"WHEN {last} < DATE '{{as_of}}' THEN 'complied' ELSE 'pending' END")


_EARLY = "greatest(st.start_lo, ht.start_lo, k.start_lo)"
_LATE = "greatest(st.start_hi, ht.start_hi, k.start_hi)"
_UNTIL_LO = "least(coalesce(st.end_lo, DATE '{as_of}'), coalesce(ht.end_lo, DATE '{as_of}'), coalesce(k.end_lo, DATE '{as_of}'))"
_UNTIL_HI = "least(coalesce(st.end_hi, DATE '{as_of}'), coalesce(ht.end_hi, DATE '{as_of}'), coalesce(k.end_hi, DATE '{as_of}'))"
_PAIRS = ", ".join(f"'{pair}'" for pair in DIRECT)

RULES = {
    "kinship-convicted-official": f"""
        SELECT DISTINCT t.person_id, k.b FROM tenures t
        JOIN kin k ON k.a = t.person_id
        JOIN verdicts v ON v.person_id = k.b
        WHERE v.outcome = 'convicted' AND v.category = 'corruption'
          AND v.in_force_hi <= t.start_lo AND {held('k', 't.start_lo', 't.start_hi')}""",
    "relatives-direct-subordination": f"""
        WITH together AS (
            SELECT st.person_id AS sub, ht.person_id AS head,
                   {subordination_status(_EARLY, _UNTIL_HI)} AS status_early,
                   {subordination_status(_LATE, _UNTIL_LO)} AS status_late
            FROM tenures st JOIN positions sp ON sp.id = st.position_id
            JOIN tenures ht ON ht.position_id = sp.reports_to
            JOIN positions hp ON hp.id = ht.position_id
            JOIN kin k ON k.a = st.person_id AND k.b = ht.person_id
            WHERE ((sp.category = 'elected' AND sp.kind IN ({EXEMPT_ELECTED}))
                   OR (hp.category = 'elected' AND hp.kind IN ({EXEMPT_ELECTED}))) IS FALSE
              AND {_LATE} <= {_UNTIL_LO})
        SELECT DISTINCT sub, head, status_early FROM together WHERE status_early = status_late""",
    "reserve-relative-conflict": f"""
        SELECT DISTINCT m.person_id, k.b FROM memberships m
        JOIN kin k ON k.a = m.person_id
        JOIN tenures t ON t.person_id = k.b JOIN positions p ON p.id = t.position_id
        WHERE (p.category = 'political' OR p.kind IN ('committee_chair', 'executive_secretary') OR p.rank >= 8)
          AND t.start_hi <= m.admitted_lo
          AND (t.end_lo IS NULL OR t.end_lo >= m.admitted_hi - INTERVAL 5 YEAR)
          AND {held('k', 'm.admitted_lo', 'm.admitted_hi')}""",
    "subordinate-corruption-resignation": f"""
        WITH duty AS (
            SELECT ht.person_id AS head, hp.id AS post, v.person_id AS sub, ht.end_lo AS left_lo,
                   ht.end_hi AS left_hi, ht.end_reason,
                   CASE WHEN v.outcome = 'convicted' THEN v.in_force_lo ELSE v.verdict_lo END AS trigger_lo,
                   CASE WHEN v.outcome = 'convicted' THEN v.in_force_hi ELSE v.verdict_hi END AS trigger_hi,
                   v.offence_lo, v.offence_hi, ht.start_lo AS head_from, ht.start_hi AS head_from_hi
            FROM verdicts v
            JOIN tenures st ON st.person_id = v.person_id
            JOIN positions sp ON sp.id = st.position_id
            JOIN positions hp ON hp.id = sp.reports_to AND hp.category = 'political'
            JOIN tenures ht ON ht.position_id = hp.id
            WHERE v.category = 'corruption' AND v.outcome IN ('convicted', 'terminated_nonrehabilitating')
              AND ht.person_id <> v.person_id
              AND hp.kind || ':' || sp.kind IN ({_PAIRS})
              AND st.start_hi <= v.offence_lo AND (st.end_lo IS NULL OR st.end_lo >= v.offence_hi)
              AND ht.start_hi <= v.offence_lo AND (ht.end_lo IS NULL OR ht.end_lo >= v.offence_hi)
              AND v.offence_lo >= DATE '2019-12-10'
              AND v.offence_lo > ht.start_hi + INTERVAL 3 MONTH),
        decided AS (
            -- a trigger known to the day; or known only in part where no resignation could change the status
            SELECT d.*, EXISTS (SELECT 1 FROM resignations r WHERE r.person_id = d.head
                                AND (r.position_id IS NULL OR r.position_id = d.post)
                                AND r.submitted_lo >= d.trigger_lo AND r.submitted_hi <= d.trigger_lo + 10)
                        OR (d.end_reason = 'resigned' AND d.left_hi <= d.trigger_lo + 10) AS resigned
            FROM duty d
            WHERE d.trigger_hi <= DATE '{{as_of}}' AND d.trigger_lo >= d.head_from_hi
              AND (d.left_lo IS NULL OR d.left_lo >= d.trigger_hi)
              AND (d.trigger_lo = d.trigger_hi
                   OR (NOT EXISTS (SELECT 1 FROM resignations r WHERE r.person_id = d.head
                                   AND r.submitted_hi >= d.trigger_lo)
                       AND d.end_reason IS DISTINCT FROM 'resigned'))
              -- a resignation whose date is known only in part, on or after the trigger, cannot be placed
              AND NOT EXISTS (SELECT 1 FROM resignations r WHERE r.person_id = d.head
                              AND (r.position_id IS NULL OR r.position_id = d.post)
                              AND r.submitted_lo <> r.submitted_hi AND r.submitted_hi >= d.trigger_lo))
        SELECT DISTINCT head, sub,
               CASE WHEN resigned THEN 'complied'
                    WHEN trigger_hi + 10 >= DATE '{{as_of}}' AND trigger_lo + 10 >= DATE '{{as_of}}' THEN 'pending'
                    WHEN trigger_hi + 10 < DATE '{{as_of}}' THEN 'flagged' END
        FROM decided
        WHERE resigned OR trigger_lo + 10 >= DATE '{{as_of}}' OR trigger_hi + 10 < DATE '{{as_of}}'""",
}


def connect(memory_limit: str = MEMORY_LIMIT) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """An in-memory database held to `memory_limit`, and the folder of its own it spills into (created by
    DuckDB only if it spills; the caller removes it)."""
    spill = Path(SPILL_DIR or tempfile.gettempdir()) / f"riskcheck-twin-spill-{os.getpid()}-{next(_CONNECTIONS)}"
    # Rows in any order (the rules' answers are sets): DuckDB then need not hold a table's rows back to keep
    # the order they were read in, which is what a load past the memory limit runs out of first.
    conn = duckdb.connect(":memory:", config={"memory_limit": memory_limit, "max_temp_directory_size": SPILL_LIMIT,
                                              "temp_directory": str(spill), "preserve_insertion_order": False})
    return conn, spill


_CONNECTIONS = itertools.count(1)


def spilled_mb(conn: duckdb.DuckDBPyConnection) -> float:
    """What the database holds in its spill folder now, in MB."""
    return (conn.execute("SELECT coalesce(sum(size), 0) FROM duckdb_temporary_files()").fetchone() or (0,))[0] / 1e6


def run(case: Path, as_of: str = "2025-11-01", memory_limit: str = MEMORY_LIMIT,
        spill: list[float] | None = None) -> dict[str, list[tuple]]:
    """Each rule's rows: (person, related) or (person, related, status). The most it held in its spill folder
    after any step is appended to `spill` (MB) if given."""
    conn, folder = connect(memory_limit)
    most = 0.0
    try:
        for name in FILES:
            conn.execute(f"CREATE TABLE raw_{name} AS SELECT * FROM read_csv(?, all_varchar = true)",
                         [str(case / f"{name}.csv")])
        conn.execute(DATES)
        conn.execute(LOAD)
        most = max(most, spilled_mb(conn))
        # The typed copies are what the rules read: the text ones they came from would only hold memory.
        conn.execute("DROP TABLE raw_tenures; DROP TABLE raw_relations; DROP TABLE raw_verdicts; "
                     "DROP TABLE raw_resignations; DROP TABLE raw_memberships")
        conn.execute(IDENTITY)
        conn.execute("DROP VIEW persons; DROP TABLE raw_persons")  # the names are read once, to link records
        most = max(most, spilled_mb(conn))
        conn.execute(KIN)
        most = max(most, spilled_mb(conn))
        found = {}
        for rule, sql in RULES.items():
            found[rule] = conn.execute(sql.format(as_of=as_of)).fetchall()
            most = max(most, spilled_mb(conn))
        return found
    finally:
        conn.close()
        shutil.rmtree(folder, ignore_errors=True)
        if spill is not None:
            spill.append(most)


def finding_keys(rows: dict[str, list[tuple]]) -> list[list]:
    """The rows as riskcheck's findings are compared: [rule, person, [related], status] (flagged where the rule
    gives no status)."""
    return sorted([rule, r[0], [r[1]], r[2] if len(r) > 2 else "flagged"] for rule, found in rows.items() for r in found)


if __name__ == "__main__":
    # python bench/peer.py CASE_FOLDER [KEYS.json]: with KEYS.json, the findings are written there too
    start, spill = time.perf_counter(), []
    found = run(Path(sys.argv[1]), spill=spill)
    print(f"{time.perf_counter() - start:.1f}s " + ", ".join(f"{k} {len(v)}" for k, v in found.items())
          + f"; memory limit {MEMORY_LIMIT}, at most {spill[0]:,.0f} MB spilled")
    if len(sys.argv) > 2:
        import json
        Path(sys.argv[2]).write_text(json.dumps(finding_keys(found)))
