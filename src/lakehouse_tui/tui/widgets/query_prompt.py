"""The Preview tab's SQL prompt: one read-only statement on the warehouse or the marts.

Enter runs the query in a worker (`core.query`: a short-lived read-only DuckDB connection, or a
read-only PostgreSQL transaction); the result replaces the preview table until escape. Column
headers carry the column's type. ctrl+t switches between DuckDB and the PostgreSQL marts (when
`[marts] target = "postgres"`), ctrl+y copies the rows shown as TSV, ctrl+o exports every row
to a .csv or .parquet file (the default path is in the warehouse's folder, under `exports/`).
While a run holds the warehouse the prompt says which run, and opens nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static, TabPane

from lakehouse_tui import formatting as fmt
from lakehouse_tui.tui.keys import QUERY_BINDINGS
from lakehouse_tui.tui.widgets.detail_parts import cell_text
from lakehouse_tui.tui.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from lakehouse_tui.core.assets import Asset
    from lakehouse_tui.core.query import QueryResult
    from lakehouse_tui.core.workspace import Workspace

TARGET_LABELS = {"duckdb": "DuckDB", "postgres": "PostgreSQL"}


class QueryPrompt(ReportsWorkerErrors, Vertical):
    BINDINGS: ClassVar[list[BindingType]] = list(QUERY_BINDINGS)

    @dataclass
    class Finished(Message):
        """A query (or an export) came back: a result, or one line of error."""

        sql: str
        target: str
        result: QueryResult | None = None
        error: str = ""
        busy: bool = False
        exported: Path | None = None
        exported_rows: int = 0

    def __init__(
        self,
        workspace: Callable[[], Workspace | None],
        *,
        clock: Callable[[], float] = time.time,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.get_workspace = workspace  # the detail's, once the app has opened it
        self.clock = clock
        self.target = "duckdb"
        self.result: QueryResult | None = None
        self.last_sql = ""

    def compose(self) -> ComposeResult:
        # The result above, the prompt on the tab's last line whether or not a result shows.
        yield DataTable(id="query-table", zebra_stripes=True, header_height=2)
        yield Static("", id="query-status")
        with Horizontal(id="query-bar"):
            yield Static("DuckDB›", id="query-target")
            yield Input(
                placeholder="SQL (read-only), enter runs: e.g. show tables", id="query-input"
            )

    @property
    def workspace(self) -> Workspace | None:
        return self.get_workspace()

    @property
    def input(self) -> Input:
        return self.query_one("#query-input", Input)

    @property
    def postgres_configured(self) -> bool:
        return self.workspace is not None and self.workspace.config.marts.target == "postgres"

    def open(self, asset: Asset | None) -> None:
        """Focus the prompt; an empty prompt gets the selected asset's table to start from."""
        relation, kind = (asset.relation, asset.kind) if asset else (None, None)
        if kind == "postgres" and self.postgres_configured:
            self.set_target("postgres")
        elif kind in ("duckdb", "raw"):
            self.set_target("duckdb")
        if not self.input.value and relation:
            table = relation.split(".")[-1] if self.target == "postgres" else relation
            self.input.value = f"select * from {table} limit 100"
        self.input.focus()

    def set_target(self, target: str) -> None:
        self.target = target
        self.query_one("#query-target", Static).update(f"{TARGET_LABELS[target]}›")

    def action_toggle_target(self) -> None:
        if not self.postgres_configured:
            self.set_status(
                'The marts are in DuckDB ([marts] target = "duckdb"): there is no PostgreSQL '
                "to query.",
                "yellow",
            )
            return
        self.set_target("postgres" if self.target == "duckdb" else "duckdb")
        self.set_status(f"Queries now go to {self.where()}.", "dim")

    def where(self) -> str:
        assert self.workspace is not None
        config = self.workspace.config
        if self.target == "postgres":
            return f"{config.postgres.location()} (schema {config.postgres.schema})"
        return fmt.home_paths(str(config.lake.warehouse))

    def set_status(self, text: str, style: str = "") -> None:
        self.query_one("#query-status", Static).update(Text(text, style=style))

    # -- running ------------------------------------------------------------------------

    @on(Input.Submitted, "#query-input")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        sql = event.value.strip()
        if self.workspace is None:
            self.set_status("Still opening the workspace…", "yellow")
            return
        self.set_status(f"Running on {self.where()}…", "dim")
        self.run_query(sql, self.target)

    def busy_text(self) -> str | None:
        """Who holds the warehouse: a run (named), or None. The query opens nothing then."""
        from lakehouse_tui.tui import data

        if self.workspace is None:
            return None
        holder = data.lock_holder(self.workspace, self.clock())
        if holder is None:
            return None
        return f"The warehouse is held by {holder}; query again when it finishes."

    @work(thread=True, exclusive=True, group="query", exit_on_error=False)
    def run_query(self, sql: str, target: str, export_to: Path | None = None) -> None:
        """The query's first rows, or (with `export_to`) every row into that file."""
        from lakehouse_tui.core import query
        from lakehouse_tui.core.warehouse import WarehouseBusy
        from lakehouse_tui.errors import LakehouseError

        assert self.workspace is not None
        config = self.workspace.config
        done = self.Finished(sql, target, exported=export_to)
        try:
            if target == "duckdb" and (busy := self.busy_text()) is not None:
                done.error, done.busy = busy, True
            elif export_to is not None and target == "duckdb":
                done.exported_rows = query.export_duckdb(config.lake.warehouse, sql, export_to)
            elif export_to is not None:
                done.exported_rows = query.export_postgres(config.postgres, sql, export_to)
            elif target == "duckdb":
                done.result = query.run_duckdb(config.lake.warehouse, sql)
            else:
                done.result = query.run_postgres(config.postgres, sql)
        except WarehouseBusy as err:
            done.error, done.busy = str(err), True
        except LakehouseError as err:
            done.error = str(err)
        self.post_message(done)

    @on(Finished)
    def finished(self, message: Finished) -> None:
        message.stop()
        if message.exported is not None and not message.error:
            where = fmt.home_paths(str(message.exported))
            self.set_status(f"Exported {message.exported_rows:,} rows to {where}", "green")
            self.app.notify(f"{message.exported_rows:,} rows → {where}", title="Exported")
            return
        if message.error:
            glyph, style = ("⏳", "yellow") if message.busy else ("✗", "red")
            self.set_status(f"{glyph} {message.error}", style)
            return
        assert message.result is not None
        self.show_result(message.sql, message.result)

    def show_result(self, sql: str, result: QueryResult) -> None:
        self.result, self.last_sql = result, sql
        table = self.query_one("#query-table", DataTable)
        table.clear(columns=True)
        for name, kind in zip(result.columns, result.types, strict=True):
            table.add_column(Text.assemble((name, "bold"), "\n", (kind, "dim")))
        for row in result.rows:
            table.add_row(*(cell_text(v) for v in row))
        more = f"first {len(result.rows):,} rows (more exist)" if result.truncated else None
        shown = more or f"{len(result.rows):,} row{'s' if len(result.rows) != 1 else ''}"
        self.set_status(
            f"{shown}, {len(result.columns)} columns from {TARGET_LABELS[result.target]}; "
            "ctrl+y copy, ctrl+o export, escape back",
            "dim",
        )
        self.set_showing(True)

    def set_showing(self, showing: bool) -> None:
        """With a result on screen, the preview above it makes room (see app.tcss)."""
        self.set_class(showing, "-has-result")
        pane = next((a for a in self.ancestors if isinstance(a, TabPane)), None)
        if pane is not None:
            pane.set_class(showing, "-querying")

    # -- copy, export, close ------------------------------------------------------------

    def action_copy(self) -> None:
        if self.result is None:
            self.set_status("Nothing to copy yet: run a query first (enter).", "yellow")
            return
        self.app.copy_to_clipboard(self.result.as_tsv())
        rows = len(self.result.rows)
        self.set_status(f"Copied {rows:,} rows (tab separated) to the clipboard.", "green")

    def default_export_path(self) -> Path:
        assert self.workspace is not None
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock()))
        return self.workspace.config.lake.warehouse.parent / "exports" / f"query-{stamp}.csv"

    def action_export(self) -> None:
        from lakehouse_tui.tui.screens.export_prompt import ExportPrompt

        if self.result is None or self.workspace is None:
            self.set_status("Nothing to export yet: run a query first (enter).", "yellow")
            return
        sql, target = self.last_sql, self.result.target

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.set_status(f"Exporting to {fmt.home_paths(str(path))}…", "dim")
                self.run_query(sql, target, path)

        self.app.push_screen(ExportPrompt(self.default_export_path()), chosen)

    def action_close(self) -> None:
        """Escape: a result goes (the preview comes back); else back to the tree."""
        if self.has_class("-has-result"):
            self.set_showing(False)
            self.set_status("")
            return
        tree = self.screen.query("#tree")
        if tree:
            tree.first().focus()
