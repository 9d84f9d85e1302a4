"""Validation of the raw tables with set operations, reporting every problem at once.

Each check is one query over a whole table (missing required fields, values outside an enum,
malformed dates, numbers and booleans, duplicate ids, references to nothing), so validating a
million rows costs a few scans, and each problem still names its file, line (or CSV row),
record and field.
"""

from __future__ import annotations

import duckdb

from riskcheck.errors import Problem
from riskcheck.registry.store import lit, q
from riskcheck.registry.schema import Schema

MAX_PROBLEMS_PER_CHECK = 200

FieldLines = dict[tuple[str, int], dict[str, int]]


def validate_raw(conn: duckdb.DuckDBPyConnection, schema: Schema, field_lines: FieldLines,
                 subjects: list[str], case_file: str) -> tuple[list[Problem], list[Problem]]:
    """Return (errors, warnings) for the raw tables of one case."""
    errors: list[Problem] = []
    warnings: list[Problem] = []

    def report(sink: list[Problem], sql: str, field: str | None, message) -> None:
        rows = conn.execute(sql + f" LIMIT {MAX_PROBLEMS_PER_CHECK + 1}").fetchall()
        for file, line, csv, record, value in rows[:MAX_PROBLEMS_PER_CHECK]:
            if not csv and field:
                line = field_lines.get((file, line), {}).get(field, line)
            sink.append(Problem(file, line, message(value) if callable(message) else message,
                                record=record, field=field, row_word="row" if csv else "line"))
        if len(rows) > MAX_PROBLEMS_PER_CHECK:
            sink.append(Problem(rows[0][0], None, f"more problems of this kind in field {field!r} not shown"))

    conn.execute("CREATE OR REPLACE TEMP TABLE all_ids AS " + " UNION ALL ".join(
        f"SELECT id, {lit(t)} AS type, _file, _line, _csv FROM {q('raw_' + t)}" for t in schema.types))

    for rtype in schema.types.values():
        table = q("raw_" + rtype.name)
        base = f"SELECT _file, _line, _csv, id, {{col}} FROM {table} WHERE "
        for f in rtype.fields.values():
            col = q(f.name)
            sel = base.format(col=col)
            if f.required:
                cond = f"{col} IS NULL" if not f.is_list else f"coalesce(len({col}), 0) = 0"
                report(errors, sel + cond, f.name, f"is required for {rtype.name}")
            if f.type == "enum":
                values = ", ".join(lit(v) for v in f.values)
                report(errors, sel + f"{col} NOT IN ({values})", f.name,
                       lambda v, f=f: f"{v!r} is not one of {', '.join(f.values)}")
            elif f.type == "date":
                report(errors, sel + f"{col} IS NOT NULL AND pd_lo({col}) IS NULL", f.name,
                       lambda v: f"{v!r} is not a date (write 2021, 2021-10, 2021-10-15, or an interval "
                                 f"such as 2021-10/2022 or ../2021)")
            elif f.type == "int":
                report(errors, sel + f"{col} IS NOT NULL AND try_cast({col} AS BIGINT) IS NULL", f.name,
                       lambda v: f"{v!r} is not a whole number")
            elif f.type == "bool":
                report(errors, sel + f"{col} IS NOT NULL AND lower({col}) NOT IN ('true', 'false')", f.name,
                       lambda v: f"{v!r} is not true or false")
            elif f.type in ("ref", "reflist"):
                _check_refs(report, errors, rtype.name, f.name, f.type == "reflist", f.to)
        period = rtype.period
        if period:
            start, end = (q(p) for p in period)
            report(errors, base.format(col=end) + f"pd_hi({end}) < pd_lo({start})", period[1],
                   lambda v, s=period[0]: f"{v!r} is before the {s} date")
        if "url" in rtype.fields:
            report(warnings, base.format(col='url') + "url IS NOT NULL AND NOT regexp_full_match(url, "
                   "'https?://[^\\s<>\"]+')", "url",
                   lambda v: f"{v!r} is not an http(s) address; reports show it as text, not as a link")
        report(errors, base.format(col="id") + "id IS NOT NULL AND (length(id) > 200 OR "
               "regexp_matches(id, '[\\x00-\\x1f]'))", "id", "an id must be at most 200 characters, "
               "with no control characters")

    dup_sql = """
        SELECT a._file, a._line, a._csv, a.id, first.type || ' at ' || first._file || ' ' ||
               CASE WHEN first._csv THEN 'row ' ELSE 'line ' END || first._line
        FROM all_ids a
        JOIN (SELECT id, arg_min(type, (_file, _line)) AS type, min((_file, _line)) AS at,
                     arg_min(_file, (_file, _line)) AS _file, arg_min(_line, (_file, _line)) AS _line,
                     arg_min(_csv, (_file, _line)) AS _csv
              FROM all_ids WHERE id IS NOT NULL GROUP BY id HAVING count(*) > 1) first
          ON first.id = a.id AND (a._file, a._line) <> first.at
    """
    report(errors, dup_sql, "id", lambda v: f"the id is used already (by the {v})")

    for subject in subjects:
        if not conn.execute("SELECT 1 FROM raw_persons WHERE id = ?", [subject]).fetchall():
            errors.append(Problem(case_file, None, f"subject {subject!r} names no person", field="subjects"))
    return errors, warnings


def _check_refs(report, errors, type_name: str, field: str, is_list: bool, target: str) -> None:
    table = q("raw_" + type_name)
    col = q(field)
    if is_list:
        src = (f"(SELECT _file, _line, _csv, id, unnest({col}) AS ref FROM {table} "
               f"WHERE {col} IS NOT NULL) r")
    else:
        src = f"(SELECT _file, _line, _csv, id, {col} AS ref FROM {table} WHERE {col} IS NOT NULL) r"
    singular = target.rstrip("s")
    report(errors, f"SELECT r._file, r._line, r._csv, r.id, r.ref FROM {src} "
                   f"LEFT JOIN (SELECT DISTINCT id FROM all_ids) a ON a.id = r.ref WHERE a.id IS NULL",
           field, lambda v: f"{v!r} names no {singular}")
    report(errors, f"SELECT r._file, r._line, r._csv, r.id, r.ref || ' is a ' || a.type FROM {src} "
                   f"JOIN all_ids a ON a.id = r.ref WHERE a.type <> {lit(target)} "
                   f"AND r.ref NOT IN (SELECT id FROM all_ids WHERE type = {lit(target)})",
           field, lambda v: f"{v.split(' is a ')[0]!r} names a record of {v.split(' is a ')[1]}, "
                            f"not of {target}")
