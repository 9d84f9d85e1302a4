"""Validation of the raw tables with set operations, reporting every problem at once.

Each check is one query over a whole table (missing required fields, values outside an enum,
malformed dates, numbers and booleans, duplicate ids, references to nothing), so validating a
million rows costs a few scans, and each problem still names its file, line (or CSV row),
record and field.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Callable, Collection, Union

import duckdb

from riskcheck.errors import Problem
from riskcheck.registry.store import row_counts
from riskcheck.registry.schema import RecordType, Schema
from riskcheck.sqlio import lit, q
from riskcheck.textsafety import URL_PATTERN

MAX_PROBLEMS_PER_CHECK = 200

FieldLines = dict[tuple[str, int], dict[str, int]]


def validate_raw(conn: duckdb.DuckDBPyConnection, schema: Schema, field_lines: FieldLines,
                 subjects: list[str], case_file: str, as_of: date | None = None,
                 typed: Collection[str] = ()) -> tuple[list[Problem], list[Problem]]:
    """Return (errors, warnings) for the raw tables of one case; `typed`: the record types whose typed tables
    are built already (riskcheck.registry.typed.EARLY_TYPES), whose dates are checked from the bounds there."""
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

    conn.execute("CREATE OR REPLACE TEMP VIEW all_ids AS " + " UNION ALL ".join(
        f"SELECT id, {lit(t)} AS type, _file, _line, _csv FROM {q('raw_' + t)}" for t in schema.types))

    # A small case fills a few of the record types; the checks of an empty one are skipped (each check is a
    # query, and most of a rule's inline test went to checking tables with no rows).
    filled = {t for t, n in row_counts(conn, schema, "raw_rows_").items() if n}
    refs = [(rtype.name, f.name, f.type == "reflist", f.to or "") for rtype in schema.types.values()
            if rtype.name in filled for f in rtype.fields.values() if f.type in ("ref", "reflist")]
    broken = _broken_refs(conn, refs)
    for rtype in schema.types.values():
        if rtype.name not in filled:
            continue
        _check_fields(conn, rtype, field_lines, errors, warnings, rtype.name in typed)
        for ref in refs:
            if ref[0] == rtype.name and ref in broken:
                _check_refs(conn, report, errors, *ref)

    if "persons" in filled:
        _check_identifiers(conn, report, errors, warnings)

    _check_duplicates(conn, report, errors)
    _check_plausible(conn, report, errors, warnings, filled, as_of, typed)

    for subject in subjects:
        if not conn.execute("SELECT 1 FROM raw_persons WHERE id = ?", [subject]).fetchall():
            errors.append(Problem(case_file, None, f"subject {subject!r} names no person", field="subjects"))
    conn.execute("DROP VIEW all_ids; DROP VIEW IF EXISTS person_identifiers; DROP TABLE IF EXISTS dup_ids")
    return errors, warnings


def _check_fields(conn: duckdb.DuckDBPyConnection, rtype: RecordType, field_lines: FieldLines, errors: list[Problem],
                  warnings: list[Problem], typed: bool = False) -> None:
    """The checks of each field's value in one record type (required, enum, date, number, text), in one
    query over its raw table; each failure is an error or a warning naming its line and field. `typed`: the
    type's typed table is built, and its dates are checked there, from the bounds it holds."""
    checks = _field_checks(rtype)
    dated = [c for c in checks if getattr(c[3], "dates", False)] if typed else []
    _report_fields(conn, rtype, [c for c in checks if c not in dated], False, field_lines, errors, warnings)
    if dated:
        # A million birth dates read into their bounds cost a third of a second: typing has done it once.
        _report_fields(conn, rtype, dated, True, field_lines, errors, warnings)


