"""pytest fixtures for a real PostgreSQL 15 server started by the test session.

Import them into a conftest: ``from pg_fixtures import pg_server, pg_password, pg_settings``.
A missing initdb/pg_ctl fails the tests loudly instead of skipping them.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

import pg_server as pg_server_module
from lakehouse_tui import demo
from lakehouse_tui.config import PostgresSettings

ROLE = "lakehouse"
# Spaces, quotes and a backslash: proves the password is escaped, and easy to grep for.
PASSWORD = "s3cret pw 'q' \\ x"
PASSWORD_ENV = "LAKEHOUSE_TEST_PG_PASSWORD"

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg_server_module.PgServer]:
    """The session's server, with a login role `lakehouse` (SCRAM password).

    It lives in the system temp dir, not pytest's: as root, pytest's 0700 dirs would keep
    the `postgres` user out.
    """
    problem = ""
    try:
        server = pg_server_module.start()
    except pg_server_module.PgServerError as err:
        problem = str(err)
    if problem:
        pytest.fail(f"cannot start the test PostgreSQL server: {problem}", pytrace=False)
    try:
        server.create_role(ROLE, PASSWORD)
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.base, ignore_errors=True)


@pytest.fixture
def pg_password(monkeypatch: pytest.MonkeyPatch) -> str:
    """Sets the env var named by `pg_settings.password_env`; libpq's own env is cleared."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    for name in ("PGPASSWORD", "PGPASSFILE", "PGSERVICE"):
        monkeypatch.delenv(name, raising=False)
    return PASSWORD


@pytest.fixture
def pg_settings(
    pg_server: pg_server_module.PgServer, pg_password: str
) -> Iterator[PostgresSettings]:
    """Settings for a fresh database (owned by `lakehouse`) per test, over TCP."""
    dbname = f"lakehouse_{next(_databases)}"
    pg_server.create_database(dbname, ROLE)
    yield PostgresSettings(
        host="127.0.0.1",
        port=pg_server.port,
        dbname=dbname,
        user=ROLE,
        password_env=PASSWORD_ENV,
        sslmode="disable",
        schema="marts",
        connect_timeout=3,
    )
    with contextlib.closing(pg_server.admin()) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(dbname)))


@pytest.fixture
def pg_marts_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_settings: PostgresSettings
) -> str:
    """A lake with its marts in the test PostgreSQL (schema `marts`) and 3 small demo
    batches in `tmp_path / 'raw'`; its XDG dirs inside tmp_path. Returns the config path."""
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.delenv("LAKEHOUSE_TUI_CONFIG", raising=False)
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[lake]
raw_dir = "raw"
warehouse = "warehouse.duckdb"
[marts]
target = "postgres"
[postgres]
host = "{pg_settings.host}"
port = {pg_settings.port}
dbname = "{pg_settings.dbname}"
user = "{pg_settings.user}"
password_env = "{pg_settings.password_env}"
sslmode = "disable"
schema = "marts"
connect_timeout = 3
""",
        encoding="utf-8",
    )
    demo.generate(tmp_path / "raw", batches=3, hours=1, hz=0.05)
    return str(path)


def pg_rows(settings: PostgresSettings, password: str, query: str) -> list[tuple[object, ...]]:
    with (
        contextlib.closing(
            psycopg2.connect(
                host=settings.host,
                port=settings.port,
                dbname=settings.dbname,
                user=settings.user,
                password=password,
            )
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(query)
        return list(cursor.fetchall())
