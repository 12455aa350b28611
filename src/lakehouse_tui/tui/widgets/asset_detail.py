"""The right-hand side: one asset (or group asset) in tabs.

Overview, Definition, History, Checks, Logs and Preview. The app hands it an `AssetDetails`
loaded in a worker; the preview arrives separately because it opens the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Label, RichLog, Sparkline, Static, TabbedContent, TabPane

from lakehouse_tui.core.asset_status import AssetStatus
from lakehouse_tui.core.store import CheckResult
from lakehouse_tui.tui import data
from lakehouse_tui.tui import format as fmt
from lakehouse_tui.tui.data import AssetDetails, Preview
from lakehouse_tui.tui.messages import PreviewLoaded
from lakehouse_tui.tui.widgets.query_prompt import QueryPrompt, cell
from lakehouse_tui.tui.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from lakehouse_tui.core.workspace import Workspace
    from lakehouse_tui.tui.freshness_view import Due

TAB_LABELS = {
    "overview": "Overview",
    "definition": "Definition",
    "history": "History",
    "checks": "Checks",
    "logs": "Logs",
    "preview": "Preview",
}
# Narrow terminals (80 columns over SSH): short labels so every tab stays visible.
SHORT_TAB_LABELS = {**TAB_LABELS, "overview": "Info", "definition": "SQL", "preview": "Data"}


def _kv_table() -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    return table


def _lineage_line(key: str, column: str, sources: Any) -> Text:
    """`mart.avg_value ← fact.avg_value`; names are data, never markup."""
    line = Text.assemble((f"{key}.{column}", "bold"), " ← ")
    if sources:
        line.append(", ".join(f"{s.asset}.{s.column}" for s in sources))
    else:
        line.append("(no upstream column: computed from the rows, e.g. count(*))", style="dim")
    return line


def _status_text(status: str) -> Text:
    return Text.assemble((f"{fmt.glyph(status)} {status.replace('_', ' ')}", fmt.style(status)))


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
        with TabbedContent(id="detail-tabs"):
            with TabPane("Overview", id="overview"), VerticalScroll():
                yield Static(id="overview-body")
            with TabPane("Definition", id="definition"), VerticalScroll():
                yield Static(id="definition-body")
            with TabPane("History", id="history"), Vertical():
                yield Label("rows", id="history-rows-label", classes="spark-label")
                yield Sparkline([], id="history-rows")
                yield Label("duration", id="history-duration-label", classes="spark-label")
                yield Sparkline([], id="history-duration")
                yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Checks", id="checks"), Vertical():
                yield DataTable(id="checks-table", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="checks-failing-scroll"):
                    yield Static("", id="checks-failing")
            with TabPane("Logs", id="logs"):
                yield RichLog(id="logs-log", wrap=False, markup=False, highlight=False)
            with TabPane("Preview", id="preview"), Vertical():
                yield Static("", id="preview-status")
                yield DataTable(id="preview-table", zebra_stripes=True)
                yield QueryPrompt(lambda: self.workspace, clock=self.clock, id="query-prompt")

    @property
    def active_tab(self) -> str:
        return self.query_one("#detail-tabs", TabbedContent).active

    def set_narrow(self, narrow: bool) -> None:
        tabs = self.query_one("#detail-tabs", TabbedContent)
        for pane_id, label in (SHORT_TAB_LABELS if narrow else TAB_LABELS).items():
            tabs.get_tab(pane_id).label = label

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
        if self.details is None or self.details.asset is None or not self.details.asset.relation:
            self.show_preview_message("No table to preview for this asset.")

    def refresh_ages(self) -> None:
        if self.details is not None:
            self.query_one("#overview-body", Static).update(self.overview())

    def overview(self) -> RenderableType:
        d = self.details
        assert d is not None
        now = self.clock()
        table = _kv_table()
        description = d.asset.description if d.asset else (d.group.description if d.group else "")
        if d.asset:
            table.add_row("group", Text(d.asset.group))
            table.add_row("kind", Text(d.asset.kind))
            if self.status and self.status.location:
                table.add_row("location", Text(fmt.home_paths(self.status.location)))
        else:
            table.add_row("kind", Text("group asset"))
            table.add_row("members", Text(", ".join(d.members) or "-"))
        if self.status is not None:
            table.add_row("status", _status_text(self.status.status))
            if self.status.stale:
                table.add_row("stale", Text(self.status.stale_reason))
            if self.status.checks_summary:
                table.add_row("checks", Text(self.status.checks_summary))
            if (due := self.due.get(d.key)) is not None:
                table.add_row("freshness", Text(*due.describe(now)))
        else:
            table.add_row("status", _status_text(self.group_status))
        table.add_row("upstream", Text(", ".join(d.upstream) or "-"))
        table.add_row("downstream", Text(", ".join(d.downstream) or "-"))
        parts: list[RenderableType] = [Text(description or "(no description)", style="italic"), ""]
        parts.append(table)
        if d.materializations:
            last = d.materializations[0]
            m = last.metadata
            mt = _kv_table()
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
        if d.asset.columns:
            columns = Table(show_edge=False, expand=True, header_style="bold")
            columns.add_column("column", no_wrap=True)
            columns.add_column("type", style="dim", no_wrap=True)
            columns.add_column("description", ratio=1)
            for column in d.asset.columns:
                columns.add_row(
                    Text(column.name), Text(column.data_type or ""), Text(column.description or "")
                )
            parts += ["", Text("columns", style="bold underline"), columns]
        lineage = d.extra.get("column_lineage")
        if lineage:
            parts += ["", Text("column lineage (from the compiled SQL)", style="bold underline")]
            parts += [_lineage_line(d.key, column, sources) for column, sources in lineage.items()]
        return Group(*parts)

    def fill_history(self) -> None:
        d = self.details
        assert d is not None
        history = list(reversed(d.materializations))  # oldest first for the sparklines
        row_values = [float(m.metadata.get("rows") or 0) for m in history]
        durations = [float(m.duration or 0.0) for m in history]
        if len(history) < 2:  # one point makes no line
            row_values, durations = [], []
        self.query_one("#history-rows", Sparkline).data = row_values
        self.query_one("#history-duration", Sparkline).data = durations
        rows_range = (
            f"{fmt.rows(int(min(row_values)))}–{fmt.rows(int(max(row_values)))}"
            if row_values
            else "-"
        )
        dur_range = (
            f"{fmt.duration(min(durations))}–{fmt.duration(max(durations))}" if durations else "-"
        )
        if len(history) < 2:
            first = "one materialization so far" if history else "never materialized"
            self.query_one("#history-rows-label", Label).update(f"rows: {first}")
            self.query_one("#history-duration-label", Label).update("duration: -")
        else:
            count = f"last {len(history)} materializations"
            self.query_one("#history-rows-label", Label).update(f"rows ({rows_range}), {count}")
            self.query_one("#history-duration-label", Label).update(f"duration ({dur_range})")
        table = self.query_one("#history-table", DataTable)
        table.clear(columns=True)
        table.add_columns("when", "run", "duration", "rows")
        now = self.clock()
        for m in d.materializations:
            table.add_row(
                f"{fmt.age(now - m.ts)} ago",
                Text(m.run_id),
                fmt.duration(m.duration),
                fmt.rows(m.metadata.get("rows")),
            )
        if not d.materializations:
            table.add_row("never", "-", "-", "-")

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
        log = self.query_one("#logs-log", RichLog)
        log.clear()
        if d.log_run is None:
            log.write(Text("No runs of this asset yet.", style="dim"))
            return
        header = f"run {d.log_run.id} ({d.log_run.trigger}, {d.log_run.status})"
        if d.run_asset is not None:
            header += f": {d.key} {d.run_asset.status}"
            if d.run_asset.message:
                header += f" — {d.run_asset.message}"
        log.write(Text(header, style="bold"))
        for line in d.logs:
            style = (
                "red"
                if line.level in ("error", "ERROR")
                else ("yellow" if line.level.lower().startswith("warn") else "")
            )
            log.write(Text(f"{fmt.timestamp(line.ts)[11:]} {line.message}", style=style))
        if not d.logs:
            log.write(Text("(no log lines for this asset in that run)", style="dim"))

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
        asset = workspace.graph.assets.get(key)
        if asset is None or not asset.relation:
            self.show_preview_message("No table to preview: select a dbt model.")
            return
        config = workspace.config
        if asset.kind == "postgres":
            pg = config.postgres
            self.show_preview_message(f"Loading the first rows from {pg.location()}…")
            table = asset.relation.split(".")[-1]
            self.load_preview(lambda: data.load_postgres_preview(pg, key, table))
            return
        self.show_preview_message(f"Loading the first rows of {asset.relation}…")
        relation, warehouse = asset.relation, config.lake.warehouse
        self.load_preview(lambda: data.load_preview(warehouse, key, relation))

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
        status.update(Text(f"first {len(preview.rows)} rows of {preview.key}", style="dim"))
        table.add_columns(*(Text(str(column)) for column in preview.columns))
        for row in preview.rows:
            table.add_row(*(cell(v) for v in row))


def failing_rows(results: Sequence[CheckResult]) -> RenderableType:
    """The first rows each failed or warning check found (values as plain text)."""
    parts: list[RenderableType] = []
    for result in results:
        if result.sample is None or result.status not in ("fail", "error", "warn"):
            continue
        found = f" ({result.failures} failing)" if result.failures is not None else ""
        parts.append(Text(f"{result.check_name}: {result.status}{found}", fmt.style(result.status)))
        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        for column in result.sample.columns:
            table.add_column(Text(column))
        for row in result.sample.rows:
            table.add_row(*(Text("NULL" if v is None else str(v)) for v in row))
        parts.append(table)
    if not parts:
        return Text("")
    return Group(Text("First failing rows", style="bold"), *parts)
