"""Where to export a query's rows: a path ending in .csv or .parquet (the ending picks the
format). Enter exports, escape does not."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from lakehouse_tui import formatting as fmt


class ExportPrompt(ModalScreen[Path | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="export.cancel")
    ]

    def __init__(self, default: Path) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog", classes="dialog"):
            yield Static("Export every row of the query", classes="dialog-title")
            yield Input(value=str(self.default), id="export-path")
            yield Static(
                "A path ending in .csv or .parquet (the ending picks the format); "
                "enter exports, escape cancels.",
                id="export-hint",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    def submitted(self, event: Input.Submitted) -> None:
        from lakehouse_tui.core.query import export_format
        from lakehouse_tui.errors import LakehouseError

        path = Path(event.value.strip()).expanduser()
        try:
            export_format(path)
        except LakehouseError as err:
            hint = self.query_one("#export-hint", Static)
            hint.update(Text(fmt.home_paths(str(err))))
            hint.add_class("-error")
            return
        self.dismiss(path)
