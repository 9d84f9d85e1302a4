"""The typed store kept from a case's last run, and a re-run that applies only the records that changed.

A run that loads a case afresh keeps, beside its cache entry, the store as loading left it: every table in
a DuckDB file (`store-<key>.duckdb`), the views' SQL, the kinship hints still to be worded, and what the
Registry holds beside its connection (the warnings, the merged person records, the references rewritten,
the Resolution), in `store.json`. With them it keeps a hash of every row of the CSV files whose records
nothing else is derived from but the people of interest: tenures, verdicts, resignations and memberships
(CHANGEABLE). No record names one of them, and identity resolution and the recorded kinship read none of
them.

A later run whose inputs differ only in those files does not read, validate and build the case again: it
attaches the kept files (read-only; the unchanged tables are read where they lie), reads each changed file
alone, matches its rows to the kept ones by hash (rows added, removed, changed, moved to another line), and
applies that (a file that only had rows added at its end, told by the kept file's size and hash, has only
those rows read): the kept rows keep their typed values under their new line, the new rows are validated
against the kept tables and typed, their references to merged persons rewritten as a full load would. The
result is the store a full load would build, row for row and in the same order.

Whatever this path cannot apply soundly means a full load, with one line saying why: any other file
changed (persons and relations change identity and kinship; the others what rules join); a changed file
that gives a problem or warning (a full load reports it where it lies), or whose rows gave one before (its
lines may have moved); a person named by no record before, or no longer (the derived kinship is bounded to
them); kept files missing, changed, or written by another version. The kept files are never the only copy of
anything (the inputs are) and may be deleted at any time. JSON and DuckDB files, never pickle: they lie in a
folder as untrusted as the output, and each file's hash is checked before it is attached.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from riskcheck.atomic import write_atomic
from riskcheck.errors import Problem
from riskcheck.filehash import FileHashes
from riskcheck.names.records import Resolution
from riskcheck.registry.ingest_csv import insert_csv
from riskcheck.registry.identity import rewrite_references
from riskcheck.registry.kept_identity import KeptIdentity, resolution_from_json, resolution_to_json
from riskcheck.registry.kinship import anchors_changed, create_anchors
from riskcheck.registry.raw import create_raw_tables
from riskcheck.registry.reader import CaseSources
from riskcheck.registry.schema import Schema
from riskcheck.registry.spellings import dotted_date_notes
from riskcheck.registry.typed import typed_select
from riskcheck.registry.validate import added_rows_problem
from riskcheck.sqlio import bulk_insert, lit, q

FORMAT = 2  # 2: kept_rows says which rows were read in bulk; the entry keeps each CSV file's size
ENTRY_FILE = "store.json"
CHANGEABLE = ("tenures", "verdicts", "resignations", "memberships")
ROWS = "kept_rows"  # temp table of (type, file, line, h, bulk): each CSV row of a CHANGEABLE type by its hash
HINTS = "nk_hints"  # the kinship hints not yet worded (riskcheck.names.hints), a temp table
# A table's rows added since its base was kept, in a later file: ADDED + table (the entry's "added" names the file)
ADDED = "added__"
MAX_KEPT_FILE = 2 * 1024 ** 3  # an entry file larger than this is not read (as reuse.MAX_CACHE_FILE)


class StoreUnusable(ValueError):
    """Kept store files that cannot be used, or a change that cannot be applied: the case loads afresh."""


def changeable_csv(sources: CaseSources, root: Path) -> dict[str, tuple[str, Path]]:
    """The CSV files of CHANGEABLE types: display name -> (type, path)."""
    return {shown: (t, path) for t, path, shown in sources.csv_files if t in CHANGEABLE}


def row_hashes(conn: duckdb.DuckDBPyConnection, schema: Schema, types: tuple[str, ...] = CHANGEABLE,
               table: str = ROWS) -> None:
    """`table`: every CSV row of these types in the raw layer, by file and line, with a hash of its values as
    read (before any spelling is read as the contract's: a dotted date is not the same row as its ISO form), and
    whether it was read in bulk (riskcheck.registry.ingest_csv; a row read alone is numbered by the reader)."""
    parts = []
    for type_name in types:
        fields = schema.types[type_name].fields
        packed = ", ".join(f"{q(f)} := {q(f)}" for f in fields)
        parts.append(f"SELECT {lit(type_name)} AS type, _file AS file, "
                     f"coalesce(_line, CAST(rowid - _base + 2 AS INTEGER)) AS line, "
                     f"md5(to_json(struct_pack({packed}))) AS h, _line IS NULL AS bulk "
                     f"FROM {q('raw_rows_' + type_name)} WHERE _csv")
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {' UNION ALL '.join(parts)}")


def csv_sizes(sources: CaseSources, root: Path) -> dict[str, int]:
    """Each CHANGEABLE CSV file's size in bytes (display name -> size): with its hash, the next run can tell a
    file that only had rows added at its end (appended_rows)."""
    sizes = {}
    for shown, (_, path) in changeable_csv(sources, root).items():
        try:
            sizes[shown] = path.stat().st_size
        except OSError:  # then the next run reads it whole
            pass
    return sizes


def anchors_digest(conn: duckdb.DuckDBPyConnection, schema: Schema) -> str:
    """A hash of the people of interest the derived kinship is bounded to, as the store now names them."""
    create_anchors(conn, schema)
    try:
        return KeptIdentity.anchors_digest(conn)
    finally:
        conn.execute("DROP TABLE kin_anchor")


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not kept")


def _unplain(obj: dict) -> Any:
    if len(obj) == 1 and "$date" in obj and isinstance(obj["$date"], str):
        return date.fromisoformat(obj["$date"])
    return obj


@dataclass
class Restored:
    """What the Registry holds beside its store, as a full load left it."""

    warnings: list[Problem]
    resolution: Resolution
    merged_records: dict[str, dict]
    rewritten: dict[tuple[str, str], dict[str, str | list[str]]]


@dataclass
class KeptStore:
    """Where a case's store is kept (a folder of the cache), keyed by everything but the CHANGEABLE CSV files.

    `salt`: what else the store depends on (riskcheck's version and code, the options, the link decisions,
    the folder's name); `files`: every input file's hash by its path under `root` (the cache's key of the
    case). `said` is the line the run tells the user; empty until the case loads."""

    folder: Path
    salt: str
    files: dict[str, str]
    root: Path
    said: str = ""
    changes: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # file -> (added, removed, moved)
    # The CHANGEABLE files as the kept store holds them (path under `root` -> hash), set by `changed_files`: the
    # state the changes are applied to, so that a caller can tell whether its own earlier results are of it.
    before: dict[str, str] = field(default_factory=dict)
    # The ids of the records a re-run changed, by type, set by `restore`: rows added or edited, rows gone, and
    # kept rows now on another line (a finding cites lines). Every other record is as the kept store holds it.
    touched: dict[str, set[str]] = field(default_factory=dict)
    # The tables a re-run only added rows to (rows added at the end of every changed file of the type), set by
    # `restore`: table -> a temp table of every row added to it since its kept base. Those rows alone are kept
    # for the next run (keep_changes), beside the base, rather than the whole table written again.
    increments: dict[str, str] = field(default_factory=dict)
    added_at: dict[str, str] = field(default_factory=dict)  # table -> its rows added since its base, set by attach
    hashes: FileHashes = field(default_factory=FileHashes)  # the files' hashes, kept between runs by the cache

    def rest_key(self, sources: CaseSources) -> str:
        """A hash of every input but the CHANGEABLE CSV files' contents (their names and types are in it)."""
        root = self.root.resolve()
        changeable = changeable_csv(sources, self.root)
        skip = set()
        for _, path in changeable.values():
            try:
                skip.add(path.resolve().relative_to(root).as_posix())
            except ValueError:
                raise StoreUnusable("a changeable file lies outside the cases folder") from None
        rest = {name: digest for name, digest in self.files.items() if name not in skip}
        if len(rest) + len(skip) != len(self.files):
            raise StoreUnusable("the files read are not the files keyed")
        return _text_hash(json.dumps({"format": FORMAT, "salt": self.salt, "files": rest,
                                      "changeable": sorted((t, s) for s, (t, _) in changeable.items())},
                                     sort_keys=True))

    def file_hash(self, path: Path) -> str:
        """An input file's hash: as the caller's key has it (computed once a run), else read."""
        try:
            known = self.files.get(path.resolve().relative_to(self.root.resolve()).as_posix())
        except ValueError:
            known = None
        return known or self.hashes.sha256(path)

    # Keeping

    def write(self, conn: duckdb.DuckDBPyConnection, schema: Schema, sources: CaseSources,
              restored: Restored) -> Keeping:
        """Start keeping the loaded store (every table, the views, the temp tables ROWS and HINTS) and what the
        Registry holds beside it; the tables are written beside the rules (Keeping). Never needed: a failure
        costs the next run's time, and says so."""
        rest = self.rest_key(sources)
        anchors = anchors_digest(conn, schema)
        csv_hashes = {shown: self.file_hash(path) for shown, (_, path) in changeable_csv(sources, self.root).items()}
        key = _text_hash(json.dumps([rest, csv_hashes], sort_keys=True))
        sizes = csv_sizes(sources, self.root)
        db = conn.execute("SELECT current_database()").fetchall()[0][0]
        tables = [r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
                                             "AND schema_name = 'main' ORDER BY table_oid", [db]).fetchall()]
        views = [[name, sql] for name, sql in conn.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE database_name = ? AND schema_name = 'main' "
            "AND NOT internal ORDER BY view_oid", [db]).fetchall()]
        name = f"store-{key[:24]}.duckdb"
        entry = self._entry(rest, csv_hashes, sizes, {t: name for t in [*tables, ROWS, HINTS]}, {}, views,
                            restored, anchors)
        return Keeping(self, conn, name, entry, [(t, f"temp.main.{t}") for t in (ROWS, HINTS)],
                       [(t, f"{q(db)}.main.{q(t)}") for t in tables])

    def _entry(self, rest: str, csv_hashes: dict[str, str], sizes: dict[str, int], tables: dict[str, str],
               files: dict[str, str], views: list, restored: Restored, anchors: str) -> dict:
        """The entry naming the kept files, checked to read back exactly (it is written once they are)."""
        entry = {"format": FORMAT, "key": rest, "csv": csv_hashes, "sizes": sizes, "tables": tables, "added": {},
                 "files": files,
                 "views": views, "anchors": anchors,
                 "warnings": [asdict(w) for w in restored.warnings],
                 "resolution": resolution_to_json(restored.resolution),
                 "merged_records": restored.merged_records,
                 "rewritten": [[t, rid, fields] for (t, rid), fields in restored.rewritten.items()]}
        text = json.dumps(entry, ensure_ascii=False, default=_plain)
        if _restored(json.loads(text, object_hook=_unplain)) != restored:
            raise StoreUnusable("what the registry holds does not read back exactly")
        return json.loads(text)  # a copy: the run goes on changing the Resolution it was made from

    def _publish(self, entry: dict) -> None:
        write_atomic(self.folder / ENTRY_FILE, json.dumps(entry, ensure_ascii=False).encode())
        for old in self.folder.glob("*.duckdb"):  # files no longer named
            if old.name not in entry["files"]:
                old.unlink(missing_ok=True)

    # Reading back

    def entry(self) -> dict:
        path = self.folder / ENTRY_FILE
        if path.is_symlink() or not path.is_file():
            raise StoreUnusable("none kept")
        if path.stat().st_size > MAX_KEPT_FILE:
            raise StoreUnusable("its file is larger than one may be")
        try:
            data = json.loads(path.read_bytes(), object_hook=_unplain)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise StoreUnusable("its file cannot be read") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise StoreUnusable("it was written by another version of riskcheck")
        return data

    def changed_files(self, entry: dict, sources: CaseSources) -> dict[str, tuple[str, Path]]:
        """The CHANGEABLE CSV files whose bytes differ from the kept ones' (display name -> (type, path))."""
        if entry.get("key") != self.rest_key(sources):
            raise StoreUnusable("files other than tenures, verdicts, resignations and memberships changed")
        changeable = changeable_csv(sources, self.root)
        if set(entry["csv"]) != set(changeable):
            raise StoreUnusable("the files read changed")
        root = self.root.resolve()
        self.before = {path.resolve().relative_to(root).as_posix(): str(entry["csv"][shown])
                       for shown, (_, path) in changeable.items()}
        return {shown: tp for shown, tp in changeable.items() if self.file_hash(tp[1]) != entry["csv"][shown]}

    def attach(self, conn: duckdb.DuckDBPyConnection, entry: dict) -> dict[str, str]:
        """Attach the kept files read-only, each checked against its hash first; return table -> where it is
        kept (`kept_n.main.table`, or a subquery of its base and the rows added to it since, ADDED)."""
        where: dict[str, str] = {}
        aliases = {}
        for n, (name, digest) in enumerate(sorted(entry["files"].items())):
            path = self.folder / str(name)
            if (path.parent != self.folder or path.is_symlink() or not path.is_file()
                    or self.hashes.sha256(path) != digest):
                raise StoreUnusable("a kept file is missing or was changed")
            aliases[name] = f"kept_{n}"
            conn.execute(f"ATTACH {lit(str(path))} AS kept_{n} (READ_ONLY)")
        for table, name in entry["tables"].items():
            where[table] = f"{aliases[name]}.main.{q(table)}"
        self.added_at = {}
        for table, name in (entry.get("added") or {}).items():
            self.added_at[table] = f"{aliases[name]}.main.{q(ADDED + table)}"
            where[table] = f"(SELECT * FROM {where[table]} UNION ALL SELECT * FROM {self.added_at[table]})"
        return where


