"""`lakehouse-tui --materialize SEL` / `--job NAME`: the headless runner.

Exit codes: 0 all succeeded (or nothing to do), 1 a step or blocking check failed, 2 usage or
config error, 3 another run holds the lock, 130 cancelled.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakehouse_tui.config import Config
    from lakehouse_tui.core.plan import Plan
    from lakehouse_tui.core.workspace import Workspace


def _cancel_on_sigterm() -> None:
    """SIGTERM (the TUI's cancel key, systemd stopping the unit) cancels like Ctrl-C."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def run(args: argparse.Namespace, config: Config) -> int:
    from lakehouse_tui.core.executor import new_run_id
    from lakehouse_tui.core.lock import LockHolder, RunLock
    from lakehouse_tui.core.workspace import Workspace

    started = time.perf_counter()
    workspace = Workspace.open(config)
    try:
        keys, description = workspace.resolve(args.materialize, args.job)
        if args.dry_run:
            if args.skip_unchanged:
                keys &= workspace.stale_keys()
            print(workspace.plan(keys, description).format())
            return 0
        _cancel_on_sigterm()
        run_id = new_run_id()
        holder = LockHolder(run_id, os.getpid(), args.trigger, time.time())
        # Take the lock before deciding what is stale: a run queued with --wait must see
        # what the run it waited for has just materialized.
        with RunLock(config.state_dir / "run.lock", holder, wait=args.wait):
            if args.skip_unchanged:
                keys &= workspace.stale_keys()
            if not keys:
                _record_noop(workspace, run_id, description, args)
                elapsed = time.perf_counter() - started
                why = "nothing selected is stale" if args.skip_unchanged else "nothing selected"
                print(f"{why}; recorded no-op run {run_id} ({elapsed:.2f} s)", file=sys.stderr)
                return 0
            return _execute(workspace, workspace.plan(keys, description), args, run_id)
    finally:
        workspace.close()


def _record_noop(
    workspace: Workspace, run_id: str, selection: str, args: argparse.Namespace
) -> None:
    store = workspace.store
    store.start_run(
        run_id,
        selection=selection,
        job=args.job,
        trigger=args.trigger,
        pid=os.getpid(),
        plan=[],
        assets=[],
        status="noop",
    )
    store.finish_run(run_id, "noop", "nothing selected is stale")
    if args.json:
        now = time.time()
        for event, extra in (("run_started", {"message": selection}), ("run_finished", {})):
            line = {"event": event, "run_id": run_id, "ts": now, "status": "noop", **extra}
            print(json.dumps(line))


def _execute(workspace: Workspace, plan: Plan, args: argparse.Namespace, run_id: str) -> int:
    from lakehouse_tui.core.executor import Executor
    from lakehouse_tui.headless import ProgressPrinter

    needs_dbt = any(step.kind == "dbt" for step in plan.steps)
    printer = ProgressPrinter(json_out=args.json)
    executor = Executor(
        workspace.config,
        workspace.graph,
        workspace.store,
        workspace.setup,
        dbt_manifest=workspace.dbt_manifest() if needs_dbt else None,
        on_event=printer,
    )
    outcome = executor.run_locked(plan, trigger=args.trigger, job=args.job, run_id=run_id)
    printer.summary(outcome)
    if outcome.status == "succeeded":
        return 0
    return 130 if outcome.status == "cancelled" else 1
