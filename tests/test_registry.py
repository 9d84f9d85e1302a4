"""Loading and validating case data: every error at once, each with file, line, record and field."""

import pytest

from riskcheck.errors import ProblemError
from riskcheck.registry.load import load_case

from conftest import minimal_case


def load(root, case_id):
    return load_case((root / case_id).resolve(), root.resolve())


def problems_of(root, case_id) -> list[str]:
    with pytest.raises(ProblemError) as exc:
        load(root, case_id)
    return [str(p) for p in exc.value.problems]


def test_a_valid_case_loads_with_counts(write_case):
    root = write_case("small", {"case.yaml": minimal_case()})
    registry = load(root, "small")
    assert registry.counts()["persons"] == 2
    assert registry.records("persons")["p-son"]["name"] == "Son"


def test_all_errors_are_reported_with_file_line_record_and_field(write_case):
    root = write_case("bad", {
        "case.yaml": "id: bad\nas_of: 2024-01-01\n",
        "persons.yaml": "- {id: p1, name: One}\n- {id: p2}\n",
        "tenures.yaml": """\
            - id: t1
              person_id: p1
              position_id: pos-x
              start: 2021-13
            - {id: t2, person_id: p1, position_id: pos-x, start: 2020, colour: red}
            - {id: t3, person_id: p1, position_id: pos-x, start: 2022/2021}
            """,
    })
    messages = problems_of(root, "bad")
    assert "cases/bad/tenures.yaml line 3: record 't1', field 'position_id': 'pos-x' names no position" in messages
    assert any(m.startswith("cases/bad/tenures.yaml line 4: record 't1', field 'start': '2021-13' is not a date")
               for m in messages)
    assert "cases/bad/persons.yaml line 2: record 'p2', field 'name': is required for persons" in messages
    assert any(m.startswith("cases/bad/tenures.yaml line 5: record 't2', field 'colour': unknown field")
               for m in messages)
    assert any(m.startswith("cases/bad/tenures.yaml line 6: record 't3', field 'start': '2022/2021' is not a date")
               for m in messages)


def test_csv_errors_name_the_row(write_case):
    root = write_case("csvcase", {
        "case.yaml": "id: csvcase\nas_of: 2024-01-01\n",
        "persons.csv": "id,name,gender,aliases\np1,One,m,Uno;Ein\np2,Two,x,\n",
    })
    messages = problems_of(root, "csvcase")
    assert messages == ["cases/csvcase/persons.csv row 3: record 'p2', field 'gender': 'x' is not one of m, f"]


def test_csv_rows_are_numbered_per_file_when_one_type_comes_from_several(write_case, tmp_path):
    """Rows of a case's persons.csv and of an included folder's persons.csv each count from their own header."""
    root = write_case("two", {
        "case.yaml": "id: two\nas_of: 2024-01-01\ninclude: [../_shared]\n",
        "persons.csv": "id,name,gender\np1,One,m\np2,Two,m\np3,Three,q\n",
    })
    shared = root / "_shared"
    shared.mkdir()
    (shared / "persons.csv").write_text("id,name,gender\ns1,Shared One,f\ns2,Shared Two,z\n", encoding="utf-8")
    messages = problems_of(root, "two")
    assert sorted(messages) == sorted([
        "cases/two/persons.csv row 4: record 'p3', field 'gender': 'q' is not one of m, f",
        "cases/_shared/persons.csv row 3: record 's2', field 'gender': 'z' is not one of m, f"])


def test_csv_lists_are_split_on_semicolons(write_case):
    root = write_case("csvok", {
        "case.yaml": "id: csvok\nas_of: 2024-01-01\n",
        "persons.csv": 'id,name,aliases\np1,"Tokayev, K.", Токаев ; Tokaev \n',
    })
    person = load(root, "csvok").records("persons")["p1"]
    assert person["name"] == "Tokayev, K." and person["aliases"] == ["Токаев", "Tokaev"]


def test_duplicate_ids_across_types_are_errors(write_case):
    root = write_case("dup", {"case.yaml": """\
        id: dup
        persons: [{id: x1, name: A}]
        organizations: [{id: x1, name: B}]
        """})
    messages = problems_of(root, "dup")
    assert any("field 'id': the id is used already (by the" in m for m in messages)


def test_reference_to_the_wrong_type_is_named(write_case):
    root = write_case("wrongtype", {"case.yaml": """\
        id: wrongtype
        persons: [{id: p1, name: A}]
        organizations: [{id: o1, name: B}]
        positions: [{id: pos1, title: T, organization_id: p1}]
        """})
    assert any("'p1' names a record of persons, not of organizations" in m for m in problems_of(root, "wrongtype"))


def test_includes_merge_shared_records_and_cannot_leave_the_cases_folder(write_case, tmp_path):
    root = write_case("_shared", {"organizations.yaml": "- {id: o1, name: Shared org}\n"})
    write_case("uses", {"case.yaml": "id: uses\ninclude: [../_shared]\npositions: [{id: pos1, title: T, organization_id: o1}]\n"},
               root)
    assert load(root, "uses").counts()["organizations"] == 1
    (tmp_path / "outside.yaml").write_text("persons: [{id: p9, name: Outside}]\n")
    write_case("escape", {"case.yaml": "id: escape\ninclude: [../../outside.yaml]\n"}, root)
    assert any("lies outside the cases folder" in m for m in problems_of(root, "escape"))


