# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""The runs screen: `/` filters by status, trigger and asset; a run's page shows what was
asked and its plan under the timeline. Real runs of the session lake, one seeded timer run."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from lakehouse_tui import config as config_module
from lakehouse_tui.core.run_filter import RunFilter
from lakehouse_tui.core.store import RunStore
from lakehouse_tui.errors import UsageError
from lakehouse_tui.tui.app import LakehouseApp
from lakehouse_tui.tui.screens.runs import RunsScreen
from tui_fixtures import Lake, anyio_backend, forget_run, lake, seed_failed_run, settle  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

SEEDED = "20260102-000000-seeded"


def shown_ids(screen: RunsScreen) -> list[str]:
    table = screen.query_one("#runs-table", DataTable)
    return [str(key.value) for key in table.rows]


def test_filter_words_parse_and_bad_fields_say_what_to_use() -> None:
    found = RunFilter.parse("status:failed status:cancel trigger:timer asset:stg_* nightly")
    assert found.statuses == ("failed", "cancel") and found.triggers == ("timer",)
    assert found.assets == ("stg_*",) and found.words == ("nightly",)
    with pytest.raises(UsageError, match=r"unknown field 'colour:'; use status:, trigger:"):
        RunFilter.parse("colour:red")
    with pytest.raises(UsageError, match=r"'status:' needs a value, e.g. status:failed"):
        RunFilter.parse("status:")


async def test_runs_filter_by_status_trigger_and_asset(lake: Lake) -> None:
    store = RunStore(lake.store_path)
    seed_failed_run(
        store,
        SEEDED,
        "+dim_batch",
        [
            ("stg_bioreactor", "dbt duckdb", "materialized", None),
            ("dim_batch", "dbt duckdb", "failed", "boom"),
        ],
        "dim_batch failed",
    )
    store.set_run_partitions(SEEDED, ["FB-2026-002"])  # as `--partition FB-2026-002` records
    app = LakehouseApp(config_module.load(None))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("r")  # the runs screen
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, RunsScreen), screen
            everything = shown_ids(screen)
            assert SEEDED in everything and len(everything) >= 2
            page = str(screen.query_one("#run-timeline", Static).render())  # the newest: seeded
            assert "asked  selection +dim_batch\n       partitions FB-2026-002 (1)\n" in page
            await pilot.press("slash")
            await pilot.pause()
            field = screen.query_one("#runs-filter", Input)
            assert app.focused is field and field.display

            async def filter_by(text: str) -> list[str]:
                field.value = text
                await settle(pilot)
                return shown_ids(screen)

            failed = await filter_by("status:failed")  # other tests share this lake
            assert SEEDED in failed
            assert {store.get_run(r).status for r in failed} == {"failed"}  # type: ignore[union-attr]
            title = str(screen.query_one("#runs-title", Static).render())
            assert title == f"Runs — {len(failed)} of {len(everything)} match status:failed"
            assert await filter_by("trigger:timer asset:dim_batch") == [SEEDED]
            with_mart = [
                r
                for r in everything
                if any(a.asset_key.startswith("mart_") for a in store.run_assets(r))
            ]
            assert with_mart and SEEDED not in with_mart
            assert await filter_by("asset:mart_*") == with_mart
            assert await filter_by("trigger:sensor") == []
            timeline = str(screen.query_one("#run-timeline", Static).render())
            assert timeline == "No run matches the filter."
            await filter_by("colour:red")
            title = str(screen.query_one("#runs-title", Static).render())
            assert title.startswith("runs filter: unknown field 'colour:'")

            await pilot.press("escape")  # clears the filter, back to the list
            await settle(pilot)
            assert field.value == "" and not field.display
            assert shown_ids(screen) == everything
            assert isinstance(app.focused, DataTable)

            # A real run's page: what was asked, and its plan step by step.
            real = next(r for r in everything if getattr(store.get_run(r), "selection", "") == "*")
            table = screen.query_one("#runs-table", DataTable)
            table.move_cursor(row=everything.index(real))
            await settle(pilot)
            page = str(screen.query_one("#run-timeline", Static).render())
            assert "asked  selection *" in page, page
            assert "\n       partitions none recorded (whole tables)\n" in page
            assert "plan   1. raw: raw_bioreactor_data" in page
            assert "2. dbt duckdb: stg_bioreactor, dim_batch, fact_bioreactor_batch_stats" in page
    finally:
        forget_run(store, SEEDED)
        store.close()
