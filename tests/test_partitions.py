"""Batch partitions (issue 15): incremental runs, backfills, staleness per batch, the store.

Real dbt on small demo batches. The reference for every incremental result is a second lake
reading the very same raw files (a symlink) and rebuilt from scratch with `--full-refresh`:
after any sequence of new, replaced and deleted batch files, every table must equal it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from engine_fixtures import RELATIONS, Lake, extra_batch, make_lake

pytestmark = pytest.mark.slow
INCREMENTAL = ("int_bioreactor_downsample_5m", "dim_batch", "fact_bioreactor_batch_stats")


def write_batch(lake: Lake, index: int, seed: int = 0) -> str:
    """Batch `index` of the demo's shape (1 h at one reading per 20 s), written atomically."""
    from lakehouse_tui import demo

    table = demo.make_batch(index, 1.0, 0.05, np.random.default_rng(seed + index), False)
    target = lake.raw_dir / f"{demo.batch_id(index)}.parquet"
    partial = lake.raw_dir / f".{target.name}.partial"
    pq.write_table(table, partial)
    os.replace(partial, target)
    return demo.batch_id(index)


def tables(lake: Lake) -> dict[str, list[tuple[Any, ...]]]:
    with contextlib.closing(duckdb.connect(str(lake.warehouse), read_only=True)) as con:
        return {
            key: con.execute(
                f"select * exclude (source_file) from {relation} order by all"
            ).fetchall()
            if key == "stg_bioreactor"
            else con.execute(f"select * from {relation} order by all").fetchall()
            for key, relation in RELATIONS.items()
        }


def run_partitions(lake: Lake) -> list[str]:
    text = lake.last_run()["partitions_json"]
    return json.loads(text) if text else []


def states(lake: Lake, asset: str) -> dict[str, Any]:
    rows = lake.store_rows("select * from partitions where asset_key = ?", (asset,))
    return {row["partition_key"]: row for row in rows}


