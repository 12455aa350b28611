"""Write-audit-publish: a table's new version becomes visible only after its blocking checks pass.

dbt and Dagster publish a model and test it afterwards, so a failing `error` test leaves the
bad rows in the table for anyone (or a re-run of the marts) to read. Here the project's
`table` materialization (dbt/macros/audited_table.sql) builds the new version as
`<table>__dbt_tmp` and leaves `<table>` alone when LAKEHOUSE_TUI_PUBLISH=after_checks. Right
after dbt reports the model built, and before dbt starts any child of it, the executor calls
`publish_after_checks`, which in one transaction

1. renames `<table>` to `<table>__dbt_backup` and `<table>__dbt_tmp` to `<table>`,
2. runs the model's blocking checks (they read `<table>`, so they see the new version),
3. commits and drops the backup when all pass; otherwise keeps the first failing rows of each
   failed check, rolls back (the previous version is untouched: byte-identical) and drops the
   rejected version.

Non-blocking (`warn`) checks run after the commit: they never decide, and an error in one
must not abort the publishing transaction (DuckDB has no savepoints).

Tests that read several models (relationships) are dbt nodes that run after all of them:
`keep_backup` keeps the previous version until they have passed, and `restore_previous` puts
it back when one fails.

An incremental model processing some batches (core.partitions) stages only their rows; its
publish (`batches`) deletes those batches from `<table>` and inserts the staged rows in the same
transaction, before the same checks, so a rejected run leaves every batch as it was. Its kept
backup holds the replaced batches' previous rows only.

The same code serves DuckDB and PostgreSQL through a small `Session` around a DB-API cursor
(batch replacement: DuckDB only, where the incremental models live).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lakehouse_tui.core.assets import Check
from lakehouse_tui.core.checks import CheckResult, CheckSql, evaluate
from lakehouse_tui.core.store import FailingRows

STAGED_SUFFIX = "__dbt_tmp"
BACKUP_SUFFIX = "__dbt_backup"
SAMPLE_ROWS = 5


@dataclass
class Session:
    """One transaction-capable DB-API cursor and its dialect's parameter marker."""

    cursor: Any
    param: str
    begin: Callable[[], None]
    commit: Callable[[], None]
    rollback: Callable[[], None]
    close: Callable[[], None]


def duckdb_session(connection: Any) -> Session:
    """A session on its own DuckDB connection to the same database (`connection.cursor()`)."""
    cursor = connection.cursor()
    return Session(cursor, "?", cursor.begin, cursor.commit, cursor.rollback, cursor.close)


def postgres_session(connection: Any) -> Session:
    """A session on a psycopg2 connection (autocommit off: the transaction begins itself)."""
    cursor = connection.cursor()

    def close() -> None:
        cursor.close()
        connection.close()

    return Session(cursor, "%s", lambda: None, connection.commit, connection.rollback, close)


@dataclass
class Audit:
    """What publishing one model decided."""

    published: bool
    results: list[tuple[Check, CheckResult]] = field(default_factory=list)
    samples: dict[str, FailingRows] = field(default_factory=dict)  # check name -> first rows
    rejected_by: str | None = None  # the first blocking check that failed


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _relation_type(session: Session, schema: str, table: str) -> str | None:
    """'table', 'view' or None (absent)."""
    session.cursor.execute(
        "select table_type from information_schema.tables "
        f"where table_schema = {session.param} and table_name = {session.param}",
        (schema, table),
    )
    row = session.cursor.fetchone()
    if row is None:
        return None
    return "view" if "VIEW" in str(row[0]).upper() else "table"


def _rename(session: Session, kind: str, schema: str, old: str, new: str) -> None:
    session.cursor.execute(f"alter {kind} {quote(schema)}.{quote(old)} rename to {quote(new)}")


def _drop(session: Session, kind: str, schema: str, table: str) -> None:
    session.cursor.execute(f"drop {kind} if exists {quote(schema)}.{quote(table)}")


def failing_rows(session: Session, check: CheckSql) -> FailingRows | None:
    """The first rows the check's query finds, or None when it cannot say."""
    try:
        session.cursor.execute(f"select * from (\n{check.sql}\n) failing limit {SAMPLE_ROWS}")
        columns = [str(d[0]) for d in session.cursor.description or ()]
        rows = [list(row) for row in session.cursor.fetchall()]
    except Exception:  # an error here aborts nothing we still need: we roll back anyway
        return None
    return FailingRows(columns, rows)


BATCHES_IN = "batch_id in (select unnest(?::varchar[]))"


def table_exists(session: Session, schema: str, table: str) -> bool:
    return _relation_type(session, schema, table) == "table"


