"""Which assets a retry re-materializes: the one rule behind `lakehouse-tui retry` and the
TUI's re-run-failed key.

Like `dbt retry`: every asset of the run that did not end materialized (failed, blocked and
skipped, cancelled, interrupted, never started), plus any asset a blocking check failed on in
that run (with write-audit-publish such an asset is already `failed`; runs recorded before it
left the asset materialized with the failed check beside it). In dependency order.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.core.store import RunRecord, RunStore
from lakehouse_tui.errors import UsageError


class NothingToRetry(Exception):
    """Not an error: every asset of the run (or of the latest run) materialized."""


RETRY_STATUSES = ("failed", "skipped", "pending", "cancelled", "interrupted", "running")
DONE_RUN_STATUSES = ("succeeded", "noop")


@dataclass(frozen=True)
class Retry:
    run: RunRecord
    keys: list[str]  # in dependency order
    gone: list[str]  # assets of that run that no longer exist in the project
    partitions: tuple[str, ...] = ()  # the batches the run processed: the retry does them again

    @property
    def selection(self) -> str:
        return " or ".join(self.keys)

    @property
    def description(self) -> str:
        text = f"retry of {self.run.id}: {', '.join(self.keys)}"
        if self.partitions:
            text += f" ({len(self.partitions)} partition(s))"
        return text


def run_to_retry(store: RunStore, run_id: str | None) -> RunRecord:
    """The named run, or the latest that did not succeed."""
    if run_id is not None:
        run = store.get_run(run_id)
        if run is None:
            raise UsageError(
                f"no run {run_id!r} in the run history; `lakehouse-tui retry` with no id "
                "retries the latest run that did not succeed"
            )
        return run
    for run in store.runs(limit=1000):
        if run.status == "running":
            continue  # still going (or about to be marked interrupted): not a retry target
        if run.status in DONE_RUN_STATUSES:
            break  # a later success settles everything before it
        return run
    raise NothingToRetry("nothing to retry: the latest run succeeded")


def retry_keys(store: RunStore, graph: AssetGraph, run_id: str) -> tuple[list[str], list[str]]:
    """(keys to re-materialize in dependency order, keys that no longer exist)."""
    wanted = {a.asset_key for a in store.run_assets(run_id) if a.status in RETRY_STATUSES}
    wanted |= store.assets_with_failed_blocking_checks(run_id)
    known = {key for key in wanted if key in graph.assets}
    return graph.order(known), sorted(wanted - known)


def plan_retry(store: RunStore, graph: AssetGraph, run_id: str | None) -> Retry:
    run = run_to_retry(store, run_id)
    keys, gone = retry_keys(store, graph, run.id)
    if not keys:
        raise NothingToRetry(f"nothing to retry in run {run.id}: every asset of it materialized")
    # One scope per run, all-or-nothing per model: a model that did not finish did none of
    # the run's batches, and the retry does exactly those again.
    return Retry(run, keys, gone, tuple(store.run_partitions(run.id)))