@pytest.fixture
def twin(lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    """A second lake over the same raw files, with its own warehouse and run store."""
    other = make_lake(monkeypatch, tmp_path / "twin")
    lake.raw_dir.mkdir(parents=True, exist_ok=True)
    other.raw_dir.symlink_to(lake.raw_dir, target_is_directory=True)
    return other


def assert_equals_full_refresh(lake: Lake, twin: Lake) -> None:
    result = twin.cli("--materialize", "*", "--full-refresh")
    assert result.code == 0, result.err
    assert tables(lake) == tables(twin)


def test_incremental_runs_equal_a_full_refresh_after_new_replaced_and_deleted_batches(
    lake: Lake, twin: Lake
) -> None:
    lake.demo(batches=4)
    assert lake.cli("--materialize", "*").code == 0
    assert_equals_full_refresh(lake, twin)

    new = write_batch(lake, 4)
    result = lake.cli("--materialize", "*", "--skip-unchanged")
    assert result.code == 0, result.err
    assert run_partitions(lake) == [new]  # exactly the new batch
    assert_equals_full_refresh(lake, twin)

    replaced = write_batch(lake, 1, seed=99)  # same batch id, other readings
    assert lake.cli("--materialize", "*", "--skip-unchanged").code == 0
    assert run_partitions(lake) == [replaced]
    assert_equals_full_refresh(lake, twin)

    (lake.raw_dir / "FB-2026-003.parquet").unlink()
    assert lake.cli("--materialize", "*", "--skip-unchanged").code == 0
    assert run_partitions(lake) == ["FB-2026-003"]
    assert states(lake, "dim_batch")["FB-2026-003"]["status"] == "deleted"
    assert_equals_full_refresh(lake, twin)

    # Several at once: two new, one replaced, one deleted.
    added = [write_batch(lake, 6), write_batch(lake, 7)]
    write_batch(lake, 0, seed=5)
    (lake.raw_dir / "FB-2026-005.parquet").unlink()
    assert lake.cli("--materialize", "*", "--skip-unchanged").code == 0
    assert run_partitions(lake) == sorted(["FB-2026-001", "FB-2026-005", *added])
    assert_equals_full_refresh(lake, twin)

    # Nothing changed: a no-op, not a run over every batch.
    result = lake.cli("--materialize", "*", "--skip-unchanged")
    assert result.code == 0
    assert lake.last_run()["status"] == "noop"


def test_one_new_batch_reads_only_its_own_file(lake: Lake) -> None:
    """An old batch's file is overwritten with garbage of the same size and mtime, so its
    fingerprint is unchanged: the incremental run for a new batch never opens it (it
    succeeds), while a full refresh reads every file and fails on it."""
    lake.demo(batches=3)
    assert lake.cli("--materialize", "*").code == 0
    old = lake.raw_dir / "FB-2026-002.parquet"  # not the first: DuckDB binds on that one
    stat = old.stat()
    old.write_bytes(b"\0" * stat.st_size)
    os.utime(old, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    new = write_batch(lake, 3)
    result = lake.cli("--materialize", "*", "--skip-unchanged")
    assert result.code == 0, result.err
    assert lake.query(f"select count(*) from curated.dim_batch where batch_id = '{new}'") == [(1,)]
    assert lake.query("select count(*) from curated.dim_batch") == [(4,)]
    result = lake.cli("--materialize", "*", "--full-refresh")
    assert result.code == 1
    assert "FB-2026-002.parquet" in result.out + result.err


def test_a_backfill_of_a_range_processes_exactly_those_batches(lake: Lake) -> None:
    lake.demo(batches=5)
    assert lake.cli("--materialize", "*").code == 0
    first = lake.last_run()["id"]
    result = lake.cli(
        "--materialize", "dim_batch", "--partition-range", "FB-2026-002...FB-2026-004"
    )
    assert result.code == 0, result.err
    backfill = lake.last_run()["id"]
    assert run_partitions(lake) == ["FB-2026-002", "FB-2026-003", "FB-2026-004"]
    by_run = {key: row["run_id"] for key, row in states(lake, "dim_batch").items()}
    assert by_run == {
        "FB-2026-001": first,
        "FB-2026-002": backfill,
        "FB-2026-003": backfill,
        "FB-2026-004": backfill,
        "FB-2026-005": first,
    }
    # Comma lists and repeats, and unknown keys as one clear line.
    assert (
        lake.cli("--materialize", "dim_batch", "--partition", "FB-2026-001,FB-2026-005").code == 0
    )
    assert run_partitions(lake) == ["FB-2026-001", "FB-2026-005"]
    result = lake.cli("--materialize", "dim_batch", "--partition", "FB-2099-001")
    assert result.code == 2
    assert result.err_lines == [
        "lakehouse-tui: unknown partition 'FB-2099-001' (known: FB-2026-001, FB-2026-002, "
        "FB-2026-003, ...); `lakehouse-tui status --partitions raw_bioreactor_data` lists them"
    ]


def test_a_cancelled_backfill_then_retry_does_the_unfinished_assets_for_its_batches(
    lake: Lake,
) -> None:
    lake.demo(batches=4)
    assert lake.cli("--materialize", "*").code == 0
    child = lake.spawn(
        "--materialize", "*", "--partition-range", "FB-2026-002...FB-2026-003", "--json"
    )
    assert child.stdout is not None
    for line in child.stdout:  # cancel once the staging view is built: mid-run
        event = json.loads(line)
        if event.get("event") == "asset_built" and event.get("asset") == "stg_bioreactor":
            child.send_signal(signal.SIGTERM)
            break
    assert child.wait(timeout=120) == 130
    cancelled = lake.last_run()
    assert cancelled["status"] == "cancelled"
    assert json.loads(cancelled["partitions_json"]) == ["FB-2026-002", "FB-2026-003"]
    result = lake.cli("retry", "--json")
    assert result.code == 0, result.err
    retry = lake.last_run()
    assert retry["id"] != cancelled["id"]
    assert run_partitions(lake) == ["FB-2026-002", "FB-2026-003"]
    done = lake.run_assets(retry["id"])
    assert "raw_bioreactor_data" not in done  # it finished in the cancelled run
    assert {row["status"] for row in done.values()} == {"materialized"}
    assert states(lake, "dim_batch")["FB-2026-002"]["run_id"] == retry["id"]


def test_a_code_change_rebuilds_every_partition_of_the_model_and_what_it_feeds(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_write_audit_publish import copied_project

    project = copied_project(tmp_path, monkeypatch)
    lake.demo(batches=3)
    assert lake.cli("--materialize", "*").code == 0
    first = lake.last_run()["id"]
    dim = project / "models" / "curated" / "dim_batch.sql"
    dim.write_text(
        dim.read_text(encoding="utf-8").replace(
            "count(*) as record_count", "count(*) + 0 as record_count"
        ),
        encoding="utf-8",
    )
    status = lake.status()
    assert status["dim_batch"]["stale_reason"] == "code changed"
    assert "3 stale" in status["dim_batch"]["partitions"]
    assert lake.cli("--materialize", "*", "--skip-unchanged").code == 0
    rebuilt = lake.last_run()["id"]
    assert {row["run_id"] for row in states(lake, "dim_batch").values()} == {rebuilt}
    assert {row["run_id"] for row in states(lake, "fact_bioreactor_batch_stats").values()} == {
        first
    }
    assert lake.run_assets(rebuilt)["mart_bioreactor_overview"]["status"] == "materialized"


def test_a_failing_blocking_check_on_one_batch_publishes_none_of_that_runs_batches(
    lake: Lake,
) -> None:
    lake.demo(batches=3)
    assert lake.cli("--materialize", "*").code == 0
    fact_before = lake.query("select * from curated.fact_bioreactor_batch_stats order by all")
    mart_before = lake.query("select * from marts.mart_bioreactor_overview order by all")
    good = write_batch(lake, 3)
    extra_batch(lake.raw_dir / "FB-2026-666.parquet", "FB-2026-666", tag="turbidity")
    result = lake.cli("--materialize", "*", "--skip-unchanged")
    assert result.code == 1
    assert (
        lake.query("select * from curated.fact_bioreactor_batch_stats order by all") == fact_before
    )
    assert lake.query("select * from marts.mart_bioreactor_overview order by all") == mart_before
    fact = states(lake, "fact_bioreactor_batch_stats")
    assert fact[good]["attempt_status"] == "failed"
    assert fact["FB-2026-666"]["attempt_status"] == "failed"
    summary = lake.cli("status", "--partitions", "fact_bioreactor_batch_stats", "--json")
    document = json.loads(summary.out)
    assert document["counts"]["failed"] == 2 and document["counts"]["materialized"] == 3
    # Fixed upstream: the next run publishes the good batch and the failed ones are done.
    (lake.raw_dir / "FB-2026-666.parquet").unlink()
    assert lake.cli("--materialize", "*", "--skip-unchanged").code == 0
    assert lake.query(
        f"select count(*) from curated.fact_bioreactor_batch_stats where batch_id = '{good}'"
    ) == [(6,)]


def test_status_counts_partitions_and_lists_them(lake: Lake) -> None:
    lake.demo(batches=3)
    assert lake.cli("--materialize", "*").code == 0
    write_batch(lake, 3)
    assert lake.cli("--materialize", "raw_bioreactor_data").code == 0
    status = lake.status()
    assert status["raw_bioreactor_data"]["partitions"] == "4/4 materialized"
    assert status["dim_batch"]["partitions"] == "3/4 materialized, 1 stale"
    assert status["mart_bioreactor_overview"]["partitions"] == ""
    text = lake.cli("status", "--partitions", "dim_batch")
    assert text.code == 0
    lines = text.out.splitlines()
    assert lines[0] == "dim_batch: 3/4 materialized, 1 stale"
    assert any(line.startswith("FB-2026-004") and "new batch" in line for line in lines)
    listed = json.loads(lake.cli("status", "--partitions", "dim_batch", "--json").out)
    assert [p["key"] for p in listed["partitions"]] == [f"FB-2026-00{i}" for i in range(1, 5)]
    assert listed["partitions"][0]["rows"] == 1
    result = lake.cli("status", "--partitions", "mart_bioreactor_overview")
    assert result.code == 2 and "is not partitioned" in result.err
