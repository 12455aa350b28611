# ruff: noqa: F811  (pytest fixtures imported from test_tui_support)
"""The Definition tab shows where each column of a model comes from: the same lineage the
OpenLineage events carry (core.column_lineage), on a real lake after a real run."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from lakehouse_tui import config as config_module
from lakehouse_tui.tui.app import create_app
from lakehouse_tui.tui.widgets.asset_detail import AssetDetail
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from tui_fixtures import Lake, anyio_backend, base_lake, lake, settle  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


async def test_definition_tab_shows_column_lineage(lake: Lake) -> None:
    app = create_app(config_module.load(None))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree", AssetTree)
        tree.move_cursor(tree.nodes_by_key["mart_bioreactor_overview"])
        await settle(pilot)
        await pilot.press("2")
        detail = app.query_one("#detail", AssetDetail)
        assert detail.active_tab == "definition"
        out = io.StringIO()
        Console(file=out, width=160, color_system=None).print(detail.definition())
        text = out.getvalue()
    assert "mart_bioreactor_overview.avg_value ← fact_bioreactor_batch_stats.avg_value" in text
    assert (
        "mart_bioreactor_overview.duration_hours ← dim_batch.batch_end, dim_batch.batch_start"
        in text
    )
