"""`lakehouse-tui retry [RUN_ID]`: re-materialize what did not succeed in a run (like `dbt retry`).

The rule is `core.retry`'s, shared with the TUI's re-run-failed key; the run itself takes the
headless runner's one path (lock, plan, executor), so a check that still fails blocks again.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakehouse_tui.config import Config


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "retry",
        help="re-materialize what failed, was blocked, cancelled or interrupted in a run",
        description="Re-materialize every asset that failed, was blocked or skipped, was "
        "cancelled or interrupted in a run (default: the latest run that did not succeed), "
        "including an asset whose blocking check failed, in dependency order. Exit codes as "
        "for --materialize: 0 succeeded, 1 failed again, 3 another run holds the lock, "
        "130 cancelled.",
    )
    parser.add_argument("run_id", nargs="?", metavar="RUN_ID", help="the run to retry")
    parser.add_argument(
        "--dry-run", action="store_true", dest="retry_dry_run", help="print the plan and exit"
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        dest="retry_wait",
        help="queue behind a running run instead of exiting 3",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        dest="retry_json",
        help="print one JSON event per line on stdout",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from lakehouse_tui.commands.materialize import cancel_on_sigterm
    from lakehouse_tui.core.retry import NothingToRetry, plan_retry
    from lakehouse_tui.core.workspace import Workspace
    from lakehouse_tui.headless_run import RunOptions, run_selection

    started = time.perf_counter()
    workspace = Workspace.open(config)
    try:
        try:
            retry = plan_retry(workspace.store, workspace.graph, args.run_id)
        except NothingToRetry as done:
            print(done, file=sys.stderr)
            return 0
        if retry.gone:
            print(
                f"not retried (no longer in the project): {', '.join(retry.gone)}",
                file=sys.stderr,
            )
        if args.retry_dry_run:
            print(workspace.plan(set(retry.keys), retry.description).format())
            return 0
        cancel_on_sigterm()
        options = RunOptions(
            selection=retry.selection,
            trigger="cli",
            wait=args.retry_wait,
            json=args.retry_json,
            description=retry.description,
            partitions=retry.partitions,
        )
        return run_selection(workspace, options, started)
    finally:
        workspace.close()
