"""`lakehouse-tui watch`: the sensor in the foreground, for containers, tmux and machines
without systemd or launchd.

Every [sensor] poll_interval it stats the raw dir (`os.scandir`: names, sizes, mtimes; no
file is opened, so idle costs next to nothing, and no inotify dependency). When the set of
parquet files changed it settles the dir and runs [sensor] selection through the one run path
(`--skip-unchanged --wait`, trigger `sensor`) on a workspace kept open between triggers, and
prints one line per trigger. dbt is imported and primed before it starts watching, so the
first trigger is as fast as the next. SIGINT and SIGTERM stop it: at once (exit 0) while it
waits, or by cancelling the running run (recorded as cancelled, exit 130).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakehouse_tui.config import Config


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "watch",
        help="materialize [sensor] selection whenever new raw files land (foreground)",
        description="Watch the raw dir in the foreground and, when parquet files land or "
        "change, wait for them to be complete and materialize [sensor] selection (trigger "
        "sensor). Stop with Ctrl-C or SIGTERM.",
    )
    parser.set_defaults(handler=run)


def _say(line: str) -> None:
    print(f"watch: {line}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, config: Config) -> int:
    from lakehouse_tui.core.workspace import Workspace

    stop = threading.Event()
    _stop_on_signals(stop)
    workspace = Workspace.open(config)
    try:
        return _loop(workspace, config, stop)
    finally:
        workspace.close()


def _stop_on_signals(stop: threading.Event) -> None:
    """While waiting, SIGINT and SIGTERM only end the loop (no KeyboardInterrupt)."""

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)


def _loop(workspace: Any, config: Config, stop: threading.Event) -> int:
    from lakehouse_tui.core import cancel
    from lakehouse_tui.core.file_settle import parquet_only, snapshot
    from lakehouse_tui.core.run_events import ExitCode
    from lakehouse_tui.errors import LockedError
    from lakehouse_tui.runservice.headless_run import RunOptions, run_selection
    from lakehouse_tui.sensor_run import settle_raw_dir

    sensor, raw_dir = config.sensor, config.lake.raw_dir
    options = RunOptions(
        selection=sensor.selection,
        trigger="sensor",
        skip_unchanged=True,
        wait=True,
        max_wait=config.schedule.max_wait_seconds,
        max_wait_source="[schedule] max_wait",
    )
    poll = sensor.seconds("poll_interval")
    _warm_up(workspace)
    _say(
        f"watching {raw_dir} every {sensor.poll_interval} for new parquet files; runs "
        f"{sensor.selection!r} (Ctrl-C to stop)"
    )
    seen = parquet_only(snapshot(raw_dir))
    triggers = 0
    # A change while watch was not running is a change too: the first round runs at once.
    pending = bool(seen) and bool(workspace.stale_keys() & _selected(workspace, sensor.selection))
    while not stop.is_set():
        if not pending:
            if stop.wait(poll):
                break
            current = parquet_only(snapshot(raw_dir))
            if current == seen:
                continue
            _say(f"{_change(seen, current)} in {raw_dir}; waiting for it to settle")
        pending = False
        settled = settle_raw_dir(workspace, sensor, stop=stop, say=_say)
        if settled.stopped:
            break
        seen = parquet_only(settled.files)
        triggers += 1
        _say(f"trigger {triggers}: materializing {sensor.selection!r}")
        cancel.install()  # SIGINT/SIGTERM now cancel the run (recorded as cancelled)
        try:
            code = run_selection(workspace, options, time.perf_counter())
        except KeyboardInterrupt:
            code = ExitCode.CANCELLED
        except LockedError as err:  # gave up waiting behind another run: keep watching
            _say(f"trigger {triggers}: {err}")
            code = ExitCode.LOCKED
        finally:
            _stop_on_signals(stop)
        last = workspace.store.last_run(trigger="sensor")
        result = f"run {last.id} {last.status}" if last else "no run recorded"
        _say(f"trigger {triggers}: {result} (exit {code})")
        if code == ExitCode.CANCELLED or cancel.requested():
            return ExitCode.CANCELLED
    _say(f"stopped after {triggers} trigger(s)")
    return 0


def _warm_up(workspace: Any) -> None:
    """Import dbt and prime it now (as the warm executor does), so the first trigger's run
    does not pay seconds of imports and set-up after its file landed."""
    import dbt.adapters.duckdb
    import dbt.cli.main  # noqa: F401

    from lakehouse_tui.runservice.warm import WarmExecutor

    WarmExecutor.prime_dbt(workspace)


def _selected(workspace: Any, selection: str) -> set[str]:
    keys, _ = workspace.resolve(selection, None)
    return set(keys)


def _change(before: dict[str, Any], after: dict[str, Any]) -> str:
    new = len(after.keys() - before.keys())
    gone = len(before.keys() - after.keys())
    changed = sum(1 for name in after.keys() & before.keys() if after[name] != before[name])
    parts = [f"{n} {word}" for n, word in ((new, "new"), (changed, "changed"), (gone, "removed"))
             if n]  # fmt: skip
    return ", ".join(parts) + " parquet file(s)"
