"""`riskcheck import ftm`: FollowTheMoney entities become a case that runs, and nothing is dropped unsaid."""

from __future__ import annotations

import csv
import json

import pytest

from riskcheck.cli import main

from conftest import REPO

FTM = REPO / "tests" / "data" / "ftm" / "fictional-peps.ftm.json"


def read_csv(path) -> dict[str, dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


@pytest.fixture
def imported(runner, tmp_path):
    result = runner.invoke(main, ["import", "ftm", str(FTM), str(tmp_path / "cases" / "peps")])
    assert result.exit_code == 0, result.output
    return tmp_path / "cases" / "peps", result.output


def test_the_summary_counts_what_was_written_and_what_was_not(imported):
    _, output = imported
    assert "Written: 3 organizations, 5 persons, 2 positions, 5 relations, 3 sources, 3 tenures" in output
    assert "Not mapped (no place in the registry contract): 1 Associate, 1 Sanction" in output
    assert "1 Occupancy entities whose holder or post is not in the file, not mapped" in output
    assert "Family relationships read as 'relative' (the word is kept in the notes): 'кум' (1)" in output


def test_family_words_in_three_languages_map_to_kinds_in_the_right_direction(imported):
    relations = read_csv(imported[0] / "relations.csv")
    kinds = {rid: (r["person_id"], r["relative_id"], r["kind"]) for rid, r in relations.items()}
    assert kinds["ftm-fam-son"] == ("ftm-p-son", "ftm-p-father", "parent")  # 'father': the relative is his father
    assert kinds["ftm-fam-wife"] == ("ftm-p-father", "ftm-p-wife", "spouse")  # 'Жена'
    assert kinds["ftm-fam-niece"] == ("ftm-p-father", "ftm-p-niece", "nephew_niece")  # nested in the niece
    assert kinds["ftm-fam-kum"][2] == "relative" and relations["ftm-fam-kum"]["notes"] == "FtM relationship: кум"
    assert relations["ftm-fam-wife"]["start"] == "1988"


def test_persons_keep_every_script_their_parts_dates_and_identifiers(imported):
    persons = read_csv(imported[0] / "persons.csv")
    father = persons["ftm-p-father"]
    assert (father["name"], father["aliases"]) == ("Bakhyt Demoev", "Бахыт Демоев")
    assert (father["given_name"], father["patronymic"], father["surname"]) == ("Bakhyt", "Serikovich", "Demoev")
    assert father["birth_date"] == "1961-04-02"  # 1961 and 1961-04-02 agree: the more precise
    assert persons["ftm-p-wife"]["birth_date"] == "1963-01-01/1964-02-02"  # two that disagree: the span
    assert father["identifiers"] == "kz-iin:610402300121"
    assert persons["ftm-p-son"]["identifiers"] == "kz-national-id:N1234567"  # from an Identification entity
    assert "role.pep" in father["notes"]


def test_posts_and_occupancies_become_positions_and_tenures_without_invented_dates(imported):
    positions = read_csv(imported[0] / "positions.csv")
    assert positions["ftm-pos-minister"]["organization_id"] == "ftm-min-demo"
    assert positions["ftm-pos-deputy"]["organization_id"] == "ftm-country-kz"  # the source gives a country only
    tenures = read_csv(imported[0] / "tenures.csv")
    assert (tenures["ftm-occ-father"]["start"], tenures["ftm-occ-father"]["end"]) == ("2015-06", "2019-02-01")
    assert tenures["ftm-occ-son"]["end"] == ""  # status current: still holds
    assert (tenures["ftm-occ-wife"]["start"], tenures["ftm-occ-wife"]["end"]) == ("../2024-05-02", "../2024-05-02")
    organizations = read_csv(imported[0] / "organizations.csv")
    assert organizations["ftm-dept-demo"]["parent_id"] == "ftm-min-demo"


def test_every_record_cites_a_source_with_the_dataset(imported):
    folder = imported[0]
    sources = read_csv(folder / "sources.csv")
    for name in ("persons", "organizations", "positions", "tenures", "relations"):
        for row in read_csv(folder / f"{name}.csv").values():
            assert row["sources"] in sources, (name, row["id"])
    assert sources[read_csv(folder / "persons.csv")["ftm-p-father"]["sources"]]["url"] == "https://example.org/pep/father"


def test_the_imported_case_runs_and_a_verdict_added_by_hand_refers_to_entity_ids(runner, imported, tmp_path,
                                                                                 monkeypatch):
    folder, _ = imported
    (folder / "verdicts.yaml").write_text(
        "- {id: v-father, person_id: ftm-p-father, offence: bribery, category: corruption, outcome: convicted,\n"
        "   in_force_date: 2020-05-01, sources: [s-court]}\n", encoding="utf-8")
    (folder / "sources.yaml").write_text("- {id: s-court, title: Court register (fictional), kind: court}\n",
                                         encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["run", "cases", "--out", "reports"])
    assert result.exit_code == 0, result.output
    found = json.loads((tmp_path / "reports" / "peps" / "findings.json").read_text())["findings"]
    assert ("kinship-convicted-official", "ftm-p-son", "flagged") in {(f["rule"], f["person"], f["status"])
                                                                      for f in found}


def test_an_existing_folder_is_never_written_over(runner, tmp_path):
    target = tmp_path / "cases" / "peps"
    target.mkdir(parents=True)
    (target / "case.yaml").write_text("id: peps\n")
    result = runner.invoke(main, ["import", "ftm", str(FTM), str(target)])
    assert result.exit_code == 2 and "exists and is not empty" in result.output
    assert [p.name for p in target.iterdir()] == ["case.yaml"]


def test_a_broken_line_is_named_and_nothing_is_written(runner, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text(FTM.read_text(encoding="utf-8") + '{"id": "x", "schema": "Person", "properties": {\n',
                      encoding="utf-8")
    result = runner.invoke(main, ["import", "ftm", str(broken), str(tmp_path / "out")])
    assert result.exit_code == 2 and "broken.json line 21: is not JSON" in result.output
    assert not (tmp_path / "out").exists()


def test_a_file_without_dates_asks_for_the_as_of_date(runner, tmp_path):
    plain = tmp_path / "plain.json"
    plain.write_text('{"id": "p1", "schema": "Person", "properties": {"name": ["A"]}}\n', encoding="utf-8")
    result = runner.invoke(main, ["import", "ftm", str(plain), str(tmp_path / "out")])
    assert result.exit_code == 2 and "--as-of" in result.output
    result = runner.invoke(main, ["import", "ftm", str(plain), str(tmp_path / "out"), "--as-of", "2025-01-01"])
    assert result.exit_code == 0, result.output
    assert "as_of: '2025-01-01'" in (tmp_path / "out" / "case.yaml").read_text()


def test_the_same_file_imports_to_the_same_bytes(runner, tmp_path):
    for name in ("a", "b"):
        assert runner.invoke(main, ["import", "ftm", str(FTM), str(tmp_path / name), "--case-id", "peps"]).exit_code == 0
    for file in (tmp_path / "a").iterdir():
        assert file.read_bytes() == (tmp_path / "b" / file.name).read_bytes(), file.name


def test_imported_bodies_keep_their_country_as_jurisdiction(runner, tmp_path):
    out = tmp_path / "cases" / "imported"
    result = runner.invoke(main, ["import", "ftm", str(FTM), str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "organizations.csv").open(encoding="utf-8")))
    assert rows and {r["jurisdiction"] for r in rows} == {"KZ"}
    run = runner.invoke(main, ["run", str(out), "--out", str(tmp_path / "reports")])
    assert run.exit_code == 0, run.output
    assert "states no jurisdiction" not in run.output  # the Kazakh pack alone judged it


# ---------------------------------------------------------------------------------------------- hostile files

def entity_line(eid, schema="Person", last_change="2024-05-01T10:00:00", **props) -> str:
    return json.dumps({"id": eid, "schema": schema, "properties": {k: v if isinstance(v, list) else [v]
                                                                   for k, v in props.items()},
                       "datasets": ["hostile"], "last_change": last_change}, ensure_ascii=False) + "\n"


def import_text(runner, tmp_path, text: str | bytes, *args):
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "hostile.json"
    if isinstance(text, str):
        source.write_text(text, encoding="utf-8")
    else:
        source.write_bytes(text)
    out = tmp_path / "cases" / "hostile"
    return runner.invoke(main, ["import", "ftm", str(source), str(out), *args]), out


def test_entities_nested_beyond_any_export_are_refused_in_words(runner, tmp_path):
    nested = {"id": "leaf", "schema": "Person", "properties": {"name": ["Leaf"]}}
    for level in range(200):
        nested = {"id": f"e{level}", "schema": "Family", "properties": {"relative": [nested]}}
    deeper_than_json = "[" * 100_000 + "]" * 100_000
    result, out = import_text(runner, tmp_path, json.dumps(nested) + "\n" + deeper_than_json + "\n")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "hostile.json line 1: nests entities more than 32 levels deep; not read" in result.output
    assert "hostile.json line 2: " in result.output
    assert not out.exists()


def test_a_file_that_is_not_utf8_is_refused_with_its_line(runner, tmp_path):
    text = entity_line("p1", name="A").encode() + entity_line("p2", name="Ærø").encode("latin-1")
    result, out = import_text(runner, tmp_path, text)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "hostile.json line 2: is not UTF-8 text (byte 0xc6" in result.output
    result, _ = import_text(runner, tmp_path, entity_line("p1", name="A").encode("utf-16"))
    assert result.exit_code == 2 and "line 1: is not UTF-8 text" in result.output


@pytest.mark.parametrize("last_change", ["99999-01-01", "0000-01-01", {"at": "2024"}, ["2024"], 20240101])
def test_a_last_change_that_is_no_date_is_counted_never_a_crash(runner, tmp_path, last_change):
    result, out = import_text(runner, tmp_path, entity_line("p1", name="A", last_change=last_change)
                              + entity_line("p2", name="B"))
    assert result.exit_code == 0, result.output
    assert "as_of: '2024-05-01'" in (out / "case.yaml").read_text()
    if isinstance(last_change, str):
        assert "1 entities whose last_change is no date the case can be judged at" in result.output
    result, _ = import_text(runner, tmp_path / "alone", entity_line("p1", name="A", last_change=last_change))
    assert result.exit_code == 2 and "--as-of" in result.output and "Traceback" not in result.output


def test_birth_dates_outside_the_calendar_are_kept_in_the_notes_never_cut_and_the_case_runs(runner, tmp_path):
    result, out = import_text(runner, tmp_path, entity_line("p0", name="Zero", birthDate="0000")
                              + entity_line("p9", name="Far", birthDate="99999")
                              + entity_line("pm", name="Month", birthDate=["1970-13", "1970"])
                              + entity_line("pp", name="Part", birthDate="1961-04"))
    assert result.exit_code == 0, result.output
    assert "3 dates that are no calendar date from 0001 to 9999, not read as dates" in result.output
    persons = read_csv(out / "persons.csv")
    assert persons["p0"]["birth_date"] == "" and "FtM birthDate not read as a date: '0000'" in persons["p0"]["notes"]
    assert persons["p9"]["birth_date"] == "" and "'99999'" in persons["p9"]["notes"]  # not cut to 9999
    assert persons["pm"]["birth_date"] == "1970" and "'1970-13'" in persons["pm"]["notes"]
    assert persons["pp"]["birth_date"] == "1961-04"  # a month stays a month
    run = runner.invoke(main, ["validate", str(out.parent)])
    assert run.exit_code == 0, run.output


def test_an_organization_sharing_a_persons_id_is_reported_never_merged_into_an_alias(runner, tmp_path):
    result, out = import_text(runner, tmp_path, entity_line("x1", name="Aida Person")
                              + entity_line("x1", "Organization", name="Shell LLP")
                              + entity_line("x2", "LegalEntity", name="Fragment Name")
                              + entity_line("x2", "Person", birthDate="1980"))
    assert result.exit_code == 0, result.output
    assert "1 ids shared by entities of unrelated schemata" in result.output
    assert "'x1' (Person and Organization)" in result.output
    persons = read_csv(out / "persons.csv")
    assert persons["x1"]["name"] == "Aida Person" and "Shell" not in (out / "persons.csv").read_text()
    assert not (out / "organizations.csv").exists()
    # A general fragment (LegalEntity) of a person is the same entity: merged into the Person.
    assert (persons["x2"]["name"], persons["x2"]["birth_date"]) == ("Fragment Name", "1980")


def test_many_fragments_of_one_entity_merge_value_by_value(runner, tmp_path):
    # 30,000 fragments each adding an alias: merged in one pass (a list per property made this quadratic:
    # 60,000 fragments took 25 s). What a user sees: every alias once, in the order first seen.
    lines = [entity_line("p1", name="Main")] + [entity_line("p1", alias=f"A{i}") for i in range(30_000)]
    lines += [entity_line("p1", alias="A7")]
    result, out = import_text(runner, tmp_path, "".join(lines))
    assert result.exit_code == 0, result.output
    csv.field_size_limit(1 << 24)
    aliases = read_csv(out / "persons.csv")["p1"]["aliases"].split("; ")
    assert aliases[:3] == ["A0", "A1", "A2"] and len(aliases) == 30_000


def test_problems_are_capped_per_file_with_a_count_of_the_rest(runner, tmp_path):
    result, _ = import_text(runner, tmp_path, "not json\n" * 500)
    assert result.exit_code == 2
    assert result.output.count("is not JSON") == 50 and "450 more problems like those above" in result.output


def test_a_pipe_is_refused_without_waiting_and_an_unwritable_folder_is_said_in_words(runner, tmp_path):
    import os

    pipe = tmp_path / "peps.json"
    os.mkfifo(pipe)
    result = runner.invoke(main, ["import", "ftm", str(pipe), str(tmp_path / "out")])
    assert result.exit_code == 2 and "peps.json: is not a regular file" in result.output
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = runner.invoke(main, ["import", "ftm", str(FTM), str(locked / "cases" / "peps")])
        if os.geteuid() != 0:  # root writes anywhere
            assert result.exit_code == 2 and "the import could not finish" in result.output
        assert "Traceback" not in result.output
    finally:
        locked.chmod(0o700)


def test_a_partner_word_maps_to_partner_never_to_spouse():
    from riskcheck.importers.ftm import _word, relationship_kinds
    from riskcheck.registry.schema import load_schema

    kinds = relationship_kinds()
    for word in ("partner", "Domestic partner", "сожительница", "Гражданская жена", "companheiro", "співмешканець"):
        assert kinds[_word(word)] == "partner", word
    # every kind the table names is one the contract knows
    assert set(kinds.values()) <= set(load_schema().types["relations"].fields["kind"].values)
