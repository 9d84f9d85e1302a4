"""Set-oriented work of identity resolution, in DuckDB: name keys, candidate pairs and kinship hints.

Python parses each *distinct* value once (a registry repeats its surnames, given names and patronymics
thousands of times), and DuckDB does everything per record: which keys each record carries, which pairs
share a block, the cheap refusals, and which persons a patronymic points to. Python then scores only the
candidate pairs (see riskcheck.names.resolve), so a million persons cost seconds, not minutes.

The tables read: `persons` with the typed columns (birth_date__lo, birth_date__hi) and the lists
(aliases, same_as, not_same_as, identifiers, sources). The tables written are temporary, prefixed `nk_`.
"""

from __future__ import annotations

from functools import lru_cache

import duckdb

from riskcheck.names.parse import field_parts, given_key, key_parts

# A record's `name` is parsed as well as its structured fields only when it says more than they do.
NEEDS_PARSE = """name IS NOT NULL AND (
    coalesce(surname, given_name, patronymic) IS NULL
    OR (name <> concat_ws(' ', surname, given_name, patronymic)
        AND list_sort(regexp_split_to_array(trim(name), '\\s+'))
            <> list_sort(regexp_split_to_array(trim(concat_ws(' ', surname, given_name, patronymic)), '\\s+'))))"""


def _parts_keys(parts, rows: list, src: str, value: str) -> None:
    """Rows of (src, value, kind, key, written): s surname, g given, gf father-of (the given name as a
    patronymic would carry it), f father (from a patronymic), p father for hints (keys of 3+ letters)."""
    for part in parts:
        rows.extend((src, value, *keys) for keys in _part_keys(part))


@lru_cache(maxsize=100_000)
def _part_keys(part) -> tuple[tuple[str, str, str | None], ...]:
    """(kind, key, written) of one name part, once per distinct part (see _parts_keys)."""
    if len(part.key) < 2:
        return ()
    if part.role == "surname":
        return (("s", part.key, None),)
    if part.role == "given":
        return (("g", part.key, None), ("gf", given_key(part.key), None))
    if part.role == "patronymic":
        return (("f", given_key(part.key), None),) + (
            (("p", given_key(part.key), part.written),) if len(part.key) >= 3 else ())
    return ()


