"""One materialization on an open workspace: lock, staleness, plan, executor.

Shared by the headless runner (`--materialize`, one process per run) and the warm executor
(`lakehouse_tui.warm`, one process serving many runs), so that both take the same path.
No Textual here.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakehouse_tui.errors import LockedError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from lakehouse_tui.core.executor import EventCallback, RunEvent, RunOutcome
    from lakehouse_tui.core.lock import LockWaitExpired, WaitNotice
    from lakehouse_tui.core.partition_scope import PartitionRequest
    from lakehouse_tui.core.plan import Plan
    from lakehouse_tui.core.workspace import Workspace
    from lakehouse_tui.integrations.openlineage_emitter import LineageEmitter


@dataclass(frozen=True)
class RunOptions:
    """What to run and how: the run-related command-line flags."""

    selection: str | None = None
    job: str | None = None
    trigger: str = "cli"
    skip_unchanged: bool = False
    wait: bool = False
    json: bool = False
    description: str | None = None  # what the run history calls it, if not the selection
    max_wait: float | None = None  # with wait: give up after this many seconds (None: never)
    max_wait_source: str = "--max-wait"  # what set max_wait, named when the wait runs out
    partitions: tuple[str, ...] = ()  # --partition values (each may be a comma list)
    partition_ranges: tuple[str, ...] = ()  # --partition-range FIRST...LAST
    full_refresh: bool = False

    @property
    def names_partitions(self) -> bool:
        return bool(self.partitions or self.partition_ranges)


def run_selection(
    workspace: Workspace,
    options: RunOptions,
    started: float | None = None,
    *,
    on_outcome: Callable[[RunOutcome], None] | None = None,
    run_id: str | None = None,
) -> int:
    """Resolve, take the run lock, drop fresh assets if asked, run the plan.

    Returns the headless runner's exit code (0, 1, 130); raises LakehouseError for usage
    (UsageError, 2) and lock (LockedError, 3) problems.
    """
    from lakehouse_tui.core.executor import new_run_id
    from lakehouse_tui.core.lock import LockHolder, LockWaitExpired, RunLock

    started = time.perf_counter() if started is None else started
    keys, description = workspace.resolve(options.selection, options.job)
    description = options.description or description
    run_id = run_id or new_run_id()
    holder = LockHolder(run_id, os.getpid(), options.trigger, time.time())
    lock = RunLock(
        workspace.config.state_dir / "run.lock",
        holder,
        wait=options.wait,
        max_wait=options.max_wait,
        on_wait=lambda notice: print(wait_notice(notice, options), file=sys.stderr, flush=True),
    )
    try:
        lock.acquire()
    except LockWaitExpired as expired:
        raise record_lost_run(workspace, run_id, description, options, expired) from None
    # The lock is taken before deciding what is stale: a run queued with --wait must see
    # what the run it waited for has just materialized.
    try:
        request = partition_request(workspace, options, run_id)
        if options.skip_unchanged and not options.names_partitions and not options.full_refresh:
            keys &= workspace.stale_keys()
        if not keys:
            record_noop(workspace, run_id, description, options)
            elapsed = time.perf_counter() - started
            why = (
                "nothing selected is stale"
                if options.skip_unchanged
                else f"no asset matches {description!r}"
            )
            print(f"{why}; recorded no-op run {run_id} ({elapsed:.2f} s)", file=sys.stderr)
            return 0
        plan = workspace.plan(keys, description)
        return execute(workspace, plan, options, run_id, on_outcome=on_outcome, request=request)
    finally:
        lock.release()


def partition_request(workspace: Workspace, options: RunOptions, run_id: str) -> PartitionRequest:
    """The run's partition flags, checked against the batches there are (UsageError names an
    unknown one). Files new since the last validation are validated first, under the run
    lock, so a batch that has just landed can be named."""
    from lakehouse_tui.core import partitions, raw
    from lakehouse_tui.core.partition_scope import PartitionRequest

    if not options.names_partitions:
        return PartitionRequest(full_refresh=options.full_refresh)
    if options.full_refresh:
        raise UsageError("--full-refresh rebuilds every batch: drop --partition/--partition-range")
    store, raw_dir = workspace.store, workspace.config.lake.raw_dir
    sources = partitions.raw_partitions(raw_dir, store.raw_file_scans())
    if sources.pending:
        _, files = raw.scan(raw_dir, store.raw_file_scans())
        store.save_raw_file_scans(files)
        sources = partitions.raw_partitions(raw_dir, files)
    held = {
        p
        for states in store.partition_states().values()
        for p, state in states.items()
        if state.status == partitions.MATERIALIZED
    }
    keys = partitions.parse_partition_args(
        options.partitions, options.partition_ranges, set(sources.by_key) | held
    )
    return PartitionRequest(keys=tuple(keys))


def _limit(options: RunOptions) -> str:
    from lakehouse_tui.formatting import age

    if options.max_wait is None:
        return "no time limit"
    return f"giving up after {age(options.max_wait)} ({options.max_wait_source})"


def wait_notice(notice: WaitNotice, options: RunOptions) -> str:
    """The line a queued run prints when it starts waiting, every 30 s after, and when its
    turn comes."""
    from lakehouse_tui.formatting import age

    who = notice.holder.describe() if notice.holder else "another process"
    if notice.done:
        return f"{who} has finished; starting after waiting {age(notice.waited)}"
    if notice.first:
        return f"waiting for {who} to finish; {_limit(options)}"
    return f"still waiting for {who} to finish: {age(notice.waited)} so far, {_limit(options)}"


def record_lost_run(
    workspace: Workspace,
    run_id: str,
    selection: str,
    options: RunOptions,
    expired: LockWaitExpired,
) -> LockedError:
    """A queued run that gave up is a failed run in the history (the TUI and `schedule status`
    show the lost refresh); returns the one-line error for the CLI (exit 3)."""
    from lakehouse_tui.formatting import age

    who = expired.holder.describe() if expired.holder else "another process"
    message = (
        f"gave up after waiting {age(expired.waited)} ({options.max_wait_source}) "
        f"for {who} to finish; nothing was materialized"
    )
    record_empty_run(workspace, run_id, selection, options, "failed", message)
    return LockedError(f"run {run_id} failed: {message}")


def record_empty_run(
    workspace: Workspace,
    run_id: str,
    selection: str,
    options: RunOptions,
    status: str,
    message: str,
) -> None:
    """A run that materialized nothing: a no-op, or one that never got the lock."""
    store = workspace.store
    store.start_run(
        run_id,
        selection=selection,
        job=options.job,
        trigger=options.trigger,
        pid=os.getpid(),
        plan=[],
        assets=[],
        status=status,
    )
    store.finish_run(run_id, status, message)


def record_noop(workspace: Workspace, run_id: str, selection: str, options: RunOptions) -> None:
    record_empty_run(workspace, run_id, selection, options, "noop", "nothing selected is stale")
    if options.json:
        now = time.time()
        for event, extra in (("run_started", {"message": selection}), ("run_finished", {})):
            line = {"event": event, "run_id": run_id, "ts": now, "status": "noop", **extra}
            print(json.dumps(line), flush=True)


def execute(
    workspace: Workspace,
    plan: Plan,
    options: RunOptions,
    run_id: str,
    *,
    on_outcome: Callable[[RunOutcome], None] | None = None,
    request: PartitionRequest | None = None,
) -> int:
    from lakehouse_tui.core.executor import Executor
    from lakehouse_tui.headless import ProgressPrinter

    needs_dbt = any(step.kind == "dbt" for step in plan.steps)
    printer = ProgressPrinter(json_out=options.json)
    lineage = lineage_emitter(workspace, plan, options)
    executor = Executor(
        workspace.config,
        workspace.graph,
        workspace.store,
        workspace.setup,
        dbt_manifest=workspace.dbt_manifest() if needs_dbt else None,
        on_event=printer if lineage is None else both(printer, lineage),
        partitions=request,
    )
    try:
        outcome = executor.run_locked(plan, trigger=options.trigger, job=options.job, run_id=run_id)
    finally:
        if lineage is not None:
            lineage.close()
    printer.summary(outcome)
    if needs_dbt:  # DuckDB is imported already: check the new marks now, not in the next no-op
        workspace.staleness()
    if on_outcome is not None:
        on_outcome(outcome)
    if outcome.status == "succeeded":
        return 0
    return 130 if outcome.status == "cancelled" else 1


def lineage_emitter(workspace: Workspace, plan: Plan, options: RunOptions) -> LineageEmitter | None:
    """The OpenLineage hook when `[openlineage]` is configured (imports nothing otherwise)."""
    if not workspace.config.openlineage.enabled:
        return None
    from lakehouse_tui.integrations.openlineage_emitter import LineageEmitter, job_name

    targets = {
        key: step.target
        for step in plan.steps
        if step.kind == "dbt" and step.target is not None
        for key in step.assets
    }
    return LineageEmitter(
        workspace.config,
        workspace.graph,
        workspace.setup,
        job_name=job_name(options.job, plan.selection),
        targets=targets,
    )


def both(first: Callable[[RunEvent], None], second: Callable[[RunEvent], None]) -> EventCallback:
    def on_event(event: RunEvent) -> None:
        first(event)
        second(event)

    return on_event
