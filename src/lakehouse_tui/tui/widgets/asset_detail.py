"""The right-hand side: one asset (or group asset) in tabs.

Overview, Definition, History, Checks, Logs and Preview. The app hands it an `AssetDetails`
loaded in a worker; the preview arrives separately because it opens the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from lakehouse_tui import formatting as fmt
from lakehouse_tui.core.asset_status import AssetStatus
from lakehouse_tui.tui.data import AssetDetails, Preview
from lakehouse_tui.tui.messages import PreviewLoaded
from lakehouse_tui.tui.preview_source import preview_source
from lakehouse_tui.tui.widgets.detail_parts import (
    cell_text,
    failing_rows,
    kv_table,
    lineage_line,
    names_text,
    status_text,
)
from lakehouse_tui.tui.widgets.history_plot import HistoryView
from lakehouse_tui.tui.widgets.log_view import LogSource, LogView
from lakehouse_tui.tui.widgets.partition_strip import PartitionStrip
from lakehouse_tui.tui.widgets.partitions_tab import PartitionsTab
from lakehouse_tui.tui.widgets.query_prompt import QueryPrompt
from lakehouse_tui.tui.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from lakehouse_tui.core.workspace import Workspace
    from lakehouse_tui.tui.freshness_view import Due


class AssetDetail(ReportsWorkerErrors, Vertical):
    """Tabs describing the highlighted asset."""

    def __init__(self, *, clock: Callable[[], float], id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.details: AssetDetails | None = None
        self.status: AssetStatus | None = None
        self.group_status: str = "never"
        self.workspace: Workspace | None = None  # set by the app once it is open
        self.preview_key: str | None = None
        self.due: dict[str, Due] = {}  # [freshness] deadlines, set by the app with the state

    def compose(self) -> ComposeResult:
        yield Static("Loading the dbt project…", id="detail-title")
        strip = PartitionStrip(id="overview-partitions")  # fed by the Partitions tab
        with TabbedContent(id="detail-tabs"):
            with TabPane("Overview", id="overview"), VerticalScroll():
                yield strip
                yield Static(id="overview-body")
            with TabPane("Definition", id="definition"), VerticalScroll():
                yield Static(id="definition-body")
            with TabPane("History", id="history"):
                yield HistoryView(clock=self.clock, id="history-view")
            with TabPane("Checks", id="checks"), Vertical():
                yield DataTable(id="checks-table", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="checks-failing-scroll"):
                    yield Static("", id="checks-failing")
            with TabPane("Logs", id="logs"):
                yield LogView(id="logs-log", by_asset=False)
            with TabPane("Preview", id="preview"), Vertical():
                yield Static("", id="preview-status")
                yield DataTable(id="preview-table", zebra_stripes=True)
                yield QueryPrompt(lambda: self.workspace, clock=self.clock, id="query-prompt")
            with TabPane("Partitions", id="partitions"):
                yield PartitionsTab(strip, clock=self.clock, id="partitions-tab")

    @property
    def active_tab(self) -> str:
        return self.query_one("#detail-tabs", TabbedContent).active

    def set_narrow(self, narrow: bool) -> None:
        """Narrow terminals keep the tabs' names (the help, the README and the keys say
        Overview, Definition, Preview); the stylesheet packs them tighter instead."""
        self.set_class(narrow, "-narrow")

    def show_tab(self, tab: str) -> None:
        self.query_one("#detail-tabs", TabbedContent).active = tab

    # -- filling in ---------------------------------------------------------------------

    def show(self, details: AssetDetails, status: AssetStatus | None, group_status: str) -> None:
        self.details, self.status, self.group_status = details, status, group_status
        current = status.status if status else group_status
        kind = details.asset.kind if details.asset else "group"
        title = Text.assemble(
            (f"{fmt.glyph(current)} ", fmt.style(current)),
            (details.key, "bold"),
            (f"  {kind}", "dim"),
        )
        self.query_one("#detail-title", Static).update(title)
        self.query_one("#overview-body", Static).update(self.overview())
        self.query_one("#definition-body", Static).update(self.definition())
        self.fill_history()
        self.fill_checks()
        self.fill_logs()
        self.query_one(PartitionsTab).show_asset(self.workspace, details.key)
        asset = self.details.asset if self.details is not None else None
        if asset is None or not (asset.relation or asset.kind == "raw"):
            self.show_preview_message("No table to preview for this asset.")

    def refresh_ages(self) -> None:
        if self.details is not None:
            self.query_one("#overview-body", Static).update(self.overview())

    def overview(self) -> RenderableType:
        d = self.details
        assert d is not None
        now = self.clock()
        table = kv_table()
        description = d.asset.description if d.asset else (d.group.description if d.group else "")
        if d.asset:
            table.add_row("group", Text(d.asset.group))
            table.add_row("kind", Text(d.asset.kind))
            if self.status and self.status.location:
                table.add_row("location", Text(fmt.home_paths(self.status.location)))
        else:
            table.add_row("kind", Text("group asset"))
            table.add_row("members", names_text(d.members))
        if self.status is not None:
            table.add_row("status", status_text(self.status.status))
            if self.status.blocked_by:  # the cause, not its consequence ("stale: ...")
                table.add_row("blocked", Text(f"blocked by {self.status.blocked_by}", "magenta"))
            elif self.status.stale:
                table.add_row("stale", Text(self.status.stale_reason))
            if self.status.checks_summary:
                table.add_row("checks", Text(self.status.checks_summary))
            if (due := self.due.get(d.key)) is not None:
                table.add_row("freshness", Text(*due.describe(now)))
        else:
            table.add_row("status", status_text(self.group_status))
        table.add_row("upstream", names_text(d.upstream))
        table.add_row("downstream", names_text(d.downstream))
        parts: list[RenderableType] = [Text(description or "(no description)", style="italic"), ""]
        parts.append(table)
        if d.materializations:
            last = d.materializations[0]
            m = last.metadata
            mt = kv_table()
            mt.add_row("when", Text(f"{fmt.age(now - last.ts)} ago ({fmt.timestamp(last.ts)})"))
            mt.add_row("run", Text(last.run_id))
            if d.last_run is not None:
                mt.add_row("trigger", Text(d.last_run.trigger))
            mt.add_row("duration", Text(fmt.duration(last.duration)))
            if "rows" in m:
                mt.add_row("rows", Text(fmt.rows(m.get("rows"))))
            if m.get("ts_min") or m.get("ts_max"):
                mt.add_row("time range", Text(f"{m.get('ts_min', '?')} → {m.get('ts_max', '?')}"))
            if "file_count" in m:
                mt.add_row("files", Text(f"{m['file_count']} ({fmt.size(m.get('bytes'))})"))
            if "batch_count" in m:
                mt.add_row("batches", Text(str(m["batch_count"])))
            if m.get("columns"):
                mt.add_row("columns", Text(str(len(m["columns"]))))
            parts += ["", Text("Last materialization", style="bold underline"), mt]
        elif d.asset is not None:
            parts += ["", Text("Never materialized. Press m to materialize it.", style="dim")]
        return Group(*parts)

    def definition(self) -> RenderableType:
        d = self.details
        assert d is not None
        if d.asset is None:
            return Text(
                "A group asset: materializing it runs its models "
                + (", ".join(d.members) or "(none)")
                + ".\nSelect a model to see its SQL."
            )
        parts: list[RenderableType] = []
        if d.asset.sql:
            parts.append(Text(f"model SQL  {d.asset.path or ''}", style="bold underline"))
            parts.append(Syntax(d.asset.sql.rstrip(), "sql", theme="ansi_dark", word_wrap=True))
        else:
            parts.append(Text(d.asset.description or "(not a SQL model)"))
        if d.compiled_sql:
            parts += ["", Text("compiled SQL", style="bold underline")]
            parts.append(Syntax(d.compiled_sql.rstrip(), "sql", theme="ansi_dark", word_wrap=True))
        types: dict[str, str] = d.extra.get("column_types") or {}
        described = {column.name: column for column in d.asset.columns}
        if described or types:  # declared in dbt, typed by the warehouse when it has the table
            columns = Table(show_edge=False, expand=True, header_style="bold")
            columns.add_column("column", no_wrap=True)
            columns.add_column("type", style="dim", no_wrap=True)
            columns.add_column("description", ratio=1)
            for name in [*described, *(n for n in types if n not in described)]:
                column = described.get(name)
                kind = types.get(name) or (column.data_type if column else None) or "?"
                columns.add_row(Text(name), Text(kind), Text(column.description if column else ""))
            parts += ["", Text("columns", style="bold underline"), columns]
        lineage = d.extra.get("column_lineage")
        if lineage:
            parts += ["", Text("column lineage (from the compiled SQL)", style="bold underline")]
            parts += [lineage_line(d.key, column, sources) for column, sources in lineage.items()]
        return Group(*parts)

    def fill_history(self) -> None:
        assert self.details is not None
        d = self.details
        self.query_one("#history-view", HistoryView).show(d.materializations, group=d.asset is None)

    def fill_checks(self) -> None:
        d = self.details
        assert d is not None
        table = self.query_one("#checks-table", DataTable)
        table.clear(columns=True)
        table.add_columns("", "check", "column", "severity", "last", "failures", "history")
        latest = {c.check_name: c for c in d.latest_checks}
        history: dict[str, list[str]] = {}
        for past_result in d.check_history:
            history.setdefault(past_result.check_name, []).append(past_result.status)
        checks = d.asset.checks if d.asset else ()
        for check in checks:
            result = latest.get(check.name)
            status = result.status if result else "never"
            trail = Text()
            for past in reversed(history.get(check.name, [])[:12]):
                trail.append(fmt.glyph(past), fmt.style(past))
            table.add_row(
                Text(fmt.glyph(status), fmt.style(status)),
                Text(check.name),
                Text(check.column or "-"),
                Text(check.severity),
                Text(status, fmt.style(status)),
                "-" if result is None or result.failures is None else str(result.failures),
                trail,
            )
        if not checks:
            table.add_row("", "no checks on this asset", "", "", "", "", "")
        self.query_one("#checks-failing", Static).update(failing_rows(d.latest_checks))

    def fill_logs(self) -> None:
        d = self.details
        assert d is not None
        log = self.query_one("#logs-log", LogView)
        if d.log_run is None:
            log.show([], empty="No runs of this asset yet.")
            return
        header = f"run {d.log_run.id} ({d.log_run.trigger}, {d.log_run.status})"
        if d.run_asset is not None:
            header += f": {d.key} {d.run_asset.status}"
            if d.run_asset.message:
                header += f" — {d.run_asset.message}"
        source: LogSource | None = None
        if self.workspace is not None and d.log_run.status == "running":  # follow it live
            store, run_id, key = self.workspace.store, d.log_run.id, d.key
            source = lambda after: store.logs(run_id, key, after_id=after)  # noqa: E731
        log.show(
            d.logs,
            header=Text(header),
            source=source,
            empty="(no log lines for this asset in that run)",
        )

    # -- preview ------------------------------------------------------------------------

    @on(TabbedContent.TabActivated, "#detail-tabs")
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "preview":
            self.start_preview(self.details.key if self.details else None)

    def start_preview(self, key: str | None) -> None:
        """The first rows of the asset's table, read in a worker with a short-lived
        read-only connection (DuckDB) or from PostgreSQL."""
        workspace = self.workspace
        if workspace is None or key is None:
            return
        self.preview_key = key
        message, load = preview_source(workspace, key)
        self.show_preview_message(message)
        if load is not None:
            self.load_preview(load)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def load_preview(self, load: Callable[[], Preview]) -> None:
        self.post_message(PreviewLoaded(load()))

    def on_preview_loaded(self, message: PreviewLoaded) -> None:
        if message.preview.key == self.preview_key:
            self.show_preview(message.preview)

    def show_preview_message(self, message: str) -> None:
        self.query_one("#preview-status", Static).update(Text(message))
        table = self.query_one("#preview-table", DataTable)
        table.clear(columns=True)

    def show_preview(self, preview: Preview) -> None:
        table = self.query_one("#preview-table", DataTable)
        table.clear(columns=True)
        status = self.query_one("#preview-status", Static)
        if preview.error:
            status.update(
                Text(
                    ("⏳ " if preview.busy else "✗ ") + preview.error,
                    style="yellow" if preview.busy else "red",
                )
            )
            return
        note = preview.note or f"first {len(preview.rows)} rows of {preview.key}"
        status.update(Text(note, style="dim"))
        table.add_columns(*(Text(str(column)) for column in preview.columns))
        for row in preview.rows:
            table.add_row(*(cell_text(v) for v in row))
