"""Benchmark: publish_tables throughput against a plain `psql \\copy` of the same rows.

    .venv/bin/python bench/publish.py [--rows 1000000] [--repeats 5]

Builds a fact_bioreactor_batch_stats-shaped table in a temp DuckDB file, starts a temp
PostgreSQL 15 server (tests/pg_server.py) and reports medians in rows/s. Two ceilings load
the same rows from files that are already encoded (no DuckDB reading, no encoding at all):
psql's `\\copy ... csv` of DuckDB's CSV export, and `\\copy ... (format binary)` of a file
PostgreSQL wrote itself. Target: ours >= 0.8x the CSV ceiling.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

import duckdb  # noqa: E402

import pg_server  # noqa: E402
from lakehouse_tui.config import PostgresSettings  # noqa: E402
from lakehouse_tui.core.publish import publish_tables  # noqa: E402

ROLE, PASSWORD, DBNAME = "bench", "bench pw", "bench"
TAGS = 50
COLUMNS = """(batch_id text, equipment_id text, tag text, batch_start timestamp,
    batch_end timestamp, avg_value double precision, stddev_value double precision,
    min_value double precision, max_value double precision, record_count bigint)"""


def make_warehouse(path: Path, rows: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA curated")
        con.execute(
            f"""
            CREATE TABLE curated.fact_bioreactor_batch_stats AS
            SELECT
                'B' || lpad((i // {TAGS})::varchar, 7, '0') AS batch_id,
                'BR-' || ((i // {TAGS}) % 12 + 1)::varchar AS equipment_id,
                'tag_' || (i % {TAGS})::varchar AS tag,
                TIMESTAMP '2023-01-01' + to_seconds((i // {TAGS}) * 3_600) AS batch_start,
                TIMESTAMP '2023-01-05 12:00:00' + to_seconds((i // {TAGS}) * 3_600) AS batch_end,
                7 + sin(i) / 3 AS avg_value,
                abs(cos(i)) / 7 AS stddev_value,
                6 + sin(i * 0.5) / 5 AS min_value,
                8 + cos(i * 0.25) / 5 AS max_value,
                (8000 + i % 997)::BIGINT AS record_count
            FROM range({rows}) t(i)
            """
        )


def timed(runs: int, action: Callable[[], None], reset: Callable[[], None]) -> list[float]:
    times = []
    for _ in range(runs):
        reset()
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows, repeats = args.rows, args.repeats

    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp, pg_server.running() as srv:
        warehouse, csv_path = Path(tmp) / "warehouse.duckdb", Path(tmp) / "stats.csv"
        make_warehouse(warehouse, rows)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            con.execute(f"COPY curated.fact_bioreactor_batch_stats TO '{csv_path}' (HEADER false)")
        srv.create_role(ROLE, PASSWORD)
        srv.create_database(DBNAME, ROLE)
        settings = PostgresSettings(
            host="127.0.0.1", port=srv.port, dbname=DBNAME, user=ROLE,
            password_env="BENCH_PG_PASSWORD", sslmode="disable", schema="marts",
            connect_timeout=5,
        )  # fmt: skip
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        psql = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"]
        psql += ["-p", str(srv.port), "-U", ROLE, "-d", DBNAME]

        def sql(statement: str) -> None:
            subprocess.run([*psql, "-c", statement], env=env, check=True)

        def ours() -> None:
            [result] = publish_tables(
                warehouse, [("curated", "fact_bioreactor_batch_stats")], settings, PASSWORD
            )
            assert result.rows == rows

        def ceiling_csv() -> None:
            sql(f"\\copy curated.ceiling from '{csv_path}' csv")

        def ceiling_binary() -> None:
            sql(f"\\copy curated.ceiling from '{bin_path}' with (format binary)")

        def reset_ceiling() -> None:
            sql(f"DROP TABLE IF EXISTS curated.ceiling; CREATE TABLE curated.ceiling {COLUMNS}")

        ours()  # warm-up: creates the schema, warms caches
        bin_path = Path(tmp) / "stats.bin"
        sql(f"\\copy curated.fact_bioreactor_batch_stats to '{bin_path}' with (format binary)")
        times = {
            "publish_tables (DuckDB->PG)": timed(repeats, ours, lambda: None),
            "ceiling psql \\copy csv file": timed(repeats, ceiling_csv, reset_ceiling),
            "ceiling psql \\copy binary file": timed(repeats, ceiling_binary, reset_ceiling),
        }

    rates = {name: rows / statistics.median(runs) for name, runs in times.items()}
    ours_rate, csv_rate, binary_rate = rates.values()
    print(f"rows per run: {rows:,} (fact_bioreactor_batch_stats shape), median of {repeats}")
    for name, runs in times.items():
        print(f"{name:<32} {rates[name]:>12,.0f} rows/s  {_runs(runs)}")
    print(f"{'ratio ours / csv ceiling':<32} {ours_rate / csv_rate:>12.2f}x  (target >= 0.80x)")
    print(f"{'ratio ours / binary ceiling':<32} {ours_rate / binary_rate:>12.2f}x")


def _runs(times: list[float]) -> str:
    return "[" + ", ".join(f"{t:.2f}s" for t in times) + "]"


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
