"""pytest fixtures for a real PostgreSQL 15 server started by the test session.

Import them into a conftest: ``from pg_fixtures import pg_server, pg_password, pg_settings``.
A missing initdb/pg_ctl fails the tests loudly instead of skipping them.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
from collections.abc import Iterator

import pytest
from psycopg2 import sql

import pg_server as pg_server_module
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
