"""Staleness: which assets would change if materialized now.

Versions:
- data version of the raw asset: fingerprint of the parquet file set (names, sizes, mtimes);
- data version of any other asset: the id of its latest materialization;
- code version of a dbt model: hash of its SQL and output-shaping config.

Every materialization records the code version it ran and the data versions of its parents.
An asset is stale when it never materialized, its code changed, a parent now has another data
version than the one it saw, or a parent is itself stale.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from pathlib import Path

from lakehouse_tui.core import raw
from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.core.store import Materialization

# An asset whose last attempt ended like this is stale, for this reason.
UNFINISHED_REASON = {
    "failed": "last attempt failed",
    "cancelled": "last run was cancelled",
    "interrupted": "last run was interrupted",
}


@dataclass(frozen=True)
class Staleness:
    stale: bool
    reason: str


def current_data_versions(
    graph: AssetGraph, latest: Mapping[str, Materialization], raw_dir: Path
) -> dict[str, str]:
    versions = {key: m.data_version for key, m in latest.items()}
    versions[graph.raw.key] = raw.fingerprint(raw_dir)
    return versions


def input_versions(graph: AssetGraph, key: str, data_versions: Mapping[str, str]) -> dict[str, str]:
    """What a materialization of `key` would see of its parents right now."""
    return {parent: data_versions.get(parent, "") for parent in graph.parents(key)}


def staleness(
    graph: AssetGraph,
    latest: Mapping[str, Materialization],
    raw_dir: Path,
    failed: Mapping[str, str] | Set[str] = frozenset(),
    not_in_warehouse: Mapping[str, str] | None = None,
) -> dict[str, Staleness]:
    """`failed`: assets whose latest attempt did not finish, with the reason (see
    UNFINISHED_REASON); they count as stale until they succeed.
    `not_in_warehouse`: why an asset's table is not the one recorded (warehouse_state)."""
    data_versions = current_data_versions(graph, latest, raw_dir)
    not_in_warehouse = not_in_warehouse or {}
    result: dict[str, Staleness] = {}
    for key in graph.order():
        asset = graph.assets[key]
        last = latest.get(key)
        if key in failed:
            why = failed[key] if isinstance(failed, Mapping) else UNFINISHED_REASON["failed"]
            result[key] = Staleness(True, why)
            continue
        if key in not_in_warehouse:
            result[key] = Staleness(True, not_in_warehouse[key])
            continue
        if asset.kind == "airbyte":
            # External sources change on their own schedule; a sync is always explicit.
            result[key] = Staleness(last is None, "never synced" if last is None else "")
            continue
        if last is None:
            result[key] = Staleness(True, "never materialized")
            continue
        if asset.kind == "raw":
            changed = last.data_version != data_versions[key]
            result[key] = Staleness(changed, "raw files changed" if changed else "")
            continue
        if asset.code_version and last.code_version != asset.code_version:
            result[key] = Staleness(True, "code changed")
            continue
        reason = ""
        for parent in graph.parents(key):
            if last.input_versions.get(parent) != data_versions.get(parent, ""):
                reason = f"{parent} updated since"
                break
            if result.get(parent, Staleness(False, "")).stale:
                reason = f"{parent} is stale"
                break
        result[key] = Staleness(bool(reason), reason)
    return result
