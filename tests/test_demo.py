"""The sample data generator: deterministic, realistic, and careful with existing files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine_fixtures import SMALL, Lake
from lakehouse_tui import demo
from lakehouse_tui.errors import UsageError


def _digests(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.glob("*.parquet"))
    }


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    a = demo.generate(tmp_path / "a", **SMALL, seed=11)
    demo.generate(tmp_path / "b", **SMALL, seed=11)
    demo.generate(tmp_path / "c", **SMALL, seed=12)
    assert [p.name for p in a.files] == [
        "FB-2026-001.parquet",
        "FB-2026-002.parquet",
        "FB-2026-003.parquet",
    ]
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    for name in _digests(tmp_path / "a"):
        table_a = pq.read_table(tmp_path / "a" / name)
        assert table_a.equals(pq.read_table(tmp_path / "b" / name))
        assert not table_a.equals(pq.read_table(tmp_path / "c" / name))
    assert a.rows == sum(pq.read_metadata(p).num_rows for p in a.files)
    # No partial files are left behind.
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(p.name for p in a.files)


def test_schema_tags_and_batches(tmp_path: Path) -> None:
    result = demo.generate(tmp_path, batches=4, hours=2, hz=0.05, seed=7)
    for index, path in enumerate(result.files):
        table = pq.read_table(path)
        assert table.schema.equals(demo.RAW_SCHEMA)
        assert set(table.column("tag").to_pylist()) == set(demo.TAGS)
        assert set(table.column("batch_id").to_pylist()) == {f"FB-2026-{index + 1:03d}"}
        equipment = set(table.column("equipment_id").to_pylist())
        assert len(equipment) == 1
        (vessel,) = equipment
        assert set(table.column("site").to_pylist()) == {demo.SITE_OF_EQUIPMENT[vessel]}
        # No nulls anywhere but value.
        for name in ("batch_id", "equipment_id", "ts", "tag", "site"):
            assert table.column(name).null_count == 0
        # Readings lie within the batch's hours.
        ts = table.column("ts").to_pylist()
        assert (max(ts) - min(ts)).total_seconds() <= 2 * 3600
    # Batches do not overlap in time on a vessel, and follow each other.
    starts = [min(pq.read_table(p).column("ts").to_pylist()) for p in result.files]
    assert starts == sorted(starts)


@pytest.fixture(scope="module")
def demo_stats(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, duckdb.DuckDBPyConnection]:
    raw = tmp_path_factory.mktemp("demo") / "raw"
    demo.generate(raw, batches=4, hours=4, hz=0.05, seed=7)
    con = duckdb.connect()
    con.execute(f"create view raw as select * from read_parquet('{raw}/*.parquet')")
    return raw, con


def test_plausible_ranges(demo_stats: tuple[Path, duckdb.DuckDBPyConnection]) -> None:
    _, con = demo_stats
    stats = {
        tag: (avg, low, high)
        for tag, avg, low, high in con.execute(
            "select tag, avg(value), min(value), max(value) from raw group by tag"
        ).fetchall()
    }
    assert abs(stats["temperature"][0] - 37.0) < 0.3
    assert stats["ph"][1] >= 6.0 and stats["ph"][2] <= 7.5
    assert stats["do"][1] >= 0.0 and stats["do"][2] <= 100.0
    assert 1.0 < stats["pressure"][0] < 1.5
    assert stats["agitation"][1] > 150 and stats["agitation"][2] < 750
    assert stats["co2"][2] < 6.0


def test_dissolved_oxygen_falls_over_each_batch(
    demo_stats: tuple[Path, duckdb.DuckDBPyConnection],
) -> None:
    _, con = demo_stats
    rows = con.execute(
        """
        with b as (
            select batch_id, tag, value,
                   (epoch(ts) - min(epoch(ts)) over (partition by batch_id))
                   / nullif(max(epoch(ts)) over (partition by batch_id)
                            - min(epoch(ts)) over (partition by batch_id), 0) as t
            from raw
        )
        select batch_id,
               avg(value) filter (where t < 0.2) as early,
               avg(value) filter (where t > 0.8) as late
        from b where tag = 'do' group by batch_id order by batch_id
        """
    ).fetchall()
    assert len(rows) == 4
    for batch, early, late in rows:
        assert early > 85 and late < 45 and early - late > 40, (batch, early, late)


def test_exactly_one_batch_has_a_temperature_excursion(
    demo_stats: tuple[Path, duckdb.DuckDBPyConnection],
) -> None:
    _, con = demo_stats
    hot = con.execute(
        "select batch_id from raw where tag = 'temperature' group by batch_id "
        "having max(value) > 39 order by batch_id"
    ).fetchall()
    assert [b for (b,) in hot] == ["FB-2026-003"]  # batches // 2 == index 2


def test_dropouts_exist(demo_stats: tuple[Path, duckdb.DuckDBPyConnection]) -> None:
    _, con = demo_stats
    # 4 hours at 0.05 Hz = 720 readings per tag per batch when nothing drops out.
    counts = con.execute(
        "select batch_id, tag, count(*) from raw group by batch_id, tag"
    ).fetchall()
    assert len(counts) == 4 * len(demo.TAGS)
    assert all(n <= 720 for _, _, n in counts)
    assert any(n < 720 for _, _, n in counts), "no reading gaps at all"
    # Gaps are 5-20 minute runs of missing timestamps: find a jump longer than 5 min.
    gaps = con.execute(
        """
        select max(d) from (
            select epoch(ts) - epoch(lag(ts) over (partition by batch_id, tag order by ts)) as d
            from raw
        )
        """
    ).fetchone()[0]
    assert gaps >= 300


def test_null_readings_appear_in_larger_data(tmp_path: Path) -> None:
    result = demo.generate(tmp_path, batches=1, hours=24, hz=0.5, seed=7)
    table = pq.read_table(result.files[0])
    assert table.column("value").null_count > 0
    assert table.num_rows > 200_000


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        demo.generate(tmp_path, batches=0)
    with pytest.raises(UsageError):
        demo.generate(tmp_path, hours=-1)
    with pytest.raises(UsageError):
        demo.generate(tmp_path, hours=0.0001, hz=0.001)


def test_demo_command_refuses_to_overwrite_and_force_overwrites(lake: Lake) -> None:
    args = ["demo", "--batches", "3", "--hours", "1", "--hz", "0.05"]
    first = lake.cli(*args, "--seed", "1")
    assert first.code == 0, first.err
    assert "wrote 3 batch files" in first.err and str(lake.raw_dir) in first.err
    before = _digests(lake.raw_dir)

    again = lake.cli(*args, "--seed", "2")
    # Refusing to overwrite is a usage error (exit 2, like `init`); the message names a file
    # and tells the user about --force.
    assert again.code == UsageError.exit_code == 2
    assert len(again.err_lines) == 1
    assert str(lake.raw_dir / "FB-2026-001.parquet") in again.err
    assert "--force" in again.err
    assert _digests(lake.raw_dir) == before

    forced = lake.cli(*args, "--seed", "2", "--force")
    assert forced.code == 0
    after = _digests(lake.raw_dir)
    assert after.keys() == before.keys()
    assert after != before


def test_demo_bad_argument_is_exit_2(lake: Lake) -> None:
    result = lake.cli("demo", "--batches", "0")
    assert result.code == 2
    assert result.err_lines == ["lakehouse-tui: --batches must be at least 1"]
    assert not lake.raw_dir.exists() or not any(lake.raw_dir.iterdir())


def test_demo_writes_to_the_default_raw_dir_without_a_config(lake: Lake) -> None:
    from engine_fixtures import run_cli

    result = run_cli(["demo", "--batches", "1", "--hours", "1", "--hz", "0.05"])
    assert result.code == 0, result.err
    default_raw = Path(lake.env["XDG_DATA_HOME"]) / "lakehouse-tui" / "raw"
    assert [p.name for p in default_raw.iterdir()] == ["FB-2026-001.parquet"]
    assert pa.types.is_timestamp(
        pq.read_schema(default_raw / "FB-2026-001.parquet").field("ts").type
    )
