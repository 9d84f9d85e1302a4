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
    assert unclear.undecided == ["the rule is in force for events on or after 1 January 2020"]


def test_a_quote_needs_its_english_rendering(tmp_path):
    write_rule(tmp_path, GOOD.format(id="my-rule").replace("{title: Some law}", "{title: Law, quote: 'Texto.'}"))
    assert any("give `quote`" in p and "`quote_en`" in p for p in problems(tmp_path))


def test_a_contested_exemption_needs_its_reason(tmp_path):
    write_rule(tmp_path, GOOD.format(id="my-rule") + textwrap.dedent("""\
        exemptions:
          - {name: political, applies: "tenure.notes = 'x'", means: m, effect: contested}
        """))
    assert any("needs a `reason`" in p for p in problems(tmp_path))


def test_scope_and_exemptions_decide_as_the_law_reads(tmp_path):
    """Outside the scope or inside an exemption: no finding. Where the data cannot tell either: undetermined,
    naming which. A contested exemption never drops a finding: where it applies it is undetermined, with the
    reason in words."""
    from datetime import date

    from riskcheck.engine.evaluate import evaluate_rule, resolve_params
    from riskcheck.registry.load import load_documents
    from riskcheck.yamlio import load_yaml_text

    write_rule(tmp_path, GOOD.format(id="my-rule").replace(
        "  who: {from: persons, on: {id: tenure.person_id}}",
        "  post: {from: positions, on: {id: tenure.position_id}}\n"
        "  body: {from: organizations, on: {id: post.organization_id}, key: false}\n"
        "  who: {from: persons, on: {id: tenure.person_id}}") + textwrap.dedent("""\
        scope:
          - {check: "body.government_level = 'national'", means: the body is a national one, law: Art. 1}
        exemptions:
          - {name: rural, applies: "body.settlement = 'rural'", means: the body works in a village, law: Art. 2}
          - {name: political, applies: "post.filled_by = 'political'", means: the post is political,
             effect: contested, reason: the courts disagree}
        """))
    (loaded,) = load_rules(tmp_path)
    doc = load_yaml_text("""
        persons: [{id: p1, name: A}, {id: p2, name: B}, {id: p3, name: C}, {id: p4, name: D}, {id: p5, name: E},
                  {id: p6, name: F}]
        organizations:
          - {id: o-national, name: N, government_level: national, settlement: urban}
          - {id: o-county, name: C, government_level: local, settlement: urban}
          - {id: o-unknown, name: U, settlement: urban}
          - {id: o-village, name: V, government_level: national, settlement: rural}
          - {id: o-somewhere, name: S, government_level: national}
        positions:
          - {id: pos-n, title: T, organization_id: o-national, filled_by: commissioned}
          - {id: pos-c, title: T, organization_id: o-county, filled_by: commissioned}
          - {id: pos-u, title: T, organization_id: o-unknown, filled_by: commissioned}
          - {id: pos-v, title: T, organization_id: o-village, filled_by: commissioned}
          - {id: pos-s, title: T, organization_id: o-somewhere, filled_by: commissioned}
          - {id: pos-p, title: T, organization_id: o-national, filled_by: political}
        tenures:
          - {id: t1, person_id: p1, position_id: pos-n, start: 2020-01-01}
          - {id: t2, person_id: p2, position_id: pos-c, start: 2020-01-01}
          - {id: t3, person_id: p3, position_id: pos-u, start: 2020-01-01}
          - {id: t4, person_id: p4, position_id: pos-v, start: 2020-01-01}
          - {id: t5, person_id: p5, position_id: pos-s, start: 2020-01-01}
          - {id: t6, person_id: p6, position_id: pos-p, start: 2020-01-01}
        """)
    found = {f.person: f for f in evaluate_rule(loaded.compiled, load_documents([(doc, "inline")]), date(2024, 1, 1),
                                                resolve_params(loaded.compiled, {}))}
    assert {p: f.status for p, f in found.items()} == {"p1": "flagged", "p3": "undetermined",
                                                        "p5": "undetermined", "p6": "undetermined"}
    assert found["p3"].undecided == ["whether the law covers this: the body is a national one (Art. 1)"]
    assert found["p5"].undecided == ["whether the law's exemption applies: the body works in a village (Art. 2)"]
    assert found["p6"].undecided == ["the law is unsettled where the post is political: the courts disagree"]
    steps = [s.text for s in found["p1"].steps if s.kind == "check"]
    assert "Within the law's scope: the body is a national one (Art. 1)." in steps
    assert "The law's exemption does not apply: the body works in a village (Art. 2)." in steps
