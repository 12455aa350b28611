# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""Pilot tests of the TUI's warm executor: runs go to it, cancel and crashes replace it, and
the one-shot child process takes over while it is not ready."""

from __future__ import annotations

import asyncio
import gc
import os
import signal

import pytest
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from lakehouse_tui import config as config_module
from lakehouse_tui.core.store import RunStore
from lakehouse_tui.runservice.child import ChildRun, RunRequest, WarmClient, WarmRun
from lakehouse_tui.tui.app import LakehouseApp, create_app
from lakehouse_tui.tui.widgets.run_panel import RunPanel
from tui_fixtures import Lake, anyio_backend, lake, settle  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


def make_app() -> LakehouseApp:
    return create_app(config_module.load(None), warm_runs=True)


async def warm_ready(app: LakehouseApp) -> WarmClient:
    assert app.warm is not None
    assert await asyncio.to_thread(app.warm.wait_ready, 120), list(app.warm.stderr_lines)
    return app.warm


async def run_to_end(pilot: Pilot[object], app: LakehouseApp, selection: str) -> RunPanel:
    app.start_run(RunRequest(selection=selection))
    await app.workers.wait_for_complete()
    await settle(pilot)
    return app.query_one("#run-panel", RunPanel)


def notifications(app: LakehouseApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_runs_go_to_the_warm_executor_and_cancel_replaces_it(lake: Lake) -> None:
    store = RunStore(lake.store_path)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        warm = await warm_ready(app)
        pid = warm.pid
        panel = await run_to_end(pilot, app, "dim_batch")
        assert panel.outcome == "succeeded"
        record = store.get_run(panel.run_id)
        assert record is not None and record.pid == pid and record.trigger == "tui"

        # cancel: SIGTERM to the warm executor; the run is recorded cancelled
        app.start_run(RunRequest(selection="*"))
        assert isinstance(app.child, WarmRun)
        for _ in range(1200):
            if panel.run_id and panel.run_id != record.id:
                break
            await pilot.pause(0.025)
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert not panel.running and panel.outcome == "cancelled"
        cancelled = store.get_run(panel.run_id)
        assert cancelled is not None and cancelled.status == "cancelled"

        # a fresh executor serves the next run
        await warm_ready(app)
        assert warm.pid != pid
        panel = await run_to_end(pilot, app, "dim_batch")
        assert panel.outcome == "succeeded"
        last = store.get_run(panel.run_id)
        assert last is not None and last.pid == warm.pid
    store.close()


async def test_a_crashed_executor_is_reported_and_runs_fall_back(lake: Lake) -> None:
    store = RunStore(lake.store_path)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        warm = await warm_ready(app)
        pid = warm.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        for _ in range(1200):
            if any("warm executor exited" in text for text in notifications(app)):
                break
            await pilot.pause(0.025)
        assert any("signal 9" in text for text in notifications(app)), notifications(app)

        # While the replacement starts, a run goes to a one-shot child process.
        assert not warm.ready
        app.start_run(RunRequest(selection="dim_batch"))
        assert isinstance(app.child, ChildRun)
        await pilot.pause()  # notify() posts a message
        assert any("not ready" in text for text in notifications(app)), notifications(app)
        await app.workers.wait_for_complete()
        await settle(pilot)
        panel = app.query_one("#run-panel", RunPanel)
        assert panel.outcome == "succeeded"
        child_run = store.get_run(panel.run_id)
        assert child_run is not None and child_run.pid not in (pid, warm.pid)

        await warm_ready(app)
        assert warm.pid != pid
        panel = await run_to_end(pilot, app, "dim_batch")
        assert panel.outcome == "succeeded"
    store.close()


async def test_runs_leave_no_dead_footer_keys_behind(lake: Lake) -> None:
    """Textual's Footer kept every key it ever showed (AppFooter drops them): about 35
    widgets per run, which grew the TUI by 0.5 MB a run."""
    earlier = {id(o) for o in gc.get_objects() if isinstance(o, FooterKey)}
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await warm_ready(app)
        for _ in range(3):
            panel = await run_to_end(pilot, app, "dim_batch")
            assert panel.outcome == "succeeded"
        gc.collect()
        keys = [o for o in gc.get_objects() if isinstance(o, FooterKey) and id(o) not in earlier]
        assert keys, "the footer shows keys"
        assert [key for key in keys if not key.is_attached] == []
