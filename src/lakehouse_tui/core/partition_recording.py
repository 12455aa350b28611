"""What a run writes about partitions: the raw dir's batches, and each partitioned model's.

Per-batch rows and time ranges are read from the model with one grouped query over the
batches the run processed (a view: over their files only, DuckDB prunes on `source_file`),
so a run that processes one batch pays for one batch. The model's own totals (the
materialization's rows and time range) are then the sums over all its partitions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lakehouse_tui.core import partitions, warehouse
from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.core.partition_scope import BatchScope
from lakehouse_tui.core.partition_store import PartitionWrite
from lakehouse_tui.core.partitions import DELETED, MATERIALIZED, PartitionState, RawPartitions
from lakehouse_tui.core.store import RunStore

BatchStats = dict[str, tuple[int, str | None, str | None]]


def record_raw(store: RunStore, run_id: str, key: str, sources: RawPartitions) -> None:
    """The raw asset's partitions after validation: new or changed batches, deleted ones."""
    held = store.partition_states(key).get(key, {})
    writes = [
        PartitionWrite(p.key, MATERIALIZED, p.version, None, p.rows, p.ts_min, p.ts_max)
        for p in sources.by_key.values()
        if (state := held.get(p.key)) is None
        or state.status != MATERIALIZED
        or state.input_version != p.version
        or state.attempt_status is not None
    ]
    writes += [
        PartitionWrite(batch, DELETED)
        for batch, state in held.items()
        if batch not in sources.by_key and state.status != DELETED
    ]
    if writes:
        store.record_partitions(run_id, key, writes)


def batch_stats(
    connection: Any, relation: str, batches: Sequence[str] | None, files: Sequence[str] | None
) -> BatchStats:
    """{batch: (rows, ts_min, ts_max)} of a model, for these batches (None: all of them)."""
    low, high = warehouse.time_columns(warehouse.columns(connection, relation))
    select = "batch_id, count(*)"
    if low and high:
        select += f", min({warehouse.quote(low)})::varchar, max({warehouse.quote(high)})::varchar"
    where: list[str] = []
    params: list[Any] = []
    if files is not None:
        where.append("list_contains(?::varchar[], source_file)")  # DuckDB prunes files on it
        params.append(list(files))
    if batches is not None:
        where.append("list_contains(?::varchar[], batch_id)")
        params.append(list(batches))
    sql = f"select {select} from {warehouse.relation_sql(relation)}"
    if where:
        sql += " where " + " and ".join(where)
    rows = connection.execute(sql + " group by batch_id", params).fetchall()
    return {
        str(row[0]): (int(row[1]), row[2] if low else None, row[3] if low else None) for row in rows
    }


def model_writes(
    graph: AssetGraph,
    key: str,
    scope: BatchScope,
    sources: RawPartitions,
    held: Mapping[str, PartitionState],
    stats: BatchStats,
) -> list[PartitionWrite]:
    """What a successful build of `key` did to its partitions: all of them when it was
    rebuilt whole, the scope's otherwise."""
    signature = partitions.code_signature(graph, key)
    whole = key not in scope.scoped
    present = list(sources.by_key) if whole else list(scope.present)
    writes = []
    for batch in present:
        rows, low, high = stats.get(batch, (0, None, None))
        writes.append(
            PartitionWrite(
                batch, MATERIALIZED, sources.by_key[batch].version, signature, rows, low, high
            )
        )
    gone = [b for b in held if b not in sources.by_key] if whole else list(scope.deleted)
    writes += [PartitionWrite(b, DELETED) for b in gone if held.get(b, _NONE).status != DELETED]
    return writes


def failed_writes(
    key: str, scope: BatchScope, sources: RawPartitions, status: str, message: str
) -> list[PartitionWrite]:
    """The partitions an unfinished build of `key` attempted."""
    attempted = list(sources.by_key) if key not in scope.scoped else list(scope.batches)
    return [PartitionWrite(b, status, message=message) for b in attempted]


def totals(states: Mapping[str, PartitionState]) -> dict[str, Any]:
    """A partitioned model's rows and time range: sums over what it holds."""
    held = [s for s in states.values() if s.status == MATERIALIZED]
    lows = [s.ts_min for s in held if s.ts_min]
    highs = [s.ts_max for s in held if s.ts_max]
    result: dict[str, Any] = {
        "rows": sum(s.rows or 0 for s in held),
        "partitions": len(held),
    }
    if lows or highs:
        result["ts_min"] = min(lows) if lows else None
        result["ts_max"] = max(highs) if highs else None
    return result


_NONE = PartitionState("", "", DELETED, None, None, None, None, None, None, 0.0)
