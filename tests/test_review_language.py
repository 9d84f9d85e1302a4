"""A decision binds what a finding rests on, never the words it is written in: the same case read in another
language keeps every decision, and a decision recorded before this (its evidence in English words, its steps
without values) is not marked changed either."""

from __future__ import annotations

import json

from riskcheck.cli import main
from riskcheck.review.decisions import DecisionLog
from riskcheck.review.events import reviews_path

from conftest import minimal_case

RULE = "kinship-convicted-official"


def run(runner, root, out, lang="en") -> dict:
    result = runner.invoke(main, ["run", str(root), "--out", str(out), "--lang", lang])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "small" / "findings.json").read_text())
    return next(f for f in doc["findings"] if f["rule"] == RULE)


def decide(runner, root, out, finding_id) -> None:
    result = runner.invoke(main, ["reviews", "decide", str(root), finding_id, "--decision", "confirmed",
                                  "--reviewer", "Anna", "--reports", str(out)])
    assert result.exit_code == 0, result.output


def test_a_decision_made_in_english_holds_in_russian_until_a_bound_record_changes(runner, write_case, tmp_path):
    root, out = write_case("small", {"case.yaml": minimal_case("small")}), tmp_path / "out"
    english = run(runner, root, out)
    decide(runner, root, out, english["id"])
    russian = run(runner, root, out, "ru")
    assert russian["summary"] != english["summary"]  # the words did change language ...
    assert russian["review"]["decision"] == "confirmed"
    assert russian["review"]["changed_since"] == []  # ... and the decision still stands on the same facts
    assert "review-changed" not in (out / "small" / "report.html").read_text()
    case_file = root / "small" / "case.yaml"
    case_file.write_text(case_file.read_text().replace("in_force_date: 2021-07-01", "in_force_date: 2021-08-01"))
    moved = run(runner, root, out, "kk")
    assert moved["review"]["decision"] == "confirmed"
    assert moved["review"]["changed_since"], "a bound record moved: the decision must say it changed"


def test_a_decision_recorded_before_evidence_had_a_basis_is_not_marked_changed(runner, write_case, tmp_path):
    """The evidence as the version before this one saved it: English words, steps without computed values."""
    root, out = write_case("small", {"case.yaml": minimal_case("small")}), tmp_path / "out"
    english = run(runner, root, out)
    old = {k: v for k, v in english.items() if k != "review"}
    old["steps"] = [{k: v for k, v in step.items() if k != "value"} for step in old["steps"]]
    with DecisionLog(reviews_path(root)) as log:
        log.record("small", old, "dismissed", "Anna")
    for lang in ("en", "uk", "pt_BR"):
        assert run(runner, root, out, lang)["review"]["changed_since"] == [], lang


def test_a_computed_value_that_moves_is_named_though_its_words_are_in_another_language(runner, write_case,
                                                                                       tmp_path):
    root, out = write_case("small", {"case.yaml": minimal_case("small")}), tmp_path / "out"
    english = run(runner, root, out)
    values = [s for s in english["steps"] if s["kind"] == "value"]
    assert values and all("value" in s for s in values), "a computed value is kept in no language"
    decide(runner, root, out, english["id"])
    case_file = root / "small" / "case.yaml"
    case_file.write_text(case_file.read_text().replace("in_force_date: 2021-07-01", "in_force_date: 2021-08-01"))
    changed = run(runner, root, out, "ru")["review"]["changed_since"]
    # the computed value is named by its step's words and moved, in Russian words and dates
    assert any(line.startswith("вычисленное значение «") and "июля 2021" in line and "августа 2021" in line
               for line in changed), changed
