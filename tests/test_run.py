"""End to end: `riskcheck run cases/` on the shipped examples gives the findings the rules should."""

import json

import pytest

from riskcheck.cli import main

from conftest import CASES, RULES

EXPECTED = {
    "imanaliev-appointment": {
        ("kinship-convicted-official", "undetermined", "p-zhandos", ("p-bakhytbek",)),
        ("reserve-relative-conflict", "undetermined", "p-zhandos", ("p-bakhytbek",)),
    },
    "fictional-akimat-resignations": {
        ("subordinate-corruption-resignation", "complied", "p-dep-economy", ("p-roads",)),
        ("subordinate-corruption-resignation", "flagged", "p-dep-social", ("p-health",)),
        ("subordinate-corruption-resignation", "pending", "p-district-akim", ("p-district-deputy",)),
        ("subordinate-corruption-resignation", "undetermined", "p-akim", ("p-dep-economy",)),
    },
    "fictional-ministry-family": {
        ("kinship-convicted-official", "flagged", "p-son", ("p-father",)),
        ("kinship-convicted-official", "undetermined", "p-son-in-law", ("p-father",)),
        ("relatives-direct-subordination", "flagged", "p-it-deputy", ("p-it-director",)),
        ("relatives-direct-subordination", "pending", "p-legal-wife", ("p-legal-head",)),
        ("relatives-direct-subordination", "complied", "p-legal-sister", ("p-legal-head",)),
        # The auditor's tie to his head is only alleged: by default no rule builds on it.
    },
    "fictional-names-across-scripts": {
        # The verdict is recorded under the Cyrillic court record; the family link under the Latin press one.
        ("kinship-convicted-official", "flagged", "p-arman", ("p-serik-court",)),
    },
    "fictional-reserve-admissions": {
        ("reserve-relative-conflict", "flagged", "p-daughter", ("p-minister",)),
        ("reserve-relative-conflict", "undetermined", "p-chair-son", ("p-chair",)),
    },
    # Each of the other packs on its own example; the grandson, the cousin in the fourth degree, the
    # political post, the White House Office, the agency under the department and the rumour give nothing.
    "fictional-us-bureau-hiring": {
        ("us-relative-appointed-by-official", "flagged", "p-nephew", ("p-secretary",)),
    },
    "fictional-br-cross-appointments": {
        ("br-cross-appointment", "flagged", "p-daughter", ("p-mayor", "p-president")),
        ("br-cross-appointment", "flagged", "p-nephew", ("p-mayor", "p-president")),
        # A brother made secretary, a political post: the court has not settled whether the precedent
        # reaches it (Rcl 6.650, Tema 1000), so the lead is undetermined, not dropped.
        ("br-relative-of-appointing-authority", "undetermined", "p-brother", ("p-mayor",)),
    },
    "fictional-ru-department-in-laws": {
        ("ru-relatives-direct-subordination", "flagged", "p-son-in-law", ("p-head",)),
        # The unit indicators judge every case, but three close relatives on one staff of three are no
        # finding of family-cluster: the department holds every post of the case, so chance cannot be weighed.
    },
    "fictional-ua-close-persons": {
        ("ua-close-persons-direct-subordination", "flagged", "p-cousin", ("p-director",)),
        ("ua-close-persons-direct-subordination", "complied", "p-sister", ("p-director",)),
        ("ua-close-persons-direct-subordination", "pending", "p-niece", ("p-director",)),
    },
    "fictional-uz-agency-relatives": {
        ("uz-close-relatives-direct-subordination", "flagged", "p-brother-in-law", ("p-head",)),
        # The son in the agency under the department is no direct subordinate; family-cluster weighs the
        # department's relatives against chance, and a body holding every post of the case has no baseline.
    },
    # The worked example of the unit indicators (docs/rules/surname-clustering.md, family-cluster.md).
    "fictional-kz-akimat-staff": {
        ("surname-clustering", "flagged", "o-roads-a", ()),
        ("family-cluster", "flagged", "o-land-a", ()),
    },
}


@pytest.fixture
def reports(shipped_reports):
    return shipped_reports  # each case by its own pack


