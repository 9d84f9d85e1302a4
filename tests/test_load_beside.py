"""Identity resolution beside validation (riskcheck.registry.load._validated_beside): a case large enough is
validated and typed on a second connection while its persons are resolved. The reports must be the same bytes
as one after the other, and a registry that is not valid must say so exactly as before, whatever resolution did
with it meanwhile."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import riskcheck.registry.load as load
import riskcheck.registry.raw_read as raw_read
from riskcheck.registry import store
from riskcheck.cli import main

from conftest import CASES, RULES, minimal_case, synthetic_registry

ALWAYS, NEVER = 0, 1 << 62  # load.BESIDE_MIN_BYTES: every case beside, or none


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".riskcheck-cache" not in p.parts}


def run(runner, monkeypatch, threshold: int, *args: str, command: str = "run"):
    monkeypatch.setattr(load, "BESIDE_MIN_BYTES", threshold)
    return runner.invoke(main, [command, *args])


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    """A synthetic registry with every kind of record: namesakes, links across sources, kinship hints."""
    return synthetic_registry(tmp_path_factory, 3000)


def test_a_registry_resolved_beside_its_validation_gives_the_same_reports(runner, monkeypatch, registry, tmp_path):
    """Beside, and on DuckDB's threads as a large case is (so the rules over the kinship hints are asked in a
    thread of their own too, riskcheck.rules.what_if), against one step after the other on one thread."""
    one_by_one, beside = tmp_path / "one-by-one", tmp_path / "beside"
    assert run(runner, monkeypatch, NEVER, str(registry), "--rules", str(RULES), "--no-cache",
               "--out", str(one_by_one)).exit_code == 0
    monkeypatch.setattr(store, "SMALL_INPUT_BYTES", 0)
    result = run(runner, monkeypatch, ALWAYS, str(registry), "--rules", str(RULES), "--out", str(beside))
    assert result.exit_code == 0, result.output
    assert tree(beside) == tree(one_by_one)
    # The kept identity and store were made beside too: the next run after a change starts from them.
    again = run(runner, monkeypatch, ALWAYS, str(registry), "--rules", str(RULES), "--out", str(beside))
    assert "reused" in again.output


def test_the_shipped_cases_give_the_same_reports_beside(runner, monkeypatch, shipped_reports, tmp_path):
    """The shipped cases are too small to be resolved beside (they run on one thread): made to, they give the
    reports `riskcheck run cases/` gives."""
    beside = tmp_path / "beside"
    assert run(runner, monkeypatch, ALWAYS, str(CASES), "--no-cache", "--out", str(beside)).exit_code == 0
    assert tree(beside) == tree(shipped_reports)


def invalid_case(write_case) -> Path:
    """Two persons under one id, a date that is no date, a relative nobody recorded."""
    case = (minimal_case("invalid").replace("{id: p-son, name: Son}", "{id: p-son, name: Son, birth_date: 1990-13-45}")
            .replace("relative_id: p-father", "relative_id: p-nobody"))
    case = case.replace("persons:\n", "persons:\n  - {id: p-son, name: Another Son}\n", 1)
    return write_case("invalid", {"case.yaml": case})


def said_alike_both_ways(runner, monkeypatch, cases: Path, exit_code: int = 3) -> str:
    """What `riskcheck validate` says of cases (by default, cases that are not valid), the same beside as one by
    one."""
    said = {}
    for name, threshold in (("one by one", NEVER), ("beside", ALWAYS)):
        result = run(runner, monkeypatch, threshold, str(cases), command="validate")
        assert result.exit_code == exit_code, result.output
        said[name] = result.output
    assert said["beside"] == said["one by one"]
    return said["beside"]


def test_a_registry_that_is_not_valid_says_so_as_before(runner, monkeypatch, write_case, tmp_path):
    said = said_alike_both_ways(runner, monkeypatch, invalid_case(write_case))
    for words in ("the id is used already", "'1990-13-45' is not a date", "'p-nobody'"):
        assert words in said, said


def test_dates_read_from_the_typed_tables_are_refused_as_one_by_one_in_csv_rows_and_yaml_lines(
        runner, monkeypatch, write_case):
    """Beside, the persons' and relations' dates are checked from the bounds their typed tables hold: a date
    that is no date and a relation that ends before it starts, in a CSV file (by its row) and in YAML (by its
    line), are said exactly as one step after the other says them."""
    case = (minimal_case("dates").replace("{id: p-father, name: Father}",
                                          "{id: p-father, name: Father, birth_date: 1950-02-30}")
            .replace("relations: [{id: r1,", "relations: [{id: r1, start: 2001, end: 1999-05,"))
    persons = "id,name,birth_date\np-aunt,Aunt,1961\np-uncle,Uncle,31.02.1958\np-niece,Niece,2001-07\n"
    relations = ("id,person_id,relative_id,kind,start,end,sources\n"
                 "r2,p-aunt,p-father,sibling,,,s1\nr3,p-niece,p-uncle,parent,2010-01-01,2009,s1\n")
    cases = write_case("dates", {"case.yaml": case, "persons.csv": persons, "relations.csv": relations})
    said = said_alike_both_ways(runner, monkeypatch, cases)
    for words in ("line 7: record 'p-father', field 'birth_date': '1950-02-30' is not a date",
                  "row 3: record 'p-uncle', field 'birth_date': '31.02.1958' is not a date",
                  "line 11: record 'r1', field 'end': '1999-05' is before the start date",
                  "row 3: record 'r3', field 'end': '2009' is before the start date"):
        assert words in said, said
    assert "p-niece" not in said and "'1961'" not in said


def test_births_after_the_as_of_date_are_warned_of_as_one_by_one(runner, monkeypatch, write_case):
    """Beside, the birth dates after the date a case is judged at are read from the typed persons' bounds: said
    as one step after the other says them, by CSV row and YAML line, in the files' order."""
    case = minimal_case("later").replace("{id: p-son, name: Son}", "{id: p-son, name: Son, birth_date: 2031-05-01}")
    persons = "id,name,birth_date\np-aunt,Aunt,1961\np-later,Later,2030\np-then,Then,2031-02\n"
    said = said_alike_both_ways(runner, monkeypatch, write_case("later", {"case.yaml": case, "persons.csv": persons}),
                                exit_code=0)
    future = [line for line in said.splitlines() if "is after the case's as_of date" in line]
    assert len(future) == 3, said
    assert "record 'p-son'" in future[0] and "row 3: record 'p-later'" in future[1] \
        and "row 4: record 'p-then'" in future[2], said


