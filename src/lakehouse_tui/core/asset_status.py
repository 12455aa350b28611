"""What every asset looks like right now: a join of the graph, the run store and staleness.

Shared by `lakehouse-tui status` and the TUI's tree so both say the same thing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lakehouse_tui.core.store import CheckResult
from lakehouse_tui.core.workspace import Workspace


@dataclass(frozen=True)
class AssetStatus:
    key: str
    group: str
    kind: str
    status: str  # materialized | stale | never | failed | running | check_warning | check_failed
    stale: bool
    stale_reason: str
    materialized_at: float | None
    run_id: str | None
    rows: int | None
    location: str | None
    checks_summary: str
    # Latest failing or warning checks: name, status, failures, message, first failing rows.
    check_problems: tuple[dict[str, Any], ...] = ()
    # Partitioned assets: "198/200 materialized, 2 stale" and the counts behind it.
    partitions: str = ""
    partition_counts: dict[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def asset_statuses(workspace: Workspace) -> list[AssetStatus]:
    graph, store = workspace.graph, workspace.store
    latest = store.latest_materializations()
    staleness = workspace.staleness()
    last_in_run = store.last_asset_statuses()
    checks = store.latest_check_results()
    summaries = workspace.partition_summaries()
    result = []
    for key in graph.order():
        asset = graph.assets[key]
        materialization = latest.get(key)
        last = last_in_run.get(key)
        results = checks.get(key, [])
        failing = [c for c in results if c.status in ("fail", "error")]
        warning = [c for c in results if c.status == "warn"]
        if (
            last is not None
            and last.status in ("running", "pending")
            and workspace_is_running(workspace, last.run_id)
        ):
            status = "running"
        elif last is not None and last.status == "failed":
            status = "failed"
        elif materialization is None:
            status = "never"
        elif failing:
            status = "check_failed"
        elif staleness[key].stale:
            status = "stale"
        elif warning:
            status = "check_warning"
        else:
            status = "materialized"
        passed = sum(1 for c in results if c.status == "pass")
        summary = f"{passed}/{len(results)} pass" if results else ""
        if failing:
            summary += f", {len(failing)} fail"
        if warning:
            summary += f", {len(warning)} warn"
        if skipped := sum(1 for c in results if c.status == "skipped"):
            summary += f", {skipped} skipped"
        location = asset.relation
        if asset.kind == "raw":
            location = str(workspace.config.lake.raw_dir)
        elif asset.kind == "duckdb" and asset.relation:
            location = f"{workspace.config.lake.warehouse}:{asset.relation}"
        elif asset.kind == "postgres" and asset.relation:
            pg = workspace.config.postgres
            location = f"{pg.location()}/{pg.schema}.{asset.relation.split('.')[-1]}"
        rows = materialization.metadata.get("rows") if materialization else None
        parts = summaries.get(key)
        result.append(
            AssetStatus(
                key=key,
                group=asset.group,
                kind=asset.kind,
                status=status,
                stale=staleness[key].stale,
                stale_reason=staleness[key].reason,
                materialized_at=materialization.ts if materialization else None,
                run_id=materialization.run_id if materialization else None,
                rows=rows if isinstance(rows, int) else None,
                location=location,
                checks_summary=summary,
                check_problems=tuple(_problem(c) for c in failing + warning),
                partitions=parts.describe() if parts is not None else "",
                partition_counts=parts.counts() if parts is not None else None,
            )
        )
    return result


def workspace_is_running(workspace: Workspace, run_id: str) -> bool:
    run = workspace.store.get_run(run_id)
    return run is not None and run.status == "running"


def _problem(result: CheckResult) -> dict[str, Any]:
    problem: dict[str, Any] = {
        "check": result.check_name,
        "status": result.status,
        "severity": result.severity,
        "failures": result.failures,
        "message": result.message,
        "run_id": result.run_id,
    }
    if result.sample is not None:
        problem["failing_rows"] = {"columns": result.sample.columns, "rows": result.sample.rows}
    return problem
