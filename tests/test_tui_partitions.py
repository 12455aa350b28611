"""The TUI's partitions: the Overview's strip, the Partitions tab and its runs, per-batch history.

One real lake for the module, built by real runs: five batches of which four are materialized
everywhere, a fifth validated by the raw asset only (missing in the models), and a sixth whose
unknown tag fails the fact's blocking `accepted_values` check (failed in the fact). The tests
that run something (child process or warm executor) come after the ones that read, and each
checks what the run store recorded for the run (`runs.partitions_json`, partition states).
"""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from rich.console import Console
from textual.geometry import Region
from textual.widgets import DataTable, Static

from lakehouse_tui import config as config_module
from lakehouse_tui.tui.app import LakehouseApp, create_app
from lakehouse_tui.tui.screens.confirm_run import ConfirmRun
from lakehouse_tui.tui.widgets import partition_strip
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.partition_strip import PartitionBar, PartitionStrip
from lakehouse_tui.tui.widgets.partitions_tab import PartitionsTab
from lakehouse_tui.tui.widgets.run_panel import RunPanel
from tui_fixtures import Lake, anyio_backend, child_env, materialize, settle  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

FACT = "fact_bioreactor_batch_stats"
KEYS = ["FB-2026-001", "FB-2026-002", "FB-2026-003", "FB-2026-004", "FB-2026-005", "FB-2026-X01"]


def bad_batch(lake: Lake) -> None:
    """FB-2026-X01: batch 2's readings under another id, its pH readings tagged `foam`."""
    table = pq.read_table(lake.raw_dir / "FB-2026-002.parquet")
    table = table.set_column(0, "batch_id", pa.repeat(pa.scalar("FB-2026-X01"), table.num_rows))
    tags = pc.if_else(pc.equal(table.column("tag"), "ph"), "foam", table.column("tag"))
    pq.write_table(table.set_column(3, "tag", tags), lake.raw_dir / "FB-2026-X01.parquet")


