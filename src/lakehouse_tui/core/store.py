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
from pathlib import Path
from typing import Any

from lakehouse_tui import filesystem
from lakehouse_tui.core import lock
from lakehouse_tui.core.migrations import MIGRATIONS
from lakehouse_tui.core.partition_store import PartitionRecords
from lakehouse_tui.core.raw import FileScan
from lakehouse_tui.core.records import (  # re-exported: callers import them from here
    CheckResult,
    FailingRows,
    LogLine,
    Materialization,
    RunAsset,
    RunRecord,
    materialization_of,
)
from lakehouse_tui.core.store_error import guard
from lakehouse_tui.core.store_queries import StoreQueries
from lakehouse_tui.redact import mask, mask_optional

__all__ = [
    "CheckResult",
    "FailingRows",
    "LogLine",
    "Materialization",
    "RunAsset",
    "RunRecord",
    "RunStore",
]


class RunStore(StoreQueries, PartitionRecords):
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
        return materialization_of(row)

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
                "insert into raw_file_scans (file_key, rows, bytes, ts_min, ts_max, "
                "batch_ids_json, duplicate_readings, batch_stats_json, schema_signature) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        key,
                        s.rows,
                        s.bytes,
                        s.ts_min,
                        s.ts_max,
                        json.dumps(list(s.batch_ids)),
                        s.duplicate_readings,
                        json.dumps(s.batch_stats) if s.batch_stats else None,
                        s.schema_signature,
                    )
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
                row["duplicate_readings"],
                tuple(tuple(stat) for stat in json.loads(row["batch_stats_json"] or "[]")),
                row["schema_signature"],
            )
            for row in rows
        }
