"""Loading one case into the store: read its sources, validate them, build the typed tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import duckdb

from riskcheck.errors import Problem, ProblemError
from riskcheck.names.records import Resolution
from riskcheck.registry import store
from riskcheck.registry.cases import CaseMeta, read_case_meta
from riskcheck.registry.hierarchy import create_org_within
from riskcheck.registry.identity import Identity, apply_identities, insert_hints, resolve_identities
from riskcheck.registry.kept_identity import KeptIdentity, identity_key
from riskcheck.registry.kept_store import (Keeping, KeptStore, Restored, StoreUnusable, keep_changes, restore,
                                           row_hashes)
from riskcheck.registry.reviewed import LinkDecision, apply_after_resolution, apply_before_resolution
from riskcheck.registry.kinship import create_kinship, create_recorded_kinship
from riskcheck.registry.kinship_beside import KinshipBeside
from riskcheck.registry.raw_read import RawRead, input_bytes, read_raw
from riskcheck.registry.read_ahead import ReadAhead
from riskcheck.registry.reader import CaseSources, collect_document, collect_sources
from riskcheck.registry.schema import Schema, load_schema
from riskcheck.registry.typed import EARLY_TYPES, create_typed_tables, drop_raw_tables
from riskcheck.registry.validate import validate_raw
from riskcheck.sqlio import lit, q
from riskcheck.yamlio import YMap


RECORDS_PER_LIST = 2000  # Registry.records reads at most this many ids by a literal list, more by a semi-join


@dataclass
class Registry:
    """A validated case in the store, with what the report needs to look records up."""

    meta: CaseMeta
    conn: duckdb.DuckDBPyConnection
    schema: Schema
    warnings: list[Problem] = field(default_factory=list)
    identity: Identity = field(default_factory=Identity)
    reviewed: list[LinkDecision] = field(default_factory=list)  # reviewers' decisions on pairs of persons, applied
    keeping: Keeping | None = None  # the store being kept for the next run, beside the rules (kept_store)
    # Records read by id, kept by riskcheck.engine.evaluate.RecordLookup for every reader of this store (the rules'
    # evidence, then the report and the app): the store does not change once built, so a record is read once.
    # Code that changes the store's records afterwards must empty it (records_read.clear()).
    records_read: dict = field(default_factory=dict, repr=False, compare=False)
    # Each finding's evidence as the review layer writes it, made once per store (riskcheck.review.evidence).
    evidence_made: dict = field(default_factory=dict, repr=False, compare=False)
    # When the store is the one kept from the last run with changed rows applied (kept_store): the ids of the
    # records changed, by type (every other record is as the last run had it); None when it was loaded afresh.
    changed_records: dict[str, set[str]] | None = None

    def counts(self) -> dict[str, int]:
        return store.row_counts(self.conn, self.schema)

    def sample(self, type_name: str, limit: int) -> tuple[list[dict], int]:
        """The first `limit` records of a type by id, and how many there are in all."""
        total = self.counts_of(type_name)
        rtype = self.schema.known_type(type_name)
        cols = ", ".join(q(f) for f in rtype.fields)
        cursor = self.conn.execute(f"SELECT {cols} FROM {q(type_name)} ORDER BY id LIMIT {int(limit)}")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r)) for r in cursor.fetchall()], total

    def counts_of(self, type_name: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {q(type_name)}").fetchall()[0][0]

    def records(self, type_name: str, ids: list[str] | None = None,
                fields: tuple[str, ...] | None = None) -> dict[str, dict]:
        """Records of one type by id (all of them when `ids` is None), with values as written: every field, or
        their id and `fields` alone."""
        rtype = self.schema.known_type(type_name)
        cols = ", ".join(q(f) for f in (rtype.fields if fields is None else ("id", *fields)))
        table = "kinship_records" if type_name == "kinship" else q(type_name)
        if ids is None:
            return self._fetch(f"SELECT {cols} FROM {table} ORDER BY id")
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        if type_name == "kinship":
            # Nearly every link a finding names is between people of interest: found among those first, and
            # only the rest in every link (each lookup there reads every relation twice).
            found = self._records_in(f"SELECT {cols} FROM kinship_records_anchored", wanted)
            rest = [i for i in wanted if i not in found]
            if rest:
                found.update(self._records_in(f"SELECT {cols} FROM {table}", rest))
            return dict(sorted(found.items()))
        return self._records_in(f"SELECT {cols} FROM {table}", wanted)

    def _records_in(self, sql: str, wanted: list[str]) -> dict[str, dict]:
        """The rows of `sql` (a SELECT of one table or view) whose id is one of `wanted` (sorted, not empty)."""
        # Literal IN lists let DuckDB skip row groups by their min/max id (tables are stored sorted by id);
        # a joined list would scan the whole table for every lookup. Past one list's worth the ids reach every
        # row group anyway, and each list would scan the table again: one semi-join scans it once (the names of
        # a million persons' 26,000 possible same-person pairs: 0.8 s of CPU in lists, 0.4 s joined).
        if len(wanted) > RECORDS_PER_LIST:
            return self._fetch(f"{sql} WHERE id IN (SELECT unnest(?::VARCHAR[])) ORDER BY id", [wanted])
        return self._fetch(f"{sql} WHERE id IN ({', '.join(lit(x) for x in wanted)}) ORDER BY id")

    def _fetch(self, sql: str, params: list | None = None) -> dict[str, dict]:
        rows = self.conn.execute(sql, params)
        names = [d[0] for d in rows.description]
        return {r[0]: dict(zip(names, r)) for r in rows.fetchall()}

    def person_names(self, ids: Iterable[str]) -> dict[str, str]:
        """Names by person id, holding at least these: a merged record's, else the store's, else the id. Each read
        once for the store: the report's identity section and the app's view name the same people (on a national
        case, the tens of thousands its identity lists pair), and each read of their records took 0.1-0.2 s."""
        names: dict[str, str] = self.records_read.setdefault("person names", {})
        missing = sorted({i for i in ids if i not in names})
        if missing:
            read = self.records("persons", missing, ("name",))
            for pid in missing:
                record = self.identity.merged_records.get(pid) or read.get(pid) or {}
                names[pid] = record.get("name") or pid
        return names

    def kept(self) -> str | None:
        """Wait until the store is kept for the next run (if it is being kept); why it is not, or None."""
        keeping, self.keeping = self.keeping, None
        return keeping.finish() if keeping is not None else None

    def close(self) -> None:
        self.kept()
        self.conn.close()


def load_case(folder: Path, root: Path, schema: Schema | None = None) -> Registry:
    """Load and validate a case folder; raise ProblemError listing every problem found."""
    schema = schema or load_schema()
    meta = read_case_meta(folder, root)
    return load_sources(meta, root, schema)


def load_documents(docs: list[tuple[YMap, str]], schema: Schema | None = None) -> Registry:
    """Load records given as YAML mappings of record types, each with its display name (rule tests)."""
    schema = schema or load_schema()
    sources = CaseSources()
    for doc, shown in docs:
        part = collect_document(doc, shown, schema)
        for type_name, rows in part.rows.items():
            sources.rows.setdefault(type_name, []).extend(rows)
        sources.problems += part.problems
    meta = CaseMeta(id="test", folder=Path("."), display=docs[0][1] if docs else "test")
    return _load(meta, sources, schema)


def load_sources(meta: CaseMeta, root: Path, schema: Schema, stage=None,
                 links: Sequence[LinkDecision] = (), kept: KeptIdentity | None = None,
                 kept_store: KeptStore | None = None, ahead: ReadAhead | None = None) -> Registry:
    """`links`: the reviewers' current decisions on pairs of persons of this case (riskcheck.review.links);
    `kept`: where the case's identity resolution is kept between runs (riskcheck.registry.kept_identity);
    `kept_store`: where its whole store is (riskcheck.registry.kept_store); `ahead`: the sources of a case
    being read while the program started (riskcheck.registry.read_ahead), taken if they are this case's."""
    taken = ahead.take(meta.folder) if ahead is not None else None
    if taken is not None:
        return _load(meta, taken[0], schema, stage, list(links), kept, kept_store, taken[1])
    return _load(meta, collect_sources(meta, root, schema), schema, stage, list(links), kept, kept_store)


