"""Reviewers' decisions: kept across runs and colleagues, shown in the reports, never overwritten."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from datetime import datetime, timezone

import pytest

from riskcheck.cli import main
from riskcheck.review.decisions import DecisionLog
from riskcheck.review.events import ReviewError, reviews_path

from conftest import minimal_case

FINDING_RULE = "kinship-convicted-official"


def run(runner, root, out):
    result = runner.invoke(main, ["run", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "small" / "findings.json").read_text())


def the_finding(doc) -> dict:
    return next(f for f in doc["findings"] if f["rule"] == FINDING_RULE)


def decide(runner, root, out, finding_id, decision, reviewer="Anna", note=""):
    result = runner.invoke(main, ["reviews", "decide", str(root), finding_id, "--decision", decision,
                                  "--reviewer", reviewer, "--note", note, "--reports", str(out)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def case(write_case, tmp_path):
    return write_case("small", {"case.yaml": minimal_case("small")}), tmp_path / "out"


def test_a_decision_is_shown_in_the_report_and_counted_in_the_index(runner, case):
    root, out = case
    finding = the_finding(run(runner, root, out))
    decide(runner, root, out, finding["id"], "dismissed", note="Namesake: the ministry sent his IIN")
    doc = run(runner, root, out)
    assert the_finding(doc)["review"]["decision"] == "dismissed"
    html = (out / "small" / "report.html").read_text()
    assert "review-dismissed" in html and "Namesake: the ministry sent his IIN" in html
    assert doc["reviews"]["counts"] == {"open": 0, "confirmed": 0, "dismissed": 1, "unsure": 0}
    index = (out / "index.html").read_text()
    assert "0 not reviewed &middot; 0 changed &middot; 0 no longer found" in index
    assert "0 confirmed &middot; 1 dismissed &middot; 0 unsure" in index


def test_the_history_is_kept_and_the_latest_decision_is_current(runner, case):
    root, out = case
    finding = the_finding(run(runner, root, out))
    decide(runner, root, out, finding["id"], "unsure", note="called the ministry")
    decide(runner, root, out, finding["id"], "confirmed", reviewer="Editor", note="court record obtained")
    run(runner, root, out)
    html = (out / "small" / "report.html").read_text()
    assert "review-confirmed" in html and "Earlier decisions (1)" in html and "called the ministry" in html
    with DecisionLog(reviews_path(root)) as log:
        assert [e.decision for e in log.events()] == ["unsure", "confirmed"]


def test_the_log_refuses_to_change_or_delete_a_decision(runner, case):
    root, out = case
    decide(runner, root, out, the_finding(run(runner, root, out))["id"], "unsure")
    conn = sqlite3.connect(reviews_path(root))
    for sql in ("UPDATE events SET decision = 'confirmed'", "DELETE FROM events"):
        with pytest.raises(sqlite3.IntegrityError, match="never"):
            conn.execute(sql)
    assert conn.execute("SELECT decision FROM events").fetchall() == [("unsure",)]


def test_a_change_in_the_evidence_is_shown_with_what_changed(runner, case):
    root, out = case
    decide(runner, root, out, the_finding(run(runner, root, out))["id"], "confirmed")
    case_file = root / "small" / "case.yaml"
    case_file.write_text(case_file.read_text().replace("in_force_date: 2021-07-01, sources: [s1]",
                                                       "in_force_date: 2021-07-01, sources: [s1, s2]")
                         + "  - {id: s2, title: A newspaper}\n")
    finding = the_finding(run(runner, root, out))
    assert finding["review"]["decision"] == "confirmed"
    assert finding["review"]["changed_since"] == ["the verdict's sources: added “A newspaper”"]
    assert "Changed since reviewed:" in (out / "small" / "report.html").read_text()


@pytest.mark.parametrize("before, after, words", [
    ("start: 2022-03-01", "start: 2022-09-01", "the appointment date moved from 1 March 2022 to 1 September 2022"),
    ("in_force_date: 2021-07-01", "in_force_date: 2021-08-01",
     "the verdict in-force date moved from 1 July 2021 to 1 August 2021"),
    ("offence: bribery", "offence: fraud", "the verdict offence moved from bribery to fraud"),
    ("kind: parent, sources: [s1]", "kind: parent, start: 2001-01-01, sources: [s1]",
     "the family link start date is now recorded: 1 January 2001"),
])
def test_a_changed_fact_is_named_with_its_old_and_new_value(runner, case, before, after, words):
    root, out = case
    decide(runner, root, out, the_finding(run(runner, root, out))["id"], "confirmed")
    case_file = root / "small" / "case.yaml"
    assert before in case_file.read_text()
    case_file.write_text(case_file.read_text().replace(before, after))
    finding = the_finding(run(runner, root, out))
    assert words in finding["review"]["changed_since"]
    assert "Changed since reviewed:" in (out / "small" / "report.html").read_text()


def test_an_unchanged_finding_decided_before_facts_were_kept_is_not_marked(runner, case):
    """Evidence saved by an earlier version (the finding without steps or facts) is compared on what it holds."""
    root, out = case
    finding = the_finding(run(runner, root, out))
    old = {k: v for k, v in finding.items() if k not in ("steps", "facts", "source_titles", "review")}
    with DecisionLog(reviews_path(root)) as log:
        log.record("small", old, "confirmed", "Anna")
    assert the_finding(run(runner, root, out))["review"]["changed_since"] == []


def test_a_decided_finding_no_longer_found_stays_listed(runner, case):
    root, out = case
    finding = the_finding(run(runner, root, out))
    decide(runner, root, out, finding["id"], "confirmed", note="published 3 May")
    case_file = root / "small" / "case.yaml"
    case_file.write_text(case_file.read_text().replace("outcome: convicted", "outcome: acquitted"))
    doc = run(runner, root, out)
    assert all(f["rule"] != FINDING_RULE or f["status"] != "flagged" for f in doc["findings"])
    gone = doc["reviews"]["no_longer_found"]
    assert [(g["finding"], g["decision"]) for g in gone] == [(finding["id"], "confirmed")]
    html = (out / "small" / "report.html").read_text()
    assert "Reviewed leads no longer found" in html and "published 3 May" in html


def test_the_index_and_the_run_count_what_a_desk_must_look_at(runner, case):
    root, out = case
    finding = the_finding(run(runner, root, out))
    decide(runner, root, out, finding["id"], "confirmed", note="published 3 May")
    case_file = root / "small" / "case.yaml"
    case_file.write_text(case_file.read_text().replace("outcome: convicted", "outcome: acquitted"))
    result = runner.invoke(main, ["run", str(root), "--out", str(out)])
    assert "1 reviewed but no longer found" in result.output and "changed since reviewed" in result.output
    index = (out / "index.html").read_text()
    assert "<strong>1 no longer found</strong>" in index and "leads: high" in index and "open: high" not in index
    doc = json.loads((out / "small" / "findings.json").read_text())
    assert doc["reviews"]["to_look_at"]["no longer found"] == 1


def test_same_input_and_same_decisions_give_the_same_bytes(runner, case, tmp_path):
    root, out = case
    decide(runner, root, out, the_finding(run(runner, root, out))["id"], "unsure")
    run(runner, root, tmp_path / "a")
    run(runner, root, tmp_path / "b")
    for name in ("index.html", "small/report.html", "small/findings.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def a_finding(fid: str = "rule-1", **more) -> dict:
    """The least a finding's evidence holds: the log refuses evidence that is not a finding."""
    return {"id": fid, "rule": fid.rsplit("-", 1)[0], "status": "flagged", "summary": "A lead", **more}


