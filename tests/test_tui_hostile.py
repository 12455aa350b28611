# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""Pilot tests of the TUI against what it did not write: a loader that raises leaves the app
running with one message, and markup in file names, messages and log lines is shown as text."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import RichLog, Static

from lakehouse_tui import config as config_module
from lakehouse_tui.core.store import RunStore
from lakehouse_tui.tui.app import LakehouseApp
from lakehouse_tui.tui.screens.confirm_run import ConfirmRun
from lakehouse_tui.tui.screens.runs import RunsScreen
from lakehouse_tui.tui.widgets.asset_detail import AssetDetail
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.log_view import LogView
from lakehouse_tui.tui.widgets.run_panel import RunPanel
from tui_fixtures import (  # noqa: F401
    Lake,
    anyio_backend,
    forget_run,
    lake,
    materialize,
    seed_failed_run,
    settle,
)

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

HOSTILE_FILE = "[x=1 y=].parquet"
HOSTILE_MESSAGE = "Airbyte job 7 failed: [/] oops [bold]not bold[/bold]"


def shown_text(widget: Widget) -> str:
    region = Region(0, 0, widget.size.width, widget.size.height)
    return "\n".join(strip.text for strip in widget.render_lines(region))


def log_text(log: RichLog | LogView) -> str:
    if isinstance(log, LogView):
        return "\n".join(strip.text for strip in log.log_lines.strips)
    return "\n".join(line.text for line in log.lines)


def notifications(app: LakehouseApp) -> list[str]:
    return [n.message for n in app._notifications]


async def select(pilot: Pilot[object], app: LakehouseApp, key: str) -> None:
    tree = app.query_one("#tree", AssetTree)
    tree.move_cursor(tree.nodes_by_key[key])
    await settle(pilot)


@pytest.fixture
def corrupt_compiled_sql(lake: Lake) -> Iterator[Path]:
    """dim_batch's compiled SQL (read by the details loader) made undecodable, then restored."""
    target = lake.root / "state" / "lakehouse-tui" / "dbt" / "target" / "compiled"
    (path,) = target.glob("*/**/dim_batch.sql")
    before = path.read_bytes()
    path.write_bytes(b"select \xff\xfe from nowhere")
    yield path
    path.write_bytes(before)


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
async def test_a_loader_that_raises_leaves_the_app_running(
    lake: Lake, corrupt_compiled_sql: Path, debug: bool
) -> None:
    app = LakehouseApp(config_module.load(None), debug=debug)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await select(pilot, app, "dim_batch")  # the details worker raises UnicodeDecodeError
        assert app.is_running and app.return_code is None
        errors = [m for m in notifications(app) if m.startswith("Could not load")]
        assert len(errors) == 1, notifications(app)
        assert errors[0].startswith("Could not load the asset's details: UnicodeDecodeError: ")
        log = app.config.state_dir / "tui-debug.log"
        if debug:
            assert errors[0].endswith(f"(traceback in {log})")
            assert "Traceback (most recent call last)" in log.read_text(encoding="utf-8")
        else:
            assert errors[0].endswith("(run with --debug for the traceback)")
        # Still usable: other assets load, keys work.
        await select(pilot, app, "stg_bioreactor")
        detail = app.query_one("#detail", AssetDetail)
        assert detail.details is not None and detail.details.key == "stg_bioreactor"
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("escape")
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmRun)
        await pilot.press("n")
    if debug:
        log.unlink()


@pytest.fixture
def hostile_lake(lake: Lake) -> Iterator[Lake]:
    """A raw file whose name is markup, and a failed run whose messages and logs are markup;
    both removed afterwards and the raw asset re-materialized."""
    bad_file = lake.raw_dir / HOSTILE_FILE
    bad_file.write_bytes(b"not parquet at all")
    store = RunStore(lake.store_path)
    run_id = "20260101-000000-hostile"
    selection = "airbyte_historian [/] oops"
    failed = [("dim_batch", "dbt duckdb", "failed", HOSTILE_MESSAGE)]
    seed_failed_run(store, run_id, selection, failed, HOSTILE_MESSAGE)
    store.add_logs([(run_id, "dim_batch", time.time(), "error", f"log line {HOSTILE_MESSAGE}")])
    try:
        yield lake
    finally:
        bad_file.unlink(missing_ok=True)
        forget_run(store, run_id)
        store.close()
        materialize(lake, "stale")


async def test_markup_in_file_names_messages_and_logs_is_shown_as_text(hostile_lake: Lake) -> None:
    app = LakehouseApp(config_module.load(None), warm_runs=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        # The failed run's message in the asset's Logs tab.
        await select(pilot, app, "dim_batch")
        await pilot.press("5")
        await settle(pilot)
        logs = log_text(app.query_one("#logs-log", LogView))
        assert f"dim_batch failed — {HOSTILE_MESSAGE}" in logs
        assert f"log line {HOSTILE_MESSAGE}" in logs
        # The runs screen: the table, the timeline and the run's logs.
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        assert HOSTILE_MESSAGE in shown_text(screen.query_one("#run-timeline", Static))
        assert f"dim_batch: log line {HOSTILE_MESSAGE}" in log_text(
            screen.query_one("#run-logs", LogView)
        )
        assert "airbyte_historian [/] oops" in shown_text(screen.query_one("#runs-table"))
        await pilot.press("escape")
        # A run of ours that fails on the file: the panel and the notification.
        await select(pilot, app, "raw_bioreactor_data")
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("y")
        panel = app.query_one("#run-panel", RunPanel)
        deadline = time.monotonic() + 120
        while app.child is not None or panel.running:
            assert time.monotonic() < deadline, "the raw run did not finish"
            await pilot.pause(0.02)
        await settle(pilot)
        assert app.is_running and panel.outcome == "failed"
        # The run log wraps long lines (a path is cut at a space): read it unwrapped.
        unwrapped = log_text(panel.query_one("#run-log", RichLog)).replace("\n", "")
        assert HOSTILE_FILE in unwrapped
        assert any(HOSTILE_FILE in m for m in notifications(app)), notifications(app)
        await pilot.press("5")  # the raw asset's Logs tab names the file too
        await settle(pilot)
        assert HOSTILE_FILE in log_text(app.query_one("#logs-log", LogView))
