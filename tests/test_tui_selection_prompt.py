# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""The `:` selection prompt (completion, live plan, the confirm path) and the palette's
"Go to asset", schedule and sync entries; against the session lake."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from lakehouse_tui import config as config_module
from lakehouse_tui.core.selection_complete import completions
from lakehouse_tui.tui.app import LakehouseApp
from lakehouse_tui.tui.commands import LakehouseCommands
from lakehouse_tui.tui.screens.confirm_run import ConfirmRun
from lakehouse_tui.tui.screens.schedule import ScheduleScreen
from lakehouse_tui.tui.screens.selection_prompt import SelectionPrompt
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from tui_fixtures import Lake, anyio_backend, lake, settle  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


def plan_text(app: LakehouseApp) -> str:
    return str(app.screen.query_one("#select-plan", Static).render())


async def test_completions_come_from_the_graph(lake: Lake) -> None:
    app = LakehouseApp(config_module.load(None))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.workspace is not None
        graph = app.workspace.graph
    assert completions(graph, "+dim")[0] == "+dim_batch"
    assert completions(graph, "tag:m") == ["tag:mart"]
    assert "stg_bioreactor or tag:curated" in completions(graph, "stg_bioreactor or cur")
    assert completions(graph, "(kind:d") == ["(kind:duckdb"]
    assert {"not stale", "not stg_bioreactor"} <= set(completions(graph, "not st"))
    assert completions(graph, "dim_batch+") == []  # a traversal ends the word
    assert completions(graph, "zzz") == []


async def test_prompt_completes_shows_the_plan_and_asks_as_the_keys_do(lake: Lake) -> None:
    app = LakehouseApp(config_module.load(None))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await pilot.pause()
        assert isinstance(app.screen, SelectionPrompt)
        await pilot.press("plus", "d", "i", "m")
        await settle(pilot)
        field = app.screen.query_one("#select-input", Input)
        assert field._suggestion == "+dim_batch"  # the grey suggestion
        assert plan_text(app) == "… tab completes the word (the names above)"  # no error yet
        assert str(app.screen.query_one("#select-completions", Static).render()) == "dim_batch"
        await pilot.press("tab")
        await settle(pilot)
        assert field.value == "+dim_batch"
        text = plan_text(app)
        assert text.startswith("3 assets, in run order:")
        assert text.index("raw_bioreactor_data") < text.index("stg_bioreactor")
        assert text.index("stg_bioreactor") < text.index("dim_batch")

        field.value = "group:nope"
        await settle(pilot)
        assert "no group matches 'nope'" in plan_text(app)
        await pilot.press("enter")  # an error on screen: the prompt stays
        await pilot.pause()
        assert isinstance(app.screen, SelectionPrompt)

        field.value = "+dim_batch and not raw_bioreactor_data"
        await settle(pilot)
        assert plan_text(app).startswith("2 assets, in run order:")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmRun)  # the materialize keys' dialog
        assert app.screen.title_text == "Materialize +dim_batch and not raw_bioreactor_data?"
        assert "stg_bioreactor, dim_batch" in app.screen.plan_text
        await pilot.press("n")
        await pilot.pause()
        assert app.child is None

        await pilot.press("colon")
        await pilot.pause()
        await pilot.press("up")  # the last selection comes back
        assert app.screen.query_one("#select-input", Input).value == (
            "+dim_batch and not raw_bioreactor_data"
        )
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SelectionPrompt)


async def test_palette_goes_to_an_asset_and_offers_schedule_and_sync(lake: Lake) -> None:
    app = LakehouseApp(config_module.load(None))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree", AssetTree)
        tree.set_filter("stg")  # the asset is hidden by a filter
        await settle(pilot)
        assert "fact_bioreactor_batch_stats" not in tree.nodes_by_key
        provider = LakehouseCommands(app.screen)
        commands = {name: callback for name, _, callback in provider.commands()}
        assert "Schedule: the nightly OS timer" in commands
        assert "Sync Airbyte" in commands
        assert "Type a selection to materialize" in commands
        commands["Go to asset fact_bioreactor_batch_stats"]()
        await settle(pilot)
        assert tree.cursor_node is not None
        assert tree.cursor_node.data == "fact_bioreactor_batch_stats"
        assert app.selected_key == "fact_bioreactor_batch_stats"
        assert app.focused is tree
        commands["Schedule: the nightly OS timer"]()
        await pilot.pause()
        assert isinstance(app.screen, ScheduleScreen)
