"""Every shipped rule's inline tests, collected by pytest (`pytest -k day_eleven` runs one)."""

from collections import Counter

import pytest

from riskcheck.rules.loader import load_rules
from riskcheck.rules.testing import run_language_check, run_rule_test, test_findings

from conftest import ALL_RULES as RULES

LOADED = load_rules(RULES)
CASES = [(loaded, i, test) for loaded in LOADED for i, test in enumerate(loaded.rule.tests)]


@pytest.mark.parametrize("loaded,index,test", CASES, ids=[f"{l.id}::{t.name}" for l, _, t in CASES])
def test_rule_inline_test(loaded, index, test):
    """The test gives the findings it expects, and an undetermined one names what cannot be decided (checked on
    the same findings: each test's registry is built once)."""
    result = run_rule_test(loaded, index, test)
    assert result.passed, f"{loaded.path}:{result.line}: {result.message}"
    for finding in result.findings:
        if finding.status == "undetermined":
            assert finding.undecided, f"{test.name}: undetermined without saying why"
            assert any(s.outcome == "unknown" for s in finding.steps)


LANGUAGE_CASES = [(loaded, lang) for loaded in LOADED for lang in loaded.rule.translations]


@pytest.mark.parametrize("loaded,lang", LANGUAGE_CASES, ids=[f"{l.id}::in_{lang}" for l, lang in LANGUAGE_CASES])
def test_rule_writes_its_findings_in_each_of_its_languages(loaded, lang):
    result = run_language_check(loaded, lang)
    assert result.passed, f"{loaded.path}:{result.line}: {result.message}"


@pytest.mark.parametrize("loaded", LOADED, ids=[l.id for l in LOADED])
def test_every_rule_is_tested_in_each_way(loaded):
    """A positive, a negative, a boundary and an undetermined test, at least."""
    tests = loaded.rule.tests
    statuses = Counter(e.status for t in tests for e in t.expect)
    assert statuses["undetermined"] >= 1
    assert statuses["flagged"] >= 1
    assert any(not t.expect for t in tests), "no negative test"
    assert any("boundary" in (t.description or "").lower() for t in tests), "no boundary test"
    if loaded.rule.kind == "legal_duty":
        assert statuses["complied"] >= 1 and statuses["pending"] >= 1


def test_a_wrong_expectation_fails():
    """The runner is not a rubber stamp: flip an expected status and the test must fail."""
    loaded = next(l for l in LOADED if l.id == "subordinate-corruption-resignation")
    index, test = next((i, t) for i, t in enumerate(loaded.rule.tests) if t.name == "flags_resignation_on_day_eleven")
    wrong = test.model_copy(update={"expect": [e.model_copy(update={"status": "complied"}) for e in test.expect]})
    result = run_rule_test(loaded, index, wrong)
    assert not result.passed
    assert "expected but not found: complied for p-minister" in result.message
    assert "found but not expected: flagged for p-minister" in result.message


def test_shipped_rule_ids_are_the_interface():
    assert [l.id for l in LOADED] == [
        "br-cross-appointment", "br-relative-of-appointing-authority", "br-relative-of-senior-servant",
        "family-cluster", "kinship-convicted-official", "kz-relatives-quasi-public-governing-body",
        "relatives-direct-subordination", "reserve-relative-conflict",
        "ru-relatives-direct-subordination", "subordinate-corruption-resignation", "surname-clustering",
        "ua-close-persons-direct-subordination", "us-relative-appointed-by-official",
        "uz-close-relatives-direct-subordination"]
    # The Kazakh rules keep the ids they had before the packs: saved reviews and --param refer to them.
    assert {l.id for l in LOADED if l.rule.jurisdiction == "KZ"} == {
        "kinship-convicted-official", "kz-relatives-quasi-public-governing-body", "relatives-direct-subordination",
        "reserve-relative-conflict", "subordinate-corruption-resignation"}


@pytest.mark.parametrize("loaded", [l for l in LOADED if not l.is_unit_indicator],
                         ids=[l.id for l in LOADED if not l.is_unit_indicator])
def test_legal_basis_quotes_the_article_or_says_why_not(loaded):
    """The law a rule rests on comes first, linked to its official publication; it quotes the article with an
    English rendering, or says that the official text could not be read (and what the rule rests on)."""
    law = loaded.rule.legal_basis[0]
    assert law.url and any(site in law.url for site in OFFICIAL_SITES), law.url
    note = " ".join((law.note or "").split()).lower()
    assert (law.quote and law.quote_en) or "official" in note and ("not read" in note or "not checked" in note
                                                                         or "could not be read" in note)
    assert "secondary" in note or "copies" in note or "copy" in note or "news report" in note or "translation" in note


OFFICIAL_SITES = ("adilet.zan.kz", "planalto.gov.br", "portal.stf.jus.br", "uscode.house.gov", "pravo.gov.ru",
                  "consultant.ru", "zakon.rada.gov.ua", "lex.uz")


def _finding_of(rule_id: str, test_name: str):
    loaded = next(l for l in LOADED if l.id == rule_id)
    index, test = next((i, t) for i, t in enumerate(loaded.rule.tests) if t.name == test_name)
    (finding,) = test_findings(loaded, index, test)
    return finding


def test_every_kinship_path_that_counts_is_listed_in_one_finding():
    # The wife's brother (reported) is also, allegedly, the sister's husband: one finding, the reported
    # path deciding (flagged), both shown.
    f = _finding_of("kinship-convicted-official", "flags_reported_link_beside_an_alleged_one")
    assert f.status == "flagged"
    assert f.records["kin"] == ["r1", "r2", "r3", "r4"]
    assert any("related in 2 ways" in s.text and "; alleged)" in s.text and "; reported)" in s.text
               for s in f.steps)
    # A vague `relative` record may or may not be a close relative (an undetermined path); the derived
    # father-in-law path is one, and decides: flagged, both paths listed.
    f = _finding_of("kinship-convicted-official", "flags_father_in_law_recorded_only_as_a_relative")
    assert f.status == "flagged"
    assert f.records["kin"] == ["r-fil", "r-marriage", "r-vague"]


def test_an_admitted_alleged_link_is_named_as_the_undecided_condition():
    f = _finding_of("kinship-convicted-official", "undetermined_alleged_link_when_admitted")
    assert f.undecided == ["the family link is established (reported or confirmed), not only alleged or inferred"]
    assert "alleged" in {flag for s in f.steps for flag in s.flags}


def test_a_finding_id_names_the_situation_not_the_kinship_path():
    """A relation recorded later between the same two people must not orphan a reviewer's decision."""
    one = _finding_of("kinship-convicted-official", "flags_father_in_law_recorded_only_as_a_relative")
    two = _finding_of("kinship-convicted-official", "flags_father_in_law_through_a_current_marriage")
    assert one.id == two.id
