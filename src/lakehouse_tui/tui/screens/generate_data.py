"""Offered when the raw lake dir has no parquet files: generate sample data?"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class GenerateData(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "dismiss(True)", "Generate", id="generate.yes"),
        Binding("n,escape", "dismiss(False)", "Not now", id="generate.no"),
    ]

    def __init__(self, raw_dir: Path, *, empty: bool = True) -> None:
        super().__init__()
        self.raw_dir = raw_dir
        self.empty = empty

    def compose(self) -> ComposeResult:
        if self.empty:
            body = (
                f"There are no raw parquet files in\n  {self.raw_dir}\nyet, so there is nothing "
                "to materialize.\n\nGenerate sample bioreactor data (8 batches of 24 h, about "
                "400,000 readings)? You can do it later with g or `lakehouse-tui demo`."
            )
        else:
            body = (
                f"Generate another set of sample data in\n  {self.raw_dir}\n"
                "(overwrites the sample batches)?"
            )
        with Vertical(id="generate-dialog", classes="dialog"):
            yield Static("No raw data yet" if self.empty else "Sample data", classes="dialog-title")
            yield Static(body, id="generate-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Generate (y)", variant="primary", id="generate-yes")
                yield Button("Not now (n)", id="generate-no")

    def on_mount(self) -> None:
        self.query_one("#generate-yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "generate-yes")
