"""Our run: starting, queueing and cancelling it, and what the run panel and the tree show.

The app owns one `RunController`. It starts our run (the warm executor, or a one-shot child
process), asks before running when another process holds the warehouse (queue behind it with
`--wait`, or not at all), and routes every event by run id so the panel never shows two runs
as one; runs started elsewhere are its `RunFollower`'s (run_follower.py). Workers run with
`exit_on_error=False`; their results come back as typed messages, which the app hands here.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from lakehouse_tui.core.run_events import ExitCode, RunEvent
from lakehouse_tui.core.run_progress import FINAL_ASSET_EVENTS
from lakehouse_tui.runservice.child import ChildRun, RunRequest
from lakehouse_tui.tui import data, run_offers
from lakehouse_tui.tui.messages import RunEventReceived, RunExited
from lakehouse_tui.tui.run_follower import RunFollower
from lakehouse_tui.tui.screens.message_box import MessageBox
from lakehouse_tui.tui.screens.run_blocked import RunBlocked
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.run_panel import RunPanel

if TYPE_CHECKING:
    from lakehouse_tui.core.store import RunRecord
    from lakehouse_tui.runservice.warm_client import WarmClient, WarmRun
    from lakehouse_tui.tui.app import LakehouseApp

LIVE_STATUS = {
    "asset_started": "running",
    "asset_materialized": "materialized",
    "asset_failed": "failed",
}


class RunController:
    def __init__(self, app: LakehouseApp) -> None:
        self.app = app
        self.child: ChildRun | WarmRun | None = None
        self.own_run_id: str | None = None
        self.cancel_sent = False  # c was pressed for our run: however it ends, it was cancelled
        self.follower = RunFollower(app, self)

    @property
    def panel(self) -> RunPanel:
        return self.app.query_one("#run-panel", RunPanel)

    @property
    def tree(self) -> AssetTree:
        return self.app.query_one("#tree", AssetTree)

    @property
    def running(self) -> bool:
        return self.child is not None and self.child.running

    # -- starting -----------------------------------------------------------------------

    def start(self, request: RunRequest) -> None:
        """Start our run, or ask first when another process holds the warehouse."""
        workspace = self.app.workspace
        if self.child is not None or workspace is None:
            return
        holder = data.lock_holder(workspace, self.app.clock())
        if holder is not None and not request.wait:
            self.offer_queue(request, holder)
            return
        child = ChildRun(request, self.app.config.path) if request.wait else self.new_run(request)
        self.child, self.own_run_id, self.cancel_sent = child, None, False
        self.app.quit_armed = False
        panel = self.panel
        if not (holder and self.follower.run_id is not None and panel.shows(self.follower.run_id)):
            panel.begin(request.description)  # else: under the other run's progress
        if holder:  # still held: ours waits (the lock may also be free again by now)
            panel.set_queued(holder)
        panel.remove_class("-hidden")
        self.app.refresh_bindings()
        self.app.run_worker(
            partial(self.follow, child),
            thread=True,
            exclusive=True,
            group="run",
            exit_on_error=False,
        )

    def is_ours(self, run: RunRecord) -> bool:
        """Our run as the store shows it, also before its run_started event reached us."""
        process = self.child.process if self.child is not None else None
        return run.id == self.own_run_id or (process is not None and run.pid == process.pid)

    def offer_queue(self, request: RunRequest, holder: str) -> None:
        """The visible question: queue behind the other run, or do not run."""

        def answered(queue: bool | None) -> None:
            if queue:
                self.start(replace(request, wait=True))
            else:
                self.app.notify(
                    f"Not started: {request.description} (the warehouse is busy).",
                    severity="warning",
                    markup=False,
                )

        self.app.push_screen(RunBlocked(request.description, holder), answered)

    def start_warm(self) -> WarmClient:
        """The warm executor, started in the background (its own thread reports readiness)."""
        from lakehouse_tui.runservice.warm_client import WarmClient

        warm = WarmClient(self.app.config.path, on_problem=self.warm_problem)
        warm.start()
        return warm

    def warm_problem(self, text: str) -> None:
        """From the warm executor's reader thread: it crashed or could not start."""
        self.app.call_from_thread(
            self.app.notify,
            text[:300],
            title="Warm executor",
            severity="warning",
            timeout=8,
            markup=False,
        )

    def new_run(self, request: RunRequest) -> ChildRun | WarmRun:
        """The warm executor's run when it is ready, else a one-shot child process."""
        warm = self.app.warm
        if warm is None:
            return ChildRun(request, self.app.config.path)
        warm_run = warm.new_run(request)
        if warm_run is not None:
            return warm_run
        reason = warm.last_error or "it is still starting"
        self.app.notify(
            f"The warm executor is not ready ({reason}); this run starts a fresh process.",
            title="Warm executor",
            timeout=5,
            markup=False,
        )
        warm.ensure_started()
        return ChildRun(request, self.app.config.path)

    def follow(self, child: ChildRun | WarmRun) -> None:
        """In a thread worker: the child's events, then its exit."""
        post = self.app.post_message
        try:
            child.start()
        except OSError as err:
            post(RunExited(child.request, ExitCode.USAGE, f"cannot start the runner: {err}"))
            return
        for event in child.events():
            post(RunEventReceived(event))
        code = child.wait()
        post(RunExited(child.request, code, child.error_line(), list(child.stderr_lines)))

    def cancel(self) -> None:
        panel = self.panel
        if self.child is not None and self.child.cancel():
            self.cancel_sent = True
            queued = self.own_run_id is None and self.child.request.wait
            if panel.shows(self.own_run_id) or not panel.external:
                panel.cancelling = True
                panel.log_line("cancelling (SIGTERM sent)…", "magenta")
                panel.tick()
            self.app.notify(
                "Cancelling the queued run…" if queued else "Cancelling the run…",
                severity="warning",
            )
        elif self.follower.run_id is not None:
            self.app.notify("That run was started outside this window; cancel it where it runs.")
        else:
            self.app.notify("No run is going.")

    def close(self) -> None:
        """The app is going: cancel our run (queued or running) and wait for it a little."""
        child = self.child
        if child is not None and child.cancel() and child.process is not None:
            try:
                child.process.wait(timeout=10)
            except Exception:
                child.process.kill()

    # -- events -------------------------------------------------------------------------

    def on_event(self, message: RunEventReceived) -> None:
        event = message.event
        run_id = event.run_id or None
        panel = self.panel
        if message.external:
            if not self.follower.take(message) or not (panel.external and panel.shows(run_id)):
                return  # already applied, or the panel shows another run (ours)
        elif event.event == "run_started":
            self.own_run_id = str(run_id)
            if self.follower.run_id is not None and panel.shows(self.follower.run_id):
                self.tree.clear_overrides()  # the run we waited for is over
            request = self.child.request if self.child is not None else None
            panel.begin(request.description if request else str(event.message), run_id=str(run_id))
        elif run_id is not None and run_id != self.own_run_id:
            return
        cancelled = panel.progress.is_cancel(event)
        panel.feed(event)
        self.show_live_status(event, cancelled)
        if event.event == "run_started":  # planned, not started: queued, not running
            for key in panel.progress.queued:
                self.tree.set_override(key, "queued")

    def show_live_status(self, event: RunEvent, cancelled: bool) -> None:
        """The tree shows a live status at once; the poller reloads ages and details."""
        tree = self.tree
        asset, kind = event.asset, event.event
        if not asset:
            return
        if kind == "asset_progress":  # e.g. an Airbyte job's counters
            records = event.data.get("records")
            tree.set_note(asset, f"{fmt_records(records)} rec" if records else str(event.status))
            return
        if kind in FINAL_ASSET_EVENTS:
            tree.set_note(str(asset), None)
        if cancelled or kind == "asset_skipped":
            tree.set_override(str(asset), None)  # a cancelled asset is stale, never ✗
        elif kind in LIVE_STATUS:
            tree.set_override(str(asset), LIVE_STATUS[kind])

    def on_exit(self, message: RunExited) -> None:
        app, panel = self.app, self.panel
        own_run_id, self.child = self.own_run_id, None
        app.refresh_bindings()
        ours_shown = not panel.external
        if not ours_shown:
            panel.set_queued("")
        if message.code == ExitCode.LOCKED:  # the lock was taken between our look and the start
            if ours_shown:
                panel.add_class("-hidden")
                panel.finish("not started", message.error)
            workspace = app.workspace
            holder = data.lock_holder(workspace, app.clock()) if workspace else None
            self.offer_queue(message.request, holder or "another run, which has just finished")
            return
        if message.code == ExitCode.USAGE:
            if ours_shown:
                panel.finish("not started", message.error)
            app.push_screen(
                MessageBox("The run did not start", message.error or f"exit code {message.code}")
            )
        elif ours_shown and panel.running:  # the child ended without a run_finished event
            cancelled = message.code == ExitCode.CANCELLED or self.cancel_sent
            status = "cancelled" if cancelled else "failed"
            before = "" if own_run_id else "it was cancelled before it started"
            panel.finish(status, message.error if status == "failed" else before)
        self.notify_outcome(message, self.cancel_sent)
        if ours_shown:
            self.tree.clear_overrides()
        app.load_state()

    def notify_outcome(self, message: RunExited, cancel_sent: bool) -> None:
        app = self.app
        if message.code == ExitCode.OK:
            app.notify(
                f"Materialized {message.request.description}.", title="Run succeeded", markup=False
            )
            run_offers.offer_downstream_of_sync(app, message.request)
        elif message.code == ExitCode.CANCELLED or cancel_sent:
            app.notify("The run was cancelled.", title="Run cancelled", severity="warning")
        elif message.code not in (ExitCode.USAGE, ExitCode.LOCKED):
            error = message.error if len(message.error) <= 200 else message.error[:199] + "…"
            app.notify(
                error or "see the run panel and the Logs tab",
                title="Run failed",
                severity="error",
                timeout=8,
                markup=False,
            )


def fmt_records(count: int) -> str:
    """A compact count for a tree node: 950, 12k, 3.4M."""
    if count < 1000:
        return str(count)
    if count < 1_000_000:
        return f"{count / 1000:.0f}k" if count >= 10_000 else f"{count / 1000:.1f}k"
    return f"{count / 1_000_000:.1f}M"
