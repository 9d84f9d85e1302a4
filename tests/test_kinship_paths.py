"""Blood links no record states, derived the civil-law way: what a rule sees between two people."""

from __future__ import annotations

import textwrap
from datetime import date

from riskcheck.engine.evaluate import evaluate_rule, resolve_params
from riskcheck.registry.kinship import kinship_sql
from riskcheck.registry.load import load_documents
from riskcheck.rules.loader import load_rules
from riskcheck.yamlio import load_yaml_text

FAMILY = """
persons:
  - {id: gg, name: Great-grandfather}
  - {id: g, name: Grandfather}
  - {id: f, name: Father}
  - {id: u, name: Uncle}
  - {id: me, name: Official}
  - {id: sis, name: Sister}
  - {id: son, name: Son}
  - {id: gs, name: Grandson}
  - {id: cousin, name: Cousin}
  - {id: niece, name: Niece}
  - {id: wife, name: Wife}
  - {id: wife-gm, name: Wife's grandmother}
  - {id: wife-m, name: Wife's mother}
  - {id: stranger, name: Stranger}
organizations: [{id: o, name: Body}]
positions: [{id: pos, title: Post, organization_id: o}]
relations:
  - {id: r1, person_id: g, relative_id: gg, kind: parent}
  - {id: r2, person_id: f, relative_id: g, kind: parent}
  - {id: r3, person_id: me, relative_id: f, kind: parent}
  - {id: r4, person_id: u, relative_id: f, kind: sibling}
  - {id: r5, person_id: cousin, relative_id: u, kind: parent}
  - {id: r7, person_id: son, relative_id: me, kind: parent}
  - {id: r8, person_id: gs, relative_id: son, kind: parent}
  - {id: r9, person_id: me, relative_id: sis, kind: sibling, status: alleged}
  - {id: r10, person_id: niece, relative_id: sis, kind: parent}
  - {id: r11, person_id: me, relative_id: wife, kind: spouse, start: "2010"}
  - {id: r12, person_id: wife, relative_id: wife-m, kind: parent}
  - {id: r13, person_id: wife-m, relative_id: wife-gm, kind: parent}
tenures:
"""


def kinship(extra_holders: list[str], doc: str = FAMILY) -> dict[tuple[str, str], list[tuple]]:
    tenures = "".join(f"  - {{id: t-{p}, person_id: {p}, position_id: pos, start: 2020-01-01}}\n"
                      for p in extra_holders)
    registry = load_documents([(load_yaml_text(doc + tenures), "inline")])
    rows = registry.conn.execute("SELECT person_id, relative_id, kind, degree, line, through, status "
                                 "FROM kinship ORDER BY ALL").fetchall()
    out: dict[tuple[str, str], list[tuple]] = {}
    for person, relative, *rest in rows:
        out.setdefault((person, relative), []).append(tuple(rest))
    return out


def kinds(links, pair):
    return sorted(k[0] for k in links.get(pair, []))


def test_grandchild_known_through_two_parent_records_is_derived_both_ways():
    links = kinship(["me", "gs", "g"])
    assert links[("gs", "me")] == [("grandparent", 2, "direct", ["son"], "reported")]
    assert links[("me", "gs")] == [("grandchild", 2, "direct", ["son"], "reported")]
    assert links[("me", "g")] == [("grandparent", 2, "direct", ["f"], "reported")]


def test_uncle_through_a_parents_recorded_sibling_and_cousins_through_two():
    links = kinship(["me", "u", "cousin"])
    assert links[("me", "u")] == [("uncle_aunt", 3, "collateral", ["f"], "reported")]
    assert links[("u", "me")] == [("nephew_niece", 3, "collateral", ["f"], "reported")]
    assert kinds(links, ("me", "cousin")) == ["cousin"]
    assert links[("me", "cousin")][0][1:3] == (4, "collateral")


def test_the_nearest_common_ancestor_decides_not_a_longer_way_round():
    # The father is reachable as "grandfather's child" (an uncle's path) too; he stays the father only.
    links = kinship(["me", "f", "g", "gg"])
    assert kinds(links, ("me", "f")) == ["parent"]
    assert kinds(links, ("me", "gg")) == ["great_grandparent"]
    assert links[("me", "gg")][0][1:3] == (3, "direct")


