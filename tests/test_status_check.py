"""`[freshness]` policies in `status` and `status --check` (exit 0 fresh, 1 overdue or failed,
one line per problem, `--json` too), on a real lake built by a real run."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine_fixtures import Lake, make_lake, wait_for

POLICIES = (
    '[freshness]\nraw_bioreactor_data = "1h"\ndbt_curated_models = "26h"\n'
    'transform_dbt_models = "2d"\n'
)


@pytest.fixture(scope="module")
def fresh_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    with pytest.MonkeyPatch.context() as mp:
        lake = make_lake(mp, tmp_path_factory.mktemp("fresh") / "lake", POLICIES)
        lake.demo()
        assert lake.cli("--materialize", "*").code == 0
        yield lake


def test_everything_fresh_exits_0(fresh_lake: Lake) -> None:
    fresh_lake.write_config(POLICIES)
    result = fresh_lake.cli("status", "--check")
    assert result.code == 0, result.out + result.err
    assert result.out == "ok: 6 asset(s) with a [freshness] policy are fresh; nothing failed\n"
    table = fresh_lake.cli("status").out.splitlines()
    assert table[0].split()[-2:] == ["freshness", "stale"]
    assert all(" fresh " in line for line in table[1:7]), table
    entry = {e["key"]: e for e in json.loads(fresh_lake.cli("status", "--json").out)}
    assert entry["dim_batch"]["freshness"]["policy"] == "dbt_curated_models"  # group over job
    assert entry["mart_bioreactor_overview"]["freshness"]["policy"] == "transform_dbt_models"
    assert entry["raw_bioreactor_data"]["freshness"]["basis"] == "newest raw file written"


def test_an_old_raw_file_is_overdue(fresh_lake: Lake) -> None:
    fresh_lake.write_config(POLICIES)
    three_hours_ago = time.time() - 3 * 3600
    saved = {p: p.stat() for p in fresh_lake.raw_dir.glob("*.parquet")}
    for path in saved:
        os.utime(path, (three_hours_ago, three_hours_ago))
    try:
        result = fresh_lake.cli("status", "--check")
        assert result.code == 1
        assert result.out.splitlines() == [
            "overdue: raw_bioreactor_data: newest raw file written 3h ago, max age 1h "
            "([freshness] raw_bioreactor_data); overdue by 2h"
        ]
        document = json.loads(fresh_lake.cli("status", "--check", "--json").out)
        assert document["ok"] is False
        assert [(p["asset"], p["problem"]) for p in document["problems"]] == [
            ("raw_bioreactor_data", "overdue")
        ]
        table = fresh_lake.cli("status").out
        assert "overdue by 2h" in table
    finally:
        for path, stat in saved.items():
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_an_asset_older_than_its_policy_is_overdue(fresh_lake: Lake) -> None:
    fresh_lake.write_config(POLICIES + 'dim_batch = "1s"\n')  # the asset's own policy wins

    def check() -> str:
        result = fresh_lake.cli("status", "--check")
        return result.out if result.code == 1 else ""

    out = wait_for(check, 60, "dim_batch to be older than 1s")
    assert out.startswith("overdue: dim_batch: last materialized "), out
    assert "ago, max age 1s ([freshness] dim_batch); overdue by " in out
    assert len(out.splitlines()) == 1


def test_an_unknown_name_is_a_one_line_error(fresh_lake: Lake) -> None:
    fresh_lake.write_config(POLICIES + 'dim_batchh = "1h"\n')
    result = fresh_lake.cli("status", "--check")
    assert result.code == 2
    assert result.err_lines == [
        f"lakehouse-tui: {fresh_lake.config_path}:10: [freshness] dim_batchh: no asset, group "
        "asset or job of that name; use an asset key (see `lakehouse-tui status`) or one of "
        "dbt_staging_models, dbt_curated_models, dbt_postgres_marts, ingest_raw_data, "
        "transform_dbt_models"
    ]


def test_a_failed_asset_fails_the_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = make_lake(monkeypatch, tmp_path / "lake")  # no policy at all: failures still count
    lake.demo()
    assert lake.cli("status", "--check").code == 0  # never materialized, no policy: fine
    (lake.raw_dir / "broken.parquet").write_bytes(b"PAR1 this is not parquet PAR1")
    assert lake.cli("--materialize", "*").code == 1
    result = lake.cli("status", "--check")
    assert result.code == 1
    assert result.out.splitlines() == [
        "failed: raw_bioreactor_data: its last materialization failed"
    ]
    document = json.loads(lake.cli("status", "--check", "--json").out)
    assert document == {
        "ok": False,
        "problems": [
            {
                "asset": "raw_bioreactor_data",
                "problem": "failed",
                "line": "failed: raw_bioreactor_data: its last materialization failed",
            }
        ],
        "freshness": [],
    }
