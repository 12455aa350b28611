"""The TUI's "auto-materialize new batches" toggle: `lakehouse-tui watch`, inside the TUI.

Off by default; `b` (or the palette) turns it on, and the header says so while it is on. A
thread worker stats the raw dir every [sensor] poll_interval (`os.scandir` only, as `watch`
does); when the set of parquet files changed it waits for the dir to settle ([sensor] settle,
and every parquet file complete: `sensor_run.settle_raw_dir`, the same wait as `watch` and the
OS sensor), then asks the app's thread to run [sensor] selection with `--skip-unchanged`,
trigger `sensor`, through `RunController.start`, the path of every TUI run (warm executor or
child; queued with `--wait` while another process holds the warehouse). A burst of files is
one run; files landing while a run goes wait for it to end and make one more run. Only
changes after the toggle count (turning it on does not run what is already there). No
confirmation dialog: turning it on was the consent.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from lakehouse_tui.runservice.child import RunRequest

if TYPE_CHECKING:
    from lakehouse_tui.tui.app import LakehouseApp

TITLE_ON = "lakehouse-tui · auto-materialize on"


class AutoMaterialize:
    def __init__(self, app: LakehouseApp) -> None:
        self.app = app
        self.on = False
        self.pending = False  # files settled; a run starts when ours is not going
        self.stop = threading.Event()
        self.triggers = 0
        self.title_off = app.title

    def toggle(self) -> None:
        if self.app.workspace is None:
            self.app.notify("Still opening the workspace…", severity="warning")
            return
        self.set(not self.on)

    def set(self, on: bool) -> None:
        if on == self.on:
            return
        self.on = on
        sensor = self.app.config.sensor
        if on:
            self.title_off = self.app.title
            self.app.title = TITLE_ON
            self.stop = threading.Event()
            self.app.run_worker(
                self.watch,
                thread=True,
                exclusive=True,
                group="auto-materialize",
                exit_on_error=False,
            )
            self.app.notify(
                f"New batches in {self.app.config.lake.raw_dir} now run {sensor.selection!r} "
                f"(checked every {sensor.poll_interval}). Press b again to stop.",
                title="Auto-materialize on",
                markup=False,
            )
        else:
            self.stop.set()
            self.pending = False
            self.app.title = self.title_off
            self.app.notify("New batches no longer start runs.", title="Auto-materialize off")

    def close(self) -> None:
        """The app is going: end the watching thread."""
        self.stop.set()

    # -- in the worker thread -----------------------------------------------------------

    def watch(self) -> None:
        from lakehouse_tui.core.file_settle import parquet_only, snapshot
        from lakehouse_tui.sensor_run import settle_raw_dir

        app, stop = self.app, self.stop
        workspace = app.workspace
        assert workspace is not None
        sensor, raw_dir = app.config.sensor, app.config.lake.raw_dir
        seen = parquet_only(snapshot(raw_dir))
        while not stop.wait(sensor.seconds("poll_interval")):
            current = parquet_only(snapshot(raw_dir))
            if current != seen:
                new = len(current.keys() - seen.keys())
                what = f"{new} new batch file(s)" if new else "changed batch files"
                self.say(f"{what} in {raw_dir}; waiting for them to be complete")
                settled = settle_raw_dir(workspace, sensor, stop=stop, say=self.say)
                if settled.stopped:
                    return
                seen = parquet_only(settled.files)
                app.call_from_thread(self.landed)
            elif self.pending:
                app.call_from_thread(self.start_if_pending)

    def say(self, line: str) -> None:
        self.app.call_from_thread(
            self.app.notify, line, title="Auto-materialize", timeout=4, markup=False
        )

    # -- on the app's thread ------------------------------------------------------------

    def landed(self) -> None:
        self.pending = True
        self.start_if_pending()

    def start_if_pending(self) -> None:
        """A run of [sensor] selection, unless ours is going (then on a later poll)."""
        app = self.app
        if not (self.on and self.pending) or app.child is not None or app.workspace is None:
            return
        from lakehouse_tui.tui import data

        self.pending = False
        self.triggers += 1
        selection = app.config.sensor.selection
        queued = data.lock_holder(app.workspace, app.clock()) is not None
        app.start_run(
            RunRequest(
                selection=selection,
                label=f"auto-materialize {self.triggers}: {selection}",
                wait=queued,
                trigger="sensor",
                skip_unchanged=True,
            )
        )
