"""The docs are tested: generated pages are current, the worked example runs, the tutorial's claims hold."""

import json
import shutil

from riskcheck.cli import main
from riskcheck.cli.docs import cli_reference
from riskcheck.report.rule_docs import rule_page, rules_index
from riskcheck.rules.loader import load_rules
from riskcheck.rules.testing import run_rule_tests

from conftest import ALL_RULES, CASES, REPO, RULES


def test_generated_rule_pages_and_cli_reference_are_current():
    rules = load_rules(ALL_RULES)
    stale = [r.id for r in rules if (REPO / "docs" / "rules" / f"{r.id}.md").read_text() != rule_page(r)]
    assert not stale, f"run `riskcheck docs`: stale pages for {stale}"
    assert (REPO / "docs" / "rules" / "README.md").read_text() == rules_index(rules)
    assert (REPO / "docs" / "cli.md").read_text() == cli_reference(main), "run `riskcheck docs`"


def test_the_worked_example_rule_passes_its_tests():
    (example,) = load_rules(REPO / "docs" / "examples")
    results = run_rule_tests(example)
    assert results and all(r.passed for r in results), [r.message for r in results if not r.passed]


def test_tutorial_new_data_flips_the_kinship_finding(tmp_path, runner):
    cases = tmp_path / "cases"
    shutil.copytree(CASES, cases)
    verdicts = cases / "imanaliev-appointment" / "verdicts.yaml"
    verdicts.write_text(verdicts.read_text() + "  category: corruption\n  in_force_date: 2021-06-10\n")
    result = runner.invoke(main, ["run", str(cases / "imanaliev-appointment"), "--rules", str(RULES),
                                  "--out", str(tmp_path / "out")])
    assert "imanaliev-appointment: 1 flagged, 1 undetermined (as of 2025-11-01)" in result.output
    doc = json.loads((tmp_path / "out" / "imanaliev-appointment" / "findings.json").read_text())
    assert {f["rule"]: f["status"] for f in doc["findings"]} == {
        "kinship-convicted-official": "flagged", "reserve-relative-conflict": "undetermined"}


def test_readme_names_the_two_commands():
    readme = (REPO / "README.md").read_text()
    assert "pip install -e . && riskcheck run cases/" in readme
    assert "pip install -e '.[test]' && pytest" in readme
