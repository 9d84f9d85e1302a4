"""A large case's sources read while the program starts, so the load that comes for them finds them read.

`riskcheck run` spends its first second on one core: importing its modules, loading and compiling the rules.
Reading a national registry's files is DuckDB's work, done without Python's lock, so it can go on beside
that: at a million persons the reading began 0.3 s into the run instead of 0.8-1.2 s, and (sharing the cores
with the imports, it takes longer) ended 0.2-0.3 s sooner; the run was 0.15-0.2 s shorter on average, taken
by turns with runs that read the files when they came to them.

Only a case that will be loaded afresh is read ahead: the first one the command names, when its inputs are
large (store.SMALL_INPUT_BYTES) and the cache holds nothing of it (a case the cache knows may be reused, or
its kept store loaded, and reading it would only take a core from that). What is read is exactly what a load
reads (raw_read.read_raw), so a load that takes it goes on as if it had read it itself; whatever goes wrong
here (a file that cannot be read, a case.yaml that is not valid) is left for the load to find and say.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

import duckdb

from riskcheck.registry import store
from riskcheck.registry.cases import discover_cases, read_case_meta
from riskcheck.registry.raw_read import RawRead, input_bytes, read_raw
from riskcheck.registry.reader import CaseSources, collect_sources
from riskcheck.registry.schema import load_schema


class ReadAhead:
    """The first case of `cases` read in a thread; `take` hands it to the load of that case, `close` stops and
    drops what no load took. Use it as a context manager around the run."""

    def __init__(self, cases: Path, cache: Path | None) -> None:
        self._cache = cache
        self._cancelled = threading.Event()
        self._read: tuple[Path, CaseSources, RawRead] | None = None
        self._conn: duckdb.DuckDBPyConnection | None = None  # the store being read, to interrupt it on close
        self._thread = threading.Thread(target=self._run, args=(cases,), name="riskcheck-read-ahead", daemon=True)
        self._thread.start()

    def _run(self, cases: Path) -> None:
        try:
            root, folders = discover_cases(cases)
            meta = read_case_meta(folders[0], root)
            if self._cache is not None and (self._cache / meta.id).exists():
                return  # the cache knows the case: it may not be loaded afresh
            schema = load_schema()
            sources = collect_sources(meta, root, schema)
            size = input_bytes(sources)
            if size < store.SMALL_INPUT_BYTES or self._cancelled.is_set():
                return
            self._conn = store.connect(size)  # as read_raw would connect, held here to be interrupted
            read = read_raw(schema, sources, self._conn)
        except Exception:  # the load finds it again, and says it where it belongs
            return
        if self._cancelled.is_set():
            read.conn.close()
            return
        self._read = (meta.folder.resolve(), sources, read)

    def take(self, folder: Path) -> tuple[CaseSources, RawRead] | None:
        """The sources of the case in `folder` and the store they were read into, once it is read; None if this
        read ahead is not of that case, or read nothing (then the load reads for itself)."""
        self._thread.join()
        read, self._read = self._read, None
        if read is None:
            return None
        if read[0] != folder.resolve():
            read[2].conn.close()
            return None
        return read[1], read[2]

    def close(self) -> None:
        """Stop reading (a statement running is interrupted) and close what no load took."""
        self._cancelled.set()
        conn = self._conn
        if conn is not None and self._thread.is_alive():
            conn.interrupt()  # its first share of files; the second is read to its end (raw_read)
        self._thread.join()
        read, self._read = self._read, None
        if read is not None:
            read[2].conn.close()

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
