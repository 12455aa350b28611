"""The five dbt models, checked against independent DuckDB queries of the raw parquet files.

One real `--materialize '*'` on small demo data plus an extra file with the rows staging
must drop (null batch_id, ts or tag) and a null reading it must keep. The expected results
are written here from the model descriptions, not copied from the model SQL.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import duckdb
import pytest

from engine_fixtures import Lake, make_lake, write_parquet

RAW = "read_parquet('{raw}/*.parquet', union_by_name = true)"
CLEAN = (
    "(select * from {raw_sql} where batch_id is not null and ts is not null and tag is not null)"
)

EXPECTED = {
    "staging.stg_bioreactor": (
        "select batch_id, equipment_id, ts, tag, value, site, filename as source_file from "
        "(select * from read_parquet('{raw_dir}/*.parquet', union_by_name = true, filename = true) "
        "where batch_id is not null and ts is not null and tag is not null) "
        "order by batch_id, tag, ts, value nulls first"
    ),
    "intermediate.int_bioreactor_downsample_5m": """
        select batch_id, equipment_id, tag,
               -- bucket start: the timestamp rounded down to a multiple of 300 s since the epoch
               timestamp '1970-01-01 00:00:00'
                 + to_microseconds(cast(floor(epoch_us(ts) / 300000000.0) as bigint) * 300000000)
                 as ts_5m,
               avg(value) as avg_value, min(value) as min_value, max(value) as max_value,
               count(*) as record_count
        from {clean}
        group by all
        order by batch_id, equipment_id, tag, ts_5m
    """,
    "curated.dim_batch": """
        select batch_id, any_value(equipment_id) as equipment_id, any_value(site) as site,
               min(ts) as batch_start, max(ts) as batch_end, count(*) as record_count
        from {clean} group by batch_id order by batch_id
    """,
    "curated.fact_bioreactor_batch_stats": """
        select batch_id, any_value(equipment_id) as equipment_id, tag,
               min(ts) as batch_start, max(ts) as batch_end,
               avg(value) as avg_value, stddev_samp(value) as stddev_value,
               min(value) as min_value, max(value) as max_value, count(*) as record_count
        from {clean} group by batch_id, tag order by batch_id, tag
    """,
    "marts.mart_bioreactor_overview": """
        with batches as (
            select batch_id, any_value(equipment_id) as equipment_id, any_value(site) as site,
                   min(ts) as batch_start, max(ts) as batch_end
            from {clean} group by batch_id
        ),
        tags as (
            select batch_id, tag, avg(value) as avg_value, stddev_samp(value) as stddev_value,
                   min(value) as min_value, max(value) as max_value, count(*) as record_count
            from {clean} group by batch_id, tag
        )
        select b.batch_id, b.equipment_id, b.site, b.batch_start, b.batch_end,
               (epoch(b.batch_end) - epoch(b.batch_start)) / 3600.0 as duration_hours,
               t.tag, t.avg_value, t.stddev_value, t.min_value, t.max_value, t.record_count
        from batches b join tags t using (batch_id)
        order by b.batch_id, t.tag
    """,
}

ORDER_BY = {
    "staging.stg_bioreactor": "batch_id, tag, ts, value nulls first",
    "intermediate.int_bioreactor_downsample_5m": "batch_id, equipment_id, tag, ts_5m",
    "curated.dim_batch": "batch_id",
    "curated.fact_bioreactor_batch_stats": "batch_id, tag",
    "marts.mart_bioreactor_overview": "batch_id, tag",
}


@pytest.fixture(scope="module")
def models_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    with pytest.MonkeyPatch.context() as mp:
        lake = make_lake(mp, tmp_path_factory.mktemp("models") / "lake")
        lake.demo()
        t0 = datetime(2026, 2, 1, 6, 0, 0)
        write_parquet(
            lake.raw_dir / "FB-2026-900.parquet",
            {
                "batch_id": [
                    "FB-2026-900",
                    "FB-2026-900",
                    "FB-2026-900",
                    None,
                    "FB-2026-900",
                    "FB-2026-900",
                    "FB-2026-900",
                ],
                "equipment_id": ["BR-09"] * 7,
                "ts": [
                    t0,
                    datetime(2026, 2, 1, 6, 4, 59),
                    datetime(2026, 2, 1, 6, 5, 0),
                    t0,
                    None,
                    t0,
                    datetime(2026, 2, 1, 7, 0, 0),
                ],
                "tag": ["ph", "ph", "ph", "ph", "ph", None, "ph"],
                "value": [7.0, 7.2, None, 9.9, 9.9, 9.9, 6.8],
                "site": ["cambridge"] * 7,
            },
        )
        result = lake.cli("--materialize", "*")
        assert result.code == 0, result.err
        yield lake


def _approx_row(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(pytest.approx(v, rel=1e-9, abs=1e-9) if isinstance(v, float) else v for v in row)


def _assert_same_rows(
    actual: list[tuple[Any, ...]], expected: list[tuple[Any, ...]], what: str
) -> None:
    assert len(actual) == len(expected), f"{what}: {len(actual)} rows, expected {len(expected)}"
    for number, (got, want) in enumerate(zip(actual, expected, strict=True)):
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            if isinstance(w, float) and isinstance(g, float) and math.isnan(w):
                assert math.isnan(g)
        assert got == _approx_row(want), f"{what}: row {number} differs"


@pytest.mark.slow
@pytest.mark.parametrize("relation", list(EXPECTED))
def test_model_matches_an_independent_query_of_the_raw_files(
    models_lake: Lake, relation: str
) -> None:
    raw_sql = RAW.format(raw=models_lake.raw_dir)
    expected_sql = EXPECTED[relation].format(
        clean=CLEAN.format(raw_sql=raw_sql), raw_dir=models_lake.raw_dir
    )
    with duckdb.connect() as con:
        expected_cursor = con.execute(expected_sql)
        expected_columns = [d[0] for d in expected_cursor.description]
        expected = expected_cursor.fetchall()
    with duckdb.connect(str(models_lake.warehouse), read_only=True) as con:
        cursor = con.execute(f"select * from {relation} order by {ORDER_BY[relation]}")
        columns = [d[0] for d in cursor.description]
        actual = cursor.fetchall()
    assert columns == expected_columns
    assert expected, "the expected query returned nothing: the test data is wrong"
    _assert_same_rows(actual, expected, relation)


@pytest.mark.slow
def test_staging_drops_rows_without_batch_ts_or_tag_and_keeps_null_readings(
    models_lake: Lake,
) -> None:
    rows = models_lake.query(
        "select ts, value from staging.stg_bioreactor where batch_id = 'FB-2026-900' order by ts"
    )
    assert [v for _, v in rows] == [7.0, 7.2, None, 6.8]
    assert models_lake.query("select count(*) from staging.stg_bioreactor where value = 9.9") == [
        (0,)
    ]


@pytest.mark.slow
def test_five_minute_buckets_of_the_extra_batch(models_lake: Lake) -> None:
    rows = models_lake.query(
        "select ts_5m, avg_value, min_value, max_value, record_count "
        "from intermediate.int_bioreactor_downsample_5m "
        "where batch_id = 'FB-2026-900' order by ts_5m"
    )
    assert rows == [
        (datetime(2026, 2, 1, 6, 0), pytest.approx(7.1), 7.0, 7.2, 2),
        (datetime(2026, 2, 1, 6, 5), None, None, None, 1),  # a dropout is still counted
        (datetime(2026, 2, 1, 7, 0), 6.8, 6.8, 6.8, 1),
    ]


@pytest.mark.slow
def test_dim_has_one_row_per_batch_and_mart_has_durations(models_lake: Lake) -> None:
    assert models_lake.query(
        "select count(*), count(distinct batch_id) from curated.dim_batch"
    ) == [(4, 4)]
    (hours,) = models_lake.query(
        "select duration_hours from marts.mart_bioreactor_overview "
        "where batch_id = 'FB-2026-900' and tag = 'ph'"
    )
    assert hours == (pytest.approx(1.0),)
    demo_hours = models_lake.query(
        "select min(duration_hours), max(duration_hours) from marts.mart_bioreactor_overview "
        "where batch_id <> 'FB-2026-900'"
    )[0]
    assert 0.9 < demo_hours[0] <= demo_hours[1] <= 1.0


@pytest.mark.slow
def test_models_live_in_their_schemas_with_their_materializations(models_lake: Lake) -> None:
    rows = dict(
        ((schema, name), kind)
        for schema, name, kind in models_lake.query(
            "select table_schema, table_name, table_type from information_schema.tables"
        )
    )
    assert rows == {
        ("staging", "stg_bioreactor"): "VIEW",
        ("intermediate", "int_bioreactor_downsample_5m"): "BASE TABLE",
        ("curated", "dim_batch"): "BASE TABLE",
        ("curated", "fact_bioreactor_batch_stats"): "BASE TABLE",
        ("marts", "mart_bioreactor_overview"): "BASE TABLE",
    }
