# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""80x24 done right (#14 2.7): the footer shows fewer keys, never a cut one; the tabs have
the same names at every width; asset names are never broken mid-word."""

from __future__ import annotations

import pytest
from textual.widgets import TabbedContent
from textual.widgets._footer import FooterKey

from lakehouse_tui import config as config_module
from lakehouse_tui.tui.app import LakehouseApp
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.footer import AppFooter
from test_tui_app import shown_text
from tui_fixtures import Lake, anyio_backend, lake, settle  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

TABS = ("Overview", "Definition", "History", "Checks", "Logs", "Preview")


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_footer_keys_are_whole_and_tabs_keep_their_names(
    lake: Lake, size: tuple[int, int]
) -> None:
    app = LakehouseApp(config_module.load(None))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(AppFooter)
        keys = list(footer.query(FooterKey))
        palette = [k for k in keys if k.has_class("-command-palette")]
        assert len(palette) == 1
        edge = palette[0].region.x
        for key in keys:
            if key is not palette[0]:  # every key ends before the palette key starts
                assert key.region.right <= edge, (key.description, key.region, edge)
        shown = {k.description for k in keys}
        assert {"Quit", "Help", "Materialize", "palette"} <= shown
        if size[0] >= 160:
            assert {"Sync", "Schedule", "+up", "+down"} <= shown  # all fit at 160
        tabs = app.query_one("#detail-tabs", TabbedContent)
        labels = [tabs.get_tab(pane).label.plain for pane in [t.lower() for t in TABS]]
        assert labels == list(TABS)


async def test_footer_lays_out_again_when_the_terminal_narrows(lake: Lake) -> None:
    app = LakehouseApp(config_module.load(None))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        wide = {k.description for k in app.screen.query(FooterKey)}
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        narrow = {k.description for k in app.screen.query(FooterKey)}
        assert narrow < wide and "Quit" in narrow and "+down" not in narrow


async def test_asset_names_are_never_broken_mid_word(lake: Lake) -> None:
    app = LakehouseApp(config_module.load(None))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree", AssetTree)
        tree.move_cursor(tree.nodes_by_key["raw_bioreactor_data"])
        await settle(pilot)
        body = app.query_one("#overview-body")
        text = shown_text(body)
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("downstream"))
        names = ["dim_batch", "fact_bioreactor_batch_stats", "int_bioreactor_downsample_5m"]
        shown = [line.removeprefix("downstream").strip() for line in lines[start : start + 3]]
        for name, cell in zip(names, shown, strict=True):
            # whole, or cut with an ellipsis: never `fact_bioreactor_batch_stat` / `s,`
            assert cell == name or (cell.endswith("…") and name.startswith(cell[:-1])), text
