"""What a failing SQLite call on the run store means to the user, in one line.

A full state dir, a file that is not (or no longer) a SQLite database, a store that cannot
be opened: each becomes a `StoreError` naming the file and what to do, instead of an
`sqlite3.OperationalError` traceback (or, inside dbt's callbacks, a hung run).
"""

from __future__ import annotations

import shlex
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lakehouse_tui.errors import StoreError
from lakehouse_tui.filesystem import short

# Below this much free space an SQLite I/O error is taken to be the full disk it usually is.
NEARLY_FULL = 1 << 20


def _free_bytes(directory: Path) -> int | None:
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return None


def recovery_command(path: Path) -> str:
    """The exact `mv` that moves a broken store (and its WAL files) aside, keeping them."""
    moves = [f"mv {shlex.quote(str(path))} {shlex.quote(str(path) + '.corrupt')}"]
    for suffix in ("-wal", "-shm"):
        companion = Path(f"{path}{suffix}")
        if companion.exists():
            target = f"{path}.corrupt{suffix}"
            moves.append(f"mv {shlex.quote(str(companion))} {shlex.quote(target)}")
    return " && ".join(moves)


def no_space(directory: Path) -> StoreError:
    return StoreError(
        f"no space left on device under {short(directory)}; free some space there and run again"
    )


def translate(err: sqlite3.Error, path: Path) -> StoreError:
    name = getattr(err, "sqlite_errorname", "") or ""
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    free = _free_bytes(path.parent)
    if name == "SQLITE_FULL" or (
        name.startswith("SQLITE_IOERR") and free is not None and free < NEARLY_FULL
    ):
        return no_space(path.parent)
    if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or name.startswith("SQLITE_CORRUPT"):
        return StoreError(
            f"{short(path)} is not a readable run store ({text}); move it aside and a new, "
            f"empty one is started on the next run (the old file is kept): "
            f"{recovery_command(path)}"
        )
    if name.startswith("SQLITE_CANTOPEN"):
        return StoreError(
            f"{short(path)}: cannot open the run store ({text}); check that it is a file "
            "you can write"
        )
    if name.startswith("SQLITE_READONLY"):
        return StoreError(f"{short(path)}: the run store is read-only; check its permissions")
    return StoreError(f"{short(path)}: run store error: {text}")


@contextmanager
def guard(path: Path) -> Iterator[None]:
    """Turn any sqlite3.Error raised inside into a one-line StoreError."""
    try:
        yield
    except sqlite3.Error as err:
        raise translate(err, path) from err
