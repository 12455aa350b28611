"""One writer at a time: a cross-process lock around every run.

An advisory `flock` on `<state>/run.lock`. The kernel drops it when the holder dies, even on
kill -9, so a crashed run never leaves a stale lock behind. While held, the file contains a
JSON description of the holder so a second run can say who is running.

A run asked to wait polls the lock (a blocking `flock` could not give up after `max_wait`,
nor say every so often what it is still waiting for); `on_wait` hears about the wait when it
starts, every `notice_every` seconds and when the holder changes.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shlex
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

from lakehouse_tui.errors import LakehouseError, LockedError
from lakehouse_tui.filesystem import describe, private_dir, short, tighten


@dataclass(frozen=True)
class LockHolder:
    run_id: str
    pid: int
    trigger: str
    started_at: float

    def describe(self) -> str:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started_at))
        return f"run {self.run_id} (pid {self.pid}, trigger {self.trigger}, started {started})"


@dataclass(frozen=True)
class WaitNotice:
    """What a waiting run is waiting for: the holder (None when its record is unreadable),
    seconds waited so far, whether this is the first notice of the wait, and whether the wait
    is over."""

    holder: LockHolder | None
    waited: float
    first: bool
    done: bool = False  # the lock is ours now


class LockWaitExpired(LockedError):
    """The lock stayed held for all of `max_wait`."""

    def __init__(self, holder: LockHolder | None, waited: float) -> None:
        who = holder.describe() if holder else "another process"
        super().__init__(f"{who} still holds the warehouse after {waited:.0f} s")
        self.holder = holder
        self.waited = waited


def read_holder(path: Path) -> LockHolder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "null")
        return LockHolder(**data) if data else None
    except (OSError, ValueError, TypeError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _unusable(path: Path, err: OSError) -> LakehouseError:
    """One line for a lock file we cannot open or write."""
    if isinstance(err, IsADirectoryError) or path.is_dir():
        return LakehouseError(
            f"{short(path)} is a directory, not the run lock file; remove it "
            f"(rmdir {shlex.quote(str(path))}) and run again"
        )
    if err.errno == errno.ENOSPC:
        return LakehouseError(
            f"no space left on device under {short(path.parent)}; free some space there and "
            "run again"
        )
    return LakehouseError(f"{short(path)}: cannot use the run lock file ({describe(err)})")


def is_held(path: Path) -> bool:
    """True when some process holds the lock right now."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError as err:
        raise _unusable(path, err) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the lock if we took it
    return False


class RunLock:
    """`with RunLock(path, holder, wait=False):` — raises LockedError naming the holder."""

    def __init__(
        self,
        path: Path,
        holder: LockHolder,
        *,
        wait: bool = False,
        max_wait: float | None = None,
        on_wait: Callable[[WaitNotice], None] | None = None,
        notice_every: float = 30.0,
        poll_interval: float = 0.1,
    ) -> None:
        self.path = path
        self.holder = holder
        self.wait = wait
        self.max_wait = max_wait  # None: wait as long as it takes
        self.on_wait = on_wait
        self.notice_every = notice_every
        self.poll_interval = poll_interval
        self._fd: int | None = None

    def acquire(self) -> None:
        private_dir(self.path.parent, "state dir", "set XDG_STATE_HOME to a directory")
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as err:
            raise _unusable(self.path, err) from None
        tighten(self.path)  # a lock file made by an older version was 0644
        try:
            self._try_lock(fd)
        except BlockingIOError:
            if not self.wait:
                os.close(fd)
                holder = read_holder(self.path)
                who = holder.describe() if holder else "another process"
                raise LockedError(
                    f"the warehouse is busy: {who} is running; "
                    "wait for it, or pass --wait to queue behind it"
                ) from None
            try:
                self._wait_for(fd)
            except BaseException:  # gave up, or Ctrl-C while queued
                os.close(fd)
                raise
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(asdict(self.holder)).encode(), 0)
        except OSError as err:
            os.close(fd)  # drops the lock again
            raise _unusable(self.path, err) from None
        self._fd = fd

    @staticmethod
    def _try_lock(fd: int) -> None:
        """Non-blocking lock; a lock found free of any holder is retried briefly, since
        `is_held` probes take it for an instant."""
        deadline = time.monotonic() + 0.5
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if os.pread(fd, 1, 0) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _wait_for(self, fd: int) -> None:
        """Poll until the lock is ours; LockWaitExpired after `max_wait` seconds."""
        started = time.monotonic()
        next_notice = started
        told: LockHolder | None = None
        notified = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pass
            else:
                if self.on_wait is not None and notified:
                    waited = time.monotonic() - started
                    self.on_wait(WaitNotice(told, waited, first=False, done=True))
                return
            now = time.monotonic()
            holder = read_holder(self.path)
            if self.max_wait is not None and now - started >= self.max_wait:
                raise LockWaitExpired(holder or told, now - started)
            changed = holder is not None and holder != told
            if self.on_wait is not None and (now >= next_notice or changed):
                self.on_wait(WaitNotice(holder or told, now - started, first=not notified))
                next_notice = now + self.notice_every
                notified = True
            told = holder or told
            pause = self.poll_interval
            if self.max_wait is not None:
                pause = min(pause, max(0.0, started + self.max_wait - now))
            time.sleep(pause)  # a held flock has no event to wait on

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