def test_children_of_one_recorded_parent_are_siblings_unless_recorded_otherwise():
    doc = FAMILY.replace("tenures:", "  - {id: r14, person_id: sis, relative_id: f, kind: parent}\n"
                                      "  - {id: r15, person_id: u, relative_id: g, kind: parent}\ntenures:")
    links = kinship(["me", "sis", "u", "f"], doc)
    # me and sis: a recorded (alleged) sibling link, and a shared father: the derived sibling link is the
    # same tie, so only the record is kept.
    assert kinds(links, ("me", "sis")) == ["sibling"]
    assert links[("me", "sis")][0][-1] == "alleged"
    # f and u: recorded siblings, and both children of g: still one link
    assert kinds(links, ("f", "u")) == ["sibling"]
    # sis and u: the father's sibling is her uncle too, through the father
    assert links[("sis", "u")] == [("uncle_aunt", 3, "collateral", ["f"], "reported")]


def test_weakest_status_along_the_path_is_the_links_status():
    links = kinship(["me", "niece"])
    assert links[("me", "niece")] == [("nephew_niece", 3, "collateral", ["sis"], "alleged")]


def test_spouses_grandparent_through_two_parent_records_is_an_in_law_from_the_marriage():
    links = kinship(["me", "wife-gm"])
    assert links[("me", "wife-gm")] == [("grandparent_in_law", 2, "affinity", ["wife", "wife-m"], "reported")]


def test_no_links_are_derived_for_people_the_registry_records_nothing_else_of():
    links = kinship(["me"])
    assert ("me", "gs") not in links and ("me", "cousin") not in links
    assert kinds(links, ("me", "f")) == ["parent"]  # recorded links are always there
    assert not any("stranger" in pair for pair in links)


def test_recorded_vague_kinds_have_no_degree_and_spouses_have_degree_zero():
    links = kinship(["me"], FAMILY.replace("tenures:", "  - {id: r14, person_id: me, relative_id: stranger, "
                                                       "kind: relative}\ntenures:"))
    assert links[("me", "stranger")] == [("relative", None, None, [], "reported")]
    assert links[("me", "wife")] == [("spouse", 0, "spouse", [], "reported")]


def test_a_grandmother_is_not_also_a_grandparent_in_law_through_her_husband():
    doc = FAMILY.replace("tenures:", "  - {id: r14, person_id: gm, relative_id: g, kind: spouse, start: 1950-01-01}\n"
                                      "  - {id: r15, person_id: f, relative_id: gm, kind: parent}\n"
                                      "  - {id: p-gm, person_id: gm, relative_id: gg, kind: relative}\ntenures:")
    doc = doc.replace("persons:\n", "persons:\n  - {id: gm, name: Grandmother}\n")
    links = kinship(["me", "gm", "g"], doc)
    # Through her son (a blood link) she is his grandmother; through her husband she would be the
    # grandparent-in-law of her own grandchild: the same tie seen twice, so left out.
    assert links[("me", "gm")] == [("grandparent", 2, "direct", ["f"], "reported")]
    assert links[("gm", "me")] == [("grandchild", 2, "direct", ["f"], "reported")]


def test_an_adopted_child_is_the_grandchild_of_the_adopters_parent():
    doc = FAMILY.replace("  - {id: r8, person_id: gs, relative_id: son, kind: parent}",
                         "  - {id: r8, person_id: gs, relative_id: son, kind: adoptive_parent}")
    links = kinship(["me", "gs"], doc)
    assert links[("me", "gs")] == [("grandchild", 2, "direct", ["son"], "reported")]


# A rule reads the kinship links of the people its other records name, and never fewer than the view gives.
HOLDERS = ["me", "son", "wife-m", "g", "niece"]


def _registry():
    tenures = "".join(f"  - {{id: t-{p}, person_id: {p}, position_id: pos, start: 2020-01-01}}\n" for p in HOLDERS)
    return load_documents([(load_yaml_text(FAMILY + tenures + "verdicts:\n  - {id: v1, person_id: f, "
                                           "offence: bribery, outcome: convicted, category: corruption, "
                                           "verdict_date: 2015-01-01}\n"), "inline")])


