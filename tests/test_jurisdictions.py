"""A run applies the rule packs of the jurisdictions a case states; --rules picks packs by hand."""

from __future__ import annotations

import json

from riskcheck.cli import main

from conftest import ALL_RULES, minimal_case

# The minimal case: a son appointed after his father's corruption conviction, a Kazakh lead.
KZ_FINDING = ("kinship-convicted-official", "flagged")


def run(runner, root, out, *extra):
    result = runner.invoke(main, ["run", str(root), "--out", str(out), *extra])
    doc = json.loads((out / "small" / "findings.json").read_text()) if (out / "small" / "findings.json").exists() else None
    return result, doc


SIGNALS = ["family-cluster", "surname-clustering"]  # rules of no jurisdiction: every case is judged by them


def case_with(jurisdiction_line: str, org: str = "{id: o-min, name: Ministry}") -> str:
    text = minimal_case().replace("jurisdiction: KZ\n", jurisdiction_line)
    return text.replace("organizations: [{id: o-min, name: Ministry}]", f"organizations: [{org}]")


def test_a_kazakh_case_is_judged_by_the_kazakh_pack_only(runner, write_case, tmp_path):
    root = write_case("small", {"case.yaml": minimal_case()})
    result, doc = run(runner, root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert {(f["rule"], f["status"]) for f in doc["findings"]} == {KZ_FINDING}
    assert doc["jurisdictions"] == ["KZ"]
    # The unit indicators (SIGNALS) judge every jurisdiction.
    assert {r["id"] for r in doc["rules"]} == {"kinship-convicted-official",
                                               "kz-relatives-quasi-public-governing-body",
                                               "relatives-direct-subordination", "reserve-relative-conflict",
                                               "subordinate-corruption-resignation", *SIGNALS}
    html = (tmp_path / "out" / "small" / "report.html").read_text()
    assert "Jurisdiction: KZ" in html and "the rule packs of KZ" in html


def test_another_countrys_case_is_not_judged_by_kazakh_law(runner, write_case, tmp_path):
    root = write_case("small", {"case.yaml": case_with("jurisdiction: us\n")})
    result, doc = run(runner, root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert doc["findings"] == [] and doc["jurisdictions"] == ["US"]
    assert [r["id"] for r in doc["rules"]] == [*SIGNALS, "us-relative-appointed-by-official"]


def test_an_organization_can_state_the_jurisdiction(runner, write_case, tmp_path):
    root = write_case("small", {"case.yaml": case_with("", "{id: o-min, name: Ministry, jurisdiction: KZ}")})
    result, doc = run(runner, root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert doc["jurisdictions"] == ["KZ"] and {(f["rule"], f["status"]) for f in doc["findings"]} == {KZ_FINDING}
    assert "states no jurisdiction" not in result.output


def test_a_case_stating_none_is_judged_by_every_pack_and_told_so(runner, write_case, tmp_path):
    root = write_case("small", {"case.yaml": case_with("")})
    result, doc = run(runner, root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "states no jurisdiction, so the rules of every pack loaded (BR, KZ, RU, UA, US, UZ) were applied" \
        in result.output
    assert len(doc["rules"]) == len(list(ALL_RULES.glob("*/*.yaml")))


def test_a_jurisdiction_without_a_pack_is_a_warning_not_silence(runner, write_case, tmp_path):
    root = write_case("small", {"case.yaml": case_with("jurisdiction: [KZ, DE]\n")})
    result, doc = run(runner, root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "jurisdiction DE has no rule pack among the rules loaded" in result.output
    assert {(f["rule"], f["status"]) for f in doc["findings"]} == {KZ_FINDING}


def test_validate_says_nothing_of_rule_packs_it_does_not_load(runner, write_case):
    """`validate` checks the data alone: a case stating a jurisdiction (one with a pack, one without) is valid,
    with no word of packs or of law not checked."""
    root = write_case("small", {"case.yaml": case_with("jurisdiction: [KZ, DE]\n")})
    result = runner.invoke(main, ["validate", str(root)])
    assert result.exit_code == 0, result.output
    assert "small: valid" in result.output and "rule pack" not in result.output, result.output


def test_a_malformed_jurisdiction_is_refused_with_its_line(runner, write_case, tmp_path):
    root = write_case("small", {"case.yaml": case_with("jurisdiction: Kazakhstan\n")})
    result, _ = run(runner, root, tmp_path / "out")
    assert result.exit_code != 0
    assert "case.yaml line 4: field 'jurisdiction': 'Kazakhstan' is not a two-letter ISO country code" \
        in result.output


def test_rules_picked_by_hand_apply_whatever_the_case_states(runner, write_case, tmp_path):
    root = write_case("small", {"case.yaml": case_with("jurisdiction: US\n")})
    result, doc = run(runner, root, tmp_path / "out", "--rules", str(ALL_RULES / "kz"))
    assert result.exit_code == 0, result.output
    assert {(f["rule"], f["status"]) for f in doc["findings"]} == {KZ_FINDING}
    assert "the rules chosen for this run (--rules)" in (tmp_path / "out" / "small" / "report.html").read_text()


MIXED = """\
id: small
title: Two countries' bodies in one case
as_of: 2024-01-01
persons:
  - {id: p-father, name: Father}
  - {id: p-son, name: Son}
  - {id: p-daughter, name: Daughter}
organizations:
  - {id: o-kz, name: A Kazakh ministry, jurisdiction: KZ}
  - {id: o-kz-dept, name: Its department, parent_id: o-kz}
  - {id: o-us, name: A US agency, jurisdiction: US}
positions:
  - {id: pos-kz, title: Adviser, organization_id: o-kz-dept}
  - {id: pos-us, title: Analyst, organization_id: o-us}
  - {id: pos-us-head, title: Administrator, organization_id: o-us}
relations:
  - {id: r1, person_id: p-son, relative_id: p-father, kind: parent}
  - {id: r2, person_id: p-daughter, relative_id: p-father, kind: parent}
verdicts:
  - {id: v1, person_id: p-father, offence: bribery, category: corruption, outcome: convicted, in_force_date: 2015-07-01}
tenures:
  - {id: t-father, person_id: p-father, position_id: pos-us-head, start: 2020-01-01}
  - {id: t-son, person_id: p-son, position_id: pos-kz, start: 2022-03-01}
  - {id: t-daughter, person_id: p-daughter, position_id: pos-us, start: 2022-03-01, appointed_by: p-father}
"""


def test_each_countrys_rules_judge_only_the_bodies_under_its_law(runner, write_case, tmp_path):
    # The son's post is in a department under the Kazakh ministry; the daughter's in the US agency, where
    # her father appointed her. Kazakh law has no say on the US appointment, nor US law on the Kazakh one.
    root = write_case("small", {"case.yaml": MIXED})
    result, doc = run(runner, root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert doc["jurisdictions"] == ["KZ", "US"]
    assert {(f["rule"], f["person"]) for f in doc["findings"]} == {
        ("kinship-convicted-official", "p-son"), ("us-relative-appointed-by-official", "p-daughter")}
    # By hand, every rule judges every body: the daughter's appointment after her father's conviction is a
    # Kazakh lead too.
    result, doc = run(runner, root, tmp_path / "all", "--rules", str(ALL_RULES / "kz"), "--rules",
                      str(ALL_RULES / "us"))
    assert ("kinship-convicted-official", "p-daughter") in {(f["rule"], f["person"]) for f in doc["findings"]}