def findings(out, case):
    return json.loads((out / case / "findings.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_example_case_gives_the_expected_findings(reports, case):
    doc = findings(reports, case)
    got = {(f["rule"], f["status"], f.get("unit") or f["person"], tuple(f["related"])) for f in doc["findings"]}
    assert got == EXPECTED[case]


def test_an_alleged_link_admitted_by_a_parameter_leaves_the_finding_undetermined(tmp_path):
    """A rumour never establishes a finding: admitted on request, it makes one undetermined and says why."""
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["run", str(CASES / "fictional-ministry-family"), "--rules", str(RULES),
                                       "--out", str(tmp_path),
                                       "--param", "relatives-direct-subordination.min_relation_status=alleged"])
    assert result.exit_code == 0, result.output
    doc = findings(tmp_path, "fictional-ministry-family")
    audit = [f for f in doc["findings"] if f["person"] == "p-audit-son"]
    assert [f["status"] for f in audit] == ["undetermined"]
    assert any("not only alleged" in u for u in audit[0]["undecided"])
    # The established links keep their outcomes.
    assert {f["status"] for f in doc["findings"] if f["person"] == "p-it-deputy"} == {"flagged"}


def test_findings_json_follows_the_contract(reports):
    doc = findings(reports, "fictional-ministry-family")
    assert doc["case"] == "fictional-ministry-family" and doc["as_of"] == "2024-03-01"
    for f in doc["findings"]:
        assert set(f) >= {"id", "rule", "status", "severity", "person", "related", "sources", "summary"}
        assert f["status"] in ("flagged", "pending", "complied", "undetermined")
        assert f["summary"].endswith(".") and "<" not in f["summary"]
    order = {"flagged": 0, "pending": 1, "undetermined": 2, "complied": 3}
    assert [order[f["status"]] for f in doc["findings"]] == sorted(order[f["status"]] for f in doc["findings"])


def test_the_report_shows_reasoning_sources_and_caveats(reports):
    html = (reports / "imanaliev-appointment" / "report.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "<script" not in html
    assert "leads to verify, not findings of wrongdoing" in html
    assert "Cannot be decided from the data: the conviction had entered into legal force" in html
    assert "some day between 15 October 2021 and 15 October 2025" in html
    assert "Close relative of a convicted official appointed" in html  # the rule by its title
    assert "rule kinship-convicted-official v1.1" in html             # its id and version in small print
    assert "coalesce(" not in html.split("For rule authors")[0]      # no formula before the authors' detail
    assert 'class="flag alleged"' in html                       # the alleged in-law link is visible
    assert "Caspian Institute for Strategic Studies" in html     # the registry's source is cited
    assert "http://" not in html.replace("https://", "")         # no plain-http resources or links


def test_the_index_counts_every_case(reports):
    html = (reports / "index.html").read_text(encoding="utf-8")
    for case in EXPECTED:
        assert f'href="{case}/report.html"' in html


def test_two_runs_give_byte_identical_files(tmp_path, shipped_reports):
    from click.testing import CliRunner

    again = tmp_path / "again"  # a second run, into another folder, beside the session's first
    CliRunner().invoke(main, ["run", str(CASES), "--out", str(again)])
    outs = [{p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
             if p.is_file() and p.name != ".riskcheck.lock" and ".riskcheck-cache" not in p.parts}
            for out in (shipped_reports, again)]
    assert outs[0] == outs[1] and len(outs[0]) == 2 * len(EXPECTED) + 1


def test_finding_ids_stay_the_same_when_unrelated_data_changes(tmp_path, write_case):
    from click.testing import CliRunner
    from conftest import minimal_case

    root = write_case("small", {"case.yaml": minimal_case()})
    CliRunner().invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(tmp_path / "one")])
    (root / "small" / "persons.yaml").write_text("- {id: p-other, name: Someone Else}\n")
    CliRunner().invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(tmp_path / "two")])
    ids = [[f["id"] for f in findings(tmp_path / d, "small")["findings"]] for d in ("one", "two")]
    assert ids[0] == ids[1] and len(ids[0]) == 1


