"""CSV files into the raw tables: in bulk where DuckDB can, row by row where it cannot, in the encodings Excel writes.

A million-row file never becomes a million Python objects: DuckDB reads it. A file saved from Excel in a
Russian or Kazakh locale (a byte-order mark, `;` between cells, Windows-1251) is read as it comes and named
in a warning; a file the bulk reader refuses is read row by row so each bad row is its own error.
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
from riskcheck.registry.raw import insert_rows
from riskcheck.registry.raw_row import RawRow
from riskcheck.registry.schema import Schema
from riskcheck.sqlio import lit, q


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
    """The file as UTF-8: as it is, or transcoded into a temporary copy. A byte-order mark (Excel's "CSV
    UTF-8") is read in place: DuckDB and this module's own reads skip it, so a national file is not copied."""
    # The first megabyte decides (a Cyrillic export shows it at once); a bad byte later is DuckDB's error,
    # with its row. Reading every file twice would cost a national run half a second.
    with open(path, "rb") as fh:
        sample = fh.read(1 << 20)
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the end of the sample
            notes.append(Problem(shown, None, "not UTF-8; read as Windows-1251 (Cyrillic, as Excel saves it "
                                              "in a Russian or Kazakh locale). Check the names look right, or save "
                                              "the file as CSV UTF-8"))
            with tempfile.TemporaryDirectory(prefix="riskcheck-") as tmp:
                copy = Path(tmp) / "records.csv"
                with open(path, encoding="cp1251", newline="") as src, \
                        open(copy, "w", encoding="utf-8", newline="") as dst:
                    shutil.copyfileobj(src, dst)
                yield copy
            return
    yield path


def _delimiter(path: Path, shown: str, notes: list[Problem]) -> str:
    """`,` as the contract says, or `;` when the header uses only that (Excel's CSV in many locales)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
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
    except duckdb.InterruptException:
        raise  # stopped (riskcheck.registry.read_ahead), not refused: nothing to read row by row
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
            selects.append(_list_cells(q(f.name)))
        else:
            selects.append(f"nullif(trim({q(f.name)}), '')")
    try:
        # Rows keep the file's order (preserve_insertion_order), so a row's number follows from its rowid.
        base = conn.execute(f"SELECT count(*) FROM {q('raw_rows_' + type_name)}").fetchall()[0][0]
        conn.execute(f"INSERT INTO {q('raw_rows_' + type_name)} SELECT ?, NULL, true, {int(base)}, "
                     f"{', '.join(selects)} FROM {source}", [shown, str(path)])
    except duckdb.InterruptException:
        raise
    except duckdb.Error:
        conn.execute(f"DELETE FROM {q('raw_rows_' + type_name)} WHERE _file = ?", [shown])
        return _insert_csv_row_by_row(conn, schema, type_name, path, shown, delim)
    return []


def _list_cells(col: str) -> str:
    """SQL of a list cell's items (`a; b`), trimmed, empty ones left out. A cell of one item (nearly all of a
    national registry's `sources`) skips the split and the list comprehension, a third of the cost of reading
    its relations."""
    return (f"CASE WHEN contains({col}, ';') THEN [trim(x) FOR x IN string_split({col}, ';') IF trim(x) <> ''] "
            f"WHEN trim({col}) <> '' THEN [trim({col})] WHEN {col} IS NOT NULL THEN []::VARCHAR[] END")


def _first_row(path: Path, delim: str) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh, delimiter=delim, quotechar='"', doublequote=True), [])


def _insert_csv_row_by_row(conn: duckdb.DuckDBPyConnection, schema: Schema, type_name: str, path: Path,
                           shown: str, delim: str) -> list[Problem]:
    """The slow path for a CSV the bulk reader refused: each row read on its own, so a row with an extra cell
    is its own error (naming its row) and every other row is still read and checked."""
    rtype = schema.types[type_name]
    problems: list[Problem] = []
    rows: list[RawRow] = []
    unread: list[str] = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            records = csv.reader(fh, delimiter=delim, quotechar='"', doublequote=True, strict=True)
            header = [h.strip() for h in next(records, [])]
            problems += [Problem(shown, 1, f"unknown column; {type_name} have {', '.join(rtype.fields)}",
                                 field=col, row_word="row") for col in header if col not in rtype.fields]
            if problems:
                return problems
            for number, cells in enumerate(records, start=2):
                extra = [c for c in cells[len(header):] if c.strip()]
                if extra:
                    written = dict(zip(header, cells))
                    problems.append(Problem(shown, number, f"has {len(cells)} cells but the header names "
                                                           f"{len(header)} columns; this row is not read (a "
                                                           f"'{delim}' inside a cell that is not in quotes?)",
                                            record=(written.get("id") or "").strip() or None, row_word="row"))
                    if (written.get("id") or "").strip():
                        unread.append(written["id"].strip())
                    continue
                values: dict[str, str | list[str] | None] = {}
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

