"""Staleness notices a deleted, restored or altered warehouse (real dbt runs, real DuckDB).

Each run marks the relations it built (a DuckDB comment naming the run); status and
`--skip-unchanged` compare the marks with the run history.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from engine_fixtures import MODEL_KEYS, RELATIONS, Lake


@pytest.fixture
def built(lake: Lake) -> Lake:
    """A lake of its own after one full run (each test changes its warehouse)."""
    lake.demo()
    assert lake.cli("--materialize", "*").code == 0
    return lake


def stale_reasons(lake: Lake) -> dict[str, str]:
    return {key: s["stale_reason"] for key, s in lake.status().items() if s["stale"]}


def skip_unchanged(lake: Lake) -> set[str]:
    """Run `--skip-unchanged`; the assets it materialized."""
    result = lake.cli("--materialize", "*", "--skip-unchanged")
    assert result.code == 0, result.err
    run = lake.last_run()
    assert run["status"] == "succeeded", run["message"]
    return {
        key for key, row in lake.run_assets(run["id"]).items() if row["status"] == "materialized"
    }


def test_a_deleted_warehouse_is_stale_and_rebuilt(built: Lake) -> None:
    lake = built
    assert stale_reasons(lake) == {}
    lake.warehouse.unlink()
    reason = "warehouse.duckdb is missing (deleted or moved?)"
    assert stale_reasons(lake) == {key: reason for key in MODEL_KEYS}
    assert lake.status()["dim_batch"]["status"] == "stale"
    assert skip_unchanged(lake) == set(MODEL_KEYS)
    assert lake.table_counts()["dim_batch"] == 3
    assert stale_reasons(lake) == {}


def test_an_older_copy_of_the_warehouse_is_stale(built: Lake) -> None:
    lake = built
    first_run = lake.last_run()["id"]
    older = lake.root / "warehouse-copy.duckdb"
    shutil.copy(lake.warehouse, older)
    assert lake.cli("--materialize", "dim_batch").code == 0
    shutil.copy(older, lake.warehouse)  # restore yesterday's backup
    reasons = stale_reasons(lake)
    assert reasons["dim_batch"] == (
        f"warehouse.duckdb was replaced by an older copy (curated.dim_batch is from run "
        f"{first_run})"
    )
    assert set(reasons) == {"dim_batch", "mart_bioreactor_overview"}
    assert skip_unchanged(lake) == {"dim_batch", "mart_bioreactor_overview"}
    assert stale_reasons(lake) == {}


def test_a_dropped_or_foreign_table_is_stale(built: Lake) -> None:
    lake = built
    with duckdb.connect(str(lake.warehouse)) as con:
        con.execute(f"drop table {RELATIONS['fact_bioreactor_batch_stats']}")
        con.execute(f"create or replace table {RELATIONS['dim_batch']} as select 1 as batch_id")
    reasons = stale_reasons(lake)
    assert reasons["fact_bioreactor_batch_stats"] == (
        "warehouse.duckdb has no curated.fact_bioreactor_batch_stats"
    )
    assert reasons["dim_batch"] == (
        "curated.dim_batch in warehouse.duckdb has no lakehouse-tui mark (built outside "
        "lakehouse-tui or by an older version)"
    )
    assert skip_unchanged(lake) == {
        "dim_batch",
        "fact_bioreactor_batch_stats",
        "mart_bioreactor_overview",
    }
