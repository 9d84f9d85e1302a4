"""The drawing of a finding (riskcheck/report/drawing_situation.py reads it, drawing.py lays it out): what it
shows, where, in words, and the same each run."""

from __future__ import annotations

import re

from riskcheck.engine.findings import Finding, Step
from riskcheck.report.drawing import drawing_of, wrap
from riskcheck.report.drawing_situation import situation
from riskcheck.report.render import report_environment

NAMES = {"p-son": "Son Appointee", "p-wife": "Wife", "p-father-in-law": "Father In-Law",
         "p-uncle": "Uncle Convicted", "p-boss": "Boss Superior", "p-a": "A", "p-b": "B", "p-c": "C"}


def finding(facts: dict[str, dict], person: str = "p-son", related: tuple[str, ...] = (),
            extra: list[Step] | None = None, unit: str | None = None, figures: dict | None = None,
            fid: str = "rule-x-0123456789ab") -> Finding:
    steps = [Step("fact", "...", ref.split("/")[0], ref.split("/")[1], flags=list(facts[ref].pop("_flags", [])))
             for ref in facts]
    return Finding(id=fid, rule="rule-x", rule_version="1", rule_title="Rule", kind="risk_indicator",
                   status="flagged", severity="high", person="" if unit else person, related=list(related),
                   summary="", explanation="", steps=steps + (extra or []), sources=[], caveats=[], undecided=[],
                   params={}, bound={}, records={}, unit=unit, figures=figures or {})


def relation(rid: str, person: str, relative: str, kind: str, status: str = "reported", **more) -> tuple[str, dict]:
    return f"relations/{rid}", {"id": rid, "person_id": person, "relative_id": relative, "kind": kind,
                                "status": status, "sources": ["s1"], **more}


def in_law_path() -> dict[str, dict]:
    """Son's wife's father's brother, convicted: a 3-link in-law path, the brother's link only alleged."""
    return dict([
        ("tenures/t-son", {"id": "t-son", "person_id": "p-son", "position_id": "pos-head", "start": "2022-03-01",
                           "appointed_by": "p-boss"}),
        ("positions/pos-head", {"id": "pos-head", "title": "Head of Procurement", "organization_id": "o-min",
                                "reports_to": "pos-boss"}),
        ("organizations/o-min", {"id": "o-min", "name": "Ministry"}),
        ("positions/pos-boss", {"id": "pos-boss", "title": "Minister", "organization_id": "o-min"}),
        ("tenures/t-boss", {"id": "t-boss", "person_id": "p-boss", "position_id": "pos-boss", "start": "2020"}),
        relation("r-marriage", "p-son", "p-wife", "spouse", start="2019-06-01"),
        relation("r-wife-father", "p-wife", "p-father-in-law", "parent", status="confirmed"),
        relation("r-brothers", "p-father-in-law", "p-uncle", "sibling", status="alleged"),
        ("verdicts/v-uncle", {"id": "v-uncle", "person_id": "p-uncle", "offence": "bribery", "outcome": "convicted",
                              "verdict_date": "2021", "in_force_date": "2021-05-10"}),
    ])


def draw(f: Finding, facts: dict[str, dict]):
    return drawing_of(f, facts, lambda pid: NAMES.get(pid, pid))


def svg(f: Finding, facts: dict[str, dict]) -> str:
    drawing = draw(f, facts)
    return report_environment().get_template("_drawing.html").render(f=f, drawings={f.id: drawing})


