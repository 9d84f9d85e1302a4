"""The memory and disk a store may use: one place for the limits every connection is opened with.

Set once here so a national registry stays within the machine and a runaway rule stops with a message
instead of filling the disk (docs/design.md, "Limits").
"""

from __future__ import annotations

import os

# DuckDB spills to disk beyond this: 2.5 GB, or two fifths of the machine's memory where that is more, so a
# million persons stay within a laptop and ten million use the memory a larger machine has before spilling;
# and up to half of it, but no more than 12 GB, where that is more still: ten million persons read 7.8 GB of
# raw tables, and within two fifths of 24 GB (9.6 GB) the store sat at its limit while it built the typed
# tables beside them and compressed them; 12 GB leaves the rest of 16 GB to Python (issue 29: ten million
# persons in 16 GB; a run peaked at 11.6 GB). RISKCHECK_MEMORY_LIMIT (e.g. `6GB`) sets it for one run.
MIN_MEMORY_MB = 2500
MAX_HALF_MB = 12 * 1024


def _physical_mb() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20)
    except (ValueError, OSError, AttributeError):
        return 0


def memory_limit_mb(physical_mb: int) -> int:
    """The store's memory on a machine with `physical_mb` of memory (see above)."""
    return max(MIN_MEMORY_MB, physical_mb * 2 // 5, min(physical_mb // 2, MAX_HALF_MB))


MEMORY_LIMIT = os.environ.get("RISKCHECK_MEMORY_LIMIT") or f"{memory_limit_mb(_physical_mb())}MB"
# And spills no more than this: a rule that joins records without a link between them fails with a
# message naming it instead of filling the disk. RISKCHECK_SPILL_LIMIT sets it for one run.
SPILL_LIMIT = os.environ.get("RISKCHECK_SPILL_LIMIT") or "16GB"
# Where it spills: a folder of its own under the system's temporary folder (TMPDIR), not the working folder;
# DuckDB removes it when the store closes. RISKCHECK_SPILL_DIR names another (a larger disk).
SPILL_DIR = os.environ.get("RISKCHECK_SPILL_DIR") or ""