def _write_decisions(path: str, reviewer: str, n: int) -> None:
    with DecisionLog(path) as log:
        for i in range(n):
            log.record("small", a_finding(f"rule-{i}"), "unsure", reviewer, note=str(i))


def test_two_reviewers_saving_at_once_both_keep_every_decision(tmp_path):
    path = tmp_path / "reviews.sqlite"
    DecisionLog(path).close()
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_write_decisions, args=(str(path), name, 150)) for name in ("Anna", "Bolat")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    with DecisionLog(path) as log:
        events = list(log.events())
    assert len(events) == 300
    assert {e.reviewer for e in events} == {"Anna", "Bolat"}


def test_export_and_import_merge_without_loss_or_doubles(runner, write_case, tmp_path):
    mine = write_case("small", {"case.yaml": minimal_case("small")}, root=tmp_path / "mine")
    theirs = write_case("small", {"case.yaml": minimal_case("small")}, root=tmp_path / "theirs")
    at = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    with DecisionLog(reviews_path(mine)) as log:
        log.record("small", a_finding("f-1"), "unsure", "Anna", at=at)
    with DecisionLog(reviews_path(theirs)) as log:
        log.record("small", a_finding("f-1"), "confirmed", "Bolat", at=at.replace(day=6))
        log.record("small", a_finding("f-2", status="pending"), "dismissed", "Bolat", at=at)
    export = tmp_path / "bolat.jsonl"
    assert runner.invoke(main, ["reviews", "export", str(theirs), "--out", str(export)]).exit_code == 0
    for expected in ("2 new decision(s)", "0 new decision(s)"):  # the second import changes nothing
        result = runner.invoke(main, ["reviews", "import", str(mine), str(export)])
        assert result.exit_code == 0 and expected in result.output
    with DecisionLog(reviews_path(mine)) as log:
        histories = log.histories("small")
    assert [e.decision for e in histories["f-1"]] == ["unsure", "confirmed"]  # both kept, the later is current
    assert [e.decision for e in histories["f-2"]] == ["dismissed"]


def test_an_altered_export_line_is_refused(runner, write_case, tmp_path):
    root = write_case("small", {"case.yaml": minimal_case("small")})
    with DecisionLog(reviews_path(root)) as log:
        log.record("small", a_finding("f-1"), "dismissed", "Anna")
    export = tmp_path / "x.jsonl"
    runner.invoke(main, ["reviews", "export", str(root), "--out", str(export)])
    export.write_text(export.read_text().replace('"dismissed"', '"confirmed"'))
    result = runner.invoke(main, ["reviews", "import", str(root), str(export)])
    assert result.exit_code == 2 and "altered after it was exported" in result.output


def test_a_decision_needs_a_known_word_and_a_reviewer(tmp_path):
    with DecisionLog(tmp_path / "r.sqlite") as log:
        with pytest.raises(ReviewError, match="not one of"):
            log.record("c", a_finding(), "maybe", "Anna")
        with pytest.raises(ReviewError, match="reviewer"):
            log.record("c", a_finding(), "unsure", "  ")
