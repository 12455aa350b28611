"""The Partitions tab: one asset's batches in a table, marked with space and run from there.

`m` materializes the marked batches (or the highlighted one), `b` backfills every batch from
the first to the last marked one, `f` rebuilds every batch (a full refresh). Each goes to the
plan dialog and then the app's one run path (`run_offers.ask_to_run`), as `m` on the tree
does. Under the table, the highlighted batch's attempts (`RunStore.partition_history`).

Loading happens in thread workers on this widget (the summary when the asset is shown, the
history when a row is highlighted) with the workspace's store, like the other tabs; results
come back as messages and a result for another asset or batch than the one shown is dropped.
The same summary goes to the Overview's strip, which the asset detail hands to the tab.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from lakehouse_tui import formatting as fmt
from lakehouse_tui.core.partition_store import PartitionEvent
from lakehouse_tui.core.partitions import PartitionStatus, PartitionSummary, is_partitioned
from lakehouse_tui.runservice.child import RunRequest
from lakehouse_tui.tui import partition_runs, run_offers
from lakehouse_tui.tui.keys import PARTITION_BINDINGS
from lakehouse_tui.tui.widgets.partition_strip import CELLS, PartitionStrip
from lakehouse_tui.tui.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from lakehouse_tui.core.workspace import Workspace
    from lakehouse_tui.tui.app import LakehouseApp

MARK = Text("●", "bold cyan")
UNMARKED = Text(" ")
COLUMNS = ("partition", "status", "reason", "rows", "time range", "updated")
REASON_WIDTH = 48


def status_cell(status: str) -> Text:
    glyph, style = CELLS.get(status, ("?", ""))
    return Text(f"{glyph} {status}", style)


def time_range(ts_min: str | None, ts_max: str | None) -> str:
    """`2026-01-05 06:00:00 → 06:59:40` (the date once when both ends share it)."""
    if not ts_min and not ts_max:
        return "-"
    low, high = ts_min or "?", ts_max or "?"
    if low[:10] == high[:10] and len(high) > 11:
        high = high[11:]
    return f"{low} → {high}"


def shorten(text: str, width: int = REASON_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


Cell = Text | str


def row_cells(p: PartitionStatus, now: float) -> list[Cell]:
    """One batch's cells after the mark column, in `COLUMNS` order."""
    return [
        Text(p.key),
        status_cell(p.status),
        Text(shorten(p.reason), "red" if p.status == "failed" else "dim"),
        fmt.rows(p.rows) if p.rows is not None else "-",
        time_range(p.ts_min, p.ts_max),
        f"{fmt.age(now - p.updated_at)} ago" if p.updated_at else "never",
    ]


