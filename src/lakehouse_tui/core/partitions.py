"""Batch partitions: which batches exist, what state each asset holds of each, which are stale.

A partition is a `batch_id`. The set is discovered from the raw files (Dagster's dynamic
partitions): a raw partition's data version is the fingerprint of the files holding it (their
`raw.file_key`s), so a new, replaced or deleted file changes exactly its batches. Files not
validated yet are *pending*: their batches are unknown until the raw step reads them.

The raw asset and the models that descend from it and process batch by batch (views and
incremental models) are partitioned; a table rebuilt whole (the mart) is not.

Each partitioned asset keeps one `PartitionState` per batch (core.partition_store): the raw
version and the code signature it was built from, its rows and time range, and the outcome of
the last attempt. A partition is stale when it is new, its raw files changed, its batch was
deleted upstream, its last attempt failed or was cancelled, or the code of the model or of a
model it reads changed (the code signature).

No heavy imports: this runs in every no-op and `status`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse_tui.core import raw
from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.errors import UsageError

MATERIALIZED = "materialized"
DELETED = "deleted"
PARTITIONED_MATERIALIZATIONS = ("view", "incremental")


@dataclass(frozen=True)
class RawPartition:
    key: str  # the batch id
    version: str
    files: tuple[str, ...]  # names in the raw dir
    rows: int
    ts_min: str | None
    ts_max: str | None


@dataclass(frozen=True)
class RawPartitions:
    """The batches of the raw dir as of its last validation of each file."""

    by_key: dict[str, RawPartition]
    pending: tuple[str, ...] = ()  # files not validated yet (their batches are unknown)

    def keys(self) -> list[str]:
        return sorted(self.by_key)


@dataclass(frozen=True)
class PartitionState:
    asset_key: str
    partition_key: str
    status: str  # materialized | deleted
    run_id: str | None
    input_version: str | None  # the raw partition version it was built from
    code_signature: str | None
    rows: int | None
    ts_min: str | None
    ts_max: str | None
    updated_at: float
    attempt_status: str | None = None  # failed | cancelled: the last attempt since, if any
    attempt_run_id: str | None = None
    attempt_message: str | None = None


@dataclass(frozen=True)
class PartitionStatus:
    """One partition of one asset as `status --partitions` shows it."""

    key: str
    status: str  # materialized | stale | failed | missing | deleted | pending
    reason: str
    rows: int | None = None
    ts_min: str | None = None
    ts_max: str | None = None
    run_id: str | None = None
    updated_at: float | None = None


@dataclass
class PartitionSummary:
    asset_key: str
    total: int = 0
    materialized: int = 0
    stale: int = 0
    failed: int = 0
    deleted: int = 0  # still in the table, gone from the raw dir
    pending_files: int = 0
    statuses: list[PartitionStatus] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "total": self.total,
            "materialized": self.materialized,
            "stale": self.stale,
            "failed": self.failed,
            "deleted": self.deleted,
            "pending_files": self.pending_files,
        }

    def describe(self) -> str:
        text = f"{self.materialized}/{self.total} materialized"
        for count, word in ((self.stale, "stale"), (self.failed, "failed")):
            if count:
                text += f", {count} {word}"
        if self.deleted:
            text += f", {self.deleted} deleted upstream"
        if self.pending_files:
            text += f", {self.pending_files} new file(s) not validated yet"
        return text


def raw_partitions(raw_dir: Path, known: Mapping[str, raw.FileScan]) -> RawPartitions:
    """The batches of the files in the raw dir, from the validation cache (stats only)."""
    holders: dict[str, list[tuple[str, str, raw.FileScan]]] = {}
    pending: list[str] = []
    for path in raw.parquet_files(raw_dir):
        try:
            file_key = raw.file_key(path)
        except FileNotFoundError:
            continue
        scan = known.get(file_key)
        if scan is None:
            pending.append(path.name)
            continue
        for batch in scan.batch_ids:
            holders.setdefault(batch, []).append((path.name, file_key, scan))
    by_key = {}
    for batch, files in holders.items():
        digest = hashlib.sha256("\n".join(sorted(key for _, key, _ in files)).encode())
        rows, lows, highs = 0, [], []
        for _, _, scan in files:
            stats = scan.stats_of(batch)
            rows += stats[0]
            lows += [stats[1]] if stats[1] else []
            highs += [stats[2]] if stats[2] else []
        by_key[batch] = RawPartition(
            batch,
            "rawp-" + digest.hexdigest()[:16],
            tuple(sorted(name for name, _, _ in files)),
            rows,
            min(lows) if lows else None,
            max(highs) if highs else None,
        )
    return RawPartitions(by_key, tuple(pending))


def is_partitioned(graph: AssetGraph, key: str) -> bool:
    asset = graph.assets[key]
    if asset.kind == "raw":
        return True
    return (
        asset.kind == "duckdb"
        and asset.materialized in PARTITIONED_MATERIALIZATIONS
        and graph.raw.key in graph.upstream(key)
    )


def is_incremental(graph: AssetGraph, key: str) -> bool:
    return graph.assets[key].materialized == "incremental" and is_partitioned(graph, key)


def code_signature(graph: AssetGraph, key: str) -> str:
    """The code versions of the model and every model it reads: a change in any of them
    changes what the model holds for every batch."""
    keys = sorted({key} | graph.upstream(key))
    text = "\n".join(f"{k}={graph.assets[k].code_version or ''}" for k in keys)
    return "code-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def partition_status(
    state: PartitionState | None,
    source: RawPartition | None,
    signature: str | None,
) -> tuple[str, str]:
    """(status, reason) of one partition of one asset; `signature` None for the raw asset."""
    if state is not None and state.attempt_status is not None:
        return "failed", f"last attempt {state.attempt_status}" + (
            f": {state.attempt_message}" if state.attempt_message else ""
        )
    if source is None:
        if state is None or state.status == DELETED:
            return DELETED, "deleted upstream"
        return "stale", "deleted upstream: its rows are still in the table"
    if state is None or state.status == DELETED:
        return "missing", "new batch: never materialized"
    if state.input_version != source.version:
        return "stale", "raw files changed"
    if signature is not None and state.code_signature != signature:
        return "stale", "code changed"
    return MATERIALIZED, ""


def summarize(
    graph: AssetGraph,
    key: str,
    sources: RawPartitions,
    states: Mapping[str, PartitionState],
) -> PartitionSummary:
    """Every partition of one asset: the raw dir's batches plus those it still holds."""
    signature = None if graph.assets[key].kind == "raw" else code_signature(graph, key)
    summary = PartitionSummary(key, pending_files=len(sources.pending))
    for batch in sorted(set(sources.by_key) | set(states)):
        state, source = states.get(batch), sources.by_key.get(batch)
        status, reason = partition_status(state, source, signature)
        if status == DELETED:
            continue  # gone from the raw dir and from the table: nothing left to show
        holds = state is not None and state.status == MATERIALIZED
        summary.statuses.append(
            PartitionStatus(
                batch,
                status,
                reason,
                state.rows if holds and state else None,
                state.ts_min if holds and state else None,
                state.ts_max if holds and state else None,
                state.run_id if state else None,
                state.updated_at if state else None,
            )
        )
        if source is None:
            summary.deleted += 1
            continue
        summary.total += 1
        if status == MATERIALIZED:
            summary.materialized += 1
        elif status == "failed":
            summary.failed += 1
        else:
            summary.stale += 1
    return summary


