"""Checks evaluated by the executor: dbt's verdict rules, the compiled-SQL cache, the split
between executor and dbt, and the warehouse lock probe the executor starts with.

Real DuckDB databases, real dbt compiles and runs, real second processes holding the lock.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from engine_fixtures import Lake
from lakehouse_tui import config as config_module
from lakehouse_tui.core import checks, manifest, warehouse
from lakehouse_tui.core.workspace import Workspace

ALL_CHECKS = 17  # dbt data tests; the raw step adds raw_no_duplicate_readings
BY_DBT = "relationships_fact_bioreactor_batch_stats_batch_id__batch_id__ref_dim_batch_"


@pytest.fixture
def readings() -> Iterator[Any]:
    connection = duckdb.connect()
    connection.execute(
        "create table readings as select * from (values (1, null), (2, 5), (3, null), "
        "(4, null)) as t(id, value)"
    )
    yield connection
    connection.close()


NULLS = "select * from readings where value is null"  # three rows


def test_a_check_with_no_failing_rows_passes(readings: Any) -> None:
    result = checks.evaluate(
        readings, checks.CheckSql("t", "select * from readings where id > 9", "error")
    )
    assert (result.status, result.failures, result.message) == ("pass", 0, "")


def test_failing_rows_fail_an_error_check_and_warn_a_warn_check(readings: Any) -> None:
    failed = checks.evaluate(readings, checks.CheckSql("t", NULLS, "error"))
    assert (failed.status, failed.failures) == ("fail", 3)
    assert failed.message == "Got 3 results, configured to fail if != 0"
    warned = checks.evaluate(readings, checks.CheckSql("t", NULLS, "warn"))
    assert (warned.status, warned.failures) == ("warn", 3)
    assert warned.message == "Got 3 results, configured to warn if != 0"


def test_thresholds_fail_calc_and_limit_follow_dbt(readings: Any) -> None:
    # Three failures: above warn_if, below error_if -> a warning, though severity is error.
    lenient = checks.CheckSql("t", NULLS, "error", warn_if="> 1", error_if="> 5")
    assert checks.evaluate(readings, lenient).status == "warn"
    summed = checks.CheckSql("t", "select id from readings", "error", fail_calc="sum(id)")
    assert checks.evaluate(readings, summed).failures == 10
    limited = checks.CheckSql("t", NULLS, "error", limit=1)
    one = checks.evaluate(readings, limited)
    assert (one.status, one.failures) == ("fail", 1)
    assert one.message == "Got 1 result, configured to fail if != 0"


def test_a_check_whose_sql_fails_is_an_error_with_one_line(readings: Any) -> None:
    result = checks.evaluate(readings, checks.CheckSql("t", "select * from no_such_table", "warn"))
    assert result.status == "error" and result.failures is None
    assert "no_such_table" in result.message and "\n" not in result.message


def test_check_sql_is_compiled_once_per_manifest(parsed_workspace: Any) -> None:
    setup = parsed_workspace.setup
    key = manifest.manifest_key(setup)
    assert key is not None
    compiled = checks.compiled(setup, parsed_workspace.dbt_manifest(), key)
    executor_checks = [
        check
        for asset in parsed_workspace.graph.assets.values()
        for check in asset.checks
        if check.runs_in_executor
    ]
    assert len(executor_checks) == ALL_CHECKS - 1
    for check in executor_checks:
        sql = compiled[check.unique_id].sql
        relation = parsed_workspace.graph.assets[check.asset_key].relation.split(".")[-1]
        assert relation in sql, check.name
    ph_max = next(check for uid, check in compiled.items() if ".ph_max_within_0_14." in uid)
    assert ph_max.severity == "warn"
    # The cache answers for this manifest only.
    assert checks.load(setup, key) == compiled
    assert checks.load(setup, key + "-other") is None
    cache = setup.target_path / checks.CACHE_FILE
    cache.write_text("{not json", encoding="utf-8")
    assert checks.load(setup, key) is None
    assert checks.compiled(setup, parsed_workspace.dbt_manifest(), key) == compiled
    assert checks.load(setup, key) == compiled  # recompiled and saved again


def test_checks_run_in_the_executor_and_dbt_runs_only_the_rest(built_lake: Lake) -> None:
    events = built_lake.first_run.json_lines()  # type: ignore[attr-defined]
    dbt_step = next(e for e in events if e["event"] == "step_started" and e["step"] == "dbt duckdb")
    assert dbt_step["message"].endswith(f"{BY_DBT} --indirect-selection empty")
    evaluated = [e for e in events if e["event"] == "check_evaluated"]
    assert len(evaluated) == ALL_CHECKS + 1  # and the raw step's duplicate-readings check
    assert {e["status"] for e in evaluated} == {"pass"}
    run_id = events[0]["run_id"]
    logs = [
        row["message"]
        for row in built_lake.store_rows(
            "select message from logs where run_id = ? and asset_key = 'dim_batch'", (run_id,)
        )
    ]
    assert any(line.startswith("check not_null_dim_batch_batch_id PASS in ") for line in logs)
    # A model's checks are evaluated before any of its children starts.
    order = [(e["event"], e.get("asset"), e.get("message")) for e in events]
    last_dim_check = max(
        i
        for i, e in enumerate(order)
        if e[0] == "check_evaluated" and e[1] == "dim_batch" and e[2] != BY_DBT
    )
    mart_started = order.index(("asset_started", "mart_bioreactor_overview", None))
    assert last_dim_check < mart_started


def test_dry_run_says_which_checks_dbt_runs(built_lake: Lake) -> None:
    result = built_lake.cli("--dry-run", "--materialize", "fact_bioreactor_batch_stats")
    assert result.code == 0, result.err
    assert result.out.splitlines()[1:] == [
        "  1. dbt duckdb: dbt build --target duckdb --select fact_bioreactor_batch_stats "
        f"{BY_DBT} --indirect-selection empty",
        "     assets: fact_bioreactor_batch_stats",
        "     checks: 5 evaluated by the executor, 1 by dbt (in the --select)",
        "  partitions: no stale batch in 1 partitioned model(s)",
    ]


def test_a_run_on_an_existing_warehouse_creates_no_schemas(built_lake: Lake) -> None:
    """dbt/macros/duckdb_list_schemas.sql: dbt-duckdb 1.11 otherwise re-creates them all."""
    from dbt.cli.main import dbtRunner

    from lakehouse_tui.core.dbt_run import release_duckdb

    workspace = Workspace.open(config_module.load(built_lake.config_path))
    statements: list[str] = []

    def on_event(message: Any) -> None:
        if message.info.name == "SQLQuery":
            statements.append(message.data.sql)

    try:
        workspace.setup.apply_env()
        args = workspace.setup.args("run", "--select", "dim_batch", "--quiet")
        result = dbtRunner(manifest=workspace.dbt_manifest(), callbacks=[on_event]).invoke(args)
    finally:
        release_duckdb()
        workspace.close()
    assert result.success
    assert any("dim_batch" in sql for sql in statements)
    assert not [sql for sql in statements if "create schema" in sql.lower()]


def hold(path: Path, read_only: bool) -> subprocess.Popen[str]:
    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == '1'); "
        "print('held', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(path), "1" if read_only else "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


@pytest.mark.parametrize("read_only", [True, False], ids=["reader", "writer"])
def test_the_lock_probe_sees_another_process_holding_the_warehouse(
    tmp_path: Path, read_only: bool
) -> None:
    path = tmp_path / "warehouse.duckdb"
    assert warehouse.held_elsewhere(path) is False  # no file yet
    duckdb.connect(str(path)).close()
    assert warehouse.held_elsewhere(path) is False
    holder = hold(path, read_only)
    try:
        assert warehouse.held_elsewhere(path) is True
        with pytest.raises(warehouse.WarehouseBusy, match="held open by another program"):
            warehouse.wait_until_writable(path, timeout=0.2)
    finally:
        holder.communicate("")
    assert warehouse.held_elsewhere(path) is False
    warehouse.wait_until_writable(path)
    # The probe left no lock behind: DuckDB opens the file for writing.
    duckdb.connect(str(path)).close()


UNIT_TEST = """
unit_tests:
  - name: dim_batch_spans_the_batch
    model: dim_batch
    given:
      - input: ref('stg_bioreactor')
        rows:
          - {{batch_id: B1, equipment_id: E1, site: S1, ts: "2026-01-01 00:00:00", tag: ph}}
          - {{batch_id: B1, equipment_id: E1, site: S1, ts: "2026-01-01 02:00:00", tag: ph}}
    expect:
      rows:
        - {{batch_id: B1, record_count: {count}}}
