# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""Pilot test of the History tab's plots against a lake materialized twice."""

from __future__ import annotations

import pytest

from lakehouse_tui import config as config_module
from lakehouse_tui.tui.app import create_app
from lakehouse_tui.tui.chart import POINT
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.history_plot import HistoryPlot
from tui_fixtures import FIXED_NOW, Lake, anyio_backend, settle, snap_env  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_history_plots_rows_duration_and_time_range(
    snap_env: Lake, size: tuple[int, int]
) -> None:
    app = create_app(config_module.load(None), clock=lambda: FIXED_NOW, poll_interval=3600)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree", AssetTree)
        tree.move_cursor(tree.nodes_by_key["stg_bioreactor"])
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        rows = app.query_one("#history-rows", HistoryPlot)
        assert rows.data is not None and len(rows.data.xs) == 2
        assert len(set(rows.data.lows)) == 1  # the same row count both times
        drawn = rows.plot
        assert drawn is not None
        area = drawn.rows[: drawn.height]
        line = next(i for i, row in enumerate(area) if POINT in row)
        assert 0 < line < drawn.height - 1  # a constant is not drawn on the floor
        assert area[line].lstrip().startswith(f"{int(rows.data.lows[0]):,} ┤")
        assert "┬" in drawn.rows[drawn.height]
        duration = app.query_one("#history-duration", HistoryPlot).plot
        assert duration is not None and duration.rows[0].lstrip().startswith("1.00 s")
        time_range = app.query_one("#history-range", HistoryPlot)
        assert time_range.data is not None and time_range.data.highs is not None
        assert len(time_range.data.xs) == 2

        tree.move_cursor(tree.nodes_by_key["dbt_staging_models"])
        await settle(pilot)
        assert rows.plot is None
        assert rows.data is not None and rows.data.missing.startswith("a group asset")
