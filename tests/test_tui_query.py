# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""The Preview tab's SQL prompt: real DuckDB warehouse (the session lake), real PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import duckdb
import pytest
from textual.widgets import DataTable, Input, Static

from lakehouse_tui import config as config_module
from lakehouse_tui.config import PostgresSettings
from lakehouse_tui.core import query
from lakehouse_tui.core.lock import LockHolder, RunLock
from lakehouse_tui.tui.app import LakehouseApp
from lakehouse_tui.tui.screens.export_prompt import ExportPrompt
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.query_prompt import QueryPrompt
from tui_fixtures import Lake, anyio_backend, lake, settle  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


def status_text(app: LakehouseApp) -> str:
    return str(app.query_one("#query-status", Static).render())


async def open_prompt(pilot, app: LakehouseApp, key: str) -> QueryPrompt:  # type: ignore[no-untyped-def]
    await settle(pilot)
    tree = app.query_one("#tree", AssetTree)
    tree.move_cursor(tree.nodes_by_key[key])
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    return app.query_one("#query-prompt", QueryPrompt)


async def run_sql(pilot, app: LakehouseApp, sql: str) -> None:  # type: ignore[no-untyped-def]
    app.query_one("#query-input", Input).value = sql
    await pilot.press("enter")
    await settle(pilot)


async def test_query_shows_typed_columns_copies_and_exports(lake: Lake, tmp_path: Path) -> None:
    app = LakehouseApp(config_module.load(None))
    async with app.run_test(size=(160, 48)) as pilot:
        prompt = await open_prompt(pilot, app, "dim_batch")
        field = app.query_one("#query-input", Input)
        assert app.focused is field
        assert field.value == "select * from curated.dim_batch limit 100"
        await run_sql(pilot, app, "select batch_id, count(*) over () as n from curated.dim_batch")
        table = app.query_one("#query-table", DataTable)
        headers = [column.label.plain for column in table.columns.values()]
        assert headers == ["batch_id\nVARCHAR", "n\nBIGINT"]
        assert table.row_count == 2  # the session lake has two batches
        assert prompt.has_class("-has-result")
        assert app.query_one("#preview-table").size.height == 0  # the result took its place
        assert "2 rows, 2 columns from DuckDB" in status_text(app)

        await pilot.press("ctrl+y")
        lines = app.clipboard.splitlines()
        assert lines[0] == "batch_id\tn" and len(lines) == 3 and lines[1].endswith("\t2")

        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ExportPrompt)
        path_field = app.screen.query_one("#export-path", Input)
        default = Path(path_field.value)
        assert default.parent == lake.root / "data" / "lakehouse-tui" / "exports"
        assert default.suffix == ".csv"
        path_field.value = str(tmp_path / "nope.txt")
        await pilot.press("enter")
        await pilot.pause()
        hint = str(app.screen.query_one("#export-hint", Static).render())
        assert "nope.txt: export to a .csv or .parquet file" in hint
        target = tmp_path / "out" / "batches.parquet"
        path_field.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ExportPrompt)
        assert "Exported 2 rows to" in status_text(app)
        exported = duckdb.sql(f"select batch_id, n from read_parquet('{target}')").fetchall()
        assert sorted(exported) == sorted(tuple(row) for row in table_rows(table))

        await pilot.press("escape")  # the result goes, the preview comes back
        await pilot.pause()
        assert not prompt.has_class("-has-result")
        assert app.query_one("#preview-table").size.height > 0


def table_rows(table: DataTable) -> list[tuple[object, ...]]:  # type: ignore[type-arg]
    return [
        (str(row[0]), int(str(row[1])))
        for row in (table.get_row_at(i) for i in range(table.row_count))
    ]


async def test_writes_are_refused_with_one_line(lake: Lake) -> None:
    app = LakehouseApp(config_module.load(None))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_prompt(pilot, app, "dim_batch")
        for sql, kind in (
            ("drop table curated.dim_batch", "DROP"),
            ("copy curated.dim_batch to '/tmp/x.csv'", "COPY"),
            ("attach 'other.duckdb'", "ATTACH"),
        ):
            await run_sql(pilot, app, sql)
            assert status_text(app) == (
                f"✗ {kind} is not read-only; the query prompt runs SELECT, FROM, DESCRIBE, "
                "SHOW, SUMMARIZE and EXPLAIN only (materialize to change the warehouse)"
            )
        await run_sql(pilot, app, "select 1; drop table curated.dim_batch")
        assert status_text(app) == "✗ 2 statements; the query prompt runs one at a time"
        await run_sql(pilot, app, "select * from no_such_table")
        assert status_text(app).startswith("✗ DuckDB: Catalog Error: Table with name no_such_table")
    warehouse = lake.root / "data" / "lakehouse-tui" / "warehouse.duckdb"
    with contextlib.closing(duckdb.connect(str(warehouse), read_only=True)) as connection:
        assert connection.execute("select count(*) from curated.dim_batch").fetchall() == [(2,)]


