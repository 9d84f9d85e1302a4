"""A re-run after a few changed records finds, and writes, byte for byte what a fresh run does.

A synthetic registry is changed a little at a time, as a data desk's would be between runs (a verdict, a
tenure, a relation, a resignation or a reserve membership added or removed, a date edited, now and then a
person's birth date), each step by a seeded random choice. After each step the cached run into one output
folder (which keeps what it can from the last run: reports, results, identity resolution) is compared with a
fresh run with --no-cache, file by file. RISKCHECK_SOAK_STEPS=200 runs a longer soak locally.

The kept store (riskcheck.registry.kept_store) is tested alone too: with the changed rows applied it is the
store a fresh load builds, table by table; and a change it must not apply is loaded afresh, saying why.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from riskcheck.cli import main
from riskcheck.errors import ProblemError
from riskcheck.registry.cases import read_case_meta
from riskcheck.registry.kept_store import CHANGEABLE, KeptStore, anchors_digest
from riskcheck.registry.load import Registry, load_sources
from riskcheck.registry.schema import load_schema

from conftest import RULES, synthetic_registry
from test_reuse import files_of

SCHEMA = load_schema()
STEPS = int(os.environ.get("RISKCHECK_SOAK_STEPS", "2"))  # CI: the known change and one random step
CHANGES_PER_STEP = 3


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    return synthetic_registry(tmp_path_factory, 2000)


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    return rows[0], rows[1:]


def write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([header, *rows])
    path.write_text(text.getvalue(), encoding="utf-8")


def some_date(rng: random.Random) -> str:
    return (date(2012, 1, 1) + timedelta(days=rng.randrange(5000))).isoformat()


def in_order(header: list[str], row: list[str]) -> None:
    """A start after its end is a data error, not a change a re-run is tested by: swap the two."""
    if "start" in header and "end" in header:
        i, j = header.index("start"), header.index("end")
        if row[i] and row[j] and row[i] > row[j]:
            row[i], row[j] = row[j], row[i]


def change(folder: Path, rng: random.Random, step: int) -> str:
    """One small change to the registry, chosen by `rng`; what it was, in words (for a failing test's message)."""
    kind = rng.choice(["verdicts", "tenures", "relations", "resignations", "memberships", "edit", "edit", "person"])
    persons = [r[0] for r in read(folder / "persons.csv")[1]]
    if kind == "edit":
        kind = rng.choice(["verdicts", "tenures", "relations", "resignations", "memberships"])
        header, rows = read(folder / f"{kind}.csv")
        dated = [i for i, name in enumerate(header) if name in ("start", "end", "submitted", "admitted",
                                                                  "in_force_date", "verdict_date")]
        row = rng.choice(rows)
        col = rng.choice(dated)
        row[col] = some_date(rng)
        in_order(header, row)
        write(folder / f"{kind}.csv", header, rows)
        return f"edited {kind} {row[0]} {header[col]} to {row[col]}"
    if kind == "person":
        header, rows = read(folder / "persons.csv")
        row = rng.choice(rows)
        row[header.index("birth_date")] = some_date(rng).replace("20", "19", 1)
        write(folder / "persons.csv", header, rows)
        return f"edited person {row[0]}'s birth date"
    header, rows = read(folder / f"{kind}.csv")
    if rows and rng.random() < 0.4:
        gone = rows.pop(rng.randrange(len(rows)))
        write(folder / f"{kind}.csv", header, rows)
        return f"removed {kind} {gone[0]}"
    new = list(rng.choice(rows))
    new[0] = f"x{step}-{kind}-{rng.randrange(10**6)}"
    new[header.index("person_id")] = rng.choice(persons)
    for name in ("start", "submitted", "admitted", "in_force_date", "verdict_date"):
        if name in header and (new[header.index(name)] or name in ("start", "submitted")):
            new[header.index(name)] = some_date(rng)
    if kind == "verdicts":
        new[header.index("outcome")] = rng.choice(["convicted", "convicted", "pending", "acquitted"])
    if kind == "relations":
        new[header.index("relative_id")] = rng.choice(persons)
        new[header.index("kind")] = rng.choice(["parent", "child", "spouse", "sibling"])
    in_order(header, new)
    rows.insert(rng.randrange(len(rows) + 1), new)  # anywhere: the rows after it move a line down
    write(folder / f"{kind}.csv", header, rows)
    return f"added {kind} {new[0]}"


def known_change(folder: Path) -> list[str]:
    """Changes that name nobody new, one of each kind the kept store applies row by row: another verdict of a
    convicted person, a tenure's start moved a day, a resignation gone, a membership edited and moved down."""
    header, rows = read(folder / "verdicts.csv")
    new = list(next(r for r in rows if r[header.index("outcome")] == "convicted"))
    new[0] = "x-known-verdict"
    person = new[header.index("person_id")]
    write(folder / "verdicts.csv", header, [*rows, new])
    header, rows = read(folder / "tenures.csv")
    start = header.index("start")
    row = next(r for r in rows if len(r[start]) == 10)
    row[start] = (date.fromisoformat(row[start]) + timedelta(days=1)).isoformat()
    write(folder / "tenures.csv", header, rows)
    header, resignations = read(folder / "resignations.csv")
    gone = resignations.pop(len(resignations) // 2)
    write(folder / "resignations.csv", header, resignations)
    header, memberships = read(folder / "memberships.csv")
    moved = memberships.pop(0)
    moved[header.index("admitted")] = "2020-02-02"
    write(folder / "memberships.csv", header, [*memberships[:3], moved, *memberships[3:]])
    return [f"added verdicts {new[0]} of {person}", f"moved tenures {row[0]} start a day",
            f"removed resignations {gone[0]}", f"edited memberships {moved[0]}'s admission"]


def anchors_and_kin(folder: Path) -> tuple[set[str], list[tuple[str, str]]]:
    """The persons some changeable record names (a change naming anyone else loads afresh), and the pairs (a
    person, a close relative of theirs) recorded as established blood links for all time."""
    named = set()
    for kind in CHANGEABLE:
        header, rows = read(folder / f"{kind}.csv")
        named |= {r[header.index("person_id")] for r in rows}
    header, rows = read(folder / "relations.csv")
    col = {name: header.index(name) for name in ("person_id", "relative_id", "kind", "status", "start", "end")}
    kin = [(r[col["person_id"]], r[col["relative_id"]]) for r in rows
           if r[col["kind"]] in ("parent", "sibling") and r[col["status"]] in ("reported", "confirmed")
           and not r[col["start"]] and not r[col["end"]] and r[col["person_id"]] != r[col["relative_id"]]]
    return named, kin


def reaching_changes(folder: Path) -> list[str]:
    """Two changed records whose findings are another person's: a relative's corruption conviction in force
    before a person's appointment (kinship-convicted-official, whose subject is the appointee), and a relative
    appointed to the post a person's post reports to (relatives-direct-subordination, whose subject is the
    subordinate). Only their relatives' and subordinates' findings change: a re-run asking the rules about the
    changed records' own persons alone would miss them."""
    named, kin = anchors_and_kin(folder)
    header, tenures = read(folder / "tenures.csv")
    col = {name: header.index(name) for name in ("person_id", "position_id", "start")}
    pheader, positions = read(folder / "positions.csv")
    reports_to = {r[0]: r[pheader.index("reports_to")] for r in positions}
    starts = {}
    for r in tenures:
        if len(r[col["start"]]) == 10:
            starts.setdefault(r[col["person_id"]], r)
    person, relative = next((p, rel) for p, rel in kin if p in starts and rel in named)
    start = date.fromisoformat(starts[person][col["start"]])
    vheader, verdicts = read(folder / "verdicts.csv")
    verdict = dict.fromkeys(vheader, "")
    verdict.update(id="x-reach-verdict", person_id=relative, offence="bribery", category="corruption",
                   outcome="convicted", verdict_date=(start - timedelta(days=400)).isoformat(),
                   in_force_date=(start - timedelta(days=300)).isoformat(), sources=verdicts[0][-1])
    write(folder / "verdicts.csv", vheader, [*verdicts, list(verdict.values())])
    sub, boss = next((p, rel) for p, rel in kin if rel in named and p in starts
                     and reports_to.get(starts[p][col["position_id"]]))
    new = list(starts[sub])
    new[0], new[col["person_id"]] = "x-reach-tenure", boss
    new[col["position_id"]] = reports_to[starts[sub][col["position_id"]]]
    write(folder / "tenures.csv", header, [*tenures, new])
    return [f"added a conviction of {relative}, a relative of {person} appointed {start}",
            f"added a tenure of {boss} over {sub}'s post"]


def verdict_in_the_future(folder: Path) -> str:
    """A verdict dated after the case's as_of: a warning a full load gives where it lies, so no row is applied."""
    header, rows = read(folder / "verdicts.csv")
    new = list(rows[0])
    new[0] = "x-future-verdict"
    new[header.index("verdict_date")] = "2031-01-01"
    write(folder / "verdicts.csv", header, [*rows, new])
    return "added a verdict dated 2031"


def test_a_rerun_after_random_small_changes_writes_what_a_fresh_run_writes(runner, registry, tmp_path, monkeypatch):
    import riskcheck.pipeline as pipeline
    from riskcheck.report import render

    monkeypatch.setattr(render, "MAX_FINDINGS_ON_ONE_PAGE", 20)  # a page per person, as a national case has
    taken: list[int] = []  # the kept findings whose evidence was taken from the last findings.json, per re-run
    real = pipeline.reuse_evidence
    monkeypatch.setattr(pipeline, "reuse_evidence", lambda *args: taken.append(real(*args)) or taken[-1])
    root = tmp_path / "registry"
    shutil.copytree(registry, root)
    folder = root / "synthetic"
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    first = runner.invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(out)])
    assert first.exit_code == 0, first.output
    rng = random.Random(29)
    said = []
    for step in range(STEPS):
        done = known_change(folder) + reaching_changes(folder) if step == 0 else \
            [change(folder, rng, step) for _ in range(CHANGES_PER_STEP)]
        if step == 1:  # a change the kept store must not apply; and a damaged kept identity is passed by
            done.append(verdict_in_the_future(folder))
            hints = next((out / ".riskcheck-cache" / "synthetic" / "identity").glob("hints-*.parquet"))
            hints.write_bytes(hints.read_bytes()[:-100])
        again = runner.invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(out), "--progress"])
        shutil.rmtree(fresh, ignore_errors=True)
        clean = runner.invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(fresh), "--no-cache"])
        assert clean.exit_code == 0 and "synthetic: could not" not in clean.output, (done, clean.output)
        assert again.exit_code == clean.exit_code, (done, again.output)
        assert again.stdout.replace(str(out), "OUT") == clean.stdout.replace(str(fresh), "OUT"), done
        assert files_of(out) == files_of(fresh), f"step {step}: {done}"
        said.append(again.stderr)
        if step == 0:  # the findings the reaching changes give are another person's, found by the re-run too
            found = json.loads((out / "synthetic" / "findings.json").read_text())["findings"]
            by = {(f["rule"], str(f["records"].get(var))): f for f in found
                  for var in ("verdict", "superior_tenure")}
            relative = by.get(("kinship-convicted-official", "x-reach-verdict"))
            subordinate = by.get(("relatives-direct-subordination", "x-reach-tenure"))
            assert relative is not None and f"a relative of {relative['person']} appointed" in done[-2], done
            assert subordinate is not None and f"over {subordinate['person']}'s post" in done[-1], done
    assert sum(taken) > 0, taken  # and the files written were still a fresh run's, above
    assert ("synthetic: store kept from the last run, only changed rows applied (memberships.csv: 1 row added or "
            "changed, 1 gone, 3 on another line; resignations.csv: 0 rows added or changed, 1 gone,") in said[0], said[0]
    assert "person pages as the last run wrote them" in said[0], said[0]
    assert "synthetic: rules asked again only about the " in said[0], said[0]
    assert "run in full" not in said[0], said[0]
    assert "synthetic: store built afresh (" in said[1], said[1]
    assert ("synthetic: identity resolved afresh (the kept identity could not be used: its hints file is missing "
            "or was changed)") in said[1] or "persons, relations or link decisions changed" in said[1]
    kept = json.loads((out / ".riskcheck-cache" / "synthetic" / "identity" / "identity.json").read_text())
    hints = out / ".riskcheck-cache" / "synthetic" / "identity" / kept["hints"]  # kept whole again
    assert hashlib.sha256(hints.read_bytes()).hexdigest() == kept["hints_sha256"]


