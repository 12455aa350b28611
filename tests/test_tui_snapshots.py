# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""SVG snapshots of the main screens at 80x24 and 160x48 (fixed clock, normalized store).

Update with `pytest tests/test_tui_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import sqlite3

import pytest
from textual.pilot import Pilot

from lakehouse_tui import config as config_module
from lakehouse_tui.core.lock import LockHolder, RunLock
from lakehouse_tui.tui.app import LakehouseApp
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from tui_fixtures import FIXED_NOW, Lake, settle, snap_env  # noqa: F401

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
def test_partitions_tab(snap_env: Lake, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """The fact's batches with the first one marked, and the second one's history."""
    assert snap_compare(
        make_app(),
        terminal_size=size,
        run_before=select("fact_bioreactor_batch_stats", "7", "space"),
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


@pytest.mark.parametrize("size", SIZES)
def test_run_blocked(snap_env: Lake, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """Another process holds the warehouse: the question, naming that run."""
    with holding_the_lock(snap_env):
        run_before = select("dim_batch", "m", "y")
        assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_run_queued(snap_env: Lake, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """Queued behind it: the run panel says what our run waits for (its runner waits on the
    lock, so no waiting for workers here)."""

    async def run_before(pilot: Pilot[object]) -> None:
        await select("dim_batch", "m", "y")(pilot)
        await pilot.press("w")
        await pilot.pause()
        await pilot.pause()

    with holding_the_lock(snap_env):
        assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_graph_view(snap_env: Lake, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """The lineage as a graph at model level, the mart selected (its inputs marked)."""
    run_before = select("dim_batch", "v", "e", "down")
    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_graph_view_groups(snap_env: Lake, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size, run_before=select("dim_batch", "v"))


@pytest.mark.parametrize("size", SIZES)
def test_logs_view(snap_env: Lake, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """The runs screen's log, focused, filtered to one asset and searched."""

    async def run_before(pilot: Pilot[object]) -> None:
        await select("dim_batch", "r")(pilot)
        pilot.app.screen.query_one("#run-logs").query_one(".log-lines").focus()
        await pilot.press("A", "A", "slash", *"ok", "enter")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def holding_the_lock(lake: Lake) -> RunLock:
    """The run lock held by this process, described as a timer run (fixed id, pid, time)."""
    holder = LockHolder("run-0099", 4242, "timer", FIXED_NOW - 300)
    return RunLock(lake.root / "state" / "lakehouse-tui" / "run.lock", holder)


def test_normalize_store_is_stable(snapshot_lake: Lake) -> None:
    db = sqlite3.connect(snapshot_lake.store_path)
    assert [r[0] for r in db.execute("select id from runs order by id")] == ["run-0001", "run-0002"]
    durations = {r[0] for r in db.execute("select distinct duration from materializations")}
    assert durations == {0.5, 1.0}


def query(sql: str):  # type: ignore[no-untyped-def]
    """dim_batch's Preview tab with `sql` run in its query prompt."""

    async def run_before(pilot: Pilot[object]) -> None:
        from textual.widgets import Input

        await select("dim_batch", "e")(pilot)
        prompt = pilot.app.query_one("#query-input", Input)
        prompt.cursor_blink = False  # the cursor's blink phase would make the snapshot flaky
        prompt.value = sql
        await pilot.press("enter")
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_query_prompt(snap_env: Lake, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    sql = "select * from curated.dim_batch order by batch_id"
    assert snap_compare(make_app(), terminal_size=size, run_before=query(sql))
