"""The run store's read side: the queries the CLI, the TUI and staleness ask (core.store holds
the connection, the migrations and the writes)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from lakehouse_tui.core.records import (
    CHECK_COLUMNS,
    CheckResult,
    LogLine,
    Materialization,
    RunAsset,
    RunRecord,
    check_result,
    materialization_of,
    run_record,
)


class StoreQueries:
    """Mixed into RunStore, which provides `_execute`."""

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    def get_run(self, run_id: str) -> RunRecord | None:
        rows = self._execute("select * from runs where id = ?", (run_id,))
        return run_record(rows[0]) if rows else None

    def runs(self, limit: int = 200, *, trigger: str | None = None) -> list[RunRecord]:
        sql = "select * from runs"
        params: tuple[Any, ...] = ()
        if trigger:
            sql += " where trigger = ?"
            params = (trigger,)
        sql += " order by started_at desc, rowid desc limit ?"
        return [run_record(row) for row in self._execute(sql, (*params, limit))]

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
        return {row["asset_key"]: materialization_of(row) for row in rows}

    def materializations(self, asset_key: str, limit: int = 100) -> list[Materialization]:
        rows = self._execute(
            "select * from materializations where asset_key = ? order by id desc limit ?",
            (asset_key, limit),
        )
        return [materialization_of(row) for row in rows]

    def latest_check_results(self) -> dict[str, list[CheckResult]]:
        """Per asset, the latest result of each of its checks."""
        rows = self._execute(
            f"select {CHECK_COLUMNS} from check_results where id in "
            "(select max(id) from check_results group by asset_key, check_name) order by check_name"
        )
        result: dict[str, list[CheckResult]] = {}
        for row in rows:
            result.setdefault(row["asset_key"], []).append(check_result(row))
        return result

    def check_history(self, asset_key: str, limit: int = 200) -> list[CheckResult]:
        rows = self._execute(
            f"select {CHECK_COLUMNS} from check_results where asset_key = ? "
            "order by id desc limit ?",
            (asset_key, limit),
        )
        return [check_result(row) for row in rows]

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
