"""Set-oriented work of identity resolution, in DuckDB: name keys, candidate pairs and kinship hints.

Python parses each *distinct* value once (a registry repeats its surnames, given names and patronymics
thousands of times), and DuckDB does everything per record: which keys each record carries, which pairs
share a block, the cheap refusals, and which persons a patronymic points to. Python then scores only the
candidate pairs (see riskcheck.names.resolve), so a million persons cost seconds, not minutes.

The tables read: `persons` with the typed columns (birth_date__lo, birth_date__hi) and the lists
(aliases, same_as, not_same_as, identifiers, sources). The tables written are temporary, prefixed `nk_`.

Inside them a record is a number (`rid`, its row's number in `persons`) and so is a name key (its rank
among the distinct keys, nk_kd): hashing and comparing numbers instead of texts is most of what a million
records' joins cost (at a million persons the name keys, blocks and hints took 10 s of CPU instead of 16).
Equal numbers stand for equal texts, so every join and grouping gives what it gave on the texts; where an
order decides something (which possible pairs are compared first, the hints' ranks), it is the order of the
ids as written, as the numbers follow the rows, not the ids. What leaves the module (the pairs, the
skipped blocks, nk_hints) is turned back into the ids and keys as written.
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
    """Fill nk_keys (per distinct value), nk_kd (key numbers), nk_base (record numbers), nk_person (per record)
    and nk_rkeys (the keys of the records with several of a kind); return how many values were parsed."""
    rows: list[tuple] = []
    for field, role in (("surname", "surname"), ("given_name", "given"), ("patronymic", "patronymic")):
        for (value,) in conn.execute(f"SELECT DISTINCT {field} FROM persons WHERE {field} IS NOT NULL").fetchall():
            _parts_keys(field_parts(role, value), rows, field, value)
    texts = conn.execute(f"""
        SELECT DISTINCT t FROM (SELECT name AS t FROM persons WHERE {NEEDS_PARSE}
                                UNION ALL SELECT unnest(aliases) FROM persons WHERE aliases IS NOT NULL)
        WHERE t IS NOT NULL""").fetchall()
    # A registry writes its names from a few hundred words: each text is sent to DuckDB as the numbers of its
    # parts' keys (one row a name, not one a key: a fifth of the rows to write), and the keys once each.
    shapes: dict[tuple, int] = {}
    text_rows = []
    for (text,) in texts:
        numbers = []
        for part in key_parts(text):
            keys = _part_keys(part)
            if keys:
                number = shapes.get(keys)
                if number is None:
                    number = shapes[keys] = len(shapes)
                numbers.append(str(number))
        if numbers:
            text_rows.append((text, " ".join(numbers)))
    conn.execute("CREATE OR REPLACE TEMP TABLE nk_keys (src VARCHAR, value VARCHAR, kind VARCHAR, key VARCHAR, "
                 "written VARCHAR)")
    bulk_insert(conn, "nk_keys", rows)
    conn.execute("CREATE OR REPLACE TEMP TABLE nk_text_parts (value VARCHAR, parts VARCHAR)")
    bulk_insert(conn, "nk_text_parts", text_rows)
    conn.execute("CREATE OR REPLACE TEMP TABLE nk_part_keys (part VARCHAR, kind VARCHAR, key VARCHAR, written VARCHAR)")
    bulk_insert(conn, "nk_part_keys", ((str(number), *key) for keys, number in shapes.items() for key in keys))
    conn.execute("""
        INSERT INTO nk_keys SELECT 'text', t.value, k.kind, k.key, k.written
        FROM (SELECT value, unnest(string_split(parts, ' ')) AS part FROM nk_text_parts) t
        JOIN nk_part_keys k ON k.part = t.part
    """)
    # Each distinct key gets its rank as its number, each record its row's number (see the module docstring).
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_kd AS
        SELECT key, row_number() OVER (ORDER BY key) AS k FROM (SELECT DISTINCT key FROM nk_keys)
    """)
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_kv AS
        SELECT DISTINCT v.src, v.value, v.kind, d.k AS key, v.written FROM nk_keys v JOIN nk_kd d USING (key)
    """)
    # A view: each reader takes the few columns it needs from the persons as they are, where a copy of a
    # million records' names cost a third of a second of CPU to make.
    conn.execute(f"""
        CREATE OR REPLACE TEMP VIEW nk_base AS
        SELECT rowid AS rid, id, surname, given_name, patronymic,
               CASE WHEN {NEEDS_PARSE} THEN name END AS text, aliases,
               birth_date__lo AS lo, birth_date__hi AS hi, gender
        FROM persons
    """)
    # A record carries each (kind, key) once. The structured fields give different kinds (a surname s, a
    # given name g and gf, a patronymic f and p) from one value each, so only the written names and aliases
    # can repeat a key: those alone are made distinct, and what the fields already gave is taken out of them,
    # instead of a DISTINCT over every key of every record.
    # The records whose written name or aliases say more than their fields: their keys are made distinct.
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_texts AS
        SELECT DISTINCT t.rid, k.kind, k.key, k.written
        FROM (SELECT rid, text AS t FROM nk_base WHERE text IS NOT NULL
              UNION ALL SELECT rid, unnest(aliases) FROM nk_base WHERE aliases IS NOT NULL) t
        JOIN (SELECT * FROM nk_kv WHERE src = 'text') k ON k.value = t.t
    """)
    # Nearly every record has one key of each kind (one surname, one given name, one patronymic): nk_person
    # carries those as columns (sk, gk, gfk, pk and pw, the patronymic as written), so the blocks and the hints
    # read one row a record. Held as rows (five a record) and joined back to nk_person, they were half the
    # CPU of those joins at a million persons. The few records with several keys of a kind (a double given
    # name, a written name or alias that says more than the fields) are `several`: their keys are rows of
    # nk_rkeys, and every reader takes them from there as well.
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_fields AS
        SELECT v.src, v.value,
               count(*) FILTER (WHERE v.kind = 's') AS ns, any_value(v.key) FILTER (WHERE v.kind = 's') AS s,
               count(*) FILTER (WHERE v.kind = 'g') AS ng, any_value(v.key) FILTER (WHERE v.kind = 'g') AS g,
               count(*) FILTER (WHERE v.kind = 'gf') AS ngf, any_value(v.key) FILTER (WHERE v.kind = 'gf') AS gf,
               count(*) FILTER (WHERE v.kind = 'p') AS np, any_value(v.key) FILTER (WHERE v.kind = 'p') AS p,
               any_value(v.written) FILTER (WHERE v.kind = 'p') AS pw,
               list(DISTINCT v.key) FILTER (WHERE v.kind = 'f') AS fathers,
               array_to_string(list_sort(list(DISTINCT d.key) FILTER (WHERE v.kind = 'g')), ' ') AS given
        FROM nk_kv v LEFT JOIN nk_kd d ON d.k = v.key AND v.kind = 'g'
        WHERE v.src <> 'text' GROUP BY v.src, v.value
    """)
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_several AS
        SELECT DISTINCT rid FROM nk_texts
        UNION SELECT b.rid FROM nk_base b
        WHERE b.surname IN (SELECT value FROM nk_fields WHERE src = 'surname' AND ns > 1)
           OR b.given_name IN (SELECT value FROM nk_fields WHERE src = 'given_name' AND (ng > 1 OR ngf > 1))
           OR b.patronymic IN (SELECT value FROM nk_fields WHERE src = 'patronymic' AND np > 1)
    """)
    # Their fields' keys are found from their rows alone, and those of their written names and aliases that
    # the fields do not already give are added.
    fields = """
            SELECT p.rid, k.kind, k.key, k.written FROM {base} p
            JOIN nk_kv k ON k.src = 'surname' AND k.value = p.surname
            UNION ALL SELECT p.rid, k.kind, k.key, k.written FROM {base} p
            JOIN nk_kv k ON k.src = 'given_name' AND k.value = p.given_name
            UNION ALL SELECT p.rid, k.kind, k.key, k.written FROM {base} p
            JOIN nk_kv k ON k.src = 'patronymic' AND k.value = p.patronymic"""
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE nk_rkeys AS
        WITH several AS (SELECT * FROM nk_base WHERE rid IN (SELECT rid FROM nk_several)),
        texted AS (SELECT * FROM nk_base WHERE rid IN (SELECT rid FROM nk_texts))
        {fields.format(base="several")}
        UNION ALL (SELECT * FROM nk_texts EXCEPT ({fields.format(base="texted")}))
    """)
    # A record's fathers' names (from its patronymics) and its given names (the keys, sorted, as one text: what
    # a link's given names are compared by) are those of its fields, found once per distinct field value; only
    # a record with a written name or alias that says more is grouped by id. `one_kin_row`: the record gives
    # at most one surname key and one patronymic as written (its fields give one each, as nearly every
    # record's do), so it is at most one child in kinship_hints and its sums there need no grouping.
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_person AS
        WITH text_names AS (
            SELECT r.rid, list(DISTINCT r.key) FILTER (WHERE r.kind = 'f') AS fathers,
                   array_to_string(list_sort(list(DISTINCT d.key) FILTER (WHERE r.kind = 'g')), ' ') AS g
            FROM nk_rkeys r LEFT JOIN nk_kd d ON d.k = r.key AND r.kind = 'g'
            WHERE r.rid IN (SELECT rid FROM nk_texts) GROUP BY r.rid),
        one AS (
            SELECT p.rid, p.lo, p.hi, p.gender, t.rid IS NOT NULL AS texted, x.rid IS NOT NULL AS several,
                   t.fathers AS t_fathers, t.g AS t_g, fp.fathers AS f_fathers, fg.given AS f_g,
                   fs.ns, fs.s, fg.g AS gk, fg.gf, fp.np, fp.p, fp.pw
            FROM nk_base p LEFT JOIN text_names t ON t.rid = p.rid LEFT JOIN nk_several x ON x.rid = p.rid
            LEFT JOIN (SELECT * FROM nk_fields WHERE src = 'surname') fs ON fs.value = p.surname
            LEFT JOIN (SELECT * FROM nk_fields WHERE src = 'given_name') fg ON fg.value = p.given_name
            LEFT JOIN (SELECT * FROM nk_fields WHERE src = 'patronymic') fp ON fp.value = p.patronymic)
        SELECT rid, lo, hi,
               CASE WHEN lo = hi THEN lo END AS day,
               CASE WHEN year(lo) = year(hi) THEN year(lo) END AS year,
               gender, coalesce(CASE WHEN texted THEN t_fathers ELSE f_fathers END, []) AS fathers,
               CASE WHEN texted THEN nullif(t_g, '') ELSE f_g END AS g,
               NOT texted AND coalesce(ns, 0) <= 1 AND coalesce(np, 0) <= 1 AS one_kin_row,
               several, CASE WHEN NOT several THEN s END AS sk, CASE WHEN NOT several THEN gk END AS gk,
               CASE WHEN NOT several THEN gf END AS gfk, CASE WHEN NOT several THEN p END AS pk,
               CASE WHEN NOT several THEN pw END AS pw
        FROM one
    """)
    return len({(r[0], r[1]) for r in rows}) + len(text_rows)


