"""`lakehouse-tui --materialize SEL` / `--job NAME`: the headless runner.

Exit codes: 0 all succeeded (or nothing to do), 1 a step or blocking check failed, 2 usage or
config error, 3 another run holds the lock (with --wait: it still did after the wait's bound),
130 cancelled.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakehouse_tui.config import Config
    from lakehouse_tui.core.workspace import Workspace


def cancel_on_sigterm() -> None:
    """SIGINT and SIGTERM (the TUI's cancel key, systemd stopping the unit) cancel the run,
    recorded as cancelled (exit 130)."""
    from lakehouse_tui.core import cancel

    cancel.install()


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


def preview_scope(workspace: Workspace, keys: set[str], args: argparse.Namespace) -> dict[str, Any]:
    """What a run would do with batches, from what is validated now (a dry run writes nothing;
    files not validated yet are named, their batches are found by the run)."""
    from lakehouse_tui.core import partitions
    from lakehouse_tui.core.partition_scope import PartitionRequest, plan_scope

    store, graph = workspace.store, workspace.graph
    if not any(partitions.is_partitioned(graph, k) and graph.assets[k].kind != "raw" for k in keys):
        return {"partitions": None, "partitions_text": ""}
    sources = partitions.raw_partitions(workspace.config.lake.raw_dir, store.raw_file_scans())
    states = store.partition_states()
    held = {
        p for by_key in states.values() for p, s in by_key.items() if s.status == "materialized"
    }
    named = partitions.parse_partition_args(
        args.partition or (), args.partition_range or (), set(sources.by_key) | held
    )
    request = PartitionRequest(keys=tuple(named), full_refresh=args.full_refresh)
    scope = plan_scope(graph, keys, sources, states, request)
    text = scope.describe()
    if scope.batches:
        shown = ", ".join(scope.batches[:10]) + (", ..." if len(scope.batches) > 10 else "")
        text += f" ({shown})"
    if sources.pending:
        text += f"; {len(sources.pending)} new file(s) not validated yet, their batches too"
    return {"partitions": list(scope.batches), "partitions_text": text}


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
            plan = workspace.plan(keys, description)
            scope = preview_scope(workspace, keys, args)
            if args.json:
                document = {"selection": plan.selection, "assets": plan.assets}
                print(json.dumps({**document, "steps": plan.to_list(), **scope}, indent=2))
            else:
                print(plan.format())
                if scope["partitions"] is not None:
                    print(f"  partitions: {scope['partitions_text']}")
            return 0
        cancel_on_sigterm()
        _stop_after_run_timeout()
        options = RunOptions(
            selection=args.materialize,
            job=args.job,
            trigger=args.trigger,
            skip_unchanged=args.skip_unchanged,
            partitions=tuple(args.partition or ()),
            partition_ranges=tuple(args.partition_range or ()),
            full_refresh=args.full_refresh,
            # --max-wait DURATION is --wait with its own bound.
            wait=args.wait or args.max_wait is not None,
            json=args.json,
            max_wait=config.schedule.max_wait_seconds if args.max_wait is None else args.max_wait,
            max_wait_source="--max-wait" if args.max_wait is not None else "[schedule] max_wait",
        )
        if args.settle:  # the OS sensor's service: wait for the raw files, then run
            from lakehouse_tui.sensor_run import settle_and_run

            return settle_and_run(workspace, options, config.sensor)
        # The same path as the warm executor's: lock, staleness, plan, executor.
        return run_selection(workspace, options, started)
    finally:
        workspace.close()
