"""Identity resolution in `riskcheck run`: one human under two records, namesakes kept apart, hints."""

from datetime import date

from riskcheck.names.resolve import PersonNames, resolve
from riskcheck.pipeline import run_cases
from riskcheck.results import RunOptions
from riskcheck.rules.loader import load_rules

from conftest import RULES

CASE = """\
id: scripts
as_of: 2024-06-01
sources:
  - {id: s, title: Test source, kind: press}
  - {id: s-court, title: Court register, kind: court}
persons:
  - {id: p-court, name: Жақсыбеков Серік Болатұлы, birth_date: 1961-04-12, sources: [s-court]}
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
    # The finding names the records it used: the verdict's own record and the record it was taken as.
    assert finding.identity_links == [{"record": "p-press", "taken_as": "p-court", "how": "name_and_birth",
                                       "evidence": link.explanation}]


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


def person(pid, name, birth=None, gender=None, same_as=(), sources=("s-" + "x",), **more):
    day = date.fromisoformat(birth) if birth and len(birth) == 10 else None
    lo = day or (date(int(birth), 1, 1) if birth else None)
    hi = day or (date(int(birth), 12, 31) if birth else None)
    return PersonNames(pid, name, birth_lo=lo, birth_hi=hi, gender=gender, same_as=list(same_as),
                       sources=list(sources), **more)


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


def test_a_patronymic_that_fits_more_than_three_persons_hints_nobody_and_is_counted():
    """Up to MAX_PARENTS (3) persons who fit are each hinted; a fourth makes the patronymic too common to hint
    anything, and it is counted instead. The same for a child whose alias gives its names a second time, which is
    counted another way (see kinship_hints)."""
    from riskcheck.names.resolve import MAX_PARENTS

    def fathers(n):
        return [person(f"father{i}", "Bolat Akhmetov", str(1945 + i), "m") for i in range(n)]
    fields = {"surname": "Akhmetov", "given_name": "Serik", "patronymic": "Bolatovich"}
    for aliases in ([], ["Serik Bolatuly Akhmetov"]):
        for n in (MAX_PARENTS, MAX_PARENTS + 1, 3 * MAX_PARENTS, 3 * MAX_PARENTS + 1):
            son = person("son", "Akhmetov Serik Bolatovich", "1978", aliases=aliases, **fields)
            res = resolve([son, *fathers(n)])
            hinted = sorted(h.right for h in res.hints if h.left == "son")
            if n <= MAX_PARENTS:
                assert hinted == [f"father{i}" for i in range(n)] and res.ambiguous_patronymics == 0, (aliases, n)
            else:
                assert hinted == [] and res.ambiguous_patronymics == 1, (aliases, n, hinted)


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
    assert finding.related == ["p-court"] and finding.status == "undetermined"  # a hint never flags
    assert any("inferred" in s.flags and "inferred from names" in s.text for s in finding.steps)
    assert any("inferred from names" in c for c in finding.caveats)


def test_one_letter_apart_with_one_birth_day_is_for_review_not_a_link():
    """Aibek and Alibek born the same day to the same father may be twins: a reviewer decides."""
    res = resolve([person("a", "Akhmetov Aibek Bolatovich", "1990-05-01", "m"),
                   person("b", "Akhmetov Alibek Bolatovich", "1990-05-01", "m")])
    assert not res.links
    [possible] = res.possible
    assert {possible.left, possible.right} == {"a", "b"}


def test_namesakes_of_one_source_born_the_same_day_are_for_review_never_merged():
    """Two records of one registry are presumed two people: namesakes share birth days in every registry."""
    res = resolve([person("a", "Akhmetov Serik", "1970-03-08", "m", sources=["s-registry"]),
                   person("b", "Akhmetov Serik Bolatovich", "1970-03-08", "m", sources=["s-registry"])])
    assert not res.links and not res.canonical
    [possible] = res.possible
    assert any("one source" in line for line in possible.explanation)


def test_name_and_birth_link_records_of_different_sources_only():
    a = person("a", "Akhmetov Serik", "1970-03-08", "m", sources=["s-court"])
    b = person("b", "Serik Akhmetov", "1970-03-08", "m", sources=["s-press"])
    assert resolve([a, b]).canonical == {"b": "a"}
    unsourced = person("b", "Serik Akhmetov", "1970-03-08", "m", sources=[])
    assert not resolve([a, unsourced]).canonical


def test_a_shared_identifier_links_and_different_identifiers_keep_apart():
    a = person("a", "Arman Zhaksybekov", "1988-07-03", "m", sources=["s1"], identifiers=["kz-iin:880703300123"])
    b = person("b", "A. Zh.", None, None, sources=["s1"], identifiers=["KZ-IIN:880703300123"])
    res = resolve([a, b])
    assert res.canonical == {"b": "a"} and res.links[0].kind == "identifier"
    # Same name, same day, different sources, but two IINs: two people, even against same_as.
    c = person("c", "Arman Zhaksybekov", "1988-07-03", "m", sources=["s2"], identifiers=["kz-iin:880703300134"],
               same_as=["a"])
    res = resolve([a, c])
    assert not res.canonical
    assert any("different kz-iin identifiers" in line for p in res.possible for line in p.explanation)


def test_not_same_as_always_wins_even_through_a_chain():
    """a = b by same_as, b ~ c by name and birth date; `a not_same_as c` keeps c apart from both."""
    a = person("a", "Serik Akhmetov", "1970-03-08", "m", sources=["s1"], not_same_as=["c"])
    b = person("b", "Akhmetov Serik", "1970-03-08", "m", sources=["s2"], same_as=["a"])
    c = person("c", "Серік Ахметов", "1970-03-08", "m", sources=["s3"])
    res = resolve([a, b, c])
    assert res.canonical == {"b": "a"}
    assert {(p.left, p.right) for p in res.possible} <= {("b", "c")}  # a/c is settled: not for review


def test_recorded_facts_that_set_two_records_apart_block_a_link(write_case):
    """Same name, same day, different sources, but different fathers (or wives at one time): two people."""
    base = CASE % {"press_birth": "1961-04-12"}
    fathers = base + """  - {id: r-f1, person_id: p-court, relative_id: p-f1, kind: parent}
  - {id: r-f2, person_id: p-press, relative_id: p-f2, kind: parent}
