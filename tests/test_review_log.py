"""The decision log stays sound: no imported or damaged event can hide a later decision, stop a report or
an export, or write outside the cases folder."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskcheck.cli import main
from riskcheck.review.decisions import DecisionLog
from riskcheck.review.event_checks import read_events
from riskcheck.review.events import Event, ReviewError, evidence_of, fingerprint, reviews_path

from conftest import minimal_case

RULE = "kinship-convicted-official"


@pytest.fixture
def case(write_case, tmp_path):
    return write_case("small", {"case.yaml": minimal_case("small")}), tmp_path / "out"


def run(runner, root, out, code=0):
    result = runner.invoke(main, ["run", str(root), "--out", str(out)])
    assert result.exit_code == code, result.output
    return json.loads((out / "small" / "findings.json").read_text()), result.output


def the_finding(doc) -> dict:
    return next(f for f in doc["findings"] if f["rule"] == RULE)


def evidence(doc) -> dict:
    return {k: v for k, v in the_finding(doc).items() if k != "review"}


def line(case_id, finding_json, decision="confirmed", reviewer="Mallory", note="", at="2025-01-01T00:00:00Z",
         raw_evidence=None, **more) -> str:
    text = raw_evidence if raw_evidence is not None else evidence_of(finding_json)
    fid = finding_json["id"] if isinstance(finding_json, dict) else "kinship-convicted-official-000000000000"
    event = Event(case_id, fid, decision, note, reviewer, at, fingerprint(text), text)
    return json.dumps({**event.to_json(), **more})  # escaped, as a lone surrogate can only be in a file


def import_lines(runner, root, tmp_path, *lines, name="theirs.jsonl"):
    path = tmp_path / name
    path.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    return runner.invoke(main, ["reviews", "import", str(root), str(path)])


def inject(root, event: Event) -> None:
    """Write an event straight into the log, as a damaged file or an older version could have."""
    DecisionLog(reviews_path(root)).close()
    conn = sqlite3.connect(reviews_path(root))
    conn.execute("INSERT INTO events (uid, case_id, finding, decision, note, reviewer, at, fingerprint, evidence) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [event.uid, event.case_id, event.finding, event.decision,
                                                        event.note, event.reviewer, event.at, event.fingerprint,
                                                        event.evidence])
    conn.commit()
    conn.close()


def test_an_import_dated_in_the_future_is_refused_and_cannot_hide_a_later_decision(runner, case, tmp_path):
    root, out = case
    doc, _ = run(runner, root, out)
    result = import_lines(runner, root, tmp_path, line("small", evidence(doc), at="9999-12-31T00:00:00Z"))
    assert result.exit_code == 2 and "later than now" in result.output
    # one already in a log (written by an older version) counts nowhere: the later decision is current
    far = Event("small", evidence(doc)["id"], "confirmed", "", "Mallory", "9999-12-31T00:00:00Z",
                fingerprint(evidence_of(evidence(doc))), evidence_of(evidence(doc)))
    inject(root, far)
    with DecisionLog(reviews_path(root)) as log:
        log.record("small", evidence(doc), "dismissed", "Anna", note="namesake")
    doc, _ = run(runner, root, out)
    assert the_finding(doc)["review"]["decision"] == "dismissed"
    assert "later than now" in (out / "small" / "report.html").read_text()


@pytest.mark.parametrize("raw", ['"not json"', "[1]", "not json", '{"id": "other-1", "rule": "other", '
                                 '"status": "flagged", "summary": "forged"}'])
def test_evidence_that_is_not_this_finding_is_refused_and_never_stops_a_report_or_export(runner, case, tmp_path, raw):
    root, out = case
    doc, _ = run(runner, root, out)
    fid = evidence(doc)["id"]
    result = import_lines(runner, root, tmp_path, line("small", evidence(doc), raw_evidence=raw))
    assert result.exit_code == 2 and "decision 1" in result.output and "Traceback" not in result.output
    inject(root, Event("small", fid, "confirmed", "", "Mallory", "2025-01-01T00:00:00Z", fingerprint(raw), raw))
    doc, _ = run(runner, root, out)
    assert "review" not in the_finding(doc) and doc["reviews"]["unreadable"][0]["finding"] == fid
    assert "Decisions that cannot be read" in (out / "small" / "report.html").read_text()
    for fmt in ("csv", "xlsx"):
        exported = runner.invoke(main, ["export", "findings", str(root), "--out", str(tmp_path / f"f.{fmt}")])
        assert exported.exit_code == 0, exported.output
    listed = runner.invoke(main, ["reviews", "list", str(root)])
    assert listed.exit_code == 0 and "unreadable" in listed.output


def test_events_for_a_case_not_in_the_folder_are_refused(runner, case, tmp_path):
    root, out = case
    doc, _ = run(runner, root, out)
    result = import_lines(runner, root, tmp_path, line("elsewhere", evidence(doc)))
    assert result.exit_code == 2 and "no case 'elsewhere'" in result.output
    assert not reviews_path(root).exists() or DecisionLog(reviews_path(root)).count() == 0


def test_an_imported_decision_on_a_finding_this_run_does_not_give_stays_listed_marked_as_imported(runner, case,
                                                                                                  tmp_path):
    root, out = case
    forged = {"id": f"{RULE}-ffffffffffff", "rule": RULE, "status": "flagged", "summary": "A forged lead"}
    assert import_lines(runner, root, tmp_path, line("small", forged)).exit_code == 0
    doc, _ = run(runner, root, out)
    assert doc["reviews"]["no_longer_found"][0]["imported"] is True
    html = (out / "small" / "report.html").read_text()
    assert "A forged lead" in html and '<span class="flag imported">imported</span>' in html


@pytest.mark.parametrize("make, words", [
    (lambda ev: line("small", ev, note="x" * 10_001), "note is longer"),
    (lambda ev: line("small", ev, reviewer="x" * 201), "reviewer's name"),
    (lambda ev: line("small", ev, note="\ud800"), "not text"),
    (lambda ev: "[" * 100_000, "nests deeper"),
    (lambda ev: '{"note": "' + "\\ud800" + '"}', "not a decision"),
    (lambda ev: line("small", ev, decision="approved"), "is not one of"),
])
def test_a_line_past_a_limit_is_refused_with_its_line_number(runner, case, tmp_path, make, words):
    root, out = case
    doc, _ = run(runner, root, out)
    result = import_lines(runner, root, tmp_path, make(evidence(doc)))
    assert result.exit_code == 2 and words in result.output and "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_imported_batch_is_withdrawn_by_appending_not_deleting(runner, case, tmp_path):
    root, out = case
    doc, _ = run(runner, root, out)
    result = import_lines(runner, root, tmp_path, line("small", evidence(doc), decision="dismissed"))
    assert result.exit_code == 0
    batch = result.output.split("Imported as batch ")[1].split(";")[0]
    assert the_finding(run(runner, root, out)[0])["review"]["decision"] == "dismissed"
    listed = runner.invoke(main, ["reviews", "batches", str(root)])
    assert batch in listed.output and "1 decision(s) from theirs.jsonl" in listed.output
    withdrawn = runner.invoke(main, ["reviews", "withdraw", str(root), batch, "--reviewer", "Editor",
                                     "--note", "the wrong file"])
    assert withdrawn.exit_code == 0, withdrawn.output
    assert "review" not in the_finding(run(runner, root, out)[0])
    with DecisionLog(reviews_path(root)) as log:
        assert log.count() == 1  # the event is still there, withdrawn
        assert log.batches()[0].withdrawn.startswith("by Editor")
    again = runner.invoke(main, ["reviews", "withdraw", str(root), batch, "--reviewer", "Editor"])
    assert again.exit_code == 2 and "withdrawn already" in again.output


def test_the_log_must_be_a_regular_file_in_the_cases_folder(runner, case, tmp_path):
    root, out = case
    doc, _ = run(runner, root, out)
    elsewhere = tmp_path / "elsewhere.sqlite"
    os.symlink(elsewhere, reviews_path(root))
    result = runner.invoke(main, ["reviews", "decide", str(root), evidence(doc)["id"], "--decision", "unsure",
                                  "--reviewer", "Anna", "--reports", str(out)])
    assert result.exit_code == 2 and "a link" in result.output
    assert not elsewhere.exists()
    assert runner.invoke(main, ["run", str(root), "--out", str(out)]).exit_code == 2
    assert not elsewhere.exists()


def test_reviews_decide_refuses_a_case_not_in_the_folder(runner, case, write_case, tmp_path):
    root, out = case
    doc, _ = run(runner, root, out)
    other = write_case("other", {"case.yaml": minimal_case("other")}, root=tmp_path / "other")
    result = runner.invoke(main, ["reviews", "decide", str(other), evidence(doc)["id"], "--decision", "unsure",
                                  "--reviewer", "Anna", "--reports", str(out)])
    assert result.exit_code == 2 and "not in" in result.output
    assert not reviews_path(other).exists()


# Any text at all, as a JSON-lines file: read_events either returns events or refuses with a ReviewError.
_json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=4), max_leaves=12)
_fields = st.fixed_dictionaries({}, optional={k: st.text(max_size=30) | _json_values for k in (
    "case_id", "finding", "decision", "note", "reviewer", "at", "fingerprint", "evidence", "kind", "uid")})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(st.text(max_size=60), _fields.map(json.dumps),
                                st.builds(lambda n: "[" * n, st.integers(0, 5000))), max_size=4))
def test_any_import_file_is_read_or_refused_never_crashes(tmp_path, lines):
    try:
        events = read_events(lines, "x.jsonl")
    except ReviewError:
        return
    with DecisionLog(tmp_path / "reviews.sqlite") as log:
        try:
            log.import_events(events, {"small"}, "x.jsonl")
        except ReviewError:
            return
        log.read()


@settings(max_examples=100, deadline=None)
@given(decision=st.sampled_from(["confirmed", "dismissed", "unsure", "maybe"]), note=st.text(max_size=40),
       reviewer=st.text(max_size=30), days=st.integers(-1000, 100_000), summary=st.text(max_size=20),
       finding=st.text(max_size=30))
def test_any_well_formed_event_is_imported_or_refused_in_words(tmp_path_factory, decision, note, reviewer, days,
                                                                summary, finding):
    at = (datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(days=days)).isoformat()
    ev = evidence_of({"id": finding, "rule": finding.rsplit("-", 1)[0], "status": "flagged", "summary": summary})
    text = json.dumps(Event("small", finding, decision, note, reviewer, at, fingerprint(ev), ev).to_json())
    path = tmp_path_factory.mktemp("log") / "reviews.sqlite"
    with DecisionLog(path) as log:
        try:
            log.import_events(read_events([text], "x.jsonl"), {"small"}, "x.jsonl")
        except ReviewError:
            return
        usable, unreadable = log.read()
        assert len(usable) + len(unreadable) <= 1


# The desk's exports


def export(runner, root, tmp_path, fmt, *more):
    out = tmp_path / f"desk.{fmt}"
    result = runner.invoke(main, ["export", "findings", str(root), "--out", str(out), *more])
    assert result.exit_code == 0, result.output
    return out


def test_the_export_keeps_reviewed_findings_no_longer_found_marked(runner, case, tmp_path):
    root, out = case
    doc, _ = run(runner, root, out)
    with DecisionLog(reviews_path(root)) as log:
        log.record("small", evidence(doc), "confirmed", "Anna", note="published 3 May")
    case_file = root / "small" / "case.yaml"
    case_file.write_text(case_file.read_text().replace("outcome: convicted", "outcome: acquitted"))
    import csv as csv_module
    rows = list(csv_module.DictReader(export(runner, root, tmp_path, "csv").read_text(encoding="utf-8-sig")
                                      .splitlines()))
    gone = [r for r in rows if r["In this run"].startswith("no longer found")]
    assert [(r["Finding id"], r["Review"], r["Note"]) for r in gone] == [(evidence(doc)["id"], "confirmed",
                                                                          "published 3 May")]


def hostile_case(write_case, tmp_path):
    text = minimal_case("small").replace("{id: p-son, name: Son}", '{id: p-son, name: "Nurlan;=2+5;Zhaksylykov"}')
    assert "Nurlan;=2+5" in text
    return write_case("small", {"case.yaml": text})


def test_the_csv_has_a_bom_and_no_part_starts_a_formula_however_excel_splits_it(runner, write_case, tmp_path):
    root = hostile_case(write_case, tmp_path)
    raw = export(runner, root, tmp_path, "csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "Nurlan;'=2+5;Zhaksylykov" in text and "Person or unit" in text.splitlines()[0]
    for separator in (",", ";"):
        for line in text.splitlines():
            for part in line.split(separator):
                assert not part.strip().strip('"').strip().startswith(("=", "+", "-", "@")), (separator, part)


def test_the_xlsx_is_made_for_a_desk(runner, write_case, tmp_path):
    from datetime import date as date_type

    from openpyxl import load_workbook

    root = hostile_case(write_case, tmp_path)
    out = tmp_path / "out"
    doc, _ = run(runner, root, out)
    with DecisionLog(reviews_path(root)) as log:
        log.record("small", evidence(doc), "dismissed", "Anna", note="ESC \x1b[31m red, RLO \u202e txt.exe")
    path = export(runner, root, tmp_path, "xlsx", "--report-url", "https://desk.example.org/reports")
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Case", "Finding id", "Rule"] and "Decided at (UTC)" in header
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    assert sheet.column_dimensions["J"].width >= 40  # the summary
    rows = [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2)]
    mine = next(r for r in rows if r["Finding id"].value == evidence(doc)["id"])
    assert mine["Judged as of"].value.date() == date_type(2024, 1, 1) and mine["Judged as of"].is_date
    assert mine["Decided at (UTC)"].is_date
    assert mine["Note"].value == "ESC [U+001B][31m red, RLO [U+202E] txt.exe"
    assert mine["Report"].hyperlink.target == ("https://desk.example.org/reports/small/report.html#"
                                               + evidence(doc)["id"])
    name = next(c for r in rows for c in r.values() if "Nurlan" in str(c.value))
    assert name.data_type == "s" and name.value == "Nurlan;=2+5;Zhaksylykov"


OLD_SCHEMA = """
CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT NOT NULL UNIQUE, case_id TEXT NOT NULL,
    finding TEXT NOT NULL, decision TEXT NOT NULL CHECK (decision IN ('confirmed', 'dismissed', 'unsure')),
    note TEXT NOT NULL, reviewer TEXT NOT NULL, at TEXT NOT NULL, fingerprint TEXT NOT NULL, evidence TEXT NOT NULL);
"""


def test_a_log_written_before_kinds_and_batches_is_read_and_extended(tmp_path):
    path = tmp_path / "reviews.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    ev = evidence_of({"id": "rule-1", "rule": "rule", "status": "flagged", "summary": "A lead"})
    old = Event("small", "rule-1", "unsure", "", "Anna", "2025-01-01T00:00:00Z", fingerprint(ev), ev)
    conn.execute("INSERT INTO events (uid, case_id, finding, decision, note, reviewer, at, fingerprint, evidence) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [old.uid, *[getattr(old, f) for f in (
                     "case_id", "finding", "decision", "note", "reviewer", "at", "fingerprint", "evidence")]])
    conn.commit()
    conn.close()
    with DecisionLog(path) as log:
        assert [e.uid for e in log.events()] == [old.uid]  # the same content id as before
        log.record("small", json.loads(ev), "confirmed", "Bolat")
        assert [e.decision for e in log.history("small", "rule-1")] == ["unsure", "confirmed"]
