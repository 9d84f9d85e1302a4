"""Files' SHA-256 hashes, read again only when a file may have changed since it was last hashed.

A run is keyed by its inputs' bytes (riskcheck.reuse), and a re-run checks that the files it keeps are as it
wrote them: at a national registry that was half a gigabyte read at every run, most of it unchanged since the
last. As git's index does, a hash is kept in a book with the file's stamp when it was read (size, modification
and change times in nanoseconds, inode, device), and a file whose stamp is still that one is not read again.

File systems keep time coarsely (a few milliseconds on ext4, two seconds on FAT), so a file changed just after
it was hashed could keep its stamp. A hash is therefore trusted only when the file's times were more than
RACY_NS older than the moment its reading began: any later change sets the change time to that moment or
after, and no program can set the change time back. Such a file is simply read again, and trusted from the run
after. The book is only ever a shortcut: deleted, unreadable or from another version, every file is read.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from riskcheck.atomic import write_atomic

FORMAT = 1
RACY_NS = 5 * 10 ** 9  # a stamp this close to its reading is not trusted (coarse clocks, a clock set back a little)
MAX_ENTRIES = 100_000  # the book keeps the files hashed most recently, up to this many
MAX_BOOK_BYTES = 64 * 1024 ** 2  # a larger book is not read (it could not be ours)

Stamp = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device


def _read_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _stamp(st: os.stat_result) -> Stamp:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class FileHashes:
    """The hashes of files by their absolute path, each with the stamp it was read at; `book` is where they are
    kept between runs (None: for this process only).

    The path is the one the caller names, not where a link leads: the stamp, of what the path leads to now,
    tells when a link was pointed elsewhere. The book names no path at all, only each path's hash: the cache
    lies beside reports that are shared, and the folders of the machine that made them are nobody's business."""

    def __init__(self, book: Path | None = None) -> None:
        self.book = book
        self.known: dict[str, tuple[str, Stamp, int]] = {}  # path's hash -> (sha256, stamp, reading began, ns)
        self.changed = False
        self.read_again = 0  # files read in this process (for tests and benchmarks)
        if book is not None:
            self.known = _read_book(book)

    def sha256(self, path: Path) -> str:
        """The file's SHA-256: the one kept for it if its stamp is that of a trusted reading, else read now."""
        where = os.path.abspath(path)
        name = hashlib.sha256(os.fsencode(where)).hexdigest()
        before = _stamp(os.stat(where))
        kept = self.known.get(name)
        if kept is not None and kept[1] == before and max(before[1], before[2]) < kept[2] - RACY_NS:
            return kept[0]
        began = time.time_ns()
        digest = _read_sha256(Path(where))
        self.read_again += 1
        after = _stamp(os.stat(where))
        if after == before:  # not changed while it was read: the hash is of this stamp
            self.known[name] = (digest, before, began)
            self.changed = True
        return digest

    def save(self) -> None:
        """Keep the book for the next run, if anything was read; a book that cannot be written costs only time."""
        if self.book is None or not self.changed:
            return
        recent = sorted(self.known.items(), key=lambda kv: (-kv[1][2], kv[0]))[:MAX_ENTRIES]
        data = {"format": FORMAT, "files": {p: [h, *stamp, began] for p, (h, stamp, began) in sorted(recent)}}
        try:
            self.book.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.book, json.dumps(data, separators=(",", ":")).encode())
        except OSError:
            return
        self.changed = False


def _read_book(book: Path) -> dict[str, tuple[str, Stamp, int]]:
    """The book's entries that have the shape they should; none when it cannot be read."""
    try:
        if book.is_symlink() or not book.is_file() or book.stat().st_size > MAX_BOOK_BYTES:
            return {}
        data = json.loads(book.read_bytes())
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) and data.get("format") == FORMAT else None
    if not isinstance(files, dict):
        return {}
    known = {}
    for path, entry in files.items():
        if (isinstance(entry, list) and len(entry) == 7 and isinstance(entry[0], str) and len(entry[0]) == 64
                and all(type(x) is int for x in entry[1:])):
            known[path] = (entry[0], (entry[1], entry[2], entry[3], entry[4], entry[5]), entry[6])
    return known
