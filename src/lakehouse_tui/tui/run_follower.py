"""Following a run started elsewhere (the CLI, the timer, a sensor) from the run store.

The run controller owns one `RunFollower`. When the store shows a run going that is not
ours, the follower puts it in the run panel (unless the panel shows our run), reads its new
events in the poll worker and posts them as typed messages (`RunEventReceived`, external),
and when it ends applies the last events before finishing it. It also reads the dbt log
lines of whichever run the panel shows. The poll worker only reads the store and posts
messages; `after` and `log_seen` are its own cursors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakehouse_tui.tui import data
from lakehouse_tui.tui.messages import RunEventReceived, RunLogLines
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.run_panel import RunPanel

if TYPE_CHECKING:
    from lakehouse_tui.core.store import LogLine, RunRecord
    from lakehouse_tui.tui.app import LakehouseApp
    from lakehouse_tui.tui.run_controller import RunController


class RunFollower:
    def __init__(self, app: LakehouseApp, controller: RunController) -> None:
        self.app = app
        self.controller = controller
        self.run_id: str | None = None  # the run started elsewhere that the panel follows
        self.after = 0  # last store event id the poller read
        self.applied = 0  # last store event id shown (ids only grow, across runs)
        self.log_run_id: str | None = None
        self.log_seen = 0

    @property
    def panel(self) -> RunPanel:
        return self.app.query_one("#run-panel", RunPanel)

    def take(self, message: RunEventReceived) -> bool:
        """True for a store event not shown yet (each is applied once)."""
        if message.row_id <= self.applied:
            return False  # already applied when the run was seen to finish
        self.applied = message.row_id
        return True

    def follow(self, running: RunRecord | None) -> None:
        """A run started elsewhere (CLI, timer): show its progress from the store, unless the
        panel shows our run. A run of ours queued behind it stays a note under it."""
        panel = self.panel
        if running is not None and self.controller.is_ours(running):
            running = None  # the store's running run is ours: nothing runs elsewhere
        if running is not None and running.id != self.run_id:
            if self.controller.own_run_id is not None and self.controller.running:
                return  # the panel shows our run (the lock makes this a brief overlap)
            self.run_id, self.after = running.id, 0
            panel.begin(
                running.selection, external=True, run_id=running.id, started_at=running.started_at
            )
            panel.remove_class("-hidden")
            self.app.notify(f"A {running.trigger} run started: {running.selection}", markup=False)
            self.app.poll_store()
        elif running is None and self.run_id is not None:
            run_id, self.run_id = self.run_id, None
            workspace = self.app.workspace
            if workspace is None or not panel.shows(run_id):
                return
            # The poller may not have delivered the run's last events yet: apply them
            # before finishing, so the panel never shows a run done with assets missing.
            for message in external_events(workspace, run_id, self.applied):
                self.controller.on_event(message)
            run = workspace.store.get_run(run_id)
            if run is not None:
                panel.finish(run.status, run.message or "", run.duration)
            self.app.query_one("#tree", AssetTree).clear_overrides()

    def poll(self) -> None:
        """In the poll worker: new store events of the run followed from elsewhere."""
        workspace, run_id = self.app.workspace, self.run_id
        if workspace is None or run_id is None:
            return
        for message in external_events(workspace, run_id, self.after):
            self.after = max(self.after, message.row_id)
            self.app.post_message(message)

    def poll_logs(self, run_id: str) -> None:
        """In a worker: new dbt log lines of the run the panel shows (`run_id`)."""
        workspace = self.app.workspace
        if workspace is None:
            return
        if run_id != self.log_run_id:
            self.log_run_id, self.log_seen = run_id, 0
        fresh = workspace.store.logs(run_id, after_id=self.log_seen)
        if fresh:
            self.log_seen = fresh[-1].id
            self.app.post_message(RunLogLines(run_id, [log_text(line) for line in fresh]))

    def on_log_lines(self, message: RunLogLines) -> None:
        panel = self.panel
        if panel.shows(message.run_id):
            for line in message.lines:
                panel.log_line(line, "dim")


def external_events(workspace: Any, run_id: str, after: int) -> list[RunEventReceived]:
    return [
        RunEventReceived(event, external=True, row_id=row_id)
        for row_id, event in data.store_events(workspace, run_id, after)
    ]


def log_text(line: LogLine) -> str:
    return f"    {line.asset_key}: {line.message}" if line.asset_key else f"    {line.message}"
