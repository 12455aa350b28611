"""The Textual app: lineage tree on the left, asset detail in tabs on the right, a run panel.

Long work (opening the workspace, reading the store, previews, runs) happens in thread workers
that talk to the UI only through messages. Runs are child processes of the headless runner.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Header, Input, Static, TabbedContent, Tree
from textual.worker import Worker, WorkerState

from lakehouse_tui.config import Config
from lakehouse_tui.tui import data
from lakehouse_tui.tui.commands import LakehouseCommands
from lakehouse_tui.tui.keys import APP_BINDINGS, FILTER_BINDINGS, TAB_BINDINGS, unknown_ids
from lakehouse_tui.tui.messages import (
    DetailsLoaded,
    PreviewLoaded,
    RunEventReceived,
    RunExited,
    RunLogLines,
    SampleDataGenerated,
    StateLoaded,
    WorkspaceFailed,
    WorkspaceOpened,
)
from lakehouse_tui.tui.runner import (
    EXIT_CANCELLED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_USAGE,
    ChildRun,
    RunRequest,
    WarmClient,
    WarmRun,
)
from lakehouse_tui.tui.screens.confirm_run import ConfirmRun
from lakehouse_tui.tui.screens.generate_data import GenerateData
from lakehouse_tui.tui.screens.help import HelpScreen
from lakehouse_tui.tui.screens.message_box import MessageBox
from lakehouse_tui.tui.screens.runs import RunsScreen
from lakehouse_tui.tui.screens.schedule import ScheduleScreen
from lakehouse_tui.tui.widgets.asset_detail import AssetDetail
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.footer import AppFooter
from lakehouse_tui.tui.widgets.run_panel import RunPanel

if TYPE_CHECKING:
    from lakehouse_tui.core.store import LogLine
    from lakehouse_tui.core.workspace import Workspace

LIVE_STATUS = {
    "asset_started": "running",
    "asset_materialized": "materialized",
    "asset_failed": "failed",
}


class FilterInput(Input):
    """The `/` filter above the tree; escape clears it and hides it again."""

    BINDINGS: ClassVar[list[BindingType]] = list(FILTER_BINDINGS)

    async def action_clear_filter(self) -> None:
        self.value = ""
        await self.app.run_action("close_filter")


class LakehouseApp(App[int]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so subclasses elsewhere work
    TITLE = "lakehouse-tui"
    BINDINGS: ClassVar[list[BindingType]] = [*APP_BINDINGS, *TAB_BINDINGS]
    COMMANDS = App.COMMANDS | {LakehouseCommands}
    NARROW = 120

    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], float] | None = None,
        poll_interval: float = 2.0,
        offer_sample_data: bool = True,
        warm_runs: bool = True,
    ) -> None:
        super().__init__()
        self.config = config
        self.clock: Callable[[], float] = clock or time.time
        self.poll_interval = poll_interval
        self.offer_sample_data = offer_sample_data
        self.workspace: Workspace | None = None
        self.state: data.LakeState | None = None
        self.selected_key: str | None = None
        self.child: ChildRun | WarmRun | None = None
        self.warm_runs = warm_runs  # runs go to a warm executor process kept alive
        self.warm: WarmClient | None = None
        self.own_run_id: str | None = None
        self.external_run_id: str | None = None
        self.external_after = 0  # last store event id the poller read
        self.external_applied = 0  # last store event id shown (ids only grow, across runs)
        self.log_run_id: str | None = None
        self.log_seen = 0
        self.quit_armed = False
        self.exit_code = 0

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≋")
        with Horizontal(id="main"):
            with Vertical(id="tree-pane"):
                yield FilterInput(placeholder="filter assets…", id="filter")
                yield AssetTree(clock=self.clock, id="tree")
            yield AssetDetail(clock=self.clock, id="detail")
        yield RunPanel(clock=self.clock, id="run-panel", classes="-hidden")
        yield AppFooter(compact=True)

    def on_mount(self) -> None:
        self.sub_title = str(self.config.path) if self.config.path else "default config"
        self.query_one("#tree-pane").border_title = "Lineage"
        self.query_one("#run-panel").border_title = "Run"
        if self.config.keymap:
            self.set_keymap(dict(self.config.keymap))
            unknown = unknown_ids(self.config.keymap)
            if unknown:
                self.notify(
                    f"[keymap] has unknown binding ids: {', '.join(unknown)}; see ? for the ids",
                    severity="warning",
                    timeout=10,
                )
        self.query_one("#tree", AssetTree).loading = True
        self.open_workspace()

    def on_resize(self) -> None:
        narrow = self.size.width < self.NARROW
        self.set_class(narrow, "-narrow")
        self.query_one("#detail", AssetDetail).set_narrow(narrow)

    # -- workers ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="workspace")
    def open_workspace(self) -> None:
        from lakehouse_tui.core.workspace import Workspace
        from lakehouse_tui.errors import LakehouseError

        try:
            if not data.manifest_is_current(self.config):
                # Parsing imports dbt: do it in a child process, never in the UI's process.
                self.call_from_thread(self.show_loading, "Parsing the dbt project (first start)…")
                error = data.parse_in_child(self.config)
                if error:
                    self.post_message(WorkspaceFailed(error))
                    return
            workspace = Workspace.open(self.config)
        except LakehouseError as err:
            self.post_message(WorkspaceFailed(str(err)))
            return
        self.post_message(WorkspaceOpened(workspace))
        self.post_message(StateLoaded(data.load_state(workspace)))

    @work(thread=True, exclusive=True, group="state")
    def load_state(self) -> None:
        if self.workspace is not None:
            self.post_message(StateLoaded(data.load_state(self.workspace)))

    @work(thread=True, exclusive=True, group="poll")
    def poll_store(self) -> None:
        """Cheap check every few seconds: reload when anything changed; follow outside runs."""
        workspace = self.workspace
        if workspace is None:
            return
        if self.state is None or data.signature(workspace) != self.state.signature:
            self.post_message(StateLoaded(data.load_state(workspace)))
        run_id = self.external_run_id
        if run_id is not None:
            for message in external_events(workspace, run_id, self.external_after):
                self.external_after = max(self.external_after, message.row_id)
                self.post_message(message)

    @work(thread=True, exclusive=True, group="run-logs")
    def poll_run_logs(self) -> None:
        """New dbt log lines of the run the panel follows (ours or one started elsewhere)."""
        workspace, run_id = self.workspace, self.own_run_id or self.external_run_id
        if workspace is None or run_id is None:
            return
        if run_id != self.log_run_id:
            self.log_run_id, self.log_seen = run_id, 0
        fresh = workspace.store.logs(run_id, after_id=self.log_seen)
        if fresh:
            self.log_seen = fresh[-1].id
            self.post_message(RunLogLines(run_id, [_log_text(line) for line in fresh]))

    @work(thread=True, exclusive=True, group="details")
    def load_details(self, key: str) -> None:
        if self.workspace is not None:
            self.post_message(DetailsLoaded(data.load_details(self.workspace, key)))

    @work(thread=True, exclusive=True, group="preview")
    def load_postgres_preview(self, key: str, table: str) -> None:
        self.post_message(
            PreviewLoaded(data.load_postgres_preview(self.config.postgres, key, table))
        )

    @work(thread=True, exclusive=True, group="preview")
    def load_preview(self, key: str, relation: str) -> None:
        self.post_message(
            PreviewLoaded(data.load_preview(self.config.lake.warehouse, key, relation))
        )

    @work(thread=True, exclusive=True, group="run")
    def follow_run(self, child: ChildRun | WarmRun) -> None:
        try:
            child.start()
        except OSError as err:
            self.post_message(
                RunExited(child.request, EXIT_USAGE, f"cannot start the runner: {err}")
            )
            return
        for event in child.events():
            self.post_message(RunEventReceived(event))
        code = child.wait()
        self.post_message(
            RunExited(child.request, code, child.error_line(), list(child.stderr_lines))
        )

    @work(thread=True, exclusive=True, group="sample-data")
    def generate_sample_data(self, force: bool) -> None:
        from lakehouse_tui import demo
        from lakehouse_tui.errors import LakehouseError

        try:
            result = demo.generate(self.config.lake.raw_dir, force=force)
        except LakehouseError as err:
            self.post_message(SampleDataGenerated(0, 0, str(err)))
            return
        self.post_message(SampleDataGenerated(len(result.files), result.rows))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.push_screen(MessageBox("Something went wrong", f"{type(error).__name__}: {error}"))

    # -- messages from workers ----------------------------------------------------------

    def show_loading(self, text: str) -> None:
        self.query_one("#detail-title", Static).update(text)

    def on_workspace_opened(self, message: WorkspaceOpened) -> None:
        self.workspace = message.workspace
        tree = self.query_one("#tree", AssetTree)
        tree.loading = False
        tree.set_graph(message.workspace.graph)
        tree.focus()
        for problem in getattr(message.workspace, "problems", []):
            self.notify(problem, title="Airbyte", severity="warning", timeout=10)
        self.set_interval(self.poll_interval, self.poll_store, name="poll-store")
        self.set_interval(min(self.poll_interval, 0.5), self.poll_logs_if_running, name="poll-logs")
        self.set_interval(30, self.refresh_ages, name="ages")
        if self.warm_runs and self.warm is None:
            self.warm = WarmClient(self.config.path, on_problem=self.warm_problem)
            self.warm.start()  # in the background: readiness is reported by its own thread

    def on_workspace_failed(self, message: WorkspaceFailed) -> None:
        self.query_one("#tree", AssetTree).loading = False
        self.push_screen(MessageBox("Cannot open the workspace", message.error))

    def on_state_loaded(self, message: StateLoaded) -> None:
        first = self.state is None
        changed = self.state is None or self.state.signature != message.state.signature
        self.state = message.state
        tree = self.query_one("#tree", AssetTree)
        tree.set_statuses(message.state.statuses)
        self.follow_external(message.state.running)
        if changed and self.selected_key is not None:
            self.load_details(self.selected_key)
        if first and message.state.raw_files == 0 and self.offer_sample_data:
            self.push_screen(GenerateData(self.config.lake.raw_dir), self.sample_data_answered)

    def follow_external(self, running: Any) -> None:
        """A run started elsewhere (CLI, timer): show its progress from the store."""
        panel = self.query_one("#run-panel", RunPanel)
        ours = self.child is not None and self.child.running
        if running is not None and not ours and running.id != self.own_run_id:
            if running.id != self.external_run_id:
                self.external_run_id, self.external_after = running.id, 0
                panel.begin(running.selection, external=True)
                panel.remove_class("-hidden")
                self.notify(f"A {running.trigger} run started: {running.selection}")
                self.poll_store()
        elif running is None and self.external_run_id is not None:
            run_id = self.external_run_id
            if self.workspace is not None:
                # The poller may not have delivered the run's last events yet: apply them
                # before finishing, so the panel never shows a run done with assets missing.
                for message in external_events(self.workspace, run_id, self.external_applied):
                    self.on_run_event_received(message)
                run = self.workspace.store.get_run(run_id)
                if run is not None:
                    panel.finish(run.status, run.message or "", run.duration)
            self.external_run_id = None
            self.query_one("#tree", AssetTree).clear_overrides()

    def refresh_ages(self) -> None:
        """Relative times ("3m", "5m ago") keep counting between store reloads."""
        self.query_one("#tree", AssetTree).refresh_labels()
        self.query_one("#detail", AssetDetail).refresh_ages()

    def poll_logs_if_running(self) -> None:
        if self.query_one("#run-panel", RunPanel).running:
            self.poll_run_logs()

    def on_run_log_lines(self, message: RunLogLines) -> None:
        panel = self.query_one("#run-panel", RunPanel)
        if message.run_id in (self.own_run_id, self.external_run_id):
            for line in message.lines:
                panel.log_line(line, "dim")

    def on_details_loaded(self, message: DetailsLoaded) -> None:
        if message.details.key != self.selected_key:
            return
        tree = self.query_one("#tree", AssetTree)
        status = self.state.statuses.get(message.details.key) if self.state else None
        detail = self.query_one("#detail", AssetDetail)
        detail.show(message.details, status, tree.status_of(message.details.key))
        if detail.active_tab == "preview":
            self.start_preview()

    def on_preview_loaded(self, message: PreviewLoaded) -> None:
        if message.preview.key == self.selected_key:
            self.query_one("#detail", AssetDetail).show_preview(message.preview)

    def on_run_event_received(self, message: RunEventReceived) -> None:
        if message.external:
            if message.row_id <= self.external_applied:
                return  # already applied when the run was seen to finish
            self.external_applied = message.row_id
        event = message.event
        if event.get("event") == "run_started" and not message.external:
            self.own_run_id = str(event.get("run_id"))
        tree = self.query_one("#tree", AssetTree)
        asset = event.get("asset")
        kind = str(event.get("event"))
        if asset and kind == "asset_progress":  # e.g. an Airbyte job's counters
            records = (event.get("data") or {}).get("records")
            note = f"{fmt_records(records)} rec" if records else str(event.get("status"))
            tree.set_note(str(asset), note)
        elif asset and kind in ("asset_materialized", "asset_failed", "asset_skipped"):
            tree.set_note(str(asset), None)
        if asset and kind in LIVE_STATUS:
            tree.set_override(str(asset), LIVE_STATUS[kind])
        elif asset and kind == "asset_skipped":
            tree.set_override(str(asset), None)
        # The tree shows the live status at once; the poller reloads ages and details.
        self.query_one("#run-panel", RunPanel).feed(event)

    def on_run_exited(self, message: RunExited) -> None:
        panel = self.query_one("#run-panel", RunPanel)
        self.child = None
        self.refresh_bindings()
        if message.code in (EXIT_USAGE, EXIT_LOCKED):
            panel.finish("not started", message.error)
            title = (
                "Another run is going" if message.code == EXIT_LOCKED else "The run did not start"
            )
            self.push_screen(MessageBox(title, message.error or f"exit code {message.code}"))
        elif panel.running:  # the child died without a run_finished event
            status = "cancelled" if message.code == EXIT_CANCELLED else "failed"
            panel.finish(status, message.error)
        if message.code == EXIT_OK:
            self.notify(f"Materialized {message.request.description}.", title="Run succeeded")
            self.offer_downstream_of_sync(message.request)
        elif message.code == EXIT_CANCELLED:
            self.notify("The run was cancelled.", title="Run cancelled", severity="warning")
        elif message.code not in (EXIT_USAGE, EXIT_LOCKED):
            error = message.error if len(message.error) <= 200 else message.error[:199] + "…"
            self.notify(
                error or "see the run panel and the Logs tab",
                title="Run failed",
                severity="error",
                timeout=8,
            )
        self.query_one("#tree", AssetTree).clear_overrides()
        self.load_state()

    def on_sample_data_generated(self, message: SampleDataGenerated) -> None:
        if message.error:
            self.push_screen(MessageBox("Could not generate sample data", message.error))
            return
        self.notify(
            f"Wrote {message.files} batch files ({message.rows:,} rows). "
            "Press a to materialize everything.",
            title="Sample data",
        )
        self.load_state()

    def sample_data_answered(self, yes: bool | None) -> None:
        if yes:
            self.generate_sample_data(force=bool(self.state and self.state.raw_files))

    # -- tree, filter and tabs ----------------------------------------------------------

    @on(Tree.NodeHighlighted, "#tree")
    def node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        self.select_key(event.node.data)

    def select_key(self, key: str | None) -> None:
        if key is None or key == self.selected_key:
            return
        self.selected_key = key
        self.query_one("#tree", AssetTree).mark_related(key)
        self.load_details(key)

    def sync_selection(self) -> None:
        """After the tree was rebuilt (filter), the detail follows the tree's cursor."""
        node = self.query_one("#tree", AssetTree).cursor_node
        if node is not None:
            self.select_key(node.data)

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.query_one("#tree", AssetTree).set_filter(event.value.strip())
        self.call_after_refresh(self.sync_selection)

    @on(Input.Submitted, "#filter")
    def filter_submitted(self) -> None:
        self.query_one("#tree", AssetTree).focus()

    @on(TabbedContent.TabActivated, "#detail-tabs")
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "preview":
            self.start_preview()

    def start_preview(self) -> None:
        key = self.selected_key
        if self.workspace is None or key is None:
            return
        asset = self.workspace.graph.assets.get(key)
        detail = self.query_one("#detail", AssetDetail)
        if asset is None or not asset.relation:
            detail.show_preview_message("No table to preview: select a dbt model.")
            return
        if asset.kind == "postgres":
            pg = self.config.postgres
            detail.show_preview_message(f"Loading the first rows from {pg.location()}…")
            self.load_postgres_preview(key, asset.relation.split(".")[-1])
            return
        detail.show_preview_message(f"Loading the first rows of {asset.relation}…")
        self.load_preview(key, asset.relation)

    def action_filter(self) -> None:
        self.query_one("#tree-pane").add_class("-filtering")
        self.query_one("#filter", Input).focus()

    def action_close_filter(self) -> None:
        self.query_one("#tree-pane").remove_class("-filtering")
        self.query_one("#tree", AssetTree).focus()

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#detail", AssetDetail).show_tab(tab)

    # -- materializing ------------------------------------------------------------------

    MAIN_SCREEN_ONLY = frozenset(
        {
            "filter",
            "materialize_selected",
            "materialize_upstream",
            "materialize_downstream",
            "materialize_all",
            "materialize_stale",
            "show_runs",
            "show_schedule",
            "sync",
            "show_tab",
            "toggle_run_panel",
        }
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_run":
            return self.child is not None
        if isinstance(self.screen, ModalScreen) and action not in ("quit", "cancel_run"):
            return False  # a dialog is open: its own keys only
        return not (action in self.MAIN_SCREEN_ONLY and isinstance(self.screen, RunsScreen))

    def _selected_or_warn(self) -> str | None:
        if self.selected_key is None:
            self.notify("Select an asset in the tree first.", severity="warning")
        return self.selected_key

    def action_materialize_selected(self) -> None:
        if key := self._selected_or_warn():
            self.request_run(selection=key)

    def action_materialize_upstream(self) -> None:
        if key := self._selected_or_warn():
            self.request_run(selection=f"+{key}")

    def action_materialize_downstream(self) -> None:
        if key := self._selected_or_warn():
            self.request_run(selection=f"{key}+")

    def action_materialize_all(self) -> None:
        self.request_run(selection="*")

    def action_materialize_stale(self) -> None:
        self.request_run(selection="stale")

    def request_run(
        self, selection: str | None = None, job: str | None = None, label: str = ""
    ) -> None:
        """Show the plan and ask; on yes start the headless runner as a child process."""
        from lakehouse_tui.errors import LakehouseError

        if self.workspace is None:
            self.notify("Still opening the workspace…", severity="warning")
            return
        if self.child is not None:
            self.notify("A run is already going; press c to cancel it.", severity="warning")
            return
        request = RunRequest(selection=selection, job=job, label=label)
        try:
            keys, description = self.workspace.resolve(selection, job)
            plan = self.workspace.plan(keys, description)
        except LakehouseError as err:
            self.push_screen(MessageBox("Cannot materialize that", str(err)))
            return
        title = f"Materialize {label or request.description}?"
        runnable = bool(plan.steps)

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_run(request)

        self.push_screen(ConfirmRun(title, plan.format(), runnable=runnable), answered)

    def start_run(self, request: RunRequest) -> None:
        if self.child is not None:
            return
        self.child = self.new_run(request)
        self.own_run_id = None
        self.quit_armed = False
        panel = self.query_one("#run-panel", RunPanel)
        panel.begin(request.description)
        panel.remove_class("-hidden")
        self.refresh_bindings()
        self.follow_run(self.child)

    def new_run(self, request: RunRequest) -> ChildRun | WarmRun:
        """The warm executor's run when it is ready, else a one-shot child process."""
        if self.warm is None:
            return ChildRun(request, self.config.path)
        warm_run = self.warm.new_run(request)
        if warm_run is not None:
            return warm_run
        reason = self.warm.last_error or "it is still starting"
        self.notify(
            f"The warm executor is not ready ({reason}); this run starts a fresh process.",
            title="Warm executor",
            timeout=5,
        )
        self.warm.ensure_started()
        return ChildRun(request, self.config.path)

    def warm_problem(self, text: str) -> None:
        """From the warm executor's reader thread: it crashed or could not start."""
        self.call_from_thread(
            self.notify, text[:300], title="Warm executor", severity="warning", timeout=8
        )

    def action_cancel_run(self) -> None:
        if self.child is not None and self.child.cancel():
            self.query_one("#run-panel", RunPanel).log_line("cancelling (SIGTERM sent)…", "magenta")
            self.notify("Cancelling the run…", severity="warning")
        elif self.external_run_id is not None:
            self.notify("That run was started outside this window; cancel it where it runs.")
        else:
            self.notify("No run is going.")

    def rerun(self, selection: str, label: str) -> None:
        self.request_run(selection=selection, label=label)

    # -- other actions ------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit; with a run going, the first q warns that quitting cancels it."""
        if self.child is not None and self.child.running and not self.quit_armed:
            self.quit_armed = True
            self.notify(
                "A run is going: press q again to cancel it and quit.",
                severity="warning",
                timeout=5,
            )
            return
        self.exit(self.exit_code)

    def action_show_runs(self) -> None:
        if self.workspace is None:
            self.notify("Still opening the workspace…", severity="warning")
            return
        self.push_screen(RunsScreen(self.workspace, clock=self.clock, on_rerun=self.rerun))

    def action_show_schedule(self) -> None:
        self.push_screen(ScheduleScreen(self.config.path))

    def action_sync(self) -> None:
        """Sync the selected Airbyte connection, or all of them."""
        if self.workspace is None:
            self.notify("Still opening the workspace…", severity="warning")
            return
        assets = self.workspace.graph.assets
        key = self.selected_key
        if key in assets and assets[key].kind == "airbyte":
            self.request_run(selection=key, label=f"sync {key}")
        elif any(a.kind == "airbyte" for a in assets.values()):
            self.request_run(selection="kind:airbyte", label="sync every Airbyte connection")
        else:
            self.notify(
                "No Airbyte connections: add [[airbyte.connections]] to the config.",
                severity="warning",
            )

    def offer_downstream_of_sync(self, request: RunRequest) -> None:
        """After a successful sync, offer (or start) the run of what the synced data feeds."""
        from lakehouse_tui.errors import LakehouseError

        if self.workspace is None or request.selection is None:
            return
        graph = self.workspace.graph
        try:
            keys, _ = self.workspace.resolve(request.selection, request.job)
        except LakehouseError:
            return
        synced = sorted(k for k in keys if graph.assets[k].kind == "airbyte")
        downstream = set().union(*(graph.downstream(k) for k in synced)) - keys if synced else set()
        policy = self.config.airbyte.after_sync
        if not downstream or policy == "nothing":
            return
        selection = "(" + " or ".join(f"{k}+" for k in synced) + ") and not kind:airbyte"
        label = f"what {', '.join(synced)} feeds"
        if policy == "materialize":
            self.start_run(RunRequest(selection=selection, label=label))
        else:
            self.request_run(selection=selection, label=label)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.config.keymap))

    def action_refresh(self) -> None:
        self.load_state()
        if self.selected_key:
            self.load_details(self.selected_key)

    def action_toggle_run_panel(self) -> None:
        self.query_one("#run-panel", RunPanel).toggle_class("-hidden")

    def action_generate_data(self) -> None:
        empty = not (self.state and self.state.raw_files)
        self.push_screen(
            GenerateData(self.config.lake.raw_dir, empty=empty), self.sample_data_answered
        )

    def on_unmount(self) -> None:
        if self.warm is not None:
            self.warm.close()  # first, so that it starts no replacement; cancels its run
        child = self.child
        if child is not None and child.cancel():
            assert child.process is not None
            try:
                child.process.wait(timeout=10)
            except Exception:
                child.process.kill()
        # The workspace's store is left open on purpose: a thread worker may still be in a
        # query, and RunStore.close() does not take the store's lock (closing under a running
        # query crashes sqlite3). The process exit closes it.