def test_validation_has_its_say_before_a_resolution_that_failed(runner, monkeypatch, write_case, tmp_path):
    """A resolution that raises on data validation refuses is not what the user is told; on valid data it is."""
    def broken(*args):
        raise RuntimeError("resolution broke")

    monkeypatch.setattr(load, "resolve_identities", broken)
    result = run(runner, monkeypatch, ALWAYS, str(invalid_case(write_case)), "--out", str(tmp_path / "a"))
    assert result.exit_code == 3
    assert "'1990-13-45' is not a date" in result.output and "resolution broke" not in result.output
    valid = tmp_path / "valid"
    shutil.copytree(CASES / "fictional-ministry-family", valid / "fictional-ministry-family")
    result = run(runner, monkeypatch, ALWAYS, str(valid), "--out", str(tmp_path / "b"))
    assert result.exit_code == 3
    assert "could not be checked" in result.output and "resolution broke" in result.output


def test_reviewers_decisions_enter_a_registry_resolved_beside_as_they_do_one_by_one(runner, monkeypatch, registry,
                                                                                     tmp_path):
    """Decisions go into the persons, relations and sources typed before resolution, and are read by it."""
    root = tmp_path / "registry"
    shutil.copytree(registry, root)
    lines = (root / "synthetic" / "persons.csv").read_text().splitlines()
    ids = [lines[n].split(",", 1)[0] for n in (1, 1001, 1501, 2501)]  # far apart: no family in common
    for a, b, kind in ((ids[0], ids[1], "parent"), (ids[2], ids[3], "same_as")):
        result = runner.invoke(main, ["reviews", "link", str(root), a, b, "--as", kind, "--reviewer", "A. Nurlanova"])
        assert result.exit_code == 0, result.output
    one_by_one, beside = tmp_path / "one-by-one", tmp_path / "beside"
    assert run(runner, monkeypatch, NEVER, str(root), "--rules", str(RULES), "--no-cache",
               "--out", str(one_by_one)).exit_code == 0
    assert run(runner, monkeypatch, ALWAYS, str(root), "--rules", str(RULES), "--no-cache",
               "--out", str(beside)).exit_code == 0
    assert tree(beside) == tree(one_by_one)
    report = (beside / "synthetic" / "report.html").read_text()
    assert "Nurlanova" in report and "is not applied" not in report


