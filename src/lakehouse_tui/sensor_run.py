"""A sensor trigger: settle the raw dir, then the one run path (`headless_run.run_selection`).

Used by the OS sensor's service (`--materialize SEL --skip-unchanged --wait --trigger sensor
--settle`) and by `lakehouse-tui watch`, so a file noticed by systemd, launchd or the watcher
leads to exactly the same run. The service goes round again when files landed while its run
ran (systemd and launchd do not start a unit that is still running, so those changes would
otherwise wait for the next file); `watch` sees them on its next poll instead.
No Textual here.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from lakehouse_tui.core.file_settle import Settled, parquet_only, settle, snapshot

if TYPE_CHECKING:
    from lakehouse_tui.config_sensor import SensorSettings
    from lakehouse_tui.core.workspace import Workspace
    from lakehouse_tui.runservice.headless_run import RunOptions

MAX_ROUNDS = 5  # runs one service start makes while files keep landing during its runs


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def settle_raw_dir(
    workspace: Workspace,
    sensor: SensorSettings,
    *,
    stop: threading.Event | None = None,
    say: Callable[[str], None] = _stderr,
) -> Settled:
    """Wait for the raw dir to settle ([sensor] settle / settle_timeout), saying what it
    waited for when that took noticeably long or a file never completed."""
    raw_dir = workspace.config.lake.raw_dir

    def waiting(names: tuple[str, ...]) -> None:
        say(
            f"sensor: waiting for {_names(names)} to be complete (no parquet footer yet; "
            f"giving up after [sensor] settle_timeout = {sensor.settle_timeout})"
        )

    settled = settle(
        raw_dir,
        quiet=sensor.seconds("settle"),
        timeout=sensor.seconds("settle_timeout"),
        stop=stop,
        on_incomplete=waiting,
    )
    if settled.incomplete:
        say(
            f"sensor: {_names(settled.incomplete)} in {raw_dir} still incomplete (no parquet "
            f"footer) after [sensor] settle_timeout = {sensor.settle_timeout}; running anyway"
        )
    return settled


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def settle_and_run(
    workspace: Workspace,
    options: RunOptions,
    sensor: SensorSettings,
    *,
    rounds: int = MAX_ROUNDS,
    say: Callable[[str], None] = _stderr,
) -> int:
    """Settle, run, and again while the raw files changed during the run (up to `rounds`)."""
    from lakehouse_tui.runservice.headless_run import run_selection

    code = 0
    for _ in range(rounds):
        settled = settle_raw_dir(workspace, sensor, say=say)
        files = len(parquet_only(settled.files))
        say(f"sensor: {workspace.config.lake.raw_dir} settled ({files} parquet files)")
        code = run_selection(workspace, options, time.perf_counter())
        if code != 0:
            return code
        if parquet_only(snapshot(workspace.config.lake.raw_dir)) == parquet_only(settled.files):
            return code
        say("sensor: raw files changed during the run; settling and running again")
    return code
