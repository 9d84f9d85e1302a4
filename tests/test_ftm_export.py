"""`riskcheck export ftm`: what Aleph loads must be valid FollowTheMoney, checked with the followthemoney package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from riskcheck.cli import main

from conftest import CASES, REPO

followthemoney = pytest.importorskip("followthemoney")
from followthemoney import model  # noqa: E402

FTM = REPO / "tests" / "data" / "ftm" / "fictional-peps.ftm.json"


def schema_problems(entities: list[dict]) -> list[str]:
    """Every way the entities break the FtM model: unknown schema or property, bad value, dangling reference."""
    by_id = {e["id"]: e for e in entities}
    problems = []
    for e in entities:
        schema = model.get(e["schema"])
        if schema is None:
            problems.append(f"{e['id']}: unknown schema {e['schema']}")
            continue
        try:
            schema.validate(e)
        except Exception as exc:  # InvalidData: a required property is missing
            problems.append(f"{e['id']}: {exc} {getattr(exc, 'errors', '')}")
        for name, values in e["properties"].items():
            prop = schema.get(name)
            if prop is None:
                problems.append(f"{e['id']}: {e['schema']} has no property {name}")
                continue
            for value in values:
                if not prop.type.validate(value):
                    problems.append(f"{e['id']}: {name} = {value!r} is not a valid {prop.type.name}")
                if prop.type.name == "entity":
                    target = by_id.get(value)
                    if target is None:
                        problems.append(f"{e['id']}: {name} names {value!r}, which is not in the file")
                    elif not model.get(target["schema"]).is_a(prop.range):
                        problems.append(f"{e['id']}: {name} names a {target['schema']}, not a {prop.range.name}")
    return problems


def export(runner, cases, out) -> list[dict]:
    result = runner.invoke(main, ["export", "ftm", str(cases), "--out", str(out),
                                  "--report-url", "https://desk.example.org/reports"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def shipped_export(tmp_path_factory) -> tuple[Path, list[dict]]:
    """The shipped cases exported once for this file's tests (each reads it, none writes it)."""
    out = tmp_path_factory.mktemp("ftm") / "out.json"
    return out, export(CliRunner(), CASES, out)


def test_the_shipped_cases_export_as_valid_followthemoney(shipped_export):
    entities = shipped_export[1]
    assert schema_problems(entities) == []
    schemata = {e["schema"] for e in entities}
    assert {"Person", "PublicBody", "Position", "Occupancy", "Family", "Note"} <= schemata


def test_each_finding_is_a_note_on_its_person_with_rule_status_and_report_link(shipped_export, shipped_reports):
    entities = shipped_export[1]
    findings = json.loads((shipped_reports / "imanaliev-appointment" / "findings.json").read_text())["findings"]
    notes = {e["id"]: e for e in entities if e["schema"] == "Note"}
    for f in findings:
        note = notes[f"imanaliev-appointment-finding-{f['id']}"]["properties"]
        assert note["entity"] == [f"imanaliev-appointment-{f['person']}"]
        assert note["summary"] == [f["summary"]]
        assert f"Status: {f['status']}." in note["description"][0] and f["rule"] in note["description"][0]
        link = f"https://desk.example.org/reports/imanaliev-appointment/report.html#{f['id']}"
        assert note["sourceUrl"] == [link]
        assert (shipped_reports / "imanaliev-appointment" / "report.html").read_text().count(
            f'id="{f["id"]}"') == 1  # the link's anchor is on the page


def test_an_interval_date_is_not_exported_as_a_day(shipped_export):
    entities = {e["id"]: e for e in shipped_export[1]}
    tenure = entities["imanaliev-appointment-t-zhandos-foreign-policy"]["properties"]
    assert "startDate" not in tenure
    assert "Start: some day in 2021-10-15/2025-10-15 (an interval)." in tenure["description"][0]


def test_an_imported_ftm_case_goes_back_out_valid_with_its_family_links(runner, tmp_path):
    assert runner.invoke(main, ["import", "ftm", str(FTM), str(tmp_path / "cases" / "peps")]).exit_code == 0
    entities = export(runner, tmp_path / "cases", tmp_path / "out.json")
    assert schema_problems(entities) == []
    family = {e["id"]: e["properties"] for e in entities if e["schema"] == "Family"}
    wife = family["peps-ftm-fam-wife"]
    assert (wife["person"], wife["relative"], wife["relationship"]) == (["peps-ftm-p-father"], ["peps-ftm-p-wife"],
                                                                        ["spouse"])
    # The bodies' country went in as their jurisdiction and comes back out as FtM's (lower-case) code.
    assert {tuple(e["properties"].get("jurisdiction", [])) for e in entities if e["schema"] == "PublicBody"} == {("kz",)}


def test_the_same_cases_export_to_the_same_bytes(runner, tmp_path, shipped_export):
    export(runner, CASES, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == shipped_export[0].read_bytes()


def test_only_web_links_are_accepted_for_reports(runner, tmp_path):
    result = runner.invoke(main, ["export", "ftm", str(CASES), "--out", str(tmp_path / "x.json"),
                                  "--report-url", "javascript:alert(1)"])
    assert result.exit_code == 2 and not (tmp_path / "x.json").exists()