"""
    fathers = fathers.replace("relations:\n", "relations:\n", 1)
    fathers = fathers.replace("persons:\n", "persons:\n  - {id: p-f1, name: Bolat One, gender: m}\n"
                                          "  - {id: p-f2, name: Bolat Two, gender: m}\n", 1)
    fathers = _move_relations_last(fathers)
    root = write_case("scripts", {"case.yaml": fathers})
    seen = {}
    [result] = run_cases(root, load_rules(RULES), RunOptions(),
                         on_case=lambda r, reg: seen.setdefault("identity", reg.identity))
    assert result.ok, result.problems
    assert not [f for f in result.findings if f.rule == "kinship-convicted-official"]
    [possible] = [p for p in seen["identity"].resolution.possible if {p.left, p.right} == {"p-court", "p-press"}]
    assert any("different parents: p-f1 and p-f2" in line for line in possible.explanation)

    spouses = _move_relations_last(base + """  - {id: r-w1, person_id: p-court, relative_id: p-w1, kind: spouse, start: "1985"}
  - {id: r-w2, person_id: p-press, relative_id: p-w2, kind: spouse, start: 1990-01-01}
""").replace("persons:\n", "persons:\n  - {id: p-w1, name: Wife One, gender: f}\n"
                          "  - {id: p-w2, name: Wife Two, gender: f}\n", 1)
    root = write_case("scripts", {"case.yaml": spouses})
    [result] = run_cases(root, load_rules(RULES), RunOptions())
    assert not [f for f in result.findings if f.rule == "kinship-convicted-official"]

    # A marriage that ended before the other began is no conflict: one man, married twice.
    serial = spouses.replace('kind: spouse, start: "1985"}', 'kind: spouse, start: "1985", end: 1988-05-01}')
    root = write_case("scripts", {"case.yaml": serial})
    [result] = run_cases(root, load_rules(RULES), RunOptions())
    assert [f.status for f in result.findings if f.rule == "kinship-convicted-official"] == ["flagged"]


def _move_relations_last(text: str) -> str:
    """The extra relations were appended at the end of the case; put them under `relations:`."""
    head, extra = text.split("tenures:\n", 1)
    tenure_line, added = extra.split("\n", 1)
    return head.replace("relations:\n", "relations:\n" + added, 1) + "tenures:\n" + tenure_line + "\n"


def test_only_hints_that_would_change_a_finding_are_listed_and_the_rest_counted(write_case):
    from riskcheck.report.identity import identity_document

    case = CASE.replace("relations:\n  - {id: r1, person_id: p-son, relative_id: p-press, kind: parent, sources: [s]}\n", "")
    case = case.replace("persons:\n", "persons:\n  - {id: p-dana, name: Dana Serikovna Zhaksybekova, "
                                      "birth_date: 1990-02-17, sources: [s]}\n", 1)
    root = write_case("scripts", {"case.yaml": case % {"press_birth": "1975-01-01"}})
    seen = {}
    [result] = run_cases(root, load_rules(RULES), RunOptions(),
                         on_case=lambda r, reg: seen.setdefault("doc", identity_document(reg)))
    assert not [f for f in result.findings if f.rule == "kinship-convicted-official"]  # hints are not facts
    doc = seen["doc"]
    [hint] = doc["hints"]
    assert (hint["left"], hint["right"]) == ("p-son", "p-court")
    assert hint["rank"] >= 1
    assert hint["would_change"] == ["Close relative of a convicted official appointed: Arman Serikovich "
                                    "Zhaksybekov (flagged)"]
    assert doc["hints_not_listed"] == 1   # Dana, the other child the patronymic suggests, holds no post


def test_a_record_that_fits_two_namesakes_of_one_registry_links_to_neither():
    """A court record matches a man and his same-day namesake: it cannot say which, so it links to none."""
    court = person("c", "Ахметов Серик", "1970-03-08", "m", sources=["s-court"])
    one = person("r1", "Akhmetov Serik Bolatovich", "1970-03-08", "m", sources=["s-registry"])
    two = person("r2", "Akhmetov Serik", "1970-03-08", "m", sources=["s-registry"])
    res = resolve([court, one, two])
    assert not res.canonical
    assert any("fit 2 records" in line for p in res.possible for line in p.explanation)
    # With the namesake gone, the court record links to the man.
    assert resolve([court, one]).canonical == {"r1": "c"}


def test_identifiers_and_not_same_as_work_end_to_end(write_case):
    """Through a whole run: a shared IIN joins a decree's record to the press's; not_same_as keeps a
    same-day namesake from another source apart, so his conviction reaches nobody."""
    case = """\