def test_a_rerun_asks_the_rules_over_the_hints_again_only_about_the_persons_a_change_reaches(
        runner, registry, tmp_path, monkeypatch):
    """The rules over the kinship hints (riskcheck.rules.what_if) keep their last rows but for the persons a
    change reaches: the conviction a hint's row rests on edited into an acquittal takes the row away, the same
    conviction added again at the end of its file brings it back, each time as a fresh run writes it."""
    import riskcheck.rules.what_if as what_if
    from riskcheck.reuse import ENTRY

    asked_again: list[str] = []  # the rules over the hints a re-run asked only about the persons reached
    real = what_if.WhatIf._ask_again

    def spy(self, conn, compiled, bind, tables):
        rows = real(self, conn, compiled, bind, tables)
        if rows is not None:
            asked_again.append(compiled.rule.id)
        return rows

    monkeypatch.setattr(what_if.WhatIf, "_ask_again", spy)
    root = tmp_path / "registry"
    shutil.copytree(registry, root)
    folder = root / "synthetic"
    out, fresh = tmp_path / "out", tmp_path / "fresh"

    def rows_over_hints() -> list[dict]:
        entry = json.loads((out / ".riskcheck-cache" / "synthetic" / ENTRY).read_text(encoding="utf-8"))
        return entry["result"]["what_if"]["kinship-convicted-official"]

    def rerun_as_fresh() -> str:
        asked_again.clear()
        again = runner.invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(out)])
        shutil.rmtree(fresh, ignore_errors=True)
        clean = runner.invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(fresh), "--no-cache"])
        assert again.exit_code == clean.exit_code == 0, again.output
        assert files_of(out) == files_of(fresh)
        assert "store kept from the last run" in again.stderr, again.stderr
        assert "kinship-convicted-official" in asked_again, asked_again
        return again.stderr

    assert runner.invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(out)]).exit_code == 0
    first = rows_over_hints()
    assert first, "the registry should give a finding resting on a hint"
    verdict = first[0]["v__verdict"]
    header, verdicts = read(folder / "verdicts.csv")
    (line,) = [row for row in verdicts if row[0] == verdict]
    acquitted = [[*row[:header.index("outcome")], "acquitted", *row[header.index("outcome") + 1:]]
                 if row[0] == verdict else row for row in verdicts]
    write(folder / "verdicts.csv", header, acquitted)
    rerun_as_fresh()
    assert verdict not in {row["v__verdict"] for row in rows_over_hints()}
    assert [row for row in rows_over_hints() if row["v__verdict"] != verdict] == \
        [row for row in first if row["v__verdict"] != verdict]  # the others kept as they were
    write(folder / "verdicts.csv", header, [*acquitted, ["x-again", *line[1:]]])
    rerun_as_fresh()
    back = [row for row in rows_over_hints() if row["v__verdict"] == "x-again"]
    assert back and {**back[0], "v__verdict": verdict} in first


