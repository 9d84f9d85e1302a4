"""The recorded kinship derived beside identity resolution (riskcheck.registry.kinship_beside): on the validating
connection once its records are typed, unless a merge of person records reaches what it reads. Whichever way it
went, the reports are the bytes one step after the other writes, and the links are kept for the next run."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import duckdb
import pytest

import riskcheck.registry.kinship_beside as kinship_beside
import riskcheck.registry.load as load
from riskcheck.registry import store
from riskcheck.cli import main

from conftest import RULES, synthetic_registry
from test_load_beside import ALWAYS, NEVER, run, tree


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    """Synth's registry, whose three second records of convicted officials (`pc...`, from a court's source) are
    merged with their first records: their verdicts name them, so the merges reach the people of interest."""
    return synthetic_registry(tmp_path_factory, 3000)


@pytest.fixture
def derived(monkeypatch) -> list[str | None]:
    """What KinshipBeside.derived told each load: the digest of links derived beside, or None."""
    said: list[str | None] = []
    real = kinship_beside.KinshipBeside.derived
    monkeypatch.setattr(kinship_beside.KinshipBeside, "derived", lambda self, conn: said.append(real(self, conn)) or said[-1])
    return said


def one_by_one(runner, monkeypatch, root: Path, out: Path) -> None:
    result = run(runner, monkeypatch, NEVER, str(root), "--rules", str(RULES), "--no-cache", "--out", str(out))
    assert result.exit_code == 0, result.output


def beside(runner, monkeypatch, root: Path, out: Path, *args: str):
    monkeypatch.setattr(store, "SMALL_INPUT_BYTES", 0)  # on DuckDB's threads, as a large case is
    result = run(runner, monkeypatch, ALWAYS, str(root), "--rules", str(RULES), "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    return result


def merges_said_once(monkeypatch, ready: threading.Event) -> None:
    """Resolution says its merges (resolve_identities' `linked`) only once `ready` is set."""
    real_resolve = load.resolve_identities

    def resolve(conn, say, linked=None):
        def merges_known(canonical: dict[str, str]) -> None:
            assert ready.wait(60)
            linked(canonical)
        return real_resolve(conn, say, merges_known)

    monkeypatch.setattr(load, "resolve_identities", resolve)


def same_as_one_by_one(runner, monkeypatch, registry: Path, tmp_path: Path) -> None:
    """The reports in tmp_path/beside are those one step after the other writes, every patch undone first."""
    monkeypatch.undo()
    one_by_one(runner, monkeypatch, registry, tmp_path / "one-by-one")
    assert tree(tmp_path / "beside") == tree(tmp_path / "one-by-one")


def test_links_derived_beside_are_those_derived_after_and_are_kept(runner, monkeypatch, registry, derived, tmp_path):
    """With the merged records' verdicts gone, the merges reach nothing the kinship reads: it is derived beside,
    and the next run that loads afresh reads it back under the identity's key."""
    root = tmp_path / "registry"
    shutil.copytree(registry, root)
    verdicts = root / "synthetic" / "verdicts.csv"
    lines = verdicts.read_text().splitlines(keepends=True)
    verdicts.write_text("".join(line for line in lines if ",pc0" not in line))
    assert len(verdicts.read_text().splitlines()) == len(lines) - 3

    one_by_one(runner, monkeypatch, root, tmp_path / "one-by-one")
    assert derived == []
    out = tmp_path / "beside"
    beside(runner, monkeypatch, root, out)
    assert len(derived) == 1 and derived[0], derived
    assert tree(out) == tree(tmp_path / "one-by-one")

    # The store and the results are not kept: loaded afresh, with the identity and its kinship read back.
    cache = out / ".riskcheck-cache" / "synthetic"
    shutil.rmtree(cache / "store")
    (cache / "entry.json").unlink()
    again = beside(runner, monkeypatch, root, out, "--progress")
    assert "identity kept from the last run" in again.stderr, again.stderr
    assert "kinship kept (the same people of interest)" in again.stderr, again.stderr
    assert derived[1:] == [None]  # not derived beside: read back
    assert tree(out) == tree(tmp_path / "one-by-one")


def test_a_merge_that_reaches_the_kinship_has_it_derived_after(runner, monkeypatch, registry, derived, tmp_path):
    one_by_one(runner, monkeypatch, registry, tmp_path / "one-by-one")
    beside(runner, monkeypatch, registry, tmp_path / "beside", "--no-cache")
    assert derived == [None]
    assert tree(tmp_path / "beside") == tree(tmp_path / "one-by-one")


def test_a_merge_known_while_deriving_stops_it_and_leaves_nothing_behind(runner, monkeypatch, registry, derived,
                                                                       tmp_path):
    """The merges come while the derivation runs: its statement is interrupted, the links it had made are
    dropped, and they are derived again after the merges (else a table would already exist there)."""
    started, interrupted = threading.Event(), []
    real_derive = kinship_beside.derive_recorded_kinship

    def slow_derive(side: duckdb.DuckDBPyConnection, schema) -> str:
        anchors = real_derive(side, schema)  # every link made, then a statement long enough to be stopped
        started.set()
        try:
            side.execute("SELECT sum(i) FROM range(20000000000) t(i)").fetchall()
        except duckdb.InterruptException:
            interrupted.append(True)
            raise
        return anchors

    monkeypatch.setattr(kinship_beside, "derive_recorded_kinship", slow_derive)
    merges_said_once(monkeypatch, started)
    beside(runner, monkeypatch, registry, tmp_path / "beside", "--no-cache")
    assert interrupted == [True] and derived == [None]
    same_as_one_by_one(runner, monkeypatch, registry, tmp_path)


def test_a_merge_known_once_the_links_are_derived_has_them_derived_again(runner, monkeypatch, registry, derived,
                                                                          tmp_path):
    """The derivation beside ends before resolution says its merges: a merge that reaches the kinship still has
    the links derived beside thrown away and derived after it."""
    done = threading.Event()
    real_derive = kinship_beside.KinshipBeside.derive

    def derive_then_say(self, side):
        real_derive(self, side)
        done.set()

    monkeypatch.setattr(kinship_beside.KinshipBeside, "derive", derive_then_say)
    merges_said_once(monkeypatch, done)
    beside(runner, monkeypatch, registry, tmp_path / "beside", "--no-cache")
    assert derived == [None]
    same_as_one_by_one(runner, monkeypatch, registry, tmp_path)