def _report_fields(conn: duckdb.DuckDBPyConnection, rtype: RecordType, checks: list[tuple[str, str, str, Message]],
                   typed: bool, field_lines: FieldLines, errors: list[Problem], warnings: list[Problem]) -> None:
    """Run `checks` in one query over the type's raw table, or (`typed`) its typed one, which holds its dates'
    bounds."""
    raw = not typed
    table = q(rtype.name) if typed else q("raw_" + rtype.name)
    cols = ", ".join(f"CASE WHEN {cond} THEN coalesce(CAST({q(col)} AS VARCHAR), '') END AS c{i}"
                     for i, (col, _, cond, _) in enumerate(checks))
    # The text checks run on every field of every row; one pattern over all of a row's text finds the
    # rare row that needs them, and the per-field checks then say which field (a third of validation
    # time at a million persons, done field by field).
    texts = [_any_text_problem(rtype)] if any(getattr(m, "text_check", False) for *_, m in checks) else []
    any_failed = " OR ".join([f"({cond}) IS TRUE" for _, _, cond, message in checks
                              if not getattr(message, "text_check", False)] + texts)
    # Each date's bounds are computed once here: DuckDB plans every expansion of a macro afresh. A typed table
    # holds them.
    bounds = "".join(f", pd_lo({q(f.name)}) AS {q(f.name + '__lo')}, pd_hi({q(f.name)}) AS {q(f.name + '__hi')}"
                     for f in rtype.fields.values() if f.type == "date") if raw else ""
    # Whether a row was read from a CSV file (numbered by its row) is the raw table's: one kind a file.
    csv = "_csv" if raw else f"(SELECT bool_or(_csv) FROM {q('raw_rows_' + rtype.name)} c WHERE c._file = t._file)"
    rows = conn.execute(f"SELECT _file, _line, {csv}, id, {cols} FROM (SELECT *{bounds} FROM {table}) t "
                        f"WHERE {any_failed} ORDER BY _file, _line LIMIT {MAX_PROBLEMS_PER_CHECK * 5}").fetchall()
    for file, line, csv, record, *values in rows:
        for (col, field, _, message), value in zip(checks, values):
            if value is None:
                continue
            sink = warnings if field == "url" or getattr(message, "warning", False) else errors
            at = line if csv else field_lines.get((file, line), {}).get(field, line)
            sink.append(Problem(file, at, message(value) if callable(message) else message,
                                record=record, field=field, row_word="row" if csv else "line"))


def _check_duplicates(conn: duckdb.DuckDBPyConnection, report, errors: list[Problem]) -> None:
    """An error for every record whose id an earlier record (in file and line order) already uses."""
    # Duplicates are rare: find the ids cheaply first, and say where each was first used only for those.
    dups = [r[0] for r in conn.execute("SELECT id FROM all_ids WHERE id IS NOT NULL GROUP BY id "
                                       f"HAVING count(*) > 1 LIMIT {MAX_PROBLEMS_PER_CHECK}").fetchall()]
    if dups:
        conn.execute("CREATE OR REPLACE TEMP TABLE dup_ids AS SELECT * FROM all_ids WHERE id IN "
                     "(SELECT unnest(?::VARCHAR[]))", [dups])
        dup_sql = """
            SELECT a._file, a._line, a._csv, a.id, first.type || ' at ' || first._file || ' ' ||
                   CASE WHEN first._csv THEN 'row ' ELSE 'line ' END || first._line
            FROM dup_ids a
            JOIN (SELECT id, arg_min(type, (_file, _line)) AS type, min((_file, _line)) AS at,
                         arg_min(_file, (_file, _line)) AS _file, arg_min(_line, (_file, _line)) AS _line,
                         arg_min(_csv, (_file, _line)) AS _csv
                  FROM dup_ids GROUP BY id) first
              ON first.id = a.id AND (a._file, a._line) <> first.at
        """
        report(errors, dup_sql, "id", lambda v: f"the id is used already (by the {v})")


# Events that cannot lie after the date a case is judged at: (record type, field, what nobody is in the future).
NOT_IN_THE_FUTURE = (("persons", "birth_date", "born"), ("verdicts", "verdict_date", "sentenced"),
                     ("verdicts", "in_force_date", "in force"))


