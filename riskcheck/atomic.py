"""Writing a file so that no reader ever sees half of it: the report, the cache's entries, a kept table.

The new content goes into a temporary file beside the target and is renamed over it only when whole; a failure
removes the temporary file and leaves the old content as it was. Renaming within one folder is atomic on POSIX,
so two runs writing the same file leave one whole version, never a mix.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; it replaces `path` when the block ends without error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """`data` as the whole of `path`; `mode` sets its permissions (a temporary file is made 0600)."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)
        if mode is not None:
            os.chmod(tmp, mode)