class PartitionsTab(ReportsWorkerErrors, Vertical):
    BINDINGS: ClassVar[list[BindingType]] = list(PARTITION_BINDINGS)

    @dataclass
    class Loaded(Message):
        """One asset's partitions (None: the asset is not partitioned), with the table's
        cells of each batch."""

        key: str
        summary: PartitionSummary | None
        cells: list[list[Cell]] = field(default_factory=list)

    @dataclass
    class HistoryLoaded(Message):
        key: str
        partition: str
        events: list[PartitionEvent]

    def __init__(
        self, strip: PartitionStrip, *, clock: Callable[[], float], id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.strip = strip  # the Overview's strip shows the same summary
        self.clock = clock
        self.workspace: Workspace | None = None
        self.key: str | None = None  # the asset shown
        self.summary: PartitionSummary | None = None
        self.cells: list[list[Cell]] = []
        self.marked: set[str] = set()
        self.history_key: str | None = None  # the batch whose history is shown or loading
        self.shown = False  # the tab is in view
        self.shown_key: str | None = None  # the asset the table holds
        self.stale_table = False  # newer data than the table holds waits for the tab to show

    def compose(self) -> ComposeResult:
        yield Static("", id="partitions-status")
        yield DataTable(id="partitions-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="partition-history-title")
        yield DataTable(id="partition-history", cursor_type="row", zebra_stripes=True)

    def on_show(self) -> None:
        """The tab came into view: fill the table if new data waits, and focus it, so its
        keys (space, m, b, f) work at once."""
        self.shown = True
        if self.summary is not None:
            if self.stale_table:
                self.fill_table()
            self.query_one("#partitions-table", DataTable).focus()

    def on_hide(self) -> None:
        self.shown = False

    # -- loading ------------------------------------------------------------------------

    def show_asset(self, workspace: Workspace | None, key: str) -> None:
        """Load the asset's partitions (again: also after every store change)."""
        if key != self.key:
            self.marked.clear()
            self.history_key = None
        self.workspace, self.key = workspace, key
        assets = workspace.graph.assets if workspace is not None else {}
        if workspace is not None and key in assets and is_partitioned(workspace.graph, key):
            self.load_partitions(workspace, key, self.clock())
        else:
            self.post_message(self.Loaded(key, None))

    @work(thread=True, exclusive=True, group="partitions", exit_on_error=False)
    def load_partitions(self, workspace: Workspace, key: str, now: float) -> None:
        """The summary, and the table's cells built here rather than on the UI thread."""
        summary = workspace.partition_summaries(key).get(key)
        cells = [row_cells(p, now) for p in summary.statuses] if summary else []
        self.post_message(self.Loaded(key, summary, cells))

    @work(thread=True, exclusive=True, group="partition-history", exit_on_error=False)
    def load_history(self, workspace: Workspace, key: str, partition: str) -> None:
        events = workspace.store.partition_history(key, partition, limit=100)
        self.post_message(self.HistoryLoaded(key, partition, events))

    # -- filling in ---------------------------------------------------------------------

    def on_partitions_tab_loaded(self, message: Loaded) -> None:
        if message.key != self.key:
            return  # an older asset's: neither the table nor the strip shows it
        self.strip.show(message.summary)
        same = (
            self.summary is not None
            and message.summary is not None
            and self.shown_key == message.key
            and self.summary.statuses == message.summary.statuses
        )
        self.summary, self.cells = message.summary, message.cells
        self.set_class(message.summary is None, "-unpartitioned")
        if message.summary is None:
            self.show_unpartitioned(message.key)
            return
        self.marked &= {p.key for p in message.summary.statuses}
        self.stale_table = self.stale_table or not same
        if self.shown and self.stale_table:
            self.fill_table()  # (hidden: filled when the tab is shown)
        self.show_status()

    def show_unpartitioned(self, key: str) -> None:
        workspace = self.workspace
        group = workspace is not None and key in workspace.graph.groups
        text = (
            f"{key} is a group asset: select one of its models to see its partitions."
            if group
            else f"{key} is not partitioned: it is rebuilt whole (press m to materialize it)."
        )
        self.query_one("#partitions-status", Static).update(Text(text, "dim"))
        self.query_one("#partitions-table", DataTable).clear(columns=True)
        self.shown_key, self.stale_table = None, False
        self.show_history_message("")

    def fill_table(self) -> None:
        summary = self.summary
        assert summary is not None
        table = self.query_one("#partitions-table", DataTable)
        current = self.cursor_key() if self.shown_key == self.key else None
        table.clear(columns=True)
        table.add_column("", key="mark")
        for label in COLUMNS:
            table.add_column(label, key=label)
        keys = [p.key for p in summary.statuses]
        for key, cells in zip(keys, self.cells, strict=True):  # the batch id is the row key
            table.add_row(MARK if key in self.marked else UNMARKED, *cells, key=key)
        self.shown_key, self.stale_table = self.key, False
        if current in keys:
            table.move_cursor(row=keys.index(current), animate=False)
        if keys:  # the same batch may have a new attempt: read its history again
            self.request_history(self.cursor_key() or keys[0])
        else:
            self.show_history_message("No batches yet: the raw dir holds no validated files.")

    def show_status(self) -> None:
        summary = self.summary
        if summary is None or self.key is None:
            return
        text = Text(summary.describe())
        if self.marked:
            text.append(f" · {len(self.marked)} marked", "bold cyan")
        self.query_one("#partitions-status", Static).update(text)

    def cursor_key(self) -> str | None:
        table = self.query_one("#partitions-table", DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    @on(DataTable.RowHighlighted, "#partitions-table")
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.request_history(event.row_key.value)

    def request_history(self, partition: str) -> None:
        if self.workspace is None or self.key is None:
            return
        self.history_key = partition
        self.query_one("#partition-history-title", Static).update(
            Text(f"History of {partition}: loading…", "dim")
        )
        self.load_history(self.workspace, self.key, partition)

    def on_partitions_tab_history_loaded(self, message: HistoryLoaded) -> None:
        if message.key != self.key or message.partition != self.history_key:
            return
        title = self.query_one("#partition-history-title", Static)
        table = self.query_one("#partition-history", DataTable)
        table.clear(columns=True)
        if not message.events:
            title.update(Text(f"History of {message.partition}: never attempted", "bold"))
            return
        count = len(message.events)
        title.update(
            Text(f"History of {message.partition}: {count} attempt(s), newest first", "bold")
        )
        table.add_columns("when", "run", "status", "rows", "time range", "message")
        now = self.clock()
        for e in message.events:
            table.add_row(
                f"{fmt.age(now - e.ts)} ago",
                Text(e.run_id),
                Text(f"{fmt.glyph(e.status)} {e.status}", fmt.style(e.status)),
                fmt.rows(e.rows) if e.rows is not None else "-",
                time_range(e.ts_min, e.ts_max),
                Text(e.message or ""),
            )

    def show_history_message(self, text: str) -> None:
        self.query_one("#partition-history-title", Static).update(Text(text, "dim"))
        self.query_one("#partition-history", DataTable).clear(columns=True)

    # -- marking and running ------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle_mark", "materialize_marked", "backfill", "full_refresh"):
            return self.summary is not None  # else the app's own keys (m materializes the asset)
        return True

    def action_toggle_mark(self) -> None:
        key = self.cursor_key()
        if key is None:
            return
        table = self.query_one("#partitions-table", DataTable)
        if key in self.marked:
            self.marked.discard(key)
            table.update_cell(key, "mark", UNMARKED)
        else:
            self.marked.add(key)
            table.update_cell(key, "mark", MARK)
        self.show_status()
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def listed_keys(self) -> list[str]:
        return [p.key for p in self.summary.statuses] if self.summary else []

    def action_materialize_marked(self) -> None:
        keys = [k for k in self.listed_keys() if k in self.marked]
        if not keys:
            current = self.cursor_key()
            keys = [current] if current else []
        if self.key is None or not keys:
            self.app.notify("No batch to materialize: the asset has none yet.", severity="warning")
            return
        self.ask_to_run(partition_runs.materialize_request(self.key, keys))

    def action_backfill(self) -> None:
        ordered = self.listed_keys()
        marks = [k for k in ordered if k in self.marked]
        if self.key is None or len(marks) < 2:
            self.app.notify(
                "Mark the first and the last batch of the range with space, then press b.",
                title="Backfill",
                severity="warning",
            )
            return
        request = partition_runs.backfill_request(self.key, ordered, marks[0], marks[-1])
        self.ask_to_run(request)

    def ask_to_run(self, request: RunRequest) -> None:
        """The plan dialog, then the app's one run path (as `m` on the tree does)."""
        run_offers.ask_to_run(cast("LakehouseApp", self.app), request)

    def action_full_refresh(self) -> None:
        if self.key is not None:
            self.ask_to_run(partition_runs.full_refresh_request(self.key))
