"""Every run (tui, cli, timer): status, trigger, selection, duration; the highlighted run's
assets as a timeline, and its logs. `f` re-runs what failed, was skipped or never ran."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from lakehouse_tui import formatting as fmt
from lakehouse_tui.core.retry import retry_keys
from lakehouse_tui.core.run_filter import RunFilter
from lakehouse_tui.core.store import LogLine, RunAsset, RunRecord
from lakehouse_tui.tui.keys import RUNS_BINDINGS
from lakehouse_tui.tui.run_page import run_page
from lakehouse_tui.tui.widgets.footer import AppFooter
from lakehouse_tui.tui.widgets.log_view import LogView
from lakehouse_tui.tui.widgets.runs_filter import (
    FILTER_HINT,
    RunsFilterInput,
    filtered_runs,
    runs_title,
)
from lakehouse_tui.tui.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from lakehouse_tui.core.workspace import Workspace

BAR_WIDTH = 20


def timeline(run: RunRecord, assets: list[RunAsset], now: float, width: int = BAR_WIDTH) -> Text:
    start = run.started_at
    end = run.ended_at or now
    span = max(end - start, 1e-6)
    name_width = max((len(a.asset_key) for a in assets), default=5)
    text = Text()
    text.append(f"run {run.id}  {run.status}  {run.trigger}  {run.selection}\n", style="bold")
    if run.message:
        message = run.message if len(run.message) <= 160 else run.message[:159] + "…"
        text.append(f"{message}\n", style="italic")
    if not assets:
        text.append("(no assets: nothing was selected or the run was a no-op)", style="dim")
    for a in assets:
        text.append(f"{fmt.glyph(a.status)} ", style=fmt.style(a.status))
        text.append(f"{a.asset_key:<{name_width}} ")
        if a.started_at is None:
            bar = " " * width
        else:
            first = int((a.started_at - start) / span * width)
            last = int(((a.ended_at or end) - start) / span * width)
            first = min(max(first, 0), width - 1)
            last = min(max(last, first + 1), width)
            bar = " " * first + "█" * (last - first) + " " * (width - last)
        text.append("▏")
        text.append(bar, style=fmt.style(a.status) or "white")
        text.append("▕ ")
        took = (a.ended_at - a.started_at) if a.started_at and a.ended_at else None
        text.append(f"{fmt.duration(took):>9}\n", style="dim")
    return text


@dataclass
class RunDetailLoaded(Message):
    run: RunRecord
    assets: list[RunAsset]
    logs: list[LogLine]
    partitions: list[str] = field(default_factory=list)


@dataclass
class RunsLoaded(Message):
    runs: list[RunRecord]
    total: int = 0  # before the filter
    filter_text: str = ""


class RunsScreen(ReportsWorkerErrors, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = list(RUNS_BINDINGS)

    def __init__(
        self,
        workspace: Workspace,
        *,
        clock: Callable[[], float],
        on_rerun: Callable[[str, str], None],
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.clock = clock
        self.on_rerun = on_rerun
        self.runs: list[RunRecord] = []
        self.current: RunRecord | None = None
        self.current_assets: list[RunAsset] = []
        self.signature: tuple[object, ...] = ()
        self.run_filter = RunFilter()
        self.filter_text = ""

    def compose(self) -> ComposeResult:
        yield Static("Runs — every run, whoever started it", id="runs-title")
        yield RunsFilterInput(placeholder=FILTER_HINT, id="runs-filter")
        with Vertical(id="runs-body"):
            yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="run-detail"):
                with VerticalScroll(id="run-timeline-scroll"):
                    yield Static("", id="run-timeline")
                yield LogView(id="run-logs")
        yield AppFooter()

    def on_mount(self) -> None:
        table = self.query_one("#runs-table", DataTable)
        table.add_columns("", "started", "run", "trigger", "status", "duration", "selection")
        self.load_runs()
        self.set_interval(2.0, self.load_runs)
        table.focus()

    @work(thread=True, exclusive=True, group="runs-list", exit_on_error=False)
    def load_runs(self) -> None:
        runs, wanted, text = self.workspace.store.runs(500), self.run_filter, self.filter_text
        kept = filtered_runs(self.workspace.store, runs, wanted)
        self.post_message(RunsLoaded(kept, len(runs), text))

    def action_filter(self) -> None:
        self.query_one("#runs-filter", RunsFilterInput).open()

    @on(Input.Changed, "#runs-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        from lakehouse_tui.errors import UsageError

        try:
            self.run_filter = RunFilter.parse(event.value)
        except UsageError as err:
            self.query_one("#runs-title", Static).update(Text(str(err), style="red"))
            return
        self.filter_text = event.value.strip()
        self.load_runs()

    def on_runs_loaded(self, message: RunsLoaded) -> None:
        signature = (message.filter_text, *((r.id, r.status, r.ended_at) for r in message.runs))
        if signature == self.signature or message.filter_text != self.filter_text:
            return
        self.signature = signature
        self.runs = message.runs
        self.query_one("#runs-title", Static).update(runs_title(message))
        table = self.query_one("#runs-table", DataTable)
        keep = self.current.id if self.current else None
        table.clear()
        for run in self.runs:
            table.add_row(
                Text(fmt.glyph(run.status), fmt.style(run.status)),
                fmt.timestamp(run.started_at),
                Text(run.id),
                Text(run.trigger),
                Text(run.status, fmt.style(run.status)),
                fmt.duration(run.duration) if run.duration is not None else "…",
                Text(run.selection),
                key=run.id,
            )
        if not self.runs:
            self.query_one("#run-timeline", Static).update(
                "No run matches the filter."
                if message.filter_text
                else "No runs yet. Press escape, then m or a."
            )
            return
        ids = [r.id for r in self.runs]
        row = ids.index(keep) if keep in ids else 0
        table.move_cursor(row=row)
        self.load_detail(self.runs[row].id)

    @on(DataTable.RowHighlighted, "#runs-table")
    def run_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.load_detail(str(event.row_key.value))

    @work(thread=True, exclusive=True, group="run-detail", exit_on_error=False)
    def load_detail(self, run_id: str) -> None:
        store = self.workspace.store
        run = store.get_run(run_id)
        if run is None:
            return
        self.post_message(
            RunDetailLoaded(
                run,
                store.run_assets(run_id),
                store.logs(run_id, limit=2000),
                store.run_partitions(run_id),
            )
        )

    def on_run_detail_loaded(self, message: RunDetailLoaded) -> None:
        self.current, self.current_assets = message.run, message.assets
        names = max((len(a.asset_key) for a in message.assets), default=5)
        room = self.query_one("#run-timeline-scroll").size.width - 2 - names - 16
        page = timeline(message.run, message.assets, self.clock(), max(8, min(60, room)))
        self.query_one("#run-timeline", Static).update(
            page + run_page(message.run, message.partitions)
        )
        store, run_id = self.workspace.store, message.run.id
        self.query_one("#run-logs", LogView).show(
            message.logs,
            source=(lambda after: store.logs(run_id, after_id=after))
            if message.run.status == "running"
            else None,
            empty="(no log lines in this run)",
        )

    def action_close(self) -> None:
        self.dismiss(None)

    async def action_cancel_run(self) -> None:
        await self.app.run_action("cancel_run")

    def action_rerun_failed(self) -> None:
        if self.current is None:
            self.notify("No run selected.", severity="warning")
            return
        # The same rule as `lakehouse-tui retry` (core.retry).
        keys, _ = retry_keys(self.workspace.store, self.workspace.graph, self.current.id)
        if not keys:
            self.notify(
                f"Nothing failed, was skipped or left unrun in run {self.current.id}.",
                markup=False,
            )
            return
        self.on_rerun(" or ".join(keys), f"re-run of {self.current.id}")
