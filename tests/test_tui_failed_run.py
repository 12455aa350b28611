"""A failed run explains itself (#14 2.8): the run panel says what failed and why and what was
blocked, a step whose models were blocked is never "succeeded", and the Overview of a blocked
asset names the check that blocked it. A real lake, a real bad batch, real runs; snapshots of
the panel at 80x24 and 160x48 render the events of a real failed run (ids and times fixed)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import RichLog, Static

from engine_fixtures import Lake, make_lake
from lakehouse_tui import config as config_module
from lakehouse_tui.core.run_events import RunEvent
from lakehouse_tui.tui.app import LakehouseApp
from lakehouse_tui.tui.screens.confirm_run import ConfirmRun
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.run_panel import RunPanel
from test_write_audit_publish import bad_batch
from tui_fixtures import FIXED_NOW, anyio_backend, normalize_store, settle  # noqa: F401

pytestmark = [pytest.mark.slow]

FACT = "fact_bioreactor_batch_stats"
MART = "mart_bioreactor_overview"
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


def plain(renderable: object) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def log_text(log: RichLog) -> str:
    """The run log's text, unwrapped (the panel wraps long lines at a space)."""
    return "".join(strip.text for strip in log.lines)


@pytest.fixture
def bad_lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    """Materialized once, then a batch that fails a blocking check on the fact table."""
    lake = make_lake(monkeypatch, tmp_path / "lake")
    lake.demo()
    assert lake.cli("--materialize", "*").code == 0
    bad_batch(lake)
    monkeypatch.setenv("LAKEHOUSE_TUI_CONFIG", str(lake.config_path))
    monkeypatch.setenv("LAKEHOUSE_TUI_RAW_DIR", str(lake.raw_dir))
    return lake


def make_app(**options: Any) -> LakehouseApp:
    return LakehouseApp(
        config_module.load(None), offer_sample_data=False, warm_runs=False, **options
    )


@pytest.mark.anyio
async def test_a_failed_run_says_what_failed_why_and_what_was_blocked(bad_lake: Lake) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmRun)
        await pilot.press("y")
        panel = app.query_one("#run-panel", RunPanel)
        deadline = time.monotonic() + 180
        while panel.running or not panel.outcome:
            assert time.monotonic() < deadline, "the run did not finish"
            await pilot.pause(0.05)
        await settle(pilot)
        assert panel.outcome == "failed"
        log = log_text(panel.query_one("#run-log", RichLog))
        assert "dbt duckdb succeeded" not in log  # the step's models were blocked
        assert "✗ dbt duckdb: " in log
        check = f"accepted_values_{FACT}_tag"  # the check's name goes on: __temperature__ph...
        assert f"failed: {FACT}: check {check}" in log, log
        assert f"on {FACT}: fail (" in log and f"  check {check}" in log, log
        assert f"blocked: {MART}" in log and f"({FACT} failed check accepted_values" in log, log
        body = plain(panel.query_one("#run-current", Static).content)
        assert body.startswith(f"failed: {FACT}")  # the cause first, under the summary

        tree = app.query_one("#tree", AssetTree)
        tree.move_cursor(tree.nodes_by_key[MART])
        await settle(pilot)
        overview = plain(app.query_one("#overview-body", Static).content)
        assert f"blocked by check {check}" in overview and f" on {FACT}" in overview
        rows = [line.split() for line in overview.splitlines() if line.strip()]
        assert not any(row[0] == "stale" for row in rows), overview  # the cause, not "stale:"


def failed_run_events(lake: Lake) -> list[RunEvent]:
    """The events a real failed run printed (`--json`), with its id and times fixed."""
    result = lake.cli("--materialize", "*", "--json")
    assert result.code == 1, result.err
    events = []
    for raw in result.json_lines():
        event = RunEvent.from_dict(raw)
        assert event is not None
        data = {k: (1.5 if k == "duration" else v) for k, v in event.data.items()}
        events.append(replace(event, run_id="20261202-020000-abcdef", ts=FIXED_NOW, data=data))
    return events


@pytest.mark.parametrize("size", SIZES)
def test_failed_run_panel(
    bad_lake: Lake,
    snap_compare,  # type: ignore[no-untyped-def]
    size: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = failed_run_events(bad_lake)
    normalize_store(bad_lake.store_path)
    monkeypatch.setenv("HOME", str(bad_lake.root))  # paths on screen: ~/raw
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        panel = pilot.app.query_one("#run-panel", RunPanel)
        panel.remove_class("-hidden")  # shown first, as the run controller does
        await settle(pilot)
        panel.begin("*")
        for event in events:
            panel.feed(event)
        await settle(pilot)

    app = make_app(clock=lambda: FIXED_NOW, poll_interval=3600)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