def _load(meta: CaseMeta, sources: CaseSources, schema: Schema, stage=None,
          links: list[LinkDecision] | None = None, kept: KeptIdentity | None = None,
          kept_store: KeptStore | None = None, read: RawRead | None = None) -> Registry:
    """`read`: the case's sources already read into a new store (read_raw), which this load takes over. Such a
    load is a fresh one: a store kept from the last run (read ahead only where there is none) is not looked at."""
    links = links or []
    stage = stage or (lambda case, text: None)
    if kept_store is not None and not sources.problems and read is None:
        registry = _load_kept(meta, sources, schema, links, kept_store)
        if registry is not None:
            stage(meta.id, kept_store.said)
            return registry
    raw = read if read is not None else read_raw(schema, sources)
    conn, problems, field_lines = raw.conn, raw.problems, raw.field_lines
    try:
        begun = " (begun while riskcheck started)" if read is not None else ""
        stage(meta.id, f"read {len(sources.csv_files)} CSV and {len(field_lines):,} YAML records{begun}")
        say = lambda text: stage(meta.id, text)  # noqa: E731
        records = sum(store.row_counts(conn, schema, "raw_rows_").values())
        beside = (not problems and records > 0 and input_bytes(sources) >= BESIDE_MIN_BYTES
                  and not store.is_large(conn))
        if beside:
            # Identity resolution reads the persons (and relations) alone: typed first, they are resolved while
            # the rest is validated and typed on a connection of its own (see _validated_beside).
            create_typed_tables(conn, schema, EARLY_TYPES, drop_raw=False)
            before = apply_before_resolution(conn, schema, links)
            if kept_store is not None:
                row_hashes(conn, schema)
            (errors, warnings), early, derived = _validated_beside(conn, schema, field_lines, meta, sources, kept, say)
        else:
            errors, warnings = validate_raw(conn, schema, field_lines, meta.subjects, f"{meta.display}/case.yaml",
                                            meta.as_of)
        warnings = sources.warnings + warnings
        if records == 0 and not problems:
            skipped = [w for w in sources.warnings if w.message.startswith("is not read")]
            unread = f" ({len(skipped)} file(s) not read, see the warnings)" if skipped else ""
            errors.append(Problem(meta.display, None, f"holds no records{unread}: an empty case would read as "
                                                      "'no findings'"))
        if problems or errors:
            raise ProblemError(problems + errors + sources.warnings)
        stage(meta.id, "validated")
        if beside:
            drop_raw_tables(conn, EARLY_TYPES)
            _compact(conn, stage, meta.id)
            warnings += before
            if isinstance(early, BaseException):
                raise early
            resolution = _keep_resolution(conn, kept, *early)
        else:
            if kept_store is not None:
                row_hashes(conn, schema)
            create_typed_tables(conn, schema)
            _compact(conn, stage, meta.id)
            warnings += apply_before_resolution(conn, schema, links)
            resolution = _keep_resolution(conn, kept, *_resolution(conn, sources, kept, say))
            derived = None
        identity = apply_identities(conn, schema, resolution)
        if derived is None:
            create_recorded_kinship(conn, schema, kept)
        elif kept is not None:  # derived beside resolution: kept for the next run now the identity's key is known
            kept.write_kinship(conn, derived)
        warnings += apply_after_resolution(conn, links, identity.resolution.canonical)
        insert_hints(conn, identity.resolution)
        create_kinship(conn, schema)
        create_org_within(conn)
        _compact(conn, stage, meta.id)
        keeping = None
        if kept_store is not None:
            keeping = _keep_store(conn, schema, sources, kept_store,
                                  Restored(warnings, identity.resolution, identity.merged_records, identity.rewritten))
    except BaseException:
        conn.close()
        raise
    return Registry(meta, conn, schema, warnings, identity, links, keeping)


