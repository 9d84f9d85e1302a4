"""Identity resolution kept from a case's last run, used again when what it read did not change; and the
kinship derived from it.

Resolution reads the typed `persons` and `relations` and the reviewers' link decisions, nothing else
(riskcheck.registry.identity); at a million persons it is a quarter of a run. So a run keeps, beside the
cache's entry of its case, what resolution decided (`identity.json`: the Resolution as it stood when
resolution returned, before anything later added to it) and the kinship hints table it left in the store
(`hints-<key>.parquet`), under a key made of the persons' and relations' rows as read (CSV files by their
bytes, YAML and workbook rows by their values, file and line) and a salt the caller gives (riskcheck's
version and code, the link decisions). A later run whose key is the same reads them back instead of
resolving: a new verdict or tenure does not re-resolve a million names. Any other change (a person or a
relation added, changed or removed, a link decision) means resolving afresh, with a line saying why.

The blood links and in-laws derived from the recorded relations (`kin_blood`, `kin_spouse`,
riskcheck.registry.kinship), and the recorded links between people of interest (`kin_direct_anchored`), rest
on the relations (under the identity's key, with the merges applied to
them) and on the people of interest they are bounded to (`kin_anchor`: everyone another record names, and
their spouses). They are kept too (`kinship.json` and one Parquet file each), under the identity's key and a
hash of the anchors, and read back when both are the same: a new verdict of a person some record already
named does not derive a million links again; a verdict of someone no record named before does.

The kept files are verified before use (format, key, the hints file's hash, a Resolution that reads back
whole) and anything wrong means resolving afresh: they are never the only copy of anything (the inputs
are) and may be deleted at any time. JSON, never pickle: they lie in a folder as untrusted as the output.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from riskcheck.atomic import replacing, write_atomic
from riskcheck.filehash import FileHashes
from riskcheck.names.records import PairResult, Resolution
from riskcheck.registry.reader import CaseSources
from riskcheck.sqlio import lit

FORMAT = 1
IDENTITY_FILE = "identity.json"
KINSHIP_FILE = "kinship.json"
# The derived links, as riskcheck.registry.kinship leaves them, and the recorded ones between people of interest.
KINSHIP_TABLES = ("kin_blood", "kin_spouse", "kin_direct_anchored")
IDENTITY_TYPES = ("persons", "relations")  # the record types resolution reads
MAX_KEPT_FILE = 2 * 1024 ** 3
NONE_KEPT = "none kept"


def identity_key(sources: CaseSources, salt: str, hashes: FileHashes) -> str:
    """A hash of everything resolution reads in these sources, and the caller's salt."""
    digest = hashlib.sha256(f"{FORMAT}\n{salt}\n".encode())
    for type_name, path, shown in sorted((t, p, s) for t, p, s in sources.csv_files if t in IDENTITY_TYPES):
        digest.update(f"csv {type_name} {shown}\n".encode())
        digest.update(bytes.fromhex(hashes.sha256(path)))
    for type_name in IDENTITY_TYPES:
        for row in sources.rows.get(type_name, []):
            digest.update(json.dumps([type_name, row.file, row.line, row.by_row, row.values],
                                     sort_keys=True, ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()


def resolution_to_json(res: Resolution) -> dict:
    return {"links": [asdict(p) for p in res.links], "possible": [asdict(p) for p in res.possible],
            "hints": [asdict(p) for p in res.hints], "canonical": res.canonical,
            "skipped_blocks": [list(b) for b in res.skipped_blocks],
            "ambiguous_patronymics": res.ambiguous_patronymics, "compared": res.compared, "refused": res.refused,
            "hints_total": res.hints_total, "possible_not_compared": res.possible_not_compared}


def resolution_from_json(data: dict) -> Resolution:
    def pairs(items: list) -> list[PairResult]:
        return [PairResult(**p) for p in items]
    return Resolution(
        links=pairs(data["links"]), possible=pairs(data["possible"]), hints=pairs(data["hints"]),
        canonical=dict(data["canonical"]), skipped_blocks=[(str(b), int(n)) for b, n in data["skipped_blocks"]],
        ambiguous_patronymics=int(data["ambiguous_patronymics"]), compared=int(data["compared"]),
        refused=dict(data["refused"]), hints_total=int(data["hints_total"]),
        possible_not_compared=int(data["possible_not_compared"]))


class KeptUnusable(ValueError):
    """Kept identity files that cannot be used as they stand: resolution runs afresh."""


@dataclass
class KeptIdentity:
    """Where a case's identity is kept (a folder of the cache) and what happened to it in this run.

    `said` is what the run tells the user: "identity kept from the last run ..." or "identity resolved
    afresh (why)"; empty until the case loads."""

    folder: Path
    salt: str
    said: str = ""
    key: str = ""  # the identity's key once read back or kept in this run: the kinship is kept under it
    hashes: FileHashes = field(default_factory=FileHashes)  # the files' hashes, kept between runs by the cache

    def read(self, conn: duckdb.DuckDBPyConnection, key: str) -> Resolution | None:
        """The kept Resolution, with its hints table put back in the store as resolution leaves it; None
        (and `said` says why) when there is none of this key or it cannot be used."""
        try:
            data = self._json()
            if data.get("key") != key:
                self.said = "identity resolved afresh (persons, relations or link decisions changed)"
                return None
            resolution = resolution_from_json(data["resolution"])
            hints = self.folder / str(data["hints"])
            if hints.parent != self.folder or hints.is_symlink() or self.hashes.sha256(hints) != data["hints_sha256"]:
                raise KeptUnusable("its hints file is missing or was changed")
            conn.execute(f"CREATE OR REPLACE TEMP TABLE nk_hints AS SELECT * FROM read_parquet({lit(str(hints))})")
            if conn.execute("SELECT count(*) FROM nk_hints").fetchall()[0][0] != resolution.hints_total:
                raise KeptUnusable("its hints file does not hold the hints it should")
        except KeptUnusable as exc:
            if str(exc) == NONE_KEPT:  # a first run: nothing to say
                return None
            self.said = f"identity resolved afresh (the kept identity could not be used: {exc})"
            return None
        except (OSError, KeyError, TypeError, ValueError, duckdb.Error) as exc:
            self.said = f"identity resolved afresh (the kept identity could not be used: {type(exc).__name__})"
            conn.execute("DROP TABLE IF EXISTS nk_hints")
            return None
        self.said = "identity kept from the last run (persons, relations and link decisions unchanged)"
        self.key = key
        return resolution

    def _json(self) -> dict:
        path = self.folder / IDENTITY_FILE
        if path.is_symlink() or not path.is_file():
            raise KeptUnusable(NONE_KEPT)
        if path.stat().st_size > MAX_KEPT_FILE:
            raise KeptUnusable("its file is larger than one may be")
        data = json.loads(path.read_bytes())
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise KeptUnusable("it was written by another version of riskcheck")
        return data

    def write(self, conn: duckdb.DuckDBPyConnection, key: str, resolution: Resolution) -> None:
        """Keep the Resolution as resolution returned it and its hints table; only if it reads back equal."""
        as_json = resolution_to_json(resolution)
        text = json.dumps(as_json, ensure_ascii=False, sort_keys=True)
        if resolution_from_json(json.loads(text)) != resolution:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"hints-{key[:24]}.parquet"
        with replacing(self.folder / name) as tmp:
            conn.execute(f"COPY nk_hints TO {lit(str(tmp))} (FORMAT parquet)")
        entry = {"format": FORMAT, "key": key, "hints": name, "hints_sha256": self.hashes.sha256(self.folder / name),
                 "resolution": as_json}
        write_atomic(self.folder / IDENTITY_FILE, json.dumps(entry, ensure_ascii=False).encode())
        for old in self.folder.glob("hints-*.parquet"):  # an earlier key's hints, no longer named
            if old.name != name:
                old.unlink(missing_ok=True)
        self.key = key

    # The derived kinship

    @staticmethod
    def anchors_digest(conn: duckdb.DuckDBPyConnection) -> str:
        """A hash of the people of interest the derived links are bounded to (kin_anchor), in id order."""
        found = conn.execute("SELECT sha256(coalesce(string_agg(id, chr(31) ORDER BY id), '')), count(*) "
                             "FROM kin_anchor").fetchall()[0]
        return f"{found[0]}:{found[1]}"

    def _kinship_key(self, anchors: str) -> str:
        return hashlib.sha256(f"{FORMAT}\n{self.key}\n{anchors}".encode()).hexdigest()

    def read_kinship(self, conn: duckdb.DuckDBPyConnection, anchors: str) -> bool:
        """Put back the kept derived links if they rest on this identity and these anchors; False if not."""
        if not self.key:
            return False
        made: list[str] = []
        try:
            path = self.folder / KINSHIP_FILE
            if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_KEPT_FILE:
                return False
            data = json.loads(path.read_bytes())
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise KeptUnusable("it was written by another version of riskcheck")
            if data.get("key") != self._kinship_key(anchors):
                self.said += "; kinship derived afresh (the people of interest changed)"
                return False
            for table in KINSHIP_TABLES:
                kept = data["tables"][table]
                file = self.folder / str(kept["file"])
                if file.parent != self.folder or file.is_symlink() or self.hashes.sha256(file) != kept["sha256"]:
                    raise KeptUnusable(f"its {table} file is missing or was changed")
                conn.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet({lit(str(file))})")
                made.append(table)
                if conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] != kept["rows"]:
                    raise KeptUnusable(f"its {table} file does not hold the links it should")
        except KeptUnusable as exc:
            self._drop(conn, made)
            self.said += f"; kinship derived afresh (the kept kinship could not be used: {exc})"
            return False
        except (OSError, KeyError, TypeError, ValueError, duckdb.Error) as exc:
            self._drop(conn, made)
            self.said += f"; kinship derived afresh (the kept kinship could not be used: {type(exc).__name__})"
            return False
        self.said += "; kinship kept (the same people of interest)"
        return True

    @staticmethod
    def _drop(conn: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
        for table in tables:
            conn.execute(f"DROP TABLE IF EXISTS {table}")

    def write_kinship(self, conn: duckdb.DuckDBPyConnection, anchors: str) -> None:
        """Keep the derived links for the next run, under this identity and these anchors; never needed."""
        if not self.key:
            return
        try:
            key = self._kinship_key(anchors)
            tables = {}
            for table in KINSHIP_TABLES:
                name = f"{table}-{key[:24]}.parquet"
                with replacing(self.folder / name) as tmp:
                    conn.execute(f"COPY {table} TO {lit(str(tmp))} (FORMAT parquet)")
                tables[table] = {"file": name, "sha256": self.hashes.sha256(self.folder / name),
                                 "rows": conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]}
            write_atomic(self.folder / KINSHIP_FILE,
                          json.dumps({"format": FORMAT, "key": key, "tables": tables}).encode())
            named = {t["file"] for t in tables.values()}
            for old in self.folder.glob("kin_*.parquet"):
                if old.name not in named:
                    old.unlink(missing_ok=True)
        except (OSError, duckdb.Error) as exc:
            self.said += f"; kinship not kept ({type(exc).__name__})"