def read_one_by_one_and_two_at_once(runner, monkeypatch, cases: Path, *args: str, command: str = "run") -> dict:
    """What a command says of `cases` with its CSV files read one after the other (a small case, on one thread)
    and in two shares at once (riskcheck.registry.raw_read._read_csv_files, as a large case is): checked to be read
    in two shares, both filled, the second time only."""
    shares: list[tuple[list[int], list[int]]] = []
    real = raw_read._two_shares
    monkeypatch.setattr(raw_read, "_two_shares", lambda files: shares.append(real(files)) or shares[-1])
    said = {}
    for name, small in (("one by one", store.SMALL_INPUT_BYTES), ("two at once", 0)):
        monkeypatch.setattr(store, "SMALL_INPUT_BYTES", small)  # 0: on DuckDB's threads, as a large case is
        said[name] = run(runner, monkeypatch, NEVER, str(cases), *(a.format(name=name) for a in args), command=command)
    assert len(shares) == 1 and all(shares[0]), shares
    return said


# What `excel_saved_case` makes riskcheck say, whoever reads its files and however.
EXCEL_SAVED_WORDS = ("persons.csv: not UTF-8; read as Windows-1251", "persons.csv row 1: cells are separated by ';'",
                     "'31.02.1961' is not a date", "relations.csv row 2: record 'r2', field 'start': '2001-13'",
                     "tenures.csv row 3: record 't3': has 7 cells but the header names 6 columns",
                     "tenures.csv row 4: record 't4', field 'start': '2021-02-30' is not a date")


def excel_saved_case(write_case) -> Path:
    """A case not valid in three files: persons saved from Excel in a Russian locale (Windows-1251, `;`), a row
    with a cell too many and dates that are no dates (EXCEL_SAVED_WORDS)."""
    case = minimal_case("shares").replace("persons:\n  - {id: p-son, name: Son}\n  - {id: p-father, name: Father}\n", "")
    relations = ("id,person_id,relative_id,kind,start,end,sources\n"
                 "r2,p-son,p-father,child,2001-13,,s1\nr3,p-father,p-son,parent,,1999/2001/2003,s1\n")
    tenures = ("id,person_id,position_id,start,end,sources\n"
               "t2,p-son,pos-1,2020-01-10,,s1\nt3,p-father,pos-1,2019,2018,s1,extra\nt4,p-son,pos-1,2021-02-30,,s1\n")
    cases = write_case("shares", {"case.yaml": case, "relations.csv": relations, "tenures.csv": tenures})
    (cases / "shares" / "persons.csv").write_bytes(
        "id;name;gender;birth_date\r\np-son;Иманалиев Жандос;м;15.03.1990\r\np-father;Бахытбек;М;31.02.1961\r\n"
        .encode("cp1251"))
    return cases


def test_csv_files_read_two_at_once_say_what_one_after_the_other_says(runner, monkeypatch, write_case):
    """A file saved from Excel in a Russian locale, a row with a cell too many and dates that are no dates, across
    both shares, are said in the same words, files and rows as when the files are read one by one."""
    said = read_one_by_one_and_two_at_once(runner, monkeypatch, excel_saved_case(write_case), command="validate")
    assert said["one by one"].exit_code == said["two at once"].exit_code == 3
    assert said["two at once"].output == said["one by one"].output
    for words in EXCEL_SAVED_WORDS:
        assert words in said["two at once"].output, said["two at once"].output


def test_warnings_of_csv_files_read_two_at_once_come_in_the_files_order(runner, monkeypatch, write_case, tmp_path):
    """A valid case's warnings come in the files' order whichever share read each file (the problems of one that
    is not valid are sorted), and the reports are the same bytes."""
    case = minimal_case("shares").replace("persons:\n  - {id: p-son, name: Son}\n  - {id: p-father, name: Father}\n", "")
    cases = write_case("shares", {"case.yaml": case,
                                  "relations.csv": "id;person_id;relative_id;kind;sources\nr2;p-son;p-father;child;s1\n",
                                  "sources.csv": "id;title;kind\ns2;A registry;official\n"})
    (cases / "shares" / "persons.csv").write_bytes(
        "id;name;birth_date\r\np-son;Иманалиев Жандос;15.03.1990\r\np-father;Бахытбек;1961\r\n".encode("cp1251"))
    said = read_one_by_one_and_two_at_once(runner, monkeypatch, cases, "--rules", str(RULES), "--no-cache", "--out",
                                           str(tmp_path / "{name}"))
    assert said["one by one"].exit_code == said["two at once"].exit_code == 0, said["two at once"].output
    warned = said["two at once"].stderr
    assert warned == said["one by one"].stderr
    assert warned.index("persons.csv row 1") < warned.index("relations.csv row 1") < warned.index("sources.csv row 1"), warned
    assert tree(tmp_path / "two at once") == tree(tmp_path / "one by one")
