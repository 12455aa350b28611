# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""Pilot tests of runs from the TUI against real child processes: cancel is recorded and shown
as cancelled, and a run started while another process holds the warehouse asks, queues behind
it (`--wait`), shows the other run as "elsewhere" and never mixes the two in the panel."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import RichLog

from airbyte_server import FakeAirbyte, running
from lakehouse_tui import config as config_module
from lakehouse_tui.core.lock import LockHolder, RunLock, is_held
from lakehouse_tui.core.store import RunStore
from lakehouse_tui.tui.app import LakehouseApp
from lakehouse_tui.tui.screens.confirm_run import ConfirmRun
from lakehouse_tui.tui.screens.run_blocked import RunBlocked
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.run_panel import RunPanel
from tui_fixtures import (  # noqa: F401
    Lake,
    airbyte_config,
    anyio_backend,
    lake,
    materialize,
    settle,
)

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

DEADLINE = 120.0  # seconds any wait below may take at most


@pytest.fixture
def airbyte() -> Iterator[FakeAirbyte]:
    with running() as fake:
        fake.add_connection("historian")
        fake.hold = True  # a job stays `running` until `release` is set: a run that waits
        yield fake


async def until(pilot: Pilot[object], condition: object, what: str) -> None:
    """Wait (pausing the pilot, never sleeping) until `condition()` holds, or fail."""
    deadline = time.monotonic() + DEADLINE
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.02)


def panel_text(panel: RunPanel) -> str:
    log = panel.query_one("#run-log", RichLog)
    return "\n".join(line.text for line in log.lines)


