"""What the run store hands out: one frozen dataclass per kind of row, and their decoders."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any


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


def check_result(row: sqlite3.Row) -> CheckResult:
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


def run_record(row: sqlite3.Row) -> RunRecord:
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


def materialization_of(row: sqlite3.Row) -> Materialization:
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
