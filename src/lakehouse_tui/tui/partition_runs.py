"""The runs the Partitions tab asks for, as plain `RunRequest`s (no Textual here).

Materializing batches, backfilling a range and a full refresh all become a `RunRequest` that
goes through the one run path (the plan dialog, then `RunController.start`: the warm executor's
request line or the headless runner's argv), so the run store records the batches on the
run (`runs.partitions_json`) as it does for `--partition` on the command line.

A range is sent as the explicit batches between its two ends, in the order the tab lists
them (the partitions' sort order, as `--partition-range` uses): the run processes exactly the
rows the user saw marked, and the warm executor's request line needs no range syntax.
"""

from __future__ import annotations

from collections.abc import Sequence

from lakehouse_tui.runservice.child import RunRequest

SHOWN_KEYS = 3  # batches named in a label before it says "…"


def batches_text(keys: Sequence[str]) -> str:
    """`FB-2026-001`, `FB-2026-001, FB-2026-002` or `FB-2026-001 … FB-2026-010 (10 batches)`."""
    if len(keys) <= SHOWN_KEYS:
        return ", ".join(keys)
    return f"{keys[0]} … {keys[-1]} ({len(keys)} batches)"


def materialize_request(asset: str, keys: Sequence[str]) -> RunRequest:
    """Materialize these batches of one asset."""
    chosen = tuple(sorted(keys))
    noun = "batch" if len(chosen) == 1 else "batches"
    what = f"{noun} {batches_text(chosen)}" if len(chosen) <= SHOWN_KEYS else batches_text(chosen)
    return RunRequest(selection=asset, label=f"{asset}, {what}", partitions=chosen)


def range_keys(ordered: Sequence[str], first: str, last: str) -> list[str]:
    """The keys from `first` to `last`, both included, in the listed order."""
    start, end = sorted((ordered.index(first), ordered.index(last)))
    return list(ordered[start : end + 1])


def backfill_request(asset: str, ordered: Sequence[str], first: str, last: str) -> RunRequest:
    """A backfill: one run of every batch from `first` to `last` (both included)."""
    keys = range_keys(ordered, first, last)
    return RunRequest(
        selection=asset,
        label=f"backfill {asset} {keys[0]}...{keys[-1]} ({len(keys)} batches)",
        partitions=tuple(keys),
    )


def full_refresh_request(asset: str) -> RunRequest:
    return RunRequest(selection=asset, label=f"{asset}, full refresh", full_refresh=True)


def partition_note(request: RunRequest) -> str:
    """The lines the plan dialog adds for a run of chosen batches, or of every batch."""
    if request.full_refresh:
        return (
            "\n\nFull refresh: every batch is rebuilt from all the raw files "
            "(as dbt's --full-refresh)."
        )
    if not request.partitions:
        return ""
    keys = request.partitions
    listed = ", ".join(keys) if len(keys) <= 12 else batches_text(keys)
    noun = "batch" if len(keys) == 1 else f"{len(keys)} batches"
    return f"\n\nPartitions: {noun}: {listed}\n(the other batches stay as they are)"
