"""The Textual app: lineage tree on the left, asset detail in tabs on the right, a run panel.

Long work happens in thread workers (`exit_on_error=False`; `ReportsWorkerErrors` shows a
failure as one message) that talk to the UI only through messages. Runs are driven by the
`RunController` the app owns (its `RunFollower` follows runs started elsewhere). External
text (file names, messages, values) is never markup.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Header, Static, Tree

from lakehouse_tui import formatting as fmt
from lakehouse_tui.config import Config
from lakehouse_tui.runservice.child import ChildRun, RunRequest
from lakehouse_tui.tui import data, run_offers
from lakehouse_tui.tui.commands import LakehouseCommands
from lakehouse_tui.tui.keys import APP_BINDINGS, TAB_BINDINGS, unknown_ids
from lakehouse_tui.tui.messages import (
    DetailsLoaded,
    RunEventReceived,
    RunExited,
    RunLogLines,
    SampleDataGenerated,
    StateLoaded,
    WorkspaceFailed,
    WorkspaceOpened,
    unless_closing,
)
from lakehouse_tui.tui.prompts import PromptActions
from lakehouse_tui.tui.run_controller import RunController
from lakehouse_tui.tui.screens.generate_data import GenerateData
from lakehouse_tui.tui.screens.help import HelpScreen
from lakehouse_tui.tui.screens.message_box import MessageBox
from lakehouse_tui.tui.screens.runs import RunsScreen
from lakehouse_tui.tui.screens.schedule import ScheduleScreen
from lakehouse_tui.tui.widgets.asset_detail import AssetDetail
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.footer import AppFooter
from lakehouse_tui.tui.widgets.run_panel import RunPanel
from lakehouse_tui.tui.widgets.tree_pane import TreePane
from lakehouse_tui.tui.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from lakehouse_tui.core.workspace import Workspace
    from lakehouse_tui.runservice.warm_client import WarmClient, WarmRun


class LakehouseApp(PromptActions, ReportsWorkerErrors, App[int]):
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
        debug: bool = False,
    ) -> None:
        super().__init__()
        self.config = config
        self.clock: Callable[[], float] = clock or time.time
        self.poll_interval = poll_interval
        self.offer_sample_data = offer_sample_data
        self.workspace: Workspace | None = None
        self.state: data.LakeState | None = None
        self.selected_key: str | None = None
        self.warm_runs = warm_runs  # runs go to a warm executor process kept alive
        self.warm: WarmClient | None = None
        self.runs = RunController(self)
        self.quit_armed = False
        self.exit_code = 0
        self.debug_log: Path | None = config.state_dir / "tui-debug.log" if debug else None

    @property
    def child(self) -> ChildRun | WarmRun | None:  # our run's process, while it goes
        return self.runs.child

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≋")
        with Horizontal(id="main"):
            yield TreePane(AssetTree(clock=self.clock, id="tree"), id="tree-pane")
            yield AssetDetail(clock=self.clock, id="detail")
        yield RunPanel(clock=self.clock, id="run-panel", classes="-hidden")
        yield AppFooter(compact=True)

    def on_mount(self) -> None:
        path = self.config.path
        self.sub_title = fmt.home_paths(str(path)) if path else "default config"
        self.query_one("#run-panel").border_title = "Run"
        if self.config.keymap:
            self.set_keymap(dict(self.config.keymap))
            unknown = unknown_ids(self.config.keymap)
            if unknown:
                self.notify(
                    f"[keymap] has unknown binding ids: {', '.join(unknown)}; see ? for the ids",
                    severity="warning",
                    timeout=10,
                    markup=False,
                )
        self.query_one("#tree", AssetTree).loading = True
        self.open_workspace()

    def on_resize(self) -> None:
        narrow = self.size.width < self.NARROW
        self.set_class(narrow, "-narrow")
        self.query_one("#detail", AssetDetail).set_narrow(narrow)

    # -- workers ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="workspace", exit_on_error=False)
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

    @work(thread=True, exclusive=True, group="state", exit_on_error=False)
    def load_state(self) -> None:
        if self.workspace is not None:
            self.post_message(StateLoaded(data.load_state(self.workspace)))

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll_store(self) -> None:
        """Cheap check every few seconds: reload when anything changed; follow outside runs."""
        workspace = self.workspace
        if workspace is None:
            return
        if self.state is None or data.signature(workspace) != self.state.signature:
            self.post_message(StateLoaded(data.load_state(workspace)))
        self.runs.follower.poll()

    @work(thread=True, exclusive=True, group="run-logs", exit_on_error=False)
    def poll_run_logs(self, run_id: str) -> None:
        """New dbt log lines of the run the panel shows (ours or one started elsewhere)."""
        self.runs.follower.poll_logs(run_id)

    @work(thread=True, exclusive=True, group="details", exit_on_error=False)
    def load_details(self, key: str) -> None:
        if self.workspace is not None:
            self.post_message(DetailsLoaded(data.load_details(self.workspace, key)))

    # -- messages from workers ----------------------------------------------------------

    def show_loading(self, text: str) -> None:
        self.query_one("#detail-title", Static).update(Text(text))

    @unless_closing
    def on_workspace_opened(self, message: WorkspaceOpened) -> None:
        self.workspace = message.workspace
        self.query_one("#detail", AssetDetail).workspace = message.workspace
        tree = self.query_one("#tree", AssetTree)
        tree.loading = False
        tree.set_graph(message.workspace.graph)
        tree.focus()
        for problem in getattr(message.workspace, "problems", []):
            self.notify(problem, title="Airbyte", severity="warning", timeout=10, markup=False)
        self.set_interval(self.poll_interval, self.poll_store, name="poll-store")
        self.set_interval(min(self.poll_interval, 0.5), self.poll_logs_if_running, name="poll-logs")
        self.set_interval(30, self.refresh_ages, name="ages")
        if self.warm_runs and self.warm is None:
            self.warm = self.runs.start_warm()

    @unless_closing
    def on_workspace_failed(self, message: WorkspaceFailed) -> None:
        self.query_one("#tree", AssetTree).loading = False
        self.push_screen(MessageBox("Cannot open the workspace", message.error))

    @unless_closing
    def on_state_loaded(self, message: StateLoaded) -> None:
        first = self.state is None
        changed = self.state is None or self.state.signature != message.state.signature
        self.state = message.state
        tree = self.query_one("#tree", AssetTree)
        tree.set_statuses(message.state.statuses)
        self.show_freshness(message.state.freshness)
        self.runs.follower.follow(message.state.running)
        if changed and self.selected_key is not None:
            self.load_details(self.selected_key)
        if first and message.state.raw_files == 0 and self.offer_sample_data:
            self.push_screen(GenerateData(self.config.lake.raw_dir), self.sample_data_written)

    def refresh_ages(self) -> None:
        """Relative times ("3m", "5m ago") keep counting between store reloads."""
        self.query_one("#tree", AssetTree).refresh_labels()
        self.query_one("#detail", AssetDetail).refresh_ages()

    def poll_logs_if_running(self) -> None:
        panel = self.query("#run-panel").first(RunPanel) if self.query("#run-panel") else None
        if panel is not None and panel.running and panel.run_id:  # (gone while exiting)
            self.poll_run_logs(panel.run_id)

    @unless_closing
    def on_run_log_lines(self, message: RunLogLines) -> None:
        self.runs.follower.on_log_lines(message)

    @unless_closing
    def on_details_loaded(self, message: DetailsLoaded) -> None:
        if message.details.key != self.selected_key:
            return
        tree = self.query_one("#tree", AssetTree)
        status = self.state.statuses.get(message.details.key) if self.state else None
        detail = self.query_one("#detail", AssetDetail)
        detail.show(message.details, status, tree.status_of(message.details.key))
        if detail.active_tab == "preview":
            detail.start_preview(self.selected_key)

    @unless_closing
    def on_run_event_received(self, message: RunEventReceived) -> None:
        self.runs.on_event(message)

    @unless_closing
    def on_run_exited(self, message: RunExited) -> None:
        self.runs.on_exit(message)

    def sample_data_written(self, message: SampleDataGenerated | None) -> None:
        if message is None:
            return
        if message.error:
            self.push_screen(MessageBox("Could not generate sample data", message.error))
            return
        self.notify(
            f"Wrote {message.files} batch files ({message.rows:,} rows). "
            "Press a to materialize everything.",
            title="Sample data",
        )
        self.load_state()

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

    def on_tree_pane_filtered(self) -> None:
        self.sync_selection()

    def action_filter(self) -> None:
        self.query_one("#tree-pane", TreePane).open_filter()

    def action_toggle_graph(self) -> None:
        self.query_one("#tree-pane", TreePane).toggle_graph()

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#detail", AssetDetail).show_tab(tab)

    # -- materializing ------------------------------------------------------------------

    # The app's keys that also work on the runs screen; all others are the main screen's.
    EVERYWHERE = frozenset({"quit", "help", "cancel_run", "refresh", "generate_data"})
    MAIN_SCREEN_ONLY = frozenset(
        {b.action.split("(")[0] for b in BINDINGS if isinstance(b, Binding)} - EVERYWHERE
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_run":
            return self.child is not None
        if isinstance(self.screen, ModalScreen) and action not in ("quit", "cancel_run"):
            return False  # a dialog is open: its own keys only
        return not (action in self.MAIN_SCREEN_ONLY and isinstance(self.screen, RunsScreen))

    def materialize_selected(self, pattern: str) -> None:
        """`pattern` with the selected asset's key for `{}`: the key, `+key` or `key+`."""
        if self.selected_key is None:
            self.notify("Select an asset in the tree first.", severity="warning")
        else:
            self.request_run(selection=pattern.format(self.selected_key))

    def action_materialize_selected(self) -> None:
        self.materialize_selected("{}")

    def action_materialize_upstream(self) -> None:
        self.materialize_selected("+{}")

    def action_materialize_downstream(self) -> None:
        self.materialize_selected("{}+")

    def action_materialize_all(self) -> None:
        self.request_run(selection="*")

    def action_materialize_stale(self) -> None:
        self.request_run(selection="stale")

    def request_run(
        self, selection: str | None = None, job: str | None = None, label: str = ""
    ) -> None:
        """Show the plan and ask; on yes start the headless runner as a child process."""
        run_offers.ask_to_run(self, RunRequest(selection=selection, job=job, label=label))

    def start_run(self, request: RunRequest) -> None:
        self.runs.start(request)

    def action_cancel_run(self) -> None:
        self.runs.cancel()

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

        def rerun(selection: str, label: str) -> None:
            self.request_run(selection=selection, label=label)

        self.push_screen(RunsScreen(self.workspace, clock=self.clock, on_rerun=rerun))

    def action_show_schedule(self) -> None:
        self.push_screen(ScheduleScreen(self.config.path))

    def action_sync(self) -> None:  # the selected Airbyte connection, or all of them
        run_offers.ask_to_sync(self, self.selected_key)

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
            GenerateData(self.config.lake.raw_dir, empty=empty), self.sample_data_written
        )

    def on_unmount(self) -> None:
        self.auto.close()
        if self.warm is not None:
            self.warm.close()  # first, so that it starts no replacement; cancels its run
        self.runs.close()
        # The store stays open: a worker may be mid-query, and closing under it crashes
        # sqlite3 (RunStore.close() does not take its lock). The process exit closes it.


def create_app(config: Config, **options: Any) -> LakehouseApp:
    """The app factory used by `lakehouse-tui` and by the tests."""
    return LakehouseApp(config, **options)
