"""Which rules a run uses: the shipped ones from any folder, --rules instead of them, --add-rules beside them."""

from __future__ import annotations

import json
import shutil

from riskcheck.cli import main
from riskcheck.rules.loader import load_rules

from conftest import ALL_RULES, CASES, REPO, RULES

# The Kazakh pack, which the Kazakh case applies, and the unit indicators, which every case does.
SHIPPED_IDS = sorted(p.stem for p in [*RULES.glob("*.yaml"), *(ALL_RULES / "signals").glob("*.yaml")])
ALL_IDS = sorted(p.stem for p in ALL_RULES.glob("*/*.yaml"))


def rules_applied(out) -> list[str]:
    """The rules the Kazakh example case was judged by (a run of that case alone is enough to tell)."""
    found = json.loads((out / "imanaliev-appointment" / "findings.json").read_text())
    return sorted(r["id"] for r in found["rules"])


def copy_rule(tmp_path, rule_id: str, new_id: str):
    folder = tmp_path / "my-rules"
    folder.mkdir(exist_ok=True)
    text = (RULES / f"{rule_id}.yaml").read_text(encoding="utf-8").replace(f"id: {rule_id}", f"id: {new_id}", 1)
    (folder / f"{new_id}.yaml").write_text(text, encoding="utf-8")
    shutil.copytree(RULES / "_fixtures", folder / "_fixtures", dirs_exist_ok=True)
    return folder


def test_the_shipped_rules_run_from_any_folder(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no rules/ here
    result = runner.invoke(main, ["run", str(CASES), "--out", "reports"])
    assert result.exit_code == 0, result.output
    assert rules_applied(tmp_path / "reports") == SHIPPED_IDS
    # `riskcheck rules` finds every shipped pack too, and `riskcheck test` runs a shipped rule's test, picked by
    # -k, which must not run the others (pytest runs them all, in tests/test_shipped_rules.py; CI's wheel step
    # runs one more through the installed runner).
    listed = runner.invoke(main, ["rules"]).output.splitlines()[1:]
    assert sorted(line.split()[0] for line in listed) == ALL_IDS
    one_per_pack = {loaded.path.parent.name: loaded for loaded in reversed(load_rules(ALL_RULES))}
    for _, loaded in sorted(one_per_pack.items())[:2]:
        first = loaded.rule.tests[0].name
        tested = runner.invoke(main, ["test", "-k", f"{loaded.id} {first}"])
        assert tested.output == f"ok    {loaded.id}::{first}\n1 passed, 0 failed\n", tested.output


def test_rules_replaces_the_shipped_rules(runner, tmp_path):
    mine = copy_rule(tmp_path, "reserve-relative-conflict", "my-reserve-check")
    result = runner.invoke(main, ["run", str(CASES / "imanaliev-appointment"), "--rules", str(mine), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert rules_applied(tmp_path / "out") == ["my-reserve-check"]


def test_add_rules_runs_them_beside_the_shipped_ones(runner, tmp_path):
    mine = copy_rule(tmp_path, "reserve-relative-conflict", "my-reserve-check")
    result = runner.invoke(main, ["run", str(CASES / "imanaliev-appointment"), "--add-rules", str(mine), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert rules_applied(tmp_path / "out") == sorted([*SHIPPED_IDS, "my-reserve-check"])


def test_an_added_rule_may_not_take_a_shipped_rules_id(runner, tmp_path):
    mine = copy_rule(tmp_path, "reserve-relative-conflict", "reserve-relative-conflict")
    result = runner.invoke(main, ["rules", "--add-rules", str(mine)])
    assert result.exit_code == 4
    assert "rule id 'reserve-relative-conflict' is used already by" in result.output


def test_a_pack_given_twice_is_read_once(runner):
    result = runner.invoke(main, ["rules", "--rules", str(REPO / "rules"), "--rules", str(RULES)])
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 1 + len(ALL_IDS)
