"""`riskcheck test` as a rule author meets it: a rule that cannot decide says why, and a rule that fails while
it is evaluated is a failed test naming the rule and the failure, as `riskcheck run` reports it for a case."""

from __future__ import annotations

from pathlib import Path

from riskcheck.cli import main
from riskcheck.rules.loader import load_rules
from riskcheck.rules.testing import test_findings
from conftest import minimal_case

# A duty whose status clauses have no `means`: the report words them by their conditions.
DUTY = """\
id: {id}
version: "1"
title: A duty whose status clauses say nothing in words
kind: legal_duty
severity: high
description: d
rationale: r
legal_basis: [{{title: Some law}}]
subject: who
match:
  tenure: {{from: tenures}}
  who: {{from: persons, on: {{id: tenure.person_id}}}}
status:
  - flagged: tenure.end < as_of
  - complied: tenure.end >= as_of
summary: "{{{{ who.name }}}} held a post"
explanation: x
tests:
  - name: no_end_date
    as_of: 2024-01-01
    records:
      organizations: [{{id: o1, name: Ministry}}]
      positions: [{{id: pos1, title: Head, organization_id: o1}}]
      persons: [{{id: p1, name: A}}]
      tenures: [{{id: t1, person_id: p1, position_id: pos1, start: 2020-01-01}}]
    expect: [{{status: undetermined, person: p1}}]
"""


def duty_pack(tmp_path: Path, *ids: str) -> Path:
    folder = tmp_path / "pack"
    folder.mkdir(exist_ok=True)
    for rule_id in ids:
        (folder / f"{rule_id}.yaml").write_text(DUTY.format(id=rule_id))
    return folder


def test_a_duty_whose_undecided_status_clause_has_no_words_names_its_condition(runner, tmp_path):
    # The tenure has no end, so neither clause can be decided; the finding was never made (it looked for the
    # clause's `when`, which a compiled clause does not keep) and `riskcheck test` failed the test.
    pack = duty_pack(tmp_path, "undecided-duty")
    result = runner.invoke(main, ["test", str(pack)])
    assert result.exit_code == 0, result.output
    assert "ok    undecided-duty::no_end_date" in result.output and "1 passed, 0 failed" in result.output
    loaded = load_rules(pack / "undecided-duty.yaml")[0]
    (finding,) = test_findings(loaded, 0, loaded.rule.tests[0])
    assert finding.status == "undetermined"
    assert finding.undecided == ["whether tenure.end < as_of"]
    assert "Cannot be decided from the data: whether tenure.end < as_of." in [s.text for s in finding.steps]


def test_a_rule_failing_as_it_is_evaluated_fails_its_test_as_run_names_it_and_the_others_still_run(
        runner, write_case, tmp_path, monkeypatch):
    import riskcheck.rules.evaluation as evaluation

    real = evaluation.match_rule

    def broken(compiled, *args, **kwargs):
        if compiled.rule.id == "broken-duty":
            raise RuntimeError("the engine broke in /home/someone/riskcheck/engine/evaluate.py")
        return real(compiled, *args, **kwargs)

    monkeypatch.setattr(evaluation, "match_rule", broken)
    pack = duty_pack(tmp_path, "broken-duty", "undecided-duty")
    tested = runner.invoke(main, ["test", str(pack)])
    assert tested.exit_code == 3 and "Traceback" not in tested.output
    assert "FAIL  broken-duty::no_end_date at " in tested.output
    assert "broken-duty.yaml:19: the test could not run: RuntimeError: the engine broke in evaluate.py" \
        in tested.output
    assert "ok    undecided-duty::no_end_date" in tested.output and "1 passed, 1 failed" in tested.output

    root = write_case("small", {"case.yaml": minimal_case("small")})
    ran = runner.invoke(main, ["run", str(root), "--rules", str(pack), "--out", str(tmp_path / "out")])
    assert ran.exit_code == 3 and "Traceback" not in ran.output
    assert "rule broken-duty (broken-duty.yaml): the rule could not be evaluated on this case: RuntimeError: " \
           "the engine broke in evaluate.py" in ran.output


def test_a_fixture_that_cannot_be_read_fails_its_test_in_one_line(runner, tmp_path):
    pack = duty_pack(tmp_path, "undecided-duty")
    rule = pack / "undecided-duty.yaml"
    rule.write_text(rule.read_text().replace("    records:", "    fixture: _fixtures\n    records:"))
    (pack / "_fixtures").mkdir()  # a folder where a file of records belongs
    result = runner.invoke(main, ["test", str(pack)])
    assert result.exit_code == 3 and "Traceback" not in result.output
    assert "FAIL  undecided-duty::no_end_date" in result.output
    assert "the test could not run: IsADirectoryError: [Errno 21] Is a directory" in result.output
