"""The command line: help with examples, overrides, exit codes."""

import json

import pytest

from riskcheck.cli import main

from conftest import CASES, RULES, minimal_case


@pytest.mark.parametrize("command", ["run", "validate", "test", "rules"])
def test_every_command_has_help_with_examples(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output


def test_param_override_changes_the_outcome(runner, tmp_path):
    args = ["run", str(CASES / "fictional-akimat-resignations"), "--rules", str(RULES), "--out", str(tmp_path)]
    assert runner.invoke(main, args).exit_code == 0
    default = json.loads((tmp_path / "fictional-akimat-resignations" / "findings.json").read_text())
    result = runner.invoke(main, args + ["--param", "subordinate-corruption-resignation.days_to_resign=3"])
    assert result.exit_code == 0, result.output
    shorter = json.loads((tmp_path / "fictional-akimat-resignations" / "findings.json").read_text())
    status = lambda doc, person: next(f["status"] for f in doc["findings"] if f["person"] == person)
    assert status(default, "p-dep-economy") == "complied"   # resigned on day 6 of 10
    assert status(shorter, "p-dep-economy") == "flagged"    # ... but 3 days were allowed


@pytest.mark.parametrize("param,message", [
    ("nonsense", "write RULE.NAME=VALUE"),
    ("no-such-rule.x=1", "no rule 'no-such-rule'"),
    ("subordinate-corruption-resignation.colour=1", "has no parameter 'colour'"),
    ("subordinate-corruption-resignation.days_to_resign=ten", "'ten' is not a whole number"),
])
def test_bad_param_overrides_are_usage_errors(runner, tmp_path, param, message):
    result = runner.invoke(main, ["run", str(CASES), "--rules", str(RULES), "--out", str(tmp_path), "--param", param])
    assert result.exit_code == 2 and message in result.output


def test_as_of_override_and_fail_on(runner, write_case, tmp_path):
    root = write_case("small", {"case.yaml": minimal_case()})
    base = ["run", str(root), "--rules", str(RULES), "--out", str(tmp_path / "out")]
    assert runner.invoke(main, base + ["--fail-on", "high"]).exit_code == 1
    assert runner.invoke(main, base + ["--as-of", "2021-01-01"]).exit_code == 0
    doc = json.loads((tmp_path / "out" / "small" / "findings.json").read_text())
    assert doc["as_of"] == "2021-01-01"
    bad = runner.invoke(main, base + ["--as-of", "2021-13"])
    assert bad.exit_code == 2 and "not a real date" in bad.output


def test_a_case_without_as_of_fails_with_a_clear_message(runner, write_case, tmp_path):
    root = write_case("undated", {"case.yaml": minimal_case("undated").replace("as_of: 2024-01-01\n", "")})
    result = runner.invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(tmp_path)])
    assert result.exit_code == 3 and "no as_of date" in result.output


def test_validate_lists_problems_and_writes_nothing(runner, write_case, tmp_path):
    root = write_case("bad", {"case.yaml": "id: bad\npersons: [{id: p1}]\n"})
    result = runner.invoke(main, ["validate", str(root)])
    assert result.exit_code == 3 and "record 'p1', field 'name': is required" in result.output
    assert runner.invoke(main, ["validate", str(CASES)]).exit_code == 0


def test_rules_and_test_commands(runner):
    listing = runner.invoke(main, ["rules", "--rules", str(RULES), "--params"])
    assert listing.exit_code == 0 and "subordinate-corruption-resignation" in listing.output
    assert "days_to_resign (int) = 10" in listing.output
    tested = runner.invoke(main, ["test", str(RULES), "-k", "flags_resignation_on_day_eleven"])
    assert tested.exit_code == 0
    assert tested.output == ("ok    subordinate-corruption-resignation::flags_resignation_on_day_eleven\n"
                             "1 passed, 0 failed\n")


def test_broken_rules_stop_the_run_with_exit_4(runner, tmp_path):
    (tmp_path / "bad-rule.yaml").write_text("id: bad-rule\n")
    result = runner.invoke(main, ["run", str(CASES), "--rules", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 4 and "bad-rule.yaml" in result.output
