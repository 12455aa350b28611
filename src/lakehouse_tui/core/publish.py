"""Publish curated DuckDB tables into PostgreSQL, where dbt-postgres builds the marts.

Each table is streamed out of a read-only DuckDB connection as Arrow record batches, encoded
by `pgcopy` (COPY BINARY for the usual scalar types, CSV for the rest) and sent with one
`COPY ... FROM STDIN` into a new table `<table>__loading`. In the same transaction the old
table is dropped and the new one renamed, so a concurrent reader sees either the old rows or
the new rows, never an empty, half-loaded or missing table: a reader blocked on the old table
re-resolves the name after the swap.

The swap takes an ACCESS EXCLUSIVE lock on the old table. A short `lock_timeout` keeps a
stuck reader (say an idle-in-transaction dashboard) from hanging the publish, and from
making every later reader queue behind our lock; the swap is retried a few times.

The old table is dropped without CASCADE on purpose: if a view depends on it the publish
fails with a message naming the view, instead of silently dropping the view. dbt builds
the mart as a table, so the normal setup has no such view. Grants on the old table are
copied to the new one so a dashboard role keeps its SELECT.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import psycopg2.errors
from psycopg2 import sql

from lakehouse_tui.config import PostgresSettings
from lakehouse_tui.core import pgcopy
from lakehouse_tui.core.postgres import (
    INSUFFICIENT_PRIVILEGE,
    connect,
    explain_connect_error,
    explain_privilege_error,
)
from lakehouse_tui.errors import DataError, LockedError, TargetUnavailable

LOADING_SUFFIX = "__loading"
MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1
BATCH_ROWS = 131_072
SWAP_ATTEMPTS = 3

# DuckDB type -> (PostgreSQL type, how it travels):
#   "any"  as is, in COPY BINARY or CSV;   "csv"  as is, CSV only (no binary encoder);
#   "text" cast to VARCHAR by DuckDB, CSV only (Arrow cannot write it, or writes another form).
_TYPES: dict[str, tuple[str, str]] = {
    "BOOLEAN": ("boolean", "any"),
    "TINYINT": ("smallint", "any"),
    "SMALLINT": ("smallint", "any"),
    "INTEGER": ("integer", "any"),
    "BIGINT": ("bigint", "any"),
    "UTINYINT": ("smallint", "any"),
    "USMALLINT": ("integer", "any"),
    "UINTEGER": ("bigint", "any"),
    "UBIGINT": ("numeric(20,0)", "csv"),
    "HUGEINT": ("numeric(39,0)", "text"),
    "UHUGEINT": ("numeric(39,0)", "text"),
    "FLOAT": ("real", "any"),
    "DOUBLE": ("double precision", "any"),
    "VARCHAR": ("text", "any"),
    "DATE": ("date", "any"),
    "TIME": ("time", "any"),
    "TIME WITH TIME ZONE": ("timetz", "text"),
    "TIMESTAMP": ("timestamp", "any"),
    "TIMESTAMP_S": ("timestamp(0)", "any"),
    "TIMESTAMP_MS": ("timestamp(3)", "any"),
    "TIMESTAMP_NS": ("timestamp", "any"),  # PostgreSQL keeps microseconds: ns are rounded
    "TIMESTAMP WITH TIME ZONE": ("timestamptz", "any"),
    "INTERVAL": ("interval", "text"),
    "UUID": ("uuid", "text"),
    "JSON": ("jsonb", "text"),
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


@dataclass(frozen=True)
class PublishedTable:
    schema: str
    table: str
    rows: int
    seconds: float


@dataclass(frozen=True)
class _Column:
    name: str
    pg_type: str
    csv_select: str  # DuckDB expression whose Arrow CSV text PostgreSQL reads as pg_type
    binary_select: str | None  # ... whose Arrow values pgcopy.encode_binary writes as pg_type


def publish_tables(
    duckdb_path: Path,
    tables: Sequence[tuple[str, str]],
    settings: PostgresSettings,
    password: str | None,
    *,
    lock_timeout: float = 5.0,
) -> list[PublishedTable]:
    """Copy each (schema, table) from the DuckDB file into PostgreSQL under the same names.

    Tables are published one after another, each in its own transaction: if table 2 fails,
    table 1 is already published and table 2 still holds its previous rows.
    """
    duck = _open_duckdb(duckdb_path)
    try:
        # Check every table and type before touching PostgreSQL.
        plans = [
            (schema, table, _columns(duck, duckdb_path, schema, table)) for schema, table in tables
        ]
        pg = connect(settings, password)
        try:
            return [
                _publish_one(duck, pg, schema, table, columns, settings, password, lock_timeout)
                for schema, table, columns in plans
            ]
        finally:
            pg.close()
    finally:
        duck.close()


def _open_duckdb(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise DataError(f"{path}: warehouse file not found; materialize the curated models first")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as err:
        # Another process writing: "Could not set lock"; this process: "different configuration".
        if "lock" in str(err).lower() or "different configuration" in str(err).lower():
            raise LockedError(
                f"{path}: another process holds the warehouse open for writing; "
                "wait for the running materialization to finish"
            ) from None
        raise DataError(f"{path}: cannot open the warehouse ({_first_line(str(err))})") from None


def _columns(duck: duckdb.DuckDBPyConnection, path: Path, schema: str, table: str) -> list[_Column]:
    try:
        relation = duck.sql(f"select * from {_duck_name(schema, table)} limit 0")
    except duckdb.CatalogException:
        raise DataError(
            f"{path}: table {schema}.{table} not found; materialize the curated models first"
        ) from None
    return [
        _column(path, schema, table, name, str(dtype))
        for name, dtype in zip(relation.columns, relation.types, strict=True)
    ]


def _column(path: Path, schema: str, table: str, name: str, duck_type: str) -> _Column:
    quoted = _duck_ident(name)
    if duck_type in _TYPES:
        pg_type, travel = _TYPES[duck_type]
        if travel == "text":
            return _Column(name, pg_type, f"{quoted}::varchar", None)
        return _Column(name, pg_type, quoted, quoted if travel == "any" else None)
    if match := _DECIMAL.match(duck_type):
        return _Column(name, f"numeric({match[1]},{match[2]})", quoted, None)
    if duck_type.startswith("ENUM("):
        return _Column(name, "text", f"{quoted}::varchar", f"{quoted}::varchar")
    if duck_type == "BLOB":
        # bytea's hex input format: \x followed by two hex digits a byte.
        return _Column(name, "bytea", f"'\\x' || hex({quoted})", quoted)
    raise DataError(
        f"{path}: {schema}.{table} column {name!r} has type {duck_type}, which cannot be "
        "published to PostgreSQL; cast it to a scalar type in the dbt model"
    )


def _publish_one(
    duck: duckdb.DuckDBPyConnection,
    pg: Any,
    schema: str,
    table: str,
    columns: list[_Column],
    settings: PostgresSettings,
    password: str | None,
    lock_timeout: float,
) -> PublishedTable:
    started = time.perf_counter()
    loading = _staging_name(table)
    target = sql.Identifier(schema, table)
    staging = sql.Identifier(schema, loading)
    column_list = sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    try:
        with pg.cursor() as cur:
            cur.execute("SET LOCAL lock_timeout = %s", (f"{round(lock_timeout * 1000)}ms",))
            _ensure_schema(cur, schema)
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(staging))
            cur.execute(
                sql.SQL("CREATE TABLE {} ({})").format(
                    staging,
                    sql.SQL(", ").join(
                        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.pg_type))
                        for c in columns
                    ),
                )
            )
            stream, copy_format = _open_stream(duck, schema, table, columns)
            copy = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT {})").format(
                staging, column_list, sql.SQL(copy_format)
            )
            try:
                cur.copy_expert(copy.as_string(pg), stream, size=1 << 20)
            except psycopg2.Error:
                # PostgreSQL only learns "error in .read() call": raise what really failed.
                if stream.error is not None:
                    raise stream.error from None
                raise
            finally:
                stream.close()
            cur.execute(sql.SQL("ANALYZE {}").format(staging))
            grants = _grants(cur, schema, table)
            _swap(cur, target, staging, table)
            for grant in grants:
                cur.execute(grant)
        pg.commit()
    except psycopg2.Error as err:
        _rollback(pg)
        raise _explain(err, schema, table, settings, password) from None
    except duckdb.Error as err:
        _rollback(pg)
        raise DataError(
            f"warehouse table {schema}.{table}: reading it failed ({_first_line(str(err))}); "
            "check the warehouse file and rerun the curated models"
        ) from None
    except BaseException:
        _rollback(pg)
        raise
    return PublishedTable(schema, table, stream.rows, time.perf_counter() - started)


def _rollback(pg: Any) -> None:
    # A dead connection cannot roll back; the server already dropped the transaction.
    with contextlib.suppress(psycopg2.Error):
        pg.rollback()


def _staging_name(table: str) -> str:
    """`<table>__loading`, shortened when PostgreSQL would truncate it to the table's own name."""
    name = table + LOADING_SUFFIX
    if len(name.encode()) <= MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha1(table.encode()).hexdigest()[:8]
    return f"{table.encode()[:40].decode(errors='ignore')}{LOADING_SUFFIX}_{digest}"


