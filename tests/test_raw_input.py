"""Raw input that used to slip through: glob characters in file names, a raw dir whose path
breaks out of a SQL string literal, a batch in two files, the same reading twice.

Real parquet files, real DuckDB, real dbt runs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from engine_fixtures import Lake, extra_batch, make_lake, write_parquet
from lakehouse_tui.core import raw
from lakehouse_tui.errors import DataError


def pq_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def string_values(path: Path, batch: str) -> None:
    import pyarrow as pa

    from lakehouse_tui.demo import RAW_SCHEMA

    schema = RAW_SCHEMA.set(RAW_SCHEMA.get_field_index("value"), pa.field("value", pa.string()))
    from datetime import datetime

    columns = {
        "batch_id": [batch],
        "equipment_id": ["BR-01"],
        "ts": [datetime(2026, 3, 1)],
        "tag": ["ph"],
        "value": ["abc"],
        "site": ["basel"],
    }
    write_parquet(path, columns, schema=schema)


def test_a_bracket_file_name_is_validated_as_itself(tmp_path: Path) -> None:
    """`[x].parquet` was read as the glob `[x].parquet`, i.e. the good file x.parquet."""
    extra_batch(tmp_path / "x.parquet", "FB-2026-001")
    string_values(tmp_path / "[x].parquet", "FB-2026-002")
    with pytest.raises(DataError) as caught:
        raw.scan(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / '[x].parquet'}: column value is string")
    assert "\n" not in message


def test_a_star_in_a_file_name_scans_that_file_only(tmp_path: Path) -> None:
    """`FB*.parquet` was scanned as the union of every FB file."""
    extra_batch(tmp_path / "FB-2026-001.parquet", "FB-2026-001", n=6)
    extra_batch(tmp_path / "FB-2026-002.parquet", "FB-2026-002", n=6)
    extra_batch(tmp_path / "FB*.parquet", "FB-2026-003", n=4)
    extra_batch(tmp_path / "FB?[0-9].parquet", "FB-2026-004", n=3)
    summary, files = raw.scan(tmp_path)
    rows = {key.split(":")[0]: scan.rows for key, scan in files.items()}
    assert rows == {
        "FB*.parquet": 4,
        "FB-2026-001.parquet": 6,
        "FB-2026-002.parquet": 6,
        "FB?[0-9].parquet": 3,
    }
    assert summary.rows == 19
    assert json.loads(raw.dbt_env(summary)[raw.RAW_FILES_ENV]) == sorted(rows)


def test_a_batch_in_two_files_fails_the_raw_asset_naming_both(lake: Lake) -> None:
    lake.demo()
    shutil.copy(lake.raw_dir / "FB-2026-002.parquet", lake.raw_dir / "FB-2026-002 (copy).parquet")
    result = lake.cli("--materialize", "*")
    assert result.code == 1 and "Traceback" not in result.err
    run = lake.last_run()
    message = lake.run_assets(run["id"])["raw_bioreactor_data"]["message"]
    assert message == (
        f"raw dir {lake.raw_dir}: batch FB-2026-002 is in both FB-2026-002 (copy).parquet and "
        "FB-2026-002.parquet over the same time span; remove or move one of the files so its "
        "readings are not counted twice"
    )
    assert message in result.err
    assert lake.run_assets(run["id"])["stg_bioreactor"]["status"] == "skipped"


# A raw dir whose name closes the string literal it used to be pasted into and writes a file.
CRAFTED = "r') ; copy (select 42 as x) to 'pwned.csv' ; select * from read_parquet('r"


@pytest.mark.parametrize("raw_name", ["it's [raw] dir?", CRAFTED])
def test_dbt_reads_exactly_the_validated_files_whatever_the_raw_dir_is_called(
    raw_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = make_lake(monkeypatch, tmp_path / "lake")
    raw_dir = lake.root / raw_name
    lake.config_path.write_text(
        f'[lake]\nraw_dir = {json.dumps(str(raw_dir))}\nwarehouse = "warehouse.duckdb"\n'
        'threads = 1\nmemory_limit = "1GB"\n',
        encoding="utf-8",
    )
    from lakehouse_tui import demo

    demo.generate(raw_dir, batches=3, hours=1, hz=0.05)
    # A file whose name is a glob matching the others: read once, as itself.
    (raw_dir / "FB-2026-002.parquet").rename(raw_dir / "FB-2026-00*.parquet")
    monkeypatch.chdir(lake.root)
    result = lake.cli("--materialize", "*")
    assert result.code == 0, result.err
    run = lake.last_run()
    raw_rows = json.loads(
        lake.store_rows(
            "select metadata_json from materializations where run_id = ? and asset_key = ?",
            (run["id"], "raw_bioreactor_data"),
        )[0][0]
    )["rows"]

    def staged() -> int:
        with duckdb.connect(str(lake.warehouse), read_only=True) as con:
            return int(con.execute("select count(*) from staging.stg_bioreactor").fetchone()[0])

    assert staged() == raw_rows  # no file read twice, none left out
    # The view reads the validated files only: one added since is not read, and one
    # removed since drops out (the view still works, e.g. for a retry without the raw step).
    extra_batch(raw_dir / "FB-2026-099.parquet", "FB-2026-099")
    assert staged() == raw_rows
    removed = pq_rows(raw_dir / "FB-2026-001.parquet")
    (raw_dir / "FB-2026-001.parquet").unlink()
    assert staged() == raw_rows - removed
    assert not [p for p in Path(lake.root).rglob("pwned*")]
    assert not os.path.exists("pwned.csv")


def test_the_same_reading_twice_in_a_file_is_a_warning(lake: Lake) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    lake.demo()
    path = lake.raw_dir / "FB-2026-001.parquet"
    table = pq.read_table(path)
    pq.write_table(pa.concat_tables([table, table.slice(0, 5)]), path)
    result = lake.cli("--materialize", "*")
    assert result.code == 0, result.err  # a warning does not fail the run
    check = lake.check_results(lake.last_run()["id"])["raw_no_duplicate_readings"]
    assert (check["status"], check["severity"], check["failures"]) == ("warn", "warn", 5)
    assert "FB-2026-001.parquet (5)" in check["message"]
    assert "check raw_no_duplicate_readings on raw_bioreactor_data: warn" in result.err
    # Counted when the file is validated, once: an unchanged file is not read again.
    again = lake.cli("--materialize", "raw_bioreactor_data")
    assert again.code == 0
    check = lake.check_results(lake.last_run()["id"])["raw_no_duplicate_readings"]
    assert (check["status"], check["failures"]) == ("warn", 5)


def test_plain_dbt_without_the_file_list_reads_the_raw_dir(lake: Lake) -> None:
    """A normal dbt project: with no validated list (plain `dbt build`, or a run without the
    raw step) stg_bioreactor reads every *.parquet of the raw dir; a list left in the
    environment by an earlier run is not reused."""
    from dbt.cli.main import dbtRunner

    from lakehouse_tui import config as config_module
    from lakehouse_tui.core.dbt_run import release_duckdb
    from lakehouse_tui.core.workspace import Workspace

    lake.demo()
    workspace = Workspace.open(config_module.load(lake.config_path))
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(raw.RAW_FILES_ENV, json.dumps(["stale.parquet"]))
            workspace.setup.apply_env()
            assert raw.RAW_FILES_ENV not in os.environ
            args = workspace.setup.args("run", "--select", "stg_bioreactor", "--quiet")
            result = dbtRunner(manifest=workspace.dbt_manifest()).invoke(args)
    finally:
        release_duckdb()
        workspace.close()
    assert result.success, result.exception
    assert lake.query("select count(*) from staging.stg_bioreactor")[0][0] > 0
    (view_sql,) = lake.query("select sql from duckdb_views() where view_name = 'stg_bioreactor'")
    assert f"'{lake.raw_dir}/*.parquet'" in view_sql[0]