def added_rows_problem(conn: duckdb.DuckDBPyConnection, rtype: RecordType, as_of: date | None,
                       targets: dict[str, str]) -> str | None:
    """What would make validation speak of the rows in raw_<type> (rows added to a store kept from the last
    run: riskcheck.registry.kept_store), in words, or None. The checks of validate_raw that look at a row
    alone or at the records it names (`targets`: record type -> SQL of the ids a full load finds of it);
    the caller checks the ids. Any problem means a full load, which reports it where it lies."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    _check_fields(conn, rtype, {}, errors, warnings)
    if errors or warnings:
        return "a changed record has a problem or warning, which a full load reports where it lies"
    table = q("raw_" + rtype.name)
    for f in rtype.fields.values():
        if f.type not in ("ref", "reflist"):
            continue
        col = q(f.name)
        refs = f"SELECT unnest({col}) AS ref FROM {table}" if f.type == "reflist" else f"SELECT {col} AS ref FROM {table}"
        # Only the targets the changed rows name are looked for: an anti-join against every id of the target
        # type hashed all of them (a million persons: a tenth of a second of a re-run, for one added row).
        broken = conn.execute(f"WITH r AS MATERIALIZED ({refs}) SELECT count(*) FROM r ANTI JOIN (SELECT id FROM "
                              f"({targets[f.to or '']}) t WHERE t.id IN (SELECT ref FROM r)) a ON a.id = r.ref "
                              "WHERE r.ref IS NOT NULL").fetchall()[0][0]
        if broken:
            return f"a changed record names no {f.to}, which a full load reports"
    for type_name, field, _ in NOT_IN_THE_FUTURE:
        if type_name == rtype.name and as_of is not None and conn.execute(
                f"SELECT count(*) FROM {table} WHERE pd_lo({q(field)}) > DATE '{as_of.isoformat()}'").fetchall()[0][0]:
            return "a changed record is dated after the case's as_of date, which a full load warns of"
    return None


def _check_plausible(conn: duckdb.DuckDBPyConnection, report, errors: list[Problem], warnings: list[Problem],
                     filled: set[str], as_of: date | None, typed: Collection[str] = ()) -> None:
    """What a careful editor would catch: a person recorded as their own relative (an error), and events dated
    after the date the case is judged at that cannot lie in its future (a birth, a verdict: a warning, since
    one typo in a national registry should not stop the whole case from being checked). `typed`: as validate_raw's,
    the types whose dates are read from the bounds their typed tables hold."""
    if "relations" in filled:
        report(errors, "SELECT _file, _line, _csv, id, relative_id FROM raw_relations WHERE person_id = relative_id",
               "relative_id", lambda v: f"{v!r} is the person themself: a person cannot be their own relative")
    if as_of is not None:
        for type_name, field, words in NOT_IN_THE_FUTURE:
            if type_name not in filled:
                continue
            col = q(field)
            # A million birth dates read into their bounds again cost a tenth of a second: typing has done it.
            rows = (f"SELECT _file, _line, (SELECT bool_or(_csv) FROM {q('raw_rows_' + type_name)} c "
                    f"WHERE c._file = t._file), id, {col} FROM {q(type_name)} t WHERE {q(field + '__lo')}"
                    if type_name in typed else
                    f"SELECT _file, _line, _csv, id, {col} FROM {q('raw_' + type_name)} WHERE pd_lo({col})")
            report(warnings, f"{rows} > DATE '{as_of.isoformat()}' ORDER BY _file, _line", field,
                   lambda v, w=words: f"{v!r} is after the case's as_of date {as_of}: nobody is {w} in the "
                                      "future of the date the case is judged at (a typo in the year?)")


Message = Union[str, Callable[..., str]]  # a problem's words, or a function of the value that words it


def _field_checks(rtype: RecordType) -> list[tuple[str, str, str, Message]]:
    """(column shown, field, SQL condition that flags a problem, message) for one record type's fields."""
    checks: list[tuple[str, str, str, Message]] = []
    for f in rtype.fields.values():
        col = q(f.name)
        if f.required:
            cond = f"{col} IS NULL" if not f.is_list else f"coalesce(len({col}), 0) = 0"
            checks.append((f.name, f.name, cond, f"is required for {rtype.name}"))
        if f.type == "enum":
            values = ", ".join(lit(v) for v in f.values)
            checks.append((f.name, f.name, f"{col} NOT IN ({values})",
                           lambda v, f=f: f"{v!r} is not one of {', '.join(f.values)}"))
        elif f.type == "date":
            lo, hi = q(f.name + "__lo"), q(f.name + "__hi")
            checks.append((f.name, f.name, f"{col} IS NOT NULL AND ({lo} IS NULL OR {hi} IS NULL OR {lo} > {hi})",
                           _not_a_date))
        elif f.type == "int":
            checks.append((f.name, f.name, f"{col} IS NOT NULL AND try_cast({col} AS BIGINT) IS NULL",
                           lambda v: f"{v!r} is not a whole number"))
        elif f.type == "bool":
            checks.append((f.name, f.name, f"{col} IS NOT NULL AND lower({col}) NOT IN ('true', 'false')",
                           lambda v: f"{v!r} is not true or false"))
    if rtype.period:
        start, end = rtype.period
        checks.append((end, end, f"{q(end + '__hi')} < {q(start + '__lo')}", _before(start)))
    if "url" in rtype.fields:
        checks.append(("url", "url", "url IS NOT NULL AND NOT regexp_full_match(trim(url), " + lit(URL_PATTERN) + ")",
                       lambda v: f"{v!r} is not an http(s) address; reports show it as text, not as a link"))
    checks.append(("id", "id", "id IS NOT NULL AND length(id) > 200", "an id must be at most 200 characters"))
    for f in _free_text_fields(rtype):
        text = f"array_to_string({q(f.name)}, ' ')" if f.is_list else q(f.name)
        checks.append((f.name, f.name, f"regexp_matches({text}, '{CONTROL_CHARACTERS}')", _control_message))
        if f.name in SHOWN_AS_NAMES:
            checks.append((f.name, f.name, f"regexp_matches({text}, '\\p{{Cf}}')", _invisible_message))
    return checks


