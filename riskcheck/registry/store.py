"""The store: a case's records in DuckDB, in three layers.

1. raw tables (`raw_<type>`): every value as written (text), with the file and line it came from.
   YAML rows are inserted from Python; CSV files are read by DuckDB in bulk. Dropped once validation
   has passed and the typed tables are built.
2. typed tables (`<type>`): the same records with dates split into interval bounds
   (`<field>__lo`, `<field>__hi`), numbers and booleans cast. Only built once validation passed.
3. `kinship`: every relation read from both sides (the view `kin_direct`), plus the blood links and
   in-laws they imply between people the registry records something of (tables), with the period the
   link holds and the weakest status along its path.

Set-oriented SQL keeps one code path for a 20-record case and a national registry.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from riskcheck.errors import Problem
from riskcheck.registry.confine import has_glob_characters
from riskcheck.registry.dates import MAX_DAY, MIN_DAY
from riskcheck.registry.reader import RawRow
from riskcheck.registry.schema import Field, Schema

# Partial dates in SQL: the twin of riskcheck.registry.dates.parse_date (tests keep them in step).
# pd_lo/pd_hi give NULL for text that is no date; an interval that ends before it starts (lo > hi) is
# caught by validation. They are kept small because DuckDB plans every use of a macro afresh.
DATE_MACROS = f"""
CREATE OR REPLACE MACRO pd_point_lo(s) AS CASE
  WHEN starts_with(s, '0000') THEN NULL
  WHEN regexp_full_match(s, '\\d{{4}}') THEN try_cast(s || '-01-01' AS DATE)
  WHEN regexp_full_match(s, '\\d{{4}}-\\d{{2}}') THEN try_cast(s || '-01' AS DATE)
  WHEN regexp_full_match(s, '\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN try_cast(s AS DATE) END;
CREATE OR REPLACE MACRO pd_point_hi(s) AS CASE
  WHEN starts_with(s, '0000') THEN NULL
  WHEN regexp_full_match(s, '\\d{{4}}') THEN try_cast(s || '-12-31' AS DATE)
  WHEN regexp_full_match(s, '\\d{{4}}-\\d{{2}}') THEN last_day(try_cast(s || '-01' AS DATE))
  WHEN regexp_full_match(s, '\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN try_cast(s AS DATE) END;
CREATE OR REPLACE MACRO pd_lo_raw(s) AS CASE
  WHEN length(s) - length(replace(s, '/', '')) > 1 THEN NULL
  WHEN trim(s) = '..' THEN DATE '{MIN_DAY}'
  WHEN contains(s, '/') THEN CASE WHEN trim(split_part(s, '/', 1)) IN ('', '..') THEN DATE '{MIN_DAY}'
                                  ELSE pd_point_lo(trim(split_part(s, '/', 1))) END
  ELSE pd_point_lo(trim(s)) END;
CREATE OR REPLACE MACRO pd_hi_raw(s) AS CASE
  WHEN length(s) - length(replace(s, '/', '')) > 1 THEN NULL
  WHEN trim(s) = '..' THEN DATE '{MAX_DAY}'
  WHEN contains(s, '/') THEN CASE WHEN trim(split_part(s, '/', 2)) IN ('', '..') THEN DATE '{MAX_DAY}'
                                  ELSE pd_point_hi(trim(split_part(s, '/', 2))) END
  ELSE pd_point_hi(trim(s)) END;
CREATE OR REPLACE MACRO pd_day(s) AS CASE WHEN NOT starts_with(s, '0000') AND regexp_full_match(s, '\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN try_cast(s AS DATE) END;
-- Date arithmetic: an open end stays open, and no result leaves the range Python and reports can show.
CREATE OR REPLACE MACRO pd_shift(d, delta) AS CASE
  WHEN d <= DATE '{MIN_DAY}' THEN DATE '{MIN_DAY}' WHEN d >= DATE '{MAX_DAY}' THEN DATE '{MAX_DAY}'
  ELSE greatest(DATE '{MIN_DAY}', least(DATE '{MAX_DAY}', CAST(d + delta AS DATE))) END;
CREATE OR REPLACE MACRO pd_lo(s) AS coalesce(pd_day(s), pd_lo_raw(s));
CREATE OR REPLACE MACRO pd_hi(s) AS coalesce(pd_day(s), pd_hi_raw(s));
"""


# DuckDB spills to disk beyond this, so a national registry stays within a laptop's memory.
MEMORY_LIMIT = "2500MB"
# And spills no more than this: a rule that joins records without a link between them fails with a
# message naming it instead of filling the disk.
SPILL_LIMIT = "8GB"


def connect() -> duckdb.DuckDBPyConnection:
    # An in-memory store never needs a checkpoint, but DuckDB runs one after every 16 MB written, and at a
    # million persons each took a second or more between statements.
    conn = duckdb.connect(":memory:", config={"memory_limit": MEMORY_LIMIT, "checkpoint_threshold": "1TB",
                                              "max_temp_directory_size": SPILL_LIMIT})
    conn.execute("SET preserve_insertion_order = true")
    # DuckDB never prints progress itself; the run's watcher turns tracking on for rule queries only (it
    # costs about 2 s of a million-person store build).
    conn.execute("SET enable_progress_bar = false; SET enable_progress_bar_print = false")
    conn.execute(DATE_MACROS)
    return conn


def row_counts(conn: duckdb.DuckDBPyConnection, schema: Schema, prefix: str = "") -> dict[str, int]:
    """Rows of each record type's table (`<prefix><type>`: the typed tables, or `raw_rows_` ones), in one query."""
    found = dict(conn.execute(" UNION ALL ".join(f"SELECT {lit(t)}, count(*) FROM {q(prefix + t)}"
                                                 for t in schema.types)).fetchall())
    return {t: found[t] for t in schema.types}


def q(name: str) -> str:
    """Quote an identifier (field names like `end` are SQL keywords)."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def create_raw_tables(conn: duckdb.DuckDBPyConnection, schema: Schema) -> None:
    """raw_rows_<type> holds the rows; the view raw_<type> gives each its line (CSV: its row number).

    A CSV row's number is not stored but derived: rows are kept in file order, so it is the row's rowid
    less the rowid the file started at (_base), plus the header. Numbering rows while reading them
    (row_number() OVER ()) made DuckDB read every file on one thread, doubling the time to load.
    """
    for rtype in schema.types.values():
        cols = ", ".join(f"{q(f.name)} {'VARCHAR[]' if f.is_list else 'VARCHAR'}" for f in rtype.fields.values())
        conn.execute(f"CREATE TABLE {q('raw_rows_' + rtype.name)} (_file VARCHAR, _line INTEGER, _csv BOOLEAN, "
                     f"_base BIGINT, {cols})")
        names = ", ".join(_spelled(f) for f in rtype.fields.values())
        conn.execute(f"CREATE VIEW {q('raw_' + rtype.name)} AS SELECT _file, "
                     f"coalesce(_line, CAST(rowid - _base + 2 AS INTEGER)) AS _line, _csv, {names} "
                     f"FROM {q('raw_rows_' + rtype.name)}")
    # The ids of rows that could not be read (a CSV row with an extra cell): already an error each, so a
    # reference to one is not reported again as naming nothing.
    conn.execute("CREATE TABLE unread_ids (id VARCHAR)")


# The obvious spellings of a value, as registries write them (Latin, Cyrillic, Kazakh, words), read as the
# contract's value; anything else is still an error naming the value.
SPELLINGS = {
    "gender": {"m": "m", "male": "m", "man": "m", "м": "m", "муж": "m", "мужской": "m", "ер": "m", "еркек": "m",
               "f": "f", "female": "f", "woman": "f", "ж": "f", "жен": "f", "женский": "f", "әйел": "f"},
}


# Dates as Excel writes them in Russian, Kazakh and most European locales: day.month.year (15.03.2021) and
# month.year (03.2021). Read as the ISO forms they stand for; the rare text with a dot is tested first, so a
# national registry's ISO dates pay one cheap check. An impossible date (31.02.2021) stays as written and is
# refused by validation, naming it.
DOTTED_DATES = (("%d.%m.%Y", "%Y-%m-%d"), ("%m.%Y", "%Y-%m"))


def _dotted_date(col: str) -> str:
    readings = ", ".join(f"strftime(try_strptime(trim({col}), {lit(src)}), {lit(dst)})" for src, dst in DOTTED_DATES)
    return f"CASE WHEN contains({col}, '.') THEN coalesce({readings}, {col}) ELSE {col} END"


def dotted_date_notes(conn: duckdb.DuckDBPyConnection, schema: Schema) -> list[Problem]:
    """One warning per file that wrote dates day.month.year, with an example of how one was read."""
    parts = []
    for rtype in schema.types.values():
        for f in rtype.fields.values():
            if f.type == "date":
                col = q(f.name)
                parts.append(f"SELECT _file, _csv, {col} AS written, {_dotted_date(col)} AS read "
                             f"FROM {q('raw_rows_' + rtype.name)} WHERE contains({col}, '.')")
    if not parts:
        return []
    rows = conn.execute(f"SELECT _file, bool_or(_csv), min(written), arg_min(read, written), count(*) "
                        f"FROM ({' UNION ALL '.join(parts)}) WHERE written <> read GROUP BY _file ORDER BY _file"
                        ).fetchall()
    return [Problem(file, None, f"{count:,} date(s) written day.month.year or month.year (as Excel writes them "
                                f"in a Russian or Kazakh locale) read that way, e.g. {written!r} as {read}")
            for file, _, written, read, count in rows]


def _spelled(f: Field) -> str:
    if f.type == "date":
        return f"{_dotted_date(q(f.name))} AS {q(f.name)}"
    spellings = SPELLINGS.get(f.name)
    if not spellings:
        return q(f.name)
    cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in spellings.items())
    return f"CASE lower(trim({q(f.name)})) {cases} ELSE {q(f.name)} END AS {q(f.name)}"


INSERT_CHUNK = 200  # rows per INSERT statement of YAML records


def insert_rows(conn: duckdb.DuckDBPyConnection, schema: Schema, type_name: str, rows: list[RawRow]) -> None:
    if not rows:
        return
    fields = list(schema.types[type_name].fields)
    one_row = "(" + ", ".join(["?"] * (len(fields) + 4)) + ")"
    # One statement of many rows per chunk: executemany costs about a millisecond a row, which was most of
    # the time of a rule's inline test (a few dozen rows each).
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start:start + INSERT_CHUNK]
        params = [v for row in chunk
                  for v in (row.file, row.line, row.by_row, None, *(_clean(row.values.get(f)) for f in fields))]
        conn.execute(f"INSERT INTO {q('raw_rows_' + type_name)} VALUES {', '.join([one_row] * len(chunk))}",
                     params)


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def insert_csv(conn: duckdb.DuckDBPyConnection, schema: Schema, type_name: str, path: Path,
               shown: str) -> tuple[list[Problem], list[Problem]]:
    """Read a CSV file in bulk into raw_<type>. Rows are numbered as in a spreadsheet (header = row 1).

    Spreadsheets saved from Excel in a Russian or Kazakh locale are read as they come: a UTF-8 byte-order
    mark, `;` between cells, or Windows-1251 text. Each is read correctly and named in a warning, so
    nothing reaches a report as mojibake. Returns (errors, warnings).
    """
    notes: list[Problem] = []
    with literal_path(path) as readable, _utf8(readable, shown, notes) as text_file:
        delim = _delimiter(text_file, shown, notes)
        return _insert_csv(conn, schema, type_name, text_file, shown, delim), notes


@contextmanager
def _utf8(path: Path, shown: str, notes: list[Problem]) -> Iterator[Path]:
    """The file as UTF-8 without a byte-order mark: as it is, or transcoded into a temporary copy."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    encoding = "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else None
    if encoding is None:
        # The first megabyte decides (a Cyrillic export shows it at once); a bad byte later is DuckDB's error,
        # with its row. Reading every file twice would cost a national run half a second.
        with open(path, "rb") as fh:
            sample = fh.read(1 << 20)
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(sample) - 4:  # not just a character cut at the end of the sample
                encoding = "cp1251"
    if encoding is None:
        yield path
        return
    if encoding == "cp1251":
        notes.append(Problem(shown, None, "not UTF-8; read as Windows-1251 (Cyrillic, as Excel saves it "
                                          "in a Russian or Kazakh locale). Check the names look right, or save "
                                          "the file as CSV UTF-8"))
    with tempfile.TemporaryDirectory(prefix="riskcheck-") as tmp:
        copy = Path(tmp) / "records.csv"
        with open(path, encoding=encoding, newline="") as src, open(copy, "w", encoding="utf-8", newline="") as dst:
            shutil.copyfileobj(src, dst)
        yield copy


def _delimiter(path: Path, shown: str, notes: list[Problem]) -> str:
    """`,` as the contract says, or `;` when the header uses only that (Excel's CSV in many locales)."""
    with open(path, encoding="utf-8", newline="") as fh:
        header = fh.readline()
    if ";" in header and "," not in header:
        notes.append(Problem(shown, 1, "cells are separated by ';' (as Excel saves CSV in many locales); "
                                       "read that way", row_word="row"))
        return ";"
    return ","


@contextmanager
def literal_path(path: Path) -> Iterator[Path]:
    """A path DuckDB reads as exactly this one file.

    read_csv expands glob characters, so a folder really named `**` would read every CSV below it. Such a
    file is read through a copy under a plain name; others (nearly all) are read where they are.
    """
    if not has_glob_characters(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="riskcheck-") as tmp:
        copy = Path(tmp) / "records.csv"
        shutil.copyfile(path, copy)
        yield copy


def _insert_csv(conn: duckdb.DuckDBPyConnection, schema: Schema, type_name: str, path: Path,
                shown: str, delim: str = ",") -> list[Problem]:
    rtype = schema.types[type_name]
    source = (f"read_csv(?, all_varchar = true, header = true, delim = {lit(delim)}, quote = '\"', escape = '\"')")
    try:
        header = [d[0] for d in conn.execute(f"SELECT * FROM {source} LIMIT 0", [str(path)]).description]
    except duckdb.Error:
        return _insert_csv_row_by_row(conn, schema, type_name, path, shown, delim)
    if header != _first_row(path, delim):  # the sniffer guessed other columns: a row has more cells
        return _insert_csv_row_by_row(conn, schema, type_name, path, shown, delim)
    problems = [Problem(shown, 1, f"unknown column; {type_name} have {', '.join(rtype.fields)}",
                        field=col, row_word="row") for col in header if col not in rtype.fields]
    if problems:
        return problems
    selects = []
    for f in rtype.fields.values():
        if f.name not in header:
            selects.append("NULL")
        elif f.is_list:
            selects.append(f"[trim(x) FOR x IN string_split({q(f.name)}, ';') IF trim(x) <> '']")
        else:
            selects.append(f"nullif(trim({q(f.name)}), '')")
    try:
        # Rows keep the file's order (preserve_insertion_order), so a row's number follows from its rowid.
        base = conn.execute(f"SELECT count(*) FROM {q('raw_rows_' + type_name)}").fetchall()[0][0]
        conn.execute(f"INSERT INTO {q('raw_rows_' + type_name)} SELECT ?, NULL, true, {int(base)}, "
                     f"{', '.join(selects)} FROM {source}", [shown, str(path)])
    except duckdb.Error:
        conn.execute(f"DELETE FROM {q('raw_rows_' + type_name)} WHERE _file = ?", [shown])
        return _insert_csv_row_by_row(conn, schema, type_name, path, shown, delim)
    return []


def _first_row(path: Path, delim: str) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh, delimiter=delim, quotechar='"', doublequote=True), [])


def _insert_csv_row_by_row(conn: duckdb.DuckDBPyConnection, schema: Schema, type_name: str, path: Path,
                           shown: str, delim: str) -> list[Problem]:
    """The slow path for a CSV the bulk reader refused: each row read on its own, so a row with an extra cell
    is its own error (naming its row) and every other row is still read and checked."""
    from riskcheck.registry.reader import RawRow

    rtype = schema.types[type_name]
    problems: list[Problem] = []
    rows: list[RawRow] = []
    unread: list[str] = []
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            records = csv.reader(fh, delimiter=delim, quotechar='"', doublequote=True, strict=True)
            header = [h.strip() for h in next(records, [])]
            problems += [Problem(shown, 1, f"unknown column; {type_name} have {', '.join(rtype.fields)}",
                                 field=col, row_word="row") for col in header if col not in rtype.fields]
            if problems:
                return problems
            for number, cells in enumerate(records, start=2):
                extra = [c for c in cells[len(header):] if c.strip()]
                if extra:
                    values = dict(zip(header, cells))
                    problems.append(Problem(shown, number, f"has {len(cells)} cells but the header names "
                                                           f"{len(header)} columns; this row is not read (a "
                                                           f"'{delim}' inside a cell that is not in quotes?)",
                                            record=(values.get("id") or "").strip() or None, row_word="row"))
                    if (values.get("id") or "").strip():
                        unread.append(values["id"].strip())
                    continue
                values = {}
                for name, cell in zip(header, cells):
                    if cell.strip():
                        values[name] = ([p.strip() for p in cell.split(";") if p.strip()]
                                        if rtype.fields[name].is_list else cell)
                if values:
                    rows.append(RawRow(shown, number, values, {}, by_row=True))
    except (csv.Error, UnicodeDecodeError) as exc:
        return [Problem(shown, None, f"cannot read as CSV: {exc}")]
    insert_rows(conn, schema, type_name, rows)
    if unread:
        conn.executemany("INSERT INTO unread_ids VALUES (?)", [[i] for i in unread])
    return problems


def _typed_column(f: Field) -> str:
    col = q(f.name)
    if f.type == "date":
        return f"{col}, pd_lo({col}) AS {q(f.name + '__lo')}, pd_hi({col}) AS {q(f.name + '__hi')}"
    if f.type == "int":
        return f"CAST({col} AS BIGINT) AS {col}"
    if f.type == "bool":
        return f"lower({col}) = 'true' AS {col}"
    if f.default is not None:
        return f"coalesce({col}, {lit(f.default)}) AS {col}"
    return col


def create_typed_tables(conn: duckdb.DuckDBPyConnection, schema: Schema) -> None:
    """Build the typed layer; call only after validation found no errors."""
    for rtype in schema.types.values():
        cols = ", ".join(_typed_column(f) for f in rtype.fields.values())
        extra = ""
        if rtype.name == "relations":
            ranks = " ".join(f"WHEN {lit(s)} THEN {schema.status_rank(s)}" for s in schema.relation_statuses)
            extra = f", CASE coalesce(status, 'reported') {ranks} END AS status_rank"
        # Sorted by id, so lookups by id skip row groups; relations are looked up too rarely to pay for
        # sorting millions of rows.
        order = "" if rtype.name == "relations" else " ORDER BY id"
        conn.execute(f"CREATE TABLE {q(rtype.name)} AS SELECT {cols}{extra}, _file, _line "
                     f"FROM {q('raw_' + rtype.name)}{order}")
        # The text copy has served validation; a national registry's is a gigabyte DuckDB would otherwise
        # keep evicting to disk and reading back.
        conn.execute(f"DROP VIEW {q('raw_' + rtype.name)}; DROP TABLE {q('raw_rows_' + rtype.name)}")


def create_recorded_kinship(conn: duckdb.DuckDBPyConnection, schema: Schema) -> None:
    """The links the recorded relations give: both directions, blood links derived through recorded
    parents and siblings (kin_blood), and in-laws through a spouse; each with its civil-law degree and line.

    Built once, after identity resolution has rewritten the references of merged person records.
    """
    k = schema.kinship
    conn.execute("CREATE TABLE kin_inverse (kind VARCHAR, inverse VARCHAR)")
    conn.executemany("INSERT INTO kin_inverse VALUES (?, ?)", sorted(k.inverse.items()))
    conn.execute("CREATE TABLE kin_through_spouse (kind VARCHAR, inlaw VARCHAR)")
    conn.executemany("INSERT INTO kin_through_spouse VALUES (?, ?)", sorted(k.through_spouse.items()))
    conn.execute("CREATE TABLE kin_degree (kind VARCHAR, degree INTEGER, line VARCHAR)")
    conn.executemany("INSERT INTO kin_degree VALUES (?, ?, ?)", sorted((kind, d, line) for kind, (d, line)
                                                                     in k.degrees.items()))
    marriage = ", ".join(lit(x) for x in sorted(k.through_marriage))
    # A link through marriage with no recorded start is unknown; a blood link has held "always".
    valid_from = (f"CASE WHEN r.start IS NOT NULL THEN r.start__{{b}} WHEN r.kind IN ({marriage}) THEN NULL "
                  f"ELSE DATE '{MIN_DAY}' END")
    # A view: read both ways, a national registry's relations were 870 MB more to hold, and building them
    # cost more than the few scans of them the derivations and rules make.
    conn.execute(f"""
        CREATE VIEW kin_direct AS
        SELECT l.*, g.degree, g.line, NULL::VARCHAR AS affinity_via FROM (
            SELECT r.id || '>' AS id, r.person_id, r.relative_id, r.kind, r.status, r.status_rank,
                   NULL::VARCHAR AS via, []::VARCHAR[] AS through, [r.id] AS relations,
                   {valid_from.format(b='lo')} AS valid_from__lo, {valid_from.format(b='hi')} AS valid_from__hi,
                   r."end__lo" AS valid_to__lo, r."end__hi" AS valid_to__hi
            FROM relations r
            UNION ALL
            SELECT r.id || '<', r.relative_id, r.person_id, i.inverse, r.status, r.status_rank,
                   NULL, []::VARCHAR[], [r.id],
                   {valid_from.format(b='lo')}, {valid_from.format(b='hi')}, r."end__lo", r."end__hi"
            FROM relations r JOIN kin_inverse i ON i.kind = r.kind
        ) l LEFT JOIN kin_degree g ON g.kind = l.kind
    """)
    create_blood_links(conn, schema)
    # A spouse's close blood relative is an in-law, for as long as the marriage (and the blood link) holds;
    # so is a partner's (`affinity_via` says which: laws differ on in-laws through a partner, and a rule's
    # list of relations decides whether they count).
    # Where a recorded relation of an exact kind, or of the same kind, already joins the two (a father is
    # not also his child's step-parent through his wife), the derived link is left out: one tie, one link.
    # A vaguer recorded relation (`relative`, `cousin`) does not hide it: rules see every path.
    # Bounded as blood links are, to the people the registry records something of and their spouses (the
    # spouse in between may be anyone): a national registry's in-laws of everyone were 1.7 million links,
    # three seconds to derive and a third of every kinship scan, and no rule could use the ones outside.
    exact = ", ".join(lit(x) for x in sorted(k.exact))
    couples = ", ".join(lit(x) for x in sorted(k.couples))
    status, period = _path_of_two("s", "b")
    conn.execute(f"""
        CREATE TABLE kin_spouse AS
        SELECT s.id || b.id AS id, s.person_id, b.relative_id, t.inlaw AS kind, {status},
               s.relative_id AS via, [s.relative_id] || b.through AS through, s.relations || b.relations AS relations,
               {period}, g.degree, g.line, s.kind AS affinity_via
        FROM kin_direct s
        JOIN (SELECT * FROM kin_direct UNION ALL SELECT * FROM kin_blood) b
          ON b.person_id = s.relative_id AND b.relative_id <> s.person_id
        JOIN kin_through_spouse t ON t.kind = b.kind
        JOIN kin_degree g ON g.kind = t.inlaw
        WHERE s.kind IN ({couples}) AND s.person_id IN (SELECT id FROM kin_anchor)
          AND b.relative_id IN (SELECT id FROM kin_anchor)
          -- two anti-joins on equalities: one NOT EXISTS with an OR inside costs DuckDB a second more
          AND NOT EXISTS (SELECT 1 FROM kin_direct d WHERE d.person_id = s.person_id AND d.relative_id = b.relative_id
                          AND d.kind IN ({exact}))
          AND NOT EXISTS (SELECT 1 FROM kin_direct d WHERE d.person_id = s.person_id AND d.relative_id = b.relative_id
                          AND d.kind = t.inlaw)
          -- a grandmother is not also her grandchild's grandparent-in-law through the grandfather
          AND NOT EXISTS (SELECT 1 FROM kin_blood d WHERE d.person_id = s.person_id AND d.relative_id = b.relative_id)
    """)
    conn.execute("DROP TABLE kin_anchor")


def _path_of_two(a: str, b: str) -> tuple[str, str]:
    """SQL columns for a path of two links: its status (the weaker link's), and the period it holds (from
    the later start, unknown if either is, to the earlier end). Two parts, as the tables place them apart."""
    status = (f"CASE WHEN {a}.status_rank <= {b}.status_rank THEN {a}.status ELSE {b}.status END AS status, "
              f"least({a}.status_rank, {b}.status_rank) AS status_rank")
    period = ", ".join(
        [f"CASE WHEN {a}.valid_from__{x} IS NOT NULL AND {b}.valid_from__{x} IS NOT NULL "
         f"THEN greatest({a}.valid_from__{x}, {b}.valid_from__{x}) END AS valid_from__{x}" for x in ("lo", "hi")]
        + [f"least({a}.valid_to__{x}, {b}.valid_to__{x}) AS valid_to__{x}" for x in ("lo", "hi")])
    return status, period


def create_blood_links(conn: duckdb.DuckDBPyConnection, schema: Schema) -> None:
    """`kin_blood`: blood links no record states, derived the civil-law way through a nearest common ancestor.

    A grandchild known only through two `parent` records (or an `adoptive_parent` one: adoption makes kin
    as birth does), an uncle through a parent's recorded sibling, a first cousin through two: each named by the generations up to the common ancestor and down again
    (schema.yaml, `derived_blood`), with the people it passes through, its relations and the weakest
    status along it. Bounded twice, so a national registry stays fast: three generations up, and only
    between people the registry records something of beside their family (a person reference in any record
    type but relations: a tenure, appointing someone, a verdict, a membership, a resignation) and their
    spouses. One link per pair, the nearest; none where a recorded link of an exact kind joins them.
    """
    k = schema.kinship
    names = {(up, down): kind for up, down, kind in k.derived_blood}
    max_up = max(up for up, _ in names)
    max_degree = max(up + down for up, down in names)
    refs = [f"SELECT {q(fname)} AS id FROM {q(tname)} WHERE {q(fname)} IS NOT NULL"
            for tname, rtype in schema.types.items() if tname not in ("persons", "relations")
            for fname, f in rtype.fields.items() if f.type == "ref" and f.to == "persons"]
    conn.execute(f"CREATE TEMP TABLE kin_anchor AS WITH a AS ({' UNION '.join(refs)}) "
                 "SELECT id FROM a UNION SELECT d.relative_id FROM kin_direct d JOIN a ON a.id = d.person_id "
                 f"WHERE d.kind IN ({', '.join(lit(x) for x in sorted(k.couples))})")
    conn.execute("CREATE TABLE kin_blood_kind (up INTEGER, down INTEGER, kind VARCHAR)")
    conn.executemany("INSERT INTO kin_blood_kind VALUES (?, ?, ?)", sorted((u, d, kind) for (u, d), kind in names.items()))
    # One step up: a recorded parent (one generation), grandparent (two), great-grandparent (three); and a
    # recorded sibling, read as a common parent nobody recorded, shared by the two (a node, not a person).
    # Plain columns (one relation id, not lists): the lists are built only on the few hundred thousand
    # paths climbed from the anchored people, not on the millions of links of a national registry.
    conn.execute("""
        CREATE TEMP TABLE kin_step AS
        SELECT person_id, relative_id AS up_id, FALSE AS node,
               CASE kind WHEN 'grandparent' THEN 2 WHEN 'great_grandparent' THEN 3 ELSE 1 END AS gens,
               relations[1] AS rel, status, status_rank, valid_from__lo, valid_from__hi, valid_to__lo, valid_to__hi
        FROM kin_direct
        -- adoption makes kin as birth does, with the adopter's family too (civil codes say so)
        WHERE kind IN ('parent', 'adoptive_parent', 'grandparent', 'great_grandparent') AND person_id <> relative_id
        UNION ALL
        SELECT person_id, 'sibling of ' || relations[1], TRUE, 1, relations[1], status, status_rank,
               valid_from__lo, valid_from__hi, valid_to__lo, valid_to__hi
        FROM kin_direct WHERE kind IN ('sibling', 'half_sibling')
    """)
    conn.execute("CREATE TEMP TABLE kin_up AS SELECT s.person_id, s.up_id, s.node, s.gens, "
                 "CASE WHEN s.node THEN []::VARCHAR[] ELSE [s.up_id] END AS chain, [s.rel] AS relations, s.status, "
                 "s.status_rank, s.valid_from__lo, s.valid_from__hi, s.valid_to__lo, s.valid_to__hi "
                 f"FROM kin_step s JOIN kin_anchor a ON a.id = s.person_id WHERE s.gens <= {max_up}")
    level = "kin_up"
    for n in range(2, max_up + 1):
        conn.execute(f"""
            CREATE TEMP TABLE kin_up_{n} AS
            SELECT u.person_id, s.up_id, s.node, u.gens + s.gens AS gens,
                   u.chain || CASE WHEN s.node THEN []::VARCHAR[] ELSE [s.up_id] END AS chain,
                   list_append(u.relations, s.rel) AS relations, {', '.join(_path_of_two('u', 's'))}
            FROM {level} u JOIN kin_step s ON s.person_id = u.up_id
            WHERE NOT u.node AND u.gens + s.gens <= {max_up} AND s.up_id <> u.person_id
        """)
        conn.execute(f"INSERT INTO kin_up SELECT * FROM kin_up_{n}")
        level = f"kin_up_{n}"
    exact = ", ".join(lit(x) for x in sorted(k.exact))
    conn.execute(f"""
        CREATE TABLE kin_blood AS
        WITH pairs AS (
            -- the direct line: an anchored ancestor, and the same link read from the ancestor's side
            SELECT person_id, up_id AS relative_id, gens AS up, 0 AS down, list_slice(chain, 1, len(chain) - 1)
                   AS through, relations, status, status_rank, valid_from__lo, valid_from__hi, valid_to__lo,
                   valid_to__hi
            FROM kin_up WHERE NOT node AND gens >= 2 AND up_id IN (SELECT id FROM kin_anchor)
            UNION ALL
            SELECT up_id, person_id, 0, gens, list_reverse(list_slice(chain, 1, len(chain) - 1)), relations,
                   status, status_rank, valid_from__lo, valid_from__hi, valid_to__lo, valid_to__hi
            FROM kin_up WHERE NOT node AND gens >= 2 AND up_id IN (SELECT id FROM kin_anchor)
            UNION ALL
            -- the collateral line: up from one to a common ancestor, down to the other
            SELECT a.person_id, b.person_id, a.gens, b.gens,
                   a.chain || list_reverse(CASE WHEN b.node THEN b.chain ELSE list_slice(b.chain, 1, len(b.chain) - 1) END),
                   a.relations || b.relations, {', '.join(_path_of_two('a', 'b'))}
            FROM kin_up a JOIN kin_up b ON b.up_id = a.up_id AND b.node = a.node
            WHERE a.person_id <> b.person_id AND a.gens + b.gens <= {max_degree}
              AND NOT list_contains(a.chain, b.person_id) AND NOT list_contains(b.chain, a.person_id)
        ),
        nearest AS (
            SELECT p.*, n.kind, row_number() OVER (PARTITION BY p.person_id, p.relative_id
                                                   ORDER BY p.up + p.down, len(p.through), p.relations) AS n
            FROM pairs p JOIN kin_blood_kind n ON n.up = p.up AND n.down = p.down
        ),
        chosen AS (SELECT * FROM nearest WHERE n = 1),
        -- the pairs a recorded link of an exact kind (or of the same kind) already joins: found by joining
        -- the few derived pairs to the records, where an anti-join would hash every recorded link
        recorded AS (
            SELECT DISTINCT h.person_id, h.relative_id
            FROM chosen h JOIN kin_direct d ON d.person_id = h.person_id AND d.relative_id = h.relative_id
            WHERE d.kind IN ({exact}) OR d.kind = h.kind
        )
        SELECT 'derived:' || h.person_id || '>' || h.relative_id AS id, h.person_id, h.relative_id, h.kind,
               h.status, h.status_rank, CASE WHEN len(h.through) > 0 THEN h.through[1] END AS via, h.through,
               h.relations, h.valid_from__lo, h.valid_from__hi, h.valid_to__lo, h.valid_to__hi, g.degree, g.line,
               NULL::VARCHAR AS affinity_via
        FROM chosen h JOIN kin_degree g ON g.kind = h.kind
        ANTI JOIN recorded r ON r.person_id = h.person_id AND r.relative_id = h.relative_id
    """)
    for n in range(2, max_up + 1):
        conn.execute(f"DROP TABLE kin_up_{n}")
    conn.execute("DROP TABLE kin_step; DROP TABLE kin_up")  # kin_anchor bounds the in-laws next


def create_kinship(conn: duckdb.DuckDBPyConnection) -> None:
    """The `kinship` view rules bind: the recorded links plus the kinship hints in `kin_hints`.

    A view over the link tables rather than one more table: a national registry's links run to millions
    of rows, and copying them cost seconds and a gigabyte for nothing a scan of the union does not give.
    """
    # Kinship hints (parent and child by name, see riskcheck.names.resolve) where nothing is recorded.
    conn.execute("CREATE TABLE IF NOT EXISTS kin_hints (child VARCHAR, parent VARCHAR)")
    conn.execute(f"""
        CREATE TABLE kin_hint_links AS
        SELECT 'hint:' || h.child || '>' || h.parent AS id, h.child AS person_id, h.parent AS relative_id,
               'parent' AS kind, 'inferred' AS status, 0 AS status_rank, NULL::VARCHAR AS via,
               []::VARCHAR[] AS through, []::VARCHAR[] AS relations, DATE '{MIN_DAY}' AS valid_from__lo,
               DATE '{MIN_DAY}' AS valid_from__hi, NULL::DATE AS valid_to__lo, NULL::DATE AS valid_to__hi,
               1 AS degree, 'direct' AS line, NULL::VARCHAR AS affinity_via
        FROM kin_hints h
    """)  # kin_hints holds no pair a recorded relation joins (riskcheck.registry.identity.insert_hints)
    # Each hint read from both sides: the child's (`parent`) and the parent's (`child`).
    conn.execute("""
        CREATE VIEW kin_hint_links_both AS
        SELECT * FROM kin_hint_links
        UNION ALL
        SELECT 'hint:' || relative_id || '<' || person_id, relative_id, person_id, 'child', status, status_rank,
               via, through, relations, valid_from__lo, valid_from__hi, valid_to__lo, valid_to__hi, degree, line,
               affinity_via
        FROM kin_hint_links
    """)
    conn.execute("""
        CREATE VIEW kinship AS
        SELECT * FROM kin_direct WHERE person_id <> relative_id
        UNION ALL SELECT * FROM kin_hint_links_both
        UNION ALL SELECT * FROM kin_blood
        UNION ALL SELECT * FROM kin_spouse
        UNION ALL
        SELECT k.id || '~', k.relative_id, k.person_id, i.inverse, k.status, k.status_rank, k.via,
               list_reverse(k.through), k.relations, k.valid_from__lo, k.valid_from__hi, k.valid_to__lo,
               k.valid_to__hi, k.degree, k.line, k.affinity_via
        FROM kin_spouse k JOIN kin_inverse i ON i.kind = k.kind
    """)
    # Text forms of the validity bounds: derived links have none (the report shows the relations instead).
    conn.execute("CREATE OR REPLACE VIEW kinship_records AS SELECT *, NULL::VARCHAR AS valid_from, "
                 "NULL::VARCHAR AS valid_to FROM kinship")


MAX_ORG_DEPTH = 50  # deeper than any real hierarchy; a parent_id cycle stops here instead of running forever


def create_org_within(conn: duckdb.DuckDBPyConnection) -> None:
    """`org_within`: each organization with itself (depth 0) and every organization above it (parent_id),
    so a rule can ask for "the agency and everything under it" with one join."""
    conn.execute(f"""
        CREATE TABLE org_within AS
        WITH RECURSIVE up(organization_id, within_id, depth) AS (
            SELECT id, id, 0 FROM organizations
            UNION ALL
            SELECT u.organization_id, o.parent_id, u.depth + 1
            FROM up u JOIN organizations o ON o.id = u.within_id
            WHERE o.parent_id IS NOT NULL AND u.depth < {MAX_ORG_DEPTH}
        )
        SELECT organization_id || '<' || within_id AS id, organization_id, within_id, min(depth) AS depth
        FROM up GROUP BY organization_id, within_id ORDER BY id
    """)
