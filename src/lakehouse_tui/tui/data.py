"""What the screens show, loaded from the workspace in worker threads (no Textual here).

`LakeState` is the whole tree's status; `AssetDetails` is one asset's detail tabs; both are
plain frozen dataclasses handed to widgets as attributes ("attributes down").
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakehouse_tui.config import Config, PostgresSettings
from lakehouse_tui.core import column_lineage, raw
from lakehouse_tui.core.asset_status import AssetStatus, asset_statuses
from lakehouse_tui.core.assets import Asset, GroupAsset
from lakehouse_tui.core.run_events import RunEvent
from lakehouse_tui.core.store import CheckResult, LogLine, Materialization, RunAsset, RunRecord
from lakehouse_tui.core.workspace import Workspace
from lakehouse_tui.tui.freshness_view import Due, deadlines


@dataclass(frozen=True)
class LakeState:
    statuses: dict[str, AssetStatus]
    signature: tuple[Any, ...]
    running: RunRecord | None
    raw_files: int
    freshness: dict[str, Due] = field(default_factory=dict)  # [freshness] deadlines


@dataclass(frozen=True)
class AssetDetails:
    key: str
    asset: Asset | None
    group: GroupAsset | None
    members: list[str]
    upstream: list[str]
    downstream: list[str]
    materializations: list[Materialization]
    last_run: RunRecord | None
    latest_checks: list[CheckResult]
    check_history: list[CheckResult]
    log_run: RunRecord | None
    logs: list[LogLine]
    run_asset: RunAsset | None
    compiled_sql: str | None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Preview:
    key: str
    columns: list[str]
    rows: list[tuple[Any, ...]]
    error: str = ""
    busy: bool = False
    note: str = ""  # what the rows are, when not "first N rows of KEY"


def signature(workspace: Workspace) -> tuple[Any, ...]:
    """Cheap fingerprint of everything the tree shows; a change triggers a full reload."""
    store = workspace.store
    runs = store.runs(3)
    latest = store.latest_materializations()
    return (
        tuple((r.id, r.status, r.ended_at) for r in runs),
        max((m.id for m in latest.values()), default=0),
        raw.fingerprint(workspace.config.lake.raw_dir),
    )


def manifest_is_current(config: Config) -> bool:
    from lakehouse_tui.core import dbt_setup, manifest

    return manifest.read_current(dbt_setup.prepare(config)) is not None


def parse_in_child(config: Config) -> str:
    """Let a child process parse the dbt project (dbt stays out of the UI's process).

    Returns "" on success, else the child's one-line error.
    """
    import subprocess

    from lakehouse_tui.runservice.argv import child_argv

    done = subprocess.run(
        child_argv("status", "--json", config_path=config.path),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode == 0:
        return ""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return lines[-1].removeprefix("lakehouse-tui: ") if lines else f"exit code {done.returncode}"


def load_state(workspace: Workspace) -> LakeState:
    sig = signature(workspace)
    statuses = {s.key: s for s in asset_statuses(workspace)}
    running = next((r for r in workspace.store.runs(5) if r.status == "running"), None)
    files = len(raw.parquet_files(workspace.config.lake.raw_dir))
    return LakeState(statuses, sig, running, files, deadlines(workspace, statuses))


def compiled_sql(workspace: Workspace, asset: Asset) -> str | None:
    # Marts built on PostgreSQL compile into that target's own dir.
    target = "postgres" if asset.kind == "postgres" else "duckdb"
    return column_lineage.compiled_sql(workspace.setup, asset.path, target)


def model_lineage(workspace: Workspace, asset: Asset) -> column_lineage.Lineage | None:
    """Where each column comes from (the lineage the OpenLineage events carry)."""
    if not asset.path or not asset.sql:
        return None
    target = "postgres" if asset.kind == "postgres" else "duckdb"
    try:
        return column_lineage.model_lineage(workspace.graph, workspace.setup, asset.key, target)
    except Exception:  # an SQL shape sqlglot does not follow: the tab simply has no lineage
        return None


def load_details(workspace: Workspace, key: str) -> AssetDetails:
    graph, store = workspace.graph, workspace.store
    asset = graph.assets.get(key)
    group = graph.groups.get(key)
    members = graph.members(key) if group else []
    units = members if group else [key]
    upstream = (
        sorted(set().union(*(graph.upstream(k) for k in units)) - set(units)) if units else []
    )
    downstream = (
        sorted(set().union(*(graph.downstream(k) for k in units)) - set(units)) if units else []
    )
    materializations = store.materializations(key, limit=100) if asset else []
    last_run = store.get_run(materializations[0].run_id) if materializations else None
    latest_checks = store.latest_check_results().get(key, []) if asset else []
    history = store.check_history(key, limit=200) if asset else []
    # Logs of the asset's most recent run (which may have failed, so not its last materialization).
    run_asset = store.last_asset_statuses().get(key) if asset else None
    log_run = store.get_run(run_asset.run_id) if run_asset else None
    logs = store.logs(run_asset.run_id, key) if run_asset else []
    sql = compiled_sql(workspace, asset) if asset else None
    return AssetDetails(
        key=key,
        asset=asset,
        group=group,
        members=members,
        upstream=upstream,
        downstream=downstream,
        materializations=materializations,
        last_run=last_run,
        latest_checks=latest_checks,
        check_history=history,
        log_run=log_run,
        logs=logs,
        run_asset=run_asset,
        compiled_sql=sql,
        extra={
            "column_lineage": model_lineage(workspace, asset) if asset else None,
            "column_types": warehouse_types(workspace, asset) if asset else {},
        },
    )


def warehouse_types(workspace: Workspace, asset: Asset) -> dict[str, str]:
    """The model's column types from the DuckDB warehouse; {} while a run holds the file or
    before the table exists (the Definition tab then shows what dbt declares)."""
    from lakehouse_tui.core.warehouse import column_types

    if asset.kind != "duckdb" or not asset.relation:
        return {}
    try:
        return column_types(workspace.config.lake.warehouse, asset.relation)
    except Exception:  # busy, missing file or table: the declared types stand
        return {}


def load_raw_preview(raw_dir: Path, key: str, limit: int = 100) -> Preview:
    """The first rows of the newest raw file (pyarrow: the warehouse is not touched)."""
    import pyarrow.parquet as pq

    files = raw.parquet_files(raw_dir)
    if not files:
        return Preview(key, [], [], f"no parquet files in {raw_dir}")
    newest = max(files, key=lambda path: path.stat().st_mtime)
    try:
        batch = next(pq.ParquetFile(newest).iter_batches(batch_size=limit), None)
    except Exception as err:  # a damaged or half-copied file: say which
        return Preview(key, [], [], f"{newest.name}: {str(err).splitlines()[0]}")
    if batch is None:
        return Preview(key, [], [], "", note=f"{newest.name} has no rows")
    columns = [str(name) for name in batch.schema.names]
    types = [str(field.type) for field in batch.schema]
    rows = list(zip(*(column.to_pylist() for column in batch.columns), strict=True))
    note = f"first {len(rows)} rows of {newest.name} (the newest of {len(files)} files)"
    return Preview(key, [f"{c} ({t})" for c, t in zip(columns, types, strict=True)], rows, "",
                   note=note)  # fmt: skip


def load_postgres_preview(settings: PostgresSettings, key: str, table: str) -> Preview:
    """The first rows of a mart that lives in PostgreSQL (password from its env var)."""
    from lakehouse_tui.core import postgres
    from lakehouse_tui.errors import LakehouseError

    try:
        columns, rows = postgres.preview(settings, settings.password(), settings.schema, table)
    except LakehouseError as err:
        return Preview(key, [], [], str(err))
    return Preview(key, columns, rows)


def load_preview(warehouse: Path, key: str, relation: str, limit: int = 100) -> Preview:
    from lakehouse_tui.core.warehouse import WarehouseBusy, preview
    from lakehouse_tui.errors import LakehouseError

    try:
        columns, rows = preview(warehouse, relation, limit)
    except WarehouseBusy as err:
        return Preview(key, [], [], str(err), busy=True)
    except LakehouseError as err:
        return Preview(key, [], [], str(err))
    except Exception as err:  # duckdb catalog errors: the relation does not exist yet
        return Preview(key, [], [], f"{relation}: {str(err).splitlines()[0]}")
    return Preview(key, columns, rows)


def lock_holder(workspace: Workspace, now: float | None = None) -> str | None:
    """Who holds the run lock, in one line (id, selection, trigger, pid, since when); None
    when nobody does."""
    from lakehouse_tui.core.lock import is_held, read_holder
    from lakehouse_tui.formatting import age

    path = workspace.config.state_dir / "run.lock"
    if not is_held(path):
        return None
    holder = read_holder(path)
    if holder is None:
        return "another process (it has not said which run yet)"
    run = workspace.store.get_run(holder.run_id)
    what = f": {run.selection}" if run is not None and run.selection else ""
    since = time.strftime("%H:%M:%S", time.localtime(holder.started_at))
    ago = age((now if now is not None else time.time()) - holder.started_at)
    return (
        f"run {holder.run_id}{what} (trigger {holder.trigger}, pid {holder.pid}, "
        f"since {since}, {ago} ago)"
    )


def store_events(workspace: Workspace, run_id: str, after: int) -> list[tuple[int, RunEvent]]:
    """The store's events of a run started elsewhere after event id `after`, each as
    (event id, the RunEvent the runner printed)."""
    events = []
    for row in workspace.store.events(run_id, after):
        raw = _store_event(row)
        if raw["event"] == "run_finished":  # the store keeps the status on the run
            run = workspace.store.get_run(run_id)
            raw["status"] = run.status if run else "finished"
            raw["message"] = run.message if run else None
        event = RunEvent.from_dict(raw)
        if event is not None:
            events.append((int(row["id"]), event))
    return events


def _store_event(row: dict[str, Any]) -> dict[str, Any]:
    """A step_events row in the shape of the runner's JSON events."""
    payload = json.loads(row["data_json"]) if row.get("data_json") else {}
    status = payload.pop("status", None)  # the store keeps an event's status in its data
    event: dict[str, Any] = {
        "event": row["event"],
        "run_id": row["run_id"],
        "ts": row["ts"],
        "step": row.get("step"),
        "asset": row.get("asset_key"),
        "message": row.get("message"),
        "data": payload,
        "status": status,
    }
    if row["event"] == "step_finished" and status is None:
        event["status"] = "finished"
    return event