async def test_a_run_holding_the_warehouse_is_named_and_nothing_is_opened(lake: Lake) -> None:
    app = LakehouseApp(config_module.load(None))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_prompt(pilot, app, "dim_batch")
        holder = LockHolder("run-held-by-test", os.getpid(), "timer", time.time() - 60)
        with RunLock(lake.root / "state" / "lakehouse-tui" / "run.lock", holder):
            await run_sql(pilot, app, "select count(*) from curated.dim_batch")
            text = status_text(app)
            assert text.startswith(
                "⏳ The warehouse is held by run run-held-by-test (trigger timer"
            )
            assert text.endswith("; query again when it finishes.")
            assert not app.query_one("#query-prompt").has_class("-has-result")
        await run_sql(pilot, app, "select count(*) as n from curated.dim_batch")
        row = app.query_one("#query-table", DataTable).get_row_at(0)
        assert [str(cell) for cell in row] == ["2"]  # free again: the query runs


def test_a_slow_query_is_stopped_and_lets_go_of_the_file(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    with pytest.raises(query.QueryFailed, match=r"ran longer than 0.2 s and was stopped"):
        query.run_duckdb(
            warehouse, "select count(*) from range(100000000000) a, range(10) b", seconds=0.2
        )
    duckdb.connect(str(warehouse)).close()  # a writer can open it: nothing holds it


def marts_table(settings: PostgresSettings, password: str, create: str) -> None:
    """The schema `marts` with one table made by `create`, as the role the app uses."""
    from lakehouse_tui.core import postgres

    connection = postgres.connect(settings, password)
    with contextlib.closing(connection), connection.cursor() as cursor:
        cursor.execute("create schema marts")
        cursor.execute(create)
        connection.commit()


def test_postgres_queries_are_read_only_and_typed(
    pg_settings: PostgresSettings, pg_password: str, tmp_path: Path
) -> None:
    marts_table(
        pg_settings,
        pg_password,
        "create table marts.batch_summary as select 'b' || g as batch_id, g * 1.5 as value "
        "from generate_series(1, 3) g",
    )
    result = query.run_postgres(pg_settings, "select * from batch_summary order by batch_id")
    assert result.columns == ["batch_id", "value"]
    assert result.types == ["text", "numeric"]
    assert [row[0] for row in result.rows] == ["b1", "b2", "b3"]
    with pytest.raises(query.NotReadOnly, match=r"^DELETE is not read-only"):
        query.run_postgres(pg_settings, "delete from batch_summary")
    # What the parser lets through, the read-only transaction refuses.
    with pytest.raises(query.QueryFailed, match="read-only transaction"):
        query.run_postgres(
            pg_settings, "with d as (delete from batch_summary returning *) select * from d"
        )
    out = tmp_path / "summary.csv"
    assert query.export_postgres(pg_settings, "select * from batch_summary", out) == 3
    assert out.read_text(encoding="utf-8").splitlines()[0] == "batch_id,value"
    assert pg_password not in str(result)


async def test_the_marts_in_postgresql_are_queried_there(
    pg_marts_config: str, pg_settings: PostgresSettings, pg_password: str
) -> None:
    marts_table(
        pg_settings,
        pg_password,
        "create table marts.mart_bioreactor_overview as "
        "select 'FB-1' as batch_id, 36.6::double precision as avg_value",
    )
    app = LakehouseApp(config_module.load(Path(pg_marts_config)), warm_runs=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_prompt(pilot, app, "mart_bioreactor_overview")
        assert str(app.query_one("#query-target", Static).render()) == "PostgreSQL›"
        field = app.query_one("#query-input", Input)
        assert field.value == "select * from mart_bioreactor_overview limit 100"
        await pilot.press("enter")
        await settle(pilot)
        table = app.query_one("#query-table", DataTable)
        headers = [column.label.plain for column in table.columns.values()]
        assert headers == ["batch_id\ntext", "avg_value\ndouble precision"]
        assert [str(cell) for cell in table.get_row_at(0)] == ["FB-1", "36.6"]
        assert "1 row, 2 columns from PostgreSQL" in status_text(app)
        await run_sql(pilot, app, "delete from mart_bioreactor_overview")
        assert status_text(app).startswith("✗ DELETE is not read-only")
        await pilot.press("ctrl+t")  # back to DuckDB, and the warehouse is not there yet
        await run_sql(pilot, app, "show tables")
        assert "the warehouse does not exist yet; materialize an asset first" in status_text(app)
        assert pg_password not in status_text(app)
