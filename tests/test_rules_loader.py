"""Rule files are checked before anything runs, with the file, line and key of each problem."""

import textwrap

import pytest

from riskcheck.errors import ProblemError
from riskcheck.rules.loader import load_rules

GOOD = """\
id: {id}
version: "1"
title: T
kind: risk_indicator
severity: high
description: d
rationale: r
legal_basis: [{{title: Some law}}]
subject: who
match:
  tenure: {{from: tenures}}
  who: {{from: persons, on: {{id: tenure.person_id}}}}
where:
  - tenure.start < as_of
summary: "{{{{ who.name }}}}"
explanation: x
"""


def write_rule(tmp_path, text: str, name: str = "my-rule") -> None:
    (tmp_path / f"{name}.yaml").write_text(textwrap.dedent(text))


def problems(tmp_path) -> list[str]:
    with pytest.raises(ProblemError) as exc:
        load_rules(tmp_path)
    return [str(p) for p in exc.value.problems]


def test_a_minimal_rule_loads(tmp_path):
    write_rule(tmp_path, GOOD.format(id="my-rule"))
    assert [r.id for r in load_rules(tmp_path)] == ["my-rule"]


def test_unknown_key_is_located(tmp_path):
    write_rule(tmp_path, GOOD.format(id="my-rule") + "colour: red\n")
    assert any("line 17" in p and "field 'colour': unknown key" in p for p in problems(tmp_path))


def test_bad_enum_value_is_located(tmp_path):
    write_rule(tmp_path, GOOD.format(id="my-rule").replace("severity: high", "severity: huge"))
    assert any("line 5" in p and "field 'severity'" in p for p in problems(tmp_path))


def test_unknown_variable_in_a_condition_is_located(tmp_path):
    write_rule(tmp_path, GOOD.format(id="my-rule").replace("tenure.start < as_of", "tenur.start < as_of"))
    found = problems(tmp_path)
    assert any("line 14" in p and "unknown name 'tenur'" in p for p in found), found


def test_binding_may_not_use_a_later_variable(tmp_path):
    text = GOOD.format(id="my-rule").replace("tenure: {from: tenures}",
                                             "tenure: {from: tenures, on: {person_id: who}}")
    write_rule(tmp_path, text)
    assert any("who is bound later in `match`" in p for p in problems(tmp_path))


def test_rule_id_must_equal_the_file_name(tmp_path):
    write_rule(tmp_path, GOOD.format(id="other-name"))
    assert any("must equal the file name 'my-rule'" in p for p in problems(tmp_path))


def test_duty_needs_status_clauses(tmp_path):
    write_rule(tmp_path, GOOD.format(id="my-rule").replace("risk_indicator", "legal_duty"))
    assert any("needs `status` clauses" in p for p in problems(tmp_path))


def test_parameter_default_must_match_its_type(tmp_path):
    write_rule(tmp_path, GOOD.format(id="my-rule") + "parameters:\n  days: {type: int, default: ten, description: d}\n")
    assert any("'ten' is not a whole number" in p for p in problems(tmp_path))


def test_legal_basis_link_must_be_http(tmp_path):
    write_rule(tmp_path, GOOD.format(id="my-rule").replace("{title: Some law}", "{title: Law, url: 'javascript:x'}"))
    assert any("must be an http(s) address" in p for p in problems(tmp_path))


def test_effective_period_limits_the_events_a_rule_judges(tmp_path):
    from riskcheck.engine.evaluate import evaluate_rule, resolve_params
    from riskcheck.registry.load import load_documents
    from riskcheck.yamlio import load_yaml_text

    write_rule(tmp_path, GOOD.format(id="my-rule") + "effective: {from: 2020-01-01, date: tenure.start}\n")
    (loaded,) = load_rules(tmp_path)
    doc = load_yaml_text("""
        persons: [{id: p1, name: A}, {id: p2, name: B}, {id: p3, name: C}]
        organizations: [{id: o, name: O}]
        positions: [{id: pos, title: T, organization_id: o}]
        tenures:
          - {id: t-before, person_id: p1, position_id: pos, start: 2019-12-31}
          - {id: t-after, person_id: p2, position_id: pos, start: 2020-01-01}
          - {id: t-unclear, person_id: p3, position_id: pos, start: 2019-12/2020-01}
        """)
    registry = load_documents([(doc, "inline")])
    from datetime import date
    found = evaluate_rule(loaded.compiled, registry, date(2024, 1, 1), resolve_params(loaded.compiled, {}))
    assert {(f.person, f.status) for f in found} == {("p2", "flagged"), ("p3", "undetermined")}
    unclear = next(f for f in found if f.person == "p3")
    assert unclear.undecided == ["the rule is in force for events on or after 2020-01-01"]
