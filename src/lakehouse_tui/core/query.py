"""Read-only SQL against the DuckDB warehouse or the PostgreSQL marts (the TUI's query prompt).

Only a single read-only statement runs: for DuckDB, DuckDB's own parser says what the statement
is (SELECT, FROM-first, DESCRIBE, SHOW, SUMMARIZE, VALUES and EXPLAIN are reads; COPY, ATTACH,
SET, INSERT... are not); for PostgreSQL, sqlglot's, and the query runs in a read-only
transaction besides, so the server refuses what the parser let through.

DuckDB allows one writing process per file, so the warehouse is opened read-only for each query
and closed at once (as the preview does), never while a run holds it (`WarehouseBusy` says so),
and a query that takes longer than `QUERY_SECONDS` is interrupted: a run waits at most a few
seconds for readers before it gives up. Results are capped at `MAX_ROWS` rows on screen; an
export re-runs the query and writes every row. No Textual here.
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakehouse_tui.errors import LakehouseError, UsageError

if TYPE_CHECKING:
    from lakehouse_tui.config import PostgresSettings

MAX_ROWS = 1000
QUERY_SECONDS = 8.0  # below the ~10 s a run waits for readers to let go of the warehouse
EXPORT_FORMATS = (".csv", ".parquet")


class NotReadOnly(UsageError):
    """The query prompt was given something other than one read-only statement."""


class QueryFailed(LakehouseError):
    """The database refused or could not run the query."""


@dataclass(frozen=True)
class QueryResult:
    target: str  # "duckdb" | "postgres"
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool  # more rows than MAX_ROWS exist

    def as_tsv(self) -> str:
        """The rows shown, tab separated with a header: what a spreadsheet pastes as a table."""
        lines = ["\t".join(self.columns)]
        for row in self.rows:
            lines.append("\t".join("" if v is None else _one_line(str(v)) for v in row))
        return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), text)


# -- the read-only check ------------------------------------------------------------------

DUCKDB_READS = ("SELECT", "EXPLAIN")


def check_duckdb(sql: str) -> None:
    import duckdb

    if not sql.strip():
        raise NotReadOnly("the query is empty; type a SELECT (or DESCRIBE, SHOW, FROM ...)")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as err:
        raise QueryFailed(f"DuckDB cannot read the query: {_first_line(str(err))}") from None
    _one_statement(len(statements))
    kind = str(statements[0].type).rsplit(".", 1)[-1]
    if kind not in DUCKDB_READS:
        raise NotReadOnly(
            f"{kind} is not read-only; the query prompt runs SELECT, FROM, DESCRIBE, SHOW, "
            "SUMMARIZE and EXPLAIN only (materialize to change the warehouse)"
        )


def check_postgres(sql: str) -> None:
    import sqlglot
    from sqlglot import exp

    if not sql.strip():
        raise NotReadOnly("the query is empty; type a SELECT")
    try:
        statements = [s for s in sqlglot.parse(sql, read="postgres") if s is not None]
    except sqlglot.errors.ParseError as err:
        raise QueryFailed(f"cannot read the query: {_first_line(str(err))}") from None
    _one_statement(len(statements))
    statement = statements[0]
    if not isinstance(statement, exp.Query | exp.Describe):
        kind = statement.key.upper()
        raise NotReadOnly(
            f"{kind} is not read-only; the query prompt runs SELECT (and WITH ... SELECT) only"
        )


def _one_statement(count: int) -> None:
    if count == 0:
        raise NotReadOnly("the query is empty; type a SELECT")
    if count > 1:
        raise NotReadOnly(f"{count} statements; the query prompt runs one at a time")


# -- running ------------------------------------------------------------------------------


def run_duckdb(
    warehouse: Path, sql: str, limit: int = MAX_ROWS, seconds: float = QUERY_SECONDS
) -> QueryResult:
    """Run one read-only statement on a short-lived read-only connection, for at most
    `seconds`."""
    from lakehouse_tui.core.warehouse import read_only

    check_duckdb(sql)
    with read_only(warehouse) as connection, _interrupt_after(connection, seconds):
        relation = _duckdb_relation(connection, sql)
        if relation is None:
            return QueryResult("duckdb", [], [], [], False)
        rows = _duckdb_fetch(relation.limit(limit + 1), seconds)
        return QueryResult(
            "duckdb",
            list(relation.columns),
            [str(t) for t in relation.types],
            rows[:limit],
            len(rows) > limit,
        )


def _duckdb_relation(connection: Any, sql: str) -> Any:
    import duckdb

    # DuckDB draws a progress bar on stdout for long queries: over the TUI's screen.
    connection.execute("set enable_progress_bar = false")
    try:
        return connection.sql(sql)
    except duckdb.Error as err:
        raise QueryFailed(f"DuckDB: {_first_line(str(err))}") from None


def _duckdb_fetch(relation: Any, seconds: float) -> list[tuple[Any, ...]]:
    import duckdb

    try:
        return list(relation.fetchall())
    except duckdb.InterruptException:
        raise QueryFailed(
            f"the query ran longer than {seconds:g} s and was stopped, so it does not hold "
            "the warehouse a run may need; add a WHERE or a LIMIT"
        ) from None
    except duckdb.Error as err:
        raise QueryFailed(f"DuckDB: {_first_line(str(err))}") from None


class _interrupt_after:
    """Interrupt a DuckDB connection's query after QUERY_SECONDS (a timer thread)."""

    def __init__(self, connection: Any, seconds: float = QUERY_SECONDS) -> None:
        self.timer = threading.Timer(seconds, connection.interrupt)
        self.timer.daemon = True

    def __enter__(self) -> None:
        self.timer.start()

    def __exit__(self, *_: object) -> None:
        self.timer.cancel()


