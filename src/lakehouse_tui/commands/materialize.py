"""`lakehouse-tui --materialize SEL` / `--job NAME`: the headless runner.

Exit codes: 0 all succeeded (or nothing to do), 1 a step or blocking check failed, 2 usage or
config error, 3 another run holds the lock, 130 cancelled.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakehouse_tui.config import Config


def cancel_on_sigterm() -> None:
    """SIGINT and SIGTERM (the TUI's cancel key, systemd stopping the unit) cancel the run,
    recorded as cancelled (exit 130)."""
    from lakehouse_tui.core import cancel

    cancel.install()


def run(args: argparse.Namespace, config: Config) -> int:
    from lakehouse_tui.core.workspace import Workspace
    from lakehouse_tui.headless_run import RunOptions, run_selection

    started = time.perf_counter()
    workspace = Workspace.open(config)
    try:
        if args.dry_run:
            keys, description = workspace.resolve(args.materialize, args.job)
            if args.skip_unchanged:
                keys &= workspace.stale_keys()
            print(workspace.plan(keys, description).format())
            return 0
        cancel_on_sigterm()
        options = RunOptions(
            selection=args.materialize,
            job=args.job,
            trigger=args.trigger,
            skip_unchanged=args.skip_unchanged,
            wait=args.wait,
            json=args.json,
        )
        # The same path as the warm executor's: lock, staleness, plan, executor.
        return run_selection(workspace, options, started)
    finally:
        workspace.close()
