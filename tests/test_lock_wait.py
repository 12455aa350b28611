"""Queueing on the run lock: it says what it waits for, keeps saying it, and gives up after
`max_wait`. The lock is held by a real second process."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from engine_fixtures import wait_for
from lakehouse_tui.core.lock import LockHolder, LockWaitExpired, RunLock, WaitNotice, is_held
from lakehouse_tui.errors import LockedError
from lock_holder import HeldLock


def _lock(path: Path, **options: object) -> RunLock:
    me = LockHolder("waiting-run", os.getpid(), "timer", time.time())
    return RunLock(path, me, wait=True, poll_interval=0.01, **options)  # type: ignore[arg-type]


def test_a_waiting_run_keeps_saying_what_it_waits_for(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    notices: list[WaitNotice] = []
    with HeldLock(path, "holding-run") as holder:
        lock = _lock(path, on_wait=notices.append, notice_every=0.05)
        waiter = threading.Thread(target=lock.acquire)
        waiter.start()
        try:
            wait_for(lambda: len(notices) >= 3, 30, "three notices")
            first, *later = list(notices)
            assert first.first and not first.done
            assert first.holder is not None and first.holder.run_id == "holding-run"
            assert first.holder.pid == holder.pid and first.holder.trigger == "tui"
            assert all(not n.first and not n.done for n in later)
            assert all(n.holder == first.holder for n in later)
            assert [n.waited for n in notices[:3]] == sorted(n.waited for n in notices[:3])
            assert waiter.is_alive()
        finally:
            holder.release()
            waiter.join(timeout=30)
    assert not waiter.is_alive()
    assert notices[-1].done and notices[-1].holder == first.holder
    assert is_held(path)  # ours now
    lock.release()
    assert not is_held(path)


def test_the_wait_gives_up_after_max_wait(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    notices: list[WaitNotice] = []
    with HeldLock(path, "holding-run"), pytest.raises(LockWaitExpired) as info:
        _lock(path, max_wait=0.2, on_wait=notices.append).acquire()
    assert isinstance(info.value, LockedError) and info.value.exit_code == 3
    assert info.value.holder is not None and info.value.holder.run_id == "holding-run"
    assert info.value.waited >= 0.2
    assert len(notices) == 1 and notices[0].first  # one notice; 30 s between the next ones
    # It left nothing behind: the lock is free and its record belongs to nobody.
    assert not is_held(path)
    with RunLock(path, LockHolder("next", os.getpid(), "cli", time.time())):
        assert is_held(path)


def test_without_wait_a_held_lock_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    with HeldLock(path, "holding-run"):
        lock = RunLock(path, LockHolder("second", os.getpid(), "cli", time.time()))
        with pytest.raises(LockedError) as info:
            lock.acquire()
    assert not isinstance(info.value, LockWaitExpired)
    assert "run holding-run (pid " in str(info.value) and "--wait" in str(info.value)


def test_the_lines_a_waiting_run_prints() -> None:
    from lakehouse_tui.runservice.headless_run import RunOptions, wait_notice

    holder = LockHolder("20261201-015900-abcdef", 4711, "tui", time.time())
    who = holder.describe()
    timer = RunOptions(
        job="transform_dbt_models",
        trigger="timer",
        wait=True,
        max_wait=7200.0,
        max_wait_source="[schedule] max_wait",
    )
    assert wait_notice(WaitNotice(holder, 0.01, first=True), timer) == (
        f"waiting for {who} to finish; giving up after 2h ([schedule] max_wait)"
    )
    assert wait_notice(WaitNotice(holder, 95.0, first=False), timer) == (
        f"still waiting for {who} to finish: 1m so far, giving up after 2h ([schedule] max_wait)"
    )
    assert wait_notice(WaitNotice(holder, 95.0, first=False, done=True), timer) == (
        f"{who} has finished; starting after waiting 1m"
    )
    forever = RunOptions(wait=True)
    assert wait_notice(WaitNotice(None, 0.0, first=True), forever) == (
        "waiting for another process to finish; no time limit"
    )