# The kept store alone: what a load gives, table by table, with the changed rows applied or loaded afresh


def files(root: Path) -> dict[str, str]:
    import hashlib
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def load(root: Path, kept: Path | None) -> tuple[Registry, KeptStore | None]:
    meta = read_case_meta(root / "synthetic", root)
    store = KeptStore(kept, "salt", files(root), root) if kept is not None else None
    registry = load_sources(meta, root, SCHEMA, kept_store=store)
    registry.kept()
    return registry, store


def contents(registry: Registry) -> dict:
    """Every table and view of the store, and what the Registry holds beside it."""
    conn = registry.conn
    names = [r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                        "current_database() UNION ALL SELECT view_name FROM duckdb_views() "
                                        "WHERE database_name = current_database() AND NOT internal").fetchall()]
    # The derived tables are made by parallel queries: their rows' order is DuckDB's, run to run.
    tables = {n: sorted(map(repr, conn.execute(f'SELECT * FROM "{n}"').fetchall())) for n in sorted(names)}
    tables["nk_hints"] = sorted(map(repr, conn.execute("SELECT * FROM nk_hints").fetchall()))
    for name in CHANGEABLE:  # the changed record types' tables, rows in the order a full load sorts them
        tables[name] = conn.execute(f'SELECT * FROM "{name}"').fetchall()
    return {"tables": tables, "warnings": registry.warnings, "merged": registry.identity.merged_records,
            "rewritten": registry.identity.rewritten, "resolution": registry.identity.resolution}


