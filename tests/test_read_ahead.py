"""A large case's files read while `riskcheck run` starts (riskcheck.registry.read_ahead): the load that takes them
goes on exactly as if it had read them itself, a case the cache knows is not read ahead, and what no load takes
is closed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import riskcheck.registry.read_ahead as read_ahead
from riskcheck.cli import COMMANDS, main
from riskcheck.registry import store
from riskcheck.registry.ingest_csv import _insert_csv
from riskcheck.registry.raw import create_raw_tables
from riskcheck.registry.read_ahead import ReadAhead
from riskcheck.registry.schema import load_schema

from conftest import RULES, synthetic_registry
from test_load_beside import EXCEL_SAVED_WORDS, excel_saved_case, tree

BEGUN = "(begun while riskcheck started)"


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    return synthetic_registry(tmp_path_factory, 3000)


@pytest.fixture
def large(monkeypatch):
    """Every case is large (store.SMALL_INPUT_BYTES): read ahead, and on DuckDB's threads, as a national one."""
    monkeypatch.setattr(store, "SMALL_INPUT_BYTES", 0)


@pytest.fixture
def reads(monkeypatch) -> list:
    """The sources the read ahead read (CaseSources), one per case read."""
    read = []
    real = read_ahead.read_raw

    def spy(schema, sources, conn=None):
        read.append(sources)
        return real(schema, sources, conn)

    monkeypatch.setattr(read_ahead, "read_raw", spy)
    return read


def not_taken(monkeypatch) -> None:
    """The load reads the case itself; the read ahead is closed untaken."""
    monkeypatch.setattr(ReadAhead, "take", lambda self, folder: None)


def test_a_case_read_ahead_gives_the_reports_of_a_case_its_load_read(runner, monkeypatch, large, reads, registry,
                                                                      tmp_path):
    ahead = runner.invoke(main, ["run", str(registry), "--rules", str(RULES), "--no-cache", "--progress",
                                 "--out", str(tmp_path / "ahead")])
    assert ahead.exit_code == 0, ahead.output
    assert len(reads) == 1 and BEGUN in ahead.stderr, ahead.stderr
    not_taken(monkeypatch)
    itself = runner.invoke(main, ["run", str(registry), "--rules", str(RULES), "--no-cache", "--progress",
                                  "--out", str(tmp_path / "itself")])
    assert itself.exit_code == 0, itself.output
    assert BEGUN not in itself.stderr
    assert tree(tmp_path / "ahead") == tree(tmp_path / "itself")
    assert ahead.stdout.replace(str(tmp_path / "ahead"), str(tmp_path / "itself")) == itself.stdout


def test_a_case_the_cache_knows_is_not_read_ahead(runner, monkeypatch, large, reads, registry, tmp_path):
    """The first run into a folder reads ahead and keeps the case; the next finds it in the cache and reads
    nothing ahead (it is reused, or its kept store loaded, and a read would only take a core from that)."""
    out = tmp_path / "out"
    first = runner.invoke(main, ["run", str(registry), "--rules", str(RULES), "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert len(reads) == 1
    again = runner.invoke(main, ["run", str(registry), "--rules", str(RULES), "--out", str(out)])
    assert again.exit_code == 0 and "synthetic: reused" in again.output, again.output
    assert len(reads) == 1
    elsewhere = runner.invoke(main, ["run", str(registry), "--rules", str(RULES), "--out", str(tmp_path / "other"),
                                     "--cache", str(out / ".riskcheck-cache")])
    assert elsewhere.exit_code == 0, elsewhere.output
    assert len(reads) == 1


def test_a_case_that_is_not_valid_read_ahead_says_what_its_load_says(runner, monkeypatch, large, reads, write_case,
                                                                      tmp_path):
    """A file saved from Excel in a Russian locale, a row with a cell too many and dates that are no dates: the
    same words, files and rows whoever read them."""
    cases = excel_saved_case(write_case)
    said = {}
    for name in ("ahead", "itself"):
        if name == "itself":
            not_taken(monkeypatch)
        said[name] = runner.invoke(main, ["run", str(cases), "--rules", str(RULES), "--no-cache",
                                          "--out", str(tmp_path / name)])
        assert said[name].exit_code == 3, said[name].output
    assert len(reads) == 2
    assert said["ahead"].output.replace(str(tmp_path / "ahead"), str(tmp_path / "itself")) == said["itself"].output
    for words in EXCEL_SAVED_WORDS:
        assert words in said["ahead"].output, said["ahead"].output


def test_a_read_ahead_no_load_takes_is_closed(monkeypatch, large, registry):
    """Closed untaken (the rules could not be loaded, say: at once, or once it has read), or taken for another
    case, every store it made is closed."""
    made = []
    real = store.connect
    monkeypatch.setattr(store, "connect", lambda *args: made.append(real(*args)) or made[-1])
    for ask_other in (False, True):
        ahead = ReadAhead(registry, None)
        if ask_other:
            assert ahead.take(registry / "another-case") is None
        ahead.close()
    assert made  # the second at least read the case
    for conn in made:
        with pytest.raises(duckdb.ConnectionException):
            conn.execute("SELECT 1")
    with ReadAhead(registry, None) as ahead:
        taken = ahead.take(registry / "synthetic")
        assert taken is not None
        sources, read = taken
    # taken, it is the load's: closing the read ahead leaves it open
    assert read.conn.execute("SELECT count(*) FROM raw_rows_persons").fetchall()[0][0] > 0
    read.conn.close()


def test_a_read_that_is_stopped_is_not_read_again_row_by_row(tmp_path):
    """An interrupted statement (a read ahead closed) is not a file DuckDB refused: reading it row by row
    would go on for a national file's million rows."""
    path = tmp_path / "persons.csv"
    path.write_text("id,name\np1,Aigerim\n", encoding="utf-8")

    class Interrupted:  # a connection whose insert is interrupted, as ReadAhead.close does it
        def __init__(self, conn):
            self.conn = conn

        def execute(self, sql, params=None):
            if sql.startswith("INSERT") and "read_csv" in sql:  # the bulk read, not a row-by-row insert
                raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
            return self.conn.execute(sql, params)

    conn = store.connect()
    create_raw_tables(conn, load_schema())
    with pytest.raises(duckdb.InterruptException):
        _insert_csv(Interrupted(conn), load_schema(), "persons", path, "persons.csv")
    conn.close()


def test_every_command_is_found_by_its_name():
    for name in COMMANDS:
        command = main.get_command(None, name)
        assert command is not None and command.name == name, name


def test_the_run_command_starts_reading_before_it_imports_the_checking():
    """`riskcheck run` reads a large case while the rest of the program imports: its module imports neither
    the rules nor the pipeline, which would have to be imported before the reading could begin."""
    code = ("import sys, riskcheck.cli, riskcheck.cli.run; "
            "print(sorted(m for m in ('riskcheck.pipeline', 'riskcheck.rules.loader', 'riskcheck.report.render', "
            "'riskcheck.cli.checking', 'jinja2', 'lark') if m in sys.modules))")
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert imported.strip() == "[]", imported