id: ids
as_of: 2024-06-01
sources:
  - {id: s-press, title: Press, kind: press}
  - {id: s-decree, title: Decree, kind: official}
  - {id: s-court, title: Court register, kind: court}
persons:
  - {id: p-son, name: Arman Serikovich Zhaksybekov, birth_date: 1988-07-03, identifiers: ["kz-iin:880703300123"], sources: [s-press]}
  - {id: p-son-decree, name: Жақсыбеков А. С., identifiers: ["KZ-IIN:880703300123"], sources: [s-decree]}
  - {id: p-father, name: Serik Bolatovich Zhaksybekov, birth_date: 1961-04-12, sources: [s-press], not_same_as: [p-namesake]}
  - {id: p-namesake, name: Жақсыбеков Серік Болатұлы, birth_date: 1961-04-12, sources: [s-court]}
relations:
  - {id: r1, person_id: p-son, relative_id: p-father, kind: parent, sources: [s-press]}
verdicts:
  - {id: v1, person_id: p-namesake, offence: Bribe, category: corruption, outcome: convicted,
     in_force_date: 2019-05-20, sources: [s-court]}
organizations:
  - {id: o, name: Agency, sources: [s-decree]}
positions:
  - {id: pos, title: Head, organization_id: o, sources: [s-decree]}
tenures:
  - {id: t1, person_id: p-son-decree, position_id: pos, start: 2023-02-01, sources: [s-decree]}
"""
    root = write_case("ids", {"case.yaml": case})
    seen = {}
    [result] = run_cases(root, load_rules(RULES), RunOptions(),
                         on_case=lambda r, reg: seen.setdefault("identity", reg.identity))
    assert result.ok, result.problems
    links = seen["identity"].resolution.links
    assert [(l.kind, l.left, l.right) for l in links] == [("identifier", "p-son", "p-son-decree")]
    assert not [f for f in result.findings if f.rule == "kinship-convicted-official"]
    # Without not_same_as, the court record would be the father (name and day agree, sources differ).
    [result] = run_cases(write_case("ids", {"case.yaml": case.replace(", not_same_as: [p-namesake]", "")}),
                         load_rules(RULES), RunOptions())
    [finding] = [f for f in result.findings if f.rule == "kinship-convicted-official"]
    assert finding.status == "flagged" and finding.person == "p-son"
    assert {l["how"] for l in finding.identity_links} == {"identifier", "name_and_birth"}


def test_a_record_whose_fields_give_two_given_names_is_blocked_linked_and_hinted_by_both():
    """Nearly every record gives one key of each kind, read as one row; a double given name or surname in the
    fields gives two, and the record is read through each: a patronymic from the father's second given name
    points to him, so does one from his first given to a daughter whose second surname is his, and a second
    record of the father born the same day, from another source, is linked to the first."""
    def fields(pid, surname, given, patronymic, birth, gender, source):
        text = " ".join(x for x in (surname, given, patronymic) if x)
        return person(pid, text, birth, gender, sources=[source], surname=surname, given_name=given,
                      patronymic=patronymic)
    people = [fields("father", "Akhmetov", "Bolat Nurlan", None, "1950-02-03", "m", "s-registry"),
              fields("father-court", "Akhmetov", "Bolat Nurlan", None, "1950-02-03", "m", "s-court"),
              fields("son", "Akhmetov", "Serik", "Nurlanovich", "1978-05-06", "m", "s-registry"),
              fields("daughter", "Sarsenova Akhmetova", "Aigerim", "Bolatkyzy", "1980-07-08", "f", "s-registry")]
    res = resolve(people)
    assert res.canonical == {"father-court": "father"}
    assert sorted((h.left, h.right) for h in res.hints) == [("daughter", "father"), ("son", "father")]