def test_a_large_case_gets_an_index_and_one_page_per_person(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from riskcheck.report import render

    monkeypatch.setattr(render, "MAX_FINDINGS_ON_ONE_PAGE", 2)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(CASES / "fictional-ministry-family"), "--rules", str(RULES),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    index = (out / "fictional-ministry-family" / "report.html").read_text()
    pages = sorted((out / "fictional-ministry-family" / "persons").glob("*.html"))
    assert len(pages) == 5                                   # five persons concerned
    assert 'id="st-flagged"' in index and "<script" not in index   # a filter that needs no script
    assert index.count('href="persons/') >= 10              # each finding and each person links a page
    son = next(p for p in pages if p.name.startswith("p-son-"))
    assert "Arman Yerlanovich Demobekov" in son.read_text() and "Reasoning" in son.read_text()
    assert all(p.stat().st_size < 5_000_000 for p in pages)


def _second_process_died(self, work, *args):
    """SecondProcess.submit once its process has died: a future that failed."""
    from concurrent.futures import Future

    failed: Future = Future()
    failed.set_exception(RuntimeError("the second process died"))
    return failed


def test_person_pages_are_the_same_whether_a_second_process_renders_some_or_none(tmp_path, monkeypatch):
    """Above PAGES_BESIDE pages, `riskcheck run` has a second process render three pages in five. Every file is
    the same bytes as with no second process, and as when it fails (its pages are then rendered here)."""
    from click.testing import CliRunner

    from riskcheck.report import render
    from riskcheck.report.second_process import SecondProcess

    monkeypatch.setattr(render, "MAX_FINDINGS_ON_ONE_PAGE", 0)
    monkeypatch.setattr(render, "PAGES_BESIDE", 1)
    written_here = []
    write_staged = render.write_staged
    monkeypatch.setattr(render, "write_staged", lambda folder, name, data: (written_here.append(name),
                                                                            write_staged(folder, name, data)))

    def run(how: str) -> dict[str, bytes]:
        written_here.clear()
        out = tmp_path / how
        for case in ("fictional-ministry-family", "fictional-kz-akimat-staff"):  # persons; units
            result = CliRunner().invoke(main, ["run", str(CASES / case), "--out", str(out), "--no-cache"])
            assert result.exit_code == 0, result.output
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.html"))
                if p.parent.name == "persons"}

    beside = run("beside")
    assert 0 < len(written_here) < len(beside) and len(beside) == 7  # the second process wrote the others
    with monkeypatch.context() as mp:
        mp.setattr(SecondProcess, "submit", _second_process_died)
        assert run("fails") == beside and len(written_here) == len(beside)
    with monkeypatch.context() as mp:
        mp.setattr("riskcheck.report.second_process.cores", lambda: 1)
        assert run("one core") == beside and len(written_here) == len(beside)


def test_findings_json_is_the_same_whether_a_second_process_writes_it_or_not(tmp_path, monkeypatch):
    """From FINDINGS_BESIDE findings a second process writes findings.json while this one writes the report: the
    same bytes as written here, and written here when that process fails or there is one core."""
    from click.testing import CliRunner

    from riskcheck.report import render
    from riskcheck.report.second_process import SecondProcess

    monkeypatch.setattr(render, "FINDINGS_BESIDE", 1)
    written_here: list[str] = []
    write_text = render.write_text
    monkeypatch.setattr(render, "write_text", lambda path, text: (written_here.append(path.name),
                                                                  write_text(path, text)))

    def run(how: str) -> bytes:
        written_here.clear()
        out = tmp_path / how
        result = CliRunner().invoke(main, ["run", str(CASES / "fictional-ministry-family"), "--out", str(out),
                                           "--no-cache"])
        assert result.exit_code == 0, result.output
        return (out / "fictional-ministry-family" / "findings.json").read_bytes()

    beside = run("beside")
    assert "findings.json" not in written_here and "report.html" in written_here  # the second process wrote it
    assert b'"findings": [' in beside
    with monkeypatch.context() as mp:
        mp.setattr(SecondProcess, "submit", _second_process_died)
        assert run("fails") == beside and "findings.json" in written_here
    with monkeypatch.context() as mp:
        mp.setattr("riskcheck.report.second_process.cores", lambda: 1)
        assert run("one core") == beside and "findings.json" in written_here


def test_the_second_process_is_done_before_the_staging_folder_is_swapped_in_or_removed(tmp_path, monkeypatch):
    """It writes into the case's staging folder: it is waited for while that folder is still there, whether the
    report is written or fails, so nothing it writes lands in a folder swapped in or removed."""
    from click.testing import CliRunner

    from riskcheck.report import output, render
    from riskcheck.report.second_process import SecondProcess

    monkeypatch.setattr(render, "MAX_FINDINGS_ON_ONE_PAGE", 0)
    monkeypatch.setattr(render, "PAGES_BESIDE", 1)
    out = tmp_path / "out"
    staging_at_close = []
    close = SecondProcess.close

    def closing(self):
        staging_at_close.append([p.name for p in out.iterdir() if p.name.startswith(output.STAGING)])
        close(self)
    monkeypatch.setattr(SecondProcess, "close", closing)
    case = str(CASES / "fictional-ministry-family")
    assert CliRunner().invoke(main, ["run", case, "--out", str(out), "--no-cache"]).exit_code == 0
    with monkeypatch.context() as mp:
        def fails(*args):
            raise RuntimeError("the names page could not be made")
        mp.setattr(render, "_names_page", fails)
        result = CliRunner().invoke(main, ["run", case, "--out", str(out), "--no-cache"])
    assert "the report could not be written" in result.output
    assert staging_at_close == [[output.STAGING + "fictional-ministry-family"]] * 2
    assert not [p for p in out.iterdir() if p.name.startswith((output.STAGING, output.REPLACED))]
    assert (out / "fictional-ministry-family" / "report.html").is_file()  # the first run's report, as it was