@pytest.fixture(scope="module")
def parts_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    from lakehouse_tui import demo

    lake = Lake(tmp_path_factory.mktemp("tui-partitions-lake"))
    demo.generate(lake.raw_dir, batches=5, hours=1, hz=0.05)
    aside = lake.root / "FB-2026-005.parquet"
    (lake.raw_dir / "FB-2026-005.parquet").rename(aside)
    materialize(lake, "*")
    bad_batch(lake)
    failing = subprocess.run(
        [sys.executable, "-m", "lakehouse_tui", "--materialize", "*", "--skip-unchanged"],
        env=child_env(lake),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert failing.returncode == 1 and "accepted_values" in failing.stderr, failing.stderr
    aside.rename(lake.raw_dir / "FB-2026-005.parquet")
    materialize(lake, "raw_bioreactor_data")  # validated: the models miss it
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LAKEHOUSE_TUI_CONFIG", raising=False)
        for key, value in lake.env.items():
            mp.setenv(key, value)
        yield lake


def make_app(**options: object) -> LakehouseApp:
    return create_app(config_module.load(None), **{"warm_runs": False, **options})  # type: ignore[arg-type]


async def select_asset(pilot: object, app: LakehouseApp, key: str) -> None:
    tree = app.query_one("#tree", AssetTree)
    tree.move_cursor(tree.nodes_by_key[key])
    await settle(pilot)  # type: ignore[arg-type]


def store_rows(lake: Lake, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    db = sqlite3.connect(lake.store_path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def new_run(lake: Lake, before: set[str]) -> tuple[str, str, str, list[str]]:
    """The one run started since `before`: (id, trigger, status, partitions)."""
    rows = store_rows(lake, "select id, trigger, status, partitions_json from runs")
    fresh = [row for row in rows if row[0] not in before]
    assert len(fresh) == 1, fresh
    run_id, trigger, status, partitions = fresh[0]
    return str(run_id), str(trigger), str(status), json.loads(str(partitions or "[]"))


def run_ids(lake: Lake) -> set[str]:
    return {str(row[0]) for row in store_rows(lake, "select id from runs")}


def table_keys(table: DataTable) -> list[str]:  # type: ignore[type-arg]
    return [str(row.key.value) for row in table.ordered_rows]


async def open_tab(pilot: object, app: LakehouseApp, key: str) -> PartitionsTab:
    await select_asset(pilot, app, key)
    await pilot.press("7")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    return app.query_one(PartitionsTab)


async def move_to(pilot: object, table: DataTable, key: str) -> None:  # type: ignore[type-arg]
    table.move_cursor(row=table_keys(table).index(key))
    await settle(pilot)  # type: ignore[arg-type]


async def confirm_and_finish(pilot: object, app: LakehouseApp) -> RunPanel:
    await pilot.press("y")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await settle(pilot)  # type: ignore[arg-type]
    return app.query_one("#run-panel", RunPanel)


def plan_text(app: LakehouseApp) -> str:
    assert isinstance(app.screen, ConfirmRun), app.screen
    return str(app.screen.query_one("#confirm-plan", Static).render())


# -- the strip ----------------------------------------------------------------------------


def test_bar_compresses_a_thousand_batches_into_three_lines_and_keeps_a_failure() -> None:
    keys = [f"FB-{n:04d}" for n in range(1000)]
    statuses = ["materialized"] * 1000
    statuses[500] = "failed"
    statuses[10] = "missing"
    console = Console(width=38, file=io.StringIO(), color_system="truecolor")
    lines = console.render_lines(PartitionBar(keys, statuses), pad=False)
    texts = ["".join(segment.text for segment in line) for line in lines]
    bar = texts[:3]
    assert all(len(line) <= 38 for line in texts)
    assert set("".join(bar)) == {"█", "░", "✗"}  # one failed batch in 1,000 still shows
    assert texts[3].startswith("FB-0000") and texts[3].endswith("FB-0999")
    assert "1 cell = 9 batches (worst shown)" in "\n".join(texts[4:])
    failed = [s for line in lines for s in line if s.text == "✗"]
    assert failed and failed[0].style is not None and failed[0].style.color is not None
    assert failed[0].style.color.name == "red"


async def test_overview_strip_has_a_cell_per_batch_coloured_by_status(parts_lake: Lake) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await select_asset(pilot, app, FACT)
        strip = app.query_one(PartitionStrip)
        assert strip.display and strip.summary is not None
        assert [p.key for p in strip.summary.statuses] == KEYS
        assert [p.status for p in strip.summary.statuses] == ["materialized"] * 4 + [
            "missing",
            "failed",
        ]
        drawn = strip.render_lines(Region(0, 0, strip.size.width, strip.size.height))
        lines = [line.text for line in drawn]
        assert lines[0].startswith("Partitions  4/6 materialized, 1 stale, 1 failed")
        assert lines[1].strip() == "███" * 4 + "░░░" + "✗✗✗"  # three columns a batch
        colours = {
            s.text[0]: s.style.color.name
            for s in drawn[1]
            if s.text.strip() and s.style and s.style.color
        }
        assert len(set(colours.values())) == 3  # the theme's green, yellow and red
        console = Console(width=strip.size.width, file=io.StringIO(), color_system="truecolor")
        styled = console.render_lines(partition_strip.strip(strip.summary), pad=False)[1]
        names = {s.text[0]: s.style.color.name for s in styled if s.style and s.style.color}
        assert names == {"█": "green", "░": "yellow", "✗": "red"}
        assert "█ materialized  ▓ stale  ░ missing  ✗ failed" in "\n".join(lines)
        await select_asset(pilot, app, "mart_bioreactor_overview")  # rebuilt whole: no strip
        assert not strip.display and strip.summary is None
        await select_asset(pilot, app, "stg_bioreactor")  # a view is partitioned too
        assert strip.display and strip.summary is not None
        assert strip.summary.describe() == "5/6 materialized, 1 stale"


# -- the tab ------------------------------------------------------------------------------


async def test_partitions_tab_lists_batches_and_the_highlighted_ones_history(
    parts_lake: Lake,
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tab = await open_tab(pilot, app, FACT)
        table = app.query_one("#partitions-table", DataTable)
        assert app.focused is table  # the tab's keys work at once
        assert table_keys(table) == KEYS
        row = [str(cell) for cell in table.get_row("FB-2026-X01")]
        assert row[2] == "✗ failed" and row[3].startswith("last attempt failed")
        assert [str(c) for c in table.get_row("FB-2026-005")][2:4] == [
            "░ missing",
            "new batch: never materialized",
        ]
        await move_to(pilot, table, "FB-2026-X01")
        title = str(app.query_one("#partition-history-title", Static).render())
        assert title == "History of FB-2026-X01: 1 attempt(s), newest first"
        history = app.query_one("#partition-history", DataTable)
        attempt = [str(cell) for cell in history.get_row_at(0)]
        assert attempt[2] == "✗ failed" and "accepted_values" in attempt[5]
        await move_to(pilot, table, "FB-2026-001")
        assert history.row_count == 1
        assert [str(c) for c in history.get_row_at(0)][2] == "✓ materialized"
        await pilot.press("b")  # a backfill needs both ends marked
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmRun)
        assert any("Mark the first and the last batch" in n.message for n in app._notifications)
        await select_asset(pilot, app, "mart_bioreactor_overview")
        assert tab.has_class("-unpartitioned")
        status = str(app.query_one("#partitions-status", Static).render())
        assert status.startswith("mart_bioreactor_overview is not partitioned")


async def test_marked_batch_runs_with_its_partition_and_its_history_grows(
    parts_lake: Lake,
) -> None:
    before = run_ids(parts_lake)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tab = await open_tab(pilot, app, FACT)
        table = app.query_one("#partitions-table", DataTable)
        await move_to(pilot, table, "FB-2026-005")
        await pilot.press("space")
        assert tab.marked == {"FB-2026-005"}
        assert tab.cursor_key() == "FB-2026-X01"  # space marks and moves on, like a file list
        assert "1 marked" in str(app.query_one("#partitions-status", Static).render())
        await move_to(pilot, table, "FB-2026-005")
        history = app.query_one("#partition-history", DataTable)
        assert history.row_count == 0  # never attempted in the fact
        await pilot.press("m")
        await pilot.pause()
        plan = plan_text(app)
        assert f"Plan for '{FACT}'" in plan
        assert "Partitions: batch: FB-2026-005\n(the other batches stay as they are)" in plan
        panel = await confirm_and_finish(pilot, app)
        assert panel.outcome == "succeeded"
        run_id, trigger, status, partitions = new_run(parts_lake, before)
        assert (trigger, status, partitions) == ("tui", "succeeded", ["FB-2026-005"])
        held = store_rows(
            parts_lake,
            "select partition_key, run_id from partitions where asset_key = ? and run_id = ?",
            (FACT, run_id),
        )
        assert held == [("FB-2026-005", run_id)]  # only the marked batch was rebuilt
        assert app.query_one(PartitionStrip).summary.describe() == "5/6 materialized, 1 failed"  # type: ignore[union-attr]
        # the cursor stayed on the batch through the reload, and its history was read again
        assert tab.cursor_key() == "FB-2026-005"
        assert history.row_count == 1  # its first attempt: the run just made
        assert str(history.get_row_at(0)[1]) == run_id


async def test_backfill_between_two_marks_runs_in_the_warm_executor(parts_lake: Lake) -> None:
    before = run_ids(parts_lake)
    app = make_app(warm_runs=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.warm is not None
        assert await asyncio.to_thread(app.warm.wait_ready, 120), list(app.warm.stderr_lines)
        await open_tab(pilot, app, FACT)
        table = app.query_one("#partitions-table", DataTable)
        await move_to(pilot, table, "FB-2026-003")
        await pilot.press("space")
        await move_to(pilot, table, "FB-2026-001")
        await pilot.press("space")
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmRun)
        title = str(app.screen.query_one("#confirm-title", Static).render())
        assert title == f"Materialize backfill {FACT} FB-2026-001...FB-2026-003 (3 batches)?"
        assert "Partitions: 3 batches: FB-2026-001, FB-2026-002, FB-2026-003" in plan_text(app)
        warm_pid = app.warm.pid
        panel = await confirm_and_finish(pilot, app)
        assert panel.outcome == "succeeded"
        run_id, trigger, status, partitions = new_run(parts_lake, before)
        assert (trigger, status) == ("tui", "succeeded")
        assert partitions == ["FB-2026-001", "FB-2026-002", "FB-2026-003"]
        assert store_rows(parts_lake, "select pid from runs where id = ?", (run_id,)) == [
            (warm_pid,)
        ]
        rebuilt = store_rows(
            parts_lake,
            "select partition_key from partition_history where run_id = ? and asset_key = ? "
            "order by partition_key",
            (run_id, FACT),
        )
        assert [row[0] for row in rebuilt] == partitions


async def test_full_refresh_rebuilds_every_batch(parts_lake: Lake) -> None:
    before = run_ids(parts_lake)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await open_tab(pilot, app, "dim_batch")
        await pilot.press("f")
        await pilot.pause()
        assert "Full refresh: every batch is rebuilt from all the raw files" in plan_text(app)
        panel = await confirm_and_finish(pilot, app)
        assert panel.outcome == "succeeded"
    run_id, _, status, partitions = new_run(parts_lake, before)
    assert (status, partitions) == ("succeeded", [])
    rebuilt = store_rows(
        parts_lake,
        "select partition_key from partitions where asset_key = 'dim_batch' and run_id = ? "
        "order by partition_key",
        (run_id,),
    )
    assert [row[0] for row in rebuilt] == KEYS  # fresh ones too, not only what was stale
