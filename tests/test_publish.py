"""Publishing curated DuckDB tables into a real PostgreSQL server (see pg_fixtures.py)."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import math
import re
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest

from lakehouse_tui.config import PostgresSettings
from lakehouse_tui.core import pgcopy, publish
from lakehouse_tui.core.postgres import connect
from lakehouse_tui.core.publish import PublishedTable, publish_tables
from lakehouse_tui.errors import DataError, LockedError, TargetUnavailable
from pg_fixtures import PASSWORD, PASSWORD_ENV, ROLE
from pg_server import PgServer, free_port

pytestmark = pytest.mark.slow

CURATED = [("curated", "dim_batch"), ("curated", "fact_bioreactor_batch_stats")]
BATCHES = 200
TAGS = ["ph", "do_pct", "temp_c", "agitation_rpm", "pressure_bar", "glucose_gl", "lactate_gl"]
FACT_ROWS = BATCHES * len(TAGS)


def make_warehouse(path: Path) -> Path:
    """A DuckDB file with the two curated tables: 200 batches, 1,400 stats rows."""
    tags = ", ".join(f"('{tag}', {i})" for i, tag in enumerate(TAGS))
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA curated")
        con.execute(
            f"""
            CREATE TABLE curated.dim_batch AS
            SELECT
                'B' || lpad(i::varchar, 5, '0') AS batch_id,
                'BR-' || (i % 6 + 1)::varchar AS equipment_id,
                ['Cambridge', 'Basel', 'Boston, MA', 'São Paulo'][i % 4 + 1] AS site,
                TIMESTAMP '2024-01-01 06:00:00' + to_microseconds(i * 97_000_123_457)
                    AS batch_start,
                TIMESTAMP '2024-01-04 18:30:00.25' + to_microseconds(i * 97_000_123_457)
                    AS batch_end,
                (8000 + i * 37)::BIGINT AS record_count
            FROM range({BATCHES}) t(i)
            """
        )
        con.execute(
            f"""
            CREATE TABLE curated.fact_bioreactor_batch_stats AS
            SELECT
                b.batch_id, b.equipment_id, tag, b.batch_start, b.batch_end,
                7 + sin(hash(b.batch_id, tag) % 1000) / 3 AS avg_value,
                CASE WHEN hash(tag, b.batch_id) % 10 = 0 THEN NULL
                     ELSE abs(cos(k + 1.0 / 3)) / 7 END AS stddev_value,
                -1e-9 * k - 1.0 / 7 AS min_value,
                1e15 / 3 + k AS max_value,
                b.record_count / 7 AS record_count
            FROM curated.dim_batch b CROSS JOIN (VALUES {tags}) tags(tag, k)
            """
        )
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "warehouse.duckdb")


@pytest.fixture
def published(warehouse: Path, pg_settings: PostgresSettings) -> list[PublishedTable]:
    return publish_tables(warehouse, CURATED, pg_settings, PASSWORD)


@contextlib.contextmanager
def pg(settings: PostgresSettings) -> Iterator[Any]:
    conn = connect(settings, PASSWORD)
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


def pg_rows(settings: PostgresSettings, schema: str, table: str) -> list[tuple[Any, ...]]:
    with pg(settings) as conn, conn.cursor() as cur:
        cur.execute(f'SELECT * FROM {schema}."{table}" ORDER BY 1, 2, 3')
        return list(cur.fetchall())


def duck_rows(path: Path, schema: str, table: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows: list[tuple[Any, ...]] = con.execute(
            f'SELECT * FROM {schema}."{table}" ORDER BY 1, 2, 3'
        ).fetchall()
        return rows


def pg_types(settings: PostgresSettings, schema: str, table: str) -> list[tuple[str, str]]:
    with pg(settings) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            (schema, table),
        )
        return list(cur.fetchall())


def pg_tables(settings: PostgresSettings) -> set[str]:
    with pg(settings) as conn, conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'curated'")
        return {name for (name,) in cur.fetchall()}


def test_publish_copies_every_row_and_type(
    warehouse: Path, pg_settings: PostgresSettings, published: list[PublishedTable]
) -> None:
    assert [(p.schema, p.table, p.rows) for p in published] == [
        ("curated", "dim_batch", BATCHES),
        ("curated", "fact_bioreactor_batch_stats", FACT_ROWS),
    ]
    assert all(p.seconds > 0 for p in published)
    for schema, table in CURATED:
        assert pg_rows(pg_settings, schema, table) == duck_rows(warehouse, schema, table)
    assert pg_types(pg_settings, "curated", "dim_batch") == [
        ("batch_id", "text"),
        ("equipment_id", "text"),
        ("site", "text"),
        ("batch_start", "timestamp without time zone"),
        ("batch_end", "timestamp without time zone"),
        ("record_count", "bigint"),
    ]
    assert [t for _, t in pg_types(pg_settings, "curated", "fact_bioreactor_batch_stats")] == [
        "text", "text", "text",
        "timestamp without time zone", "timestamp without time zone",
        "double precision", "double precision", "double precision", "double precision",
        "double precision",  # DuckDB's bigint / int is a double
    ]  # fmt: skip
    assert pg_tables(pg_settings) == {"dim_batch", "fact_bioreactor_batch_stats"}


def test_publish_is_faithful_for_awkward_values_and_types(
    tmp_path: Path, pg_settings: PostgresSettings, pg_password: str
) -> None:
    path = tmp_path / "zoo.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA curated; CREATE TYPE mood AS ENUM ('ok', 'bad')")
        con.execute(
            """
            CREATE TABLE curated.zoo AS SELECT * FROM (VALUES
              (1, true, DATE '2024-02-29', 12.345::DECIMAL(10,3), 'x"y,z''w', 2::TINYINT,
               1.5::FLOAT, 'nan'::DOUBLE, TIMESTAMPTZ '2024-03-31 01:30:00+00',
               INTERVAL '1 day 02:03:04.5', 'ok'::mood, '\\x00\\xff'::BLOB,
               170141183460469231731687303715884105727::HUGEINT, TIME '23:59:59.999999'),
              (2, false, DATE '1970-01-01', -0.001::DECIMAL(10,3), 'line\nbreak\ttab',
               (-128)::TINYINT,
               (-pow(2, 100))::FLOAT, 'inf'::DOUBLE, TIMESTAMPTZ '1999-12-31 23:59:59.999999+00',
               INTERVAL '-5 minutes', 'bad'::mood, ''::BLOB, (-1)::HUGEINT, TIME '00:00:00'),
              (3, NULL, NULL, NULL, '', NULL, NULL, '-inf'::DOUBLE, NULL, NULL, NULL, NULL, NULL,
               NULL),
              (4, NULL, NULL, NULL, NULL, NULL, NULL, 5e-324::DOUBLE, NULL, NULL, NULL, NULL, NULL,
               NULL)
            ) v(id, flag, day, amount, label, tiny, real_value, special, at_utc, span, mood,
                payload, huge, clock)
            """
        )
        expected = con.execute("SELECT * FROM curated.zoo ORDER BY id").fetchall()
    publish_tables(path, [("curated", "zoo")], pg_settings, pg_password)
    assert [t for _, t in pg_types(pg_settings, "curated", "zoo")] == [
        "integer", "boolean", "date", "numeric", "text", "smallint", "real",
        "double precision", "timestamp with time zone", "interval", "text", "bytea", "numeric",
        "time without time zone",
    ]  # fmt: skip
    with pg(pg_settings) as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM curated.zoo ORDER BY id")
        actual = cur.fetchall()
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        # psycopg2 reads real's shortest text as a double: compare it as float32 again.
        mine, theirs = list(got), list(want)
        mine[6], theirs[6] = [None if v is None else struct.pack("f", v) for v in (got[6], want[6])]
        assert [_normal(v) for v in mine] == [_normal(v) for v in theirs]


def _normal(value: Any) -> Any:
    """One form for values the two drivers return differently (bytes, NaN, tz-aware times)."""
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if hasattr(value, "utcoffset") and hasattr(value, "astimezone") and value.utcoffset():
        return value.astimezone(tz=None).timestamp()
    if hasattr(value, "tzinfo") and value.tzinfo is not None and hasattr(value, "timestamp"):
        return value.timestamp()
    return value


def test_binary_copy_is_faithful_for_awkward_values(
    tmp_path: Path,
    pg_settings: PostgresSettings,
    pg_password: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_csv(batch: Any) -> bytes:
        raise AssertionError("these types should go through COPY BINARY")

    monkeypatch.setattr(pgcopy, "encode_csv", no_csv)
    path = tmp_path / "binary.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA curated; CREATE TYPE mood AS ENUM ('ok', 'bad')")
        con.execute(
            """
            CREATE TABLE curated.zoo AS SELECT * FROM (VALUES
              (1, true, 'x"y,z''w \\N', (-128)::TINYINT, 255::UTINYINT, 65535::USMALLINT,
               4294967295::UINTEGER, -9223372036854775807::BIGINT, 1.5::FLOAT, 'nan'::DOUBLE,
               DATE '2024-02-29', TIME '23:59:59.999999', TIMESTAMP '1999-12-31 23:59:59.999999',
               TIMESTAMPTZ '2024-03-31 01:30:00+00', TIMESTAMP_S '1970-01-01 00:00:01',
               TIMESTAMP_MS '1900-01-01 00:00:00.123', TIMESTAMP_NS '2024-01-01 00:00:00.000001499',
               'ok'::mood, '\\x00\\xff'::BLOB),
              (2, false, 'ünïcødé ✓ €', 0::TINYINT, 0::UTINYINT, 0::USMALLINT, 0::UINTEGER,
               0::BIGINT, -0.0::FLOAT, '-inf'::DOUBLE, 'infinity'::DATE, TIME '00:00:00',
               'infinity'::TIMESTAMP, '-infinity'::TIMESTAMPTZ, NULL, NULL, NULL, 'bad'::mood,
               ''::BLOB),
              (3, NULL, '', NULL, NULL, NULL, NULL, NULL, NULL, 'inf'::DOUBLE, '-infinity'::DATE,
               NULL, '-infinity'::TIMESTAMP, NULL, NULL, NULL, NULL, NULL, NULL),
              (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, DATE '0001-01-01', NULL,
               TIMESTAMP '2000-01-01 00:00:00', NULL, NULL, NULL, NULL, NULL, NULL)
            ) v(id, flag, label, tiny, utiny, usmall, uint, big, real_value, special, day, clock,
                at_local, at_utc, at_s, at_ms, at_ns, mood, payload)
            """
        )
        expected = con.execute(
            "SELECT * EXCLUDE (day, at_local, at_utc), day::varchar, at_local::varchar,"
            " at_utc::varchar"
            " FROM curated.zoo ORDER BY id"
        ).fetchall()
    publish_tables(path, [("curated", "zoo")], pg_settings, pg_password)
    assert [t for _, t in pg_types(pg_settings, "curated", "zoo")] == [
        "integer", "boolean", "text", "smallint", "smallint", "integer", "bigint", "bigint",
        "real", "double precision", "date", "time without time zone",
        "timestamp without time zone", "timestamp with time zone",
        "timestamp without time zone", "timestamp without time zone",
        "timestamp without time zone", "text", "bytea",
    ]  # fmt: skip
    with pg(pg_settings) as conn, conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
        cur.execute(
            "SELECT id, flag, label, tiny, utiny, usmall, uint, big, real_value, special, clock,"
            " at_s, at_ms, at_ns, mood, payload, day::text, at_local::text, at_utc::text"
            " FROM curated.zoo ORDER BY id"
        )
        actual = cur.fetchall()
    # Text forms differ for dates/timestamps (PG: '2024-03-31 01:30:00+00', infinity...).
    for got, want in zip(actual, expected, strict=True):
        assert [_normal(v) for v in got[:16]] == [_normal(v) for v in want[:16]]
    assert [row[16:] for row in actual] == [
        ("2024-02-29", "1999-12-31 23:59:59.999999", "2024-03-31 01:30:00+00"),
        ("infinity", "infinity", "-infinity"),
        ("-infinity", "-infinity", None),
        ("0001-01-01", "2000-01-01 00:00:00", None),
    ]
    assert actual[0][13].microsecond == 1  # 1.499 us rounds to 1 us


def test_encoder_failure_mid_stream_keeps_old_table(
    warehouse: Path,
    pg_settings: PostgresSettings,
    published: list[PublishedTable],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_encode = pgcopy.encode_binary
    calls = itertools.count()

    def failing(batch: Any) -> bytes:
        if next(calls) == 1:
            raise RuntimeError("encoder broke")
        return real_encode(batch)

    monkeypatch.setattr(pgcopy, "encode_binary", failing)
    monkeypatch.setattr(publish, "BATCH_ROWS", 100)
    with pytest.raises(RuntimeError, match="encoder broke"):
        publish_tables(warehouse, [("curated", "dim_batch")], pg_settings, PASSWORD)
    monkeypatch.undo()
    assert pg_rows(pg_settings, "curated", "dim_batch") == duck_rows(
        warehouse, "curated", "dim_batch"
    )
    assert pg_tables(pg_settings) == {"dim_batch", "fact_bioreactor_batch_stats"}


def test_publish_creates_missing_schema_and_replaces_existing_rows(
    warehouse: Path, pg_settings: PostgresSettings, published: list[PublishedTable]
) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("DELETE FROM curated.dim_batch WHERE batch_id >= 'B00150'")
    [again] = publish_tables(warehouse, [("curated", "dim_batch")], pg_settings, PASSWORD)
    assert again.rows == 150
    assert pg_rows(pg_settings, "curated", "dim_batch") == duck_rows(
        warehouse, "curated", "dim_batch"
    )
    assert pg_tables(pg_settings) == {"dim_batch", "fact_bioreactor_batch_stats"}


def test_empty_source_table_publishes_an_empty_table(
    warehouse: Path, pg_settings: PostgresSettings, published: list[PublishedTable]
) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("DELETE FROM curated.dim_batch")
    [result] = publish_tables(warehouse, [("curated", "dim_batch")], pg_settings, PASSWORD)
    assert result.rows == 0
    assert pg_rows(pg_settings, "curated", "dim_batch") == []


def test_long_table_name_is_replaced_not_destroyed(
    tmp_path: Path, pg_settings: PostgresSettings, pg_password: str
) -> None:
    name = "t" * 63  # `<name>__loading` would be truncated back to `<name>`
    path = tmp_path / "long.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE SCHEMA curated; CREATE TABLE curated.{name} AS FROM range(5) t(x)")
    for _ in range(2):
        [result] = publish_tables(path, [("curated", name)], pg_settings, pg_password)
        assert result.rows == 5
        assert pg_tables(pg_settings) == {name}
        with pg(pg_settings) as conn, conn.cursor() as cur:
            cur.execute(f"SELECT sum(x) FROM curated.{name}")
            assert cur.fetchone() == (10,)


def test_reader_never_sees_missing_empty_or_partial_table_during_republish(
    warehouse: Path, pg_settings: PostgresSettings, published: list[PublishedTable]
) -> None:
    table = "fact_bioreactor_batch_stats"
    counts: list[int] = []
    errors: list[BaseException] = []
    reading, stop = threading.Event(), threading.Event()

    def reader() -> None:
        try:
            with pg(pg_settings) as conn, conn.cursor() as cur:
                while not stop.is_set() and len(counts) < 100_000:
                    cur.execute(f"SELECT count(*) FROM curated.{table}")
                    counts.append(cur.fetchone()[0])
                    reading.set()
        except BaseException as err:
            errors.append(err)
        finally:
            reading.set()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        assert reading.wait(timeout=10)
        for _ in range(8):
            publish_tables(warehouse, [("curated", table)], pg_settings, PASSWORD)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert errors == []
    assert len(counts) > 8
    assert set(counts) == {FACT_ROWS}


def test_stuck_reader_times_out_the_swap_and_keeps_old_table(
    warehouse: Path, pg_settings: PostgresSettings, published: list[PublishedTable]
) -> None:
    with pg(pg_settings) as reader:
        reader.autocommit = False
        with reader.cursor() as cur:  # idle in transaction, holding ACCESS SHARE on dim_batch
            cur.execute("SELECT count(*) FROM curated.dim_batch")
        with duckdb.connect(str(warehouse)) as con:
            con.execute("DELETE FROM curated.dim_batch")
        with pytest.raises(TargetUnavailable, match=r"curated\.dim_batch stayed locked") as info:
            publish_tables(
                warehouse, [("curated", "dim_batch")], pg_settings, PASSWORD, lock_timeout=0.1
            )
        reader.rollback()
    _assert_one_line_without_password(info.value)
    assert len(pg_rows(pg_settings, "curated", "dim_batch")) == BATCHES
    assert pg_tables(pg_settings) == {"dim_batch", "fact_bioreactor_batch_stats"}


def test_grants_on_the_old_table_survive_the_swap(
    warehouse: Path, pg_server: PgServer, pg_settings: PostgresSettings,
    published: list[PublishedTable],
) -> None:  # fmt: skip
    dashboard = f"dashboard_{pg_settings.dbname}"
    pg_server.create_role(dashboard, "dash pw")
    with pg(pg_settings) as conn, conn.cursor() as cur:
        cur.execute(f"GRANT USAGE ON SCHEMA curated TO {dashboard}")
        cur.execute(f"GRANT SELECT ON curated.dim_batch TO {dashboard}")
    publish_tables(warehouse, [("curated", "dim_batch")], pg_settings, PASSWORD)
    as_dashboard = dataclasses.replace(pg_settings, user=dashboard)
    with contextlib.closing(connect(as_dashboard, "dash pw")) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM curated.dim_batch")
        assert cur.fetchone() == (BATCHES,)


def test_dependent_view_stops_the_swap_with_its_name(
    warehouse: Path, pg_settings: PostgresSettings, published: list[PublishedTable]
) -> None:
    with pg(pg_settings) as conn, conn.cursor() as cur:
        cur.execute("CREATE VIEW public.batch_sites AS SELECT DISTINCT site FROM curated.dim_batch")
    with pytest.raises(
        TargetUnavailable, match=r"view batch_sites depends on table curated\.dim_batch"
    ) as info:
        publish_tables(warehouse, [("curated", "dim_batch")], pg_settings, PASSWORD)
    _assert_one_line_without_password(info.value)
    assert len(pg_rows(pg_settings, "curated", "dim_batch")) == BATCHES
    assert pg_tables(pg_settings) == {"dim_batch", "fact_bioreactor_batch_stats"}


def test_missing_duckdb_table_fails_before_touching_postgres(
    warehouse: Path, pg_settings: PostgresSettings, published: list[PublishedTable]
) -> None:
    with pytest.raises(DataError, match=r"curated\.nope not found"):
        publish_tables(warehouse, [*CURATED, ("curated", "nope")], pg_settings, PASSWORD)
    assert pg_tables(pg_settings) == {"dim_batch", "fact_bioreactor_batch_stats"}


def test_warehouse_held_by_a_writer_says_so(
    warehouse: Path, pg_settings: PostgresSettings, pg_password: str
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(LockedError, match="holds the warehouse open for writing") as info:
            publish_tables(warehouse, CURATED, pg_settings, pg_password)
        assert str(warehouse) in str(info.value)
    finally:
        holder.communicate("", timeout=30)
    assert pg_tables(pg_settings) == set()


HOLD_WRITE_LOCK = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
sys.stdin.read()
"""


