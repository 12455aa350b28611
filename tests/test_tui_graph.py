# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""Pilot tests of the graph view (`v`): boxes with statuses, arrows, keys, the detail follows."""

from __future__ import annotations

import dataclasses

import pytest
from textual.pilot import Pilot

from graph_trace import traced_edges
from lakehouse_tui import config as config_module
from lakehouse_tui import formatting as fmt
from lakehouse_tui.tui.app import LakehouseApp, create_app
from lakehouse_tui.tui.widgets.asset_detail import AssetDetail
from lakehouse_tui.tui.widgets.asset_graph import UP_STYLE, AssetGraphView
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.tree_pane import TreePane
from tui_fixtures import FIXED_NOW, Lake, anyio_backend, lake, settle  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

STG, DIM, FACT = "stg_bioreactor", "dim_batch", "fact_bioreactor_batch_stats"
INT, MART = "int_bioreactor_downsample_5m", "mart_bioreactor_overview"


def make_app() -> LakehouseApp:
    return create_app(config_module.load(None), clock=lambda: FIXED_NOW, poll_interval=3600)


async def graph_from(pilot: Pilot[object], key: str, *keys: str) -> AssetGraphView:
    """Select `key` in the tree, then press `v` (and `keys`): the graph view."""
    await settle(pilot)
    tree = pilot.app.query_one("#tree", AssetTree)
    tree.move_cursor(tree.nodes_by_key[key])
    await settle(pilot)
    await pilot.press("v", *keys)
    await settle(pilot)
    return pilot.app.query_one("#graph", AssetGraphView)


def edge_styles(graph: AssetGraphView) -> dict[tuple[str, str], str]:
    """Each edge's style on screen, read from the painted cells only it passes through."""
    drawing = graph.drawing
    assert drawing is not None
    found: dict[tuple[str, str], str] = {}
    for (x, y), owners in drawing.edge_cells.items():
        if len(owners) != 1:
            continue
        edge = drawing.edges[next(iter(owners))]
        strip = graph.strips[y].crop(x, x + 1)
        style = next(iter(strip)).style
        up = bool(style and style.bold and style.color and style.color.name == "cyan")
        found[edge] = UP_STYLE if up and found.get(edge, UP_STYLE) == UP_STYLE else ""
    return found


def shown(graph: AssetGraphView) -> list[str]:
    return [strip.text for strip in graph.strips]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_v_shows_the_graph_and_the_arrows_move_the_selection(
    lake: Lake, size: tuple[int, int]
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        pane = app.query_one("#tree-pane", TreePane)
        graph = app.query_one("#graph", AssetGraphView)
        assert pane.showing_graph and graph.display and not app.query_one("#tree").display
        assert app.focused is graph and app.screen.has_class("-graph")
        assert graph.level == "group" and graph.cursor == "raw_bioreactor_data"
        rows = shown(graph)
        tree = app.query_one("#tree", AssetTree)
        for key in ("raw_bioreactor_data", "dbt_curated_models"):  # the tree's glyph
            assert any(f"│ {fmt.glyph(tree.status_of(key))} {key} │" in row for row in rows)
        detail = app.query_one("#detail", AssetDetail)
        assert detail.region.width > 0 and detail.region.height > 0  # still visible

        await pilot.press("down", "down")
        await settle(pilot)
        assert graph.cursor == "dbt_curated_models"
        assert app.selected_key == "dbt_curated_models"
        assert detail.details is not None and detail.details.key == "dbt_curated_models"
        box = graph.drawing.boxes["dbt_curated_models"]  # type: ignore[union-attr]
        visible = graph.scrollable_content_region.height
        assert graph.scroll_offset.y <= box.y and box.y + 3 <= graph.scroll_offset.y + visible

        await pilot.press("e")  # model level: the selected group's first model
        await settle(pilot)
        assert graph.level == "model"
        drawing = graph.drawing
        assert drawing is not None
        assert traced_edges(drawing) == {
            ("raw_bioreactor_data", STG),
            (STG, INT),
            (STG, DIM),
            (STG, FACT),
            (DIM, MART),
            (FACT, MART),
        }
        assert graph.cursor == DIM and app.selected_key == DIM
        await pilot.press("right")
        await settle(pilot)
        layer = next(layer for layer in drawing.layers if DIM in layer)
        assert app.selected_key == layer[layer.index(DIM) + 1] == graph.cursor
        await pilot.press("down")
        await settle(pilot)
        assert app.selected_key == MART
        tree = app.query_one("#tree", AssetTree)
        assert tree.cursor_node is not None and tree.cursor_node.data == MART
        assert tree.related_up == {"raw_bioreactor_data", STG, DIM, FACT}
        # The lines into the mart are marked (upstream colour), the one to int is not.
        lit = {edge for edge, style in edge_styles(graph).items() if style == UP_STYLE}
        assert {(DIM, MART), (FACT, MART), (STG, DIM), (STG, FACT)} <= lit
        assert (STG, INT) not in lit

        await pilot.press("v")  # back to the tree, on the same asset
        await settle(pilot)
        assert not pane.showing_graph and app.focused is tree
        assert tree.cursor_node is not None and tree.cursor_node.data == MART


async def test_the_graph_follows_statuses_and_the_tree_selection(lake: Lake) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        graph = await graph_from(pilot, FACT, "e")
        tree = app.query_one("#tree", AssetTree)
        assert graph.level == "model" and graph.cursor == FACT
        tree.set_override(DIM, "running")  # a live run's status, as the run panel sets it
        await settle(pilot)
        assert any("│ ▶ dim_batch │" in row for row in shown(graph))
        tree.set_override(DIM, None)
        await settle(pilot)
        glyph = fmt.glyph(tree.status_of(DIM))
        assert glyph != "▶" and any(f"│ {glyph} dim_batch │" in row for row in shown(graph))


async def test_filter_key_goes_back_to_the_tree(lake: Lake) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v", "slash")
        await settle(pilot)
        pane = app.query_one("#tree-pane", TreePane)
        assert not pane.showing_graph and pane.has_class("-filtering")


async def test_the_graph_opens_scrolled_to_the_selected_asset(lake: Lake) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        graph = await graph_from(pilot, MART)
        assert graph.cursor == "dbt_postgres_marts"
        assert graph.drawing is not None and graph.drawing.height > graph.size.height
        box = graph.drawing.boxes["dbt_postgres_marts"]
        top = graph.scroll_offset.y
        assert top <= box.y and box.y + 3 <= top + graph.scrollable_content_region.height
        assert app.selected_key == MART  # showing the graph selects nothing new


async def test_the_graph_takes_the_asset_graph_when_it_arrives_after_v(lake: Lake) -> None:
    """`v` pressed while the workspace is still opening: the graph fills in once the tree
    has the asset graph (here: the tree gets a new one while the graph is shown)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        graph = await graph_from(pilot, DIM)
        tree = app.query_one("#tree", AssetTree)
        assert tree.graph is not None
        arrived = dataclasses.replace(tree.graph)
        tree.set_graph(arrived)
        await settle(pilot)
        assert graph.graph is arrived and graph.drawing is not None