# Control characters (NUL, ESC, BEL, C1 ...) have no place in a record: they reach terminals and pages.
# Tabs and line breaks are text, and are kept.
CONTROL_CHARACTERS = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]"
# Fields a reader takes for who or what a record is: an invisible formatting character there (a
# right-to-left override, a zero-width space) can make one name display as another.
SHOWN_AS_NAMES = {"name", "aliases", "surname", "given_name", "patronymic", "title"}


def _not_a_date(value: str) -> str:
    return (f"{value!r} is not a date (write 2021, 2021-10, 2021-10-15, or an interval such as 2021-10/2022 or "
            "../2021)")


def _before(start: str) -> Message:
    def message(value: str) -> str:
        return f"{value!r} is before the {start} date"
    setattr(message, "dates", True)
    return message


def _control_message(value: str) -> str:
    return f"{value!r} holds a control character; remove it (text may hold tabs and line breaks, nothing else)"


def _invisible_message(value: str) -> str:
    found = sorted({f"U+{ord(ch):04X} {unicodedata.name(ch, 'FORMAT CHARACTER')}"
                    for ch in value if unicodedata.category(ch) == "Cf"})
    return (f"{value!r} holds an invisible formatting character ({', '.join(found)}) that can make it display as "
            "other text; reports show it marked")


setattr(_not_a_date, "dates", True)  # checks that read a date's bounds (_check_fields)
setattr(_invisible_message, "warning", True)
setattr(_control_message, "text_check", True)
setattr(_invisible_message, "text_check", True)


def _free_text_fields(rtype) -> list:
    """Fields whose text no other check constrains. A date, number, yes/no or enum holding a control
    character already fails its own format check, and a reference must equal an id, which is checked here."""
    return [f for f in rtype.fields.values()
            if f.type not in ("date", "int", "bool", "enum", "ref", "reflist")]


def _any_text_problem(rtype) -> str:
    texts = ", ".join(f"array_to_string({q(f.name)}, ' ')" if f.is_list else q(f.name)
                      for f in _free_text_fields(rtype))
    invisible = "|\\p{Cf}" if SHOWN_AS_NAMES & set(rtype.fields) else ""
    return f"regexp_matches(concat_ws(' ', {texts}), '{CONTROL_CHARACTERS}{invisible}')"


Ref = tuple[str, str, bool, str]  # (record type, field, whether a list, the type it refers to)


def _broken_refs(conn: duckdb.DuckDBPyConnection, refs: list[Ref]) -> set[Ref]:
    """The reference fields holding a reference to nothing: one anti-join per target type for all the fields
    that refer to it, so a national registry's persons are hashed once, not once for each of the eight fields
    that name a person. Only these fields are then checked one by one, to say which record and what it names."""
    found: set[Ref] = set()
    for target in sorted({ref[3] for ref in refs}):
        fields = [ref for ref in refs if ref[3] == target]
        union = " UNION ALL ".join(f"SELECT {n} AS n, ref FROM {_ref_source(*ref[:3])}"
                                   for n, ref in enumerate(fields))
        rows = conn.execute(f"SELECT DISTINCT r.n FROM ({union}) r ANTI JOIN {q('raw_' + target)} a ON a.id = r.ref "
                            "ANTI JOIN unread_ids u ON u.id = r.ref").fetchall()
        found.update(fields[n] for (n,) in rows)
    return found


def _ref_source(type_name: str, field: str, is_list: bool) -> str:
    """The references a field holds, one a row, with where each is written."""
    table = q("raw_" + type_name)
    col = q(field)
    if is_list:
        return f"(SELECT _file, _line, _csv, id, unnest({col}) AS ref FROM {table} WHERE {col} IS NOT NULL) r"
    return f"(SELECT _file, _line, _csv, id, {col} AS ref FROM {table} WHERE {col} IS NOT NULL) r"


def _check_refs(conn, report, errors, type_name: str, field: str, is_list: bool, target: str) -> None:
    src = _ref_source(type_name, field, is_list)
    singular = target.rstrip("s")

    def message(ref: str) -> str:
        other = conn.execute("SELECT min(type) FROM all_ids WHERE id = ?", [ref]).fetchall()[0][0]
        if other is None:
            return f"{ref!r} names no {singular}"
        return f"{ref!r} names a record of {other}, not of {target}"

    # The anti-join runs against the target table alone; only broken references are then looked up
    # among all ids, to say what they name instead.
    report(errors, f"SELECT r._file, r._line, r._csv, r.id, r.ref FROM {src} "
                   f"ANTI JOIN {q('raw_' + target)} a ON a.id = r.ref ANTI JOIN unread_ids u ON u.id = r.ref",
           field, message)