class Keeping:
    """The kept store being written: the temp tables at once (they are the run's connection's alone), the others
    through a connection of their own in a thread, beside the rules and the report (DuckDB works without
    Python's lock, and at a million persons the copy is seconds of CPU). `finish` waits for it; the entry that
    names the file is written last, so an unfinished or failed copy is never read back."""

    def __init__(self, kept: KeptStore, conn: duckdb.DuckDBPyConnection, name: str, entry: dict,
                 now: list[tuple[str, str]], later: list[tuple[str, str]]):
        self.kept, self.name, self.entry = kept, name, entry
        self.failed: str | None = None
        kept.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=kept.folder, prefix=".tmp-", suffix=".duckdb")
        os.close(fd)
        self.tmp = Path(tmp)
        self.tmp.unlink()
        self.alias = f"kept_out_{next(_OUTPUTS)}"
        conn.execute(f"ATTACH {lit(str(self.tmp))} AS {self.alias}")
        try:
            for table, source in now:
                conn.execute(f"CREATE TABLE {self.alias}.{q(table)} AS SELECT * FROM {source}")
        except BaseException:
            conn.execute(f"DETACH {self.alias}")
            self._clean()
            raise
        self.cursor = conn.cursor()
        self.thread = threading.Thread(target=self._copy, args=(later,), daemon=True)
        self.thread.start()

    def _copy(self, later: list[tuple[str, str]]) -> None:
        try:
            try:
                for table, source in later:
                    self.cursor.execute(f"CREATE TABLE {self.alias}.{q(table)} AS SELECT * FROM {source}")
            finally:
                self.cursor.execute(f"DETACH {self.alias}")
                self.cursor.close()
            os.replace(self.tmp, self.kept.folder / self.name)
            named = {*self.entry["tables"].values(), *(self.entry.get("added") or {}).values()}
            files = {n: d for n, d in self.entry["files"].items() if n in named}
            files[self.name] = self.kept.hashes.sha256(self.kept.folder / self.name)
            self.entry["files"] = files
            self.kept._publish(self.entry)
        except (OSError, duckdb.Error) as exc:
            self.failed = f"{type(exc).__name__}"
        except Exception as exc:  # a thread's failure is told, never raised into the run
            self.failed = f"{type(exc).__name__}: {exc}"
        finally:
            self._clean()

    def _clean(self) -> None:
        for path in (self.tmp, Path(str(self.tmp) + ".wal")):
            path.unlink(missing_ok=True)

    def finish(self) -> str | None:
        """Wait until the store is kept; why it is not, or None."""
        self.thread.join()
        return self.failed