def test_narrowed_links_are_the_views_links_between_those_people():
    registry = _registry()
    conn = registry.conn
    conn.execute("CREATE TEMP TABLE a AS SELECT * FROM (VALUES ('me'), ('wife-m'), ('gs'), ('niece')) t(id)")
    conn.execute("CREATE TEMP TABLE b AS SELECT * FROM (VALUES ('son'), ('wife'), ('me'), ('g'), ('sis')) t(id)")
    for among, where in [(("a", "b"), "person_id IN (FROM a) AND relative_id IN (FROM b)"),
                         (("a", None), "person_id IN (FROM a)"), ((None, "b"), "relative_id IN (FROM b)")]:
        narrowed = conn.execute(f"SELECT * FROM ({kinship_sql(registry.schema, among)}) ORDER BY ALL").fetchall()
        whole = conn.execute(f"SELECT * FROM kinship WHERE {where} ORDER BY ALL").fetchall()
        assert narrowed == whole
        assert {r[3] for r in narrowed} >= {"parent", "child"}  # recorded links, read both ways
    kinds = {k for (k,) in conn.execute(f"SELECT kind FROM ({kinship_sql(registry.schema, ('a', None))})").fetchall()}
    assert {"parent_in_law", "child_in_law", "grandparent"} <= kinds  # in-laws both ways, derived blood links
    whole = conn.execute("SELECT * FROM kinship ORDER BY ALL").fetchall()
    assert conn.execute(f"SELECT * FROM ({kinship_sql(registry.schema)}) ORDER BY ALL").fetchall() == whole
    # People named by tenures and verdicts (people of interest): their recorded links are read from the table
    # that holds those between people of interest, and are the same.
    conn.execute("CREATE TEMP TABLE c AS SELECT * FROM (VALUES ('me'), ('wife-m'), ('niece'), ('son')) t(id)")
    conn.execute("CREATE TEMP TABLE d AS SELECT * FROM (VALUES ('son'), ('me'), ('g'), ('f')) t(id)")
    anchored = kinship_sql(registry.schema, ("c", "d"), anchored=True)
    assert "kin_direct_anchored" in anchored
    narrowed = conn.execute(f"SELECT * FROM ({anchored}) ORDER BY ALL").fetchall()
    assert narrowed == conn.execute("SELECT * FROM kinship WHERE person_id IN (FROM c) AND relative_id IN (FROM d) "
                                    "ORDER BY ALL").fetchall()
    assert {(r[1], r[2]) for r in narrowed} >= {("me", "f"), ("son", "me"), ("me", "g"), ("me", "son")}


def test_a_link_looked_up_by_id_is_the_views_whether_or_not_its_people_are_of_interest():
    """Links are looked up among those of people of interest first, and then in every link: the wife's mother's
    link to her own mother (named by nothing else) is found as the father's to the official is."""
    registry = _registry()
    every = registry.records("kinship")
    wanted = ["r13>", "r13<", "r3>", "r3<", "r11<"]
    assert {"r13>", "r3>"} <= set(every)
    assert registry.records("kinship", wanted) == {i: every[i] for i in sorted(wanted)}
    assert registry.records("kinship", ["r13>", "nothing"]) == {"r13>": every["r13>"]}


RULE = """\
id: kin-of-holders
version: "1"
title: T
kind: risk_indicator
severity: low
description: d
rationale: r
legal_basis: [{title: Some law}]
subject: holder
related: [relative]
match:
  tenure: {from: tenures}
  holder: {from: persons, on: {id: tenure.person_id}}
  kin: {from: kinship, on: {person_id: holder}}
  relative: {from: persons, on: {id: kin.relative_id}}
  verdict: {from: verdicts, on: {person_id: relative}, optional: true}
summary: "{{ holder.name }}"
explanation: x
"""


# A rule over every recorded relation's two people (its match, put in RULE's place).
RELATED_BY_RECORD = """\
match:
  rel: {from: relations}
  one: {from: persons, on: {id: rel.person_id}}
  other: {from: persons, on: {id: rel.relative_id}}
  kin: {from: kinship, on: {person_id: one, relative_id: other}}
"""


def test_links_narrowed_to_people_a_relation_names_are_not_only_those_between_people_of_interest(tmp_path):
    """A relation's two people are anyone's family, not people of interest: a rule narrowed to them reads every
    recorded link, so the wife's mother (who holds a post) and grandmother (named by nothing else) are found."""
    related_by_record = (RULE.replace("id: kin-of-holders", "id: kin-of-related")
                         .replace("subject: holder\nrelated: [relative]", "subject: one\nrelated: [other]")
                         .replace(RULE[RULE.index("match:"):RULE.index("summary:")], RELATED_BY_RECORD)
                         .replace("{{ holder.name }}", "{{ one.name }}"))
    (tmp_path / "kin-of-related.yaml").write_text(related_by_record)
    (loaded,) = load_rules(tmp_path)
    assert "kin_direct_anchored" not in loaded.compiled.sql
    found = evaluate_rule(loaded.compiled, _registry(), date(2024, 1, 1), resolve_params(loaded.compiled, {}))
    pairs = {(f.person, r) for f in found for r in f.related}
    assert ("wife-m", "wife-gm") in pairs and ("me", "wife") in pairs and ("g", "gg") in pairs


