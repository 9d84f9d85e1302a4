"""Excel workbooks as record files: read as the person who typed them meant, problems located by sheet and row."""

from __future__ import annotations

import json
from datetime import date, datetime

from openpyxl import Workbook

from riskcheck.cli import main
from riskcheck.registry.load import load_case

from conftest import RULES

CASE_YAML = """\
id: book
title: A case kept in a workbook
as_of: 2024-01-01
sources: [{id: s1, title: Court register, url: "https://example.org/x"}]
organizations: [{id: o-min, name: Ministry}]
positions: [{id: pos-head, title: Head, organization_id: o-min}]
"""


def sheet(book: Workbook, title: str, rows: list[list], formats: dict[str, str] | None = None):
    ws = book.create_sheet(title)
    for row in rows:
        ws.append(row)
    for ref, fmt in (formats or {}).items():
        ws[ref].number_format = fmt
    return ws


def registry_book() -> Workbook:
    """What a journalist types into Excel in a Russian locale: dates as dates, one known only to the month."""
    book = Workbook()
    book.remove(book.active)
    sheet(book, "Persons", [["id", "name", "birth_date", "gender"],
                            ["p-son", "Иманалиев Жандос", datetime(1990, 3, 15), "м"],
                            [],  # a blank row between records is no record
                            ["p-father", "Иманалиев Бахытбек", 1961, "М"]],
          {"C2": "dd.mm.yyyy"})
    sheet(book, "tenures", [["id", "person_id", "position_id", "start"],
                            ["t-son", "p-son", "pos-head", datetime(2022, 3, 1)]], {"D2": "dd.mm.yyyy"})
    sheet(book, "relations", [["id", "person_id", "relative_id", "kind", "sources"],
                              ["r1", "p-son", "p-father", "parent", "s1"]])
    sheet(book, "verdicts", [["id", "person_id", "offence", "category", "outcome", "in_force_date", "sources"],
                             ["v1", "p-father", "bribery", "corruption", "convicted", datetime(2021, 7, 1), "s1"]],
          {"F2": "mmm-yy"})  # typed "2021-07": Excel made it 1 July 2021 and shows "Jul-21"
    sheet(book, "Notes", [["who called whom"], ["the ministry, twice"]])
    return book


def write_book(write_case, book: Workbook, name: str = "registry.xlsx"):
    root = write_case("book", {"case.yaml": CASE_YAML})
    book.save(root / "book" / name)
    return root


def test_a_workbook_is_a_case_that_runs(runner, write_case, tmp_path):
    root = write_book(write_case, registry_book())
    result = runner.invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "cases/book/registry.xlsx: sheet 'Notes' is not read" in result.output
    found = json.loads((tmp_path / "out" / "book" / "findings.json").read_text())["findings"]
    assert [(f["rule"], f["person"], f["status"]) for f in found] == [
        ("kinship-convicted-official", "p-son", "flagged")]


def test_dates_keep_the_precision_the_cell_shows(write_case, tmp_path):
    registry = load_case(write_book(write_case, registry_book()) / "book", tmp_path / "cases")
    try:
        persons = registry.records("persons")
        assert persons["p-son"]["birth_date"] == "1990-03-15"
        assert persons["p-father"]["birth_date"] == "1961"  # a year typed as a number, not 1961.0
        assert registry.records("verdicts")["v1"]["in_force_date"] == "2021-07"  # not 2021-07-01
        assert persons["p-father"]["gender"] == "m"
    finally:
        registry.close()


def test_problems_name_the_file_sheet_row_and_column(runner, write_case):
    book = registry_book()
    book["tenures"].append(["t-bad", "p-son", "pos-head", "31.02.2023"])
    book["Persons"]["E1"] = "birthplace"
    book["relations"]["G2"] = "stray note"
    result = runner.invoke(main, ["validate", str(write_book(write_case, book))])
    assert result.exit_code == 3
    assert ("cases/book/registry.xlsx, sheet 'Persons' row 1: field 'birthplace': unknown column (column E)"
            in result.output)
    assert "cases/book/registry.xlsx, sheet 'relations' row 2: column G has a value but no name in row 1" in result.output
    assert "cases/book/registry.xlsx, sheet 'tenures' row 3: record 't-bad', field 'start':" in result.output


def test_a_workbook_named_after_a_type_holds_it_on_its_first_sheet(write_case, tmp_path):
    book = Workbook()
    book.active.title = "Sheet1"
    for row in [["id", "name", "aliases"], ["p-son", "Son", "Сын; Son Jr"], ["p-father", "Father", None]]:
        book.active.append(row)
    root = write_case("book", {"case.yaml": CASE_YAML})
    book.save(root / "book" / "persons.xlsx")
    registry = load_case(root / "book", root)
    try:
        assert registry.records("persons")["p-son"]["aliases"] == ["Сын", "Son Jr"]
    finally:
        registry.close()


def test_a_damaged_workbook_is_an_error_that_says_what_to_do(runner, write_case):
    root = write_case("book", {"case.yaml": CASE_YAML})
    (root / "book" / "registry.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    result = runner.invoke(main, ["validate", str(root)])
    assert result.exit_code == 3
    assert "cases/book/registry.xlsx: cannot read as an Excel workbook (.xlsx)" in result.output
    assert "save it again as .xlsx, or as CSV UTF-8" in result.output


def test_cell_text_reads_dates_at_their_displayed_precision():
    from riskcheck.registry.schema import load_schema
    from riskcheck.registry.workbook import cell_text

    birth = load_schema().types["persons"].fields["birth_date"]
    name = load_schema().types["persons"].fields["name"]
    day = date(2021, 5, 1)
    assert cell_text(day, "yyyy-mm-dd", birth) == "2021-05-01"
    assert cell_text(day, "mmmm yyyy", birth) == "2021-05"
    assert cell_text(day, '"day "yyyy', birth) == "2021"  # a quoted literal holding a 'd' is not a day
    assert cell_text(day, "[$-419]mmmm yyyy;@", birth) == "2021-05"
    assert cell_text(datetime(2021, 5, 1, 0, 0), "General", birth) == "2021-05-01"
    assert cell_text(900101300126.0, "General", name) == "900101300126"
    assert cell_text(True, "General", name) == "true"
