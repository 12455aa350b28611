"""`lakehouse-tui --materialize SEL` / `--job NAME`: the headless runner.

Exit codes: 0 all succeeded (or nothing to do), 1 a step or blocking check failed, 2 usage or
config error, 3 another run holds the lock, 130 cancelled.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
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


def _stop_after_run_timeout() -> None:
    """With $LAKEHOUSE_TUI_RUN_TIMEOUT (seconds; the launchd agent sets it, as launchd has no
    run-time limit) the run sends itself SIGTERM when it lasts longer: cancelled, like a
    systemd unit stopped by its TimeoutStartSec."""
    from lakehouse_tui.errors import UsageError
    from lakehouse_tui.schedule.job import RUN_TIMEOUT_ENV

    value = os.environ.get(RUN_TIMEOUT_ENV)
    if not value:
        return
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        raise UsageError(f"${RUN_TIMEOUT_ENV}: expected a number of seconds > 0, got {value!r}")
    main = threading.main_thread().ident
    assert main is not None
    # To the main thread itself: its blocking waits (dbt's queue) are interrupted then.
    timer = threading.Timer(seconds, signal.pthread_kill, (main, signal.SIGTERM))
    timer.daemon = True
    timer.start()


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
        _cancel_on_sigterm()
        _stop_after_run_timeout()
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