def test_a_page_naming_someone_it_was_not_given_is_left_to_the_caller():
    from riskcheck.report.render import MissingName, PageContext, render_pages

    context = PageContext("en", {"id": "c", "title": "", "summary": "", "as_of": "", "jurisdictions": [],
                                 "rules_why": ""}, [], {}, {}, {}, {}, {}, {})
    with pytest.raises(MissingName):  # in a second process: the caller renders the page with the store's names
        render_pages("/nonexistent", context, [("p-1", "p-1.html", [])])


def test_person_page_names_are_safe_for_any_id():
    from riskcheck.report.render import person_page_name

    assert person_page_name("../../etc/passwd").startswith("etc-passwd-")
    assert person_page_name("Қасым") != person_page_name("Тоқаев") and person_page_name("Қасым").startswith("person-")


def test_evidence_is_fetched_in_bulk_not_one_finding_at_a_time(write_case):
    """Look-up queries stay the same whether a rule gives 2 findings or 40: a national registry gives
    thousands, and a query per finding cost seconds."""
    from datetime import date

    from riskcheck.engine.evaluate import evaluate_rule, resolve_params
    from riskcheck.registry.load import load_case
    from riskcheck.rules.loader import load_rules

    rule = next(r for r in load_rules(RULES) if r.id == "kinship-convicted-official")

    def queries(n: int) -> tuple[int, int]:
        lines = ["id: many", "as_of: 2024-01-01", "sources: [{id: s, title: Source}]",
                 "organizations: [{id: o, name: Ministry, sources: [s]}]", "persons:"]
        lines += [f"  - {{id: son{i}, name: Son {i}}}\n  - {{id: father{i}, name: Father {i}}}" for i in range(n)]
        lines.append("positions:")
        lines += [f"  - {{id: pos{i}, title: Post {i}, organization_id: o, reports_to: pos{(i + 1) % n}}}" for i in range(n)]
        lines.append("tenures:")
        lines += [f"  - {{id: t{i}, person_id: son{i}, position_id: pos{i}, start: 2022-03-01}}" for i in range(n)]
        lines.append("relations:")
        lines += [f"  - {{id: r{i}, person_id: son{i}, relative_id: father{i}, kind: parent, sources: [s]}}" for i in range(n)]
        lines.append("verdicts:")
        lines += [f"  - {{id: v{i}, person_id: father{i}, offence: bribe, category: corruption, outcome: convicted, "
                  f"in_force_date: 2021-07-01, sources: [s]}}" for i in range(n)]
        root = write_case("many", {"case.yaml": "\n".join(lines) + "\n"})
        registry = load_case((root / "many").resolve(), root.resolve())
        fetched = []
        fetch = registry._fetch
        registry._fetch = lambda sql: (fetched.append(sql), fetch(sql))[1]
        found = evaluate_rule(rule.compiled, registry, date(2024, 1, 1), resolve_params(rule.compiled, {}))
        registry.close()
        return len(found), len(fetched)

    few, many = queries(2), queries(40)
    assert few[0] == 2 and many[0] == 40
    assert many[1] == few[1]


def test_a_large_case_gives_a_unit_finding_a_page_of_its_own(tmp_path, monkeypatch):
    """Above the page threshold a unit finding is listed as about its unit and has the unit's page."""
    from click.testing import CliRunner

    from riskcheck.report import render

    monkeypatch.setattr(render, "MAX_FINDINGS_ON_ONE_PAGE", 1)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(CASES / "fictional-kz-akimat-staff"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    folder = out / "fictional-kz-akimat-staff"
    index = (folder / "report.html").read_text()
    assert "(the unit as a whole)" in index
    page = next(p for p in (folder / "persons").glob("o-land-a-*.html"))
    assert "Land Department (Region A)" in page.read_text() and "What this figure cannot show" in page.read_text()