def test_an_in_law_path_is_drawn_link_by_link_from_the_appointee_to_the_convicted_relative():
    facts = in_law_path()
    f = finding(facts, related=("p-uncle", "p-boss"))
    s = situation(f, facts, NAMES.__getitem__)
    assert s is not None
    assert "convicted" in s.people["p-uncle"].marks and "subject" in s.people["p-son"].marks
    assert "superior" in s.people["p-boss"].marks and "authority" in s.people["p-boss"].marks
    d = draw(f, facts)
    assert d is not None
    tops = {b.lines[-1].text if b.shape != "person" else [t.text for t in b.lines if t.kind == ""][0]: b.y
            for b in d.boxes if b.shape == "person"}
    # The path reads down the left column: uncle, father-in-law, wife, son; the boss above his subordinate.
    assert tops["Uncle Convicted"] < tops["Father In-Law"] < tops["Wife"] < tops["Son Appointee"]
    assert tops["Boss Superior"] < tops["Son Appointee"]
    labels = [t.text for t in d.labels]
    assert "sibling of" in labels and "parent of" in labels and "spouse of" in labels
    assert "alleged" in labels and "confirmed" in labels and "reported, from 1 June 2019" in " ".join(labels)
    assert "reports to" in labels
    posts = [" ".join(t.text for t in b.lines) for b in d.boxes if b.shape == "post"]
    assert "Head of Procurement Ministry appointed 1 March 2022 appointed by Boss Superior" in posts
    # One dashed line (the alleged link), solid lines for the others, an arrow for the reporting line.
    assert [e.style for e in d.edges].count("alleged") == 1
    assert any(e.arrow and e.style == "reports" for e in d.edges)
    # The words say the same: who, how related and how sure, which posts, which dates.
    assert "Uncle Convicted is the sibling of Father In-Law (alleged)" in d.desc
    assert "Son Appointee holds the post Head of Procurement, Ministry, appointed 1 March 2022" in d.desc
    assert "verdict some day in 2021; in force 10 May 2021" in d.desc
    assert "The post Head of Procurement reports to the post Minister." in d.desc


def test_an_alleged_and_an_inferred_link_are_drawn_as_such_and_said_in_words():
    facts = dict([relation("r1", "p-a", "p-b", "parent", status="alleged")])
    hint = Step("fact", "...", "kinship", "hint:p-b>p-c", flags=["inferred"])
    f = finding(facts, person="p-a", related=("p-c",), extra=[hint])
    html = svg(f, facts)
    assert 'stroke-dasharray="7 4"' in html and 'stroke-dasharray="1 4"' in html
    assert ">alleged</text>" in html and ">inferred from names, not recorded</text>" in html
    d = draw(f, facts)
    assert "A dashed line is an alleged family link." in d.legend and "A dotted line" in d.legend
    assert "C is the parent of B (inferred from names, not recorded)" in d.desc


def test_a_superior_chain_without_family_puts_the_superior_above_with_an_arrow_up():
    facts = dict([
        ("verdicts/v", {"id": "v", "person_id": "p-a", "outcome": "convicted", "offence": "x",
                        "verdict_date": "2023-08-01"}),
        ("tenures/t-a", {"id": "t-a", "person_id": "p-a", "position_id": "pos-a", "start": "2021-08-01"}),
        ("positions/pos-a", {"id": "pos-a", "title": "Head", "organization_id": "o", "reports_to": "pos-b"}),
        ("positions/pos-b", {"id": "pos-b", "title": "Deputy Akim", "organization_id": "o"}),
        ("tenures/t-b", {"id": "t-b", "person_id": "p-b", "position_id": "pos-b", "start": "2021-03-01"}),
        ("resignations/res", {"id": "res", "person_id": "p-b", "submitted": "2023-09-20", "position_id": "pos-b"}),
    ])
    f = finding(facts, person="p-b", related=("p-a",))
    d = draw(f, facts)
    posts = {b.lines[0].text: b for b in d.boxes if b.shape == "post"}
    assert posts["Deputy Akim"].y < posts["Head"].y
    (arrow,) = [e for e in d.edges if e.arrow]
    assert re.fullmatch(rf"M\d+ {posts['Head'].y}V{posts['Deputy Akim'].y + posts['Deputy Akim'].h}", arrow.path)
    assert " ".join(t.text for t in posts["Deputy Akim"].lines).endswith("resignation submitted 20 September 2023")
    assert d.legend.startswith("People on the left, their posts on the right.")
    assert "direct superior" in [t.text for b in d.boxes for t in b.lines]


