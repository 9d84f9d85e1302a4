"""Measuring a command as a process of its own: what every benchmark here reports of a run.

One routine, so that every script's figures mean the same: wall seconds, peak resident memory and CPU
seconds (user and system, every thread), all from wait4 on the child, never from the benchmark's own
process. The scripts are run from bench/, which is then on the path: `from measuring import measure_cpu`.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path


def measure_cpu(cmd: list[str], log: Path | None = None) -> tuple[float, float, int, float]:
    """Run cmd; return (wall seconds, peak resident MB, exit code, CPU seconds). Its stderr goes to `log` if given.

    On a machine shared with other work a command waits for a core, so its wall time grows with the load
    while its CPU time hardly does: the CPU ratio of two commands is the one to trust there."""
    start = time.perf_counter()
    with open(log or os.devnull, "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
    return (time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status),
            usage.ru_utime + usage.ru_stime)
