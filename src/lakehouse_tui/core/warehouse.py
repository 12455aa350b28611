"""Short-lived, read-only looks into the DuckDB warehouse: row counts, time ranges, previews.

DuckDB allows one writing process per file; while a run holds it, opening fails at once and
`WarehouseBusy` says so rather than hanging.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lakehouse_tui.errors import LakehouseError


class WarehouseBusy(LakehouseError):
    pass


@contextmanager
def read_only(path: Path) -> Iterator[Any]:
    import duckdb

    if not path.exists():
        raise LakehouseError(
            f"{path}: the warehouse does not exist yet; materialize an asset first"
        )
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as err:
        if "lock" in str(err).lower():
            raise WarehouseBusy(
                f"{path} is locked by a running materialization; try again when it finishes"
            ) from None
        raise LakehouseError(f"{path}: cannot open the warehouse ({err})") from None
    try:
        yield connection
    finally:
        connection.close()


def held_elsewhere(path: Path) -> bool | None:
    """Whether another process holds DuckDB's lock on the file: DuckDB takes a POSIX
    (fcntl) lock on the whole file, read or write, so a non-blocking write lock fails while
    any other process has it open. Microseconds, where opening DuckDB takes 20-30 ms.

    None where fcntl is missing (Windows) or the file cannot be opened for writing. Only for
    a process that does not have the file open in DuckDB itself: closing our descriptor
    drops every POSIX lock this process holds on the file.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    try:
        descriptor = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return None
    try:
        fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # EACCES or EAGAIN: someone else has it
        return True
    else:
        fcntl.lockf(descriptor, fcntl.LOCK_UN)
        return False
    finally:
        os.close(descriptor)


def wait_until_writable(path: Path, timeout: float = 10.0) -> None:
    """Wait (briefly) until no other process has the warehouse open.

    Readers such as the TUI's preview hold the file for a moment; a run should wait them out
    rather than fail every model with DuckDB's lock error.
    """
    import duckdb

    if held_elsewhere(path) is False:
        return
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            duckdb.connect(str(path)).close()
            return
        except duckdb.IOException as err:
            if "lock" not in str(err).lower():
                raise LakehouseError(f"{path}: cannot open the warehouse ({err})") from None
            if time.monotonic() > deadline:
                raise WarehouseBusy(
                    f"{path} is held open by another program (a DuckDB shell or notebook?); "
                    "close it and run again"
                ) from None
            time.sleep(delay)  # no event to wait on: the other process holds a file lock
            delay = min(delay * 2, 0.5)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def relation_sql(relation: str) -> str:
    return ".".join(quote(part) for part in relation.split("."))


def columns(connection: Any, relation: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of a relation's columns, in order."""
    schema, _, table = relation.partition(".")
    rows = connection.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [(str(name), str(kind)) for name, kind in rows]


def time_columns(found: list[tuple[str, str]]) -> tuple[str | None, str | None]:
    """The columns giving a table's time range: batch_start..batch_end, else its first
    timestamp column."""
    names = [name for name, _ in found]
    if "batch_start" in names and "batch_end" in names:
        return "batch_start", "batch_end"
    stamps = [name for name, kind in found if kind.upper().startswith("TIMESTAMP")]
    return (stamps[0], stamps[0]) if stamps else (None, None)


def table_metadata(connection: Any, relation: str) -> dict[str, Any]:
    """Row count, columns and the time range a table covers."""
    found = columns(connection, relation)
    names = [name for name, _ in found]
    low, high = time_columns(found)
    select = "count(*)"
    if low and high:
        select += f", min({quote(low)}), max({quote(high)})"
    row = connection.execute(f"select {select} from {relation_sql(relation)}").fetchone()
    metadata: dict[str, Any] = {"rows": int(row[0]), "columns": names}
    if low and high:
        metadata["ts_min"] = row[1].isoformat(sep=" ") if row[1] is not None else None
        metadata["ts_max"] = row[2].isoformat(sep=" ") if row[2] is not None else None
    return metadata


def preview(path: Path, relation: str, limit: int = 100) -> tuple[list[str], list[tuple[Any, ...]]]:
    with read_only(path) as connection:
        cursor = connection.execute(f"select * from {relation_sql(relation)} limit {int(limit)}")
        names = [d[0] for d in cursor.description]
        return names, cursor.fetchall()


def column_types(path: Path, relation: str) -> dict[str, str]:
    """Each column's type as the warehouse has it (a short read-only connection); raises
    WarehouseBusy while a run holds the file."""
    schema, _, table = relation.partition(".")
    with read_only(path) as connection:
        rows = connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
    return {str(name): str(kind) for name, kind in rows}