_OUTPUTS = itertools.count(1)


def _restored(entry: dict) -> Restored:
    return Restored(
        warnings=[Problem(**w) for w in entry["warnings"]],
        resolution=resolution_from_json(entry["resolution"]),
        merged_records={str(k): dict(v) for k, v in entry["merged_records"].items()},
        rewritten={(str(t), str(rid)): dict(fields) for t, rid, fields in entry["rewritten"]})


def restored_of(entry: dict) -> Restored:
    try:
        return _restored(entry)
    except (KeyError, TypeError, ValueError):
        raise StoreUnusable("its entry is not whole") from None


# The changes of one file, row by row


@dataclass
class FileChange:
    type_name: str
    shown: str
    added: int = 0
    removed: int = 0
    moved: int = 0
    appended: bool = False  # only rows added at its end, and only those read (appended_rows)


def appended_rows(path: Path, size: int, digest: str) -> tuple[bytes, bytes] | None:
    """(the header line, the bytes after the first `size`) when those first bytes are the kept file (they hash
    to `digest`) and end a line, and what follows is written with the header's line ends; None otherwise.

    A file a desk adds rows to (a new verdict, a new tenure at the end of a national export) then has only
    those rows read: read after the header alone, they are the rows a full read of the file gives after the
    kept ones (the kept part ends a line, so the added part starts a row)."""
    if size <= 0:
        return None
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size <= size:
                return None
            header = fh.readline()
            fh.seek(0)
            digest_now, left, last = hashlib.sha256(), size, b""
            while left:
                chunk = fh.read(min(left, 1 << 20))
                if not chunk:
                    return None
                digest_now.update(chunk)
                left -= len(chunk)
                last = chunk[-1:]
            if digest_now.hexdigest() != digest or last != b"\n" or not header.endswith(b"\n") or len(header) > size:
                return None
            tail = fh.read()
    except OSError:
        return None
    if header.endswith(b"\r\n"):
        same_ends = tail.count(b"\r") == tail.count(b"\r\n") == tail.count(b"\n")
    else:
        same_ends = b"\r" not in tail
    # a row starting with `#` could be taken for a comment by DuckDB's sniffer reading a few rows alone
    if not same_ends or tail.startswith(b"#") or b"\n#" in tail:
        return None
    return header, tail


