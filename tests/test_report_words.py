"""What a reader sees in the static reports: plain words, weak facts said so, nothing stale unmarked, names
findable in a large case. (Layout at each width and on paper is checked in a browser: test_browser.py.)"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from riskcheck.cli import main

from conftest import CASES, RULES, minimal_case


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    out = tmp_path_factory.mktemp("words") / "reports"
    assert CliRunner().invoke(main, ["run", str(CASES), "--rules", str(RULES), "--out", str(out)]).exit_code == 0
    return out


def visible_text(html: str) -> str:
    """The page without its markup, its collapsed formula details and its small print of ids."""
    html = re.sub(r'<details class="formula">.*?</details>', "", html, flags=re.S)
    html = re.sub(r'<small class="id">.*?</small>', "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_no_reader_facing_text_shows_a_formula_or_a_machine_word(shipped):
    for page in sorted(shipped.glob("*/report.html")):
        text = visible_text(page.read_text(encoding="utf-8"))
        for machine in ("coalesce(", "$cure_months", "risk_indicator", "legal_duty", "shared/seeds", "l__"):
            assert machine not in text, (page.parent.name, machine)


def test_an_open_tenure_reads_as_still_in_post(shipped):
    html = (shipped / "fictional-ministry-family" / "report.html").read_text(encoding="utf-8")
    assert "They served so from 15 January 2021, and both were still in post as of 1 March 2024" in html
    assert "until 2024-03-01" not in html


def test_a_lead_resting_on_an_alleged_link_says_so_in_its_headline(tmp_path, write_case):
    case = minimal_case("rumour").replace("kind: parent, sources: [s1]}", "kind: parent, status: alleged, sources: [s1]}")
    root = write_case("rumour", {"case.yaml": case})
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(out), "--param",
                                       "kinship-convicted-official.min_relation_status=alleged"])
    assert result.exit_code == 0, result.output
    finding = json.loads((out / "rumour" / "findings.json").read_text())["findings"][0]
    assert finding["status"] == "undetermined"
    assert "This lead rests on an allegation: a fact behind it is alleged, not established." in finding["weak_facts"]
    html = (out / "rumour" / "report.html").read_text()
    summary_at = html.index('<p class="summary">')
    weak_at = html.index('<p class="weak"><strong>This lead rests on an allegation')
    assert summary_at < weak_at < html.index("<h4>Reasoning</h4>")  # in the headline, before the steps


def test_an_established_lead_has_no_weak_fact_sentence(shipped):
    doc = json.loads((shipped / "imanaliev-appointment" / "findings.json").read_text())
    html = (shipped / "fictional-akimat-resignations" / "report.html").read_text()
    assert 'class="weak"' not in html
    assert all(isinstance(f["weak_facts"], list) for f in doc["findings"])


def test_the_index_lists_every_report_in_the_folder_and_marks_those_not_checked(tmp_path, shipped):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(shipped, out)  # a run of every case, then one of a single case into the same folder
    runner = CliRunner()
    assert runner.invoke(main, ["run", str(CASES / "imanaliev-appointment"), "--rules", str(RULES),
                                "--out", str(out)]).exit_code == 0
    index = (out / "index.html").read_text()
    for case in sorted(p.name for p in CASES.iterdir() if p.is_dir() and not p.name.startswith("_")):
        assert f'href="{case}/report.html"' in index, case
    others = len([p for p in CASES.iterdir() if p.is_dir() and not p.name.startswith("_")]) - 1
    assert index.count("not checked in this run") == others
    assert (f"1 case checked in this run,\nwith 5 rules; {others} more reports in this folder are from "
            "earlier runs.") in index


def test_a_large_case_has_a_names_page_linking_every_person_to_their_findings(tmp_path, monkeypatch):
    import riskcheck.report.render as render

    monkeypatch.setattr(render, "MAX_FINDINGS_ON_ONE_PAGE", 10)
    runner = CliRunner()
    assert runner.invoke(main, ["synth", str(tmp_path / "reg"), "--persons", "3000", "--seed", "3"]).exit_code == 0
    out = tmp_path / "out"
    assert runner.invoke(main, ["run", str(tmp_path / "reg"), "--rules", str(RULES), "--out", str(out)]).exit_code == 0
    names = (out / "synthetic" / "names.html").read_text()
    findings = json.loads((out / "synthetic" / "findings.json").read_text())["findings"]
    assert 'href="names.html"' in (out / "synthetic" / "report.html").read_text()
    for href in set(re.findall(r'href="(persons/[^"#]+)#', names)):
        assert (out / "synthetic" / href).exists()
    linked = set(re.findall(r'#([a-z0-9-]+-[0-9a-f]{12})"', names))
    assert linked == {f["id"] for f in findings}  # every finding is reachable from a name
    assert "(organization)" in names and "<nav class=\"letters\">" in names