def run_postgres(settings: PostgresSettings, sql: str, limit: int = MAX_ROWS) -> QueryResult:
    """Run one read-only statement in a read-only transaction on the marts' server."""
    import psycopg2

    from lakehouse_tui.core import postgres

    check_postgres(sql)
    password = settings.password()
    connection = postgres.connect(settings, password)
    try:
        connection.set_session(readonly=True)
        with connection.cursor() as cursor:
            cursor.execute(f"set statement_timeout = {int(QUERY_SECONDS * 1000)}")
            cursor.execute(f"set search_path = {_pg_ident(settings.schema)}, public")
            cursor.execute(sql)
            if cursor.description is None:
                return QueryResult("postgres", [], [], [], False)
            columns = [column.name for column in cursor.description]
            oids = [column.type_code for column in cursor.description]
            rows = list(cursor.fetchmany(limit + 1))
            types = _pg_type_names(cursor, oids)  # after the rows: it runs a query too
            return QueryResult("postgres", columns, types, rows[:limit], len(rows) > limit)
    except psycopg2.Error as err:
        text = str(err) if password is None else str(err).replace(password, "***")
        raise QueryFailed(f"{settings.location()}: {_first_line(text)}") from None
    finally:
        connection.close()


def _pg_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_type_names(cursor: Any, oids: list[int]) -> list[str]:
    """Type names for the result's type OIDs, from pg_type (one small query)."""
    cursor.execute("select oid, format_type(oid, null) from pg_type where oid = any(%s)", (oids,))
    names = {oid: name for oid, name in cursor.fetchall()}
    return [str(names.get(oid, oid)) for oid in oids]


# -- export -------------------------------------------------------------------------------


def export_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise UsageError(
            f"{path}: export to a .csv or .parquet file (the name's ending picks the format)"
        )
    return suffix[1:]


def export_duckdb(warehouse: Path, sql: str, path: Path) -> int:
    """Every row of the query into `path` (.csv or .parquet); returns the row count."""
    from lakehouse_tui.core.warehouse import read_only

    check_duckdb(sql)
    kind = export_format(path)
    _parent(path)
    with read_only(warehouse) as connection, _interrupt_after(connection):
        relation = _duckdb_relation(connection, sql)
        if relation is None:
            raise NotReadOnly("the query returns no rows to export")
        try:
            if kind == "csv":
                relation.write_csv(str(path), header=True)
            else:
                relation.write_parquet(str(path))
            query = f"select count(*) from {_reader(kind)}(?)"
            return int(connection.execute(query, [str(path)]).fetchall()[0][0])
        except OSError as err:
            raise LakehouseError(f"{path}: cannot write the export ({err.strerror})") from None
        except Exception as err:  # duckdb.IOException and friends
            raise QueryFailed(f"{path}: cannot export: {_first_line(str(err))}") from None


def _reader(kind: str) -> str:
    return "read_csv_auto" if kind == "csv" else "read_parquet"


def export_rows(result: QueryResult, path: Path) -> int:
    """Rows already fetched (the PostgreSQL marts) into `path`: CSV with the csv module,
    parquet through an in-memory DuckDB (which never touches the warehouse file)."""
    kind = export_format(path)
    _parent(path)
    try:
        if kind == "csv":
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(result.columns)
                writer.writerows(result.rows)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            columns = {n: [row[i] for row in result.rows] for i, n in enumerate(result.columns)}
            pq.write_table(pa.table(columns), path)
    except OSError as err:
        raise LakehouseError(f"{path}: cannot write the export ({err.strerror})") from None
    return len(result.rows)


def export_postgres(settings: PostgresSettings, sql: str, path: Path) -> int:
    """Every row of the query on the marts' server into `path`."""
    export_format(path)
    result = run_postgres(settings, sql, limit=10_000_000)
    return export_rows(result, path)


def _parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise LakehouseError(
            f"{path.parent}: cannot create the export folder ({err.strerror})"
        ) from None