def _open_stream(
    duck: duckdb.DuckDBPyConnection, schema: str, table: str, columns: list[_Column]
) -> tuple[pgcopy.CopyStream, str]:
    """Binary COPY when every column allows it (much faster for PostgreSQL), else CSV."""
    source = _duck_name(schema, table)
    if all(c.binary_select for c in columns):
        select = ", ".join(str(c.binary_select) for c in columns)
        reader = duck.sql(f"select {select} from {source}").to_arrow_reader(BATCH_ROWS)
        if all(pgcopy.binary_supported(field.type) for field in reader.schema):
            stream = pgcopy.CopyStream(
                iter(reader),
                pgcopy.encode_binary,
                header=pgcopy.BINARY_HEADER,
                trailer=pgcopy.BINARY_TRAILER,
            )
            return stream, "binary"
        reader.close()
    select = ", ".join(c.csv_select for c in columns)
    reader = duck.sql(f"select {select} from {source}").to_arrow_reader(BATCH_ROWS)
    return pgcopy.CopyStream(iter(reader), pgcopy.encode_csv), "csv"


def _ensure_schema(cur: Any, schema: str) -> None:
    # CREATE SCHEMA IF NOT EXISTS checks CREATE on the database even when the schema exists,
    # so only run it when the schema is really missing.
    cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
    if cur.fetchone() is None:
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def _swap(cur: Any, target: sql.Composable, staging: sql.Composable, table: str) -> None:
    """Drop the old table and rename the new one; retry when a reader holds the lock."""
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        cur.execute("SAVEPOINT swap")
        try:
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))
            cur.execute(
                sql.SQL("ALTER TABLE {} RENAME TO {}").format(staging, sql.Identifier(table))
            )
        except psycopg2.errors.LockNotAvailable:
            cur.execute("ROLLBACK TO SAVEPOINT swap")
            if attempt == SWAP_ATTEMPTS:
                raise
        else:
            cur.execute("RELEASE SAVEPOINT swap")
            return


