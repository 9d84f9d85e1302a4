"""A second Python process for the report's own work, beside this one.

Rendering pages is Python's work, one core's alone: at a million persons a case's thousand person pages took
most of the two seconds its report took to write, the other core idle. The process is spawned, never forked
(a fork would copy the store's DuckDB threads mid-work), and started when a large case's report begins, so
that it has imported what it needs by the time its pages are ready.

Only the command line asks for one (`riskcheck run`, whose entry points start nothing when imported): a
spawned process imports the main module of the program that started it, and a script that checks cases
without `if __name__ == "__main__"` would run again there. Nothing depends on it: whatever it does not do
(it could not start, it failed), the caller does itself, and the files are the same either way.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Callable


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class SecondProcess:
    """One worker process; `submit` runs a module-level function there, its arguments and result pickled."""

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self.pool = pool

    @classmethod
    def start(cls, ready: Callable[[], None]) -> SecondProcess | None:
        """Spawn it and have it run `ready` (a module-level function that imports and prepares what its work
        will need); None where there is no second core or a process cannot be started."""
        if cores() < 2:
            return None
        try:
            pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            pool.submit(ready)
        except (OSError, RuntimeError, ValueError):
            return None
        return cls(pool)

    def submit(self, work: Callable[..., Any], *args: Any) -> Future | None:
        try:
            return self.pool.submit(work, *args)
        except (OSError, RuntimeError):  # it has died: the caller does the work
            return None

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