def edit(root: Path, step: int) -> None:
    """A verdict added between rows, a tenure's end edited, a resignation removed, memberships reordered (at
    step 0; at a later step only the tenure's end)."""
    folder = root / "synthetic"
    if step:
        header, rows = read(folder / "tenures.csv")
        rows[3 + step][header.index("end")] = rows[3 + step][header.index("start")]
        write(folder / "tenures.csv", header, rows)
        return
    header, rows = read(folder / "verdicts.csv")
    new = list(rows[1])
    new[0] = f"x-verdict-{step}"
    write(folder / "verdicts.csv", header, [rows[0], new, *rows[1:]])
    header, rows = read(folder / "tenures.csv")
    rows[3 + step][header.index("end")] = rows[3 + step][header.index("start")]
    write(folder / "tenures.csv", header, rows)
    header, rows = read(folder / "resignations.csv")
    write(folder / "resignations.csv", header, rows[1:])
    header, rows = read(folder / "memberships.csv")
    write(folder / "memberships.csv", header, [*rows[2:], *rows[:2]])


def test_a_store_with_the_changed_rows_applied_is_what_a_fresh_load_builds(registry, tmp_path):
    """Changes in the middle of files (each such file read whole), then rows added at the ends of files (only
    those read, and kept as rows added to the kept tables), then again, then a change in the middle of a file
    whose table is kept as a base and rows added: after each, the store is the one a fresh load builds."""
    root = tmp_path / "registry"
    shutil.copytree(registry, root)
    first, store = load(root, tmp_path / "kept")
    first.close()
    steps = [(lambda: edit(root, 0), "memberships.csv: 0 rows added or changed, 0 gone,"),
             (lambda: append_rows(root), "tenures.csv: 2 rows added at its end, only those read; verdicts.csv: 1 "
                                         "row added at its end, only that one read)"),
             (lambda: append_rows(root, tenures_only=True), "(tenures.csv: 2 rows added at its end, only those "
                                                            "read)"),
             (lambda: edit(root, 1), "(tenures.csv: 1 row added or changed, 1 gone, 0 on another line)")]
    for n, (change_it, said) in enumerate(steps):
        change_it()
        again, store = load(root, tmp_path / "kept")
        fresh, _ = load(root, None)
        try:
            assert store is not None and store.said.startswith("store kept from the last run, only changed rows "
                                                               "applied (") and said in store.said, (n, store.said)
            assert contents(again) == contents(fresh), n
        finally:
            again.close()
            fresh.close()
    kept = json.loads((tmp_path / "kept" / "store.json").read_text())
    # tenures and the rows' hashes kept whole again (a change in a file's middle), the verdicts still as a base
    # and the rows added at the second step; the files no longer named removed
    assert set(kept["added"]) == {"verdicts"}, kept["added"]
    assert kept["tables"]["tenures"] == kept["tables"]["kept_rows"] != kept["added"]["verdicts"]
    assert sorted(p.name for p in (tmp_path / "kept").glob("*.duckdb")) == sorted(kept["files"])
    assert set(kept["files"]) == {*kept["tables"].values(), *kept["added"].values()}, kept["files"]


