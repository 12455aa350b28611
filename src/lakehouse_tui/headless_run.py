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

if TYPE_CHECKING:
    from collections.abc import Callable

    from lakehouse_tui.core.executor import EventCallback, RunEvent, RunOutcome
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
    from lakehouse_tui.core.lock import LockHolder, RunLock

    started = time.perf_counter() if started is None else started
    keys, description = workspace.resolve(options.selection, options.job)
    description = options.description or description
    run_id = run_id or new_run_id()
    holder = LockHolder(run_id, os.getpid(), options.trigger, time.time())
    # Take the lock before deciding what is stale: a run queued with --wait must see
    # what the run it waited for has just materialized.
    with RunLock(workspace.config.state_dir / "run.lock", holder, wait=options.wait):
        if options.skip_unchanged:
            keys &= workspace.stale_keys()
        if not keys:
            record_noop(workspace, run_id, description, options)
            elapsed = time.perf_counter() - started
            why = "nothing selected is stale" if options.skip_unchanged else "nothing selected"
            print(f"{why}; recorded no-op run {run_id} ({elapsed:.2f} s)", file=sys.stderr)
            return 0
        plan = workspace.plan(keys, description)
        return execute(workspace, plan, options, run_id, on_outcome=on_outcome)


def record_noop(workspace: Workspace, run_id: str, selection: str, options: RunOptions) -> None:
    store = workspace.store
    store.start_run(
        run_id,
        selection=selection,
        job=options.job,
        trigger=options.trigger,
        pid=os.getpid(),
        plan=[],
        assets=[],
        status="noop",
    )
    store.finish_run(run_id, "noop", "nothing selected is stale")
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
    )
    try:
        outcome = executor.run_locked(plan, trigger=options.trigger, job=options.job, run_id=run_id)
    finally:
        if lineage is not None:
            lineage.close()
    printer.summary(outcome)
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
