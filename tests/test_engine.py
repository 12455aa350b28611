"""The engine end to end: plans, real runs, blocking and warning checks, bad raw files,
killed and cancelled runs, the run lock, no-op runs, staleness and JSON events.

Real DuckDB, real dbt (in-process through cli.main, or in a child process where a run must be
killed or must not see the test process's imports) and a real SQLite run store.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from child_output import Lines
from engine_fixtures import (
    ALL_KEYS,
    MODEL_KEYS,
    RELATIONS,
    Lake,
    extra_batch,
    make_lake,
    wait_for,
    write_parquet,
)
from lakehouse_tui import config as config_module
from lakehouse_tui.core.lock import LockHolder, RunLock
from lakehouse_tui.core.plan import build_plan
from lakehouse_tui.core.workspace import Workspace

pytestmark = pytest.mark.slow

DBT_ORDER = (
    "stg_bioreactor",
    "dim_batch",
    "fact_bioreactor_batch_stats",
    "int_bioreactor_downsample_5m",
    "mart_bioreactor_overview",
)


# -- plans --------------------------------------------------------------------------------


def test_plan_order(parsed_workspace: Any) -> None:
    graph = parsed_workspace.graph
    plan = build_plan(graph, set(graph.assets), "*")
    assert [(s.name, s.kind, s.assets) for s in plan.steps] == [
        ("raw", "raw", ("raw_bioreactor_data",)),
        ("dbt duckdb", "dbt", DBT_ORDER),
    ]
    # The models, then the one check dbt must run itself (it reads two models).
    assert plan.steps[1].dbt_select == (
        *DBT_ORDER,
        "relationships_fact_bioreactor_batch_stats_batch_id__batch_id__ref_dim_batch_",
    )
    assert plan.steps[1].indirect_selection == "empty"
    assert len(plan.steps[1].executor_checks) == 16
    assert plan.steps[1].target == "duckdb"
    # Every asset comes after its parents.
    position = {key: i for i, key in enumerate(plan.assets)}
    for parent, child in graph.digraph.edges:
        assert position[parent] < position[child]
    assert build_plan(graph, set(), "nothing").steps == ()
    # The order does not depend on how the set was built.
    assert build_plan(graph, list(reversed(plan.assets)), "*") == plan


def test_plan_with_postgres_marts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = make_lake(monkeypatch, tmp_path / "pg", '[marts]\ntarget = "postgres"\n')
    workspace = Workspace.open(config_module.load(lake.config_path))
    try:
        graph = workspace.graph
        assert graph.assets["mart_bioreactor_overview"].kind == "postgres"
        plan = workspace.plan(set(graph.assets), "*")
        assert [(s.name, s.kind, s.assets, s.target) for s in plan.steps] == [
            ("raw", "raw", ("raw_bioreactor_data",), None),
            ("dbt duckdb", "dbt", DBT_ORDER[:-1], "duckdb"),
            ("publish", "publish", ("dim_batch", "fact_bioreactor_batch_stats"), None),
            ("dbt postgres", "dbt", ("mart_bioreactor_overview",), "postgres"),
        ]
        assert plan.steps[2].publish_tables == (
            "curated.dim_batch",
            "curated.fact_bioreactor_batch_stats",
        )
        assert plan.steps[3].dbt_select == ("mart_bioreactor_overview",)
        # The executor evaluates the mart's checks before publishing it (write-audit-publish).
        assert plan.steps[3].indirect_selection == "empty"
        assert len(plan.steps[3].executor_checks) == 2
        # Publishing is not an asset of its own.
        assert plan.assets == ["raw_bioreactor_data", *DBT_ORDER]
    finally:
        workspace.close()
    result = lake.cli("--dry-run", "--materialize", "tag:mart")
    assert result.out.splitlines() == [
        "Plan for 'tag:mart': 1 assets in 2 steps",
        "  1. publish: copy to PostgreSQL: curated.dim_batch, curated.fact_bioreactor_batch_stats",
        "  2. dbt postgres: dbt build --target postgres --select mart_bioreactor_overview"
        " --indirect-selection empty",
        "     assets: mart_bioreactor_overview",
        "     checks: 2 evaluated by the executor, 0 by dbt (in the --select)",
    ]


# -- a full run ---------------------------------------------------------------------------


def test_full_run_and_status_json(built_lake: Lake) -> None:
    run = built_lake.runs()[0]
    assert run["status"] == "succeeded"
    assert run["trigger"] == "cli" and run["selection"] == "*"
    assets = built_lake.run_assets(run["id"])
    assert set(assets) == set(ALL_KEYS)
    assert {a["status"] for a in assets.values()} == {"materialized"}
    # Each asset's span in the run history is its own work, not the wait for the others.
    durations = {
        row["asset_key"]: json.loads(row["metadata_json"])["duration"]
        for row in built_lake.store_rows(
            "select asset_key, metadata_json from materializations where run_id = ?", (run["id"],)
        )
    }
    for key, asset in assets.items():
        assert asset["ended_at"] - asset["started_at"] == pytest.approx(durations[key], abs=0.002)
    counts = built_lake.table_counts()
    status = built_lake.status()
    assert list(status) == ["raw_bioreactor_data", *DBT_ORDER]
    for key, entry in status.items():
        assert entry["status"] == "materialized", entry
        assert entry["stale"] is False, entry
        assert entry["run_id"] == run["id"]
        assert isinstance(entry["rows"], int) and entry["rows"] > 0
        if key in counts:
            assert entry["rows"] == counts[key]
            assert entry["location"] == f"{built_lake.warehouse}:{RELATIONS[key]}"
    import pyarrow.parquet as pq

    raw_rows = sum(pq.read_metadata(p).num_rows for p in built_lake.raw_dir.glob("*.parquet"))
    assert status["raw_bioreactor_data"]["rows"] == raw_rows == counts["stg_bioreactor"]
    assert status["raw_bioreactor_data"]["location"] == str(built_lake.raw_dir)
    assert status["dim_batch"]["rows"] == 3
    assert status["fact_bioreactor_batch_stats"]["rows"] == 18
    assert status["fact_bioreactor_batch_stats"]["checks_summary"].endswith("pass")
    # Every check ran and passed.
    checks = built_lake.check_results(run["id"])
    assert len(checks) >= 15
    assert {c["status"] for c in checks.values()} == {"pass"}
    # Materialization metadata: raw has files and batches; models have time ranges.
    raw_meta = json.loads(
        built_lake.store_rows(
            "select metadata_json from materializations where asset_key = 'raw_bioreactor_data'"
        )[0][0]
    )
    assert raw_meta["file_count"] == 3 and raw_meta["batch_count"] == 3
    assert raw_meta["batch_ids"] == ["FB-2026-001", "FB-2026-002", "FB-2026-003"]


def test_json_events(built_lake: Lake) -> None:
    result = built_lake.first_run  # type: ignore[attr-defined]
    lines = [line for line in result.out.splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]
    assert all(isinstance(e, dict) for e in events)
    assert events[0]["event"] == "run_started"
    assert events[-1]["event"] == "run_finished"
    assert events[-1]["status"] == "succeeded"
    assert len({e["run_id"] for e in events}) == 1
    kinds = [e["event"] for e in events]
    assert kinds.count("run_started") == 1 and kinds.count("run_finished") == 1
    materialized = [e["asset"] for e in events if e["event"] == "asset_materialized"]
    assert sorted(materialized) == sorted(ALL_KEYS)
    assert {e["step"] for e in events if e["event"] == "step_started"} == {"raw", "dbt duckdb"}
    assert any(e["event"] == "check_evaluated" for e in events)
    # stdout carries only JSON; the human summary went to stderr.
    assert "materialized" in result.err


# -- checks ------------------------------------------------------------------------------


@pytest.fixture
def fresh_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    lake = make_lake(monkeypatch, tmp_path / "lake")
    lake.demo()
    result = lake.cli("--materialize", "*")
    assert result.code == 0, result.err
    return lake


def test_failing_blocking_check_stops_downstream(fresh_built: Lake) -> None:
    lake = fresh_built
    mart_before = lake.table_counts()["mart_bioreactor_overview"]
    extra_batch(lake.raw_dir / "FB-2026-050.parquet", "FB-2026-050", tag="foam")
    result = lake.cli("--materialize", "*")
    assert result.code == 1
    run = lake.last_run()
    assert run["status"] == "failed"
    assert "accepted_values" in run["message"]
    assets = lake.run_assets(run["id"])
    # Write-audit-publish: the rejected version of the fact table was never published.
    assert assets["fact_bioreactor_batch_stats"]["status"] == "failed"
    assert "the new version was not published" in assets["fact_bioreactor_batch_stats"]["message"]
    assert lake.query(
        "select count(*) from curated.fact_bioreactor_batch_stats where tag = 'foam'"
    ) == [(0,)]
    assert assets["mart_bioreactor_overview"]["status"] == "skipped"
    assert assets["mart_bioreactor_overview"]["message"].startswith(
        "upstream fact_bioreactor_batch_stats failed check accepted_values_"
    )
    # The executor stopped dbt by failing the model's node; nothing in the logs says so.
    logs = [
        r["message"]
        for r in lake.store_rows("select message from logs where run_id = ?", (run["id"],))
    ]
    assert not [line for line in logs if "blocking check failed" in line]
    assert any(line.startswith("check accepted_values_") and " FAIL in " in line for line in logs)
    for key in (
        "raw_bioreactor_data",
        "stg_bioreactor",
        "dim_batch",
        "int_bioreactor_downsample_5m",
    ):
        assert assets[key]["status"] == "materialized", key
    checks = lake.check_results(run["id"])
    failed = [c for c in checks.values() if c["status"] in ("fail", "error")]
    assert [c["check_name"] for c in failed] == [
        n for n in checks if n.startswith("accepted_values_fact_bioreactor_batch_stats_tag")
    ]
    assert failed[0]["severity"] == "error" and failed[0]["failures"] == 1
    # The mart still holds the previous run's rows, without the foam batch.
    assert lake.table_counts()["mart_bioreactor_overview"] == mart_before
    assert lake.query("select count(*) from marts.mart_bioreactor_overview where tag = 'foam'") == [
        (0,)
    ]
    assert "check accepted_values" in result.err and "severity error" in result.err
    assert lake.status()["fact_bioreactor_batch_stats"]["status"] == "failed"


def test_warning_check_does_not_block(fresh_built: Lake) -> None:
    lake = fresh_built
    extra_batch(lake.raw_dir / "FB-2026-051.parquet", "FB-2026-051", tag="ph", value=15.0)
    result = lake.cli("--materialize", "*")
    assert result.code == 0, result.err
    run = lake.last_run()
    assert run["status"] == "succeeded"
    assets = lake.run_assets(run["id"])
    assert {a["status"] for a in assets.values()} == {"materialized"}
    checks = lake.check_results(run["id"])
    assert checks["ph_max_within_0_14"]["status"] == "warn"
    assert checks["ph_max_within_0_14"]["severity"] == "warn"
    assert checks["ph_max_within_0_14"]["failures"] == 1
    assert checks["ph_min_within_0_14"]["status"] == "warn"
    assert lake.query(
        "select count(*) from marts.mart_bioreactor_overview where batch_id = 'FB-2026-051'"
    ) == [(1,)]
    assert "check ph_max_within_0_14 on fact_bioreactor_batch_stats: warn" in result.err
    assert lake.status()["fact_bioreactor_batch_stats"]["status"] == "check_warning"


# -- bad raw input -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_input_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    with pytest.MonkeyPatch.context() as mp:
        lake = make_lake(mp, tmp_path_factory.mktemp("bad") / "lake")
        lake.demo()
        result = lake.cli("--materialize", "*")
        assert result.code == 0, result.err
        yield lake


def _garbage(path: Path) -> str:
    path.write_bytes(b"PAR1 this is not parquet at all \x00\x01\x02" * 10)
    return "not a readable parquet file"


def _string_values(path: Path) -> str:
    import pyarrow as pa

    from lakehouse_tui.demo import RAW_SCHEMA

    schema = RAW_SCHEMA.set(RAW_SCHEMA.get_field_index("value"), pa.field("value", pa.string()))
    from datetime import datetime

    write_parquet(
        path,
        {
            "batch_id": ["FB-2026-060"],
            "equipment_id": ["BR-01"],
            "ts": [datetime(2026, 3, 1)],
            "tag": ["ph"],
            "value": ["7.0"],
            "site": ["basel"],
        },
        schema=schema,
    )
    return "column value is string, expected a number"


def _missing_column(path: Path) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"batch_id": ["FB-2026-060"], "tag": ["ph"], "value": [7.0]}), path)
    return "missing column(s) equipment_id, ts, site"


def _no_rows(path: Path) -> str:
    from lakehouse_tui.demo import RAW_SCHEMA

    write_parquet(path, {name: [] for name in RAW_SCHEMA.names})
    return "has no rows"


def _string_timestamps(path: Path) -> str:
    import pyarrow as pa

    from lakehouse_tui.demo import RAW_SCHEMA

    schema = RAW_SCHEMA.set(RAW_SCHEMA.get_field_index("ts"), pa.field("ts", pa.string()))
    write_parquet(
        path,
        {
            "batch_id": ["FB-2026-060"],
            "equipment_id": ["BR-01"],
            "ts": ["2026-03-01 00:00:00"],
            "tag": ["ph"],
            "value": [7.0],
            "site": ["basel"],
        },
        schema=schema,
    )
    return "column ts is string, expected a timestamp"


BAD_FILES = {
    "garbage": _garbage,
    "string-values": _string_values,
    "missing-columns": _missing_column,
    "no-rows": _no_rows,
    "string-timestamps": _string_timestamps,
}


@pytest.mark.parametrize("kind", [*BAD_FILES, "empty-dir"])
def test_bad_raw_input_fails_raw_and_runs_nothing_downstream(
    bad_input_lake: Lake, kind: str
) -> None:
    lake = bad_input_lake
    # stg_bioreactor is a view over the raw files, so only the tables keep their rows.
    tables = [k for k in MODEL_KEYS if k != "stg_bioreactor"]
    before = {k: v for k, v in lake.table_counts(tables).items()}
    moved = lake.root / f"moved-{kind}"
    bad = lake.raw_dir / "FB-2026-060.parquet"
    if kind in BAD_FILES:
        expected = BAD_FILES[kind](bad)
    else:
        shutil.move(lake.raw_dir, moved)
        lake.raw_dir.mkdir()
        expected = "has no parquet files"
    try:
        result = lake.cli("--materialize", "*")
        assert result.code == 1
        assert "Traceback" not in result.err
        run = lake.last_run()
        assert run["status"] == "failed"
        assets = lake.run_assets(run["id"])
        raw = assets["raw_bioreactor_data"]
        assert raw["status"] == "failed"
        assert expected in raw["message"]
        if kind != "empty-dir":
            assert str(bad) in raw["message"]
            assert str(bad) in result.err
        else:
            assert str(lake.raw_dir) in raw["message"]
        for key in MODEL_KEYS:
            assert assets[key]["status"] == "skipped", key
            assert assets[key]["message"].startswith("upstream "), assets[key]["message"]
        assert "raw_bioreactor_data failed" in assets["stg_bioreactor"]["message"]
        # dbt never ran: no new materializations and no check results for this run.
        assert (
            lake.store_rows("select count(*) from materializations where run_id = ?", (run["id"],))[
                0
            ][0]
            == 0
        )
        assert lake.check_results(run["id"]) == {}
        assert lake.table_counts(tables) == before
        logs = lake.store_rows("select level, message from logs where run_id = ?", (run["id"],))
        assert any(level == "error" and expected in message for level, message in logs)
        assert lake.status()["raw_bioreactor_data"]["status"] == "failed"
    finally:
        if kind == "empty-dir":
            shutil.rmtree(lake.raw_dir)
            shutil.move(moved, lake.raw_dir)
        else:
            bad.unlink()
    # Once the bad input is gone the lake runs again.
    assert lake.cli("--materialize", "*").code == 0


def test_missing_raw_dir_fails_raw(lake: Lake) -> None:
    result = lake.cli("--materialize", "raw_bioreactor_data")
    assert result.code == 1
    assert "has no parquet files" in result.err and "lakehouse-tui demo" in result.err


# -- killed, cancelled and concurrent runs ------------------------------------------------


def _running_with_started_asset(lake: Lake, dbt: bool = False) -> Any:
    for run in lake.runs():
        if run["status"] != "running":
            continue
        rows = lake.store_rows(
            "select asset_key, status from run_assets where run_id = ? and started_at is not null",
            (run["id"],),
        )
        started = [r for r in rows if not dbt or r["asset_key"] != "raw_bioreactor_data"]
        if started:
            return run
    return None


@pytest.fixture
def medium_lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    """More data, so a run lasts long enough to be caught while running."""
    lake = make_lake(monkeypatch, tmp_path / "lake")
    lake.demo(batches=4, hours=24, hz=0.2)
    return lake


def test_kill_9_halfway_then_next_run_succeeds(medium_lake: Lake) -> None:
    lake = medium_lake
    child = lake.spawn("--materialize", "*")
    try:
        run = wait_for(
            lambda: _running_with_started_asset(lake), 90, "the child's run to start an asset"
        )
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == -signal.SIGKILL
    # Nothing has touched the store since the kill: the run still says running.
    assert lake.store_rows("select status from runs where id = ?", (run["id"],))[0][0] == "running"

    result = lake.cli("--materialize", "*")
    assert result.code == 0, result.err
    killed = lake.store_rows("select * from runs where id = ?", (run["id"],))[0]
    assert killed["status"] == "interrupted"
    assert killed["ended_at"] is not None
    statuses = {
        r["asset_key"]: r["status"]
        for r in lake.store_rows("select * from run_assets where run_id = ?", (run["id"],))
    }
    assert "interrupted" in statuses.values()
    assert "running" not in statuses.values() and "pending" not in statuses.values()
    assert lake.last_run()["status"] == "succeeded"
    status = lake.status()
    assert {s["status"] for s in status.values()} == {"materialized"}


def test_sigterm_cancels_the_run(medium_lake: Lake) -> None:
    lake = medium_lake
    child = lake.spawn("--materialize", "*")
    try:
        run = wait_for(
            lambda: _running_with_started_asset(lake, dbt=True), 90, "the child's dbt step to start"
        )
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130, err
    record = lake.store_rows("select * from runs where id = ?", (run["id"],))[0]
    assert record["status"] == "cancelled", (record["status"], record["message"])
    statuses = {
        r["asset_key"]: r["status"]
        for r in lake.store_rows("select * from run_assets where run_id = ?", (run["id"],))
    }
    assert "cancelled" in statuses.values()
    assert not {"running", "pending"} & set(statuses.values())
    assert "Traceback" not in err
    # The lock and the warehouse are free again.
    assert lake.cli("--materialize", "*").code == 0


def test_second_run_gets_exit_3_naming_the_holder(fresh_built: Lake) -> None:
    lake = fresh_built
    runs_before = len(lake.runs())
    holder = LockHolder("20260101-020000-abcdef", os.getpid(), "timer", time.time())
    with RunLock(lake.lock_path, holder):
        result = lake.cli("--materialize", "*")
    assert result.code == 3
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert line.startswith("lakehouse-tui: ")
    assert (
        "20260101-020000-abcdef" in line
        and f"pid {os.getpid()}" in line
        and "trigger timer" in line
    )
    assert "--wait" in line
    # A refused run is not a run.
    assert len(lake.runs()) == runs_before


def test_wait_queues_behind_the_holder(fresh_built: Lake) -> None:
    lake = fresh_built
    holder = LockHolder("holder-run", os.getpid(), "tui", time.time())
    lock = RunLock(lake.lock_path, holder)
    lock.acquire()
    child = lake.spawn("--max-wait", "10m", "--trigger", "timer", "--materialize", "tag:mart")
    try:
        lines = Lines(child.stderr)
        waiting = lines.wait_for_line("waiting for run holder-run")
        assert f"(pid {os.getpid()}, trigger tui, started " in waiting
        assert waiting.endswith("giving up after 10m (--max-wait)"), waiting
        assert child.poll() is None
        runs_while_waiting = len(lake.runs())
        lock.release()
        child.wait(timeout=120)
    finally:
        lock.release()
        if child.poll() is None:
            child.kill()
            child.wait()
    err = lines.text()
    assert child.returncode == 0, err
    runs = lake.runs()
    assert len(runs) == runs_while_waiting + 1
    assert runs[-1]["status"] == "succeeded" and runs[-1]["trigger"] == "timer"
    assert runs[-1]["selection"] == "tag:mart"


# -- no-op runs and staleness ---------------------------------------------------------------


def test_skip_unchanged_records_a_noop_without_importing_dbt(built_lake: Lake) -> None:
    lake = built_lake
    before = len(lake.runs())
    code = (
        "import sys\n"
        "from lakehouse_tui.cli import main\n"
        f"rc = main(['--config', {str(lake.config_path)!r}, "
        "'--materialize', '*', '--skip-unchanged'])\n"
        "print(rc, 'dbt' in sys.modules, 'textual' in sys.modules, 'duckdb' in sys.modules)\n"
    )
    done = lake.python(code)
    assert done.returncode == 0, done.stderr
    # Nor DuckDB: the warehouse is unchanged since the run checked its marks.
    assert done.stdout.split() == ["0", "False", "False", "False"]
    assert "nothing selected is stale" in done.stderr
    runs = lake.runs()
    assert len(runs) == before + 1
    noop = runs[-1]
    assert noop["status"] == "noop"
    assert noop["selection"] == "*" and noop["ended_at"] is not None
    assert lake.run_assets(noop["id"]) == {}
    # The previous materializations still count: nothing is stale.
    assert {s["stale"] for s in lake.status().values()} == {False}


def test_new_raw_file_makes_everything_downstream_stale(fresh_built: Lake) -> None:
    lake = fresh_built
    assert {s["stale"] for s in lake.status().values()} == {False}
    extra_batch(lake.raw_dir / "FB-2026-070.parquet", "FB-2026-070")
    status = lake.status()
    assert {k for k, s in status.items() if s["stale"]} == set(ALL_KEYS)
    assert status["raw_bioreactor_data"]["stale_reason"] == "raw files changed"
    assert status["stg_bioreactor"]["stale_reason"] == "raw_bioreactor_data updated since"
    assert status["mart_bioreactor_overview"]["stale_reason"].endswith("is stale")
    assert {s["status"] for s in status.values()} == {"stale"}

    # `stale` as a selection picks exactly these.
    dry = lake.cli("--dry-run", "--materialize", "stale")
    assert dry.out.splitlines()[0] == "Plan for 'stale': 6 assets in 2 steps"

    result = lake.cli("--materialize", "*", "--skip-unchanged")
    assert result.code == 0, result.err
    run = lake.last_run()
    assert run["status"] == "succeeded"
    assert set(lake.run_assets(run["id"])) == set(ALL_KEYS)
    assert lake.query("select count(*) from curated.dim_batch") == [(4,)]
    assert {s["stale"] for s in lake.status().values()} == {False}


def test_skip_unchanged_runs_only_the_stale_part(fresh_built: Lake) -> None:
    lake = fresh_built
    # Materialize only dim_batch again: the mart is now behind its parent.
    assert lake.cli("--materialize", "dim_batch").code == 0
    status = lake.status()
    assert {k for k, s in status.items() if s["stale"]} == {"mart_bioreactor_overview"}
    assert status["mart_bioreactor_overview"]["stale_reason"] == "dim_batch updated since"
    result = lake.cli("--materialize", "*", "--skip-unchanged")
    assert result.code == 0, result.err
    run = lake.last_run()
    assert set(lake.run_assets(run["id"])) == {"mart_bioreactor_overview"}
    assert {s["stale"] for s in lake.status().values()} == {False}


def test_killed_run_marked_interrupted_by_status_alone(medium_lake: Lake) -> None:
    """Opening the store anywhere (here: `status`) is enough to settle a dead run."""
    lake = medium_lake
    child = lake.spawn("--materialize", "*")
    try:
        run = wait_for(lambda: _running_with_started_asset(lake), 90, "the child's run to start")
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    lake.status()
    assert (
        lake.store_rows("select status from runs where id = ?", (run["id"],))[0][0] == "interrupted"
    )


def test_store_is_readable_while_a_run_writes(medium_lake: Lake) -> None:
    """WAL: a reader never waits on the writer (the TUI polls the store during runs)."""
    lake = medium_lake
    child = lake.spawn("--json", "--materialize", "*")
    seen = 0
    try:
        wait_for(lambda: _running_with_started_asset(lake), 90, "the run to start")
        while child.poll() is None:
            db = sqlite3.connect(lake.store_path, timeout=0.5)
            try:
                seen = max(seen, db.execute("select count(*) from step_events").fetchone()[0])
            finally:
                db.close()
            time.sleep(0.02)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert events[0]["event"] == "run_started" and events[-1]["event"] == "run_finished"
    assert seen > 0


def test_dry_run_with_skip_unchanged_records_nothing(built_lake: Lake) -> None:
    """A dry run only prints: even when nothing is stale it must not write a no-op run."""
    lake = built_lake
    before = len(lake.runs())
    result = lake.cli("--dry-run", "--skip-unchanged", "--materialize", "*")
    assert result.code == 0, result.err
    assert len(lake.runs()) == before, "a --dry-run recorded a run in the history"


def test_json_noop_run_prints_its_events(built_lake: Lake) -> None:
    """A script reading `--json` learns about a no-op run too (the timer uses
    --skip-unchanged)."""
    lake = built_lake
    result = lake.cli("--json", "--skip-unchanged", "--materialize", "*")
    assert result.code == 0, result.err
    events = result.json_lines()
    assert events, "--json printed nothing for a no-op run"
    assert events[-1]["event"] == "run_finished"
    assert events[-1]["status"] == "noop"
    assert events[-1]["run_id"] == lake.last_run()["id"]


def test_status_before_any_run(lake: Lake) -> None:
    status = lake.status()
    assert list(status) == ["raw_bioreactor_data", *DBT_ORDER]
    for entry in status.values():
        assert entry["status"] == "never"
        assert entry["stale"] is True and entry["stale_reason"] == "never materialized"
        assert entry["rows"] is None and entry["materialized_at"] is None
    text = lake.cli("status")
    assert text.code == 0
    assert text.out.splitlines()[0].split() == [
        "asset",
        "status",
        "materialized",
        "rows",
        "checks",
        "freshness",
        "stale",
    ]
    assert len(text.out.splitlines()) == 7


def test_wait_with_skip_unchanged_decides_after_the_wait(medium_lake: Lake) -> None:
    """`--wait --skip-unchanged` (e.g. from cron or a script): queued behind a run that
    materializes everything, it must find nothing stale once it gets the lock, and record a
    no-op instead of building everything a second time. (The OS timer runs `--wait` alone:
    a nightly job also syncs Airbyte, whose changes no fingerprint here can see.)"""
    lake = medium_lake
    first = lake.spawn("--materialize", "*")
    second = None
    try:
        run = wait_for(lambda: _running_with_started_asset(lake), 90, "the first run to start")
        first.send_signal(signal.SIGSTOP)  # hold it mid-run, lock held
        second = lake.spawn(
            "--wait", "--skip-unchanged", "--trigger", "timer", "--materialize", "*"
        )
        second_err = Lines(second.stderr)
        second_err.wait_for_line(f"waiting for run {run['id']} (pid {first.pid}, trigger cli")
        assert second.poll() is None
        first.send_signal(signal.SIGCONT)
        _, first_err = first.communicate(timeout=120)
        assert first.returncode == 0, first_err
        assert second.wait(timeout=120) == 0, second_err.text()
    finally:
        for child in (first, second):
            if child is not None and child.poll() is None:
                child.send_signal(signal.SIGCONT)
                child.kill()
                child.communicate()
    runs = lake.runs()
    assert runs[0]["id"] == run["id"]
    assert runs[0]["status"] == "succeeded"
    assert len(runs) == 2
    assert runs[1]["trigger"] == "timer"
    rebuilt = sorted(lake.run_assets(runs[1]["id"]))
    assert runs[1]["status"] == "noop", f"the queued run rebuilt {rebuilt}"


CANCEL_SCRIPT = """
import os, signal, sys
from lakehouse_tui.core import run_recorder

