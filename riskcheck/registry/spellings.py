"""Values read as the contract's though written otherwise: spelled-out genders, dates as Excel writes them.

The raw view applies these readings (riskcheck.registry.raw) so validation and every rule see the
contract's values; the files that needed them are named in warnings (dotted_date_notes).
"""

from __future__ import annotations

import duckdb

from riskcheck.errors import Problem
from riskcheck.registry.schema import Field, Schema
from riskcheck.sqlio import lit, q

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


def dotted_date(col: str) -> str:
    """SQL reading a column's day.month.year or month.year text as the ISO date it stands for."""
    readings = ", ".join(f"strftime(try_strptime(trim({col}), {lit(src)}), {lit(dst)})" for src, dst in DOTTED_DATES)
    return f"CASE WHEN contains({col}, '.') THEN coalesce({readings}, {col}) ELSE {col} END"


def dotted_date_notes(conn: duckdb.DuckDBPyConnection, schema: Schema) -> list[Problem]:
    """One warning per file that wrote dates day.month.year, with an example of how one was read."""
    parts = []
    for rtype in schema.types.values():
        for f in rtype.fields.values():
            if f.type == "date":
                col = q(f.name)
                parts.append(f"SELECT _file, _csv, {col} AS written, {dotted_date(col)} AS read "
                             f"FROM {q('raw_rows_' + rtype.name)} WHERE contains({col}, '.')")
    if not parts:
        return []
    rows = conn.execute(f"SELECT _file, bool_or(_csv), min(written), arg_min(read, written), count(*) "
                        f"FROM ({' UNION ALL '.join(parts)}) WHERE written <> read GROUP BY _file ORDER BY _file"
                        ).fetchall()
    return [Problem(file, None, f"{count:,} date(s) written day.month.year or month.year (as Excel writes them "
                                f"in a Russian or Kazakh locale) read that way, e.g. {written!r} as {read}")
            for file, _, written, read, count in rows]


def spelled_column(f: Field) -> str:
    """The raw view's column for a field: its value read as the contract spells it (dates, SPELLINGS)."""
    if f.type == "date":
        return f"{dotted_date(q(f.name))} AS {q(f.name)}"
    spellings = SPELLINGS.get(f.name)
    if not spellings:
        return q(f.name)
    col = q(f.name)
    cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in spellings.items())
    # A value already spelled as the contract spells it is taken as it is, and only the others are read: a
    # national registry's genders are nearly all `m` and `f`, and reading each (lower, trim, the list) cost
    # a fifth of a second of CPU a million persons, each time the view was read.
    contract = ", ".join(lit(v) for v in sorted(set(spellings.values())))
    return f"CASE WHEN {col} IN ({contract}) THEN {col} ELSE CASE lower(trim({col})) {cases} ELSE {col} END END AS {col}"

