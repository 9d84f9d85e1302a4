"""A folder that is not what riskcheck expects is said so, never read as 'nothing found'."""

from __future__ import annotations

import pytest

from riskcheck.cli import main
from riskcheck.registry.load import load_case

from conftest import RULES, minimal_case


def run(runner, root, out):
    return runner.invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(out)])


def test_an_empty_folder_is_an_error_not_an_empty_index(runner, tmp_path):
    (tmp_path / "cases").mkdir()
    result = run(runner, tmp_path / "cases", tmp_path / "out")
    assert result.exit_code == 2 and "cases: holds no case folders (a case is a folder with a case.yaml)" in result.output
    assert not (tmp_path / "out" / "index.html").exists()


def test_a_folder_of_record_files_without_case_yaml_says_how_to_make_it_a_case(runner, tmp_path):
    folder = tmp_path / "leak"
    folder.mkdir()
    (folder / "persons.csv").write_text("id,name\np1,A\n")
    (folder / "tenures.csv").write_text("id,person_id,position_id,start\n")
    result = runner.invoke(main, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "holds persons.csv, tenures.csv: to make it one case, add a case.yaml" in result.output


def test_files_riskcheck_does_not_read_are_named_and_an_empty_case_fails(runner, write_case, tmp_path):
    root = write_case("workbook", {"case.yaml": "id: workbook\nas_of: 2024-01-01\n", "persons.CSV": "id,name\np1,A\n",
                                   "persons.tsv": "id\tname\n"})
    (root / "workbook" / "registry.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (root / "workbook" / "notes.md").write_text("# not records\n")
    result = runner.invoke(main, ["validate", str(root)])
    assert result.exit_code == 3
    for name in ("persons.CSV", "persons.tsv", "registry.xls"):
        assert f"cases/workbook/{name}: is not read: riskcheck reads record files named" in result.output, name
    assert "notes.md" not in result.output
    assert "cases/workbook: holds no records (3 file(s) not read, see the warnings)" in result.output


def test_a_person_recorded_as_their_own_relative_is_an_error(runner, write_case):
    case = minimal_case("self").replace("relative_id: p-father", "relative_id: p-son")
    result = runner.invoke(main, ["validate", str(write_case("self", {"case.yaml": case}))])
    assert result.exit_code == 3
    assert "record 'r1', field 'relative_id': 'p-son' is the person themself" in result.output


def test_a_birth_after_the_as_of_date_is_warned_about(runner, write_case):
    case = minimal_case("future").replace("{id: p-son, name: Son}", "{id: p-son, name: Son, birth_date: 2031-05-01}")
    result = runner.invoke(main, ["validate", str(write_case("future", {"case.yaml": case}))])
    assert result.exit_code == 0
    assert ("record 'p-son', field 'birth_date': '2031-05-01' is after the case's as_of date 2024-01-01: nobody "
            "is born in the future") in result.output


def test_validate_reports_a_missing_as_of_beside_the_data_problems(runner, write_case):
    root = write_case("bad", {"case.yaml": "id: bad\npersons: [{id: p1}]\n"})
    result = runner.invoke(main, ["validate", str(root)])
    assert result.exit_code == 3
    assert "record 'p1', field 'name': is required" in result.output and "no as_of date" in result.output


def test_the_obvious_spellings_of_a_gender_are_read(runner, write_case, tmp_path):
    case = minimal_case("genders").replace("{id: p-son, name: Son}", "{id: p-son, name: Son, gender: М}").replace(
        "{id: p-father, name: Father}", "{id: p-father, name: Father, gender: male}")
    root = write_case("genders", {"case.yaml": case, "persons.yaml": "- {id: p-aunt, name: Aunt, gender: ж}\n"
                                                                     "- {id: p-odd, name: Odd, gender: x}\n"})
    result = runner.invoke(main, ["validate", str(root)])
    assert result.exit_code == 3
    assert "record 'p-odd', field 'gender': 'x' is not one of m, f" in result.output
    assert "'М'" not in result.output and "'male'" not in result.output and "'ж'" not in result.output


PERSONS_EXCEL = ("id;name;gender;birth_date\r\np-son;Иманалиев Жандос;м;15.03.1990\r\n"
                 "p-father;Иманалиев Бахытбек;М;03.1961\r\n")


def test_a_csv_saved_from_excel_in_a_russian_locale_is_read_with_warnings(runner, write_case, tmp_path):
    case = minimal_case("excel").replace("persons:\n  - {id: p-son, name: Son}\n  - {id: p-father, name: Father}\n", "")
    root = write_case("excel", {"case.yaml": case})
    (root / "excel" / "persons.csv").write_bytes(PERSONS_EXCEL.encode("cp1251"))
    out = tmp_path / "out"
    result = run(runner, root, out)
    assert result.exit_code == 0, result.output
    assert "cases/excel/persons.csv: not UTF-8; read as Windows-1251" in result.output
    assert "cases/excel/persons.csv row 1: cells are separated by ';'" in result.output
    assert "cases/excel/persons.csv: 2 date(s) written day.month.year or month.year" in result.output
    registry = load_case(root / "excel", root)
    try:
        persons = registry.records("persons")
        assert (persons["p-son"]["birth_date"], persons["p-father"]["birth_date"]) == ("1990-03-15", "1961-03")
    finally:
        registry.close()
    html = (out / "excel" / "report.html").read_text()
    assert "Иманалиев Жандос" in html and "Ð" not in html  # the names, not mojibake


def test_a_byte_order_mark_does_not_hide_the_first_column(runner, write_case):
    case = minimal_case("bom").replace("persons:\n  - {id: p-son, name: Son}\n  - {id: p-father, name: Father}\n", "")
    root = write_case("bom", {"case.yaml": case})
    (root / "bom" / "persons.csv").write_bytes("\ufeffid,name\np-son,Son\np-father,Father\n".encode("utf-8"))
    result = runner.invoke(main, ["validate", str(root)])
    assert result.exit_code == 0, result.output
    assert "unknown column" not in result.output


PERSONS_MULTILINE = 'id,name,notes\np1,A,"line one\nline two"\np2,B,x\np3,,y\n'


@pytest.mark.parametrize("extra_row", ["", "p4,D,z,an extra cell\n"])
def test_rows_keep_their_numbers_past_a_cell_of_several_lines(runner, write_case, extra_row):
    """Read in bulk or (with a broken row) row by row, a row's number is the one a spreadsheet shows."""
    root = write_case("rows", {"case.yaml": "id: rows\nas_of: 2024-01-01\n",
                               "persons.csv": PERSONS_MULTILINE + extra_row + "p5,,w\n",
                               "tenures.csv": "id,person_id,position_id,start\nt1,p4,pos,2020\n"})
    result = runner.invoke(main, ["validate", str(root)])
    assert result.exit_code == 3
    row = 6 if extra_row else 5
    assert "cases/rows/persons.csv row 4: record 'p3', field 'name': is required" in result.output
    assert f"cases/rows/persons.csv row {row}: record 'p5', field 'name': is required" in result.output


def test_a_row_with_an_extra_cell_is_its_own_error_without_follow_on_errors(runner, write_case, tmp_path):
    root = write_case("rows", {"case.yaml": "id: rows\nas_of: 2024-01-01\n",
                               "persons.csv": PERSONS_MULTILINE + "p4,D,z,an extra cell\n",
                               "tenures.csv": "id,person_id,position_id,start\nt1,p4,pos,2020\n"})
    result = runner.invoke(main, ["validate", str(root)])
    assert ("cases/rows/persons.csv row 5: record 'p4': has 4 cells but the header names 3 columns; this row "
            "is not read") in result.output
    assert "'p4' names no person" not in result.output  # the tenure's reference is not a second error
    assert "'pos' names no position" in result.output  # other problems are still found
    assert str(tmp_path) not in result.output


def test_a_later_file_keeps_its_row_numbers_after_a_file_the_bulk_reader_gave_up_on(runner, write_case):
    """A broken row past what DuckDB's sniffer samples makes the bulk insert fail half-way; the file is then read
    row by row, and the next file of the same record type, read in bulk, still numbers its rows as a spreadsheet
    does (its line numbers come from row ids, which a failed insert must not have used up)."""
    rows = ["id,name"] + [f"p{i},N{i}" for i in range(1, 2101)]  # the sniffer reads about 2,000 rows
    rows[2050] = "p2050,N2050,an extra cell"
    root = write_case("two", {"case.yaml": "id: two\nas_of: 2024-01-01\ninclude: [more]\n",
                              "persons.csv": "\n".join(rows) + "\n"})
    (root / "two" / "more").mkdir()
    (root / "two" / "more" / "persons.csv").write_text("id,name\nq1,Q1\nq2,\nq3,Q3\nq1,Again\n")
    result = runner.invoke(main, ["validate", str(root)])
    assert "cases/two/persons.csv row 2051: record 'p2050': has 3 cells" in result.output
    assert "cases/two/more/persons.csv row 3: record 'q2', field 'name': is required for persons" in result.output
    assert ("cases/two/more/persons.csv row 5: record 'q1', field 'id': the id is used already (by the persons at "
            "cases/two/more/persons.csv row 2)") in result.output
