"""`lakehouse-tui --materialize SEL` / `--job NAME`: the headless runner.

Exit codes: 0 all succeeded, 1 a step or blocking check failed, 2 usage or config error,
3 another run holds the lock.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakehouse_tui.config import Config


def _cancel_on_sigterm() -> None:
    """SIGTERM (the TUI's cancel key, systemd stopping the unit) cancels like Ctrl-C."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def record_noop(workspace: object, selection: str, trigger: str, job: str | None) -> str:
    from lakehouse_tui.core.executor import new_run_id
    from lakehouse_tui.core.workspace import Workspace

    assert isinstance(workspace, Workspace)
    run_id = new_run_id()
    store = workspace.store
    store.start_run(
        run_id,
        selection=selection,
        job=job,
        trigger=trigger,
        pid=os.getpid(),
        plan=[],
        assets=[],
        status="noop",
    )
    store.finish_run(run_id, "noop", "nothing selected is stale")
    return run_id


def run(args: argparse.Namespace, config: Config) -> int:
    from lakehouse_tui.core.workspace import Workspace

    started = time.perf_counter()
    workspace = Workspace.open(config)
    try:
        keys, description = workspace.resolve(args.materialize, args.job)
        if args.skip_unchanged:
            keys &= workspace.stale_keys()
            if not keys:
                run_id = record_noop(workspace, description, args.trigger, args.job)
                print(
                    f"nothing selected is stale; recorded no-op run {run_id} "
                    f"({time.perf_counter() - started:.2f} s)",
                    file=sys.stderr,
                )
                return 0
        plan = workspace.plan(keys, description)
        if args.dry_run:
            print(plan.format())
            return 0
        return _execute(workspace, plan, args)
    finally:
        workspace.close()


def _execute(workspace: object, plan: object, args: argparse.Namespace) -> int:
    from lakehouse_tui.core.executor import Executor
    from lakehouse_tui.core.plan import Plan
    from lakehouse_tui.core.workspace import Workspace
    from lakehouse_tui.headless import ProgressPrinter

    assert isinstance(workspace, Workspace) and isinstance(plan, Plan)
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
    _cancel_on_sigterm()
    outcome = executor.run(plan, trigger=args.trigger, job=args.job, wait=args.wait)
    printer.summary(outcome)
    if outcome.status == "succeeded":
        return 0
    return 130 if outcome.status == "cancelled" else 1
