"""Blood links no record states, derived the civil-law way: what a rule sees between two people."""

from __future__ import annotations

from riskcheck.registry.load import load_documents
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