def _load_kept(meta: CaseMeta, sources: CaseSources, schema: Schema, links: list[LinkDecision],
               kept: KeptStore) -> Registry | None:
    """The case's store as kept by its last run, with the rows of the changed files applied; None (and
    `kept.said` says why) when there is none or a change cannot be applied soundly."""
    try:
        entry = kept.entry()
        changed = kept.changed_files(entry, sources)
    except StoreUnusable as exc:
        if str(exc) != "none kept":
            kept.said = f"store built afresh ({exc})"
        return None
    except (OSError, KeyError, TypeError, ValueError) as exc:
        kept.said = f"store built afresh (the kept store could not be used: {type(exc).__name__})"
        return None
    conn = store.connect()
    try:
        restored, found = restore(conn, schema, kept, entry, changed, meta.as_of)
    except StoreUnusable as exc:
        conn.close()
        kept.said = f"store built afresh ({exc})"
        return None
    except (OSError, KeyError, TypeError, ValueError, duckdb.Error) as exc:
        conn.close()
        kept.said = f"store built afresh (the kept store could not be used: {type(exc).__name__})"
        return None
    except BaseException:
        conn.close()
        raise
    words = "; ".join(f"{c.shown.rsplit('/', 1)[-1]}: {_rows(c.added)} added at its end, only "
                      f"{'that one' if c.added == 1 else 'those'} read" if c.appended else
                      f"{c.shown.rsplit('/', 1)[-1]}: {_rows(c.added)} added or changed, {c.removed:,} gone, "
                      f"{c.moved:,} on another line" for c in found)
    kept.said = f"store kept from the last run, only changed rows applied ({words or 'nothing changed'})"
    keeping = None
    try:
        keeping = keep_changes(conn, kept, entry, sources, changed, restored)
    except (OSError, StoreUnusable, TypeError, ValueError, duckdb.Error) as exc:
        kept.said += f"; not kept for the next run ({type(exc).__name__})"
    identity = Identity(restored.resolution, restored.merged_records, restored.rewritten, conn=conn)
    registry = Registry(meta, conn, schema, list(restored.warnings), identity, links, keeping)
    registry.changed_records = {t: set(ids) for t, ids in kept.touched.items()}
    return registry


