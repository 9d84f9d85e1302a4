"""A statute's list of relations: read from both sides, adoption as birth, vague links undetermined with the
reason in words, partners apart from spouses (riskcheck.grammar.relations, listed() and the kinship store)."""

from __future__ import annotations

import re

import pytest

from riskcheck.engine.compile import compile_rule
from riskcheck.grammar.errors import RuleError
from riskcheck.registry.load import load_documents
from riskcheck.registry.schema import load_schema
from riskcheck.rules.loader import load_rules
from riskcheck.grammar.model import Rule
from riskcheck.grammar.parameters import coerce_param
from riskcheck.grammar.relations import reason, table, tokens
from riskcheck.rules.testing import test_findings
from riskcheck.yamlio import load_yaml_text

from conftest import ALL_RULES


def relations(value) -> dict:
    return coerce_param("relations", value)


def test_each_listed_relation_is_counted_from_both_sides():
    counted = set(tokens(relations(["step_child", "parent_in_law", "sibling"])))
    assert {"step_child", "step_parent", "parent_in_law", "child_in_law", "sibling"} <= counted
    assert "grandparent" not in counted


def test_adoption_counts_as_birth_unless_the_list_says_otherwise():
    assert {"adoptive_parent", "adopted_child"} <= set(tokens(relations(["parent"])))
    apart = tokens(relations({"listed": ["parent"], "adoption_as_birth": False}))
    assert "adoptive_parent" not in apart and "adopted_child" not in apart


def test_a_vague_kind_is_undetermined_only_where_some_of_its_meanings_are_listed():
    some_in_laws = relations(["parent", "parent_in_law"])
    assert "?in_law" in tokens(some_in_laws) and "?relative" in tokens(some_in_laws)
    assert "spouse's father or mother" in reason(some_in_laws, "in_law")
    blood_only = relations(["parent", "sibling"])
    assert "?in_law" not in tokens(blood_only)  # no in-law is listed: an in-law gives nothing
    assert "?relative" in tokens(blood_only)


def test_an_unsure_kind_carries_its_reason_from_both_sides():
    value = relations({"listed": ["spouse"], "unsure": {"grandparent_in_law": "only if they live together"}})
    assert reason(value, "grandparent_in_law") == reason(value, "grandchild_in_law") == "only if they live together"
    assert "grandparent_in_law" not in tokens(value)


@pytest.mark.parametrize("value, words", [
    (["parent", "uncle"], "'uncle': not a kinship kind"),
    ({"listed": ["parent_in_law"], "unsure": {"child_in_law": "why"}}, "both listed and unsure"),
    ({"listed": ["spouse"], "unsure": {"in_law": " "}}, "say in words why"),
    ({"listed": ["spouse"], "partners": True}, "partners"),
])
def test_a_wrong_list_is_refused_naming_what_is_wrong(value, words):
    with pytest.raises(ValueError, match=words):
        relations(value)


def test_a_list_given_on_the_command_line_is_read_as_kinds():
    assert relations("parent, spouse")["listed"] == ["parent", "spouse"]


def test_the_documentation_table_shows_each_relation_both_ways_once():
    rows = table(relations(["step_child", "parent_in_law"]))
    assert ("stepson or stepdaughter (the spouse's child)", "stepfather or stepmother (a parent's spouse)",
            "counted") in rows
    assert ("the spouse's father or mother", "a child's husband or wife", "counted") in rows
    assert not any(one.startswith("stepfather") for one, _, _ in rows)  # the same relation is one row


RULE = """
id: r
version: "1"
title: t
kind: risk_indicator
severity: low
description: d
rationale: r
legal_basis: []
parameters:
  rel: {type: relations, default: [parent], description: d}
subject: a
match:
  a: {from: persons}
  b: {from: persons}
  kin: {from: kinship, on: {person_id: a, relative_id: b}}
where:
  - CHECK
summary: s
explanation: e
"""


@pytest.mark.parametrize("check, words", [
    ("kin.kind in $rel", "write listed(kin, $rel)"),
    ("listed(a, $rel)", "takes a kinship variable first"),
    ("listed(kin, ['parent'])", "parameter of type `relations`"),
    ("during(a, a.birth_date, $rel)", "takes a kinship variable, a date"),
])
def test_a_relations_list_is_read_only_through_listed_and_during(check, words):
    rule = Rule.model_validate(load_yaml_text(RULE.replace("CHECK", check)))
    with pytest.raises(RuleError, match=re.escape(words)):
        compile_rule(rule, load_schema())


def _shipped(rule_id: str, test_name: str):
    (loaded,) = [r for r in load_rules(ALL_RULES) if r.id == rule_id]
    index, test = next((i, t) for i, t in enumerate(loaded.rule.tests) if t.name == test_name)
    return test_findings(loaded, index, test)


def test_an_undetermined_vague_link_says_why_in_words():
    (finding,) = _shipped("ru-relatives-direct-subordination", "undetermined_superior_recorded_as_in_law")
    assert finding.status == "undetermined"
    (why,) = finding.undecided
    assert "recorded only as `in_law`" in why and "find out how the two are related" in why
    (finding,) = _shipped("ua-close-persons-direct-subordination", "undetermined_superior_recorded_as_grandparent_in_law")
    assert "live with the official as one family" in finding.undecided[0]


PARTNERS = """
persons:
  - {id: me, name: Official}
  - {id: her, name: Partner}
  - {id: her-father, name: Partner's father}
organizations: [{id: o, name: Body}]
positions: [{id: pos, title: Post, organization_id: o}]
tenures:
  - {id: t1, person_id: me, position_id: pos, start: 2020-01-01}
  - {id: t2, person_id: her-father, position_id: pos, start: 2020-01-01}
relations:
  - {id: r1, person_id: me, relative_id: her, kind: partner, start: 2015-01-01}
  - {id: r2, person_id: her, relative_id: her-father, kind: parent}
"""


def test_a_partner_is_never_a_spouse_and_in_laws_through_one_say_so():
    registry = load_documents([(load_yaml_text(PARTNERS), "inline")])
    rows = registry.conn.execute("SELECT person_id, relative_id, kind, affinity_via, degree, line FROM kinship "
                                 "ORDER BY ALL").fetchall()
    assert not any(kind == "spouse" for _, _, kind, *_ in rows)
    assert ("me", "her", "partner", None, 0, "partner") in rows
    assert ("me", "her-father", "parent_in_law", "partner", 1, "affinity") in rows
    assert ("her-father", "me", "child_in_law", "partner", 1, "affinity") in rows
