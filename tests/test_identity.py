"""Identity resolution in `riskcheck run`: one human under two records, namesakes kept apart, hints."""

from datetime import date

from riskcheck.names.resolve import PersonNames, resolve
from riskcheck.pipeline import RunOptions, run_cases
from riskcheck.rules.loader import load_rules

from conftest import RULES

CASE = """\
id: scripts
as_of: 2024-06-01
sources:
  - {id: s, title: Test source, kind: press}
persons:
  - {id: p-court, name: Жақсыбеков Серік Болатұлы, birth_date: 1961-04-12, sources: [s]}
  - {id: p-press, name: Serik Bolatovich Zhaksybekov, birth_date: %(press_birth)s, sources: [s]}
  - {id: p-son, name: Arman Serikovich Zhaksybekov, birth_date: 1988-07-03, sources: [s]}
relations:
  - {id: r1, person_id: p-son, relative_id: p-press, kind: parent, sources: [s]}
verdicts:
  - {id: v1, person_id: p-court, offence: Bribe, category: corruption, outcome: convicted,
     verdict_date: 2019-03-14, in_force_date: 2019-05-20, sources: [s]}
organizations:
  - {id: o, name: Agency, sources: [s]}
positions:
  - {id: pos, title: Head, organization_id: o, sources: [s]}
tenures:
  - {id: t1, person_id: p-son, position_id: pos, start: 2023-02-01, sources: [s]}
"""


def run(write_case, press_birth, params=None):
    root = write_case("scripts", {"case.yaml": CASE % {"press_birth": press_birth}})
    seen = {}

    def keep(result, registry):
        seen["identity"] = registry.identity if registry else None
    [result] = run_cases(root, load_rules(RULES), RunOptions(params=params or {}), on_case=keep)
    assert result.ok, result.problems
    return result, seen["identity"]


def test_a_cyrillic_verdict_reaches_the_latin_record_with_the_same_birth_date(write_case):
    result, identity = run(write_case, "1961-04-12")
    [finding] = [f for f in result.findings if f.rule == "kinship-convicted-official"]
    assert finding.status == "flagged" and finding.related == ["p-court"]
    link_steps = [s for s in finding.steps if "identity link" in s.flags]
    assert link_steps and "Serik Bolatovich Zhaksybekov" in link_steps[0].text
    assert any("taken as one human" in c for c in finding.caveats)
    [link] = identity.resolution.links
    assert link.kind == "name_and_birth" and "birth date agrees" in link.explanation


def test_a_namesake_with_another_birth_date_is_not_linked(write_case):
    result, identity = run(write_case, "1975-09-30")
    assert not [f for f in result.findings if f.rule == "kinship-convicted-official"]
    assert not identity.resolution.links and not identity.resolution.possible


def test_a_birth_year_alone_gives_a_possible_match_never_a_merge(write_case):
    result, identity = run(write_case, '"1961"')
    assert not [f for f in result.findings if f.rule == "kinship-convicted-official"]
    assert not identity.resolution.links
    [possible] = identity.resolution.possible
    assert {possible.left, possible.right} == {"p-court", "p-press"} and "birth year agrees" in possible.explanation


def person(pid, name, birth=None, gender=None, same_as=()):
    day = date.fromisoformat(birth) if birth and len(birth) == 10 else None
    lo = day or (date(int(birth), 1, 1) if birth else None)
    hi = day or (date(int(birth), 12, 31) if birth else None)
    return PersonNames(pid, name, birth_lo=lo, birth_hi=hi, gender=gender, same_as=list(same_as))


def test_same_as_links_without_any_evidence_of_names():
    res = resolve([person("a", "Arman Zhaksybekov"), person("b", "A. Z.", same_as=["a"])])
    assert res.canonical == {"b": "a"} and res.links[0].kind == "same_as"


def test_oversized_blocks_are_skipped_and_reported():
    people = [person(f"p{i:03d}", "Serik Akhmetov", "1970-01-01") for i in range(12)]
    res = resolve(people, max_block=10)
    assert not res.links and res.skipped_blocks and res.skipped_blocks[0][1] == 12


def test_kinship_hint_needs_the_patronymic_the_surname_stem_and_the_age_gap():
    people = [person("father", "Bolat Akhmetov", "1950", "m"), person("son", "Serik Bolatovich Akhmetov", "1978"),
              person("daughter", "Aigerim Bolatkyzy Akhmetova", "1980"),
              person("too-young", "Bolat Akhmetov", "1965", "m"),       # 13-15 years older: no
              person("other-family", "Bolat Sarsenov", "1950", "m")]     # another surname: no
    res = resolve(people)
    assert sorted((h.left, h.right) for h in res.hints) == [("daughter", "father"), ("son", "father")]


def test_rules_use_kinship_hints_only_when_they_opt_in(write_case):
    case = CASE.replace("relations:\n  - {id: r1, person_id: p-son, relative_id: p-press, kind: parent, sources: [s]}\n",
                        "")
    root = write_case("scripts", {"case.yaml": case % {"press_birth": "1975-01-01"}})
    rules = load_rules(RULES)
    [plain] = run_cases(root, rules, RunOptions())
    assert not [f for f in plain.findings if f.rule == "kinship-convicted-official"]
    opt_in = {"kinship-convicted-official": {"min_relation_status": "inferred"}}
    [hinted] = run_cases(root, rules, RunOptions(params=opt_in))
    [finding] = [f for f in hinted.findings if f.rule == "kinship-convicted-official"]
    assert finding.related == ["p-court"]
    assert any("inferred" in s.flags and "inferred from names" in s.text for s in finding.steps)
    assert any("inferred from names" in c for c in finding.caveats)


def test_one_letter_apart_with_one_birth_day_is_for_review_not_a_link():
    """Aibek and Alibek born the same day to the same father may be twins: a reviewer decides."""
    res = resolve([person("a", "Akhmetov Aibek Bolatovich", "1990-05-01", "m"),
                   person("b", "Akhmetov Alibek Bolatovich", "1990-05-01", "m")])
    assert not res.links
    [possible] = res.possible
    assert {possible.left, possible.right} == {"a", "b"}
