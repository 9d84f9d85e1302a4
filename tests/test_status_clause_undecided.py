"""A duty whose status clause cannot be decided names that clause in the finding, in its own words."""

import textwrap
from datetime import date

from riskcheck.engine.evaluate import evaluate_rule, resolve_params
from riskcheck.registry.load import load_documents
from riskcheck.rules.loader import load_rules
from riskcheck.yamlio import load_yaml_text

DUTY = """\
id: my-duty
version: "1"
title: T
kind: legal_duty
severity: high
description: d
rationale: r
legal_basis: [{title: Some law}]
subject: who
match:
  tenure: {from: tenures}
  who: {from: persons, on: {id: tenure.person_id}}
status:
  - {status: complied, when: "tenure.end < as_of"}
  - {status: pending, when: "tenure.start < as_of"}
summary: "{{ who.name }}"
explanation: x
"""


def test_an_undecided_status_clause_without_means_is_named_by_its_condition(tmp_path):
    (tmp_path / "my-duty.yaml").write_text(textwrap.dedent(DUTY))
    (loaded,) = load_rules(tmp_path)
    doc = load_yaml_text("""
        persons: [{id: p1, name: A}]
        organizations: [{id: o, name: O}]
        positions: [{id: pos, title: T, organization_id: o}]
        tenures: [{id: t, person_id: p1, position_id: pos, start: 2019-01-01}]
        """)
    registry = load_documents([(doc, "inline")])
    (found,) = evaluate_rule(loaded.compiled, registry, date(2024, 1, 1), resolve_params(loaded.compiled, {}))
    assert found.status == "undetermined"
    assert found.undecided == ["whether tenure.end < as_of"]
    assert "Cannot be decided from the data: whether tenure.end < as_of." in [s.text for s in found.steps]