def test_case_id_must_match_folder_and_be_a_slug(write_case):
    root = write_case("Bad_Name", {"case.yaml": "id: Bad_Name\n"})
    assert any("lower-case letters" in m for m in problems_of(root, "Bad_Name"))


def test_in_laws_are_derived_through_a_marriage(write_case):
    # In-laws, like derived blood links, join people the registry records something of besides their
    # family (here a post each) and their spouses; the wife's mother holds none, and is left out.
    root = write_case("inlaws", {"case.yaml": """\
        id: inlaws
        persons: [{id: a, name: A}, {id: w, name: Wife}, {id: f, name: Wife's father}, {id: s, name: A's sister},
                  {id: mo, name: Wife's mother}]
        relations:
          - {id: m, person_id: a, relative_id: w, kind: spouse, start: 2010}
          - {id: wf, person_id: w, relative_id: f, kind: parent}
          - {id: wm, person_id: w, relative_id: mo, kind: parent}
          - {id: as, person_id: a, relative_id: s, kind: sibling}
        organizations: [{id: o, name: Office}]
        positions: [{id: post, title: Clerk, organization_id: o}]
        tenures:
          - {id: t1, person_id: a, position_id: post, start: 2015}
          - {id: t2, person_id: f, position_id: post, start: 2015}
          - {id: t3, person_id: s, position_id: post, start: 2015}
        """})
    rows = load(root, "inlaws").conn.execute(
        "SELECT person_id, relative_id, kind, via FROM kinship ORDER BY ALL").fetchall()
    assert ("a", "f", "parent_in_law", "w") in rows      # the wife's father
    assert ("f", "a", "child_in_law", "w") in rows       # read from the other side
    assert ("w", "s", "sibling_in_law", "a") in rows     # the husband's sister
    assert ("s", "w", "sibling_in_law", "a") in rows     # a sister's wife... of her brother
    assert ("a", "s", "sibling", None) in rows and ("s", "a", "sibling", None) in rows
    assert not any(r[0] == "a" and r[1] == "mo" for r in rows)  # no record of her but her family


def test_non_http_source_address_is_a_warning_not_an_error(write_case):
    root = write_case("jsurl", {"case.yaml": minimal_case("jsurl", url="javascript:alert(1)")})
    registry = load(root, "jsurl")
    assert any("not an http(s) address" in str(w) for w in registry.warnings)


def test_a_recorded_link_is_not_doubled_by_a_derived_one(write_case):
    """A father is his son's parent, not also his step-parent through the son's mother."""
    root = write_case("family", {"case.yaml": """\
        id: family
        persons: [{id: f, name: Father}, {id: m, name: Mother}, {id: k, name: Kid}]
        relations:
          - {id: fm, person_id: f, relative_id: m, kind: spouse, start: 1980}
          - {id: kf, person_id: k, relative_id: f, kind: parent}
          - {id: km, person_id: k, relative_id: m, kind: parent}
        """})
    rows = load(root, "family").conn.execute(
        "SELECT kind FROM kinship WHERE person_id = 'k' AND relative_id = 'f'").fetchall()
    assert rows == [("parent",)]


IIN_CASE = """\
    id: iin
    as_of: 2024-01-01
    persons:
      - {id: p-ok, name: Serik, birth_date: 1961-04-12, gender: m, identifiers: ["kz-iin:610412300126"]}
      - {id: p-digit, name: Typo, identifiers: ["kz-iin:610412300127"]}
      - {id: p-born, name: Other day, birth_date: 1961-04-13, identifiers: ["kz-iin:610412300126"]}
      - {id: p-sex, name: Other sex, gender: f, identifiers: ["kz-iin:610412300136"]}
      - {id: p-short, name: Short, identifiers: ["kz-iin:6104123"]}
      - {id: p-year, name: Year only, birth_date: 1961, identifiers: ["kz-iin:610412300126"]}
    """


def test_an_iin_that_fails_its_check_digit_date_or_gender_is_a_warning_naming_the_record(write_case):
    root = write_case("iin", {"case.yaml": IIN_CASE})
    warnings = [str(w) for w in load(root, "iin").warnings]
    assert any("record 'p-digit'" in w and "fails its check digit" in w for w in warnings)
    assert any("record 'p-born'" in w and "disagree" in w and "1961-04-12" in w for w in warnings)
    assert any("record 'p-sex'" in w and "other gender" in w for w in warnings)
    assert any("record 'p-short'" in w and "not 12 digits" in w for w in warnings)
    # A valid IIN agreeing with the record, and one within a birth year known to the year, say nothing.
    assert not [w for w in warnings if "'p-ok'" in w or "'p-year'" in w]
    assert all("line" in w and "field 'identifiers'" in w for w in warnings)


def test_an_identifier_without_a_scheme_is_an_error(write_case):
    root = write_case("noscheme", {"case.yaml": "id: noscheme\nas_of: 2024-01-01\n"
                                   "persons: [{id: p, name: P, identifiers: ['610412300126']}]\n"})
    [problem] = problems_of(root, "noscheme")
    assert "'610412300126' is not an identifier: write scheme:value" in problem and "record 'p'" in problem
