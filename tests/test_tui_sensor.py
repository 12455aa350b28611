# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""Issue 16 in the TUI: the "auto-materialize new batches" toggle (a real lake, a batch file
written in two halves, a real sensor-triggered run) and the overdue freshness glyph."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget

from engine_fixtures import extra_batch, make_lake
from lakehouse_tui import config as config_module
from lakehouse_tui.tui.app import LakehouseApp
from lakehouse_tui.tui.auto_materialize import TITLE_ON
from lakehouse_tui.tui.screens.message_box import MessageBox
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.run_panel import RunPanel
from tui_fixtures import Lake, anyio_backend, lake, settle  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

SENSOR = '[sensor]\nsettle = "0.3s"\npoll_interval = "0.1s"\n'


async def until(pilot: Pilot[Any], predicate: Callable[[], Any], what: str, timeout: float) -> Any:
    """Let the app run until `predicate` holds (polled with a deadline)."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        await pilot.pause(0.05)
    return value


def shown_text(widget: Widget) -> str:
    region = Region(0, 0, widget.size.width, widget.size.height)
    return "\n".join(strip.text for strip in widget.render_lines(region))


def notified(app: LakehouseApp, text: str) -> bool:
    return any(text in n.message for n in app._notifications)


async def test_auto_materialize_runs_new_batches_once_they_are_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = make_lake(monkeypatch, tmp_path / "lake", SENSOR)
    lake.demo()
    assert lake.cli("--materialize", "*").code == 0
    app = LakehouseApp(config_module.load(lake.config_path))  # runs go to the warm executor
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.warm is not None
        assert await asyncio.to_thread(app.warm.wait_ready, 120), list(app.warm.stderr_lines)
        warm_pid = app.warm.pid
        assert app.title == "lakehouse-tui" and not app.auto.on  # off by default
        await pilot.press("b")
        await pilot.pause()
        assert app.auto.on and app.title == TITLE_ON  # the header says so
        assert notified(app, "now run 'raw_bioreactor_data+'")

        whole = tmp_path / "whole.parquet"
        extra_batch(whole, "AUTO-01")
        data = whole.read_bytes()
        target = lake.raw_dir / "batch_AUTO-01.parquet"
        with target.open("wb") as handle:  # half a file: no parquet footer yet
            handle.write(data[: len(data) // 2])
        await until(pilot, lambda: notified(app, "to be complete"), "the wait for the file", 30)
        assert not [r for r in lake.runs() if r["trigger"] == "sensor"]  # nothing ran on half
        with target.open("ab") as handle:
            handle.write(data[len(data) // 2 :])

        def sensor_run() -> Any:
            assert not isinstance(app.screen, MessageBox), app.screen.message  # did not start
            runs = [r for r in lake.runs() if r["trigger"] == "sensor"]
            return runs[0] if runs and runs[0]["status"] != "running" else None

        run = await until(pilot, sensor_run, "the sensor-triggered run", 240)
        assert run["status"] == "succeeded", dict(run)
        assert run["selection"] == "raw_bioreactor_data+"
        assert run["pid"] == warm_pid  # the path every TUI run takes
        await until(pilot, lambda: app.child is None, "the run to be over in the TUI", 60)
        panel = app.query_one("#run-panel", RunPanel)
        assert panel.run_id == run["id"]
        assert ("AUTO-01",) in lake.query("select batch_id from curated.dim_batch")
        assert len([r for r in lake.runs() if r["trigger"] == "sensor"]) == 1  # one file: one run

        await pilot.press("b")
        await pilot.pause()
        assert not app.auto.on and app.title == "lakehouse-tui"


async def test_overdue_assets_have_a_glyph_and_colour(lake: Lake, tmp_path: Path) -> None:
    config_path = tmp_path / "config.toml"
    config_path.write_text('[freshness]\ndim_batch = "1m"\nstg_bioreactor = "100d"\n')
    now = time.time() + 3600  # an hour after the session lake's run: dim_batch is overdue
    app = LakehouseApp(config_module.load(config_path), clock=lambda: now)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree", AssetTree)
        label = tree.nodes_by_key["dim_batch"].label
        assert "⧖1h" in label.plain
        assert any("dark_orange" in str(span.style) for span in label.spans)
        assert "⧖" in tree.nodes_by_key["dbt_curated_models"].label.plain  # its group too
        assert "⧖" not in tree.nodes_by_key["stg_bioreactor"].label.plain
        assert "⧖" not in tree.nodes_by_key["fact_bioreactor_batch_stats"].label.plain
        tree.move_cursor(tree.nodes_by_key["dim_batch"])
        await settle(pilot)
        text = shown_text(app.query_one("#overview-body"))
        line = next(x for x in text.splitlines() if x.startswith("freshness"))
        assert line.split()[1:4] == ["⧖", "overdue", "by"], line
        assert "(max age 1m, [freshness] dim_batch)" in line
