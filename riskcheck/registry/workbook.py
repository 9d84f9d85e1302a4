"""Excel workbooks (.xlsx) as record files, read the way a person who typed them meant them.

A workbook named after a record type (`persons.xlsx`) holds that type on its sheet of the same name, or
else on its first sheet. Any other workbook (`registry.xlsx`) is a registry: each sheet named after a
record type holds that type, and a sheet with another name is named in a warning. As in a CSV, the first
row names the columns and every row below is one record, numbered as Excel numbers it; problems name the
file, the sheet, the row and the column.

Excel turns what people type into dates: "2021-05" becomes 1 May 2021 displayed as "May-21". A date cell
is therefore read at the precision its display format shows (a month stays a month, a year a year), never
as a more exact date than the person gave. Whole numbers come back without Excel's ".0".
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path

from riskcheck.errors import Problem
from riskcheck.registry.schema import Field, Schema

MAX_COLUMNS = 200  # a record type has about 20 fields; a sheet wider than this is not a record sheet


def read_workbook(path: Path, shown: str, schema: Schema) -> tuple[dict[str, list], list[Problem], list[Problem]]:
    """The records of every record sheet: ({type: [RawRow]}, errors, warnings)."""
    from openpyxl import load_workbook  # imported here: most runs read no workbook

    errors: list[Problem] = []
    warnings: list[Problem] = []
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        return {}, [Problem(shown, None, "cannot read as an Excel workbook (.xlsx): "
                                         f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}; "
                                         "open it in Excel and save it again as .xlsx, or as CSV UTF-8")], []
    try:
        records: dict[str, list] = {}
        for sheet, type_name in _record_sheets(book, Path(shown).stem, schema, shown, warnings):
            where = f"{shown}, sheet {sheet.title!r}"
            rows, problems = _read_sheet(sheet, type_name, schema, where)
            records.setdefault(type_name, []).extend(rows)
            errors += problems
        return records, errors, warnings
    finally:
        book.close()


def _record_sheets(book, stem: str, schema: Schema, shown: str, warnings: list[Problem]):
    by_name = {ws.title.strip().lower(): ws for ws in book.worksheets}
    if stem in schema.types:
        sheet = by_name.get(stem, book.worksheets[0])
        for other in book.worksheets:
            if other is not sheet and other.max_row and other.max_row > 1:
                warnings.append(Problem(shown, None, f"sheet {other.title!r} is not read: a workbook named "
                                                     f"{stem}.xlsx holds {stem} on sheet {sheet.title!r}"))
        return [(sheet, stem)]
    chosen = []
    for ws in book.worksheets:
        name = ws.title.strip().lower()
        if name in schema.types:
            chosen.append((ws, name))
        else:
            warnings.append(Problem(shown, None, f"sheet {ws.title!r} is not read: riskcheck reads the sheets "
                                                 f"named after a record type ({', '.join(schema.types)})"))
    if not chosen:
        warnings.append(Problem(shown, None, "holds no sheet named after a record type: name each sheet "
                                             "persons, tenures, ... or the file <type>.xlsx"))
    return chosen


def _read_sheet(sheet, type_name: str, schema: Schema, where: str):
    from riskcheck.registry.reader import RawRow

    fields = schema.types[type_name].fields
    problems: list[Problem] = []
    rows_out = []
    columns: dict[int, Field] = {}  # column index -> field
    unnamed: set[int] = set()
    for number, row in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
        if number == 1:
            columns, unnamed = _header(row, fields, type_name, where, problems)
            if problems:
                return [], problems
            continue
        values: dict = {}
        for index, cell in enumerate(row):
            if cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()):
                continue
            if index in unnamed or index not in columns:
                problems.append(Problem(where, number, f"column {_letter(index)} has a value but no name in "
                                                       "row 1", row_word="row"))
                continue
            spec = columns[index]
            text = cell_text(cell.value, getattr(cell, "number_format", "General"), spec)
            values[spec.name] = ([p.strip() for p in text.split(";") if p.strip()] if spec.is_list else text)
        if values:
            rows_out.append(RawRow(where, number, values, {}, by_row=True))
    return rows_out, problems


def _header(row, fields: dict[str, Field], type_name: str, where: str, problems: list[Problem]):
    columns: dict[int, Field] = {}
    unnamed: set[int] = set()
    seen: dict[str, str] = {}
    for index, cell in enumerate(row):
        name = str(cell.value).strip() if cell.value is not None else ""
        if not name:
            unnamed.add(index)
            continue
        letter = _letter(index)
        if name not in fields:
            problems.append(Problem(where, 1, f"unknown column (column {letter}); {type_name} have "
                                              f"{', '.join(fields)}", field=name, row_word="row"))
        elif name in seen:
            problems.append(Problem(where, 1, f"column {letter} repeats column {seen[name]}", field=name,
                                    row_word="row"))
        else:
            seen[name] = letter
            columns[index] = fields[name]
    return columns, unnamed


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def cell_text(value, number_format: str, spec: Field) -> str:
    """A cell's value as the text the person meant (dates at the precision the cell displays)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        day = value.date() if isinstance(value, datetime) else value
        if spec.type != "date":
            return day.isoformat()
        shown = _QUOTED.sub("", (number_format or "").lower())
        if "d" in shown or not any(c in shown for c in "ym"):
            return day.isoformat()
        if "m" in shown:
            return f"{day.year:04d}-{day.month:02d}"
        return f"{day.year:04d}"
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
