"""A reviewer's word on a kinship hint or a possible same person: kept in the log, used by the next run."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from riskcheck.cli import main
from riskcheck.review.decisions import DecisionLog
from riskcheck.review.events import Event, ReviewError, fingerprint, reviews_path
from riskcheck.review.links import link_evidence, link_key

RULE = "kinship-convicted-official"

# The son's only link to the convicted man is his patronymic (Serikovich: the son of a Serik Zhaksybekov).
CASE = """\
id: hint
as_of: 2024-06-01
sources:
  - {id: s, title: Test source, kind: press}
  - {id: s-court, title: Court register, kind: court}
persons:
  - {id: p-court, name: Жақсыбеков Серік Болатұлы, birth_date: 1961-04-12, sources: [s-court]}
  - {id: p-press, name: Serik Bolatovich Zhaksybekov, birth_date: 1975-01-01, sources: [s]}
  - {id: p-son, name: Arman Serikovich Zhaksybekov, birth_date: 1988-07-03, sources: [s]}
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


@pytest.fixture
def case(write_case, tmp_path):
    return write_case("hint", {"case.yaml": CASE}), tmp_path / "out"


def run(runner, root, out) -> dict:
    result = runner.invoke(main, ["run", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "hint" / "findings.json").read_text())


def flagged(doc) -> list[dict]:
    return [f for f in doc["findings"] if f["rule"] == RULE and f["status"] == "flagged"]


def link(runner, root, a, b, kind, reviewer="A. Nurlanova", note=""):
    result = runner.invoke(main, ["reviews", "link", str(root), a, b, "--as", kind, "--reviewer", reviewer,
                                  "--note", note])
    assert result.exit_code == 0, result.output
    return result.output


def test_confirming_a_patronymic_hint_flags_the_appointment_citing_the_reviewer(runner, case):
    root, out = case
    assert not flagged(run(runner, root, out))  # a hint is not a fact
    link(runner, root, "p-son", "p-court", "parent", note="Birth record seen at the registry office")
    [finding] = flagged(run(runner, root, out))
    text = json.dumps(finding, ensure_ascii=False)
    assert "A. Nurlanova" in text and "Birth record seen at the registry office" in text
    assert any("reviewer's decision" in s["flags"] for s in finding["steps"])
    assert any("recorded by the reviewer" in c and "not in the case's data" in c for c in finding["caveats"])
    html = (out / "hint" / "report.html").read_text()
    assert "Decision of the reviewer A. Nurlanova" in html
    assert "0 hints to check" in (out / "index.html").read_text()  # the confirmed hint is a relation now
    # The decision survives another run, unchanged.
    assert flagged(run(runner, root, out)) == [finding]


def test_not_related_clears_the_hint_and_a_later_word_replaces_an_earlier_one(runner, case):
    from riskcheck.pipeline import run_cases
    from riskcheck.results import RunOptions
    from riskcheck.report.identity import identity_document
    from riskcheck.rules.loader import load_rules
    from conftest import RULES

    root, out = case

    def hints():
        seen = {}
        run_cases(root, load_rules(RULES), RunOptions(),
                  on_case=lambda r, reg: seen.setdefault("doc", identity_document(reg)))
        return [(h["left"], h["right"]) for h in seen["doc"]["hints"]]

    assert hints() == [("p-son", "p-court")]
    link(runner, root, "p-son", "p-court", "unsure")
    assert "1 hint to check" in (run(runner, root, out) and (out / "index.html").read_text())
    link(runner, root, "p-court", "p-son", "not_related", note="The family denies it; another Serik")
    assert hints() == []
    link(runner, root, "p-son", "p-court", "unsure", reviewer="Editor")  # the latest word: unsure changes nothing
    assert hints() == [("p-son", "p-court")]


def test_same_person_and_not_the_same_change_what_the_run_merges(runner, write_case, tmp_path):
    # The court's Serik and the press's Serik are born 14 years apart: riskcheck keeps them apart.
    root = write_case("hint", {"case.yaml": CASE.replace(
        "tenures:\n", "relations:\n  - {id: r1, person_id: p-son, relative_id: p-press, kind: parent, "
                      "sources: [s]}\ntenures:\n")})
    out = tmp_path / "out"
    assert not flagged(run(runner, root, out))
    link(runner, root, "p-court", "p-press", "same_as", note="One IIN in both registers")
    [finding] = flagged(run(runner, root, out))
    assert any("a reviewer decided so" in s["text"] and "One IIN in both registers" in s["text"]
               for s in finding["steps"])
    assert any("by a reviewer's decision" in c for c in finding["caveats"])
    link(runner, root, "p-court", "p-press", "not_same_as", note="Two IINs after all")
    assert not flagged(run(runner, root, out))


def test_data_wins_over_a_decision_it_contradicts_and_the_report_says_why(runner, write_case, tmp_path):
    text = CASE.replace("sources: [s-court]}", "not_same_as: [p-press], sources: [s-court]}").replace(
        "tenures:\n", "relations:\n  - {id: r1, person_id: p-son, relative_id: p-press, kind: parent, "
                      "sources: [s]}\ntenures:\n")
    root = write_case("hint", {"case.yaml": text})
    out = tmp_path / "out"
    link(runner, root, "p-press", "p-court", "same_as")
    doc = run(runner, root, out)
    assert not flagged(doc)
    html = (out / "hint" / "report.html").read_text()
    assert "is not applied: the data records them as not the same person (not_same_as), and the data wins" in html


