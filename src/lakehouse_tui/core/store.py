"""The run store: SQLite in WAL mode, the shared memory of every run.

Runs, per-asset step events, materializations with metadata and versions, check results and
log lines. The schema is versioned by numbered migrations recorded in the database, each
applied in its own transaction. Opening the store marks runs whose process died (kill -9,
power loss) as `interrupted`: a run is only really running while it holds the run lock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse_tui import filesystem
from lakehouse_tui.core import lock
from lakehouse_tui.core.raw import FileScan
from lakehouse_tui.core.store_error import guard
from lakehouse_tui.redact import mask, mask_optional

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "001_initial",
        """
        create table runs (
            id text primary key,
            selection text not null,
            job text,
            trigger text not null,
            pid integer not null,
            started_at real not null,
            ended_at real,
            status text not null,
            message text,
            plan_json text
        );
        create index runs_started on runs(started_at);
        create table run_assets (
            run_id text not null references runs(id),
            asset_key text not null,
            step text not null,
            status text not null,
            started_at real,
            ended_at real,
            message text,
            primary key (run_id, asset_key)
        );
        create table step_events (
            id integer primary key,
            run_id text not null references runs(id),
            ts real not null,
            step text,
            asset_key text,
            event text not null,
            message text,
            data_json text
        );
        create index step_events_run on step_events(run_id, id);
        create table materializations (
            id integer primary key,
            run_id text not null references runs(id),
            asset_key text not null,
            ts real not null,
            duration real,
            metadata_json text not null,
            code_version text,
            data_version text not null,
            input_versions_json text not null
        );
        create index materializations_asset on materializations(asset_key, id);
        create table check_results (
            id integer primary key,
            run_id text not null references runs(id),
            asset_key text not null,
            check_name text not null,
            ts real not null,
            status text not null,
            severity text not null,
            failures integer,
            message text
        );
        create index check_results_asset on check_results(asset_key, check_name, id);
        create table logs (
            id integer primary key,
            run_id text not null references runs(id),
            asset_key text,
            ts real not null,
            level text not null,
            message text not null
        );
        create index logs_run_asset on logs(run_id, asset_key, id);
        """,
    ),
    (
        "002_raw_file_scans",
        """
        create table raw_file_scans (
            file_key text primary key,
            rows integer not null,
            bytes integer not null,
            ts_min text,
            ts_max text,
            batch_ids_json text not null
        );
        """,
    ),
    (
        "003_check_failing_rows",
        """
        alter table check_results add column sample_json text;
        """,
    ),
)


@dataclass(frozen=True)
class RunRecord:
    id: str
    selection: str
    job: str | None
    trigger: str
    pid: int
    started_at: float
    ended_at: float | None
    status: str
    message: str | None
    plan: list[dict[str, Any]]

    @property
    def duration(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at


@dataclass(frozen=True)
class Materialization:
    id: int
    run_id: str
    asset_key: str
    ts: float
    duration: float | None
    metadata: dict[str, Any]
    code_version: str | None
    data_version: str
    input_versions: dict[str, str]


@dataclass(frozen=True)
class CheckResult:
    run_id: str
    asset_key: str
    check_name: str
    ts: float
    status: str
    severity: str
    failures: int | None
    message: str | None
    sample: FailingRows | None = None


@dataclass(frozen=True)
class FailingRows:
    """The first rows a failed or warning check found (like dbt's store_failures)."""

    columns: list[str]
    rows: list[list[Any]]

    def to_json(self) -> str:
        return json.dumps({"columns": self.columns, "rows": self.rows}, default=str)

    @staticmethod
    def from_json(text: str | None) -> FailingRows | None:
        if not text:
            return None
        data = json.loads(text)
        return FailingRows(list(data["columns"]), [list(row) for row in data["rows"]])


def _check_result(row: sqlite3.Row) -> CheckResult:
    fields = dict(row)
    sample = FailingRows.from_json(fields.pop("sample_json", None))
    return CheckResult(**fields, sample=sample)


@dataclass(frozen=True)
class RunAsset:
    run_id: str
    asset_key: str
    step: str
    status: str
    started_at: float | None
    ended_at: float | None
    message: str | None


@dataclass(frozen=True)
class LogLine:
    id: int
    run_id: str
    asset_key: str | None
    ts: float
    level: str
    message: str


CHECK_COLUMNS = (
    "run_id, asset_key, check_name, ts, status, severity, failures, message, sample_json"
)


def _run(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        id=row["id"],
        selection=row["selection"],
        job=row["job"],
        trigger=row["trigger"],
        pid=row["pid"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        status=row["status"],
        message=row["message"],
        plan=json.loads(row["plan_json"] or "[]"),
    )


def _materialization(row: sqlite3.Row) -> Materialization:
    return Materialization(
        id=row["id"],
        run_id=row["run_id"],
        asset_key=row["asset_key"],
        ts=row["ts"],
        duration=row["duration"],
        metadata=json.loads(row["metadata_json"]),
        code_version=row["code_version"],
        data_version=row["data_version"],
        input_versions=json.loads(row["input_versions_json"]),
    )


class RunStore:
    """All reads and writes of run history. Safe to open from several processes at once."""

    def __init__(self, path: Path, *, lock_path: Path | None = None) -> None:
        self.path = path
        filesystem.private_dir(path.parent, "state dir", "set XDG_STATE_HOME to a directory")
        # Executor callbacks arrive on dbt's worker threads: share one connection under a lock.
        self._lock = threading.RLock()
        with guard(path):
            self._db = sqlite3.connect(
                path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            try:
                self._db.row_factory = sqlite3.Row
                self._db.execute("pragma journal_mode = wal")
                self._db.execute("pragma synchronous = normal")
                self._db.execute("pragma foreign_keys = on")
            except BaseException:
                self._db.close()
                raise
        for own in (path.parent, path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            filesystem.tighten(own)  # logs and data values: for this user only
        self._migrate()
        self.mark_dead_runs_interrupted(lock_path or path.with_name("run.lock"))

    def close(self) -> None:
        with self._lock:  # never close under a query running on another thread
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, guard(self.path):
            self._db.execute("begin immediate")
            try:
                yield self._db
                self._db.execute("commit")
            except BaseException:
                if self._db.in_transaction:  # SQLite may have rolled back already (disk full)
                    with suppress(sqlite3.Error):
                        self._db.execute("rollback")
                raise

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock, guard(self.path):
            return self._db.execute(sql, params).fetchall()

    # -- schema -------------------------------------------------------------------------

    def _migrate(self) -> None:
        self._execute(
            "create table if not exists schema_migrations "
            "(version integer primary key, name text not null, applied_at real not null)"
        )
        applied = {row[0] for row in self._execute("select version from schema_migrations")}
        for version, (name, sql) in enumerate(MIGRATIONS, start=1):
            if version in applied:
                continue
            with self._transaction() as db:
                # Another process may have migrated between our read and the write lock.
                if db.execute(
                    "select 1 from schema_migrations where version = ?", (version,)
                ).fetchone():
                    continue
                for statement in sql.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(
                    "insert into schema_migrations values (?, ?, ?)", (version, name, time.time())
                )

    def schema_version(self) -> int:
        row = self._execute("select max(version) from schema_migrations")[0]
        return int(row[0] or 0)

    def mark_dead_runs_interrupted(self, lock_path: Path) -> int:
        """Runs marked running while nobody holds the run lock died without finishing."""
        running = self._execute("select id, pid from runs where status = 'running'")
        if not running:
            return 0
        # Read the holder rather than probing the lock: a probe could make a run that is
        # starting at that moment find the lock taken.
        holder = lock.read_holder(lock_path)
        live_id = holder.run_id if holder is not None and lock.pid_alive(holder.pid) else None
        dead = [row["id"] for row in running if row["id"] != live_id]
        now = time.time()
        with self._transaction() as db:
            for run_id in dead:
                db.execute(
                    "update runs set status = 'interrupted', ended_at = coalesce(ended_at, ?), "
                    "message = 'the run process ended without finishing (killed or crashed)' "
                    "where id = ? and status = 'running'",
                    (now, run_id),
                )
                db.execute(
                    "update run_assets set status = 'interrupted', ended_at = ? "
                    "where run_id = ? and status in ('running', 'pending')",
                    (now, run_id),
                )
        return len(dead)

    # -- writes -------------------------------------------------------------------------

    def start_run(
        self,
        run_id: str,
        *,
        selection: str,
        job: str | None,
        trigger: str,
        pid: int,
        plan: Sequence[Mapping[str, Any]],
        assets: Sequence[tuple[str, str]],
        status: str = "running",
        started_at: float | None = None,
    ) -> None:
        """Record a new run and its assets (key, step) as pending."""
        with self._transaction() as db:
            db.execute(
                "insert into runs "
                "(id, selection, job, trigger, pid, started_at, status, plan_json) "
                "values (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    selection,
                    job,
                    trigger,
                    pid,
                    started_at or time.time(),
                    status,
                    json.dumps(list(plan)),
                ),
            )
            db.executemany(
                "insert into run_assets (run_id, asset_key, step, status) "
                "values (?, ?, ?, 'pending')",
                [(run_id, key, step) for key, step in assets],
            )

    def finish_run(self, run_id: str, status: str, message: str | None = None) -> None:
        with self._transaction() as db:
            db.execute(
                "update runs set status = ?, ended_at = ?, message = ? where id = ?",
                (status, time.time(), mask_optional(message), run_id),
            )

    def set_asset_status(
        self,
        run_id: str,
        asset_key: str,
        status: str,
        message: str | None = None,
        *,
        ended_at: float | None = None,
    ) -> None:
        """`ended_at` when the asset finished earlier than now (dbt reports a model built
        before its metadata is recorded)."""
        now = time.time()
        message = mask_optional(message)  # the last line of defence for secrets
        with self._transaction() as db:
            if status == "running":
                db.execute(
                    "update run_assets set status = ?, started_at = ?, message = ? "
                    "where run_id = ? and asset_key = ?",
                    (status, now, message, run_id, asset_key),
                )
            else:
                db.execute(
                    "update run_assets set status = ?, ended_at = ?, message = ?, "
                    "started_at = coalesce(started_at, ?) where run_id = ? and asset_key = ?",
                    (status, ended_at or now, message, now, run_id, asset_key),
                )

    def add_event(
        self,
        run_id: str,
        event: str,
        *,
        step: str | None = None,
        asset_key: str | None = None,
        message: str | None = None,
        status: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        payload = {**(data or {}), **({"status": status} if status else {})}
        self._execute(
            "insert into step_events (run_id, ts, step, asset_key, event, message, data_json) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                time.time(),
                step,
                asset_key,
                event,
                mask_optional(message),
                json.dumps(payload, default=str) if payload else None,
            ),
        )

    def add_materialization(
        self,
        run_id: str,
        asset_key: str,
        *,
        duration: float | None,
        metadata: Mapping[str, Any],
        code_version: str | None,
        data_version: str | None,
        input_versions: Mapping[str, str],
    ) -> Materialization:
        """Record a materialization; data_version None means "this materialization's id"."""
        with self._transaction() as db:
            cursor = db.execute(
                "insert into materializations (run_id, asset_key, ts, duration, metadata_json, "
                "code_version, data_version, input_versions_json) values (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    asset_key,
                    time.time(),
                    duration,
                    json.dumps(dict(metadata), default=str),
                    code_version,
                    data_version or "",
                    json.dumps(dict(input_versions)),
                ),
            )
            row_id = cursor.lastrowid
            if not data_version:
                db.execute(
                    "update materializations set data_version = ? where id = ?",
                    (f"m{row_id}", row_id),
                )
            row = db.execute("select * from materializations where id = ?", (row_id,)).fetchone()
        return _materialization(row)

    def add_check_result(
        self,
        run_id: str,
        asset_key: str,
        check_name: str,
        *,
        status: str,
        severity: str,
        failures: int | None,
        message: str | None,
        sample: FailingRows | None = None,
    ) -> None:
        self._execute(
            "insert into check_results (run_id, asset_key, check_name, ts, status, severity, "
            "failures, message, sample_json) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                asset_key,
                check_name,
                time.time(),
                status,
                severity,
                failures,
                mask_optional(message),
                mask(sample.to_json()) if sample is not None else None,
            ),
        )

    def add_logs(self, rows: Sequence[tuple[str, str | None, float, str, str]]) -> None:
        """Bulk insert (run_id, asset_key, ts, level, message) rows."""
        with self._transaction() as db:
            db.executemany(
                "insert into logs (run_id, asset_key, ts, level, message) values (?, ?, ?, ?, ?)",
                [(run, key, ts, level, mask(message)) for run, key, ts, level, message in rows],
            )

    def save_raw_file_scans(self, scans: Mapping[str, FileScan]) -> None:
        """Remember what validating each raw file found; forget files no longer there."""
        with self._transaction() as db:
            db.execute("delete from raw_file_scans")
            db.executemany(
                "insert into raw_file_scans values (?, ?, ?, ?, ?, ?)",
                [
                    (key, s.rows, s.bytes, s.ts_min, s.ts_max, json.dumps(list(s.batch_ids)))
                    for key, s in scans.items()
                ],
            )

    # -- reads --------------------------------------------------------------------------

    def raw_file_scans(self) -> dict[str, FileScan]:
        rows = self._execute("select * from raw_file_scans")
        return {
            row["file_key"]: FileScan(
                row["rows"],
                row["bytes"],
                row["ts_min"],
                row["ts_max"],
                tuple(json.loads(row["batch_ids_json"])),
            )
            for row in rows
        }

    def get_run(self, run_id: str) -> RunRecord | None:
        rows = self._execute("select * from runs where id = ?", (run_id,))
        return _run(rows[0]) if rows else None

    def runs(self, limit: int = 200, *, trigger: str | None = None) -> list[RunRecord]:
        sql = "select * from runs"
        params: tuple[Any, ...] = ()
        if trigger:
            sql += " where trigger = ?"
            params = (trigger,)
        sql += " order by started_at desc, rowid desc limit ?"
        return [_run(row) for row in self._execute(sql, (*params, limit))]

    def last_run(self, *, trigger: str | None = None) -> RunRecord | None:
        found = self.runs(1, trigger=trigger)
        return found[0] if found else None

    def run_assets(self, run_id: str) -> list[RunAsset]:
        rows = self._execute(
            "select * from run_assets where run_id = ? order by coalesce(started_at, 1e18), rowid",
            (run_id,),
        )
        return [RunAsset(**dict(row)) for row in rows]

    def latest_materializations(self) -> dict[str, Materialization]:
        rows = self._execute(
            "select * from materializations where id in "
            "(select max(id) from materializations group by asset_key)"
        )
        return {row["asset_key"]: _materialization(row) for row in rows}

    def materializations(self, asset_key: str, limit: int = 100) -> list[Materialization]:
        rows = self._execute(
            "select * from materializations where asset_key = ? order by id desc limit ?",
            (asset_key, limit),
        )
        return [_materialization(row) for row in rows]

    def latest_check_results(self) -> dict[str, list[CheckResult]]:
        """Per asset, the latest result of each of its checks."""
        rows = self._execute(
            f"select {CHECK_COLUMNS} from check_results where id in "
            "(select max(id) from check_results group by asset_key, check_name) order by check_name"
        )
        result: dict[str, list[CheckResult]] = {}
        for row in rows:
            result.setdefault(row["asset_key"], []).append(_check_result(row))
        return result

    def check_history(self, asset_key: str, limit: int = 200) -> list[CheckResult]:
        rows = self._execute(
            f"select {CHECK_COLUMNS} from check_results where asset_key = ? "
            "order by id desc limit ?",
            (asset_key, limit),
        )
        return [_check_result(row) for row in rows]

    def assets_with_failed_blocking_checks(self, run_id: str) -> set[str]:
        rows = self._execute(
            "select distinct asset_key from check_results where run_id = ? "
            "and severity = 'error' and status in ('fail', 'error')",
            (run_id,),
        )
        return {row["asset_key"] for row in rows}

    def last_asset_statuses(self) -> dict[str, RunAsset]:
        """Per asset, its entry in the most recent run that included it."""
        rows = self._execute(
            "select * from run_assets "
            "where rowid in (select max(rowid) from run_assets group by asset_key)"
        )
        return {row["asset_key"]: RunAsset(**dict(row)) for row in rows}

    def logs(
        self, run_id: str, asset_key: str | None = None, limit: int = 5000, after_id: int = 0
    ) -> list[LogLine]:
        """Log lines of a run (optionally one asset's), oldest first; `after_id` (a LogLine's
        id) returns only newer lines, for following a live run cheaply."""
        sql = (
            "select id, run_id, asset_key, ts, level, message from logs where run_id = ? and id > ?"
        )
        params: tuple[Any, ...] = (run_id, after_id)
        if asset_key is not None:
            sql += " and asset_key = ?"
            params += (asset_key,)
        rows = self._execute(sql + " order by id limit ?", (*params, limit))
        return [LogLine(**dict(row)) for row in rows]

    def events(self, run_id: str, after_id: int = 0) -> list[dict[str, Any]]:
        rows = self._execute(
            "select * from step_events where run_id = ? and id > ? order by id", (run_id, after_id)
        )
        return [dict(row) for row in rows]