def append_rows(root: Path, tenures_only: bool = False) -> None:
    """Rows added at the end of tenures.csv (two, one of them written with a cell in quotes and spaces around
    another) and of verdicts.csv, naming people records named already."""
    folder = root / "synthetic"
    header, rows = read(folder / "tenures.csv")
    added = [list(rows[5]), list(rows[6])]
    added[0][0], added[1][0] = f"x-appended-{len(rows)}", f"x-appended-{len(rows) + 1}"
    with open(folder / "tenures.csv", "a", encoding="utf-8", newline="") as fh:
        fh.write(",".join(added[0]) + "\n")
        fh.write(",".join(f'"{c}"' if i == 0 else (f" {c} " if i == 1 else c) for i, c in enumerate(added[1])) + "\n")
    if tenures_only:
        return
    header, rows = read(folder / "verdicts.csv")
    new = list(rows[-1])
    new[0] = "x-appended-verdict"
    with open(folder / "verdicts.csv", "a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(new)


def test_what_the_kept_store_cannot_apply_soundly_is_loaded_afresh_saying_why(registry, tmp_path):
    root = tmp_path / "registry"
    shutil.copytree(registry, root)
    kept = tmp_path / "kept"
    load(root, kept)[0].close()
    folder = root / "synthetic"
    header, rows = read(folder / "tenures.csv")
    persons = {r[0] for r in read(folder / "persons.csv")[1]}
    named = {r[header.index("person_id")] for r in rows}
    stranger = sorted(persons - named - {r[1] for r in read(folder / "verdicts.csv")[1]})[0]
    new = list(rows[0])
    new[0], new[header.index("person_id")] = "x-stranger", stranger
    write(folder / "tenures.csv", header, [*rows, new])
    registry_, store = load(root, kept)
    registry_.close()
    assert store is not None and "store built afresh (a person no record named before is named now" in store.said

    header, rows = read(folder / "tenures.csv")
    rows[-1][header.index("person_id")] = sorted(named)[0]
    rows[-1][header.index("position_id")] = "no-such-position"
    write(folder / "tenures.csv", header, rows)
    with pytest.raises(ProblemError) as fresh_error:
        load(root, None)
    store = KeptStore(kept, "salt", files(root), root)
    with pytest.raises(ProblemError) as kept_error:
        load_sources(read_case_meta(folder, root), root, SCHEMA, kept_store=store)
    assert "store built afresh (a changed record names no positions" in store.said
    assert kept_error.value.problems == fresh_error.value.problems

    write(folder / "tenures.csv", header, rows[:-1])
    damaged = next(kept.glob("store-*.duckdb"))
    damaged.write_bytes(damaged.read_bytes()[:-4096])
    registry_, store = load(root, kept)
    registry_.close()
    assert store is not None and store.said == "store built afresh (a kept file is missing or was changed)"

    header, rows = read(folder / "persons.csv")
    write(folder / "persons.csv", header, [*rows, ["x-person", *rows[0][1:]]])
    registry_, store = load(root, kept)
    registry_.close()
    assert store is not None and store.said == ("store built afresh (files other than tenures, verdicts, "
                                                "resignations and memberships changed)")


def test_the_people_of_interest_are_checked_from_the_changed_records_as_a_fresh_load_finds_them(registry, tmp_path):
    """The kept store is used only while the people the derived kinship is bounded to (named by a tenure, verdict,
    resignation or membership, and their spouses) are the last run's. Whether they are is decided from the changed
    records alone; each change below is held to what a fresh load finds: a tenure for someone named already (the
    same), for a stranger (one more), for the unnamed spouse of someone named (the same: a spouse is one already),
    and a stranger's only record removed again (one fewer)."""
    root, kept, snapshot = tmp_path / "registry", tmp_path / "kept", tmp_path / "kept-as-left"
    shutil.copytree(registry, root)
    tenures_csv = root / "synthetic" / "tenures.csv"
    header, tenures = read(tenures_csv)
    named, _ = anchors_and_kin(root / "synthetic")
    rh, relations = read(root / "synthetic" / "relations.csv")
    couples = [(r[rh.index("person_id")], r[rh.index("relative_id")]) for r in relations
               if r[rh.index("kind")] in ("spouse", "partner")]
    married = {p for pair in couples for p in pair}
    persons = sorted(r[0] for r in read(root / "synthetic" / "persons.csv")[1])
    stranger = next(p for p in persons if p not in named and p not in married)
    # named by nothing, and married to one person alone, who is named
    spouse = next(b for a, b in couples if a in named and b not in named and sum(b in pair for pair in couples) == 1)

    def tenure_of(person: str, rid: str) -> list[str]:
        row = list(tenures[0])
        row[0], row[header.index("person_id")] = rid, person
        if "appointed_by" in header:
            row[header.index("appointed_by")] = ""
        return row

    def run_kept(rows: list[list[str]]) -> str:
        """A run that keeps its store, on the registry with these tenures: the digest of its people of interest."""
        write(tenures_csv, header, rows)
        shutil.rmtree(kept, ignore_errors=True)
        shutil.rmtree(snapshot, ignore_errors=True)
        load(root, kept)[0].close()
        shutil.copytree(kept, snapshot)
        fresh = load(root, None)[0]
        try:
            return anchors_digest(fresh.conn, SCHEMA)
        finally:
            fresh.close()

    def outcome(rows: list[list[str]]) -> tuple[bool, bool]:
        """(the kept store refused, the people of interest a fresh load finds differ from the kept run's)"""
        shutil.rmtree(kept)
        shutil.copytree(snapshot, kept)
        write(tenures_csv, header, rows)
        registry_, store = load(root, kept)
        registry_.close()
        fresh = load(root, None)[0]
        try:
            differ = anchors_digest(fresh.conn, SCHEMA) != first
        finally:
            fresh.close()
        assert store is not None and store.said.startswith(("store kept", "store built afresh (a person no"))
        return "a person no record named before is named now, or no longer" in store.said, differ

    first = run_kept(tenures)
    assert outcome([*tenures, tenure_of(tenures[1][header.index("person_id")], "x-named")]) == (False, False)
    assert outcome([*tenures, tenure_of(stranger, "x-stranger")]) == (True, True)
    assert outcome([*tenures, tenure_of(spouse, "x-spouse")]) == (False, False)
    first = run_kept([*tenures, tenure_of(stranger, "x-stranger")])  # then removed: their only record
    assert outcome(tenures) == (True, True)
