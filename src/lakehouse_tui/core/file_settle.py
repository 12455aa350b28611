"""Wait until the raw dir has settled: quiet for a while, and every parquet file complete.

The OS sensor (systemd `.path`, launchd `WatchPaths`) and `lakehouse-tui watch` fire on the
first file of a burst, often while it is still being written. Before a run they call `settle`,
which returns once nothing in the dir has changed for `quiet` seconds (names, sizes, mtimes of
every regular file, and the dir's own mtime, so a delete or rename counts too) and every
`*.parquet` file is complete: the magic `PAR1` at its start and at its end (the footer, which a
parquet writer puts last). A copy of 50 batches is then one run, and a half-copied file is
waited for instead of failing the raw asset. The quiet time counts from the newest mtime, so a
dir that has been quiet since before the sensor looked settles at once.

A file that never completes (a copy that died half way) does not block forever: after
`timeout` seconds `settle` returns with the file named in `incomplete`, and the run's raw scan
fails the raw asset with a message naming that file.

Only `os.scandir` and `os.stat`; no heavy imports (the watcher calls `snapshot` every poll).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

MAGIC = b"PAR1"
# name -> (size, mtime_ns); "." is the directory itself (its mtime moves on create/delete).
Snapshot = dict[str, tuple[int, int]]


def snapshot(raw_dir: Path) -> Snapshot:
    """Every regular file in the raw dir (not sub dirs) with its size and mtime."""
    found: Snapshot = {}
    try:
        with os.scandir(raw_dir) as entries:
            for entry in entries:
                try:
                    if entry.is_file():
                        info = entry.stat()
                        found[entry.name] = (info.st_size, info.st_mtime_ns)
                except FileNotFoundError:
                    continue  # removed while listed
        info = os.stat(raw_dir)
    except (FileNotFoundError, NotADirectoryError):
        return found
    found["."] = (0, info.st_mtime_ns)
    return found


def parquet_only(files: Mapping[str, tuple[int, int]]) -> Snapshot:
    """The part of a snapshot a run reads: what `watch` compares to decide to trigger."""
    return {name: state for name, state in files.items() if name.endswith(".parquet")}


def is_complete(path: Path) -> bool:
    """A parquet file starts and ends with PAR1; a partial copy lacks the footer."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
            handle.seek(0, os.SEEK_END)
            if handle.tell() < 12:  # magic, footer length, magic
                return False
            handle.seek(-4, os.SEEK_END)
            return head == MAGIC and handle.read(4) == MAGIC
    except OSError:
        return False


@dataclass(frozen=True)
class Settled:
    files: Snapshot  # the dir as it was when it settled
    waited: float  # seconds spent in settle
    incomplete: tuple[str, ...] = ()  # parquet files still incomplete at the timeout
    stopped: bool = False  # `stop` was set before the dir settled


@dataclass
class _Tracker:
    """Which files were already seen complete at which (size, mtime): read each once."""

    raw_dir: Path
    complete: dict[str, tuple[int, int]] = field(default_factory=dict)

    def incomplete(self, files: Snapshot) -> tuple[str, ...]:
        missing = []
        for name, state in parquet_only(files).items():
            if self.complete.get(name) == state:
                continue
            if is_complete(self.raw_dir / name):
                self.complete[name] = state
            else:
                missing.append(name)
        return tuple(sorted(missing))


def settle(
    raw_dir: Path,
    *,
    quiet: float,
    timeout: float,
    poll: float | None = None,
    stop: threading.Event | None = None,
    on_incomplete: Callable[[tuple[str, ...]], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    wall: Callable[[], float] = time.time,
) -> Settled:
    """Return once `raw_dir` has been unchanged for `quiet` seconds and all its parquet files
    are complete, or after `timeout` seconds (then `incomplete` names the files), or when
    `stop` is set (`stopped`). `on_incomplete` hears, once, which files it waits for when
    the dir is quiet but not all files are complete."""
    poll = poll if poll is not None else min(max(quiet / 4, 0.05), 0.5)
    stop = stop or threading.Event()
    tracker = _Tracker(raw_dir)
    start = clock()
    files = snapshot(raw_dir)
    # Quiet since the newest change we can see (mtimes are wall-clock times).
    newest = max((mtime for _, mtime in files.values()), default=0) / 1e9
    quiet_since = start - max(0.0, wall() - newest)
    told = False
    while True:
        now = clock()
        if now - quiet_since >= quiet:
            incomplete = tracker.incomplete(files)
            if not incomplete or now - start >= timeout:
                return Settled(files, now - start, incomplete)
            if on_incomplete is not None and not told:
                on_incomplete(incomplete)
                told = True
            wait = poll
        else:
            wait = min(poll, quiet - (now - quiet_since))
        if stop.wait(max(wait, 0.0)):
            return Settled(files, clock() - start, stopped=True)
        current = snapshot(raw_dir)
        if current != files:
            files, quiet_since = current, clock()