"""


@pytest.mark.parametrize("count", [2, 3], ids=["passing", "failing"])
def test_dbt_unit_tests_still_run_before_their_model(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, count: int
) -> None:
    """`--indirect-selection empty` leaves unit tests out; the plan names them instead."""
    from lakehouse_tui import paths

    project = tmp_path / "dbt"
    shutil.copytree(paths.dbt_project_dir(), project)
    (project / "models" / "curated" / "_unit_tests.yml").write_text(
        UNIT_TEST.format(count=count), encoding="utf-8"
    )
    monkeypatch.setattr(paths, "dbt_project_dir", lambda: project)
    lake.demo()
    plan = lake.cli("--dry-run", "--materialize", "dim_batch")
    assert "--select dim_batch dim_batch_spans_the_batch --indirect-selection empty" in plan.out
    result = lake.cli("--materialize", "*")  # unit tests need their inputs to exist
    run = lake.last_run()
    assets = lake.run_assets(run["id"])
    if count == 2:  # right: dbt ran it, then the model
        assert result.code == 0, result.err
        assert assets["dim_batch"]["status"] == "materialized"
    else:  # wrong: dbt skipped the model and what reads it
        assert result.code == 1
        assert assets["dim_batch"]["status"] == "skipped"
        assert assets["mart_bioreactor_overview"]["status"] == "skipped"
    logs = [
        r["message"]
        for r in lake.store_rows("select message from logs where run_id = ?", (run["id"],))
    ]
    verdict = "PASS" if count == 2 else "FAIL"
    assert any("dim_batch_spans_the_batch" in line and verdict in line for line in logs), logs
