"""Excel workbooks (.xlsx) as record files, read the way a person who typed them meant them.

A workbook named after a record type (`persons.xlsx`) holds that type on its sheet of the same name, or
else on its first sheet. Any other workbook (`registry.xlsx`) is a registry: each sheet named after a
record type holds that type, and a sheet with another name is named in a warning. As in a CSV, the first
row names the columns and every row below is one record, numbered as Excel numbers it; problems name the
file, the sheet, the row and the column.

Excel turns what people type into dates: "2021-05" becomes 1 May 2021 displayed as "May-21". A date cell
is therefore read at the precision its display format shows (a month stays a month, a year a year), never
as a more exact date than the person gave. Whole numbers come back without Excel's ".0".

A workbook is a zip of XML, and a small one can unpack to gigabytes: before it is opened, the sizes its
parts declare (which bound what zipfile will unpack) and its number of shared strings are held to budgets
measured on crafted files, and a sheet's cells are counted as they are read. A formula cell is read from the
value Excel saved with it, with a warning naming the cells (the value may be older than what the sheet shows);
a formula Excel saved no value for is an error, never an empty cell.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from xml.etree.ElementTree import ParseError, iterparse
from datetime import date, datetime, time
from pathlib import Path

from riskcheck.errors import Problem, RiskcheckError
from riskcheck.registry.raw_row import RawRow
from riskcheck.registry.schema import Field, Schema

MAX_COLUMNS = 200  # a record type has about 20 fields; a sheet wider than this is not a record sheet
# Budgets, measured (bench and tests/test_workbooks.py): openpyxl holds every shared string in memory, about
# 100 bytes for each however short, so a 0.2 MB file of 5 million one-letter strings took 0.5 GB (and 0.5 MB of
# them 2.7 GB). A registry of 100,000 persons has a few hundred thousand distinct texts.
MAX_SHARED_STRINGS = 1_000_000  # strings; a workbook of 990,000 one-letter strings peaks at 130 MB
MAX_PART_BYTES = 100_000_000  # the unpacked size of any one part (a sheet, the shared strings)
MAX_CELLS = 10_000_000  # cells read from all sheets of one workbook, counting the empty ones a row spans
MAX_PROBLEMS = 100  # problems listed per workbook; the count of the rest is given
MAX_NAMED_CELLS = 20  # formula cells named in one warning


class _Refused(RiskcheckError):
    """The workbook is beyond a budget or cannot be read; the message says which and what to do."""


def read_workbook(path: Path, shown: str, schema: Schema) -> tuple[dict[str, list], list[Problem], list[Problem]]:
    """The records of every record sheet: ({type: [RawRow]}, errors, warnings)."""
    from openpyxl import load_workbook  # imported here: most runs read no workbook

    report = _Report(shown)
    try:
        _check_budgets(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's warnings name no file; what matters is checked here
            book = load_workbook(path, read_only=True, data_only=True)
    except _Refused as why:
        return {}, [Problem(shown, None, str(why))], []
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, TypeError, IndexError,
            ParseError, EOFError) as exc:
        return {}, [Problem(shown, None, "cannot read as an Excel workbook (.xlsx): "
                                         f"{_said(exc, path, shown)}; "
                                         "open it in Excel and save it again as .xlsx, or as CSV UTF-8")], []
    try:
        records: dict[str, list] = {}
        budget = [MAX_CELLS]
        for sheet, type_name in _record_sheets(book, Path(shown).stem, schema, shown, report.warnings):
            where = f"{shown}, sheet {sheet.title!r}"
            try:
                formulas = _formula_cells(path, sheet)
                rows = _read_sheet(sheet, type_name, schema, where, report, formulas, budget)
            except _Refused as why:
                return {}, [Problem(where, None, str(why))], report.warnings
            except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError, ParseError,
                    EOFError) as exc:
                return {}, [Problem(where, None, f"cannot be read: {_said(exc, path, shown)}; open the file in "
                                                 "Excel and save it again as .xlsx, or as CSV UTF-8")], report.warnings
            records.setdefault(type_name, []).extend(rows)
        return records, report.finished(), report.warnings
    finally:
        book.close()


class _Report:
    """A workbook's errors, at most MAX_PROBLEMS of them listed and the rest counted."""

    def __init__(self, shown: str):
        self.shown, self.more = shown, 0
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, problem: Problem) -> None:
        if len(self.errors) < MAX_PROBLEMS:
            self.errors.append(problem)
        else:
            self.more += 1

    def finished(self) -> list[Problem]:
        if self.more:
            return self.errors + [Problem(self.shown, None, f"{self.more:,} more problems in this workbook, not "
                                                            "listed: fix those above and validate again")]
        return self.errors