def test_an_optional_binding_does_not_narrow_the_links(tmp_path):
    # The relative's verdict is optional: a relative with none still makes a finding, so the links read are
    # not only those of people with a verdict.
    (tmp_path / "kin-of-holders.yaml").write_text(textwrap.dedent(RULE))
    (loaded,) = load_rules(tmp_path)
    found = evaluate_rule(loaded.compiled, _registry(), date(2024, 1, 1), resolve_params(loaded.compiled, {}))
    pairs = {(f.person, r) for f in found for r in f.related}
    assert ("me", "son") in pairs and ("me", "f") in pairs and ("son", "gs") in pairs
    assert ("me", "wife-m") in pairs  # an in-law
    required = textwrap.dedent(RULE).replace(", optional: true", "")
    (tmp_path / "kin-of-holders.yaml").write_text(required)
    (loaded,) = load_rules(tmp_path)
    found = evaluate_rule(loaded.compiled, _registry(), date(2024, 1, 1), resolve_params(loaded.compiled, {}))
    assert {(f.person, r) for f in found for r in f.related} == {("me", "f"), ("g", "f"), ("son", "f")}  # the convicted


def test_the_paths_between_two_people_are_listed_in_the_same_order_however_the_query_lists_them():
    # DuckDB's list(DISTINCT ...) OVER (...) gives the paths in no set order: a report must not change with it.
    from types import SimpleNamespace

    from riskcheck.engine.evidence import Evidence

    people = {"me": {"name": "Aibek"}, "kin": {"name": "Dana"}}
    paths = {k: {"id": k, "person_id": "me", "relative_id": "kin", "kind": kind, "status": "reported",
                 "degree": degree, "line": line, "relations": [k]}
             for k, kind, degree, line in [("k1", "sibling", 2, "collateral"), ("k2", "sibling_in_law", None, None),
                                           ("k3", "relative", None, None), ("k4", "spouse", None, "spouse")]}
    lookup = SimpleNamespace(registry=SimpleNamespace(schema=None, identity=None, reviewed=()),
                             known=lambda type_name, key: (people if type_name == "persons" else paths)[key])

    class Listing(Evidence):
        def kin_path(self, record, dated):
            self.steps.append(record["id"])

    def written(path_ids):
        evidence = Listing(lookup)
        evidence.kinship(paths["k3"], path_ids, False)
        return evidence.steps[0].text, evidence.steps[1:]

    ways, order = written(["k4", "k1", "k3", "k2"])
    assert order == ["k3", "k1", "k2", "k4"]  # the path that decided, then the others by id
    assert written(["k2", "k3", "k1", "k4"]) == (ways, order)
    assert "related in 4 ways" in ways


def test_a_binding_read_from_a_few_records_narrows_the_links_by_their_people_alone(tmp_path):
    """A re-run asks a rule again with one binding reading the few changed records (riskcheck.rules.reach): the
    links are narrowed by the people those records name, not also by the people of every tenure, and the rows
    are the rule's rows that bind those records."""
    from riskcheck.engine.compile import compile_rule
    from riskcheck.engine.evaluate import bind_params

    (tmp_path / "kin-of-holders.yaml").write_text(textwrap.dedent(RULE).replace(", optional: true", ""))
    (loaded,) = load_rules(tmp_path)
    registry = _registry()
    conn = registry.conn
    conn.execute("CREATE TEMP TABLE few_verdicts AS SELECT * FROM verdicts WHERE id = 'v1'")
    bind = bind_params(loaded.compiled, resolve_params(loaded.compiled, {}), date(2024, 1, 1))
    sql = compile_rule(loaded.compiled.rule, registry.schema, reading={"verdict": "few_verdicts"}).sql
    assert '"n__kin__relative_id"' in sql and '"n__kin__person_id"' not in sql
    assert '"n__kin__person_id"' in loaded.compiled.sql  # the whole rule narrows both sides
    rows = conn.execute(f"SELECT v__holder, v__relative, v__verdict FROM ({sql}) ORDER BY ALL", bind).fetchall()
    whole = conn.execute(f"SELECT v__holder, v__relative, v__verdict FROM ({loaded.compiled.sql}) "
                         "WHERE v__verdict = 'v1' ORDER BY ALL", bind).fetchall()
    assert rows == whole and {(h, r) for h, r, _ in rows} == {("me", "f"), ("g", "f"), ("son", "f")}