def _log_text(line: LogLine) -> str:
    return f"    {line.asset_key}: {line.message}" if line.asset_key else f"    {line.message}"


def fmt_records(count: int) -> str:
    """A compact count for a tree node: 950, 12k, 3.4M."""
    if count < 1000:
        return str(count)
    if count < 1_000_000:
        return f"{count / 1000:.0f}k" if count >= 10_000 else f"{count / 1000:.1f}k"
    return f"{count / 1_000_000:.1f}M"


def external_events(workspace: Any, run_id: str, after: int) -> list[RunEventReceived]:
    """The store's events of a run started elsewhere, after event id `after`, as messages."""
    messages = []
    for row in workspace.store.events(run_id, after):
        event = _store_event(row)
        if event["event"] == "run_finished":  # the store keeps the status on the run
            run = workspace.store.get_run(run_id)
            event["status"] = run.status if run else "finished"
            event["message"] = run.message if run else None
        messages.append(RunEventReceived(event, external=True, row_id=int(row["id"])))
    return messages


def _store_event(row: dict[str, Any]) -> dict[str, Any]:
    """A step_events row in the shape of the runner's JSON events."""
    payload = json.loads(row["data_json"]) if row.get("data_json") else {}
    status = payload.pop("status", None)  # the store keeps an event's status in its data
    event: dict[str, Any] = {
        "event": row["event"],
        "run_id": row["run_id"],
        "ts": row["ts"],
        "step": row.get("step"),
        "asset": row.get("asset_key"),
        "message": row.get("message"),
        "data": payload,
        "status": status,
    }
    if row["event"] == "step_finished" and status is None:
        event["status"] = "finished"
    return event


def create_app(config: Config, **options: Any) -> LakehouseApp:
    """The app factory used by `lakehouse-tui` and by the tests."""
    return LakehouseApp(config, **options)