async def test_runs_started_elsewhere_show_up_live(lake: Lake) -> None:
    app = LakehouseApp(config_module.load(None), poll_interval=0.2)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        panel = app.query_one("#run-panel", RunPanel)
        before = app.state.signature if app.state else None
        child = subprocess.Popen(
            [sys.executable, "-m", "lakehouse_tui", "--materialize", "dim_batch"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # The poller notices the new run and follows it from the store.
            for _ in range(1200):
                if panel.external and panel.run_id:
                    break
                if child.poll() is not None and app.state and app.state.signature != before:
                    break
                await pilot.pause(0.025)
            assert child.wait(timeout=120) == 0
            for _ in range(400):
                await pilot.pause(0.025)
                if app.state and app.state.signature != before and not panel.running:
                    break
        finally:
            if child.poll() is None:
                child.terminate()
        assert app.state is not None and app.state.signature != before
        assert not panel.running
        # Followed live from the store: the child needs seconds, the poll runs every 0.2 s.
        seen = f"external={panel.external} outcome={panel.outcome} {panel.done}/{panel.total}"
        assert panel.external and panel.outcome == "succeeded", seen
        assert panel.done == panel.total == 1, seen


async def test_cancel_shows_the_run_and_unfinished_assets_as_cancelled(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, airbyte: FakeAirbyte
) -> None:
    store = RunStore(lake.store_path)
    app = LakehouseApp(config_module.load(airbyte_config(tmp_path, airbyte.url, monkeypatch)))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            tree = app.query_one("#tree", AssetTree)
            tree.move_cursor(tree.nodes_by_key["airbyte_historian"])
            await settle(pilot)
            await pilot.press("d")  # the connection and everything downstream of it
            await pilot.pause()
            assert isinstance(app.screen, ConfirmRun)
            await pilot.press("y")
            panel = app.query_one("#run-panel", RunPanel)
            # The sync is held by the server: the run is surely going when we cancel.
            await until(
                pilot, lambda: "airbyte_historian" in panel.progress.running, "the sync to start"
            )
            await pilot.press("c")
            await until(pilot, lambda: app.child is None, "the runner to exit")
            await settle(pilot)
            assert not panel.running and panel.outcome == "cancelled"
            shown = panel_text(panel)
            assert "⊘ airbyte_historian cancelled" in shown
            assert "✗" not in shown and "failed" not in shown, shown
            run = store.get_run(panel.run_id)
            assert run is not None and run.status == "cancelled"
            assets = {a.asset_key: a.status for a in store.run_assets(panel.run_id)}
            assert len(assets) == 7 and set(assets.values()) == {"cancelled"}, assets
            # The tree: a cancelled asset is stale (or never materialized), never ✗ failed.
            for key in assets:
                assert tree.status_of(key) in ("stale", "never"), (key, tree.status_of(key))
                assert not tree.nodes_by_key[key].label.plain.startswith("✗"), key
    finally:
        store.close()
        materialize(lake, "stale")  # leave the shared lake materialized


async def test_a_held_warehouse_asks_and_names_the_other_run(lake: Lake) -> None:
    app = LakehouseApp(config_module.load(None))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        started = time.time() - 90
        holder = LockHolder("run-held-by-test", os.getpid(), "timer", started)
        with RunLock(lake.root / "state" / "lakehouse-tui" / "run.lock", holder):
            await pilot.press("a")
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
            assert isinstance(app.screen, RunBlocked)
            text = app.screen.message
            since = time.strftime("%H:%M:%S", time.localtime(started))
            assert f"run run-held-by-test (trigger timer, pid {os.getpid()}, since {since}" in text
            assert "--wait" not in text  # no CLI advice in the TUI
            await pilot.press("n")
            await pilot.pause()
            assert not isinstance(app.screen, RunBlocked)
            assert app.child is None  # nothing started
            assert app.query_one("#run-panel", RunPanel).has_class("-hidden")
            assert any("Not started: *" in n.message for n in app._notifications)


async def test_a_queued_run_starts_when_the_cli_run_that_holds_the_lock_ends(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, airbyte: FakeAirbyte
) -> None:
    store = RunStore(lake.store_path)
    lock_path = lake.root / "state" / "lakehouse-tui" / "run.lock"
    config = airbyte_config(tmp_path, airbyte.url, monkeypatch)
    # A real CLI run that holds the lock as long as the Airbyte server holds its sync.
    argv = ["--config", str(config), "--materialize", "airbyte_historian", "--trigger", "cli"]
    cli = subprocess.Popen(
        [sys.executable, "-m", "lakehouse_tui", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        app = LakehouseApp(config_module.load(None), poll_interval=0.2)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)

            def cli_run_id() -> str | None:
                last = store.last_run()
                ok = last is not None and last.pid == cli.pid and last.status == "running"
                return last.id if ok and is_held(lock_path) else None

            await until(pilot, cli_run_id, "the CLI run to hold the lock")
            other = cli_run_id()
            tree = app.query_one("#tree", AssetTree)
            tree.move_cursor(tree.nodes_by_key["dim_batch"])
            await settle(pilot)
            await pilot.press("m")
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
            assert isinstance(app.screen, RunBlocked), "the modal names the other run"
            assert f"run {other}: airbyte_historian (trigger cli, pid {cli.pid}," in (
                app.screen.message
            )
            await pilot.press("w")  # queue behind it
            await pilot.pause()
            panel = app.query_one("#run-panel", RunPanel)
            assert app.child is not None and app.child.request.wait
            # The other run's live progress, as "elsewhere", with ours as a note under it.
            await until(pilot, lambda: panel.shows(other), "the panel to follow the CLI run")
            assert panel.external and panel.queued
            assert "elsewhere run" in str(panel.query_one("#run-summary").render())
            seen: list[tuple[str, bool, int, int]] = []

            def ours_done() -> bool:
                seen.append((panel.run_id, panel.external, panel.done, panel.total))
                return app.child is None

            airbyte.release.set()  # the CLI run finishes; ours takes the lock and runs
            await until(pilot, ours_done, "our queued run to finish")
            await settle(pilot)
            assert cli.wait(timeout=DEADLINE) == 0, cli.stderr.read() if cli.stderr else ""
            assert panel.outcome == "succeeded" and not panel.external
            assert panel.run_id and panel.run_id != other
            assert panel.done == panel.total == 1
            ours = store.get_run(panel.run_id)
            first = store.get_run(str(other))
            assert ours is not None and first is not None and first.ended_at is not None
            assert (ours.trigger, ours.selection, ours.status) == ("tui", "dim_batch", "succeeded")
            assert ours.started_at >= first.ended_at  # it waited for the CLI run
            # Never two runs in one panel: the other run's id and assets are not in ours.
            shown = panel_text(panel)
            assert str(other) not in shown and "airbyte_historian" not in shown, shown
            for run_id, external, done, total in seen:
                assert (run_id == other) == external or not run_id, seen
                assert done <= max(total, 1), seen
    finally:
        if cli.poll() is None:
            airbyte.release.set()
            cli.wait(timeout=DEADLINE)
        store.close()
        materialize(lake, "stale")  # leave the shared lake materialized


async def test_a_queued_run_can_be_cancelled_while_it_waits(lake: Lake) -> None:
    store = RunStore(lake.store_path)
    before = {r.id for r in store.runs(500)}
    app = LakehouseApp(config_module.load(None))
    holder = LockHolder("run-held-by-test", os.getpid(), "cli", time.time())
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        with RunLock(lake.root / "state" / "lakehouse-tui" / "run.lock", holder):
            await pilot.press("a", "y")
            await pilot.pause()
            assert isinstance(app.screen, RunBlocked)
            await pilot.press("w")
            panel = app.query_one("#run-panel", RunPanel)
            await until(pilot, lambda: panel.queued and app.child is not None, "the queued run")
            assert "queued" in str(panel.query_one("#run-summary").render())
            child = app.child
            assert child is not None and child.process is not None  # waiting on the lock
            pid = child.process.pid
            # The runner polls the lock (bounded by max_wait) and says what it waits for.
            await until(
                pilot,
                lambda: any("waiting for run" in line for line in child.stderr_lines),
                f"the runner (pid {pid}) to wait on the lock",
            )
            await pilot.press("c")
            await until(pilot, lambda: app.child is None, "the queued runner to exit")
            await settle(pilot)
        assert child.process.returncode == 130
        assert not panel.running and panel.outcome == "cancelled"
        assert "cancelled before it started" in panel_text(panel)
    assert {r.id for r in store.runs(500)} == before  # it never ran
    store.close()
