"""Writing a case's files in its staging folder: names checked, pages linked from the last run only when whole."""

import os

import pytest

from riskcheck.report.output import OutputPathError, link_staged, write_staged


def test_a_staged_file_is_written_under_a_safe_name_only(tmp_path):
    write_staged(tmp_path, "a-1.html", b"<p>page</p>")
    assert (tmp_path / "a-1.html").read_bytes() == b"<p>page</p>"
    for name in ("../a.html", "a/b.html", ".hidden", ""):
        with pytest.raises(OutputPathError):
            write_staged(tmp_path, name, b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-1.html"]


def test_a_kept_page_is_linked_when_it_holds_what_was_read_and_written_otherwise(tmp_path):
    last, new = tmp_path / "last", tmp_path / "new"
    last.mkdir()
    new.mkdir()
    (last / "same.html").write_bytes(b"as the last run wrote it")
    (last / "changed.html").write_bytes(b"edited since it was read")
    (last / "elsewhere.html").symlink_to(last / "same.html")

    link_staged(last / "same.html", new, "same.html", b"as the last run wrote it")
    link_staged(last / "changed.html", new, "changed.html", b"as the last run wrote it")
    link_staged(last / "elsewhere.html", new, "elsewhere.html", b"as the last run wrote it")

    assert os.stat(new / "same.html").st_ino == os.stat(last / "same.html").st_ino  # not written again
    for name in ("same.html", "changed.html", "elsewhere.html"):
        assert (new / name).read_bytes() == b"as the last run wrote it"
        assert not (new / name).is_symlink()
    assert os.stat(new / "changed.html").st_ino != os.stat(last / "changed.html").st_ino
    assert (last / "changed.html").read_bytes() == b"edited since it was read"  # the kept file is left as it is


@pytest.mark.skipif(os.name != "posix", reason="file permissions as POSIX has them")
def test_a_kept_page_whose_permissions_changed_is_written_anew_with_a_fresh_pages_permissions(tmp_path):
    last, new = tmp_path / "last", tmp_path / "new"
    last.mkdir()
    new.mkdir()
    write_staged(last, "private.html", b"as the last run wrote it")
    write_staged(last, "shared.html", b"as the last run wrote it")
    fresh = os.stat(last / "shared.html").st_mode & 0o777
    os.chmod(last / "private.html", 0o600)  # someone made the last run's page private

    link_staged(last / "private.html", new, "private.html", b"as the last run wrote it")
    link_staged(last / "shared.html", new, "shared.html", b"as the last run wrote it")

    assert os.stat(new / "private.html").st_ino != os.stat(last / "private.html").st_ino
    assert os.stat(new / "private.html").st_mode & 0o777 == fresh
    assert os.stat(last / "private.html").st_mode & 0o777 == 0o600  # the kept file is left as it is
    assert os.stat(new / "shared.html").st_ino == os.stat(last / "shared.html").st_ino


def test_a_case_written_again_replaces_its_folder_whole_and_the_earlier_one_is_removed(tmp_path):
    from riskcheck.report.output import case_folder, finish_removals

    for text in ("first", "second", "third"):
        with case_folder(tmp_path, "a-case") as staging:
            (staging / "persons").mkdir()
            write_staged(staging / "persons", "p.html", text.encode())
        assert (tmp_path / "a-case" / "persons" / "p.html").read_text() == text  # in place at once
    finish_removals()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-case"]