def _read_appended(conn: duckdb.DuckDBPyConnection, schema: Schema, type_name: str, path: Path, shown: str,
                   entry: dict) -> bool:
    """Read only the rows added at the end of a changed file into the raw layer, numbered after the kept ones;
    False (nothing read) when the file changed otherwise or its kept rows were not numbered as a bulk read
    numbers them (then it is read whole)."""
    size, digest = (entry.get("sizes") or {}).get(shown), entry["csv"].get(shown)
    if not isinstance(size, int) or not isinstance(digest, str):
        return False
    parts = appended_rows(path, size, digest)
    if parts is None:
        return False
    kept, first, last, bulk = conn.execute(f"SELECT count(*), min(line), max(line), bool_and(bulk) FROM {ROWS} "
                                           "WHERE file = ?", [shown]).fetchall()[0]
    if kept and (first != 2 or last != kept + 1 or not bulk):
        return False
    with tempfile.TemporaryDirectory(prefix="riskcheck-") as tmp:
        added = Path(tmp) / "rows.csv"
        added.write_bytes(parts[0] + parts[1])
        errors, notes = insert_csv(conn, schema, type_name, added, shown)
    if errors or notes:
        raise StoreUnusable(f"{_short(shown)} has a problem or warning a full load reports where it lies")
    table = q("raw_rows_" + type_name)
    if conn.execute(f"SELECT count(*) FROM {table} WHERE _file = ? AND _line IS NOT NULL", [shown]).fetchall()[0][0]:
        raise StoreUnusable(f"the rows added to {_short(shown)} are not read in bulk, so a full load may read "
                            "the file otherwise")
    # numbered as a read of the whole file numbers them: after the kept rows
    conn.execute(f"UPDATE {table} SET _base = _base - ? WHERE _file = ?", [kept, shown])
    return True