def test_unsupported_duckdb_type_names_the_column(
    tmp_path: Path, pg_settings: PostgresSettings, pg_password: str
) -> None:
    path = tmp_path / "nested.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA curated; CREATE TABLE curated.t AS SELECT [1, 2] AS readings")
    with pytest.raises(DataError, match=r"column 'readings' has type INTEGER\[\]"):
        publish_tables(path, [("curated", "t")], pg_settings, pg_password)


# --- connection and permission failures ---------------------------------------------------


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers, like a firewalled host."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def _assert_one_line_without_password(err: BaseException) -> None:
    text = str(err)
    assert "\n" not in text
    assert PASSWORD not in text and PASSWORD not in repr(err)
    assert "s3cret" not in text


def _fails_and_keeps_table(
    warehouse: Path, good: PostgresSettings, bad: PostgresSettings, password: str | None
) -> str:
    with pytest.raises(TargetUnavailable) as info:
        publish_tables(warehouse, CURATED, bad, password)
    _assert_one_line_without_password(info.value)
    assert pg_rows(good, "curated", "dim_batch") == duck_rows(warehouse, "curated", "dim_batch")
    assert pg_tables(good) == {"dim_batch", "fact_bioreactor_batch_stats"}
    return str(info.value)


def test_server_down_says_connection_refused(
    warehouse: Path, pg_settings: PostgresSettings, published: list[PublishedTable]
) -> None:
    port = free_port()
    bad = dataclasses.replace(pg_settings, port=port)
    message = _fails_and_keeps_table(warehouse, pg_settings, bad, PASSWORD)
    assert f"127.0.0.1:{port}" in message
    assert "connection refused; is PostgreSQL running" in message


