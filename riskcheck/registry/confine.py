"""Which files a case may read: regular files inside the cases folder, each named literally.

A case folder comes from a stranger. A symlink in it may point anywhere on the machine, an
include may name a FIFO (reading it blocks for ever) or a device, and a file name may hold glob
characters that a reader such as DuckDB's read_csv would expand into other cases' files. Every
path is resolved and checked here before anything opens it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from riskcheck.errors import RiskcheckError

GLOB_CHARACTERS = frozenset("*?[]{}")


class Refused(RiskcheckError):
    """A path a case may not read; the message says why in words that name no outside path."""


def admit(path: Path, root: Path, want_dir: bool = False) -> Path:
    """The resolved path if it is a regular file (or folder) inside `root`; raise Refused otherwise."""
    try:
        resolved = path.resolve(strict=True)
    except FileNotFoundError:
        raise Refused("does not exist (or is a link to nothing)") from None
    except (OSError, RuntimeError) as exc:  # a loop of links, a permission problem
        raise Refused(f"cannot be opened ({getattr(exc, 'strerror', None) or 'a loop of links'})") from None
    if resolved != root and root not in resolved.parents:
        raise Refused("is a link to a place outside the cases folder; not read")
    try:
        mode = os.stat(resolved).st_mode
    except OSError as exc:
        raise Refused(f"cannot be opened ({exc.strerror})") from None
    if want_dir and stat.S_ISDIR(mode):
        return resolved
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise Refused("is not a regular file (a pipe, socket or device); not read")
    return resolved


def has_glob_characters(path: Path) -> bool:
    return any(ch in GLOB_CHARACTERS for ch in str(path))