def build_name_keys(conn: duckdb.DuckDBPyConnection, bulk_insert) -> int:
    """Fill nk_keys (per distinct value) and nk_rkeys (per record); return how many values were parsed."""
    rows: list[tuple] = []
    for field, role in (("surname", "surname"), ("given_name", "given"), ("patronymic", "patronymic")):
        for (value,) in conn.execute(f"SELECT DISTINCT {field} FROM persons WHERE {field} IS NOT NULL").fetchall():
            _parts_keys(field_parts(role, value), rows, field, value)
    texts = conn.execute(f"""
        SELECT DISTINCT t FROM (SELECT name AS t FROM persons WHERE {NEEDS_PARSE}
                                UNION ALL SELECT unnest(aliases) FROM persons WHERE aliases IS NOT NULL)
        WHERE t IS NOT NULL""").fetchall()
    for (text,) in texts:
        _parts_keys(key_parts(text), rows, "text", text)
    conn.execute("CREATE OR REPLACE TEMP TABLE nk_keys (src VARCHAR, value VARCHAR, kind VARCHAR, key VARCHAR, "
                 "written VARCHAR)")
    bulk_insert(conn, "nk_keys", rows)
    # A record carries each (kind, key) once. The structured fields give different kinds (a surname s, a
    # given name g and gf, a patronymic f and p) from one value each, so only the written names and aliases
    # can repeat a key: those alone are made distinct, and what the fields already gave is taken out of them,
    # instead of a DISTINCT over every key of every record.
    # The records whose written name or aliases say more than their fields: their keys are made distinct.
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE nk_texts AS
        SELECT DISTINCT t.id, k.kind, k.key, k.written
        FROM (SELECT id, name AS t FROM persons WHERE {NEEDS_PARSE}
              UNION ALL SELECT id, unnest(aliases) FROM persons WHERE aliases IS NOT NULL) t
        JOIN (SELECT DISTINCT * FROM nk_keys WHERE src = 'text') k ON k.value = t.t
    """)
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_rkeys AS
        WITH k AS (SELECT DISTINCT * FROM nk_keys),
        fields AS (
            SELECT p.id, k.kind, k.key, k.written FROM persons p
            JOIN k ON k.src = 'surname' AND k.value = p.surname
            UNION ALL SELECT p.id, k.kind, k.key, k.written FROM persons p
            JOIN k ON k.src = 'given_name' AND k.value = p.given_name
            UNION ALL SELECT p.id, k.kind, k.key, k.written FROM persons p
            JOIN k ON k.src = 'patronymic' AND k.value = p.patronymic)
        SELECT * FROM fields
        UNION ALL (SELECT * FROM nk_texts EXCEPT SELECT * FROM fields WHERE id IN (SELECT id FROM nk_texts))
    """)
    # A record's fathers' names (from its patronymics) are those of its patronymic field, found once per
    # distinct field value; only a record with a written name or alias that says more is grouped by id.
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_person AS
        WITH field_fathers AS (
            SELECT value, list(DISTINCT key) AS fathers FROM nk_keys WHERE src = 'patronymic' AND kind = 'f'
            GROUP BY value),
        text_fathers AS (
            SELECT id, list(DISTINCT key) FILTER (WHERE kind = 'f') AS fathers FROM nk_rkeys
            WHERE id IN (SELECT id FROM nk_texts) GROUP BY id)
        SELECT p.id, p.birth_date__lo AS lo, p.birth_date__hi AS hi,
               CASE WHEN p.birth_date__lo = p.birth_date__hi THEN p.birth_date__lo END AS day,
               CASE WHEN year(p.birth_date__lo) = year(p.birth_date__hi) THEN year(p.birth_date__lo) END AS year,
               p.gender, coalesce(CASE WHEN t.id IS NOT NULL THEN t.fathers ELSE f.fathers END, []) AS fathers
        FROM persons p LEFT JOIN field_fathers f ON f.value = p.patronymic LEFT JOIN text_fathers t ON t.id = p.id
    """)
    return len({(r[0], r[1]) for r in rows})


# Two records that cannot be one person whatever their names: fathers' names that differ, genders that differ.
_REFUSE = """NOT (len(pa.fathers) > 0 AND len(pb.fathers) > 0 AND NOT list_has_any(pa.fathers, pb.fathers))
             AND NOT (pa.gender IS NOT NULL AND pb.gender IS NOT NULL AND pa.gender <> pb.gender)"""


def candidate_pairs(conn: duckdb.DuckDBPyConnection, max_block: int, max_possible: int
                    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]], int, list[tuple[str, int]]]:
    """(link candidates, possible candidates (at most max_possible), possible candidates left uncompared,
    skipped blocks). Links: the same full birth date, a shared surname key (a given-name key for records
    without a surname) and given names at most two letters apart. Possible: the same surname and given-name
    keys, one side without a full birth date, birth intervals that overlap."""
    # Records with a surname are blocked by it (a link needs the surnames equal); records without one, by
    # their given names. Given names are far more concentrated than surnames: blocking everyone by them
    # made most of the work.
    # nk_rkeys holds each (id, kind, key) of a surname or given name once, and nk_person each id once: no
    # DISTINCT is needed here or below. A block's size is counted by grouping and joined back, a third faster
    # than a window over a million persons.
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_link_blocks AS
        WITH b AS MATERIALIZED (
            SELECT r.id, p.day, r.kind, r.key FROM nk_rkeys r JOIN nk_person p ON p.id = r.id
            WHERE p.day IS NOT NULL
              AND (r.kind = 's' OR (r.kind = 'g' AND r.id NOT IN (SELECT id FROM nk_rkeys WHERE kind = 's'))))
        SELECT b.*, n.n FROM b JOIN (SELECT day, kind, key, count(*) AS n FROM b GROUP BY ALL) n USING (day, kind, key)
    """)
    # A link needs every word the same but for spelling, so a pair that shares a surname must have the same
    # given names, or given names two letters apart (Aibek, Alibek: a typo, or twins, which a reviewer
    # should see); two men born the same day who share only a surname are not compared.
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE nk_shared AS
        SELECT a.id AS a, b.id AS b, bool_or(a.kind = 's') AS surname FROM nk_link_blocks a
        JOIN nk_link_blocks b ON a.day = b.day AND a.kind = b.kind AND a.key = b.key AND a.id < b.id
        WHERE a.n <= {int(max_block)} GROUP BY 1, 2
    """)
    links = conn.execute(f"""
        WITH given AS (
            SELECT id, array_to_string(list_sort(list(DISTINCT key)), ' ') AS g FROM nk_rkeys
            WHERE kind = 'g' AND id IN (SELECT a FROM nk_shared UNION SELECT b FROM nk_shared) GROUP BY id)
        SELECT s.a, s.b FROM nk_shared s JOIN nk_person pa ON pa.id = s.a JOIN nk_person pb ON pb.id = s.b
        LEFT JOIN given ga ON ga.id = s.a LEFT JOIN given gb ON gb.id = s.b
        WHERE (NOT s.surname OR ga.g IS NULL OR gb.g IS NULL OR damerau_levenshtein(ga.g, gb.g) <= 2)
          AND {_REFUSE}
        ORDER BY 1, 2
    """).fetchall()
    skipped = [(f"born {day}, {'surname' if kind == 's' else 'given name'} {key!r}", n) for day, kind, key, n in
               conn.execute(f"SELECT DISTINCT day, kind, key, n FROM nk_link_blocks WHERE n > {int(max_block)} "
                            "ORDER BY n DESC, day, kind, key").fetchall()]
    # Name blocks: (surname key, given key) per record, with the birth year where the record knows it.
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_name_blocks AS
        SELECT b.*, count(*) OVER (PARTITION BY s, g, year) AS n_year, count(*) OVER (PARTITION BY s, g) AS n_all,
               count(*) FILTER (WHERE year IS NULL) OVER (PARTITION BY s, g) AS n_unknown
        FROM (SELECT s.id, s.key AS s, g.key AS g, p.year, p.day, p.lo, p.hi
              FROM nk_rkeys s JOIN nk_rkeys g ON g.id = s.id AND g.kind = 'g'
              JOIN nk_person p ON p.id = s.id WHERE s.kind = 's') b
    """)
    # A record not known to the day is paired with its block's records of its year, then with those of
    # unknown year (or, unknown itself, with all): three joins on equal keys. One join on (surname, given
    # name) with the years as a condition compared each record with its whole name block, tens of thousands
    # at ten million persons, though blocks beyond max_block are skipped.
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE nk_possible AS
        WITH inexact AS (
            SELECT *, CASE WHEN year IS NULL THEN n_all ELSE n_year + n_unknown END AS pool FROM nk_name_blocks
            WHERE day IS NULL AND CASE WHEN year IS NULL THEN n_all ELSE n_year + n_unknown END <= {int(max_block)}),
        pairs AS (
            SELECT i.id AS a, o.id AS b, i.pool FROM inexact i JOIN nk_name_blocks o
              ON o.s = i.s AND o.g = i.g AND o.year = i.year AND o.id <> i.id
            UNION ALL
            SELECT i.id, o.id, i.pool FROM inexact i JOIN nk_name_blocks o ON o.s = i.s AND o.g = i.g AND o.id <> i.id
            WHERE i.year IS NOT NULL AND o.year IS NULL
            UNION ALL
            SELECT i.id, o.id, i.pool FROM inexact i JOIN nk_name_blocks o ON o.s = i.s AND o.g = i.g AND o.id <> i.id
            WHERE i.year IS NULL)
        SELECT least(a, b) AS a, greatest(a, b) AS b, min(pool) AS pool FROM pairs
        JOIN nk_person pa ON pa.id = pairs.a JOIN nk_person pb ON pb.id = pairs.b
        WHERE {_REFUSE}
          AND NOT coalesce(pa.hi < pb.lo OR pb.hi < pa.lo, FALSE)
        GROUP BY 1, 2
    """)
    skipped += [(f"name {s!r} {g!r}, born {year or 'unknown'}", n) for s, g, year, n in conn.execute(f"""
        SELECT DISTINCT s, g, year, CASE WHEN year IS NULL THEN n_all ELSE n_year + n_unknown END AS pool
        FROM nk_name_blocks WHERE day IS NULL
          AND CASE WHEN year IS NULL THEN n_all ELSE n_year + n_unknown END > {int(max_block)}
        ORDER BY pool DESC, s, g, year""").fetchall()]
    total = conn.execute("SELECT count(*) FROM nk_possible").fetchall()[0][0]
    # The rarest names first: a pair of uncommon names is the likelier to be one person.
    possible = conn.execute(f"SELECT a, b FROM nk_possible ORDER BY pool, a, b LIMIT {int(max_possible)}").fetchall()
    return links, possible, total - len(possible), skipped


def kinship_hints(conn: duckdb.DuckDBPyConnection, merged: list[str], bulk_insert, max_parents: int,
                  age_gap: tuple[int, int]) -> int:
    """Fill nk_hints (child, parent, fit, gap_lo, gap_hi, written, rank); return the children whose
    patronymic fits more than max_parents persons (too common to hint anything)."""
    conn.execute("CREATE OR REPLACE TEMP TABLE nk_merged (id VARCHAR)")
    bulk_insert(conn, "nk_merged", ((m,) for m in merged))
    lo, hi = age_gap
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_parents AS
        SELECT p.id, s.key AS s, gf.key AS fk, year(p.lo) AS ylo, year(p.hi) AS yhi, p.gender
        FROM nk_person p JOIN nk_rkeys s ON s.id = p.id AND s.kind = 's'
        JOIN nk_rkeys gf ON gf.id = p.id AND gf.kind = 'gf'
        WHERE p.lo IS NOT NULL AND p.hi IS NOT NULL AND coalesce(p.gender, '') <> 'f'
          AND p.id NOT IN (SELECT id FROM nk_merged)
    """)
    # How many persons a child's patronymic fits is counted from the fathers' birth years, not by pairing
    # every child with every namesake of a father: a common surname and given name would pair thousands
    # with thousands. Only children whose count is small are paired, and counted exactly.
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_children AS
        SELECT c.id, s.key AS s, pk.key AS fk, pk.written, year(c.lo) AS ylo, year(c.hi) AS yhi
        FROM nk_person c JOIN nk_rkeys s ON s.id = c.id AND s.kind = 's'
        JOIN nk_rkeys pk ON pk.id = c.id AND pk.kind = 'p'
        WHERE c.lo IS NOT NULL AND c.hi IS NOT NULL AND c.id NOT IN (SELECT id FROM nk_merged)
    """)
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE nk_load AS
        WITH parent_years AS (SELECT s, fk, ylo, yhi, count(*) AS n FROM nk_parents GROUP BY ALL),
        groups AS (SELECT DISTINCT s, fk, ylo, yhi FROM nk_children),
        fitting AS (
            SELECT g.s, g.fk, g.ylo, g.yhi, sum(p.n) AS n FROM groups g
            JOIN parent_years p ON p.s = g.s AND p.fk = g.fk
             AND g.ylo - p.yhi >= {int(lo)} AND g.yhi - p.ylo <= {int(hi)}
            GROUP BY ALL)
        SELECT c.id, sum(f.n) AS n FROM nk_children c JOIN fitting f USING (s, fk, ylo, yhi) GROUP BY c.id
    """)
    # The children with few fitting persons are paired with them through the parents' birth years: first
    # which (surname, father's name, years) groups of parents fit each child's group, then the parents of
    # those groups by equality. Pairing the children with every namesake of a father and filtering by age
    # compared each with dozens of the wrong generation (32 million comparisons at a million persons); the
    # two steps are separate statements, as in one DuckDB's join order chose that pairing again.
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE nk_few AS
        WITH few AS (SELECT c.* FROM nk_children c SEMI JOIN (SELECT id FROM nk_load WHERE n <= {int(max_parents) * 3}) l
                     ON l.id = c.id),
        groups AS (
            SELECT g.s, g.fk, g.ylo, g.yhi, p.ylo AS pylo, p.yhi AS pyhi
            FROM (SELECT DISTINCT s, fk, ylo, yhi FROM few) g
            JOIN (SELECT DISTINCT s, fk, ylo, yhi FROM nk_parents) p ON p.s = g.s AND p.fk = g.fk
             AND g.ylo - p.yhi >= {int(lo)} AND g.yhi - p.ylo <= {int(hi)})
        SELECT c.id, c.written, c.s, c.fk, c.ylo, c.yhi, g.pylo, g.pyhi FROM few c JOIN groups g USING (s, fk, ylo, yhi)
    """)
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_fits AS
        SELECT c.id AS child, p.id AS parent, min(c.written) AS written, min(c.ylo - p.yhi) AS gap_lo,
               max(c.yhi - p.ylo) AS gap_hi, any_value(p.gender) AS gender
        FROM nk_few c JOIN nk_parents p ON p.s = c.s AND p.fk = c.fk AND p.ylo = c.pylo AND p.yhi = c.pyhi
        WHERE p.id <> c.id
        GROUP BY 1, 2
    """)
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE nk_hints AS
        SELECT child, parent, 1.0 / n AS fit, gap_lo, gap_hi, written,
               row_number() OVER (ORDER BY n, gender IS DISTINCT FROM 'm', abs((gap_lo + gap_hi) / 2 - 28),
                                  child, parent) AS rank
        FROM (SELECT *, count(*) OVER (PARTITION BY child) AS n FROM nk_fits)
        WHERE n <= {int(max_parents)}
    """)
    return conn.execute(f"""
        SELECT (SELECT count(*) FROM nk_load WHERE n > {int(max_parents) * 3})
             + (SELECT count(*) FROM (SELECT child FROM nk_fits GROUP BY 1 HAVING count(*) > {int(max_parents)}))
    """).fetchall()[0][0]
