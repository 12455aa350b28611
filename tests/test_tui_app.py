# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""Pilot tests of the TUI against a real lake, real runs (child processes) and the run store."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from lakehouse_tui import config as config_module
from lakehouse_tui.core.store import RunStore
from lakehouse_tui.tui.app import LakehouseApp, create_app
from lakehouse_tui.tui.screens.confirm_run import ConfirmRun
from lakehouse_tui.tui.screens.help import HelpScreen
from lakehouse_tui.tui.widgets.asset_detail import AssetDetail
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.run_panel import RunPanel
from tui_fixtures import (  # noqa: F401
    FIXED_NOW,
    Lake,
    anyio_backend,
    empty_lake,
    forget_run,
    lake,
    seed_failed_run,
    settle,
)

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


def shown_text(widget: Widget) -> str:
    """The text a widget draws, line by line, as the compositor gets it."""
    region = Region(0, 0, widget.size.width, widget.size.height)
    return "\n".join(strip.text for strip in widget.render_lines(region))


def make_app(**options: object) -> LakehouseApp:
    return create_app(config_module.load(None), **options)  # type: ignore[arg-type]


async def select_asset(pilot: Pilot[object], app: LakehouseApp, key: str) -> AssetTree:
    """Put the tree's cursor on an asset and wait for its details."""
    tree = app.query_one("#tree", AssetTree)
    tree.move_cursor(tree.nodes_by_key[key])
    await settle(pilot)
    return tree


async def test_tree_shows_lineage_with_statuses(lake: Lake) -> None:
    app = make_app(clock=lambda: FIXED_NOW)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree", AssetTree)
        top = [node.data for node in tree.root.children]
        assert top == [
            "raw_bioreactor_data",
            "dbt_staging_models",
            "dbt_curated_models",
            "dbt_postgres_marts",
        ]
        staging = tree.nodes_by_key["dbt_staging_models"]
        assert [n.data for n in staging.children] == ["stg_bioreactor"]
        assert tree.status_of("stg_bioreactor") == "materialized"
        label = tree.nodes_by_key["stg_bioreactor"].label.plain
        assert label.startswith("✓ stg_bioreactor")


async def test_selecting_marks_upstream_and_downstream(lake: Lake) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tree = await select_asset(pilot, app, "stg_bioreactor")
        assert app.selected_key == "stg_bioreactor"
        assert tree.relation("raw_bioreactor_data") == "up"
        assert tree.relation("dim_batch") == "down"
        assert tree.nodes_by_key["raw_bioreactor_data"].label.plain.rstrip().endswith("↑")
        detail = app.query_one("#detail", AssetDetail)
        assert detail.details is not None and detail.details.key == "stg_bioreactor"
        assert detail.details.upstream == ["raw_bioreactor_data"]


async def test_filter_narrows_the_tree(lake: Lake) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert app.query_one("#filter", Input).has_focus
        await pilot.press(*"dim")
        tree = app.query_one("#tree", AssetTree)
        assert set(tree.nodes_by_key) == {"dbt_curated_models", "dim_batch"}
        await pilot.press("escape")
        assert "raw_bioreactor_data" in tree.nodes_by_key
        assert tree.has_focus


async def test_detail_tabs_show_history_checks_logs_and_preview(lake: Lake) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await select_asset(pilot, app, "dim_batch")
        detail = app.query_one("#detail", AssetDetail)
        for tab in ("definition", "history", "checks", "logs"):
            await pilot.press(
                str(("overview", "definition", "history", "checks", "logs").index(tab) + 1)
            )
            assert detail.active_tab == tab
        checks = app.query_one("#checks-table", DataTable)
        assert checks.row_count == 3
        history = app.query_one("#history-table", DataTable)
        assert history.row_count >= 1
        await pilot.press("6")
        await settle(pilot)
        preview = app.query_one("#preview-table", DataTable)
        assert preview.row_count == 2  # two batches
        assert "batch_id" in [str(c.label) for c in preview.columns.values()]


async def test_materialize_selected_runs_child_and_records_run(lake: Lake) -> None:
    store = RunStore(lake.store_path)
    before = {r.id for r in store.runs(500)}
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await select_asset(pilot, app, "stg_bioreactor")
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmRun)
        plan = str(app.screen.query_one("#confirm-plan", Static).render())
        assert "Plan for 'stg_bioreactor': 1 assets in 1 steps" in plan
        await pilot.press("y")
        await pilot.pause()
        panel = app.query_one("#run-panel", RunPanel)
        assert panel.running and not panel.has_class("-hidden")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert not panel.running and panel.outcome == "succeeded"
        assert panel.done == 1 == panel.total
    new = [r for r in store.runs(500) if r.id not in before]
    assert len(new) == 1
    assert (new[0].trigger, new[0].selection, new[0].status) == (
        "tui",
        "stg_bioreactor",
        "succeeded",
    )
    store.close()


async def test_upstream_downstream_all_stale_plans(lake: Lake) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await select_asset(pilot, app, "dim_batch")
        expected = {
            "u": "Plan for '+dim_batch'",
            "d": "Plan for 'dim_batch+'",
            "a": "Plan for '*': 6 assets",
            "s": "Plan for 'stale'",
        }
        for key, text in expected.items():
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, ConfirmRun), key
            assert text in str(app.screen.query_one("#confirm-plan", Static).render())
            await pilot.press("n")
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmRun)


