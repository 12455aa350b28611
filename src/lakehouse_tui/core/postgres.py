"""Connecting to PostgreSQL and turning its failures into one-line `TargetUnavailable` errors.

libpq reports connection failures only as text (there is no SQLSTATE before a session exists),
so `explain_connect_error` matches the English messages of libpq and the server. Anything it
does not recognise still becomes one line naming host, port and database. The password is
never put in a message: libpq does not echo it, and `_scrub` removes it anyway.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg2
import psycopg2.errors

from lakehouse_tui import redact
from lakehouse_tui.config import PostgresSettings
from lakehouse_tui.errors import TargetUnavailable

# SQLSTATE of "insufficient_privilege": CREATE denied on a database or schema, not the owner.
INSUFFICIENT_PRIVILEGE = "42501"


def connect(settings: PostgresSettings, password: str | None) -> Any:
    """Open a psycopg2 connection (autocommit off) or raise a one-line `TargetUnavailable`.

    With `password` None, libpq may still find one (~/.pgpass, PGPASSWORD) or the server may
    not need one (trust, peer); if it does need one, the error names `settings.password_env`.
    """
    params: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "dbname": settings.dbname,
        "user": settings.user,
        "sslmode": settings.sslmode,
        "connect_timeout": settings.connect_timeout,
        "application_name": "lakehouse-tui",
        "client_encoding": "UTF8",
    }
    if password is not None:
        params["password"] = password
    try:
        return psycopg2.connect(**params)
    except psycopg2.Error as err:
        raise explain_connect_error(err, settings, password) from None


def explain_connect_error(
    err: BaseException, settings: PostgresSettings, password: str | None
) -> TargetUnavailable:
    """Say which connection failure this is and what to check, on one line."""
    text = _scrub(str(err), password)
    where = f"PostgreSQL at {settings.host}:{settings.port}"
    user, dbname, env = settings.user, settings.dbname, settings.password_env
    lowered = text.lower()
    if "no password supplied" in lowered or "password is required" in lowered:
        message = (
            f"{where} asks for a password for role {user!r} but environment variable {env} "
            f"is not set; export {env} or change [postgres] password_env"
        )
    elif "password authentication failed" in lowered:
        # PostgreSQL reports an unknown role the same way, on purpose.
        message = (
            f"{where} refused the password for role {user!r}; check the password in "
            f"environment variable {env} and that the role exists"
        )
    elif re.search(r'role ".*" does not exist', lowered):
        message = f"{where}: role {user!r} does not exist; create it or fix [postgres] user"
    elif re.search(r'database ".*" does not exist', lowered):
        message = (
            f"{where}: database {dbname!r} does not exist; "
            f"create it (createdb {dbname}) or fix [postgres] dbname"
        )
    elif "permission denied for database" in lowered or "not permitted to log in" in lowered:
        message = (
            f"{where}: role {user!r} may not connect to database {dbname!r}; "
            f"GRANT CONNECT ON DATABASE {dbname} TO {user} (or allow LOGIN)"
        )
    elif "no pg_hba.conf entry" in lowered:
        message = (
            f"{where} has no pg_hba.conf entry for role {user!r} on database {dbname!r} "
            f"from this machine; ask the server admin to add one"
        )
    elif "timeout expired" in lowered:
        message = (
            f"{where} did not answer within {settings.connect_timeout} s; is PostgreSQL "
            f"running and reachable from here (firewall, [postgres] host/port)?"
        )
    elif "could not translate host name" in lowered:
        message = f"{where}: unknown host {settings.host!r}; fix [postgres] host"
    elif "connection refused" in lowered or "no such file or directory" in lowered:
        message = (
            f"{where}: connection refused; is PostgreSQL running and listening on "
            f"{settings.host}:{settings.port}?"
        )
    elif "too many" in lowered and "connections" in lowered:
        message = f"{where} has no free connection slots; close idle sessions or retry later"
    elif "starting up" in lowered or "shutting down" in lowered or "recovery" in lowered:
        message = f"{where} is starting up or shutting down; retry in a moment"
    elif re.search(r"\bssl (error|syscall)|support ssl|ssl was required|certificate", lowered):
        message = f"{where}: SSL negotiation failed ({_first_line(text)}); check [postgres] sslmode"
    else:
        message = f"{where}, database {dbname!r}: cannot connect ({_first_line(text)})"
    return TargetUnavailable(message)


def explain_privilege_error(
    err: BaseException, settings: PostgresSettings, schema: str, password: str | None
) -> TargetUnavailable:
    """One line for an insufficient_privilege error raised while publishing into `schema`."""
    text = _first_line(_scrub(str(err), password))
    user, dbname = settings.user, settings.dbname
    if "must be owner" in text:
        action = f"make {user!r} the owner of the tables in schema {schema!r}"
    elif "for database" in text:
        action = f"GRANT CREATE ON DATABASE {dbname} TO {user} (or create schema {schema} first)"
    else:
        action = f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {user}"
    return TargetUnavailable(
        f"PostgreSQL database {dbname!r}: role {user!r} may not create tables in schema "
        f"{schema!r} ({text}); {action}"
    )


def _first_line(text: str) -> str:
    # libpq prefixes server messages with 'connection to server at ... failed: FATAL:  '.
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = lines[0] if lines else "unknown error"
    line = re.sub(r"^connection to server .*? failed:\s*", "", line)
    return re.sub(r"^(FATAL|ERROR):\s+", "", line)


def _scrub(text: str, password: str | None) -> str:
    return redact.mask(text, [password])


def table_metadata(
    settings: PostgresSettings, password: str | None, schema: str, table: str
) -> dict[str, Any]:
    """Row count, columns and time range of a table in PostgreSQL (never the password)."""
    from psycopg2 import sql

    connection = connect(settings, password)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = %s and table_name = %s order by ordinal_position",
                (schema, table),
            )
            columns = cursor.fetchall()
            names = [name for name, _ in columns]
            relation = sql.Identifier(schema, table)
            if "batch_start" in names and "batch_end" in names:
                cursor.execute(
                    sql.SQL("select count(*), min(batch_start), max(batch_end) from {}").format(
                        relation
                    )
                )
                rows, low, high = cursor.fetchone()
                bounds = {
                    "ts_min": low.isoformat(sep=" ") if low else None,
                    "ts_max": high.isoformat(sep=" ") if high else None,
                }
            else:
                cursor.execute(sql.SQL("select count(*) from {}").format(relation))
                rows, bounds = cursor.fetchone()[0], {}
        location = f"{settings.location()}/{schema}.{table}"
        return {"rows": int(rows), "columns": names, "location": location, **bounds}
    finally:
        connection.close()


def preview(
    settings: PostgresSettings, password: str | None, schema: str, table: str, limit: int = 100
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The first rows of a table in PostgreSQL, read in a read-only transaction."""
    from psycopg2 import sql

    connection = connect(settings, password)
    try:
        connection.set_session(readonly=True)
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("select * from {} limit %s").format(sql.Identifier(schema, table)),
                (int(limit),),
            )
            names = [column.name for column in cursor.description]
            return names, list(cursor.fetchall())
    except psycopg2.Error as err:
        raise TargetUnavailable(
            f"{settings.location()}/{schema}.{table}: {_first_line(_scrub(str(err), password))}"
        ) from None
    finally:
        connection.close()