def _said(exc: BaseException, path: Path, shown: str) -> str:
    """What an exception says, without the absolute path it may name (a message shows the path as given)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    for full in sorted({str(path), str(path.resolve()), str(path.parent), str(path.resolve().parent)},
                       key=len, reverse=True):
        text = text.replace(full, shown if full.endswith(path.name) else ".")
    return text


def _check_budgets(path: Path) -> None:
    """Refuse a workbook whose parts would unpack beyond the budgets, before openpyxl unpacks any of them.

    zipfile never unpacks more of a part than the size the archive declares for it, so the declared sizes
    bound the work; the shared strings are counted by streaming their XML, without holding it.
    """
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.file_size > MAX_PART_BYTES:
                raise _Refused(f"part {info.filename!r} unpacks to {info.file_size:,} bytes, more than riskcheck reads "
                               f"({MAX_PART_BYTES:,}); save the records as CSV UTF-8 instead")
        for strings in _shared_string_parts(archive):
            _count_strings(archive, strings)


def _shared_string_parts(archive: zipfile.ZipFile) -> set[str]:
    """The parts holding shared strings: those [Content_Types].xml says are, whatever their names."""
    names = {i.filename for i in archive.infolist()}
    found = {n for n in names if n.lower() == "xl/sharedstrings.xml"}
    if "[Content_Types].xml" in names:
        with archive.open("[Content_Types].xml") as fh:
            for _, element in iterparse(fh):
                if "sharedStrings" in (element.get("ContentType") or ""):
                    part = (element.get("PartName") or "").lstrip("/")
                    found |= {n for n in names if n.lower() == part.lower()}
    return found


_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")


def _count_strings(archive: zipfile.ZipFile, strings: str) -> None:
    count, tail = 0, b""
    with archive.open(strings) as fh:
        while True:
            chunk = fh.read(1 << 20)
            data = tail + chunk
            keep = 64 if chunk else 0  # a tag cut by the chunk's end is counted with the next chunk
            count += sum(1 for m in _STRING_TAG.finditer(data) if m.start() < len(data) - keep)
            tail = data[len(data) - keep:] if keep else b""
            if count > MAX_SHARED_STRINGS:
                raise _Refused(f"holds more than {MAX_SHARED_STRINGS:,} distinct texts (shared strings), more "
                               "than riskcheck reads from one workbook; save the records as CSV UTF-8 instead")
            if not chunk:
                return


def _formula_cells(path: Path, sheet) -> dict[tuple[int, int], tuple[str, bool]]:
    """(row, column) -> (the formula, whether Excel saved a value with it) for every formula cell of a sheet.

    openpyxl, asked for values, gives the saved value of a formula cell and does not say it was one; the
    sheet's XML is read again here, streamed, to find them.
    """
    from openpyxl.utils.cell import coordinate_to_tuple

    out: dict[tuple[int, int], tuple[str, bool]] = {}
    member = getattr(sheet, "_worksheet_path", None)
    if member is None:
        return out
    with zipfile.ZipFile(path) as archive, archive.open(member) as fh:
        row_number, column = 0, 0
        for event, element in iterparse(fh, events=("start", "end")):
            tag = element.tag.rsplit("}", 1)[-1]
            if event == "start":
                if tag == "row":
                    row_number = int(element.get("r") or row_number + 1)
                    column = 0
                continue
            if tag == "c":
                ref = element.get("r")
                row_at, column = coordinate_to_tuple(ref) if ref else (row_number, column + 1)
                formula = next((child for child in element if child.tag.rsplit("}", 1)[-1] == "f"), None)
                if formula is not None:
                    value = next((child for child in element if child.tag.rsplit("}", 1)[-1] == "v"), None)
                    # An empty <v/> is no saved value, except for a formula giving text (t="str"): its "" is
                    saved = value is not None and (bool(value.text) or element.get("t") == "str")
                    out[(row_at, column)] = ((formula.text or "").strip()[:80], saved)
                element.clear()
            elif tag == "row":
                element.clear()
    return out


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


def _read_sheet(sheet, type_name: str, schema: Schema, where: str, report: _Report,
                formulas: dict[tuple[int, int], tuple[str, bool]], budget: list[int]):
    fields = schema.types[type_name].fields
    rows_out = []
    columns: dict[int, Field] = {}  # column index -> field
    unnamed: set[int] = set()
    cached: list[str] = []  # the first MAX_NAMED_CELLS formula cells read from their saved values
    formula_count = 0
    sheet.reset_dimensions()  # the size a sheet declares is not trusted: rows are padded to no declared width
    for number, row in enumerate(sheet.iter_rows(), start=1):
        budget[0] -= len(row) + 1
        if budget[0] < 0:
            raise _Refused(f"holds more than {MAX_CELLS:,} cells (counting the empty ones between them), more than "
                           "riskcheck reads from one workbook; delete the unused rows and columns, or save the "
                           "records as CSV UTF-8")
        if number == 1:
            problems: list[Problem] = []
            columns, unnamed = _header(row[:MAX_COLUMNS], fields, type_name, where, problems)
            for problem in problems:
                report.error(problem)
            if problems:
                return []
            continue
        values: dict = {}
        for index, cell in enumerate(row):
            if cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()):
                if (number, index + 1) in formulas and not formulas[(number, index + 1)][1]:
                    named = columns.get(index)
                    report.error(Problem(where, number, _unsaved(formulas[(number, index + 1)][0], index, number),
                                         field=named.name if named else None, row_word="row"))
                continue
            if index in unnamed or index not in columns:
                report.error(Problem(where, number, f"column {_letter(index)} has a value but no name in row 1",
                                     row_word="row"))
                continue
            spec = columns[index]
            formula = formulas.get((number, index + 1))
            if formula is not None:
                if not formula[1]:
                    report.error(Problem(where, number, _unsaved(formula[0], index, number), field=spec.name,
                                         row_word="row"))
                    continue
                formula_count += 1
                if len(cached) < MAX_NAMED_CELLS:
                    cached.append(f"{_letter(index)}{number}")
            if getattr(cell, "data_type", None) == "e":
                report.error(Problem(where, number, f"cell {_letter(index)}{number} holds the Excel error "
                                                    f"{cell.value}, not a value", field=spec.name, row_word="row"))
                continue
            text = cell_text(cell.value, getattr(cell, "number_format", "General"), spec)
            values[spec.name] = ([p.strip() for p in text.split(";") if p.strip()] if spec.is_list else text)
        if values:
            rows_out.append(RawRow(where, number, values, {}, by_row=True))
    if cached:
        cells_named = ", ".join(cached) + (f" and {formula_count - len(cached):,} more" if formula_count > len(cached) else "")
        report.warnings.append(Problem(where, None, f"cells {cells_named} hold formulas: read as the values Excel saved "
                                                    "with the file, which can be older than what the sheet shows; to "
                                                    "be sure, copy the cells and paste them as values "
                                                    "(Paste Special > Values), then save"))
    return rows_out


def _unsaved(formula: str, index: int, number: int) -> str:
    return (f"cell {_letter(index)}{number} holds the formula ={formula} with no value saved (the file was not "
            "saved by Excel, or not recalculated): riskcheck does not compute formulas; open the file in Excel, "
            "save it, or paste the cells as values (Paste Special > Values)")


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
