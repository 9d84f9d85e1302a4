"""The hashes of files kept between runs: a file not changed since it was hashed is not read again, and no change
to a file, even one that keeps its size and modification time, is missed."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from riskcheck import filehash
from riskcheck.cli import main
from riskcheck.filehash import FileHashes

CASES = Path(__file__).resolve().parents[1] / "cases"


@pytest.fixture
def trusting(monkeypatch):
    """Trust a stamp however recent its file (the tests write their files a moment before hashing them)."""
    monkeypatch.setattr(filehash, "RACY_NS", 0)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_an_unchanged_file_is_not_read_again_in_the_next_run(tmp_path, trusting):
    data = tmp_path / "persons.csv"
    data.write_bytes(b"id,name\np1,Aliya\n")
    book = tmp_path / "cache" / "_file-hashes.json"
    first = FileHashes(book)
    assert first.sha256(data) == sha(data.read_bytes()) and first.read_again == 1
    first.save()
    second = FileHashes(book)
    assert second.sha256(data) == sha(data.read_bytes())
    assert second.read_again == 0


def hashed(tmp_path: Path, name: str, data: bytes) -> tuple[Path, Path]:
    """A file written and hashed, its hash kept in a book: (the file, the book)."""
    path, book = tmp_path / name, tmp_path / "_file-hashes.json"
    path.write_bytes(data)
    hashes = FileHashes(book)
    hashes.sha256(path)
    hashes.save()
    return path, book


def test_a_change_that_keeps_size_and_modification_time_is_read(tmp_path, trusting):
    data, book = hashed(tmp_path, "verdicts.csv", b"id,person_id\nv1,p1\n")
    before = os.stat(data)
    data.write_bytes(b"id,person_id\nv1,p2\n")  # same size
    os.utime(data, ns=(before.st_atime_ns, before.st_mtime_ns))  # the modification time set back, as cp -p does
    again = FileHashes(book)
    assert again.sha256(data) == sha(b"id,person_id\nv1,p2\n")  # the change time moved: read again
    assert again.read_again == 1


def test_a_file_replaced_by_another_is_read(tmp_path, trusting):
    data = tmp_path / "tenures.csv"
    data.write_bytes(b"id\nt1\n")
    hashes = FileHashes(tmp_path / "_file-hashes.json")
    hashes.sha256(data)
    other = tmp_path / "other.csv"
    other.write_bytes(b"id\nt2\n")
    os.replace(other, data)
    assert hashes.sha256(data) == sha(b"id\nt2\n")


def test_a_file_hashed_in_the_moment_it_was_written_is_read_again(tmp_path):
    """Within RACY_NS of its last change a file could change again without its times showing it."""
    data, book = hashed(tmp_path, "tenures.csv", b"id\nt1\n")
    again = FileHashes(book)
    again.sha256(data)
    assert again.read_again == 1


@pytest.mark.parametrize("book_text", [b"{not json", b'{"format": 99, "files": {}}', b'{"format": 1, "files": []}',
                                       b'{"format": 1, "files": {"/x": ["short", 1, 2, 3, 4, 5, 6]}}'])
def test_a_book_that_cannot_be_used_costs_only_a_reading(tmp_path, trusting, book_text):
    data = tmp_path / "persons.csv"
    data.write_bytes(b"id\np1\n")
    book = tmp_path / "_file-hashes.json"
    book.write_bytes(book_text)
    hashes = FileHashes(book)
    assert hashes.sha256(data) == sha(b"id\np1\n") and hashes.read_again == 1


def test_a_run_sees_a_changed_file_that_kept_its_size_and_times(tmp_path, trusting):
    """End to end: with every stamp trusted, a case file edited in place (same size, modification time set back)
    still makes the case run again; untouched, it is reused."""
    cases = tmp_path / "cases"
    shutil.copytree(CASES / "fictional-akimat-resignations", cases / "fictional-akimat-resignations")
    out = tmp_path / "reports"
    runner = CliRunner()
    assert runner.invoke(main, ["run", str(cases), "--out", str(out)]).exit_code == 0
    assert "reused" in runner.invoke(main, ["run", str(cases), "--out", str(out)]).output
    case = cases / "fictional-akimat-resignations" / "case.yaml"
    text = case.read_bytes()
    changed = text.replace(b"as_of: 2024-06-10", b"as_of: 2024-06-11")
    assert changed != text and len(changed) == len(text)
    before = os.stat(case)
    case.write_bytes(changed)
    os.utime(case, ns=(before.st_atime_ns, before.st_mtime_ns))
    result = runner.invoke(main, ["run", str(cases), "--out", str(out)])
    assert "re-ran (changed: case.yaml)" in result.output, result.output


def test_a_link_pointed_at_another_file_is_read_and_its_target_never_named(tmp_path, trusting):
    one, other = tmp_path / "one.csv", tmp_path / "other.csv"
    one.write_bytes(b"id\nt1\n")
    other.write_bytes(b"id\nt2\n")
    link = tmp_path / "cases" / "tenures.csv"
    link.parent.mkdir()
    link.symlink_to(one)
    book = tmp_path / "_file-hashes.json"
    hashes = FileHashes(book)
    assert hashes.sha256(link) == sha(b"id\nt1\n")
    hashes.save()
    assert "one.csv" not in book.read_text() and "cases" not in book.read_text()  # no path is named
    link.unlink()
    link.symlink_to(other)
    assert FileHashes(book).sha256(link) == sha(b"id\nt2\n")