def test_silent_host_times_out_in_seconds(
    warehouse: Path, pg_settings: PostgresSettings, published: list[PublishedTable]
) -> None:
    with silent_server() as port:
        bad = dataclasses.replace(pg_settings, port=port, connect_timeout=2)
        message = _fails_and_keeps_table(warehouse, pg_settings, bad, PASSWORD)
    assert "did not answer within 2 s" in message


def test_wrong_password_names_the_env_var(
    warehouse: Path, pg_settings: PostgresSettings, published: list[PublishedTable]
) -> None:
    message = _fails_and_keeps_table(warehouse, pg_settings, pg_settings, "wrong " + PASSWORD)
    assert f"refused the password for role '{ROLE}'" in message
    assert PASSWORD_ENV in message


def test_missing_password_env_var(
    warehouse: Path,
    pg_settings: PostgresSettings,
    published: list[PublishedTable],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(PASSWORD_ENV)
    message = _fails_and_keeps_table(warehouse, pg_settings, pg_settings, pg_settings.password())
    assert f"environment variable {PASSWORD_ENV} is not set" in message


def test_missing_database(
    warehouse: Path, pg_settings: PostgresSettings, published: list[PublishedTable]
) -> None:
    bad = dataclasses.replace(pg_settings, dbname="no_such_db")
    message = _fails_and_keeps_table(warehouse, pg_settings, bad, PASSWORD)
    assert "database 'no_such_db' does not exist" in message


def test_missing_role(
    warehouse: Path,
    pg_server: PgServer,
    pg_settings: PostgresSettings,
    published: list[PublishedTable],
) -> None:
    # Over TCP PostgreSQL hides unknown roles behind "password authentication failed";
    # the trusted unix socket says it plainly.
    bad = dataclasses.replace(pg_settings, host=pg_server.socket_dir, user="ghost")
    message = _fails_and_keeps_table(warehouse, pg_settings, bad, PASSWORD)
    assert "role 'ghost' does not exist" in message


@pytest.mark.parametrize("schema_exists", [True, False], ids=["schema", "database"])
def test_role_without_create_permission(
    schema_exists: bool,
    warehouse: Path,
    pg_server: PgServer,
    pg_settings: PostgresSettings,
    published: list[PublishedTable],
) -> None:
    viewer = f"viewer_{pg_settings.dbname}"
    pg_server.create_role(viewer, PASSWORD)
    bad = dataclasses.replace(pg_settings, user=viewer)
    tables = CURATED if schema_exists else [("curated", "dim_batch")]
    if not schema_exists:
        with duckdb.connect(str(warehouse)) as con:
            con.execute("CREATE SCHEMA fresh; CREATE TABLE fresh.t AS SELECT 1 AS x")
        tables = [("fresh", "t")]
    with pytest.raises(TargetUnavailable) as info:
        publish_tables(warehouse, tables, bad, PASSWORD)
    message = str(info.value)
    _assert_one_line_without_password(info.value)
    schema = tables[0][0]
    assert f"role '{viewer}' may not create tables in schema '{schema}'" in message
    assert ("ON SCHEMA curated" if schema_exists else "ON DATABASE") in message
    assert pg_rows(pg_settings, "curated", "dim_batch") == duck_rows(
        warehouse, "curated", "dim_batch"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"sslmode": "require"}, "SSL negotiation failed (server does not support SSL"),
        ({"host": "no-such-host.invalid"}, "unknown host 'no-such-host.invalid'"),
    ],
    ids=["ssl", "unknown-host"],
)
def test_other_connection_failures(
    pg_settings: PostgresSettings, change: dict[str, str], expected: str
) -> None:
    with pytest.raises(TargetUnavailable, match=re.escape(expected)) as info:
        connect(dataclasses.replace(pg_settings, **change), PASSWORD)
    _assert_one_line_without_password(info.value)


