# ruff: noqa: F811  (pytest fixtures imported from test_tui_support)
"""SVG snapshots of the main screens at 80x24 and 160x48 (fixed clock, normalized store).

Update with `pytest tests/test_tui_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from lakehouse_tui import config as config_module
from lakehouse_tui.tui.app import LakehouseApp
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from test_tui_support import FIXED_NOW, Lake, base_lake, settle, snap_env, snapshot_lake  # noqa: F401

pytestmark = pytest.mark.slow

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


def make_app() -> LakehouseApp:
    return LakehouseApp(config_module.load(None), clock=lambda: FIXED_NOW, poll_interval=3600)


def select(key: str, *keys: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        tree = pilot.app.query_one("#tree", AssetTree)
        tree.move_cursor(tree.nodes_by_key[key])
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_main_overview(snap_env: Lake, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size, run_before=select("raw_bioreactor_data"))


@pytest.mark.parametrize("size", SIZES)
def test_model_definition(snap_env: Lake, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size, run_before=select("dim_batch", "2"))


@pytest.mark.parametrize("size", SIZES)
def test_model_history(snap_env: Lake, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size, run_before=select("stg_bioreactor", "3"))


@pytest.mark.parametrize("size", SIZES)
def test_model_checks(snap_env: Lake, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        make_app(), terminal_size=size, run_before=select("fact_bioreactor_batch_stats", "4")
    )


@pytest.mark.parametrize("size", SIZES)
def test_confirm_plan(snap_env: Lake, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size, run_before=select("dim_batch", "u"))


@pytest.mark.parametrize("size", SIZES)
def test_runs_screen(snap_env: Lake, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size, run_before=select("dim_batch", "r"))


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_env: Lake, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        make_app(), terminal_size=size, run_before=select("dim_batch", "question_mark")
    )
