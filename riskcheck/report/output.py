"""Writing files into the output folder, and nowhere else, a case's files as one set.

Every path is built from a checked name and verified to stay inside the output folder. A case's
files are written into a staging folder and swapped in together, so a full disk or a killed run
never leaves a new findings.json beside an old report.html; leftovers of a killed run are put
right by the next one. One run at a time may write to an output folder (a lock file says so).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from riskcheck.atomic import write_atomic
from riskcheck.errors import RiskcheckError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, runs are not guarded
    fcntl = None  # type: ignore[assignment]  # the module's stand-in where it does not exist; checked before use

_UMASK = os.umask(0)
os.umask(_UMASK)
SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
STAGING, REPLACED = ".staging-", ".replaced-"
LOCK_NAME = ".riskcheck.lock"


class OutputPathError(RiskcheckError, ValueError):
    """A name that would place a file outside the output folder."""


class OutputBusyError(RiskcheckError, RuntimeError):
    """Another run is writing to the same output folder."""


def _check_name(name: str) -> None:
    if not SAFE_NAME.fullmatch(name) or ".." in name:
        raise OutputPathError(f"{name!r} is not a safe file name")


def safe_path(out_dir: Path, *parts: str) -> Path:
    for part in parts:
        _check_name(part)
    root = out_dir.resolve()
    path = root.joinpath(*parts).resolve()
    if root not in path.parents:
        raise OutputPathError(f"{'/'.join(parts)!r} would lie outside {out_dir}")
    return path


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write through a temporary file beside the target, so a reader never sees half a file."""
    write_atomic(path, data, mode=0o666 & ~_UMASK)  # reports are for sharing


def write_staged(folder: Path, name: str, data: bytes) -> None:
    """`data` as the file `name` of `folder`, a folder the caller made inside a case's staging folder
    (case_folder), written in place: nothing reads a staging folder before it is swapped in whole, and a failure
    removes it with all it holds, so the temporary file and rename of write_bytes buy nothing there. A national
    case writes a thousand person pages into one; each written through a temporary file, its path resolved
    anew, they took a tenth of the time to write its report."""
    _check_name(name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(folder / name, flags, 0o666 & ~_UMASK), "wb") as handle:  # reports are for sharing
        handle.write(data)


def link_staged(kept: Path, folder: Path, name: str, data: bytes) -> None:
    """The file `name` of `folder` (as write_staged) with the content `data`, which the last run's file `kept`
    was read to hold: a link to that file where the folder's file system allows one, the link reads back as
    `data` and the file is as this run would write it (its permissions those write_staged gives, its owner this
    process's user), else written. A re-run copies a thousand unchanged person pages; linked, they are not
    written again, and the last run's report, removed once the new one is in place, frees no page they share."""
    _check_name(name)
    target = folder / name
    try:
        os.link(kept, target, follow_symlinks=False)
        info = os.lstat(target)
        if (stat.S_ISREG(info.st_mode)  # a file, not a link to one
                and stat.S_IMODE(info.st_mode) == 0o666 & ~_UMASK  # a page made private since is not shared again
                and info.st_uid == getattr(os, "getuid", lambda: info.st_uid)()):
            with open(target, "rb") as handle:
                if handle.read(len(data) + 1) == data:
                    return
        target.unlink()  # changed since it was read, or not as this run writes it: written from what was read
    except OSError:
        target.unlink(missing_ok=True)
    write_staged(folder, name, data)


@contextmanager
def case_folder(out_dir: Path, case_id: str) -> Iterator[Path]:
    """Yield an empty staging folder for one case's files; on success it replaces OUT/<case> as a whole.

    On an error the staging folder is removed and the earlier files stay as they were.
    """
    final = safe_path(out_dir, case_id)
    staging = final.parent / (STAGING + case_id)
    replaced = final.parent / (REPLACED + case_id)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    os.chmod(staging, 0o777 & ~_UMASK)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finish_removals()  # the folder of a case written before, set aside under a name used again here
    if final.exists():
        shutil.rmtree(replaced, ignore_errors=True)
        os.replace(final, replaced)
    os.replace(staging, final)
    if replaced.exists():
        _remove_later(replaced)


_REMOVING: list[threading.Thread] = []


def _remove_later(folder: Path) -> None:
    """Remove a case's earlier files, set aside once the new ones are in place, in a thread of their own: a
    national case's thousand pages took one to two seconds to remove on a file system that frees space as it
    goes, and the run has its index and its cache to write meanwhile. finish_removals() waits for it (the run
    does before it ends; Python waits for the thread at exit in any case), and a killed run's leftover is
    removed by the next run's tidy()."""
    thread = threading.Thread(target=shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True},
                              name=f"riskcheck: removing {folder.name}")
    thread.start()
    _REMOVING.append(thread)


def finish_removals() -> None:
    """Wait until the earlier files of every case written are removed."""
    while _REMOVING:
        _REMOVING.pop().join()


def tidy(out_dir: Path) -> None:
    """Put right what a killed run left: restore a case caught between its two renames, drop the rest."""
    if not out_dir.is_dir():
        return
    for path in sorted(out_dir.iterdir()):
        name = path.name
        if name.startswith(REPLACED):
            final = out_dir / name[len(REPLACED):]
            if not final.exists() and SAFE_NAME.fullmatch(final.name):
                os.replace(path, final)
            else:
                shutil.rmtree(path, ignore_errors=True)
        elif name.startswith(STAGING) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
    for tmp in out_dir.glob("**/.tmp-*"):
        if tmp.is_file():
            tmp.unlink()


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold OUT/.riskcheck.lock for the run; raise OutputBusyError if another run holds it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(out_dir / LOCK_NAME, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputBusyError(f"another riskcheck run is writing to {out_dir}; wait for it to finish "
                                  "or choose another --out") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