# A record's one key of each kind, as nk_person's columns; a record with several of a kind (`several`) has its keys
# as rows of nk_rkeys instead.
_KEY_COLUMNS = {"s": "sk", "g": "gk", "gf": "gfk", "p": "pk"}


def _key_pairs(first: str, second: str, select: str, where: str = "TRUE") -> str:
    """SQL of a row for each pair of a record's keys of kinds `first` and `second`: `select` (a format of
    nk_person `p`'s columns, with {first} and {second} for the keys, and {written} for the patronymic as written
    when `second` is 'p') over the records `where` keeps. From a record's columns, or from its rows of nk_rkeys
    for one with several keys of a kind: every reader of the keys takes both."""
    one, two = _KEY_COLUMNS[first], _KEY_COLUMNS[second]
    columns = select.format(first=f"p.{one}", second=f"p.{two}", written="p.pw")
    rows = select.format(first="a.key", second="b.key", written="b.written")
    return f"""
        SELECT {columns} FROM nk_person p
        WHERE NOT p.several AND p.{one} IS NOT NULL AND p.{two} IS NOT NULL AND {where}
        UNION ALL
        SELECT {rows} FROM nk_person p JOIN nk_rkeys a ON a.rid = p.rid AND a.kind = '{first}'
        JOIN nk_rkeys b ON b.rid = p.rid AND b.kind = '{second}'
        WHERE {where}"""


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
    # A record's keys are its columns in nk_person, or (`several`) its rows of nk_rkeys, each (id, kind, key)
    # once, and nk_person holds each id once: no DISTINCT is needed here or below. Each block of two records or
    # more is one row with its records in a list: the blocks of one record (most of a national registry's) are
    # left out as they are counted, where counting every block and joining the counts back to each record took
    # two more passes over a million.
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_link_blocks AS
        SELECT day, kind, key, count(*) AS n, list(rid) AS rids FROM (
            SELECT rid, day, CASE WHEN sk IS NOT NULL THEN 's' ELSE 'g' END AS kind, coalesce(sk, gk) AS key
            FROM nk_person WHERE day IS NOT NULL AND NOT several AND coalesce(sk, gk) IS NOT NULL
            UNION ALL
            SELECT r.rid, p.day, r.kind, r.key FROM nk_rkeys r JOIN nk_person p ON p.rid = r.rid
            WHERE p.day IS NOT NULL
              AND (r.kind = 's' OR (r.kind = 'g' AND r.rid NOT IN (SELECT rid FROM nk_rkeys WHERE kind = 's'))))
        GROUP BY ALL HAVING count(*) > 1
    """)
    # A link needs every word the same but for spelling, so a pair that shares a surname must have the same
    # given names, or given names two letters apart (Aibek, Alibek: a typo, or twins, which a reviewer
    # should see); two men born the same day who share only a surname are not compared.
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE nk_shared AS
        WITH one AS (SELECT kind, unnest(rids) AS a, rids FROM nk_link_blocks WHERE n <= {int(max_block)}),
        pairs AS (SELECT a, b, bool_or(kind = 's') AS surname FROM (SELECT kind, a, unnest(rids) AS b FROM one)
                  WHERE a < b GROUP BY 1, 2)
        SELECT a, b FROM pairs s JOIN nk_person pa ON pa.rid = s.a JOIN nk_person pb ON pb.rid = s.b
        WHERE (NOT s.surname OR pa.g IS NULL OR pb.g IS NULL OR damerau_levenshtein(pa.g, pb.g) <= 2)
          AND {_REFUSE}
    """)
    links = conn.execute("""
        SELECT least(ia.id, ib.id), greatest(ia.id, ib.id) FROM nk_shared s
        JOIN nk_base ia ON ia.rid = s.a JOIN nk_base ib ON ib.rid = s.b
        ORDER BY 1, 2
    """).fetchall()
    skipped = [(f"born {day}, {'surname' if kind == 's' else 'given name'} {key!r}", n) for day, kind, key, n in
               conn.execute(f"SELECT DISTINCT b.day, b.kind, d.key, b.n FROM nk_link_blocks b JOIN nk_kd d ON d.k = b.key "
                            f"WHERE b.n > {int(max_block)} ORDER BY 4 DESC, 1, 2, 3").fetchall()]
    # Name blocks: (surname key, given key) per record, with the birth year where the record knows it. Only
    # a block holding a record not known to the day pairs anyone (below), so only those blocks are kept, whole
    # (4% of the independent registry's persons are not known to the day, 15% of synth's). The blocks' sizes
    # are counted by grouping and joined back: windows over a million records cost twice as much.
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE nk_name_blocks AS
        WITH b AS ({_key_pairs("s", "g", "p.rid, {first} AS s, {second} AS g, p.year, p.day, p.lo, p.hi")}),
        kept AS MATERIALIZED (
            SELECT * FROM b SEMI JOIN (SELECT DISTINCT s, g FROM b WHERE day IS NULL) x ON x.s = b.s AND x.g = b.g),
        by_year AS (SELECT s, g, year, count(*) AS n_year FROM kept GROUP BY ALL),
        by_name AS (SELECT s, g, sum(n_year)::BIGINT AS n_all,
                           coalesce(sum(n_year) FILTER (WHERE year IS NULL), 0)::BIGINT AS n_unknown
                    FROM by_year GROUP BY ALL)
        SELECT k.*, y.n_year, n.n_all, n.n_unknown FROM kept k
        JOIN by_year y ON y.s = k.s AND y.g = k.g AND y.year IS NOT DISTINCT FROM k.year
        JOIN by_name n ON n.s = k.s AND n.g = k.g
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
            SELECT i.rid AS a, o.rid AS b, i.pool FROM inexact i JOIN nk_name_blocks o
              ON o.s = i.s AND o.g = i.g AND o.year = i.year AND o.rid <> i.rid
            UNION ALL
            SELECT i.rid, o.rid, i.pool FROM inexact i JOIN nk_name_blocks o ON o.s = i.s AND o.g = i.g AND o.rid <> i.rid
            WHERE i.year IS NOT NULL AND o.year IS NULL
            UNION ALL
            SELECT i.rid, o.rid, i.pool FROM inexact i JOIN nk_name_blocks o ON o.s = i.s AND o.g = i.g AND o.rid <> i.rid
            WHERE i.year IS NULL)
        SELECT least(a, b) AS a, greatest(a, b) AS b, min(pool) AS pool FROM pairs
        JOIN nk_person pa ON pa.rid = pairs.a JOIN nk_person pb ON pb.rid = pairs.b
        WHERE {_REFUSE}
          AND NOT coalesce(pa.hi < pb.lo OR pb.hi < pa.lo, FALSE)
        GROUP BY 1, 2
    """)
    skipped += [(f"name {s!r} {g!r}, born {year or 'unknown'}", n) for s, g, year, n in conn.execute(f"""
        SELECT ds.key, dg.key, b.year, b.pool FROM (
            SELECT DISTINCT s, g, year, CASE WHEN year IS NULL THEN n_all ELSE n_year + n_unknown END AS pool
            FROM nk_name_blocks WHERE day IS NULL
              AND CASE WHEN year IS NULL THEN n_all ELSE n_year + n_unknown END > {int(max_block)}) b
        JOIN nk_kd ds ON ds.k = b.s JOIN nk_kd dg ON dg.k = b.g
        ORDER BY b.pool DESC, b.s, b.g, b.year""").fetchall()]
    total = conn.execute("SELECT count(*) FROM nk_possible").fetchall()[0][0]
    # The rarest names first: a pair of uncommon names is the likelier to be one person.
    possible = conn.execute(f"""
        SELECT least(ia.id, ib.id) AS a, greatest(ia.id, ib.id) AS b FROM nk_possible x
        JOIN nk_base ia ON ia.rid = x.a JOIN nk_base ib ON ib.rid = x.b
        ORDER BY x.pool, a, b LIMIT {int(max_possible)}""").fetchall()
    return links, possible, total - len(possible), skipped


def kinship_hints(conn: duckdb.DuckDBPyConnection, merged: list[str], bulk_insert, max_parents: int,
                  age_gap: tuple[int, int]) -> int:
    """Fill nk_hints (child, parent, fit, gap_lo, gap_hi, written, rank); return the children whose
    patronymic fits more than max_parents persons (too common to hint anything)."""
    conn.execute("CREATE OR REPLACE TEMP TABLE nk_merged (id VARCHAR)")
    bulk_insert(conn, "nk_merged", ((m,) for m in merged))
    conn.execute("CREATE OR REPLACE TEMP TABLE nk_merged_rids AS SELECT b.rid FROM nk_base b SEMI JOIN nk_merged m ON m.id = b.id")
    lo, hi = age_gap
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE nk_parents AS {_key_pairs(
            "s", "gf", "p.rid, {first} AS s, {second} AS fk, year(p.lo) AS ylo, year(p.hi) AS yhi, p.gender",
            "p.lo IS NOT NULL AND p.hi IS NOT NULL AND coalesce(p.gender, '') <> 'f' "
            "AND p.rid NOT IN (SELECT rid FROM nk_merged_rids)")}
    """)
    # How many persons a child's patronymic fits is counted from the fathers' birth years, not by pairing
    # every child with every namesake of a father: a common surname and given name would pair thousands
    # with thousands. Only children whose count is small are paired, and counted exactly.
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE nk_children AS {_key_pairs(
            "s", "p", "p.rid, {first} AS s, {second} AS fk, {written} AS written, year(p.lo) AS ylo, "
            "year(p.hi) AS yhi, p.one_kin_row",
            "p.lo IS NOT NULL AND p.hi IS NOT NULL AND p.rid NOT IN (SELECT rid FROM nk_merged_rids)")}
    """)
    # Counted by groups of children alike (surname, father's name, birth years): a child of one row (`one_kin_row`)
    # meets each fitting person once, so its group's count is its own; one of several rows (several surnames
    # or patronymics) sums its rows' (nk_load). Joining a million children back to their groups' counts, to
    # keep the few that can be hinted, took a third of the counting.
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE nk_fitting AS
        WITH parent_years AS (SELECT s, fk, ylo, yhi, count(*) AS n FROM nk_parents GROUP BY ALL),
        groups AS (SELECT s, fk, ylo, yhi, count(*) FILTER (WHERE one_kin_row) AS one_row FROM nk_children GROUP BY ALL)
        SELECT g.s, g.fk, g.ylo, g.yhi, any_value(g.one_row) AS one_row, sum(p.n) AS n FROM groups g
        JOIN parent_years p ON p.s = g.s AND p.fk = g.fk
         AND g.ylo - p.yhi >= {int(lo)} AND g.yhi - p.ylo <= {int(hi)}
        GROUP BY g.s, g.fk, g.ylo, g.yhi
    """)
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_load AS
        SELECT c.rid, sum(f.n) AS n FROM nk_children c JOIN nk_fitting f USING (s, fk, ylo, yhi)
        WHERE NOT c.one_kin_row GROUP BY c.rid
    """)
    # The children with few fitting persons are paired with them through the parents' birth years: first
    # which (surname, father's name, years) groups of parents fit each child's group, then the parents of
    # those groups by equality. Pairing the children with every namesake of a father and filtering by age
    # compared each with dozens of the wrong generation (32 million comparisons at a million persons); the
    # two steps are separate statements, as in one DuckDB's join order chose that pairing again.
    # A child of one row (`one_kin_row`) meets each fitting person once, so its count above is exact: it is
    # paired only if it can be hinted, and counted as too common otherwise (below). Pairing those of four to
    # nine made most of the pairs at a million persons, a million of them to keep fifty thousand.
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE nk_few AS
        WITH few AS (
            SELECT c.* FROM nk_children c SEMI JOIN (SELECT * FROM nk_fitting WHERE n <= {int(max_parents)}) f
              ON f.s = c.s AND f.fk = c.fk AND f.ylo = c.ylo AND f.yhi = c.yhi
            WHERE c.one_kin_row
            UNION ALL
            SELECT c.* FROM nk_children c SEMI JOIN (SELECT rid FROM nk_load WHERE n <= {int(max_parents) * 3}) l
              ON l.rid = c.rid),
        groups AS (
            SELECT g.s, g.fk, g.ylo, g.yhi, p.ylo AS pylo, p.yhi AS pyhi
            FROM (SELECT DISTINCT s, fk, ylo, yhi FROM few) g
            JOIN (SELECT DISTINCT s, fk, ylo, yhi FROM nk_parents) p ON p.s = g.s AND p.fk = g.fk
             AND g.ylo - p.yhi >= {int(lo)} AND g.yhi - p.ylo <= {int(hi)})
        SELECT c.rid, c.written, c.s, c.fk, c.ylo, c.yhi, g.pylo, g.pyhi, c.one_kin_row
        FROM few c JOIN groups g USING (s, fk, ylo, yhi)
    """)
    # A parent is one row of nk_parents per (surname, father's-name key), so a child of one row meets each
    # parent once: only the children of several rows (several surnames or patronymics) are grouped.
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE nk_fits AS
        SELECT c.rid AS child, p.rid AS parent, c.written, c.ylo - p.yhi AS gap_lo, c.yhi - p.ylo AS gap_hi, p.gender
        FROM nk_few c JOIN nk_parents p ON p.s = c.s AND p.fk = c.fk AND p.ylo = c.pylo AND p.yhi = c.pyhi
        WHERE p.rid <> c.rid AND c.one_kin_row
        UNION ALL
        SELECT c.rid AS child, p.rid AS parent, min(c.written) AS written, min(c.ylo - p.yhi) AS gap_lo,
               max(c.yhi - p.ylo) AS gap_hi, any_value(p.gender) AS gender
        FROM nk_few c JOIN nk_parents p ON p.s = c.s AND p.fk = c.fk AND p.ylo = c.pylo AND p.yhi = c.pyhi
        WHERE p.rid <> c.rid AND NOT c.one_kin_row
        GROUP BY 1, 2
    """)
    # A hint's rank is its place in this order, most telling first. Sorted by ORDER BY and numbered by the rows
    # kept in that order: a row_number() over the whole order sorts on one thread (a fifth of a second for
    # half a million hints).
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE nk_ranked AS
        SELECT ic.id AS child, ip.id AS parent, 1.0 / h.n AS fit, h.gap_lo, h.gap_hi, h.written
        FROM (SELECT *, count(*) OVER (PARTITION BY child) AS n FROM nk_fits) h
        JOIN nk_base ic ON ic.rid = h.child JOIN nk_base ip ON ip.rid = h.parent
        WHERE h.n <= {int(max_parents)}
        ORDER BY h.n, h.gender IS DISTINCT FROM 'm', abs((h.gap_lo + h.gap_hi) / 2 - 28), ic.id, ip.id
    """)
    conn.execute("CREATE OR REPLACE TEMP TABLE nk_hints AS SELECT *, rowid + 1 AS rank FROM nk_ranked; "
                 "DROP TABLE nk_ranked")
    return conn.execute(f"""
        SELECT (SELECT coalesce(sum(one_row), 0) FROM nk_fitting WHERE n > {int(max_parents)})
             + (SELECT count(*) FROM nk_load WHERE n > {int(max_parents) * 3})
             + (SELECT count(*) FROM (SELECT child FROM nk_fits GROUP BY 1 HAVING count(*) > {int(max_parents)}))
    """).fetchall()[0][0]