def _grants(cur: Any, schema: str, table: str) -> list[sql.Composable]:
    """GRANT statements that give the new table the privileges others had on the old one."""
    cur.execute(
        """
        SELECT coalesce(r.rolname, 'PUBLIC'), a.privilege_type, a.is_grantable
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        CROSS JOIN LATERAL aclexplode(c.relacl) a
        LEFT JOIN pg_roles r ON r.oid = a.grantee
        WHERE n.nspname = %s AND c.relname = %s AND a.grantee <> c.relowner
        """,
        (schema, table),
    )
    target = sql.Identifier(schema, table)
    grants: list[sql.Composable] = []
    for grantee, privilege, grantable in cur.fetchall():
        if not re.fullmatch(r"[A-Z ]+", privilege):
            continue
        who = sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee)
        option = sql.SQL(" WITH GRANT OPTION") if grantable else sql.SQL("")
        grants.append(
            sql.SQL("GRANT {} ON {} TO {}{}").format(sql.SQL(privilege), target, who, option)
        )
    return grants


def _explain(
    err: psycopg2.Error,
    schema: str,
    table: str,
    settings: PostgresSettings,
    password: str | None,
) -> Exception:
    name = f"{schema}.{table}"
    where = f"PostgreSQL database {settings.dbname!r} at {settings.host}:{settings.port}"
    if err.pgcode == INSUFFICIENT_PRIVILEGE:
        return explain_privilege_error(err, settings, schema, password)
    if isinstance(err, psycopg2.errors.LockNotAvailable):
        return TargetUnavailable(
            f"{where}: {name} stayed locked by another session past the lock timeout; "
            "find it in pg_stat_activity (idle in transaction?) and retry"
        )
    if isinstance(err, psycopg2.errors.DependentObjectsStillExist):
        detail = _first_line(err.diag.message_detail or str(err))
        return TargetUnavailable(
            f"{where}: cannot replace {name} ({detail}); drop that object or build it as a table"
        )
    if isinstance(err, psycopg2.DataError):
        return DataError(f"{where}: rejected a row of {name} ({_first_line(str(err))})")
    if isinstance(err, psycopg2.OperationalError) and err.pgcode is None:
        return explain_connect_error(err, settings, password)
    return TargetUnavailable(f"{where}: publishing {name} failed ({_first_line(str(err))})")


def _duck_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _duck_name(schema: str, table: str) -> str:
    return f"{_duck_ident(schema)}.{_duck_ident(table)}"


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "unknown error"