def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def _keep_store(conn: duckdb.DuckDBPyConnection, schema: Schema, sources: CaseSources, kept: KeptStore,
                restored: Restored) -> Keeping | None:
    """Start keeping the loaded store for the next run; never needed, so a failure only says so."""
    try:
        return kept.write(conn, schema, sources, restored)
    except (OSError, StoreUnusable, TypeError, ValueError, duckdb.Error) as exc:
        kept.said = f"store not kept for the next run ({type(exc).__name__}: {exc})"
        return None


# A case whose inputs hold at least this is validated beside its identity resolution (_validated_beside); a
# smaller one's store runs on one thread (store.SMALL_INPUT_BYTES), where a second would only wait.
BESIDE_MIN_BYTES = store.SMALL_INPUT_BYTES


def _validated_beside(conn: duckdb.DuckDBPyConnection, schema: Schema, field_lines: dict, meta: CaseMeta,
                      sources: CaseSources, kept: KeptIdentity | None, say
                      ) -> tuple[tuple[list[Problem], list[Problem]], tuple[Resolution, str | None] | BaseException,
                                 str | None]:
    """Validation, then the typing of the record types not typed yet, on a connection of their own in a thread,
    while this one resolves the identities of the persons typed early (EARLY_TYPES). DuckDB runs each statement
    without Python's lock, and neither side's statements use both cores all the time: at a million persons the two
    took 0.6 s less one beside the other than one after the other. The validating side, done first, goes on to
    derive the recorded kinship while resolution still runs, unless a merge reaches it (KinshipBeside).

    Returns (validation's errors and warnings, the resolution and its key to keep it under, or what resolution
    raised, and the digest of the people of interest if the recorded kinship was derived beside). The caller
    raises validation's errors first, so a registry that is not valid says so as it always did; a resolution of
    one is thrown away, never kept."""
    kinship = KinshipBeside(schema)

    def validate_and_type(side: duckdb.DuckDBPyConnection) -> tuple[list[Problem], list[Problem]]:
        checked = validate_raw(side, schema, field_lines, meta.subjects, f"{meta.display}/case.yaml", meta.as_of,
                               typed=EARLY_TYPES)
        if not checked[0]:
            create_typed_tables(side, schema, [t for t in schema.types if t not in EARLY_TYPES])
            kinship.derive(side)
        return checked

    beside = store.Beside(conn, validate_and_type)
    early: tuple[Resolution, str | None] | BaseException
    try:
        early = _resolution(conn, sources, kept, say, kinship)
    except Exception as exc:  # raised by the caller once validation has had its say
        early = exc
        kinship.cancel()
    except BaseException:  # interrupted: the derivation too, rather than waited for
        kinship.cancel()
        raise
    finally:
        kinship.decide(False)  # if resolution never came to say (a no, whatever it said, is not taken back)
        beside.wait()
    return beside.result(), early, kinship.derived(conn)


def _resolution(conn: duckdb.DuckDBPyConnection, sources: CaseSources, kept: KeptIdentity | None, say,
                kinship: KinshipBeside | None = None) -> tuple[Resolution, str | None]:
    """Identity resolution of the typed persons: the kept one when nothing it reads changed, else afresh; with
    the key to keep a fresh one under (None: it was read back, or there is nowhere to keep it). `kinship` is told
    whether it resolves afresh, and of the merges."""
    key = None
    if kept is not None:
        key = identity_key(sources, kept.salt, kept.hashes)
        resolution = kept.read(conn, key)
        if resolution is not None:
            if kinship is not None:
                kinship.decide(False)
            say(kept.said)
            return resolution, None
    if kinship is None:
        return resolve_identities(conn, say), key
    kinship.decide(True)
    return resolve_identities(conn, say, lambda canonical: kinship.linked(conn, canonical)), key


def _keep_resolution(conn: duckdb.DuckDBPyConnection, kept: KeptIdentity | None, resolution: Resolution,
                     key: str | None) -> Resolution:
    """Keep a fresh resolution for the next run. Keeping is never needed: a failure to keep costs the next run's
    time."""
    if kept is not None and key is not None:
        try:
            kept.write(conn, key, resolution)
        except (OSError, duckdb.Error, TypeError, ValueError) as exc:
            kept.said += f"; not kept ({type(exc).__name__})"
    return resolution


def _compact(conn: duckdb.DuckDBPyConnection, stage, case_id: str) -> None:
    """Compress a national registry's store (store.compact_when_large) and say so in the run's stages."""
    sizes = store.compact_when_large(conn)
    if sizes is not None:
        stage(case_id, f"compressed the store's tables: {sizes[0]:,} MB to {sizes[1]:,} MB")