def stale_keys(summary: PartitionSummary) -> list[str]:
    return [p.key for p in summary.statuses if p.status != MATERIALIZED]


def parse_partition_args(
    keys: Iterable[str], ranges: Iterable[str], known: Iterable[str]
) -> list[str]:
    """`--partition` (repeatable, comma lists) and `--partition-range FIRST...LAST` (Dagster's
    syntax, both ends included, in the partitions' sort order) as sorted batch ids; a key
    that is not a known partition is a UsageError naming it."""
    known_sorted = sorted(set(known))
    wanted: set[str] = set()
    for item in keys:
        wanted |= {part.strip() for part in item.split(",") if part.strip()}
    for text in ranges:
        first, sep, last = text.partition("...")
        first, last = first.strip(), last.strip()
        if not sep or not first or not last:
            raise UsageError(
                f"--partition-range {text!r}: expected FIRST...LAST, e.g. FB-2026-001...FB-2026-010"
            )
        for end in (first, last):
            _require_known(end, known_sorted)
        if first > last:
            raise UsageError(f"--partition-range {text!r}: {first} sorts after {last}")
        wanted |= {k for k in known_sorted if first <= k <= last}
    for key in sorted(wanted):
        _require_known(key, known_sorted)
    return sorted(wanted)


def _require_known(key: str, known: list[str]) -> None:
    if key not in known:
        hint = f" (known: {', '.join(known[:3])}{', ...' if len(known) > 3 else ''})"
        raise UsageError(
            f"unknown partition {key!r}{hint if known else ''}; "
            "`lakehouse-tui status --partitions raw_bioreactor_data` lists them"
        )