original = run_recorder.RunRecorder.emit

def emit(self, event, **fields):
    original(self, event, **fields)
    if event == sys.argv[1] and fields.get("asset") == sys.argv[2]:
        # What the TUI's cancel key and systemd's stop send; the handler that
        # `--materialize` installs turns it into KeyboardInterrupt in the main thread.
        os.kill(os.getpid(), getattr(signal, sys.argv[4]))

run_recorder.RunRecorder.emit = emit
from lakehouse_tui.cli import main
sys.exit(main(["--config", sys.argv[3], "--materialize", "*"]))
"""


def _sigterm_at(
    lake: Lake, event_name: str, asset: str, signal_name: str = "SIGTERM"
) -> tuple[subprocess.CompletedProcess[str], Any]:
    """Run '*' in a child that sends itself SIGTERM (or another signal) right after
    `event_name` for `asset`: a cancel at an exact point of the run, with real dbt."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CANCEL_SCRIPT,
            event_name,
            asset,
            str(lake.config_path),
            signal_name,
        ],
        env=lake.subprocess_env(),
        cwd=lake.root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    run = lake.last_run()
    return done, run


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_a_cancel_while_dbt_runs_is_recorded_as_cancelled(lake: Lake, signal_name: str) -> None:
    """Ctrl-C or SIGTERM while dbt is building: dbt interrupts the model it is running and
    reports it errored, and hands the KeyboardInterrupt back. The run, and every asset it had
    not finished, is `cancelled` (not failed), exit 130, no traceback; a cancelled asset is
    stale, "last run was cancelled"."""
    lake.demo()
    assert lake.cli("--materialize", "*").code == 0
    done, run = _sigterm_at(lake, "asset_started", "dim_batch", signal_name)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 130, done.stderr
    assert run["status"] == "cancelled"
    assert run["message"].startswith("cancelled")
    statuses = {k: a["status"] for k, a in lake.run_assets(run["id"]).items()}
    assert not {"running", "pending", "failed"} & set(statuses.values()), statuses
    assert statuses["dim_batch"] == "cancelled"
    assert "failed" not in done.stderr.lower(), done.stderr
    status = lake.status()
    assert status["dim_batch"]["status"] == "stale"
    assert status["dim_batch"]["stale_reason"] == "last run was cancelled"
    assert lake.cli("--materialize", "*").code == 0