async def test_runs_screen_lists_runs_and_timeline(lake: Lake) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        table = app.screen.query_one("#runs-table", DataTable)
        store = RunStore(lake.store_path)
        assert table.row_count == len(store.runs(500))
        store.close()
        timeline = str(app.screen.query_one("#run-timeline", Static).render())
        assert "run " in timeline
        await pilot.press("escape")
        assert app.screen.query("#tree")


async def test_help_lists_every_binding_with_remapped_keys(lake: Lake) -> None:
    base = config_module.load(None)
    config = config_module.Config(**{**base.__dict__, "keymap": {"materialize_all": "A"}})
    app = LakehouseApp(config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = shown_text(app.screen.query_one("#help-table", Static))  # what is on screen
        assert "show_runs" in text and "runs.rerun_failed" in text
        remapped = [line.split() for line in text.splitlines() if "materialize_all" in line]
        assert remapped and remapped[0][0] == "A"
        await pilot.press("escape")
        await pilot.press("A")  # remapped key opens the plan for everything
        await pilot.pause()
        assert isinstance(app.screen, ConfirmRun)


async def test_no_raw_data_offers_sample_data(empty_lake: Lake) -> None:
    from lakehouse_tui.core import raw
    from lakehouse_tui.tui.screens.generate_data import GenerateData

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, GenerateData)
        await pilot.press("y")
        await settle(pilot)
        assert len(raw.parquet_files(empty_lake.raw_dir)) == 8
        assert app.state is not None and app.state.raw_files == 8


async def test_rerun_failed_selects_only_what_did_not_finish(lake: Lake) -> None:
    store = RunStore(lake.store_path)
    run_id = "20260101-000000-failed"
    seed_failed_run(
        store,
        run_id,
        "*",
        [
            ("raw_bioreactor_data", "raw", "materialized", None),
            ("stg_bioreactor", "dbt duckdb", "materialized", None),
            ("dim_batch", "dbt duckdb", "failed", "boom"),
            ("mart_bioreactor_overview", "dbt duckdb", "skipped", "upstream failed"),
        ],
        "dim_batch failed",
    )
    app = make_app()
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("r")
            await settle(pilot)
            timeline = str(app.screen.query_one("#run-timeline", Static).render())
            assert run_id in timeline
            await pilot.press("f")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmRun)
            plan = str(app.screen.query_one("#confirm-plan", Static).render())
            assert "Plan for 'dim_batch or mart_bioreactor_overview': 2 assets" in plan
            await pilot.press("n")
    finally:
        forget_run(store, run_id)  # leave the shared lake as it was for the other tests
        store.close()


async def test_palette_offers_jobs(lake: Lake) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.request_run(job="transform_dbt_models")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmRun)
        plan = str(app.screen.query_one("#confirm-plan", Static).render())
        assert "Plan for 'job transform_dbt_models'" in plan
        await pilot.press("n")
        from lakehouse_tui.tui.commands import LakehouseCommands

        provider = LakehouseCommands(app.screen, None)
        names = [name for name, _, _ in provider.commands()]
        assert "Materialize job ingest_raw_data" in names
        assert "Materialize job transform_dbt_models" in names


async def test_preview_says_when_a_run_holds_the_warehouse(lake: Lake) -> None:
    warehouse = lake.root / "data" / "lakehouse-tui" / "warehouse.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "sys.stdin.read()",
            str(warehouse),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        app = make_app()
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await select_asset(pilot, app, "dim_batch")
            await pilot.press("6")
            await settle(pilot)
            status = str(app.query_one("#preview-status", Static).render())
            assert "locked by a running materialization" in status
            assert app.query_one("#preview-table", DataTable).row_count == 0
    finally:
        holder.communicate("", timeout=30)


def test_headless_paths_never_import_textual() -> None:
    code = (
        "import sys; from lakehouse_tui import cli; cli.build_parser(); "
        "import lakehouse_tui.commands.open_tui, lakehouse_tui.runservice.child; "
        "import lakehouse_tui.tui.data; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


async def test_airbyte_connections_sit_above_the_raw_data(lake: Lake, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[airbyte]\nconnections = [{ name = "Bioreactor SFTP", id = "c-1" }]\n')
    app = LakehouseApp(config_module.load(path))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree", AssetTree)
        top = [node.data for node in tree.root.children]
        assert app.workspace is not None
        airbyte = [k for k, a in app.workspace.graph.assets.items() if a.kind == "airbyte"]
        assert len(airbyte) == 1
        assert top[:2] == [airbyte[0], "raw_bioreactor_data"]
        assert tree.status_of(airbyte[0]) == "never"
        assert tree.nodes_by_key[airbyte[0]].label.plain.startswith("○ ")
        tree.move_cursor(tree.nodes_by_key["raw_bioreactor_data"])
        await settle(pilot)
        assert tree.relation(airbyte[0]) == "up"


async def test_relative_times_keep_counting_between_reloads(lake: Lake) -> None:
    store = RunStore(lake.store_path)
    built = store.latest_materializations()["dim_batch"].ts
    store.close()
    now = [built + 5.0]  # seconds after dim_batch was last materialized, whenever that was
    app = make_app(clock=lambda: now[0], poll_interval=3600)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tree = await select_asset(pilot, app, "dim_batch")
        overview = app.query_one("#overview-body", Static)

        def shown() -> str:
            console = Console(record=True, width=120, color_system=None, file=io.StringIO())
            console.print(overview.content)
            return console.export_text()

        assert "s ago (" in shown()  # seconds since the lake was built
        now[0] += 7200  # two hours later, with no new run to reload anything
        app.refresh_ages()
        await pilot.pause()
        assert "2h ago (" in shown()
        assert "2h" in tree.nodes_by_key["dim_batch"].label.plain