def read_changed(conn: duckdb.DuckDBPyConnection, schema: Schema, changed: dict[str, tuple[str, Path]],
                 kept_warnings: list[Problem], entry: dict | None = None) -> list[FileChange]:
    """Read each changed file into the raw layer (as a full load would) and match its rows to the kept ones:
    `new_rows` (type, file, line, h, old_line: the kept row's line, NULL for a row not kept).

    A file that only had rows added at its end has only those read (appended_rows; `entry`, the kept store's,
    says what the kept file was): its kept rows stay on their lines, and `new_hashes` and `new_rows` hold the
    added rows alone. At a million persons reading, hashing and matching the whole of tenures.csv again cost
    two seconds of CPU for one row added."""
    for w in kept_warnings:
        if w.file in changed:
            raise StoreUnusable(f"{_short(w.file)} had a warning, and its rows may have moved")
    create_raw_tables(conn, schema)
    appended = set()
    for shown, (type_name, path) in sorted(changed.items()):
        if entry is not None and _read_appended(conn, schema, type_name, path, shown, entry):
            appended.add(shown)
            continue
        errors, notes = insert_csv(conn, schema, type_name, path, shown)
        if errors or notes:
            raise StoreUnusable(f"{_short(shown)} has a problem or warning a full load reports where it lies")
    if dotted_date_notes(conn, schema):
        raise StoreUnusable("a changed file writes dates day.month.year, which a full load counts")
    types = tuple(sorted({t for t, _ in changed.values()}))
    row_hashes(conn, schema, types, "new_hashes")
    # A row is kept when an equal row (same hash) was kept in the same file: the n-th of its equals in the
    # new file takes the n-th kept one's place, whatever its line now. An appended file's rows are all new.
    whole = sorted(set(changed) - appended)
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE new_rows AS
        WITH n AS (SELECT *, row_number() OVER (PARTITION BY file, h ORDER BY line) AS k FROM new_hashes
                   WHERE file IN (SELECT unnest($whole::VARCHAR[]))),
             o AS (SELECT *, row_number() OVER (PARTITION BY file, h ORDER BY line) AS k FROM {ROWS}
                   WHERE file IN (SELECT unnest($whole::VARCHAR[])))
        SELECT n.type, n.file, n.line, n.h, o.line AS old_line FROM n LEFT JOIN o USING (file, h, k)
        UNION ALL
        SELECT type, file, line, h, NULL FROM new_hashes WHERE file IN (SELECT unnest($appended::VARCHAR[]))
    """, {"whole": whole, "appended": sorted(appended)})
    found = []
    for shown, (type_name, _) in sorted(changed.items()):
        added, moved = conn.execute("SELECT count(*) FILTER (old_line IS NULL), "
                                    "count(*) FILTER (old_line IS NOT NULL AND old_line <> line) "
                                    "FROM new_rows WHERE file = ?", [shown]).fetchall()[0]
        if shown in appended:
            found.append(FileChange(type_name, shown, added, appended=True))
            continue
        kept_now = conn.execute("SELECT count(*) FROM new_rows WHERE file = ? AND old_line IS NOT NULL",
                                [shown]).fetchall()[0][0]
        before = conn.execute(f"SELECT count(*) FROM {ROWS} WHERE file = ?", [shown]).fetchall()[0][0]
        found.append(FileChange(type_name, shown, added, before - kept_now, moved))
    return found


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def restore(conn: duckdb.DuckDBPyConnection, schema: Schema, kept: KeptStore, entry: dict,
            changed: dict[str, tuple[str, Path]], as_of: date | None) -> tuple[Restored, list[FileChange]]:
    """The kept store in `conn` with the changed files' rows applied; raise StoreUnusable when they cannot be.

    `conn` is a new store (riskcheck.registry.store.connect); on StoreUnusable the caller closes it."""
    restored = restored_of(entry)
    if any(w.line is None and w.message.startswith("more problems of this kind") for w in restored.warnings):
        raise StoreUnusable("the last run had more warnings than it lists")
    changed_types = {t for t, _ in changed.values()}
    where = kept.attach(conn, entry)
    conn.execute(f"CREATE TEMP TABLE {ROWS} AS SELECT * FROM {where[ROWS]}")
    found = read_changed(conn, schema, changed, restored.warnings, entry)
    whole = {c.shown for c in found if not c.appended}  # the files read whole: their kept rows may be gone or moved
    for type_name in sorted(changed_types):  # the added rows as the raw view reads them (line, spellings)
        conn.execute(f"CREATE TEMP TABLE {q('added_' + type_name)} AS SELECT * FROM {q('raw_' + type_name)} "
                     "WHERE (_file, _line) IN (SELECT (file, line) FROM new_rows WHERE old_line IS NULL AND type = ?)",
                     [type_name])
    for rtype in schema.types.values():
        conn.execute(f"DROP VIEW {q('raw_' + rtype.name)}; DROP TABLE {q('raw_rows_' + rtype.name)}")
    conn.execute("DROP TABLE unread_ids")
    # The unchanged tables are read where they are kept, through views: copying them into memory cost a
    # million persons' re-run 3 s of CPU and doubled its memory, and DuckDB reads its own file's compressed
    # blocks no slower than a copy (the Kazakh pack's five rules in full: 3.9 s of CPU on the views, 5.3 s on
    # copies). The file stays attached, read-only, while the store is open: a later run replaces kept files,
    # never writes into one, so what is read is what was hashed. A table kept as a base and rows added to it
    # since is put together in memory, in id order as a full load sorts it.
    added_since = entry.get("added") or {}
    for table, source in where.items():
        if table in (ROWS, HINTS) or table in changed_types:
            continue
        if table in added_since:
            conn.execute(f"CREATE TABLE {q(table)} AS SELECT * FROM {source} ORDER BY id")
        else:
            conn.execute(f"CREATE VIEW {q(table)} AS SELECT * FROM {source}")

    # Validation of the added rows, against what a full load would hold beside them.
    # Rows no file holds (line 0: a reviewer's relation and its source, riskcheck.registry.reviewed) are added
    # after validation: a full load's references cannot name them.
    ids_of = {t: f"SELECT id FROM {q(t)} WHERE _line <> 0" for t in schema.types if t not in changed_types}
    ids_of["persons"] += " UNION ALL SELECT unnest(?::VARCHAR[])"
    merged = sorted(restored.merged_records)
    targets = {t: sql.replace("?::VARCHAR[]", "[" + ", ".join(lit(m) for m in merged) + "]::VARCHAR[]")
               for t, sql in ids_of.items()}
    for type_name in sorted(changed_types):
        targets[type_name] = f"SELECT id FROM {where[type_name]}"  # never a reference's target (CHANGEABLE)
    for type_name in sorted(changed_types):
        conn.execute(f"CREATE TEMP VIEW {q('raw_' + type_name)} AS SELECT * FROM {q('added_' + type_name)}")
        why = added_rows_problem(conn, schema.types[type_name], as_of, targets)
        conn.execute(f"DROP VIEW {q('raw_' + type_name)}")
        if why:
            raise StoreUnusable(why)

    # The changed tables: the kept rows still there (under their lines now), and the added rows typed.
    conn.execute("CREATE TEMP TABLE kept_moves AS SELECT type, file, line, old_line FROM new_rows "
                 "WHERE old_line IS NOT NULL")
    if restored.resolution.canonical:
        conn.execute("CREATE OR REPLACE TEMP TABLE person_merge (id VARCHAR, canonical VARCHAR)")
        bulk_insert(conn, "person_merge", sorted(restored.resolution.canonical.items()))
    files_of = {t: sorted(s for s, (tt, _) in changed.items() if tt == t and s in whole) for t in changed_types}
    kept.touched, kept.increments = {}, {}
    for type_name in sorted(changed_types):
        source, files = where[type_name], files_of[type_name]
        moved = conn.execute(f"SELECT k.id FROM {source} k JOIN kept_moves m ON m.type = ? AND m.file = k._file "
                             "AND m.old_line = k._line WHERE m.line <> m.old_line", [type_name]).fetchall()
        added = conn.execute(f"SELECT id FROM {q('added_' + type_name)}").fetchall()
        gone = conn.execute(f"SELECT k.id FROM {source} k WHERE k._file IN (SELECT unnest(?::VARCHAR[])) AND NOT "
                            "EXISTS (SELECT 1 FROM kept_moves m WHERE m.type = ? AND m.file = k._file AND "
                            "m.old_line = k._line)", [files, type_name]).fetchall()
        for (rid,) in gone:
            restored.rewritten.pop((type_name, rid), None)
        kept.touched[type_name] = {rid for (rid,) in [*gone, *added, *moved]}
        conn.execute(f"CREATE TEMP TABLE {q('typed_' + type_name)} AS SELECT {typed_select(schema, type_name)} "
                     f"FROM {q('added_' + type_name)}")
        if restored.resolution.canonical:
            rewrite_references(conn, schema, type_name, "typed_" + type_name, restored.rewritten)
        kept_cols = [r[0] for r in conn.execute(f"SELECT * FROM {source} LIMIT 0").description]
        new_cols = [r[0] for r in conn.execute(f"SELECT * FROM {q('typed_' + type_name)} LIMIT 0").description]
        if kept_cols != new_cols:
            raise StoreUnusable(f"the kept {type_name} table has other columns")
        if not files:  # rows added at the ends of files alone: kept as rows added to the kept base
            before = f"SELECT * FROM {kept.added_at[type_name]} UNION ALL " if type_name in added_since else ""
            conn.execute(f"CREATE TEMP TABLE {q('kept_inc_' + type_name)} AS {before}"
                         f"SELECT * FROM {q('typed_' + type_name)}")
            kept.increments[type_name] = "kept_inc_" + type_name
        conn.execute(f"""
            CREATE TABLE {q(type_name)} AS
            SELECT * FROM (
                SELECT k.* REPLACE (coalesce(m.line, k._line) AS _line) FROM {source} k
                LEFT JOIN (SELECT * FROM kept_moves WHERE type = {lit(type_name)}) m
                  ON m.file = k._file AND m.old_line = k._line
                WHERE k._file NOT IN (SELECT unnest(?::VARCHAR[])) OR m.line IS NOT NULL
                UNION ALL SELECT * FROM {q('typed_' + type_name)})
            ORDER BY id""", [files])
        conn.execute(f"DROP TABLE {q('typed_' + type_name)}")
    # Kept ids were validated unique: only an added id can be used twice (found by a semi-join on the few
    # added ids, where grouping every id of the store took seconds).
    added_ids = " UNION ALL ".join(f"SELECT id FROM {q('added_' + t)}" for t in sorted(changed_types))
    dup = conn.execute("SELECT count(*) FROM (SELECT id FROM (" + " UNION ALL ".join(
        f"SELECT id FROM {q(t)}" for t in schema.types) + " UNION ALL SELECT unnest(?::VARCHAR[]) AS id) "
        f"WHERE id IN ({added_ids}) GROUP BY id HAVING count(*) > 1)", [merged]).fetchall()[0][0]
    if dup:
        raise StoreUnusable("a changed record's id is used already, which a full load reports")
    conn.execute("DROP TABLE IF EXISTS person_merge; DROP TABLE kept_moves")
    for type_name in sorted(changed_types):
        conn.execute(f"DROP TABLE {q('added_' + type_name)}")

    for _, sql in entry["views"]:
        conn.execute(sql)
    if anchors_changed(conn, schema, {t: where[t] for t in changed_types}, kept.touched):
        raise StoreUnusable("a person no record named before is named now, or no longer: the kinship derived "
                            "for them changes")
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {HINTS} AS SELECT * FROM {where[HINTS]}")
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {ROWS} AS SELECT * FROM {ROWS} WHERE file NOT IN "
                 "(SELECT unnest(?::VARCHAR[])) UNION ALL SELECT type, file, line, h, bulk FROM new_hashes",
                 [sorted(whole)])
    if not whole:  # the rows' hashes too: those of the rows added since the base alone
        before = f"SELECT * FROM {kept.added_at[ROWS]} UNION ALL " if ROWS in added_since else ""
        conn.execute(f"CREATE TEMP TABLE kept_inc_rows AS {before}SELECT type, file, line, h, bulk FROM new_hashes")
        kept.increments[ROWS] = "kept_inc_rows"
    conn.execute("DROP TABLE new_hashes; DROP TABLE new_rows")
    return restored, found


def keep_changes(conn: duckdb.DuckDBPyConnection, kept: KeptStore, entry: dict, sources: CaseSources,
                 changed: dict[str, tuple[str, Path]], restored: Restored) -> Keeping | None:
    """Start keeping the store after a re-run that applied changes: the changed tables and the rows' hashes in
    a file of their own, the other tables named where they were kept. A table the run only added rows to keeps
    its base where it was and has the rows added since written (ADDED): at a million persons writing tenures
    and the rows' hashes whole again cost 1.7 s of CPU for one row added."""
    if not changed:
        return None
    rest = entry["key"]
    csv_hashes = {shown: kept.file_hash(path) for shown, (_, path) in changeable_csv(sources, kept.root).items()}
    key = _text_hash(json.dumps([rest, csv_hashes], sort_keys=True))
    name = f"changed-{key[:24]}.duckdb"
    sizes = csv_sizes(sources, kept.root)
    changed_types = sorted({t for t, _ in changed.values()})
    tables, added = dict(entry["tables"]), dict(entry.get("added") or {})
    db = conn.execute("SELECT current_database()").fetchall()[0][0]
    # (table in the new file, where it is now): the temp tables at once, the others in a thread
    now: list[tuple[str, str]] = []
    later: list[tuple[str, str]] = []
    for table in [*changed_types, ROWS]:
        if table in kept.increments:  # only rows added since the base: those alone written, beside it
            added[table] = name
            now.append((ADDED + table, f"temp.main.{q(kept.increments[table])}"))
            continue
        tables[table] = name
        added.pop(table, None)
        (now if table == ROWS else later).append((table, f"temp.main.{ROWS}" if table == ROWS
                                                  else f"{q(db)}.main.{q(table)}"))
    # What the Registry holds beside the store is the entry's as read back (restore made it from them), but for
    # the references rewritten in the changed rows: written again, not made from the Resolution again (at a
    # million persons its thousands of hints cost seconds to turn into JSON and check).
    rewritten = [[t, rid, fields] for (t, rid), fields in restored.rewritten.items()]
    new = json.loads(json.dumps({**entry, "csv": csv_hashes, "sizes": sizes, "tables": tables, "added": added,
                                 "files": dict(entry["files"]),
                                 "rewritten": rewritten}, ensure_ascii=False, default=_plain))
    if {(str(t), str(rid)): fields for t, rid, fields in new["rewritten"]} != restored.rewritten:
        raise StoreUnusable("what the registry holds does not read back exactly")
    return Keeping(kept, conn, name, new, now, later)