def test_sigterm_after_dbt_built_models_leaves_no_running_assets(lake: Lake) -> None:
    """Cancelled after dbt finished but before every row count was recorded: models dbt
    built but not yet recorded must not stay 'running' in the run history."""
    lake.demo()
    done, run = _sigterm_at(lake, "asset_materialized", "stg_bioreactor")
    assert done.returncode == 130, done.stderr
    assert run["status"] == "cancelled"
    statuses = {k: a["status"] for k, a in lake.run_assets(run["id"]).items()}
    assert statuses["raw_bioreactor_data"] == "materialized"
    assert statuses["stg_bioreactor"] == "materialized"
    assert "running" not in statuses.values(), statuses


def test_status_and_a_second_run_while_a_run_is_live(medium_lake: Lake) -> None:
    """While a run holds the lock (paused mid-run with SIGSTOP): `status` shows its assets
    running and does not mark it interrupted, and a second run is refused naming it."""
    lake = medium_lake
    child = lake.spawn("--trigger", "tui", "--materialize", "*")
    try:
        run = wait_for(lambda: _running_with_started_asset(lake), 90, "the run to start")
        child.send_signal(signal.SIGSTOP)
        status = lake.status()
        assert "running" in {s["status"] for s in status.values()}, status
        assert lake.store_rows("select status from runs where id = ?", (run["id"],))[0][0] == (
            "running"
        )
        second = lake.cli("--materialize", "*")
        assert second.code == 3
        assert len(second.err_lines) == 1
        assert f"run {run['id']} (pid {child.pid}, trigger tui" in second.err_lines[0]
        child.send_signal(signal.SIGCONT)
        _, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGCONT)
            child.kill()
            child.communicate()
    assert child.returncode == 0, err
    assert lake.store_rows("select status from runs where id = ?", (run["id"],))[0][0] == (
        "succeeded"
    )