def test_link_decisions_are_listed_exported_and_imported_with_their_checks(runner, write_case, tmp_path):
    mine = write_case("hint", {"case.yaml": CASE}, root=tmp_path / "mine")
    theirs = write_case("hint", {"case.yaml": CASE}, root=tmp_path / "theirs")
    link(runner, theirs, "p-son", "p-court", "parent", note="Birth record")
    listed = runner.invoke(main, ["reviews", "list", str(theirs)]).output
    assert "link:p-court|p-son" in listed and "parent" in listed and "Birth record" in listed
    export = tmp_path / "theirs.jsonl"
    assert runner.invoke(main, ["reviews", "export", str(theirs), "--out", str(export)]).exit_code == 0
    result = runner.invoke(main, ["reviews", "import", str(mine), str(export)])
    assert result.exit_code == 0 and "1 new decision(s)" in result.output, result.output
    assert flagged(run(runner, mine, tmp_path / "out"))
    again = runner.invoke(main, ["reviews", "import", str(mine), str(export)])
    assert "0 new decision(s)" in again.output


def test_a_link_event_whose_evidence_is_another_pair_is_refused_on_import(tmp_path, write_case):
    root = write_case("hint", {"case.yaml": CASE})
    evidence = link_evidence("p-son", "p-press", "parent", [])
    forged = Event("hint", link_key("p-son", "p-court"), "parent", "", "X", "2026-01-01T00:00:00Z",
                   fingerprint(evidence), evidence, kind="link")
    with DecisionLog(reviews_path(root)) as log, pytest.raises(ReviewError, match="not 'link:p-court|p-son'"):
        log.import_events([forged], {"hint"}, "forged.jsonl", at=datetime(2026, 2, 1, tzinfo=timezone.utc))


def test_an_unknown_kind_or_one_person_twice_is_refused_in_words(runner, case):
    root, _ = case
    result = runner.invoke(main, ["reviews", "link", str(root), "p-son", "p-court", "--as", "cousinish",
                                  "--reviewer", "A"])
    assert result.exit_code == 2 and "cousinish" in result.output
    result = runner.invoke(main, ["reviews", "link", str(root), "p-son", "p-son", "--as", "parent",
                                  "--reviewer", "A"])
    assert result.exit_code == 2 and "two different person ids" in result.output


def test_the_desk_takes_a_word_only_on_a_listed_pair_from_its_own_form(write_case):
    import re

    from starlette.testclient import TestClient

    from riskcheck.rules.loader import load_rules
    from riskcheck.serve.app import make_app
    from riskcheck.pipeline import check_cases
    from conftest import RULES

    root = write_case("hint", {"case.yaml": CASE})
    rules = load_rules(RULES)
    client = TestClient(make_app(check_cases(root, rules, None), reviews_path(root), {r.id: r.rule for r in rules}),
                        base_url="http://127.0.0.1")
    assert "1 hint to check" in client.get("/").text
    page = client.get("/cases/hint/links").text
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    form = {"token": token, "person": "p-son", "relative": "p-court", "decision": "relatives", "relation": "parent",
            "reviewer": "Anna"}
    assert client.post("/cases/hint/links/review", data={**form, "token": "guess"}).status_code == 403
    assert client.post("/cases/hint/links/review", data={**form, "relative": "p-press"}).status_code == 404
    said = client.post("/cases/hint/links/review", data={**form, "decision": "same_as"})  # not a word for a hint
    assert "Choose relatives (with the kind), not related or unsure" in said.text
    assert not reviews_path(root).exists() or DecisionLog(reviews_path(root)).count() == 0
    client.post("/cases/hint/links/review", data={**form, "decision": "not_related", "note": "Another Serik"})
    with DecisionLog(reviews_path(root)) as log:
        [event] = log.events("hint", kind="link")
    assert (event.decision, event.reviewer, event.note) == ("not_related", "Anna", "Another Serik")
    assert event.evidence_json()["hint"]  # what the run said of the pair when decided is kept
    assert "0 hints to check" in client.get("/").text


def test_the_desk_marks_a_word_whose_hint_changed_since(write_case):
    from starlette.testclient import TestClient

    from riskcheck.rules.loader import load_rules
    from riskcheck.serve.app import make_app
    from riskcheck.pipeline import check_cases
    from conftest import RULES

    root = write_case("hint", {"case.yaml": CASE})
    with DecisionLog(reviews_path(root)) as log:
        log.record_link("hint", "p-son", "p-court", "unsure", "Anna", hint=["what an earlier run said"])
    rules = load_rules(RULES)
    client = TestClient(make_app(check_cases(root, rules, None), reviews_path(root), {r.id: r.rule for r in rules}),
                        base_url="http://127.0.0.1")
    page = client.get("/cases/hint/links").text
    assert "Changed since decided" in page
    assert "1 hint to check" in client.get("/").text  # an unsure settles nothing


def test_a_log_made_when_only_three_decision_words_existed_takes_link_decisions(tmp_path):
    import sqlite3

    from test_review_log import OLD_SCHEMA
    from riskcheck.review.events import evidence_of

    path = tmp_path / "reviews.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    ev = evidence_of({"id": "rule-1", "rule": "rule", "status": "flagged", "summary": "A lead"})
    old = Event("hint", "rule-1", "unsure", "", "Anna", "2025-01-01T00:00:00Z", fingerprint(ev), ev)
    conn.execute("INSERT INTO events (uid, case_id, finding, decision, note, reviewer, at, fingerprint, evidence) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [old.uid, *[getattr(old, f) for f in (
                     "case_id", "finding", "decision", "note", "reviewer", "at", "fingerprint", "evidence")]])
    conn.commit()
    conn.close()
    with DecisionLog(path) as log:
        log.record_link("hint", "p-son", "p-court", "parent", "Bolat")
        assert [e.uid for e in log.events()] == [old.uid]  # the old decision is kept as it was
        assert [e.decision for e in log.events(kind="link")] == ["parent"]
        with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
            log.conn.execute("DELETE FROM events")
