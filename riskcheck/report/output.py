"""Writing files into the output folder, and nowhere else.

Every path is built from a checked name and verified to stay inside the output folder, and every
file is written to a temporary name first and renamed, so a crash never leaves half a report.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)
SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")


class OutputPathError(ValueError):
    """A name that would place a file outside the output folder."""


def safe_path(out_dir: Path, *parts: str) -> Path:
    for part in parts:
        if not SAFE_NAME.fullmatch(part) or ".." in part:
            raise OutputPathError(f"{part!r} is not a safe file name")
    root = out_dir.resolve()
    path = root.joinpath(*parts).resolve()
    if root not in path.parents:
        raise OutputPathError(f"{'/'.join(parts)!r} would lie outside {out_dir}")
    return path


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; reports are for sharing
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
