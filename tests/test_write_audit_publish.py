"""Write-audit-publish (issue 12): a blocking check guards its table, on DuckDB and PostgreSQL.

Real dbt runs and a real PostgreSQL server. "Byte-identical" is checked as the same table
object (DuckDB's table oid, PostgreSQL's oid and relfilenode: the table was never rewritten)
holding the same rows.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from engine_fixtures import Lake, extra_batch, write_parquet
from lakehouse_tui import cli, demo
from lakehouse_tui.config import PostgresSettings, load
from lakehouse_tui.core.store import RunStore
from pg_fixtures import pg_rows

FACT = "fact_bioreactor_batch_stats"
TAG_CHECK = "accepted_values_fact_bioreactor_batch_stats_tag"


def duck_table(lake: Lake, schema: str, table: str) -> tuple[Any, list[tuple[Any, ...]]]:
    """(the table's oid, all its rows in a stable order)."""
    with contextlib.closing(duckdb.connect(str(lake.warehouse), read_only=True)) as con:
        oid = con.execute(
            "select table_oid from duckdb_tables() where schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchone()
        rows = con.execute(f'select * from "{schema}"."{table}" order by all').fetchall()
    return oid, rows


def leftovers(lake: Lake) -> list[str]:
    with contextlib.closing(duckdb.connect(str(lake.warehouse), read_only=True)) as con:
        rows = con.execute(
            "select table_name from information_schema.tables "
            "where table_name like '%__dbt_tmp' or table_name like '%__dbt_backup'"
        ).fetchall()
    return [r[0] for r in rows]


def bad_batch(lake: Lake) -> Path:
    """The batch the first version let through: an unknown tag and a pH of 20."""
    from datetime import timedelta

    path = lake.raw_dir / "FB-2026-999.parquet"
    start = datetime(2026, 3, 1, 6, 0, 0)
    write_parquet(
        path,
        {
            "batch_id": ["FB-2026-999"] * 6,
            "equipment_id": ["BR-09"] * 6,
            "ts": [start + timedelta(seconds=20 * i) for i in range(6)],
            "tag": ["turbidity"] * 3 + ["ph"] * 3,
            "value": [1.0] * 3 + [20.0] * 3,
            "site": ["cambridge"] * 6,
        },
    )
    return path


def test_failing_blocking_check_keeps_the_previous_version_until_the_data_is_fixed(
    lake: Lake,
) -> None:
    lake.demo()
    assert lake.cli("--materialize", "*").code == 0
    fact_before = duck_table(lake, "curated", FACT)
    mart_before = duck_table(lake, "marts", "mart_bioreactor_overview")
    bad = bad_batch(lake)

    result = lake.cli("--materialize", "*")
    assert result.code == 1
    assert duck_table(lake, "curated", FACT) == fact_before
    assert duck_table(lake, "marts", "mart_bioreactor_overview") == mart_before
    assert leftovers(lake) == []
    run = lake.last_run()
    assets = lake.run_assets(run["id"])
    assert assets[FACT]["status"] == "failed"
    assert TAG_CHECK in assets[FACT]["message"]
    assert assets["mart_bioreactor_overview"]["status"] == "skipped"
    assert TAG_CHECK in run["message"]
    # The dim_batch check passed, so its new version (with the new batch) is published.
    assert assets["dim_batch"]["status"] == "materialized"

    # The first failing rows, like dbt's store_failures, in status and status --json.
    status = lake.cli("status")
    assert "turbidity" in status.out and f"check {TAG_CHECK}" in status.out
    problems = lake.status()[FACT]["check_problems"]
    failing = next(p for p in problems if p["check"].startswith(TAG_CHECK))
    assert failing["status"] == "fail"
    assert ["turbidity", 1] in failing["failing_rows"]["rows"]  # value, n_records
    # The pH range check is a warning: not run on a version that was rejected.
    skipped = lake.check_results(run["id"])["ph_max_within_0_14"]
    assert skipped["status"] == "skipped"

    # retry re-runs exactly what failed or was blocked, and the check blocks again.
    dry = lake.cli("retry", "--dry-run")
    assert dry.code == 0 and f"assets: {FACT}" in dry.out
    again = lake.cli("retry")
    assert again.code == 1
    retried = lake.last_run()
    assert retried["selection"].startswith(f"retry of {run['id']}")
    assert set(lake.run_assets(retried["id"])) == {FACT, "mart_bioreactor_overview"}
    assert duck_table(lake, "curated", FACT) == fact_before
    assert duck_table(lake, "marts", "mart_bioreactor_overview") == mart_before

    bad.unlink()  # the data is fixed
    fixed = lake.cli("retry")
    assert fixed.code == 0, fixed.err
    assert lake.run_assets(lake.last_run()["id"])[FACT]["status"] == "materialized"
    assert lake.query(f"select count(*) from curated.{FACT} where tag = 'turbidity'") == [(0,)]
    done = lake.cli("retry")  # nothing left to retry: says so, and that is no error
    assert done.code == 0 and "nothing to retry" in done.err


def test_a_warn_check_publishes_and_keeps_its_failing_rows(lake: Lake) -> None:
    lake.demo()
    assert lake.cli("--materialize", "*").code == 0
    extra_batch(lake.raw_dir / "FB-2026-060.parquet", "FB-2026-060", tag="ph", value=20.0)
    result = lake.cli("--materialize", "*")
    assert result.code == 0, result.err
    assert lake.query(f"select count(*) from curated.{FACT} where batch_id = 'FB-2026-060'") == [
        (1,)
    ]
    checks = lake.check_results(lake.last_run()["id"])
    assert checks["ph_max_within_0_14"]["status"] == "warn"
    sample = json.loads(checks["ph_max_within_0_14"]["sample_json"])
    assert sample["rows"] and sample["columns"]
    assert lake.status()[FACT]["status"] == "check_warning"


def copied_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from lakehouse_tui import paths

    project = tmp_path / "dbt"
    shutil.copytree(paths.dbt_project_dir(), project, ignore=shutil.ignore_patterns("target"))
    monkeypatch.setattr(paths, "dbt_project_dir", lambda: project)
    return project


def test_a_failing_multi_model_check_puts_the_previous_version_back(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`relationships` reads two models, so dbt runs it after both: the fact table is
    published when its own checks pass, and put back when the relationship fails."""
    project = copied_project(tmp_path, monkeypatch)
    dim = project / "models" / "curated" / "dim_batch.sql"
    dim.write_text(
        dim.read_text(encoding="utf-8").replace(
            "{{ ref('stg_bioreactor') }}",
            "(select * from {{ ref('stg_bioreactor') }} where batch_id <> 'FB-2026-070') as s",
        ),
        encoding="utf-8",
    )
    lake.demo()
    assert lake.cli("--materialize", "*").code == 0
    fact_before = duck_table(lake, "curated", FACT)
    extra_batch(lake.raw_dir / "FB-2026-070.parquet", "FB-2026-070")
    result = lake.cli("--materialize", "*")
    assert result.code == 1
    run = lake.last_run()
    assets = lake.run_assets(run["id"])
    assert assets[FACT]["status"] == "failed"
    assert "previous version restored" in assets[FACT]["message"]
    assert assets["mart_bioreactor_overview"]["status"] == "skipped"
    assert duck_table(lake, "curated", FACT) == fact_before
    assert leftovers(lake) == []


def test_plain_dbt_build_still_publishes_at_once(lake: Lake) -> None:
    """Without lakehouse-tui the project's table materialization behaves like dbt's own."""
    lake.demo()
    assert lake.cli("--materialize", "raw_bioreactor_data").code == 0  # writes the profile
    profiles = lake.state_dir / "dbt" / "profiles"
    from lakehouse_tui import paths

    command = [
        str(Path(sys.executable).with_name("dbt")),
        "build",
        "--project-dir",
        str(paths.dbt_project_dir()),
        "--profiles-dir",
        str(profiles),
        "--target-path",
        str(lake.root / "plain-target"),
        "--log-path",
        str(lake.root / "plain-logs"),
    ]
    env = {k: v for k, v in lake.subprocess_env().items() if k != "LAKEHOUSE_TUI_PUBLISH"}
    env["LAKEHOUSE_TUI_RAW_DIR"] = str(lake.raw_dir)
    for _ in range(2):  # the second build replaces existing tables
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:]
    assert lake.table_counts()[FACT] == 3 * len(demo.TAGS)
    assert leftovers(lake) == []


# -- PostgreSQL ----------------------------------------------------------------------------

UNKNOWN_SITE_TEST = """\
-- Dashboards filter by site: a batch from a site they do not know must not reach them.
{{ config(severity='error') }}
select batch_id, site from {{ ref('mart_bioreactor_overview') }} where site = 'nowhere'
"""


def pg_table(settings: PostgresSettings, password: str) -> tuple[Any, list[tuple[Any, ...]]]:
    """(the mart's oid and relfilenode, its rows); no staged or backup copy left behind."""
    identity = pg_rows(
        settings,
        password,
        "select c.oid, c.relfilenode from pg_class c join pg_namespace n "
        "on n.oid = c.relnamespace where n.nspname = 'marts' "
        "and c.relname = 'mart_bioreactor_overview'",
    )
    rows = pg_rows(
        settings,
        password,
        "select batch_id, site, tag, record_count from marts.mart_bioreactor_overview "
        "order by batch_id, tag",
    )
    leftover = pg_rows(
        settings, password, "select relname from pg_class where relname like 'mart_%__dbt_%'"
    )
    assert leftover == [], "a staged or backup mart was left behind"
    return identity, rows


def test_a_failing_mart_check_leaves_the_postgres_mart_as_it_was(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pg_marts_config: str,
    pg_settings: PostgresSettings,
    pg_password: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = copied_project(tmp_path, monkeypatch)
    (project / "tests").mkdir(exist_ok=True)
    (project / "tests" / "mart_sites_are_known.sql").write_text(UNKNOWN_SITE_TEST, encoding="utf-8")
    config_path = Path(pg_marts_config)
    raw = tmp_path / "raw"
    argv = ["--config", str(config_path)]
    assert cli.main([*argv, "--materialize", "*"]) == 0
    before = pg_table(pg_settings, pg_password)
    assert len(before[1]) == 3 * len(demo.TAGS)

    write_parquet(
        raw / "FB-2026-080.parquet",
        {
            "batch_id": ["FB-2026-080"] * 3,
            "equipment_id": ["BR-09"] * 3,
            "ts": [datetime(2026, 3, 1, 6, 0, s) for s in (0, 20, 40)],
            "tag": ["ph"] * 3,
            "value": [7.0, 7.1, 7.2],
            "site": ["nowhere"] * 3,
        },
    )
    capsys.readouterr()
    assert cli.main([*argv, "--materialize", "*"]) == 1
    err = capsys.readouterr().err
    assert "mart_sites_are_known" in err and "Traceback" not in err
    assert pg_table(pg_settings, pg_password) == before
    store = RunStore(load(str(config_path)).store_path)
    run = store.last_run()
    assert run is not None and run.status == "failed"
    mart = {a.asset_key: a for a in store.run_assets(run.id)}["mart_bioreactor_overview"]
    assert mart.status == "failed" and "not published" in (mart.message or "")
    result = next(
        c
        for c in store.latest_check_results()["mart_bioreactor_overview"]
        if c.check_name == "mart_sites_are_known"
    )
    assert result.sample is not None and ["FB-2026-080", "nowhere"] in result.sample.rows

    assert cli.main([*argv, "retry"]) == 1  # the data is still wrong
    assert pg_table(pg_settings, pg_password) == before
    (raw / "FB-2026-080.parquet").unlink()
    assert cli.main([*argv, "--materialize", "*"]) == 0
    assert pg_table(pg_settings, pg_password)[1] == before[1]
    for line in store.logs(run.id):
        assert pg_password not in line.message
