"""The run store's partitions: the current state of each (asset, batch) and its history.

Mixed into RunStore (core.store), which provides the connection. One row per (asset,
partition) in `partitions` holds what the asset's table holds of that batch now; every
attempt adds a row to `partition_history` (the TUI's per-partition history).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from lakehouse_tui.core.partitions import DELETED, MATERIALIZED, PartitionState
from lakehouse_tui.redact import mask_optional


@dataclass(frozen=True)
class PartitionWrite:
    """What one run did to one partition of one asset."""

    partition_key: str
    status: str  # materialized | deleted | failed | cancelled
    input_version: str | None = None
    code_signature: str | None = None
    rows: int | None = None
    ts_min: str | None = None
    ts_max: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class PartitionEvent:
    run_id: str
    asset_key: str
    partition_key: str
    ts: float
    status: str
    rows: int | None
    ts_min: str | None
    ts_max: str | None
    message: str | None


class PartitionRecords:
    """Mixed into RunStore, which provides `_execute` and `_transaction`."""

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def record_partitions(
        self, run_id: str, asset_key: str, writes: Sequence[PartitionWrite]
    ) -> None:
        """Apply one run's outcome for these partitions of one asset, in one transaction.
        A failed or cancelled attempt keeps what the table holds and marks the attempt."""
        now = time.time()
        done = [w for w in writes if w.status in (MATERIALIZED, DELETED)]
        attempts = [w for w in writes if w.status not in (MATERIALIZED, DELETED)]
        with self._transaction() as db:
            db.executemany(
                "insert into partitions (asset_key, partition_key, status, run_id, "
                "input_version, code_signature, rows, ts_min, ts_max, updated_at) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "on conflict (asset_key, partition_key) do update set status = excluded.status, "
                "run_id = excluded.run_id, input_version = excluded.input_version, "
                "code_signature = excluded.code_signature, rows = excluded.rows, "
                "ts_min = excluded.ts_min, ts_max = excluded.ts_max, "
                "updated_at = excluded.updated_at, attempt_status = null, "
                "attempt_run_id = null, attempt_message = null",
                [
                    (asset_key, w.partition_key, w.status, run_id, w.input_version,
                     w.code_signature, w.rows, w.ts_min, w.ts_max, now)
                    for w in done
                ],
            )  # fmt: skip
            db.executemany(
                "insert into partitions (asset_key, partition_key, status, updated_at, "
                "attempt_status, attempt_run_id, attempt_message) "
                "values (?, ?, 'deleted', ?, ?, ?, ?) "
                "on conflict (asset_key, partition_key) do update set "
                "attempt_status = excluded.attempt_status, "
                "attempt_run_id = excluded.attempt_run_id, "
                "attempt_message = excluded.attempt_message",
                [
                    (asset_key, w.partition_key, now, w.status, run_id, mask_optional(w.message))
                    for w in attempts
                ],
            )
            db.executemany(
                "insert into partition_history (run_id, asset_key, partition_key, ts, status, "
                "rows, ts_min, ts_max, message) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (run_id, asset_key, w.partition_key, now, w.status, w.rows, w.ts_min,
                     w.ts_max, mask_optional(w.message))
                    for w in writes
                ],
            )  # fmt: skip

    def partition_states(
        self, asset_key: str | None = None
    ) -> dict[str, dict[str, PartitionState]]:
        """{asset: {partition: state}}, of one asset or of all."""
        sql = "select * from partitions"
        rows = (
            self._execute(sql + " where asset_key = ?", (asset_key,))
            if asset_key
            else (self._execute(sql))
        )
        result: dict[str, dict[str, PartitionState]] = {}
        for row in rows:
            result.setdefault(row["asset_key"], {})[row["partition_key"]] = PartitionState(
                *(row[name] for name in _STATE_COLUMNS)
            )
        return result

    def partition_history(
        self, asset_key: str, partition_key: str | None = None, limit: int = 200
    ) -> list[PartitionEvent]:
        """Newest first: every attempt at the asset's partitions (or at one of them)."""
        where, params = "asset_key = ?", [asset_key]
        if partition_key is not None:
            where += " and partition_key = ?"
            params.append(partition_key)
        rows = self._execute(
            f"select * from partition_history where {where} order by id desc limit ?",
            (*params, limit),
        )
        return [PartitionEvent(*(row[name] for name in _EVENT_COLUMNS)) for row in rows]

    def run_partitions(self, run_id: str) -> list[str]:
        rows = self._execute("select partitions_json from runs where id = ?", (run_id,))
        return list(json.loads(rows[0][0])) if rows and rows[0][0] else []

    def set_run_partitions(self, run_id: str, partitions: Sequence[str]) -> None:
        with self._transaction() as db:
            db.execute(
                "update runs set partitions_json = ? where id = ?",
                (json.dumps(list(partitions)), run_id),
            )

    def partitions_done_in(self, run_id: str) -> Iterator[tuple[str, str]]:
        """(asset, partition) pairs the run materialized or deleted."""
        rows = self._execute(
            "select asset_key, partition_key from partition_history "
            "where run_id = ? and status in ('materialized', 'deleted')",
            (run_id,),
        )
        return ((row[0], row[1]) for row in rows)


_STATE_COLUMNS = (
    "asset_key", "partition_key", "status", "run_id", "input_version", "code_signature", "rows",
    "ts_min", "ts_max", "updated_at", "attempt_status", "attempt_run_id", "attempt_message",
)  # fmt: skip
_EVENT_COLUMNS = (
    "run_id", "asset_key", "partition_key", "ts", "status", "rows", "ts_min", "ts_max", "message",
)  # fmt: skip