def test_a_unit_group_of_relatives_and_same_name_pairs_are_drawn_as_the_units():
    facts = dict([
        ("organizations/o-u", {"id": "o-u", "name": "Land Department"}),
        ("tenures/t-a", {"id": "t-a", "person_id": "p-a", "position_id": "pos-1", "start": "2020-01-01"}),
        ("tenures/t-b", {"id": "t-b", "person_id": "p-b", "position_id": "pos-2", "start": "2021-01-01"}),
        ("tenures/t-c", {"id": "t-c", "person_id": "p-c", "position_id": "pos-3", "start": "2022-01-01"}),
        relation("r1", "p-a", "p-b", "parent"), relation("r2", "p-c", "p-b", "parent"),
        relation("r3", "p-a", "p-c", "sibling"),
    ])
    f = finding(facts, unit="o-u", figures={"unit_name": "Land Department", "staff": 11})
    d = draw(f, facts)
    assert [t.text for t in d.boxes[0].lines] == ["the unit: Land Department", "11 staff"]
    assert d.title == "Drawing of the unit Land Department"
    assert {t.text for b in d.boxes if b.shape == "person" for t in b.lines} >= {"A", "B", "C"}
    assert len([e for e in d.edges if e.style == "reported"]) == 3  # two neighbours' links and one around them
    assert d.legend.startswith("The unit at the top; its staff below")

    pairs = Step("fact", "...", "tenures", "t-a", people=["p-a", "p-b", "p-c"])
    names = finding({"organizations/o-u": {"id": "o-u", "name": "Roads"}}, unit="o-u", extra=[pairs],
                    figures={"unit_name": "Roads", "staff": 12, "names": "surname"})
    d = draw(names, {"organizations/o-u": {"id": "o-u", "name": "Roads"}})
    assert " ".join(t.text for t in d.labels).startswith("3 staff share a surname (3 pairs)")
    assert {t.text for b in d.boxes if b.shape == "person" for t in b.lines} == {"A", "B", "C"}
    assert "3 staff share a surname (3 pairs); a shared name is not a family link: A, B, C." in d.desc


def test_hostile_names_come_out_as_text():
    NAMES["p-evil"] = '<script>alert(1)</script> & "Co" \u202e'
    facts = dict([relation("r1", "p-son", "p-evil", "parent")])
    f = finding(facts, related=("p-evil",))
    html = svg(f, facts)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34; [U+202E]" in html
    assert "\u202e" not in html


def test_a_drawing_is_the_same_each_time_in_whole_numbers_with_ids_from_the_finding():
    facts = in_law_path()
    first = svg(finding(in_law_path(), related=("p-uncle", "p-boss")), facts)
    again = svg(finding(in_law_path(), related=("p-uncle", "p-boss")), in_law_path())
    assert first == again
    assert not re.search(r'="[^"]*\d\.\d', first.replace('stroke-width="1.2"', "").replace(
        'stroke-width="1.5"', ""))  # no float noise in a position
    assert set(re.findall(r'id="([^"]+)"', first)) == {"drawing-rule-x-0123456789ab-title",
                                                        "drawing-rule-x-0123456789ab-desc",
                                                        "drawing-rule-x-0123456789ab-arrow"}
    assert 'role="img" aria-labelledby="drawing-rule-x-0123456789ab-title drawing-rule-x-0123456789ab-desc"' in first


def test_long_words_wrap_within_a_column():
    lines = wrap("Zhandos Bakhytbekovich Imanaliev Supercalifragilisticexpialidociousnessly", 140)
    assert all(len(line) <= 22 for line in lines) and "".join(lines).replace(" ", "") == \
        "ZhandosBakhytbekovichImanalievSupercalifragilisticexpialidociousnessly"


def test_the_desk_shows_a_finding_with_its_drawing(tmp_path, checked_cases):
    import shutil

    from starlette.testclient import TestClient

    from conftest import CASES, served_app

    root = tmp_path / "cases"
    shutil.copytree(CASES, root)
    client = TestClient(served_app(root, checked_cases), base_url="http://127.0.0.1")
    views, _ = checked_cases
    (f,) = [f for f in views["fictional-ministry-family"].result.findings
            if f.rule == "kinship-convicted-official" and f.status == "undetermined"]  # the son-in-law's
    html = client.get(f"/cases/fictional-ministry-family/findings/{f.id}").text
    assert f'<svg class="drawing"' in html and f'aria-labelledby="drawing-{f.id}-title drawing-{f.id}-desc"' in html
    # Every person of the path by name, the one between them too (not an id).
    assert ">Aliya Demobekova</text>" in html and ">p-" not in html
    assert "spouse of</text>" in html