def test_connect_timeout_comes_from_settings(pg_settings: PostgresSettings) -> None:
    with contextlib.closing(connect(pg_settings, PASSWORD)) as conn:
        assert conn.get_dsn_parameters()["connect_timeout"] == "3"
        assert PASSWORD not in conn.dsn


def test_psycopg2_errors_are_not_leaked(pg_settings: PostgresSettings) -> None:
    bad = dataclasses.replace(pg_settings, dbname="nope")
    with pytest.raises(TargetUnavailable) as info:
        connect(bad, PASSWORD)
    assert not isinstance(info.value, psycopg2.Error)
    assert info.value.__cause__ is None


def test_odd_schema_and_table_names_are_quoted(
    warehouse: Path, pg_settings: PostgresSettings
) -> None:
    """Names with quotes, spaces and capitals are identifiers (sql.Identifier), never SQL."""
    schema, table = "Curated \"Q1\" 'x'", "dim batch; drop table x"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f'CREATE SCHEMA "{schema.replace(chr(34), chr(34) * 2)}"')
        con.execute(
            f'CREATE TABLE "{schema.replace(chr(34), chr(34) * 2)}"."{table}" AS '
            "SELECT * FROM curated.dim_batch"
        )
    (done,) = publish_tables(warehouse, [(schema, table)], pg_settings, PASSWORD)
    assert (done.schema, done.table, done.rows) == (schema, table, BATCHES)
    with pg(pg_settings) as conn, conn.cursor() as cur:
        cur.execute(
            "select count(*) from pg_tables where schemaname = %s and tablename = %s",
            (schema, table),
        )
        assert cur.fetchone() == (1,)
