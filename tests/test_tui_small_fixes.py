# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""The small things a new user hit (#14 2.9), each against a real lake: the filter selects
the model it matches and escape in the tree clears it; the help says how to close it; `y`
never starts a sync; `x` asks before removing the timer and a failed install never shows
"installed: yes"; the Definition tab has column types; the raw asset has a preview."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import DataTable, Input, Static

from lakehouse_tui import config as config_module
from lakehouse_tui.tui.app import LakehouseApp
from lakehouse_tui.tui.screens.confirm_run import ConfirmRun
from lakehouse_tui.tui.screens.help import HelpScreen
from lakehouse_tui.tui.screens.schedule import ScheduleScreen
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from test_schedule_command import FAKE_TOOL, install_fake_tools
from tui_fixtures import Lake, anyio_backend, lake, settle  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


def plain(renderable: object) -> str:
    console = Console(width=160, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def make_app() -> LakehouseApp:
    return LakehouseApp(config_module.load(None), offer_sample_data=False)


async def test_filter_selects_the_matching_model_and_escape_in_the_tree_clears_it(
    lake: Lake,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "d", "i", "m")
        await settle(pilot)
        assert app.selected_key == "dim_batch"  # the model, not dbt_curated_models
        await pilot.press("enter")  # back to the tree, the filter stays
        await settle(pilot)
        tree = app.query_one("#tree", AssetTree)
        assert tree.has_focus and tree.filter_text == "dim"
        await pilot.press("escape")
        await settle(pilot)
        assert tree.filter_text == "" and app.query_one("#filter", Input).value == ""
        assert "mart_bioreactor_overview" in tree.nodes_by_key and tree.has_focus


async def test_help_says_how_to_close_it(lake: Lake) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        title = plain(app.screen.query_one(".dialog-title", Static).content)
        assert "escape, q or ? closes" in title  # visible at 80x24, above the long list
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_y_never_starts_a_sync(lake: Lake) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("y", "y")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmRun) and app.child is None
        assert not any("Airbyte" in str(n.message) for n in app._notifications)  # y is no key
        await pilot.press("S")  # the sync key: no connections here, so it says so
        await settle(pilot)
        assert any("No Airbyte connections" in str(n.message) for n in app._notifications)


FAILING_ENABLE = FAKE_TOOL.replace(
    '"systemctl --user enable --now"*) touch "$TOOL_STATE/on" ;;',
    '"systemctl --user enable --now"*) echo "Failed to enable unit: Access denied" >&2; exit 1 ;;',
)


async def test_x_asks_and_a_failed_install_never_says_installed_yes(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fake_tools(tmp_path, monkeypatch)
    (tmp_path / "fakebin" / "systemctl").write_text(FAILING_ENABLE)
    units = tmp_path / "units-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(units))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScheduleScreen)
        await pilot.press("i")
        await settle(pilot)
        result = str(screen.query_one("#schedule-result", Static).render())
        assert result.startswith("install failed") and "Access denied" in result
        status = str(screen.query_one("#schedule-status", Static).render())
        assert "installed: yes" not in status and "the install failed" in status
        result_y = screen.query_one("#schedule-result").region.y
        assert result_y < screen.query_one("#schedule-status").region.y  # the error on top
        timer = units / "systemd" / "user" / "lakehouse-tui.timer"
        assert timer.exists()  # written before enabling failed
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmRun)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and timer.exists()  # nothing removed


async def test_definition_has_column_types_and_raw_has_a_preview(lake: Lake) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree", AssetTree)
        tree.move_cursor(tree.nodes_by_key["dim_batch"])
        await settle(pilot)
        definition = plain(app.query_one("#definition-body", Static).content)
        cells = [[c.strip() for c in line.split("│")] for line in definition.splitlines()]
        rows = {c[0]: c[1] for c in cells if c[0] in ("batch_id", "batch_start")}
        assert rows == {"batch_id": "VARCHAR", "batch_start": "TIMESTAMP"}, definition
        tree.move_cursor(tree.nodes_by_key["raw_bioreactor_data"])
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        table = app.query_one("#preview-table", DataTable)
        labels = [str(column.label) for column in table.columns.values()]
        assert labels[:2] == ["batch_id (string)", "equipment_id (string)"], labels
        assert table.row_count > 0
        status = str(app.query_one("#preview-status", Static).render())
        assert "the newest of" in status and ".parquet" in status