def _replace_batches(
    session: Session, schema: str, table: str, batches: Sequence[str], keep_backup: bool
) -> None:
    """Inside the publishing transaction: the staged rows replace these batches' rows."""
    target, staged = (
        f"{quote(schema)}.{quote(table)}",
        f"{quote(schema)}.{quote(table + STAGED_SUFFIX)}",
    )
    if keep_backup:
        backup = f"{quote(schema)}.{quote(table + BACKUP_SUFFIX)}"
        session.cursor.execute(
            f"create table {backup} as select * from {target} where {BATCHES_IN}", (list(batches),)
        )
    session.cursor.execute(f"delete from {target} where {BATCHES_IN}", (list(batches),))
    session.cursor.execute(f"insert into {target} by name select * from {staged}")
    _drop(session, "table", schema, table + STAGED_SUFFIX)


def publish_after_checks(
    session: Session,
    schema: str,
    table: str,
    checks: Sequence[tuple[Check, CheckSql]],
    *,
    keep_backup: bool = False,
    batches: Sequence[str] | None = None,
) -> Audit:
    """Swap the staged version in (or, with `batches`, replace those batches by the staged
    rows) if every blocking check passes on it; see the module doc."""
    blocking = [(c, sql) for c, sql in checks if c.blocking]
    advisory = [(c, sql) for c, sql in checks if not c.blocking]
    staged, backup = table + STAGED_SUFFIX, table + BACKUP_SUFFIX
    audit = Audit(published=False)
    session.begin()
    try:
        _drop(session, "table", schema, backup)
        if batches is not None:
            previous = None  # nothing to drop on success: the batches' old rows are gone
            _replace_batches(session, schema, table, batches, keep_backup)
        else:
            previous = _relation_type(session, schema, table)
            if previous is not None:
                _rename(session, previous, schema, table, backup)
            _rename(session, "table", schema, staged, table)
        for check, sql in blocking:
            if audit.rejected_by is not None and audit.results[-1][1].status == "error":
                # The error aborted the transaction: nothing more can be evaluated in it.
                skipped = CheckResult("skipped", None, f"not run: {audit.rejected_by} errored", 0)
                audit.results.append((check, skipped))
                continue
            result = evaluate(session.cursor, sql)
            audit.results.append((check, result))
            if result.status in ("fail", "error"):
                audit.rejected_by = audit.rejected_by or check.name
                if result.status == "fail" and (sample := failing_rows(session, sql)):
                    audit.samples[check.name] = sample
        if audit.rejected_by is not None:
            session.rollback()
        else:
            if previous is not None and not keep_backup:
                _drop(session, previous, schema, backup)
            session.commit()
            audit.published = True
    except BaseException:
        session.rollback()
        raise
    if not audit.published:
        session.begin()
        _drop(session, "table", schema, staged)  # the rejected version
        session.commit()
        for check, _ in advisory:
            why = f"not run: the new version was rejected by {audit.rejected_by}"
            audit.results.append((check, CheckResult("skipped", None, why, 0)))
        return audit
    for check, sql in advisory:
        session.begin()  # a read-only transaction of its own: an error in it ends with it
        try:
            result = evaluate(session.cursor, sql)
            audit.results.append((check, result))
            if result.status == "warn" and (sample := failing_rows(session, sql)):
                audit.samples[check.name] = sample
        finally:
            session.rollback()
    return audit


def restore_previous(
    session: Session, schema: str, table: str, batches: Sequence[str] | None = None
) -> bool:
    """Put the version kept by `keep_backup` back in place of the published one. False when
    there was no previous version (the table is then dropped: it was never good). With
    `batches`: put those batches' kept rows back in place of the published ones."""
    backup = table + BACKUP_SUFFIX
    session.begin()
    try:
        kind = _relation_type(session, schema, backup)
        if batches is not None:
            target = f"{quote(schema)}.{quote(table)}"
            session.cursor.execute(f"delete from {target} where {BATCHES_IN}", (list(batches),))
            if kind is not None:
                session.cursor.execute(
                    f"insert into {target} by name select * from {quote(schema)}.{quote(backup)}"
                )
                _drop(session, "table", schema, backup)
            session.commit()
            return True
        _drop(session, "table", schema, table)
        if kind is not None:
            _rename(session, kind, schema, backup, table)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return kind is not None


def drop_backup(session: Session, schema: str, table: str) -> None:
    """The kept previous version is no longer needed (every later check passed)."""
    session.begin()
    try:
        kind = _relation_type(session, schema, table + BACKUP_SUFFIX)
        if kind is not None:
            _drop(session, kind, schema, table + BACKUP_SUFFIX)
        session.commit()
    except BaseException:
        session.rollback()
        raise