# The real run, with its first look at the warehouse reported on stderr: the probe's answer
# is passed on unchanged, so the run behaves as it would without it.
READER_PROBE = """
import sys
from lakehouse_tui.core import warehouse

original = warehouse.held_elsewhere

def held_elsewhere(path):
    held = original(path)
    print(f"probe: held elsewhere: {held}", file=sys.stderr, flush=True)
    return held

warehouse.held_elsewhere = held_elsewhere
from lakehouse_tui.cli import main
sys.exit(main(["--config", sys.argv[1], "--materialize", "dim_batch"]))
"""


def test_run_waits_for_a_reader_holding_the_warehouse(fresh_built: Lake) -> None:
    """A short-lived reader (the TUI's preview, a DuckDB shell) delays a run, never fails it:
    the reader lets go only once the run has found the warehouse held."""
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            f"c = duckdb.connect({str(fresh_built.warehouse)!r}, read_only=True)\n"
            "print('held', flush=True)\n"
            "sys.stdin.readline()\n"
            "c.close()\n"
            "print('closed', flush=True)\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    run = None
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().strip() == "held"
        run = subprocess.Popen(
            [sys.executable, "-c", READER_PROBE, str(fresh_built.config_path)],
            env=fresh_built.subprocess_env(),
            cwd=fresh_built.root,
            stderr=subprocess.PIPE,
            text=True,
        )
        err = Lines(run.stderr)
        err.wait_for_line("probe: held elsewhere:")
        assert err.with_text("probe: held elsewhere: True"), err.lines
        assert run.poll() is None  # waiting for the reader, not failed
        reader.stdin.write("go\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "closed"
        assert run.wait(timeout=120) == 0, err.text()
    finally:
        for child in (reader, run):
            if child is not None and child.poll() is None:
                child.kill()
                child.wait()
    assert fresh_built.last_run()["status"] == "succeeded"
    assert fresh_built.last_run()["selection"] == "dim_batch"


def test_unchanged_raw_files_are_not_reread_but_changed_ones_are(fresh_built: Lake) -> None:
    lake = fresh_built
    files = sorted(lake.raw_dir.glob("*.parquet"))
    cached = lake.store_rows("select file_key, rows from raw_file_scans")
    assert len(cached) == len(files) and all(row["rows"] > 0 for row in cached)
    stg_before = lake.status()["stg_bioreactor"]["rows"]
    # A second run with nothing changed: the view's metadata is carried over, not recounted.
    assert lake.cli("--materialize", "*").code == 0
    assert lake.status()["stg_bioreactor"]["rows"] == stg_before
    # The same file name with other content is validated again, and fails.
    files[0].write_bytes(b"not parquet at all")
    result = lake.cli("--materialize", "raw_bioreactor_data")
    assert result.code == 1
    assert f"{files[0]}: not a readable parquet file" in result.err


def test_logs_are_plain_text(built_lake: Lake) -> None:
    """dbt colours its lines (`[\\x1b[32mOK\\x1b[0m in 0.19s]`); the run store keeps the text
    without escape codes (they cut lines in the Logs tab), and keeps the level."""
    rows = built_lake.store_rows("select level, message from logs")
    created = [
        r for r in rows if "OK created sql incremental model curated.dim_batch" in r["message"]
    ]
    assert created and created[0]["level"] == "info"
    assert "[OK in " in created[0]["message"]
    assert [r["message"] for r in rows if "\x1b" in r["message"]] == []
