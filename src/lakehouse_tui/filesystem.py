"""Our own directories and files on disk: private by default, and one-line errors when the
file system refuses them.

The state dir holds the run store (log lines, data values, check failures) and the generated
dbt profile; the data dir holds the warehouse. Both are created 0700 and everything in them
0600 (the CLI sets a umask of 077, so files made by SQLite, DuckDB and dbt are private too).
Existing state dirs and files are tightened when opened, since they are entirely ours; the
raw dir and a warehouse placed by the user keep the modes the user gave them.
"""

from __future__ import annotations

import errno
import os
import shlex
import stat
from pathlib import Path

from lakehouse_tui.errors import LakehouseError

PRIVATE_UMASK = 0o077
OTHERS = stat.S_IRWXG | stat.S_IRWXO


def short(path: object, limit: int = 120) -> str:
    """A path for a one-line message: over-long ones keep their start and their end."""
    text = str(path)
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2]}…{text[-(limit // 2 - 1) :]} ({len(text)} characters)"


def _file_in_the_way(path: Path) -> Path | None:
    """The first existing ancestor-or-self of `path` that is not a directory."""
    for candidate in (path, *path.parents):
        try:
            if candidate.exists() and not candidate.is_dir():
                return candidate
        except OSError:
            return None
    return None


def private_dir(path: Path, what: str, hint: str = "") -> Path:
    """Create `path` (and its parents) 0700; one-line LakehouseError when that is impossible.

    `what` names the directory for the message (e.g. "state dir"); `hint` says what to do.
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = _file_in_the_way(path) or path
        raise LakehouseError(
            f"cannot create the {what} {short(path)}: {short(blocker)} is a file, not a "
            f"directory; {hint or 'move that file away'}"
        ) from None
    except OSError as err:
        raise LakehouseError(
            f"cannot create the {what} {short(path)}: {describe(err)}"
            + (f"; {hint}" if hint else "")
        ) from None
    return path


def tighten(path: Path) -> None:
    """Remove group and other permissions from one of our files or dirs, if it has any."""
    try:
        mode = path.stat().st_mode
        if mode & OTHERS and path.stat().st_uid == os.getuid():
            path.chmod(stat.S_IMODE(mode) & ~OTHERS)
    except OSError:
        pass  # gone, or not ours: nothing to tighten


def describe(err: OSError) -> str:
    """An OSError as words, without Python's `[Errno n]` and repr of the path."""
    if err.errno == errno.ENOSPC:
        return "no space left on device"
    if err.errno == errno.ENAMETOOLONG:
        return "the path is too long for the file system"
    return (err.strerror or type(err).__name__).lower()


def os_error_line(err: OSError) -> str:
    """The CLI's line for an OSError no specific handler turned into a message."""
    where = err.filename if err.filename is not None else None
    target = f"{short(where)}: " if where is not None else ""
    return f"{target}{describe(err)}"


def readable_by_others(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))
    except OSError:
        return False


def secrets_path() -> Path:
    """The timer's secrets file: the systemd service reads it (`EnvironmentFile=`)."""
    from lakehouse_tui import paths

    return paths.config_dir() / "secrets.env"


def secrets_warning(path: Path) -> str | None:
    """One line when the secrets file can be read by other users, else None."""
    if not readable_by_others(path):
        return None
    return f"{path} can be read by other users; run: chmod 600 {shlex.quote(str(path))}"