# Kazakhstan's IIN: YYMMDD, a digit for century and gender (1/2: 1800s, 3/4: 1900s, 5/6: 2000s; odd: male),
# four serial digits and a check digit (weights 1..11 mod 11; when that gives 10, weights 3..11, 1, 2; a
# second 10 is never issued). Checked in SQL so that a national registry costs one scan.
_IIN_DIGIT = "CAST(substr(v, {i}, 1) AS INTEGER)"
_IIN_SUM1 = " + ".join(f"{_IIN_DIGIT.format(i=i)} * {i}" for i in range(1, 12))
_IIN_SUM2 = " + ".join(f"{_IIN_DIGIT.format(i=i)} * {w}" for i, w in zip(range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]))
_IIN_BIRTH = ("try_cast(printf('%04d-%s-%s', 1800 + 100 * ((CAST(substr(v, 7, 1) AS INTEGER) - 1) // 2) + "
              "CAST(substr(v, 1, 2) AS INTEGER), substr(v, 3, 2), substr(v, 5, 2)) AS DATE)")


def _check_identifiers(conn, report, errors, warnings) -> None:
    """Identifiers are `scheme:value` (an error otherwise); a Kazakh IIN that fails its check digit or
    disagrees with the record's birth date or gender is a warning that names the record."""
    conn.execute("""
        CREATE OR REPLACE TEMP VIEW person_identifiers AS
        SELECT _file, _line, _csv, id, ident, birth_date, gender,
               lower(split_part(ident, ':', 1)) AS scheme, trim(substr(ident, strpos(ident, ':') + 1)) AS v
        FROM (SELECT _file, _line, _csv, id, unnest(identifiers) AS ident, birth_date, gender
              FROM raw_persons WHERE identifiers IS NOT NULL)
    """)
    report(errors, "SELECT _file, _line, _csv, id, ident FROM person_identifiers "
                   "WHERE NOT regexp_full_match(ident, '[A-Za-z][A-Za-z0-9_-]*:\\S+')", "identifiers",
           lambda v: f"{v!r} is not an identifier: write scheme:value, e.g. kz-iin:900101300126")
    iin = "(SELECT * FROM person_identifiers WHERE scheme = 'kz-iin')"
    report(warnings, f"SELECT _file, _line, _csv, id, v FROM {iin} WHERE NOT regexp_full_match(v, '\\d{{12}}')",
           "identifiers", lambda v: f"IIN {v!r} is not 12 digits")
    checked = f"(SELECT *, ({_IIN_SUM1}) % 11 AS c1, ({_IIN_SUM2}) % 11 AS c2 FROM {iin} " \
              "WHERE regexp_full_match(v, '\\d{12}'))"
    report(warnings, f"""SELECT _file, _line, _csv, id, v FROM {checked}
                         WHERE CASE WHEN c1 < 10 THEN c1 WHEN c2 < 10 THEN c2 END IS DISTINCT FROM
                               CAST(substr(v, 12, 1) AS INTEGER)""",
           "identifiers", lambda v: f"IIN {v!r} fails its check digit: a typing error, or not an IIN")
    decoded = (f"(SELECT *, CASE WHEN substr(v, 7, 1) BETWEEN '1' AND '6' THEN {_IIN_BIRTH} END AS born, "
               "CASE WHEN substr(v, 7, 1) IN ('1', '3', '5') THEN 'm' WHEN substr(v, 7, 1) IN ('2', '4', '6') "
               f"THEN 'f' END AS sex FROM {iin} WHERE regexp_full_match(v, '\\d{{12}}'))")
    report(warnings, f"""SELECT _file, _line, _csv, id, v || ' gives ' || CAST(born AS VARCHAR) || ', the record '
                                || birth_date FROM {decoded}
                         WHERE born IS NOT NULL AND birth_date IS NOT NULL
                           AND (born < pd_lo(birth_date) OR born > pd_hi(birth_date))""",
           "identifiers", lambda v: f"IIN and birth date disagree: {v}")
    report(warnings, f"""SELECT _file, _line, _csv, id, v FROM {decoded}
                         WHERE sex IS NOT NULL AND gender IN ('m', 'f') AND sex <> gender""",
           "identifiers", lambda v: f"IIN {v!r} encodes the other gender than the record's")
