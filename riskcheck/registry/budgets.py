"""The memory and disk a store may use: one place for the limits every connection is opened with.

Set once here so a national registry stays within the machine and a runaway rule stops with a message
instead of filling the disk (docs/design.md, "Limits").
"""

from __future__ import annotations

import os

# DuckDB spills to disk beyond this: 2.5 GB, or two fifths of the machine's memory where that is more, so a
# million persons stay within a laptop and ten million use the memory a larger machine has before spilling.
# RISKCHECK_MEMORY_LIMIT (e.g. `6GB`) sets it for one run.
MIN_MEMORY_MB = 2500


def _physical_mb() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20)
    except (ValueError, OSError, AttributeError):
        return 0


MEMORY_LIMIT = os.environ.get("RISKCHECK_MEMORY_LIMIT") or f"{max(MIN_MEMORY_MB, _physical_mb() * 2 // 5)}MB"
# And spills no more than this: a rule that joins records without a link between them fails with a
# message naming it instead of filling the disk. RISKCHECK_SPILL_LIMIT sets it for one run.
SPILL_LIMIT = os.environ.get("RISKCHECK_SPILL_LIMIT") or "16GB"
# Where it spills: a folder of its own under the system's temporary folder (TMPDIR), not the working folder;
# DuckDB removes it when the store closes. RISKCHECK_SPILL_DIR names another (a larger disk).
SPILL_DIR = os.environ.get("RISKCHECK_SPILL_DIR") or ""
